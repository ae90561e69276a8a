// Fortanix's SGX stream format (SGXS; fortanix/rust-sgx doc/SGXS.md, intel-sgx/sgxs/src/sgxs.rs):
// exactly the measured record stream, so SHA-256(file) = MRENCLAVE. Records are a 64-byte header
// (8-byte tag + 56 bytes) and, for EEXTEND, 256 data bytes. The enhanced format (ESGXS) adds
// UNSIZED (instead of ECREATE: the size is not known yet; cannot be measured) and UNMEASRD
// (like EEXTEND, but loaded without being measured: skipped by the measurement).
//
// The scanner here is streaming (push chunks of any size), validates every record, checks the
// format's canonicality rules, and hashes the measured records in place (no re-serialisation,
// no copy of the data): one native SHA-256 update per contiguous measured run of a chunk.
import type { Crypto, Sha256 } from '../../../platform/crypto.js';
import { MEAS_EADD, MEAS_ECREATE, MEAS_EEXTEND, SGX_EEXTEND_BLOCK_SIZE, SGX_SECINFO_PERMISSION_MASK, SgxPageType } from './arch.js';
import { eextendHeader, MEAS_RECORD_SIZE } from './measure.js';

/** "UNSIZED\0" as a little-endian u64 (rust-sgx sgxs.rs MEAS_UNSIZED). */
export const MEAS_UNSIZED = 0x0044455a49534e55n;
/** "UNMEASRD" as a little-endian u64 (rust-sgx sgxs.rs MEAS_UNMEASRD). */
export const MEAS_UNMEASRD = 0x44525341454d4e55n;

export type SgxsRecord =
  | { readonly kind: 'ECREATE'; readonly pos: number; readonly ssaFrameSize: number; readonly size: bigint }
  /** ESGXS: the size is unknown; `sizeOffset` is where in enclave memory it is to be written. */
  | { readonly kind: 'UNSIZED'; readonly pos: number; readonly ssaFrameSize: number; readonly sizeOffset: bigint }
  | { readonly kind: 'EADD'; readonly pos: number; readonly offset: bigint; readonly secinfoFlags: bigint }
  /** `data` (256 bytes) is valid only during the callback. */
  | { readonly kind: 'EEXTEND'; readonly pos: number; readonly offset: bigint; readonly data: Uint8Array }
  | { readonly kind: 'UNMEASRD'; readonly pos: number; readonly offset: bigint; readonly data: Uint8Array };

/** A malformed stream: `position` is the byte offset of the offending record. */
export class SgxsError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`byte ${position}: ${message}`);
    this.name = 'SgxsError';
  }
}

export interface SgxsSummary {
  readonly mrenclave: Uint8Array;
  readonly ssaFrameSize: number;
  readonly size: bigint;
  readonly counts: { readonly ecreate: number; readonly eadd: number; readonly eextend: number; readonly unmeasured: number };
  readonly bytes: number;
  /** doc/SGXS.md "Canonicality": true if every rule holds. */
  readonly canonical: boolean;
  /** The first few rule violations (byte position and rule), for messages. */
  readonly violations: readonly string[];
}

const MAX_VIOLATIONS = 10;

