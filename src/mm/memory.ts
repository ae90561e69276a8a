// User-memory access with Linux's fault semantics (arch/x86/mm/fault.c do_user_addr_fault(),
// access_error(); mm/memory.c handle_mm_fault(); mm/mmap.c expand_downwards(); mm/filemap.c
// filemap_fault() SIGBUS past EOF). Tasks load, store and fetch instructions through k.mem; the
// kernel's copy_from_user()/copy_to_user() use the same path with faults turned into -EFAULT.
import type { Kernel } from '../kernel/kernel.js';
import type { Mm } from './mm.js';
import { PTE_PRESENT, PTE_WRITE } from './mm.js';
import { type Vma, type FaultAccess, vmaIsAccessible, withFields } from './vma.js';
import { type Page, ZERO_PAGE, readPage, writePage } from './page.js';
import { inodePage, setInodePage } from '../fs/pagecache.js';
import { anonVmaPrepare } from './vma_ops.js';
import { VM_READ, VM_WRITE, VM_EXEC, VM_GROWSDOWN, VM_SHARED, VM_IO, VM_PFNMAP } from '../abi/vm_flags.js';
import {
  X86_PF_PROT, X86_PF_WRITE, X86_PF_USER, X86_PF_INSTR, X86_PF_PK,
  SEGV_MAPERR, SEGV_ACCERR, SEGV_PKUERR, BUS_ADRERR, type SignalName,
} from '../abi/signal.js';
import { PAGE_SIZE, STACK_GUARD_GAP } from '../abi/page.js';

export type MemResult =
  | { readonly ok: true; readonly data?: Uint8Array }
  | {
      readonly ok: false;
      readonly signal: SignalName;
      /** si_code: SEGV_MAPERR / SEGV_ACCERR / SEGV_PKUERR / BUS_ADRERR. */
      readonly code: number;
      /** si_addr: the faulting address. */
      readonly addr: number;
      /** The x86 page-fault error code (X86_PF_*), as the signal frame's err field holds it. */
      readonly errorCode: number;
    };

type Fault = { signal: SignalName; code: number; addr: number; errorCode: number };

/** expand_downwards() for a fault below a VM_GROWSDOWN VMA. Returns the grown VMA or null. */
function expandDownwards(k: Kernel, mm: Mm, vma: Vma, address: number): Vma | null {
  address -= address % PAGE_SIZE;
  if (address < k.config.mmapMinAddr) return null; // -EPERM
  // "Enforce stack_guard_gap"
  const prev = mm.vmas.prevOf(vma.start);
  if (prev && !(prev.flags & VM_GROWSDOWN) && vmaIsAccessible(prev)) {
    if (address - prev.end < STACK_GUARD_GAP) return null; // -ENOMEM
  }
  const grow = (vma.start - address) / PAGE_SIZE;
  if (grow > vma.pgoff) return null;
  // acct_stack_growth(): RLIMIT_STACK
  if (vma.end - address > k.config.rlimitStack) return null;
  // "We must make sure the anon_vma is allocated."
  const prepared = anonVmaPrepare(k, mm, vma);
  const grown = withFields(prepared, { start: address, pgoff: prepared.pgoff - grow });
  mm.vmas.replace(prepared, grown);
  return grown;
}

/** Does the mm's PKRU deny a data access through this VMA's key? (The execute-only key denies reads and writes.) */
function pkeyDenies(k: Kernel, mm: Mm, v: Vma, access: FaultAccess): boolean {
  if (!k.config.pku || access === 'exec') return false;
  return v.pkey !== 0 && v.pkey === mm.executeOnlyPkey;
}

/** Where a private (anonymous or COW) page lives, and whether the VMA is shared page cache. */
function backing(v: Vma): 'driver' | 'shared' | 'private-file' | 'anon' {
  if (v.ops?.fault) return 'driver';
  if (v.ops?.pageCache && v.file !== null) return v.flags & VM_SHARED ? 'shared' : 'private-file';
  if (v.ops?.pageCache && v.file === null) return 'anon';
  if (v.file !== null && v.ops === null) return 'anon'; // vma_set_anonymous() (private /dev/zero)
  return 'anon';
}

/** The file page index of addr in a file-backed VMA, and whether it lies past EOF (SIGBUS). */
function filePgoff(k: Kernel, v: Vma, addr: number): { pgoff: number; inode: number; beyondEof: boolean } {
  const f = k.file(v.file!);
  const pgoff = v.pgoff + (addr - v.start) / PAGE_SIZE;
  const size = k.inode(f.inode).size;
  return { pgoff, inode: f.inode, beyondEof: pgoff >= Math.ceil(size / PAGE_SIZE) };
}

