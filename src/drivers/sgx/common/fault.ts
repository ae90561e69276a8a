// The page-fault side of an enclave mapping: sgx_vma_fault() with the mainline rules, EAUG on
// fault (SGX2, 6.0+), and the accessors k.mem gets when the task touches EPC outside enclave mode.
//
// Sources: arch/x86/kernel/cpu/sgx/encl.c sgx_vma_fault(), sgx_encl_load_page_in_vma(),
// sgx_encl_eaug_page() (Linux 6.1). Outside enclave mode the CPU reads an EPC page through the
// abort-page semantics (reads return all ones, writes are dropped; SDM Vol. 3D 34.5 "Access-control
// requirements"), which is what the accessors here give.
import type { Kernel } from '../../../kernel/kernel.js';
import type { FaultAccess, FaultResult, Vma } from '../../../mm/vma.js';
import { EBUSY, EFAULT } from '../../../abi/errno.js';
import { VM_EXEC, VM_READ, VM_WRITE } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { SGX_ENCL_INITIALIZED } from './encl.js';
import { addVaPage, enclMut, enclOf, note, platformMut, runKsgxd, sgxAllocEpcPage, sgxEnclFreeEpcPage, sgxEnclGrow, sgxEnclLoadPage, sgxEnclLoadSecs, sgxEnclShrink } from './epc.js';
import { enclIdOfVma, insertPfn, ptePresent } from './vma.js';

/** vm_fault_t outcomes the SGX fault paths return. */
export type VmFault = 'nopage' | 'sigbus' | 'oom';

/**
 * The EPCM-derived "young" bit: set when the page is accessed through a present PTE (the CPU's
 * A bit), cleared by the reclaimer's aging and right after a fault inserts the PTE.
 */
export function markYoung(k: Kernel, enclId: number, addr: number): void {
  const p = enclOf(k, enclId).page(addr);
  if (p && !p.young) enclMut(k, enclId).updatePage(addr, { young: true });
}

/**
 * sgx_encl_load_page_in_vma(): the page must exist and allow the VMA's R/W/X (its
 * vm_max_prot_bits ⊇ vm_flags & RWX), then __sgx_encl_load_page(). Returns the page or -errno.
 */
export function sgxEnclLoadPageInVma(k: Kernel, enclId: number, addr: number, vmFlags: number, pid: number): ReturnType<typeof sgxEnclLoadPage> {
  const vmProtBits = vmFlags & (VM_READ | VM_WRITE | VM_EXEC);
  const entry = enclOf(k, enclId).page(addr);
  if (!entry) return -EFAULT;
  if ((entry.maxProt & vmProtBits) !== vmProtBits) return -EFAULT;
  return sgxEnclLoadPage(k, enclId, addr, pid);
}

/**
 * sgx_encl_eaug_page(): dynamically add a pending REG page at addr to an initialized enclave
 * (SECINFO RWX: vm_max_prot_bits = RWX; EPC allocation without reclaim).
 * Model choice: if the SECS was evicted, it is loaded first (Linux 6.1 would pass a NULL SECS
 * here; later kernels call sgx_encl_load_secs(), which this follows).
 */
export function sgxEnclEaugPage(k: Kernel, pid: number, vma: Vma, enclId: number, addr: number): VmFault {
  const e0 = enclOf(k, enclId);
  if (!e0.has(SGX_ENCL_INITIALIZED)) return 'sigbus';
  const platId = e0.platform;
  // "Ignore internal permission checking for dynamically added pages."
  const maxProt = VM_READ | VM_WRITE | VM_EXEC;
  const epc = sgxAllocEpcPage(k, platId, { kind: 'page', encl: enclId, addr }, false, pid);
  if (epc < 0) return epc === -EBUSY ? 'nopage' : 'sigbus';
  const va = sgxEnclGrow(k, enclId, false, pid);
  if (typeof va === 'number' && va < 0) {
    sgxEnclFreeEpcPage(k, platId, epc, pid);
    return 'sigbus';
  }
  addVaPage(k, enclId, va as number | null);
  if (enclOf(k, enclId).page(addr)) {
    // xa_insert() -EBUSY: created in another flow meanwhile
    sgxEnclShrink(k, enclId, va as number | null, pid);
    sgxEnclFreeEpcPage(k, platId, epc, pid);
    return 'sigbus';
  }
  enclMut(k, enclId).setPage({ addr, maxProt, type: SgxPageType.REG, epc: null, beingReclaimed: false, backing: null, young: false });
  if (enclOf(k, enclId).secs.epc === null) {
    const s = sgxEnclLoadSecs(k, enclId, pid);
    if (s !== 0) {
      enclMut(k, enclId).deletePage(addr);
      sgxEnclShrink(k, enclId, va as number | null, pid);
      sgxEnclFreeEpcPage(k, platId, epc, pid);
      return 'sigbus';
    }
  }
  const plat = platformMut(k, platId);
  const r = plat.hw.eaug({ linaddr: BigInt(addr), srcpge: null, secinfo: null, secs: enclOf(k, enclId).secs.epc }, epc);
  if (r.kind !== 'ok') {
    note(k, pid, `EAUG at 0x${addr.toString(16)} failed`);
    enclMut(k, enclId).deletePage(addr);
    sgxEnclShrink(k, enclId, va as number | null, pid);
    sgxEnclFreeEpcPage(k, platId, epc, pid);
    return 'sigbus';
  }
  plat.stats.eaug++;
  const e = enclMut(k, enclId);
  e.updatePage(addr, { epc });
  e.secsChildCnt++;
  platformMut(k, platId).markReclaimable(epc);
  insertPfn(k, pid, vma, addr);
  note(k, pid, 'EAUG', { addr: `0x${addr.toString(16)}` });
  return 'nopage';
}

