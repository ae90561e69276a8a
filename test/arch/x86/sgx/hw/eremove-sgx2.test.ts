// ENCLS[EREMOVE] and the SGX2 ENCLS leaves EAUG, EMODPR, EMODT (SDM Vol. 3D ch. 38, Dec 2023).
import { describe, expect, it } from 'vitest';
import { SgxError, SgxPageType, X86_TRAP_GP, X86_TRAP_PF } from '../../../../../src/arch/x86/sgx/arch.js';
import type { EnclsResult } from '../../../../../src/arch/x86/sgx/outcome.js';
import { secinfoBytes } from '../../../../../src/arch/x86/sgx/secinfo.js';
import { buildEnclave, expectOk, initSelftestEnclave, L, makeHw, PT_REG, PT_TCS, PT_TRIM, R, selftestSegments, W, X } from './helpers.js';

function code(r: EnclsResult<unknown>): SgxError | string {
  return r.kind === 'error' ? r.code : r.kind === 'fault' ? `#${r.vector}` : 'ok';
}

describe('EREMOVE', () => {
  it('SGX_CHILD_PRESENT for a SECS with pages; succeeds once the children are gone', () => {
    const hw = makeHw();
    const b = buildEnclave(hw, selftestSegments());
    expect(code(hw.eremove(b.secs))).toBe(SgxError.CHILD_PRESENT);
    for (const id of b.pages.values()) expectOk(hw.eremove(id));
    expect(hw.secs(b.secs)!.childCount).toBe(0);
    expectOk(hw.eremove(b.secs));
    expect(hw.validPages).toBe(0);
  });

  it('an invalid page is a no-op success; a VA page is removed; a non-EPC page is #PF', () => {
    const hw = makeHw();
    expectOk(hw.eremove(5));
    expectOk(hw.epa(5));
    expectOk(hw.eremove(5));
    expect(hw.epcm(5)).toBeUndefined();
    expect(code(hw.eremove(100000))).toBe(`#${X86_TRAP_PF}`);
  });
});

describe('EAUG', () => {
  const info = (linaddr: bigint, secs: number, extra: object = {}) => ({ linaddr, srcpge: null, secinfo: null, secs, ...extra });

  it('#UD on an SGX1 CPU', () => {
    const b = initSelftestEnclave({ sgx2: false });
    expect(code(b.hw.eaug(info(b.base + 0x10000n, b.secs), b.nextFree))).toBe('#6');
  });

  it('#GP before EINIT (the enclave must be initialized)', () => {
    const hw = makeHw();
    const b = buildEnclave(hw, selftestSegments());
    expect(code(hw.eaug(info(b.base + 0x10000n, b.secs), b.nextFree))).toBe(`#${X86_TRAP_GP}`);
  });

  it('adds a zeroed PT_REG R/W PENDING page and counts the child', () => {
    const b = initSelftestEnclave();
    const n = b.hw.secs(b.secs)!.childCount;
    expectOk(b.hw.eaug(info(b.base + 0x10000n, b.secs), b.nextFree));
    expect(b.hw.epcm(b.nextFree)).toMatchObject({ pt: SgxPageType.REG, r: true, w: true, x: false, pending: true, modified: false, linaddr: b.base + 0x10000n, secs: b.secs });
    expect(b.hw.readPage(b.nextFree).every((x) => x === 0)).toBe(true);
    expect(b.hw.secs(b.secs)!.childCount).toBe(n + 1);
  });

  it('#GP for an unaligned or out-of-ELRANGE LINADDR, a non-zero SRCPGE or SECINFO (no CET); #PF for a valid target', () => {
    const b = initSelftestEnclave();
    const t = b.nextFree;
    expect(code(b.hw.eaug(info(b.base + 0x10010n, b.secs), t))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.eaug(info(b.base + b.size, b.secs), t))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.eaug(info(b.base + 0x10000n, b.secs, { srcpge: new Uint8Array(4096) }), t))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.eaug(info(b.base + 0x10000n, b.secs, { secinfo: secinfoBytes(PT_REG | R | W) }), t))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.eaug(info(b.base + 0x10000n, b.secs), b.pages.get(L.data1)!))).toBe(`#${X86_TRAP_PF}`);
    expect(code(b.hw.eaug(info(b.base + 0x10000n, b.pages.get(L.data1)!), t))).toBe(`#${X86_TRAP_PF}`);
  });
});

