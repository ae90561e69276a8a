// mprotect(2) (mm/mprotect.c do_mprotect_pkey() and mprotect_fixup(), Linux 6.1). Applied one VMA
// at a time: a failure part-way leaves the earlier VMAs changed.
import type { Kernel } from '../kernel/kernel.js';
import type { Vma } from './vma.js';
import { vmaMerge, splitVma } from './vma_ops.js';
import { calcVmProtBits, executeOnlyPkey, noteWritable } from './mmap.js';
import { securityFileMprotect } from '../security/hooks.js';
import { EACCES, EINVAL, ENOMEM } from '../abi/errno.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM, PROT_GROWSDOWN, PROT_GROWSUP } from '../abi/mman.js';
import {
  VM_READ, VM_WRITE, VM_EXEC, VM_MAYEXEC, VM_ACCESS_FLAGS, VM_GROWSDOWN, VM_GROWSUP, VM_ACCOUNT, VM_HUGETLB, VM_SHARED, VM_NORESERVE,
} from '../abi/vm_flags.js';
import { READ_IMPLIES_EXEC } from '../abi/personality.js';
import { PAGE_SIZE, pageUp } from '../abi/page.js';
import { withFields, vmaIsAnonymous } from './vma.js';

const ULONG_LIMIT = 2 ** 64;

/** arch_validate_prot() (generic, x86 has no override): only R/W/X/SEM. */
function archValidateProt(prot: number): boolean {
  return (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) === 0;
}

/** vma_is_pkey_exec_only() (arch/x86/mm/pkeys.c). */
function vmaIsPkeyExecOnly(k: Kernel, pid: number, v: Vma): boolean {
  if ((v.flags & VM_ACCESS_FLAGS) !== VM_EXEC) return false;
  return v.pkey === k.mm(pid).executeOnlyPkey && v.pkey > 0;
}

/** __arch_override_mprotect_pkey() with pkey == -1 (plain mprotect). */
function overrideMprotectPkey(k: Kernel, pid: number, v: Vma, prot: number): number {
  if (!k.config.pku) return v.pkey;
  if (prot === PROT_EXEC) {
    const p = executeOnlyPkey(k, k.mmMut(pid));
    if (p > 0) return p;
  } else if (vmaIsPkeyExecOnly(k, pid, v)) {
    return 0; // ARCH_DEFAULT_PKEY
  }
  return v.pkey;
}

/** mprotect_fixup(): merge or split so that [start, end) is one VMA with newflags. Returns [0, resultVma] or [-errno]. */
function mprotectFixup(k: Kernel, pid: number, vma: Vma, prev: Vma | null, start: number, end: number, newflags: number, newPkey: number): [number, Vma | null] {
  let mm = k.mmMut(pid);
  const oldflags = vma.flags;
  if (newflags === oldflags && newPkey === vma.pkey) return [0, vma];
  // "If we make a private mapping writable we increase our commit"
  if (newflags & VM_WRITE) {
    if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE))) newflags |= VM_ACCOUNT;
  } else if (k.config.features.mprotectUnaccountUnfaulted && oldflags & VM_ACCOUNT && vmaIsAnonymous(vma) && vma.anonVma === null) {
    // 6.5+: "except in the anonymous case where no anon_vma has yet to be assigned"
    newflags &= ~VM_ACCOUNT;
  }
  // "First try to merge with previous and/or next vma."
  const pgoff = vma.pgoff + (start - vma.start) / PAGE_SIZE;
  const merged = vmaMerge(k, mm, prev, start, end, { flags: newflags, anonVma: vma.anonVma, file: vma.file, pgoff, anonName: vma.anonName, pkey: newPkey });
  let target: Vma;
  if (merged) {
    target = merged;
  } else {
    target = vma;
    if (start !== target.start) {
      const r = splitVma(k, pid, mm, target, start);
      if (typeof r === 'number') return [r, prev];
      target = r[1];
      mm = k.mmMut(pid);
    }
    if (end !== target.end) {
      const r = splitVma(k, pid, mm, target, end);
      if (typeof r === 'number') return [r, target];
      target = r[0];
      mm = k.mmMut(pid);
    }
    const changed = withFields(target, { flags: newflags >>> 0, pkey: newPkey });
    mm.vmas.replace(target, changed);
    target = changed;
  }
  noteWritable(k, mm, target, start, end);
  return [0, target];
}

