// MRENCLAVE: the SECS's running SHA-256 over 64-byte measurement records.
//
// SDM Vol. 3D 38.x (ECREATE, EADD, EEXTEND, EINIT pseudocode): ECREATE does SHA256INITIALIZE
// and absorbs one 64-byte block; EADD absorbs one 64-byte block; EEXTEND absorbs a 64-byte
// header block then the 256-byte chunk as four 64-byte blocks; EINIT does
// SHA256FINAL(MRENCLAVE, update_count * 512), which is ordinary SHA-256 padding because every
// record is a whole number of 64-byte blocks. So MRENCLAVE = SHA-256(record stream), and the
// record stream is exactly a Fortanix SGXS file (rust-sgx doc/SGXS.md).
// Record layouts: reference notes sgx-measurement-sigstruct-einit.md §1 and "Implications" A;
// the same layouts in Linux tools/testing/selftests/sgx/sigstruct.c (struct mrecreate,
// mreadd, mreextend).
import type { Crypto, Sha256 } from '../../../platform/crypto.js';
import {
  MEAS_EADD,
  MEAS_ECREATE,
  MEAS_EEXTEND,
  PAGE_SIZE,
  SGX_EEXTEND_BLOCK_SIZE,
  SGX_SECINFO_PAGE_TYPE_MASK,
  SGX_SECINFO_PAGE_TYPE_SHIFT,
  SGX_SECINFO_PERMISSION_MASK,
  SGX_TCS_DBGOPTIN,
  SgxPageType,
  TCS_OFF,
} from './arch.js';
import { PAGE_RUN_SIZE, newPageLane, type PageLane } from './measure-lane.js';

export const MEAS_RECORD_SIZE = 64;
/** One EEXTEND record: 64-byte header then 256 data bytes. */
export const EEXTEND_RECORD_SIZE = MEAS_RECORD_SIZE + SGX_EEXTEND_BLOCK_SIZE;
/** EEXTEND chunks per 4 KiB page. */
export const EEXTEND_CHUNKS_PER_PAGE = PAGE_SIZE / SGX_EEXTEND_BLOCK_SIZE;
/** Bytes one fully measured page contributes to the stream: EADD + 16 EEXTEND records (5184). */
export const MEASURED_PAGE_STREAM_SIZE = MEAS_RECORD_SIZE + EEXTEND_CHUNKS_PER_PAGE * EEXTEND_RECORD_SIZE;

const U32_MAX = 0xffff_ffffn;
/** Largest page offset the batching lane takes (offsets are doubles there): 2^53 - 4096. */
const MAX_LANE_OFFSET_NUM = Number.MAX_SAFE_INTEGER - 0xfff;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

function checkU64(v: bigint, what: string): void {
  if (v < 0n || v > U64_MAX) throw new Error(`${what} ${v} is not a u64`);
}

/**
 * ECREATE's record (SDM ECREATE: TMPUPDATEFIELD[63:0] = "ECREATE\0", [95:64] = SECS.SSAFRAMESIZE
 * (in pages), [159:96] = SECS.SIZE, rest 0; Linux struct mrecreate is packed, so SIZE sits at
 * byte 12, unaligned). CET_LEG_BITMAP_OFFSET (bytes 20..27 for CET enclaves) is out of scope.
 */
export function ecreateRecord(ssaFrameSize: number, size: bigint): Uint8Array {
  if (!Number.isInteger(ssaFrameSize) || ssaFrameSize < 0 || BigInt(ssaFrameSize) > U32_MAX) {
    throw new Error(`SSA frame size ${ssaFrameSize} is not a u32`);
  }
  checkU64(size, 'SECS.SIZE');
  const r = new Uint8Array(MEAS_RECORD_SIZE);
  const v = new DataView(r.buffer);
  v.setBigUint64(0, MEAS_ECREATE, true);
  v.setUint32(8, ssaFrameSize, true);
  v.setBigUint64(12, size, true);
  return r;
}

/**
 * SECINFO.FLAGS as EADD measures it. SDM EADD: for PT_TCS the CPU sets SCRATCH_SECINFO.FLAGS.R/W/X
 * to 0 before the SHA256UPDATE. This function applies that forcing, so callers may pass the
 * SECINFO they were given (the Linux driver already rejects TCS SECINFO with permissions,
 * sgx_validate_secinfo(), arch/x86/kernel/cpu/sgx/ioctl.c, so software and hardware agree).
 */
