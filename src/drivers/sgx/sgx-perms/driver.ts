// D5 `sgx-perms`: Sean Christopherson's "[RFC PATCH v4 00/12] security: x86/sgx: SGX vs. LSM"
// (2019-06-19, 20190619222401.14942-1..13-sean.j.christopherson@intel.com; v3 is patchwork 11000601),
// on the v20 driver. designs-spec §6. ADD_PAGE declares each page's protection (`prot`); sgx_mmap()
// refuses more than every page of the VMA allows (a missing page allows nothing) and clears the
// VM_MAY* bits it does not allow, so a later mprotect() beyond them fails in the core VM_MAY* test;
// two SGX-specific LSM hooks: security_enclave_map(prot, eaug) from sgx_mmap() and
// vm_ops->may_mprotect, security_enclave_load(vma, prot, measured) from ADD_PAGE. SELinux answers
// with new permissions: process2 { sgx_mapwx sgx_execdirty sgx_execanon sgx_execunmr } and the
// common file permission sgx_execute.
import type { Kernel } from '../../../kernel/kernel.js';
import type { Vma } from '../../../mm/vma.js';
import type { OpenFile, VmaDraft } from '../../../fs/types.js';
import { copyFromUser } from '../../../kernel/uaccess.js';
import { EACCES, EFAULT, EINVAL } from '../../../abi/errno.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { VM_EXEC, VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { enclMut, enclOf } from '../common/epc.js';
import { enclIdOfVma } from '../common/vma.js';
import { sgxEnclEaugPage, type VmFault } from '../common/fault.js';
import { selectHooks, type DesignAvc } from '../common/lsm.js';
import { uptr, type IoctlHandler, type RfcDriverSpec } from '../v20/rfc.js';
import { D5_ENCLAVE_ADD_PAGE, D5_IOC_ENCLAVE_ADD_PAGE } from './uapi.js';

const RWX = VM_READ | VM_WRITE | VM_EXEC;

/** Driver options of D5 (InstallOptions.driver). */
export interface D5Options {
  /**
   * Model choice (designs-spec §13.6; the series has no EAUG fault path): EAUG on a fault at a
   * hole of an initialized enclave, the page's vm_prot_bits = RWX | SGX_VM_EAUG (12/12), and holes
   * count as such pages in sgx_allowed_rwx() so that they can be mapped. Default false.
   */
  readonly sgx2: boolean;
  /** The permission names of Sean's 2019-07-10 proposal (20190710165758.GD4348@linux.intel.com; UNCERTAIN, not re-read). Default false. */
  readonly julyNames: boolean;
  /** The sean-jc tree's v3-era `addp.prot & ~(PROT_READ|PROT_WRITE|PROT_EXEC) -> -EINVAL` (UNCERTAIN for v4). Default false. */
  readonly rejectUnknownProt: boolean;
}

export const D5_DEFAULT_OPTIONS: D5Options = Object.freeze({ sgx2: false, julyNames: false, rejectUnknownProt: false });

/** Design state of a D5 page (the SGX_VM_EAUG bit of 12/12). */
export interface D5PageExtra {
  readonly eaug: boolean;
}

// ------------------------------------------------------------------ the LSM hooks

export interface D5Hooks {
  /** int security_enclave_map(unsigned long prot, bool eaug) (07/12, eaug from 12/12). */
  enclaveMap(k: Kernel, pid: number, prot: number, eaug: boolean): number;
  /** int security_enclave_load(struct vm_area_struct *vma, unsigned long prot, bool measured) (09/12). */
  enclaveLoad(k: Kernel, pid: number, vma: Vma, prot: number, measured: boolean): number;
}

export const D5_NO_LSM: D5Hooks = { enclaveMap: () => 0, enclaveLoad: () => 0 };

