// SgxHardware: the modelled SGX CPU + EPC that kernel/driver models drive. One object holds the
// platform configuration, the EPC/EPCM, every SECS, the launch-control MSRs, the logical
// processors currently in enclave mode and the saved SSA frames; ENCLS and ENCLU leaves are
// methods. Deterministic (no clocks, no randomness) and cheap to fork: clone() is O(1) in the
// size of the EPC (copy-on-write BTrees), and a mutated clone never changes the original.
//
// Layout of the implementation: cpu.ts (platform, CPUID), epc.ts (EPC/EPCM storage), secinfo.ts,
// encls.ts (ECREATE, EADD, EEXTEND, EINIT, EREMOVE, EAUG, EMODPR, EMODT), reclaim.ts (EPA,
// EBLOCK, ETRACK, EWB, ELDU/ELDB), enclu.ts (EENTER, ERESUME, EEXIT, AEX, EACCEPT, EACCEPTCOPY,
// EMODPE, access checks), program.ts (the enclave step language). Documentation:
// docs/sgx-hardware.md.
import type { Crypto } from '../../../platform/crypto.js';
import { EncluLeaf, SgxPageType, TCS_OFF } from './arch.js';
import { cpuidSgxLeaf, MSR_IA32_SGXLEPUBKEYHASH0, sgxCpuConfig, type CpuidRegs, type SgxCpuConfig, type SgxCpuOptions } from './cpu.js';
import type { EpcPageId, EpcmEntry } from './epc.js';
import { eadd, eaug, edbgrd, edbgwr, eextend, einit, einittokenMac, ecreate, emodpr, emodt, eremove, type PageInfo } from './encls.js';
import { enter, interrupt, runEnclave, step, type AddressSpace, type EntryFault, type RunRequest, type SgxEnclaveRun, type StepOutcome } from './enclu.js';
import { gp, OK, type EnclsResult } from './outcome.js';
import type { EnclaveProgram, ThreadContext } from './program.js';
import { eblock, eld, epa, etrack, ewb, type EldPageInfo, type EwbOutput, type VaSlot } from './reclaim.js';
import type { SecinfoOperand } from './secinfo.js';
import { SgxState, type EntryLeaf } from './state.js';

/** A read-only view of a SECS (inspection; not something software can read on real hardware). */
export interface SecsInfo {
  readonly eid: bigint;
  readonly base: bigint;
  readonly size: bigint;
  readonly ssaFrameSize: number;
  readonly miscselect: number;
  readonly attributes: bigint;
  readonly xfrm: bigint;
  readonly initialized: boolean;
  /** MRENCLAVE committed by EINIT (null before). */
  readonly mrenclave: Uint8Array | null;
  /** The value EINIT would commit now (finalises a copy of the running hash). */
  readonly mrenclaveSoFar: Uint8Array;
  /** The SDM's MRENCLAVE update counter (64-byte blocks absorbed). */
  readonly measurementUpdates: number;
  readonly mrsigner: Uint8Array | null;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly childCount: number;
  readonly epoch: number;
  readonly trackingRefs: readonly number[];
}

/** TCS fields (SDM Vol. 3D "Thread Control Structure (TCS)"): STATE, FLAGS, OSSA, CSSA, NSSA, OENTRY. */
export interface TcsInfo {
  readonly state: bigint;
  readonly flags: bigint;
  readonly ossa: bigint;
  readonly cssa: number;
  readonly nssa: number;
  readonly oentry: bigint;
}

export class SgxHardware {
  private st: SgxState;

  /** `config`: a built configuration, or options for sgxCpuConfig() (throws a readable Error if invalid). */
  constructor(config: SgxCpuConfig | SgxCpuOptions, crypto: Crypto, from?: SgxState) {
    this.st = from ?? new SgxState(isBuilt(config) ? config : sgxCpuConfig(config), crypto);
  }

  get config(): SgxCpuConfig {
    return this.st.config;
  }

