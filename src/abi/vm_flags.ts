// vm_area_struct::vm_flags bits with their Linux values (include/linux/mm.h, Linux 6.1, x86-64).
// Bits above 31 (VM_HIGH_ARCH_*, the x86 protection-key bits) are kept outside vm_flags in the
// model (Vma.pkey), so every value here fits a JS 32-bit operation; use `>>> 0` after `|`/`~`.

export const VM_NONE = 0x00000000;
export const VM_READ = 0x00000001;
export const VM_WRITE = 0x00000002;
export const VM_EXEC = 0x00000004;
export const VM_SHARED = 0x00000008;
// "mprotect() hardcodes VM_MAYREAD >> 4 == VM_READ, and so for r/w/x bits."
export const VM_MAYREAD = 0x00000010;
export const VM_MAYWRITE = 0x00000020;
export const VM_MAYEXEC = 0x00000040;
export const VM_MAYSHARE = 0x00000080;
export const VM_GROWSDOWN = 0x00000100;
export const VM_UFFD_MISSING = 0x00000200;
export const VM_PFNMAP = 0x00000400;
export const VM_UFFD_WP = 0x00001000;
export const VM_LOCKED = 0x00002000;
export const VM_IO = 0x00004000;
export const VM_SEQ_READ = 0x00008000;
export const VM_RAND_READ = 0x00010000;
export const VM_DONTCOPY = 0x00020000;
export const VM_DONTEXPAND = 0x00040000;
export const VM_LOCKONFAULT = 0x00080000;
export const VM_ACCOUNT = 0x00100000;
export const VM_NORESERVE = 0x00200000;
export const VM_HUGETLB = 0x00400000;
export const VM_SYNC = 0x00800000;
/** VM_ARCH_1; on x86 VM_PAT. */
export const VM_PAT = 0x01000000;
export const VM_WIPEONFORK = 0x02000000;
export const VM_DONTDUMP = 0x04000000;
export const VM_SOFTDIRTY = 0x08000000;
export const VM_MIXEDMAP = 0x10000000;
export const VM_HUGEPAGE = 0x20000000;
export const VM_NOHUGEPAGE = 0x40000000;
/** VM_GROWSUP is VM_NONE on x86. */
export const VM_GROWSUP = VM_NONE;

export const VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;
/** "Special vmas that are non-mergable, non-mlock()able." */
export const VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
export const VM_MAY_FLAGS = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

/** Default protection key (arch/x86/include/asm/pkeys.h ARCH_DEFAULT_PKEY). */
export const ARCH_DEFAULT_PKEY = 0;

const VM_NAMES: [number, string][] = [
  [VM_READ, 'VM_READ'],
  [VM_WRITE, 'VM_WRITE'],
  [VM_EXEC, 'VM_EXEC'],
  [VM_SHARED, 'VM_SHARED'],
  [VM_MAYREAD, 'VM_MAYREAD'],
  [VM_MAYWRITE, 'VM_MAYWRITE'],
  [VM_MAYEXEC, 'VM_MAYEXEC'],
  [VM_MAYSHARE, 'VM_MAYSHARE'],
  [VM_GROWSDOWN, 'VM_GROWSDOWN'],
  [VM_UFFD_MISSING, 'VM_UFFD_MISSING'],
  [VM_PFNMAP, 'VM_PFNMAP'],
  [VM_UFFD_WP, 'VM_UFFD_WP'],
  [VM_LOCKED, 'VM_LOCKED'],
  [VM_IO, 'VM_IO'],
  [VM_SEQ_READ, 'VM_SEQ_READ'],
  [VM_RAND_READ, 'VM_RAND_READ'],
  [VM_DONTCOPY, 'VM_DONTCOPY'],
  [VM_DONTEXPAND, 'VM_DONTEXPAND'],
  [VM_LOCKONFAULT, 'VM_LOCKONFAULT'],
  [VM_ACCOUNT, 'VM_ACCOUNT'],
  [VM_NORESERVE, 'VM_NORESERVE'],
  [VM_HUGETLB, 'VM_HUGETLB'],
  [VM_SYNC, 'VM_SYNC'],
  [VM_PAT, 'VM_PAT'],
  [VM_WIPEONFORK, 'VM_WIPEONFORK'],
  [VM_DONTDUMP, 'VM_DONTDUMP'],
  [VM_SOFTDIRTY, 'VM_SOFTDIRTY'],
  [VM_MIXEDMAP, 'VM_MIXEDMAP'],
  [VM_HUGEPAGE, 'VM_HUGEPAGE'],
  [VM_NOHUGEPAGE, 'VM_NOHUGEPAGE'],
];

/** `VM_READ|VM_MAYREAD|...` */
export function vmFlagsToString(flags: number): string {
  const out: string[] = [];
  for (const [bit, name] of VM_NAMES) if (flags & bit) out.push(name);
  return out.length ? out.join('|') : 'VM_NONE';
}

/**
 * The two-letter mnemonics of /proc/PID/smaps "VmFlags:" (fs/proc/task_mmu.c show_smap_vma_flags()).
 */
export function vmFlagsMnemonics(flags: number): string {
  const m: [number, string][] = [
    [VM_READ, 'rd'], [VM_WRITE, 'wr'], [VM_EXEC, 'ex'], [VM_SHARED, 'sh'], [VM_MAYREAD, 'mr'],
    [VM_MAYWRITE, 'mw'], [VM_MAYEXEC, 'me'], [VM_MAYSHARE, 'ms'], [VM_GROWSDOWN, 'gd'],
    [VM_PFNMAP, 'pf'], [VM_LOCKED, 'lo'], [VM_IO, 'io'], [VM_SEQ_READ, 'sr'], [VM_RAND_READ, 'rr'],
    [VM_DONTCOPY, 'dc'], [VM_DONTEXPAND, 'de'], [VM_LOCKONFAULT, 'lf'], [VM_ACCOUNT, 'ac'],
    [VM_NORESERVE, 'nr'], [VM_HUGETLB, 'ht'], [VM_SYNC, 'sf'], [VM_PAT, 'pt'], [VM_WIPEONFORK, 'wf'],
    [VM_DONTDUMP, 'dd'], [VM_SOFTDIRTY, 'sd'], [VM_MIXEDMAP, 'mm'], [VM_HUGEPAGE, 'hg'],
    [VM_NOHUGEPAGE, 'nh'], [VM_UFFD_MISSING, 'um'], [VM_UFFD_WP, 'uw'],
  ];
  return m.filter(([b]) => flags & b).map(([, s]) => s).join(' ');
}
