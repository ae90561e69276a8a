// mmap(2) and munmap(2) (arch/x86/kernel/sys_x86_64.c, mm/mmap.c, mm/util.c; Linux 6.1):
// ksys_mmap_pgoff() -> vm_mmap_pgoff() [security_mmap_file()] -> do_mmap() ->
// get_unmapped_area() [security_mmap_addr()] -> mmap_region() [f_op->mmap()].
import type { Kernel } from '../kernel/kernel.js';
import type { Mm } from './mm.js';
import type { OpenFile, VmaDraft } from '../fs/types.js';
import { type Vma, vmStartGap, withFields, vmaPages } from './vma.js';
import { canMergeAfter, canMergeBefore, splitVmaUnchecked, vmaMerge, type MergeSpec } from './vma_ops.js';
import { securityMmapFile, securityMmapAddr } from '../security/hooks.js';
import { shmemZeroSetup } from '../fs/memfd.js';
import { fileGet, filePut } from '../fs/file_table.js';
import { populateShared } from './memory.js';
import { EACCES, EBADF, EEXIST, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, EOVERFLOW, EPERM, ETXTBSY, isErr } from '../abi/errno.js';
import {
  PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM, MAP_TYPE, MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_DROPPABLE,
  MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_LOCKED, MAP_NORESERVE, MAP_HUGETLB, MAP_32BIT,
  MAP_SYNC, LEGACY_MAP_MASK, MAP_POPULATE, MAP_NONBLOCK,
} from '../abi/mman.js';
import {
  VM_READ, VM_WRITE, VM_EXEC, VM_SHARED, VM_MAYREAD, VM_MAYWRITE, VM_MAYEXEC, VM_MAYSHARE, VM_GROWSDOWN, VM_LOCKED,
  VM_SYNC, VM_ACCOUNT, VM_NORESERVE, VM_SPECIAL, VM_HUGETLB, VM_ACCESS_FLAGS, VM_DONTEXPAND, VM_WIPEONFORK, VM_DONTDUMP,
} from '../abi/vm_flags.js';
import { FMODE_READ, FMODE_WRITE } from '../abi/fcntl.js';
import { S_APPEND, S_ISREG, S_ISBLK, S_ISSOCK, S_SWAPFILE } from '../abi/stat.js';
import { READ_IMPLIES_EXEC } from '../abi/personality.js';
import { PAGE_SIZE, TASK_SIZE, DEFAULT_MAP_WINDOW, pageUp, pageDown } from '../abi/page.js';

/** An unsigned long argument: an integer in [0, 2^64). */
export function isUlong(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x < 2 ** 64;
}

/** MAX_LFS_FILESIZE on 64-bit: LLONG_MAX, as a double (2^63). */
const MAX_LFS_FILESIZE = 2 ** 63;

/** calc_vm_prot_bits() (include/linux/mman.h); the pkey is kept in Vma.pkey. */
export function calcVmProtBits(prot: number): number {
  return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0);
}

/** calc_vm_flag_bits(): MAP_GROWSDOWN, MAP_LOCKED, MAP_SYNC. */
export function calcVmFlagBits(flags: number): number {
  return (flags & MAP_GROWSDOWN ? VM_GROWSDOWN : 0) | (flags & MAP_LOCKED ? VM_LOCKED : 0) | (flags & MAP_SYNC ? VM_SYNC : 0);
}

/** round_hint_to_min(). */
function roundHintToMin(k: Kernel, hint: number): number {
  hint = pageDown(hint);
  if (hint !== 0 && hint < k.config.mmapMinAddr) return pageUp(k.config.mmapMinAddr);
  return hint;
}

/** mmap_address_hint_valid() (arch/x86/kernel/sys_x86_64.c). */
function mmapAddressHintValid(addr: number, len: number): boolean {
  if (TASK_SIZE - len < addr) return false;
  return addr > DEFAULT_MAP_WINDOW === addr + len > DEFAULT_MAP_WINDOW;
}

/**
 * execute_only_pkey() (arch/x86/mm/pkeys.c): with PKU, the mm's execute-only key (allocated on first
 * use; its PKRU bits deny data access). Returns -1 without PKU.
 */
