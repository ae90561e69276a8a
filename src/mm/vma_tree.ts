// The VMA tree of an mm (Linux 6.1 keeps VMAs in a maple tree, mm->mm_mt). Here: a sorted-btree
// keyed by vm_start (O(log n) find_vma, O(1) clone), plus an index of the free gaps between VMAs
// so that get_unmapped_area()'s search is O(log n) too (the kernel augments its tree with gap
// sizes; we bucket gaps by size class).
//
// Gaps are stored as the kernel's search sees them: [vm_end_gap(prev), vm_start_gap(next)), so a
// VM_GROWSDOWN VMA keeps its stack guard gap free. The space is [0, TASK_SIZE).
import { BTree } from '../kernel/btree.js';
import { TASK_SIZE } from '../abi/page.js';
import { VM_GROWSDOWN } from '../abi/vm_flags.js';
import { type Vma, vmStartGap, vmEndGap } from './vma.js';

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

  constructor(src?: VmaTree) {
    if (src) {
      this.byStart = src.byStart.clone();
      this.gaps = src.gaps.clone();
      this.classes = src.classes.map((c) => c.clone());
    } else {
      this.byStart = new BTree<number, Vma>();
      this.gaps = new BTree<number, number>();
      this.classes = Array.from({ length: NCLASS }, () => new BTree<number, number>());
      this.addGap(0, TASK_SIZE);
    }
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
    const s0 = prev ? vmEndGap(prev) : 0;
    this.removeGap(s0);
    this.byStart.set(v.start, v);
    this.addGap(s0, vmStartGap(v));
    this.addGap(vmEndGap(v), next ? vmStartGap(next) : TASK_SIZE);
  }

  remove(v: Vma): void {
    const cur = this.byStart.get(v.start);
    if (!cur) throw new Error(`VmaTree.remove: no VMA at ${hex(v.start)}`);
    const prev = this.prevOf(v.start);
    const next = this.nextAfter(v.start);
    const s0 = prev ? vmEndGap(prev) : 0;
    this.removeGap(s0);
    this.removeGap(vmEndGap(cur));
    this.byStart.delete(v.start);
    this.addGap(s0, next ? vmStartGap(next) : TASK_SIZE);
  }

  /** Replace `old` (by its start) with `v` (which may have different bounds but must not overlap others). */
  replace(old: Vma, v: Vma): void {
    if (old.start === v.start && old.end === v.end && (old.flags & VM_GROWSDOWN) === (v.flags & VM_GROWSDOWN)) {
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
    this.classes[sizeClass(e - s)].set(e, s);
  }

  private removeGap(s: number): void {
    const e = this.gaps.get(s);
    if (e === undefined) return;
    this.gaps.delete(s);
    this.classes[sizeClass(e - s)].delete(e);
  }

  /** Free gaps as [start, end) pairs (for tests). */
  gapList(): [number, number][] {
    return this.gaps.toArray();
  }

  /**
   * unmapped_area_topdown(): the highest address a with low <= a, a + len <= high and [a, a+len)
   * inside a free gap; -1 if none.
   */
  topDown(len: number, low: number, high: number): number {
    if (len <= 0 || high - low < len) return -1;
    let best = -1;
    // The gap straddling `high`.
    const g = this.gaps.getPairOrNextLower(high - 1);
    if (g && g[1] > high - 1 + 0 && g[0] < high) {
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
        if (e - s >= len && e <= high) {
          best = Math.max(best, e - len);
          break;
        }
        if (c > c0 && e <= high) break; // every gap of a larger class fits; only the first matters
        p = t.nextLowerPair(e);
      }
    }
    return best >= low ? best : -1;
  }

  /** unmapped_area(): the lowest a >= low with [a, a+len) free and a + len <= high; -1 if none. */
  bottomUp(len: number, low: number, high: number): number {
    if (len <= 0 || high - low < len) return -1;
    let best = Infinity;
    const g = this.gaps.getPairOrNextLower(low);
    if (g && g[1] > low) {
      const a = low;
      if (a + len <= Math.min(g[1], high)) return a;
    }
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
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}
