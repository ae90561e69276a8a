// From a manifest to the page list a loader adds, in load order (ascending offset), and the
// bytes of each page. Nothing here holds more than one page: the enclave is never materialised.
import { PAGE_SIZE, TCS_OFF } from '../arch/x86/sgx/arch.js';
import { applyEaddTcsFixup } from '../arch/x86/sgx/measure.js';
import { ContentError, type ContentReader } from './content.js';
import type { EnclaveManifest, ManifestSegment, SegmentContents, SegmentType, TcsFields } from './manifest.js';
import { fillPattern } from './pattern.js';

/** Where one page's bytes come from. */
export type PageSource =
  | { readonly kind: 'zero' }
  /** `length` bytes of `path` from `position` (page aligned); the rest of the page is zero (mmap past EOF). */
  | { readonly kind: 'file'; readonly path: string; readonly position: bigint; readonly length: number }
  /** The pattern's bytes at `segmentOffset` within its segment. */
  | { readonly kind: 'pattern'; readonly contents: Extract<SegmentContents, { kind: 'pattern' }>; readonly segmentOffset: number }
  | { readonly kind: 'tcs'; readonly tcs: TcsFields };

export interface PageEntry {
  /** Offset from the enclave base. */
  readonly offset: bigint;
  readonly type: SegmentType;
  /** SECINFO.FLAGS for EADD. */
  readonly secinfoFlags: bigint;
  readonly measured: boolean;
  readonly segment: ManifestSegment;
  readonly source: PageSource;
}

/**
 * Check every file-backed segment against its file's size: every page must have at least one
 * byte in the file (a page wholly past EOF cannot be mmapped: SIGBUS / EFAULT). Returns the
 * problems as one-line messages (empty if none).
 */
export function checkFiles(m: EnclaveManifest, reader: ContentReader): string[] {
  const out: string[] = [];
  for (const s of m.segments) {
    if (s.contents.kind !== 'file') continue;
    let len: number;
    try {
      len = reader.size(s.contents.path);
    } catch (e) {
      out.push(`${s.loc.file}:${s.loc.line}:${s.loc.col}: segment '${s.name}': ${(e as Error).message}`);
      continue;
    }
    const need = s.contents.offset + s.size - BigInt(PAGE_SIZE) + 1n;
    if (BigInt(len) < need) {
      out.push(
        `${s.loc.file}:${s.loc.line}:${s.loc.col}: segment '${s.name}': ${s.contents.path} is ${len} bytes; ` +
          `pages from file offset 0x${s.contents.offset.toString(16)} for 0x${s.size.toString(16)} bytes need at least ${need}`,
      );
    }
  }
  return out;
}

/** Page count of the whole image. */
export function pageCount(m: EnclaveManifest): number {
  let n = 0;
  for (const s of m.segments) n += Number(s.size / BigInt(PAGE_SIZE));
  return n;
}

/** The pages of one segment, in ascending offset. `fileSize` is needed for file contents (for `length`). */
export function* segmentPages(s: ManifestSegment, fileSize?: (path: string) => number): Generator<PageEntry> {
  const n = Number(s.size / BigInt(PAGE_SIZE));
  const c = s.contents;
  const flen = c.kind === 'file' ? BigInt(fileSize ? fileSize(c.path) : Number.MAX_SAFE_INTEGER) : 0n;
  for (let i = 0; i < n; i++) {
    const rel = BigInt(i * PAGE_SIZE);
    let source: PageSource;
    switch (c.kind) {
      case 'zero':
        source = ZERO;
        break;
      case 'tcs':
        source = { kind: 'tcs', tcs: c.tcs };
        break;
      case 'pattern':
        source = { kind: 'pattern', contents: c, segmentOffset: i * PAGE_SIZE };
        break;
      case 'file': {
        const position = c.offset + rel;
        const avail = flen - position;
        source = { kind: 'file', path: c.path, position, length: avail <= 0n ? 0 : avail >= BigInt(PAGE_SIZE) ? PAGE_SIZE : Number(avail) };
        break;
      }
    }
    yield { offset: s.offset + rel, type: s.type, secinfoFlags: s.secinfoFlags, measured: s.measured, segment: s, source };
  }
}
const ZERO: PageSource = { kind: 'zero' };