function isZeroRange(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Streaming SGXS/ESGXS reader and measurer. push() chunks in order, then end(). Errors
 * (unknown tag, non-zero reserved bytes, truncated record, no leading ECREATE, an UNSIZED
 * stream) throw SgxsError; canonicality violations are collected, not thrown.
 */
export class SgxsScanner {
  private h: Sha256;
  private pos = 0; // stream position of the next unread byte
  private carry = new Uint8Array(MEAS_RECORD_SIZE + SGX_EEXTEND_BLOCK_SIZE);
  private carryLen = 0;
  private sawFirst = false;
  private ssaFrameSize = 0;
  private size = 0n;
  private unsized = false;
  private readonly counts = { ecreate: 0, eadd: 0, eextend: 0, unmeasured: 0 };
  private readonly violations: string[] = [];
  private nViolations = 0;
  // canonicality state (doc/SGXS.md)
  private lastEadd: bigint | null = null;
  private chunksSeen = 0;

  constructor(
    crypto: Crypto,
    private readonly onRecord?: (r: SgxsRecord) => void,
  ) {
    this.h = crypto.sha256();
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    // Finish a record split across chunks (its length is known once its tag is).
    while (this.carryLen > 0 && i < chunk.length) {
      const want = this.recordLength(this.carry, 0, this.carryLen);
      const take = Math.min(want - this.carryLen, chunk.length - i);
      this.carry.set(chunk.subarray(i, i + take), this.carryLen);
      this.carryLen += take;
      i += take;
      const len = this.carryLen;
      if (len === this.recordLength(this.carry, 0, len)) {
        if (this.record(this.carry, 0)) this.h.update(this.carry.subarray(0, len));
        this.carryLen = 0;
      }
    }
    if (this.carryLen > 0) return;
    // Whole records inside the chunk, hashed in contiguous measured runs.
    let runStart = -1;
    while (i < chunk.length) {
      const avail = chunk.length - i;
      if (avail < 8 || avail < this.recordLength(chunk, i, avail)) break;
      const len = this.recordLength(chunk, i, avail);
      const measured = this.record(chunk, i);
      if (measured) {
        if (runStart < 0) runStart = i;
      } else if (runStart >= 0) {
        this.h.update(chunk.subarray(runStart, i));
        runStart = -1;
      }
      i += len;
    }
    if (runStart >= 0) this.h.update(chunk.subarray(runStart, i));
    if (i < chunk.length) {
      this.carry.set(chunk.subarray(i), 0);
      this.carryLen = chunk.length - i;
    }
  }

  end(): SgxsSummary {
    if (this.carryLen > 0) throw new SgxsError(`truncated record (${this.carryLen} bytes at the end of the stream)`, this.pos);
    if (!this.sawFirst) throw new SgxsError('empty stream: an SGXS stream starts with an ECREATE record', 0);
    if (this.unsized) throw new SgxsError('the stream is UNSIZED (ESGXS): its size must be filled in before it can be measured', 0);
    return {
      mrenclave: this.h.digest(),
      ssaFrameSize: this.ssaFrameSize,
      size: this.size,
      counts: { ...this.counts },
      bytes: this.pos,
      canonical: this.nViolations === 0,
      violations: [...this.violations],
    };
  }

  /** Length of the record starting at b[off] (needs its 8-byte tag; 64 until the tag is known). */
  private recordLength(b: Uint8Array, off: number, avail: number): number {
    if (avail < 8) return MEAS_RECORD_SIZE;
    const tag = new DataView(b.buffer, b.byteOffset + off, 8).getBigUint64(0, true);
    return tag === MEAS_EEXTEND || tag === MEAS_UNMEASRD ? MEAS_RECORD_SIZE + SGX_EEXTEND_BLOCK_SIZE : MEAS_RECORD_SIZE;
  }

  private violate(rule: string): void {
    this.nViolations++;
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push(`byte ${this.pos}: ${rule}`);
  }

  /** Validate and report one complete record at b[off]; returns whether it is measured. Advances pos. */
  private record(b: Uint8Array, off: number): boolean {
    const v = new DataView(b.buffer, b.byteOffset + off, MEAS_RECORD_SIZE);
    const tag = v.getBigUint64(0, true);
    const pos = this.pos;
    let measured = true;
    const reserved = (from: number, what: string) => {
      if (!isZeroRange(b, off + from, off + MEAS_RECORD_SIZE)) throw new SgxsError(`${what} record has non-zero bytes in ${from}..63 (hardware measures them as zero)`, pos);
    };
    if (!this.sawFirst && tag !== MEAS_ECREATE && tag !== MEAS_UNSIZED) {
      throw new SgxsError(`an SGXS stream starts with an ECREATE record, this one starts with tag 0x${tag.toString(16).padStart(16, '0')}`, pos);
    }
    switch (tag) {
      case MEAS_ECREATE:
      case MEAS_UNSIZED: {
        reserved(20, tag === MEAS_ECREATE ? 'ECREATE' : 'UNSIZED');
        if (this.sawFirst) this.violate('a second ECREATE/UNSIZED record');
        this.sawFirst = true;
        const ssa = v.getUint32(8, true);
        const size = v.getBigUint64(12, true);
        this.counts.ecreate++;
        if (tag === MEAS_UNSIZED) {
          this.unsized = true;
          this.onRecord?.({ kind: 'UNSIZED', pos, ssaFrameSize: ssa, sizeOffset: size });
        } else {
          this.ssaFrameSize = ssa;
          this.size = size;
          this.onRecord?.({ kind: 'ECREATE', pos, ssaFrameSize: ssa, size });
        }
        break;
      }
      case MEAS_EADD: {
        reserved(24, 'EADD');
        const offset = v.getBigUint64(8, true);
        const flags = v.getBigUint64(16, true);
        if ((offset & 0xfffn) !== 0n) this.violate(`EADD offset 0x${offset.toString(16)} is not page aligned`);
        if (this.lastEadd !== null && offset <= this.lastEadd) this.violate(`EADD offset 0x${offset.toString(16)} is not above the previous EADD (0x${this.lastEadd.toString(16)})`);
        if (Number((flags >> 8n) & 0xffn) === SgxPageType.TCS && (flags & SGX_SECINFO_PERMISSION_MASK) !== 0n) {
          this.violate(`EADD of a TCS at 0x${offset.toString(16)} with R/W/X set (hardware measures them as 0)`);
        }
        this.lastEadd = offset;
        this.chunksSeen = 0;
        this.counts.eadd++;
        this.onRecord?.({ kind: 'EADD', pos, offset, secinfoFlags: flags });
        break;
      }
      case MEAS_EEXTEND:
      case MEAS_UNMEASRD: {
        const name = tag === MEAS_EEXTEND ? 'EEXTEND' : 'UNMEASRD';
        reserved(16, name);
        const offset = v.getBigUint64(8, true);
        if ((offset & 0xffn) !== 0n) this.violate(`${name} offset 0x${offset.toString(16)} is not 256-byte aligned`);
        else if (this.lastEadd === null || offset >> 12n !== this.lastEadd >> 12n) this.violate(`${name} offset 0x${offset.toString(16)} is not in the page of the preceding EADD`);
        else {
          const bit = 1 << Number((offset & 0xfffn) >> 8n);
          if (this.chunksSeen & bit) this.violate(`${name} offset 0x${offset.toString(16)} repeats a chunk of its page`);
          this.chunksSeen |= bit;
        }
        const data = b.subarray(off + MEAS_RECORD_SIZE, off + MEAS_RECORD_SIZE + SGX_EEXTEND_BLOCK_SIZE);
        if (tag === MEAS_EEXTEND) {
          this.counts.eextend++;
          this.onRecord?.({ kind: 'EEXTEND', pos, offset, data });
        } else {
          measured = false;
          this.counts.unmeasured++;
          this.onRecord?.({ kind: 'UNMEASRD', pos, offset, data });
        }
        this.pos += SGX_EEXTEND_BLOCK_SIZE;
        break;
      }
      default:
        throw new SgxsError(`unknown record tag 0x${tag.toString(16).padStart(16, '0')}`, pos);
    }
    this.pos += MEAS_RECORD_SIZE;
    return measured;
  }
}

/** Measure a whole SGXS stream given as chunks. */
export function measureSgxs(chunks: Iterable<Uint8Array>, crypto: Crypto, onRecord?: (r: SgxsRecord) => void): SgxsSummary {
  const s = new SgxsScanner(crypto, onRecord);
  for (const c of chunks) s.push(c);
  return s.end();
}

/** An ESGXS UNMEASRD record (64-byte header + the 256 data bytes): loaded, not measured. */
export function unmeasuredRecord(offset: bigint, data: Uint8Array): Uint8Array {
  if (data.length !== SGX_EEXTEND_BLOCK_SIZE) throw new Error('UNMEASRD data is 256 bytes');
  const r = new Uint8Array(MEAS_RECORD_SIZE + SGX_EEXTEND_BLOCK_SIZE);
  r.set(eextendHeader(offset));
  new DataView(r.buffer).setBigUint64(0, MEAS_UNMEASRD, true);
  r.set(data, MEAS_RECORD_SIZE);
  return r;
}

// --- sgxs-info style listing (rust-sgx sgxs-tools/src/bin/sgxs-info.rs, `list-all`) ---

const SECINFO_FLAG_NAMES: [bigint, string][] = [
  [1n, 'R'],
  [2n, 'W'],
  [4n, 'X'],
  [8n, 'PENDING'],
  [0x10n, 'MODIFIED'],
  [0x20n, 'PR'],
];

/** SECINFO flags other than the page type, as bitflags' Debug prints them ("R | X", "(empty)"). */
export function secinfoFlagNames(flags: bigint): string {
  const names = SECINFO_FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0n).map(([, n]) => n);
  const rest = flags & ~0xff3fn;
  if (rest !== 0n) names.push(`0x${rest.toString(16)}`);
  return names.length ? names.join(' | ') : '(empty)';
}

