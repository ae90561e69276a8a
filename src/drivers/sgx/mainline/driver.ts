// The mainline SGX driver (arch/x86/kernel/cpu/sgx/{driver.c,ioctl.c,encl.c}), as merged for 5.11
// and extended with SGX2 in 6.0; Linux 6.1 is the reference (D8's default). One implementation,
// parameterised by version:
//   5.11: no SGX2 ioctls (-ENOIOCTLCMD -> ENOTTY), no EAUG on fault, no post-INIT range check in
//         sgx_encl_may_map(), no overflow check in the offset/length validation;
//   6.0:  + SGX2 (EAUG on fault, RESTRICT_PERMISSIONS, MODIFY_TYPES, REMOVE_PAGES, -ENODEV
//         without SGX2), + mapping outside ELRANGE after INIT -> -EACCES;
//   6.1:  + offset + length overflow check (commit f0861f49bd94, 2022-11-08).
// Every rule names its kernel function. designs-spec.md §8-§10, reference notes §3-§5.
import type { Kernel } from '../../../kernel/kernel.js';
import type { FileOperations, OpenFile, VmaDraft } from '../../../fs/types.js';
import type { Vma } from '../../../mm/vma.js';
import { copyFromUser } from '../../../kernel/uaccess.js';
import { archGetUnmappedAreaTopdown } from '../../../mm/mmap.js';
import { EACCES, EAGAIN, EBUSY, EFAULT, EINVAL, EIO, ENODEV, ENOIOCTLCMD, EPERM } from '../../../abi/errno.js';
import { MAP_FIXED, MAP_PRIVATE, MAP_TYPE, PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { VM_EXEC, VM_READ, VM_WRITE } from '../../../abi/vm_flags.js';
import { READ_IMPLIES_EXEC } from '../../../abi/personality.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import {
  SECS_SIZE,
  SGX_ATTR_DEBUG,
  SGX_ATTR_KSS,
  SGX_ATTR_MODE64BIT,
  SGX_ATTR_PROVISIONKEY,
  SGX_SECINFO_PAGE_TYPE_MASK,
  SGX_SECINFO_PERMISSION_MASK,
  SGX_SECINFO_R,
  SGX_SECINFO_TCS,
  SGX_SECINFO_W,
  SGX_SECINFO_X,
  SIGSTRUCT_SIZE,
  SgxPageType,
  X86_TRAP_PF,
} from '../../../arch/x86/sgx/arch.js';
import { parseSecs } from '../../../arch/x86/sgx/encls.js';
import { secinfoBytes } from '../../../arch/x86/sgx/secinfo.js';
import { SGX_ENCL_CREATED, SGX_ENCL_DEBUG, SGX_ENCL_INITIALIZED, SGX_ENCL_IOCTL, type EnclPage, type SgxEncl } from '../common/encl.js';
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
  sgxReclaimPages,
} from '../common/epc.js';
import { sgxUserFault, sgxVmaFault, type VmFault } from '../common/fault.js';
import { addPagesLoop, readArg, returnToUser, secinfoFlagsOf, sgxEnclAddPage, sgxEnclInit, sgxEnclMmAdd, uptr, validateOffsetLength, validateSecinfo, writeArg } from '../common/ioctl.js';
import { sgxOpenEnclave, sgxProvisionFops, type SgxFileOperations } from '../common/install.js';
import { SGX_NR_LOW_PAGES } from '../common/platform.js';
import { enclIdOfVma, sgxMmapSetup, sgxVmaOpen, zapEnclavePtes, type SgxVmOperations } from '../common/vma.js';
import {
  SGX_ENCLAVE_ADD_PAGES,
  SGX_ENCLAVE_CREATE,
  SGX_ENCLAVE_INIT,
  SGX_ENCLAVE_MODIFY_TYPES,
  SGX_ENCLAVE_PROVISION,
  SGX_ENCLAVE_REMOVE_PAGES,
  SGX_ENCLAVE_RESTRICT_PERMISSIONS,
  SGX_IOC_ENCLAVE_ADD_PAGES,
  SGX_IOC_ENCLAVE_CREATE,
  SGX_IOC_ENCLAVE_INIT,
  SGX_IOC_ENCLAVE_MODIFY_TYPES,
  SGX_IOC_ENCLAVE_PROVISION,
  SGX_IOC_ENCLAVE_REMOVE_PAGES,
  SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS,
  SGX_PAGE_MEASURE,
} from './uapi.js';

