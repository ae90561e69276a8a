// ENCLU: entering and leaving enclaves (EENTER, ERESUME, EEXIT, and the asynchronous exit AEX)
// and the SGX2 leaves enclave code runs (EACCEPT, EACCEPTCOPY, EMODPE), plus the enclave-mode
// memory access rules every load, store and instruction fetch obeys. EREPORT/EGETKEY are out of
// scope.
//
// Sources: SDM Vol. 3D ch. 38 (EENTER, ERESUME, EEXIT, EACCEPT, EACCEPTCOPY, EMODPE pseudocode),
// "Access-control Requirements" (paging first, then the EPCM), "Enclave Exiting Events" / "AEX
// Flow" (synthetic state, CSSA++, "clear low 12 bits of CR2 on #PF"), Vol. 3A 4.7 (#PF error code: P=1, W=2,
// U=4, I=0x10, SGX=0x8000); Linux arch/x86/include/uapi/asm/sgx.h struct sgx_enclave_run and
// arch/x86/entry/vdso/vsgx.S (what user space sees: the leaf in EAX, vector, error code and
// address of an exception); tools/testing/selftests/sgx/main.c (the expected error codes 0x7,
// 0x8005, 0x8007, 0x4, 0x6).
//
// The page tables belong to the kernel: every access goes through AddressSpace.translate(). A
// #PF is first handed to the kernel's FaultHandler (Linux: do_user_addr_fault → sgx_vma_fault,
// which may EAUG or ELDU and let the access retry); only a fault the handler does not fix reaches
// user space in the SgxEnclaveRun.
import { isZero } from './bytes.js';
import {
  EncluLeaf,
  PAGE_SIZE,
  PF_I,
  PF_P,
  PF_SGX,
  PF_U,
  PF_W,
  SECINFO_SIZE,
  SGX_ATTR_MODE64BIT,
  SgxError,
  SgxPageType,
  TCS_OFF,
  X86_TRAP_PF,
} from './arch.js';
import { GPRSGX_SIZE, xsaveSize } from './cpu.js';
import { isCanonical } from './encls.js';
import type { EpcPageId, EpcmEntry } from './epc.js';
import { gp, pf, ud, type SgxFault } from './outcome.js';
import { leBytes, readLe, validateProgram, type EnclaveOp, type EnclaveProgram, type OpResult, type ThreadContext } from './program.js';
import { secinfoBits, secinfoBytes, secinfoFlagsOf, secinfoReservedReason } from './secinfo.js';
import { ssaKey, type EntryLeaf, type LpState, type SgxState } from './state.js';

export type Access = 'r' | 'w' | 'x';

/** The kernel's answer for one linear address: the PTE as the CPU's page walk sees it. */
export type Translation =
  | { readonly present: false }
  | {
      readonly present: true;
      readonly writable: boolean;
      readonly executable: boolean;
      /** The EPC page the PTE maps, or null for ordinary memory. */
      readonly epcPage: EpcPageId | null;
    };

/** A process's address space as the CPU uses it (implemented by the kernel model's mm). */
export interface AddressSpace {
  /** Walk the page tables for `linaddr` (4 KiB page granularity; `access` is the access being made). */
  translate(linaddr: bigint, access: Access): Translation;
  /** Read ordinary (non-EPC) memory, for enclave accesses outside ELRANGE. */
  readRam?(linaddr: bigint, length: number): Uint8Array;
  /** Write ordinary (non-EPC) memory. */
  writeRam?(linaddr: bigint, data: Uint8Array): void;
}

/** A #PF as the kernel's handler receives it. */
export interface PageFaultInfo {
  readonly lp: number;
  /** CR2: page aligned for a fault inside the enclave (AEX clears bits 11:0). */
  readonly address: bigint;
  readonly errorCode: number;
  readonly access: Access;
  /** True when the fault happened in enclave mode (an AEX preceded it); false when EENTER/ERESUME itself faulted. */
  readonly inEnclave: boolean;
  readonly reason: string;
}

/** The kernel's #PF handler: 'retry' when it fixed the cause (the access is retried), 'deliver' to report it. */
export type FaultHandler = (fault: PageFaultInfo) => 'retry' | 'deliver';

/**
 * The Linux vDSO's report of one __vdso_sgx_enter_enclave() call (struct sgx_enclave_run:
 * function, exception_vector, exception_error_code, exception_addr), plus the program's per-op
 * results. `function` is EAX when control came back: EEXIT after a normal exit, ERESUME after an
 * exception inside the enclave (AEX loads EAX = ERESUME), or EENTER/ERESUME when that leaf itself
 * faulted.
 */
export interface SgxEnclaveRun {
  readonly function: EncluLeaf;
  readonly exceptionVector: number;
  readonly exceptionErrorCode: number;
  readonly exceptionAddr: bigint;
  readonly results: readonly OpResult[];
  /** Why the exception happened (empty after EEXIT). */
  readonly reason: string;
}

// ---------------------------------------------------------------------------------------------
// Access checks
// ---------------------------------------------------------------------------------------------

