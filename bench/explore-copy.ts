// Worker thread for bench/explore.bench.ts: one whole single-core explorer search (the same one
// the bench runs in its own thread), posted back as { generated, distinct }. The bench starts two
// of these at once to measure what two independent copies of the search get out of this machine's
// two cores (the parallel ceiling any --workers 2 run is judged against).
import { parentPort, workerData } from 'node:worker_threads';
import { explore } from '../src/analysis/explore/index.js';
import { d1World } from './explore-world.js';

interface CopyData {
  readonly scenarioFile: string;
  readonly depth: number;
}

const { scenarioFile, depth } = workerData as CopyData;
const world = d1World(scenarioFile);
// Wait for the go signal, so that both copies start together after their set-up.
parentPort!.postMessage({ ready: true });
parentPort!.once('message', () => {
  void explore(world, { depth, invariants: ['I1', 'I2'] }).then((res) => {
    parentPort!.postMessage({ generated: res.search.generated, distinct: res.search.distinct });
  });
});
