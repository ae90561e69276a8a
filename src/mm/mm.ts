// struct mm_struct: one address space. Owned by the kernel's CowTable, so Kernel.clone() shares it
// until one side writes (then Mm.clone(), which is O(1): every field is a sorted-btree or a value).
import { BTree } from '../kernel/btree.js';
import { VmaTree } from './vma_tree.js';
import { IntervalSet } from './interval_set.js';
import type { Page } from './page.js';

/** PTE state bits the model keeps (what matters for fault error codes and provenance). */
export const PTE_PRESENT = 1;
export const PTE_WRITE = 2;

export interface MmLayout {
  /** mm->mmap_base: top of the top-down mmap area. */
  mmapBase: number;
  /** mmap_legacy_base (bottom-up fallback start). */
  mmapLegacyBase: number;
  startBrk: number;
  brk: number;
  startStack: number;
  /** The thread's user stack pointer (for vma_is_stack_for_current()). */
  sp: number;
}

export class Mm {
  readonly id: number;
  vmas: VmaTree;
  /** Page-table state per virtual page number. */
  ptes: BTree<number, number>;
  /** Private anonymous pages (anonymous private memory and COW copies), per virtual page number. */
  anon: BTree<number, Page>;
  /** Virtual page ranges whose private (anonymous/COW) backing was ever mapped writable. */
  anonWritable: IntervalSet;
  /** Per inode id: file page ranges this process could ever write (shared writable mappings, fds opened for write). */
  fileWritable: Map<number, IntervalSet>;
  mmapBase: number;
  mmapLegacyBase: number;
  startBrk: number;
  brk: number;
  startStack: number;
  sp: number;
  /** mm->context.execute_only_pkey (-1: not allocated). */
  executeOnlyPkey: number;
  /** pkeys allocated in this mm (bit i = pkey i); pkey 0 is always allocated. */
  pkeyAllocationMap: number;

  constructor(id: number, layout: MmLayout, src?: Mm) {
    this.id = id;
    if (src) {
      this.vmas = src.vmas.clone();
      this.ptes = src.ptes.clone();
      this.anon = src.anon.clone();
      this.anonWritable = src.anonWritable.clone();
      this.fileWritable = new Map([...src.fileWritable].map(([k, v]) => [k, v.clone()]));
      this.executeOnlyPkey = src.executeOnlyPkey;
      this.pkeyAllocationMap = src.pkeyAllocationMap;
    } else {
      this.vmas = new VmaTree();
      this.ptes = new BTree<number, number>();
      this.anon = new BTree<number, Page>();
      this.anonWritable = new IntervalSet();
      this.fileWritable = new Map();
      this.executeOnlyPkey = -1;
      this.pkeyAllocationMap = 1;
    }
    this.mmapBase = layout.mmapBase;
    this.mmapLegacyBase = layout.mmapLegacyBase;
    this.startBrk = layout.startBrk;
    this.brk = layout.brk;
    this.startStack = layout.startStack;
    this.sp = layout.sp;
  }

  clone(): Mm {
    return new Mm(this.id, this, this);
  }

  get mapCount(): number {
    return this.vmas.size;
  }

  markFileWritable(inode: number, startPg: number, endPg: number): void {
    let s = this.fileWritable.get(inode);
    if (!s) {
      s = new IntervalSet();
      this.fileWritable.set(inode, s);
    }
    s.add(startPg, endPg);
  }

  /** Drop page-table entries and private pages of [start, end) (zap_page_range on munmap). */
  zap(start: number, end: number): void {
    const s = start / 4096;
    const e = end / 4096;
    if (this.ptes.size) this.ptes.deleteRange(s, e, false);
    if (this.anon.size) this.anon.deleteRange(s, e, false);
    this.anonWritable.remove(s, e);
  }
}