export function executeOnlyPkey(k: Kernel, mm: Mm): number {
  if (!k.config.pku) return -1;
  if (mm.executeOnlyPkey > 0) return mm.executeOnlyPkey;
  for (let p = 1; p < 16; p++) {
    if (!(mm.pkeyAllocationMap & (1 << p))) {
      mm.pkeyAllocationMap |= 1 << p;
      mm.executeOnlyPkey = p;
      return p;
    }
  }
  return -1;
}

/** arch_get_unmapped_area() (bottom-up; the fallback of the top-down allocator). */
export function archGetUnmappedArea(k: Kernel, pid: number, addr: number, len: number, flags: number): number {
  if (flags & MAP_FIXED) return addr;
  const mm = k.mm(pid);
  // find_start_end(): MAP_32BIT uses [0x40000000, 0x80000000) (no randomisation here).
  const begin = flags & MAP_32BIT ? 0x40000000 : mm.mmapLegacyBase;
  const end = flags & MAP_32BIT ? 0x80000000 : TASK_SIZE;
  if (len > end) return -ENOMEM;
  if (addr) {
    addr = pageUp(addr);
    const vma = mm.vmas.find(addr);
    if (end - len >= addr && (!vma || addr + len <= vmStartGap(vma))) return addr;
  }
  const a = mm.vmas.bottomUp(len, begin, end);
  return a < 0 ? -ENOMEM : a;
}

/**
 * arch_get_unmapped_area_topdown() (arch/x86/kernel/sys_x86_64.c), the mm's default
 * get_unmapped_area: MAP_FIXED returns addr; a valid free hint is used as is; otherwise the highest
 * free gap below mmap_base, falling back to bottom-up. Drivers' get_unmapped_area may call this.
 */
export function archGetUnmappedAreaTopdown(k: Kernel, pid: number, _file: OpenFile | null, addr0: number, len: number, _pgoff: number, flags: number): number {
  if (len > TASK_SIZE) return -ENOMEM;
  if (flags & MAP_FIXED) return addr0;
  if (flags & MAP_32BIT) return archGetUnmappedArea(k, pid, addr0, len, flags);
  const mm = k.mm(pid);
  let addr = addr0;
  if (addr) {
    addr = pageDown(addr);
    if (mmapAddressHintValid(addr, len)) {
      const vma = mm.vmas.find(addr);
      if (!vma || addr + len <= vmStartGap(vma)) return addr;
    }
  }
  // vm_unmapped_area(VM_UNMAPPED_AREA_TOPDOWN): low_limit PAGE_SIZE, high_limit mmap_base;
  // align_mask is 0 (no ALIGN_VA_* on the modelled CPU).
  const a = mm.vmas.topDown(len, PAGE_SIZE, mm.mmapBase);
  if (a >= 0) return a;
  return archGetUnmappedArea(k, pid, addr0, len, flags);
}

/** get_unmapped_area() (mm/mmap.c). */
export function getUnmappedArea(k: Kernel, pid: number, fileId: number | null, addr: number, len: number, pgoff: number, flags: number): number {
  if (len > TASK_SIZE) return -ENOMEM;
  const file = fileId === null ? null : k.file(fileId);
  let res: number;
  if (file && file.fops.get_unmapped_area) res = file.fops.get_unmapped_area(k, pid, file, addr, len, pgoff, flags);
  else res = archGetUnmappedAreaTopdown(k, pid, file, addr, len, fileId === null && flags & MAP_SHARED ? 0 : pgoff, flags);
  if (isErr(res)) return res;
  if (res > TASK_SIZE - len) return -ENOMEM;
  if (res % PAGE_SIZE) return -EINVAL;
  const err = securityMmapAddr(k, pid, res);
  return err ? err : res;
}

/** file_mmap_ok(): -EOVERFLOW territory for huge offsets. */
function fileMmapOk(k: Kernel, file: OpenFile, pgoff: number, len: number): boolean {
  const mode = k.inode(file.inode).mode;
  const maxsize = S_ISREG(mode) || S_ISBLK(mode) || S_ISSOCK(mode) ? MAX_LFS_FILESIZE : 2 ** 64;
  if (len > maxsize) return false;
  return pgoff <= Math.floor((maxsize - len) / PAGE_SIZE);
}

