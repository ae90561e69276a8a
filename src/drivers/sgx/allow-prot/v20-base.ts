// The v20-era SGX driver as the 2019 RFCs D4 (`allow-prot`), D5 (`sgx-perms`) and D6 (`ema`) patch
// it: the in-tree driver of Jarkko Sakkinen's v20 series (2019-04-17, 20190417103938.7762-*;
// driver/{main.c,ioctl.c}, encl.c; designs-spec §1) with the hooks each RFC inserts left open:
//   - the ADD ioctl (each RFC has its own), which ends in the shared v20 add path
//     (v20AddPage(): secinfo/TCS validation, VA growth, state, duplicate, then the EADD worker);
//   - sgx_mmap()'s checks, vm_ops->may_mprotect / ->mprotect, an INIT hook, EAUG on fault.
// CREATE, INIT, SET_ATTRIBUTE, get_unmapped_area and the fault path are v20's. Every rule names its
// v20 function; what the RFCs change is in their folders (allow-prot/, sgx-perms/, ema/).
//
// Model choices (docs/designs.md §D4 "Choices"):
//   - v20 runs EADD/EEXTEND in a per-enclave worker (sgx_encl_add_page() queues, the ioctl returns
//     0). Here the worker runs when the ioctl returns to user mode (as ksgxd does in the framework):
//     deterministic, and every later observation (INIT, a fault) sees the queue flushed, as
//     flush_work() makes it in v20. A worker failure (EPC allocation, EADD, EEXTEND) marks the
//     enclave dead (SGX_ENCL_DEAD, a model bit above the mainline flags); the page is dropped.
//   - ECREATE failure: the raw ENCLS value (a positive ENCLS_FAULT_FLAG | vector), as v20 returns it
//     (designs-spec §13.1 leaves it open; D0 makes the same choice).
//   - SET_ATTRIBUTE with a bad fd: -EBADF (v20 dereferences NULL).
//   - SGX_ATTR_ALLOWED_MASK: DEBUG | MODE64BIT | KSS.
//   - EPC allocation, VA pages, the reclaimer and ELDU are the framework's (6.1) machinery.
import type { Kernel } from '../../../kernel/kernel.js';
import type { OpenFile, VmaDraft } from '../../../fs/types.js';
import type { Vma } from '../../../mm/vma.js';
import { copyFromUser } from '../../../kernel/uaccess.js';
import { archGetUnmappedAreaTopdown } from '../../../mm/mmap.js';
import { EBADF, EBUSY, EEXIST, EFAULT, EFBIG, EINVAL, ENOIOCTLCMD, ERESTARTSYS } from '../../../abi/errno.js';
import { MAP_FIXED, MAP_PRIVATE } from '../../../abi/mman.js';
import { VM_DONTDUMP, VM_DONTEXPAND, VM_IO, VM_PFNMAP } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { _IOC_SIZE } from '../../../abi/ioctl.js';
import {
  SECS_OFF,
  SECS_SIZE,
  SGX_ATTR_DEBUG,
  SGX_ATTR_KSS,
  SGX_ATTR_MODE64BIT,
  SGX_ATTR_PROVISIONKEY,
  SGX_ATTR_RESERVED_MASK,
  SGX_EEXTEND_BLOCK_SIZE,
  SGX_MISC_RESERVED_MASK,
  SGX_SECINFO_PAGE_TYPE_MASK,
  SGX_SECINFO_R,
  SGX_SECINFO_RESERVED_MASK,
  SGX_SECINFO_TCS,
  SGX_SECINFO_REG,
  SGX_SECINFO_TRIM,
  SGX_SECINFO_W,
  SGX_TCS_DBGOPTIN,
  SIGSTRUCT_SIZE,
  SgxError,
  SgxPageType,
  TCS_OFF,
} from '../../../arch/x86/sgx/arch.js';
import { parseSecs } from '../../../arch/x86/sgx/encls.js';
import { ssaFrameBytesNeeded, MSR_IA32_SGXLEPUBKEYHASH0 } from '../../../arch/x86/sgx/cpu.js';
import { leHashMsrs, mrsignerOf } from '../../../arch/x86/sgx/sigstruct.js';
import { secinfoBytes } from '../../../arch/x86/sgx/secinfo.js';
import { decodeStruct, type StructLayout } from '../../../userspace/struct.js';
import { SGX_ENCL_CREATED, SGX_ENCL_DEBUG, SGX_ENCL_INITIALIZED, SgxEncl, type EnclPage } from '../common/encl.js';
import {
  addVaPage,
  enclMut,
  enclOf,
  note,
  platformMut,
  platformOf,
  runKsgxd,
  sgxAllocEpcPage,
  sgxEnclFreeEpcPage,
  sgxEnclGrow,
  sgxEnclLoadPage,
  sgxEnclRelease,
  sgxEnclShrink,
} from '../common/epc.js';
import { markYoung, type VmFault } from '../common/fault.js';
import { createPlatform, registerDevice, type SgxFileOperations } from '../common/install.js';
import type { SgxPlatform } from '../common/platform.js';
import type { DeviceSpec, InstallOptions, SgxDesign, SgxInstall } from '../design.js';
import { SGX_ENCLAVE_DEVICE_LABEL, SGX_PROVISION_DEVICE_LABEL } from '../mainline/index.js';
import { enclIdOfVma, insertPfn, ptePresent, type SgxVmOperations } from '../common/vma.js';
import type { FaultAccess, FaultResult } from '../../../mm/vma.js';
import { V20_ENCLAVE_CREATE, V20_ENCLAVE_INIT, V20_ENCLAVE_SET_ATTRIBUTE, V20_IOC_ENCLAVE_CREATE, V20_IOC_ENCLAVE_INIT, V20_IOC_ENCLAVE_SET_ATTRIBUTE } from './uapi.js';

