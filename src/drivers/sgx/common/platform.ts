// The SGX platform as the kernel's SGX core sees it (arch/x86/kernel/cpu/sgx/main.c): the CPU and
// its EPC (the hardware model), the EPC page allocator's free list, the reclaimer's active LRU
// list, who owns each EPC page, and ksgxd's wake-up state. One SgxPlatform lives in the kernel's
// object table (k.newObject) per installed driver, so it clones with the kernel: every field is a
// value, a persistent list or a sorted-btree, and clone() is O(1).
//
// It also holds the knobs the shared suite uses to reach states a single-threaded model cannot
// reach on its own: a signal becoming pending during a syscall (-ERESTARTSYS and partial `count`),
// and a page isolated by a concurrently running reclaimer (-EBUSY / -EAGAIN).
import { BTree } from '../../../kernel/btree.js';
import type { Clonable } from '../../../kernel/cow.js';
import { SgxHardware } from '../../../arch/x86/sgx/hw.js';
import type { EpcPageId } from '../../../arch/x86/sgx/epc.js';
import type { Crypto } from '../../../platform/crypto.js';

/** What an EPC page is used for (struct sgx_epc_page.owner). */
export type EpcOwner =
  /** A REG/TCS/TRIM page of an enclave at linear address `addr`. */
  | { readonly kind: 'page'; readonly encl: number; readonly addr: number }
  | { readonly kind: 'secs'; readonly encl: number }
  | { readonly kind: 'va'; readonly encl: number };

interface FreeCell {
  readonly page: EpcPageId;
  readonly next: FreeCell | null;
}

/**
 * A pending-signal knob for one task: the signal arrives at the (after + 1)-th signal_pending()
 * check from now (after = 0: the next check sees it); once seen (`fired`) it stays pending until
 * the syscall returns to user mode and it is delivered.
 */
export interface SignalKnob {
  readonly after: number;
  readonly fired?: boolean;
}

// Reclaimer watermarks (arch/x86/kernel/cpu/sgx/sgx.h).
export const SGX_NR_TO_SCAN = 16;
export const SGX_NR_LOW_PAGES = 32;
export const SGX_NR_HIGH_PAGES = 64;

export class SgxPlatform implements Clonable<SgxPlatform> {
  hw: SgxHardware;
  /** The platform's cryptography (stateless; the kernel's crypto_shash for the driver's SHA-256 of the modulus). */
  readonly crypto: Crypto;
  /** Pages never handed out are [nextUnused, count); freed pages go on a LIFO list (sgx_free_epc_page() list_add()s at the head). */
  private nextUnused: number;
  private freeList: FreeCell | null;
  private freeListLen: number;
  /** sgx_active_page_list: LRU order by sequence number. */
  private lru: BTree<number, EpcPageId>;
  /** page -> its sequence number while on the active list. */
  private lruSeq: BTree<EpcPageId, number>;
  /** SGX_EPC_PAGE_RECLAIMER_TRACKED pages taken off the list by the reclaimer (being reclaimed). */
  private isolated: BTree<EpcPageId, true>;
  private seq: number;
  /** struct sgx_epc_page.owner for allocated pages. */
  owners: BTree<EpcPageId, EpcOwner>;
  /** EPC pages lost to a failed EREMOVE (Linux WARNs and leaks them). */
  leaked: BTree<EpcPageId, string>;
  /** wake_up(&ksgxd_waitq) happened and ksgxd has not run since. */
  ksgxdWoken: boolean;
  /** Per pid: signal_pending() knob. */
  signals: BTree<number, SignalKnob>;
  /** Counters for tests and traces. */
  stats: { ewb: number; eldu: number; eaug: number; directReclaims: number; ksgxdRuns: number };

  constructor(hw: SgxHardware, crypto: Crypto, src?: SgxPlatform) {
    this.hw = hw;
    this.crypto = crypto;
    if (src) {
      this.nextUnused = src.nextUnused;
      this.freeList = src.freeList;
      this.freeListLen = src.freeListLen;
      this.lru = src.lru.clone();
      this.lruSeq = src.lruSeq.clone();
      this.isolated = src.isolated.clone();
      this.seq = src.seq;
      this.owners = src.owners.clone();
      this.leaked = src.leaked.clone();
      this.ksgxdWoken = src.ksgxdWoken;
      this.signals = src.signals.clone();
      this.stats = { ...src.stats };
    } else {
      this.nextUnused = 0;
      this.freeList = null;
      this.freeListLen = 0;
      this.lru = new BTree();
      this.lruSeq = new BTree();
      this.isolated = new BTree();
      this.seq = 0;
      this.owners = new BTree();
      this.leaked = new BTree();
      this.ksgxdWoken = false;
      this.signals = new BTree();
      this.stats = { ewb: 0, eldu: 0, eaug: 0, directReclaims: 0, ksgxdRuns: 0 };
    }
  }

