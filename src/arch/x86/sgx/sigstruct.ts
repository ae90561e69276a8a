// SIGSTRUCT (1808 bytes): parse, serialize, sign, verify, MRSIGNER.
//
// Layout: SDM Vol. 3D 37.14 (Enclave Signature Structure) and arch/x86/include/asm/sgx.h
// (struct sgx_sigstruct_header / _body); offsets in arch.ts SIGSTRUCT_OFF. The signed message
// is bytes [0,128) ‖ [900,1028) (Linux struct sgx_sigstruct_payload). Signature scheme (SDM
// 38.13 / EINIT): RSASSA-PKCS1-v1_5, SHA-256, 3072-bit modulus, e = 3. MODULUS, SIGNATURE, Q1
// and Q2 are stored little-endian. Q1 = floor(S²/N), Q2 = floor((S³ − Q1·S·N)/N) (SDM EINIT
// description), which equals floor(S·(S² mod N)/N).
import type { Crypto, RsaPrivateKey } from '../../../platform/crypto.js';
import { sha256 } from '../../../platform/crypto.js';
import {
  SGX_MODULUS_SIZE,
  SGX_SIGSTRUCT_VENDOR_INTEL,
  SIGSTRUCT_HEADER,
  SIGSTRUCT_HEADER2,
  SIGSTRUCT_OFF as O,
  SIGSTRUCT_SIZE,
} from './arch.js';
import { beToBigint, bigintToBe, bigintToLe, bytesEqual, concatBytes, isZero, leToBigint, reversed } from './bytes.js';

/** Every SIGSTRUCT field. Integers are numbers (u8..u32) or bigints (u64); byte fields are copies. */
export interface Sigstruct {
  header: Uint8Array; // 16
  vendor: number; // u32: 0 or 0x8086
  /** u32 whose hex digits read YYYYMMDD (e.g. 0x20160109). */
  date: number;
  header2: Uint8Array; // 16
  swdefined: number; // u32
  reserved1: Uint8Array; // 84
  modulus: Uint8Array; // 384, little-endian
  exponent: number; // u32
  signature: Uint8Array; // 384, little-endian
  miscselect: number; // u32
  miscmask: number; // u32
  cetAttributes: number; // u8
  cetAttributesMask: number; // u8
  reserved2: Uint8Array; // 2
  isvFamilyId: Uint8Array; // 16
  /** ATTRIBUTES.FLAGS (u64). */
  attributes: bigint;
  /** ATTRIBUTES.XFRM (u64). */
  xfrm: bigint;
  /** ATTRIBUTEMASK.FLAGS (u64). */
  attributesMask: bigint;
  /** ATTRIBUTEMASK.XFRM (u64). */
  xfrmMask: bigint;
  enclaveHash: Uint8Array; // 32 (MRENCLAVE)
  reserved3: Uint8Array; // 16
  isvExtProdId: Uint8Array; // 16
  isvProdId: number; // u16
  isvSvn: number; // u16
  reserved4: Uint8Array; // 12, not signed
  q1: Uint8Array; // 384, little-endian
  q2: Uint8Array; // 384, little-endian
}

const BYTE_FIELDS: [keyof Sigstruct, number, number][] = [
  ['header', O.header, 16],
  ['header2', O.header2, 16],
  ['reserved1', O.reserved1, 84],
  ['modulus', O.modulus, SGX_MODULUS_SIZE],
  ['signature', O.signature, SGX_MODULUS_SIZE],
  ['reserved2', O.reserved2, 2],
  ['isvFamilyId', O.isvFamilyId, 16],
  ['enclaveHash', O.enclaveHash, 32],
  ['reserved3', O.reserved3, 16],
  ['isvExtProdId', O.isvExtProdId, 16],
  ['reserved4', O.reserved4, 12],
  ['q1', O.q1, SGX_MODULUS_SIZE],
  ['q2', O.q2, SGX_MODULUS_SIZE],
];