  /** O(1) fork. The clone and the original share nothing mutable. */
  clone(): SgxHardware {
    return new SgxHardware(this.st.config, this.st.crypto, this.st.clone());
  }

  // --- platform -------------------------------------------------------------------------------

  /** CPUID.(EAX=12H, ECX=subleaf). */
  cpuid(subleaf: number): CpuidRegs {
    return cpuidSgxLeaf(this.st.config, subleaf);
  }

  get epcPageCount(): number {
    return this.st.store.pageCount;
  }

  /** Physical address of an EPC page. */
  epcPageAddress(id: EpcPageId): bigint {
    if (!this.st.store.isEpcPage(id)) throw new RangeError(`${id} is not an EPC page index`);
    return this.st.epcAddress(id);
  }

  /** The EPC page at a physical address (page aligned), or undefined. */
  epcPageAt(pa: bigint): EpcPageId | undefined {
    let first = 0;
    for (const s of this.st.config.epcSections) {
      const end = s.base + BigInt(s.pages) * 4096n;
      if (pa >= s.base && pa < end && (pa & 0xfffn) === 0n) return first + Number((pa - s.base) >> 12n);
      first += s.pages;
    }
    return undefined;
  }

  /** RDMSR of IA32_SGXLEPUBKEYHASH0..3 (0x8C..0x8F). */
  readMsr(msr: number): bigint {
    const i = msr - MSR_IA32_SGXLEPUBKEYHASH0;
    if (!(i >= 0 && i < 4)) throw new RangeError(`MSR 0x${msr.toString(16)} is not modelled`);
    return this.st.msrs[i];
  }

  /**
   * WRMSR of IA32_SGXLEPUBKEYHASH0..3: allowed with flexible launch control, #GP(0) otherwise
   * (SDM Vol. 4: the MSRs are writable only when IA32_FEATURE_CONTROL.SGX_LC is set).
   */
  writeMsr(msr: number, value: bigint): EnclsResult {
    const i = msr - MSR_IA32_SGXLEPUBKEYHASH0;
    if (!(i >= 0 && i < 4)) throw new RangeError(`MSR 0x${msr.toString(16)} is not modelled`);
    if (!this.st.config.flc) return gp('IA32_SGXLEPUBKEYHASHn are read-only without flexible launch control');
    if (value < 0n || value >= 1n << 64n) return gp('the value is not a u64');
    const m = [...this.st.msrs] as [bigint, bigint, bigint, bigint];
    m[i] = value;
    this.st.msrs = m;
    return OK;
  }

  /** Make `n` unmasked events pending: the next `n` EINITs end with SGX_UNMASKED_EVENT (Infinity = always). */
  setPendingEvents(n: number): void {
    if (!(n >= 0)) throw new RangeError('pending events must be ≥ 0');
    this.st.pendingEvents = n;
  }

  get pendingEvents(): number {
    return this.st.pendingEvents;
  }

  // --- ENCLS ----------------------------------------------------------------------------------