/** fault_around_bytes default (mm/memory.c): 64 KiB. */
const FAULT_AROUND_PAGES = 16;
const PTRS_PER_PTE = 512;

/**
 * do_fault_around() + filemap_map_pages() (mm/memory.c, mm/filemap.c): a read fault on a file
 * mapping also maps the neighbouring pages of the same 64 KiB-aligned window (within the VMA and
 * the page table) that are in the page cache and inside EOF. Only PTE presence changes.
 */
function faultAround(k: Kernel, pid: number, vma: Vma, page: number, pgoff: number, inodeId: number): void {
  const inode = k.inode(inodeId);
  if (!inode.pages) return;
  const mask = FAULT_AROUND_PAGES * PAGE_SIZE;
  const address = Math.max(page - (page % mask), vma.start);
  const off = ((page - address) / PAGE_SIZE) % PTRS_PER_PTE;
  const startPgoff = pgoff - off;
  let endPgoff = startPgoff - ((address / PAGE_SIZE) % PTRS_PER_PTE) + PTRS_PER_PTE - 1;
  endPgoff = Math.min(endPgoff, vma.pgoff + (vma.end - vma.start) / PAGE_SIZE - 1, startPgoff + FAULT_AROUND_PAGES - 1);
  const maxIdx = Math.ceil(inode.size / PAGE_SIZE);
  const mm = k.mmMut(pid);
  for (let idx = startPgoff; idx <= endPgoff && idx < maxIdx; idx++) {
    if (!inode.pages.has(idx)) continue;
    const v = vma.start + (idx - vma.pgoff) * PAGE_SIZE;
    const vp = v / PAGE_SIZE;
    if (!mm.ptes.has(vp)) mm.ptes.set(vp, PTE_PRESENT);
  }
}

/**
 * do_read_fault() (mm/memory.c) on a file page that is not mapped: do_fault_around() first, which
 * maps the neighbours already in the page cache even when the page itself lies past EOF; then
 * __do_fault(): false past EOF (VM_FAULT_SIGBUS), else the page is in the page cache.
 */
function doReadFault(k: Kernel, pid: number, vma: Vma, page: number, fp: { pgoff: number; inode: number; beyondEof: boolean }): boolean {
  faultAround(k, pid, vma, page, fp.pgoff, fp.inode);
  if (fp.beyondEof) return false;
  if (!k.inode(fp.inode).pages?.has(fp.pgoff)) setInodePage(k, fp.inode, fp.pgoff, inodePage(k, fp.inode, fp.pgoff));
  return true;
}

/**
 * One page of an access: the fault decision, then the data operation. Returns a Fault or the
 * bytes read (for 'read'), or null on success.
 */
