// The driver under Andy Lutomirski's two proposals, D2 `sigstruct-file` (2019-05-15) and D3
// `execute-intent` (2019-05-30): both are sketches in mails, no patch was posted. designs-spec §3,
// §4 give them the mainline uAPI shapes (ADD_PAGES {src, offset, length, secinfo, flags[, count]},
// INIT, PROVISION/SET_ATTRIBUTE), so the driver here is Linux 6.1's (../mainline/driver.ts for
// CREATE and PROVISION, which are delegated to it unchanged; ADD_PAGES and INIT follow its order)
// with the merged permission model taken out and Andy's put in:
//   - no vm_max_prot_bits: pages may be mapped with any protection as far as the driver goes
//     (SECINFO caps arrived in v21, after the debate), sgx_encl_may_map()'s READ_IMPLIES_EXEC and
//     post-INIT range checks, which serve that model, are gone too;
//   - per page the driver records where the page came from (the source VMA's file, pinned, or none
//     for anonymous memory / a private inode), whether the source VMA was VM_EXEC, D3's
//     execute_intent, and whether the page has been writable since INIT ("ever W"): mapped with
//     VM_WRITE after INIT, or under a live VM_WRITE mapping when INIT succeeded (a mapping made
//     before INIT stays usable after it), or born by EAUG;
//   - mmap (sgx_mmap()) and mprotect (vm_ops->may_mprotect, before security_file_mprotect(), as the
//     2019 RFCs placed it) ask the design's mapping rules, which consult the LSM; the page state is
//     updated once the mapping passed (->mmap / vm_ops->mprotect, after the LSM);
//   - the design's load rule runs in ADD at the source's find_vma(), where mainline checks
//     VM_MAYEXEC; INIT takes a pointer (D3) or a file descriptor (D2) to the SIGSTRUCT.
// What each design decides is in its folder (sigstruct-file/driver.ts, execute-intent/driver.ts).
import type { Kernel } from '../../../kernel/kernel.js';
import type { OpenFile, VmaDraft } from '../../../fs/types.js';
import type { FaultAccess, Vma } from '../../../mm/vma.js';
import { copyFromUser } from '../../../kernel/uaccess.js';
import { vfsRead } from '../../../fs/read_write.js';
import { EACCES, EBADF, EBUSY, EFAULT, EINVAL, ENOIOCTLCMD } from '../../../abi/errno.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { FMODE_READ } from '../../../abi/fcntl.js';
import { VM_EXEC, VM_READ, VM_WRITE } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import {
  SGX_SECINFO_PAGE_TYPE_MASK,
  SIGSTRUCT_SIZE,
  SgxPageType,
} from '../../../arch/x86/sgx/arch.js';
import { type StructLayout } from '../../../userspace/struct.js';
import { SGX_ENCL_CREATED, SGX_ENCL_INITIALIZED, SGX_ENCL_IOCTL, SgxEncl, type EnclPage } from '../common/encl.js';
import {
  enclMut,
  enclOf,
  platformOf,
  runKsgxd,
  sgxEnclRelease,
} from '../common/epc.js';
import { sgxUserFault, sgxVmaFault, type VmFault } from '../common/fault.js';
import { addPagesLoop, readArg, returnToUser, secinfoFlagsOf, sgxEnclAddPage, sgxEnclInit, sgxEnclMmAdd, uptr, validateOffsetLength, validateSecinfo, writeArg } from '../common/ioctl.js';
import { sgxOpenEnclave, type SgxFileOperations } from '../common/install.js';
import { enclIdOfVma, isSgxVma, sgxMmapSetup, sgxVmaOpen, type SgxVmOperations } from '../common/vma.js';
import { mainlineDriver } from '../mainline/driver.js';
import { SGX_PAGE_MEASURE } from '../mainline/uapi.js';

const PAGE = BigInt(PAGE_SIZE);
const RWX = VM_READ | VM_WRITE | VM_EXEC;

/** The per-page state both designs keep (EnclPage.extra; an immutable value). */
export interface LsmPageState {
  /** The file the page was loaded from (an open-file id the enclave holds a reference on), or null: anonymous memory, a private inode, EAUG. */
  readonly srcFile: number | null;
  /** The source VMA was VM_EXEC when the page was loaded (D2: "safe to execute" at load). */
  readonly srcExec: boolean;
  /** D3: the execute_intent recorded at load (static: the flag; dynamic: what the LSM left). */
  readonly intent: boolean;
  /** The page has been writable since INIT (mapped VM_WRITE after INIT or under a live VM_WRITE mapping at INIT), or was born by EAUG. */
  readonly everW: boolean;
}

