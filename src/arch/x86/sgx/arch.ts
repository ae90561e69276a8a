// Architectural SGX constants and structure layouts (Intel SDM Vol. 3D ch. 34-38;
// arch/x86/include/asm/sgx.h, arch/x86/kernel/cpu/sgx/arch.h). Shared by the hardware
// model, the measurement code and the drivers. Byte layouts are little-endian.

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

// --- SECINFO.FLAGS (arch/x86/include/asm/sgx.h, enum sgx_secinfo_flags / sgx_page_type) ---
export const SGX_SECINFO_R = 0x01n;
export const SGX_SECINFO_W = 0x02n;
export const SGX_SECINFO_X = 0x04n;
export const SGX_SECINFO_PERMISSION_MASK = 0x07n;
export const SGX_SECINFO_PENDING = 0x08n; // EPCM.PENDING (SGX2), in EACCEPT's SECINFO
export const SGX_SECINFO_MODIFIED = 0x10n; // EPCM.MODIFIED (SGX2)
export const SGX_SECINFO_PR = 0x20n; // EPCM.PR, permission restriction (SGX2)
export const SGX_SECINFO_PAGE_TYPE_SHIFT = 8n;
export const SGX_SECINFO_PAGE_TYPE_MASK = 0xff00n;
/** ~(PERMISSION_MASK | PAGE_TYPE_MASK) as a 64-bit mask: the bits the Linux driver rejects. */
export const SGX_SECINFO_RESERVED_MASK = 0xffff_ffff_ffff_00f8n;

export enum SgxPageType {
  SECS = 0,
  TCS = 1,
  REG = 2,
  VA = 3,
  TRIM = 4,
  SS_FIRST = 5, // CET shadow stack (out of scope)
  SS_REST = 6,
}
export const SGX_SECINFO_SECS = BigInt(SgxPageType.SECS) << 8n;
export const SGX_SECINFO_TCS = BigInt(SgxPageType.TCS) << 8n; // 0x100
export const SGX_SECINFO_REG = BigInt(SgxPageType.REG) << 8n; // 0x200
export const SGX_SECINFO_VA = BigInt(SgxPageType.VA) << 8n;
export const SGX_SECINFO_TRIM = BigInt(SgxPageType.TRIM) << 8n; // 0x400

export const SECINFO_SIZE = 64;
export const SECINFO_ALIGN = 64;

// --- SECS (struct sgx_secs, 4096 bytes, packed) ---
export const SECS_SIZE = 4096;
export const SECS_OFF = {
  size: 0, // u64
  base: 8, // u64
  ssaFrameSize: 16, // u32, in pages
  miscselect: 20, // u32
  reserved1: 24, // [24]
  attributes: 48, // u64
  xfrm: 56, // u64
  mrenclave: 64, // [32]
  reserved2: 96, // [32]
  mrsigner: 128, // [32]
  reserved3: 160, // [32]
  configId: 192, // [64]
  isvProdId: 256, // u16
  isvSvn: 258, // u16
  configSvn: 260, // u16
  reserved4: 262, // [3834]
} as const;

// SECS.ATTRIBUTES flags (arch/x86/include/asm/sgx.h enum sgx_attribute)
export const SGX_ATTR_INIT = 1n << 0n;
export const SGX_ATTR_DEBUG = 1n << 1n;
export const SGX_ATTR_MODE64BIT = 1n << 2n;
export const SGX_ATTR_PROVISIONKEY = 1n << 4n;
export const SGX_ATTR_EINITTOKENKEY = 1n << 5n;
export const SGX_ATTR_CET = 1n << 6n;
export const SGX_ATTR_KSS = 1n << 7n;
export const SGX_ATTR_ASYNC_EXIT_NOTIFY = 1n << 10n;
/** BIT3 | BIT6 | bits 8-63 (reference notes §6; 6.1 treats CET (bit 6) and bits 8+ as reserved). */
export const SGX_ATTR_RESERVED_MASK = (1n << 3n) | (1n << 6n) | (0xffff_ffff_ffff_ff00n);
/** Attributes an unprivileged enclave may have (SGX_ATTR_UNPRIV_MASK). */
export const SGX_ATTR_UNPRIV_MASK = SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_KSS;
/** Attributes that need a privileged grant (SGX_ATTR_PRIV_MASK). */
export const SGX_ATTR_PRIV_MASK = SGX_ATTR_PROVISIONKEY | SGX_ATTR_EINITTOKENKEY;
/** SDM EINIT: CONTROLLED_ATTRIBUTES := 0x20 (EINITTOKENKEY). */
export const SGX_CONTROLLED_ATTRIBUTES = SGX_ATTR_EINITTOKENKEY;

export const SGX_MISC_EXINFO = 1n << 0n;
export const SGX_MISC_RESERVED_MASK = 0xffff_ffff_ffff_fffen; // GENMASK_ULL(63, 1)

// --- TCS (struct sgx_tcs, 4096 bytes) ---
export const TCS_OFF = {
  state: 0, // u64
  flags: 8, // u64 (DBGOPTIN = BIT0)
  ssaOffset: 16, // u64 (OSSA)
  ssaIndex: 24, // u32 (CSSA)
  nrSsaFrames: 28, // u32 (NSSA)
  entryOffset: 32, // u64 (OENTRY)
  exitAddr: 40, // u64 (AEP)
  fsOffset: 48, // u64 (OFSBASE)
  gsOffset: 56, // u64 (OGSBASE)
  fsLimit: 64, // u32
  gsLimit: 68, // u32
  reserved: 72, // [4024]
} as const;
export const SGX_TCS_DBGOPTIN = 1n << 0n;

