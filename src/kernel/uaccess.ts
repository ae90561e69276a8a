// copy_from_user() / copy_to_user() / get_user_pages() on a task's address space
// (arch/x86/lib/usercopy, mm/gup.c). Kernel accesses to user memory fault like user accesses do,
// but a fault becomes -EFAULT instead of a signal. Drivers use these for ioctl arguments.
import type { Kernel } from './kernel.js';
import { EFAULT } from '../abi/errno.js';
import { userAccess } from '../mm/memory.js';
import { VM_IO, VM_PFNMAP, VM_READ, VM_WRITE } from '../abi/vm_flags.js';
import { PAGE_SIZE } from '../abi/page.js';
import type { Page } from '../mm/page.js';
import { pageView } from '../mm/memory.js';

/** copy_from_user(): the bytes, or -EFAULT. */
export function copyFromUser(k: Kernel, pid: number, addr: number, len: number): Uint8Array | number {
  if (len === 0) return new Uint8Array(0);
  const r = userAccess(k, pid, addr, len, 'read', null, true);
  return r.ok ? r.data! : -EFAULT;
}

/** copy_to_user(): 0, or -EFAULT (bytes before the faulting page are written, as on Linux). */
export function copyToUser(k: Kernel, pid: number, addr: number, bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  const r = userAccess(k, pid, addr, bytes.length, 'write', bytes, true);
  return r.ok ? 0 : -EFAULT;
}

/** Little-endian helpers for ioctl structs. */
export function getU64(k: Kernel, pid: number, addr: number): bigint | number {
  const b = copyFromUser(k, pid, addr, 8);
  if (typeof b === 'number') return b;
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

export function putU64(k: Kernel, pid: number, addr: number, v: bigint): number {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return copyToUser(k, pid, addr, b);
}

/**
 * get_user_pages() of one page for reading (FOLL_GET without FOLL_FORCE), as the SGX driver's EADD
 * does: -EFAULT if unmapped, if the VMA is VM_IO|VM_PFNMAP (check_vma_flags()), or if it lacks
 * VM_READ (VM_WRITE with `write`). Returns the page (contents and provenance) or -EFAULT.
 */
export function getUserPage(k: Kernel, pid: number, addr: number, write = false): Page | number {
  const mm = k.mm(pid);
  const vma = mm.vmas.at(addr);
  if (!vma) return -EFAULT;
  if (vma.flags & (VM_IO | VM_PFNMAP)) return -EFAULT;
  if (write ? !(vma.flags & VM_WRITE) : !(vma.flags & VM_READ)) return -EFAULT;
  const base = addr - (addr % PAGE_SIZE);
  const r = userAccess(k, pid, base, 1, write ? 'write' : 'read', write ? new Uint8Array(0) : null, true);
  if (!r.ok) return -EFAULT;
  return pageView(k, pid, base);
}
