// read(2), write(2), pread64(2), pwrite64(2) (fs/read_write.c ksys_read()/vfs_read()/
// rw_verify_area(), generic_write_checks()), and ioctl(2) (fs/ioctl.c).
import type { Kernel } from '../kernel/kernel.js';
import { EBADF, EINVAL, ESPIPE, ENOIOCTLCMD, ENOTTY, EFAULT } from '../abi/errno.js';
import { FMODE_READ, FMODE_WRITE, FMODE_CAN_READ, FMODE_CAN_WRITE, FMODE_PREAD, FMODE_PWRITE, MAY_READ, MAY_WRITE, O_APPEND, FIOCLEX, FIONCLEX } from '../abi/fcntl.js';
import { securityFilePermission, securityFileIoctl } from '../security/hooks.js';
import { S_ISREG } from '../abi/stat.js';
import { copyToUser, copyFromUser } from '../kernel/uaccess.js';

/** MAX_RW_COUNT = INT_MAX & PAGE_MASK. */
export const MAX_RW_COUNT = 0x7ffff000;

function rwVerifyArea(k: Kernel, pid: number, fileId: number, write: boolean, pos: number | null, count: number): number {
  if (count < 0) return -EINVAL;
  if (pos !== null && pos < 0) return -EINVAL;
  return securityFilePermission(k, pid, fileId, write ? MAY_WRITE : MAY_READ);
}

/** vfs_read(): the bytes read, or -errno. `pos` null = use and advance f_pos. */
export function vfsRead(k: Kernel, pid: number, fd: number, count: number, pos: number | null): Uint8Array | number {
  if (!Number.isSafeInteger(count)) return -EINVAL;
  const file = k.fdFile(pid, fd);
  if (!file) return -EBADF;
  if (pos !== null && !(file.fmode & FMODE_PREAD)) return -ESPIPE;
  if (!(file.fmode & FMODE_READ)) return -EBADF;
  if (!(file.fmode & FMODE_CAN_READ) || !file.fops.read) return -EINVAL;
  const err = rwVerifyArea(k, pid, file.id, false, pos, count);
  if (err) return err;
  const n = Math.min(count, MAX_RW_COUNT);
  const at = pos ?? file.pos;
  const r = file.fops.read(k, pid, k.file(file.id), n, at);
  if (typeof r === 'number') return r;
  if (pos === null) k.setFile({ ...k.file(file.id), pos: at + r.length });
  return r;
}

/** vfs_write(): bytes written or -errno. */
export function vfsWrite(k: Kernel, pid: number, fd: number, data: Uint8Array, pos: number | null): number {
  const file = k.fdFile(pid, fd);
  if (!file) return -EBADF;
  if (pos !== null && !(file.fmode & FMODE_PWRITE)) return -ESPIPE;
  if (!(file.fmode & FMODE_WRITE)) return -EBADF;
  if (!(file.fmode & FMODE_CAN_WRITE) || !file.fops.write) return -EINVAL;
  const err = rwVerifyArea(k, pid, file.id, true, pos, data.length);
  if (err) return err;
  const inode = k.inode(file.inode);
  let at = pos ?? file.pos;
  // generic_write_checks(): O_APPEND writes at i_size (for pwrite too on Linux).
  if (file.flags & O_APPEND && S_ISREG(inode.mode)) at = inode.size;
  const bytes = data.length > MAX_RW_COUNT ? data.subarray(0, MAX_RW_COUNT) : data;
  const r = file.fops.write(k, pid, file, bytes, at);
  if (r < 0) return r;
  if (pos === null) k.setFile({ ...k.file(file.id), pos: at + r });
  return r;
}

/** read(2) into user memory at buf (copy_to_user: -EFAULT on a bad buffer). */
export function sysReadToUser(k: Kernel, pid: number, fd: number, buf: number, count: number, offset: number | null = null): number {
  const r = vfsRead(k, pid, fd, count, offset);
  if (typeof r === 'number') return r;
  if (r.length && copyToUser(k, pid, buf, r) !== 0) return -EFAULT;
  return r.length;
}

/** write(2) from user memory at buf (copy_from_user: -EFAULT on a bad buffer). */
export function sysWriteFromUser(k: Kernel, pid: number, fd: number, buf: number, count: number): number {
  if (!k.fdFile(pid, fd)) return -EBADF;
  const data = copyFromUser(k, pid, buf, count);
  if (typeof data === 'number') return data;
  return vfsWrite(k, pid, fd, data, null);
}

/** ioctl(2): security_file_ioctl(), do_vfs_ioctl() (FIOCLEX/FIONCLEX), then vfs_ioctl() -> ->unlocked_ioctl. */
export function sysIoctl(k: Kernel, pid: number, fd: number, cmd: number, arg: number): number {
  const file = k.fdFile(pid, fd);
  if (!file) return -EBADF;
  cmd = cmd >>> 0;
  const sec = securityFileIoctl(k, pid, file.id, cmd, arg);
  if (sec) return sec;
  // do_vfs_ioctl()
  if (cmd === FIOCLEX || cmd === FIONCLEX) {
    const t = k.task(pid);
    const fds = t.fds.slice();
    fds[fd] = { ...fds[fd]!, cloexec: cmd === FIOCLEX };
    k.setTask({ ...t, fds });
    return 0;
  }
  // vfs_ioctl()
  if (!file.fops.unlocked_ioctl) return -ENOTTY;
  const r = file.fops.unlocked_ioctl(k, pid, file, cmd, arg);
  return r === -ENOIOCTLCMD ? -ENOTTY : r;
}