/** accountable_mapping(): private writable (not hugetlb) mappings are charged: VM_ACCOUNT. */
function accountableMapping(flags: number): boolean {
  if (flags & VM_HUGETLB) return false;
  return (flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) === VM_WRITE;
}

/** do_mmap() (mm/mmap.c). Returns the address or -errno. */
export function doMmap(k: Kernel, pid: number, fileId: number | null, addr: number, len: number, prot: number, flags: number, pgoff: number): number {
  const task = k.task(pid);
  const mm = k.mmMut(pid);
  const file = fileId === null ? null : k.file(fileId);
  if (!len) return -EINVAL;
  // "Does the application expect PROT_READ to imply PROT_EXEC?"
  if (prot & PROT_READ && task.personality & READ_IMPLIES_EXEC) {
    if (!(file && k.pathNoexec(file))) prot |= PROT_EXEC;
  }
  // "force arch specific MAP_FIXED handling in get_unmapped_area"
  if (flags & MAP_FIXED_NOREPLACE) flags |= MAP_FIXED;
  if (!(flags & MAP_FIXED)) addr = roundHintToMin(k, addr);
  // "Careful about overflows.."
  len = pageUp(len);
  if (len === 0 || len >= 2 ** 64) return -ENOMEM; // PAGE_ALIGN() wrapped to 0
  // offset overflow?
  if (pgoff + len / PAGE_SIZE >= 2 ** 64) return -EOVERFLOW;
  // Too many mappings?
  if (mm.mapCount > k.config.maxMapCount) return -ENOMEM;

  addr = getUnmappedArea(k, pid, fileId, addr, len, pgoff, flags);
  if (isErr(addr)) return addr;

  if (flags & MAP_FIXED_NOREPLACE) {
    if (mm.vmas.intersection(addr, addr + len)) return -EEXIST;
  }
  let pkey = 0;
  if (prot === PROT_EXEC) {
    pkey = executeOnlyPkey(k, mm);
    if (pkey < 0) pkey = 0;
  }
  // "Do simple checking here so the lower-level routines won't have to."
  let vmFlags = calcVmProtBits(prot) | calcVmFlagBits(flags) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  // MAP_LOCKED: can_do_mlock() passes (RLIMIT_MEMLOCK is not modelled); VM_LOCKED is set above.

  if (file) {
    const inode = k.inode(file.inode);
    if (!fileMmapOk(k, file, pgoff, len)) return -EOVERFLOW;
    const flagsMask = LEGACY_MAP_MASK | (file.fops.mmap_supported_flags ?? 0);
    let f = flags;
    const type = f & MAP_TYPE;
    if (type !== MAP_SHARED && type !== MAP_SHARED_VALIDATE && type !== MAP_PRIVATE) return -EINVAL;
    if (type === MAP_SHARED || type === MAP_SHARED_VALIDATE) {
      // "Force use of MAP_SHARED_VALIDATE with non-legacy flags."
      if (type === MAP_SHARED) f &= LEGACY_MAP_MASK;
      if (f & ~flagsMask) return -EOPNOTSUPP;
      if (prot & PROT_WRITE) {
        if (!(file.fmode & FMODE_WRITE)) return -EACCES;
        if (inode.iflags & S_SWAPFILE) return -ETXTBSY;
      }
      // "Make sure we don't allow writing to an append-only file.."
      if (inode.iflags & S_APPEND && file.fmode & FMODE_WRITE) return -EACCES;
      vmFlags |= VM_SHARED | VM_MAYSHARE;
      if (!(file.fmode & FMODE_WRITE)) vmFlags &= ~(VM_MAYWRITE | VM_SHARED);
    }
    // case MAP_PRIVATE (and the fallthrough from the shared cases)
    if (!(file.fmode & FMODE_READ)) return -EACCES;
    if (k.pathNoexec(file)) {
      if (vmFlags & VM_EXEC) return -EPERM;
      vmFlags &= ~VM_MAYEXEC;
    }
    if (!file.fops.mmap) return -ENODEV;
    if (vmFlags & VM_GROWSDOWN) return -EINVAL;
    flags = f;
  } else {
    const type = flags & MAP_TYPE;
    // Anonymous MAP_SHARED_VALIDATE is EINVAL (confirmed on 6.18 by the differential test).
    if (type === MAP_SHARED) {
      if (vmFlags & VM_GROWSDOWN) return -EINVAL;
      pgoff = 0; // "Ignore pgoff."
      vmFlags |= VM_SHARED | VM_MAYSHARE;
    } else if (type === MAP_PRIVATE) {
      pgoff = addr / PAGE_SIZE; // "Set pgoff according to addr for anon_vma."
    } else {
      // MAP_DROPPABLE (6.11+) needs VM_DROPPABLE, a vm_flags bit above 32 the model does not keep.
      void MAP_DROPPABLE;
      return -EINVAL;
    }
  }
  // MAP_NORESERVE: VM_NORESERVE unless overcommit is OVERCOMMIT_NEVER (the model uses heuristic overcommit).
  if (flags & MAP_NORESERVE) vmFlags |= VM_NORESERVE;
  return mmapRegion(k, pid, fileId, addr, len, vmFlags, pgoff, pkey);
}

