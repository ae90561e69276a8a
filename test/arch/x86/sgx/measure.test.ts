// MRENCLAVE cross-checked against an independent reference: a plain SHA-256 over a record
// stream laid out byte by byte here from the tables in the reference notes
// (sgx-measurement-sigstruct-einit.md, "Implications" A; SDM ECREATE/EADD/EEXTEND), not with the
// code under test.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../../../src/platform/node/crypto.js';
import {
  Mrenclave,
  eaddRecord,
  eextendHeader,
  ecreateRecord,
  type MeasurementRecord,
} from '../../../../src/arch/x86/sgx/measure.js';
import { wasmLaneAvailable } from '../../../../src/arch/x86/sgx/measure-lane.js';

// ---- the independent reference ----
const ascii = (s: string, len: number): number[] => {
  const out = new Array<number>(len).fill(0);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};
/** Unsigned little-endian encoding by repeated division (no DataView). */
const le = (v: bigint | number, len: number): number[] => {
  let x = BigInt(v);
  const out: number[] = [];
  for (let i = 0; i < len; i++) {
    out.push(Number(x % 256n));
    x /= 256n;
  }
  return out;
};
const zeros = (n: number): number[] => new Array<number>(n).fill(0);
// Table: ECREATE = "ECREATE\0" | SSAFRAMESIZE u32 | SIZE u64 | 44 zero bytes.
const refEcreate = (ssa: number, size: bigint) => [...ascii('ECREATE', 8), ...le(ssa, 4), ...le(size, 8), ...zeros(44)];
// Table: EADD = "EADD\0\0\0\0" | offset u64 | SECINFO.FLAGS u64 (TCS: R/W/X = 0) | 40 zero bytes.
const refEadd = (off: bigint, flags: bigint) => [...ascii('EADD', 8), ...le(off, 8), ...le(flags, 8), ...zeros(40)];
// Table: EEXTEND = "EEXTEND\0" | offset u64 | 48 zero bytes, then the 256 data bytes.
const refEextend = (off: bigint, data: Uint8Array) => [...ascii('EEXTEND', 8), ...le(off, 8), ...zeros(48), ...data];

const hex = (b: Uint8Array | number[]) => Buffer.from(b).toString('hex');
const refHash = (stream: number[]) => createHash('sha256').update(Uint8Array.from(stream)).digest('hex');

/** A deterministic page of bytes from a seed (xorshift32). */
function pagePattern(seed: number): Uint8Array {
  const p = new Uint8Array(4096);
  let x = seed | 1;
  for (let i = 0; i < 4096; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    p[i] = x & 0xff;
  }
  return p;
}

describe('measurement records match the reference tables', () => {
  it('ECREATE: tag, SSAFRAMESIZE at 8 (u32), SIZE at 12 (u64, unaligned)', () => {
    expect(hex(ecreateRecord(1, 0x2000n))).toBe(hex(refEcreate(1, 0x2000n)));
    const r = ecreateRecord(2, 0x1_0000_0000n);
    expect(Array.from(r.subarray(0, 8))).toEqual([0x45, 0x43, 0x52, 0x45, 0x41, 0x54, 0x45, 0x00]);
    expect(r[8]).toBe(2);
    expect(Array.from(r.subarray(12, 20))).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
  });
  it('EADD: tag, offset, flags; TCS permissions forced to 0 (SDM EADD)', () => {
    expect(hex(eaddRecord(0x3000n, 0x205n))).toBe(hex(refEadd(0x3000n, 0x205n)));
    expect(hex(eaddRecord(0n, 0x107n))).toBe(hex(refEadd(0n, 0x100n)));
    expect(Array.from(eaddRecord(0n, 0x100n).subarray(0, 8))).toEqual([0x45, 0x41, 0x44, 0x44, 0, 0, 0, 0]);
  });
  it('EEXTEND header: tag and chunk offset', () => {
    expect(hex(eextendHeader(0x1100n))).toBe(hex(refEextend(0x1100n, new Uint8Array(0))));
    expect(Array.from(eextendHeader(0n).subarray(0, 8))).toEqual([0x45, 0x45, 0x58, 0x54, 0x45, 0x4e, 0x44, 0x00]);
  });
  it('rejects misaligned offsets and out-of-range values', () => {
    expect(() => eaddRecord(0x10n, 0x201n)).toThrow(/page aligned/);
    expect(() => eextendHeader(0x80n)).toThrow(/256-byte/);
    expect(() => ecreateRecord(-1, 0x2000n)).toThrow(/u32/);
    expect(() => ecreateRecord(1, 1n << 64n)).toThrow(/u64/);
  });
});

