// EPC paging: EPA (create a Version Array page), EBLOCK, ETRACK, EWB (evict) and ELDU/ELDB
// (reload). SDM Vol. 3D "EPC and Management of EPC Pages" (paging) and the leaves' pseudocode in ch. 38.
//
// What the model keeps from the architecture:
//   - a VA page holds 512 eight-byte version slots; EWB writes a fresh non-zero version into the
//     slot it is given and ELDU reads the version from the slot it is given, so reloading through
//     the wrong slot, or after the slot was reused, fails (SGX_MAC_COMPARE_FAIL);
//   - the evicted page leaves as "ciphertext" plus a 128-byte PCMD (SECINFO, ENCLAVEID, MAC) that
//     system software stores; changing any bit of either, or the LINADDR/SECS given to ELDU,
//     fails the MAC check. Encryption and MAC are the model's keyed mix (mac.ts), not AES-GCM;
//   - tracking: EBLOCK records the enclave's epoch, ETRACK starts a new epoch and records the
//     logical processors then inside the enclave, and EWB of a blocked page is SGX_NOT_TRACKED
//     until an ETRACK happened after the EBLOCK and every processor it recorded has left the
//     enclave (EEXIT or AEX). This is the protocol Linux follows in sgx_encl_ewb()
//     (arch/x86/kernel/cpu/sgx/main.c: EWB, on NOT_TRACKED ETRACK and retry, then IPI and retry).
// Model choices: ELDU clears the VA slot after a successful load (the 2018 SDM text of this step
// is garbled); a SECS given to ELDU must be a valid PT_SECS page (#PF otherwise), as for EADD.
import { isZero } from './bytes.js';
import { PAGE_SIZE, PCMD_SIZE, SGX_VA_SLOT_COUNT, SgxError, SgxPageType } from './arch.js';
import { epcmEntry, epcmSecinfoFlags, type EpcPageId, type EpcmEntry, type SecsState } from './epc.js';
import { modelKeystreamXor, modelMac } from './mac.js';
import { epcPf, gp, OK, ok, sgxError, ud, type EnclsResult } from './outcome.js';
import { secinfoBits } from './secinfo.js';
import type { SgxState } from './state.js';

/** A version slot: a VA page and the byte offset of the slot in it (8-byte aligned, < 4096). */
export interface VaSlot {
  readonly page: EpcPageId;
  readonly offset: number;
}

/** What EWB writes to PAGEINFO.SRCPGE: the encrypted page. A SECS also carries its (sealed) state. */
export interface EvictedPage {
  readonly ciphertext: Uint8Array;
  /** For a SECS: the SECS and its hidden state, opaque to software. */
  readonly secsImage: SecsState | null;
}

/** EWB's outputs: SRCPGE, PCMD (128 bytes) and PAGEINFO.LINADDR. */
export interface EwbOutput {
  readonly srcpge: EvictedPage;
  readonly pcmd: Uint8Array;
  readonly linaddr: bigint;
}

/** ELDU/ELDB's PAGEINFO: LINADDR, SRCPGE, PCMD and SECS (null for SECS and VA pages). */
export interface EldPageInfo {
  readonly linaddr: bigint;
  readonly srcpge: EvictedPage;
  readonly pcmd: Uint8Array;
  readonly secs: EpcPageId | null;
}

/** PCMD layout (SDM Vol. 3D "Paging Crypto MetaData (PCMD)"): SECINFO 64, ENCLAVEID 8, reserved 40, MAC 16. */
export const PCMD_OFF = { secinfo: 0, enclaveId: 64, reserved: 72, mac: 112 } as const;

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

function isChildType(pt: SgxPageType): boolean {
  return pt === SgxPageType.REG || pt === SgxPageType.TCS || pt === SgxPageType.TRIM;
}

function slotCheck(st: SgxState, slot: VaSlot): ReturnType<typeof gp> | null {
  if (!Number.isInteger(slot.offset) || slot.offset % 8 !== 0 || slot.offset < 0 || slot.offset > PAGE_SIZE - 8) return gp(`VA slot offset ${slot.offset} is not an 8-byte aligned slot (0..${(SGX_VA_SLOT_COUNT - 1) * 8})`);
  if (!st.store.isEpcPage(slot.page)) return epcPf(0n, `RDX (VA page ${slot.page}) does not resolve within the EPC`);
  return null;
}

function readSlot(st: SgxState, slot: VaSlot): bigint {
  const b = st.store.contents(slot.page);
  return new DataView(b.buffer, b.byteOffset, PAGE_SIZE).getBigUint64(slot.offset, true);
}

