// memfd_create() (mm/memfd.c) and the shmem files behind it and behind shared anonymous
// mappings (mm/shmem.c shmem_file_setup(), shmem_kernel_file_setup(), shmem_zero_setup()).
import type { Kernel } from '../kernel/kernel.js';
import type { VmaDraft } from './types.js';
import { allocFile, installAt, lowestFreeFd, fileGet, filePut } from './file_table.js';
import { newInode, getNextIno } from './super.js';
import { shmemFileOps } from './generic.js';
import { shmemVmOps } from '../mm/vma.js';
import { EINVAL } from '../abi/errno.js';
import { S_IFREG, S_PRIVATE } from '../abi/stat.js';
import { FMODE_READ, FMODE_WRITE, FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE, FMODE_CAN_READ, FMODE_CAN_WRITE, O_RDWR, O_LARGEFILE, MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB, MFD_NOEXEC_SEAL, MFD_EXEC, MFD_NAME_MAX_LEN } from '../abi/fcntl.js';

/**
 * shmem_file_setup() / shmem_kernel_file_setup(): an unlinked file on the internal shm mount.
 * `kernel` = S_PRIVATE ("no LSM permission checks against the underlying inode").
 */
export function shmemFileSetup(k: Kernel, pid: number, name: string, size: number, kernel: boolean): number {
  const inode = newInode(k, k.wk.shmSb, {
    mode: S_IFREG | 0o777,
    name,
    size,
    ino: getNextIno(k),
    iflags: kernel ? S_PRIVATE : 0,
    pseudoPath: `/${name} (deleted)`,
    fops: shmemFileOps,
  });
  const f = allocFile(k, pid, {
    inode: inode.id,
    mount: k.wk.shmMount,
    path: `/${name} (deleted)`,
    fmode: FMODE_READ | FMODE_WRITE | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_CAN_READ | FMODE_CAN_WRITE,
    flags: O_RDWR | O_LARGEFILE,
    fops: shmemFileOps,
  });
  return f.id;
}

/**
 * shmem_zero_setup(): a shared anonymous mapping gets a kernel-internal (S_PRIVATE) shmem file
 * "dev/zero" of the mapping's size as vm_file (replacing any file, e.g. /dev/zero's).
 */
export function shmemZeroSetup(k: Kernel, vma: VmaDraft, pid?: number): number {
  const owner = pid ?? k.file(vma.file ?? -1).cred.pid;
  const fid = shmemFileSetup(k, owner, 'dev/zero', vma.end - vma.start, true);
  fileGet(k, fid);
  if (vma.file !== null) filePut(k, vma.file);
  vma.file = fid;
  vma.ops = shmemVmOps;
  return 0;
}

/** memfd_create(2) (mm/memfd.c, Linux 6.1; MFD_NOEXEC_SEAL/MFD_EXEC from 6.3 by version). */
export function sysMemfdCreate(k: Kernel, pid: number, name: string, flags: number): number {
  let all = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB;
  if (k.config.features.memfdExecFlags) all |= MFD_NOEXEC_SEAL | MFD_EXEC;
  if (!(flags & MFD_HUGETLB)) {
    if (flags & ~all) return -EINVAL;
  } else {
    // hugetlbfs is not modelled: accept the encoding check, then refuse.
    if (flags & ~(all | (0x3f << 26))) return -EINVAL;
    return -EINVAL;
  }
  if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC)) return -EINVAL;
  // strnlen_user(uname, MFD_NAME_MAX_LEN + 1): length includes the NUL.
  if (name.length + 1 > MFD_NAME_MAX_LEN + 1) return -EINVAL;
  const fd = lowestFreeFd(k, pid); // get_unused_fd_flags(): -EMFILE
  if (fd < 0) return fd;
  const fid = shmemFileSetup(k, pid, 'memfd:' + name, 0, false);
  installAt(k, pid, fd, fid, (flags & MFD_CLOEXEC) !== 0);
  return fd;
}
