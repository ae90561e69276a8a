// D6 `ema`: Cedric Xing's "security/x86/sgx: SGX specific LSM hooks" v1-v3 (2019-06-10 .. 07-07),
// "based on ... SGX patch series v20": the v20 uAPI and mapping rules, plus the driver's calls of
// the LSM (designs-spec §7). The driver-side patch ("x86/64: Call LSM hooks from SGX
// subsystem/module", v1 3/3, v3 2/4) was not readable: its call sites below follow the hooks'
// kernel-doc (v1 1/3, e32577424bb65dac5187e67b70573c0f336fef3b.1560131039.git.cedric.xing@intel.com)
// and are a model choice (docs/designs.md §D6):
//   - ADD_PAGE: after v20's checks, under mmap_sem, security_enclave_load(encl, addr, addr + 4096,
//     prot of the enclave VMA covering addr (0 if unmapped: "Shall be the same protection as the
//     VMA covering the target linear range, or 0 if target range not mapped"), find_vma(src));
//   - INIT: security_enclave_init(encl, sigstruct, find_vma(sigstruct pointer)) before EINIT;
//   - sgx_mmap(): security_file_mprotect(vma, prot, prot) ("mmap() shall be treated as mprotect()
//     from PROT_NONE to the requested protection");
//   - mprotect(): SELinux's enclave_mprotect() runs inside selinux_file_mprotect(), after the stock
//     checks; the model runs it from the vm_ops->mprotect slot, which follows
//     security_file_mprotect() directly (v20 has no ->mprotect of its own);
//   - EAUG (the sgx2 option; v20 has none): security_enclave_load(..., src = NULL) before EAUG.
import type { Kernel } from '../../../kernel/kernel.js';
import type { Vma } from '../../../mm/vma.js';
import type { OpenFile, VmaDraft } from '../../../fs/types.js';
import { copyFromUser } from '../../../kernel/uaccess.js';
import { securityFileMprotect } from '../../../security/hooks.js';
import { EFAULT } from '../../../abi/errno.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { VM_EXEC, VM_READ, VM_WRITE } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { sgxEnclEaugPage, type VmFault } from '../common/fault.js';
import { enclIdOfVma, isSgxVma } from '../common/vma.js';
import { uptr, type IoctlHandler, type RfcDriverSpec } from '../v20/rfc.js';
import { V20_ENCLAVE_ADD_PAGE, V20_IOC_ENCLAVE_ADD_PAGE } from '../v20/uapi.js';
import { d6Hooks, type D6LsmOptions } from './lsm.js';

const RWX = VM_READ | VM_WRITE | VM_EXEC;

export interface D6Options extends D6LsmOptions {
  /** EAUG on a fault at a hole of an initialized enclave, after security_enclave_load(..., NULL) (designs-spec §7; v20 has no EAUG). Default false. */
  readonly sgx2: boolean;
}

export const D6_DEFAULT_OPTIONS: D6Options = Object.freeze({ cedricV3Bug: true, sgx2: false });

function protOf(vmFlags: number): number {
  return (vmFlags & VM_READ ? PROT_READ : 0) | (vmFlags & VM_WRITE ? PROT_WRITE : 0) | (vmFlags & VM_EXEC ? PROT_EXEC : 0);
}

/** The protection of this enclave's VMA covering addr in pid's mm, or 0 (the kernel-doc of security_enclave_load()'s @prot). */
function coveringProt(k: Kernel, pid: number, enclId: number, addr: number): number {
  const v = k.mm(pid).vmas.at(addr);
  return v && isSgxVma(v) && enclIdOfVma(v) === enclId ? protOf(v.flags) : 0;
}

/** What D6 changes in the v20 driver. */
export function d6DriverSpec(designKey: string, o: D6Options): RfcDriverSpec {
  /** v20 SGX_IOC_ENCLAVE_ADD_PAGE with security_enclave_load() before the page is queued. */
  const addPage: IoctlHandler = (ctx, k, pid, enclId, a) => {
    const secinfo = copyFromUser(k, pid, uptr(a.secinfo), 64);
    if (typeof secinfo === 'number') return -EFAULT;
    const src = uptr(a.src);
    const data = copyFromUser(k, pid, src, PAGE_SIZE);
    if (typeof data === 'number') return -EFAULT;
    return ctx.addPage(k, pid, enclId, a.addr, data, secinfo, Number(a.mrmask & 0xffffn), { maxProt: RWX }, (addr) => {
      // under mmap_sem: the source VMA and the protection of the enclave VMA covering the page
      const vma = k.mm(pid).vmas.find(src);
      if (!vma) return -EFAULT;
      return d6Hooks(k, o).enclaveLoad(k, pid, enclId, addr, addr + PAGE_SIZE, coveringProt(k, pid, enclId, addr), vma);
    });
  };

  const eaug = (k: Kernel, pid: number, vma: Vma, enclId: number, addr: number): VmFault => {
    if (d6Hooks(k, o).enclaveLoad(k, pid, enclId, addr, addr + PAGE_SIZE, protOf(vma.flags), null)) return 'sigbus';
    return sgxEnclEaugPage(k, pid, vma, enclId, addr);
  };

  return {
    designKey,
    // v20's get_unmapped_area: D6 is "based on ... SGX patch series v20".
    unmappedArea: 'v20',
    ioctls: new Map([[V20_IOC_ENCLAVE_ADD_PAGE, { layout: V20_ENCLAVE_ADD_PAGE, handler: addPage }]]),
    mmapCheck(k: Kernel, pid: number, enclId: number, _file: OpenFile, draft: VmaDraft): number {
      // "mmap() shall be treated as mprotect() from PROT_NONE to the requested protection"
      const prot = protOf(draft.flags);
      const asNone: Vma = Object.freeze({ start: draft.start, end: draft.end, flags: (draft.flags & ~RWX) >>> 0, pgoff: draft.pgoff, file: draft.file, anonVma: null, ops: draft.ops, privateData: draft.privateData, pkey: 0, anonName: null });
      const rc = securityFileMprotect(k, pid, asNone, prot, prot);
      if (rc) return rc;
      return d6Hooks(k, o).enclaveMprotect(k, pid, enclId, asNone, prot);
    },
    mprotect(k, pid, vma, _start, _end, newflags) {
      const id = enclIdOfVma(vma);
      if (id === null) return 0;
      // selinux_file_mprotect(vma, reqprot, prot) -> enclave_mprotect(vma, prot): the whole VMA, as the hook sees it.
      return d6Hooks(k, o).enclaveMprotect(k, pid, id, vma, protOf(newflags));
    },
    initHook(k, pid, enclId, sigstructAddr) {
      const vma = sigstructAddr < 0 ? null : (k.mm(pid).vmas.find(sigstructAddr) ?? null);
      return d6Hooks(k, o).enclaveInit(k, pid, enclId, vma);
    },
    release(k, enclId) {
      d6Hooks(k, o).release(k, enclId);
    },
    ...(o.sgx2 ? { eaug } : {}),
  };
}
