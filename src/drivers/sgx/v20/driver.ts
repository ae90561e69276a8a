// D0 `v20`: the in-tree SGX driver of Jarkko Sakkinen's v20 series (2019-04-17,
// 20190417103938.7762-*; patch 15/28 "x86/sgx: Add the Linux SGX Enclave Driver"), the driver the
// 2019 "SGX vs LSM" debate started from. Code read: the v20-era tree (designs-spec §0 "V20":
// arch/x86/kernel/cpu/sgx/driver/{main.c,ioctl.c}, encl.c). Every rule below names its v20 function.
//
// What matters for the LSM question (designs-spec §1):
//   - open() hands out the device file itself (no anon inode): every later inode check is on
//     /dev/sgx/enclave (chr_file);
//   - ADD_PAGE copies the page with copy_from_user(): the source VMA is never looked at (any
//     readable memory: anonymous, a noexec file, another enclave's abort page);
//   - sgx_mmap() checks nothing, there is no vm_ops->mprotect and faults check no permissions:
//     the only gates are the stock mmap_file/file_mprotect hooks on the device;
//   - no LSM hook is added.
//
// Model choices (docs/designs.md §D0 "Choices"), where v20 is asynchronous or its code is buggy:
//   - EADD/EEXTEND run in a per-enclave worker (sgx_add_page_worker(), queued by ADD_PAGE which
//     returns 0). The model keeps the queue in the enclave and runs it at a fixed point: when the
//     ADD_PAGE ioctl returns to user mode ('return', default), or only when something waits for it
//     (flush_work() in INIT, or release: 'flush'). Either is one real interleaving; every later
//     observation is deterministic. A worker failure (EPC allocation, EADD, EEXTEND) destroys the
//     enclave (sgx_encl_destroy(): SGX_ENCL_DEAD, EPC pages freed), seen later as -EFAULT.
//   - SET_ATTRIBUTE with a bad fd: -EBADF (v20 dereferences the NULL fget() result); success
//     returns 0 (v20 returns an uninitialised `ret`).
//   - SGX_ATTR_ALLOWED_MASK (not in the files read): DEBUG | MODE64BIT | KSS.
//   - The low 12 bits of ADD_PAGE's addr land in encl_page->desc, where v20 keeps its page flags
//     (TCS, RECLAIMED, the VA offset); the model takes the page address only.
//   - EPC allocation, VA pages, the reclaimer, EWB/ELDU are the framework's (Linux 6.1) machinery.
//
// The 2019 RFCs D4 (`allow-prot`), D5 (`sgx-perms`) and D6 (`ema`) are deltas on this driver: each
// is this driver with the hooks its patches insert (V20Patches: its own ADD ioctl ending in the
// shared add path, sgx_mmap() checks, vm_ops->may_mprotect / ->mprotect, an INIT hook, EAUG on
// fault, clean-up at release, RFC v1 2/9's MAP_FIXED fix). v20/rfc.ts builds and installs them.
import type { Kernel } from '../../../kernel/kernel.js';
import type { OpenFile, VmaDraft } from '../../../fs/types.js';
import type { FaultAccess, FaultResult, Vma } from '../../../mm/vma.js';
import { copyFromUser } from '../../../kernel/uaccess.js';
import { archGetUnmappedAreaTopdown } from '../../../mm/mmap.js';
import { EBADF, EBUSY, EEXIST, EFAULT, EFBIG, EINVAL, ENOIOCTLCMD } from '../../../abi/errno.js';
import { MAP_FIXED, MAP_PRIVATE } from '../../../abi/mman.js';
import { VM_EXEC, VM_READ, VM_WRITE } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { _IOC_SIZE } from '../../../abi/ioctl.js';
import {
  SECS_OFF,
  SECS_SIZE,
  SGX_ATTR_DEBUG,
  SGX_ATTR_KSS,
  SGX_ATTR_MODE64BIT,
  SGX_ATTR_PROVISIONKEY,
  SGX_EEXTEND_BLOCK_SIZE,
  SGX_SECINFO_PAGE_TYPE_MASK,
  SGX_SECINFO_PERMISSION_MASK,
  SGX_SECINFO_R,
  SGX_SECINFO_RESERVED_MASK,
  SGX_SECINFO_REG,
  SGX_SECINFO_TCS,
  SGX_SECINFO_TRIM,
  SGX_SECINFO_W,
  SGX_TCS_DBGOPTIN,
  SIGSTRUCT_SIZE,
  SgxPageType,
  TCS_OFF,
} from '../../../arch/x86/sgx/arch.js';
import { parseSecs } from '../../../arch/x86/sgx/encls.js';
import { ssaFrameBytesNeeded } from '../../../arch/x86/sgx/cpu.js';
import { mrsignerOf } from '../../../arch/x86/sgx/sigstruct.js';
import { secinfoBytes } from '../../../arch/x86/sgx/secinfo.js';
import type { EpcPageId } from '../../../arch/x86/sgx/epc.js';
import { decodeStruct, type StructLayout } from '../../../userspace/struct.js';
import { SGX_ENCL_CREATED, SGX_ENCL_DEBUG, SGX_ENCL_INITIALIZED, SgxEncl } from '../common/encl.js';
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
} from '../common/epc.js';
import { sgxUserFaultVia, type VmFault } from '../common/fault.js';
import { returnToUser, secinfoFlagsOf, sgxEinitRetry, sgxReservedMasks, uptr } from '../common/ioctl.js';
import { sgxOpenEnclave, sgxProvisionFops, type SgxFileOperations } from '../common/install.js';
import { enclIdOfVma, insertPfn, sgxMmapSetup, sgxVmaOpen, type SgxVmOperations } from '../common/vma.js';
import {
  V20_ENCLAVE_ADD_PAGE,
  V20_ENCLAVE_CREATE,
  V20_ENCLAVE_INIT,
  V20_ENCLAVE_SET_ATTRIBUTE,
  V20_IOC_ENCLAVE_ADD_PAGE,
  V20_IOC_ENCLAVE_CREATE,
  V20_IOC_ENCLAVE_INIT,
  V20_IOC_ENCLAVE_SET_ATTRIBUTE,
} from './uapi.js';

