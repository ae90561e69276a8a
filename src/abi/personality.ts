// personality(2) flags (include/uapi/linux/personality.h).

export const UNAME26 = 0x0020000;
export const ADDR_NO_RANDOMIZE = 0x0040000;
export const FDPIC_FUNCPTRS = 0x0080000;
export const MMAP_PAGE_ZERO = 0x0100000;
export const ADDR_COMPAT_LAYOUT = 0x0200000;
export const READ_IMPLIES_EXEC = 0x0400000;
export const ADDR_LIMIT_32BIT = 0x0800000;
export const SHORT_INODE = 0x1000000;
export const WHOLE_SECONDS = 0x2000000;
export const STICKY_TIMEOUTS = 0x4000000;
export const ADDR_LIMIT_3GB = 0x8000000;
export const PER_LINUX = 0x0000;
export const PER_MASK = 0x00ff;
/** personality(0xffffffff) only queries (kernel/exec_domain.c). */
export const PERSONALITY_QUERY = 0xffffffff;