describe('EMODPR', () => {
  it('restricts R/W/X and sets PR; never extends', () => {
    const b = initSelftestEnclave();
    const p = b.pages.get(L.data1)!;
    expectOk(b.hw.emodpr(secinfoBytes(R | X), p));
    expect(b.hw.epcm(p)).toMatchObject({ r: true, w: false, x: false, pr: true });
  });

  it('#GP for W without R or reserved bits; #PF for an invalid or non-REG page; SGX_PAGE_NOT_MODIFIABLE when PENDING/MODIFIED', () => {
    const b = initSelftestEnclave();
    const p = b.pages.get(L.data1)!;
    expect(code(b.hw.emodpr(secinfoBytes(W), p))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.emodpr(secinfoBytes(R | (1n << 40n)), p))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.emodpr(secinfoBytes(R), 200))).toBe(`#${X86_TRAP_PF}`);
    expect(code(b.hw.emodpr(secinfoBytes(R), b.pages.get(L.tcs1)!))).toBe(`#${X86_TRAP_PF}`);
    expectOk(b.hw.eaug({ linaddr: b.base + 0x10000n, srcpge: null, secinfo: null, secs: b.secs }, b.nextFree));
    expect(code(b.hw.emodpr(secinfoBytes(R), b.nextFree))).toBe(SgxError.PAGE_NOT_MODIFIABLE);
  });

  it('#GP on an uninitialized enclave; #UD on SGX1', () => {
    const hw = makeHw();
    const b = buildEnclave(hw, selftestSegments());
    expect(code(hw.emodpr(secinfoBytes(R), b.pages.get(L.data1)!))).toBe(`#${X86_TRAP_GP}`);
    const s1 = initSelftestEnclave({ sgx2: false });
    expect(code(s1.hw.emodpr(secinfoBytes(R), s1.pages.get(L.data1)!))).toBe('#6');
  });
});

describe('EMODT', () => {
  it('REG → TCS and REG/TCS → TRIM: MODIFIED, no permissions, PR cleared', () => {
    const b = initSelftestEnclave();
    const p = b.pages.get(L.data1)!;
    expectOk(b.hw.emodpr(secinfoBytes(R), p));
    expectOk(b.hw.etrack(b.secs));
    expectOk(b.hw.emodt(secinfoBytes(PT_TCS), b.pages.get(L.heap)!));
    expect(b.hw.epcm(b.pages.get(L.heap)!)).toMatchObject({ pt: SgxPageType.TCS, modified: true, r: false, w: false, x: false });
    expectOk(b.hw.emodt(secinfoBytes(PT_TRIM), b.pages.get(L.tcs2)!));
    expect(b.hw.epcm(b.pages.get(L.tcs2)!)).toMatchObject({ pt: SgxPageType.TRIM, modified: true });
  });

  it('#GP for a target type other than TCS/TRIM; #PF for TCS → TCS or a SECS; SGX_PAGE_NOT_MODIFIABLE when MODIFIED', () => {
    const b = initSelftestEnclave();
    const p = b.pages.get(L.data1)!;
    expect(code(b.hw.emodt(secinfoBytes(PT_REG), p))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.emodt(secinfoBytes(0n), p))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.emodt(secinfoBytes(PT_TCS), b.pages.get(L.tcs1)!))).toBe(`#${X86_TRAP_PF}`);
    expect(code(b.hw.emodt(secinfoBytes(PT_TRIM), b.secs))).toBe(`#${X86_TRAP_PF}`);
    expectOk(b.hw.emodt(secinfoBytes(PT_TRIM), p));
    expect(code(b.hw.emodt(secinfoBytes(PT_TRIM), p))).toBe(`#${X86_TRAP_PF}`); // TRIM is neither REG nor TCS
    const q = b.pages.get(L.data2)!;
    expectOk(b.hw.emodt(secinfoBytes(PT_TCS), q));
    expect(code(b.hw.emodt(secinfoBytes(PT_TRIM), q))).toBe(SgxError.PAGE_NOT_MODIFIABLE);
  });
});
