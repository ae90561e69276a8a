// The SGX platform as software sees it: which SGX features the CPU has (CPUID leaf 0x12), how
// big the EPC is and where its sections are, which SECS.ATTRIBUTES / XFRM / MISCSELECT bits may
// be set, and the reset value of the launch-control MSRs IA32_SGXLEPUBKEYHASH0..3.
//
// Sources: SDM Vol. 3D "Discovering Support for Intel SGX" (CPUID leaf 12H sub-leaves 0, 1, 2+), 35.7 (SSA frame size, XSAVE
// area), ECREATE pseudocode (XFRM / MISCSELECT / SSA-size / max-size checks); Linux
// arch/x86/kernel/cpu/sgx/main.c (sgx_page_cache_init() decoding of the EPC sub-leaves,
// sgx_calc_section_metric()) and driver.c (sgx_drv_init() reading sub-leaves 0 and 1); KVM
// arch/x86/kvm/vmx/sgx.c / QEMU target/i386/cpu.c (reset LE hash). Reference notes:
// sgx-measurement-sigstruct-einit.md §3.3, sgx-driver-and-designs.md §3.1.
import { PAGE_SIZE, SGX_ATTR_DEBUG, SGX_ATTR_EINITTOKENKEY, SGX_ATTR_INIT, SGX_ATTR_KSS, SGX_ATTR_MODE64BIT, SGX_ATTR_PROVISIONKEY, SGX_MAX_EPC_SECTIONS, SGX_MISC_EXINFO } from './arch.js';

/** One EPC section (CPUID.(12H, 2+)): physical base and size in 4 KiB pages. */
export interface EpcSectionConfig {
  readonly base: bigint;
  readonly pages: number;
}

/** The modelled CPU/platform. Immutable; build one with sgxCpuConfig(). */
export interface SgxCpuConfig {
  /** CPUID.(12H,0):EAX[0]: ENCLS/ENCLU SGX1 leaves. */
  readonly sgx1: boolean;
  /** CPUID.(12H,0):EAX[1]: EAUG, EMODPR, EMODT, EACCEPT, EACCEPTCOPY, EMODPE. */
  readonly sgx2: boolean;
  /** Flexible launch control: IA32_SGXLEPUBKEYHASH0..3 are writable (CPUID.(7,0):ECX[30] + FEATURE_CONTROL.SGX_LC). */
  readonly flc: boolean;
  /** Key separation and sharing: SECS.ATTRIBUTES.KSS may be set, CONFIGID/CONFIGSVN/ISVFAMILYID usable. */
  readonly kss: boolean;
  /** EPC sections in CPUID sub-leaf order (at most 8, SGX_MAX_EPC_SECTIONS). */
  readonly epcSections: readonly EpcSectionConfig[];
  /** CPUID.(12H,0):EBX: MISCSELECT bits that may be set (bit 0 = EXINFO). */
  readonly miscselectSupported: number;
  /** CPUID.(12H,1):EBX:EAX: SECS.ATTRIBUTES.FLAGS bits that may be set (CR_SGX_ATTRIBUTES_MASK). */
  readonly attributesSupported: bigint;
  /** CPUID.(12H,1):EDX:ECX: SECS.ATTRIBUTES.XFRM bits that may be set. */
  readonly xfrmSupported: bigint;
  /** XCR0 as the OS enabled it; EENTER/ERESUME require SECS.XFRM ⊆ XCR0. */
  readonly xcr0: bigint;
  /** CPUID.(12H,0):EDX[15:8]: log2 of the largest 64-bit enclave (ECREATE #GP if SIZE ≥ 2^this). */
  readonly maxEnclaveSize64: number;
  /** CPUID.(12H,0):EDX[7:0]: log2 of the largest 32-bit enclave. */
  readonly maxEnclaveSizeNot64: number;
  /** Reset value of IA32_SGXLEPUBKEYHASH0..3. */
  readonly lePubKeyHash: readonly [bigint, bigint, bigint, bigint];
  /** CR_CPUSVN (16 bytes read as a little-endian integer); only the legacy EINITTOKEN path compares against it. */
  readonly cpusvn: bigint;
  /** Seed for the model's per-boot paging key (CR_BASE_PK, used by EWB/ELDU) and launch key. */
  readonly keySeed: number;
}

/**
 * Intel's Launch Enclave signing-key hash, the reset value of IA32_SGXLEPUBKEYHASH0..3
 * (KVM setup_default_sgx_lepubkeyhash(), QEMU x86_cpu_set_sgxlepubkeyhash(); equal to the
 * MRSIGNER of intel/linux-sgx psw/ae/data/prebuilt/le_prod_css.bin read as four LE u64s,
 * fixtures/sgx/README.md).
 */