  clone(): SgxPlatform {
    return new SgxPlatform(this.hw.clone(), this.crypto, this);
  }

  // ------------------------------------------------------------------ free pages

  /** sgx_nr_free_pages. */
  get nrFree(): number {
    return this.hw.epcPageCount - this.nextUnused + this.freeListLen;
  }

  /** __sgx_alloc_epc_page(): a free page, or null (-ENOMEM). */
  takeFree(owner: EpcOwner): EpcPageId | null {
    let page: EpcPageId;
    if (this.freeList) {
      page = this.freeList.page;
      this.freeList = this.freeList.next;
      this.freeListLen--;
    } else if (this.nextUnused < this.hw.epcPageCount) {
      page = this.nextUnused++;
    } else {
      return null;
    }
    this.owners.set(page, owner);
    return page;
  }

  /** sgx_free_epc_page(): back on the free list (the caller did EREMOVE). */
  putFree(page: EpcPageId): void {
    if (!this.owners.has(page)) throw new Error(`invariant: EPC page ${page} freed twice`);
    this.owners.delete(page);
    this.dropTracking(page);
    this.freeList = { page, next: this.freeList };
    this.freeListLen++;
  }

  /** Change a page's owner record (e.g. the reclaimer's bookkeeping after EWB/ELDU). */
  setOwner(page: EpcPageId, owner: EpcOwner): void {
    this.owners.set(page, owner);
  }

  ownerOf(page: EpcPageId): EpcOwner | undefined {
    return this.owners.get(page);
  }

  // ------------------------------------------------------------------ the active list

  /** sgx_mark_page_reclaimable(): RECLAIMER_TRACKED, list_add_tail(&sgx_active_page_list). */
  markReclaimable(page: EpcPageId): void {
    this.dropTracking(page);
    const s = this.seq++;
    this.lru.set(s, page);
    this.lruSeq.set(page, s);
  }

  /** sgx_unmark_page_reclaimable(): 0, or -EBUSY (as a boolean false) if the reclaimer has isolated the page. */
  unmarkReclaimable(page: EpcPageId): boolean {
    if (this.isolated.has(page)) return false;
    const s = this.lruSeq.get(page);
    if (s !== undefined) {
      this.lru.delete(s);
      this.lruSeq.delete(page);
    }
    return true;
  }

  /** The active list is empty (list_empty(&sgx_active_page_list)). */
  get activeEmpty(): boolean {
    return this.lru.size === 0;
  }

  get activeCount(): number {
    return this.lru.size;
  }

  /** Take the head of the active list (list_del_init), keeping it tracked: it is now "being reclaimed". */
  isolateHead(): EpcPageId | null {
    const first = this.lru.minKey();
    if (first === undefined) return null;
    const page = this.lru.get(first)!;
    this.lru.delete(first);
    this.lruSeq.delete(page);
    this.isolated.set(page, true);
    return page;
  }

  /** Isolate a specific page (the knob that simulates a concurrently running reclaimer); false if not on the list. */
  isolate(page: EpcPageId): boolean {
    const s = this.lruSeq.get(page);
    if (s === undefined) return false;
    this.lru.delete(s);
    this.lruSeq.delete(page);
    this.isolated.set(page, true);
    return true;
  }

  isIsolated(page: EpcPageId): boolean {
    return this.isolated.has(page);
  }

  /** Put an isolated page back at the tail (the reclaimer skipped it). */
  putBack(page: EpcPageId): void {
    this.isolated.delete(page);
    this.markReclaimable(page);
  }

  /** Clear SGX_EPC_PAGE_RECLAIMER_TRACKED and take the page off every list. */
  dropTracking(page: EpcPageId): void {
    this.isolated.delete(page);
    const s = this.lruSeq.get(page);
    if (s !== undefined) {
      this.lru.delete(s);
      this.lruSeq.delete(page);
    }
  }

  /** Pages on the active list, head first (for tests and traces). */
  activePages(): EpcPageId[] {
    return this.lru.valuesArray();
  }

  // ------------------------------------------------------------------ signals

  /**
   * signal_pending(current) for `pid`: consults the knob (true once `after` more calls have
   * returned false; it then stays true until the syscall returns and the signal is delivered).
   */
  signalPending(pid: number): boolean {
    const s = this.signals.get(pid);
    if (s === undefined) return false;
    if (s.fired) return true;
    if (s.after <= 0) {
      this.signals.set(pid, { after: 0, fired: true });
      return true;
    }
    this.signals.set(pid, { after: s.after - 1 });
    return false;
  }

  /** Deliver a pending signal (on return to user mode): the knob is consumed if it fired. */
  deliverSignal(pid: number): void {
    if (this.signals.get(pid)?.fired) this.signals.delete(pid);
  }
}