/** The SELinux side: 08/12 (selinux_enclave_map) and 10/12 (selinux_enclave_load), or the July names. */
export function d5Selinux(avc: DesignAvc, julyNames: boolean): D5Hooks {
  const self = (k: Kernel, pid: number, hook: string, perm: string): number =>
    avc.check(k, pid, hook, `selinux_${hook}`, { kind: 'self' }, 'process2', [perm]);
  const file = (k: Kernel, pid: number, vma: Vma, perm: string): number => {
    const inode = k.lsmInode(k.file(vma.file!).inode);
    return avc.check(k, pid, 'enclave_load', 'selinux_enclave_load', { kind: 'file', fileId: vma.file! }, inode.inodeClass, [perm]);
  };
  /** "!vma->vm_file || IS_PRIVATE(file_inode(vma->vm_file)) || vma->anon_vma": code from anonymous (or modified) memory. */
  const anonymous = (k: Kernel, vma: Vma): boolean => vma.file === null || k.lsmInode(k.file(vma.file).inode).isPrivate || vma.anonVma !== null;
  return {
    enclaveMap(k, pid, prot, eaug) {
      // 08/12: "Require SGX_MAPWX to map enclave page WX"
      if (prot & PROT_EXEC && prot & PROT_WRITE) return self(k, pid, 'enclave_map', 'sgx_mapwx');
      // 12/12: mapping an EAUG'd (or to-be-EAUG'd) page executable is code written inside the enclave.
      if (eaug && prot & PROT_EXEC) return self(k, pid, 'enclave_map', julyNames ? 'enclave_execdirty' : 'sgx_execdirty');
      return 0;
    },
    enclaveLoad(k, pid, vma, prot, measured) {
      if (!(prot & PROT_EXEC)) return 0;
      if (julyNames) {
        // 2019-07-10 (UNCERTAIN, model choice for the order): the source first, then unmeasured code.
        let rc: number;
        if (vma.file === null || k.lsmInode(k.file(vma.file).inode).isPrivate) {
          rc = self(k, pid, 'enclave_load', 'enclave_execanon');
          if (!rc && prot & PROT_WRITE) rc = self(k, pid, 'enclave_load', 'enclave_execdirty');
        } else {
          rc = file(k, pid, vma, 'enclave_execute');
          if (!rc && (vma.anonVma !== null || prot & PROT_WRITE)) rc = file(k, pid, vma, 'enclave_execmod');
        }
        if (!rc && !measured) rc = self(k, pid, 'enclave_load', 'enclave_execunmr');
        return rc;
      }
      // 10/12 "security/selinux: Add enclave_load() implementation": the first denial fails.
      if (prot & PROT_WRITE) {
        const rc = self(k, pid, 'enclave_load', 'sgx_execdirty');
        if (rc) return rc;
      }
      if (!measured) {
        const rc = self(k, pid, 'enclave_load', 'sgx_execunmr');
        if (rc) return rc;
      }
      // FILE__READ / FILE__WRITE on the source are intentionally not required.
      return anonymous(k, vma) ? self(k, pid, 'enclave_load', 'sgx_execanon') : file(k, pid, vma, 'sgx_execute');
    },
  };
}

// ------------------------------------------------------------------ the driver changes

/** SGX_VM_EAUG (12/12): BIT(3) of a page's vm_prot_bits. */
export const SGX_VM_EAUG = 1 << 3;

/**
 * sgx_allowed_rwx() (04/12, 12/12): the AND of vm_prot_bits over every page of [start, end); a
 * missing page contributes 0 (with the sgx2 option: RWX | SGX_VM_EAUG, as EAUG would make it);
 * `eaug` if any page has SGX_VM_EAUG.
 */
export function sgxAllowedRwx(k: Kernel, enclId: number, start: number, end: number, o: D5Options): { rwx: number; eaug: boolean } {
  const encl = enclOf(k, enclId);
  const pages = encl.pagesIn(start, end);
  let rwx = RWX;
  let eaug = false;
  if (pages.length !== Math.ceil((end - start) / PAGE_SIZE)) {
    if (o.sgx2) eaug = true;
    else rwx = 0;
  }
  for (const p of pages) {
    rwx &= p.maxProt;
    if ((p.extra as D5PageExtra | undefined)?.eaug) eaug = true;
  }
  return { rwx, eaug };
}

/** is_eaug_range() (12/12): any page of [start, end) missing or EAUG'd. */
function isEaugRange(k: Kernel, enclId: number, start: number, end: number): boolean {
  const pages = enclOf(k, enclId).pagesIn(start, end);
  return pages.length !== Math.ceil((end - start) / PAGE_SIZE) || pages.some((p) => (p.extra as D5PageExtra | undefined)?.eaug === true);
}

function protOf(vmFlags: number): number {
  return (vmFlags & VM_READ ? PROT_READ : 0) | (vmFlags & VM_WRITE ? PROT_WRITE : 0) | (vmFlags & VM_EXEC ? PROT_EXEC : 0);
}

