// EPC management shared by every design: page allocation with and without reclaim, freeing,
// VA-page growth, the reclaimer (LRU aging, EBLOCK, ETRACK, EWB, SECS eviction after its last
// child), loading evicted pages back with ELDU, and enclave release.
//
// Sources: arch/x86/kernel/cpu/sgx/main.c (sgx_alloc_epc_page, sgx_reclaim_pages,
// sgx_reclaimer_age/block/write, sgx_encl_ewb, ksgxd), encl.c (__sgx_encl_load_page,
// sgx_encl_eldu, sgx_encl_release), ioctl.c (sgx_encl_grow, sgx_encl_shrink) — Linux 6.1.
//
// Model choices (docs/designs.md "Framework"): the accessed bit is one flag per enclave page (the
// OR of pte_young over the mms mapping it); ksgxd runs when the driver returns to user mode after
// waking it, and before a fault that could not get an EPC page is retried (never in the middle of
// an operation, so the EAUG/SECS race of later kernels is not modelled); an IPI kicks every logical
// processor out of enclave mode.
import type { Kernel } from '../../../kernel/kernel.js';
import { EBUSY, EFAULT, ENOMEM, ERESTARTSYS } from '../../../abi/errno.js';
import { SgxError } from '../../../arch/x86/sgx/arch.js';
import { describeOutcome, type EnclsResult } from '../../../arch/x86/sgx/outcome.js';
import type { EpcPageId } from '../../../arch/x86/sgx/epc.js';
import { SGX_NR_HIGH_PAGES, SGX_NR_LOW_PAGES, SGX_NR_TO_SCAN, type EpcOwner, type SgxPlatform } from './platform.js';
import { SGX_ENCL_INITIALIZED, newVaPage, vaAllocSlot, vaFreeSlot, vaFull, type Backing, type EnclPage, type SgxEncl } from './encl.js';
import { zapEnclavePtes } from './vma.js';

export function platformOf(k: Kernel, id: number): SgxPlatform {
  return k.object<SgxPlatform>(id);
}
export function platformMut(k: Kernel, id: number): SgxPlatform {
  return k.objectMut<SgxPlatform>(id);
}
export function enclOf(k: Kernel, id: number): SgxEncl {
  return k.object<SgxEncl>(id);
}
export function enclMut(k: Kernel, id: number): SgxEncl {
  return k.objectMut<SgxEncl>(id);
}

/** A driver note in the trace (cheap when tracing is off). */
export function note(k: Kernel, pid: number, message: string, data?: Record<string, number | string | boolean>): void {
  if (k.trace.enabled) k.trace.emit({ kind: 'driver', pid, driver: 'sgx', message, data });
}

function warn(k: Kernel, pid: number, what: string, r: EnclsResult<unknown>): void {
  note(k, pid, `ENCLS_WARN: ${what}: ${describeOutcome(r)}`);
}

/**
 * sgx_alloc_epc_page(owner, reclaim): a free page; else -ENOMEM if nothing is reclaimable, -EBUSY
 * without `reclaim`, -ERESTARTSYS if a signal is pending, otherwise reclaim directly and retry.
 * Wakes ksgxd when free pages drop below SGX_NR_LOW_PAGES.
 */
export function sgxAllocEpcPage(k: Kernel, platId: number, owner: EpcOwner, reclaim: boolean, pid: number): EpcPageId | number {
  let page: EpcPageId | number;
  for (let spins = 0; ; spins++) {
    const plat = platformMut(k, platId);
    const got = plat.takeFree(owner);
    if (got !== null) {
      page = got;
      break;
    }
    if (plat.activeEmpty) return -ENOMEM;
    if (!reclaim) {
      page = -EBUSY;
      break;
    }
    if (plat.signalPending(pid)) {
      page = -ERESTARTSYS;
      break;
    }
    if (spins > 10_000) throw new Error('invariant: direct reclaim makes no progress');
    plat.stats.directReclaims++;
    sgxReclaimPages(k, platId, pid);
  }
  const plat = platformMut(k, platId);
  // sgx_should_reclaim(SGX_NR_LOW_PAGES) -> wake_up(&ksgxd_waitq)
  if (plat.nrFree < SGX_NR_LOW_PAGES && !plat.activeEmpty) plat.ksgxdWoken = true;
  return page;
}

