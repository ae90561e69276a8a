// `sgxsim policy derive` (docs/runner.md "Minimal policy"): the smallest allow rules with which a
// scenario passes enforcing.
//   1. Run the scenario with SELinux permissive and collect every denial (the AVC's
//      avc_denied() grants them in permissive mode, so the loader follows its success path).
//   2. Keep out the denials the scenario *expects*: those of steps whose outcome is an errno
//      (`= -1 EACCES`) or anything (`= ?`), and of steps followed by a positive
//      `expect avc denied ...` before the next action. What is left becomes allow rules, one per
//      (source type, target type, class) — target `self` when equal — grouped by source type and
//      sorted the way audit2allow prints them (sepolgen output.py), plus `allowxperm ... ioctl`
//      lines for ioctl commands an extended-permission rule denied.
//   3. Append the rules to the policy source, recompile (neverallow checked as checkpolicy does),
//      rerun enforcing, and report whether every expectation holds. A permissive run can hide a
//      denial (a permission granted once is cached; a step that failed for another reason never
//      reached a later check): the loop repeats with the rules found so far until the enforcing
//      run passes or nothing new is found (at most `maxRounds`).
import type { TraceEvent } from '../kernel/trace.js';
import { audit2allowDetailed } from '../security/selinux/audit2allow.js';
import { ScenarioFailure, formatError, type ScenarioError } from '../scenario/errors.js';
import type { Scenario } from '../scenario/load.js';
import { runScenario, type RunHost, type RunResult } from '../scenario/run.js';
import type { PolicyChoice } from '../scenario/run-boot.js';

export interface DeriveOptions {
  /** Run on this design instead of the scenario's. */
  readonly design?: string;
  /** Start from this policy instead of the scenario's. */
  readonly policy?: PolicyChoice;
  /** Most permissive/enforcing rounds (default 4). */
  readonly maxRounds?: number;
}

/** One permission to allow. */
export interface Denial {
  readonly scontext: string;
  readonly tcontext: string;
  readonly tclass: string;
  readonly perm: string;
  /** ioctl command for an extended-permission denial. */
  readonly ioctlcmd: number | null;
}

export interface DeriveResult {
  readonly scenario: Scenario;
  readonly design: string;
  readonly policy: string;
  /** The allow rules, audit2allow's layout (empty when none are needed). */
  readonly text: string;
  /** The policy statements appended (allow and allowxperm lines). */
  readonly rules: readonly string[];
  /** What the rules grant. */
  readonly denials: readonly Denial[];
  /** Denials the scenario expects (kept denied). */
  readonly expected: readonly Denial[];
  /** The last permissive run. */
  readonly permissive: RunResult;
  /** The enforcing rerun with the rules (null if the policy with the rules does not compile). */
  readonly verify: RunResult | null;
  /** Why the rerun could not happen (e.g. the rules violate a neverallow). */
  readonly error: readonly ScenarioError[];
  /** The enforcing rerun passed. */
  readonly ok: boolean;
  readonly rounds: number;
}

const key = (d: Denial): string => `${d.scontext}\u0000${d.tcontext}\u0000${d.tclass}\u0000${d.perm}\u0000${d.ioctlcmd ?? ''}`;
const typeOf = (ctx: string): string => ctx.split(':')[2] ?? ctx;

/** Indexes of steps whose denials the scenario expects. */
function expectedDenialSteps(r: RunResult): Set<number> {
  const out = new Set<number>();
  let lastAction = -1;
  for (const s of r.steps) {
    const st = s.step;
    if (st.kind === 'action') {
      lastAction = s.index;
      const o = st.outcome;
      if (o && (o.kind === 'any' || o.kind === 'errno')) out.add(s.index);
    } else if (st.kind === 'expect' && st.assertion.kind === 'avc' && !st.assertion.negated && st.assertion.decision !== 'granted' && lastAction >= 0) {
      out.add(lastAction);
    }
  }
  return out;
}

/** The denials of a run, split into the ones to allow and the ones the scenario expects. */
export function classifyDenials(r: RunResult): { allow: Denial[]; expected: Denial[] } {
  const expectedSteps = expectedDenialSteps(r);
  const allow = new Map<string, Denial>();
  const expected = new Map<string, Denial>();
  for (const s of r.steps) {
    if (s.kind === 'let' || s.kind === 'expect') continue;
    for (const e of r.trace.slice(s.from, s.to)) {
      if (e.kind !== 'avc' || e.decision !== 'denied') continue;
      const ev = e as Extract<TraceEvent, { kind: 'avc' }>;
      // The permissions the policy did not allow: a denied decision lists exactly those (audited
      // or not, src/security/selinux/hooks.ts AvcTraceEvent.perms).
      for (const perm of ev.perms) {
        const d: Denial = { scontext: ev.scontext, tcontext: ev.tcontext, tclass: ev.tclass, perm, ioctlcmd: ev.ioctlcmd };
        (expectedSteps.has(s.index) ? expected : allow).set(key(d), d);
      }
    }
  }
  const sort = (m: Map<string, Denial>): Denial[] => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, d]) => d);
  // A permission needed by a step that must succeed is allowed even if another step expected it denied.
  for (const k of allow.keys()) expected.delete(k);
  return { allow: sort(allow), expected: sort(expected) };
}

