// D4 `allow-prot`: Sean Christopherson's "[RFC PATCH 0/9] security: x86/sgx: SGX vs. LSM" (v1,
// 2019-05-31, 20190531233159.30992-1..10-sean.j.christopherson@intel.com) and "[RFC PATCH v2 0/5]"
// (v2, 2019-06-05, 20190606021145.12604-1..6-sean.j.christopherson@intel.com), on the v20 driver.
// designs-spec §5. Userspace declares each page's maximal protections at ADD time; the driver
// refuses mappings beyond them (and any PROT != NONE mapping of a missing page) in sgx_mmap() and in
// vm_ops->mprotect / ->may_mprotect, which run *before* security_file_mprotect(); the LSM decides at
// ADD time through security_enclave_load() — narrowing the allowed protections in v1, rejecting in
// v2.
import type { Kernel } from '../../../kernel/kernel.js';
import type { Vma } from '../../../mm/vma.js';
import type { OpenFile, VmaDraft } from '../../../fs/types.js';
import { copyFromUser } from '../../../kernel/uaccess.js';
import { EACCES, EFAULT, ERESTARTSYS } from '../../../abi/errno.js';
import { VM_EXEC, VM_MAYEXEC, VM_READ, VM_SHARED, VM_WRITE } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { enclOf } from '../common/epc.js';
import { enclIdOfVma } from '../common/vma.js';
import { selectHooks, type DesignAvc } from '../common/lsm.js';
import { secinfoFlagsOf, signalPending, uptr, type IoctlHandler, type RfcDriverSpec } from '../v20/rfc.js';
import { D4V1_ENCLAVE_ADD_PAGES, D4V1_IOC_ENCLAVE_ADD_PAGES, D4V2_ENCLAVE_ADD_PAGE, D4V2_IOC_ENCLAVE_ADD_PAGE } from './uapi.js';

const RWX = VM_READ | VM_WRITE | VM_EXEC;
const X = VM_EXEC;
const W = VM_WRITE;

export type D4Variant = 'v1' | 'v2';

// ------------------------------------------------------------------ the LSM hook

/** security_enclave_load() as each version declares it (RFC v1 8/9, v2 4/5). */
export interface D4Hooks {
  /** v1: int security_enclave_load(struct vm_area_struct *vma, unsigned long prot, unsigned long *allowed_prot). */
  enclaveLoadV1(k: Kernel, pid: number, vma: Vma, prot: number, allowed: number): { readonly rc: number; readonly allowed: number };
  /** v2: int security_enclave_load(struct vm_area_struct *vma, unsigned long prot). */
  enclaveLoadV2(k: Kernel, pid: number, vma: Vma, prot: number): number;
}

/** No LSM implements the hook: allowed as declared. */
export const D4_NO_LSM: D4Hooks = {
  enclaveLoadV1: (_k, _pid, _vma, _prot, allowed) => ({ rc: 0, allowed }),
  enclaveLoadV2: () => 0,
};

/** The source is a file whose inode is not S_PRIVATE (else SELinux treats it as anonymous memory). */
function sourceFile(k: Kernel, vma: Vma): { fileId: number; tclass: string } | null {
  if (vma.file === null) return null;
  const inode = k.lsmInode(k.file(vma.file).inode);
  return inode.isPrivate ? null : { fileId: vma.file, tclass: inode.inodeClass };
}

