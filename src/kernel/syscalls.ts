// k.sys: the syscall entry points. Each returns what the syscall body returns to the syscall exit
// path: a non-negative result or a negative errno (-EACCES). read/pread return the bytes read as a
// Uint8Array on success (their length is the syscall's return value) or a negative errno; readTo/
// writeFrom take a user buffer address in the task's memory instead, as the real ABI does.
// Every call is traced as sys_enter / sys_exit when k.trace is enabled.
import type { Kernel } from './kernel.js';
import type { TraceValue } from './trace.js';
import { errnoName, isErr, EBADF } from '../abi/errno.js';
import { PERSONALITY_QUERY } from '../abi/personality.js';
import { sysOpen, sysClose, sysDup, sysDup2 } from '../fs/open.js';
import { vfsRead, vfsWrite, sysReadToUser, sysWriteFromUser, sysIoctl } from '../fs/read_write.js';
import { sysMemfdCreate } from '../fs/memfd.js';
import { sysMmap, sysMunmap, sysRemapFilePages } from '../mm/mmap.js';
import { sysMprotect } from '../mm/mprotect.js';
import { sysBrk } from '../mm/brk.js';
import { securityFileReceive } from '../security/hooks.js';
import { installFd } from '../fs/file_table.js';

function toBytes(b: Uint8Array | string): Uint8Array {
  return typeof b === 'string' ? new TextEncoder().encode(b) : b;
}

export class Syscalls {
  constructor(private readonly k: Kernel) {}

  private run<T extends number | Uint8Array>(pid: number, name: string, args: Record<string, TraceValue>, fn: () => T): T {
    const k = this.k;
    const t = k.task(pid);
    if (k.trace.enabled) k.trace.emit({ kind: 'sys_enter', pid, comm: t.comm, name, args });
    const r = fn();
    if (k.trace.enabled) {
      const ret = typeof r === 'number' ? r : r.length;
      k.trace.emit(isErr(ret) ? { kind: 'sys_exit', pid, name, ret, errno: errnoName(ret) } : { kind: 'sys_exit', pid, name, ret });
    }
    return r;
  }

  /** open(2). */
  open(pid: number, path: string, flags: number, mode = 0o666): number {
    return this.run(pid, 'open', { path, flags, mode }, () => sysOpen(this.k, pid, path, flags, mode));
  }

  close(pid: number, fd: number): number {
    return this.run(pid, 'close', { fd }, () => sysClose(this.k, pid, fd));
  }

  dup(pid: number, fd: number): number {
    return this.run(pid, 'dup', { fd }, () => sysDup(this.k, pid, fd));
  }

  dup2(pid: number, oldfd: number, newfd: number): number {
    return this.run(pid, 'dup2', { oldfd, newfd }, () => sysDup2(this.k, pid, oldfd, newfd));
  }

  /** read(2): the bytes read (Uint8Array; its length is the return value) or -errno. */
  read(pid: number, fd: number, count: number): Uint8Array | number {
    return this.run(pid, 'read', { fd, count }, () => vfsRead(this.k, pid, fd, count, null));
  }

  /** read(2) into user memory at buf: bytes read or -errno (-EFAULT for a bad buffer). */
  readTo(pid: number, fd: number, buf: number, count: number): number {
    return this.run(pid, 'read', { fd, buf, count }, () => sysReadToUser(this.k, pid, fd, buf, count));
  }

  /** write(2) of the given bytes: bytes written or -errno. */
  write(pid: number, fd: number, bytes: Uint8Array | string): number {
    const b = toBytes(bytes);
    return this.run(pid, 'write', { fd, count: b.length }, () => vfsWrite(this.k, pid, fd, b, null));
  }

  /** write(2) from user memory at buf. */
  writeFrom(pid: number, fd: number, buf: number, count: number): number {
    return this.run(pid, 'write', { fd, buf, count }, () => sysWriteFromUser(this.k, pid, fd, buf, count));
  }