export type MainlineVersion = '5.11' | '6.0' | '6.1';

export interface MainlineOptions {
  readonly version: MainlineVersion;
  /** sgx_validate_offset_length(): `offset + length < offset` -> -EINVAL (6.1, f0861f49bd94; Cc stable 5.11+). */
  readonly overflowCheck: boolean;
  /** sgx_encl_create(): `!is_power_of_2(secs->size)` -> -EINVAL before ECREATE (2025, Cc stable 5.11+). */
  readonly createPow2Check: boolean;
}

/** What a version implies. */
export function mainlineFeatures(o: MainlineOptions): { sgx2: boolean; postInitRangeCheck: boolean } {
  const ge60 = o.version !== '5.11';
  return { sgx2: ge60, postInitRangeCheck: ge60 };
}

const PAGE = BigInt(PAGE_SIZE);
/** SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_KSS: attributes_mask at ECREATE (5.11-6.1). */
const ATTRIBUTES_MASK_5_11 = SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_KSS;

/** The misc devices' fops and the vm_ops of one installed mainline driver. */
export interface MainlineDriver {
  readonly enclaveFops: SgxFileOperations;
  readonly provisionFops: SgxFileOperations;
  readonly vmOps: SgxVmOperations;
  readonly options: MainlineOptions;
}

/** What a design built on the mainline driver adds to it (D1: its CREATE check). */
export interface MainlineExtensions {
  /** sgx_ioc_enclave_create(): after the SECS is copied, before anything else of ECREATE; 0 or -errno. */
  readonly createCheck?: (k: Kernel, pid: number, enclId: number, secs: Uint8Array) => number;
}