export const INTEL_LE_PUBKEY_HASH: readonly [bigint, bigint, bigint, bigint] = [
  0xa6053e051270b7acn,
  0x6cfbe8ba8b3b413dn,
  0xc4916d99f2b3735dn,
  0xd4f8c05909f9bb3bn,
];

/** MSR numbers of IA32_SGXLEPUBKEYHASH0..3 (arch/x86/include/asm/msr-index.h MSR_IA32_SGXLEPUBKEYHASH0 = 0x8c). */
export const MSR_IA32_SGXLEPUBKEYHASH0 = 0x8c;

/** x86 exception vectors used by the model (SDM Vol. 3A 6.3.1). */
export const X86_TRAP_UD = 6;

// XSAVE state components, standard (non-compacted) format: [bit, offset, size] as CPUID.(0DH, i)
// reports them on Intel CPUs (SDM Vol. 1 13.4 / 13.5). Bits 0 and 1 live in the 512-byte legacy
// region; the 64-byte XSAVE header follows it, so any XSAVE area is at least 576 bytes.
const XSAVE_COMPONENTS: readonly (readonly [number, number, number])[] = [
  [2, 576, 256], // AVX (YMM_Hi128)
  [3, 960, 64], // MPX BNDREGS
  [4, 1024, 64], // MPX BNDCSR
  [5, 1088, 64], // AVX-512 opmask
  [6, 1152, 512], // AVX-512 ZMM_Hi256
  [7, 1664, 1024], // AVX-512 Hi16_ZMM
  [9, 2688, 8], // PKRU
  [17, 2752, 64], // AMX XTILECFG
  [18, 2816, 8192], // AMX XTILEDATA
];
const XSAVE_LEGACY_AND_HEADER = 576;
const XFRM_USER_BITS = XSAVE_COMPONENTS.reduce((m, [b]) => m | (1n << BigInt(b)), 0x3n);

/** Size of the GPRSGX region at the end of every SSA frame (SDM Vol. 3D, "GPRSGX Region" of the SSA). */
export const GPRSGX_SIZE = 184;
/** Size of the EXINFO MISC component (SDM Vol. 3D, "Layout of MISC region of the State Save Area"). */
export const EXINFO_SIZE = 16;

/** compute_xsave_size(XFRM) of the SDM: the standard-format XSAVE area for these components. */
export function xsaveSize(xfrm: bigint): number {
  let size = XSAVE_LEGACY_AND_HEADER;
  for (const [bit, off, len] of XSAVE_COMPONENTS) if ((xfrm >> BigInt(bit)) & 1n) size = Math.max(size, off + len);
  return size;
}

/** compute_misc_region_size(): the MISC components MISCSELECT selects (only EXINFO exists). */
export function miscRegionSize(miscselect: number): number {
  return miscselect & Number(SGX_MISC_EXINFO) ? EXINFO_SIZE : 0;
}

/** ECREATE's TMP_XSIZE: bytes an SSA frame needs (XSAVE area + GPRSGX + MISC). */
export function ssaFrameBytesNeeded(xfrm: bigint, miscselect: number): number {
  return xsaveSize(xfrm) + GPRSGX_SIZE + miscRegionSize(miscselect);
}

/**
 * Why an XFRM value is illegal, or null. ECREATE: "(XFRM & 3) ≠ 3 → #GP" and "XFRM is illegal →
 * #GP"; legality is XSETBV's rule set for XCR0 (SDM Vol. 2 XSETBV #GP conditions, Vol. 1 13.3):
 * x87 must be set; AVX needs SSE; the two MPX bits go together; the three AVX-512 bits go
 * together and need AVX; the two AMX bits go together; and only bits the CPU reports in
 * CPUID.(12H,1):EDX:ECX may be set.
 */
export function xfrmIllegalReason(xfrm: bigint, supported: bigint): string | null {
  const bit = (n: number): boolean => ((xfrm >> BigInt(n)) & 1n) === 1n;
  if ((xfrm & 3n) !== 3n) return 'XFRM bits 1:0 (x87, SSE) must both be set';
  if ((xfrm & ~supported) !== 0n) return `XFRM 0x${xfrm.toString(16)} has bits the CPU does not support (CPUID.(12H,1):EDX:ECX = 0x${supported.toString(16)})`;
  if ((xfrm & ~XFRM_USER_BITS) !== 0n) return `XFRM 0x${xfrm.toString(16)} selects a supervisor or undefined state component`;
  if (bit(3) !== bit(4)) return 'XFRM MPX bits 4:3 must be both set or both clear';
  const avx512 = [5, 6, 7].filter(bit).length;
  if (avx512 !== 0 && avx512 !== 3) return 'XFRM AVX-512 bits 7:5 must be all set or all clear';
  if (avx512 === 3 && !bit(2)) return 'XFRM AVX-512 bits need AVX (bit 2)';
  if (bit(17) !== bit(18)) return 'XFRM AMX bits 18:17 must be both set or both clear';
  return null;
}