type Checked = { readonly ok: true; readonly epcPage: EpcPageId | null } | { readonly ok: false; readonly fault: SgxFault };

const pageOf = (a: bigint): bigint => a & ~0xfffn;
const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

function accessBits(access: Access): number {
  return PF_U | (access === 'w' ? PF_W : 0) | (access === 'x' ? PF_I : 0);
}

function inElrange(lp: LpState, a: bigint): boolean {
  return a >= lp.base && a < lp.base + lp.size;
}

/**
 * Paging part of an access (SDM Vol. 3A 4.6/4.7): not present → #PF(U|W/I); a write to a
 * read-only or a fetch from an NX translation → #PF(P|U|W/I).
 */
function walk(mm: AddressSpace, addr: bigint, access: Access): { t: Translation & { present: true } } | { fault: SgxFault } {
  const t = mm.translate(pageOf(addr), access);
  const ec = accessBits(access);
  if (!t.present) return { fault: pf(addr, ec, `page ${hex(pageOf(addr))} is not present in the page tables`) };
  if (access === 'w' && !t.writable) return { fault: pf(addr, ec | PF_P, `the PTE for ${hex(pageOf(addr))} is read-only`) };
  if (access === 'x' && !t.executable) return { fault: pf(addr, ec | PF_P, `the PTE for ${hex(pageOf(addr))} is not executable`) };
  return { t };
}

function epcmFault(addr: bigint, access: Access, reason: string): SgxFault {
  return pf(addr, accessBits(access) | PF_P | PF_SGX, reason);
}

/**
 * Why the EPCM denies a direct enclave access (SDM Vol. 3D "Access-control Requirements" and "Page-based Access Control"), or null: the page must be
 * VALID, belong to the running enclave at this linear address, not be SECS/TCS/VA/TRIM, not be
 * BLOCKED, PENDING or MODIFIED, and allow the access in R/W/X.
 */
function epcmDenies(lp: LpState, e: EpcmEntry | undefined, page: bigint, access: Access): string | null {
  if (e === undefined) return 'EPCM.VALID = 0';
  if (e.secs !== lp.secs) return 'the EPC page belongs to another enclave';
  if (e.linaddr !== page) return `EPCM.ENCLAVEADDRESS ${hex(e.linaddr)} ≠ ${hex(page)}`;
  if (e.pt !== SgxPageType.REG) return `the page type is ${SgxPageType[e.pt]}, not accessible`;
  if (e.blocked) return 'the page is BLOCKED';
  if (e.pending) return 'the page is PENDING (not yet EACCEPTed)';
  if (e.modified) return 'the page is MODIFIED (not yet EACCEPTed)';
  if (access === 'r' && !e.r) return 'EPCM.R = 0';
  if (access === 'w' && !e.w) return 'EPCM.W = 0';
  if (access === 'x' && !e.x) return 'EPCM.X = 0';
  return null;
}

/** A data access or instruction fetch by enclave code at `addr` (one page). */
function checkAccess(st: SgxState, lp: LpState, mm: AddressSpace, addr: bigint, access: Access): Checked {
  const w = walk(mm, addr, access);
  if ('fault' in w) return { ok: false, fault: w.fault };
  const { t } = w;
  if (inElrange(lp, addr)) {
    if (t.epcPage === null) return { ok: false, fault: epcmFault(addr, access, `ELRANGE address ${hex(addr)} maps to memory outside the EPC`) };
    const why = epcmDenies(lp, st.store.entry(t.epcPage), pageOf(addr), access);
    if (why) return { ok: false, fault: epcmFault(addr, access, why) };
    return { ok: true, epcPage: t.epcPage };
  }
  // SDM Vol. 3D "Access-control Requirements": code fetches from inside an enclave to addresses outside ELRANGE → #GP(0).
  if (access === 'x') return { ok: false, fault: gp(`instruction fetch at ${hex(addr)}, outside ELRANGE`) };
  if (t.epcPage !== null) return { ok: false, fault: epcmFault(addr, access, `EPC page accessed at ${hex(addr)}, outside ELRANGE`) };
  return { ok: true, epcPage: null };
}

/** Pages [addr, addr+len) touches, in order. */
function pagesOf(addr: bigint, len: number): bigint[] {
  const out: bigint[] = [];
  for (let p = pageOf(addr); p < addr + BigInt(len); p += BigInt(PAGE_SIZE)) out.push(p);
  return out;
}

function readBytes(st: SgxState, lp: LpState, mm: AddressSpace, addr: bigint, len: number): Uint8Array | SgxFault {
  const checked: Checked[] = [];
  for (const p of pagesOf(addr, len)) {
    const c = checkAccess(st, lp, mm, p < addr ? addr : p, 'r');
    if (!c.ok) return c.fault;
    checked.push(c);
  }
  const out = new Uint8Array(len);
  let o = 0;
  pagesOf(addr, len).forEach((p, i) => {
    const from = p < addr ? Number(addr - p) : 0;
    const n = Math.min(PAGE_SIZE - from, len - o);
    const c = checked[i] as { ok: true; epcPage: EpcPageId | null };
    if (c.epcPage !== null) out.set(st.store.contents(c.epcPage).subarray(from, from + n), o);
    else out.set(ram(mm, 'read').readRam!(p + BigInt(from), n), o);
    o += n;
  });
  return out;
}