/** SGX_ENCL_DEAD (v20 encl.h): a model bit above the mainline flags of common/encl.ts. */
export const SGX_ENCL_DEAD = 1 << 8;
/** SGX_ATTR_ALLOWED_MASK: encl->allowed_attributes at ECREATE (designs-spec §13.1: DEBUG | MODE64BIT | KSS). */
export const V20_ALLOWED_ATTRIBUTES = SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_KSS;
/** ENCLS_FAULT_FLAG (v20 encls.h): ORed into the trap number when an ENCLS leaf faults. */
export const ENCLS_FAULT_FLAG = 0x40000000;

/** MAX_LFS_FILESIZE on 64-bit (LLONG_MAX) >> PAGE_SHIFT: the largest index shmem accepts (else -EFBIG). */
const MAX_LFS_INDEX = ((1n << 63n) - 1n) >> 12n;
const U64 = (1n << 64n) - 1n;
const RWX = VM_READ | VM_WRITE | VM_EXEC;

/** InstallOptions.driver of D0. */
export interface V20Options {
  /**
   * When the queued EADD/EEXTEND requests run (the model's fixed point for v20's asynchronous
   * worker): 'return' — when the ADD_PAGE ioctl returns to user mode (default); 'flush' — only when
   * something waits for the worker (flush_work() in INIT) or the enclave is released.
   */
  readonly addWorker: 'return' | 'flush';
}

export const V20_DEFAULT_OPTIONS: V20Options = Object.freeze({ addWorker: 'return' });

/** InstallOptions.driver for D0: an unknown key or value is a one-line error. */
export function v20Options(given: Readonly<Record<string, unknown>> | undefined): V20Options {
  if (!given) return V20_DEFAULT_OPTIONS;
  const out: { addWorker: V20Options['addWorker'] } = { ...V20_DEFAULT_OPTIONS };
  for (const [key, v] of Object.entries(given)) {
    if (key !== 'addWorker') throw new Error(`unknown driver option '${key}' (D0 options: addWorker)`);
    if (v === undefined) continue;
    if (v !== 'return' && v !== 'flush') throw new Error(`driver option addWorker: '${String(v)}' is not one of return, flush`);
    out.addWorker = v;
  }
  return Object.freeze(out);
}

/** One queued EADD (struct sgx_add_page_req): the page, its SECINFO and mrmask; the data is what ADD_PAGE copied into the backing store. */
export interface V20AddReq {
  readonly addr: number;
  readonly data: Uint8Array;
  readonly secinfo: Uint8Array;
  readonly mrmask: number;
}

/** The v20 driver's per-enclave state (SgxEncl.extra; an immutable value). */
export interface V20EnclState {
  /** encl->add_page_reqs: requests the worker has not run yet, oldest first. */
  readonly queue: readonly V20AddReq[];
  /** i_size of the shmem backing store: encl_size + (encl_size >> 5), encl_size = SECS.SIZE + PAGE_SIZE. */
  readonly backingSize: number;
  /** What a design built on the driver keeps per enclave (D6: the ema LSM's blob); an immutable value it owns. */
  readonly rfc?: unknown;
}

const NO_STATE: V20EnclState = Object.freeze({ queue: Object.freeze([]) as readonly V20AddReq[], backingSize: 0 });

/** D0's state of an enclave. */
export function v20State(e: SgxEncl): V20EnclState {
  return (e.extra as V20EnclState | undefined) ?? NO_STATE;
}

/** Replace fields of the v20 state of an enclave (copy-on-write). */
export function setV20State(k: Kernel, enclId: number, f: Partial<V20EnclState>): void {
  const e = enclMut(k, enclId);
  e.extra = Object.freeze({ ...v20State(e), ...f });
}
const setState = setV20State;

