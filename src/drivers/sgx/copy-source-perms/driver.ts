// D1 `copy-source-perms`: the SGX driver of Sean Christopherson's 2019-05-17 proposal (the seed,
// Message-ID 20190517192823.GG15006@linux.intel.com), in which ENCLAVE_ADD "takes a source VMA and
// copies the contents *and* the permissions from the source VMA" and "modifies enclave's VMAs".
// The proposal is a sketch (no patch was posted); what the thread states is modelled as stated,
// with the Message-ID of the mail that states it, and every gap is an OPEN CHOICE written down in
// docs/designs.md §D1 (several are driver options, D1Options below). designs-spec §2.
//
// What is not D1-specific is the merged driver's (designs-spec §2 "as D7"): CREATE's and INIT's
// bodies and SET_ATTRIBUTE (= mainline PROVISION, same number and layout) are delegated to the
// mainline implementation (../mainline/driver.ts, Linux 6.1 rules), so their check order and errnos
// are exactly D7's; ENCLAVE_ADD reuses the mainline per-page order (sgx_encl_add_page()) with D1's
// differences marked.
import type { Kernel } from '../../../kernel/kernel.js';
import type { OpenFile, VmaDraft } from '../../../fs/types.js';
import type { Vma } from '../../../mm/vma.js';
import { withFields } from '../../../mm/vma.js';
import { splitVma } from '../../../mm/vma_ops.js';
import { archGetUnmappedAreaTopdown, noteWritable } from '../../../mm/mmap.js';
import { anonInodeGetfile } from '../../../fs/anon_inodes.js';