function writeBytes(st: SgxState, lp: LpState, mm: AddressSpace, addr: bigint, data: Uint8Array): SgxFault | null {
  const checked: Checked[] = [];
  for (const p of pagesOf(addr, data.length)) {
    const c = checkAccess(st, lp, mm, p < addr ? addr : p, 'w');
    if (!c.ok) return c.fault;
    checked.push(c);
  }
  let o = 0;
  pagesOf(addr, data.length).forEach((p, i) => {
    const from = p < addr ? Number(addr - p) : 0;
    const n = Math.min(PAGE_SIZE - from, data.length - o);
    const c = checked[i] as { ok: true; epcPage: EpcPageId | null };
    if (c.epcPage !== null) st.store.mutableContents(c.epcPage).set(data.subarray(o, o + n), from);
    else ram(mm, 'write').writeRam!(p + BigInt(from), data.subarray(o, o + n));
    o += n;
  });
  return null;
}

function ram(mm: AddressSpace, what: 'read' | 'write'): AddressSpace {
  if ((what === 'read' && !mm.readRam) || (what === 'write' && !mm.writeRam)) {
    throw new Error(`the address space cannot ${what} ordinary memory (AddressSpace.${what}Ram is missing)`);
  }
  return mm;
}

// ---------------------------------------------------------------------------------------------
// EENTER / ERESUME
// ---------------------------------------------------------------------------------------------

interface Tcs {
  state: bigint;
  flags: bigint;
  ossa: bigint;
  cssa: number;
  nssa: number;
  oentry: bigint;
  ofsbase: bigint;
  ogsbase: bigint;
}

function readTcs(b: Uint8Array): Tcs {
  const v = new DataView(b.buffer, b.byteOffset, PAGE_SIZE);
  return {
    state: v.getBigUint64(TCS_OFF.state, true),
    flags: v.getBigUint64(TCS_OFF.flags, true),
    ossa: v.getBigUint64(TCS_OFF.ssaOffset, true),
    cssa: v.getUint32(TCS_OFF.ssaIndex, true),
    nssa: v.getUint32(TCS_OFF.nrSsaFrames, true),
    oentry: v.getBigUint64(TCS_OFF.entryOffset, true),
    ofsbase: v.getBigUint64(TCS_OFF.fsOffset, true),
    ogsbase: v.getBigUint64(TCS_OFF.gsOffset, true),
  };
}

function writeTcs(st: SgxState, page: EpcPageId, f: { state?: bigint; cssa?: number }): void {
  const b = st.store.mutableContents(page);
  const v = new DataView(b.buffer, b.byteOffset, PAGE_SIZE);
  if (f.state !== undefined) v.setBigUint64(TCS_OFF.state, f.state, true);
  if (f.cssa !== undefined) v.setUint32(TCS_OFF.ssaIndex, f.cssa, true);
}

/** A fault of the entry instruction itself, with the access that caused it (for the #PF handler). */
export interface EntryFault {
  readonly fault: SgxFault;
  readonly access: Access;
}

/** Check one SSA page for EENTER/ERESUME: R/W in the page tables, a valid R/W PT_REG page of this enclave. */
function checkSsaPage(st: SgxState, mm: AddressSpace, secsPage: EpcPageId, page: bigint): EntryFault | null {
  const w = walk(mm, page, 'w');
  if ('fault' in w) return { fault: w.fault, access: 'w' };
  const bad = (why: string): EntryFault => ({ fault: epcmFault(page, 'w', `SSA page ${hex(page)}: ${why}`), access: 'w' });
  if (w.t.epcPage === null) return bad('not an EPC page');
  const e = st.store.entry(w.t.epcPage);
  if (e === undefined) return bad('EPCM.VALID = 0');
  if (e.blocked) return bad('BLOCKED');
  if (e.pending || e.modified) return bad('PENDING or MODIFIED');
  if (e.linaddr !== page || e.pt !== SgxPageType.REG || e.secs !== secsPage) return bad('not a PT_REG page of this enclave at this address');
  if (!e.r || !e.w) return bad('EPCM does not allow read and write');
  return null;
}

/**
 * ENCLU[EENTER] / ENCLU[ERESUME] (SDM Vol. 3D ch. 38): the checks in the pseudocode's order, then
 * enclave mode on logical processor `lpId`. EENTER starts `program` at OENTRY; ERESUME restores
 * the thread saved in SSA frame CSSA-1 and decrements CSSA. Returns null on success.
 */
