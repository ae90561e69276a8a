// Expanding one chunk of a BFS level: rebuild each state of the chunk from its path (sharing the
// prefix with the previous path: states arrive in path order, so consecutive paths share long
// prefixes and a stack of kernels along the current path makes the rebuild about one action per
// state), then apply every action of the alphabet to a clone, fingerprint the successor and check
// the open invariants on it. The same code runs in the main thread (--workers 1) and in each
// worker thread; it is pure and deterministic, so the results do not depend on who runs it.
import type { Kernel } from '../../kernel/kernel.js';
import { actionEnabled, applyAction, mayCreateViolation, type Action } from './actions.js';
import { Canonicalizer } from './canon.js';
import { FingerprintSet } from './hash.js';
import { checkInvariants, type Ghost } from './invariants.js';
import type { World } from './world.js';

/** Successors of a chunk, in (state, action) order; only the first occurrence of each fingerprint in the chunk. */
export interface ChunkResult {
  /** Index of the parent state within the chunk. */
  readonly state: Int32Array;
  readonly action: Int32Array;
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  /** Violated invariant bits (of those asked for). */
  readonly viol: Uint8Array;
  readonly count: number;
  /** Enabled actions applied (successor states generated, duplicates included). */
  readonly generated: number;
}

interface Frame {
  readonly k: Kernel;
  readonly ghost: Ghost;
}

class Growable {
  state = new Int32Array(1024);
  action = new Int32Array(1024);
  hi = new Uint32Array(1024);
  lo = new Uint32Array(1024);
  viol = new Uint8Array(1024);
  n = 0;
  push(s: number, a: number, hi: number, lo: number, v: number): void {
    if (this.n === this.state.length) {
      const cap = this.n * 2;
      const g = <T extends Int32Array | Uint32Array | Uint8Array>(x: T, C: new (n: number) => T): T => {
        const y = new C(cap);
        y.set(x);
        return y;
      };
      this.state = g(this.state, Int32Array);
      this.action = g(this.action, Int32Array);
      this.hi = g(this.hi, Uint32Array);
      this.lo = g(this.lo, Uint32Array);
      this.viol = g(this.viol, Uint8Array);
    }
    const i = this.n++;
    this.state[i] = s;
    this.action[i] = a;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.viol[i] = v;
  }
}

export class Expander {
  readonly canon: Canonicalizer;
  private readonly stack: Frame[];
  private readonly cur: number[] = [];
  /** The actions that can create a violation (all the last level needs). */
  private readonly violators: readonly Action[];

  constructor(
    readonly w: World,
    readonly alphabet: readonly Action[],
  ) {
    this.canon = new Canonicalizer(w);
    this.stack = [{ k: w.k0, ghost: w.ghost0 }];
    this.violators = alphabet.filter(mayCreateViolation);
  }

  /** The state at the end of `path` (from the root). Throws if an action of the path is not enabled (a corrupt path). */
  stateOf(path: ArrayLike<number>): Frame {
    let common = 0;
    while (common < path.length && common < this.cur.length && this.cur[common] === path[common]) common++;
    this.cur.length = common;
    this.stack.length = common + 1;
    for (let d = common; d < path.length; d++) {
      const prev = this.stack[d];
      const k = prev.k.clone();
      const a = this.alphabet[path[d]];
      const r = applyAction(this.w, k, prev.ghost, a);
      if (!r) throw new Error(`invariant: action ${a.label} of a stored path is not enabled on replay`);
      this.stack.push({ k, ghost: r.ghost });
      this.cur.push(path[d]);
    }
    return this.stack[path.length];
  }

  /**
   * Expand `n` states whose paths (each `len` action ids) are packed in `paths`; check the
   * invariants in `mask` on every successor that is new within the chunk. On the `last` level
   * (its successors are checked, never expanded) only actions that can create a violation are applied.
   */
  expand(paths: Int32Array, len: number, n: number, mask: number, last = false): ChunkResult {
    const actions = last ? this.violators : this.alphabet;
    const out = new Growable();
    const seen = new FingerprintSet(1 << 12);
    let generated = 0;
    for (let i = 0; i < n; i++) {
      const parent = this.stateOf(paths.subarray(i * len, i * len + len));
      const [phi, plo] = this.canon.fingerprint(parent.k, parent.ghost);
      seen.add(phi, plo);
      for (const a of actions) {
        if (!actionEnabled(this.w, parent.k, a)) continue;
        const k = parent.k.clone();
        const r = applyAction(this.w, k, parent.ghost, a);
        if (!r) continue;
        generated++;
        const [hi, lo] = this.canon.fingerprint(k, r.ghost);
        if (!seen.add(hi, lo)) continue;
        const v = mask ? checkInvariants(this.w.invariants, k, r.ghost, mask) : 0;
        out.push(i, a.id, hi, lo, v);
      }
    }
    return { state: out.state.subarray(0, out.n), action: out.action.subarray(0, out.n), hi: out.hi.subarray(0, out.n), lo: out.lo.subarray(0, out.n), viol: out.viol.subarray(0, out.n), count: out.n, generated };
  }
}