/** mprotect(2) (do_mprotect_pkey() with pkey -1). Returns 0 or -errno. */
export function sysMprotect(k: Kernel, pid: number, start: number, len: number, prot: number): number {
  prot = prot >>> 0;
  if (!Number.isInteger(start) || start < 0 || start >= ULONG_LIMIT || !Number.isInteger(len) || len < 0 || len >= ULONG_LIMIT) return -EINVAL;
  const grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
  const task = k.task(pid);
  const rier = (task.personality & READ_IMPLIES_EXEC) !== 0 && (prot & PROT_READ) !== 0;
  prot = (prot & ~(PROT_GROWSDOWN | PROT_GROWSUP)) >>> 0;
  if (grows === (PROT_GROWSDOWN | PROT_GROWSUP)) return -EINVAL; // "can't be both"
  if (start % PAGE_SIZE) return -EINVAL;
  if (!len) return 0;
  len = pageUp(len);
  let end = start + len;
  if (end <= start || end >= ULONG_LIMIT) return -ENOMEM;
  if (!archValidateProt(prot)) return -EINVAL;
  const reqprot = prot;

  let mm = k.mm(pid);
  let vma = mm.vmas.find(start);
  if (!vma) return -ENOMEM;
  if (grows & PROT_GROWSDOWN) {
    if (vma.start >= end) return -ENOMEM;
    start = vma.start;
    if (!(vma.flags & VM_GROWSDOWN)) return -EINVAL;
  } else {
    if (vma.start > start) return -ENOMEM;
    if (grows & PROT_GROWSUP) {
      end = vma.end;
      if (!(vma.flags & VM_GROWSUP)) return -EINVAL; // VM_GROWSUP is 0 on x86: always EINVAL
    }
  }
  let prev: Vma | null = start > vma.start ? vma : mm.vmas.prevOf(vma.start) ?? null;

  let nstart = start;
  for (;;) {
    // "Does the application expect PROT_READ to imply PROT_EXEC"
    if (rier && vma.flags & VM_MAYEXEC) prot |= PROT_EXEC;
    const newPkey = overrideMprotectPkey(k, pid, vma, prot);
    let newflags = calcVmProtBits(prot) | (vma.flags & ~(VM_READ | VM_WRITE | VM_EXEC));
    newflags >>>= 0;
    // "newflags >> 4 shift VM_MAY% in place of VM_%"
    if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) return -EACCES;
    const tmp = Math.min(vma.end, end);
    // 2019 SGX RFCs only (vm_ops->may_mprotect, see VmOperations): before the LSM hook.
    if (vma.ops?.may_mprotect) {
      const err = vma.ops.may_mprotect(k, pid, vma, nstart, tmp, prot);
      if (err) return err;
    }
    const sec = securityFileMprotect(k, pid, vma, reqprot, prot);
    if (sec) return sec;
    if (vma.ops?.mprotect) {
      const err = vma.ops.mprotect(k, pid, vma, nstart, tmp, newflags);
      if (err) return err;
    }
    const [err, res] = mprotectFixup(k, pid, vma, prev, nstart, tmp, newflags, newPkey);
    if (err) return err;
    prev = res;
    nstart = tmp;
    if (nstart < prev!.end) nstart = prev!.end;
    if (nstart >= end) return 0;
    mm = k.mm(pid);
    const nv = mm.vmas.find(prev!.end);
    if (!nv || nv.start !== nstart) return -ENOMEM;
    vma = nv;
    prot = reqprot;
  }
}
