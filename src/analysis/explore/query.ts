// The scenario query `invariant("I1")` (docs/scenario-format.md, docs/explorer.md): whether one of
// the explorer's invariants holds in the state a scenario has reached, checked on every task and
// the whole address space, with the sources the run's InvariantMonitor recorded. A counterexample
// file ends with `expect invariant("I2").violated == 1`, so replaying it shows the violation.
import type { Machine } from '../../scenario/run-boot.js';
import type { CallExpr } from '../../scenario/ast.js';
import { ScenarioFailure, scenarioError } from '../../scenario/errors.js';
import { describeValue, structValue, type Value } from '../../scenario/eval.js';
import { PolicyOracle } from './policy.js';
import type { InvariantMonitor } from './monitor.js';
import { checkInvariants, invariantContext, INV_BIT, INVARIANTS, type InvariantId, type Violation } from './invariants.js';

const oracles = new WeakMap<Machine, PolicyOracle>();

export function invariantQuery(m: Machine, monitor: InvariantMonitor, args: readonly Value[], node: CallExpr, file: string): Value {
  const a = args[0];
  const name = a instanceof Uint8Array ? new TextDecoder().decode(a) : undefined;
  if (name === undefined || !(INVARIANTS as readonly string[]).includes(name)) {
    throw new ScenarioFailure([scenarioError(file, node.args[0]?.pos ?? node.pos, `invariant() takes "I1", "I2" or "I3", got ${a === undefined ? 'nothing' : describeValue(a)}`)]);
  }
  const id = name as InvariantId;
  let oracle = oracles.get(m);
  if (!oracle) oracles.set(m, (oracle = new PolicyOracle(m.k)));
  const tasks = [...m.pids.entries()].map(([n, pid]) => ({ name: n, pid }));
  const ctx = invariantContext(oracle, m.design.id, tasks, null);
  const found: Violation[] = [];
  const ghost = monitor.sync(m.k);
  const bits = checkInvariants(ctx, m.k, ghost, INV_BIT[id], found);
  const v = found[0];
  return structValue({
    holds: bits ? 0n : 1n,
    violated: bits ? 1n : 0n,
    addr: v ? BigInt(v.addr) : 0n,
    why: new TextEncoder().encode(v ? v.why : ''),
  });
}