/** SGX_ENCL_DEAD (v20 encl.h): a model bit above the mainline flags (common/encl.ts). */
export const SGX_ENCL_DEAD = 1 << 8;
/** ENCLS_FAULT_FLAG (v20 encls.h): ORed into the trap number when an ENCLS leaf faults. */
export const ENCLS_FAULT_FLAG = 0x40000000;
/** MAX_LFS_FILESIZE (64-bit) >> PAGE_SHIFT: the largest shmem page index (else -EFBIG). */
const MAX_LFS_INDEX = ((1n << 63n) - 1n) >> 12n;
/** SGX_ATTR_ALLOWED_MASK at ECREATE (designs-spec §13.1: DEBUG | MODE64BIT | KSS). */
export const V20_ALLOWED_ATTRIBUTES = SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_KSS;

const U64 = (1n << 64n) - 1n;

/** What a design adds to a page record it creates (vm_max_prot_bits and design state). */
export interface PageProps {
  /** The page's maximal VM_READ|VM_WRITE|VM_EXEC (D4: allowed_prot; D5: vm_prot_bits; D6: RWX, unused). */
  readonly maxProt: number;
  readonly extra?: unknown;
}

/** What an ioctl handler gets besides its arguments: the shared v20 add path, bound to this ioctl's worker queue. */
export interface IoctlCtx {
  readonly platformId: number;
  /**
   * The v20 add path after the design's own source handling: sgx_validate_secinfo() ->
   * sgx_validate_tcs() -> sgx_encl_grow() -> encl->lock: dead/state (-EFAULT), duplicate (-EEXIST)
   * -> `beforeQueue` (D6's security_enclave_load()) -> the page record and the worker request
   * (EADD/EEXTEND when the ioctl returns). 0 or -errno.
   */
  addPage(k: Kernel, pid: number, enclId: number, addr: number, data: Uint8Array, secinfo: Uint8Array, mrmask: number, props: PageProps, beforeQueue?: () => number): number;
}

/** An ioctl handler of a design: `a` is the kernel copy of the argument (the v20 dispatcher copies it first). */
export type IoctlHandler = (ctx: IoctlCtx, k: Kernel, pid: number, enclId: number, a: Record<string, bigint>, arg: number) => number;

/** What an RFC changes in the v20 driver. */
export interface RfcDriverSpec {
  readonly designKey: string;
  /**
   * get_unmapped_area(): 'v20' = natural size and alignment, also for MAP_FIXED (v20 main.c);
   * 'fixed' = MAP_FIXED returns the address (Sean RFC v1 2/9 "x86/sgx: Do not naturally align
   * MAP_FIXED address", 20190531233159.30992-3).
   */
  readonly unmappedArea: 'v20' | 'fixed';
  /** The design's ADD ioctl(s), by command number. */
  readonly ioctls: ReadonlyMap<number, { readonly layout: StructLayout; readonly handler: IoctlHandler }>;
  /** sgx_mmap(): the design's checks before sgx_encl_mm_add(); 0 or -errno. */
  readonly mmapCheck?: (k: Kernel, pid: number, enclId: number, file: OpenFile, vma: VmaDraft) => number;
  /** sgx_mmap(): after the VMA is set up (D5 clears VM_MAY* here). */
  readonly mmapFinish?: (k: Kernel, pid: number, enclId: number, vma: VmaDraft) => void;
  /** vm_ops->may_mprotect (before security_file_mprotect()). */
  readonly mayMprotect?: (k: Kernel, pid: number, vma: Vma, start: number, end: number, prot: number) => number;
  /** vm_ops->mprotect (after security_file_mprotect()). */
  readonly mprotect?: (k: Kernel, pid: number, vma: Vma, start: number, end: number, newflags: number) => number;
  /** INIT: called after the state check, before EINIT; 0 or -errno. */
  readonly initHook?: (k: Kernel, pid: number, enclId: number, sigstructAddr: number) => number;
  /** Fault on an address the enclave has no page for (an SGX2 variant's EAUG); absent: SIGBUS. */
  readonly eaug?: (k: Kernel, pid: number, vma: Vma, enclId: number, addr: number) => VmFault;
  /** Extra clean-up before sgx_encl_release() (e.g. files an LSM pinned). */
  readonly release?: (k: Kernel, enclId: number) => void;
}

