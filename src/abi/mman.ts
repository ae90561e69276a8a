// mmap/mprotect constants for x86-64 (include/uapi/asm-generic/mman-common.h, mman.h,
// include/uapi/linux/mman.h, arch/x86/include/uapi/asm/mman.h).

export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;
export const PROT_SEM = 0x8;
export const PROT_GROWSDOWN = 0x01000000;
export const PROT_GROWSUP = 0x02000000;

export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_SHARED_VALIDATE = 0x03;
/** MAP_DROPPABLE (Linux 6.11+), a MAP_TYPE value. */
export const MAP_DROPPABLE = 0x08;
export const MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_32BIT = 0x40;
export const MAP_GROWSDOWN = 0x0100;
export const MAP_DENYWRITE = 0x0800;
export const MAP_EXECUTABLE = 0x1000;
export const MAP_LOCKED = 0x2000;
export const MAP_NORESERVE = 0x4000;
export const MAP_POPULATE = 0x8000;
export const MAP_NONBLOCK = 0x10000;
export const MAP_STACK = 0x20000;
export const MAP_HUGETLB = 0x40000;
export const MAP_SYNC = 0x80000;
export const MAP_FIXED_NOREPLACE = 0x100000;
export const MAP_UNINITIALIZED = 0x4000000;
export const MAP_HUGE_SHIFT = 26;
export const MAP_HUGE_MASK = 0x3f;
export const MAP_HUGE_2MB = 21 << MAP_HUGE_SHIFT;
export const MAP_HUGE_1GB = 30 << MAP_HUGE_SHIFT;

/** include/linux/mman.h LEGACY_MAP_MASK: flags MAP_SHARED silently accepts. */
export const LEGACY_MAP_MASK =
  MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_UNINITIALIZED |
  MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB |
  MAP_32BIT | MAP_HUGE_2MB | MAP_HUGE_1GB;

/** The MAP_FAILED value as the syscall returns it is a negative errno; userspace sees (void *)-1. */

const PROT_NAMES: [number, string][] = [
  [PROT_READ, 'PROT_READ'],
  [PROT_WRITE, 'PROT_WRITE'],
  [PROT_EXEC, 'PROT_EXEC'],
  [PROT_SEM, 'PROT_SEM'],
  [PROT_GROWSDOWN, 'PROT_GROWSDOWN'],
  [PROT_GROWSUP, 'PROT_GROWSUP'],
];

const MAP_FLAG_NAMES: [number, string][] = [
  [MAP_FIXED, 'MAP_FIXED'],
  [MAP_ANONYMOUS, 'MAP_ANONYMOUS'],
  [MAP_32BIT, 'MAP_32BIT'],
  [MAP_GROWSDOWN, 'MAP_GROWSDOWN'],
  [MAP_DENYWRITE, 'MAP_DENYWRITE'],
  [MAP_EXECUTABLE, 'MAP_EXECUTABLE'],
  [MAP_LOCKED, 'MAP_LOCKED'],
  [MAP_NORESERVE, 'MAP_NORESERVE'],
  [MAP_POPULATE, 'MAP_POPULATE'],
  [MAP_NONBLOCK, 'MAP_NONBLOCK'],
  [MAP_STACK, 'MAP_STACK'],
  [MAP_HUGETLB, 'MAP_HUGETLB'],
  [MAP_SYNC, 'MAP_SYNC'],
  [MAP_FIXED_NOREPLACE, 'MAP_FIXED_NOREPLACE'],
  [MAP_UNINITIALIZED, 'MAP_UNINITIALIZED'],
];

/** strace-style `PROT_READ|PROT_WRITE` (or `PROT_NONE`). */
export function protToString(prot: number): string {
  if (prot === 0) return 'PROT_NONE';
  const out: string[] = [];
  let rest = prot >>> 0;
  for (const [bit, name] of PROT_NAMES) {
    if (rest & bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest) out.push('0x' + rest.toString(16));
  return out.join('|');
}

/** strace-style `MAP_PRIVATE|MAP_ANONYMOUS`. */
export function mapFlagsToString(flags: number): string {
  const type = flags & MAP_TYPE;
  const out: string[] = [];
  out.push(
    type === MAP_SHARED ? 'MAP_SHARED' : type === MAP_PRIVATE ? 'MAP_PRIVATE' : type === MAP_SHARED_VALIDATE ? 'MAP_SHARED_VALIDATE' : type === MAP_DROPPABLE ? 'MAP_DROPPABLE' : '0x' + type.toString(16),
  );
  let rest = (flags & ~MAP_TYPE) >>> 0;
  for (const [bit, name] of MAP_FLAG_NAMES) {
    if (rest & bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest) out.push('0x' + rest.toString(16));
  return out.join('|');
}