export function enter(st: SgxState, lpId: number, leaf: EntryLeaf, tcsAddr: bigint, aep: bigint, program: EnclaveProgram, mm: AddressSpace): EntryFault | null {
  const c = st.config;
  const name = leaf === EncluLeaf.EENTER ? 'EENTER' : 'ERESUME';
  const g = (why: string): EntryFault => ({ fault: gp(why), access: 'r' });
  if (leaf === EncluLeaf.EENTER) validateProgram(program); // a malformed program is a caller error: one readable Error
  if (!c.sgx1) return { fault: ud('ENCLU is not supported'), access: 'r' };
  if (st.lps.has(lpId)) return g(`${name} executed in enclave mode`);
  if ((tcsAddr & 0xfffn) !== 0n) return g(`TCS address ${hex(tcsAddr)} is not page aligned`);
  const w = walk(mm, tcsAddr, 'r');
  if ('fault' in w) return { fault: w.fault, access: 'r' };
  const tpf = (why: string): EntryFault => ({ fault: epcmFault(tcsAddr, 'r', `TCS ${hex(tcsAddr)}: ${why}`), access: 'r' });
  if (w.t.epcPage === null) return tpf('not an EPC page');
  const tcsPage = w.t.epcPage;
  const e = st.store.entry(tcsPage);
  if (e === undefined) return tpf('EPCM.VALID = 0');
  if (e.blocked) return tpf('the TCS page is BLOCKED');
  if (e.linaddr !== tcsAddr || e.pt !== SgxPageType.TCS) return tpf('not a PT_TCS page at this address');
  if (e.pending || e.modified) return tpf('the TCS page is PENDING or MODIFIED');
  const tcs = readTcs(st.store.contents(tcsPage));
  if ((tcs.ossa & 0xfffn) !== 0n) return g('TCS.OSSA is not page aligned');
  if ((tcs.ofsbase & 0xfffn) !== 0n || (tcs.ogsbase & 0xfffn) !== 0n) return g('TCS.OFSBASE/OGSBASE are not page aligned');
  const secsPage = e.secs!;
  const secs = st.store.secs(secsPage);
  if (secs === undefined) throw new Error(`invariant: TCS page ${tcsPage} has no resident SECS`);
  if ((tcs.flags & ~3n) !== 0n) return g('TCS.FLAGS has reserved bits set');
  if (!secs.initialized) return g('the enclave is not initialized');
  // The model's host runs in 64-bit mode (the Linux vDSO): TMP_MODE64 ≠ SECS.ATTRIBUTES.MODE64BIT → #GP.
  if ((secs.attributes & SGX_ATTR_MODE64BIT) === 0n) return g('a 32-bit enclave entered from 64-bit mode');
  if ((secs.xfrm & ~c.xcr0) !== 0n) return g(`SECS.ATTRIBUTES.XFRM ${hex(secs.xfrm)} is not a subset of XCR0 ${hex(c.xcr0)}`);
  let frame: number;
  if (leaf === EncluLeaf.EENTER) {
    if (tcs.cssa >= tcs.nssa) return g(`TCS.CSSA ${tcs.cssa} ≥ TCS.NSSA ${tcs.nssa}: no free SSA frame`);
    frame = tcs.cssa;
  } else {
    if (tcs.cssa === 0) return g('TCS.CSSA = 0: no SSA frame to resume from');
    frame = tcs.cssa - 1;
  }
  const frameBytes = BigInt(secs.ssaFrameSize) * BigInt(PAGE_SIZE);
  const ssa = secs.base + tcs.ossa + frameBytes * BigInt(frame);
  const xsavePages = Math.ceil(xsaveSize(secs.xfrm) / PAGE_SIZE);
  const ssaPages = new Set<bigint>();
  for (let i = 0; i < xsavePages; i++) ssaPages.add(ssa + BigInt(i * PAGE_SIZE));
  ssaPages.add(pageOf(ssa + frameBytes - BigInt(GPRSGX_SIZE)));
  for (const p of ssaPages) {
    const sf = checkSsaPage(st, mm, secsPage, p);
    if (sf) return sf;
  }
  const entry = secs.base + tcs.oentry;
  if (!isCanonical(entry)) return g(`the entry point ${hex(entry)} is not canonical`);
  if (!isCanonical(secs.base + tcs.ofsbase) || !isCanonical(secs.base + tcs.ogsbase)) return g('FS/GS base is not canonical');
  if (tcs.state !== 0n) return g('TCS.STATE is ACTIVE: another logical processor is using this TCS');
  // Enter.
  let ctx: ThreadContext;
  if (leaf === EncluLeaf.EENTER) {
    ctx = { program, pc: -1, results: [] };
    writeTcs(st, tcsPage, { state: 1n });
  } else {
    const key = ssaKey(secs.eid, tcsAddr, frame);
    // An SSA frame the model never saved (e.g. CSSA written by enclave code) resumes to an empty program: EEXIT.
    ctx = st.ssa.get(key) ?? { program: [], pc: 0, results: [] };
    st.ssa.delete(key);
    writeTcs(st, tcsPage, { state: 1n, cssa: tcs.cssa - 1 });
  }
  st.lps.set(lpId, { lp: lpId, eid: secs.eid, secs: secsPage, tcs: tcsPage, tcsLinaddr: tcsAddr, aep, base: secs.base, size: secs.size, entry, ctx });
  return null;
}

