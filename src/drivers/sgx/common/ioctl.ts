// Building blocks of the SGX ioctls (arch/x86/kernel/cpu/sgx/ioctl.c, driver.c, Linux 6.1) that
// several designs share: argument copies, SECINFO / offset-length / SIGSTRUCT validation, the
// EINIT retry loop, and sgx_encl_add_page() with the places where a design changes it (D1, D2 and
// D3 run mainline's order with their own rules at the source VMA; the v20 designs share only the
// EINIT loop and the argument helpers). Each function names the kernel function it is.
import type { Kernel } from '../../../kernel/kernel.js';
import type { Vma } from '../../../mm/vma.js';
import { copyFromUser, copyToUser, getUserPage } from '../../../kernel/uaccess.js';
import { pageBytes } from '../../../mm/page.js';
import { EACCES, EBUSY, EFAULT, EINVAL, EIO, EPERM, ERESTARTSYS } from '../../../abi/errno.js';
import { VM_MAYEXEC } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import {
  SGX_ATTR_RESERVED_MASK,
  SGX_EEXTEND_BLOCK_SIZE,
  SGX_MISC_RESERVED_MASK,
  SGX_SECINFO_PAGE_TYPE_MASK,
  SGX_SECINFO_PERMISSION_MASK,
  SGX_SECINFO_R,
  SGX_SECINFO_RESERVED_MASK,
  SGX_SECINFO_REG,
  SGX_SECINFO_TCS,
  SGX_SECINFO_W,
  SIGSTRUCT_OFF,
  SIGSTRUCT_SIZE,
  SgxError,
  type SgxPageType,
} from '../../../arch/x86/sgx/arch.js';
import { MSR_IA32_SGXLEPUBKEYHASH0 } from '../../../arch/x86/sgx/cpu.js';
import { leHashMsrs, mrsignerOf } from '../../../arch/x86/sgx/sigstruct.js';
import type { EpcPageId } from '../../../arch/x86/sgx/epc.js';
import { decodeStruct, encodeStruct, type StructLayout } from '../../../userspace/struct.js';
import { SGX_ENCL_INITIALIZED, type EnclPage, type SgxEncl } from './encl.js';
import { addVaPage, enclMut, enclOf, note, platformMut, platformOf, runKsgxd, sgxAllocEpcPage, sgxEnclFreeEpcPage, sgxEnclGrow, sgxEnclShrink } from './epc.js';

const PAGE = BigInt(PAGE_SIZE);
const U64 = (1n << 64n) - 1n;
// SGX_EINIT_SPIN_COUNT, SGX_EINIT_SLEEP_COUNT (arch/x86/kernel/cpu/sgx/driver.h; the same in v20's driver/driver.h)
const SGX_EINIT_SPIN_COUNT = 20;
const SGX_EINIT_SLEEP_COUNT = 50;

// ------------------------------------------------------------------ arguments

/** copy_from_user() of an ioctl's struct, decoded (scalars as bigint); -EFAULT's cause as a number. */
export function readArg(k: Kernel, pid: number, arg: number, layout: StructLayout): Record<string, bigint> | number {
  const b = copyFromUser(k, pid, arg, layout.size);
  if (typeof b === 'number') return b;
  return decodeStruct(layout, b) as Record<string, bigint>;
}

/** copy_to_user() of an ioctl's struct; 0 or the number of bytes not copied. */
export function writeArg(k: Kernel, pid: number, arg: number, layout: StructLayout, v: Record<string, bigint>): number {
  return copyToUser(k, pid, arg, encodeStruct(layout, v));
}

/** A u64 user pointer as a JS address (past 2^53: an address copy_from_user() cannot reach, -1). */
export function uptr(v: bigint): number {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1;
}

/** SECINFO.FLAGS (the first u64 of a 64-byte SECINFO). */
export function secinfoFlagsOf(si: Uint8Array): bigint {
  return new DataView(si.buffer, si.byteOffset, 64).getBigUint64(0, true);
}

// ------------------------------------------------------------------ validation

/** The CPUID-derived masks sgx_drv_init() (driver.c) computes: reserved MISCSELECT / ATTRIBUTES / XFRM bits, and the enclave size limits. */
export function sgxReservedMasks(k: Kernel, platformId: number): { misc: bigint; attr: bigint; xfrm: bigint; max64: bigint; max32: bigint } {
  const hw = platformOf(k, platformId).hw;
  const l0 = hw.cpuid(0);
  const l1 = hw.cpuid(1);
  return {
    // sgx_misc_reserved_mask = ~ebx | SGX_MISC_RESERVED_MASK
    misc: (~BigInt(l0.ebx >>> 0) & U64) | SGX_MISC_RESERVED_MASK,
    // sgx_attributes_reserved_mask = ~attr_mask | SGX_ATTR_RESERVED_MASK
    attr: (~(BigInt(l1.eax >>> 0) | (BigInt(l1.ebx >>> 0) << 32n)) & U64) | SGX_ATTR_RESERVED_MASK,
    // with X86_FEATURE_OSXSAVE (the model's CPU has it): sgx_xfrm_reserved_mask = ~xfrm_mask
    xfrm: ~(BigInt(l1.ecx >>> 0) | (BigInt(l1.edx >>> 0) << 32n)) & U64,
    // v20 sgx_dev_init(): sgx_encl_size_max_64 = 1 << ((edx >> 8) & 0xFF); _32 = 1 << (edx & 0xFF)
    max64: 1n << BigInt((l0.edx >>> 8) & 0xff),
    max32: 1n << BigInt(l0.edx & 0xff),
  };
}