/** sgx_encl_free_epc_page(): EREMOVE, then back to the free list (a failed EREMOVE WARNs and leaks the page). */
export function sgxEnclFreeEpcPage(k: Kernel, platId: number, page: EpcPageId, pid = 0): void {
  const plat = platformMut(k, platId);
  const r = plat.hw.eremove(page);
  if (r.kind !== 'ok') {
    warn(k, pid, `EREMOVE of EPC page ${page}`, r);
    plat.dropTracking(page);
    plat.owners.delete(page);
    plat.leaked.set(page, describeOutcome(r));
    return;
  }
  plat.putFree(page);
}

/** sgx_free_epc_page() (no EREMOVE: the page is already invalid, e.g. after EWB). */
export function sgxFreeEpcPage(k: Kernel, platId: number, page: EpcPageId): void {
  platformMut(k, platId).putFree(page);
}

/**
 * sgx_encl_grow(encl, reclaim): every SGX_VA_SLOT_COUNT pages (the SECS counts) a new VA page
 * (sgx_alloc_va_page(): EPC page + EPA). Returns the new VA page's EPC page, null if none was
 * needed, or -errno. page_cnt is incremented on success.
 */
export function sgxEnclGrow(k: Kernel, enclId: number, reclaim: boolean, pid: number): EpcPageId | null | number {
  const encl = enclOf(k, enclId);
  let va: EpcPageId | null = null;
  if (encl.pageCnt % 512 === 0) {
    const p = sgxAllocEpcPage(k, encl.platform, { kind: 'va', encl: enclId }, reclaim, pid);
    if (p < 0) return p;
    const r = platformMut(k, encl.platform).hw.epa(p);
    if (r.kind !== 'ok') {
      // sgx_alloc_va_page(): EPA failure -> sgx_encl_free_epc_page(), -EFAULT
      warn(k, pid, 'EPA', r);
      sgxEnclFreeEpcPage(k, encl.platform, p, pid);
      return -EFAULT;
    }
    va = p;
  }
  enclMut(k, enclId).pageCnt++;
  return va;
}

/** list_add(&va_page->list, &encl->va_pages) (done under encl->lock by the callers). */
export function addVaPage(k: Kernel, enclId: number, va: EpcPageId | null): void {
  if (va === null) return;
  const e = enclMut(k, enclId);
  e.vaPages = [newVaPage(va), ...e.vaPages];
}

/** sgx_encl_shrink(): undo a grow (page_cnt--, free the VA page if one was made). */
export function sgxEnclShrink(k: Kernel, enclId: number, va: EpcPageId | null, pid: number): void {
  const e = enclMut(k, enclId);
  e.pageCnt--;
  if (va !== null) {
    e.vaPages = e.vaPages.filter((v) => v.epc !== va);
    sgxEnclFreeEpcPage(k, e.platform, va, pid);
  }
}

// ------------------------------------------------------------------ reclaimer

/** sgx_reclaimer_age(): false if any mm accessed the page since the last scan (and clear the bit). */
function reclaimerAge(k: Kernel, o: Extract<EpcOwner, { kind: 'page' }>): boolean {
  const encl = enclOf(k, o.encl);
  const p = encl.page(o.addr);
  if (!p) throw new Error(`invariant: EPC owner names a missing page 0x${o.addr.toString(16)}`);
  // list_for_each_entry_rcu(encl_mm, &encl->mm_list): an enclave no mm maps is never "young".
  if (encl.mmList.length === 0 || !p.young) return true;
  enclMut(k, o.encl).updatePage(o.addr, { young: false });
  return false;
}