function accessPage(
  k: Kernel,
  pid: number,
  addr: number,
  len: number,
  access: FaultAccess,
  data: Uint8Array | null,
): Fault | Uint8Array | null {
  let mm = k.mm(pid);
  const page = addr - (addr % PAGE_SIZE);
  const vpn = page / PAGE_SIZE;
  const accBits = X86_PF_USER | (access === 'write' ? X86_PF_WRITE : 0) | (access === 'exec' ? X86_PF_INSTR : 0);
  let vma = mm.vmas.find(addr);
  const pte = mm.ptes.get(vpn) ?? 0;
  const present = (pte & PTE_PRESENT) !== 0 && !!vma && vma.start <= addr && vmaIsAccessible(vma);
  const errorCode = accBits | (present ? X86_PF_PROT : 0);
  // bad_area(): no VMA, or below a VMA that cannot grow down.
  if (!vma) return { signal: 'SIGSEGV', code: SEGV_MAPERR, addr, errorCode };
  if (vma.start > addr) {
    if (!(vma.flags & VM_GROWSDOWN)) return { signal: 'SIGSEGV', code: SEGV_MAPERR, addr, errorCode };
    mm = k.mmMut(pid);
    const g = expandDownwards(k, mm, vma, addr);
    if (!g) return { signal: 'SIGSEGV', code: SEGV_MAPERR, addr, errorCode };
    vma = g;
  }
  // access_error()
  if (pkeyDenies(k, mm, vma, access)) {
    return { signal: 'SIGSEGV', code: SEGV_PKUERR, addr, errorCode: present ? errorCode | X86_PF_PK : errorCode };
  }
  if (access === 'write') {
    if (!(vma.flags & VM_WRITE)) return { signal: 'SIGSEGV', code: SEGV_ACCERR, addr, errorCode };
  } else {
    if (!vmaIsAccessible(vma)) return { signal: 'SIGSEGV', code: SEGV_ACCERR, addr, errorCode };
  }
  // An instruction fetch from a readable non-VM_EXEC VMA: the fault maps the page NX, and the
  // retried fetch faults on the present page (X86_PF_PROT|X86_PF_INSTR) -> SEGV_ACCERR.
  const nxRetry = access === 'exec' && !(vma.flags & VM_EXEC);
  void VM_READ;
  // handle_mm_fault()
  const off = addr - page;
  const kind = backing(vma);
  let out: Uint8Array | null = null;
  if (kind === 'driver') {
    const r = vma.ops!.fault!(k, pid, vma, page, access);
    if (r.kind === 'sigbus') return { signal: 'SIGBUS', code: BUS_ADRERR, addr, errorCode };
    if (r.kind === 'sigsegv') return { signal: 'SIGSEGV', code: SEGV_ACCERR, addr, errorCode };
    if (access === 'read') out = r.read(off, len);
    else if (access === 'write') r.write(off, data!);
  } else if (kind === 'shared' || kind === 'private-file') {
    const fp = filePgoff(k, vma, page);
    const priv = kind === 'private-file' ? k.mm(pid).anon.get(vpn) : undefined;
    if (!present && access !== 'write' && !priv) {
      if (!doReadFault(k, pid, vma, page, fp)) return { signal: 'SIGBUS', code: BUS_ADRERR, addr, errorCode };
    } else if (!priv && fp.beyondEof) return { signal: 'SIGBUS', code: BUS_ADRERR, addr, errorCode };
    if (access === 'read') out = readPage(priv ?? inodePage(k, fp.inode, fp.pgoff), off, len);
    else if (access === 'write') {
      if (kind === 'shared') {
        setInodePage(k, fp.inode, fp.pgoff, writePage(inodePage(k, fp.inode, fp.pgoff), off, data!, pid));
      } else {
        // do_wp_page()/do_cow_fault(): copy the file page into a private anonymous page.
        mm = k.mmMut(pid);
        const src: Page = priv ?? inodePage(k, fp.inode, fp.pgoff);
        anonVmaPrepare(k, mm, mm.vmas.at(addr)!);
        mm.anon.set(vpn, writePage(src, off, data!, pid));
      }
    }
  } else {
    const cur = k.mm(pid).anon.get(vpn);
    if (access === 'read') out = readPage(cur, off, len);
    else if (access === 'write') {
      // do_anonymous_page() (anon_vma_prepare()) / do_wp_page()
      mm = k.mmMut(pid);
      anonVmaPrepare(k, mm, mm.vmas.at(addr)!);
      mm.anon.set(vpn, writePage(cur ?? ZERO_PAGE, off, data!, pid));
    }
  }
  // The PTE is now present (writable after a write fault).
  const m2 = k.mmMut(pid);
  const want = PTE_PRESENT | (access === 'write' ? PTE_WRITE : 0);
  const curPte = m2.ptes.get(vpn) ?? 0;
  if ((curPte | want) !== curPte) m2.ptes.set(vpn, curPte | want);
  if (nxRetry) return { signal: 'SIGSEGV', code: SEGV_ACCERR, addr, errorCode: accBits | X86_PF_PROT };
  return out;
}

/**
 * __mm_populate(start, len, ignore_errors = 1) (mm/gup.c) for shared mappings, as MAP_POPULATE
 * asks (remap_file_pages() uses it): per VMA of the range, skipping VM_IO|VM_PFNMAP ones,
 * populate_vma_page_range() faults each page in for reading (shared mappings are not written:
 * "these don't COW"), with FOLL_FORCE when the VMA is accessible at all; a PROT_NONE VMA, or one
 * with the execute-only protection key, fails GUP's check_vma_flags() and is skipped, and the
 * first page that cannot be faulted (past EOF) ends that VMA ("continue at next VMA"). Only PTE
 * presence (and the page cache) changes.
 */