/** mmap_region() (mm/mmap.c). */
export function mmapRegion(k: Kernel, pid: number, fileId: number | null, addr: number, len: number, vmFlags: number, pgoff: number, pkey: number): number {
  const end = addr + len;
  const pglen = len / PAGE_SIZE;
  // "Unmap any existing mapping in the area". 6.12+ detaches the old VMAs and completes the unmap
  // only once the new mapping succeeded (vms_complete_munmap_vmas / vms_abort_munmap_vmas).
  const deferred = fileId !== null && k.config.features.mmapFixedRestoresOnError;
  const detached = munmapDetach(k, pid, addr, len);
  if (typeof detached === 'number') return -ENOMEM;
  if (!deferred) munmapComplete(k, pid, detached);
  let mm = k.mmMut(pid);
  // "Private writable mapping: check memory availability"
  if (accountableMapping(vmFlags)) vmFlags |= VM_ACCOUNT;

  const next = mm.vmas.find(addr) ?? null; // first VMA at or after end (the range is now free)
  const prev = mm.vmas.prevOf(addr) ?? null;
  let result: Vma | null = null;
  if (!(vmFlags & VM_SPECIAL)) {
    // "Attempt to expand an old mapping"
    let vma: Vma | null = null;
    let mergeStart = addr;
    let mergeEnd = end;
    let vmPgoff = pgoff;
    const spec: MergeSpec = { flags: vmFlags, anonVma: null, file: fileId, pgoff, anonName: null, pkey };
    if (k.config.features.mergeNewRangePrefersPrev) {
      // vma_merge_new_range() (mm/vma.c, 6.12+): left and right are judged against the new range
      // (no anon_vma); both only if prev's and next's anon_vmas are compatible, else left alone.
      const left = !!prev && prev.end === addr && canMergeAfter(k, prev, spec);
      const right = !!next && next.start === end && canMergeBefore(k, next, spec, pgoff + pglen) &&
        (!left || prev!.anonVma === null || next.anonVma === null || prev!.anonVma === next.anonVma);
      if (right) {
        mergeEnd = next!.end;
        vma = next;
        vmPgoff = next!.pgoff - pglen;
      }
      if (left) {
        mergeStart = prev!.start;
        vma = prev;
        vmPgoff = prev!.pgoff;
      }
    } else {
      // 6.1: "Check next" first, then "Check prev" against next's anon_vma.
      if (next && next.start === end && canMergeBefore(k, next, spec, pgoff + pglen)) {
        mergeEnd = next.end;
        vma = next;
        vmPgoff = next.pgoff - pglen;
      }
      if (prev && prev.end === addr && canMergeAfter(k, prev, { ...spec, anonVma: vma ? vma.anonVma : null })) {
        mergeStart = prev.start;
        vma = prev;
        vmPgoff = prev.pgoff;
      }
    }
    if (vma) {
      // vma_expand(): vma grows to [mergeStart, mergeEnd); next is removed when prev absorbs it.
      let anon = vma.anonVma;
      if (vma === prev && next && mergeEnd === next.end) {
        anon = anon ?? next.anonVma;
        mm.vmas.remove(next);
        if (next.file !== null) k.putFile(next.file);
      }
      const grown = withFields(vma, { start: mergeStart, end: mergeEnd, pgoff: vmPgoff, anonVma: anon });
      mm.vmas.replace(vma, grown);
      result = grown;
    }
  }
  if (result && deferred) munmapComplete(k, pid, detached);
  if (!result) {
    const draft: VmaDraft = { start: addr, end, flags: vmFlags, pgoff, ops: null, privateData: null, file: fileId };
    if (fileId !== null) {
      const file = k.file(fileId);
      k.getFile(fileId); // vma->vm_file = get_file(file)
      const err = file.fops.mmap!(k, pid, k.file(fileId), draft); // call_mmap()
      if (err) {
        // unmap_and_free_vma: 6.1 leaves the old mappings unmapped; 6.12+ restores them.
        if (draft.file !== null) k.putFile(draft.file);
        if (deferred) munmapAbort(k, pid, detached);
        return err;
      }
      if (deferred) munmapComplete(k, pid, detached);
      mm = k.mmMut(pid);
      // "If vm_flags changed after call_mmap(), we should try merge vma again"
      if (draft.flags !== vmFlags && prev) {
        const merged = vmaMerge(k, mm, prev, addr, end, { flags: draft.flags, anonVma: null, file: draft.file, pgoff: draft.pgoff, anonName: null, pkey });
        if (merged) {
          if (draft.file !== null) k.putFile(draft.file);
          result = merged;
        }
      }
    } else if (vmFlags & VM_SHARED) {
      shmemZeroSetup(k, draft, pid);
      mm = k.mmMut(pid);
    }
    if (!result) {
      const v: Vma = Object.freeze({
        start: addr,
        end,
        flags: draft.flags >>> 0,
        pgoff: draft.pgoff,
        file: draft.file,
        anonVma: null,
        ops: draft.ops,
        privateData: draft.privateData,
        pkey,
        anonName: null,
      });
      mm.vmas.insert(v);
      result = v;
    }
  }
  noteWritable(k, mm, result, addr, end);
  return addr;
}