/** EEXIT (SDM Vol. 3D ch. 38 EEXIT): leave enclave mode; TCS.STATE := INACTIVE. */
function eexit(st: SgxState, lp: LpState): void {
  writeTcs(st, lp.tcs, { state: 0n });
  st.leaveEnclave(lp.lp);
}

/**
 * AEX (SDM Vol. 3D "AEX Flow"): save the thread into SSA frame CSSA, CSSA := CSSA + 1, TCS inactive,
 * leave enclave mode. For a #PF the address the OS sees has bits 11:0 cleared.
 */
export function aex(st: SgxState, lpId: number, fault: SgxFault | null): SgxFault | null {
  const lp = st.lps.get(lpId);
  if (lp === undefined) throw new Error(`logical processor ${lpId} is not in enclave mode`);
  const tcs = readTcs(st.store.contents(lp.tcs));
  st.ssa.set(ssaKey(lp.eid, lp.tcsLinaddr, tcs.cssa), lp.ctx);
  writeTcs(st, lp.tcs, { state: 0n, cssa: tcs.cssa + 1 });
  st.leaveEnclave(lpId);
  if (fault === null) return null;
  return fault.vector === X86_TRAP_PF ? { ...fault, address: pageOf(fault.address) } : fault;
}

// ---------------------------------------------------------------------------------------------
// SGX2 ENCLU leaves
// ---------------------------------------------------------------------------------------------

/**
 * The SECINFO operand (RBX). With `secinfoAddr` it lives in enclave memory and the leaf checks it
 * in three places of its pseudocode — alignment (#GP), resolution through the page tables to an
 * EPC page (#PF), and the page's EPCM entry: VALID, R, not PENDING/MODIFIED/BLOCKED, PT_REG, this
 * enclave, this address (#PF) — after which the 64 bytes are read. Without it the SECINFO is
 * FLAGS‖zeros in a valid scratch location and those checks pass.
 */
interface SecinfoOperandRef {
  readonly addr: bigint | undefined;
  readonly flags: bigint;
  page?: EpcPageId;
}

function secinfoAligned(si: SecinfoOperandRef): SgxFault | null {
  if (si.addr !== undefined && si.addr % BigInt(SECINFO_SIZE) !== 0n) return gp(`SECINFO address ${hex(si.addr)} is not 64-byte aligned`);
  return null;
}

function secinfoResolve(mm: AddressSpace, si: SecinfoOperandRef): SgxFault | null {
  if (si.addr === undefined) return null;
  const t = operandPage(mm, si.addr, 'r');
  if ('fault' in t) return t.fault;
  si.page = t.page;
  return null;
}

function secinfoRead(st: SgxState, lp: LpState, si: SecinfoOperandRef): Uint8Array | SgxFault {
  if (si.addr === undefined) return secinfoBytes(si.flags);
  const why = epcmDenies(lp, st.store.entry(si.page!), pageOf(si.addr), 'r');
  if (why) return epcmFault(si.addr, 'r', `SECINFO page: ${why}`);
  const off = Number(si.addr & 0xfffn);
  return st.store.contents(si.page!).slice(off, off + SECINFO_SIZE);
}

/** RCX/RDX operand: an EPC page of the running enclave reachable through the page tables. */
function operandPage(mm: AddressSpace, addr: bigint, access: Access): { page: EpcPageId } | { fault: SgxFault } {
  const w = walk(mm, addr, access);
  if ('fault' in w) return w;
  if (w.t.epcPage === null) return { fault: epcmFault(addr, access, `${hex(addr)} does not resolve to an EPC page`) };
  return { page: w.t.epcPage };
}

type LeafFault = { readonly fault: SgxFault; readonly access: Access };
type LeafResult = LeafFault | { readonly code: SgxError };
const leafGp = (why: string): LeafFault => ({ fault: gp(why), access: 'r' });