/** The SELinux side: selinux_enclave_load() of RFC v1 9/9 and of v2 5/5. */
export function d4Selinux(avc: DesignAvc): D4Hooks {
  const check = (k: Kernel, pid: number, vma: Vma, perm: 'execute' | 'execmod'): number => {
    const f = sourceFile(k, vma);
    // file_has_perm(cred, vma->vm_file, FILE__EXECUTE / FILE__EXECMOD), else avc_has_perm(sid, sid, SECCLASS_PROCESS, PROCESS__EXECMEM)
    return f
      ? avc.check(k, pid, 'enclave_load', 'selinux_enclave_load', { kind: 'file', fileId: f.fileId }, f.tclass, [perm])
      : avc.check(k, pid, 'enclave_load', 'selinux_enclave_load', { kind: 'self' }, 'process', ['execmem']);
  };
  return {
    // RFC v1 9/9 (20190531233159.30992-10): nothing unless ALLOW_EXEC; X from a source that is not
    // VM_EXEC needs EXECUTE on the file (EXECMEM if anonymous/private); W+X allowed needs EXECMOD
    // (EXECMEM). A denial fails only if the SECINFO asked for the bit, else narrows allowed_prot.
    enclaveLoadV1(k, pid, vma, prot, allowed) {
      if (!(allowed & X)) return { rc: 0, allowed };
      if (!(vma.flags & VM_EXEC)) {
        const rc = check(k, pid, vma, 'execute');
        if (rc) {
          if (prot & X) return { rc, allowed };
          allowed &= ~X;
        }
      }
      if (allowed & W && allowed & X) {
        const rc = check(k, pid, vma, 'execmod');
        if (rc) {
          if ((prot & (W | X)) === (W | X)) return { rc, allowed };
          if (prot & X) allowed &= ~W;
          else allowed &= ~X;
        }
      }
      // FILE__READ / FILE__WRITE on the source are deliberately not required.
      return { rc: 0, allowed };
    },
    // RFC v2 5/5 (20190606021145.12604-6): reject only. As posted, a misplaced parenthesis puts the
    // `(VM_SHARED || !(prot & PROT_WRITE))` clause inside IS_PRIVATE(); the intended grouping is
    // modelled (designs-spec §5.2). EXECUTE: X without W from an unmodified file mapping; EXECMOD: X
    // from a COWed private file mapping, or W+X from a shared one; EXECMEM: anonymous/private inode,
    // or W+X from a private file mapping.
    enclaveLoadV2(k, pid, vma, prot) {
      if (!(prot & X)) return 0;
      if (vma.flags & VM_EXEC && !(prot & W)) return 0;
      const f = sourceFile(k, vma);
      if (f && (vma.flags & VM_SHARED || !(prot & W))) {
        const perm = vma.anonVma === null && !(prot & W) ? 'execute' : 'execmod';
        return avc.check(k, pid, 'enclave_load', 'selinux_enclave_load', { kind: 'file', fileId: f.fileId }, f.tclass, [perm]);
      }
      return avc.check(k, pid, 'enclave_load', 'selinux_enclave_load', { kind: 'self' }, 'process', ['execmem']);
    },
  };
}

function hooks(k: Kernel): D4Hooks {
  return selectHooks(k, { none: D4_NO_LSM, selinux: d4Selinux });
}

// ------------------------------------------------------------------ the driver changes

/**
 * sgx_map_allowed() (RFC v1 5/9 + 6/9, unchanged in v2 3/5): PROT_NONE is always allowed; any other
 * protection needs an enclave page at every address of the range (a hole -> -EACCES) whose allowed
 * protections cover it (-EACCES). (As posted, the error path returns with encl->lock held: ignored.)
 */
export function sgxMapAllowed(k: Kernel, enclId: number, start: number, end: number, prot: number): number {
  prot &= RWX;
  if (!prot) return 0;
  const encl = enclOf(k, enclId);
  const pages = encl.pagesIn(start, end);
  if (pages.length !== Math.ceil((end - start) / PAGE_SIZE)) return -EACCES;
  for (const p of pages) if (prot & ~p.maxProt) return -EACCES;
  return 0;
}

/** v1 7/9 "x86/sgx: Enforce noexec filesystem restriction for enclaves": a noexec source loses ALLOW_EXEC. */
function noexecSource(k: Kernel, vma: Vma | undefined): boolean {
  return !vma || (vma.file !== null && k.pathNoexec(k.file(vma.file)));
}