import { EACCES, EBUSY, EFAULT, EINVAL, ENOIOCTLCMD, EPERM, ERESTARTSYS } from '../../../abi/errno.js';
import { MAP_FIXED, MAP_PRIVATE, MAP_TYPE } from '../../../abi/mman.js';
import { VM_ACCESS_FLAGS, VM_EXEC, VM_READ, VM_WRITE } from '../../../abi/vm_flags.js';
import { PAGE_SIZE, TASK_SIZE } from '../../../abi/page.js';
import { SGX_SECINFO_R, SGX_SECINFO_W, SGX_SECINFO_X, SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { parseSecs } from '../../../arch/x86/sgx/encls.js';
import { secinfoBytes } from '../../../arch/x86/sgx/secinfo.js';
import { SGX_ENCL_CREATED, SGX_ENCL_INITIALIZED, SGX_ENCL_IOCTL, SgxEncl } from '../common/encl.js';
import { enclMut, enclOf, note, platformMut, platformOf, runKsgxd, sgxEnclRelease } from '../common/epc.js';
import { sgxUserFault, sgxVmaFault, type VmFault } from '../common/fault.js';
import { readArg, returnToUser, sgxEnclAddPage, sgxEnclMmAdd, validateOffsetLength, writeArg } from '../common/ioctl.js';
import type { SgxFileOperations } from '../common/install.js';
import { enclIdOfVma, isSgxVma, sgxMmapSetup, sgxVmaOpen, type SgxVmOperations } from '../common/vma.js';
import { mainlineDriver } from '../mainline/driver.js';
import {
  D1_ENCLAVE_ADD,
  D1_IOC_ENCLAVE_ADD,
  D1_IOC_ENCLAVE_CREATE,
  D1_IOC_ENCLAVE_INIT,
  D1_IOC_ENCLAVE_SET_ATTRIBUTE,
  SGX_ENCLAVE_ADD_MEASURE,
  SGX_ENCLAVE_ADD_TYPE_VALID,
} from './uapi.js';

/**
 * The driver options (InstallOptions.driver of D1). Each is an OPEN CHOICE of the thread
 * (designs-spec §13.2); docs/designs.md §D1 gives the reasons for the defaults.
 */
export interface D1Options {
  /**
   * When mmap() of the enclave fd starts being refused (-EPERM): after the first successful EADD
   * ('first-add', Sean 2019-05-21: "disallow mmap() as soon as the first EADD is done"), or after
   * ECREATE ('create': "conceptually it's probably more intuitive to disallow mmap() at ECREATE").
   */
  readonly mmapBan: 'first-add' | 'create';
  /** Refuse sources whose VMA lacks VM_MAYEXEC (-EACCES): mainline's "Deny noexec." (not in the thread). */
  readonly sourceMayExec: boolean;
  /**
   * ADD writes the copied R/W/X into the enclave VMA even where its VM_MAY* bits lack them (Sean
   * 2019-05-17 17:36: the fd "could be opened O_RDONLY if ENCLAVE_ADD stuffed the EPC VMA
   * permissions"). Default false: the copied bits must pass mprotect's VM_MAY* rule (-EACCES).
   */
  readonly stuffPermissions: boolean;
  /**
   * Fault-time check after INIT: 'none' (v20's fault path: the VMA flags are the only
   * enforcement) or 'copied' (the VMA's R/W/X must be within the page's copied permissions, as
   * mainline checks vm_max_prot_bits; else SIGBUS).
   */
  readonly faultCheck: 'none' | 'copied';
  /** EAUG on a fault at an unadded ELRANGE address of an initialized enclave (needs an SGX2 CPU): the page has no source, so it inherits nothing. */
  readonly sgx2: boolean;
  /**
   * get_unmapped_area(): 'v20' (the driver the seed was written against: length a power of two
   * >= 8 KiB, MAP_PRIVATE bit -> -EINVAL, result naturally aligned to the length, MAP_FIXED too),
   * 'rfc-v1' (default: the same, but MAP_FIXED returns the address as given, Sean's RFC v1 2/9
   * "Do not naturally align MAP_FIXED address", which fixes what he pointed out in this thread on
   * 2019-05-22) or 'mainline' (MAP_PRIVATE -> -EINVAL, MAP_FIXED -> addr, else the mm's
   * allocator: no alignment, so the seed's mmap(NULL, size) gives an unusable base).
   */
  readonly unmappedArea: 'v20' | 'rfc-v1' | 'mainline';
}

export const D1_DEFAULT_OPTIONS: D1Options = Object.freeze({
  mmapBan: 'first-add',
  sourceMayExec: false,
  stuffPermissions: false,
  faultCheck: 'none',
  sgx2: false,
  unmappedArea: 'rfc-v1',
});

const OPTION_VALUES: { readonly [K in keyof D1Options]: readonly D1Options[K][] } = {
  mmapBan: ['first-add', 'create'],
  sourceMayExec: [false, true],
  stuffPermissions: [false, true],
  faultCheck: ['none', 'copied'],
  sgx2: [false, true],
  unmappedArea: ['rfc-v1', 'v20', 'mainline'],
};

/** InstallOptions.driver for D1: every key optional; an unknown key or value is a one-line error. */
export function d1Options(given: Readonly<Record<string, unknown>> | undefined): D1Options {
  if (!given) return D1_DEFAULT_OPTIONS;
  const keys = Object.keys(OPTION_VALUES) as (keyof D1Options)[];
  const out: Record<string, unknown> = { ...D1_DEFAULT_OPTIONS };
  for (const [key, v] of Object.entries(given)) {
    if (!(keys as string[]).includes(key)) throw new Error(`unknown driver option '${key}' (D1 options: ${keys.join(', ')})`);
    const allowed = OPTION_VALUES[key as keyof D1Options] as readonly unknown[];
    if (v === undefined) continue;
    if (!allowed.includes(v)) throw new Error(`driver option ${key}: '${String(v)}' is not one of ${allowed.map(String).join(', ')}`);
    out[key] = v;
  }
  return Object.freeze(out as unknown as D1Options);
}

/** D1's per-enclave state (SgxEncl.extra; an immutable value). */
export interface D1EnclState {
  /** mmap() of the enclave fd is refused from now on (constraint 8, Sean 2019-05-21). */
  readonly mmapBanned: boolean;
}

/** D1's per-page state (EnclPage.extra; an immutable value). */
export interface D1PageState {
  /** The VM_READ|VM_WRITE|VM_EXEC bits copied from the source VMA at ADD (EAUG pages have none). */
  readonly copied: number;
}

/** The enclave state D1 keeps (never undefined after open). */
export function d1State(e: SgxEncl): D1EnclState {
  return (e.extra as D1EnclState | undefined) ?? { mmapBanned: false };
}

/** The permissions ADD copied into the page at addr, or null (no page, or an EAUG page). */
export function d1CopiedPerms(k: Kernel, enclId: number, addr: number): number | null {
  const p = enclOf(k, enclId).page(addr);
  const x = p?.extra as D1PageState | undefined;
  return x ? x.copied : null;
}

/** The file and vm operations of one installed D1 driver. */
export interface D1Driver {
  /** /dev/sgx/enclave: its only operation is open(), which hands out the anon-inode enclave file. */
  readonly deviceFops: SgxFileOperations;
  /** file_operations of the enclave file (anon inode "[sgx]"). */
  readonly enclaveFops: SgxFileOperations;
  /** /dev/sgx/provision (only .owner, as v20 and mainline). */
  readonly provisionFops: SgxFileOperations;
  readonly vmOps: SgxVmOperations;
  readonly options: D1Options;
}

/** The anon inode's name (d_path "anon_inode:[sgx]"; OPEN CHOICE: the thread names none). */
export const D1_ANON_NAME = '[sgx]';

const PAGE = BigInt(PAGE_SIZE);
const U64 = (1n << 64n) - 1n;
const RWX = VM_READ | VM_WRITE | VM_EXEC;

function isPow2(n: number): boolean {
  if (!Number.isSafeInteger(n) || n <= 0) return false;
  const b = BigInt(n);
  return (b & (b - 1n)) === 0n;
}

/** SECINFO R/W/X for VM_READ/VM_WRITE/VM_EXEC (the bit values coincide; spelled out for clarity). */
function secinfoPerms(vmBits: number): bigint {
  return (vmBits & VM_READ ? SGX_SECINFO_R : 0n) | (vmBits & VM_WRITE ? SGX_SECINFO_W : 0n) | (vmBits & VM_EXEC ? SGX_SECINFO_X : 0n);
}

/**
 * Do the enclave mappings of `enclId` in pid's mm cover [start, end) without a gap? This is
 * sgx_encl_find() (v20 encl.c: "-EINVAL if an enclave was not found") applied page range by
 * range, plus "the VMA is this enclave's".
 */
export function enclaveVmasCover(k: Kernel, pid: number, enclId: number, start: number, end: number): boolean {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end > TASK_SIZE) return false;
  const mm = k.mm(pid);
  for (let a = start; a < end; ) {
    const v = mm.vmas.at(a);
    if (!isSgxVma(v) || enclIdOfVma(v) !== enclId) return false;
    a = v.end;
  }
  return true;
}

