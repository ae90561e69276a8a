// The implementation of `sgxsim explore` (loaded by explore.ts when the command runs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ScenarioFailure } from '../../scenario/errors.js';
import type { Scenario } from '../../scenario/load.js';
import { listDesigns, lookupDesign } from '../../drivers/sgx/registry.js';
import '../../drivers/sgx/index.js';
import { buildAlphabet, buildWorld, explore, ExploreInputError, INVARIANTS, localExpander, type ExploreResult, type InvariantId, type SearchProgress } from '../../analysis/explore/index.js';
import { UsageError, EXIT_FAIL, EXIT_OK } from '../errors.js';
import { builtinScenario, displayPath, nodeRunHost, packageRoot, readTextArg } from './run-host.js';
import { checkDesignOption, policyOption, reportInputError, ReportedInputError } from './run-action.js';
import { loadScenario } from '../../scenario/load.js';
import { formatError } from '../../scenario/errors.js';
import { registryDesignRefs } from '../../scenario/run-boot.js';
import type { ExploreCliOptions } from './explore.js';
import { WorkerPool, workerScript, type WorkerInit } from '../explore-pool.js';

/** Load the scenario under its absolute path (counterexamples written elsewhere then name its content files correctly). */
function loadAbsolute(path: string): Scenario {
  const text = readTextArg(path, 'the scenario');
  const r = loadScenario(text, resolve(path), { designs: registryDesignRefs() });
  if (!r.ok) throw new ReportedInputError(r.errors.map((e) => formatError({ ...e, file: displayPath(e.file) })));
  return r.scenario;
}