export interface RfcDriver {
  readonly enclaveFops: SgxFileOperations;
  readonly provisionFops: SgxFileOperations;
  readonly vmOps: SgxVmOperations;
}

/** A u64 user pointer as a JS address (past 2^53: an address copy_from_user() cannot reach). */
export function uptr(v: bigint): number {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1;
}

/** The page address a v20 uAPI `addr` names (radix key PFN(addr); EADD gets the aligned address). */
export function pageAddrOf(addr: bigint): number {
  const a = (addr & U64) >> 12n;
  return a <= BigInt(Math.floor(Number.MAX_SAFE_INTEGER / PAGE_SIZE)) ? Number(a) * PAGE_SIZE : -1;
}

/** The R/W/X bits of SECINFO.FLAGS. */
export function secinfoFlagsOf(si: Uint8Array): bigint {
  return new DataView(si.buffer, si.byteOffset, 64).getBigUint64(0, true);
}

/** signal_pending(current) with the framework's knob. */
export function signalPending(k: Kernel, platformId: number, pid: number): boolean {
  return platformMut(k, platformId).signalPending(pid);
}

/** find_dynamic_major() (fs/char_dev.c): the highest free major from 254 down to CHRDEV_MAJOR_DYN_END (234). */
export function dynamicMajor(k: Kernel): number {
  const used = new Set<number>();
  for (const dev of k.chrdevs.keysArray()) used.add(Math.floor(dev / (1 << 20)));
  for (let m = 254; m >= 234; m--) if (!used.has(m)) return m;
  throw new Error('no free dynamic character major');
}

