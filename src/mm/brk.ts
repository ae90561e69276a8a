// brk(2) (mm/mmap.c SYSCALL_DEFINE1(brk), do_brk_flags(), Linux 6.1). Returns the new break, or
// the old one on failure (brk never returns an errno).
import type { Kernel } from '../kernel/kernel.js';
import { type Vma, vmStartGap, withFields } from './vma.js';
import { canMergeAfter } from './vma_ops.js';
import { doMunmap, getUnmappedArea, noteWritable } from './mmap.js';
import { isErr } from '../abi/errno.js';
import { MAP_FIXED } from '../abi/mman.js';
import { VM_READ, VM_WRITE, VM_EXEC, VM_MAYREAD, VM_MAYWRITE, VM_MAYEXEC, VM_ACCOUNT } from '../abi/vm_flags.js';
import { READ_IMPLIES_EXEC } from '../abi/personality.js';
import { PAGE_SIZE, STACK_GUARD_GAP, pageUp } from '../abi/page.js';

/** VM_DATA_DEFAULT_FLAGS on x86-64: VM_DATA_FLAGS_TSK_EXEC. */
export function vmDataDefaultFlags(personality: number): number {
  return VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | (personality & READ_IMPLIES_EXEC ? VM_EXEC : 0);
}

export function sysBrk(k: Kernel, pid: number, brk: number): number {
  const mm0 = k.mm(pid);
  const origbrk = mm0.brk;
  if (!Number.isSafeInteger(brk) || brk < 0) return origbrk;
  // CONFIG_COMPAT_BRK is off: min_brk = start_brk.
  if (brk < mm0.startBrk) return origbrk;
  // check_data_rlimit(): RLIMIT_DATA is unlimited in the model.
  const newbrk = pageUp(brk);
  const oldbrk = pageUp(mm0.brk);
  if (oldbrk === newbrk) {
    k.mmMut(pid).brk = brk;
    return brk;
  }
  // "Always allow shrinking brk."
  if (brk <= mm0.brk) {
    const brkvma = mm0.vmas.find(newbrk);
    if (!brkvma || brkvma.start >= oldbrk) return origbrk; // "mapping intersects with an existing non-brk vma"
    k.mmMut(pid).brk = brk;
    if (doMunmap(k, pid, newbrk, oldbrk - newbrk) === 0) return brk;
    k.mmMut(pid).brk = origbrk;
    return origbrk;
  }
  // check_brk_limits(): get_unmapped_area(NULL, oldbrk, len, 0, MAP_FIXED) (runs security_mmap_addr()).
  const chk = getUnmappedArea(k, pid, null, oldbrk, newbrk - oldbrk, 0, MAP_FIXED);
  if (isErr(chk)) return origbrk;
  // "Only check if the next VMA is within the stack_guard_gap of the expansion area"
  const mm = k.mmMut(pid);
  const next = mm.vmas.find(oldbrk);
  if (next && next.start < newbrk - 1 + PAGE_SIZE + STACK_GUARD_GAP + 1 && newbrk + PAGE_SIZE > vmStartGap(next)) return origbrk;
  const prev = mm.vmas.prevOf(oldbrk);
  const brkvma = prev && prev.start >= mm.startBrk ? prev : null;
  // do_brk_flags()
  const len = newbrk - oldbrk;
  if (mm.mapCount > k.config.maxMapCount) return origbrk;
  const flags = vmDataDefaultFlags(k.task(pid).personality) | VM_ACCOUNT;
  let v: Vma;
  if (brkvma && brkvma.end === oldbrk && canMergeAfter(k, brkvma, { flags, anonVma: null, file: null, pgoff: oldbrk / PAGE_SIZE, anonName: null, pkey: 0 })) {
    v = withFields(brkvma, { end: oldbrk + len });
    mm.vmas.replace(brkvma, v);
  } else {
    v = Object.freeze({ start: oldbrk, end: oldbrk + len, flags, pgoff: oldbrk / PAGE_SIZE, file: null, anonVma: null, ops: null, privateData: null, pkey: 0, anonName: null });
    mm.vmas.insert(v);
  }
  noteWritable(k, mm, v, oldbrk, newbrk);
  mm.brk = brk;
  return brk;
}