function writeSlot(st: SgxState, slot: VaSlot, v: bigint): void {
  const b = st.store.mutableContents(slot.page);
  new DataView(b.buffer, b.byteOffset, PAGE_SIZE).setBigUint64(slot.offset, v, true);
  if (v === 0n && isZero(b)) st.store.setContents(slot.page, null);
}

/** The authenticated header (SDM EWB TMP_HEADER: EID, LINADDR, SECINFO.FLAGS) plus the version. */
function macHeader(eid: bigint, linaddr: bigint, flags: bigint, version: bigint): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, eid, true);
  v.setBigUint64(8, linaddr, true);
  v.setBigUint64(16, flags, true);
  v.setBigUint64(24, version, true);
  return b;
}

/** A digest input for a sealed SECS image, so that a modified image fails the MAC. */
function secsImageBytes(s: SecsState | null): Uint8Array {
  if (s === null) return new Uint8Array(0);
  const parts = [s.eid, s.size, s.base, BigInt(s.ssaFrameSize), BigInt(s.miscselect), s.attributes, s.xfrm, BigInt(s.configSvn), s.initialized ? 1n : 0n, BigInt(s.measurement.updateCount), BigInt(s.isvProdId), BigInt(s.isvSvn), BigInt(s.childCount)];
  const b = new Uint8Array(parts.length * 8 + 64 + 32 + 32);
  const v = new DataView(b.buffer);
  parts.forEach((p, i) => v.setBigUint64(i * 8, BigInt.asUintN(64, p), true));
  let o = parts.length * 8;
  b.set(s.configId, o);
  o += 64;
  if (s.mrenclave) b.set(s.mrenclave, o);
  o += 32;
  if (s.mrsigner) b.set(s.mrsigner, o);
  return b;
}

function pagingMac(st: SgxState, header: Uint8Array, ciphertext: Uint8Array, image: SecsState | null): Uint8Array {
  return modelMac(st.config.keySeed, header, ciphertext, secsImageBytes(image));
}

function pagingNonce(version: bigint, eid: bigint, linaddr: bigint): Uint8Array {
  return macHeader(eid, linaddr, 0n, version);
}

/** ENCLS[EPA] (SDM Vol. 3D ch. 38 EPA): turn a free EPC page into a Version Array page (512 zero slots). */
export function epa(st: SgxState, epcPage: EpcPageId): EnclsResult {
  if (!st.config.sgx1) return ud('ENCLS is not supported');
  if (!st.store.isEpcPage(epcPage)) return epcPf(0n, `RCX (${epcPage}) does not resolve within the EPC`);
  if (st.store.entry(epcPage) !== undefined) return epcPf(st.epcAddress(epcPage), 'EPCM(RCX).VALID ≠ 0');
  st.store.setContents(epcPage, null);
  st.store.setEntry(epcPage, epcmEntry({ pt: SgxPageType.VA }));
  return OK;
}

/** ENCLS[EBLOCK] (SDM Vol. 3D ch. 38 EBLOCK): mark a page BLOCKED so that no new TLB mappings of it are made. */
export function eblock(st: SgxState, epcPage: EpcPageId): EnclsResult {
  if (!st.config.sgx1) return ud('ENCLS is not supported');
  if (!st.store.isEpcPage(epcPage)) return epcPf(0n, `RCX (${epcPage}) does not resolve within the EPC`);
  const e = st.store.entry(epcPage);
  if (e === undefined) return sgxError(SgxError.PG_INVLD, 'EPCM(RCX).VALID = 0');
  if (!isChildType(e.pt)) {
    return e.pt === SgxPageType.SECS ? sgxError(SgxError.PG_IS_SECS, 'the page is a SECS') : sgxError(SgxError.NOTBLOCKABLE, `a ${SgxPageType[e.pt]} page cannot be blocked`);
  }
  if (e.blocked) return sgxError(SgxError.BLKSTATE, 'the page is already blocked');
  const owner = st.store.secs(e.secs!);
  st.store.setEntry(epcPage, { ...e, blocked: true, blockEpoch: owner?.epoch ?? 0 });
  return OK;
}