/** sgx_validate_secinfo() (5.11-6.1): type REG or TCS, W needs R, a TCS has no permissions, reserved bits and bytes zero. */
export function validateSecinfo(si: Uint8Array): boolean {
  const flags = secinfoFlagsOf(si);
  const perm = flags & SGX_SECINFO_PERMISSION_MASK;
  const pt = flags & SGX_SECINFO_PAGE_TYPE_MASK;
  if (pt !== SGX_SECINFO_REG && pt !== SGX_SECINFO_TCS) return false;
  if (perm & SGX_SECINFO_W && !(perm & SGX_SECINFO_R)) return false;
  // "CPU will silently overwrite the permissions as zero, which means that we need to validate it ourselves."
  if (pt === SGX_SECINFO_TCS && perm) return false;
  if (flags & SGX_SECINFO_RESERVED_MASK) return false;
  for (let i = 8; i < 64; i++) if (si[i] !== 0) return false;
  return true;
}

/**
 * sgx_validate_offset_length() (6.0+; inline in 5.11's ADD_PAGES with the same checks): page
 * aligned offset, a non-zero multiple of 4096, inside SECS.SIZE; `overflowCheck` adds 6.1's
 * `offset + length < offset` (f0861f49bd94).
 */
export function validateOffsetLength(encl: SgxEncl, offset: bigint, length: bigint, overflowCheck: boolean): boolean {
  if (offset % PAGE !== 0n) return false;
  if (length === 0n || length % PAGE !== 0n) return false;
  if (overflowCheck && ((offset + length) & U64) < offset) return false;
  if (((offset + length - PAGE) & U64) >= BigInt(encl.size)) return false;
  return true;
}

/**
 * The SIGSTRUCT checks of sgx_ioc_enclave_init() + sgx_encl_init() before EINIT (6.1 order): the
 * vendor (-EINVAL), an attribute not allowed (-EACCES), reserved ATTRIBUTES / MISCSELECT / XFRM
 * bits the SIGSTRUCT requires (-EINVAL). 0 or -errno.
 */
export function sigstructChecks(k: Kernel, platformId: number, encl: SgxEncl, ss: Uint8Array): number {
  const dv = new DataView(ss.buffer, ss.byteOffset, SIGSTRUCT_SIZE);
  // "A legacy field used with Intel signed enclaves... reject any other values."
  const vendor = dv.getUint32(SIGSTRUCT_OFF.vendor, true);
  if (vendor !== 0x0000 && vendor !== 0x8086) return -EINVAL;
  // "Deny initializing enclaves with attributes (namely provisioning) that have not been explicitly allowed."
  if (encl.attributes & ~encl.attributesMask) return -EACCES;
  const m = sgxReservedMasks(k, platformId);
  const attributes = dv.getBigUint64(SIGSTRUCT_OFF.attributes, true);
  const attributesMask = dv.getBigUint64(SIGSTRUCT_OFF.attributeMask, true);
  const xfrm = dv.getBigUint64(SIGSTRUCT_OFF.attributes + 8, true);
  const xfrmMask = dv.getBigUint64(SIGSTRUCT_OFF.attributeMask + 8, true);
  const miscselect = BigInt(dv.getUint32(SIGSTRUCT_OFF.miscselect, true));
  const miscMask = BigInt(dv.getUint32(SIGSTRUCT_OFF.miscmask, true));
  if (attributes & attributesMask & m.attr) return -EINVAL;
  if (miscselect & miscMask & m.misc) return -EINVAL;
  if (xfrm & xfrmMask & m.xfrm) return -EINVAL;
  return 0;
}

// ------------------------------------------------------------------ EINIT

/** What sgx_encl_init()'s retry loop ends with: 0, a positive SGX error code, an ENCLS fault (its vector), or -ERESTARTSYS. */
export type EinitOutcome = number | { readonly fault: number };