/** ENCLU[EACCEPT] (SDM Vol. 3D ch. 38 EACCEPT), in the pseudocode's order. */
function doEaccept(st: SgxState, lp: LpState, mm: AddressSpace, op: Extract<EnclaveOp, { op: 'eaccept' }>): LeafResult {
  const si: SecinfoOperandRef = { addr: op.secinfoAddr, flags: op.flags };
  const a = secinfoAligned(si);
  if (a) return { fault: a, access: 'r' };
  if (si.addr !== undefined && !inElrange(lp, si.addr)) return leafGp(`SECINFO address ${hex(si.addr)} is outside ELRANGE`);
  const r0 = secinfoResolve(mm, si);
  if (r0) return { fault: r0, access: 'r' };
  const rbx = secinfoRead(st, lp, si);
  if (!(rbx instanceof Uint8Array)) return { fault: rbx, access: 'r' };
  const rsv = secinfoReservedReason(rbx);
  if (rsv) return leafGp(rsv);
  const rcx = op.addr;
  if ((rcx & 0xfffn) !== 0n) return leafGp(`EACCEPT target ${hex(rcx)} is not page aligned`);
  if (!inElrange(lp, rcx)) return leafGp(`EACCEPT target ${hex(rcx)} is outside ELRANGE`);
  const t = operandPage(mm, rcx, 'r');
  if ('fault' in t) return { fault: t.fault, access: 'r' };
  const b = secinfoBits(secinfoFlagsOf(rbx));
  // Legal PT/PENDING/MODIFIED/PR combinations (no CET): REG with (PR or PENDING) and not MODIFIED,
  // or TCS/TRIM with MODIFIED and neither PENDING nor PR.
  const regOk = b.pt === SgxPageType.REG && (b.pr || b.pending) && !b.modified;
  const modOk = (b.pt === SgxPageType.TCS || b.pt === SgxPageType.TRIM) && !b.pr && !b.pending && b.modified;
  if (!regOk && !modOk) return leafGp('SECINFO does not request a legal PT/PENDING/MODIFIED/PR combination');
  const e = st.store.entry(t.page);
  if (e === undefined || e.blocked || (e.pt !== SgxPageType.REG && e.pt !== SgxPageType.TCS && e.pt !== SgxPageType.TRIM) || e.secs !== lp.secs) {
    return { fault: epcmFault(rcx, 'r', 'the target is not a valid, unblocked REG/TCS/TRIM page of this enclave'), access: 'r' };
  }
  if (e.linaddr !== rcx || e.pending !== b.pending || e.modified !== b.modified || e.r !== b.r || e.w !== b.w || e.x !== b.x || e.pt !== b.pt) {
    return { code: SgxError.PAGE_ATTRIBUTES_MISMATCH };
  }
  if (e.pr || e.modified) {
    const owner = st.store.secs(lp.secs)!;
    if (owner.epoch <= e.modEpoch || owner.trackingRefs.length > 0) return { code: SgxError.NOT_TRACKED };
  }
  if (b.pt === SgxPageType.TCS) {
    const pg = st.store.contents(t.page);
    if (!isZero(pg.subarray(TCS_OFF.reserved))) return leafGp('the new TCS has reserved bytes set');
    const tcs = readTcs(pg);
    const aepField = new DataView(pg.buffer, pg.byteOffset, PAGE_SIZE).getBigUint64(TCS_OFF.exitAddr, true);
    if ((tcs.flags & 1n) !== 0n || tcs.cssa >= tcs.nssa || aepField !== 0n || tcs.state !== 0n) return leafGp('the new TCS is not initialised correctly (DBGOPTIN, CSSA < NSSA, AEP, STATE)');
  }
  st.store.setEntry(t.page, { ...e, pending: false, modified: false, pr: false });
  return { code: SgxError.SUCCESS };
}

/**
 * ENCLU[EACCEPTCOPY] (SDM Vol. 3D ch. 38 EACCEPTCOPY), in the pseudocode's order; two conditions
 * where the printed pseudocode names RCX for RDX (source R) and RDX for RCX (destination BLOCKED)
 * are read as intended.
 */
function doEacceptcopy(st: SgxState, lp: LpState, mm: AddressSpace, op: Extract<EnclaveOp, { op: 'eacceptcopy' }>): LeafResult {
  const rcx = op.addr;
  const rdx = op.src;
  const si: SecinfoOperandRef = { addr: op.secinfoAddr, flags: op.flags };
  const a = secinfoAligned(si);
  if (a) return { fault: a, access: 'r' };
  if ((rcx & 0xfffn) !== 0n || (rdx & 0xfffn) !== 0n) return leafGp('EACCEPTCOPY pages are not page aligned');
  if (!inElrange(lp, rcx) || !inElrange(lp, rdx) || (si.addr !== undefined && !inElrange(lp, si.addr))) return leafGp('an EACCEPTCOPY operand is outside ELRANGE');
  const r0 = secinfoResolve(mm, si);
  if (r0) return { fault: r0, access: 'r' };
  const dst = operandPage(mm, rcx, 'w');
  if ('fault' in dst) return { fault: dst.fault, access: 'w' };
  const src = operandPage(mm, rdx, 'r');
  if ('fault' in src) return { fault: src.fault, access: 'r' };
  const rbx = secinfoRead(st, lp, si);
  if (!(rbx instanceof Uint8Array)) return { fault: rbx, access: 'r' };
  const b = secinfoBits(secinfoFlagsOf(rbx));
  const rsv = secinfoReservedReason(rbx);
  if (rsv || (!b.r && b.w) || b.pt !== SgxPageType.REG) return leafGp(rsv ?? 'SECINFO must be PT_REG without W-only permissions');
  const why = epcmDenies(lp, st.store.entry(src.page), rdx, 'r');
  if (why) return { fault: epcmFault(rdx, 'r', `EACCEPTCOPY source: ${why}`), access: 'r' };
  const de = st.store.entry(dst.page);
  if (de === undefined || !de.pending || de.modified || de.blocked || de.pt !== SgxPageType.REG || de.secs !== lp.secs) return { code: SgxError.PAGE_ATTRIBUTES_MISMATCH };
  if (!de.r || !de.w || de.x || de.linaddr !== rcx) return { code: SgxError.PAGE_ATTRIBUTES_MISMATCH };
  const copy = Uint8Array.from(st.store.contents(src.page));
  st.store.setContents(dst.page, isZero(copy) ? null : copy);
  st.store.setEntry(dst.page, { ...de, r: b.r, w: b.w, x: b.x, pending: false });
  return { code: SgxError.SUCCESS };
}