/** Record "ever writable" history for provenance (model-only; Linux keeps none). */
export function noteWritable(k: Kernel, mm: Mm, v: Vma, start: number, end: number): void {
  if (!(v.flags & VM_WRITE)) return;
  const s = Math.max(start, v.start);
  const e = Math.min(end, v.end);
  if (e <= s) return;
  if (v.file !== null && v.flags & VM_SHARED) {
    const f = k.file(v.file);
    const p0 = v.pgoff + (s - v.start) / PAGE_SIZE;
    mm.markFileWritable(f.inode, p0, p0 + (e - s) / PAGE_SIZE);
  } else {
    mm.anonWritable.add(s / PAGE_SIZE, e / PAGE_SIZE);
  }
}

export interface Detached {
  readonly start: number;
  readonly end: number;
  readonly victims: Vma[];
  /** The mm before the pages were zapped (to restore them on abort). */
  readonly before: Mm | null;
}

/**
 * The first half of do_mas_munmap() / do_mas_align_munmap() (mm/mmap.c 6.1): argument checks,
 * splits at both ends, and removal of the VMAs from the tree. Returns the detached VMAs or -errno.
 */
export function munmapDetach(k: Kernel, pid: number, start: number, len: number): Detached | number {
  if (start % PAGE_SIZE || start > TASK_SIZE || len > TASK_SIZE - start) return -EINVAL;
  const end = start + pageUp(len);
  if (end === start) return -EINVAL;
  let mm = k.mmMut(pid);
  const vma = mm.vmas.find(start);
  if (!vma || vma.start >= end) return { start, end, victims: [], before: null };
  if (start > vma.start) {
    // "Make sure that map_count on return from munmap() will not exceed its limit"
    if (end < vma.end && mm.mapCount >= k.config.maxMapCount) return -ENOMEM;
    const r = splitVmaUnchecked(k, pid, mm, vma, start);
    if (typeof r === 'number') return r;
    mm = k.mmMut(pid);
  }
  // "Does it split the end?"
  const last = mm.vmas.find(end - 1);
  if (last && last.start < end && last.end > end) {
    const r = splitVmaUnchecked(k, pid, mm, last, end);
    if (typeof r === 'number') return r; // the start split is not undone (6.1 error path)
    mm = k.mmMut(pid);
  }
  const victims = mm.vmas.range(start, end);
  const before = k.config.features.mmapFixedRestoresOnError ? mm.clone() : null;
  for (const v of victims) mm.vmas.remove(v);
  mm.zap(start, end);
  return { start, end, victims, before };
}