/** audit2allow's text for the denials, and the statements to append to a policy. */
export function rulesFor(denials: readonly Denial[]): { text: string; rules: string[] } {
  const lines = denials.map((d) => `avc:  denied  { ${d.perm} } for  scontext=${d.scontext} tcontext=${d.tcontext} tclass=${d.tclass}`);
  const a2a = audit2allowDetailed(lines);
  const rules = a2a.text.split('\n').filter((l) => l.startsWith('allow '));
  // Extended permissions: allowxperm for each denied ioctl command (sepolgen -x prints these).
  const xperm = new Map<string, Set<number>>();
  for (const d of denials) {
    if (d.ioctlcmd === null || d.perm !== 'ioctl') continue;
    const s = typeOf(d.scontext);
    const t = typeOf(d.tcontext) === s ? 'self' : typeOf(d.tcontext);
    const k = `${s} ${t}:${d.tclass}`;
    if (!xperm.has(k)) xperm.set(k, new Set());
    xperm.get(k)!.add(d.ioctlcmd & 0xffff);
  }
  const xlines = [...xperm.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, cmds]) => {
      const list = [...cmds].sort((a, b) => a - b).map((c) => `0x${c.toString(16)}`);
      return `allowxperm ${k} ioctl ${list.length === 1 ? list[0] : `{ ${list.join(' ')} }`};`;
    });
  const text = (a2a.text.replace(/^\n+/, '') + (xlines.length ? `\n${xlines.join('\n')}\n` : '')).trimEnd();
  return { text: text ? text + '\n' : '', rules: [...rules, ...xlines] };
}

/** Derive the rules and prove them (see the file comment). Throws ScenarioFailure for invalid input. */
export function derivePolicy(scenario: Scenario, host: RunHost, opts: DeriveOptions = {}): DeriveResult {
  const maxRounds = opts.maxRounds ?? 4;
  const base = { ...(opts.design ? { design: opts.design } : {}), ...(opts.policy ? { policy: opts.policy } : {}) };
  const found = new Map<string, Denial>();
  let expected: Denial[] = [];
  let permissive: RunResult | undefined;
  let verify: RunResult | null = null;
  let error: ScenarioError[] = [];
  let text = '';
  let rules: string[] = [];
  let rounds = 0;
  for (; rounds < maxRounds; ) {
    rounds++;
    const extraRules = rules.join('\n');
    permissive = runScenario(scenario, host, { ...base, permissive: true, ...(extraRules ? { extraRules } : {}) });
    const c = classifyDenials(permissive);
    expected = c.expected;
    let added = 0;
    for (const d of c.allow) {
      if (!found.has(key(d))) {
        found.set(key(d), d);
        added++;
      }
    }
    if (verify && added === 0) break; // nothing new: the last enforcing run stands
    ({ text, rules } = rulesFor([...found.values()]));
    try {
      verify = runScenario(scenario, host, { ...base, permissive: false, ...(rules.length ? { extraRules: rules.join('\n') } : {}) });
      error = [];
    } catch (e) {
      if (!(e instanceof ScenarioFailure)) throw e;
      verify = null;
      error = [...e.errors];
      break;
    }
    if (verify.ok) break;
  }
  return {
    scenario,
    design: permissive!.design,
    policy: permissive!.policy,
    text,
    rules,
    denials: [...found.values()],
    expected,
    permissive: permissive!,
    verify,
    error,
    ok: verify !== null && verify.ok,
    rounds,
  };
}

/** The text report of `policy derive`. */
export function renderDerive(r: DeriveResult): string {
  const out: string[] = [];
  out.push(`# sgxsim policy derive ${r.scenario.file}: design ${r.design}, policy ${r.policy}`);
  out.push(`# permissive run: ${r.denials.length} permission${r.denials.length === 1 ? '' : 's'} denied in steps that must succeed${r.expected.length ? `; ${r.expected.length} denial${r.expected.length === 1 ? '' : 's'} the scenario expects kept` : ''}`);
  if (r.text) out.push(r.text.trimEnd());
  else if (r.verify && !r.verify.ok) out.push('# no allow rules to add: the steps that must succeed met no SELinux denial, so the failures below are not policy decisions');
  else out.push('# no rules needed: the policy already allows every step that must succeed');
  if (r.error.length) {
    out.push('# the policy with these rules cannot be built:');
    for (const e of r.error) out.push(formatError(e));
  } else if (r.verify) {
    const v = r.verify;
    if (v.ok) out.push(`# enforcing rerun with ${r.rules.length ? 'these rules added' : 'the policy as it is'}: ok, every expectation holds (${v.steps.length} steps)`);
    else {
      out.push(`# enforcing rerun with ${r.rules.length ? 'these rules added' : 'the policy as it is'}: FAILED (${v.failures.length} step${v.failures.length === 1 ? '' : 's'} did not go as expected):`);
      for (const f of v.failures) out.push(formatError(f));
    }
  }
  return out.join('\n') + '\n';
}