export function measuredSecinfoFlags(secinfoFlags: bigint): bigint {
  const type = Number((secinfoFlags & SGX_SECINFO_PAGE_TYPE_MASK) >> SGX_SECINFO_PAGE_TYPE_SHIFT);
  return type === SgxPageType.TCS ? secinfoFlags & ~SGX_SECINFO_PERMISSION_MASK : secinfoFlags;
}

/**
 * EADD's record (SDM EADD: [63:0] = "EADD\0\0\0\0", [127:64] = page offset (LINADDR - SECS.BASEADDR),
 * [511:128] = the first 48 bytes of SECINFO, i.e. FLAGS (u64) then 40 reserved bytes, which EADD
 * requires to be zero). TCS pages: R/W/X are forced to 0 here (see measuredSecinfoFlags).
 */
export function eaddRecord(offset: bigint, secinfoFlags: bigint): Uint8Array {
  checkU64(offset, 'EADD offset');
  checkU64(secinfoFlags, 'SECINFO.FLAGS');
  if (offset % BigInt(PAGE_SIZE) !== 0n) throw new Error(`EADD offset 0x${offset.toString(16)} is not page aligned`);
  const r = new Uint8Array(MEAS_RECORD_SIZE);
  const v = new DataView(r.buffer);
  v.setBigUint64(0, MEAS_EADD, true);
  v.setBigUint64(8, offset, true);
  v.setBigUint64(16, measuredSecinfoFlags(secinfoFlags), true);
  return r;
}

/**
 * EEXTEND's header record (SDM EEXTEND: [63:0] = "EEXTEND\0", [127:64] = offset of the 256-byte
 * chunk within the enclave, rest 0). The chunk's 256 bytes follow it in the stream.
 */
export function eextendHeader(offset: bigint): Uint8Array {
  checkU64(offset, 'EEXTEND offset');
  if (offset % BigInt(SGX_EEXTEND_BLOCK_SIZE) !== 0n) throw new Error(`EEXTEND offset 0x${offset.toString(16)} is not 256-byte aligned`);
  const r = new Uint8Array(MEAS_RECORD_SIZE);
  const v = new DataView(r.buffer);
  v.setBigUint64(0, MEAS_EEXTEND, true);
  v.setBigUint64(8, offset, true);
  return r;
}

/**
 * What EADD stores for a TCS page (SDM EADD: for PT_TCS the CPU zeroes TCS.FLAGS.DBGOPTIN, CSSA,
 * AEP and STATE in the EPC copy before anything can EEXTEND it). Applied in place to a 4096-byte page.
 */
export function applyEaddTcsFixup(page: Uint8Array): void {
  if (page.length !== PAGE_SIZE) throw new Error('a TCS is one page');
  const v = new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
  v.setBigUint64(TCS_OFF.flags, v.getBigUint64(TCS_OFF.flags, true) & ~SGX_TCS_DBGOPTIN, true);
  v.setUint32(TCS_OFF.ssaIndex, 0, true);
  v.setBigUint64(TCS_OFF.exitAddr, 0n, true);
  v.setBigUint64(TCS_OFF.state, 0n, true);
}

/** One measurement record, as a log line lists it (like Fortanix `sgxs-info dump`). */
export type MeasurementRecord =
  | { readonly kind: 'ECREATE'; readonly ssaFrameSize: number; readonly size: bigint }
  | { readonly kind: 'EADD'; readonly offset: bigint; readonly secinfoFlags: bigint }
  /** `data` is the 256-byte chunk, valid only during the log call. */
  | { readonly kind: 'EEXTEND'; readonly offset: bigint; readonly data: Uint8Array };

export interface MrenclaveObservers {
  /** Called once per record, in order. */
  log?: (record: MeasurementRecord) => void;
  /**
   * Receives the raw record stream (the SGXS bytes) in order, in pieces of any size. The array
   * is only valid during the call (it may be a reused buffer): copy or write it out before returning.
   */
  tap?: (bytes: Uint8Array) => void;
}

/**
 * The SECS's running measurement (SDM: SECS.MRENCLAVE plus the update counter).
 *
 * Single records (ecreate/eadd/eextend, what the ENCLS model calls) go straight to SHA-256, so
 * a fresh clone holds nothing but the hash state. Bulk page measurement (addPage/addPageWith,
 * what `sgxsim measure` and signing use) goes through a batching lane (measure-lane.ts) that
 * is flushed before any other record, finalize() and clone(), so the stream order and the
 * observable state are exactly the SDM's.
 */
export class Mrenclave {
  private h: Sha256 | null = null;
  private lane: PageLane | null = null;
  private blocks = 0;
  private readonly observers: MrenclaveObservers | undefined;

