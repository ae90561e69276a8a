// struct file allocation and reference counting (fs/file_table.c), fd tables (fs/file.c).
import type { Kernel } from '../kernel/kernel.js';
import type { FileOperations, OpenFile } from './types.js';
import { EMFILE } from '../abi/errno.js';
import { FMODE_WRITE } from '../abi/fcntl.js';

export function allocFile(
  k: Kernel,
  pid: number,
  f: { inode: number; mount: number | null; path: string; fmode: number; flags: number; fops: FileOperations; privateData?: unknown },
): OpenFile {
  const t = k.task(pid);
  const file: OpenFile = {
    id: k.ids.file++,
    inode: f.inode,
    mount: f.mount,
    path: f.path,
    fmode: f.fmode,
    flags: f.flags,
    pos: 0,
    refs: 0,
    cred: { pid: t.pid, comm: t.comm, context: t.context },
    fops: f.fops,
    privateData: f.privateData ?? null,
  };
  k.setFile(file);
  return k.file(file.id);
}

/** get_file(). */
export function fileGet(k: Kernel, id: number): void {
  const f = k.file(id);
  k.setFile({ ...f, refs: f.refs + 1 });
}

/** fput(): at zero references, ->release() and the file is gone. */
export function filePut(k: Kernel, id: number): void {
  const f = k.file(id);
  if (f.refs <= 1) {
    k.files.delete(id);
    f.fops.release?.(k, f);
    return;
  }
  k.setFile({ ...f, refs: f.refs - 1 });
}

/** The lowest free fd (get_unused_fd_flags()), or -EMFILE past RLIMIT_NOFILE. */
export function lowestFreeFd(k: Kernel, pid: number): number {
  const fds = k.task(pid).fds;
  let fd = 0;
  while (fd < fds.length && fds[fd]) fd++;
  if (fd >= k.config.rlimitNofile) return -EMFILE;
  return fd;
}

/** fd_install() at a given fd (takes a reference). */
export function installAt(k: Kernel, pid: number, fd: number, fileId: number, cloexec: boolean): void {
  const t = k.task(pid);
  const fds = t.fds.slice();
  fds[fd] = Object.freeze({ file: fileId, cloexec });
  k.setTask({ ...t, fds });
  fileGet(k, fileId);
  // Provenance (model-only): a task holding a writable fd could change every byte of the file.
  const f = k.file(fileId);
  if (f.fmode & FMODE_WRITE) k.mmMut(pid).markFileWritable(f.inode, 0, Number.MAX_SAFE_INTEGER);
}

/** Install in the lowest free fd; returns it or -EMFILE. */
export function installFd(k: Kernel, pid: number, fileId: number, cloexec: boolean): number {
  const fd = lowestFreeFd(k, pid);
  if (fd < 0) return fd;
  installAt(k, pid, fd, fileId, cloexec);
  return fd;
}

/** Remove an fd entry (no fput). Returns the file id, or undefined if fd was not open. */
export function removeFd(k: Kernel, pid: number, fd: number): number | undefined {
  const t = k.task(pid);
  const e = Number.isInteger(fd) && fd >= 0 ? t.fds[fd] : undefined;
  if (!e) return undefined;
  const fds = t.fds.slice();
  fds[fd] = undefined;
  while (fds.length && !fds[fds.length - 1]) fds.pop();
  k.setTask({ ...t, fds });
  return e.file;
}
