// --workers: real worker threads (the compiled dist/src/cli/explore-worker.js, which `npm ci`
// builds) give exactly the result of the in-thread search: the same levels, counts and
// counterexamples (docs/explorer.md "Workers").
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/cli/explore-pool.js';
import { explore } from '../../src/analysis/explore/index.js';
import { ROOT, worldOf } from './explore.helpers.js';

const script = join(ROOT, 'dist/src/cli/explore-worker.js');
const have = existsSync(script);

describe('explore with worker threads', () => {
  it.skipIf(!have)(`2 workers reproduce the in-thread search exactly${have ? '' : ' (skipped: dist/src/cli/explore-worker.js is missing; run npm run build)'}`, async () => {
    const rel = 'scenarios/explore.yaml';
    const file = join(ROOT, rel);
    const one = await explore(worldOf(rel, { design: 'D7' }), { depth: 5, invariants: ['I2', 'I3'] });
    const pool = new WorkerPool(script, { scenarioText: readFileSync(file, 'utf8'), scenarioFile: file, design: 'D7' }, 2);
    try {
      const two = await explore(worldOf(rel, { design: 'D7' }), { depth: 5, invariants: ['I2', 'I3'], expander: pool });
      expect(two.search.perLevel).toEqual(one.search.perLevel);
      expect(two.search.distinct).toBe(one.search.distinct);
      expect(two.search.generated).toBe(one.search.generated);
      expect(two.counterexamples.map((c) => [c.invariant, c.path])).toEqual(one.counterexamples.map((c) => [c.invariant, c.path]));
      expect(two.counterexamples.map((c) => c.scenarioText)).toEqual(one.counterexamples.map((c) => c.scenarioText));
    } finally {
      await pool.close();
    }
  });
});
