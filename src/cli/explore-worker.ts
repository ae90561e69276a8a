// The body of an explorer worker thread (see explore-pool.ts): build the world from the scenario,
// then expand the chunks the main thread sends, replying with typed arrays (transferred).
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario } from '../scenario/load.js';
import { formatError } from '../scenario/errors.js';
import { registryDesignRefs } from '../scenario/run-boot.js';
import { buildWorld, buildAlphabet, Expander } from '../analysis/explore/index.js';
import { nodeRunHost } from './commands/run-host.js';
import type { WorkerInit } from './explore-pool.js';

const port = parentPort;
if (!port) throw new Error('explore-worker.js runs as a worker thread');
try {
  const init = workerData as WorkerInit;
  const r = loadScenario(init.scenarioText, init.scenarioFile, { designs: registryDesignRefs() });
  if (!r.ok) throw new Error(r.errors.map(formatError).join('; '));
  const w = buildWorld(r.scenario, nodeRunHost, { ...(init.design ? { design: init.design } : {}), ...(init.policy ? { policy: init.policy } : {}), ...(init.slots ? { slots: init.slots } : {}), ...(init.enclavePages ? { enclavePages: init.enclavePages } : {}) });
  const alphabet = buildAlphabet(w, { ...(init.sgx2 === false ? { sgx2: false } : {}), ...(init.close ? { close: true } : {}) });
  const ex = new Expander(w, alphabet);
  port.on('message', (m: { type: string; index: number; paths: Int32Array; count: number; len: number; mask: number; last: boolean }) => {
    try {
      const r2 = ex.expand(m.paths, m.len, m.count, m.mask, m.last);
      const out = { state: r2.state.slice(), action: r2.action.slice(), hi: r2.hi.slice(), lo: r2.lo.slice(), viol: r2.viol.slice(), count: r2.count, generated: r2.generated };
      port.postMessage({ type: 'result', index: m.index, result: out }, [out.state.buffer, out.action.buffer, out.hi.buffer, out.lo.buffer, out.viol.buffer]);
    } catch (e) {
      port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  });
  port.postMessage({ type: 'ready' });
} catch (e) {
  port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
