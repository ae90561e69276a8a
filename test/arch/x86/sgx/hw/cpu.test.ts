// Platform configuration and CPUID leaf 0x12 (SDM Vol. 3D "Discovering Support for Intel SGX"), XSAVE sizes (SDM Vol. 1 13.4).
import { describe, expect, it } from 'vitest';
import { cpuidSgxLeaf, DEFAULT_SGX_CPU, INTEL_LE_PUBKEY_HASH, sgxCpuConfig, ssaFrameBytesNeeded, xfrmIllegalReason, xsaveSize } from '../../../../../src/arch/x86/sgx/cpu.js';
import { SGX_ATTR_KSS } from '../../../../../src/arch/x86/sgx/arch.js';
import { makeHw } from './helpers.js';

describe('platform configuration', () => {
  it('defaults: SGX1+SGX2+FLC, no KSS, reset LE hash = KVM/QEMU default', () => {
    const c = sgxCpuConfig();
    expect([c.sgx1, c.sgx2, c.flc, c.kss]).toEqual([true, true, true, false]);
    // KVM arch/x86/kvm/vmx/sgx.c setup_default_sgx_lepubkeyhash(); fixtures/sgx/README.md.
    expect(c.lePubKeyHash).toEqual([0xa6053e051270b7acn, 0x6cfbe8ba8b3b413dn, 0xc4916d99f2b3735dn, 0xd4f8c05909f9bb3bn]);
    expect(INTEL_LE_PUBKEY_HASH).toBe(DEFAULT_SGX_CPU.lePubKeyHash);
    expect(makeHw().readMsr(0x8c)).toBe(0xa6053e051270b7acn);
  });

  it('kss adds ATTRIBUTES.KSS to the attribute mask', () => {
    expect(sgxCpuConfig({ kss: true }).attributesSupported & SGX_ATTR_KSS).toBe(SGX_ATTR_KSS);
    expect(sgxCpuConfig().attributesSupported & SGX_ATTR_KSS).toBe(0n);
  });

  it('rejects inconsistent configurations with a readable message', () => {
    expect(() => sgxCpuConfig({ sgx1: false, sgx2: true })).toThrow(/SGX2 CPU also has SGX1/);
    expect(() => sgxCpuConfig({ epcPages: 0 })).toThrow(/positive integer/);
    expect(() => sgxCpuConfig({ epcSections: [{ base: 0x1001n, pages: 1 }] })).toThrow(/page aligned/);
    expect(() => sgxCpuConfig({ epcSections: [{ base: 0x1000n, pages: 4 }, { base: 0x3000n, pages: 1 }] })).toThrow(/overlap/);
    expect(() => sgxCpuConfig({ attributesSupported: 1n })).toThrow(/INIT/);
    expect(() => sgxCpuConfig({ xcr0: 0x7n, xfrmSupported: 0x3n })).toThrow(/subset/);
    expect(() => sgxCpuConfig({ epcSections: Array.from({ length: 9 }, (_, i) => ({ base: BigInt(i) << 20n, pages: 1 })) })).toThrow(/at most 8/);
  });
});

describe('CPUID.(EAX=12H)', () => {
  // Decoding as Linux does it: sgx_calc_section_metric(low, high) =
  // (low & GENMASK(31, 12)) + ((high & GENMASK(19, 0)) << 32) (arch/x86/kernel/cpu/sgx/main.c).
  const metric = (low: number, high: number): bigint => BigInt(low & 0xfffff000) + (BigInt(high & 0xfffff) << 32n);

  it('sub-leaf 0/1 report SGX1/SGX2, MISCSELECT, max sizes, ATTRIBUTES and XFRM', () => {
    const c = sgxCpuConfig({ sgx2: false });
    const s0 = cpuidSgxLeaf(c, 0);
    expect(s0.eax & 3).toBe(1);
    expect(s0.ebx).toBe(1); // EXINFO
    expect(s0.edx).toBe(31 | (36 << 8));
    const s1 = cpuidSgxLeaf(sgxCpuConfig(), 1);
    expect(BigInt(s1.eax) | (BigInt(s1.ebx) << 32n)).toBe(0x36n);
    expect(BigInt(s1.ecx) | (BigInt(s1.edx) << 32n)).toBe(0x2e7n);
  });

  it('EPC sections decode back to base and size; the sub-leaf after the last is invalid (type 0)', () => {
    const c = sgxCpuConfig({ epcSections: [{ base: 0x7020_0000n, pages: 0x5d80 }, { base: 0x1_2345_6000n << 4n, pages: 0x100000 }] });
    for (const [i, s] of c.epcSections.entries()) {
      const r = cpuidSgxLeaf(c, 2 + i);
      expect(r.eax & 0xf).toBe(1); // SGX_CPUID_EPC_SECTION
      expect(metric(r.eax, r.ebx)).toBe(s.base);
      expect(metric(r.ecx, r.edx)).toBe(BigInt(s.pages) * 4096n);
    }
    expect(cpuidSgxLeaf(c, 4).eax & 0xf).toBe(0);
  });
});

describe('XSAVE area and XFRM legality', () => {
  it('standard-format sizes match CPUID.(0DH,0).EBX on Intel parts', () => {
    expect(xsaveSize(0x3n)).toBe(576); // legacy 512 + header 64
    expect(xsaveSize(0x7n)).toBe(832); // + AVX at 576, 256 bytes
    expect(xsaveSize(0xe7n)).toBe(0xa80); // AVX-512: Skylake-SP reports 2688
    expect(xsaveSize(0x2e7n)).toBe(0xa88); // + PKRU: 2696
    expect(xsaveSize(0x600e7n)).toBe(0x2b00); // + AMX: Sapphire Rapids reports 11008
  });

  it('SSA frame bytes = XSAVE + GPRSGX (184) + MISC (EXINFO 16)', () => {
    expect(ssaFrameBytesNeeded(3n, 0)).toBe(576 + 184);
    expect(ssaFrameBytesNeeded(3n, 1)).toBe(576 + 184 + 16);
  });

  it('follows XSETBV rules', () => {
    const all = 0x600ffn;
    expect(xfrmIllegalReason(0x3n, all)).toBeNull();
    expect(xfrmIllegalReason(0x1n, all)).toMatch(/1:0/);
    expect(xfrmIllegalReason(0x7n, 0x3n)).toMatch(/does not support/);
    expect(xfrmIllegalReason(0xbn, all)).toMatch(/MPX/);
    expect(xfrmIllegalReason(0x23n | 0x4n, all)).toMatch(/AVX-512 bits 7:5/);
    expect(xfrmIllegalReason(0xe3n, all)).toMatch(/need AVX/);
    expect(xfrmIllegalReason(0x20003n, all)).toMatch(/AMX/);
    expect(xfrmIllegalReason(0x103n, 0x1ffn)).toMatch(/supervisor/);
  });
});