/** ENCLU[EMODPE] (SDM Vol. 3D ch. 38 EMODPE): OR SECINFO.R/W/X into a PT_REG page's EPCM permissions. */
function doEmodpe(st: SgxState, lp: LpState, mm: AddressSpace, op: Extract<EnclaveOp, { op: 'emodpe' }>): LeafResult {
  const rcx = op.addr;
  const si: SecinfoOperandRef = { addr: op.secinfoAddr, flags: op.flags };
  const a = secinfoAligned(si);
  if (a) return { fault: a, access: 'r' };
  if ((rcx & 0xfffn) !== 0n) return leafGp(`EMODPE target ${hex(rcx)} is not page aligned`);
  if (!inElrange(lp, rcx) || (si.addr !== undefined && !inElrange(lp, si.addr))) return leafGp('an EMODPE operand is outside ELRANGE');
  const r0 = secinfoResolve(mm, si);
  if (r0) return { fault: r0, access: 'r' };
  const t = operandPage(mm, rcx, 'r');
  if ('fault' in t) return { fault: t.fault, access: 'r' };
  const rbx = secinfoRead(st, lp, si);
  if (!(rbx instanceof Uint8Array)) return { fault: rbx, access: 'r' };
  const rsv = secinfoReservedReason(rbx);
  if (rsv) return leafGp(rsv);
  const e = st.store.entry(t.page);
  if (e === undefined || e.pending || e.modified || e.blocked || e.pt !== SgxPageType.REG || e.secs !== lp.secs || e.linaddr !== rcx) {
    return { fault: epcmFault(rcx, 'r', 'EMODPE target is not a valid, settled PT_REG page of this enclave'), access: 'r' };
  }
  const b = secinfoBits(secinfoFlagsOf(rbx));
  if (!e.r && !b.r && b.w) return leafGp('EMODPE would give W without R');
  st.store.setEntry(t.page, { ...e, r: e.r || b.r, w: e.w || b.w, x: e.x || b.x });
  return { code: SgxError.SUCCESS };
}

// ---------------------------------------------------------------------------------------------
// Running enclave code
// ---------------------------------------------------------------------------------------------

export type StepOutcome =
  | { readonly kind: 'continue' }
  | { readonly kind: 'eexit'; readonly results: readonly OpResult[] }
  /** The op faulted: AEX has happened (CSSA incremented); `fault` is as the OS sees it. */
  | { readonly kind: 'aex'; readonly fault: SgxFault; readonly access: Access; readonly results: readonly OpResult[] };

function advance(st: SgxState, lp: LpState, result: OpResult): void {
  let results = lp.ctx.results;
  if (lp.ctx.pc >= 0 && result !== undefined) {
    // Copy only when there is something to record: contexts are immutable (saved SSA frames share them).
    const r = [...results];
    r[lp.ctx.pc] = result;
    results = r;
  }
  st.lps.set(lp.lp, { ...lp, ctx: { ...lp.ctx, pc: lp.ctx.pc + 1, results } });
}

/** Execute the next op of the thread on `lpId` (SDM semantics of the corresponding instruction). */
export function step(st: SgxState, lpId: number, mm: AddressSpace): StepOutcome {
  const lp = st.lps.get(lpId);
  if (lp === undefined) throw new Error(`logical processor ${lpId} is not in enclave mode`);
  const { ctx } = lp;
  const fail = (fault: SgxFault, access: Access): StepOutcome => {
    const seen = aex(st, lpId, fault)!;
    return { kind: 'aex', fault: seen, access, results: ctx.results };
  };
  if (ctx.pc === -1) {
    const c = checkAccess(st, lp, mm, lp.entry, 'x');
    if (!c.ok) return fail(c.fault, 'x');
    advance(st, lp, undefined);
    return { kind: 'continue' };
  }
  const op = ctx.program[ctx.pc];
  if (op === undefined || op.op === 'eexit') {
    eexit(st, lp);
    return { kind: 'eexit', results: ctx.results };
  }
  switch (op.op) {
    case 'load': {
      const r = readBytes(st, lp, mm, op.addr, op.size ?? 8);
      if (!(r instanceof Uint8Array)) return fail(r, 'r');
      advance(st, lp, readLe(r, 0, r.length));
      return { kind: 'continue' };
    }
    case 'store':
    case 'write': {
      const data = op.op === 'store' ? leBytes(op.value, op.size ?? 8) : op.data;
      const f = writeBytes(st, lp, mm, op.addr, data);
      if (f) return fail(f, 'w');
      advance(st, st.lps.get(lpId)!, undefined);
      return { kind: 'continue' };
    }
    case 'exec': {
      const c = checkAccess(st, lp, mm, op.addr, 'x');
      if (!c.ok) return fail(c.fault, 'x');
      advance(st, lp, undefined);
      return { kind: 'continue' };
    }
    case 'nop':
      advance(st, lp, undefined);
      return { kind: 'continue' };
    case 'eaccept':
    case 'eacceptcopy':
    case 'emodpe': {
      if (!st.config.sgx2) return fail(ud(`${op.op.toUpperCase()} is an SGX2 leaf`), 'r');
      const r = op.op === 'eaccept' ? doEaccept(st, lp, mm, op) : op.op === 'eacceptcopy' ? doEacceptcopy(st, lp, mm, op) : doEmodpe(st, lp, mm, op);
      if ('fault' in r) return fail(r.fault, r.access);
      advance(st, st.lps.get(lpId)!, op.op === 'emodpe' ? undefined : r.code);
      return { kind: 'continue' };
    }
  }
}