/** Build the v20-era driver with one RFC's changes. */
export function rfcDriver(platformId: number, spec: RfcDriverSpec): RfcDriver {
  // ------------------------------------------------------------------ CREATE

  /** sgx_validate_secs() (v20 driver/ioctl.c): 0 or -EINVAL. */
  const validateSecs = (k: Kernel, secs: Uint8Array): number => {
    const s = parseSecs(secs);
    const hw = platformOf(k, platformId).hw;
    const l0 = hw.cpuid(0);
    const l1 = hw.cpuid(1);
    const miscReserved = (~BigInt(l0.ebx >>> 0) & 0xffff_ffffn) | (SGX_MISC_RESERVED_MASK & 0xffff_ffffn);
    const attrReserved = (~(BigInt(l1.eax >>> 0) | (BigInt(l1.ebx >>> 0) << 32n)) & U64) | SGX_ATTR_RESERVED_MASK;
    const xfrmReserved = ~(BigInt(l1.ecx >>> 0) | (BigInt(l1.edx >>> 0) << 32n)) & U64;
    if (s.size < 2n * BigInt(PAGE_SIZE) || (s.size & (s.size - 1n)) !== 0n) return -EINVAL;
    if (s.base & (s.size - 1n)) return -EINVAL;
    if (BigInt(s.miscselect) & miscReserved || s.attributes & attrReserved || s.xfrm & xfrmReserved) return -EINVAL;
    // sgx_encl_size_max_64 / _32 = 1 << CPUID.(12H,0):EDX[15:8] / [7:0]
    const max64 = 1n << BigInt((l0.edx >>> 8) & 0xff);
    const max32 = 1n << BigInt(l0.edx & 0xff);
    if (s.attributes & SGX_ATTR_MODE64BIT ? s.size > max64 : s.size > max32) return -EINVAL;
    // XFEATURE_MASK_FP and _SSE required; BNDREGS (bit 3) and BNDCSR (bit 4) together.
    if (!(s.xfrm & 1n) || !(s.xfrm & 2n) || ((s.xfrm >> 3n) & 1n) !== ((s.xfrm >> 4n) & 1n)) return -EINVAL;
    // sgx_calc_ssaframesize(): pages needed for the GPRs + MISC + XSAVE area.
    const ssaframesize = Math.ceil(ssaFrameBytesNeeded(s.xfrm, s.miscselect) / PAGE_SIZE);
    if (!s.ssaFrameSize || ssaframesize > s.ssaFrameSize) return -EINVAL;
    const reserved: Array<[number, number]> = [
      [SECS_OFF.reserved1, SECS_OFF.attributes],
      [SECS_OFF.reserved2, SECS_OFF.mrsigner],
      [SECS_OFF.reserved3, SECS_OFF.configId],
      [SECS_OFF.reserved4, SECS_SIZE],
    ];
    for (const [from, to] of reserved) for (let i = from; i < to; i++) if (secs[i] !== 0) return -EINVAL;
    return 0;
  };

  /** sgx_ioc_enclave_create() + sgx_encl_create() (v20). */
  const iocCreate: IoctlHandler = (_ctx, k, pid, enclId, a) => {
    const secs = copyFromUser(k, pid, uptr(a.src), SECS_SIZE);
    if (typeof secs === 'number') return -EFAULT;
    // sgx_encl_grow(): the VA page is allocated first, then encl->lock and the DEAD test.
    const va = sgxEnclGrow(k, enclId, true, pid);
    if (typeof va === 'number' && va < 0) return va;
    addVaPage(k, enclId, va as number | null);
    const undoGrow = (): void => sgxEnclShrink(k, enclId, va as number | null, pid);
    const e0 = enclOf(k, enclId);
    if (e0.has(SGX_ENCL_DEAD)) {
      undoGrow();
      return -EFAULT;
    }
    // "if (encl->flags & SGX_ENCL_CREATED) { ret = -EFAULT; goto err_out; }"
    if (e0.has(SGX_ENCL_CREATED)) {
      undoGrow();
      return -EFAULT;
    }
    const v = validateSecs(k, secs);
    if (v) {
      undoGrow();
      return v;
    }
    // sgx_encl_mm_add(encl, current->mm)
    enclMut(k, enclId).addMm(pid);
    const secsEpc = sgxAllocEpcPage(k, platformId, { kind: 'secs', encl: enclId }, true, pid);
    if (secsEpc < 0) {
      undoGrow();
      return secsEpc;
    }
    const r = platformMut(k, platformId).hw.ecreate({ linaddr: 0n, srcpge: secs, secinfo: secinfoBytes(BigInt(SgxPageType.SECS) << 8n), secs: null }, secsEpc);
    if (r.kind !== 'ok') {
      note(k, pid, `ECREATE failed: ${r.kind === 'error' ? `SGX error ${r.code}` : `vector ${r.vector}`}: ${r.reason}`);
      sgxEnclFreeEpcPage(k, platformId, secsEpc, pid);
      undoGrow();
      // "ECREATE returned %ld": the raw ENCLS value is the ioctl's return value (positive)
      return r.kind === 'error' ? r.code : ENCLS_FAULT_FLAG | r.vector;
    }
    const s = parseSecs(secs);
    const e = enclMut(k, enclId);
    e.secs = { epc: secsEpc, backing: null };
    if (s.attributes & SGX_ATTR_DEBUG) e.flags |= SGX_ENCL_DEBUG;
    e.base = Number(s.base);
    e.size = Number(s.size);
    e.attributes = s.attributes;
    e.attributesMask = V20_ALLOWED_ATTRIBUTES; // encl->allowed_attributes
    e.flags |= SGX_ENCL_CREATED;
    return 0;
  };

  // ------------------------------------------------------------------ the shared add path

  /** sgx_validate_secinfo() (v20): reserved flag bits, W without R, type not TCS/REG/TRIM, reserved bytes. */
  const validateSecinfo = (si: Uint8Array): boolean => {
    const flags = secinfoFlagsOf(si);
    const pt = flags & SGX_SECINFO_PAGE_TYPE_MASK;
    if (flags & SGX_SECINFO_RESERVED_MASK) return false;
    if (flags & SGX_SECINFO_W && !(flags & SGX_SECINFO_R)) return false;
    if (pt !== SGX_SECINFO_TCS && pt !== SGX_SECINFO_REG && pt !== SGX_SECINFO_TRIM) return false;
    for (let i = 8; i < 64; i++) if (si[i] !== 0) return false;
    return true;
  };

  /** sgx_validate_tcs() (v20): flags, DBGOPTIN, OSSA/OFSBASE/OGSBASE page aligned and < SECS.SIZE, limits end in 0xfff, reserved bytes. */
  const validateTcs = (encl: SgxEncl, page: Uint8Array): boolean => {
    const v = new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
    const flags = v.getBigUint64(TCS_OFF.flags, true);
    if (flags & ~SGX_TCS_DBGOPTIN) return false; // SGX_TCS_RESERVED_MASK
    if (flags & SGX_TCS_DBGOPTIN) return false;
    const size = BigInt(encl.size);
    for (const off of [TCS_OFF.ssaOffset, TCS_OFF.fsOffset, TCS_OFF.gsOffset]) {
      const o = v.getBigUint64(off, true);
      if (o & 0xfffn || o >= size) return false; // sgx_validate_offset()
    }
    if ((v.getUint32(TCS_OFF.fsLimit, true) & 0xfff) !== 0xfff) return false;
    if ((v.getUint32(TCS_OFF.gsLimit, true) & 0xfff) !== 0xfff) return false;
    for (let i = TCS_OFF.reserved; i < PAGE_SIZE; i++) if (page[i] !== 0) return false;
    return true;
  };

  /**
   * sgx_encl_destroy() (v20 encl.c): SGX_ENCL_DEAD; every page with an EPC page is freed and dropped
   * (one the reclaimer holds is left alone, as __sgx_free_page() refuses it); the SECS once it has
   * no children; every VA page. Queued or evicted pages stay until release.
   */
  const destroy = (k: Kernel, pid: number, enclId: number, why: string): void => {
    note(k, pid, `sgx_encl_destroy(): ${why}`);
    enclMut(k, enclId).flags |= SGX_ENCL_DEAD;
    for (const p of enclOf(k, enclId).pages.valuesArray()) {
      if (p.epc === null) continue;
      if (!platformMut(k, platformId).unmarkReclaimable(p.epc)) continue;
      sgxEnclFreeEpcPage(k, platformId, p.epc, pid);
      const e = enclMut(k, enclId);
      e.secsChildCnt--;
      e.deletePage(p.addr);
    }
    const e = enclMut(k, enclId);
    if (e.secsChildCnt === 0 && e.secs.epc !== null) {
      sgxEnclFreeEpcPage(k, platformId, e.secs.epc, pid);
      e.secs = { epc: null, backing: null };
    }
    for (const va of e.vaPages) sgxEnclFreeEpcPage(k, platformId, va.epc, pid);
    e.vaPages = [];
  };

  /**
   * The EADD worker (sgx_add_page_worker() / sgx_encl_add_page_work): an EPC page, EADD, EEXTEND of
   * every chunk set in mrmask. Any failure destroys the enclave. Runs when the ioctl returns.
   */
  const addWorker = (k: Kernel, pid: number, enclId: number, addr: number, data: Uint8Array, secinfo: Uint8Array, mrmask: number): void => {
    if (enclOf(k, enclId).has(SGX_ENCL_DEAD)) return;
    const fail = (why: string): void => {
      // a page that never got its EPC page is dropped; destroy() frees the others
      if (enclOf(k, enclId).page(addr)?.epc === null) enclMut(k, enclId).deletePage(addr);
      destroy(k, pid, enclId, why);
    };
    // The worker is a kernel thread (pid 0 here): no signal interrupts its direct reclaim.
    const epc = sgxAllocEpcPage(k, platformId, { kind: 'page', encl: enclId, addr }, true, 0);
    if (epc < 0) return fail(`EPC allocation for 0x${addr.toString(16)} failed (${epc})`);
    const secsEpc = enclOf(k, enclId).secs.epc;
    const hw = platformMut(k, platformId).hw;
    const r = hw.eadd({ linaddr: BigInt(addr), srcpge: data, secinfo, secs: secsEpc }, epc);
    if (r.kind !== 'ok') {
      sgxEnclFreeEpcPage(k, platformId, epc, pid);
      return fail(`EADD at 0x${addr.toString(16)}: ${r.reason}`);
    }
    const e = enclMut(k, enclId);
    e.updatePage(addr, { epc });
    e.secsChildCnt++;
    platformMut(k, platformId).markReclaimable(epc);
    for (let i = 0; i < 16; i++) {
      if (!(mrmask & (1 << i))) continue;
      const x = platformMut(k, platformId).hw.eextend(secsEpc!, epc, i * SGX_EEXTEND_BLOCK_SIZE);
      if (x.kind !== 'ok') return fail(`EEXTEND at 0x${(addr + i * SGX_EEXTEND_BLOCK_SIZE).toString(16)}: ${x.reason}`);
    }
  };

  /** A worker request queued by an ioctl (drained when it returns). */
  interface AddReq {
    readonly enclId: number;
    readonly addr: number;
    readonly data: Uint8Array;
    readonly secinfo: Uint8Array;
    readonly mrmask: number;
  }

  /** The shared v20 add path (IoctlCtx.addPage) queuing into `queue`. */
  const v20AddPage = (
    queue: AddReq[],
    k: Kernel,
    pid: number,
    enclId: number,
    addr: number,
    data: Uint8Array,
    secinfo: Uint8Array,
    mrmask: number,
    props: PageProps,
    beforeQueue?: () => number,
  ): number => {
    if (!validateSecinfo(secinfo)) return -EINVAL;
    if ((secinfoFlagsOf(secinfo) & SGX_SECINFO_PAGE_TYPE_MASK) === SGX_SECINFO_TCS && !validateTcs(enclOf(k, enclId), data)) return -EINVAL;
    const va = sgxEnclGrow(k, enclId, true, pid);
    if (typeof va === 'number' && va < 0) return va;
    addVaPage(k, enclId, va as number | null);
    const undo = (err: number): number => {
      sgxEnclShrink(k, enclId, va as number | null, pid);
      return err;
    };
    const e = enclOf(k, enclId);
    if (e.has(SGX_ENCL_DEAD)) return undo(-EFAULT);
    // "if (!(encl->flags & SGX_ENCL_CREATED) || (encl->flags & (SGX_ENCL_INITIALIZED | SGX_ENCL_DEAD)))"
    if (!e.has(SGX_ENCL_CREATED) || e.has(SGX_ENCL_INITIALIZED)) return undo(-EFAULT);
    if (addr < 0) return undo(-EFAULT);
    // radix_tree_lookup(&encl->page_tree, PFN_DOWN(addr)) -> -EEXIST
    if (e.page(addr)) return undo(-EEXIST);
    // __sgx_encl_add_page() -> sgx_encl_get_backing_page(): the shmem index of the page
    // (sgx_encl_get_index()); shmem_read_mapping_page_gfp() answers -EFBIG beyond MAX_LFS_FILESIZE
    // and -EINVAL at or beyond the backing file's size, (SECS.SIZE + 4096) * 33 / 32.
    const index = ((BigInt(addr) - BigInt(e.base)) & U64) >> 12n;
    if (index > MAX_LFS_INDEX) return undo(-EFBIG);
    const enclSize = BigInt(e.size) + 4096n;
    if (index << 12n >= enclSize + (enclSize >> 5n)) return undo(-EINVAL);
    if (beforeQueue) {
      const r = beforeQueue();
      if (r) return undo(r);
    }
    const type = Number((secinfoFlagsOf(secinfo) & SGX_SECINFO_PAGE_TYPE_MASK) >> 8n) as SgxPageType;
    enclMut(k, enclId).setPage({ addr, maxProt: props.maxProt, type, epc: null, beingReclaimed: false, backing: null, young: false, extra: props.extra });
    queue.push({ enclId, addr, data, secinfo, mrmask });
    return 0;
  };

  /** flush_work(): run the queued requests (the queue is emptied). */
  const runWorker = (queue: AddReq[], k: Kernel, pid: number): void => {
    const q = queue.splice(0, queue.length);
    for (const r of q) if (k.objects.has(r.enclId) && enclOf(k, r.enclId).page(r.addr)) addWorker(k, pid, r.enclId, r.addr, r.data, r.secinfo, r.mrmask);
  };

  // ------------------------------------------------------------------ INIT, SET_ATTRIBUTE

  /** sgx_ioc_enclave_init() + sgx_encl_init() (v20). */
  const iocInit = (queue: AddReq[]): IoctlHandler => (_ctx, k, pid, enclId, a) => {
    const ss = copyFromUser(k, pid, uptr(a.sigstruct), SIGSTRUCT_SIZE);
    if (typeof ss === 'number') return -EFAULT;
    const e0 = enclOf(k, enclId);
    // "if (encl->secs_attributes & ~encl->allowed_attributes) return -EINVAL;"
    if (e0.attributes & ~e0.attributesMask) return -EINVAL;
    const mrsigner = mrsignerOf(ss, platformOf(k, platformId).crypto); // sgx_get_key_hash()
    runWorker(queue, k, pid); // flush_work(&encl->work)
    const e = enclOf(k, enclId);
    if (!e.has(SGX_ENCL_CREATED) || e.has(SGX_ENCL_INITIALIZED) || e.has(SGX_ENCL_DEAD)) return -EFAULT;
    if (spec.initHook) {
      const r = spec.initHook(k, pid, enclId, uptr(a.sigstruct));
      if (r) return r;
    }
    const secsEpc = e.secs.epc;
    if (secsEpc === null) throw new Error('invariant: EINIT with the SECS evicted');
    let ret: number | 'fault' = 0;
    // SGX_EINIT_SLEEP_COUNT x SGX_EINIT_SPIN_COUNT
    outer: for (let i = 0; i < 50; i++) {
      for (let j = 0; j < 20; j++) {
        const hw = platformMut(k, platformId).hw;
        const words = leHashMsrs(mrsigner); // sgx_update_lepubkeyhash_msrs()
        for (let w = 0; w < 4; w++) hw.writeMsr(MSR_IA32_SGXLEPUBKEYHASH0 + w, words[w]);
        const r = hw.einit(ss, secsEpc, null);
        ret = r.kind === 'ok' ? 0 : r.kind === 'error' ? r.code : 'fault';
        if (ret === SgxError.UNMASKED_EVENT) continue;
        break outer;
      }
      if (signalPending(k, platformId, pid)) return -ERESTARTSYS; // msleep_interruptible()
    }
    if (ret === 'fault') {
      destroy(k, pid, enclId, 'EINIT faulted');
      return -EFAULT;
    }
    if (ret !== 0) {
      note(k, pid, `EINIT returned ${ret}`);
      return ret; // "EINIT returned %d": the positive SGX error code reaches userspace
    }
    enclMut(k, enclId).flags |= SGX_ENCL_INITIALIZED;
    return 0;
  };

  /** sgx_ioc_enclave_set_attribute() (v20). */
  const iocSetAttribute: IoctlHandler = (_ctx, k, pid, enclId, a) => {
    const fd = a.attribute_fd > 0x7fffffffn ? -1 : Number(a.attribute_fd);
    const f = k.fdFile(pid, fd);
    if (!f) return -EBADF; // model choice: v20 dereferences the NULL file
    if (f.fops !== provisionFops) return -EINVAL;
    enclMut(k, enclId).attributesMask |= SGX_ATTR_PROVISIONKEY;
    return 0;
  };

  /** sgx_ioctl() (v20): unknown command first, then copy_from_user(data, arg, _IOC_SIZE(cmd)); no SGX_ENCL_IOCTL bit. */
  const sgxIoctl = (k: Kernel, pid: number, file: OpenFile, cmd: number, arg: number): number => {
    const enclId = file.privateData as number;
    cmd >>>= 0;
    // One worker queue per ioctl: the driver objects stay stateless (they are shared by kernel clones).
    const queue: AddReq[] = [];
    const ctx: IoctlCtx = { platformId, addPage: (...args) => v20AddPage(queue, ...args) };
    let h: { layout: StructLayout; handler: IoctlHandler } | undefined = spec.ioctls.get(cmd);
    if (!h && cmd === V20_IOC_ENCLAVE_CREATE) h = { layout: V20_ENCLAVE_CREATE, handler: iocCreate };
    if (!h && cmd === V20_IOC_ENCLAVE_INIT) h = { layout: V20_ENCLAVE_INIT, handler: iocInit(queue) };
    if (!h && cmd === V20_IOC_ENCLAVE_SET_ATTRIBUTE) h = { layout: V20_ENCLAVE_SET_ATTRIBUTE, handler: iocSetAttribute };
    if (!h) return -ENOIOCTLCMD;
    const raw = copyFromUser(k, pid, arg, _IOC_SIZE(cmd));
    let ret: number;
    if (typeof raw === 'number') ret = -EFAULT;
    else ret = h.handler(ctx, k, pid, enclId, decodeStruct(h.layout, raw) as Record<string, bigint>, arg);
    // Return to user mode: the add worker and ksgxd run, a pending signal is delivered.
    runWorker(queue, k, pid);
    platformMut(k, platformId).deliverSignal(pid);
    runKsgxd(k, platformId);
    return ret;
  };

  // ------------------------------------------------------------------ faults

  /** sgx_vma_fault() -> sgx_encl_load_page() (v20): dead or uninitialized -> SIGBUS; no permission check. */
  const sgxFault = (k: Kernel, pid: number, vma: Vma, addr: number): VmFault => {
    addr -= addr % PAGE_SIZE;
    const enclId = enclIdOfVma(vma);
    if (enclId === null || !k.objects.has(enclId)) return 'sigbus';
    const e = enclOf(k, enclId);
    if (e.has(SGX_ENCL_DEAD) || !e.has(SGX_ENCL_INITIALIZED)) return 'sigbus';
    if (!e.page(addr)) return spec.eaug ? spec.eaug(k, pid, vma, enclId, addr) : 'sigbus';
    const entry = sgxEnclLoadPage(k, enclId, addr, pid);
    if (typeof entry === 'number') return entry === -EBUSY ? 'nopage' : 'sigbus';
    insertPfn(k, pid, vma, addr);
    if (entry.young) enclMut(k, enclId).updatePage(addr, { young: false });
    return 'nopage';
  };

  /** ->fault for accesses outside enclave mode (k.mem): sgx_vma_fault(), then abort-page accessors. */
  const userFault = (k: Kernel, pid: number, vma: Vma, addr: number, _access: FaultAccess): FaultResult => {
    const enclId = enclIdOfVma(vma);
    if (enclId === null) return { kind: 'sigbus' };
    for (let tries = 0; !ptePresent(k, pid, addr); tries++) {
      const r = sgxFault(k, pid, vma, addr);
      if (r !== 'nopage') return { kind: 'sigbus' };
      if (ptePresent(k, pid, addr)) break;
      if (tries > 64) throw new Error('invariant: an enclave fault keeps returning VM_FAULT_NOPAGE without a PTE');
      runKsgxd(k, platformId);
    }
    markYoung(k, enclId, addr);
    runKsgxd(k, platformId);
    return {
      kind: 'page',
      read: (_off, len) => new Uint8Array(len).fill(0xff),
      write: () => {},
      describe: () => ({ data: new Uint8Array(PAGE_SIZE).fill(0xff), origin: { kind: 'driver', driver: 'sgx', detail: 'EPC (abort page outside enclave mode)' }, writers: [] }),
    };
  };

  const vmOps: SgxVmOperations = Object.freeze({
    name: 'sgx_vm_ops',
    sgxEnclave: true as const,
    sgxFault,
    fault: userFault,
    ...(spec.mayMprotect ? { may_mprotect: spec.mayMprotect } : {}),
    ...(spec.mprotect ? { mprotect: spec.mprotect } : {}),
    /** sgx_vma_open(): the mm joins the enclave's mm_list. */
    open(k: Kernel, pid: number, vma: Vma): void {
      const id = enclIdOfVma(vma);
      if (id !== null && k.objects.has(id) && !enclOf(k, id).mmList.includes(pid)) enclMut(k, id).addMm(pid);
    },
  });

  const enclaveFops: SgxFileOperations = Object.freeze({
    name: 'sgx_encl_fops',
    sgxPlatform: platformId,
    sgxDesign: spec.designKey,
    sgxRole: 'enclave' as const,
    /** sgx_open() (v20): one struct sgx_encl per open file, in file->private_data; no anon inode. */
    open(k: Kernel, _pid: number, file: OpenFile): number {
      const id = k.newObject(new SgxEncl(platformId));
      k.setFilePrivateData(file.id, id);
      return 0;
    },
    release(k: Kernel, file: OpenFile): void {
      const id = file.privateData as number;
      if (typeof id !== 'number' || !k.objects.has(id)) return;
      spec.release?.(k, id);
      sgxEnclRelease(k, id);
    },
    /** sgx_mmap() (v20) with the design's checks first. */
    mmap(k: Kernel, pid: number, file: OpenFile, vma: VmaDraft): number {
      const id = file.privateData as number;
      if (spec.mmapCheck) {
        const r = spec.mmapCheck(k, pid, id, file, vma);
        if (r) return r;
      }
      if (!enclOf(k, id).mmList.includes(pid)) enclMut(k, id).addMm(pid); // sgx_encl_mm_add()
      vma.ops = vmOps;
      vma.flags = (vma.flags | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP | VM_IO) >>> 0;
      vma.privateData = id;
      spec.mmapFinish?.(k, pid, id, vma);
      return 0;
    },
    /**
     * sgx_get_unmapped_area() (v20 main.c): `flags & MAP_PRIVATE` (a bit test) -> -EINVAL; a length
     * below 8 KiB or not a power of two -> -EINVAL; else 2 * len from the mm's allocator, rounded up
     * to a multiple of len — also with MAP_FIXED, unless the design returns a MAP_FIXED address as is.
     */
    get_unmapped_area(k: Kernel, pid: number, file: OpenFile, addr: number, len: number, pgoff: number, flags: number): number {
      if (flags & MAP_PRIVATE) return -EINVAL;
      if (spec.unmappedArea === 'fixed' && flags & MAP_FIXED) return addr;
      if (len < 2 * PAGE_SIZE || !Number.isInteger(Math.log2(len))) return -EINVAL;
      const a = archGetUnmappedAreaTopdown(k, pid, file, addr, 2 * len, pgoff, flags);
      if (a < 0) return a;
      return Math.ceil(a / len) * len;
    },
    unlocked_ioctl: sgxIoctl,
  });

  /** The provisioning device: fops with only .owner. */
  const provisionFops: SgxFileOperations = Object.freeze({ name: 'sgx_provision_fops', sgxPlatform: platformId, sgxDesign: spec.designKey, sgxRole: 'provision' as const });

  return { enclaveFops, provisionFops, vmOps };
}

