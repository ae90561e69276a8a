// VMA split and merge (mm/mmap.c, Linux 6.1: __split_vma(), split_vma(), vma_merge(),
// is_mergeable_vma(), is_mergeable_anon_vma(), can_vma_merge_before/after()).
import type { Kernel } from '../kernel/kernel.js';
import type { Mm } from './mm.js';
import { type Vma, withFields, vmaPages } from './vma.js';
import { VM_SOFTDIRTY, VM_SPECIAL, VM_ACCESS_FLAGS } from '../abi/vm_flags.js';
import { ENOMEM } from '../abi/errno.js';
import { PAGE_SIZE } from '../abi/page.js';

/**
 * is_mergeable_vma(): same flags (VM_SOFTDIRTY aside; the pkey is part of vm_flags), same struct
 * file, no ->close, same anon name.
 */
export function isMergeableVma(v: Vma, file: number | null, flags: number, anonName: string | null, pkey: number): boolean {
  if (((v.flags ^ flags) & ~VM_SOFTDIRTY) !== 0) return false;
  if (v.pkey !== pkey) return false;
  if (v.file !== file) return false;
  if (v.ops?.close) return false;
  if (v.anonName !== anonName) return false;
  return true;
}

/**
 * is_mergeable_anon_vma(src anon_vma, existing VMA). 6.1: if either is NULL, mergeable only when
 * the existing VMA's anon_vma_chain is singular, i.e. the existing VMA has an anon_vma (no fork is
 * modelled, so a chain is empty or singular); otherwise they must be equal. 6.12+ also merges a
 * faulted range into an unfaulted VMA (the anon_vma is duplicated).
 */
export function anonCompatible(k: Kernel, srcAnon: number | null, tgt: Vma): boolean {
  const tgtAnon = tgt.anonVma;
  if (srcAnon === null || tgtAnon === null) {
    if (tgtAnon !== null) return true; // singular chain
    if (srcAnon === null) return true; // both NULL: "anon_vma1 == anon_vma2"
    return k.config.features.mergeAnonVmaIntoUnfaulted;
  }
  return srcAnon === tgtAnon;
}

/** is_mergeable_anon_vma(prev->anon_vma, next->anon_vma, NULL): either NULL, or equal. */
function anonPairCompatible(a: number | null, b: number | null): boolean {
  return a === null || b === null || a === b;
}

export interface MergeSpec {
  flags: number;
  anonVma: number | null;
  file: number | null;
  pgoff: number;
  anonName: string | null;
  pkey: number;
}

/** can_vma_merge_before(): `next` can absorb [.., next->vm_start) whose pgoff ends at next's. */
export function canMergeBefore(k: Kernel, next: Vma, s: MergeSpec, pgoffAfter: number): boolean {
  return isMergeableVma(next, s.file, s.flags, s.anonName, s.pkey) && anonCompatible(k, s.anonVma, next) && next.pgoff === pgoffAfter;
}

/** can_vma_merge_after(): `prev` can absorb [prev->vm_end, ..) starting at pgoff. */
export function canMergeAfter(k: Kernel, prev: Vma, s: MergeSpec): boolean {
  return isMergeableVma(prev, s.file, s.flags, s.anonName, s.pkey) && anonCompatible(k, s.anonVma, prev) && prev.pgoff + vmaPages(prev) === s.pgoff;
}

/** Remove a VMA that a merge absorbed (__vma_adjust remove_next: fput of its file). */
function dropAbsorbed(k: Kernel, mm: Mm, v: Vma): void {
  mm.vmas.remove(v);
  if (v.file !== null) k.putFile(v.file);
}

/**
 * vma_merge() for an existing range [addr, end) (mprotect and friends). `prev` is the VMA before
 * addr, or the VMA containing addr when addr is inside it. Returns the merged VMA or null.
 */
