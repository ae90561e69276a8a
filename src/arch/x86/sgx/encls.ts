// ENCLS leaves that build, initialise, modify and tear down enclaves: ECREATE, EADD, EEXTEND,
// EINIT, EREMOVE (SGX1) and EAUG, EMODPR, EMODT (SGX2). The paging leaves (EPA, EBLOCK, ETRACK,
// EWB, ELDU/ELDB) are in reclaim.ts.
//
// Each function follows the check order of the leaf's "Operation" pseudocode in the SDM
// (December 2023 edition, Vol. 3D ch. 38; read from a felixcloutier-style copy, reference notes
// sgx-measurement-sigstruct-einit.md) and returns the first failing check as a fault or an SGX
// error code. Not modelled, because operands are passed by value rather than by address: pointer
// alignment of PAGEINFO/SECINFO/SRCPGE, DS segment limits, and the concurrency checks ("EPC page
// in use by another instruction") — the model executes one instruction at a time. EPC operands
// are EPC page indices; an index outside the EPC "does not resolve within an EPC" (#PF).
import { bytesEqual, isZero } from './bytes.js';
import {
  EINITTOKEN_SIZE,
  PAGE_SIZE,
  SECS_OFF,
  SECS_SIZE,
  SGX_ATTR_DEBUG,
  SGX_ATTR_KSS,
  SGX_ATTR_MODE64BIT,
  SGX_CONTROLLED_ATTRIBUTES,
  SGX_EEXTEND_BLOCK_SIZE,
  SIGSTRUCT_SIZE,
  SgxError,
  SgxPageType,
  TCS_OFF,
} from './arch.js';
import { ssaFrameBytesNeeded, xfrmIllegalReason } from './cpu.js';
import { epcmEntry, type EpcPageId, type EpcmEntry, type SecsState } from './epc.js';
import { modelMac } from './mac.js';
import { Mrenclave } from './measure.js';
import { epcPf, gp, OK, sgxError, ud, type EnclsResult, type SgxFault } from './outcome.js';
import { secinfoBits, secinfoFlagsOf, secinfoReservedReason, SECINFO_STATE_FLAGS, type SecinfoOperand } from './secinfo.js';
import { leHashMsrs, mrsignerOf, parseSigstruct, sigstructStructureErrors, verifySigstruct } from './sigstruct.js';
import type { SgxState } from './state.js';

