// The whole mutable state of the modelled SGX hardware, shared by the ENCLS (encls.ts,
// reclaim.ts) and ENCLU (enclu.ts) implementations. SgxHardware (hw.ts) is the public face.
//
// Cloning is O(number of logical processors in enclave mode): the EPC/EPCM/SECS store and the
// saved SSA contexts are copy-on-write BTrees, everything else is small immutable values.
import { BTree } from './btree.js';
import type { Crypto } from '../../../platform/crypto.js';
import { PAGE_SIZE, SgxPageType } from './arch.js';
import { epcPageCount, type SgxCpuConfig } from './cpu.js';
import { EpcStore, type EpcPageId, type SecsState } from './epc.js';
import type { EncluLeaf } from './arch.js';
import type { ThreadContext } from './program.js';

/** A logical processor in enclave mode (between EENTER/ERESUME and EEXIT/AEX). */
export interface LpState {
  readonly lp: number;
  /** EID of the enclave it runs in (CR_ACTIVE_SECS identifies it by EID). */
  readonly eid: bigint;
  /** EPC page of the SECS. */
  readonly secs: EpcPageId;
  /** EPC page and linear address of the TCS (CR_TCS_PA / CR_TCS_LA). */
  readonly tcs: EpcPageId;
  readonly tcsLinaddr: bigint;
  /** AEP given to EENTER/ERESUME (RCX). */
  readonly aep: bigint;
  /** ELRANGE. */
  readonly base: bigint;
  readonly size: bigint;
  /** The first instruction's address: SECS.BASEADDR + TCS.OENTRY. */
  readonly entry: bigint;
  /** The running program. */
  readonly ctx: ThreadContext;
}

export class SgxState {
  store: EpcStore;
  msrs: readonly [bigint, bigint, bigint, bigint];
  /** Pending unmasked events (interrupts); EINIT reports SGX_UNMASKED_EVENT while one is pending and consumes it. */
  pendingEvents: number;
  /** CR_NEXT_EID. */
  nextEid: bigint;
  /** Source of EWB version numbers (TMP_VER): non-zero multiples of 8, never reused. */
  nextVersion: bigint;
  lps: Map<number, LpState>;
  /** SSA frames' saved thread contexts, keyed by ssaKey(eid, TCS linear address, frame). */
  ssa: BTree<string, ThreadContext>;

  constructor(
    readonly config: SgxCpuConfig,
    readonly crypto: Crypto,
    from?: SgxState,
  ) {
    if (from) {
      this.store = from.store.clone();
      this.msrs = from.msrs;
      this.pendingEvents = from.pendingEvents;
      this.nextEid = from.nextEid;
      this.nextVersion = from.nextVersion;
      this.lps = new Map(from.lps);
      this.ssa = from.ssa.clone();
    } else {
      this.store = new EpcStore(epcPageCount(config));
      this.msrs = config.lePubKeyHash;
      this.pendingEvents = 0;
      this.nextEid = 1n;
      this.nextVersion = 8n;
      this.lps = new Map();
      this.ssa = new BTree<string, ThreadContext>();
    }
  }

  clone(): SgxState {
    return new SgxState(this.config, this.crypto, this);
  }

  /** Physical address of an EPC page (sections in CPUID order). */
  epcAddress(id: EpcPageId): bigint {
    let rest = id;
    for (const s of this.config.epcSections) {
      if (rest < s.pages) return s.base + BigInt(rest) * BigInt(PAGE_SIZE);
      rest -= s.pages;
    }
    return 0n;
  }

  /** The SECS state of a valid PT_SECS page, or undefined. */
  secsAt(id: EpcPageId | null): SecsState | undefined {
    if (id === null) return undefined;
    const e = this.store.entry(id);
    if (e === undefined || e.pt !== SgxPageType.SECS) return undefined;
    return this.store.secs(id);
  }

  /** Logical processors currently inside the enclave with this EID. */
  activeLps(eid: bigint): number[] {
    const out: number[] = [];
    for (const l of this.lps.values()) if (l.eid === eid) out.push(l.lp);
    return out.sort((a, b) => a - b);
  }

  /** The SECS page of the enclave with this EID, if it is resident. */
  secsPageOfEid(eid: bigint): EpcPageId | undefined {
    for (const [id, s] of this.store.secsEntries()) if (s.eid === eid) return id;
    return undefined;
  }

  /** A logical processor left enclave mode: drop it from the enclave's tracking set (ETRACK bookkeeping). */
  leaveEnclave(lp: number): void {
    const l = this.lps.get(lp);
    if (l === undefined) return;
    this.lps.delete(lp);
    const s = this.store.secs(l.secs);
    if (s !== undefined && s.trackingRefs.includes(lp)) {
      this.store.setSecs(l.secs, { ...s, trackingRefs: s.trackingRefs.filter((x) => x !== lp) });
    }
  }
}

export function ssaKey(eid: bigint, tcsLinaddr: bigint, frame: number): string {
  return `${eid.toString(16)}:${tcsLinaddr.toString(16)}:${frame}`;
}

/** Type of the ENCLU leaves that enter an enclave. */
export type EntryLeaf = EncluLeaf.EENTER | EncluLeaf.ERESUME;