// --- PAGEINFO (32 bytes, 32-aligned) and PCMD (128 bytes) ---
export const PAGEINFO_SIZE = 32;
export const PCMD_SIZE = 128;

// --- SIGSTRUCT (1808 bytes) ---
export const SIGSTRUCT_SIZE = 1808;
export const SIGSTRUCT_OFF = {
  header: 0, // [16]
  vendor: 16, // u32
  date: 20, // u32, BCD YYYYMMDD
  header2: 24, // [16]
  swdefined: 40, // u32
  reserved1: 44, // [84]
  modulus: 128, // [384] LE
  exponent: 512, // u32
  signature: 516, // [384] LE
  miscselect: 900, // u32
  miscmask: 904, // u32
  cetAttributes: 908, // u8
  cetAttributesMask: 909, // u8
  reserved2: 910, // [2]
  isvFamilyId: 912, // [16]
  attributes: 928, // u64 flags + u64 xfrm
  attributeMask: 944, // u64 flags + u64 xfrm
  enclaveHash: 960, // [32]
  reserved3: 992, // [16]
  isvExtProdId: 1008, // [16]
  isvProdId: 1024, // u16
  isvSvn: 1026, // u16
  reserved4: 1028, // [12], not signed
  q1: 1040, // [384] LE
  q2: 1424, // [384] LE
} as const;
export const SIGSTRUCT_HEADER = Uint8Array.from([0x06, 0, 0, 0, 0xe1, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0]);
export const SIGSTRUCT_HEADER2 = Uint8Array.from([0x01, 0x01, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 0x01, 0, 0, 0]);
export const SGX_MODULUS_SIZE = 384;
export const SGX_SIGSTRUCT_VENDOR_INTEL = 0x8086;
export const EINITTOKEN_SIZE = 304;

// --- Measurement ---
export const SGX_EEXTEND_BLOCK_SIZE = 256;
/** Measurement record tags (SDM ECREATE/EADD/EEXTEND), ASCII read as LE u64. */
export const MEAS_ECREATE = 0x0045544145524345n; // "ECREATE\0"
export const MEAS_EADD = 0x0000000044444145n; // "EADD\0\0\0\0"
export const MEAS_EEXTEND = 0x00444e4554584545n; // "EEXTEND\0"

// --- Misc hardware constants ---
export const SGX_VA_SLOT_COUNT = 512;
export const SGX_MAX_EPC_SECTIONS = 8;

// --- ENCLS/ENCLU leaf error codes (SDM Vol. 3D 37.x; arch/x86/kernel/cpu/sgx/arch.h enum sgx_return_code) ---
export enum SgxError {
  SUCCESS = 0,
  INVALID_SIG_STRUCT = 1,
  INVALID_ATTRIBUTE = 2,
  BLKSTATE = 3,
  INVALID_MEASUREMENT = 4,
  NOTBLOCKABLE = 5,
  PG_INVLD = 6,
  LOCKFAIL = 7,
  INVALID_SIGNATURE = 8,
  MAC_COMPARE_FAIL = 9,
  PAGE_NOT_BLOCKED = 10,
  NOT_TRACKED = 11,
  VA_SLOT_OCCUPIED = 12,
  CHILD_PRESENT = 13,
  ENCLAVE_ACT = 14,
  ENTRYEPOCH_LOCKED = 15,
  INVALID_EINITTOKEN = 16,
  PREV_TRK_INCMPL = 17,
  PG_IS_SECS = 18,
  PAGE_ATTRIBUTES_MISMATCH = 19,
  PAGE_NOT_MODIFIABLE = 20,
  PAGE_NOT_DEBUGGABLE = 21,
  INVALID_REPORTMACSTRUCT = 28,
  INVALID_CPUSVN = 32,
  INVALID_ISVSVN = 64,
  UNMASKED_EVENT = 128,
  INVALID_KEYNAME = 256,
}

/** ENCLU leaf numbers (SDM). */
export enum EncluLeaf {
  EREPORT = 0,
  EGETKEY = 1,
  EENTER = 2,
  ERESUME = 3,
  EEXIT = 4,
  EACCEPT = 5,
  EMODPE = 6,
  EACCEPTCOPY = 7,
}

/** ENCLS leaf numbers (SDM; arch/x86/kernel/cpu/sgx/encls.h). */
export enum EnclsLeaf {
  ECREATE = 0x0,
  EADD = 0x1,
  EINIT = 0x2,
  EREMOVE = 0x3,
  EDGBRD = 0x4,
  EDGBWR = 0x5,
  EEXTEND = 0x6,
  ELDU = 0x8,
  EBLOCK = 0x9,
  EPA = 0xa,
  EWB = 0xb,
  ETRACK = 0xc,
  EAUG = 0xd,
  EMODPR = 0xe,
  EMODT = 0xf,
}

/** x86 #PF error-code bits (SDM Vol. 3A 4.7). */
export const PF_P = 0x1;
export const PF_W = 0x2;
export const PF_U = 0x4;
export const PF_I = 0x10;
export const PF_SGX = 0x8000;
export const X86_TRAP_GP = 13;
export const X86_TRAP_PF = 14;
