// D1 under builtin:strict (issue #7): the seed's claim — "SGX also ensures userspace isn't
// bypassing LSM policies by virtue of copying the permissions for EPC VMAs from regular VMAs that
// have already gone through LSM checks" (Sean Christopherson, 2019-05-17,
// 20190517192823.GG15006@linux.intel.com) — checked mechanically: builtin:strict gives the loader
// no execmem or execmod and lets it execute only libraries, programs and the enclave device
// (neverallow rules, docs/policies.md), so no sequence of 8 actions — SGX2's EACCEPT/EMODPE and fd
// passing to a second task included — makes bytes the loader wrote, or bytes from a file it may
// not execute, into executable code (I1, I2). This is the longest test of the explorer: it runs
// on two worker threads when the build has the worker script (CI builds it), else in this thread.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/cli/explore-pool.js';
import { explore } from '../../src/analysis/explore/index.js';
import { ROOT, worldOf } from './explore.helpers.js';

const DEPTH = Number(process.env.EXPLORE_D1_DEPTH ?? 8);

describe('D1 under builtin:strict', () => {
  it(`I1 and I2 hold to depth ${DEPTH} with SGX2 and fd passing in the alphabet`, { timeout: 1_500_000 }, async () => {
    const rel = 'scenarios/explore.yaml';
    const w = worldOf(rel, { design: 'D1', policy: { kind: 'builtin', name: 'strict' } });
    const script = join(ROOT, 'dist/src/cli/explore-worker.js');
    const file = join(ROOT, rel);
    const pool = existsSync(script) ? new WorkerPool(script, { scenarioText: readFileSync(file, 'utf8'), scenarioFile: file, design: 'D1', policy: { kind: 'builtin', name: 'strict' } }, 2) : null;
    try {
      const r = await explore(w, { depth: DEPTH, invariants: ['I1', 'I2'], ...(pool ? { expander: pool } : {}) });
      expect(r.counterexamples.map((c) => `${c.invariant}: ${c.violation.why}`)).toEqual([]);
      expect(r.search.depth).toBe(DEPTH);
      // The alphabet really has the SGX2 enclave calls and fd passing.
      expect(r.alphabetSize).toBeGreaterThan(100);
      expect(r.search.perLevel.length).toBe(DEPTH + 1);
    } finally {
      await pool?.close();
    }
  });
});