/** PAGEINFO (SDM Vol. 3D "Page Information (PAGEINFO)"): LINADDR, SRCPGE, SECINFO (or PCMD), SECS. null = a zero pointer. */
export interface PageInfo {
  readonly linaddr: bigint;
  /** SRCPGE: the 4096 source bytes. */
  readonly srcpge: Uint8Array | null;
  readonly secinfo: SecinfoOperand | null;
  /** SECS: the EPC page of the enclave's SECS. */
  readonly secs: EpcPageId | null;
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/** 48-bit canonical (SDM Vol. 1 3.3.7.1): bits 63:47 all equal. */
export function isCanonical(v: bigint): boolean {
  const u = BigInt.asUintN(64, v);
  return u < 1n << 47n || u >= (1n << 64n) - (1n << 47n);
}

function popcount(v: bigint): number {
  let n = 0;
  for (let x = v; x > 0n; x >>= 1n) n += Number(x & 1n);
  return n;
}

/** #PF for an EPC operand that is not an EPC page. */
function notEpc(st: SgxState, id: number, what: string): SgxFault | null {
  return st.store.isEpcPage(id) ? null : epcPf(0n, `${what} (${id}) does not resolve within the EPC`);
}

function requireBytes(b: Uint8Array | null, len: number, what: string): Uint8Array {
  if (b === null || b.length !== len) throw new Error(`${what} must be ${len} bytes (a driver bug: the CPU would read ${len} bytes from it)`);
  return b;
}

/** The SECS page's state; throws if the EPCM says SECS but the store has none (an invariant). */
function secsOf(st: SgxState, id: EpcPageId): SecsState {
  const s = st.store.secs(id);
  if (s === undefined) throw new Error(`invariant: EPCM page ${id} is PT_SECS but has no SECS state`);
  return s;
}

function adjustChildren(st: SgxState, secs: EpcPageId | null, delta: number): void {
  if (secs === null) return;
  const s = secsOf(st, secs);
  const childCount = s.childCount + delta;
  if (childCount < 0) throw new Error(`invariant: SECS page ${secs} child count would go negative`);
  st.store.setSecs(secs, { ...s, childCount });
}

// ---------------------------------------------------------------------------------------------
// ECREATE
// ---------------------------------------------------------------------------------------------

/** The SECS fields ECREATE reads from the source page (struct sgx_secs, arch/x86/include/asm/sgx.h). */
export interface SecsImage {
  size: bigint;
  base: bigint;
  ssaFrameSize: number;
  miscselect: number;
  attributes: bigint;
  xfrm: bigint;
  configId: Uint8Array;
  configSvn: number;
  isvProdId: number;
  isvSvn: number;
}

export function parseSecs(b: Uint8Array): SecsImage {
  const v = new DataView(b.buffer, b.byteOffset, SECS_SIZE);
  return {
    size: v.getBigUint64(SECS_OFF.size, true),
    base: v.getBigUint64(SECS_OFF.base, true),
    ssaFrameSize: v.getUint32(SECS_OFF.ssaFrameSize, true),
    miscselect: v.getUint32(SECS_OFF.miscselect, true),
    attributes: v.getBigUint64(SECS_OFF.attributes, true),
    xfrm: v.getBigUint64(SECS_OFF.xfrm, true),
    configId: b.slice(SECS_OFF.configId, SECS_OFF.configId + 64),
    configSvn: v.getUint16(SECS_OFF.configSvn, true),
    isvProdId: v.getUint16(SECS_OFF.isvProdId, true),
    isvSvn: v.getUint16(SECS_OFF.isvSvn, true),
  };
}

/** The 4096-byte SECS a loader passes to ECREATE (everything else zero). */
export function secsBytes(f: { size: bigint; base: bigint; ssaFrameSize?: number; miscselect?: number; attributes?: bigint; xfrm?: bigint; configId?: Uint8Array; configSvn?: number }): Uint8Array {
  const b = new Uint8Array(SECS_SIZE);
  const v = new DataView(b.buffer);
  v.setBigUint64(SECS_OFF.size, BigInt.asUintN(64, f.size), true);
  v.setBigUint64(SECS_OFF.base, BigInt.asUintN(64, f.base), true);
  v.setUint32(SECS_OFF.ssaFrameSize, f.ssaFrameSize ?? 1, true);
  v.setUint32(SECS_OFF.miscselect, f.miscselect ?? 0, true);
  v.setBigUint64(SECS_OFF.attributes, BigInt.asUintN(64, f.attributes ?? SGX_ATTR_MODE64BIT), true);
  v.setBigUint64(SECS_OFF.xfrm, BigInt.asUintN(64, f.xfrm ?? 3n), true);
  if (f.configId) b.set(f.configId.subarray(0, 64), SECS_OFF.configId);
  v.setUint16(SECS_OFF.configSvn, f.configSvn ?? 0, true);
  return b;
}

// Reserved SECS byte ranges (SDM Vol. 3D "SGX Enclave Control Structure (SECS)"; CET fields treated as reserved since
// the model has no CET).
const SECS_RESERVED: readonly (readonly [number, number])[] = [
  [SECS_OFF.reserved1, SECS_OFF.attributes],
  [SECS_OFF.reserved2, SECS_OFF.mrsigner],
  [SECS_OFF.reserved3, SECS_OFF.configId],
  [SECS_OFF.reserved4, SECS_SIZE],
];

/** ENCLS[ECREATE] (SDM Vol. 3D ch. 38 ECREATE): create an SECS page in the EPC. */
export function ecreate(st: SgxState, pageinfo: PageInfo, epcPage: EpcPageId): EnclsResult {
  const c = st.config;
  if (!c.sgx1) return ud('ENCLS is not supported (CPUID.(12H,0):EAX[0] = 0)');
  const f = notEpc(st, epcPage, 'RCX');
  if (f) return f;
  if (pageinfo.linaddr !== 0n || pageinfo.secs !== null) return gp('PAGEINFO.LINADDR and PAGEINFO.SECS must be 0 for ECREATE');
  if (pageinfo.secinfo === null) throw new Error('ECREATE needs a SECINFO (a driver bug)');
  const rsv = secinfoReservedReason(pageinfo.secinfo);
  if (rsv) return gp(rsv);
  const pt = secinfoBits(secinfoFlagsOf(pageinfo.secinfo)).pt;
  if (pt !== SgxPageType.SECS) return gp(`SECINFO.FLAGS.PT is ${pt}, not PT_SECS`);
  if (st.store.entry(epcPage) !== undefined) return epcPf(st.epcAddress(epcPage), 'EPCM(RCX).VALID = 1: the EPC page is in use');
  const src = requireBytes(pageinfo.srcpge, SECS_SIZE, 'PAGEINFO.SRCPGE (the SECS)');
  const s = parseSecs(src);
  const xr = xfrmIllegalReason(s.xfrm, c.xfrmSupported);
  if ((s.xfrm & 3n) !== 3n) return gp('SECS.ATTRIBUTES.XFRM bits 1:0 are not both set');
  if (xr) return gp(`XFRM is illegal: ${xr}`);
  if ((s.miscselect & ~c.miscselectSupported) >>> 0 !== 0) return gp(`SECS.MISCSELECT ${hex(s.miscselect)} has bits the CPU does not support (CPUID.(12H,0):EBX = ${hex(c.miscselectSupported)})`);
  const need = ssaFrameBytesNeeded(s.xfrm, s.miscselect);
  if (s.ssaFrameSize * PAGE_SIZE < need) return gp(`SECS.SSAFRAMESIZE ${s.ssaFrameSize} page(s) is smaller than the ${need} bytes XFRM ${hex(s.xfrm)} and MISCSELECT ${hex(s.miscselect)} need`);
  const mode64 = (s.attributes & SGX_ATTR_MODE64BIT) !== 0n;
  if (mode64 && !isCanonical(s.base)) return gp(`SECS.BASEADDR ${hex(s.base)} is not canonical`);
  if (!mode64 && s.base >> 32n !== 0n) return gp(`SECS.BASEADDR ${hex(s.base)} is above 4 GiB for a 32-bit enclave`);
  if (!mode64 && s.size >= 1n << BigInt(c.maxEnclaveSizeNot64)) return gp(`SECS.SIZE ${hex(s.size)} ≥ 2^${c.maxEnclaveSizeNot64} (CPUID.(12H,0):EDX[7:0])`);
  if (mode64 && s.size >= 1n << BigInt(c.maxEnclaveSize64)) return gp(`SECS.SIZE ${hex(s.size)} ≥ 2^${c.maxEnclaveSize64} (CPUID.(12H,0):EDX[15:8])`);
  if (s.size < 8192n || popcount(s.size) > 1) return gp(`SECS.SIZE ${hex(s.size)} is not a power of two of at least 8192`);
  if ((s.base & (s.size - 1n)) !== 0n) return gp(`SECS.BASEADDR ${hex(s.base)} is not aligned to SECS.SIZE ${hex(s.size)}`);
  if ((s.attributes & ~c.attributesSupported) !== 0n) {
    return gp(`SECS.ATTRIBUTES ${hex(s.attributes)} has bits outside CR_SGX_ATTRIBUTES_MASK ${hex(c.attributesSupported)} (reserved, INIT, or unsupported)`);
  }
  for (const [from, to] of SECS_RESERVED) {
    for (let i = from; i < to; i++) if (src[i] !== 0) return gp(`SECS reserved byte ${i} is not zero`);
  }
  if ((!isZero(s.configId) || s.configSvn !== 0) && (s.attributes & SGX_ATTR_KSS) === 0n) return gp('SECS.CONFIGID/CONFIGSVN are set but ATTRIBUTES.KSS is 0');
  // Commit: MRENCLAVE := SHA256INITIALIZE; absorb the ECREATE record; EID := CR_NEXT_EID++.
  const m = new Mrenclave(st.crypto);
  m.ecreate(s.ssaFrameSize, s.size);
  st.store.adoptMeasurement(m);
  const eid = st.nextEid;
  st.nextEid = eid + 1n;
  st.store.setEntry(epcPage, epcmEntry({ pt: SgxPageType.SECS }));
  st.store.setSecs(epcPage, {
    eid,
    size: s.size,
    base: s.base,
    ssaFrameSize: s.ssaFrameSize,
    miscselect: s.miscselect,
    attributes: s.attributes,
    xfrm: s.xfrm,
    configId: s.configId,
    configSvn: s.configSvn,
    initialized: false,
    measurement: m,
    mrenclave: null,
    mrsigner: null,
    isvProdId: 0,
    isvSvn: 0,
    isvFamilyId: null,
    isvExtProdId: null,
    childCount: 0,
    epoch: 0,
    trackingRefs: [],
  });
  return OK;
}

// ---------------------------------------------------------------------------------------------
// EADD / EEXTEND
// ---------------------------------------------------------------------------------------------

/**
 * ENCLS[EADD] (SDM Vol. 3D ch. 38 EADD): copy a page into the EPC, bind it to the SECS, measure
 * its offset and SECINFO. Model choice (reference notes §1.3): PENDING, MODIFIED and PR in an EADD
 * SECINFO are treated as reserved (#GP), as the Linux driver and the Intel signing tool do.
 */
export function eadd(st: SgxState, pageinfo: PageInfo, epcPage: EpcPageId): EnclsResult {
  if (!st.config.sgx1) return ud('ENCLS is not supported');
  const f = notEpc(st, epcPage, 'RCX');
  if (f) return f;
  if ((pageinfo.linaddr & 0xfffn) !== 0n) return gp(`PAGEINFO.LINADDR ${hex(pageinfo.linaddr)} is not page aligned`);
  if (pageinfo.secs === null || !st.store.isEpcPage(pageinfo.secs)) return epcPf(0n, 'PAGEINFO.SECS does not resolve within the EPC');
  if (pageinfo.secinfo === null) throw new Error('EADD needs a SECINFO (a driver bug)');
  const rsv = secinfoReservedReason(pageinfo.secinfo, SECINFO_STATE_FLAGS);
  if (rsv) return gp(rsv);
  const flags = secinfoFlagsOf(pageinfo.secinfo);
  const si = secinfoBits(flags);
  if (si.pt !== SgxPageType.REG && si.pt !== SgxPageType.TCS) return gp(`SECINFO.FLAGS.PT ${si.pt} is not PT_REG or PT_TCS`);
  if (st.store.entry(epcPage) !== undefined) return epcPf(st.epcAddress(epcPage), 'EPCM(RCX).VALID ≠ 0: the EPC page is in use');
  const secsPage = pageinfo.secs;
  const secs = st.secsAt(secsPage);
  if (secs === undefined) return epcPf(st.epcAddress(secsPage), 'EPCM(PAGEINFO.SECS) is not a valid PT_SECS page');
  const page = Uint8Array.from(requireBytes(pageinfo.srcpge, PAGE_SIZE, 'PAGEINFO.SRCPGE'));
  const v = new DataView(page.buffer);
  if (si.pt === SgxPageType.TCS) {
    for (let i = TCS_OFF.reserved; i < PAGE_SIZE; i++) if (page[i] !== 0) return gp(`TCS reserved byte ${i} is not zero`);
    if ((secs.attributes & SGX_ATTR_MODE64BIT) === 0n) {
      if ((v.getUint32(TCS_OFF.fsLimit, true) & 0xfff) !== 0xfff || (v.getUint32(TCS_OFF.gsLimit, true) & 0xfff) !== 0xfff) return gp('32-bit enclave TCS: FSLIMIT/GSLIMIT low 12 bits must be all ones');
    }
  } else if (si.w && !si.r) {
    return gp('PT_REG SECINFO has W without R');
  }
  if (pageinfo.linaddr < secs.base || pageinfo.linaddr >= secs.base + secs.size) return gp(`PAGEINFO.LINADDR ${hex(pageinfo.linaddr)} is outside ELRANGE [${hex(secs.base)}, ${hex(secs.base + secs.size)})`);
  if (secs.initialized) return gp('the enclave is already initialized (EADD is only allowed before EINIT)');
  let r = si.r;
  let w = si.w;
  let x = si.x;
  if (si.pt === SgxPageType.TCS) {
    // For TCS pages, force EPCM.RWX to 0 and no debug access; DBGOPTIN, CSSA, AEP, STATE := 0.
    r = w = x = false;
    v.setBigUint64(TCS_OFF.flags, v.getBigUint64(TCS_OFF.flags, true) & ~1n, true);
    v.setUint32(TCS_OFF.ssaIndex, 0, true);
    v.setBigUint64(TCS_OFF.exitAddr, 0n, true);
    v.setBigUint64(TCS_OFF.state, 0n, true);
  }
  st.store.mutableMeasurement(secsPage).eadd(pageinfo.linaddr - secs.base, flags);
  st.store.setContents(epcPage, isZero(page) ? null : page);
  st.store.setEntry(epcPage, epcmEntry({ pt: si.pt, r, w, x, secs: secsPage, linaddr: pageinfo.linaddr }));
  adjustChildren(st, secsPage, +1);
  return OK;
}

/**
 * ENCLS[EEXTEND] (SDM Vol. 3D ch. 38 EEXTEND): measure the 256-byte chunk at `chunkOffset` of
 * `epcPage` into the SECS `secsPage`'s MRENCLAVE.
 */
export function eextend(st: SgxState, secsPage: EpcPageId, epcPage: EpcPageId, chunkOffset: number): EnclsResult {
  if (!st.config.sgx1) return ud('ENCLS is not supported');
  const f1 = notEpc(st, secsPage, 'RBX');
  if (f1) return f1;
  if (!Number.isInteger(chunkOffset) || chunkOffset < 0 || chunkOffset >= PAGE_SIZE || chunkOffset % SGX_EEXTEND_BLOCK_SIZE !== 0) return gp(`RCX chunk offset ${chunkOffset} is not 256-byte aligned within the page`);
  const f2 = notEpc(st, epcPage, 'RCX');
  if (f2) return f2;
  const e = st.store.entry(epcPage);
  if (e === undefined) return epcPf(st.epcAddress(epcPage), 'EPCM(RCX).VALID = 0');
  if (e.pt !== SgxPageType.REG && e.pt !== SgxPageType.TCS) return epcPf(st.epcAddress(epcPage), `EPCM(RCX).PT ${SgxPageType[e.pt]} is not PT_REG or PT_TCS`);
  if (e.secs !== secsPage) return gp('RBX is not the SECS of the page being measured');
  const secs = secsOf(st, secsPage);
  if (secs.initialized) return gp('the enclave is already initialized');
  const offset = e.linaddr - secs.base + BigInt(chunkOffset);
  const chunk = st.store.contents(epcPage).subarray(chunkOffset, chunkOffset + SGX_EEXTEND_BLOCK_SIZE);
  st.store.mutableMeasurement(secsPage).eextend(offset, chunk);
  return OK;
}

// ---------------------------------------------------------------------------------------------
// EINIT
// ---------------------------------------------------------------------------------------------

/** EINITTOKEN field offsets (304 bytes; Intel SDK arch.h token_t, Fortanix sgx-isa Einittoken; reference notes §3.1). */
export const EINITTOKEN_OFF = {
  valid: 0, // u32, bit 0
  attributes: 48, // u64 flags + u64 xfrm
  mrenclave: 64,
  mrsigner: 128,
  cpusvnLe: 192, // 16
  isvProdIdLe: 208, // u16
  isvSvnLe: 210, // u16
  maskedMiscselectLe: 236, // u32
  maskedAttributesLe: 240, // 16
  keyId: 256, // 32
  mac: 288, // 16
} as const;
const EINITTOKEN_RESERVED: readonly (readonly [number, number])[] = [
  [4, 48],
  [96, 128],
  [160, 192],
  [212, 236],
];

/**
 * The model's EINITTOKEN MAC: what a Launch Enclave computes with EGETKEY(EINITTOKEN_KEY) over
 * token bytes [0,192) — with the key derivation inputs the SDM lists (the LE's ISVPRODID/ISVSVN/
 * CPUSVN/MASKEDATTRIBUTES/MASKEDMISCSELECT and KEYID from the token, IA32_SGXLEPUBKEYHASH as
 * MRSIGNER) folded into the model's keyed mix. See mac.ts: abstract, not cryptographic.
 */
export function einittokenMac(st: SgxState, token: Uint8Array): Uint8Array {
  const msrs = new Uint8Array(32);
  const v = new DataView(msrs.buffer);
  st.msrs.forEach((w, i) => v.setBigUint64(8 * i, w, true));
  return modelMac(st.config.keySeed ^ 0x1a0c4e11, msrs, token.subarray(EINITTOKEN_OFF.cpusvnLe, EINITTOKEN_OFF.mac), token.subarray(0, 192));
}

function u128(b: Uint8Array, off: number): [bigint, bigint] {
  const v = new DataView(b.buffer, b.byteOffset + off, 16);
  return [v.getBigUint64(0, true), v.getBigUint64(8, true)];
}

/**
 * ENCLS[EINIT] (SDM Vol. 3D ch. 38 EINIT, Dec 2023 pseudocode; reference notes §3.1 and
 * "Implications" C). `token` is the 304-byte EINITTOKEN (null = all zeros, VALID = 0, as the
 * upstream Linux driver passes). The legacy token path (VALID = 1) is modelled in simplified
 * form: reserved/debug/CPUSVN checks, then the MAC against einittokenMac(), then the token's
 * MRENCLAVE/MRSIGNER and ATTRIBUTES.
 */
export function einit(st: SgxState, sigstruct: Uint8Array, secsPage: EpcPageId, token: Uint8Array | null = null): EnclsResult {
  const c = st.config;
  if (!c.sgx1) return ud('ENCLS is not supported');
  if (sigstruct.length !== SIGSTRUCT_SIZE) throw new Error(`EINIT reads ${SIGSTRUCT_SIZE} bytes of SIGSTRUCT, got ${sigstruct.length} (a driver bug)`);
  if (token !== null && token.length !== EINITTOKEN_SIZE) throw new Error(`EINIT reads ${EINITTOKEN_SIZE} bytes of EINITTOKEN, got ${token.length} (a driver bug)`);
  const f = notEpc(st, secsPage, 'RCX (SECS)');
  if (f) return f;
  // 1. Verify SIGSTRUCT header, vendor, header2, exponent, reserved space.
  const bad = sigstructStructureErrors(sigstruct);
  if (bad.length > 0) return sgxError(SgxError.INVALID_SIG_STRUCT, `SIGSTRUCT ${bad.join(', ')} invalid`);
  // 2. Event window: a pending interrupt ends EINIT with SGX_UNMASKED_EVENT.
  if (st.pendingEvents > 0) {
    st.pendingEvents--;
    return sgxError(SgxError.UNMASKED_EVENT, 'an unmasked event (interrupt) was pending');
  }
  // 3. Signature with the embedded modulus, Q1 and Q2.
  const ver = verifySigstruct(sigstruct, st.crypto);
  if (!ver.signature || !ver.q1 || !ver.q2) {
    const what = [!ver.signature && 'signature', !ver.q1 && 'Q1', !ver.q2 && 'Q2'].filter(Boolean).join(', ');
    return sgxError(SgxError.INVALID_SIGNATURE, `SIGSTRUCT ${what} does not verify`);
  }
  // 4. The SECS operand.
  const secs = st.secsAt(secsPage);
  if (secs === undefined) return epcPf(st.epcAddress(secsPage), 'EPCM(RCX) is not a valid PT_SECS page');
  const sig = parseSigstruct(sigstruct);
  // 5. ISVFAMILYID needs KSS.
  if (!isZero(sig.isvFamilyId) && (secs.attributes & SGX_ATTR_KSS) === 0n) return sgxError(SgxError.INVALID_SIG_STRUCT, 'SIGSTRUCT.ISVFAMILYID is set but SECS.ATTRIBUTES.KSS is 0');
  // Model placement of "#GP(0) if the enclave is already initialized" (SDM EINIT exceptions):
  // where the pseudocode locks MRENCLAVE / ATTRIBUTES.INIT, just before the final hash.
  if (secs.initialized) return gp('the enclave is already initialized');
  // 6. MRENCLAVE.
  const mrenclave = secs.measurement.finalize();
  if (!bytesEqual(mrenclave, sig.enclaveHash)) return sgxError(SgxError.INVALID_MEASUREMENT, 'SIGSTRUCT.ENCLAVEHASH differs from the enclave\'s MRENCLAVE');
  // 7. Controlled attributes (EINITTOKENKEY) need the launch key.
  const mrsigner = mrsignerOf(sigstruct, st.crypto);
  const signerIsLe = leHashMsrs(mrsigner).every((w, i) => w === st.msrs[i]);
  if ((secs.attributes & SGX_CONTROLLED_ATTRIBUTES) !== 0n && !signerIsLe) return sgxError(SgxError.INVALID_ATTRIBUTE, 'SECS.ATTRIBUTES has EINITTOKENKEY but MRSIGNER ≠ IA32_SGXLEPUBKEYHASH');
  // 8. Masked ATTRIBUTES (128-bit: FLAGS and XFRM).
  if ((secs.attributes & sig.attributesMask) !== (sig.attributes & sig.attributesMask) || (secs.xfrm & sig.xfrmMask) !== (sig.xfrm & sig.xfrmMask)) {
    return sgxError(SgxError.INVALID_ATTRIBUTE, 'SECS.ATTRIBUTES & ATTRIBUTEMASK ≠ SIGSTRUCT.ATTRIBUTES & ATTRIBUTEMASK');
  }
  // 9. Masked MISCSELECT.
  if ((secs.miscselect & sig.miscmask) >>> 0 !== (sig.miscselect & sig.miscmask) >>> 0) return sgxError(SgxError.INVALID_ATTRIBUTE, 'SECS.MISCSELECT & MISCMASK ≠ SIGSTRUCT.MISCSELECT & MISCMASK');
  // (CET_ATTRIBUTES: only if CPUID.(12H,1):EAX[6]; the model has no CET.)
  // 10. Launch authorisation.
  const valid = token !== null && (new DataView(token.buffer, token.byteOffset, 4).getUint32(0, true) & 1) === 1;
  if (!valid) {
    if (!signerIsLe) return sgxError(SgxError.INVALID_EINITTOKEN, 'no valid EINITTOKEN and MRSIGNER ≠ IA32_SGXLEPUBKEYHASH');
  } else {
    const t = token!;
    const [maskedLeFlags] = u128(t, EINITTOKEN_OFF.maskedAttributesLe);
    if ((maskedLeFlags & SGX_ATTR_DEBUG) !== 0n && (secs.attributes & SGX_ATTR_DEBUG) === 0n) return sgxError(SgxError.INVALID_EINITTOKEN, 'a debug Launch Enclave\'s token cannot launch a production enclave');
    const validWord = new DataView(t.buffer, t.byteOffset, 4).getUint32(0, true);
    if (validWord >>> 1 !== 0 || EINITTOKEN_RESERVED.some(([a, b]) => !isZero(t.subarray(a, b)))) return sgxError(SgxError.INVALID_EINITTOKEN, 'EINITTOKEN reserved space is not clear');
    const [cLo, cHi] = u128(t, EINITTOKEN_OFF.cpusvnLe);
    if ((cHi << 64n) + cLo > c.cpusvn) return sgxError(SgxError.INVALID_CPUSVN, 'EINITTOKEN.CPUSVNLE is beyond the CPU\'s CPUSVN');
    if (!bytesEqual(t.subarray(EINITTOKEN_OFF.mac, EINITTOKEN_OFF.mac + 16), einittokenMac(st, t))) return sgxError(SgxError.INVALID_EINITTOKEN, 'EINITTOKEN.MAC does not verify with this CPU\'s launch key');
    if (!bytesEqual(t.subarray(EINITTOKEN_OFF.mrenclave, EINITTOKEN_OFF.mrenclave + 32), mrenclave) || !bytesEqual(t.subarray(EINITTOKEN_OFF.mrsigner, EINITTOKEN_OFF.mrsigner + 32), mrsigner)) {
      return sgxError(SgxError.INVALID_MEASUREMENT, 'EINITTOKEN.MRENCLAVE/MRSIGNER do not match the enclave');
    }
    const [tFlags, tXfrm] = u128(t, EINITTOKEN_OFF.attributes);
    // SDM: "SGX_INVALID_EINIT_ATTRIBUTE", which has no code in the error table; modelled as
    // SGX_INVALID_ATTRIBUTE like Fortanix sgxs-loaders (reference notes §3.1 step 10).
    if (tFlags !== secs.attributes || tXfrm !== secs.xfrm) return sgxError(SgxError.INVALID_ATTRIBUTE, 'EINITTOKEN.ATTRIBUTES differ from SECS.ATTRIBUTES');
  }
  // COMMIT.
  st.store.setSecs(secsPage, {
    ...secs,
    initialized: true,
    mrenclave,
    mrsigner,
    isvProdId: sig.isvProdId,
    isvSvn: sig.isvSvn,
    isvFamilyId: sig.isvFamilyId,
    isvExtProdId: sig.isvExtProdId,
  });
  return OK;
}

// ---------------------------------------------------------------------------------------------
// EREMOVE
// ---------------------------------------------------------------------------------------------

/** Forget saved SSA contexts of a TCS (or of a whole enclave when tcsLinaddr is null). */
function dropSsaContexts(st: SgxState, eid: bigint, tcsLinaddr: bigint | null): void {
  const prefix = tcsLinaddr === null ? `${eid.toString(16)}:` : `${eid.toString(16)}:${tcsLinaddr.toString(16)}:`;
  const keys: string[] = [];
  for (const k of st.ssa.keys(prefix)) {
    if (!k.startsWith(prefix)) break;
    keys.push(k);
  }
  for (const k of keys) st.ssa.delete(k);
}

/**
 * ENCLS[EREMOVE] (SDM Vol. 3D ch. 38 EREMOVE). Model reading of the pseudocode's first test
 * ("VALID = 0 or (PT_TRIM and MODIFIED = 0) → DONE", which as printed would make the next branch
 * unreachable): an invalid page is a successful no-op; a VA page or an accepted TRIM page is
 * removed without the ENCLAVE_ACT check.
 */
export function eremove(st: SgxState, epcPage: EpcPageId): EnclsResult {
  if (!st.config.sgx1) return ud('ENCLS is not supported');
  const f = notEpc(st, epcPage, 'RCX');
  if (f) return f;
  const e = st.store.entry(epcPage);
  if (e === undefined) return OK;
  if (e.pt === SgxPageType.VA || (e.pt === SgxPageType.TRIM && !e.modified)) {
    removeChild(st, epcPage, e);
    return OK;
  }
  if (e.pt === SgxPageType.SECS) {
    const s = secsOf(st, epcPage);
    if (s.childCount > 0) return sgxError(SgxError.CHILD_PRESENT, `the SECS still has ${s.childCount} page(s) in the EPC`);
    dropSsaContexts(st, s.eid, null);
    st.store.invalidate(epcPage);
    return OK;
  }
  const owner = e.secs === null ? undefined : st.store.secs(e.secs);
  if (owner !== undefined && st.activeLps(owner.eid).length > 0) return sgxError(SgxError.ENCLAVE_ACT, 'logical processors are executing inside the enclave');
  removeChild(st, epcPage, e);
  return OK;
}

function removeChild(st: SgxState, epcPage: EpcPageId, e: EpcmEntry): void {
  // Whatever the page is now (a TCS, or a TCS that was trimmed), no thread can resume through it.
  if (e.secs !== null) {
    const s = st.store.secs(e.secs);
    if (s) dropSsaContexts(st, s.eid, e.linaddr);
  }
  st.store.invalidate(epcPage);
  adjustChildren(st, e.secs, -1);
}

// ---------------------------------------------------------------------------------------------
// SGX2: EAUG, EMODPR, EMODT
// ---------------------------------------------------------------------------------------------

/**
 * ENCLS[EAUG] (SDM Vol. 3D ch. 38 EAUG): add a zeroed PENDING page to an initialized enclave.
 * With PAGEINFO.SECINFO = 0 the page is PT_REG, R/W (what Linux sgx_encl_eaug_page() passes);
 * a non-zero SECINFO may only ask for CET shadow-stack pages, which the model does not have,
 * so it is #GP.
 */
export function eaug(st: SgxState, pageinfo: PageInfo, epcPage: EpcPageId): EnclsResult {
  if (!st.config.sgx2) return ud('EAUG is an SGX2 leaf (CPUID.(12H,0):EAX[1] = 0)');
  const f = notEpc(st, epcPage, 'RCX');
  if (f) return f;
  if ((pageinfo.linaddr & 0xfffn) !== 0n) return gp(`PAGEINFO.LINADDR ${hex(pageinfo.linaddr)} is not page aligned`);
  if (pageinfo.srcpge !== null) return gp('PAGEINFO.SRCPGE must be 0 for EAUG');
  if (pageinfo.secs === null || !st.store.isEpcPage(pageinfo.secs)) return epcPf(0n, 'PAGEINFO.SECS does not resolve within the EPC');
  if (st.store.entry(epcPage) !== undefined) return epcPf(st.epcAddress(epcPage), 'EPCM(RCX).VALID ≠ 0');
  if (pageinfo.secinfo !== null) {
    const rsv = secinfoReservedReason(pageinfo.secinfo);
    return gp(rsv ?? 'a non-zero EAUG SECINFO may only request PT_SS_FIRST/PT_SS_REST, which need CET (CPUID.(12H,1):EAX[6] = 0)');
  }
  const secsPage = pageinfo.secs;
  const secs = st.secsAt(secsPage);
  if (secs === undefined) return epcPf(st.epcAddress(secsPage), 'EPCM(PAGEINFO.SECS) is not a valid PT_SECS page');
  if (!secs.initialized) return gp('the enclave is not initialized (EAUG is only allowed after EINIT)');
  if (pageinfo.linaddr < secs.base || pageinfo.linaddr >= secs.base + secs.size) return gp(`PAGEINFO.LINADDR ${hex(pageinfo.linaddr)} is outside ELRANGE`);
  st.store.setContents(epcPage, null);
  st.store.setEntry(epcPage, epcmEntry({ pt: SgxPageType.REG, r: true, w: true, pending: true, secs: secsPage, linaddr: pageinfo.linaddr }));
  adjustChildren(st, secsPage, +1);
  return OK;
}

/**
 * ENCLS[EMODPR] (SDM Vol. 3D ch. 38 EMODPR): restrict a PT_REG page's EPCM permissions to
 * SECINFO.R/W/X and set PR. SECINFO.PT is ignored (Linux passes the permission bits only).
 */
export function emodpr(st: SgxState, secinfo: SecinfoOperand, epcPage: EpcPageId): EnclsResult {
  if (!st.config.sgx2) return ud('EMODPR is an SGX2 leaf');
  const f = notEpc(st, epcPage, 'RCX');
  if (f) return f;
  const rsv = secinfoReservedReason(secinfo);
  if (rsv) return gp(rsv);
  const si = secinfoBits(secinfoFlagsOf(secinfo));
  if (!si.r && si.w) return gp('SECINFO has W without R');
  const e = st.store.entry(epcPage);
  if (e === undefined) return epcPf(st.epcAddress(epcPage), 'EPCM(RCX).VALID = 0');
  if (e.pending || e.modified) return sgxError(SgxError.PAGE_NOT_MODIFIABLE, 'the page is PENDING or MODIFIED');
  if (e.pt !== SgxPageType.REG) return epcPf(st.epcAddress(epcPage), `EPCM(RCX).PT ${SgxPageType[e.pt]} is not PT_REG`);
  const secs = secsOf(st, e.secs!);
  if (!secs.initialized) return gp('the enclave is not initialized');
  st.store.setEntry(epcPage, { ...e, pr: true, r: e.r && si.r, w: e.w && si.w, x: e.x && si.x, modEpoch: secs.epoch });
  return OK;
}

/**
 * ENCLS[EMODT] (SDM Vol. 3D ch. 38 EMODT): change a page's type to PT_TCS (from PT_REG) or PT_TRIM
 * (from PT_REG or PT_TCS); the page becomes MODIFIED with no permissions until EACCEPT.
 */
export function emodt(st: SgxState, secinfo: SecinfoOperand, epcPage: EpcPageId): EnclsResult {
  if (!st.config.sgx2) return ud('EMODT is an SGX2 leaf');
  const f = notEpc(st, epcPage, 'RCX');
  if (f) return f;
  const rsv = secinfoReservedReason(secinfo);
  if (rsv) return gp(rsv);
  const to = secinfoBits(secinfoFlagsOf(secinfo)).pt;
  if (to !== SgxPageType.TCS && to !== SgxPageType.TRIM) return gp(`SECINFO.FLAGS.PT ${to} is not PT_TCS or PT_TRIM`);
  const e = st.store.entry(epcPage);
  if (e === undefined) return epcPf(st.epcAddress(epcPage), 'EPCM(RCX).VALID = 0');
  if (!(e.pt === SgxPageType.REG || (e.pt === SgxPageType.TCS && to === SgxPageType.TRIM))) {
    return epcPf(st.epcAddress(epcPage), `EPCM(RCX).PT ${SgxPageType[e.pt]} cannot change to ${SgxPageType[to]}`);
  }
  if (e.pending || e.modified) return sgxError(SgxError.PAGE_NOT_MODIFIABLE, 'the page is PENDING or MODIFIED');
  const secs = secsOf(st, e.secs!);
  if (!secs.initialized) return gp('the enclave is not initialized');
  // A page that becomes a TCS starts with no saved SSA frames in the model (its CSSA is whatever
  // the enclave wrote; EACCEPT checks CSSA < NSSA).
  if (to === SgxPageType.TCS) dropSsaContexts(st, secs.eid, e.linaddr);
  st.store.setEntry(epcPage, { ...e, pr: false, modified: true, r: false, w: false, x: false, pt: to, modEpoch: secs.epoch });
  return OK;
}


// ---------------------------------------------------------------------------------------------
// Debug: EDBGRD, EDBGWR (what Linux sgx_vma_access() uses for ptrace of a debug enclave)
// ---------------------------------------------------------------------------------------------

/** SGX_TCS_LIMIT: the architectural TCS fields end at byte 72 without CET (model value; SDM does not print it). */
export const SGX_TCS_LIMIT = TCS_OFF.reserved;

function debugTarget(st: SgxState, epcPage: EpcPageId, offset: number, write: boolean): { e: EpcmEntry } | EnclsResult<never> {
  if (!Number.isInteger(offset) || offset < 0 || offset > PAGE_SIZE - 8 || offset % 8 !== 0) return gp(`RCX offset ${offset} is not 8-byte aligned within the page`);
  const f = notEpc(st, epcPage, 'RCX');
  if (f) return f;
  const e = st.store.entry(epcPage);
  if (e === undefined) return epcPf(st.epcAddress(epcPage), 'EPCM(RCX).VALID = 0');
  const okType = e.pt === SgxPageType.REG || e.pt === SgxPageType.TCS || (!write && e.pt === SgxPageType.VA);
  if (!okType) return epcPf(st.epcAddress(epcPage), `EPCM(RCX).PT ${SgxPageType[e.pt]} cannot be ${write ? 'written' : 'read'} by ${write ? 'EDBGWR' : 'EDBGRD'}`);
  if (e.pending || e.modified) return sgxError(SgxError.PAGE_NOT_DEBUGGABLE, 'the page is PENDING or MODIFIED');
  if (e.pt === SgxPageType.TCS) {
    if (write && (offset & 0xff8) !== TCS_OFF.flags) return gp('EDBGWR may only write the TCS FLAGS word');
    if (!write && offset >= SGX_TCS_LIMIT) return gp(`TCS offset ${offset} is beyond SGX_TCS_LIMIT (${SGX_TCS_LIMIT})`);
  }
  if (e.pt !== SgxPageType.VA && (secsOf(st, e.secs!).attributes & SGX_ATTR_DEBUG) === 0n) return gp('the enclave is not a debug enclave (SECS.ATTRIBUTES.DEBUG = 0)');
  return { e };
}

/**
 * ENCLS[EDBGRD] (SDM Vol. 3D ch. 38 EDBGRD): read 8 bytes at `offset` of a debug enclave's REG or
 * TCS page (EPCM R/W/X are ignored); of a VA page it reports only whether the slot is in use
 * (all ones or 0).
 */
export function edbgrd(st: SgxState, epcPage: EpcPageId, offset: number): EnclsResult<bigint> {
  if (!st.config.sgx1) return ud('ENCLS is not supported');
  const t = debugTarget(st, epcPage, offset, false);
  if (!('e' in t)) return t;
  const b = st.store.contents(epcPage);
  const v = new DataView(b.buffer, b.byteOffset, PAGE_SIZE).getBigUint64(offset, true);
  if (t.e.pt === SgxPageType.VA) return { kind: 'ok', value: (v & ~7n) !== 0n ? 0xffff_ffff_ffff_ffffn : 0n };
  return { kind: 'ok', value: v };
}

/** ENCLS[EDBGWR] (SDM Vol. 3D ch. 38 EDBGWR): write 8 bytes into a debug enclave's REG page, or a TCS's FLAGS. */
export function edbgwr(st: SgxState, epcPage: EpcPageId, offset: number, value: bigint): EnclsResult {
  if (!st.config.sgx1) return ud('ENCLS is not supported');
  const t = debugTarget(st, epcPage, offset, true);
  if (!('e' in t)) return t;
  const b = st.store.mutableContents(epcPage);
  new DataView(b.buffer, b.byteOffset, PAGE_SIZE).setBigUint64(offset, BigInt.asUintN(64, value), true);
  return OK;
}
