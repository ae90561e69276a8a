// Page-cache reads and writes of regular files and shmem inodes (mm/filemap.c
// filemap_read()/generic_perform_write(), mm/shmem.c), with provenance: a page written here
// records the writing task.
import type { Kernel } from '../kernel/kernel.js';
import { PAGE_SIZE } from '../abi/page.js';
import { type Page, readPage, writePage } from '../mm/page.js';
import { BTree } from '../kernel/btree.js';

/** Read up to `count` bytes at `pos`, stopping at i_size. */
export function readInodeData(k: Kernel, inodeId: number, pos: number, count: number): Uint8Array {
  const inode = k.inode(inodeId);
  if (pos >= inode.size || count <= 0) return new Uint8Array(0);
  const end = Math.min(inode.size, pos + count);
  const out = new Uint8Array(end - pos);
  let p = pos;
  while (p < end) {
    const idx = Math.floor(p / PAGE_SIZE);
    const off = p % PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - off, end - p);
    out.set(readPage(inode.pages?.get(idx), off, n), p - pos);
    p += n;
  }
  return out;
}

/** Write `data` at `pos` (extending i_size); `pid` is the writer recorded in provenance (null = setup). */
export function writeInodeData(k: Kernel, inodeId: number, pos: number, data: Uint8Array, pid: number | null): void {
  const inode = k.inode(inodeId);
  const pages = (inode.pages ?? new BTree<number, Page>()).clone();
  let p = pos;
  const end = pos + data.length;
  while (p < end) {
    const idx = Math.floor(p / PAGE_SIZE);
    const off = p % PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - off, end - p);
    const old = pages.get(idx) ?? fileOriginPage(k, inodeId, idx);
    pages.set(idx, writePage(old, off, data.subarray(p - pos, p - pos + n), pid));
    p += n;
  }
  k.setInode({ ...inode, pages, size: Math.max(inode.size, end) });
}

/** A not-yet-materialised page of a file: zeros whose origin is the file itself. */
export function fileOriginPage(k: Kernel, inodeId: number, idx: number): Page {
  return { data: null, origin: { kind: 'file', inode: inodeId, path: inodePathForProvenance(k, inodeId), offset: idx * PAGE_SIZE }, writers: [] };
}

/** The page at index idx as a mapping sees it (hole = zeros with the file as origin). */
export function inodePage(k: Kernel, inodeId: number, idx: number): Page {
  return k.inode(inodeId).pages?.get(idx) ?? fileOriginPage(k, inodeId, idx);
}

/** Replace one page-cache page. */
export function setInodePage(k: Kernel, inodeId: number, idx: number, page: Page): void {
  const inode = k.inode(inodeId);
  const pages = (inode.pages ?? new BTree<number, Page>()).clone();
  pages.set(idx, page);
  k.setInode({ ...inode, pages });
}

/** Truncate to `size` (drops whole pages beyond it and zeroes the tail of the last page). */
export function truncateInode(k: Kernel, inodeId: number, size: number): void {
  const inode = k.inode(inodeId);
  const pages = (inode.pages ?? new BTree<number, Page>()).clone();
  const firstDropped = Math.ceil(size / PAGE_SIZE);
  pages.deleteRange(firstDropped, Number.MAX_SAFE_INTEGER, true);
  const tail = size % PAGE_SIZE;
  if (tail) {
    const idx = Math.floor(size / PAGE_SIZE);
    const p = pages.get(idx);
    if (p?.data) pages.set(idx, { ...p, data: (() => { const d = p.data!.slice(); d.fill(0, tail); return d; })() });
  }
  k.setInode({ ...inode, pages, size });
}

/** The path a page's provenance names: the d_path of a pseudo file, else the first name found by walking the namespace (cheap: recorded at creation). */
export function inodePathForProvenance(k: Kernel, inodeId: number): string {
  const i = k.inode(inodeId);
  if (i.pseudoPath) return i.pseudoPath;
  return k.fs.pathOf(inodeId) ?? `inode:${inodeId}`;
}