/** sgxs-info's data classification: "(empty)" all zero, "[0xNN]*" all one byte, else "(data)". */
export function classifyData(data: Uint8Array): string {
  if (data.length === 0) return '(empty)';
  const first = data[0];
  for (let i = 1; i < data.length; i++) if (data[i] !== first) return '(data)';
  return first === 0 ? '(empty)' : `[0x${first.toString(16).padStart(2, '0')}]*`;
}

const hex8 = (v: bigint) => v.toString(16).padStart(8, ' ');

/** One line per record, in the format of `sgxs-info list-all`. */
export function formatRecord(r: { kind: string; ssaFrameSize?: number; size?: bigint; sizeOffset?: bigint; offset?: bigint; secinfoFlags?: bigint; data?: Uint8Array }): string {
  switch (r.kind) {
    case 'ECREATE':
      return `ECREATE size=0x${r.size!.toString(16)} ssaframesize=${r.ssaFrameSize}`;
    case 'UNSIZED':
      return `UNSIZED offset=0x${r.sizeOffset!.toString(16)} ssaframesize=${r.ssaFrameSize}`;
    case 'EADD':
      return `EADD offset=0x${hex8(r.offset!)} pagetype=${Number((r.secinfoFlags! >> 8n) & 0xffn)} flags=${secinfoFlagNames(r.secinfoFlags! & ~0xff00n)}`;
    case 'EEXTEND':
    case 'UNMEASRD':
      return `${r.kind} offset=0x${hex8(r.offset!)} data=${r.data ? classifyData(r.data) : '(data)'}`;
    default:
      throw new Error(`unknown record kind ${r.kind}`);
  }
}