function intOption(v: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} takes a number from ${min} to ${max}, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${name} takes a number from ${min} to ${max}, got ${n}`);
  return n;
}

function invariantsOption(v: string[] | undefined): InvariantId[] {
  if (!v || v.length === 0) return [...INVARIANTS];
  const out: InvariantId[] = [];
  for (const x of v.flatMap((s) => s.split(','))) {
    const id = x.trim().toUpperCase();
    if (!(INVARIANTS as readonly string[]).includes(id)) throw new UsageError(`--invariant takes I1, I2 or I3, got '${x}'`);
    if (!out.includes(id as InvariantId)) out.push(id as InvariantId);
  }
  return out;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** A design's row of results, for the table and JSON. */
interface DesignRun {
  readonly design: string;
  readonly result: ExploreResult;
  readonly files: Readonly<Partial<Record<InvariantId, string>>>;
  readonly workers: number;
}

function verdictText(r: ExploreResult, id: InvariantId): string {
  const v = r.verdicts.find((x) => x.invariant === id);
  if (!v) return '-';
  if (v.counterexample) return `violated (length ${v.counterexample.length})`;
  return r.search.exhausted ? `holds (all ${fmt(r.search.distinct)} states)` : `holds to depth ${r.search.depth}`;
}

function toJson(d: DesignRun): unknown {
  const r = d.result;
  const s = r.search;
  return {
    design: r.design,
    policy: r.policy,
    depth: s.depth,
    exhausted: s.exhausted,
    alphabet: r.alphabetSize,
    distinctStates: s.distinct,
    generatedStates: s.generated,
    perLevel: s.perLevel,
    elapsedMs: Math.round(s.elapsedMs),
    statesPerSecond: s.elapsedMs > 0 ? Math.round((s.generated / s.elapsedMs) * 1000) : null,
    workers: d.workers,
    signatures: r.signatures,
    invariants: r.verdicts.map((v) => ({
      invariant: v.invariant,
      verdict: v.counterexample ? 'violated' : 'holds',
      ...(v.counterexample
        ? {
            length: v.counterexample.length,
            why: v.counterexample.violation.why,
            actions: v.counterexample.actions,
            granted: v.counterexample.granted,
            ...(d.files[v.invariant] ? { file: d.files[v.invariant] } : {}),
            scenario: v.counterexample.scenarioText,
          }
        : {}),
    })),
  };
}

export async function exploreCommand(file: string | undefined, opts: ExploreCliOptions): Promise<void> {
  const path = file ?? builtinScenario('explore');
  let scenario: Scenario;
  let depth: number;
  let invariants: InvariantId[];
  let workers: number;
  let slots: number;
  let enclavePages: number;
  let designs: string[];
  let policy: ReturnType<typeof policyOption>;
  try {
    depth = intOption(opts.depth, '--depth', 6, 0, 30);
    invariants = invariantsOption(opts.invariant);
    workers = intOption(opts.workers, '--workers', 1, 1, 64);
    slots = intOption(opts.slots, '--slots', 1, 1, 3);
    enclavePages = intOption(opts.enclavePages, '--enclave-pages', 3, 1, 8);
    policy = policyOption(opts.policy);
    if (opts.allDesigns && opts.design) throw new UsageError('--all-designs and --design exclude each other');
    const d = checkDesignOption(opts.design);
    // Loaded under its absolute path, so that counterexamples written elsewhere name its content files correctly.
    scenario = loadAbsolute(path);
    designs = opts.allDesigns ? listDesigns().map((x) => x.key) : [d ?? scenario.setup.design.id];
    for (const name of designs) if (!lookupDesign(name)) throw new UsageError(`${displayPath(path)}: design ${name} is not implemented in this build`);
  } catch (e) {
    if (reportInputError(e)) return;
    throw e;
  }
  const outDir = opts.out ?? (opts.allDesigns ? 'explore-out' : undefined);
  const showProgress = opts.progress ?? process.stderr.isTTY === true;
  const text = readTextArg(path, 'the scenario');
  const runs: DesignRun[] = [];
  for (const design of designs) {
    let world;
    try {
      world = buildWorld(scenario, nodeRunHost, { design, ...(policy ? { policy } : {}), slots, enclavePages });
    } catch (e) {
      if (e instanceof ExploreInputError) {
        process.stderr.write(`sgxsim explore: ${displayPath(path)}: ${e.message}\n`);
        process.exitCode = 2;
        return;
      }
      if (reportInputError(e instanceof ScenarioFailure ? e : e)) return;
      throw e;
    }
    const alphabetOpts = { ...(opts.sgx2 === false ? { sgx2: false } : {}), ...(opts.close ? { close: true } : {}) };
    let pool: WorkerPool | null = null;
    if (workers > 1) {
      const init: WorkerInit = { scenarioText: text, scenarioFile: scenario.file, design, ...(policy ? { policy } : {}), slots, enclavePages, ...alphabetOpts };
      pool = new WorkerPool(workerScript(packageRoot()), init, workers);
    }
    const t0 = performance.now();
    let generatedSoFar = 0;
    let last: SearchProgress | null = null;
    const line = (p: SearchProgress | null, extra = 0): void => {
      if (!showProgress) return;
      const gen = (p?.generated ?? 0) + extra;
      const ms = performance.now() - t0;
      const rate = ms > 0 ? Math.round((gen / ms) * 1000) : 0;
      process.stderr.write(`\r\x1b[K${design}: depth ${p ? p.depth : 0}/${depth}, frontier ${fmt(p?.frontier ?? 1)}, ${fmt(p?.distinct ?? 1)} states, ${fmt(gen)} generated, ${fmt(rate)} states/s`);
    };
    if (pool) {
      pool.onChunk = (g) => {
        generatedSoFar += g;
        line(last, generatedSoFar);
      };
    }
    let result: ExploreResult;
    try {
      result = await explore(world, {
        depth,
        invariants,
        ...alphabetOpts,
        ...(pool ? { expander: pool } : { expander: localExpander(world, buildAlphabet(world, alphabetOpts)) }),
        now: () => performance.now(),
        // Counterexample files name the start scenario's content files relative to where they are written.
        ...(outDir ? { counterexampleFile: (inv: InvariantId) => resolve(outDir, `${design}-${inv}.yaml`) } : {}),
        progress: (p) => {
          last = p;
          generatedSoFar = 0;
          line(p);
        },
      });
    } finally {
      if (pool) await pool.close();
      if (showProgress) process.stderr.write('\r\x1b[K');
    }
    const files: Partial<Record<InvariantId, string>> = {};
    if (outDir) {
      mkdirSync(outDir, { recursive: true });
      for (const c of result.counterexamples) {
        const f = join(outDir, `${design}-${c.invariant}.yaml`);
        writeFileSync(f, c.scenarioText);
        files[c.invariant] = displayPath(f);
      }
    }
    runs.push({ design, result, files, workers });
    if (!opts.json && !opts.allDesigns) printOne(path, runs[runs.length - 1], !outDir);
  }
  if (opts.json) {
    const out = runs.map(toJson);
    process.stdout.write(JSON.stringify(opts.allDesigns ? out : out[0], null, 2) + '\n');
  } else if (opts.allDesigns) {
    printTable(path, runs, invariants, depth, outDir);
  }
  process.exitCode = runs.some((r) => r.result.counterexamples.length > 0) ? EXIT_FAIL : EXIT_OK;
}

function printOne(path: string, d: DesignRun, printScenarios: boolean): void {
  const r = d.result;
  const s = r.search;
  const rate = s.elapsedMs > 0 ? Math.round((s.generated / s.elapsedMs) * 1000) : 0;
  const lines: string[] = [];
  lines.push(`sgxsim explore ${displayPath(path)}: design ${r.design}, policy ${r.policy}, depth ${s.depth}${s.exhausted ? ' (every reachable state)' : ''}`);
  lines.push(`alphabet ${r.alphabetSize} actions; ${fmt(s.distinct)} distinct states, ${fmt(s.generated)} generated in ${(s.elapsedMs / 1000).toFixed(1)} s (${fmt(rate)} states/s, ${d.workers} worker${d.workers === 1 ? '' : 's'})`);
  for (const v of r.verdicts) {
    const c = v.counterexample;
    lines.push(`${v.invariant}  ${verdictText(r, v.invariant)}${c ? `: ${c.violation.why}${d.files[v.invariant] ? `\n    counterexample: ${d.files[v.invariant]}` : ''}` : ''}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (printScenarios) {
    for (const c of r.counterexamples) process.stdout.write(`\n--- counterexample to ${c.invariant} (replay: save it and run \`sgxsim run FILE\`)\n${c.scenarioText}`);
  }
}

function printTable(path: string, runs: readonly DesignRun[], invariants: readonly InvariantId[], depth: number, outDir: string | undefined): void {
  const head = ['design', ...invariants];
  const rows = runs.map((d) => [d.design, ...invariants.map((id) => verdictText(d.result, id))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmtRow = (r: readonly string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const out = [`sgxsim explore --all-designs ${displayPath(path)}: depth ${depth}, policy ${runs[0]?.result.policy ?? '?'}`, '', fmtRow(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(fmtRow)];
  if (outDir) out.push('', `counterexamples: ${resolve(outDir) === resolve('.') ? '.' : displayPath(outDir)}/<design>-<invariant>.yaml (replay with sgxsim run)`);
  process.stdout.write(out.join('\n') + '\n');
}
