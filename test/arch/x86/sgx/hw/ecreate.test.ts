// ENCLS[ECREATE]: one test per check of the SDM pseudocode (Vol. 3D 38.x ECREATE, Dec 2023).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SGX_ATTR_DEBUG, SGX_ATTR_EINITTOKENKEY, SGX_ATTR_INIT, SGX_ATTR_KSS, SGX_ATTR_MODE64BIT, SGX_ATTR_PROVISIONKEY, SgxPageType, X86_TRAP_GP, X86_TRAP_PF } from '../../../../../src/arch/x86/sgx/arch.js';
import { secsBytes } from '../../../../../src/arch/x86/sgx/encls.js';
import type { EnclsResult } from '../../../../../src/arch/x86/sgx/outcome.js';
import { enclsReturnValue } from '../../../../../src/arch/x86/sgx/outcome.js';
import { secinfoBytes } from '../../../../../src/arch/x86/sgx/secinfo.js';
import type { SgxCpuOptions } from '../../../../../src/arch/x86/sgx/cpu.js';
import { expectOk, hexOf, makeHw } from './helpers.js';

type SecsFields = Parameters<typeof secsBytes>[0];
const GOOD: SecsFields = { size: 0x2000n, base: 0x4000_0000n, ssaFrameSize: 1, attributes: SGX_ATTR_MODE64BIT, xfrm: 3n };

function create(fields: Partial<SecsFields> = {}, opts: { cfg?: SgxCpuOptions; patch?: (b: Uint8Array) => void; linaddr?: bigint; secinfo?: Uint8Array; page?: number } = {}): EnclsResult {
  const hw = makeHw(opts.cfg);
  const src = secsBytes({ ...GOOD, ...fields });
  opts.patch?.(src);
  return hw.ecreate({ linaddr: opts.linaddr ?? 0n, srcpge: src, secinfo: opts.secinfo ?? secinfoBytes(0n), secs: null }, opts.page ?? 0);
}

function expectGp(r: EnclsResult, reason: RegExp): void {
  expect(r.kind).toBe('fault');
  if (r.kind !== 'fault') return;
  expect(r.vector).toBe(X86_TRAP_GP);
  expect(r.reason).toMatch(reason);
  // Linux encls.h: ENCLS_FAULT_FLAG | trapnr.
  expect(enclsReturnValue(r)).toBe(0x4000_0000 | 13);
}

