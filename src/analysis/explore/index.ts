// The explorer (issue #7, docs/explorer.md): a bounded breadth-first search over abstract system
// call sequences from a scenario's start state, checking invariants I1 (execmem), I2 (file
// execute) and I3 (W+X) on every state, with counterexamples written as scenario files.
//
//   const w = buildWorld(scenario, host, { design: 'D7' });
//   const r = await explore(w, { depth: 6, invariants: ['I1', 'I2', 'I3'] });
//   r.counterexamples[0].scenarioText   // replays with `sgxsim run`
//
// Pure: no node:* imports; worker threads are the CLI's business (a LevelExpander).
import { buildAlphabet, type Action, type AlphabetOptions } from './actions.js';
import { Canonicalizer } from './canon.js';
import { Expander, type ChunkResult } from './expand.js';
import { checkInvariants, INV_BIT, INVARIANTS, type InvariantId, type Violation } from './invariants.js';
import { search, type LevelExpander, type SearchProgress, type SearchResult } from './search.js';
import { writeCounterexample, type CounterexampleFile } from './counterexample.js';
import type { World } from './world.js';

export { buildWorld, ExploreInputError, type World, type WorldOptions } from './world.js';
export { buildAlphabet, type Action, type AlphabetOptions } from './actions.js';
export { Expander, type ChunkResult } from './expand.js';
export { INVARIANTS, INVARIANT_TITLES, type InvariantId, type Violation } from './invariants.js';
export { DESIGN_RULES, designRules, grantText } from './designs.js';
export type { LevelExpander, SearchProgress, SearchResult } from './search.js';
export type { CounterexampleFile } from './counterexample.js';

export interface ExploreOptions extends AlphabetOptions {
  readonly depth: number;
  readonly invariants?: readonly InvariantId[];
  /** Expands the levels (default: this thread). */
  readonly expander?: LevelExpander;
  readonly chunkSize?: number;
  readonly progress?: (p: SearchProgress) => void;
  readonly now?: () => number;
  /** Keep searching after every invariant is violated (to count states to the full depth). */
  readonly full?: boolean;
  /** Where a counterexample will be written (its content file paths are expressed from there); default: beside the start scenario. */
  readonly counterexampleFile?: (invariant: InvariantId) => string;
}

export interface ExploreCounterexample extends CounterexampleFile {
  readonly invariant: InvariantId;
  readonly path: readonly number[];
  /** The violation as found on the last state. */
  readonly violation: Violation;
}

export interface ExploreResult {
  readonly design: string;
  readonly policy: string;
  readonly alphabetSize: number;
  readonly search: SearchResult;
  /** Per invariant asked for: null when it holds to the depth searched. */
  readonly verdicts: readonly { readonly invariant: InvariantId; readonly counterexample: ExploreCounterexample | null }[];
  readonly counterexamples: readonly ExploreCounterexample[];
  readonly signatures: number;
}

/** The in-thread expander (what a worker runs, without the thread). */
export function localExpander(w: World, alphabet: readonly Action[]): LevelExpander & { expander: Expander } {
  const ex = new Expander(w, alphabet);
  return {
    expander: ex,
    expandLevel(paths: readonly Int32Array[], counts: readonly number[], len: number, mask: number, last: boolean, onResult: (chunk: number, r: ChunkResult) => boolean): Promise<void> {
      for (let i = 0; i < paths.length; i++) if (!onResult(i, ex.expand(paths[i], len, counts[i], mask, last))) break;
      return Promise.resolve();
    },
  };
}

export async function explore(w: World, opts: ExploreOptions): Promise<ExploreResult> {
  const invariants = opts.invariants ?? INVARIANTS;
  const alphabet = buildAlphabet(w, opts);
  let mask = 0;
  for (const id of invariants) mask |= INV_BIT[id];
  const rootViolations = checkInvariants(w.invariants, w.k0, w.ghost0, mask);
  const rootFp = new Canonicalizer(w).fingerprint(w.k0, w.ghost0);
  const expander = opts.expander ?? localExpander(w, alphabet);
  const res = await search(alphabet, rootFp, expander, {
    depth: opts.depth,
    invariants,
    rootViolations,
    ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    stopWhenAllViolated: !opts.full,
  });
  const counterexamples: ExploreCounterexample[] = res.counterexamples.map((c) => {
    const file = writeCounterexample(w, alphabet, c.path, c.invariant, opts.counterexampleFile?.(c.invariant));
    return { ...file, invariant: c.invariant, path: c.path };
  });
  return {
    design: w.design.key,
    policy: w.policyName,
    alphabetSize: alphabet.length,
    search: res,
    verdicts: invariants.map((id) => ({ invariant: id, counterexample: counterexamples.find((c) => c.invariant === id) ?? null })),
    counterexamples,
    signatures: w.signer.signed,
  };
}