/** The second half: ->close() and fput() of each removed VMA. */
export function munmapComplete(k: Kernel, pid: number, d: Detached): void {
  for (const v of d.victims) {
    if (v.ops?.close) v.ops.close(k, pid, v);
    if (v.file !== null) k.putFile(v.file);
  }
}

/** vms_abort_munmap_vmas() (6.12+): put the detached VMAs and their pages back. */
export function munmapAbort(k: Kernel, pid: number, d: Detached): void {
  const mm = k.mmMut(pid);
  for (const v of mm.vmas.range(d.start, d.end)) mm.vmas.remove(v);
  for (const v of d.victims) mm.vmas.insert(v);
  if (d.before) {
    const s = d.start / PAGE_SIZE;
    const e = d.end / PAGE_SIZE;
    for (const [vpn, p] of d.before.anon.entries(s)) {
      if (vpn >= e) break;
      mm.anon.set(vpn, p);
    }
    for (const [vpn, p] of d.before.ptes.entries(s)) {
      if (vpn >= e) break;
      mm.ptes.set(vpn, p);
    }
    for (const [a, b] of d.before.anonWritable.toArray()) {
      const lo = Math.max(a, s);
      const hi = Math.min(b, e);
      if (lo < hi) mm.anonWritable.add(lo, hi);
    }
  }
}

/** do_munmap(): detach and complete. Returns 0 or -errno. */
export function doMunmap(k: Kernel, pid: number, start: number, len: number): number {
  const d = munmapDetach(k, pid, start, len);
  if (typeof d === 'number') return d;
  munmapComplete(k, pid, d);
  return 0;
}

/** munmap(2) (__vm_munmap()). */
export function sysMunmap(k: Kernel, pid: number, addr: number, len: number): number {
  return doMunmap(k, pid, addr, len);
}

/** mmap(2): the x86-64 entry (offset in bytes), ksys_mmap_pgoff() and vm_mmap_pgoff(). */
export function sysMmap(k: Kernel, pid: number, addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
  prot = prot >>> 0;
  flags = flags >>> 0;
  // Arguments are unsigned longs: any integer in [0, 2^64) (precision beyond 2^53 is what a double keeps).
  if (!isUlong(addr) || !isUlong(len)) return -EINVAL;
  if (!isUlong(off)) return -EINVAL;
  if (off % PAGE_SIZE) return -EINVAL; // "if (off & ~PAGE_MASK) return -EINVAL;"
  const pgoff = off / PAGE_SIZE;
  let fileId: number | null = null;
  if (!(flags & MAP_ANONYMOUS)) {
    const f = k.fdFile(pid, fd);
    if (!f) return -EBADF;
    if (flags & MAP_HUGETLB) return -EINVAL; // not a hugetlbfs file
    fileId = f.id;
  } else if (flags & MAP_HUGETLB) {
    // hugetlb_file_setup() with no huge pages reserved (vm.nr_hugepages = 0): -ENOMEM.
    return -ENOMEM;
  }
  // vm_mmap_pgoff(): the LSM first.
  const sec = securityMmapFile(k, pid, fileId, prot, flags);
  if (sec) return sec;
  return doMmap(k, pid, fileId, addr, len, prot, flags, pgoff);
}

