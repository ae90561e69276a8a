// errno values for x86-64 Linux (include/uapi/asm-generic/errno-base.h, errno.h) and the
// kernel-internal codes of include/linux/errno.h that never reach userspace as such.
// Kernel functions in the model return 0/positive or a negative errno (`-EACCES`), exactly as the
// syscall body returns to the syscall exit path.

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const ENOEXEC = 8;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const ENOTBLK = 15;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const ENOTTY = 25;
export const ETXTBSY = 26;
export const EFBIG = 27;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const EROFS = 30;
export const EMLINK = 31;
export const EPIPE = 32;
export const EDOM = 33;
export const ERANGE = 34;
export const EDEADLK = 35;
export const ENAMETOOLONG = 36;
export const ENOLCK = 37;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
export const ELOOP = 40;
export const ENOMSG = 42;
export const ENODATA = 61;
export const EOVERFLOW = 75;
export const EBADFD = 77;
export const EOPNOTSUPP = 95;
export const ENOTSUP = EOPNOTSUPP;
export const ETIMEDOUT = 110;
export const ECANCELED = 125;
export const EHWPOISON = 133;

// include/linux/errno.h: "These should never be seen by user programs."
export const ERESTARTSYS = 512;
export const ERESTARTNOINTR = 513;
/** restart if no handler. */
export const ERESTARTNOHAND = 514;
/** No ioctl command: vfs_ioctl() turns it into ENOTTY (fs/ioctl.c). */
export const ENOIOCTLCMD = 515;
export const ERESTART_RESTARTBLOCK = 516;

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [ESRCH]: 'ESRCH', [EINTR]: 'EINTR', [EIO]: 'EIO',
  [ENXIO]: 'ENXIO', [E2BIG]: 'E2BIG', [ENOEXEC]: 'ENOEXEC', [EBADF]: 'EBADF', [ECHILD]: 'ECHILD',
  [EAGAIN]: 'EAGAIN', [ENOMEM]: 'ENOMEM', [EACCES]: 'EACCES', [EFAULT]: 'EFAULT',
  [ENOTBLK]: 'ENOTBLK', [EBUSY]: 'EBUSY', [EEXIST]: 'EEXIST', [EXDEV]: 'EXDEV',
  [ENODEV]: 'ENODEV', [ENOTDIR]: 'ENOTDIR', [EISDIR]: 'EISDIR', [EINVAL]: 'EINVAL',
  [ENFILE]: 'ENFILE', [EMFILE]: 'EMFILE', [ENOTTY]: 'ENOTTY', [ETXTBSY]: 'ETXTBSY',
  [EFBIG]: 'EFBIG', [ENOSPC]: 'ENOSPC', [ESPIPE]: 'ESPIPE', [EROFS]: 'EROFS', [EMLINK]: 'EMLINK',
  [EPIPE]: 'EPIPE', [EDOM]: 'EDOM', [ERANGE]: 'ERANGE', [EDEADLK]: 'EDEADLK',
  [ENAMETOOLONG]: 'ENAMETOOLONG', [ENOLCK]: 'ENOLCK', [ENOSYS]: 'ENOSYS',
  [ENOTEMPTY]: 'ENOTEMPTY', [ELOOP]: 'ELOOP', [ENOMSG]: 'ENOMSG', [ENODATA]: 'ENODATA',
  [EOVERFLOW]: 'EOVERFLOW', [EBADFD]: 'EBADFD', [EOPNOTSUPP]: 'EOPNOTSUPP',
  [ETIMEDOUT]: 'ETIMEDOUT', [ECANCELED]: 'ECANCELED', [EHWPOISON]: 'EHWPOISON',
  [ERESTARTSYS]: 'ERESTARTSYS', [ERESTARTNOINTR]: 'ERESTARTNOINTR',
  [ERESTARTNOHAND]: 'ERESTARTNOHAND', [ENOIOCTLCMD]: 'ENOIOCTLCMD',
  [ERESTART_RESTARTBLOCK]: 'ERESTART_RESTARTBLOCK',
};

const BY_NAME: Record<string, number> = Object.fromEntries(Object.entries(NAMES).map(([n, s]) => [s, Number(n)]));
BY_NAME.ENOTSUP = ENOTSUP;

/** 'EACCES' for 13 (or -13); `E<n>` for an unknown number. */
export function errnoName(e: number): string {
  const n = Math.abs(e);
  return NAMES[n] ?? `E${n}`;
}

/** 13 for 'EACCES'; undefined for an unknown name. */
export function errnoByName(name: string): number | undefined {
  return BY_NAME[name];
}

/** True if a syscall return value is an error (-4095..-1, IS_ERR_VALUE in include/linux/err.h). */
export function isErr(ret: number): boolean {
  return ret < 0 && ret >= -4095;
}

/**
 * What userspace sees for a kernel return value (the -errno it would find in errno, or the
 * value itself). Kernel-internal restart codes are resolved as the signal-delivery path does
 * (arch/x86/kernel/signal.c handle_signal()): with a handler installed, -ERESTARTSYS becomes
 * -EINTR unless the handler has SA_RESTART (then the syscall is restarted: reported as
 * 'restart'); -ERESTARTNOHAND and -ERESTART_RESTARTBLOCK become -EINTR; -ERESTARTNOINTR always
 * restarts. Without a handler (signal ignored or default-non-fatal) every restart code restarts.
 * -ENOIOCTLCMD is turned into -ENOTTY inside vfs_ioctl() already, so it does not reach here
 * from ioctl(2); any other path that leaks it is shown as ENOTTY too (include/linux/errno.h).
 */
export function userspaceResult(ret: number, signal: { handler: boolean; saRestart: boolean } = { handler: true, saRestart: false }): number | 'restart' {
  switch (-ret) {
    case ERESTARTSYS:
      if (!signal.handler) return 'restart';
      return signal.saRestart ? 'restart' : -EINTR;
    case ERESTARTNOHAND:
    case ERESTART_RESTARTBLOCK:
      return signal.handler ? -EINTR : 'restart';
    case ERESTARTNOINTR:
      return 'restart';
    case ENOIOCTLCMD:
      return -ENOTTY;
    default:
      return ret;
  }
}

/** Render a return value strace-style: `0`, `0x7f...` is left to callers; errors as `-1 EACCES`. */
export function formatReturn(ret: number, hex = false): string {
  if (isErr(ret)) return `-1 ${errnoName(ret)}`;
  return hex ? '0x' + ret.toString(16) : String(ret);
}
