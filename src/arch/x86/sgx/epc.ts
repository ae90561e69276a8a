// The EPC and the EPCM: per EPC page, its EPCM entry (SDM Vol. 3D "Enclave Page Cache Map (EPCM)",
// table "Content of an Enclave Page Cache Map Entry": fields VALID, R, W, X, PT, ENCLAVESECS, ENCLAVEADDRESS, BLOCKED, PENDING, MODIFIED,
// PR) and its 4 KiB of contents; per SECS page, the SECS's architectural and hidden state.
//
// Storage is persistent/copy-on-write so the explorer can fork a machine in O(1):
//   - EPCM entries and SECS states are immutable records in sorted-btree BTrees (clone() is O(1));
//     an update replaces the record.
//   - Page contents are Uint8Arrays that are allocated only when a page holds non-zero data
//     (absent = all zero). An array may be mutated in place only by the store that allocated it
//     since the last clone(); otherwise it is copied first (`owned` tracks this).
//   - The running MRENCLAVE (a Mrenclave object, mutable) follows the same ownership rule.
import { BTree } from './btree.js';
import type { Mrenclave } from './measure.js';
import { PAGE_SIZE, SgxPageType } from './arch.js';

/** Index of an EPC page: 0 .. pageCount-1 over all sections in CPUID order. */
export type EpcPageId = number;

/** An EPCM entry of a VALID page (invalid pages have no entry). */
export interface EpcmEntry {
  readonly pt: SgxPageType;
  readonly r: boolean;
  readonly w: boolean;
  readonly x: boolean;
  readonly pending: boolean;
  readonly modified: boolean;
  readonly pr: boolean;
  readonly blocked: boolean;
  /** ENCLAVESECS: the EPC page of the owning SECS (null for SECS and VA pages). */
  readonly secs: EpcPageId | null;
  /** ENCLAVEADDRESS: the page's linear address (0 for SECS and VA pages). */
  readonly linaddr: bigint;
  /** Tracking (hidden): the owner's epoch when EBLOCK blocked the page. */
  readonly blockEpoch: number;
  /** Tracking (hidden): the owner's epoch when EMODPR/EMODT last changed the page. */
  readonly modEpoch: number;
}

/** SECS contents (architectural fields) and the hidden per-enclave state the CPU keeps with it. */
export interface SecsState {
  /** EID: unique enclave identifier (SDM ECREATE: LockedXAdd(CR_NEXT_EID, 1)). */
  readonly eid: bigint;
  readonly size: bigint;
  readonly base: bigint;
  /** In pages. */
  readonly ssaFrameSize: number;
  readonly miscselect: number;
  /** ATTRIBUTES.FLAGS (INIT is reported through `initialized`). */
  readonly attributes: bigint;
  /** ATTRIBUTES.XFRM. */
  readonly xfrm: bigint;
  readonly configId: Uint8Array;
  readonly configSvn: number;
  /** ATTRIBUTES.INIT. */
  readonly initialized: boolean;
  /** Running measurement (SHA-256 state + update counter). */
  readonly measurement: Mrenclave;
  /** Set by EINIT: SECS.MRENCLAVE, MRSIGNER, ISVPRODID, ISVSVN, ISVFAMILYID, ISVEXTPRODID. */
  readonly mrenclave: Uint8Array | null;
  readonly mrsigner: Uint8Array | null;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly isvFamilyId: Uint8Array | null;
  readonly isvExtProdId: Uint8Array | null;
  /** Valid EPC pages whose ENCLAVESECS is this SECS (EREMOVE/EWB CHILD_PRESENT). */
  readonly childCount: number;
  /** Tracking: current epoch (bumped by ETRACK). */
  readonly epoch: number;
  /** Tracking: logical processors that were inside the enclave at the last ETRACK and have not left since. */
  readonly trackingRefs: readonly number[];
}

/** A page of zeros; never mutated. */
export const ZERO_PAGE: Uint8Array = new Uint8Array(PAGE_SIZE);

export class EpcStore {
  private entries: BTree<number, EpcmEntry>;
  private pages: BTree<number, Uint8Array>;
  private secsTree: BTree<number, SecsState>;
  /** Arrays and Mrenclave objects this store may mutate in place (allocated since the last clone). */
  private owned = new WeakSet<object>();

  constructor(
    readonly pageCount: number,
    from?: { entries: BTree<number, EpcmEntry>; pages: BTree<number, Uint8Array>; secs: BTree<number, SecsState> },
  ) {
    this.entries = from?.entries ?? new BTree<number, EpcmEntry>();
    this.pages = from?.pages ?? new BTree<number, Uint8Array>();
    this.secsTree = from?.secs ?? new BTree<number, SecsState>();
  }