export interface SgxFaultOptions {
  /** EAUG on a fault where the page_array has no entry (6.0+ with an SGX2 CPU). */
  readonly eaug: boolean;
}

/** sgx_vma_fault() (6.1): EAUG for a missing page on SGX2; else load the page if the VMA's permissions fit, and insert the PTE. */
export function sgxVmaFault(k: Kernel, pid: number, vma: Vma, addr: number, opts: SgxFaultOptions): VmFault {
  addr -= addr % PAGE_SIZE;
  const enclId = enclIdOfVma(vma);
  if (enclId === null) return 'sigbus';
  if (opts.eaug && !enclOf(k, enclId).page(addr)) return sgxEnclEaugPage(k, pid, vma, enclId, addr);
  const entry = sgxEnclLoadPageInVma(k, enclId, addr, vma.flags, pid);
  if (typeof entry === 'number') return entry === -EBUSY ? 'nopage' : 'sigbus';
  insertPfn(k, pid, vma, addr);
  // sgx_encl_test_and_clear_young()
  if (entry.young) enclMut(k, enclId).updatePage(addr, { young: false });
  return 'nopage';
}

/** The byte every read of EPC returns outside enclave mode (abort-page semantics). */
const ABORT_BYTE = 0xff;

/**
 * vm_ops->fault as k.mem uses it (a task touching its enclave mapping outside enclave mode):
 * sgx_vma_fault() when the PTE is not present (retried after ksgxd while it cannot get an EPC
 * page), then abort-page accessors.
 */
export function sgxUserFault(k: Kernel, pid: number, vma: Vma, addr: number, _access: FaultAccess, opts: SgxFaultOptions): FaultResult {
  return sgxUserFaultVia(k, pid, vma, addr, (k2, pid2, vma2, addr2) => sgxVmaFault(k2, pid2, vma2, addr2, opts));
}

/** sgxUserFault() with a design's own sgx_vma_fault() (v20's checks no permissions). */
export function sgxUserFaultVia(k: Kernel, pid: number, vma: Vma, addr: number, fault: (k: Kernel, pid: number, vma: Vma, addr: number) => VmFault): FaultResult {
  const enclId = enclIdOfVma(vma);
  if (enclId === null) return { kind: 'sigbus' };
  for (let tries = 0; !ptePresent(k, pid, addr); tries++) {
    const r = fault(k, pid, vma, addr);
    if (r !== 'nopage') return { kind: 'sigbus' };
    if (ptePresent(k, pid, addr)) break;
    if (tries > 64) throw new Error('invariant: an enclave fault keeps returning VM_FAULT_NOPAGE without a PTE (a page held with holdForReclaim() must be released before it is touched)');
    runKsgxd(k, enclOf(k, enclId).platform);
  }
  markYoung(k, enclId, addr);
  return {
    kind: 'page',
    read: (_off, len) => new Uint8Array(len).fill(ABORT_BYTE),
    write: () => {},
    describe: () => ({ data: new Uint8Array(PAGE_SIZE).fill(ABORT_BYTE), origin: { kind: 'driver', driver: 'sgx', detail: 'EPC (abort page outside enclave mode)' }, writers: [] }),
  };
}
