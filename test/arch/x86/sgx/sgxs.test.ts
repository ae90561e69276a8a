// SGXS import (streaming scanner) and export (the Mrenclave tap), against streams laid out
// independently from the record tables (test/enclave/ref-stream.ts) and the rules of
// fortanix/rust-sgx doc/SGXS.md.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../../../src/platform/node/crypto.js';
import { Mrenclave } from '../../../../src/arch/x86/sgx/measure.js';
import { classifyData, formatRecord, measureSgxs, SgxsError, unmeasuredRecord, type SgxsRecord } from '../../../../src/arch/x86/sgx/sgxs.js';
import { refRecords, refTcs, le, type RefPage } from '../../../enclave/ref-stream.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function page(seed: number): Uint8Array {
  return new Uint8Array(4096).map((_, i) => (i * seed + 3) & 0xff);
}
const PAGES: RefPage[] = [
  { off: 0n, flags: 0x100n, data: refTcs({ ossa: 0x3000n, nssa: 1, oentry: 0x1000n }) },
  { off: 0x1000n, flags: 0x205n, data: page(5) },
  { off: 0x2000n, flags: 0x203n },
  { off: 0x3000n, flags: 0x203n, data: new Uint8Array(4096).fill(0x90) },
];
const STREAM = refRecords(1, 0x4000n, PAGES);

/** Split a buffer at the given cut points. */
function split(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const pts = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...pts, b.length]) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('SGXS import', () => {
  it('MRENCLAVE is SHA-256 of the stream (doc/SGXS.md), for any chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        const s = measureSgxs(split(STREAM, cuts), nodeCrypto);
        expect(hex(s.mrenclave)).toBe(sha(STREAM));
        expect(s.counts).toEqual({ ecreate: 1, eadd: 4, eextend: 48, unmeasured: 0 });
        expect([s.ssaFrameSize, s.size, s.bytes, s.canonical]).toEqual([1, 0x4000n, STREAM.length, true]);
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips with export: the Mrenclave tap writes the same bytes', () => {
    const parts: Uint8Array[] = [];
    const m = new Mrenclave(nodeCrypto, { tap: (b) => parts.push(Uint8Array.from(b)) });
    m.ecreate(1, 0x4000n);
    for (const p of PAGES) m.addPage(p.off, p.flags, p.data);
    const d = m.finalize();
    expect(hex(Buffer.concat(parts))).toBe(hex(STREAM));
    expect(hex(d)).toBe(sha(STREAM));
  });

  it('ESGXS UNMEASRD records are skipped by the measurement', () => {
    const extra = unmeasuredRecord(0x2000n, new Uint8Array(256).fill(7));
    // insert after the EADD of page 0x2000: ECREATE(64) + TCS page(64+16*320) + page(64+16*320) + EADD(64)
    const at = 64 + 2 * (64 + 16 * 320) + 64;
    const es = Buffer.concat([STREAM.subarray(0, at), extra, STREAM.subarray(at)]);
    const recs: string[] = [];
    const s = measureSgxs([es], nodeCrypto, (r) => recs.push(r.kind));
    expect(hex(s.mrenclave)).toBe(sha(STREAM));
    expect(s.counts.unmeasured).toBe(1);
    expect(recs.filter((k) => k === 'UNMEASRD')).toHaveLength(1);
    expect(Array.from(extra.subarray(0, 8))).toEqual(Array.from(Buffer.from('UNMEASRD')));
  });

  it('rejects malformed streams with the byte position', () => {
    const bad = (b: Uint8Array, re: RegExp) => {
      expect(() => measureSgxs([b], nodeCrypto)).toThrow(SgxsError);
      expect(() => measureSgxs([b], nodeCrypto)).toThrow(re);
    };
    bad(new Uint8Array(0), /empty stream/);
    bad(STREAM.subarray(0, STREAM.length - 1), /^byte \d+: truncated record/);
    bad(STREAM.subarray(64), /^byte 0: an SGXS stream starts with an ECREATE record/);
    const t = Buffer.from(STREAM);
    t.write('BOGUSTAG', 64, 'latin1');
    bad(t, /^byte 64: unknown record tag 0x4741545355474f42$/);
    const r = Buffer.from(STREAM);
    r[64 + 30] = 1; // EADD reserved byte
    bad(r, /^byte 64: EADD record has non-zero bytes in 24\.\.63/);
    const u = Buffer.from(STREAM);
    u.write('UNSIZED\0', 0, 'latin1');
    bad(u, /UNSIZED/);
  });

  it('reports canonicality violations but still measures', () => {
    const ecreate = STREAM.subarray(0, 64);
    const eadd = (off: bigint, flags: bigint) => Buffer.from([...Buffer.from('EADD\0\0\0\0', 'latin1'), ...le(off, 8), ...le(flags, 8), ...new Array(40).fill(0)]);
    const eext = (off: bigint) => Buffer.concat([Buffer.from([...Buffer.from('EEXTEND\0', 'latin1'), ...le(off, 8), ...new Array(48).fill(0)]), Buffer.alloc(256)]);
    const s = Buffer.concat([ecreate, eadd(0x2000n, 0x203n), eext(0x2000n), eext(0x2000n), eext(0x3000n), eadd(0x1000n, 0x103n), eadd(0x1800n, 0x201n), Buffer.from(ecreate)]);
    const r = measureSgxs([s], nodeCrypto);
    expect(hex(r.mrenclave)).toBe(sha(s));
    expect(r.canonical).toBe(false);
    expect(r.violations).toEqual([
      // ECREATE 0..64, EADD 64..128, EEXTEND 128..448, 448..768, 768..1088, EADD 1088, 1152, ECREATE 1216
      'byte 448: EEXTEND offset 0x2000 repeats a chunk of its page',
      'byte 768: EEXTEND offset 0x3000 is not in the page of the preceding EADD',
      'byte 1088: EADD offset 0x1000 is not above the previous EADD (0x2000)',
      'byte 1088: EADD of a TCS at 0x1000 with R/W/X set (hardware measures them as 0)',
      'byte 1152: EADD offset 0x1800 is not page aligned',
      'byte 1216: a second ECREATE/UNSIZED record',
    ]);
  });
});

