// The VMA tree of an mm (Linux 6.1 keeps VMAs in a maple tree, mm->mm_mt). Here: a sorted-btree
// keyed by vm_start (O(log n) find_vma, O(1) clone), plus an index of the free gaps between VMAs
// so that get_unmapped_area()'s search is O(log n) too (the kernel augments its tree with gap
// sizes; we bucket gaps by size class).
//
// Gaps are the raw holes [prev->vm_end, next->vm_start); the stack guard gap of a VM_GROWSDOWN VMA
// is applied by the searches' retry rule, as unmapped_area{_topdown}() do (6.1.y with "mm/mmap:
// regression fix for unmapped_area{_topdown}"). The space is [0, TASK_SIZE).
import { BTree } from '../kernel/btree.js';
import { TASK_SIZE } from '../abi/page.js';
import { VM_GROWSDOWN } from '../abi/vm_flags.js';
import { type Vma, vmStartGap } from './vma.js';

const NCLASS = 48;

function sizeClass(size: number): number {
  return Math.min(NCLASS - 1, Math.floor(Math.log2(size)));
}

export class VmaTree {
  private byStart: BTree<number, Vma>;
  /** gap start -> gap end (only non-empty gaps). */
  private gaps: BTree<number, number>;
  /** per size class: gap end -> gap start. */
  private classes: BTree<number, number>[];
  /**
   * Which class trees this tree owns. A clone shares the class trees of its source (neither owns
   * them afterwards) and clones one only before changing it, so clone() costs two BTree clones,
   * not NCLASS + 2 (the explorer forks address spaces millions of times).
   */
  private owned: Uint8Array;

  constructor(src?: VmaTree) {
    if (src) {
      this.byStart = src.byStart.clone();
      this.gaps = src.gaps.clone();
      this.classes = src.classes.slice();
      this.owned = new Uint8Array(NCLASS);
      src.owned.fill(0);
    } else {
      this.byStart = new BTree<number, Vma>();
      this.gaps = new BTree<number, number>();
      this.classes = Array.from({ length: NCLASS }, () => new BTree<number, number>());
      this.owned = new Uint8Array(NCLASS).fill(1);
      this.addGap(0, TASK_SIZE);
    }
  }

  /** The class tree, owned by this tree (cloned first if shared). */
  private classMut(c: number): BTree<number, number> {
    if (!this.owned[c]) {
      this.classes[c] = this.classes[c].clone();
      this.owned[c] = 1;
    }
    return this.classes[c];
  }

  clone(): VmaTree {
    return new VmaTree(this);
  }

  get size(): number {
    return this.byStart.size;
  }

  /** find_vma(): the first VMA with vm_end > addr, or undefined. */
  find(addr: number): Vma | undefined {
    const p = this.byStart.getPairOrNextLower(addr);
    if (p && p[1].end > addr) return p[1];
    const n = this.byStart.nextHigherPair(addr);
    return n ? n[1] : undefined;
  }

  /** The VMA containing addr, or undefined. */
  at(addr: number): Vma | undefined {
    const p = this.byStart.getPairOrNextLower(addr);
    return p && p[1].end > addr ? p[1] : undefined;
  }

  /** find_vma_intersection(). */
  intersection(start: number, end: number): Vma | undefined {
    const v = this.find(start);
    return v && v.start < end ? v : undefined;
  }

  /** The VMA that starts exactly at `start`. */
  get(start: number): Vma | undefined {
    return this.byStart.get(start);
  }

  /** The last VMA with vm_start < addr (find_vma_prev()'s prev for an address inside a gap or at a VMA start). */
  prevOf(addr: number): Vma | undefined {
    const p = this.byStart.nextLowerPair(addr);
    return p ? p[1] : undefined;
  }

  /** The first VMA with vm_start > addr. */
  nextAfter(addr: number): Vma | undefined {
    const n = this.byStart.nextHigherPair(addr);
    return n ? n[1] : undefined;
  }

  first(): Vma | undefined {
    const k = this.byStart.minKey();
    return k === undefined ? undefined : this.byStart.get(k);
  }

  /** All VMAs intersecting [start, end), in order. */
  range(start: number, end: number): Vma[] {
    const out: Vma[] = [];
    let v = this.find(start);
    while (v && v.start < end) {
      out.push(v);
      v = this.nextAfter(v.start);
    }
    return out;
  }

  /** Every VMA, in address order. */
  all(): Vma[] {
    return this.byStart.valuesArray();
  }

  *[Symbol.iterator](): IterableIterator<Vma> {
    for (const [, v] of this.byStart.entries()) yield v;
  }

  // --- mutation (callers keep VMAs disjoint) ---

