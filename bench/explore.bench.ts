// The explorer (issue #7 speed targets): states/s for D1 from scenarios/explore.yaml under
// builtin:strict on one core (this thread), then with 2 worker threads, on the same search in the
// same run; prints both rates and their ratio (targets: >= 50,000 states/s on one core; >= 1.6x
// with 2 workers on a 2-core machine). "States" are successor states generated and fingerprinted
// (duplicates included), as TLC counts "states generated". The worker run needs the compiled
// dist/src/cli/explore-worker.js, which `npm run bench` builds first.
//
// A machine's "2 cores" may not give 2x to anything (SMT siblings, a shared host): the bench also
// runs two independent copies of the whole 1-core search at once (bench/explore-copy.ts, two
// worker threads) and prints their combined rate over the 1-core rate as the machine's parallel
// ceiling, and the --workers 2 rate as a fraction of that ceiling.
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explore } from '../src/analysis/explore/index.js';
import { WorkerPool } from '../src/cli/explore-pool.js';
import { d1World } from './explore-world.js';
import { now, type Bench } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const scenarioFile = join(root, 'scenarios/explore.yaml');
const DEPTH = Number(process.env.EXPLORE_BENCH_DEPTH ?? 7);

const bench: Bench = {
  id: 'explore',
  title: `explorer: D1 from scenarios/explore.yaml under builtin:strict, I1+I2 to depth ${DEPTH} (EXPLORE_BENCH_DEPTH)`,
  async run(ctx) {
    const text = readFileSync(scenarioFile, 'utf8');
    const world = () => d1World(scenarioFile);
    const opts = { depth: DEPTH, invariants: ['I1', 'I2'] as const, now };
    const one = await explore(world(), { ...opts, invariants: [...opts.invariants] });
    const rate1 = (one.search.generated / one.search.elapsedMs) * 1000;
    ctx.report('1 core: states generated', one.search.generated, 'states', `${one.search.distinct.toLocaleString('en-US')} distinct, levels ${one.search.perLevel.join(' ')}`);
    ctx.report('1 core: time', one.search.elapsedMs / 1000, 's');
    ctx.report('1 core: rate', Math.round(rate1), 'states/s');
    ctx.ratio('1 core: rate / 50,000 states/s', rate1 / 50000, 1, { higherIsBetter: true });
    const script = join(root, 'dist/src/cli/explore-worker.js');
    if (!existsSync(script)) {
      ctx.log(`2 workers: skipped (${script} is missing; run npm run build)`);
      return;
    }
    let rate2: number;
    const pool = new WorkerPool(script, { scenarioText: text, scenarioFile, design: 'D1' }, 2);
    try {
      // Let the workers build their worlds before the clock starts (as the first level would).
      await explore(world(), { depth: 1, invariants: ['I1'], expander: pool });
      const two = await explore(world(), { ...opts, invariants: [...opts.invariants], expander: pool });
      rate2 = (two.search.generated / two.search.elapsedMs) * 1000;
      if (two.search.generated !== one.search.generated || two.search.distinct !== one.search.distinct) ctx.log('WARNING: the 2-worker search counted differently from the 1-core search');
      ctx.report('2 workers: time', two.search.elapsedMs / 1000, 's');
      ctx.report('2 workers: rate', Math.round(rate2), 'states/s');
      ctx.ratio('2 workers / 1 core', rate2 / rate1, 1.6, { higherIsBetter: true });
    } finally {
      await pool.close();
    }
    const copy = join(root, 'dist/bench/explore-copy.js');
    const ceiling = await twoCopies(copy, scenarioFile, DEPTH);
    const rateC = (ceiling.generated / ceiling.elapsedMs) * 1000;
    ctx.report('2 independent copies at once: rate', Math.round(rateC), 'states/s', `${(ceiling.elapsedMs / 1000).toFixed(2)} s for both`);
    ctx.log(`machine's parallel ceiling (2 copies / 1 core): ${(rateC / rate1).toFixed(3)}`);
    ctx.log(`2 workers / ceiling: ${(rate2 / rateC).toFixed(3)}`);
  },
};

/** Run two whole 1-core searches at once in two worker threads; their combined generated count and the wall time until both finish. */
async function twoCopies(script: string, scenarioFile: string, depth: number): Promise<{ generated: number; elapsedMs: number }> {
  const workers = [0, 1].map(() => new Worker(script, { workerData: { scenarioFile, depth } }));
  try {
    const next = (w: Worker) =>
      new Promise<{ generated?: number }>((res, rej) => {
        w.once('message', res);
        w.once('error', rej);
      });
    await Promise.all(workers.map(next));
    const t0 = now();
    const done = workers.map(next);
    for (const w of workers) w.postMessage('go');
    const results = await Promise.all(done);
    const elapsedMs = now() - t0;
    return { generated: results.reduce((a, r) => a + (r.generated ?? 0), 0), elapsedMs };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export default bench;
