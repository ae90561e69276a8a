// The bulk-measurement fast lane: lays out the 5184-byte record run of one fully measured page
// (EADD record, then 16 × EEXTEND header + 256 data bytes; see measure.ts) in a batch buffer,
// so SHA-256 sees one native update per ~120 KiB instead of 33 small ones per page.
//
// Laying the records out in JavaScript costs ~40 ns per typed-array call (16 copies and 16
// header writes per page), which alone is ~50% of the SHA-256 time; a tiny WebAssembly function
// does the same stores and bulk copies in ~100 ns per page. The module is assembled here from
// its instruction list (below), not shipped as an opaque blob. It is pure computation: no
// imports, deterministic. If WebAssembly is unavailable, a JavaScript lane with the same
// output is used (tests check both against a naive reference).
import { MEAS_EADD, MEAS_EEXTEND, PAGE_SIZE, SGX_EEXTEND_BLOCK_SIZE } from './arch.js';

/** Bytes of one fully measured page's records: 64 + 16 × (64 + 256). */
export const PAGE_RUN_SIZE = 64 + 16 * (64 + SGX_EEXTEND_BLOCK_SIZE);

export interface PageLane {
  /** A 4096-byte scratch page callers may fill in place before `addScratchPage`. */
  readonly scratch: Uint8Array;
  /**
   * Append the record run for the scratch page at `offset` (page aligned, < 2^53) with the
   * measured SECINFO.FLAGS given as u32 halves.
   */
  addScratchPage(offset: number, flagsLo: number, flagsHi: number): void;
  /** Bytes pending in the batch. */
  readonly pending: number;
  /** Whether another page run fits before a flush is needed. */
  readonly full: boolean;
  /** The pending bytes (a view valid until the next call); the batch is then empty. */
  take(): Uint8Array;
}

// --- a minimal WebAssembly binary writer (WebAssembly Core Specification 1.0/2.0 §5) ---
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(v: bigint): number[] {
  const out: number[] = [];
  v = BigInt.asIntN(64, v);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
const OP = {
  localGet: 0x20,
  i32Const: 0x41,
  i32Add: 0x6a,
  i32Store: 0x36,
  end: 0x0b,
  memoryCopy: [0xfc, 10, 0, 0],
} as const;
const I32 = 0x7f;

/** Memory layout of one lane instance: [0, 4096) scratch page, [4096, 4096 + 24 runs) batch. */
const WASM_PAGES = 2;
const SCRATCH = 0;
const BATCH = PAGE_SIZE;
const BATCH_END = WASM_PAGES * 65536;
const BATCH_RUNS = Math.floor((BATCH_END - BATCH) / PAGE_RUN_SIZE);

/**
 * func page(src, dst, offLo, offHi, flagsLo, flagsHi), for a batch slot `dst` that already holds
 * the run's constant bytes (the EADD and EEXTEND tags and every zero byte; written once by
 * slotTemplate() when the lane is made, and never overwritten since slots only ever hold page
 * runs): stores the EADD offset and flags, each EEXTEND's offset + 256k, and memory.copy of
 * src[256k, 256k+256) after its header. offLo + 256k never carries into offHi: offsets are page
 * aligned and 256k < 4096.
 */
function buildModule(): Uint8Array {
  const [SRC, DST, LO, HI, FLO, FHI] = [0, 1, 2, 3, 4, 5];
  const get = (i: number) => [OP.localGet, i];
  const st32 = (off: number) => [OP.i32Store, 0, ...uleb(off)];
  const b: number[] = [];
  b.push(...get(DST), ...get(LO), ...st32(8), ...get(DST), ...get(HI), ...st32(12));
  b.push(...get(DST), ...get(FLO), ...st32(16), ...get(DST), ...get(FHI), ...st32(20));
  for (let k = 0; k < 16; k++) {
    const h = 64 + k * 320;
    b.push(...get(DST), ...get(LO), OP.i32Const, ...sleb(BigInt(k * 256)), OP.i32Add, ...st32(h + 8));
    b.push(...get(DST), ...get(HI), ...st32(h + 12));
    b.push(...get(DST), OP.i32Const, ...sleb(BigInt(h + 64)), OP.i32Add);
    b.push(...get(SRC), OP.i32Const, ...sleb(BigInt(k * 256)), OP.i32Add);
    b.push(OP.i32Const, ...sleb(256n), ...OP.memoryCopy);
  }
  b.push(OP.end);
  const fn = [...uleb(0), ...b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), ...vec([])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(WASM_PAGES)]])),
    ...section(7, vec([[...name('mem'), 0x02, 0], [...name('page'), 0x00, 0]])),
    ...section(10, vec([[...uleb(fn.length), ...fn]])),
  ]);
}