/** The per-enclave state (SgxEncl.extra): the source files the enclave holds a reference on. */
export interface LsmEnclState {
  readonly pinned: readonly number[];
}

const NO_ENCL_STATE: LsmEnclState = Object.freeze({ pinned: Object.freeze([]) as readonly number[] });

export function lsmEnclState(e: SgxEncl): LsmEnclState {
  return (e.extra as LsmEnclState | undefined) ?? NO_ENCL_STATE;
}

/** The page's state (pages of these designs always have one). */
export function lsmPageState(p: EnclPage): LsmPageState {
  const x = p.extra as LsmPageState | undefined;
  if (!x) throw new Error(`invariant: enclave page 0x${p.addr.toString(16)} has no design state`);
  return x;
}

/** The file behind a VMA if an LSM would check it (file-backed and not S_PRIVATE), else null. */
export function checkableFile(k: Kernel, vma: Vma | undefined): number | null {
  if (!vma || vma.file === null) return null;
  return k.lsmInode(k.file(vma.file).inode).isPrivate ? null : vma.file;
}

/** What a design hands the core. */
export interface LsmCoreSpec {
  readonly designKey: string;
  /** The ADD ioctl: its number and layout; `count` says whether the struct has a `count` field (D3) or progress is the return value (D2). */
  readonly add: { readonly cmd: number; readonly layout: StructLayout; readonly count: boolean };
  /** INIT: its number and layout, and whether `sigstruct` is a user pointer (D3) or a file descriptor (D2's `sigstruct_fd`). */
  readonly init: { readonly cmd: number; readonly layout: StructLayout; readonly source: 'pointer' | 'fd' };
  /** CREATE and PROVISION (SET_ATTRIBUTE) numbers: mainline's, delegated to it. */
  readonly create: number;
  readonly provision: number;
  /** Refuse sources without VM_MAYEXEC (-EACCES), mainline's "Deny noexec." at the same place. */
  readonly sourceMayExec: boolean;
  /** EAUG on a fault at an ELRANGE address without a page (an initialized enclave on an SGX2 CPU): the page is born ever-W, no intent, no source. */
  readonly eaug: boolean;
  /**
   * The design's load rule, at find_vma() of the source in ADD (`flags` is the ioctl's flags word):
   * 0 and the execute_intent to record, or an errno that fails the page.
   */
  load(k: Kernel, pid: number, src: Vma, flags: bigint): { readonly rc: number; readonly intent: boolean };
  /** The design's INIT hook, after the driver's own checks and before EINIT (D2: the SIGSTRUCT file); 0 or -errno. */
  initHook?(k: Kernel, pid: number, sigstructFile: number | null): number;
  /**
   * The design's mapping rule for [start, end) of an enclave mapped (or mprotected) with `prot`
   * (PROT_*): 0 or -errno. `other` gives the pages of the range another live mapping of this enclave
   * maps with VM_WRITE / VM_EXEC (any mm on mm_list but the caller's, whose range is being replaced).
   */
  mapCheck(k: Kernel, pid: number, enclId: number, start: number, end: number, prot: number, other: (flag: number) => ReadonlySet<number>): number;
}

export interface LsmCoreDriver {
  readonly enclaveFops: SgxFileOperations;
  readonly provisionFops: SgxFileOperations;
  readonly vmOps: SgxVmOperations;
}

function protOf(vmFlags: number): number {
  return (vmFlags & VM_READ ? PROT_READ : 0) | (vmFlags & VM_WRITE ? PROT_WRITE : 0) | (vmFlags & VM_EXEC ? PROT_EXEC : 0);
}

