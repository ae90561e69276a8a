// Shared helpers of the explorer tests: load a scenario from the repository, build its world with
// node's file system and crypto, run the explorer, replay counterexamples with the runner.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario, type Scenario } from '../../src/scenario/load.js';
import { formatError } from '../../src/scenario/errors.js';
import { registryDesignRefs } from '../../src/scenario/run-boot.js';
import { runScenario, type RunHost } from '../../src/scenario/run.js';
import { nodeCrypto } from '../../src/platform/node/crypto.js';
import { buildWorld, explore, type ExploreOptions, type ExploreResult, type World, type WorldOptions } from '../../src/analysis/explore/index.js';
import '../../src/drivers/sgx/index.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const host: RunHost = {
  readFile: (p: string) => new Uint8Array(readFileSync(p)),
  crypto: nodeCrypto,
};

export function scenarioAt(rel: string): Scenario {
  const file = join(ROOT, rel);
  const r = loadScenario(readFileSync(file, 'utf8'), file, { designs: registryDesignRefs() });
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return r.scenario;
}

export function worldOf(rel: string, opts: WorldOptions = {}): World {
  return buildWorld(scenarioAt(rel), host, opts);
}

export async function exploreAt(rel: string, wopts: WorldOptions, eopts: ExploreOptions): Promise<ExploreResult> {
  return explore(worldOf(rel, wopts), eopts);
}

/** Replay a counterexample file's text with the scenario runner (as `sgxsim run` does); it is written beside `rel`. */
export function replay(text: string, besideRel: string): ReturnType<typeof runScenario> {
  const file = join(ROOT, dirname(besideRel), 'counterexample.yaml');
  const r = loadScenario(text, file, { designs: registryDesignRefs() });
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return runScenario(r.scenario, host);
}