/** A page to add: offset, SECINFO flags, contents (undefined = unmeasured, EADD only). */
interface P {
  off: bigint;
  flags: bigint;
  data?: Uint8Array;
}

function refStream(ssa: number, size: bigint, pages: P[]): number[] {
  const s = refEcreate(ssa, size);
  for (const p of pages) {
    const isTcs = (p.flags >> 8n) === 1n;
    s.push(...refEadd(p.off, isTcs ? p.flags & ~7n : p.flags));
    if (p.data) for (let k = 0; k < 16; k++) s.push(...refEextend(p.off + BigInt(k * 256), p.data.subarray(k * 256, k * 256 + 256)));
  }
  return s;
}

function tcsPage(ossa: bigint, nssa: number, oentry: bigint): Uint8Array {
  const t = new Uint8Array(4096);
  t.set(le(ossa, 8), 16);
  t.set(le(nssa, 4), 28);
  t.set(le(oentry, 8), 32);
  t.set(le(0xffffffff, 4), 64);
  t.set(le(0xffffffff, 4), 68);
  return t;
}

const lanes = wasmLaneAvailable() ? [false, true] : [true];

describe.each(lanes)('Mrenclave (forceJsLane=%s)', (forceJsLane) => {
  // Two TCS, RX text, R rodata, RW data, an unmeasured RW heap, and a hole (sparse layout).
  const layout: P[] = [
    { off: 0x0000n, flags: 0x100n, data: tcsPage(0x10000n, 2, 0x4000n) },
    { off: 0x1000n, flags: 0x100n, data: tcsPage(0x12000n, 2, 0x4000n) },
    { off: 0x4000n, flags: 0x205n, data: pagePattern(1) },
    { off: 0x5000n, flags: 0x205n, data: pagePattern(2) },
    { off: 0x6000n, flags: 0x201n, data: pagePattern(3) },
    { off: 0x8000n, flags: 0x203n, data: pagePattern(4) },
    { off: 0x9000n, flags: 0x203n, data: new Uint8Array(4096) },
    { off: 0x10000n, flags: 0x203n },
    { off: 0x11000n, flags: 0x203n },
    { off: 0x12000n, flags: 0x203n },
    { off: 0x1f000n, flags: 0x203n },
  ];
  const expected = refHash(refStream(1, 0x20000n, layout));

  it('bulk addPage equals the reference stream hash', () => {
    const m = new Mrenclave(nodeCrypto, undefined, { forceJsLane });
    m.ecreate(1, 0x20000n);
    for (const p of layout) m.addPage(p.off, p.flags, p.data);
    expect(hex(m.finalize())).toBe(expected);
  });

  it('per-instruction eadd/eextend equals the reference, and TCS SECINFO with permissions measures as 0x100', () => {
    const m = new Mrenclave(nodeCrypto, undefined, { forceJsLane });
    m.ecreate(1, 0x20000n);
    for (const p of layout) {
      m.eadd(p.off, (p.flags >> 8n) === 1n ? p.flags | 7n : p.flags);
      if (p.data) for (let k = 0; k < 16; k++) m.eextend(p.off + BigInt(k * 256), p.data.subarray(k * 256, k * 256 + 256));
    }
    expect(hex(m.finalize())).toBe(expected);
    // update counter: 1 + per page 1 (+ 16 × 5 when measured)
    const measured = layout.filter((p) => p.data).length;
    expect(m.updateCount).toBe(1 + layout.length + measured * 80);
  });

  it('finalize does not consume the running state', () => {
    const m = new Mrenclave(nodeCrypto, undefined, { forceJsLane });
    m.ecreate(1, 0x20000n);
    m.addPage(0n, 0x100n, tcsPage(0x1000n, 1, 0n));
    const a = hex(m.finalize());
    expect(hex(m.finalize())).toBe(a);
    m.addPage(0x1000n, 0x203n);
    expect(hex(m.finalize())).toBe(refHash(refStream(1, 0x20000n, [
      { off: 0n, flags: 0x100n, data: tcsPage(0x1000n, 1, 0n) },
      { off: 0x1000n, flags: 0x203n },
    ])));
  });

  it('log lists every record and tap reproduces the stream (SGXS)', () => {
    const log: MeasurementRecord[] = [];
    const chunks: string[] = [];
    const parts: Uint8Array[] = [];
    const m = new Mrenclave(nodeCrypto, { log: (r) => (log.push(r), r.kind === 'EEXTEND' && chunks.push(hex(r.data))), tap: (b) => parts.push(Uint8Array.from(b)) }, { forceJsLane });
    m.ecreate(1, 0x20000n);
    for (const p of layout) m.addPage(p.off, p.flags, p.data);
    m.finalize();
    expect(hex(Buffer.concat(parts))).toBe(hex(refStream(1, 0x20000n, layout)));
    expect(log[0]).toEqual({ kind: 'ECREATE', ssaFrameSize: 1, size: 0x20000n });
    expect(log[1]).toEqual({ kind: 'EADD', offset: 0n, secinfoFlags: 0x100n });
    expect(log[2]).toMatchObject({ kind: 'EEXTEND', offset: 0n });
    expect(log[17]).toMatchObject({ kind: 'EEXTEND', offset: 0xf00n });
    expect(log.length).toBe(1 + layout.length + 16 * layout.filter((p) => p.data).length);
    // Each EEXTEND log record carries the chunk it measured.
    const want = layout.flatMap((p) => (p.data ? [...Array(16).keys()].map((k) => hex(p.data!.subarray(k * 256, k * 256 + 256))) : []));
    expect(chunks).toEqual(want);
  });

  it('clone shares nothing mutable with the original', () => {
    const m = new Mrenclave(nodeCrypto, undefined, { forceJsLane });
    m.ecreate(1, 0x20000n);
    m.addPage(0n, 0x100n, tcsPage(0x1000n, 1, 0n));
    m.addPage(0x1000n, 0x205n, pagePattern(9)); // pending in the lane
    const c = m.clone();
    m.addPage(0x2000n, 0x203n, pagePattern(10));
    c.addPage(0x2000n, 0x201n);
    const base: P[] = [
      { off: 0n, flags: 0x100n, data: tcsPage(0x1000n, 1, 0n) },
      { off: 0x1000n, flags: 0x205n, data: pagePattern(9) },
    ];
    expect(hex(m.finalize())).toBe(refHash(refStream(1, 0x20000n, [...base, { off: 0x2000n, flags: 0x203n, data: pagePattern(10) }])));
    expect(hex(c.finalize())).toBe(refHash(refStream(1, 0x20000n, [...base, { off: 0x2000n, flags: 0x201n }])));
    expect(c.updateCount).toBe(1 + 2 + 2 * 80 + 1);
  });

  it('addPages (segment fast path) equals addPage per page, with and without a log, and unmeasured runs', () => {
    const pages = [pagePattern(11), pagePattern(12), pagePattern(13)];
    const want = refHash(refStream(1, 0x100000n, [
      ...pages.map((d, i) => ({ off: 0x40000n + BigInt(i * 4096), flags: 0x205n, data: d })),
      { off: 0x80000n, flags: 0x203n },
      { off: 0x81000n, flags: 0x203n },
    ]));
    for (const logged of [false, true]) {
      const seen: MeasurementRecord[] = [];
      const m = new Mrenclave(nodeCrypto, logged ? { log: (r) => seen.push(r) } : undefined, { forceJsLane });
      m.ecreate(1, 0x100000n);
      m.addPages(0x40000n, 3, 0x205n, (dst, i) => dst.set(pages[i]));
      m.addPages(0x50000n, 0, 0x205n, () => {
        throw new Error('not called');
      });
      m.addPages(0x80000n, 2, 0x203n);
      expect(hex(m.finalize())).toBe(want);
      expect(m.updateCount).toBe(1 + 5 + 3 * 80);
      if (logged) expect(seen.length).toBe(1 + 5 + 48);
    }
    const m = new Mrenclave(nodeCrypto, undefined, { forceJsLane });
    m.ecreate(1, 0x100000n);
    expect(() => m.addPages(0x40010n, 1, 0x205n, () => {})).toThrow(/page aligned/);
    expect(() => m.addPages(0n, -1, 0x205n)).toThrow(/page count/);
  });

  it('offsets above 2^53 take the exact path', () => {
    const off = (1n << 60n) + 0x3000n;
    const m = new Mrenclave(nodeCrypto, undefined, { forceJsLane });
    m.ecreate(1, 1n << 61n);
    m.addPage(off, 0x203n, pagePattern(5));
    m.addPages(off + 0x1000n, 1, 0x203n, (d) => d.set(pagePattern(6)));
    expect(hex(m.finalize())).toBe(refHash(refStream(1, 1n << 61n, [
      { off, flags: 0x203n, data: pagePattern(5) },
      { off: off + 0x1000n, flags: 0x203n, data: pagePattern(6) },
    ])));
  });

  it('records before ECREATE and bad chunk sizes are internal errors', () => {
    const m = new Mrenclave(nodeCrypto, undefined, { forceJsLane });
    expect(() => m.eadd(0n, 0x201n)).toThrow(/before ECREATE/);
    m.ecreate(1, 0x2000n);
    expect(() => m.eextend(0n, new Uint8Array(255))).toThrow(/256/);
    expect(() => m.addPage(0n, 0x201n, new Uint8Array(100))).toThrow(/4096/);
  });

  it('property: any layout, mixing bulk and per-instruction calls and partial EEXTEND, equals the reference', () => {
    const flagsArb = fc.constantFrom(0x100n, 0x107n, 0x201n, 0x203n, 0x205n, 0x207n);
    const pageArb = fc.record({
      slot: fc.integer({ min: 0, max: 300 }),
      flags: flagsArb,
      seed: fc.integer({ min: 1, max: 1 << 30 }),
      mode: fc.constantFrom('bulk', 'instr', 'unmeasured', 'partial'),
      chunks: fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 16 }),
    });
    fc.assert(
      fc.property(fc.array(pageArb, { maxLength: 40 }), fc.integer({ min: 0, max: 10 }), (pages, ssa) => {
        const m = new Mrenclave(nodeCrypto, undefined, { forceJsLane });
        m.ecreate(ssa, 0x200000n);
        const stream = refEcreate(ssa, 0x200000n);
        for (const p of pages) {
          const off = BigInt(p.slot * 4096);
          const data = pagePattern(p.seed);
          const mf = (p.flags >> 8n) === 1n ? p.flags & ~7n : p.flags;
          stream.push(...refEadd(off, mf));
          if (p.mode === 'bulk') {
            m.addPage(off, p.flags, data);
            for (let k = 0; k < 16; k++) stream.push(...refEextend(off + BigInt(k * 256), data.subarray(k * 256, k * 256 + 256)));
          } else if (p.mode === 'unmeasured') {
            m.addPage(off, p.flags);
          } else {
            m.eadd(off, p.flags);
            const ks = p.mode === 'instr' ? [...Array(16).keys()] : p.chunks;
            for (const k of ks) {
              const c = data.subarray(k * 256, k * 256 + 256);
              m.eextend(off + BigInt(k * 256), c);
              stream.push(...refEextend(off + BigInt(k * 256), c));
            }
          }
        }
        expect(hex(m.finalize())).toBe(refHash(stream));
        expect(m.updateCount * 64).toBe(stream.length);
      }),
      { numRuns: 60 },
    );
  });
});