/** Parse 1808 bytes. Throws a readable Error if the length is wrong (contents are not judged here). */
export function parseSigstruct(bytes: Uint8Array): Sigstruct {
  if (bytes.length !== SIGSTRUCT_SIZE) {
    throw new Error(`a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes, this is ${bytes.length}`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s = {
    vendor: v.getUint32(O.vendor, true),
    date: v.getUint32(O.date, true),
    swdefined: v.getUint32(O.swdefined, true),
    exponent: v.getUint32(O.exponent, true),
    miscselect: v.getUint32(O.miscselect, true),
    miscmask: v.getUint32(O.miscmask, true),
    cetAttributes: v.getUint8(O.cetAttributes),
    cetAttributesMask: v.getUint8(O.cetAttributesMask),
    attributes: v.getBigUint64(O.attributes, true),
    xfrm: v.getBigUint64(O.attributes + 8, true),
    attributesMask: v.getBigUint64(O.attributeMask, true),
    xfrmMask: v.getBigUint64(O.attributeMask + 8, true),
    isvProdId: v.getUint16(O.isvProdId, true),
    isvSvn: v.getUint16(O.isvSvn, true),
  } as Partial<Sigstruct>;
  for (const [k, off, len] of BYTE_FIELDS) (s as Record<string, unknown>)[k] = bytes.slice(off, off + len);
  return s as Sigstruct;
}

function checkUint(v: number, bits: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new Error(`SIGSTRUCT.${what} = ${v} is not a u${bits}`);
}
function checkU64(v: bigint, what: string): void {
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new Error(`SIGSTRUCT.${what} = ${v} is not a u64`);
}

/** The 1808-byte encoding. Throws if a field is out of range or a byte field has the wrong length. */
export function serializeSigstruct(s: Sigstruct): Uint8Array {
  const out = new Uint8Array(SIGSTRUCT_SIZE);
  const v = new DataView(out.buffer);
  checkUint(s.vendor, 32, 'vendor');
  checkUint(s.date, 32, 'date');
  checkUint(s.swdefined, 32, 'swdefined');
  checkUint(s.exponent, 32, 'exponent');
  checkUint(s.miscselect, 32, 'miscselect');
  checkUint(s.miscmask, 32, 'miscmask');
  checkUint(s.cetAttributes, 8, 'cetAttributes');
  checkUint(s.cetAttributesMask, 8, 'cetAttributesMask');
  checkUint(s.isvProdId, 16, 'isvProdId');
  checkUint(s.isvSvn, 16, 'isvSvn');
  checkU64(s.attributes, 'attributes');
  checkU64(s.xfrm, 'xfrm');
  checkU64(s.attributesMask, 'attributesMask');
  checkU64(s.xfrmMask, 'xfrmMask');
  v.setUint32(O.vendor, s.vendor, true);
  v.setUint32(O.date, s.date, true);
  v.setUint32(O.swdefined, s.swdefined, true);
  v.setUint32(O.exponent, s.exponent, true);
  v.setUint32(O.miscselect, s.miscselect, true);
  v.setUint32(O.miscmask, s.miscmask, true);
  v.setUint8(O.cetAttributes, s.cetAttributes);
  v.setUint8(O.cetAttributesMask, s.cetAttributesMask);
  v.setBigUint64(O.attributes, s.attributes, true);
  v.setBigUint64(O.attributes + 8, s.xfrm, true);
  v.setBigUint64(O.attributeMask, s.attributesMask, true);
  v.setBigUint64(O.attributeMask + 8, s.xfrmMask, true);
  v.setUint16(O.isvProdId, s.isvProdId, true);
  v.setUint16(O.isvSvn, s.isvSvn, true);
  for (const [k, off, len] of BYTE_FIELDS) {
    const b = s[k] as Uint8Array;
    if (!(b instanceof Uint8Array) || b.length !== len) throw new Error(`SIGSTRUCT.${k} must be ${len} bytes`);
    out.set(b, off);
  }
  return out;
}

/** The fields a signer chooses; everything else takes its architectural value. */
export interface SigstructBody {
  vendor?: number;
  date?: number;
  swdefined?: number;
  miscselect?: number;
  miscmask?: number;
  cetAttributes?: number;
  cetAttributesMask?: number;
  isvFamilyId?: Uint8Array;
  attributes?: bigint;
  xfrm?: bigint;
  attributesMask?: bigint;
  xfrmMask?: bigint;
  enclaveHash: Uint8Array;
  isvExtProdId?: Uint8Array;
  isvProdId?: number;
  isvSvn?: number;
}

/** An unsigned SIGSTRUCT: constant headers, exponent 3, zero modulus/signature/Q1/Q2 and reserved bytes. */
export function newSigstruct(body: SigstructBody): Sigstruct {
  if (body.enclaveHash.length !== 32) throw new Error('ENCLAVEHASH must be 32 bytes');
  return {
    header: Uint8Array.from(SIGSTRUCT_HEADER),
    vendor: body.vendor ?? 0,
    date: body.date ?? 0,
    header2: Uint8Array.from(SIGSTRUCT_HEADER2),
    swdefined: body.swdefined ?? 0,
    reserved1: new Uint8Array(84),
    modulus: new Uint8Array(SGX_MODULUS_SIZE),
    exponent: 3,
    signature: new Uint8Array(SGX_MODULUS_SIZE),
    miscselect: body.miscselect ?? 0,
    miscmask: body.miscmask ?? 0,
    cetAttributes: body.cetAttributes ?? 0,
    cetAttributesMask: body.cetAttributesMask ?? 0,
    reserved2: new Uint8Array(2),
    isvFamilyId: body.isvFamilyId ? Uint8Array.from(body.isvFamilyId) : new Uint8Array(16),
    attributes: body.attributes ?? 0n,
    xfrm: body.xfrm ?? 0n,
    attributesMask: body.attributesMask ?? 0n,
    xfrmMask: body.xfrmMask ?? 0n,
    enclaveHash: Uint8Array.from(body.enclaveHash),
    reserved3: new Uint8Array(16),
    isvExtProdId: body.isvExtProdId ? Uint8Array.from(body.isvExtProdId) : new Uint8Array(16),
    isvProdId: body.isvProdId ?? 0,
    isvSvn: body.isvSvn ?? 0,
    reserved4: new Uint8Array(12),
    q1: new Uint8Array(SGX_MODULUS_SIZE),
    q2: new Uint8Array(SGX_MODULUS_SIZE),
  };
}

/** The 256 signed bytes: bytes[0..128) ‖ bytes[900..1028). */
export function sigstructSignedData(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== SIGSTRUCT_SIZE) throw new Error(`a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes, this is ${bytes.length}`);
  return concatBytes(bytes.subarray(0, O.modulus), bytes.subarray(O.miscselect, O.reserved4));
}

/** MRSIGNER = SHA-256 of the 384 stored (little-endian) modulus bytes (SDM EINIT: TMP_MRSIGNER := SHA256(MODULUS)). */
export function mrsignerOf(bytes: Uint8Array, crypto: Crypto): Uint8Array {
  if (bytes.length !== SIGSTRUCT_SIZE) throw new Error(`a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes, this is ${bytes.length}`);
  return sha256(crypto, bytes.subarray(O.modulus, O.exponent));
}

/** MRSIGNER of an RSA modulus given as a bigint (what a key's SIGSTRUCT would carry). */
export function mrsignerOfModulus(n: bigint, crypto: Crypto): Uint8Array {
  return sha256(crypto, bigintToLe(n, SGX_MODULUS_SIZE));
}

/**
 * IA32_SGXLEPUBKEYHASH0..3 for a MRSIGNER: MSR i = MRSIGNER bytes [8i, 8i+8) as a little-endian
 * u64 (Linux sgx_update_lepubkeyhash(), arch/x86/kernel/cpu/sgx/main.c; the KVM/QEMU reset values
 * are Intel's LE MRSIGNER read this way, reference notes §3.3).
 */
export function leHashMsrs(mrsigner: Uint8Array): [bigint, bigint, bigint, bigint] {
  if (mrsigner.length !== 32) throw new Error('MRSIGNER is 32 bytes');
  const v = new DataView(mrsigner.buffer, mrsigner.byteOffset, 32);
  return [v.getBigUint64(0, true), v.getBigUint64(8, true), v.getBigUint64(16, true), v.getBigUint64(24, true)];
}

// DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_DIGESTINFO = Uint8Array.from([
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
]);

