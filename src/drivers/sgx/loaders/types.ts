// What every loader flow returns, and the per-design knobs of the flows' mechanical rewrites
// (designs-spec §12): a design whose uAPI differs from mainline translates the flows' ioctls in its
// neutral adapter, and the mapping steps through a FlowPlan.
import type { SegmentType } from '../../../enclave/manifest.js';
import type { LoaderKind } from '../design.js';

export interface LoadedSegment {
  readonly name: string;
  /** Offset from the enclave base. */
  readonly offset: number;
  /** Linear address (base + offset). */
  readonly addr: number;
  readonly size: number;
  /** The PROT_* bits the loader maps the segment with (TCS: RW). */
  readonly prot: number;
  readonly type: SegmentType;
  readonly measured: boolean;
}

export interface LoadResult {
  readonly loader: LoaderKind;
  /** The design key. */
  readonly design: string;
  readonly ok: boolean;
  /** The failing step and its errno, as the loader would report it (perror style). */
  readonly error?: string;
  /** Set when the flow cannot be expressed on this design at all ("untranslatable: <why>"). */
  readonly untranslatable?: string;
  /** The enclave fd (-1 if never opened). */
  readonly fd: number;
  readonly base: number;
  readonly size: number;
  /** Linear addresses of the TCS pages. */
  readonly tcs: readonly number[];
  readonly segments: readonly LoadedSegment[];
}

/**
 * The mapping steps of the selftest flow a design may rewrite (designs-spec §12):
 *   reserve: how ELRANGE is held before CREATE ('anon-none': a PROT_NONE anonymous reservation,
 *            as load.c; 'enclave-read': that reservation replaced by a PROT_READ MAP_SHARED
 *            mapping of the enclave fd, as D1 needs);
 *   sourceProt: 'read' maps the image PROT_READ (load.c); 'segment' maps each segment from the
 *            file with its own protection (D1 copies the source's permissions);
 *   mapAfterInit: 'per-segment' (load.c), 'whole-rwx' (one RWX mapping, D0's natural alignment),
 *            'none' (D1: the ADD already gave the VMAs their permissions);
 *   probes:  load.c's two 4 KiB mmap probes of the device (PROT_READ, then PROT_EXEC); false drops
 *            them (v20-based get_unmapped_area refuses lengths below 8 KiB; D1 never maps PROT_EXEC).
 *   remap:   the Gramine flow only: how each range gets its final protection after it is added
 *            ('mmap': the upstream-driver path, a MAP_SHARED|MAP_FIXED re-mmap; 'mprotect': Gramine's
 *            out-of-tree-driver path, an mprotect() of the RWX mapping, which the v20-based designs
 *            need since their get_unmapped_area maps only naturally aligned powers of two).
 */
export interface FlowPlan {
  readonly reserve: 'anon-none' | 'enclave-read';
  readonly sourceProt: 'read' | 'segment';
  readonly mapAfterInit: 'per-segment' | 'whole-rwx' | 'none';
  readonly probes: boolean;
  readonly remap: 'mmap' | 'mprotect';
}

export const SELFTEST_PLAN: FlowPlan = Object.freeze({ reserve: 'anon-none', sourceProt: 'read', mapAfterInit: 'per-segment', probes: true, remap: 'mmap' });