/** The default platform: an SGX2 + FLC part without KSS, one 92 MiB EPC section, x87|SSE|AVX|AVX-512|PKRU. */
export const DEFAULT_SGX_CPU: SgxCpuConfig = Object.freeze({
  sgx1: true,
  sgx2: true,
  flc: true,
  kss: false,
  epcSections: Object.freeze([Object.freeze({ base: 0x7020_0000n, pages: 0x5d80 })]),
  miscselectSupported: Number(SGX_MISC_EXINFO),
  attributesSupported: SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY | SGX_ATTR_EINITTOKENKEY,
  xfrmSupported: 0x2e7n,
  xcr0: 0x2e7n,
  maxEnclaveSize64: 36,
  maxEnclaveSizeNot64: 31,
  lePubKeyHash: INTEL_LE_PUBKEY_HASH,
  cpusvn: 0n,
  keySeed: 0x5eed_5a17,
});

/** Options for sgxCpuConfig(); `epcPages` is shorthand for one section of that many pages. */
export type SgxCpuOptions = Partial<Omit<SgxCpuConfig, 'epcSections'>> & {
  epcSections?: readonly EpcSectionConfig[];
  epcPages?: number;
};

const U64 = (1n << 64n) - 1n;

/**
 * Build and validate a platform. Unset fields take DEFAULT_SGX_CPU's values; `kss: true` adds
 * ATTRIBUTES.KSS to the default attribute mask. Throws an Error with a one-line message for an
 * inconsistent configuration (user input: scenario files set these).
 */
export function sgxCpuConfig(opts: SgxCpuOptions = {}): SgxCpuConfig {
  const d = DEFAULT_SGX_CPU;
  const kss = opts.kss ?? d.kss;
  let sections = opts.epcSections ?? d.epcSections;
  if (opts.epcPages !== undefined) {
    if (opts.epcSections !== undefined) throw new Error('give either epcPages or epcSections, not both');
    sections = [{ base: d.epcSections[0].base, pages: opts.epcPages }];
  }
  const cfg: SgxCpuConfig = {
    sgx1: opts.sgx1 ?? d.sgx1,
    sgx2: opts.sgx2 ?? d.sgx2,
    flc: opts.flc ?? d.flc,
    kss,
    epcSections: Object.freeze(sections.map((s) => Object.freeze({ base: s.base, pages: s.pages }))),
    miscselectSupported: opts.miscselectSupported ?? d.miscselectSupported,
    attributesSupported: opts.attributesSupported ?? (kss ? d.attributesSupported | SGX_ATTR_KSS : d.attributesSupported),
    xfrmSupported: opts.xfrmSupported ?? d.xfrmSupported,
    xcr0: opts.xcr0 ?? opts.xfrmSupported ?? d.xcr0,
    maxEnclaveSize64: opts.maxEnclaveSize64 ?? d.maxEnclaveSize64,
    maxEnclaveSizeNot64: opts.maxEnclaveSizeNot64 ?? d.maxEnclaveSizeNot64,
    lePubKeyHash: Object.freeze([...(opts.lePubKeyHash ?? d.lePubKeyHash)]) as unknown as readonly [bigint, bigint, bigint, bigint],
    cpusvn: opts.cpusvn ?? d.cpusvn,
    keySeed: opts.keySeed ?? d.keySeed,
  };
  validate(cfg);
  return Object.freeze(cfg);
}