  /** pread64(2). */
  pread(pid: number, fd: number, count: number, offset: number): Uint8Array | number {
    return this.run(pid, 'pread64', { fd, count, offset }, () => vfsRead(this.k, pid, fd, count, offset));
  }

  /** pread64(2) into user memory at buf (copy_to_user: -EFAULT on a bad buffer). */
  preadTo(pid: number, fd: number, buf: number, count: number, offset: number): number {
    return this.run(pid, 'pread64', { fd, buf, count, offset }, () => sysReadToUser(this.k, pid, fd, buf, count, offset));
  }

  /** pwrite64(2). `buf`: the user buffer the bytes were copied from (recorded in the trace only). */
  pwrite(pid: number, fd: number, bytes: Uint8Array | string, offset: number, buf?: number): number {
    const b = toBytes(bytes);
    return this.run(pid, 'pwrite64', buf === undefined ? { fd, count: b.length, offset } : { fd, buf, count: b.length, offset }, () => vfsWrite(this.k, pid, fd, b, offset));
  }

  /** memfd_create(2). */
  memfd_create(pid: number, name: string, flags: number): number {
    return this.run(pid, 'memfd_create', { name, flags }, () => sysMemfdCreate(this.k, pid, name, flags));
  }

  /** ioctl(2): arg is usually a user address (drivers copy_from_user() through it). */
  ioctl(pid: number, fd: number, cmd: number, arg: number): number {
    return this.run(pid, 'ioctl', { fd, cmd: cmd >>> 0, arg }, () => sysIoctl(this.k, pid, fd, cmd, arg));
  }

  /** mmap(2): the address or -errno. */
  mmap(pid: number, addr: number, length: number, prot: number, flags: number, fd: number, offset: number): number {
    return this.run(pid, 'mmap', { addr, length, prot, flags, fd, offset }, () => sysMmap(this.k, pid, addr, length, prot, flags, fd, offset));
  }

  mprotect(pid: number, addr: number, len: number, prot: number): number {
    return this.run(pid, 'mprotect', { addr, len, prot }, () => sysMprotect(this.k, pid, addr, len, prot));
  }

  munmap(pid: number, addr: number, len: number): number {
    return this.run(pid, 'munmap', { addr, len }, () => sysMunmap(this.k, pid, addr, len));
  }

  /** remap_file_pages(2): 0 or -errno (mm/mmap.c; deprecated, emulated with do_mmap()). */
  remapFilePages(pid: number, start: number, size: number, prot: number, pgoff: number, flags: number): number {
    return this.run(pid, 'remap_file_pages', { start, size, prot, pgoff, flags }, () => sysRemapFilePages(this.k, pid, start, size, prot, pgoff, flags));
  }

  /** brk(2): the new break, or the current one if the request failed (brk(0) queries). */
  brk(pid: number, addr: number): number {
    return this.run(pid, 'brk', { addr }, () => sysBrk(this.k, pid, addr));
  }

  /** personality(2): the previous persona; 0xffffffff only queries (kernel/exec_domain.c). */
  personality(pid: number, persona: number): number {
    return this.run(pid, 'personality', { persona }, () => {
      const old = this.k.task(pid).personality;
      if (persona >>> 0 !== PERSONALITY_QUERY) this.k.setPersonality(pid, persona >>> 0);
      return old;
    });
  }

  /**
   * SCM_RIGHTS: pass fd of fromPid to toPid (scm_detach_fds() -> receive_fd(): security_file_receive()
   * in the receiver, then the lowest free fd). Traced as a 'recvmsg' of the receiver.
   */
  passFd(fromPid: number, fd: number, toPid: number): number {
    return this.run(toPid, 'recvmsg', { from: fromPid, fd }, () => {
      const f = this.k.fdFile(fromPid, fd);
      if (!f) return -EBADF;
      const sec = securityFileReceive(this.k, toPid, f.id);
      if (sec) return sec;
      return installFd(this.k, toPid, f.id, false);
    });
  }
}
