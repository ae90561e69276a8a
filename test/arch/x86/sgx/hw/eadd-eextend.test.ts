// ENCLS[EADD] and ENCLS[EEXTEND] (SDM Vol. 3D ch. 38 EADD, EEXTEND, Dec 2023). The MRENCLAVE the
// hardware model accumulates is checked against an independent reference: plain SHA-256 over
// records laid out byte by byte from the tables in the reference notes
// (sgx-measurement-sigstruct-einit.md "Implications" A), not through measure.ts.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SGX_ATTR_MODE64BIT, SgxPageType, TCS_OFF, X86_TRAP_GP, X86_TRAP_PF } from '../../../../../src/arch/x86/sgx/arch.js';
import { secsBytes } from '../../../../../src/arch/x86/sgx/encls.js';
import type { EnclsResult } from '../../../../../src/arch/x86/sgx/outcome.js';
import { secinfoBytes } from '../../../../../src/arch/x86/sgx/secinfo.js';
import { buildEnclave, expectOk, hexOf, makeHw, PT_REG, PT_TCS, R, signedSigstruct, tcsPage, W, writeLeHashFor, X, type Segment } from './helpers.js';

// --- independent reference --------------------------------------------------------------------
function u64le(v: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
}
function refEcreate(ssaFrameSize: number, size: bigint): Uint8Array {
  const r = new Uint8Array(64);
  r.set([0x45, 0x43, 0x52, 0x45, 0x41, 0x54, 0x45, 0x00]); // "ECREATE\0"
  r.set([ssaFrameSize & 0xff, (ssaFrameSize >> 8) & 0xff, 0, 0], 8);
  r.set(u64le(size), 12);
  return r;
}
function refEadd(offset: bigint, flags: bigint): Uint8Array {
  const r = new Uint8Array(64);
  r.set([0x45, 0x41, 0x44, 0x44, 0, 0, 0, 0]); // "EADD"
  r.set(u64le(offset), 8);
  r.set(u64le(flags), 16);
  return r;
}
function refEextend(offset: bigint, chunk: Uint8Array): Uint8Array {
  const r = new Uint8Array(64 + 256);
  r.set([0x45, 0x45, 0x58, 0x54, 0x45, 0x4e, 0x44, 0x00]); // "EEXTEND\0"
  r.set(u64le(offset), 8);
  r.set(chunk, 64);
  return r;
}
function reference(size: bigint, segs: { offset: bigint; flags: bigint; data: Uint8Array; measure: boolean }[]): string {
  const h = createHash('sha256').update(refEcreate(1, size));
  for (const s of segs) {
    h.update(refEadd(s.offset, s.flags));
    if (s.measure) for (let c = 0; c < 16; c++) h.update(refEextend(s.offset + BigInt(c * 256), s.data.subarray(c * 256, c * 256 + 256)));
  }
  return h.digest('hex');
}
function pattern(seed: number): Uint8Array {
  return Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + seed * 17 + (i >> 8)) & 0xff);
}