/** What D5 changes in the v20 driver. */
export function d5DriverSpec(designKey: string, o: D5Options): RfcDriverSpec {
  const hooks = (k: Kernel): D5Hooks => selectHooks(k, { none: D5_NO_LSM, selinux: (avc) => d5Selinux(avc, o.julyNames) });

  /** SGX_IOC_ENCLAVE_ADD_PAGE (04/12 uAPI, 05/12 noexec, 09/12 enclave_load). */
  const addPage: IoctlHandler = (ctx, k, pid, enclId, a) => {
    if (o.rejectUnknownProt && a.prot & ~7n) return -EINVAL;
    const secinfo = copyFromUser(k, pid, uptr(a.secinfo), 64);
    if (typeof secinfo === 'number') return -EFAULT;
    // "page->vm_prot_bits = calc_vm_prot_bits(addp->prot & (PROT_READ | PROT_WRITE | PROT_EXEC))"
    const prot = Number(a.prot & 7n);
    const mrmask = Number(a.mrmask & 0xffffn);
    const src = uptr(a.src);
    // sgx_encl_page_copy() under mmap_sem
    const vma = src < 0 ? undefined : k.mm(pid).vmas.find(src);
    if (!vma) return -EFAULT;
    // 05/12 "x86/sgx: Enforce noexec filesystem restriction for enclaves"
    if (prot & PROT_EXEC && !(vma.flags & VM_MAYEXEC)) return -EACCES;
    const rc = hooks(k).enclaveLoad(k, pid, vma, prot, mrmask === 0xffff);
    if (rc) return rc;
    const data = copyFromUser(k, pid, src, PAGE_SIZE);
    if (typeof data === 'number') return -EFAULT;
    const extra: D5PageExtra = { eaug: false };
    return ctx.addPage(k, pid, enclId, a.addr, data, secinfo, mrmask, { maxProt: prot, extra });
  };

  /** EAUG on fault (the sgx2 option): as Linux 6.0's sgx_encl_eaug_page(), the page marked SGX_VM_EAUG. */
  const eaug = (k: Kernel, pid: number, vma: Vma, enclId: number, addr: number): VmFault => {
    const r = sgxEnclEaugPage(k, pid, vma, enclId, addr);
    const page = enclOf(k, enclId).page(addr);
    if (page && page.extra === undefined) enclMut(k, enclId).updatePage(addr, { extra: { eaug: true } satisfies D5PageExtra });
    return r;
  };

  return {
    designKey,
    // 02/12 "x86/sgx: Do not naturally align MAP_FIXED address" (as in RFC v1 2/9).
    unmappedArea: 'fixed',
    ioctls: new Map([[D5_IOC_ENCLAVE_ADD_PAGE, { layout: D5_ENCLAVE_ADD_PAGE, handler: addPage }]]),
    // sgx_mmap() (04/12, 07/12): allowed_rwx, then security_enclave_map(), then (after sgx_encl_mm_add()) the VM_MAY* clearing.
    mmapCheck(k: Kernel, pid: number, enclId: number, _file: OpenFile, vma: VmaDraft): number {
      const allowed = sgxAllowedRwx(k, enclId, vma.start, vma.end, o);
      if (vma.flags & RWX & ~allowed.rwx) return -EACCES;
      return hooks(k).enclaveMap(k, pid, protOf(vma.flags), allowed.eaug);
    },
    mmapFinish(k: Kernel, pid: number, enclId: number, vma: VmaDraft): void {
      // 01/12 "x86/sgx: Use mmu_notifier.release() instead of per-vma refcounting": sgx_mmap() -> sgx_encl_mm_add(encl, vma->vm_mm)
      enclMut(k, enclId).addMm(pid);
      const allowed = sgxAllowedRwx(k, enclId, vma.start, vma.end, o);
      // "Clear VM_MAY* flags instead of using .may_mprotect()" (v3 changelog, kept in v4)
      if (!(allowed.rwx & VM_READ)) vma.flags &= ~VM_MAYREAD;
      if (!(allowed.rwx & VM_WRITE)) vma.flags &= ~VM_MAYWRITE;
      if (!(allowed.rwx & VM_EXEC)) vma.flags &= ~VM_MAYEXEC;
      vma.flags >>>= 0;
    },
    // 06/12 vm_ops->may_mprotect, 07/12 sgx_vma_mprotect(): only the LSM hook (VM_MAY* does the rest).
    mayMprotect(k, pid, vma, start, end, prot) {
      const id = enclIdOfVma(vma);
      if (id === null) return -EACCES;
      return hooks(k).enclaveMap(k, pid, prot, isEaugRange(k, id, start, end));
    },
    ...(o.sgx2 ? { eaug } : {}),
  };
}