  isEpcPage(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.pageCount;
  }

  /** The EPCM entry, or undefined when VALID = 0. */
  entry(id: EpcPageId): EpcmEntry | undefined {
    return this.entries.get(id);
  }

  setEntry(id: EpcPageId, e: EpcmEntry): void {
    this.entries.set(id, e);
  }

  /** VALID := 0, and drop the page's contents and (for a SECS) its state. */
  invalidate(id: EpcPageId): void {
    this.entries.delete(id);
    this.pages.delete(id);
    this.secsTree.delete(id);
  }

  /** Number of valid EPC pages. */
  get validCount(): number {
    return this.entries.size;
  }

  /** Valid pages in id order (for inspection and invariants). */
  *validEntries(): IterableIterator<[EpcPageId, EpcmEntry]> {
    yield* this.entries.entries();
  }

  /** The page's contents. The array must not be mutated (it may be shared or ZERO_PAGE). */
  contents(id: EpcPageId): Uint8Array {
    return this.pages.get(id) ?? ZERO_PAGE;
  }

  /** Whether the page has stored (possibly non-zero) contents. */
  hasContents(id: EpcPageId): boolean {
    return this.pages.has(id);
  }

  /** The page's contents, safe to mutate (copied first unless this store owns them). */
  mutableContents(id: EpcPageId): Uint8Array {
    const cur = this.pages.get(id);
    if (cur !== undefined && this.owned.has(cur)) return cur;
    const copy = cur === undefined ? new Uint8Array(PAGE_SIZE) : Uint8Array.from(cur);
    this.owned.add(copy);
    this.pages.set(id, copy);
    return copy;
  }

  /** Replace the contents; the store takes ownership of `bytes` (null = all zero, nothing stored). */
  setContents(id: EpcPageId, bytes: Uint8Array | null): void {
    if (bytes === null) {
      this.pages.delete(id);
      return;
    }
    if (bytes.length !== PAGE_SIZE) throw new Error(`EPC page contents must be ${PAGE_SIZE} bytes`);
    this.owned.add(bytes);
    this.pages.set(id, bytes);
  }

  secs(id: EpcPageId): SecsState | undefined {
    return this.secsTree.get(id);
  }

  setSecs(id: EpcPageId, s: SecsState): void {
    this.secsTree.set(id, s);
  }

  /** Adopt a freshly created Mrenclave as owned (ECREATE). */
  adoptMeasurement(m: Mrenclave): void {
    this.owned.add(m);
  }

  /** The SECS's running measurement, safe to update (cloned first unless owned). */
  mutableMeasurement(id: EpcPageId): Mrenclave {
    const s = this.secsTree.get(id);
    if (s === undefined) throw new Error(`EPC page ${id} holds no SECS`);
    if (this.owned.has(s.measurement)) return s.measurement;
    const m = s.measurement.clone();
    this.owned.add(m);
    this.secsTree.set(id, { ...s, measurement: m });
    return m;
  }

  /** SECS pages in id order. */
  *secsEntries(): IterableIterator<[EpcPageId, SecsState]> {
    yield* this.secsTree.entries();
  }

  /** O(1) fork: the result shares nothing mutable with this store (both give up in-place ownership). */
  clone(): EpcStore {
    this.owned = new WeakSet<object>();
    return new EpcStore(this.pageCount, { entries: this.entries.clone(), pages: this.pages.clone(), secs: this.secsTree.clone() });
  }
}

/** A fresh EPCM entry with every flag clear. */
export function epcmEntry(fields: Partial<EpcmEntry> & Pick<EpcmEntry, 'pt'>): EpcmEntry {
  return {
    r: false,
    w: false,
    x: false,
    pending: false,
    modified: false,
    pr: false,
    blocked: false,
    secs: null,
    linaddr: 0n,
    blockEpoch: 0,
    modEpoch: 0,
    ...fields,
  };
}

/** The SECINFO.FLAGS value describing an EPCM entry (type, R/W/X, PENDING, MODIFIED, PR) — what EWB writes into PCMD. */
export function epcmSecinfoFlags(e: EpcmEntry): bigint {
  return (
    (e.r ? 1n : 0n) |
    (e.w ? 2n : 0n) |
    (e.x ? 4n : 0n) |
    (e.pending ? 8n : 0n) |
    (e.modified ? 0x10n : 0n) |
    (e.pr ? 0x20n : 0n) |
    (BigInt(e.pt) << 8n)
  );
}
