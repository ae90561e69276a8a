// Enclave VMAs: how the common machinery recognises a VMA backed by an enclave (vma->vm_ops is
// one of the designs' sgx_vm_ops; vm_private_data names the SgxEncl object), and the page-table
// operations the SGX driver performs on them (vmf_insert_pfn(), zap_vma_ptes()).
import type { Kernel } from '../../../kernel/kernel.js';
import type { VmaDraft } from '../../../fs/types.js';
import type { Vma, VmOperations } from '../../../mm/vma.js';
import { PTE_PRESENT, PTE_WRITE } from '../../../mm/mm.js';
import { VM_DONTDUMP, VM_DONTEXPAND, VM_IO, VM_PFNMAP, VM_WRITE } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import type { SgxEncl } from './encl.js';
import type { VmFault } from './fault.js';

/** vm_operations_struct of an SGX enclave mapping (any design). */
export interface SgxVmOperations extends VmOperations {
  /** Marks the ops as an enclave mapping's: vm_private_data is the SgxEncl's object id (or null after a failed mm add). */
  readonly sgxEnclave: true;
  /**
   * The design's sgx_vma_fault() for a not-present fault at the page-aligned addr (the vDSO's
   * fault path calls it; ->fault, which k.mem calls, wraps it with the abort-page accessors).
   */
  sgxFault(k: Kernel, pid: number, vma: Vma, addr: number): VmFault;
}

export function isSgxVma(v: Vma | undefined | null): v is Vma & { readonly ops: SgxVmOperations } {
  return !!v && !!v.ops && (v.ops as Partial<SgxVmOperations>).sgxEnclave === true;
}

/** The enclave object id behind an enclave VMA, or null (vm_private_data == NULL). */
export function enclIdOfVma(v: Vma): number | null {
  return typeof v.privateData === 'number' ? v.privateData : null;
}

/** sgx_mmap()'s set-up of the new VMA: vm_ops, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP | VM_IO, vm_private_data = the enclave. */
export function sgxMmapSetup(vma: VmaDraft, ops: SgxVmOperations, enclId: unknown): void {
  vma.ops = ops;
  vma.flags = (vma.flags | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP | VM_IO) >>> 0;
  vma.privateData = enclId;
}

/** sgx_vma_open() (encl.c): the (new) VMA's mm joins the enclave's mm_list (sgx_encl_mm_add()). */
export function sgxVmaOpen(k: Kernel, pid: number, vma: Vma): void {
  const id = enclIdOfVma(vma);
  if (id !== null && k.objects.has(id) && !k.object<SgxEncl>(id).mmList.includes(pid)) k.objectMut<SgxEncl>(id).addMm(pid);
}

/** sgx_encl_find(): the enclave VMA of mm at addr, if any. */
export function sgxEnclFind(k: Kernel, pid: number, addr: number): (Vma & { readonly ops: SgxVmOperations }) | null {
  const v = k.mm(pid).vmas.at(addr);
  return isSgxVma(v) ? v : null;
}

/**
 * vmf_insert_pfn(): install the PTE for the page at addr. The model's PTE keeps presence and the
 * write bit (vm_page_prot of a MAP_SHARED VMA is writable iff VM_WRITE); the PFN is the enclave
 * page's EPC page, found through the enclave's page_array when the CPU walks the tables.
 */
export function insertPfn(k: Kernel, pid: number, vma: Vma, addr: number): void {
  const vpn = Math.floor(addr / PAGE_SIZE);
  const want = PTE_PRESENT | (vma.flags & VM_WRITE ? PTE_WRITE : 0);
  const mm = k.mm(pid);
  if (mm.ptes.get(vpn) === want) return;
  k.mmMut(pid).ptes.set(vpn, want);
}

/** Is the PTE for addr present in pid's page tables? */
export function ptePresent(k: Kernel, pid: number, addr: number): boolean {
  return ((k.mm(pid).ptes.get(Math.floor(addr / PAGE_SIZE)) ?? 0) & PTE_PRESENT) !== 0;
}

/**
 * sgx_zap_enclave_ptes() / the zap in sgx_reclaimer_block(): for every mm on the enclave's
 * mm_list, if the VMA at addr maps this enclave, remove the PTE (zap_vma_ptes()).
 */
export function zapEnclavePtes(k: Kernel, enclId: number, encl: SgxEncl, addr: number): void {
  const vpn = Math.floor(addr / PAGE_SIZE);
  for (const pid of encl.mmList) {
    if (!k.hasTask(pid)) continue;
    const mm = k.mm(pid);
    if (!mm.ptes.has(vpn)) continue;
    const v = mm.vmas.at(addr);
    if (!isSgxVma(v) || enclIdOfVma(v) !== enclId) continue;
    k.mmMut(pid).ptes.delete(vpn);
  }
}