/** The constant bytes of a page run: the EADD and 16 EEXTEND tags; everything else zero. */
function slotTemplate(): Uint8Array {
  const t = new Uint8Array(PAGE_RUN_SIZE);
  const v = new DataView(t.buffer);
  v.setBigUint64(0, MEAS_EADD, true);
  for (let k = 0; k < 16; k++) v.setBigUint64(64 + k * 320, MEAS_EEXTEND, true);
  return t;
}

// Minimal typings for the WebAssembly JS API (not in lib ES2022).
interface WasmInstance {
  exports: { mem: { buffer: ArrayBuffer }; page: (...a: number[]) => void };
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => WasmInstance;
}

let wasmModule: object | null | undefined;
function getModule(): object | null {
  if (wasmModule === undefined) {
    const W = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    try {
      wasmModule = W ? new W.Module(buildModule()) : null;
    } catch {
      wasmModule = null; // WebAssembly disabled or without bulk-memory: use the JS lane
    }
  }
  return wasmModule;
}

class WasmLane implements PageLane {
  readonly scratch: Uint8Array;
  private readonly mem: Uint8Array;
  private readonly fn: (...a: number[]) => void;
  private len = 0;
  constructor(mod: object) {
    const W = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const inst = new W.Instance(mod, {});
    this.mem = new Uint8Array(inst.exports.mem.buffer);
    this.fn = inst.exports.page;
    this.scratch = this.mem.subarray(SCRATCH, SCRATCH + PAGE_SIZE);
    const t = slotTemplate();
    for (let i = 0; i < BATCH_RUNS; i++) this.mem.set(t, BATCH + i * PAGE_RUN_SIZE);
  }
  get pending(): number {
    return this.len;
  }
  get full(): boolean {
    return this.len + PAGE_RUN_SIZE > BATCH_RUNS * PAGE_RUN_SIZE;
  }
  addScratchPage(offset: number, flagsLo: number, flagsHi: number): void {
    if (this.full) throw new Error('page lane full: take() first');
    this.fn(SCRATCH, BATCH + this.len, offset >>> 0, Math.floor(offset / 0x1_0000_0000), flagsLo, flagsHi);
    this.len += PAGE_RUN_SIZE;
  }
  take(): Uint8Array {
    const v = this.mem.subarray(BATCH, BATCH + this.len);
    this.len = 0;
    return v;
  }
}

class JsLane implements PageLane {
  readonly scratch = new Uint8Array(PAGE_SIZE);
  private readonly buf = new Uint8Array(BATCH_RUNS * PAGE_RUN_SIZE);
  private readonly view = new DataView(this.buf.buffer);
  private len = 0;
  get pending(): number {
    return this.len;
  }
  get full(): boolean {
    return this.len + PAGE_RUN_SIZE > this.buf.length;
  }
  addScratchPage(offset: number, flagsLo: number, flagsHi: number): void {
    if (this.full) throw new Error('page lane full: take() first');
    const flags = (BigInt(flagsHi) << 32n) | BigInt(flagsLo);
    const b = this.buf;
    const v = this.view;
    let o = this.len;
    b.fill(0, o, o + PAGE_RUN_SIZE);
    v.setBigUint64(o, MEAS_EADD, true);
    v.setBigUint64(o + 8, BigInt(offset), true);
    v.setBigUint64(o + 16, flags, true);
    o += 64;
    for (let k = 0; k < 16; k++) {
      v.setBigUint64(o, MEAS_EEXTEND, true);
      v.setBigUint64(o + 8, BigInt(offset + k * 256), true);
      b.set(this.scratch.subarray(k * 256, k * 256 + 256), o + 64);
      o += 320;
    }
    this.len = o;
  }
  take(): Uint8Array {
    const v = this.buf.subarray(0, this.len);
    this.len = 0;
    return v;
  }
}

/** A new lane: WebAssembly when available (unless `forceJs`), else JavaScript. */
export function newPageLane(forceJs = false): PageLane {
  const mod = forceJs ? null : getModule();
  return mod ? new WasmLane(mod) : new JsLane();
}

/** Whether the WebAssembly lane is in use on this platform. */
export function wasmLaneAvailable(): boolean {
  return getModule() !== null;
}
