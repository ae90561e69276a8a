// ENCLS[EDBGRD] / ENCLS[EDBGWR] (SDM Vol. 3D ch. 38): what Linux sgx_vma_access() uses to let a
// debugger read and write a debug enclave 8 bytes at a time.
import { describe, expect, it } from 'vitest';
import { SGX_ATTR_DEBUG, SGX_ATTR_MODE64BIT, SgxError, X86_TRAP_GP, X86_TRAP_PF } from '../../../../../src/arch/x86/sgx/arch.js';
import type { EnclsResult } from '../../../../../src/arch/x86/sgx/outcome.js';
import { secinfoBytes } from '../../../../../src/arch/x86/sgx/secinfo.js';
import { buildEnclave, expectOk, L, makeHw, PT_TCS, PT_TRIM, selftestSegments, signedSigstruct, writeLeHashFor } from './helpers.js';

function code(r: EnclsResult<unknown>): SgxError | string {
  return r.kind === 'error' ? r.code : r.kind === 'fault' ? `#${r.vector}` : 'ok';
}

function debugEnclave(debug = true) {
  const hw = makeHw();
  const attributes = SGX_ATTR_MODE64BIT | (debug ? SGX_ATTR_DEBUG : 0n);
  const b = buildEnclave(hw, selftestSegments(), { attributes });
  const ss = signedSigstruct(hw.secs(b.secs)!.mrenclaveSoFar, { attributes });
  writeLeHashFor(hw, ss);
  expectOk(hw.einit(ss, b.secs));
  return b;
}

describe('EDBGRD / EDBGWR', () => {
  it('read and write a debug enclave\'s pages regardless of EPCM R/W/X', () => {
    const b = debugEnclave();
    const text = b.pages.get(L.text)!; // R-X: EDBGWR ignores EPCM permissions
    expectOk(b.hw.edbgwr(text, 0x10, 0xcafef00dn));
    const r = b.hw.edbgrd(text, 0x10);
    expect(r.kind === 'ok' && r.value).toBe(0xcafef00dn);
    const nop = b.hw.edbgrd(text, 0x18);
    expect(nop.kind === 'ok' && nop.value).toBe(0x9090909090909090n);
  });

  it('#GP for a production enclave, a misaligned offset, a TCS beyond its fields or other than FLAGS on write', () => {
    const p = debugEnclave(false);
    expect(code(p.hw.edbgrd(p.pages.get(L.data1)!, 0))).toBe(`#${X86_TRAP_GP}`);
    const b = debugEnclave();
    expect(code(b.hw.edbgrd(b.pages.get(L.data1)!, 4))).toBe(`#${X86_TRAP_GP}`);
    const tcs = b.pages.get(L.tcs1)!;
    const ossa = b.hw.edbgrd(tcs, 16);
    expect(ossa.kind === 'ok' && ossa.value).toBe(L.ssa1);
    expect(code(b.hw.edbgrd(tcs, 72))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.edbgwr(tcs, 16, 0n))).toBe(`#${X86_TRAP_GP}`);
    expectOk(b.hw.edbgwr(tcs, 8, 1n)); // DBGOPTIN
    expect(b.hw.tcs(tcs)!.flags).toBe(1n);
  });

  it('#PF for an invalid page or a SECS; SGX_PAGE_NOT_DEBUGGABLE for a MODIFIED page; VA slots read as in-use/free', () => {
    const b = debugEnclave();
    expect(code(b.hw.edbgrd(200, 0))).toBe(`#${X86_TRAP_PF}`);
    expect(code(b.hw.edbgrd(b.secs, 0))).toBe(`#${X86_TRAP_PF}`);
    expectOk(b.hw.emodt(secinfoBytes(PT_TCS), b.pages.get(L.heap)!)); // now PT_TCS, MODIFIED
    expect(code(b.hw.edbgrd(b.pages.get(L.heap)!, 0))).toBe(SgxError.PAGE_NOT_DEBUGGABLE);
    expectOk(b.hw.emodt(secinfoBytes(PT_TRIM), b.pages.get(L.data2)!)); // PT_TRIM is not readable at all
    expect(code(b.hw.edbgrd(b.pages.get(L.data2)!, 0))).toBe(`#${X86_TRAP_PF}`);
    const va = b.nextFree++;
    expectOk(b.hw.epa(va));
    const p = b.pages.get(L.data1)!;
    expectOk(b.hw.eblock(p));
    expectOk(b.hw.etrack(b.secs));
    expectOk(b.hw.ewb(p, { page: va, offset: 8 }));
    const used = b.hw.edbgrd(va, 8);
    const free = b.hw.edbgrd(va, 16);
    expect([used.kind === 'ok' && used.value, free.kind === 'ok' && free.value]).toEqual([0xffff_ffff_ffff_ffffn, 0n]);
    expect(code(b.hw.edbgwr(va, 8, 0n))).toBe(`#${X86_TRAP_PF}`);
  });
});