/**
 * remap_file_pages(2) (mm/mmap.c, SYSCALL_DEFINE5(remap_file_pages)): the deprecated emulation that
 * re-mmaps [start, start+size) of a shared file mapping at file page `pgoff`, through do_mmap()
 * with MAP_SHARED|MAP_FIXED|MAP_POPULATE and the protections the first VMA has. On 6.1 do_mmap()
 * is called without security_mmap_file(), so no LSM sees the new mapping (CVE-2024-47745: with
 * READ_IMPLIES_EXEC, do_mmap() adds PROT_EXEC and a shared RW memfd becomes RWX). From 6.12
 * ("mm: call the security_mmap_file() LSM hook in remap_file_pages()" and "mm: split critical
 * region in remap_file_pages() and invoke LSMs in between") the hook runs after the first VMA is
 * found and before the span is checked (features.remapFilePagesLsm). MAP_POPULATE prefaults the
 * range (mm_populate(), populateShared()), which only changes PTE presence: later faults then
 * report X86_PF_PROT. Returns 0 or -errno.
 */
export function sysRemapFilePages(k: Kernel, pid: number, start: number, size: number, prot: number, pgoff: number, flags: number): number {
  if (!isUlong(start) || !isUlong(size) || !isUlong(pgoff)) return -EINVAL;
  // "if (prot) return ret;" (ret = -EINVAL; prot is an unsigned long): the protections come from the VMA
  if (prot !== 0) return -EINVAL;
  flags = flags >>> 0;
  start = pageDown(start);
  size = pageDown(size);
  // "if (start + size <= start)": empty, or the end wraps past 2^64
  if (size === 0 || start + size >= 2 ** 64) return -EINVAL;
  // "Does pgoff wrap?"
  if (pgoff + size / PAGE_SIZE >= 2 ** 64) return -EINVAL;
  const mm = k.mm(pid);
  // vma_lookup(): the VMA containing start; it must be VM_SHARED (a MAP_SHARED mapping of a file
  // opened for writing, or shared anonymous memory, whose vm_file is its shmem file)
  const vma = mm.vmas.at(start);
  if (!vma || !(vma.flags & VM_SHARED) || vma.file === null) return -EINVAL;
  prot |= vma.flags & VM_READ ? PROT_READ : 0;
  prot |= vma.flags & VM_WRITE ? PROT_WRITE : 0;
  prot |= vma.flags & VM_EXEC ? PROT_EXEC : 0;
  flags &= MAP_NONBLOCK;
  flags |= MAP_SHARED | MAP_FIXED | MAP_POPULATE;
  if (vma.flags & VM_LOCKED) flags |= MAP_LOCKED;
  const fileId = vma.file;
  if (k.config.features.remapFilePagesLsm) {
    // 6.12+: security_mmap_file() between the read-locked lookup and the write-locked re-check
    const sec = securityMmapFile(k, pid, fileId, prot, flags);
    if (sec) return sec;
  }
  // "if (start + size > vma->vm_end)": the range may span further VMAs only if they follow
  // without a hole and have the same file and the same vm_flags
  if (start + size > vma.end) {
    let prev = vma;
    for (;;) {
      const next = mm.vmas.nextAfter(prev.start);
      if (!next || next.start >= start + size) return -EINVAL; // ran out of VMAs: "if (!next) goto out;"
      if (next.start !== prev.end) return -EINVAL; // "hole between vmas ?"
      if (next.file !== fileId) return -EINVAL;
      if (next.flags !== vma.flags) return -EINVAL;
      if (start + size <= next.end) break;
      prev = next;
    }
  }
  // get_file(vma->vm_file) ... do_mmap() ... fput(file): the reference keeps the file alive while
  // MAP_FIXED unmaps the VMAs that held it
  fileGet(k, fileId);
  const ret = doMmap(k, pid, fileId, start, size, prot, flags, pgoff);
  filePut(k, fileId);
  if (isErr(ret)) return ret;
  // "if (populate) mm_populate(ret, populate);": do_mmap() asks for it when VM_LOCKED or
  // (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE; errors are ignored
  if (flags & MAP_LOCKED || !(flags & MAP_NONBLOCK)) populateShared(k, pid, start, start + size);
  return 0;
}

void VM_ACCESS_FLAGS;
void VM_DONTEXPAND;
void VM_WIPEONFORK;
void VM_DONTDUMP;
void PROT_SEM;
void vmaPages;
void VM_MAYSHARE;