describe('MRENCLAVE accumulated by EADD/EEXTEND', () => {
  it('equals SHA-256 over explicitly laid-out records: TCS, R, RX, RW, unmeasured, sparse offsets', () => {
    const hw = makeHw();
    const tcs = tcsPage(0x2000n, 0x3000n);
    const segs: Segment[] = [
      { offset: 0x0000n, flags: PT_TCS, data: tcs, measure: true, pte: { w: true, x: false } },
      { offset: 0x2000n, flags: PT_REG | R, data: pattern(1), measure: true, pte: { w: false, x: false } },
      { offset: 0x3000n, flags: PT_REG | R | X, data: pattern(2), measure: true, pte: { w: false, x: true } },
      { offset: 0x9000n, flags: PT_REG | R | W, data: pattern(3), measure: true, pte: { w: true, x: false } },
      { offset: 0x1f000n, flags: PT_REG | R | W, data: pattern(4), measure: false, pte: { w: true, x: false } },
    ];
    const b = buildEnclave(hw, segs, { size: 0x20000n });
    const expected = reference(0x20000n, segs.map((s) => ({ offset: s.offset, flags: s.flags, data: s.data!, measure: s.measure })));
    expect(hexOf(hw.secs(b.secs)!.mrenclaveSoFar)).toBe(expected);
    // 1 ECREATE + 5 EADD + 4 pages × 16 × 5 blocks (SDM: EEXTEND adds 5 to the update counter).
    expect(hw.secs(b.secs)!.measurementUpdates).toBe(1 + 5 + 4 * 16 * 5);
  });

  it('measures a TCS as EADD forces it: R/W/X 0 in the record, DBGOPTIN/CSSA/AEP/STATE zeroed before EEXTEND', () => {
    const hw = makeHw();
    const dirty = tcsPage(0x1000n, 0x2000n);
    const v = new DataView(dirty.buffer);
    v.setBigUint64(TCS_OFF.state, 5n, true);
    v.setBigUint64(TCS_OFF.flags, 1n, true); // DBGOPTIN
    v.setUint32(TCS_OFF.ssaIndex, 3, true);
    v.setBigUint64(TCS_OFF.exitAddr, 0xdeadn, true);
    // A TCS SECINFO with R|W|X: hardware accepts it and forces the permissions to 0.
    const b = buildEnclave(hw, [{ offset: 0n, flags: PT_TCS | R | W | X, data: dirty, measure: true, pte: { w: true, x: false } }], { size: 0x2000n });
    const clean = tcsPage(0x1000n, 0x2000n);
    expect(hexOf(hw.secs(b.secs)!.mrenclaveSoFar)).toBe(reference(0x2000n, [{ offset: 0n, flags: PT_TCS, data: clean, measure: true }]));
    expect(hexOf(hw.readPage(b.pages.get(0n)!))).toBe(hexOf(clean));
    const e = hw.epcm(b.pages.get(0n)!)!;
    expect([e.pt, e.r, e.w, e.x]).toEqual([SgxPageType.TCS, false, false, false]);
  });

  it('EEXTEND may measure chunks in any order; the record carries the chunk offset', () => {
    const hw = makeHw();
    const data = pattern(9);
    const b = buildEnclave(hw, [{ offset: 0x1000n, flags: PT_REG | R, data, measure: false, pte: { w: false, x: false } }], { size: 0x2000n });
    const page = b.pages.get(0x1000n)!;
    expectOk(hw.eextend(b.secs, page, 0xf00));
    expectOk(hw.eextend(b.secs, page, 0x000));
    const h = createHash('sha256').update(refEcreate(1, 0x2000n)).update(refEadd(0x1000n, PT_REG | R));
    h.update(refEextend(0x1f00n, data.subarray(0xf00, 0x1000))).update(refEextend(0x1000n, data.subarray(0, 0x100)));
    expect(hexOf(hw.secs(b.secs)!.mrenclaveSoFar)).toBe(h.digest('hex'));
  });
});

function freshSecs(): { hw: ReturnType<typeof makeHw>; secs: number } {
  const hw = makeHw();
  expectOk(hw.ecreate({ linaddr: 0n, srcpge: secsBytes({ size: 0x4000n, base: 0x10000n, attributes: SGX_ATTR_MODE64BIT }), secinfo: secinfoBytes(0n), secs: null }, 0));
  return { hw, secs: 0 };
}
function add(hw: ReturnType<typeof makeHw>, flags: bigint | Uint8Array, o: { linaddr?: bigint; page?: number; data?: Uint8Array; secs?: number } = {}): EnclsResult {
  return hw.eadd({ linaddr: o.linaddr ?? 0x10000n, srcpge: o.data ?? new Uint8Array(4096), secinfo: typeof flags === 'bigint' ? secinfoBytes(flags) : flags, secs: o.secs ?? 0 }, o.page ?? 1);
}
function expectFault(r: EnclsResult, vector: number, reason: RegExp): void {
  expect(r.kind).toBe('fault');
  if (r.kind === 'fault') {
    expect(r.vector).toBe(vector);
    expect(r.reason).toMatch(reason);
  }
}