/** sgx_encl_ewb(): EWB into a fresh VA slot; on SGX_NOT_TRACKED ETRACK and retry, then IPI and retry. */
function enclEwb(k: Kernel, enclId: number, epc: EpcPageId, pid: number): Backing {
  const e = enclMut(k, enclId);
  const plat = platformMut(k, e.platform);
  if (e.vaPages.length === 0) throw new Error('invariant: EWB with no VA page');
  const head = e.vaPages[0];
  const alloc = vaAllocSlot(head);
  if (!alloc) throw new Error('invariant: the head VA page is full');
  let vas = [alloc.page, ...e.vaPages.slice(1)];
  if (vaFull(alloc.page)) vas = [...vas.slice(1), alloc.page]; // list_move_tail
  e.vaPages = vas;
  const slot = { page: head.epc, offset: alloc.offset };
  let r = plat.hw.ewb(epc, slot);
  if (r.kind === 'error' && r.code === SgxError.NOT_TRACKED) {
    const t = plat.hw.etrack(e.secs.epc!);
    if (t.kind !== 'ok') warn(k, pid, 'ETRACK', t);
    r = plat.hw.ewb(epc, slot);
    if (r.kind === 'error' && r.code === SgxError.NOT_TRACKED) {
      // on_each_cpu_mask(sgx_encl_ewb_cpumask(encl), sgx_ipi_cb): the IPIs make every CPU in the enclave exit (AEX).
      for (const lp of plat.hw.lpsInEnclave) plat.hw.interrupt(lp);
      r = plat.hw.ewb(epc, slot);
    }
  }
  plat.stats.ewb++;
  if (r.kind === 'fault' || (r.kind === 'error' && r.value === undefined)) {
    throw new Error(`invariant: EWB of EPC page ${epc} failed: ${describeOutcome(r)}`);
  }
  if (r.kind === 'error') warn(k, pid, 'EWB', r);
  return { out: r.value!, va: { vaEpc: head.epc, offset: alloc.offset } };
}

/**
 * sgx_reclaim_pages(): take up to SGX_NR_TO_SCAN pages from the head of the active list; put back
 * the ones accessed since the last scan; zap their PTEs and EBLOCK the rest; EWB them (and the
 * SECS after its last child of an initialized enclave); free their EPC pages.
 */
export function sgxReclaimPages(k: Kernel, platId: number, pid = 0): number {
  const chunk: EpcPageId[] = [];
  for (let i = 0; i < SGX_NR_TO_SCAN; i++) {
    const p = platformMut(k, platId).isolateHead();
    if (p === null) break;
    chunk.push(p);
  }
  const go: EpcPageId[] = [];
  for (const epc of chunk) {
    const o = platformOf(k, platId).ownerOf(epc);
    if (!o || o.kind !== 'page') throw new Error(`invariant: EPC page ${epc} on the active list is not an enclave page`);
    if (!reclaimerAge(k, o)) {
      platformMut(k, platId).putBack(epc);
      continue;
    }
    enclMut(k, o.encl).updatePage(o.addr, { beingReclaimed: true });
    go.push(epc);
  }
  // sgx_reclaimer_block()
  for (const epc of go) {
    const o = platformOf(k, platId).ownerOf(epc) as Extract<EpcOwner, { kind: 'page' }>;
    zapEnclavePtes(k, o.encl, enclOf(k, o.encl), o.addr);
    const r = platformMut(k, platId).hw.eblock(epc);
    if (r.kind !== 'ok') warn(k, pid, 'EBLOCK', r);
  }
  // sgx_reclaimer_write()
  for (const epc of go) {
    const o = platformOf(k, platId).ownerOf(epc) as Extract<EpcOwner, { kind: 'page' }>;
    enclMut(k, o.encl).updatePage(o.addr, { beingReclaimed: false });
    const backing = enclEwb(k, o.encl, epc, pid);
    const e = enclMut(k, o.encl);
    e.updatePage(o.addr, { epc: null, backing });
    e.secsChildCnt--;
    if (e.secsChildCnt === 0 && e.has(SGX_ENCL_INITIALIZED) && e.secs.epc !== null) {
      const secsEpc = e.secs.epc;
      const sb = enclEwb(k, o.encl, secsEpc, pid);
      enclMut(k, o.encl).secs = { epc: null, backing: sb };
      sgxEnclFreeEpcPage(k, platId, secsEpc, pid);
    }
    platformMut(k, platId).dropTracking(epc);
    sgxFreeEpcPage(k, platId, epc);
  }
  return go.length;
}

/** ksgxd: reclaim while sgx_should_reclaim(SGX_NR_HIGH_PAGES). Runs if woken. Returns pages reclaimed. */
export function runKsgxd(k: Kernel, platId: number): number {
  if (!platformOf(k, platId).ksgxdWoken) return 0;
  const plat = platformMut(k, platId);
  plat.ksgxdWoken = false;
  plat.stats.ksgxdRuns++;
  let n = 0;
  for (let rounds = 0; rounds < 100_000; rounds++) {
    const p = platformOf(k, platId);
    if (!(p.nrFree < SGX_NR_HIGH_PAGES && !p.activeEmpty)) return n;
    n += sgxReclaimPages(k, platId, 0);
  }
  throw new Error('invariant: ksgxd makes no progress');
}