describe('sgxs-info list-all format', () => {
  it('formats each record kind', () => {
    const lines: string[] = [];
    measureSgxs([STREAM], nodeCrypto, (r: SgxsRecord) => lines.push(formatRecord(r)));
    expect(lines[0]).toBe('ECREATE size=0x4000 ssaframesize=1');
    expect(lines[1]).toBe('EADD offset=0x       0 pagetype=1 flags=(empty)');
    expect(lines[2]).toBe('EEXTEND offset=0x       0 data=(data)');
    expect(lines[3]).toBe('EEXTEND offset=0x     100 data=(empty)');
    expect(lines[18]).toBe('EADD offset=0x    1000 pagetype=2 flags=R | X');
    expect(lines[35]).toBe('EADD offset=0x    2000 pagetype=2 flags=R | W');
    expect(lines[37]).toBe('EEXTEND offset=0x    3000 data=[0x90]*');
    expect(lines).toHaveLength(1 + 4 + 48);
    expect(classifyData(new Uint8Array(0))).toBe('(empty)');
  });
});

describe('robustness', () => {
  it('random bytes give SgxsError or a summary, never a crash', () => {
    const tags = ['ECREATE\0', 'EADD\0\0\0\0', 'EEXTEND\0', 'UNMEASRD', 'UNSIZED\0'].map((t) => Buffer.from(t, 'latin1'));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(4), fc.uint8Array({ minLength: 0, maxLength: 330 })), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 5 }), (recs, cuts) => {
        const b = Buffer.concat(recs.map(([t, body]) => Buffer.concat([tags[t], body])));
        try {
          measureSgxs(split(b, cuts), nodeCrypto);
        } catch (e) {
          expect(e).toBeInstanceOf(SgxsError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