/** Build the driver for one installation. */
export function lsmCoreDriver(platformId: number, spec: LsmCoreSpec): LsmCoreDriver {
  const mainline = mainlineDriver(platformId, spec.designKey, { version: '6.1', overflowCheck: true, createPow2Check: false });

  // ------------------------------------------------------------------ page state

  /** Mark every page of [start, end) ever-W. */
  const markEverW = (k: Kernel, enclId: number, start: number, end: number): void => {
    for (const p of enclOf(k, enclId).pagesIn(start, end)) {
      const s = lsmPageState(p);
      if (!s.everW) enclMut(k, enclId).updatePage(p.addr, { extra: Object.freeze({ ...s, everW: true }) });
    }
  };

  /** The live mappings of this enclave with `flag` in every mm on mm_list but `pid`'s, as a set of page addresses within [start, end). */
  const otherMappings = (k: Kernel, pid: number, enclId: number, start: number, end: number, flag: number): Set<number> => {
    const out = new Set<number>();
    for (const p2 of enclOf(k, enclId).mmList) {
      if (p2 === pid || !k.hasTask(p2)) continue;
      for (const v of k.mm(p2).vmas.range(start, end)) {
        if (!isSgxVma(v) || enclIdOfVma(v) !== enclId || !(v.flags & flag)) continue;
        for (let a = Math.max(start, v.start); a < Math.min(end, v.end); a += PAGE_SIZE) out.add(a);
      }
    }
    return out;
  };

  const mapCheck = (k: Kernel, pid: number, enclId: number, start: number, end: number, prot: number): number =>
    spec.mapCheck(k, pid, enclId, start, end, prot, (flag) => otherMappings(k, pid, enclId, start, end, flag));

  /** After a mapping with VM_WRITE passed: once the enclave is initialized, its pages have been writable. */
  const noteMapped = (k: Kernel, enclId: number, start: number, end: number, vmFlags: number): void => {
    if (vmFlags & VM_WRITE && enclOf(k, enclId).has(SGX_ENCL_INITIALIZED)) markEverW(k, enclId, start, end);
  };

  /** At INIT: pages under a live VM_WRITE mapping of this enclave (any mm) stay writable after it. */
  const markWritableAtInit = (k: Kernel, enclId: number): void => {
    const e = enclOf(k, enclId);
    for (const p2 of e.mmList) {
      if (!k.hasTask(p2)) continue;
      for (const v of k.mm(p2).vmas.range(e.base, e.base + e.size)) {
        if (isSgxVma(v) && enclIdOfVma(v) === enclId && v.flags & VM_WRITE) markEverW(k, enclId, v.start, v.end);
      }
    }
  };

  /** Take a reference on a source file once per enclave (get_file()), dropped at release. */
  const pin = (k: Kernel, enclId: number, fileId: number): void => {
    const st = lsmEnclState(enclOf(k, enclId));
    if (st.pinned.includes(fileId)) return;
    k.getFile(fileId);
    enclMut(k, enclId).extra = Object.freeze({ ...st, pinned: [...st.pinned, fileId] });
  };

  // ------------------------------------------------------------------ ADD

  /** sgx_encl_add_page() (6.1 order) with the design's load rule at the source's find_vma() and no vm_max_prot_bits. */
  const addPage = (k: Kernel, pid: number, enclId: number, src: number, offset: bigint, secinfo: Uint8Array, flags: bigint): number => {
    let intent = false;
    return sgxEnclAddPage(k, platformId, pid, enclId, src, offset, {
      type: Number((secinfoFlagsOf(secinfo) & SGX_SECINFO_PAGE_TYPE_MASK) >> 8n) as SgxPageType,
      // No vm_max_prot_bits in these designs: the page allows every VMA protection as far as the driver goes.
      maxProt: RWX,
      sourceMayExec: spec.sourceMayExec,
      measure: (flags & BigInt(SGX_PAGE_MEASURE)) !== 0n,
      beforeCopy(vma) {
        const load = spec.load(k, pid, vma, flags);
        intent = load.intent;
        return load.rc;
      },
      secinfo: () => secinfo,
      afterEadd(vma) {
        const srcFile = checkableFile(k, vma);
        if (srcFile !== null) pin(k, enclId, srcFile);
        return { extra: Object.freeze({ srcFile, srcExec: (vma.flags & VM_EXEC) !== 0, intent, everW: false } satisfies LsmPageState) };
      },
    });
  };

  /**
   * The ADD ioctl: sgx_ioc_enclave_add_pages() (6.1 order). With a `count` field it is written back
   * as mainline does; without one (D2), a signal after some pages returns the bytes added as a
   * positive value (the pre-`count` ADD_PAGES of the v2x series; Gramine decodes `ret > 0`).
   */
  const iocAdd = (k: Kernel, pid: number, enclId: number, arg: number): number => {
    const encl = enclOf(k, enclId);
    if (!encl.has(SGX_ENCL_CREATED) || encl.has(SGX_ENCL_INITIALIZED)) return -EINVAL;
    const a = readArg(k, pid, arg, spec.add.layout);
    if (typeof a === 'number') return -EFAULT;
    if (a.src % PAGE !== 0n) return -EINVAL;
    if (!validateOffsetLength(encl, a.offset, a.length, true)) return -EINVAL;
    const secinfo = copyFromUser(k, pid, uptr(a.secinfo), 64);
    if (typeof secinfo === 'number') return -EFAULT;
    if (!validateSecinfo(secinfo)) return -EINVAL;
    const { ret, count: c } = addPagesLoop(k, platformId, pid, a.src, a.offset, a.length, (src, offset) => addPage(k, pid, enclId, src, offset, secinfo, a.flags));
    if (spec.add.count) {
      if (writeArg(k, pid, arg, spec.add.layout, { ...a, count: c })) return -EFAULT;
      return ret;
    }
    return ret === 0 && c < a.length ? Number(c) : ret;
  };

  // ------------------------------------------------------------------ INIT

  /**
   * sgx_ioc_enclave_init() + sgx_encl_init() (6.1 order), the SIGSTRUCT taken from user memory or,
   * for D2, read from the file `sigstruct_fd` names (fdget() -> -EBADF; kernel_read() of 1808
   * bytes at offset 0, with rw_verify_area()'s security_file_permission(); a short file -> -EINVAL),
   * and the design's INIT hook right before EINIT.
   */
  const iocInit = (k: Kernel, pid: number, enclId: number, arg: number): number => {
    const encl = enclOf(k, enclId);
    if (!encl.has(SGX_ENCL_CREATED) || encl.has(SGX_ENCL_INITIALIZED)) return -EINVAL;
    const a = readArg(k, pid, arg, spec.init.layout);
    if (typeof a === 'number') return -EFAULT;
    let ss: Uint8Array;
    let ssFile: number | null = null;
    if (spec.init.source === 'pointer') {
      const b = copyFromUser(k, pid, uptr(a.sigstruct), SIGSTRUCT_SIZE);
      if (typeof b === 'number') return -EFAULT;
      ss = b;
    } else {
      const fd = a.sigstruct_fd > 0x7fffffffn ? -1 : Number(a.sigstruct_fd);
      const f = k.fdFile(pid, fd);
      if (!f) return -EBADF;
      ssFile = f.id;
      // __kernel_read(): "if (WARN_ON_ONCE(!(file->f_mode & FMODE_READ))) return -EINVAL;"
      if (!(f.fmode & FMODE_READ)) return -EINVAL;
      const b = vfsRead(k, pid, fd, SIGSTRUCT_SIZE, 0);
      if (typeof b === 'number') return b;
      if (b.length !== SIGSTRUCT_SIZE) return -EINVAL;
      ss = b;
    }
    const hook = spec.initHook;
    const ret = sgxEnclInit(k, platformId, pid, enclId, ss, hook ? () => hook(k, pid, ssFile) : undefined);
    if (ret === 0) markWritableAtInit(k, enclId);
    return ret;
  };

  // ------------------------------------------------------------------ dispatch

  const toUser = (k: Kernel, pid: number, ret: number): number => returnToUser(k, platformId, pid, ret);

  const sgxIoctl = (k: Kernel, pid: number, file: OpenFile, cmd: number, arg: number): number => {
    const enclId = file.privateData as number;
    cmd >>>= 0;
    // CREATE and PROVISION (SET_ATTRIBUTE): mainline's, same numbers and layouts.
    if (cmd === spec.create || cmd === spec.provision) return mainline.enclaveFops.unlocked_ioctl!(k, pid, file, cmd, arg);
    // sgx_ioctl(): "test_and_set_bit(SGX_ENCL_IOCTL)" -> -EBUSY before anything else.
    if (enclOf(k, enclId).flags & SGX_ENCL_IOCTL) return toUser(k, pid, -EBUSY);
    let handler: ((k: Kernel, pid: number, enclId: number, arg: number) => number) | null = null;
    if (cmd === spec.add.cmd) handler = iocAdd;
    else if (cmd === spec.init.cmd) handler = iocInit;
    if (!handler) return toUser(k, pid, -ENOIOCTLCMD);
    enclMut(k, enclId).flags |= SGX_ENCL_IOCTL;
    const ret = handler(k, pid, enclId, arg);
    if (k.objects.has(enclId)) enclMut(k, enclId).flags &= ~SGX_ENCL_IOCTL;
    return toUser(k, pid, ret);
  };

  // ------------------------------------------------------------------ faults, vm_ops

  const eaugOn = (k: Kernel): boolean => spec.eaug && platformOf(k, platformId).hw.config.sgx2;

  /** An EAUG'd page gets its state: no source, no intent, writable from birth (it is RW PENDING). */
  const stampEaug = (k: Kernel, vma: Vma, addr: number): void => {
    const id = enclIdOfVma(vma);
    if (id === null || !k.objects.has(id)) return;
    const p = enclOf(k, id).page(addr - (addr % PAGE_SIZE));
    if (p && p.extra === undefined) enclMut(k, id).updatePage(p.addr, { extra: Object.freeze({ srcFile: null, srcExec: false, intent: false, everW: true } satisfies LsmPageState) });
  };

  /** sgx_vma_fault() (6.1) with every page allowing every VMA protection; EAUG with the design's sgx2 option. */
  const sgxFault = (k: Kernel, pid: number, vma: Vma, addr: number): VmFault => {
    const r = sgxVmaFault(k, pid, vma, addr, { eaug: eaugOn(k) });
    if (r === 'nopage') stampEaug(k, vma, addr);
    return r;
  };

  const vmOps: SgxVmOperations = Object.freeze({
    name: 'sgx_vm_ops',
    sgxEnclave: true as const,
    sgxFault,
    fault(k: Kernel, pid: number, vma: Vma, addr: number, access: FaultAccess) {
      const r = sgxUserFault(k, pid, vma, addr, access, { eaug: eaugOn(k) });
      stampEaug(k, vma, addr);
      runKsgxd(k, platformId);
      return r;
    },
    /** vm_ops->may_mprotect (2019 RFC placement: before security_file_mprotect()): the design's mapping rule. */
    may_mprotect(k: Kernel, pid: number, vma: Vma, start: number, end: number, prot: number): number {
      const id = enclIdOfVma(vma);
      if (id === null || !k.objects.has(id)) return -EACCES;
      return mapCheck(k, pid, id, start, end, prot);
    },
    /** vm_ops->mprotect (after the LSM): the mprotect passed, so W pages of an initialized enclave are now writable. */
    mprotect(k: Kernel, _pid: number, vma: Vma, start: number, end: number, newflags: number): number {
      const id = enclIdOfVma(vma);
      if (id !== null && k.objects.has(id)) noteMapped(k, id, start, end, newflags);
      return 0;
    },
    /** sgx_vma_open(): the (new) VMA's mm joins mm_list. */
    open: sgxVmaOpen,
  });

  const enclaveFops: SgxFileOperations = Object.freeze({
    name: 'sgx_encl_fops',
    sgxPlatform: platformId,
    sgxDesign: spec.designKey,
    sgxRole: 'enclave' as const,
    /** sgx_open(): one enclave per open file; no anon inode. */
    open: (k: Kernel, _pid: number, file: OpenFile): number => sgxOpenEnclave(k, platformId, file, NO_ENCL_STATE),
    /** sgx_release() -> sgx_encl_release(), then the references on the source files are dropped. */
    release(k: Kernel, file: OpenFile): void {
      const id = file.privateData;
      if (typeof id !== 'number' || !k.objects.has(id)) return;
      const pinned = lsmEnclState(enclOf(k, id)).pinned;
      sgxEnclRelease(k, id);
      for (const f of pinned) if (k.files.has(f)) k.putFile(f);
    },
    /** sgx_mmap(): the design's mapping rule on the new VMA's protection, then mainline's set-up. */
    mmap(k: Kernel, pid: number, file: OpenFile, vma: VmaDraft): number {
      const id = file.privateData as number;
      const rc = mapCheck(k, pid, id, vma.start, vma.end, protOf(vma.flags));
      if (rc) return rc;
      sgxEnclMmAdd(k, id, pid);
      sgxMmapSetup(vma, vmOps, id);
      noteMapped(k, id, vma.start, vma.end, vma.flags);
      return 0;
    },
    /** sgx_get_unmapped_area() (6.1): MAP_PRIVATE -> -EINVAL, MAP_FIXED -> addr, else the mm's allocator. */
    get_unmapped_area: mainline.enclaveFops.get_unmapped_area,
    unlocked_ioctl: sgxIoctl,
  });

  return { enclaveFops, provisionFops: mainline.provisionFops, vmOps };
}