function validate(c: SgxCpuConfig): void {
  if (!c.sgx1) {
    if (c.sgx2) throw new Error('an SGX2 CPU also has SGX1 (CPUID.(12H,0):EAX[0])');
  }
  if (c.epcSections.length === 0 && c.sgx1) throw new Error('an SGX CPU needs at least one EPC section');
  if (c.epcSections.length > SGX_MAX_EPC_SECTIONS) throw new Error(`at most ${SGX_MAX_EPC_SECTIONS} EPC sections (SGX_MAX_EPC_SECTIONS), got ${c.epcSections.length}`);
  for (const [i, s] of c.epcSections.entries()) {
    if (!Number.isInteger(s.pages) || s.pages <= 0 || s.pages > 2 ** 28) throw new Error(`EPC section ${i}: pages must be a positive integer (at most 2^28), got ${s.pages}`);
    if (s.base < 0n || s.base % BigInt(PAGE_SIZE) !== 0n || s.base + BigInt(s.pages * PAGE_SIZE) > 1n << 52n) {
      throw new Error(`EPC section ${i}: base 0x${s.base.toString(16)} must be page aligned and the section below 2^52`);
    }
  }
  const sorted = [...c.epcSections].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i - 1].base + BigInt(sorted[i - 1].pages * PAGE_SIZE) > sorted[i].base) throw new Error('EPC sections overlap');
  }
  if (!Number.isInteger(c.miscselectSupported) || c.miscselectSupported < 0 || c.miscselectSupported > 0xffff_ffff) throw new Error('miscselectSupported must be a u32');
  if (c.attributesSupported < 0n || c.attributesSupported > U64) throw new Error('attributesSupported must be a u64');
  if (c.attributesSupported & SGX_ATTR_INIT) throw new Error('attributesSupported must not contain INIT (bit 0): ECREATE never accepts it');
  if ((c.attributesSupported & SGX_ATTR_KSS) !== 0n && !c.kss) throw new Error('attributesSupported has KSS (bit 7) but kss is false');
  if (c.xfrmSupported < 0n || c.xfrmSupported > U64 || (c.xfrmSupported & 3n) !== 3n) throw new Error('xfrmSupported must be a u64 with bits 1:0 set');
  if ((c.xcr0 & ~c.xfrmSupported) !== 0n || (c.xcr0 & 3n) !== 3n) throw new Error('xcr0 must have bits 1:0 set and be a subset of xfrmSupported');
  for (const [k, v] of [['maxEnclaveSize64', c.maxEnclaveSize64], ['maxEnclaveSizeNot64', c.maxEnclaveSizeNot64]] as const) {
    if (!Number.isInteger(v) || v < 13 || v > 64) throw new Error(`${k} must be an integer in 13..64 (log2 of bytes)`);
  }
  if (c.lePubKeyHash.length !== 4 || c.lePubKeyHash.some((w) => w < 0n || w > U64)) throw new Error('lePubKeyHash must be four u64 values');
  if (c.cpusvn < 0n || c.cpusvn >= 1n << 128n) throw new Error('cpusvn must fit in 16 bytes');
  if (!Number.isInteger(c.keySeed)) throw new Error('keySeed must be an integer');
}

/** Total EPC pages. */
export function epcPageCount(c: SgxCpuConfig): number {
  return c.epcSections.reduce((n, s) => n + s.pages, 0);
}

/** CPUID register quadruple. */
export interface CpuidRegs {
  readonly eax: number;
  readonly ebx: number;
  readonly ecx: number;
  readonly edx: number;
}

const lo32 = (v: bigint): number => Number(v & 0xffff_ffffn);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffff_ffffn);

/**
 * CPUID.(EAX=12H, ECX=subleaf) as the modelled CPU reports it (SDM Vol. 3D "Discovering Support for Intel SGX"):
 * sub-leaf 0: EAX[0] SGX1, EAX[1] SGX2, EBX MISCSELECT supported, EDX[7:0]/[15:8] max enclave
 * size (not-64 / 64-bit); sub-leaf 1: EBX:EAX ATTRIBUTES, EDX:ECX XFRM; sub-leaf 2+i: EPC
 * section i — EAX[3:0] = 1 (section), EAX[31:12] base[31:12], EBX[19:0] base[51:32], ECX[3:0] = 1
 * (confidentiality/integrity protected), ECX[31:12] size[31:12], EDX[19:0] size[51:32]; past the
 * last section EAX[3:0] = 0 (invalid), which is where Linux sgx_page_cache_init() stops.
 */
export function cpuidSgxLeaf(c: SgxCpuConfig, subleaf: number): CpuidRegs {
  if (!c.sgx1) return { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  if (subleaf === 0) {
    return { eax: (c.sgx1 ? 1 : 0) | (c.sgx2 ? 2 : 0), ebx: c.miscselectSupported >>> 0, ecx: 0, edx: (c.maxEnclaveSizeNot64 & 0xff) | ((c.maxEnclaveSize64 & 0xff) << 8) };
  }
  if (subleaf === 1) {
    return { eax: lo32(c.attributesSupported), ebx: hi32(c.attributesSupported), ecx: lo32(c.xfrmSupported), edx: hi32(c.xfrmSupported) };
  }
  const s = c.epcSections[subleaf - 2];
  if (subleaf < 2 || s === undefined) return { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  const size = BigInt(s.pages) * BigInt(PAGE_SIZE);
  return {
    eax: ((lo32(s.base) & 0xffff_f000) | 0x1) >>> 0,
    ebx: hi32(s.base) & 0xfffff,
    ecx: ((lo32(size) & 0xffff_f000) | 0x1) >>> 0,
    edx: hi32(size) & 0xfffff,
  };
}