  constructor(
    private readonly crypto: Crypto,
    observers?: MrenclaveObservers,
    private readonly options: { forceJsLane?: boolean } = {},
  ) {
    this.observers = observers;
  }

  /** Whether ECREATE has initialised the hash. */
  get created(): boolean {
    return this.h !== null;
  }

  /** The SDM's update counter: the number of 64-byte blocks absorbed so far. */
  get updateCount(): number {
    return this.blocks;
  }

  /** ECREATE: SHA256INITIALIZE, then absorb the ECREATE record. Re-initialises if called again. */
  ecreate(ssaFrameSize: number, size: bigint): void {
    const rec = ecreateRecord(ssaFrameSize, size);
    this.flushLane();
    this.h = this.crypto.sha256();
    this.blocks = 0;
    this.observers?.log?.({ kind: 'ECREATE', ssaFrameSize, size });
    this.absorb(rec);
  }

  /** EADD: absorb the EADD record (TCS permissions forced to 0). */
  eadd(offset: bigint, secinfoFlags: bigint): void {
    this.requireCreated('EADD');
    const rec = eaddRecord(offset, secinfoFlags);
    this.flushLane();
    this.observers?.log?.({ kind: 'EADD', offset, secinfoFlags: measuredSecinfoFlags(secinfoFlags) });
    this.absorb(rec);
  }

  /** EEXTEND: absorb the header and the 256-byte chunk at `offset`. */
  eextend(offset: bigint, chunk: Uint8Array): void {
    this.requireCreated('EEXTEND');
    if (chunk.length !== SGX_EEXTEND_BLOCK_SIZE) throw new Error(`EEXTEND chunk is ${chunk.length} bytes, not 256`);
    const hdr = eextendHeader(offset);
    this.flushLane();
    this.observers?.log?.({ kind: 'EEXTEND', offset, data: chunk });
    this.absorb(hdr);
    this.absorb(chunk);
  }

  /**
   * EADD one page, then (if `page` is given) EEXTEND its 16 chunks in ascending order: what
   * every loader and signing tool does per page (reference notes §1.4). Equivalent to eadd()
   * followed by 16 eextend() calls, but batched.
   */
  addPage(offset: bigint, secinfoFlags: bigint, page?: Uint8Array): void {
    if (page === undefined) {
      this.eadd(offset, secinfoFlags);
      return;
    }
    if (page.length !== PAGE_SIZE) throw new Error(`page is ${page.length} bytes, not ${PAGE_SIZE}`);
    this.bulk(offset, secinfoFlags, page, null);
  }

  /**
   * Like addPage(offset, flags, contents) where `fill(dst)` writes the 4096 contents bytes into
   * `dst` (a reused scratch page, possibly not zeroed; valid only during the call). Lets a
   * reader put file data straight where the measurement reads it.
   */
  addPageWith(offset: bigint, secinfoFlags: bigint, fill: (dst: Uint8Array) => void): void {
    this.bulk(offset, secinfoFlags, null, fill);
  }

  /**
   * Measure `count` consecutive pages from `offset` with the same SECINFO flags: EADD each and,
   * if `fill` is given, EEXTEND all 16 chunks of the bytes `fill(dst, i)` writes for page i (dst
   * is a reused scratch page, valid only during the call). Equivalent to `count` addPage calls;
   * the fast path for whole segments (no per-page bigint arithmetic).
   */
  addPages(offset: bigint, count: number, secinfoFlags: bigint, fill?: (dst: Uint8Array, index: number) => void): void {
    if (!Number.isSafeInteger(count) || count < 0) throw new Error(`page count ${count} is not a non-negative integer`);
    const end = offset + BigInt(count) * BigInt(PAGE_SIZE);
    if (fill === undefined || this.observers?.log !== undefined || offset < 0n || end - BigInt(PAGE_SIZE) > BigInt(MAX_LANE_OFFSET_NUM)) {
      for (let i = 0; i < count; i++) {
        const off = offset + BigInt(i * PAGE_SIZE);
        if (fill === undefined) this.eadd(off, secinfoFlags);
        else this.bulk(off, secinfoFlags, null, (dst) => fill(dst, i));
      }
      return;
    }
    if (count === 0) return;
    this.requireCreated('EADD');
    eaddRecord(offset, secinfoFlags); // validates alignment and ranges once
    if (secinfoFlags !== this.flagsIn) this.setFlags(secinfoFlags);
    const lane = this.lane ?? (this.lane = newPageLane(this.options.forceJsLane));
    const base = Number(offset);
    const lo = this.flagsLo;
    const hi = this.flagsHi;
    for (let i = 0; i < count; i++) {
      if (lane.full) this.flushLane();
      fill(lane.scratch, i);
      lane.addScratchPage(base + i * PAGE_SIZE, lo, hi);
    }
    this.blocks += count * (PAGE_RUN_SIZE / MEAS_RECORD_SIZE);
  }

