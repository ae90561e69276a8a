// Level-synchronous breadth-first search over action sequences. Level L holds the states first
// reached by L actions (each stored as its parent's index and the action: a path tree); level L
// is cut into chunks in state order, the chunks are expanded (in this thread or by workers, in
// any order), and the results are merged chunk by chunk, state by state, action by action. So
// the first state to violate an invariant is the first in (depth, path) order — a shortest
// counterexample, and the same one for any number of workers — and the visited set and the
// counts are identical too. docs/explorer.md "Search".
import { FingerprintSet } from './hash.js';
import { INV_BIT, INVARIANTS, type InvariantId } from './invariants.js';
import type { ChunkResult } from './expand.js';
import type { Action } from './actions.js';

/** Expands chunks of a level (in-process, or by worker threads). */
export interface LevelExpander {
  /**
   * Expand the chunks: chunk c has `counts[c]` states whose paths (each `len` action ids) are
   * packed in `paths[c]`; `last`: the successors are the deepest level (see Expander.expand()). `onResult` is called with each chunk's result in chunk order (0, 1,
   * 2, ...); when it returns false, no more chunks need expanding (the expander may stop early).
   */
  expandLevel(paths: readonly Int32Array[], counts: readonly number[], len: number, mask: number, last: boolean, onResult: (chunk: number, r: ChunkResult) => boolean): Promise<void>;
}

export interface SearchOptions {
  readonly depth: number;
  readonly invariants: readonly InvariantId[];
  /** States per chunk (default: chosen from the frontier size and `parallelism`). */
  readonly chunkSize?: number;
  /** Called after each level. */
  readonly progress?: (p: SearchProgress) => void;
  /** Stop when every invariant asked for is violated (default true). */
  readonly stopWhenAllViolated?: boolean;
  /** A clock for statistics (ms); the core never reads one itself. */
  readonly now?: () => number;
  /** Violation bits of the start state (checked by the caller on the root). */
  readonly rootViolations: number;
}

export interface SearchProgress {
  readonly depth: number;
  readonly frontier: number;
  readonly distinct: number;
  readonly generated: number;
  readonly elapsedMs: number;
}

export interface Counterexample {
  readonly invariant: InvariantId;
  /** Action ids from the start state. */
  readonly path: readonly number[];
}

export interface SearchResult {
  /** The depth searched to (every state reachable in that many actions was checked). */
  readonly depth: number;
  /** True when the frontier became empty before `depth`: every reachable state was checked. */
  readonly exhausted: boolean;
  readonly counterexamples: readonly Counterexample[];
  readonly distinct: number;
  readonly generated: number;
  /** Distinct states first reached at each depth (index 0: the start state). */
  readonly perLevel: readonly number[];
  readonly elapsedMs: number;
}

interface Level {
  parent: Int32Array;
  action: Int32Array;
  n: number;
}

function pathOf(levels: readonly Level[], depth: number, index: number, out: Int32Array, at: number): void {
  let i = index;
  for (let d = depth; d >= 1; d--) {
    const l = levels[d];
    out[at + d - 1] = l.action[i];
    i = l.parent[i];
  }
}

export function pathOfState(levels: readonly Level[], depth: number, index: number): number[] {
  const out = new Int32Array(depth);
  pathOf(levels, depth, index, out, 0);
  return [...out];
}

export async function search(alphabet: readonly Action[], rootFp: readonly [number, number], expander: LevelExpander, opts: SearchOptions): Promise<SearchResult> {
  const now = opts.now ?? (() => 0);
  const t0 = now();
  const visited = new FingerprintSet(1 << 16);
  visited.add(rootFp[0], rootFp[1]);
  const levels: Level[] = [{ parent: new Int32Array([-1]), action: new Int32Array([-1]), n: 1 }];
  const found = new Map<InvariantId, number[]>();
  let open = 0;
  for (const id of opts.invariants) open |= INV_BIT[id];
  for (const id of opts.invariants) {
    if (opts.rootViolations & INV_BIT[id]) {
      found.set(id, []);
      open &= ~INV_BIT[id];
    }
  }
  const stopAll = opts.stopWhenAllViolated !== false;
  let generated = 0;
  const perLevel = [1];
  let depth = 0;
  let exhausted = false;
  while (depth < opts.depth) {
    if (stopAll && open === 0) break;
    const cur = levels[depth];
    if (cur.n === 0) {
      exhausted = true;
      break;
    }
    // The chunking depends on the level's size only (never on the number of workers), so where an
    // early stop falls, and so every count, is the same for any --workers.
    const chunk = opts.chunkSize ?? Math.max(16, Math.min(1024, Math.ceil(cur.n / 64)));
    const paths: Int32Array[] = [];
    const counts: number[] = [];
    for (let s = 0; s < cur.n; s += chunk) {
      const c = Math.min(chunk, cur.n - s);
      const buf = new Int32Array(c * depth);
      for (let j = 0; j < c; j++) pathOf(levels, depth, s + j, buf, j * depth);
      paths.push(buf);
      counts.push(c);
    }
    const next: Level = { parent: new Int32Array(1024), action: new Int32Array(1024), n: 0 };
    let base = 0;
    const newlyViolated: [InvariantId, number][] = [];
    let stillOpen = open;
    let complete = true;
    await expander.expandLevel(paths, counts, depth, open, depth + 1 === opts.depth, (ci, r) => {
      generated += r.generated;
      for (let i = 0; i < r.count; i++) {
        if (!visited.add(r.hi[i], r.lo[i])) continue;
        if (next.n === next.parent.length) {
          const p = new Int32Array(next.n * 2);
          p.set(next.parent);
          next.parent = p;
          const a = new Int32Array(next.n * 2);
          a.set(next.action);
          next.action = a;
        }
        const idx = next.n++;
        next.parent[idx] = base + r.state[i];
        next.action[idx] = r.action[i];
        const v = r.viol[i] & stillOpen;
        if (v) {
          for (const id of INVARIANTS) {
            if (v & INV_BIT[id]) {
              newlyViolated.push([id, idx]);
              stillOpen &= ~INV_BIT[id];
            }
          }
        }
      }
      base += counts[ci];
      // Every invariant asked for has its first counterexample in (path) order: the later chunks
      // cannot hold an earlier one, so the level need not be finished.
      if (stopAll && stillOpen === 0) {
        if (ci < paths.length - 1) complete = false;
        return false;
      }
      return true;
    });
    levels.push(next);
    depth++;
    perLevel.push(next.n);
    for (const [id, idx] of newlyViolated) {
      found.set(id, pathOfState(levels, depth, idx));
      open &= ~INV_BIT[id];
    }
    opts.progress?.({ depth, frontier: next.n, distinct: visited.size, generated, elapsedMs: now() - t0 });
    if (!complete) break;
  }
  if (!exhausted && depth < opts.depth && levels[depth].n === 0) exhausted = true;
  const counterexamples: Counterexample[] = [];
  for (const id of INVARIANTS) {
    const p = found.get(id);
    if (p && opts.invariants.includes(id)) counterexamples.push({ invariant: id, path: p });
  }
  return { depth, exhausted, counterexamples, distinct: visited.size, generated, perLevel, elapsedMs: now() - t0 };
}