/** ENCLS[ETRACK] (SDM Vol. 3D ch. 38 ETRACK): start a new tracking epoch for the enclave. */
export function etrack(st: SgxState, secsPage: EpcPageId): EnclsResult {
  if (!st.config.sgx1) return ud('ENCLS is not supported');
  if (!st.store.isEpcPage(secsPage)) return epcPf(0n, `RCX (${secsPage}) does not resolve within the EPC`);
  const e = st.store.entry(secsPage);
  if (e === undefined) return epcPf(st.epcAddress(secsPage), 'EPCM(RCX).VALID = 0');
  if (e.pt !== SgxPageType.SECS) return epcPf(st.epcAddress(secsPage), 'EPCM(RCX).PT is not PT_SECS');
  const s = st.store.secs(secsPage)!;
  if (s.trackingRefs.length > 0) return sgxError(SgxError.PREV_TRK_INCMPL, `logical processor(s) ${s.trackingRefs.join(', ')} from the previous ETRACK are still inside the enclave`);
  st.store.setSecs(secsPage, { ...s, epoch: s.epoch + 1, trackingRefs: st.activeLps(s.eid) });
  return OK;
}

/**
 * ENCLS[EWB] (SDM Vol. 3D ch. 38 EWB): evict a page. PAGEINFO.LINADDR/SECS are inputs that must be 0
 * (the model takes none); SRCPGE, PCMD and LINADDR are returned. When the VA slot already held a
 * version the page is still evicted and the slot overwritten, and the result is
 * SGX_VA_SLOT_OCCUPIED (CF = 1) carrying the output.
 */
export function ewb(st: SgxState, epcPage: EpcPageId, slot: VaSlot): EnclsResult<EwbOutput> {
  if (!st.config.sgx1) return ud('ENCLS is not supported');
  if (!st.store.isEpcPage(epcPage)) return epcPf(0n, `RCX (${epcPage}) does not resolve within the EPC`);
  const sf = slotCheck(st, slot);
  if (sf) return sf;
  if (slot.page === epcPage) return gp('the EPC page and the VA slot are in the same EPC page');
  const e = st.store.entry(epcPage);
  if (e === undefined) return epcPf(st.epcAddress(epcPage), 'EPCM(RCX).VALID = 0');
  const va = st.store.entry(slot.page);
  if (va === undefined || va.pt !== SgxPageType.VA) return epcPf(st.epcAddress(slot.page), 'EPCM(RDX) is not a valid PT_VA page');
  let headerEid = 0n;
  let pcmdEid = 0n;
  let image: SecsState | null = null;
  if (isChildType(e.pt)) {
    const owner = st.store.secs(e.secs!)!;
    if (!e.blocked) return sgxError(SgxError.PAGE_NOT_BLOCKED, 'the page is not blocked (EBLOCK first)');
    if (owner.epoch <= e.blockEpoch) return sgxError(SgxError.NOT_TRACKED, 'no ETRACK since the page was blocked');
    if (owner.trackingRefs.length > 0) return sgxError(SgxError.NOT_TRACKED, `logical processor(s) ${owner.trackingRefs.join(', ')} tracked by the last ETRACK are still inside the enclave`);
    headerEid = pcmdEid = owner.eid;
  } else if (e.pt === SgxPageType.SECS) {
    const s = st.store.secs(epcPage)!;
    if (s.childCount > 0) return sgxError(SgxError.CHILD_PRESENT, `the SECS still has ${s.childCount} page(s) in the EPC`);
    pcmdEid = s.eid;
    image = Object.freeze({ ...s });
  }
  // Versions are fresh non-zero multiples of 8: EDBGRD reads a slot as (value & ~7), so the low
  // three bits carry no version information (model choice).
  const version = st.nextVersion;
  st.nextVersion = version + 8n;
  const flags = epcmSecinfoFlags(e);
  const ciphertext = modelKeystreamXor(st.config.keySeed, pagingNonce(version, headerEid, e.linaddr), st.store.contents(epcPage));
  const mac = pagingMac(st, macHeader(headerEid, e.linaddr, flags, version), ciphertext, image);
  const pcmd = new Uint8Array(PCMD_SIZE);
  const pv = new DataView(pcmd.buffer);
  pv.setBigUint64(PCMD_OFF.secinfo, flags, true);
  pv.setBigUint64(PCMD_OFF.enclaveId, pcmdEid, true);
  pcmd.set(mac, PCMD_OFF.mac);
  const occupied = readSlot(st, slot) !== 0n;
  writeSlot(st, slot, version);
  st.store.invalidate(epcPage);
  if (isChildType(e.pt)) adjustChildren(st, e.secs!, -1);
  const out: EwbOutput = Object.freeze({ srcpge: Object.freeze({ ciphertext, secsImage: image }), pcmd, linaddr: e.linaddr });
  if (occupied) return { kind: 'error', code: SgxError.VA_SLOT_OCCUPIED, reason: 'the VA slot already held a version (overwritten)', value: out };
  return ok(out);
}

