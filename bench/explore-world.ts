// The explorer benches' start state: D1 from a scenario file (scenarios/explore.yaml), built the
// way `sgxsim explore` builds it. Shared by bench/explore.bench.ts and its worker, explore-copy.ts.
import { readFileSync } from 'node:fs';
import { loadScenario } from '../src/scenario/load.js';
import { registryDesignRefs } from '../src/scenario/run-boot.js';
import { buildWorld, type World } from '../src/analysis/explore/index.js';
import { nodeRunHost } from '../src/cli/commands/run-host.js';
import '../src/drivers/sgx/index.js';

export function d1World(scenarioFile: string): World {
  const r = loadScenario(readFileSync(scenarioFile, 'utf8'), scenarioFile, { designs: registryDesignRefs() });
  if (!r.ok) throw new Error(`${scenarioFile} does not load`);
  return buildWorld(r.scenario, nodeRunHost, { design: 'D1' });
}