/** Build the driver for one installation (the ops close over the platform's object id only). */
export function copySourcePermsDriver(platformId: number, designKey: string, options: D1Options): D1Driver {
  // The merged driver, Linux 6.1 rules, for what D1 takes "as D7" (CREATE/INIT/SET_ATTRIBUTE), with D1's CREATE check.
  const mainline = mainlineDriver(platformId, designKey, { version: '6.1', overflowCheck: true, createPow2Check: false }, { createCheck: (k, pid, enclId, secs) => createCheck(k, pid, enclId, secs) });

  const signalPending = (k: Kernel, pid: number): boolean => platformMut(k, platformId).signalPending(pid);

  /** Return to user mode: a pending signal is delivered, ksgxd runs if woken (as mainline's sgx_ioctl()). */
  const toUser = (k: Kernel, pid: number, ret: number): number => returnToUser(k, platformId, pid, ret);

  const ban = (k: Kernel, enclId: number): void => {
    if (!d1State(enclOf(k, enclId)).mmapBanned) enclMut(k, enclId).extra = Object.freeze({ mmapBanned: true });
  };

  // ------------------------------------------------------------------ CREATE

  /**
   * D1's addition to ECREATE: "Requiring VMA backing to build an enclave seems reasonable and
   * sane" (Sean, 20190522153836.GA24833@linux.intel.com; "mmap() is more or less required to
   * guarantee that ELRANGE established by ECREATE is available", 2019-05-21). The SECS's
   * [BASE, BASE+SIZE) must be covered by enclave mappings of this file in current->mm, else
   * -EINVAL (OPEN CHOICE: sgx_encl_find()'s errno for "no enclave VMA"). It runs in mainline's
   * sgx_ioc_enclave_create() once the SECS is copied (the checks before it are mainline's, in
   * mainline's order); the rest of ECREATE is mainline's.
   */
  function createCheck(k: Kernel, pid: number, enclId: number, secs: Uint8Array): number {
    const s = parseSecs(secs);
    const start = s.base;
    const end = s.base + s.size;
    if (end > BigInt(TASK_SIZE)) return -EINVAL;
    if (!enclaveVmasCover(k, pid, enclId, Number(start), Number(end))) {
      note(k, pid, `ENCLAVE_CREATE: [0x${start.toString(16)}, 0x${end.toString(16)}) is not mapped from this enclave fd`);
      return -EINVAL;
    }
    return 0;
  }

  // ------------------------------------------------------------------ ADD

  /**
   * Apply the copied R/W/X to the enclave VMAs of pid's mm over [start, end): what the 05-16
   * outline calls "invokes mprotect_fixup(). Enclave VMA(s) may be split". Enclave VMAs are
   * VM_PFNMAP|VM_IO|VM_DONTEXPAND (VM_SPECIAL), so vma_merge() never merges them: mprotect_fixup()
   * only splits (split_vma(): -ENOMEM at the map count limit) and replaces vm_flags. No LSM hook
   * runs (seed: the permissions come "from regular VMAs that have already gone through LSM checks").
   */
  const applyVmaProt = (k: Kernel, pid: number, start: number, end: number, bits: number): number => {
    for (let a = start; a < end; ) {
      let mm = k.mmMut(pid);
      let v = mm.vmas.at(a);
      if (!v) throw new Error(`invariant: no enclave VMA at 0x${a.toString(16)} while applying copied permissions`);
      const tmp = Math.min(v.end, end);
      const newflags = ((v.flags & ~RWX) | bits) >>> 0;
      if (newflags !== v.flags) {
        if (a !== v.start) {
          const r = splitVma(k, pid, mm, v, a);
          if (typeof r === 'number') return r;
          v = r[1];
          mm = k.mmMut(pid);
        }
        if (tmp !== v.end) {
          const r = splitVma(k, pid, mm, v, tmp);
          if (typeof r === 'number') return r;
          v = r[0];
          mm = k.mmMut(pid);
        }
        const changed = withFields(v, { flags: newflags });
        mm.vmas.replace(v, changed);
        noteWritable(k, mm, changed, a, tmp);
      }
      a = tmp;
    }
    return 0;
  };

  /**
   * One page of ENCLAVE_ADD, in mainline's sgx_encl_add_page() order (common/ioctl.ts: EPC page, VA
   * slot, the page_array insert, find_vma(), [VM_MAYEXEC], get_user_pages(), EADD, EEXTEND), with
   * D1's rule: the SECINFO permissions are the source VMA's R/W/X (TCS: none; the CPU requires 0),
   * and the copied bits must be allowed by the enclave VMA's VM_MAY* (unless stuffPermissions).
   * Returns 0 and the copied bits, or -errno.
   */
  const addPage = (k: Kernel, pid: number, enclId: number, src: number, offset: bigint, pageType: SgxPageType, measure: boolean): { ret: number; bits: number } => {
    const addr = Number(((BigInt(enclOf(k, enclId).base) + offset) & U64) >> 12n) * PAGE_SIZE;
    let bits = 0;
    const ret = sgxEnclAddPage(k, platformId, pid, enclId, src, offset, {
      type: pageType,
      maxProt: RWX,
      // Variant: mainline's "Deny noexec." check (__sgx_encl_add_page()); not in the thread.
      sourceMayExec: options.sourceMayExec,
      measure,
      // get_user_pages(src, 1, 0) succeeded: the source VMA holds src.
      secinfo(srcVma) {
        // Seed: "copies the contents *and* the permissions from the source VMA".
        bits = srcVma.flags & RWX;
        const evma = k.mm(pid).vmas.at(addr)!;
        const newflags = (evma.flags & ~RWX) | bits;
        // mprotect_fixup() is reached from do_mprotect_pkey() only past "newflags & ~(newflags >> 4)":
        // a copied bit whose VM_MAY* bit the enclave VMA lacks (O_RDONLY fd: VM_MAYWRITE; noexec
        // anon_inodefs on 6.16+: VM_MAYEXEC) is refused with -EACCES (OPEN CHOICE), unless stuffed.
        if (!options.stuffPermissions && (newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) return -EACCES;
        return secinfoBytes((BigInt(pageType) << 8n) | (pageType === SgxPageType.TCS ? 0n : secinfoPerms(bits)));
      },
      // faultCheck 'copied' makes the copied bits the page's fault-time cap (vm_max_prot_bits);
      // 'none' leaves no cap (v20's sgx_vma_fault() checks no permissions).
      afterEadd: () => ({ maxProt: options.faultCheck === 'copied' ? bits : RWX, extra: Object.freeze({ copied: bits } satisfies D1PageState) }),
    });
    if (ret) return { ret, bits: 0 };
    // Sean 2019-05-21: "disallow mmap() as soon as the first EADD is done".
    ban(k, enclId);
    return { ret: 0, bits };
  };

  /** ENCLAVE_ADD {offset, source, size, type}. */
  const iocAdd = (k: Kernel, pid: number, enclId: number, arg: number): number => {
    const encl = enclOf(k, enclId);
    if (!encl.has(SGX_ENCL_CREATED) || encl.has(SGX_ENCL_INITIALIZED)) return -EINVAL;
    const a = readArg(k, pid, arg, D1_ENCLAVE_ADD);
    if (typeof a === 'number') return -EFAULT;
    if (a.source % PAGE !== 0n) return -EINVAL;
    // sgx_validate_offset_length() (Linux 6.1, with the overflow check): as D7.
    if (!validateOffsetLength(encl, a.offset, a.size, true)) return -EINVAL;
    // The .type field (OPEN CHOICE layout): reserved bits, then the page type (REG or TCS, as sgx_validate_secinfo()).
    if (a.type & ~BigInt(SGX_ENCLAVE_ADD_TYPE_VALID)) return -EINVAL;
    const pt = Number((a.type >> 8n) & 0xffn);
    if (pt !== SgxPageType.REG && pt !== SgxPageType.TCS) return -EINVAL;
    const measure = (a.type & BigInt(SGX_ENCLAVE_ADD_MEASURE)) !== 0n;
    // mmap_write_lock(current->mm) (05-16 outline step 6: "the ioctl takes mmap_sem for write").
    // "modifies enclave's VMAs": the target must be mapped from this enclave in the caller's mm
    // (sgx_encl_find(): -EINVAL); OPEN CHOICE: checked for the whole range before any page.
    const start = encl.base + Number(a.offset);
    if (!enclaveVmasCover(k, pid, enclId, start, start + Number(a.size))) {
      note(k, pid, `ENCLAVE_ADD: [0x${start.toString(16)}, +0x${a.size.toString(16)}) is not mapped from this enclave fd in the caller`);
      return -EINVAL;
    }
    let ret = 0;
    let c = 0n;
    // Runs of pages whose copied bits are equal get one mprotect_fixup() (OPEN CHOICE: the VMA is
    // split per run within one call; runs of different calls stay separate VMAs).
    let run: { start: number; end: number; bits: number } | null = null;
    const flush = (): number => {
      if (!run) return 0;
      const r = applyVmaProt(k, pid, run.start, run.end, run.bits);
      if (k.trace.enabled) note(k, pid, `ENCLAVE_ADD: enclave VMA [0x${run.start.toString(16)}, 0x${run.end.toString(16)}) gets ${protName(run.bits)} from the source`);
      run = null;
      return r;
    };
    for (; c < a.size; c += PAGE) {
      if (signalPending(k, pid)) {
        if (c === 0n) ret = -ERESTARTSYS;
        break;
      }
      const src = a.source + c;
      const r = addPage(k, pid, enclId, src <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(src) : Number.MAX_SAFE_INTEGER, (a.offset + c) & U64, pt as SgxPageType, measure);
      if (r.ret) {
        ret = r.ret;
        break;
      }
      const addr = start + Number(c);
      const cur = run as { start: number; end: number; bits: number } | null;
      if (cur && cur.end === addr && cur.bits === r.bits) {
        cur.end += PAGE_SIZE;
      } else {
        const f = flush();
        if (f) {
          ret = f;
          c += PAGE;
          break;
        }
        run = { start: addr, end: addr + PAGE_SIZE, bits: r.bits };
      }
    }
    const f = flush();
    if (f && !ret) ret = f;
    // The struct goes back with the part not yet added (OPEN CHOICE; mainline writes `count` back likewise, whatever ret is).
    if (writeArg(k, pid, arg, D1_ENCLAVE_ADD, { offset: (a.offset + c) & U64, source: (a.source + c) & U64, size: a.size - c, type: a.type })) return -EFAULT;
    return ret;
  };

  // ------------------------------------------------------------------ ioctl dispatch

  const sgxIoctl = (k: Kernel, pid: number, file: OpenFile, cmd: number, arg: number): number => {
    const enclId = file.privateData as number;
    // sgx_ioctl(): "test_and_set_bit(SGX_ENCL_IOCTL)" -> -EBUSY before anything else (as D7).
    if (enclOf(k, enclId).flags & SGX_ENCL_IOCTL) return toUser(k, pid, -EBUSY);
    switch (cmd >>> 0) {
      case D1_IOC_ENCLAVE_CREATE: {
        // mainline's sgx_ioc_enclave_create() (same number and layout) with D1's check.
        const ret = mainline.enclaveFops.unlocked_ioctl!(k, pid, file, cmd, arg);
        if (ret === 0 && options.mmapBan === 'create') ban(k, enclId);
        return ret;
      }
      case D1_IOC_ENCLAVE_INIT:
      case D1_IOC_ENCLAVE_SET_ATTRIBUTE:
        // As D7: sgx_ioc_enclave_init() / sgx_ioc_enclave_provision() (same numbers and layouts).
        return mainline.enclaveFops.unlocked_ioctl!(k, pid, file, cmd, arg);
      case D1_IOC_ENCLAVE_ADD: {
        enclMut(k, enclId).flags |= SGX_ENCL_IOCTL;
        const ret = iocAdd(k, pid, enclId, arg);
        if (k.objects.has(enclId)) enclMut(k, enclId).flags &= ~SGX_ENCL_IOCTL;
        return toUser(k, pid, ret);
      }
      default:
        return toUser(k, pid, -ENOIOCTLCMD);
    }
  };

  // ------------------------------------------------------------------ mmap, faults

  /**
   * Faults: constraint 5 (05-16 outline step 4, 20190517000331.GD11204@linux.intel.com): "SGX
   * subsystem refuses to service page faults for enclaves that have not yet been initialized"
   * (SIGBUS, as v20's sgx_encl_load_page()). After INIT: the page (ELDU if evicted), capped by the
   * copied bits only with faultCheck 'copied'; a missing page is SIGBUS, or EAUG with sgx2.
   */
  const sgxFault = (k: Kernel, pid: number, vma: Vma, addr: number): VmFault => {
    const id = enclIdOfVma(vma);
    if (id === null || !k.objects.has(id)) return 'sigbus';
    if (!enclOf(k, id).has(SGX_ENCL_INITIALIZED)) return 'sigbus';
    return sgxVmaFault(k, pid, vma, addr, { eaug: eaugOn(k) });
  };

  const eaugOn = (k: Kernel): boolean => options.sgx2 && platformOf(k, platformId).hw.config.sgx2;

  const vmOps: SgxVmOperations = Object.freeze({
    name: 'sgx_vm_ops',
    sgxEnclave: true as const,
    sgxFault,
    /** sgx_vma_fault() for accesses outside enclave mode (k.mem). */
    fault(k: Kernel, pid: number, vma: Vma, addr: number, access: 'read' | 'write' | 'exec') {
      const id = enclIdOfVma(vma);
      if (id === null || !k.objects.has(id) || !enclOf(k, id).has(SGX_ENCL_INITIALIZED)) return { kind: 'sigbus' as const };
      const r = sgxUserFault(k, pid, vma, addr, access, { eaug: eaugOn(k) });
      runKsgxd(k, platformId);
      return r;
    },
    /** sgx_vma_open(): the (new) VMA's mm joins mm_list. No ->mprotect: mprotect() takes the stock path only (05-16 outline step 7). */
    open: sgxVmaOpen,
  });

  /** get_unmapped_area() per D1Options.unmappedArea. */
  const getUnmappedArea = (k: Kernel, pid: number, file: OpenFile, addr: number, len: number, pgoff: number, flags: number): number => {
    if (options.unmappedArea === 'mainline') {
      if ((flags & MAP_TYPE) === MAP_PRIVATE) return -EINVAL;
      if (flags & MAP_FIXED) return addr;
      return archGetUnmappedAreaTopdown(k, pid, file, addr, len, pgoff, flags);
    }
    // v20 sgx_get_unmapped_area() (arch/x86/kernel/cpu/sgx/driver/main.c), with RFC v1 2/9's
    // "Do not naturally align MAP_FIXED address" for 'rfc-v1'.
    if (options.unmappedArea === 'rfc-v1') {
      if (flags & MAP_PRIVATE) return -EINVAL;
      if (flags & MAP_FIXED) return addr;
    }
    if (len < 2 * PAGE_SIZE || !isPow2(len) || flags & MAP_PRIVATE) return -EINVAL;
    const a = archGetUnmappedAreaTopdown(k, pid, file, addr, 2 * len, pgoff, flags);
    if (a < 0) return a;
    return Math.ceil(a / len) * len;
  };

  const enclaveFops: SgxFileOperations = Object.freeze({
    name: 'sgx_encl_fops',
    sgxPlatform: platformId,
    sgxDesign: designKey,
    sgxRole: 'enclave' as const,
    /** The last reference (fds and VMAs) is gone: sgx_encl_release(). */
    release(k: Kernel, file: OpenFile): void {
      const id = file.privateData;
      if (typeof id === 'number' && k.objects.has(id)) sgxEnclRelease(k, id);
    },
    /**
     * sgx_mmap(): v20's (no permission check; VM_PFNMAP|VM_DONTEXPAND|VM_DONTDUMP|VM_IO) plus
     * constraint 8 (Sean 2019-05-21): refused once the first page is added, "so that userspace
     * can't remap the enclave's VMAs via munmap()->mmap() and gain execute permissions to pages
     * that were EADD'd as NX". Errno OPEN CHOICE: -EPERM.
     */
    mmap(k: Kernel, pid: number, file: OpenFile, vma: VmaDraft): number {
      const id = file.privateData as number;
      if (d1State(enclOf(k, id)).mmapBanned) {
        note(k, pid, 'sgx_mmap: the enclave is being (or was) built: mmap refused (-EPERM)');
        return -EPERM;
      }
      sgxEnclMmAdd(k, id, pid);
      sgxMmapSetup(vma, vmOps, id);
      return 0;
    },
    get_unmapped_area: getUnmappedArea,
    unlocked_ioctl: sgxIoctl,
  });

  const deviceFops: SgxFileOperations = Object.freeze({
    name: 'sgx_dev_fops',
    sgxPlatform: platformId,
    sgxDesign: designKey,
    sgxRole: 'enclave' as const,
    /**
     * Seed: `enclave_fd = open("/dev/sgx/enclave", O_RDWR); /* allocs anon inode *\/`. The
     * DAC/LSM checks of open(2) have run on the device inode (read/write/open); the fd installed
     * is a new file on the shared S_PRIVATE anon inode (anon_inode_getfile()) holding the new
     * enclave, so every later inode-based LSM check is skipped and PROT_EXEC meets execmem
     * (Smalley, quoted in the seed). OPEN CHOICE: ->open() hands the anon file out directly.
     */
    open(k: Kernel, pid: number, file: OpenFile): { file: number } {
      const id = k.newObject(new SgxEncl(platformId));
      enclMut(k, id).extra = Object.freeze({ mmapBanned: false } satisfies D1EnclState);
      return { file: anonInodeGetfile(k, pid, D1_ANON_NAME, enclaveFops, id, file.flags) };
    },
  });

  return { deviceFops, enclaveFops, provisionFops: mainline.provisionFops, vmOps, options };
}

function protName(bits: number): string {
  return (bits & VM_READ ? 'r' : '-') + (bits & VM_WRITE ? 'w' : '-') + (bits & VM_EXEC ? 'x' : '-');
}