export function vmaMerge(k: Kernel, mm: Mm, prev: Vma | null, addr: number, end: number, s: MergeSpec): Vma | null {
  if (s.flags & VM_SPECIAL) return null;
  const pglen = (end - addr) / PAGE_SIZE;
  let next = mm.vmas.find(prev ? prev.end : 0) ?? null;
  const mid = next;
  if (next && next.end === end) next = mm.vmas.find(next.end) ?? null; // cases 6, 7, 8
  const mergePrev = !!prev && prev.end === addr && canMergeAfter(k, prev, s);
  const mergeNext = !!next && end === next.start && canMergeBefore(k, next, s, s.pgoff + pglen);

  if (mergePrev && mergeNext && anonPairCompatible(prev!.anonVma, next!.anonVma)) {
    // cases 1, 6: prev absorbs [addr, end) (mid, when it is that range) and next.
    const anon = prev!.anonVma ?? (mid && mid !== next && mid.start < end ? mid.anonVma : null) ?? next!.anonVma;
    if (mid && mid !== next && mid.start >= addr && mid.end <= end) dropAbsorbed(k, mm, mid);
    dropAbsorbed(k, mm, next!);
    const res = withFields(prev!, { end: next!.end, anonVma: anon });
    mm.vmas.replace(prev!, res);
    return res;
  }
  if (mergePrev) {
    // cases 2, 5, 7
    let anon = prev!.anonVma;
    if (mid && mid.start < end && mid.start >= addr) {
      anon = anon ?? mid.anonVma;
      if (mid.end === end) {
        dropAbsorbed(k, mm, mid); // case 7
      } else {
        // case 5: mid keeps [end, mid->vm_end)
        mm.vmas.replace(mid, withFields(mid, { start: end, pgoff: mid.pgoff + (end - mid.start) / PAGE_SIZE }));
      }
    }
    const res = withFields(prev!, { end, anonVma: anon });
    mm.vmas.replace(prev!, res);
    return res;
  }
  if (mergeNext) {
    if (prev && addr < prev.end) {
      // case 4: prev keeps [prev->vm_start, addr), next grows down to addr (importing prev's anon_vma)
      const anon = next!.anonVma ?? prev.anonVma;
      mm.vmas.replace(prev, withFields(prev, { end: addr }));
      const res = withFields(next!, { start: addr, pgoff: next!.pgoff - pglen, anonVma: anon });
      mm.vmas.replace(next!, res);
      return res;
    }
    // cases 3, 8
    let anon = next!.anonVma;
    if (mid && mid !== next && mid.start >= addr && mid.end <= end) {
      anon = anon ?? mid.anonVma;
      dropAbsorbed(k, mm, mid);
    }
    const res = withFields(next!, { start: addr, pgoff: next!.pgoff - pglen, anonVma: anon });
    mm.vmas.replace(next!, res);
    return res;
  }
  return null;
}

/**
 * __split_vma(): split v at addr; both halves keep file (get_file), anon_vma and ops; the new
 * half gets ->open(). Returns [lower, upper] or -errno (->may_split).
 */
export function splitVmaUnchecked(k: Kernel, pid: number, mm: Mm, v: Vma, addr: number): [Vma, Vma] | number {
  if (v.ops?.may_split) {
    const err = v.ops.may_split(k, pid, v, addr);
    if (err) return err;
  }
  const lower = withFields(v, { end: addr });
  const upper = withFields(v, { start: addr, pgoff: v.pgoff + (addr - v.start) / PAGE_SIZE });
  mm.vmas.remove(v);
  mm.vmas.insert(lower);
  mm.vmas.insert(upper);
  if (v.file !== null) k.getFile(v.file);
  // new_below == 0: the new VMA is the upper half.
  if (upper.ops?.open) upper.ops.open(k, pid, upper);
  return [lower, upper];
}

/** split_vma(): refuses with -ENOMEM at the map count limit. */
export function splitVma(k: Kernel, pid: number, mm: Mm, v: Vma, addr: number): [Vma, Vma] | number {
  if (mm.mapCount >= k.config.maxMapCount) return -ENOMEM;
  return splitVmaUnchecked(k, pid, mm, v, addr);
}

/** anon_vma_compatible() (mm/mmap.c): adjacent, same file, flags equal but for access bits, contiguous pgoff. */
function anonVmaCompatible(a: Vma, b: Vma): boolean {
  return (
    a.end === b.start &&
    a.file === b.file &&
    ((a.flags ^ b.flags) & ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY)) === 0 &&
    a.pkey === b.pkey &&
    b.pgoff === a.pgoff + (b.start - a.start) / PAGE_SIZE
  );
}

/**
 * anon_vma_prepare() / find_mergeable_anon_vma() (mm/rmap.c, mm/mmap.c): the first anonymous page
 * of a VMA reuses a compatible neighbour's anon_vma (next first, then prev) so that mprotect can
 * merge them again later; otherwise a new anon_vma. Returns the VMA as now stored.
 */
export function anonVmaPrepare(k: Kernel, mm: Mm, v: Vma): Vma {
  if (v.anonVma !== null) return v;
  let anon: number | null = null;
  const next = mm.vmas.nextAfter(v.start);
  if (next && anonVmaCompatible(v, next) && next.anonVma !== null) anon = next.anonVma;
  if (anon === null) {
    const prev = mm.vmas.prevOf(v.start);
    if (prev && anonVmaCompatible(prev, v) && prev.anonVma !== null) anon = prev.anonVma;
  }
  const res = withFields(v, { anonVma: anon ?? k.newAnonVma() });
  mm.vmas.replace(v, res);
  return res;
}