describe('ECREATE', () => {
  it('creates a SECS page: EPCM PT_SECS, no permissions, MRENCLAVE = SHA-256 of the ECREATE record', () => {
    const hw = makeHw();
    expectOk(hw.ecreate({ linaddr: 0n, srcpge: secsBytes(GOOD), secinfo: secinfoBytes(0n), secs: null }, 3));
    const e = hw.epcm(3)!;
    expect([e.pt, e.r, e.w, e.x, e.blocked, e.pending, e.modified]).toEqual([SgxPageType.SECS, false, false, false, false, false, false]);
    // Record per reference notes "Implications" A: "ECREATE\0", SSAFRAMESIZE u32 @8, SIZE u64 @12, zeros.
    const rec = new Uint8Array(64);
    rec.set([0x45, 0x43, 0x52, 0x45, 0x41, 0x54, 0x45, 0x00], 0);
    rec[8] = 1;
    rec[12 + 1] = 0x20; // 0x2000 little-endian
    expect(hexOf(hw.secs(3)!.mrenclaveSoFar)).toBe(createHash('sha256').update(rec).digest('hex'));
    expect(hw.secs(3)!.measurementUpdates).toBe(1);
  });

  it('gives each enclave a fresh EID', () => {
    const hw = makeHw();
    expectOk(hw.ecreate({ linaddr: 0n, srcpge: secsBytes(GOOD), secinfo: secinfoBytes(0n), secs: null }, 0));
    expectOk(hw.ecreate({ linaddr: 0n, srcpge: secsBytes(GOOD), secinfo: secinfoBytes(0n), secs: null }, 1));
    expect(hw.secs(1)!.eid).toBe(hw.secs(0)!.eid + 1n);
  });

  it('#PF if RCX does not resolve within the EPC or the page is in use', () => {
    const r = create({}, { page: 100000 });
    expect(r.kind === 'fault' && r.vector).toBe(X86_TRAP_PF);
    const hw = makeHw();
    expectOk(hw.ecreate({ linaddr: 0n, srcpge: secsBytes(GOOD), secinfo: secinfoBytes(0n), secs: null }, 0));
    const again = hw.ecreate({ linaddr: 0n, srcpge: secsBytes(GOOD), secinfo: secinfoBytes(0n), secs: null }, 0);
    expect(again.kind === 'fault' && again.vector).toBe(X86_TRAP_PF);
  });

  it('#GP if PAGEINFO.LINADDR or PAGEINFO.SECS is not 0', () => {
    expectGp(create({}, { linaddr: 0x1000n }), /LINADDR/);
  });

  it('#GP if SECINFO is not PT_SECS or has reserved bits', () => {
    expectGp(create({}, { secinfo: secinfoBytes(0x200n) }), /PT_SECS/);
    expectGp(create({}, { secinfo: secinfoBytes(1n << 16n) }), /reserved/);
    const s = secinfoBytes(0n);
    s[20] = 1;
    expectGp(create({}, { secinfo: s }), /reserved byte 20/);
  });

  it('#GP unless XFRM bits 1:0 are set and XFRM is legal and supported', () => {
    expectGp(create({ xfrm: 1n }), /XFRM bits 1:0/);
    expectGp(create({ xfrm: 0xe3n }), /XFRM is illegal.*AVX/);
    expectGp(create({ xfrm: 0x7n }, { cfg: { xfrmSupported: 3n } }), /does not support/);
    expectOk(create({ xfrm: 0xe7n }));
  });

  it('#GP if MISCSELECT selects an unsupported component', () => {
    expectGp(create({ miscselect: 2 }), /MISCSELECT/);
    expectGp(create({ miscselect: 1 }, { cfg: { miscselectSupported: 0 } }), /MISCSELECT/);
    expectOk(create({ miscselect: 1 }));
  });

  it('#GP if SSAFRAMESIZE cannot hold XSAVE(XFRM) + GPRSGX + MISC', () => {
    expectGp(create({ ssaFrameSize: 0 }), /SSAFRAMESIZE 0/);
    // AMX: 11008 + 184 bytes need 3 pages.
    const cfg = { xfrmSupported: 0x600e7n };
    expectGp(create({ xfrm: 0x600e7n, ssaFrameSize: 2 }, { cfg }), /11192 bytes/);
    expectOk(create({ xfrm: 0x600e7n, ssaFrameSize: 3 }, { cfg }));
  });

  it('#GP if BASEADDR is not canonical (64-bit) or above 4 GiB (32-bit)', () => {
    expectGp(create({ base: 0x0000_8000_0000_0000n }), /not canonical/);
    expectOk(create({ base: 0xffff_8000_0000_0000n }));
    expectGp(create({ base: 0x1_0000_0000n, attributes: 0n }), /above 4 GiB/);
    expectOk(create({ base: 0x8000_0000n, attributes: 0n }));
  });

  it('#GP if SIZE ≥ 2^CPUID.(12H,0):EDX[15:8] (64-bit) or EDX[7:0] (32-bit)', () => {
    expectGp(create({ size: 1n << 36n, base: 0n }), /2\^36/);
    expectOk(create({ size: 1n << 35n, base: 0n }));
    expectGp(create({ size: 1n << 31n, base: 0n, attributes: 0n }), /2\^31/);
  });

  it('#GP unless SIZE is a power of two of at least 8192', () => {
    expectGp(create({ size: 0x1000n }), /power of two/);
    expectGp(create({ size: 0x3000n }), /power of two/);
    expectGp(create({ size: 0n }), /power of two/);
  });

  it('#GP unless BASEADDR is naturally aligned to SIZE', () => {
    expectGp(create({ size: 0x10000n, base: 0x4000_8000n }), /aligned/);
    expectOk(create({ size: 0x10000n, base: 0x4001_0000n }));
  });

  it('#GP for ATTRIBUTES bits outside CR_SGX_ATTRIBUTES_MASK: INIT, reserved, unsupported KSS', () => {
    expectGp(create({ attributes: SGX_ATTR_MODE64BIT | SGX_ATTR_INIT }), /CR_SGX_ATTRIBUTES_MASK/);
    expectGp(create({ attributes: SGX_ATTR_MODE64BIT | (1n << 3n) }), /CR_SGX_ATTRIBUTES_MASK/);
    expectGp(create({ attributes: SGX_ATTR_MODE64BIT | (1n << 8n) }), /CR_SGX_ATTRIBUTES_MASK/);
    expectGp(create({ attributes: SGX_ATTR_MODE64BIT | SGX_ATTR_KSS }), /CR_SGX_ATTRIBUTES_MASK/);
    expectOk(create({ attributes: SGX_ATTR_MODE64BIT | SGX_ATTR_KSS }, { cfg: { kss: true } }));
    expectOk(create({ attributes: SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG | SGX_ATTR_PROVISIONKEY | SGX_ATTR_EINITTOKENKEY }));
  });

  it('#GP if a reserved SECS field is not zero', () => {
    for (const off of [24, 47, 100, 170, 262, 4095]) expectGp(create({}, { patch: (b) => (b[off] = 1) }), new RegExp(`reserved byte ${off}`));
    // MRENCLAVE/MRSIGNER/ISV fields in the source are not checked (ECREATE overwrites them).
    expectOk(create({}, { patch: (b) => b.fill(7, 64, 96) }));
  });

  it('#GP if CONFIGID/CONFIGSVN are set without KSS', () => {
    expectGp(create({ configSvn: 1 }), /CONFIGID/);
    expectGp(create({ configId: new Uint8Array(64).fill(1) }), /CONFIGID/);
    expectOk(create({ configSvn: 1, attributes: SGX_ATTR_MODE64BIT | SGX_ATTR_KSS }, { cfg: { kss: true } }));
  });

  it('#UD without SGX', () => {
    const r = create({}, { cfg: { sgx1: false, sgx2: false } });
    expect(r.kind === 'fault' && r.vector).toBe(6);
  });
});