/**
 * The EINIT loop of sgx_encl_init() (6.1; v20 the same): SGX_EINIT_SLEEP_COUNT rounds of
 * SGX_EINIT_SPIN_COUNT tries, each writing IA32_SGXLEPUBKEYHASH0..3 := MRSIGNER
 * (sgx_update_lepubkeyhash(); FLC is required to load the driver) and running EINIT, retried on
 * SGX_UNMASKED_EVENT; between rounds msleep_interruptible() and "if (signal_pending(current))
 * return -ERESTARTSYS".
 */
export function sgxEinitRetry(k: Kernel, platformId: number, pid: number, ss: Uint8Array, secsEpc: EpcPageId, mrsigner: Uint8Array): EinitOutcome {
  let ret: EinitOutcome = 0;
  for (let i = 0; i < SGX_EINIT_SLEEP_COUNT; i++) {
    for (let j = 0; j < SGX_EINIT_SPIN_COUNT; j++) {
      const hw = platformMut(k, platformId).hw;
      const words = leHashMsrs(mrsigner);
      for (let w = 0; w < 4; w++) hw.writeMsr(MSR_IA32_SGXLEPUBKEYHASH0 + w, words[w]);
      const r = hw.einit(ss, secsEpc, null);
      ret = r.kind === 'ok' ? 0 : r.kind === 'error' ? r.code : { fault: r.vector };
      if (ret !== SgxError.UNMASKED_EVENT) return ret;
    }
    if (platformMut(k, platformId).signalPending(pid)) return -ERESTARTSYS;
  }
  return ret;
}

/**
 * sgx_encl_init() (6.1) from the SIGSTRUCT on: sigstructChecks(), then the design's `hook` (D2/D3:
 * right before EINIT; 0 or -errno), sgx_get_key_hash() (MRSIGNER), the EINIT loop; an ENCLS fault
 * is -EIO, an SGX error code is logged and -EPERM; on success SGX_ENCL_INITIALIZED.
 */
export function sgxEnclInit(k: Kernel, platformId: number, pid: number, enclId: number, ss: Uint8Array, hook?: () => number): number {
  const encl = enclOf(k, enclId);
  const c = sigstructChecks(k, platformId, encl, ss);
  if (c) return c;
  if (hook) {
    const rc = hook();
    if (rc) return rc;
  }
  // sgx_get_key_hash(): SHA-256 of the modulus
  const mrsigner = mrsignerOf(ss, platformOf(k, platformId).crypto);
  const secsEpc = encl.secs.epc;
  if (secsEpc === null) throw new Error('invariant: EINIT with the SECS evicted (an uninitialized enclave keeps its SECS)');
  const r = sgxEinitRetry(k, platformId, pid, ss, secsEpc, mrsigner);
  if (typeof r === 'object') return -EIO; // encls_faulted()
  if (r < 0) return r;
  if (r > 0) {
    note(k, pid, `EINIT returned ${r}`);
    return -EPERM;
  }
  enclMut(k, enclId).flags |= SGX_ENCL_INITIALIZED;
  return 0;
}

// ------------------------------------------------------------------ ADD

/** Where a design changes sgx_encl_add_page() (6.1). */
export interface AddPageRules {
  /** The page's type (from the SECINFO, or D1's ADD type). */
  readonly type: SgxPageType;
  /** vm_max_prot_bits of the new page record (mainline: from the SECINFO; D1-D3: RWX). */
  readonly maxProt: number;
  /** __sgx_encl_add_page(): "Deny noexec." — a source VMA without VM_MAYEXEC is -EACCES. */
  readonly sourceMayExec: boolean;
  /** EEXTEND every 256-byte chunk (SGX_PAGE_MEASURE). */
  readonly measure: boolean;
  /** After find_vma(src) (and the noexec test), before the page is read: the design's rule; 0 or -errno (D2/D3's load rule). */
  beforeCopy?(vma: Vma): number;
  /** After get_user_pages(): the SECINFO to EADD with, or -errno (D1 derives it from the source VMA). */
  secinfo(vma: Vma): Uint8Array | number;
  /** After EADD: what else the page record gets (besides its EPC page). */
  afterEadd?(vma: Vma): Partial<EnclPage>;
}

/**
 * sgx_encl_add_page() + __sgx_encl_add_page() + __sgx_encl_extend() (6.1): an EPC page (with
 * reclaim), sgx_encl_grow() (a VA page every 512), the page_array insert ("Insert prior to EADD in
 * case of OOM": an existing entry is -EBUSY), find_vma(src) (-EFAULT), the design's rules,
 * get_user_pages() (-EFAULT), EADD (-EIO), the page gets its EPC page and secs_child_cnt++
 * ("Complete the "add" before doing the "extend""), EEXTEND per chunk when measured (-EIO; the
 * child count stays incremented, as in Linux), reclaimable. A failure after the insert erases the
 * entry, shrinks and frees the EPC page. 0 or -errno.
 */