  private setFlags(secinfoFlags: bigint): void {
    this.flagsIn = secinfoFlags;
    this.flagsMeasured = measuredSecinfoFlags(secinfoFlags);
    this.flagsLo = Number(this.flagsMeasured & 0xffff_ffffn);
    this.flagsHi = Number(this.flagsMeasured >> 32n);
  }

  // Cache of the last SECINFO.FLAGS seen by bulk(): the measured value split into u32 halves.
  private flagsIn = -1n;
  private flagsMeasured = 0n;
  private flagsLo = 0;
  private flagsHi = 0;

  private bulk(offset: bigint, secinfoFlags: bigint, page: Uint8Array | null, fill: ((dst: Uint8Array) => void) | null): void {
    if (this.h === null) this.requireCreated('EADD');
    // Number(offset) is exact below MAX_LANE_OFFSET and rounds (and so fails a check) above it.
    const off = Number(offset);
    if (!(off >= 0 && off <= MAX_LANE_OFFSET_NUM && off % PAGE_SIZE === 0) || (secinfoFlags !== this.flagsIn && (secinfoFlags < 0n || secinfoFlags > U64_MAX))) {
      // Invalid (eaddRecord throws) or beyond 2^53 (the lane works on doubles): record by record.
      const rec = eaddRecord(offset, secinfoFlags);
      const data = new Uint8Array(PAGE_SIZE);
      if (page) data.set(page);
      else fill!(data);
      this.flushLane();
      this.observers?.log?.({ kind: 'EADD', offset, secinfoFlags: measuredSecinfoFlags(secinfoFlags) });
      this.absorb(rec);
      for (let k = 0; k < EEXTEND_CHUNKS_PER_PAGE; k++) {
        const o = k * SGX_EEXTEND_BLOCK_SIZE;
        this.eextend(offset + BigInt(o), data.subarray(o, o + SGX_EEXTEND_BLOCK_SIZE));
      }
      return;
    }
    if (secinfoFlags !== this.flagsIn) this.setFlags(secinfoFlags);
    const lane = this.lane ?? (this.lane = newPageLane(this.options.forceJsLane));
    if (lane.full) this.flushLane();
    if (page) lane.scratch.set(page);
    else fill!(lane.scratch);
    const log = this.observers?.log;
    if (log) {
      log({ kind: 'EADD', offset, secinfoFlags: this.flagsMeasured });
      for (let k = 0; k < EEXTEND_CHUNKS_PER_PAGE; k++) {
        const o = k * SGX_EEXTEND_BLOCK_SIZE;
        log({ kind: 'EEXTEND', offset: offset + BigInt(o), data: lane.scratch.subarray(o, o + SGX_EEXTEND_BLOCK_SIZE) });
      }
    }
    lane.addScratchPage(off, this.flagsLo, this.flagsHi);
    this.blocks += PAGE_RUN_SIZE / MEAS_RECORD_SIZE;
  }

  /** The MRENCLAVE value EINIT would commit now (SHA256FINAL of a copy; the running state is kept). */
  finalize(): Uint8Array {
    this.requireCreated('finalize');
    this.flushLane();
    return this.h!.copy().digest();
  }

  /** An independent copy (observers are not copied: the clone has none; its lane starts empty). */
  clone(): Mrenclave {
    const c = new Mrenclave(this.crypto, undefined, this.options);
    if (this.h !== null) {
      this.flushLane();
      c.h = this.h.copy();
    }
    c.blocks = this.blocks;
    return c;
  }

  private requireCreated(what: string): void {
    if (this.h === null) throw new Error(`${what} before ECREATE: the measurement is not initialised`);
  }

  private absorb(bytes: Uint8Array): void {
    this.h!.update(bytes);
    this.observers?.tap?.(bytes);
    this.blocks += bytes.length / MEAS_RECORD_SIZE;
  }

  private flushLane(): void {
    if (this.lane === null || this.lane.pending === 0) return;
    const bytes = this.lane.take();
    this.h!.update(bytes);
    this.observers?.tap?.(bytes);
  }
}