export type { EnclPage };

// ------------------------------------------------------------------ installation

/** The v20 nodes (an "sgx" class on a dynamic char major: minor 0 sgx/enclave, minor 1 sgx/provision). */
export const V20_DEVICES: readonly DeviceSpec[] = [
  { role: 'enclave', path: '/dev/sgx/enclave', misc: null, label: SGX_ENCLAVE_DEVICE_LABEL, mode: 0o666 },
  { role: 'provision', path: '/dev/sgx/provision', misc: null, label: SGX_PROVISION_DEVICE_LABEL, mode: 0o600 },
];

/** Check InstallOptions.driver against the option names a design accepts (booleans only). */
export function booleanOptions<T extends string>(designKey: string, given: Readonly<Record<string, unknown>> | undefined, allowed: readonly T[]): Partial<Record<T, boolean>> {
  const out: Partial<Record<T, boolean>> = {};
  for (const [key, v] of Object.entries(given ?? {})) {
    if (!(allowed as readonly string[]).includes(key)) throw new Error(`unknown driver option '${key}' for ${designKey} (options: ${allowed.join(', ') || 'none'})`);
    if (typeof v !== 'boolean') throw new Error(`driver option ${key}: expected true or false`);
    out[key as T] = v;
  }
  return out;
}

/**
 * sgx_drv_init() (v20 driver/main.c): the SGX core, then — only with SGX1 and flexible launch
 * control (X86_FEATURE_SGX_LC), else -ENODEV and no devices — the enclave and provision nodes.
 */
export function rfcInstall(k: Kernel, opts: InstallOptions, design: SgxDesign, spec: RfcDriverSpec): SgxInstall {
  const platform = createPlatform(k, opts);
  const hw = k.object<SgxPlatform>(platform).hw;
  if (!hw.config.sgx1 || !hw.config.flc) {
    note(k, 0, `sgx: ${design.key}: no ${hw.config.sgx1 ? 'flexible launch control' : 'SGX1'}; /dev/sgx/enclave not registered (-ENODEV)`);
    return { design, platform, devices: {} };
  }
  const drv = rfcDriver(platform, spec);
  const major = dynamicMajor(k);
  registerDevice(k, V20_DEVICES[0], drv.enclaveFops, major);
  registerDevice(k, V20_DEVICES[1], drv.provisionFops, major);
  return { design, platform, devices: { enclave: V20_DEVICES[0].path, provision: V20_DEVICES[1].path } };
}
