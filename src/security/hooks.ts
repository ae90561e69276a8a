// The security_*() wrappers of security/security.c as the kernel model calls them: they build the
// LSM's views, apply what security.c itself does (IS_PRIVATE short-cuts, mmap_prot(),
// cap_mmap_addr() first), call the LSM, and record non-zero decisions in the trace.
import type { Kernel } from '../kernel/kernel.js';
import type { Vma } from '../mm/vma.js';
import { S_PRIVATE } from '../abi/stat.js';
import { PROT_EXEC, PROT_READ } from '../abi/mman.js';
import { READ_IMPLIES_EXEC } from '../abi/personality.js';
import { CAP_SYS_RAWIO } from '../abi/capability.js';
import { EPERM, errnoName } from '../abi/errno.js';
import { hasCap } from '../kernel/task.js';
import type { TraceValue } from '../kernel/trace.js';

function record(k: Kernel, pid: number, hook: string, ret: number, detail?: Record<string, TraceValue>): number {
  if (ret !== 0 && k.trace.enabled) k.trace.emit({ kind: 'lsm', pid, hook, ret, detail: { ...detail, errno: errnoName(ret) } });
  return ret;
}

/** security_inode_permission(): returns 0 for IS_PRIVATE inodes without asking the LSM. */
export function securityInodePermission(k: Kernel, pid: number, inodeId: number, mask: number): number {
  const inode = k.inode(inodeId);
  if (inode.iflags & S_PRIVATE) return 0;
  return record(k, pid, 'inode_permission', k.lsm.inode_permission(k, k.cred(pid), k.lsmInode(inodeId), mask), { ino: inode.ino, mask });
}

/** security_inode_create(): IS_PRIVATE(dir) short-cut, then the LSM's optional hook. */
export function securityInodeCreate(k: Kernel, pid: number, dirId: number, name: string): number {
  const dir = k.inode(dirId);
  if (dir.iflags & S_PRIVATE || !k.lsm.inode_create) return 0;
  return record(k, pid, 'inode_create', k.lsm.inode_create(k, k.cred(pid), k.lsmInode(dirId), name, 'file'), { name });
}

export function securityFileOpen(k: Kernel, pid: number, fileId: number): number {
  return record(k, pid, 'file_open', k.lsm.file_open(k, k.cred(pid), k.lsmFile(fileId)), { path: k.file(fileId).path });
}

export function securityFilePermission(k: Kernel, pid: number, fileId: number, mask: number): number {
  return record(k, pid, 'file_permission', k.lsm.file_permission(k, k.cred(pid), k.lsmFile(fileId), mask), { path: k.file(fileId).path, mask });
}

/**
 * mmap_prot() (security/security.c): the protection the kernel will really apply, which is what
 * the LSM checks: PROT_READ alone implies PROT_EXEC under READ_IMPLIES_EXEC, unless the file is on
 * a noexec mount.
 */
export function mmapProt(k: Kernel, pid: number, fileId: number | null, prot: number): number {
  if ((prot & (PROT_READ | PROT_EXEC)) !== PROT_READ) return prot;
  if (!(k.task(pid).personality & READ_IMPLIES_EXEC)) return prot;
  if (fileId === null) return prot | PROT_EXEC;
  if (!k.pathNoexec(k.file(fileId))) return prot | PROT_EXEC; // MMU case: no mmap_capabilities() test
  return prot;
}

/** security_mmap_file(file, prot, flags) -> hook(file, reqprot = prot, mmap_prot(file, prot), flags). */
export function securityMmapFile(k: Kernel, pid: number, fileId: number | null, prot: number, flags: number): number {
  const lsmProt = mmapProt(k, pid, fileId, prot);
  const ret = k.lsm.mmap_file(k, k.cred(pid), fileId === null ? null : k.lsmFile(fileId), prot, lsmProt, flags);
  return record(k, pid, 'mmap_file', ret, { path: fileId === null ? null : k.file(fileId).path, reqprot: prot, prot: lsmProt, flags });
}

/**
 * security_mmap_addr(): the capability module first (cap_mmap_addr(), security/commoncap.c:
 * addr < dac_mmap_min_addr needs CAP_SYS_RAWIO, else -EPERM), then the LSM.
 */
export function securityMmapAddr(k: Kernel, pid: number, addr: number): number {
  if (addr < k.config.dacMmapMinAddr && !hasCap(k.task(pid), CAP_SYS_RAWIO)) {
    return record(k, pid, 'cap_mmap_addr', -EPERM, { addr });
  }
  return record(k, pid, 'mmap_addr', k.lsm.mmap_addr(k, k.cred(pid), addr), { addr });
}

export function securityFileMprotect(k: Kernel, pid: number, vma: Vma, reqprot: number, prot: number): number {
  return record(k, pid, 'file_mprotect', k.lsm.file_mprotect(k, k.cred(pid), k.lsmVma(pid, vma), reqprot, prot), { start: vma.start, end: vma.end, reqprot, prot });
}

export function securityFileIoctl(k: Kernel, pid: number, fileId: number, cmd: number, arg: number): number {
  return record(k, pid, 'file_ioctl', k.lsm.file_ioctl(k, k.cred(pid), k.lsmFile(fileId), cmd, arg), { path: k.file(fileId).path, cmd });
}

export function securityFileReceive(k: Kernel, pid: number, fileId: number): number {
  return record(k, pid, 'file_receive', k.lsm.file_receive(k, k.cred(pid), k.lsmFile(fileId)), { path: k.file(fileId).path });
}