/** Build the driver for one installation (the ops close over the platform's object id only). */
export function mainlineDriver(platformId: number, designKey: string, options: MainlineOptions, ext: MainlineExtensions = {}): MainlineDriver {
  const feat = mainlineFeatures(options);

  // ------------------------------------------------------------------ helpers

  /** sgx_validate_offset_length() with this version's overflow check. */
  const validOffLen = (encl: SgxEncl, offset: bigint, length: bigint): boolean => validateOffsetLength(encl, offset, length, options.overflowCheck);

  /** sgx_encl_may_map(): 0 or -EACCES. */
  const mayMap = (k: Kernel, pid: number, enclId: number, start: number, end: number, vmFlags: number): number => {
    const encl = enclOf(k, enclId);
    const vmProtBits = vmFlags & (VM_READ | VM_WRITE | VM_EXEC);
    // "Disallow mapping outside enclave's address range." (6.0+)
    if (feat.postInitRangeCheck && encl.has(SGX_ENCL_INITIALIZED) && (start < encl.base || end > encl.base + encl.size)) return -EACCES;
    // "Disallow READ_IMPLIES_EXEC tasks as their VMA permissions might conflict with the enclave page permissions."
    if (k.task(pid).personality & READ_IMPLIES_EXEC) return -EACCES;
    // xas_for_each(): existing pages only; holes impose nothing.
    for (const p of encl.pagesIn(start, end)) if (~p.maxProt & vmProtBits) return -EACCES;
    return 0;
  };

  /** sgx_reclaim_direct(): reclaim a batch if free pages are below SGX_NR_LOW_PAGES. */
  const reclaimDirect = (k: Kernel, pid: number): void => {
    const p = platformOf(k, platformId);
    if (p.nrFree < SGX_NR_LOW_PAGES && !p.activeEmpty) sgxReclaimPages(k, platformId, pid);
  };

  /** sgx_enclave_etrack(): ETRACK, on failure IPI and retry (-EFAULT if it fails again), then IPI the enclave's CPUs. */
  const enclaveEtrack = (k: Kernel, enclId: number): number => {
    const hw = platformMut(k, platformId).hw;
    const secs = enclOf(k, enclId).secs.epc;
    if (secs === null) throw new Error('invariant: ETRACK with the SECS evicted');
    let r = hw.etrack(secs);
    if (r.kind !== 'ok') {
      for (const lp of hw.lpsInEnclave) hw.interrupt(lp);
      r = hw.etrack(secs);
      if (r.kind !== 'ok') return -EFAULT;
    }
    for (const lp of hw.lpsInEnclave) hw.interrupt(lp);
    return 0;
  };

  // ------------------------------------------------------------------ ioctls

  /** sgx_ioc_enclave_create() + sgx_encl_create(). */
  const iocCreate = (k: Kernel, pid: number, enclId: number, arg: number): number => {
    if (enclOf(k, enclId).has(SGX_ENCL_CREATED)) return -EINVAL;
    const a = readArg(k, pid, arg, SGX_ENCLAVE_CREATE);
    if (typeof a === 'number') return -EFAULT;
    const secs = copyFromUser(k, pid, uptr(a.src), SECS_SIZE);
    if (typeof secs === 'number') return -EFAULT;
    if (ext.createCheck) {
      const rc = ext.createCheck(k, pid, enclId, secs);
      if (rc) return rc;
    }
    const s = parseSecs(secs);
    // "ECREATE would detect this too, but checking here also ensures that the 'encl_size' calculations below can never overflow."
    if (options.createPow2Check && (s.size === 0n || (s.size & (s.size - 1n)) !== 0n)) return -EINVAL;
    const va = sgxEnclGrow(k, enclId, true, pid);
    if (typeof va === 'number' && va < 0) return va;
    addVaPage(k, enclId, va as number | null);
    const secsEpc = sgxAllocEpcPage(k, platformId, { kind: 'secs', encl: enclId }, true, pid);
    if (secsEpc < 0) {
      sgxEnclShrink(k, enclId, va as number | null, pid);
      return secsEpc;
    }
    enclMut(k, enclId).secs = { epc: secsEpc, backing: null };
    const r = platformMut(k, platformId).hw.ecreate({ linaddr: 0n, srcpge: secs, secinfo: secinfoBytes(0n), secs: null }, secsEpc);
    if (r.kind !== 'ok') {
      note(k, pid, `ECREATE failed: ${r.kind === 'error' ? `SGX error ${r.code}` : `vector ${r.vector}`}: ${r.reason}`);
      sgxEnclFreeEpcPage(k, platformId, secsEpc, pid);
      enclMut(k, enclId).secs = { epc: null, backing: null };
      sgxEnclShrink(k, enclId, va as number | null, pid);
      return -EIO;
    }
    const e = enclMut(k, enclId);
    if (s.attributes & SGX_ATTR_DEBUG) e.flags |= SGX_ENCL_DEBUG;
    e.base = Number(s.base);
    e.size = Number(s.size);
    e.attributes = s.attributes;
    e.attributesMask = ATTRIBUTES_MASK_5_11;
    e.flags |= SGX_ENCL_CREATED;
    return 0;
  };

  /** sgx_encl_page_alloc(): vm_max_prot_bits from SECINFO R/W/X; a TCS gets PROT_READ|PROT_WRITE. */
  const maxProtOf = (secinfoFlags: bigint): number => {
    let prot = (secinfoFlags & SGX_SECINFO_R ? PROT_READ : 0) | (secinfoFlags & SGX_SECINFO_W ? PROT_WRITE : 0) | (secinfoFlags & SGX_SECINFO_X ? PROT_EXEC : 0);
    if ((secinfoFlags & SGX_SECINFO_PAGE_TYPE_MASK) === SGX_SECINFO_TCS) prot |= PROT_READ | PROT_WRITE;
    return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0);
  };

  /** sgx_encl_add_page() + __sgx_encl_add_page() + __sgx_encl_extend(): the SECINFO's permissions cap the page; "Deny noexec." */
  const addPage = (k: Kernel, pid: number, enclId: number, src: number, offset: bigint, secinfo: Uint8Array, flags: bigint): number => {
    const secinfoFlags = secinfoFlagsOf(secinfo);
    return sgxEnclAddPage(k, platformId, pid, enclId, src, offset, {
      type: Number((secinfoFlags & SGX_SECINFO_PAGE_TYPE_MASK) >> 8n) as SgxPageType,
      maxProt: maxProtOf(secinfoFlags),
      sourceMayExec: true,
      measure: (flags & BigInt(SGX_PAGE_MEASURE)) !== 0n,
      secinfo: () => secinfo,
    });
  };

  /** sgx_ioc_enclave_add_pages(). */
  const iocAddPages = (k: Kernel, pid: number, enclId: number, arg: number): number => {
    const encl = enclOf(k, enclId);
    if (!encl.has(SGX_ENCL_CREATED) || encl.has(SGX_ENCL_INITIALIZED)) return -EINVAL;
    const a = readArg(k, pid, arg, SGX_ENCLAVE_ADD_PAGES);
    if (typeof a === 'number') return -EFAULT;
    if (a.src % PAGE !== 0n) return -EINVAL;
    if (!validOffLen(encl, a.offset, a.length)) return -EINVAL;
    const secinfo = copyFromUser(k, pid, uptr(a.secinfo), 64);
    if (typeof secinfo === 'number') return -EFAULT;
    if (!validateSecinfo(secinfo)) return -EINVAL;
    const { ret, count } = addPagesLoop(k, platformId, pid, a.src, a.offset, a.length, (src, offset) => addPage(k, pid, enclId, src, offset, secinfo, a.flags));
    if (writeArg(k, pid, arg, SGX_ENCLAVE_ADD_PAGES, { ...a, count })) return -EFAULT;
    return ret;
  };

  /** sgx_ioc_enclave_init() + sgx_encl_init(). */
  const iocInit = (k: Kernel, pid: number, enclId: number, arg: number): number => {
    const encl = enclOf(k, enclId);
    if (!encl.has(SGX_ENCL_CREATED) || encl.has(SGX_ENCL_INITIALIZED)) return -EINVAL;
    const a = readArg(k, pid, arg, SGX_ENCLAVE_INIT);
    if (typeof a === 'number') return -EFAULT;
    const ss = copyFromUser(k, pid, uptr(a.sigstruct), SIGSTRUCT_SIZE);
    if (typeof ss === 'number') return -EFAULT;
    return sgxEnclInit(k, platformId, pid, enclId, ss);
  };

  /** sgx_ioc_enclave_provision() + sgx_set_attribute(). */
  const iocProvision = (k: Kernel, pid: number, enclId: number, arg: number): number => {
    const a = readArg(k, pid, arg, SGX_ENCLAVE_PROVISION);
    if (typeof a === 'number') return -EFAULT;
    const fd = a.fd > 0x7fffffffn ? -1 : Number(a.fd);
    const f = k.fdFile(pid, fd);
    if (!f || f.fops !== provisionFops) return -EINVAL;
    enclMut(k, enclId).attributesMask |= SGX_ATTR_PROVISIONKEY;
    return 0;
  };

  /** sgx_ioc_sgx2_ready(). */
  const sgx2Ready = (k: Kernel, enclId: number): number => {
    if (!platformOf(k, platformId).hw.config.sgx2) return -ENODEV;
    if (!enclOf(k, enclId).has(SGX_ENCL_INITIALIZED)) return -EINVAL;
    return 0;
  };

  /** sgx_encl_load_page() for the SGX2 ioctls: -EBUSY -> -EAGAIN, any other error -> -EFAULT. */
  const loadForModify = (k: Kernel, pid: number, enclId: number, addr: number): ReturnType<typeof sgxEnclLoadPage> => {
    const e = sgxEnclLoadPage(k, enclId, addr, pid);
    if (typeof e === 'number') return e === -EBUSY ? -EAGAIN : -EFAULT;
    return e;
  };

  /**
   * The page loop the three SGX2 ioctls share (sgx_enclave_restrict_permissions(),
   * sgx_enclave_modify_types(), sgx_encl_remove_pages()): per page sgx_reclaim_direct(), then
   * sgx_encl_load_page() (-EAGAIN / -EFAULT), then `body`; the first error ends it. The ret and
   * the bytes processed (`count`).
   */
  const modifyLoop = (k: Kernel, pid: number, enclId: number, offset: bigint, length: bigint, body: (addr: number, entry: EnclPage) => number): { ret: number; count: bigint } => {
    let ret = 0;
    let c = 0n;
    for (; c < length; c += PAGE) {
      const addr = enclOf(k, enclId).base + Number(offset + c);
      reclaimDirect(k, pid);
      const entry = loadForModify(k, pid, enclId, addr);
      if (typeof entry === 'number') {
        ret = entry;
        break;
      }
      ret = body(addr, entry);
      if (ret) break;
    }
    return { ret, count: c };
  };

  /** sgx_ioc_enclave_restrict_permissions() + sgx_enclave_restrict_permissions(). */
  const iocRestrict = (k: Kernel, pid: number, enclId: number, arg: number): number => {
    const rdy = sgx2Ready(k, enclId);
    if (rdy) return rdy;
    const p = readArg(k, pid, arg, SGX_ENCLAVE_RESTRICT_PERMISSIONS);
    if (typeof p === 'number') return -EFAULT;
    if (!validOffLen(enclOf(k, enclId), p.offset, p.length)) return -EINVAL;
    if (p.permissions & ~SGX_SECINFO_PERMISSION_MASK) return -EINVAL;
    // "Fail early if invalid permissions requested to prevent ENCLS[EMODPR] from faulting later"
    if (p.permissions & SGX_SECINFO_W && !(p.permissions & SGX_SECINFO_R)) return -EINVAL;
    if (p.result || p.count) return -EINVAL;
    const secinfo = p.permissions & SGX_SECINFO_PERMISSION_MASK;
    const { ret, count } = modifyLoop(k, pid, enclId, p.offset, p.length, (_addr, entry) => {
      // "Changing EPCM permissions is only supported on regular SGX pages."
      if (entry.type !== SgxPageType.REG) return -EINVAL;
      const r = platformMut(k, platformId).hw.emodpr(secinfo, entry.epc!);
      if (r.kind === 'fault') return -EFAULT;
      if (r.kind === 'error') {
        p.result = BigInt(r.code);
        return -EFAULT;
      }
      return enclaveEtrack(k, enclId) ? -EFAULT : 0;
    });
    p.count = count;
    if (writeArg(k, pid, arg, SGX_ENCLAVE_RESTRICT_PERMISSIONS, p)) return -EFAULT;
    return ret;
  };

  /** sgx_ioc_enclave_modify_types() + sgx_enclave_modify_types(). */
  const iocModifyTypes = (k: Kernel, pid: number, enclId: number, arg: number): number => {
    const rdy = sgx2Ready(k, enclId);
    if (rdy) return rdy;
    const p = readArg(k, pid, arg, SGX_ENCLAVE_MODIFY_TYPES);
    if (typeof p === 'number') return -EFAULT;
    if (!validOffLen(enclOf(k, enclId), p.offset, p.length)) return -EINVAL;
    if (p.page_type & ~0xffn) return -EINVAL; // SGX_PAGE_TYPE_MASK
    if (p.result || p.count) return -EINVAL;
    const pageType = Number(p.page_type & 0xffn);
    const secinfo = BigInt(pageType) << 8n;
    /** sgx_enclave_modify_types() for one page. */
    const modify = (addr: number, entry: EnclPage): number => {
      // "Regular pages can change type to TCS or TRIM but TCS pages can only be trimmed."
      if (!(entry.type === SgxPageType.REG || (entry.type === SgxPageType.TCS && pageType === SgxPageType.TRIM))) return -EINVAL;
      const maxProtRestore = entry.maxProt;
      const restore = (): void => {
        enclMut(k, enclId).updatePage(addr, { maxProt: maxProtRestore });
      };
      if (entry.type === SgxPageType.REG && pageType === SgxPageType.TCS) {
        if (~entry.maxProt & (VM_READ | VM_WRITE)) return -EPERM;
        enclMut(k, enclId).updatePage(addr, { maxProt: VM_READ | VM_WRITE });
        // "Prevent page from being reclaimed while mutex is released."
        if (!platformMut(k, platformId).unmarkReclaimable(entry.epc!)) {
          restore();
          return -EAGAIN;
        }
        zapEnclavePtes(k, enclId, enclOf(k, enclId), addr);
        platformMut(k, platformId).markReclaimable(entry.epc!);
      }
      const r = platformMut(k, platformId).hw.emodt(secinfo, entry.epc!);
      if (r.kind === 'fault') {
        restore();
        return -EFAULT;
      }
      if (r.kind === 'error') {
        p.result = BigInt(r.code);
        restore();
        return -EFAULT;
      }
      if (enclaveEtrack(k, enclId)) return -EFAULT;
      enclMut(k, enclId).updatePage(addr, { type: pageType as SgxPageType });
      return 0;
    };
    // "The only new page types allowed by hardware are PT_TCS and PT_TRIM."
    const allowed = pageType === SgxPageType.TCS || pageType === SgxPageType.TRIM;
    const { ret, count } = allowed ? modifyLoop(k, pid, enclId, p.offset, p.length, modify) : { ret: -EINVAL, count: 0n };
    p.count = count;
    if (writeArg(k, pid, arg, SGX_ENCLAVE_MODIFY_TYPES, p)) return -EFAULT;
    return ret;
  };

  /** sgx_ioc_enclave_remove_pages() + sgx_encl_remove_pages(). */
  const iocRemovePages = (k: Kernel, pid: number, enclId: number, arg: number): number => {
    const rdy = sgx2Ready(k, enclId);
    if (rdy) return rdy;
    const p = readArg(k, pid, arg, SGX_ENCLAVE_REMOVE_PAGES);
    if (typeof p === 'number') return -EFAULT;
    if (!validOffLen(enclOf(k, enclId), p.offset, p.length)) return -EINVAL;
    if (p.count) return -EINVAL;
    const rwx = SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X;
    const { ret, count } = modifyLoop(k, pid, enclId, p.offset, p.length, (addr, entry) => {
      if (entry.type !== SgxPageType.TRIM) return -EPERM;
      // "ENCLS[EMODPR] is a no-op instruction used to inform if ENCLU[EACCEPT] was run from within the enclave."
      const r = platformMut(k, platformId).hw.emodpr(rwx, entry.epc!);
      if (!(r.kind === 'fault' && r.vector === X86_TRAP_PF)) return -EPERM;
      if (!platformMut(k, platformId).unmarkReclaimable(entry.epc!)) return -EBUSY;
      zapEnclavePtes(k, enclId, enclOf(k, enclId), addr);
      sgxEnclFreeEpcPage(k, platformId, entry.epc!, pid);
      const e = enclMut(k, enclId);
      e.secsChildCnt--;
      e.deletePage(addr);
      sgxEnclShrink(k, enclId, null, pid);
      return 0;
    });
    p.count = count;
    if (writeArg(k, pid, arg, SGX_ENCLAVE_REMOVE_PAGES, p)) return -EFAULT;
    return ret;
  };

  /** sgx_ioctl(): the SGX_ENCL_IOCTL bit serialises ioctls on one enclave (-EBUSY); unknown commands -ENOIOCTLCMD. */
  const sgxIoctl = (k: Kernel, pid: number, file: OpenFile, cmd: number, arg: number): number => {
    const enclId = file.privateData as number;
    const e0 = enclOf(k, enclId);
    if (e0.flags & SGX_ENCL_IOCTL) return -EBUSY;
    enclMut(k, enclId).flags |= SGX_ENCL_IOCTL;
    let ret: number;
    switch (cmd >>> 0) {
      case SGX_IOC_ENCLAVE_CREATE:
        ret = iocCreate(k, pid, enclId, arg);
        break;
      case SGX_IOC_ENCLAVE_ADD_PAGES:
        ret = iocAddPages(k, pid, enclId, arg);
        break;
      case SGX_IOC_ENCLAVE_INIT:
        ret = iocInit(k, pid, enclId, arg);
        break;
      case SGX_IOC_ENCLAVE_PROVISION:
        ret = iocProvision(k, pid, enclId, arg);
        break;
      case SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS:
        ret = feat.sgx2 ? iocRestrict(k, pid, enclId, arg) : -ENOIOCTLCMD;
        break;
      case SGX_IOC_ENCLAVE_MODIFY_TYPES:
        ret = feat.sgx2 ? iocModifyTypes(k, pid, enclId, arg) : -ENOIOCTLCMD;
        break;
      case SGX_IOC_ENCLAVE_REMOVE_PAGES:
        ret = feat.sgx2 ? iocRemovePages(k, pid, enclId, arg) : -ENOIOCTLCMD;
        break;
      default:
        ret = -ENOIOCTLCMD;
    }
    if (k.objects.has(enclId)) enclMut(k, enclId).flags &= ~SGX_ENCL_IOCTL;
    return returnToUser(k, platformId, pid, ret);
  };

  // ------------------------------------------------------------------ file and vm operations

  const sgxFault = (k: Kernel, pid: number, vma: Vma, addr: number): VmFault => {
    const eaug = feat.sgx2 && platformOf(k, platformId).hw.config.sgx2;
    return sgxVmaFault(k, pid, vma, addr, { eaug });
  };

  const vmOps: SgxVmOperations = Object.freeze({
    name: 'sgx_vm_ops',
    sgxEnclave: true as const,
    sgxFault,
    /** sgx_vma_fault() for accesses outside enclave mode (k.mem). */
    fault(k: Kernel, pid: number, vma: Vma, addr: number, access: 'read' | 'write' | 'exec') {
      const eaug = feat.sgx2 && platformOf(k, platformId).hw.config.sgx2;
      const r = sgxUserFault(k, pid, vma, addr, access, { eaug });
      runKsgxd(k, platformId);
      return r;
    },
    /** sgx_vma_mprotect(): sgx_encl_may_map() on the new flags (called after security_file_mprotect()). */
    mprotect(k: Kernel, pid: number, vma: Vma, start: number, end: number, newflags: number): number {
      const id = enclIdOfVma(vma);
      if (id === null) return -EACCES;
      return mayMap(k, pid, id, start, end, newflags);
    },
    /** sgx_vma_open(): the (new) VMA's mm joins mm_list. */
    open: sgxVmaOpen,
  });

  const enclaveFops: SgxFileOperations = Object.freeze({
    name: 'sgx_encl_fops',
    sgxPlatform: platformId,
    sgxDesign: designKey,
    sgxRole: 'enclave' as const,
    /** sgx_open(): one struct sgx_encl per open file; no anon inode. */
    open: (k: Kernel, _pid: number, file: OpenFile): number => sgxOpenEnclave(k, platformId, file),
    /** sgx_release(): drain mm_list (each drop puts a reference), then the file's reference: sgx_encl_release(). */
    release(k: Kernel, file: OpenFile): void {
      const id = file.privateData as number;
      if (typeof id === 'number' && k.objects.has(id)) sgxEnclRelease(k, id);
    },
    /** sgx_mmap(). */
    mmap(k: Kernel, pid: number, file: OpenFile, vma: VmaDraft): number {
      const id = file.privateData as number;
      const ret = mayMap(k, pid, id, vma.start, vma.end, vma.flags);
      if (ret) return ret;
      sgxEnclMmAdd(k, id, pid);
      sgxMmapSetup(vma, vmOps, id);
      return 0;
    },
    /** sgx_get_unmapped_area(): MAP_PRIVATE -> -EINVAL; MAP_FIXED -> addr; else the mm's allocator. */
    get_unmapped_area(k: Kernel, pid: number, file: OpenFile, addr: number, len: number, pgoff: number, flags: number): number {
      if ((flags & MAP_TYPE) === MAP_PRIVATE) return -EINVAL;
      if (flags & MAP_FIXED) return addr;
      return archGetUnmappedAreaTopdown(k, pid, file, addr, len, pgoff, flags);
    },
    unlocked_ioctl: sgxIoctl,
  });

  const provisionFops = sgxProvisionFops(platformId, designKey);

  return { enclaveFops, provisionFops, vmOps, options };
}

export type { FileOperations };
