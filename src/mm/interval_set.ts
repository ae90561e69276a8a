// A set of half-open integer intervals [start, end) with coalescing, on a sorted-btree so that
// clone() is O(1). Used for "ever writable" history (page numbers).
import { BTree } from '../kernel/btree.js';

export class IntervalSet {
  private t: BTree<number, number>;
  constructor(t?: BTree<number, number>) {
    this.t = t ?? new BTree<number, number>();
  }

  clone(): IntervalSet {
    return new IntervalSet(this.t.clone());
  }

  get size(): number {
    return this.t.size;
  }

  has(x: number): boolean {
    const p = this.t.getPairOrNextLower(x);
    return !!p && p[1] > x;
  }

  /** Does [start, end) intersect the set? */
  intersects(start: number, end: number): boolean {
    const p = this.t.getPairOrNextLower(start);
    if (p && p[1] > start) return true;
    const n = this.t.nextHigherPair(start);
    return !!n && n[0] < end;
  }

  add(start: number, end: number): void {
    if (end <= start) return;
    let s = start;
    let e = end;
    const lower = this.t.getPairOrNextLower(s);
    if (lower && lower[1] >= s) {
      s = Math.min(s, lower[0]);
      e = Math.max(e, lower[1]);
      this.t.delete(lower[0]);
    }
    for (;;) {
      const n = this.t.getPairOrNextHigher(s);
      if (!n || n[0] > e) break;
      e = Math.max(e, n[1]);
      this.t.delete(n[0]);
    }
    this.t.set(s, e);
  }

  remove(start: number, end: number): void {
    if (end <= start) return;
    const lower = this.t.getPairOrNextLower(start);
    if (lower && lower[1] > start) {
      this.t.delete(lower[0]);
      if (lower[0] < start) this.t.set(lower[0], start);
      if (lower[1] > end) this.t.set(end, lower[1]);
    }
    for (;;) {
      const n = this.t.getPairOrNextHigher(start);
      if (!n || n[0] >= end) break;
      this.t.delete(n[0]);
      if (n[1] > end) this.t.set(end, n[1]);
    }
  }

  toArray(): [number, number][] {
    return this.t.toArray();
  }
}
