// struct vm_area_struct and struct vm_operations_struct (include/linux/mm_types.h, mm.h).
// A Vma is an immutable value: every change replaces it in the mm's VmaTree.
import type { Kernel } from '../kernel/kernel.js';
import type { Page } from './page.js';
import { VM_EXEC, VM_GROWSDOWN, VM_READ, VM_WRITE } from '../abi/vm_flags.js';
import { PAGE_SHIFT, STACK_GUARD_GAP } from '../abi/page.js';

export interface Vma {
  /** vm_start (inclusive), page aligned. */
  readonly start: number;
  /** vm_end (exclusive), page aligned. */
  readonly end: number;
  /** vm_flags (VM_*). */
  readonly flags: number;
  /** vm_pgoff: offset in the file in pages (anonymous private: start >> PAGE_SHIFT at creation). */
  readonly pgoff: number;
  /** vm_file: the open file id, or null for anonymous memory. */
  readonly file: number | null;
  /** anon_vma: an id once any anonymous page exists in the VMA (first write fault), else null. */
  readonly anonVma: number | null;
  /** vm_ops (stateless object, shared between clones), or null. */
  readonly ops: VmOperations | null;
  /** vm_private_data: an immutable value (e.g. an id in k.objects). */
  readonly privateData: unknown;
  /** x86 protection key (VM_PKEY_BIT*), 0 by default. */
  readonly pkey: number;
  /** anon_vma_name (prctl PR_SET_VMA_ANON_NAME), shown as [anon:NAME]. */
  readonly anonName: string | null;
}

export type FaultAccess = 'read' | 'write' | 'exec';

/** What a driver's fault hook returns. */
export type FaultResult =
  /** The access may proceed on this page: `read`/`write` operate on the driver's backing store for this access only. */
  | {
      readonly kind: 'page';
      read(offset: number, len: number): Uint8Array;
      write(offset: number, bytes: Uint8Array): void;
      /** Provenance of the page's bytes, for k.provenance(). */
      describe?(): Page;
    }
  /** VM_FAULT_SIGBUS. */
  | { readonly kind: 'sigbus' }
  /** VM_FAULT_SIGSEGV. */
  | { readonly kind: 'sigsegv' };

/**
 * vm_operations_struct. Stateless: keep per-VMA state in vm_private_data (an immutable value or an
 * id in k.objects), never in the ops object. All hooks receive the kernel of the call (after a
 * Kernel.clone() each copy calls with itself).
 */
export interface VmOperations {
  readonly name: string;
  /**
   * Faults are served from vm_file's page cache (filemap_fault(), shmem_fault()): reads see the
   * file, private writes COW, shared writes reach the file; access past EOF raises SIGBUS.
   * A VMA whose ops are null is anonymous (vma_is_anonymous()).
   */
  readonly pageCache?: boolean;
  /** ->open(): a VMA was duplicated (split_vma's new half, or fork). */
  open?(k: Kernel, pid: number, vma: Vma): void;
  /** ->close(): the VMA goes away (munmap, exit). Having close makes a VMA unmergeable (is_mergeable_vma()). */
  close?(k: Kernel, pid: number, vma: Vma): void;
  /** ->may_split(): return 0 or -errno (e.g. -EINVAL) to refuse a split at addr. */
  may_split?(k: Kernel, pid: number, vma: Vma, addr: number): number;
  /** ->mprotect(): called from do_mprotect_pkey() per VMA after security_file_mprotect(); 0 or -errno. */
  mprotect?(k: Kernel, pid: number, vma: Vma, start: number, end: number, newflags: number): number;
  /**
   * ->may_mprotect(vma, start, end, prot): never in mainline; Sean Christopherson's 2019 SGX RFCs
   * (v1 4/9 "mm: Introduce vm_ops->mprotect()" called it before security_file_mprotect(); v2 1/5 and
   * v4 06/12 renamed it may_mprotect). Called per VMA after the VM_MAY* check and before
   * security_file_mprotect(), with the PROT_* value (READ_IMPLIES_EXEC applied); 0 or -errno.
   */
  may_mprotect?(k: Kernel, pid: number, vma: Vma, start: number, end: number, prot: number): number;
  /** ->fault(): back a page of the VMA, or refuse (VM_FAULT_SIGBUS). `addr` is page aligned. */
  fault?(k: Kernel, pid: number, vma: Vma, addr: number, access: FaultAccess): FaultResult;
  /** ->name(): the /proc/PID/maps name of an anonymous VMA (e.g. "[vdso]"). */
  mapsName?(k: Kernel, vma: Vma): string | null;
}

export function vmaPages(v: Vma): number {
  return (v.end - v.start) / 4096;
}

/** vm_start_gap(): start less the stack guard gap for VM_GROWSDOWN (0 on underflow). */
export function vmStartGap(v: Vma, guard = STACK_GUARD_GAP): number {
  if (v.flags & VM_GROWSDOWN) {
    const s = v.start - guard;
    return s > v.start || s < 0 ? 0 : s;
  }
  return v.start;
}

/** vm_end_gap(): VM_GROWSUP does not exist on x86. */
export function vmEndGap(v: Vma): number {
  return v.end;
}

/** vma_is_accessible(). */
export function vmaIsAccessible(v: Vma): boolean {
  return (v.flags & (VM_READ | VM_WRITE | VM_EXEC)) !== 0;
}

/** The file page index of addr within v. */
export function vmaPgoffOf(v: Vma, addr: number): number {
  return v.pgoff + Math.floor((addr - v.start) / 2 ** PAGE_SHIFT);
}

export function withFields(v: Vma, f: Partial<Vma>): Vma {
  return Object.freeze({ ...v, ...f });
}

/** generic_file_vm_ops (mm/filemap.c): page-cache backed file mappings. */
export const genericFileVmOps: VmOperations = Object.freeze({ name: 'generic_file_vm_ops', pageCache: true });
/** shmem_vm_ops (mm/shmem.c): tmpfs, memfd and shared-anonymous mappings. */
export const shmemVmOps: VmOperations = Object.freeze({ name: 'shmem_vm_ops', pageCache: true });

/** vma_is_anonymous(): no vm_ops. */
export function vmaIsAnonymous(v: Vma): boolean {
  return v.ops === null;
}
