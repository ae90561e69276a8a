// struct sgx_encl and struct sgx_encl_page (arch/x86/kernel/cpu/sgx/encl.h) as a kernel object.
//
// One SgxEncl per open enclave file, stored with k.newObject() and named by its id in
// file->private_data and vma->vm_private_data. Page records are immutable values in a
// sorted-btree keyed by PFN (the page_array xarray); VA pages are immutable records in an array;
// clone() is O(1). Mutate only through k.objectMut<SgxEncl>(id) (copy-on-write across clones).
//
// Designs other than mainline keep their own per-enclave / per-page state in `extra` (an
// immutable value the design owns, e.g. D1's copied permissions, D2's safe bit).
import { BTree } from '../../../kernel/btree.js';
import type { Clonable } from '../../../kernel/cow.js';
import type { EpcPageId } from '../../../arch/x86/sgx/epc.js';
import type { EwbOutput } from '../../../arch/x86/sgx/reclaim.js';
import { SGX_VA_SLOT_COUNT, SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { PAGE_SIZE } from '../../../abi/page.js';

// enum sgx_encl_flags (encl.h).
export const SGX_ENCL_IOCTL = 1 << 0;
export const SGX_ENCL_DEBUG = 1 << 1;
export const SGX_ENCL_CREATED = 1 << 2;
export const SGX_ENCL_INITIALIZED = 1 << 3;

/** Where an evicted page's VA slot is: the VA page's EPC page and the slot's byte offset. */
export interface VaRef {
  readonly vaEpc: EpcPageId;
  readonly offset: number;
}

/** What EWB left in the backing store for an evicted page (the shmem backing page + its PCMD). */
export interface Backing {
  readonly out: EwbOutput;
  readonly va: VaRef;
}

/** struct sgx_encl_page. */
export interface EnclPage {
  /** desc & PAGE_MASK: the page's linear address. */
  readonly addr: number;
  /** vm_max_prot_bits (VM_READ | VM_WRITE | VM_EXEC). */
  readonly maxProt: number;
  /** encl_page->type (SGX_PAGE_TYPE_*; tracked since 6.0, kept in every version here). */
  readonly type: SgxPageType;
  /** The EPC page, or null while evicted (or before EADD/EAUG completed). */
  readonly epc: EpcPageId | null;
  /** SGX_ENCL_PAGE_BEING_RECLAIMED. */
  readonly beingReclaimed: boolean;
  /** Set while evicted. */
  readonly backing: Backing | null;
  /** The accessed bit of the page's PTEs (pte_young) across the mms mapping it. */
  readonly young: boolean;
  /** Design-specific page state (immutable). */
  readonly extra?: unknown;
}

/** struct sgx_va_page: an EPC page of 512 version slots and which are used. */
export interface VaPage {
  readonly epc: EpcPageId;
  /** Used slots as a bitmap of 16 u32 words (immutable; replaced on change). */
  readonly used: Uint32Array;
}

/** The SECS page (encl->secs). */
export interface SecsPage {
  readonly epc: EpcPageId | null;
  readonly backing: Backing | null;
}

export class SgxEncl implements Clonable<SgxEncl> {
  /** k.objects id of the SgxPlatform. */
  readonly platform: number;
  flags: number;
  base: number;
  size: number;
  attributes: bigint;
  attributesMask: bigint;
  /** page_array: PFN -> page. */
  pages: BTree<number, EnclPage>;
  secs: SecsPage;
  /** va_pages list, head first. */
  vaPages: readonly VaPage[];
  /** page_cnt: pages needing a VA slot (children + SECS). */
  pageCnt: number;
  secsChildCnt: number;
  /** mm_list: the pids whose mm mapped the enclave (sgx_encl_mm_add()). */
  mmList: readonly number[];
  /** Design-specific enclave state (immutable). */
  extra: unknown;

  constructor(platform: number, src?: SgxEncl) {
    this.platform = platform;
    if (src) {
      this.flags = src.flags;
      this.base = src.base;
      this.size = src.size;
      this.attributes = src.attributes;
      this.attributesMask = src.attributesMask;
      this.pages = src.pages.clone();
      this.secs = src.secs;
      this.vaPages = src.vaPages;
      this.pageCnt = src.pageCnt;
      this.secsChildCnt = src.secsChildCnt;
      this.mmList = src.mmList;
      this.extra = src.extra;
    } else {
      this.flags = 0;
      this.base = 0;
      this.size = 0;
      this.attributes = 0n;
      this.attributesMask = 0n;
      this.pages = new BTree();
      this.secs = { epc: null, backing: null };
      this.vaPages = [];
      this.pageCnt = 0;
      this.secsChildCnt = 0;
      this.mmList = [];
      this.extra = undefined;
    }
  }

  clone(): SgxEncl {
    return new SgxEncl(this.platform, this);
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  page(addr: number): EnclPage | undefined {
    return this.pages.get(Math.floor(addr / PAGE_SIZE));
  }

  setPage(p: EnclPage): void {
    this.pages.set(p.addr / PAGE_SIZE, Object.freeze(p));
  }

  updatePage(addr: number, f: Partial<EnclPage>): EnclPage {
    const old = this.page(addr);
    if (!old) throw new Error(`invariant: no enclave page at 0x${addr.toString(16)}`);
    const p = Object.freeze({ ...old, ...f });
    this.pages.set(addr / PAGE_SIZE, p);
    return p;
  }

  deletePage(addr: number): void {
    this.pages.delete(addr / PAGE_SIZE);
  }

  /** Pages with start <= addr < end, ascending (xas_for_each over [PFN(start), PFN(end - 1)]). */
  pagesIn(start: number, end: number): EnclPage[] {
    if (end <= start) return [];
    return this.pages.getRange(Math.floor(start / PAGE_SIZE), Math.floor((end - 1) / PAGE_SIZE), true).map(([, p]) => p);
  }

  addMm(pid: number): void {
    if (!this.mmList.includes(pid)) this.mmList = [...this.mmList, pid];
  }
}

// ------------------------------------------------------------------ VA slots (main.c)

/** sgx_alloc_va_slot(): find_first_zero_bit + set_bit; returns the byte offset, or -1 if full. */
export function vaAllocSlot(va: VaPage): { page: VaPage; offset: number } | null {
  for (let w = 0; w < SGX_VA_SLOT_COUNT / 32; w++) {
    const word = va.used[w];
    if (word === 0xffffffff) continue;
    for (let b = 0; b < 32; b++) {
      if (!(word & (1 << b))) {
        const used = Uint32Array.from(va.used);
        used[w] = (word | (1 << b)) >>> 0;
        return { page: { epc: va.epc, used }, offset: (w * 32 + b) * 8 };
      }
    }
  }
  return null;
}

/** sgx_free_va_slot(): clear_bit(offset >> 3). */
export function vaFreeSlot(va: VaPage, offset: number): VaPage {
  const slot = offset >> 3;
  const used = Uint32Array.from(va.used);
  used[slot >> 5] = (used[slot >> 5] & ~(1 << (slot & 31))) >>> 0;
  return { epc: va.epc, used };
}

/** sgx_va_page_full(). */
export function vaFull(va: VaPage): boolean {
  for (let w = 0; w < SGX_VA_SLOT_COUNT / 32; w++) if (va.used[w] !== 0xffffffff) return false;
  return true;
}

export function newVaPage(epc: EpcPageId): VaPage {
  return { epc, used: new Uint32Array(SGX_VA_SLOT_COUNT / 32) };
}