export function populateShared(k: Kernel, pid: number, start: number, end: number): void {
  for (const vma of k.mm(pid).vmas.range(start, end)) {
    if (vma.flags & (VM_IO | VM_PFNMAP)) continue;
    if (!(vma.flags & VM_SHARED)) throw new Error('invariant: populateShared() on a private VMA');
    if (!vmaIsAccessible(vma) || backing(vma) !== 'shared') continue;
    // check_vma_flags(): arch_vma_access_permitted() for a data access (the execute-only pkey denies it)
    if (pkeyDenies(k, k.mm(pid), vma, 'read')) continue;
    const lo = Math.max(start, vma.start);
    const hi = Math.min(end, vma.end);
    for (let page = lo; page < hi; page += PAGE_SIZE) {
      const fp = filePgoff(k, vma, page);
      const vpn = page / PAGE_SIZE;
      if ((k.mm(pid).ptes.get(vpn) ?? 0) & PTE_PRESENT) continue; // follow_page_mask() finds it
      if (!doReadFault(k, pid, vma, page, fp)) break; // VM_FAULT_SIGBUS -> -EFAULT: on to the next VMA
      const m = k.mmMut(pid);
      m.ptes.set(vpn, (m.ptes.get(vpn) ?? 0) | PTE_PRESENT);
    }
  }
}

/**
 * An access of `len` bytes at `addr`, page by page (earlier pages of a failing multi-page write
 * stay written, as with a real store sequence). `kernel` = a uaccess from a syscall: no signal is
 * recorded.
 */
export function userAccess(k: Kernel, pid: number, addr: number, len: number, access: FaultAccess, data: Uint8Array | null, kernel = false): MemResult {
  if (!Number.isSafeInteger(addr) || addr < 0 || !Number.isSafeInteger(len) || len < 0) {
    return fail(k, pid, { signal: 'SIGSEGV', code: SEGV_MAPERR, addr: Number.isSafeInteger(addr) ? addr : 0, errorCode: X86_PF_USER }, kernel);
  }
  const chunks: Uint8Array[] = [];
  let p = addr;
  const end = addr + Math.max(len, access === 'exec' ? 1 : 0);
  if (len === 0 && access !== 'exec') return { ok: true, data: new Uint8Array(0) };
  while (p < end) {
    const n = Math.min(PAGE_SIZE - (p % PAGE_SIZE), end - p);
    const r = accessPage(k, pid, p, n, access, data ? data.subarray(p - addr, p - addr + n) : null);
    if (r && !(r instanceof Uint8Array)) return fail(k, pid, r, kernel);
    if (r instanceof Uint8Array) chunks.push(r);
    p += n;
  }
  if (access !== 'read') return { ok: true };
  const out = new Uint8Array(len);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return { ok: true, data: out };
}

function fail(k: Kernel, pid: number, f: Fault, kernel: boolean): MemResult {
  if (!kernel && k.trace.enabled) k.trace.emit({ kind: 'signal', pid, signal: f.signal, code: f.code, addr: f.addr, errorCode: f.errorCode });
  return { ok: false, signal: f.signal, code: f.code, addr: f.addr, errorCode: f.errorCode };
}

/** The page at addr as the process sees it now (contents and provenance), without faulting. */
export function pageView(k: Kernel, pid: number, addr: number): Page {
  const mm = k.mm(pid);
  const page = addr - (addr % PAGE_SIZE);
  const vpn = page / PAGE_SIZE;
  const v = mm.vmas.at(page);
  if (!v) return ZERO_PAGE;
  const kind = backing(v);
  if (kind === 'driver') {
    return ZERO_PAGE;
  }
  if (kind === 'shared') return inodePage(k, k.file(v.file!).inode, v.pgoff + (page - v.start) / PAGE_SIZE);
  if (kind === 'private-file') return mm.anon.get(vpn) ?? inodePage(k, k.file(v.file!).inode, v.pgoff + (page - v.start) / PAGE_SIZE);
  return mm.anon.get(vpn) ?? ZERO_PAGE;
}

/** k.mem: loads, stores and instruction fetches by a task. */
export class MemAccess {
  constructor(private readonly k: Kernel) {}

  /** Load `len` bytes. */
  read(pid: number, addr: number, len: number): MemResult {
    return userAccess(this.k, pid, addr, len, 'read', null);
  }

  /** Store `bytes` (accepts a string as UTF-8). */
  write(pid: number, addr: number, bytes: Uint8Array | string): MemResult {
    const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    return userAccess(this.k, pid, addr, b.length, 'write', b);
  }

  /** Fetch an instruction at addr (permission check only: the model does not execute code). */
  exec(pid: number, addr: number): MemResult {
    return userAccess(this.k, pid, addr, 0, 'exec', null);
  }
}

export { SEGV_ACCERR };
