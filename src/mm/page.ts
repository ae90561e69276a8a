// Page contents and provenance. A Page is an immutable value (replace it to change it), shared
// freely between Kernel clones. `data === null` is an all-zero page that was never materialised.
//
// Provenance (the model's addition; Linux does not track it): where the page's bytes came from
// (`origin`), and which tasks modified them since (`writers`). A page COW-copied from a file keeps
// the file origin and gains the writer; a page of a file written with write(2) records the writer.
import { PAGE_SIZE } from '../abi/page.js';

export type PageOrigin =
  /** Zero-filled: a fresh anonymous page, or a hole of a sparse file. */
  | { readonly kind: 'zero' }
  /** Bytes of file `path` (inode `inode`, a model-wide inode id) at byte `offset`, as the file held them when first read. */
  | { readonly kind: 'file'; readonly inode: number; readonly path: string; readonly offset: number }
  /** Bytes supplied by a driver (e.g. EPC contents); `driver` names it. */
  | { readonly kind: 'driver'; readonly driver: string; readonly detail?: string };

export interface Page {
  readonly data: Uint8Array | null;
  readonly origin: PageOrigin;
  /** Pids of the tasks that changed bytes of this page after `origin`, ascending, unique. Empty = unmodified. */
  readonly writers: readonly number[];
}

export const ZERO_ORIGIN: PageOrigin = Object.freeze({ kind: 'zero' });
export const ZERO_PAGE: Page = Object.freeze({ data: null, origin: ZERO_ORIGIN, writers: Object.freeze([]) as readonly number[] });

export function pageBytes(p: Page | undefined): Uint8Array {
  return p?.data ?? new Uint8Array(PAGE_SIZE);
}

/** Read `len` bytes at `off` of a page (zeros for an unmaterialised page). */
export function readPage(p: Page | undefined, off: number, len: number): Uint8Array {
  if (!p || !p.data) return new Uint8Array(len);
  return p.data.slice(off, off + len);
}

function addWriter(writers: readonly number[], pid: number | null): readonly number[] {
  if (pid === null || writers.includes(pid)) return writers;
  return [...writers, pid].sort((a, b) => a - b);
}

/** A new page with `bytes` written at `off` by task `pid` (null = the setup code, not a task). */
export function writePage(p: Page | undefined, off: number, bytes: Uint8Array, pid: number | null): Page {
  const base = p ?? ZERO_PAGE;
  const data = base.data ? base.data.slice() : new Uint8Array(PAGE_SIZE);
  data.set(bytes, off);
  return { data, origin: base.origin, writers: addWriter(base.writers, pid) };
}

/** The COW copy of a file page for a private mapping: same bytes and provenance (the write that caused the COW is applied by writePage). */
export function cowCopy(p: Page | undefined, fallbackOrigin: PageOrigin): Page {
  if (!p) return { data: null, origin: fallbackOrigin, writers: [] };
  return p;
}

/** True if the bytes equal the origin's (no task wrote to the page). */
export function isUnmodified(p: Page): boolean {
  return p.writers.length === 0;
}
