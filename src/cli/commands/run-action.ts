// The implementation of `sgxsim run` (loaded by run.ts when the command runs).
import { loadScenario, type Scenario } from '../../scenario/load.js';
import { formatError, ScenarioFailure } from '../../scenario/errors.js';
import { registryDesignRefs } from '../../scenario/run-boot.js';
import { runScenario, type PolicyChoice, type RunResult } from '../../scenario/run.js';
import { renderRun } from '../../scenario/render.js';
import { runToJson } from '../../scenario/render-json.js';
import { lookupDesign, listDesigns } from '../../drivers/sgx/registry.js';
import '../../drivers/sgx/index.js';
import { BUILTIN_POLICIES } from '../../security/selinux/builtin.js';
import { UsageError, EXIT_FAIL, EXIT_OK, EXIT_USAGE } from '../errors.js';
import { builtinScenario, displayPath, nodeRunHost, readTextArg, useColor } from './run-host.js';
import type { RunCliOptions } from './run.js';

/** Thrown after positioned errors were printed: exit 2. */
export class ReportedInputError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(errors.join('\n'));
    this.name = 'ReportedInputError';
  }
}

/** Read and load a scenario file; positioned errors become a ReportedInputError. */
export function loadScenarioFile(path: string): Scenario {
  const text = readTextArg(path, 'the scenario');
  const r = loadScenario(text, displayPath(path), { designs: registryDesignRefs() });
  if (!r.ok) throw new ReportedInputError(r.errors.map(formatError));
  return r.scenario;
}

/** --design: a registered design (UsageError naming the available ones otherwise). */
export function checkDesignOption(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (lookupDesign(name)) return name;
  throw new UsageError(`unknown design '${name}' (available: ${listDesigns().map((d) => `${d.key} (${d.slug})`).join(', ')})`);
}

/** --policy: builtin:NAME or a path. */
export function policyOption(p: string | undefined): PolicyChoice | undefined {
  if (p === undefined) return undefined;
  if (p.startsWith('builtin:')) {
    const name = p.slice('builtin:'.length);
    if (!(BUILTIN_POLICIES as readonly string[]).includes(name)) throw new UsageError(`unknown built-in policy '${p}' (available: ${BUILTIN_POLICIES.map((n) => 'builtin:' + n).join(', ')})`);
    return { kind: 'builtin', name };
  }
  readTextArg(p, 'the policy');
  return { kind: 'file', path: p };
}

/** Print a runner input error (positioned lines) on stderr and set exit code 2. */
export function reportInputError(e: unknown): boolean {
  if (e instanceof ReportedInputError) {
    for (const l of e.errors) process.stderr.write(`${l}\n`);
    process.exitCode = EXIT_USAGE;
    return true;
  }
  if (e instanceof ScenarioFailure) {
    for (const l of e.errors) process.stderr.write(`${formatError(l)}\n`);
    process.exitCode = EXIT_USAGE;
    return true;
  }
  return false;
}

export async function runCommand(file: string | undefined, opts: RunCliOptions): Promise<void> {
  const path = file ?? builtinScenario('seed');
  let result: RunResult;
  try {
    const design = checkDesignOption(opts.design);
    const policy = policyOption(opts.policy);
    const scenario = loadScenarioFile(path);
    result = runScenario(scenario, nodeRunHost, { ...(design ? { design } : {}), ...(policy ? { policy } : {}), ...(opts.permissive ? { permissive: true } : {}) });
  } catch (e) {
    if (reportInputError(e)) return;
    throw e;
  }
  if (opts.json) process.stdout.write(JSON.stringify(runToJson(result), null, 2) + '\n');
  else process.stdout.write(renderRun(result, { color: useColor(opts.color), quiet: opts.quiet, auditedOnly: opts.auditedOnly }));
  process.exitCode = result.ok ? EXIT_OK : EXIT_FAIL;
}