export function sgxEnclAddPage(k: Kernel, platformId: number, pid: number, enclId: number, src: number, offset: bigint, rules: AddPageRules): number {
  const linaddr = (BigInt(enclOf(k, enclId).base) + offset) & U64;
  const addr = Number(linaddr >> 12n) * PAGE_SIZE;
  const epc = sgxAllocEpcPage(k, platformId, { kind: 'page', encl: enclId, addr }, true, pid);
  if (epc < 0) return epc;
  const va = sgxEnclGrow(k, enclId, true, pid);
  if (typeof va === 'number' && va < 0) {
    sgxEnclFreeEpcPage(k, platformId, epc, pid);
    return va;
  }
  // mmap_read_lock(current->mm); mutex_lock(&encl->lock)
  addVaPage(k, enclId, va as number | null);
  if (enclOf(k, enclId).page(addr)) {
    sgxEnclShrink(k, enclId, va as number | null, pid);
    sgxEnclFreeEpcPage(k, platformId, epc, pid);
    return -EBUSY; // xa_insert(): the entry exists
  }
  enclMut(k, enclId).setPage({ addr, maxProt: rules.maxProt, type: rules.type, epc: null, beingReclaimed: false, backing: null, young: false });
  const fail = (err: number): number => {
    enclMut(k, enclId).deletePage(addr);
    sgxEnclShrink(k, enclId, va as number | null, pid);
    sgxEnclFreeEpcPage(k, platformId, epc, pid);
    return err;
  };
  // find_vma(current->mm, src): the source VMA (or the next one if src is in a hole: GUP fails then).
  const vma = k.mm(pid).vmas.find(src);
  if (!vma) return fail(-EFAULT);
  if (rules.sourceMayExec && !(vma.flags & VM_MAYEXEC)) return fail(-EACCES);
  if (rules.beforeCopy) {
    const rc = rules.beforeCopy(vma);
    if (rc) return fail(rc);
  }
  const page = getUserPage(k, pid, src);
  if (typeof page === 'number') return fail(-EFAULT);
  const secinfo = rules.secinfo(vma);
  if (typeof secinfo === 'number') return fail(secinfo);
  const secsEpc = enclOf(k, enclId).secs.epc;
  const r = platformMut(k, platformId).hw.eadd({ linaddr, srcpge: pageBytes(page), secinfo, secs: secsEpc }, epc);
  if (r.kind !== 'ok') {
    note(k, pid, `EADD at 0x${linaddr.toString(16)} failed: ${r.reason}`);
    return fail(-EIO);
  }
  const more = rules.afterEadd?.(vma);
  const e = enclMut(k, enclId);
  e.updatePage(addr, { ...more, epc });
  e.secsChildCnt++;
  if (rules.measure) {
    for (let off = 0; off < PAGE_SIZE; off += SGX_EEXTEND_BLOCK_SIZE) {
      const x = platformMut(k, platformId).hw.eextend(secsEpc!, epc, off);
      // err_out: xa_erase(), shrink, sgx_encl_free_epc_page() (secs_child_cnt stays incremented, as in Linux)
      if (x.kind !== 'ok') return fail(-EIO);
    }
  }
  platformMut(k, platformId).markReclaimable(epc);
  return 0;
}

/**
 * The page loop of sgx_ioc_enclave_add_pages() (6.1): per page, a pending signal ends it
 * (-ERESTARTSYS if no page was added yet), then `addOne(src, offset)`; the first error ends it.
 * `src` past 2^53 is passed as an unmapped address. Returns the ret and the bytes added (`count`).
 */
export function addPagesLoop(k: Kernel, platformId: number, pid: number, src: bigint, offset: bigint, length: bigint, addOne: (src: number, offset: bigint) => number): { ret: number; count: bigint } {
  let ret = 0;
  let c = 0n;
  for (; c < length; c += PAGE) {
    if (platformMut(k, platformId).signalPending(pid)) {
      if (c === 0n) ret = -ERESTARTSYS;
      break;
    }
    const s = src + c;
    ret = addOne(s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : Number.MAX_SAFE_INTEGER, (offset + c) & U64);
    if (ret) break;
  }
  return { ret, count: c };
}

// ------------------------------------------------------------------ return to user mode

/** The end of an SGX syscall: a pending signal is delivered, ksgxd runs if it was woken. */
export function returnToUser(k: Kernel, platformId: number, pid: number, ret: number): number {
  platformMut(k, platformId).deliverSignal(pid);
  runKsgxd(k, platformId);
  return ret;
}

/** sgx_encl_mm_add() (encl.c): the mm joins mm_list once (no copy of the enclave if it is there already). */
export function sgxEnclMmAdd(k: Kernel, enclId: number, pid: number): void {
  if (!enclOf(k, enclId).mmList.includes(pid)) enclMut(k, enclId).addMm(pid);
}