  ecreate(pageinfo: PageInfo, epcPage: EpcPageId): EnclsResult {
    return ecreate(this.st, pageinfo, epcPage);
  }
  eadd(pageinfo: PageInfo, epcPage: EpcPageId): EnclsResult {
    return eadd(this.st, pageinfo, epcPage);
  }
  /** EEXTEND the 256-byte chunk at `chunkOffset` of `epcPage` (RCX = page + offset) into `secsPage` (RBX). */
  eextend(secsPage: EpcPageId, epcPage: EpcPageId, chunkOffset: number): EnclsResult {
    return eextend(this.st, secsPage, epcPage, chunkOffset);
  }
  /** EINIT with a 1808-byte SIGSTRUCT; `token` = 304-byte EINITTOKEN or null (all zeros, VALID = 0). */
  einit(sigstruct: Uint8Array, secsPage: EpcPageId, token: Uint8Array | null = null): EnclsResult {
    return einit(this.st, sigstruct, secsPage, token);
  }
  eremove(epcPage: EpcPageId): EnclsResult {
    return eremove(this.st, epcPage);
  }
  epa(epcPage: EpcPageId): EnclsResult {
    return epa(this.st, epcPage);
  }
  eblock(epcPage: EpcPageId): EnclsResult {
    return eblock(this.st, epcPage);
  }
  etrack(secsPage: EpcPageId): EnclsResult {
    return etrack(this.st, secsPage);
  }
  ewb(epcPage: EpcPageId, slot: VaSlot): EnclsResult<EwbOutput> {
    return ewb(this.st, epcPage, slot);
  }
  eldu(pageinfo: EldPageInfo, epcPage: EpcPageId, slot: VaSlot): EnclsResult {
    return eld(this.st, pageinfo, epcPage, slot, false);
  }
  eldb(pageinfo: EldPageInfo, epcPage: EpcPageId, slot: VaSlot): EnclsResult {
    return eld(this.st, pageinfo, epcPage, slot, true);
  }
  eaug(pageinfo: PageInfo, epcPage: EpcPageId): EnclsResult {
    return eaug(this.st, pageinfo, epcPage);
  }
  emodpr(secinfo: SecinfoOperand, epcPage: EpcPageId): EnclsResult {
    return emodpr(this.st, secinfo, epcPage);
  }
  emodt(secinfo: SecinfoOperand, epcPage: EpcPageId): EnclsResult {
    return emodt(this.st, secinfo, epcPage);
  }

  /** EDBGRD: 8 bytes at `offset` (8-aligned) of a debug enclave's page. */
  edbgrd(epcPage: EpcPageId, offset: number): EnclsResult<bigint> {
    return edbgrd(this.st, epcPage, offset);
  }
  /** EDBGWR: write 8 bytes at `offset` of a debug enclave's REG page (or a TCS's FLAGS). */
  edbgwr(epcPage: EpcPageId, offset: number, value: bigint): EnclsResult {
    return edbgwr(this.st, epcPage, offset, value);
  }

  /**
   * Model helper for the legacy launch path: the MAC a Launch Enclave would put in an
   * EINITTOKEN on this platform (it derives the key with EGETKEY, which is out of scope).
   */
  einittokenMac(token: Uint8Array): Uint8Array {
    if (token.length !== 304) throw new Error('an EINITTOKEN is 304 bytes');
    return einittokenMac(this.st, token);
  }

  // --- ENCLU ----------------------------------------------------------------------------------

  /** One vDSO enter call: EENTER/ERESUME, run until EEXIT or a delivered exception. */
  run(req: RunRequest): SgxEnclaveRun {
    return runEnclave(this.st, req);
  }

  /** Low level: execute EENTER/ERESUME only on logical processor `lp` (null = entered). */
  enter(lp: number, leaf: EntryLeaf, tcs: bigint, mm: AddressSpace, program: EnclaveProgram = [], aep = 0n): EntryFault | null {
    return enter(this.st, lp, leaf, tcs, aep, program, mm);
  }

  /** Low level: run the next op of the thread on `lp`. */
  step(lp: number, mm: AddressSpace): StepOutcome {
    return step(this.st, lp, mm);
  }

  /** An interrupt (or IPI) on `lp`: AEX without an exception if it is in enclave mode (true), else nothing (false). */
  interrupt(lp: number): boolean {
    return interrupt(this.st, lp);
  }

  /** Logical processors currently in enclave mode, ascending. */
  get lpsInEnclave(): number[] {
    return [...this.st.lps.keys()].sort((a, b) => a - b);
  }

  /** The thread running on `lp`, if it is in enclave mode. */
  thread(lp: number): ThreadContext | undefined {
    return this.st.lps.get(lp)?.ctx;
  }

  // --- inspection (a debugger's view; not architectural) ---------------------------------------

  /** The EPCM entry of a page (undefined = VALID 0). */
  epcm(id: EpcPageId): EpcmEntry | undefined {
    return this.st.store.entry(id);
  }