/**
 * EMSA-PKCS1-v1_5 encoding (RFC 8017 §9.2) of a SHA-256 digest for a 384-byte modulus:
 * 00 01 FF×330 00 DigestInfo(SHA-256) digest. The SDM's HARDCODED_PKCS1_5_PADDING is its top 352 bytes.
 */
export function pkcs1Sha256Encoding(digest: Uint8Array, emLen = SGX_MODULUS_SIZE): Uint8Array {
  if (digest.length !== 32) throw new Error('a SHA-256 digest is 32 bytes');
  const tLen = SHA256_DIGESTINFO.length + 32;
  if (emLen < tLen + 11) throw new Error('modulus too short for PKCS#1 v1.5 with SHA-256');
  const em = new Uint8Array(emLen).fill(0xff);
  em[0] = 0;
  em[1] = 1;
  em[emLen - tLen - 1] = 0;
  em.set(SHA256_DIGESTINFO, emLen - tLen);
  em.set(digest, emLen - 32);
  return em;
}

/** Q1 = floor(S²/N), Q2 = floor(S·(S² mod N)/N) (SDM EINIT; Linux selftest sigstruct.c calc_q1q2()). */
export function computeQ1Q2(s: bigint, n: bigint): { q1: bigint; q2: bigint } {
  if (n <= 0n) throw new Error('modulus must be positive');
  const s2 = s * s;
  return { q1: s2 / n, q2: (s * (s2 % n)) / n };
}