/** What a design adds to a page record it creates: vm_max_prot_bits and design state. */
export interface PageProps {
  /** The page's maximal VM_READ|VM_WRITE|VM_EXEC (v20 and D6: RWX, unused; D4: allowed_prot; D5: vm_prot_bits). */
  readonly maxProt: number;
  readonly extra?: unknown;
}

/** What an ioctl handler gets besides its argument: the shared v20 add path. */
export interface IoctlCtx {
  readonly platformId: number;
  /**
   * The v20 add path after the ioctl's own copies and source checks (sgx_encl_add_page(),
   * __sgx_encl_add_page()): sgx_validate_secinfo() -> sgx_validate_tcs() -> sgx_encl_grow() ->
   * encl->lock: not created / initialized / dead (-EFAULT) -> a page at PFN(addr) (-EEXIST) ->
   * the shmem backing page (-EFBIG / -EINVAL) -> `beforeQueue(page)` (D6's security_enclave_load())
   * -> the page record and the worker request. `addr` is the uAPI's u64; 0 or -errno.
   */
  addPage(k: Kernel, pid: number, enclId: number, addr: bigint, data: Uint8Array, secinfo: Uint8Array, mrmask: number, props: PageProps, beforeQueue?: (page: number) => number): number;
}

/** An ioctl handler: `a` is the kernel copy of the argument (the dispatcher copies it first), `arg` the user pointer. */
export type IoctlHandler = (ctx: IoctlCtx, k: Kernel, pid: number, enclId: number, a: Record<string, bigint>, arg: number) => number;

/** One ioctl of the driver: the argument's layout and its handler. */
export interface V20Ioctl {
  readonly layout: StructLayout;
  readonly handler: IoctlHandler;
}

/** What a 2019 RFC changes in the v20 driver (D4, D5, D6; D0 is the driver without patches). */
export interface V20Patches {
  /**
   * get_unmapped_area(): 'v20' = natural size and alignment, also for MAP_FIXED (v20 main.c,
   * default); 'fixed' = MAP_FIXED returns the address (Sean RFC v1 2/9 "x86/sgx: Do not naturally
   * align MAP_FIXED address", 20190531233159.30992-3).
   */
  readonly unmappedArea?: 'v20' | 'fixed';
  /** The design's ADD ioctl(s), by command number: they replace v20's ADD_PAGE. */
  readonly ioctls?: ReadonlyMap<number, V20Ioctl>;
  /** sgx_mmap(): the design's checks before the VMA is set up; 0 or -errno. */
  readonly mmapCheck?: (k: Kernel, pid: number, enclId: number, file: OpenFile, vma: VmaDraft) => number;
  /** sgx_mmap(): after the VMA is set up (D5 adds the mm and clears VM_MAY* here). */
  readonly mmapFinish?: (k: Kernel, pid: number, enclId: number, vma: VmaDraft) => void;
  /** vm_ops->may_mprotect (before security_file_mprotect()). */
  readonly mayMprotect?: (k: Kernel, pid: number, vma: Vma, start: number, end: number, prot: number) => number;
  /** vm_ops->mprotect (after security_file_mprotect()). */
  readonly mprotect?: (k: Kernel, pid: number, vma: Vma, start: number, end: number, newflags: number) => number;
  /** INIT: called after the state check, before EINIT, with the SIGSTRUCT's user address; 0 or -errno. */
  readonly initHook?: (k: Kernel, pid: number, enclId: number, sigstructAddr: number) => number;
  /** Fault on an address the enclave has no page for (an SGX2 variant's EAUG); absent: SIGBUS. */
  readonly eaug?: (k: Kernel, pid: number, vma: Vma, enclId: number, addr: number) => VmFault;
  /** Extra clean-up before sgx_encl_release() (e.g. files an LSM pinned). */
  readonly release?: (k: Kernel, enclId: number) => void;
}

/** The v20 driver of one installation. */
export interface V20Driver {
  readonly enclaveFops: SgxFileOperations;
  readonly provisionFops: SgxFileOperations;
  readonly vmOps: SgxVmOperations;
  readonly options: V20Options;
}

export { uptr, secinfoFlagsOf };

function isPow2(n: bigint): boolean {
  return n > 0n && (n & (n - 1n)) === 0n;
}