/**
 * An interrupt (external interrupt or IPI) on `lpId`: AEX without an exception if the processor is
 * in enclave mode (returns true), nothing otherwise (returns false).
 */
export function interrupt(st: SgxState, lpId: number): boolean {
  if (!st.lps.has(lpId)) return false;
  aex(st, lpId, null);
  return true;
}

export interface RunRequest {
  readonly leaf: EntryLeaf;
  /** Linear address of the TCS (RBX). */
  readonly tcs: bigint;
  /** What the enclave code does (EENTER only; ERESUME continues the saved thread). */
  readonly program?: EnclaveProgram;
  readonly mm: AddressSpace;
  /** The kernel's #PF handler; without one every #PF is delivered. */
  readonly onFault?: FaultHandler;
  /** Logical processor (default 0). */
  readonly lp?: number;
  /** AEP (RCX); default 0. */
  readonly aep?: bigint;
  /** Upper bound on ops executed (default 1e6); exceeding it is an error. */
  readonly maxSteps?: number;
}

const MAX_RETRIES_PER_ACCESS = 64;

/**
 * One call of the Linux vDSO's __vdso_sgx_enter_enclave(): EENTER or ERESUME, run enclave code,
 * and return when it EEXITs or an exception the kernel does not fix reaches user space. A #PF is
 * offered to `onFault` first; on 'retry' the AEP re-enters with ERESUME (Linux: the vDSO's AEP is
 * the ENCLU instruction itself, and AEX left EAX = ERESUME) and the faulting op runs again.
 */
export function runEnclave(st: SgxState, req: RunRequest): SgxEnclaveRun {
  const lpId = req.lp ?? 0;
  const aep = req.aep ?? 0n;
  const onFault = req.onFault ?? (() => 'deliver' as const);
  const maxSteps = req.maxSteps ?? 1_000_000;
  const exception = (fn: EncluLeaf, f: SgxFault, results: readonly OpResult[]): SgxEnclaveRun => ({ function: fn, exceptionVector: f.vector, exceptionErrorCode: f.errorCode, exceptionAddr: f.address, results, reason: f.reason });
  // Enter, letting the kernel fix faults of the entry instruction itself (e.g. a not-present TCS or SSA page).
  const enterFixed = (leaf: EntryLeaf): SgxEnclaveRun | null => {
    for (let tries = 0; ; tries++) {
      const f = enter(st, lpId, leaf, req.tcs, aep, req.program ?? [], req.mm);
      if (f === null) return null;
      if (f.fault.vector !== X86_TRAP_PF || onFault({ lp: lpId, address: f.fault.address, errorCode: f.fault.errorCode, access: f.access, inEnclave: false, reason: f.fault.reason }) !== 'retry') {
        return exception(leaf, f.fault, []);
      }
      if (tries >= MAX_RETRIES_PER_ACCESS) throw new Error(`the #PF handler returned 'retry' ${tries} times for ${f.fault.reason}`);
    }
  };
  const first = enterFixed(req.leaf);
  if (first) return first;
  let retries = 0;
  for (let n = 0; ; n++) {
    if (n >= maxSteps) throw new Error(`the enclave program ran more than ${maxSteps} steps`);
    const s = step(st, lpId, req.mm);
    if (s.kind === 'continue') {
      retries = 0;
      continue;
    }
    if (s.kind === 'eexit') return { function: EncluLeaf.EEXIT, exceptionVector: 0, exceptionErrorCode: 0, exceptionAddr: 0n, results: s.results, reason: '' };
    const f = s.fault;
    if (f.vector !== X86_TRAP_PF || onFault({ lp: lpId, address: f.address, errorCode: f.errorCode, access: s.access, inEnclave: true, reason: f.reason }) !== 'retry') {
      return exception(EncluLeaf.ERESUME, f, s.results);
    }
    if (++retries > MAX_RETRIES_PER_ACCESS) throw new Error(`the #PF handler returned 'retry' ${retries} times for ${f.reason}`);
    const again = enterFixed(EncluLeaf.ERESUME);
    if (again) return { ...again, results: s.results };
  }
}
