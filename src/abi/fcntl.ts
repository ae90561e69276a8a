// open(2) flags for x86-64 (include/uapi/asm-generic/fcntl.h), file mode bits
// (include/linux/fs.h FMODE_*), MAY_* permission masks (include/linux/fs.h) and memfd flags
// (include/uapi/linux/memfd.h).

export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const FASYNC = 0o20000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
export const O_TMPFILE = 0o20000000 | O_DIRECTORY;

// struct file f_mode bits (include/linux/fs.h).
export const FMODE_READ = 0x1;
export const FMODE_WRITE = 0x2;
export const FMODE_LSEEK = 0x4;
export const FMODE_PREAD = 0x8;
export const FMODE_PWRITE = 0x10;
export const FMODE_EXEC = 0x20;
export const FMODE_ATOMIC_POS = 0x8000;
export const FMODE_WRITER = 0x10000;
export const FMODE_CAN_READ = 0x20000;
export const FMODE_CAN_WRITE = 0x40000;
export const FMODE_OPENED = 0x80000;
export const FMODE_CREATED = 0x100000;

/** OPEN_FMODE() in include/linux/fs.h: O_RDONLY -> FMODE_READ, O_WRONLY -> FMODE_WRITE, O_RDWR -> both, 3 -> neither. */
export function openFmode(flags: number): number {
  return (flags + 1) & O_ACCMODE;
}

// inode_permission() masks (include/linux/fs.h).
export const MAY_EXEC = 0x1;
export const MAY_WRITE = 0x2;
export const MAY_READ = 0x4;
export const MAY_APPEND = 0x8;
export const MAY_ACCESS = 0x10;
export const MAY_OPEN = 0x20;
export const MAY_CHDIR = 0x40;
export const MAY_NOT_BLOCK = 0x80;

/** ACC_MODE() in fs/open.c build_open_flags(): "\004\002\006\006"[flags & O_ACCMODE]. */
export function accMode(flags: number): number {
  return [MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE, MAY_READ | MAY_WRITE][flags & O_ACCMODE];
}

// memfd_create(2) flags (include/uapi/linux/memfd.h).
export const MFD_CLOEXEC = 0x1;
export const MFD_ALLOW_SEALING = 0x2;
export const MFD_HUGETLB = 0x4;
/** Linux 6.3+. */
export const MFD_NOEXEC_SEAL = 0x8;
/** Linux 6.3+. */
export const MFD_EXEC = 0x10;
export const MFD_HUGE_SHIFT = 26;
export const MFD_HUGE_MASK = 0x3f;
/** mm/memfd.c: NAME_MAX - strlen("memfd:"). */
export const MFD_NAME_MAX_LEN = 255 - 6;

// ioctls handled by do_vfs_ioctl() itself (include/uapi/asm-generic/ioctls.h).
export const FIONCLEX = 0x5450;
export const FIOCLEX = 0x5451;

const O_NAMES: [number, string][] = [
  [O_CREAT, 'O_CREAT'],
  [O_EXCL, 'O_EXCL'],
  [O_NOCTTY, 'O_NOCTTY'],
  [O_TRUNC, 'O_TRUNC'],
  [O_APPEND, 'O_APPEND'],
  [O_NONBLOCK, 'O_NONBLOCK'],
  [O_DSYNC, 'O_DSYNC'],
  [O_DIRECT, 'O_DIRECT'],
  [O_LARGEFILE, 'O_LARGEFILE'],
  [O_DIRECTORY, 'O_DIRECTORY'],
  [O_NOFOLLOW, 'O_NOFOLLOW'],
  [O_NOATIME, 'O_NOATIME'],
  [O_CLOEXEC, 'O_CLOEXEC'],
  [O_PATH, 'O_PATH'],
];

/** strace-style `O_RDWR|O_CLOEXEC`. */
export function openFlagsToString(flags: number): string {
  const acc = flags & O_ACCMODE;
  const out = [acc === O_RDONLY ? 'O_RDONLY' : acc === O_WRONLY ? 'O_WRONLY' : acc === O_RDWR ? 'O_RDWR' : 'O_ACCMODE'];
  let rest = (flags & ~O_ACCMODE) >>> 0;
  for (const [bit, name] of O_NAMES) {
    if (rest & bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest) out.push('0' + rest.toString(8));
  return out.join('|');
}