/** Build the driver for one installation (the ops close over the platform's object id only); `patches`: an RFC's changes. */
export function v20Driver(platformId: number, designKey: string, options: V20Options, patches: V20Patches = {}): V20Driver {
  // ------------------------------------------------------------------ destroy, worker

  /**
   * sgx_encl_destroy() (v20 encl.c): SGX_ENCL_DEAD; every page that has an EPC page is freed and
   * dropped from the page tree (a page the reclaimer holds is left alone, as __sgx_free_page()
   * refuses it); the SECS once it has no children; every VA page. Queued or evicted pages (no EPC
   * page) stay in the tree until release, as in v20.
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
   * sgx_add_page_worker() + sgx_process_add_page_req() (v20 ioctl.c): for each queued request, an
   * EPC page (the worker is a kernel thread: no signal interrupts its direct reclaim), EADD, then
   * EEXTEND of every 256-byte chunk whose mrmask bit is set. The first failure destroys the enclave
   * and the rest of the queue is skipped.
   */
  const runWorker = (k: Kernel, enclId: number): void => {
    if (!k.objects.has(enclId)) return;
    const q = v20State(enclOf(k, enclId)).queue;
    if (q.length === 0) return;
    setState(k, enclId, { queue: [] });
    const kworker = 0;
    for (const req of q) {
      if (enclOf(k, enclId).has(SGX_ENCL_DEAD)) return; // skip_rest
      const epc = sgxAllocEpcPage(k, platformId, { kind: 'page', encl: enclId, addr: req.addr }, true, kworker);
      if (epc < 0) return destroy(k, kworker, enclId, `EPC allocation for 0x${req.addr.toString(16)} failed (${epc})`);
      const fail = (why: string): void => {
        sgxEnclFreeEpcPage(k, platformId, epc as EpcPageId, kworker); // sgx_free_page(epc_page)
        destroy(k, kworker, enclId, why);
      };
      const secsEpc = enclOf(k, enclId).secs.epc;
      const r = platformMut(k, platformId).hw.eadd({ linaddr: BigInt(req.addr), srcpge: req.data, secinfo: req.secinfo, secs: secsEpc }, epc);
      if (r.kind !== 'ok') return fail(`EADD at 0x${req.addr.toString(16)}: ${r.reason}`);
      // for_each_set_bit(i, &req->mrmask, 16): __eextend(secs, epc + i * 0x100)
      for (let i = 0; i < 16; i++) {
        if (!(req.mrmask & (1 << i))) continue;
        const x = platformMut(k, platformId).hw.eextend(secsEpc!, epc, i * SGX_EEXTEND_BLOCK_SIZE);
        if (x.kind !== 'ok') return fail(`EEXTEND at 0x${(req.addr + i * SGX_EEXTEND_BLOCK_SIZE).toString(16)}: ${x.reason}`);
      }
      // encl_page->epc_page = epc_page; encl->secs_child_cnt++; sgx_mark_page_reclaimable()
      const e = enclMut(k, enclId);
      e.updatePage(req.addr, { epc });
      e.secsChildCnt++;
      platformMut(k, platformId).markReclaimable(epc);
    }
  };

  // ------------------------------------------------------------------ CREATE

  /** sgx_validate_secs() (v20 ioctl.c): 0 or -EINVAL. */
  const validateSecs = (k: Kernel, secs: Uint8Array): boolean => {
    const s = parseSecs(secs);
    // the CPUID-derived masks sgx_dev_init() (v20 driver/main.c) computes (miscselect is a u32)
    const m = sgxReservedMasks(k, platformId);
    if (s.size < 2n * BigInt(PAGE_SIZE) || !isPow2(s.size)) return false;
    if (s.base & (s.size - 1n)) return false;
    if (BigInt(s.miscselect) & m.misc || s.attributes & m.attr || s.xfrm & m.xfrm) return false;
    if (s.attributes & SGX_ATTR_MODE64BIT ? s.size > m.max64 : s.size > m.max32) return false;
    // XFEATURE_MASK_FP and XFEATURE_MASK_SSE, and BNDREGS (bit 3) == BNDCSR (bit 4)
    if (!(s.xfrm & 1n) || !(s.xfrm & 2n) || ((s.xfrm >> 3n) & 1n) !== ((s.xfrm >> 4n) & 1n)) return false;
    // sgx_calc_ssaframesize(): at least one page; GPRs + the largest XSAVE component (+ EXINFO)
    const ssaframesize = Math.max(1, Math.ceil(ssaFrameBytesNeeded(s.xfrm, s.miscselect) / PAGE_SIZE));
    if (!s.ssaFrameSize || ssaframesize > s.ssaFrameSize) return false;
    // memchr_inv(secs->reserved1..4, 0, ...)
    const reserved: Array<[number, number]> = [
      [SECS_OFF.reserved1, SECS_OFF.attributes],
      [SECS_OFF.reserved2, SECS_OFF.mrsigner],
      [SECS_OFF.reserved3, SECS_OFF.configId],
      [SECS_OFF.reserved4, SECS_SIZE],
    ];
    for (const [from, to] of reserved) for (let i = from; i < to; i++) if (secs[i] !== 0) return false;
    return true;
  };

  /** sgx_encl_grow() (v20): DEAD -> -EFAULT; a VA page every 512 pages; page_cnt++ (v20 never shrinks it back). */
  const grow = (k: Kernel, pid: number, enclId: number): number => {
    if (enclOf(k, enclId).has(SGX_ENCL_DEAD)) return -EFAULT;
    const va = sgxEnclGrow(k, enclId, true, pid);
    if (typeof va === 'number' && va < 0) return va;
    // "mutex_lock(&encl->lock); if (encl->flags & SGX_ENCL_DEAD) {... return -EFAULT; }": single-threaded, cannot change here.
    addVaPage(k, enclId, va as number | null);
    return 0;
  };

  /** sgx_ioc_enclave_create() + sgx_encl_create() (v20). */
  const iocCreate = (k: Kernel, pid: number, enclId: number, a: Record<string, bigint>): number => {
    const secs = copyFromUser(k, pid, uptr(a.src), SECS_SIZE);
    if (typeof secs === 'number') return -EFAULT;
    const g = grow(k, pid, enclId);
    if (g) return g;
    // mutex_lock(&encl->lock): "if (encl->flags & SGX_ENCL_CREATED) { ret = -EFAULT; goto err_out; }"
    if (enclOf(k, enclId).has(SGX_ENCL_CREATED)) return -EFAULT;
    if (!validateSecs(k, secs)) return -EINVAL;
    const s = parseSecs(secs);
    // shmem_file_setup("SGX backing", encl_size + (encl_size >> 5), VM_NORESERVE)
    const enclSize = Number(s.size) + PAGE_SIZE;
    const backingSize = enclSize + Math.floor(enclSize / 32);
    // sgx_encl_mm_add(encl, current->mm)
    enclMut(k, enclId).addMm(pid);
    const secsEpc = sgxAllocEpcPage(k, platformId, { kind: 'secs', encl: enclId }, true, pid);
    if (secsEpc < 0) {
      enclMut(k, enclId).mmList = enclOf(k, enclId).mmList.filter((x) => x !== pid); // err_out: list_del(encl_mm)
      return secsEpc;
    }
    const r = platformMut(k, platformId).hw.ecreate({ linaddr: 0n, srcpge: secs, secinfo: secinfoBytes(0n), secs: null }, secsEpc);
    if (r.kind !== 'ok') {
      // pr_debug("ECREATE returned %ld\n", ret); the raw ENCLS value is the ioctl's return value
      note(k, pid, `ECREATE failed: ${r.kind === 'error' ? `SGX error ${r.code}` : `vector ${r.vector}`}: ${r.reason}`);
      sgxEnclFreeEpcPage(k, platformId, secsEpc, pid);
      enclMut(k, enclId).mmList = enclOf(k, enclId).mmList.filter((x) => x !== pid);
      return r.kind === 'error' ? r.code : ENCLS_FAULT_FLAG | r.vector;
    }
    const e = enclMut(k, enclId);
    e.secs = { epc: secsEpc, backing: null };
    if (s.attributes & SGX_ATTR_DEBUG) e.flags |= SGX_ENCL_DEBUG;
    e.attributes = s.attributes; // encl->secs_attributes
    e.attributesMask = V20_ALLOWED_ATTRIBUTES; // encl->allowed_attributes = SGX_ATTR_ALLOWED_MASK
    e.base = Number(s.base);
    e.size = Number(s.size);
    e.flags |= SGX_ENCL_CREATED;
    setState(k, enclId, { backingSize });
    return 0;
  };

  // ------------------------------------------------------------------ ADD_PAGE

  /** sgx_validate_secinfo() (v20): reserved flag bits, W without R, type not TCS/TRIM/REG, reserved bytes. */
  const validateSecinfo = (si: Uint8Array): boolean => {
    const flags = secinfoFlagsOf(si);
    const pt = flags & SGX_SECINFO_PAGE_TYPE_MASK;
    const perm = flags & SGX_SECINFO_PERMISSION_MASK;
    if (flags & SGX_SECINFO_RESERVED_MASK || (perm & SGX_SECINFO_W && !(perm & SGX_SECINFO_R)) || (pt !== SGX_SECINFO_TCS && pt !== SGX_SECINFO_TRIM && pt !== SGX_SECINFO_REG)) return false;
    for (let i = 8; i < 64; i++) if (si[i] !== 0) return false;
    return true;
  };

  /** sgx_validate_tcs() (v20): flags, DBGOPTIN, OSSA/OFSBASE/OGSBASE page aligned and < SECS.SIZE, limits ending in 0xFFF, reserved bytes. */
  const validateTcs = (encl: SgxEncl, page: Uint8Array): boolean => {
    const v = new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
    const flags = v.getBigUint64(TCS_OFF.flags, true);
    if (flags & ~SGX_TCS_DBGOPTIN) return false; // SGX_TCS_RESERVED_MASK
    if (flags & SGX_TCS_DBGOPTIN) return false;
    const size = BigInt(encl.size);
    // sgx_validate_offset(): page aligned and < encl->size
    for (const off of [TCS_OFF.ssaOffset, TCS_OFF.fsOffset, TCS_OFF.gsOffset]) {
      const o = v.getBigUint64(off, true);
      if (o & 0xfffn || o >= size) return false;
    }
    if ((v.getUint32(TCS_OFF.fsLimit, true) & 0xfff) !== 0xfff) return false;
    if ((v.getUint32(TCS_OFF.gsLimit, true) & 0xfff) !== 0xfff) return false;
    for (let i = TCS_OFF.reserved; i < PAGE_SIZE; i++) if (page[i] !== 0) return false;
    return true;
  };

  /**
   * sgx_encl_get_backing_page() of sgx_encl_get_index(): the shmem page index of a page (PFN 0 is
   * the SECS's slot after the enclave pages) and what shmem_read_mapping_page_gfp() answers for it:
   * beyond MAX_LFS_FILESIZE -> -EFBIG, at or beyond i_size -> -EINVAL (mm/shmem.c, SGP_CACHE).
   */
  const backingCheck = (encl: SgxEncl, addr: bigint): number => {
    const index = addr >> 12n === 0n ? BigInt(encl.size) >> 12n : ((addr - BigInt(encl.base)) & U64) >> 12n;
    if (index > MAX_LFS_INDEX) return -EFBIG;
    if (index << 12n >= BigInt(v20State(encl).backingSize)) return -EINVAL;
    return 0;
  };

  /**
   * sgx_encl_add_page() + __sgx_encl_add_page() (v20): the add path every ADD ioctl ends in
   * (IoctlCtx.addPage).
   */
  const addPath: IoctlCtx['addPage'] = (k, pid, enclId, uaddr, data, secinfo, mrmask, props, beforeQueue) => {
    if (!validateSecinfo(secinfo)) return -EINVAL;
    const pt = secinfoFlagsOf(secinfo) & SGX_SECINFO_PAGE_TYPE_MASK;
    if (pt === SGX_SECINFO_TCS && !validateTcs(enclOf(k, enclId), data)) return -EINVAL;
    const g = grow(k, pid, enclId);
    if (g) return g;
    // mutex_lock(&encl->lock)
    const e = enclOf(k, enclId);
    if (!e.has(SGX_ENCL_CREATED) || e.has(SGX_ENCL_INITIALIZED) || e.has(SGX_ENCL_DEAD)) return -EFAULT;
    const addr = (uaddr & U64) & ~0xfffn;
    // sgx_encl_page_alloc(): radix_tree_lookup(PFN_DOWN(addr)) -> -EEXIST
    const page = addr <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(addr) : -1;
    if (page >= 0 && e.page(page)) return -EEXIST;
    // __sgx_encl_add_page(): the backing page (else the radix entry is deleted and the error returned)
    const b = backingCheck(e, addr);
    if (b) return b;
    if (page < 0) throw new Error('invariant: a page inside the backing store has an address past 2^53');
    if (beforeQueue) {
      const r = beforeQueue(page);
      if (r) return r;
    }
    const type = Number(pt >> 8n) as SgxPageType;
    enclMut(k, enclId).setPage({ addr: page, maxProt: props.maxProt, type, epc: null, beingReclaimed: false, backing: null, young: false, ...(props.extra !== undefined ? { extra: props.extra } : {}) });
    // list_add_tail(&req->list, &encl->add_page_reqs); queue_work(sgx_encl_wq, &encl->work)
    const req: V20AddReq = Object.freeze({ addr: page, data, secinfo, mrmask });
    setState(k, enclId, { queue: [...v20State(enclOf(k, enclId)).queue, req] });
    return 0;
  };

  /** sgx_ioc_enclave_add_page() (v20): the SECINFO and the page copied, then the add path. */
  const iocAddPage: IoctlHandler = (ctx, k, pid, enclId, a) => {
    const secinfo = copyFromUser(k, pid, uptr(a.secinfo), 64);
    if (typeof secinfo === 'number') return -EFAULT;
    // "copy_from_user((void *)data, (void __user *)addp->src, PAGE_SIZE)": the source VMA is never examined.
    const data = copyFromUser(k, pid, uptr(a.src), PAGE_SIZE);
    if (typeof data === 'number') return -EFAULT;
    return ctx.addPage(k, pid, enclId, a.addr, data, secinfo, Number(a.mrmask & 0xffffn), { maxProt: RWX });
  };

  // ------------------------------------------------------------------ INIT, SET_ATTRIBUTE

  /** sgx_ioc_enclave_init() + sgx_encl_init() (v20). */
  const iocInit = (k: Kernel, pid: number, enclId: number, a: Record<string, bigint>): number => {
    const ss = copyFromUser(k, pid, uptr(a.sigstruct), SIGSTRUCT_SIZE);
    if (typeof ss === 'number') return -EFAULT;
    // "Check that the required attributes have been authorized."
    const e0 = enclOf(k, enclId);
    if (e0.attributes & ~e0.attributesMask) return -EINVAL;
    const mrsigner = mrsignerOf(ss, platformOf(k, platformId).crypto); // sgx_get_key_hash()
    runWorker(k, enclId); // flush_work(&encl->work)
    const e = enclOf(k, enclId);
    if (!e.has(SGX_ENCL_CREATED) || e.has(SGX_ENCL_INITIALIZED) || e.has(SGX_ENCL_DEAD)) return -EFAULT;
    if (patches.initHook) {
      const r = patches.initHook(k, pid, enclId, uptr(a.sigstruct));
      if (r) return r;
    }
    const secsEpc = e.secs.epc;
    if (secsEpc === null) throw new Error('invariant: EINIT with the SECS evicted (an uninitialized enclave keeps its SECS)');
    // sgx_einit() retried on SGX_UNMASKED_EVENT, IA32_SGXLEPUBKEYHASH0..3 := MRSIGNER; a signal while sleeping -> -ERESTARTSYS
    const ret = sgxEinitRetry(k, platformId, pid, ss, secsEpc, mrsigner);
    if (typeof ret === 'object') {
      // encls_faulted(ret): ENCLS_WARN, sgx_encl_destroy(encl), -EFAULT
      destroy(k, pid, enclId, `EINIT faulted (vector ${ret.fault})`);
      return -EFAULT;
    }
    if (ret < 0) return ret;
    if (ret !== 0) {
      // encls_returned_code(ret): pr_debug("EINIT returned %d\n", ret) — the positive SGX error code is the ioctl's value
      note(k, pid, `EINIT returned ${ret}`);
      return ret;
    }
    enclMut(k, enclId).flags |= SGX_ENCL_INITIALIZED;
    return 0;
  };

  /** sgx_ioc_enclave_set_attribute() (v20). */
  const iocSetAttribute = (k: Kernel, pid: number, enclId: number, a: Record<string, bigint>): number => {
    const fd = a.attribute_fd > 0x7fffffffn ? -1 : Number(a.attribute_fd);
    const f = k.fdFile(pid, fd);
    if (!f) return -EBADF; // model choice: v20 dereferences the NULL fget() result
    if (f.fops !== provisionFops) return -EINVAL;
    enclMut(k, enclId).attributesMask |= SGX_ATTR_PROVISIONKEY; // encl->allowed_attributes |= SGX_ATTR_PROVISIONKEY
    return 0;
  };

  // v20's four ioctls; an RFC's ADD ioctl(s) replace ADD_PAGE.
  const v20Only = (h: (k: Kernel, pid: number, enclId: number, a: Record<string, bigint>) => number): IoctlHandler => (_ctx, k, pid, enclId, a) => h(k, pid, enclId, a);
  const HANDLERS = new Map<number, V20Ioctl>([
    [V20_IOC_ENCLAVE_CREATE, { layout: V20_ENCLAVE_CREATE, handler: v20Only(iocCreate) }],
    ...(patches.ioctls ? [...patches.ioctls] : [[V20_IOC_ENCLAVE_ADD_PAGE, { layout: V20_ENCLAVE_ADD_PAGE, handler: iocAddPage }] as const]),
    [V20_IOC_ENCLAVE_INIT, { layout: V20_ENCLAVE_INIT, handler: v20Only(iocInit) }],
    [V20_IOC_ENCLAVE_SET_ATTRIBUTE, { layout: V20_ENCLAVE_SET_ATTRIBUTE, handler: v20Only(iocSetAttribute) }],
  ]);
  const ctx: IoctlCtx = Object.freeze({ platformId, addPage: addPath });

  /**
   * sgx_ioctl() (v20 ioctl.c): an unknown command is -ENOIOCTLCMD (before anything is copied);
   * then copy_from_user(data, arg, _IOC_SIZE(cmd)) -> -EFAULT; the handler works on the kernel
   * copy. No SGX_ENCL_IOCTL bit (encl->lock serialises), no f_mode check; nothing is _IOR.
   */
  const sgxIoctl = (k: Kernel, pid: number, file: OpenFile, cmd: number, arg: number): number => {
    const enclId = file.privateData as number;
    const h = HANDLERS.get(cmd >>> 0);
    if (!h) return -ENOIOCTLCMD;
    const raw = copyFromUser(k, pid, arg, _IOC_SIZE(cmd >>> 0));
    const ret = typeof raw === 'number' ? -EFAULT : h.handler(ctx, k, pid, enclId, decodeStruct(h.layout, raw) as Record<string, bigint>, arg);
    // Return to user mode: the queued EADDs run (addWorker 'return'), a pending signal is
    // delivered, and ksgxd runs if it was woken.
    if (options.addWorker === 'return') runWorker(k, enclId);
    return returnToUser(k, platformId, pid, ret);
  };

  // ------------------------------------------------------------------ faults

  /**
   * sgx_vma_fault() -> sgx_encl_load_page() (v20 encl.c): no enclave (vm_private_data NULL),
   * DEAD or not INITIALIZED -> SIGBUS; no page -> SIGBUS; held by the reclaimer -> -EBUSY, retried
   * (VM_FAULT_NOPAGE); evicted -> ELDU (the SECS first); then vmf_insert_pfn(). No permission
   * check of the VMA against the page: the VMA flags are the only limit. A hole goes to the
   * design's EAUG when it has one (patches.eaug).
   */
  const sgxFault = (k: Kernel, pid: number, vma: Vma, addr: number): VmFault => {
    addr -= addr % PAGE_SIZE;
    const enclId = enclIdOfVma(vma);
    if (enclId === null || !k.objects.has(enclId)) return 'sigbus';
    const e = enclOf(k, enclId);
    if (e.has(SGX_ENCL_DEAD) || !e.has(SGX_ENCL_INITIALIZED)) return 'sigbus';
    if (!e.page(addr)) return patches.eaug ? patches.eaug(k, pid, vma, enclId, addr) : 'sigbus';
    const entry = sgxEnclLoadPage(k, enclId, addr, pid);
    if (typeof entry === 'number') return entry === -EBUSY ? 'nopage' : 'sigbus';
    insertPfn(k, pid, vma, addr);
    // sgx_encl_test_and_clear_young()
    if (entry.young) enclMut(k, enclId).updatePage(addr, { young: false });
    return 'nopage';
  };

  /** ->fault for accesses outside enclave mode (k.mem): sgx_vma_fault(), then the abort-page accessors; ksgxd runs once the page is there. */
  const userFault = (k: Kernel, pid: number, vma: Vma, addr: number, _access: FaultAccess): FaultResult => {
    const r = sgxUserFaultVia(k, pid, vma, addr, sgxFault);
    if (r.kind === 'page') runKsgxd(k, platformId);
    return r;
  };

  /** sgx_vm_ops (v20 encl.c): .open, .close, .fault, .access — no .mprotect (the RFCs add one). */
  const vmOps: SgxVmOperations = Object.freeze({
    name: 'sgx_vm_ops',
    sgxEnclave: true as const,
    sgxFault,
    fault: userFault,
    ...(patches.mayMprotect ? { may_mprotect: patches.mayMprotect } : {}),
    ...(patches.mprotect ? { mprotect: patches.mprotect } : {}),
    /** sgx_vma_open(): the mm joins the enclave's mm_list. */
    open: sgxVmaOpen,
  });

  // ------------------------------------------------------------------ file operations

  const enclaveFops: SgxFileOperations = Object.freeze({
    name: 'sgx_encl_fops',
    sgxPlatform: platformId,
    sgxDesign: designKey,
    sgxRole: 'enclave' as const,
    /** sgx_open() (v20 main.c): one struct sgx_encl per open file, in file->private_data; no anon inode. */
    open: (k: Kernel, _pid: number, file: OpenFile): number => sgxOpenEnclave(k, platformId, file, NO_STATE),
    /** sgx_release() -> sgx_encl_release(): the worker holds a reference per request, so it runs first; then the design's clean-up. */
    release(k: Kernel, file: OpenFile): void {
      const id = file.privateData;
      if (typeof id !== 'number' || !k.objects.has(id)) return;
      runWorker(k, id);
      patches.release?.(k, id);
      sgxEnclRelease(k, id);
    },
    /** sgx_mmap() (v20 main.c): no check at all (the design's checks first, if any); VM_PFNMAP|VM_DONTEXPAND|VM_DONTDUMP|VM_IO. */
    mmap(k: Kernel, pid: number, file: OpenFile, vma: VmaDraft): number {
      const id = file.privateData as number;
      if (patches.mmapCheck) {
        const r = patches.mmapCheck(k, pid, id, file, vma);
        if (r) return r;
      }
      sgxMmapSetup(vma, vmOps, file.privateData);
      patches.mmapFinish?.(k, pid, id, vma);
      return 0;
    },
    /**
     * sgx_get_unmapped_area() (v20 main.c): `len < 2 * PAGE_SIZE || len & (len - 1) || flags &
     * MAP_PRIVATE` -> -EINVAL (a bit test: MAP_SHARED_VALIDATE is refused too); else 2 * len from
     * the mm's allocator, rounded up to a multiple of len — with MAP_FIXED as well, so a MAP_FIXED
     * address that is not aligned to the length silently moves (Sean Christopherson,
     * 20190522153836.GA24833@linux.intel.com). With RFC v1 2/9 (patches.unmappedArea 'fixed') a
     * MAP_FIXED address is returned as given, after the MAP_PRIVATE test and before the length's.
     */
    get_unmapped_area(k: Kernel, pid: number, file: OpenFile, addr: number, len: number, pgoff: number, flags: number): number {
      if (flags & MAP_PRIVATE) return -EINVAL;
      if (patches.unmappedArea === 'fixed' && flags & MAP_FIXED) return addr;
      if (len < 2 * PAGE_SIZE || !isPow2(BigInt(len))) return -EINVAL;
      const a = archGetUnmappedAreaTopdown(k, pid, file, addr, 2 * len, pgoff, flags);
      if (a < 0) return a;
      return Math.ceil(a / len) * len;
    },
    unlocked_ioctl: sgxIoctl,
  });

  /** sgx_provision_fops (v20 main.c): only .owner. */
  const provisionFops = sgxProvisionFops(platformId, designKey);

  return { enclaveFops, provisionFops, vmOps, options };
}