/** v1: SGX_IOC_ENCLAVE_ADD_PAGES (3/9, 6/9, 7/9, 8/9). */
const addPagesV1: IoctlHandler = (ctx, k, pid, enclId, a) => {
  const secinfo = copyFromUser(k, pid, uptr(a.secinfo), 64);
  if (typeof secinfo === 'number') return -EFAULT;
  const prot = Number(secinfoFlagsOf(secinfo) & 7n);
  const mrmask = Number(a.mrmask & 0xffffn);
  let ret = 0;
  for (let i = 0n; i < a.nr_pages && ret === 0; i++) {
    // "if (signal_pending(current)) { ret = -ERESTARTSYS; break; }" — no count is reported.
    if (signalPending(k, ctx.platformId, pid)) return -ERESTARTSYS;
    const src = uptr(a.src + i * BigInt(PAGE_SIZE));
    let allowed = Number(a.flags) & RWX;
    // sgx_encl_page_protect() under mmap_sem (CONFIG_SECURITY is always on here).
    const vma = src < 0 ? undefined : k.mm(pid).vmas.find(src);
    if (noexecSource(k, vma)) allowed &= ~X;
    // As posted, a missing VMA reaches the LSM as NULL (SELinux would dereference it); model: -EFAULT (designs-spec §13.5).
    if (!vma) return -EFAULT;
    const r = hooks(k).enclaveLoadV1(k, pid, vma, prot, allowed);
    if (r.rc) return r.rc;
    allowed = r.allowed;
    // "SECINFO permissions must be a subset of the allowed protections"
    if (prot & ~allowed) return -EACCES;
    const data = copyFromUser(k, pid, src, PAGE_SIZE);
    if (typeof data === 'number') return -EFAULT;
    ret = ctx.addPage(k, pid, enclId, a.addr + i * BigInt(PAGE_SIZE), data, secinfo, mrmask, { maxProt: allowed });
  }
  return ret;
};

/** v2: SGX_IOC_ENCLAVE_ADD_PAGE (2/5, 3/5 with 4/5's fix, 4/5). */
const addPageV2: IoctlHandler = (ctx, k, pid, enclId, a) => {
  const secinfo = copyFromUser(k, pid, uptr(a.secinfo), 64);
  if (typeof secinfo === 'number') return -EFAULT;
  // "flags & (PROT_READ | PROT_WRITE | PROT_EXEC)": the page's maximal protections; SECINFO is not validated against it.
  const prot = Number(a.flags & 7n);
  const src = uptr(a.src);
  // sgx_encl_page_copy(): mmap_sem held across the checks and the copy.
  const vma = src < 0 ? undefined : k.mm(pid).vmas.find(src);
  if (!vma) return -EFAULT;
  // 3/5 "x86/sgx: Enforce noexec filesystem restriction for enclaves"
  if (prot & X && !(vma.flags & VM_MAYEXEC)) return -EACCES;
  const rc = hooks(k).enclaveLoadV2(k, pid, vma, prot);
  if (rc) return rc;
  const data = copyFromUser(k, pid, src, PAGE_SIZE);
  if (typeof data === 'number') return -EFAULT;
  return ctx.addPage(k, pid, enclId, a.addr, data, secinfo, Number(a.mrmask & 0xffffn), { maxProt: prot });
};

/** What D4 changes in the v20 driver. */
export function d4DriverSpec(designKey: string, variant: D4Variant): RfcDriverSpec {
  return {
    designKey,
    // v1 2/9 "Do not naturally align MAP_FIXED address"; v2 builds on v1's first patches (model choice).
    unmappedArea: 'fixed',
    ioctls: new Map(
      variant === 'v1'
        ? [[D4V1_IOC_ENCLAVE_ADD_PAGES, { layout: D4V1_ENCLAVE_ADD_PAGES, handler: addPagesV1 }]]
        : [[D4V2_IOC_ENCLAVE_ADD_PAGE, { layout: D4V2_ENCLAVE_ADD_PAGE, handler: addPageV2 }]],
    ),
    // v1 5/9: sgx_mmap() -> sgx_map_allowed() on the VMA's flags.
    mmapCheck: (k: Kernel, _pid: number, enclId: number, _file: OpenFile, vma: VmaDraft) => sgxMapAllowed(k, enclId, vma.start, vma.end, vma.flags),
    // v1 4/9 vm_ops->mprotect / v2 1/5 vm_ops->may_mprotect: before security_file_mprotect().
    mayMprotect: (k, _pid, vma, start, end, prot) => {
      const id = enclIdOfVma(vma);
      return id === null ? -EACCES : sgxMapAllowed(k, id, start, end, prot);
    },
  };
}