// ------------------------------------------------------------------ loading pages back

/** sgx_encl_eldu(): a fresh EPC page (no reclaim), ELDU from the backing store, free the VA slot. */
function enclEldu(k: Kernel, enclId: number, page: EnclPage | 'secs', pid: number): EpcPageId | number {
  const e0 = enclOf(k, enclId);
  const isSecs = page === 'secs';
  const backing = isSecs ? e0.secs.backing : page.backing;
  if (!backing) throw new Error('invariant: ELDU of a page that is not evicted');
  const owner: EpcOwner = isSecs ? { kind: 'secs', encl: enclId } : { kind: 'page', encl: enclId, addr: page.addr };
  const epc = sgxAllocEpcPage(k, e0.platform, owner, false, pid);
  if (epc < 0) return epc;
  const plat = platformMut(k, e0.platform);
  const r = plat.hw.eldu(
    { linaddr: isSecs ? 0n : BigInt(page.addr), srcpge: backing.out.srcpge, pcmd: backing.out.pcmd, secs: isSecs ? null : e0.secs.epc },
    epc,
    { page: backing.va.vaEpc, offset: backing.va.offset },
  );
  plat.stats.eldu++;
  if (r.kind !== 'ok') {
    warn(k, pid, 'ELDU', r);
    sgxEnclFreeEpcPage(k, e0.platform, epc, pid);
    return -EFAULT;
  }
  // sgx_free_va_slot() and list_move(&va_page->list, &encl->va_pages)
  const e = enclMut(k, enclId);
  const idx = e.vaPages.findIndex((v) => v.epc === backing.va.vaEpc);
  if (idx < 0) throw new Error('invariant: the VA page of an evicted page is gone');
  const freed = vaFreeSlot(e.vaPages[idx], backing.va.offset);
  e.vaPages = [freed, ...e.vaPages.filter((_, i) => i !== idx)];
  if (isSecs) e.secs = { epc, backing: null };
  else e.updatePage(page.addr, { epc, backing: null });
  return epc;
}

/** sgx_encl_load_secs() (later kernels): ELDU the SECS if it was evicted. 0 or -errno. */
export function sgxEnclLoadSecs(k: Kernel, enclId: number, pid: number): number {
  if (enclOf(k, enclId).secs.epc !== null) return 0;
  const r = enclEldu(k, enclId, 'secs', pid);
  return r < 0 ? r : 0;
}

/**
 * __sgx_encl_load_page(): the page if resident (-EBUSY while the reclaimer holds it), else ELDU
 * the SECS first if it was evicted, then the page; the page becomes reclaimable again.
 */
export function sgxEnclLoadPage(k: Kernel, enclId: number, addr: number, pid: number): EnclPage | number {
  const entry = enclOf(k, enclId).page(addr);
  if (!entry) return -EFAULT;
  if (entry.epc !== null) {
    if (entry.beingReclaimed) return -EBUSY;
    return entry;
  }
  if (enclOf(k, enclId).secs.epc === null) {
    const s = enclEldu(k, enclId, 'secs', pid);
    if (s < 0) return s;
  }
  const epc = enclEldu(k, enclId, entry, pid);
  if (epc < 0) return epc;
  const e = enclMut(k, enclId);
  e.secsChildCnt++;
  platformMut(k, e.platform).markReclaimable(epc);
  return e.page(addr)!;
}

/**
 * sgx_encl_release(): free every resident page (skipping pages the reclaimer holds), then the
 * SECS once it has no children, then the VA pages; the object is deleted.
 */
export function sgxEnclRelease(k: Kernel, enclId: number): void {
  const e0 = enclOf(k, enclId);
  const platId = e0.platform;
  for (const p of e0.pages.valuesArray()) {
    if (p.epc === null) continue;
    if (!platformMut(k, platId).unmarkReclaimable(p.epc)) continue;
    sgxEnclFreeEpcPage(k, platId, p.epc);
    const e = enclMut(k, enclId);
    e.secsChildCnt--;
    e.updatePage(p.addr, { epc: null });
  }
  const e = enclMut(k, enclId);
  if (e.secsChildCnt === 0 && e.secs.epc !== null) {
    sgxEnclFreeEpcPage(k, platId, e.secs.epc);
    e.secs = { epc: null, backing: null };
  }
  for (const va of e.vaPages) sgxEnclFreeEpcPage(k, platId, va.epc);
  k.deleteObject(enclId);
}