  /** A copy of a page's contents. */
  readPage(id: EpcPageId): Uint8Array {
    return Uint8Array.from(this.st.store.contents(id));
  }

  /**
   * The page's contents without a copy (inspection for the explorer's state hashing): the array
   * must not be mutated, and is never mutated in place once this machine has been cloned.
   */
  pageContentsView(id: EpcPageId): Uint8Array {
    return this.st.store.contents(id);
  }

  /** Number of valid EPC pages. */
  get validPages(): number {
    return this.st.store.validCount;
  }

  /** Valid EPC pages with their EPCM entries, in index order. */
  *validEntries(): IterableIterator<[EpcPageId, EpcmEntry]> {
    yield* this.st.store.validEntries();
  }

  /** The TCS fields of a PT_TCS page (STATE 1 = ACTIVE, i.e. busy), or undefined. */
  tcs(id: EpcPageId): TcsInfo | undefined {
    const e = this.st.store.entry(id);
    if (e === undefined || e.pt !== SgxPageType.TCS) return undefined;
    const v = new DataView(this.st.store.contents(id).buffer, this.st.store.contents(id).byteOffset, 4096);
    return {
      state: v.getBigUint64(TCS_OFF.state, true),
      flags: v.getBigUint64(TCS_OFF.flags, true),
      ossa: v.getBigUint64(TCS_OFF.ssaOffset, true),
      cssa: v.getUint32(TCS_OFF.ssaIndex, true),
      nssa: v.getUint32(TCS_OFF.nrSsaFrames, true),
      oentry: v.getBigUint64(TCS_OFF.entryOffset, true),
    };
  }

  secs(id: EpcPageId): SecsInfo | undefined {
    const s = this.st.secsAt(id);
    if (s === undefined) return undefined;
    return {
      eid: s.eid,
      base: s.base,
      size: s.size,
      ssaFrameSize: s.ssaFrameSize,
      miscselect: s.miscselect,
      attributes: s.attributes,
      xfrm: s.xfrm,
      initialized: s.initialized,
      mrenclave: s.mrenclave && Uint8Array.from(s.mrenclave),
      mrenclaveSoFar: s.measurement.finalize(),
      measurementUpdates: s.measurement.updateCount,
      mrsigner: s.mrsigner && Uint8Array.from(s.mrsigner),
      isvProdId: s.isvProdId,
      isvSvn: s.isvSvn,
      childCount: s.childCount,
      epoch: s.epoch,
      trackingRefs: [...s.trackingRefs],
    };
  }
}

function isBuilt(c: SgxCpuConfig | SgxCpuOptions): c is SgxCpuConfig {
  return Object.isFrozen(c) && 'epcSections' in c && 'lePubKeyHash' in c && 'keySeed' in c;
}

// One import for driver and kernel models: the types and helpers SgxHardware's methods take and return.
export { EncluLeaf };
export { sgxCpuConfig, DEFAULT_SGX_CPU, INTEL_LE_PUBKEY_HASH, MSR_IA32_SGXLEPUBKEYHASH0, type SgxCpuConfig, type SgxCpuOptions, type CpuidRegs } from './cpu.js';
export type { EpcPageId, EpcmEntry } from './epc.js';
export { secsBytes, EINITTOKEN_OFF, type PageInfo } from './encls.js';
export type { Access, AddressSpace, Translation, FaultHandler, PageFaultInfo, SgxEnclaveRun, RunRequest, StepOutcome, EntryFault } from './enclu.js';
export { enclsReturnValue, describeOutcome, SGX_ENCLS_FAULT_FLAG, type EnclsResult, type SgxFault } from './outcome.js';
export { selftestOps, initTcsPageBytes, type EnclaveOp, type EnclaveProgram, type OpResult, type ThreadContext } from './program.js';
export { PCMD_OFF, type VaSlot, type EwbOutput, type EvictedPage, type EldPageInfo } from './reclaim.js';
export { secinfoBytes, type SecinfoOperand } from './secinfo.js';
