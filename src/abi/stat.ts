// inode mode bits (include/uapi/linux/stat.h), inode i_flags (include/linux/fs.h S_*),
// superblock flags (include/linux/fs.h SB_*, SB_I_*) and mount flags (include/linux/mount.h MNT_*).

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export const S_ISREG = (m: number): boolean => (m & S_IFMT) === S_IFREG;
export const S_ISDIR = (m: number): boolean => (m & S_IFMT) === S_IFDIR;
export const S_ISCHR = (m: number): boolean => (m & S_IFMT) === S_IFCHR;
export const S_ISBLK = (m: number): boolean => (m & S_IFMT) === S_IFBLK;
export const S_ISLNK = (m: number): boolean => (m & S_IFMT) === S_IFLNK;
export const S_ISSOCK = (m: number): boolean => (m & S_IFMT) === S_IFSOCK;

// inode->i_flags
export const S_SYNC = 1 << 0;
export const S_NOATIME = 1 << 1;
export const S_APPEND = 1 << 2;
export const S_IMMUTABLE = 1 << 3;
export const S_DEAD = 1 << 4;
export const S_NOQUOTA = 1 << 5;
export const S_DIRSYNC = 1 << 6;
export const S_NOCMTIME = 1 << 7;
export const S_SWAPFILE = 1 << 8;
/** "Inode is fs-internal": no LSM inode checks (IS_PRIVATE). */
export const S_PRIVATE = 1 << 9;

// super_block->s_flags
export const SB_RDONLY = 1;
export const SB_NOSUID = 2;
export const SB_NODEV = 4;
export const SB_NOEXEC = 8;
export const SB_KERNMOUNT = 1 << 22;
// super_block->s_iflags
export const SB_I_CGROUPWB = 0x00000001;
export const SB_I_NOEXEC = 0x00000002;
export const SB_I_NODEV = 0x00000004;

// vfsmount->mnt_flags
export const MNT_NOSUID = 0x01;
export const MNT_NODEV = 0x02;
export const MNT_NOEXEC = 0x04;
export const MNT_NOATIME = 0x08;
export const MNT_NODIRATIME = 0x10;
export const MNT_RELATIME = 0x20;
export const MNT_READONLY = 0x40;

/** MKDEV/MAJOR/MINOR of the kernel-internal dev_t (include/linux/kdev_t.h: MINORBITS 20). */
export const MINORBITS = 20;
export const MKDEV = (major: number, minor: number): number => major * (1 << MINORBITS) + minor;
export const MAJOR = (dev: number): number => Math.floor(dev / (1 << MINORBITS));
export const MINOR = (dev: number): number => dev % (1 << MINORBITS);