/** Every page of the image in load order (ascending offset). */
export function* layoutPages(m: EnclaveManifest, fileSize?: (path: string) => number): Generator<PageEntry> {
  for (const s of m.segments) yield* segmentPages(s, fileSize);
}

/** Lay out a TCS page from its fields (struct sgx_tcs; arch.ts TCS_OFF). Writes all 4096 bytes. */
export function writeTcs(t: TcsFields, dst: Uint8Array): void {
  if (dst.length !== PAGE_SIZE) throw new Error('a TCS is one page');
  dst.fill(0);
  const v = new DataView(dst.buffer, dst.byteOffset, PAGE_SIZE);
  v.setBigUint64(TCS_OFF.flags, t.flags, true);
  v.setBigUint64(TCS_OFF.ssaOffset, t.ossa, true);
  v.setUint32(TCS_OFF.nrSsaFrames, t.nssa, true);
  v.setBigUint64(TCS_OFF.entryOffset, t.oentry, true);
  v.setBigUint64(TCS_OFF.fsOffset, t.ofsbase, true);
  v.setBigUint64(TCS_OFF.gsOffset, t.ogsbase, true);
  v.setUint32(TCS_OFF.fsLimit, t.fslimit, true);
  v.setUint32(TCS_OFF.gsLimit, t.gslimit, true);
}

/**
 * Write the page's source bytes (what a loader passes to EADD) into dst (4096 bytes; every byte
 * is written). File bytes come through `reader`.
 */
export function readPage(p: PageEntry, reader: ContentReader, dst: Uint8Array): void {
  if (dst.length !== PAGE_SIZE) throw new Error('readPage: dst must be one page');
  const s = p.source;
  switch (s.kind) {
    case 'zero':
      dst.fill(0);
      return;
    case 'tcs':
      writeTcs(s.tcs, dst);
      return;
    case 'pattern':
      fillPattern(s.contents.pattern, s.segmentOffset, dst);
      return;
    case 'file': {
      let got = 0;
      if (s.length > 0) {
        got = reader.readAt(s.path, Number(s.position), s.length === PAGE_SIZE ? dst : dst.subarray(0, s.length));
        if (got !== s.length) throw new ContentError(`${s.path}: short read at offset ${s.position} (${got} of ${s.length} bytes)`);
      }
      if (got < PAGE_SIZE) dst.fill(0, got);
      return;
    }
  }
}

/**
 * A filler for page i of segment `s` (what readPageAsAdded writes for that page), without
 * allocating per page: the streaming measurement calls it once per page. `fileSize` is the
 * size of the segment's file (file contents only).
 */
export function segmentPageFiller(s: ManifestSegment, reader: ContentReader, fileSize = 0): (dst: Uint8Array, i: number) => void {
  const c = s.contents;
  const tcsFixup = s.type === 'TCS';
  switch (c.kind) {
    case 'zero':
      return (dst) => {
        dst.fill(0);
      };
    case 'tcs':
      return (dst) => {
        writeTcs(c.tcs, dst);
        if (tcsFixup) applyEaddTcsFixup(dst);
      };
    case 'pattern':
      return (dst, i) => {
        fillPattern(c.pattern, i * PAGE_SIZE, dst);
        if (tcsFixup) applyEaddTcsFixup(dst);
      };
    case 'file': {
      const start = Number(c.offset);
      return (dst, i) => {
        const pos = start + i * PAGE_SIZE;
        const len = Math.max(0, Math.min(PAGE_SIZE, fileSize - pos));
        let got = 0;
        if (len > 0) {
          got = reader.readAt(c.path, pos, len === PAGE_SIZE ? dst : dst.subarray(0, len));
          if (got !== len) throw new ContentError(`${c.path}: short read at offset ${pos} (${got} of ${len} bytes)`);
        }
        if (got < PAGE_SIZE) dst.fill(0, got);
        if (tcsFixup) applyEaddTcsFixup(dst);
      };
    }
  }
}

/** The bytes EADD leaves in the EPC page: readPage plus the TCS fixup for TCS pages. */
export function readPageAsAdded(p: PageEntry, reader: ContentReader, dst: Uint8Array): void {
  readPage(p, reader, dst);
  if (p.type === 'TCS') applyEaddTcsFixup(dst);
}