export interface SigstructVerification {
  /** S < N and S³ mod N equals the PKCS#1 v1.5 SHA-256 encoding of the signed data. */
  signature: boolean;
  q1: boolean;
  q2: boolean;
  /** EXPONENT field is 3 (EINIT rejects anything else with INVALID_SIG_STRUCT). */
  exponent3: boolean;
}

/**
 * Verify like EINIT would (with e = 3 regardless of the EXPONENT field, which is reported
 * separately). Pure BigInt; SHA-256 through `crypto`.
 */
export function verifySigstruct(bytes: Uint8Array, crypto: Crypto): SigstructVerification {
  const st = parseSigstruct(bytes);
  const n = leToBigint(st.modulus);
  const s = leToBigint(st.signature);
  const exponent3 = st.exponent === 3;
  if (n === 0n) return { signature: false, q1: false, q2: false, exponent3 };
  const em = beToBigint(pkcs1Sha256Encoding(sha256(crypto, sigstructSignedData(bytes))));
  const signature = s < n && (s * s * s) % n === em;
  const q = computeQ1Q2(s, n);
  return { signature, q1: q.q1 === leToBigint(st.q1), q2: q.q2 === leToBigint(st.q2), exponent3 };
}

/**
 * Sign: put the key's modulus and exponent 3 in, compute the PKCS#1 v1.5 SHA-256 signature of
 * the signed data through `crypto`, and Q1/Q2 with BigInt. Returns the complete 1808 bytes.
 * The key must be 3072-bit with e = 3 (EINIT accepts nothing else).
 */
export function signSigstruct(s: Sigstruct, key: RsaPrivateKey, crypto: Crypto): Uint8Array {
  if (key.e !== 3n) throw new Error(`the signing key's public exponent is ${key.e}; SGX requires 3`);
  if (key.bits !== 3072) throw new Error(`the signing key is ${key.bits}-bit; SGX requires 3072`);
  const unsigned = serializeSigstruct({ ...s, modulus: bigintToLe(key.n, SGX_MODULUS_SIZE), exponent: 3 });
  const sigBe = crypto.signPkcs1Sha256(key, sigstructSignedData(unsigned));
  const sig = beToBigint(sigBe);
  const q = computeQ1Q2(sig, key.n);
  unsigned.set(reversed(bigintToBe(sig, SGX_MODULUS_SIZE)), O.signature);
  unsigned.set(bigintToLe(q.q1, SGX_MODULUS_SIZE), O.q1);
  unsigned.set(bigintToLe(q.q2, SGX_MODULUS_SIZE), O.q2);
  return unsigned;
}

/**
 * The structural checks of EINIT's first step (SDM EINIT pseudocode): HEADER, VENDOR ∈ {0,
 * 0x8086}, HEADER2, EXPONENT = 3 and the reserved fields zero. Returns the failed checks' names
 * (empty when the structure is valid); a failure is SGX_INVALID_SIG_STRUCT.
 */
export function sigstructStructureErrors(bytes: Uint8Array): string[] {
  const s = parseSigstruct(bytes);
  const errs: string[] = [];
  if (!bytesEqual(s.header, SIGSTRUCT_HEADER)) errs.push('HEADER');
  if (s.vendor !== 0 && s.vendor !== SGX_SIGSTRUCT_VENDOR_INTEL) errs.push('VENDOR');
  if (!bytesEqual(s.header2, SIGSTRUCT_HEADER2)) errs.push('HEADER2');
  if (s.exponent !== 3) errs.push('EXPONENT');
  if (!isZero(s.reserved1)) errs.push('RESERVED1');
  if (!isZero(s.reserved2)) errs.push('RESERVED2');
  if (!isZero(s.reserved3)) errs.push('RESERVED3');
  if (!isZero(s.reserved4)) errs.push('RESERVED4');
  return errs;
}