function adjustChildren(st: SgxState, secs: EpcPageId, delta: number): void {
  const s = st.store.secs(secs);
  if (s === undefined) throw new Error(`invariant: EPC page ${secs} holds no SECS`);
  st.store.setSecs(secs, { ...s, childCount: s.childCount + delta });
}

/**
 * ENCLS[ELDU] / ENCLS[ELDB] (SDM Vol. 3D ch. 38 ELDB/ELDU): load an evicted page back, verifying
 * its MAC against the version in `slot`; ELDB leaves it BLOCKED.
 */
export function eld(st: SgxState, pageinfo: EldPageInfo, epcPage: EpcPageId, slot: VaSlot, blocked: boolean): EnclsResult {
  if (!st.config.sgx1) return ud('ENCLS is not supported');
  if (!st.store.isEpcPage(epcPage)) return epcPf(0n, `RCX (${epcPage}) does not resolve within the EPC`);
  const sf = slotCheck(st, slot);
  if (sf) return sf;
  if (pageinfo.pcmd.length !== PCMD_SIZE || pageinfo.srcpge.ciphertext.length !== PAGE_SIZE) throw new Error('ELDU reads a 4096-byte SRCPGE and a 128-byte PCMD (a driver bug)');
  if (st.store.entry(epcPage) !== undefined) return epcPf(st.epcAddress(epcPage), 'EPCM(RCX).VALID = 1');
  const va = st.store.entry(slot.page);
  if (va === undefined || va.pt !== SgxPageType.VA) return epcPf(st.epcAddress(slot.page), 'EPCM(RDX) is not a valid PT_VA page');
  const pv = new DataView(pageinfo.pcmd.buffer, pageinfo.pcmd.byteOffset, PCMD_SIZE);
  const flags = pv.getBigUint64(PCMD_OFF.secinfo, true);
  const si = secinfoBits(flags);
  let eid = 0n;
  let owner: SecsState | undefined;
  if (isChildType(si.pt)) {
    if (pageinfo.secs === null || !st.store.isEpcPage(pageinfo.secs)) return epcPf(0n, 'PAGEINFO.SECS does not resolve within the EPC');
    owner = st.secsAt(pageinfo.secs);
    if (owner === undefined) return epcPf(st.epcAddress(pageinfo.secs), 'EPCM(PAGEINFO.SECS) is not a valid PT_SECS page');
    eid = owner.eid;
  }
  const version = readSlot(st, slot);
  const image = si.pt === SgxPageType.SECS ? pageinfo.srcpge.secsImage : null;
  const mac = pagingMac(st, macHeader(eid, pageinfo.linaddr, flags, version), pageinfo.srcpge.ciphertext, image);
  const stored = pageinfo.pcmd.subarray(PCMD_OFF.mac, PCMD_OFF.mac + 16);
  let same = true;
  for (let i = 0; i < 16; i++) if (mac[i] !== stored[i]) same = false;
  if (!same || (si.pt === SgxPageType.SECS && image === null)) return sgxError(SgxError.MAC_COMPARE_FAIL, `the MAC does not verify (version ${hex(version)} in VA slot ${slot.page}:${slot.offset})`);
  writeSlot(st, slot, 0n);
  const plain = modelKeystreamXor(st.config.keySeed, pagingNonce(version, eid, pageinfo.linaddr), pageinfo.srcpge.ciphertext);
  st.store.setContents(epcPage, isZero(plain) ? null : plain);
  const childBlocked = blocked && isChildType(si.pt);
  const entry: EpcmEntry = epcmEntry({
    pt: si.pt as SgxPageType,
    r: si.r,
    w: si.w,
    x: si.x,
    pending: si.pending,
    modified: si.modified,
    pr: si.pr,
    blocked: childBlocked,
    blockEpoch: childBlocked ? owner!.epoch : 0,
    secs: isChildType(si.pt) ? pageinfo.secs : null,
    linaddr: pageinfo.linaddr,
  });
  st.store.setEntry(epcPage, entry);
  if (si.pt === SgxPageType.SECS) st.store.setSecs(epcPage, image!);
  if (isChildType(si.pt)) adjustChildren(st, pageinfo.secs!, +1);
  return OK;
}
