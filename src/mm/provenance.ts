// Provenance queries (the model's addition; Linux keeps no such record): for a page of a task,
// where its bytes came from and whether the process could ever write it.
import type { Kernel } from '../kernel/kernel.js';
import type { PageOrigin } from './page.js';
import { pageView } from './memory.js';
import { VM_EXEC, VM_MAYSHARE, VM_WRITE } from '../abi/vm_flags.js';
import { PAGE_SIZE } from '../abi/page.js';

export interface PageProvenance {
  /** Page-aligned address. */
  readonly addr: number;
  /** The VMA's current bounds and flags. */
  readonly vma: { readonly start: number; readonly end: number; readonly flags: number; readonly path: string | null };
  /** Where the bytes live now: the task's private (anonymous/COW) memory, a file's page cache, or a driver. */
  readonly backing: { readonly kind: 'anon' } | { readonly kind: 'file'; readonly inode: number; readonly path: string; readonly pgoff: number } | { readonly kind: 'driver'; readonly name: string };
  /** Where the bytes came from. */
  readonly origin: PageOrigin;
  /** Tasks that modified the bytes after `origin` (ascending pids). Empty = unmodified. */
  readonly writers: readonly number[];
  readonly modified: boolean;
  /** The page was writable by this process at some time: a writable mapping of it, or (file pages) an fd opened for writing. */
  readonly everWritable: boolean;
  /** The VMA is executable now. */
  readonly executable: boolean;
}

export function provenanceAt(k: Kernel, pid: number, addr: number): PageProvenance | null {
  const mm = k.mm(pid);
  const page = addr - (addr % PAGE_SIZE);
  const vpn = page / PAGE_SIZE;
  const v = mm.vmas.at(page);
  if (!v) return null;
  const path = v.file === null ? null : k.file(v.file).path;
  const vmaInfo = { start: v.start, end: v.end, flags: v.flags, path };
  if (v.ops?.fault) {
    return {
      addr: page,
      vma: vmaInfo,
      backing: { kind: 'driver', name: v.ops.name },
      origin: { kind: 'driver', driver: v.ops.name },
      writers: [],
      modified: false,
      everWritable: mm.anonWritable.has(vpn) || (v.flags & VM_WRITE) !== 0,
      executable: (v.flags & VM_EXEC) !== 0,
    };
  }
  const p = pageView(k, pid, page);
  const fileBacked = v.file !== null && !!v.ops?.pageCache;
  const privateCopy = mm.anon.has(vpn);
  let backing: PageProvenance['backing'] = { kind: 'anon' };
  let everWritable = mm.anonWritable.has(vpn);
  if (fileBacked && (v.flags & VM_MAYSHARE || !privateCopy)) {
    const f = k.file(v.file!);
    const pgoff = v.pgoff + (page - v.start) / PAGE_SIZE;
    backing = { kind: 'file', inode: f.inode, path: f.path, pgoff };
    const fileW = !!mm.fileWritable.get(f.inode)?.has(pgoff);
    // Shared: only writes to the file count. Private and not yet copied: a writable private
    // mapping, or a way to change the file's bytes.
    everWritable = v.flags & VM_MAYSHARE ? fileW : everWritable || fileW;
  }
  return {
    addr: page,
    vma: vmaInfo,
    backing,
    origin: p.origin,
    writers: p.writers,
    modified: p.writers.length > 0,
    everWritable,
    executable: (v.flags & VM_EXEC) !== 0,
  };
}