  insert(v: Vma): void {
    if (!(v.start < v.end)) throw new Error(`VmaTree.insert: empty or inverted VMA ${v.start.toString(16)}-${v.end.toString(16)}`);
    const over = this.intersection(v.start, v.end);
    if (over) throw new Error(`VmaTree.insert: ${hex(v.start)}-${hex(v.end)} overlaps ${hex(over.start)}-${hex(over.end)}`);
    const prev = this.prevOf(v.start);
    const next = this.nextAfter(v.start);
    const s0 = prev ? prev.end : 0;
    this.removeGap(s0);
    this.byStart.set(v.start, v);
    this.addGap(s0, v.start);
    this.addGap(v.end, next ? next.start : TASK_SIZE);
  }

  remove(v: Vma): void {
    const cur = this.byStart.get(v.start);
    if (!cur) throw new Error(`VmaTree.remove: no VMA at ${hex(v.start)}`);
    const prev = this.prevOf(v.start);
    const next = this.nextAfter(v.start);
    const s0 = prev ? prev.end : 0;
    this.removeGap(s0);
    this.removeGap(cur.end);
    this.byStart.delete(v.start);
    this.addGap(s0, next ? next.start : TASK_SIZE);
  }

  /** Replace `old` (by its start) with `v` (which may have different bounds but must not overlap others). */
  replace(old: Vma, v: Vma): void {
    if (old.start === v.start && old.end === v.end) {
      this.byStart.set(v.start, v);
      return;
    }
    this.remove(old);
    this.insert(v);
  }

  // --- gaps ---

  private addGap(s: number, e: number): void {
    if (e <= s) return;
    this.gaps.set(s, e);
    this.classMut(sizeClass(e - s)).set(e, s);
  }

  private removeGap(s: number): void {
    const e = this.gaps.get(s);
    if (e === undefined) return;
    this.gaps.delete(s);
    this.classMut(sizeClass(e - s)).delete(e);
  }

  /** Free gaps as [start, end) pairs (for tests). */
  gapList(): [number, number][] {
    return this.gaps.toArray();
  }

  /** The highest a with [a, a+len) inside one raw gap, low <= a, a + len <= high; -1 if none. */
  private highestFit(len: number, low: number, high: number): number {
    if (len <= 0 || high - low < len) return -1;
    let best = -1;
    // The gap straddling `high`.
    const g = this.gaps.getPairOrNextLower(high - 1);
    if (g && g[1] > high - 1 && g[0] < high) {
      const a = Math.min(g[1], high) - len;
      if (a >= Math.max(g[0], low)) return a;
    }
    const c0 = sizeClass(len);
    for (let c = c0; c < NCLASS; c++) {
      const t = this.classes[c];
      let p = t.getPairOrNextLower(high);
      while (p) {
        const [e, s] = p;
        if (e - len < Math.max(low, best)) break;
        if (e - s >= len) {
          best = Math.max(best, e - len);
          break;
        }
        p = t.nextLowerPair(e);
      }
    }
    return best >= low ? best : -1;
  }

  /** The lowest a with [a, a+len) inside one raw gap, a >= low, a + len <= high; -1 if none. */
  private lowestFit(len: number, low: number, high: number): number {
    if (len <= 0 || high - low < len) return -1;
    let best = Infinity;
    const g = this.gaps.getPairOrNextLower(low);
    if (g && g[1] > low && low + len <= Math.min(g[1], high)) return low;
    const c0 = sizeClass(len);
    for (let c = c0; c < NCLASS; c++) {
      const t = this.classes[c];
      let p = t.getPairOrNextHigher(low + len);
      while (p) {
        const [e, s] = p;
        const a = Math.max(s, low);
        if (a >= best || a + len > high) break;
        if (a + len <= e) {
          best = a;
          break;
        }
        p = t.nextHigherPair(e);
      }
    }
    return best === Infinity ? -1 : best;
  }

  /**
   * unmapped_area_topdown(): the highest free [a, a+len) with low <= a and a + len <= high. When
   * the VMA above the chosen gap is VM_GROWSDOWN and its guard gap reaches into the range, the
   * search restarts below vm_start_gap() of that VMA. -1 if none.
   */
  topDown(len: number, low: number, high: number): number {
    for (;;) {
      const a = this.highestFit(len, low, high);
      if (a < 0) return -1;
      const next = this.find(a + len);
      if (next && next.flags & VM_GROWSDOWN && vmStartGap(next) <= a + len - 1) {
        high = vmStartGap(next);
        continue;
      }
      return a;
    }
  }

  /** unmapped_area(): the lowest free [a, a+len), a >= low, a + len <= high, with the same guard rule (then low = that VMA's end). */
  bottomUp(len: number, low: number, high: number): number {
    for (;;) {
      const a = this.lowestFit(len, low, high);
      if (a < 0) return -1;
      const next = this.find(a + len);
      if (next && next.flags & VM_GROWSDOWN && vmStartGap(next) < a + len - 1) {
        low = next.end;
        continue;
      }
      return a;
    }
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}