describe('EADD checks (SDM order)', () => {
  it('#PF if RCX is not an EPC page', () => expectFault(add(freshSecs().hw, PT_REG | R, { page: 99999 }), X86_TRAP_PF, /EPC/));
  it('#GP if LINADDR is not page aligned', () => expectFault(add(freshSecs().hw, PT_REG | R, { linaddr: 0x10010n }), X86_TRAP_GP, /page aligned/));
  it('#PF if PAGEINFO.SECS is not an EPC page', () => expectFault(add(freshSecs().hw, PT_REG | R, { secs: 100000 }), X86_TRAP_PF, /SECS/));

  it('#GP for SECINFO reserved bits/bytes and PT other than REG/TCS', () => {
    const { hw } = freshSecs();
    expectFault(add(hw, PT_REG | R | (1n << 16n)), X86_TRAP_GP, /reserved bits/);
    const s = secinfoBytes(PT_REG | R);
    s[63] = 1;
    expectFault(add(hw, s), X86_TRAP_GP, /reserved byte 63/);
    for (const pt of [0n, 3n, 4n, 5n]) expectFault(add(hw, (pt << 8n) | R), X86_TRAP_GP, /not PT_REG or PT_TCS/);
    // Model choice (reference notes §1.3): PENDING/MODIFIED/PR are reserved for EADD.
    for (const b of [8n, 0x10n, 0x20n]) expectFault(add(hw, PT_REG | R | b), X86_TRAP_GP, /reserved bits/);
  });

  it('#PF if the target EPC page is already valid, or PAGEINFO.SECS is not a SECS', () => {
    const { hw } = freshSecs();
    expectFault(add(hw, PT_REG | R, { page: 0 }), X86_TRAP_PF, /in use/);
    expectOk(add(hw, PT_REG | R, { page: 1 }));
    expectFault(add(hw, PT_REG | R, { page: 2, secs: 1, linaddr: 0x11000n }), X86_TRAP_PF, /PT_SECS/);
  });

  it('#GP for a TCS with reserved bytes set', () => {
    const { hw } = freshSecs();
    const t = tcsPage(0x1000n, 0x2000n);
    t[72] = 1;
    expectFault(add(hw, PT_TCS, { data: t }), X86_TRAP_GP, /TCS reserved byte 72/);
    expectOk(add(hw, PT_TCS, { data: tcsPage(0x1000n, 0x2000n) }));
  });

  it('#GP for a PT_REG page with W but not R', () => expectFault(add(freshSecs().hw, PT_REG | W), X86_TRAP_GP, /W without R/));

  it('#GP if LINADDR is outside ELRANGE', () => {
    const { hw } = freshSecs();
    expectFault(add(hw, PT_REG | R, { linaddr: 0xf000n }), X86_TRAP_GP, /outside ELRANGE/);
    expectFault(add(hw, PT_REG | R, { linaddr: 0x14000n }), X86_TRAP_GP, /outside ELRANGE/);
    expectOk(add(hw, PT_REG | R, { linaddr: 0x13000n }));
  });

  it('#GP after EINIT (pages cannot be EADDed to an initialized enclave)', () => {
    const { hw, secs } = freshSecs();
    const ss = signedSigstruct(hw.secs(secs)!.mrenclaveSoFar);
    writeLeHashFor(hw, ss);
    expectOk(hw.einit(ss, secs));
    expectFault(add(hw, PT_REG | R), X86_TRAP_GP, /already initialized/);
    expectFault(hw.eextend(secs, secs, 0), X86_TRAP_PF, /PT_REG or PT_TCS/);
  });

  it('records the EPCM entry and counts the SECS child', () => {
    const { hw, secs } = freshSecs();
    expectOk(add(hw, PT_REG | R | X, { linaddr: 0x12000n, data: pattern(5) }));
    const e = hw.epcm(1)!;
    expect(e).toMatchObject({ pt: SgxPageType.REG, r: true, w: false, x: true, pending: false, modified: false, blocked: false, secs: 0, linaddr: 0x12000n });
    expect(hexOf(hw.readPage(1))).toBe(hexOf(pattern(5)));
    expect(hw.secs(secs)!.childCount).toBe(1);
  });
});

describe('EEXTEND checks', () => {
  it('#GP for a chunk offset that is not 256-aligned; #PF for invalid or non-REG/TCS pages; #GP for the wrong SECS', () => {
    const { hw, secs } = freshSecs();
    expectOk(add(hw, PT_REG | R));
    expectFault(hw.eextend(secs, 1, 0x80), X86_TRAP_GP, /256-byte/);
    expectFault(hw.eextend(secs, 5, 0), X86_TRAP_PF, /VALID = 0/);
    expectFault(hw.eextend(secs, 0, 0), X86_TRAP_PF, /PT_REG or PT_TCS/);
    expectOk(hw.ecreate({ linaddr: 0n, srcpge: secsBytes({ size: 0x4000n, base: 0x10000n }), secinfo: secinfoBytes(0n), secs: null }, 7));
    expectFault(hw.eextend(7, 1, 0), X86_TRAP_GP, /not the SECS/);
    expectFault(hw.eextend(99999, 1, 0), X86_TRAP_PF, /RBX/);
  });
});
