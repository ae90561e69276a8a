// Worker threads for `sgxsim explore --workers K` (node-facing glue; the search itself is the
// pure core, src/analysis/explore). Each worker builds the same world from the same scenario
// (deterministic) and expands chunks of a BFS level: it receives the chunk's paths (action ids,
// transferred as an Int32Array), rebuilds each state by replaying its path with a prefix stack
// (cheaper than shipping kernels: consecutive paths share prefixes, so a rebuild costs about one
// action), and returns the successors' fingerprints and violation bits. Chunks are handed to
// whichever worker is free; the main thread merges the results in chunk order, so the search
// result does not depend on K or on timing. docs/explorer.md "Workers".
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChunkResult, LevelExpander } from '../analysis/explore/index.js';

/** What a worker needs to build the world and the alphabet (plain data, structured-clone safe). */
export interface WorkerInit {
  readonly scenarioText: string;
  readonly scenarioFile: string;
  readonly design?: string;
  readonly policy?: { kind: 'builtin'; name: string } | { kind: 'file'; path: string };
  readonly slots?: number;
  readonly enclavePages?: number;
  readonly sgx2?: boolean;
  readonly close?: boolean;
}

/** Chunks queued at each worker at once. */
const IN_FLIGHT = 2;

export class WorkerPool implements LevelExpander {
  private readonly workers: Worker[] = [];
  private ready: Promise<void>;
  /** Called with the number of successors generated whenever a chunk completes (progress). */
  onChunk: ((generated: number) => void) | null = null;

  constructor(script: string, init: WorkerInit, n: number) {
    const starts: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const w = new Worker(script, { workerData: init });
      this.workers.push(w);
      starts.push(
        new Promise((resolve, reject) => {
          const onMsg = (m: { type: string; message?: string }): void => {
            if (m.type === 'ready') {
              w.off('message', onMsg);
              resolve();
            } else if (m.type === 'error') reject(new Error(m.message));
          };
          w.on('message', onMsg);
          w.once('error', reject);
        }),
      );
    }
    this.ready = Promise.all(starts).then(() => undefined);
  }

  async expandLevel(paths: readonly Int32Array[], counts: readonly number[], len: number, mask: number, last: boolean, onResult: (chunk: number, r: ChunkResult) => boolean): Promise<void> {
    await this.ready;
    const results: (ChunkResult | undefined)[] = new Array(paths.length);
    let next = 0;
    let merged = 0;
    let stop = false;
    // Hand results over in chunk order as soon as the prefix is complete.
    const drain = (): void => {
      while (!stop && merged < paths.length && results[merged] !== undefined) {
        const r = results[merged]!;
        results[merged] = undefined;
        if (!onResult(merged, r)) stop = true;
        merged++;
      }
    };
    // Each worker has up to IN_FLIGHT chunks queued, so it starts the next chunk while the main
    // thread merges the last one instead of waiting for a round trip.
    const run = (w: Worker): Promise<void> =>
      new Promise((resolve, reject) => {
        let inFlight = 0;
        let failed = false;
        const send = (): void => {
          while (!stop && !failed && next < paths.length && inFlight < IN_FLIGHT) {
            const index = next++;
            const p = paths[index];
            inFlight++;
            w.postMessage({ type: 'expand', index, paths: p, count: counts[index], len, mask, last }, [p.buffer as ArrayBuffer]);
          }
          if (inFlight === 0) {
            w.off('message', onMsg);
            resolve();
          }
        };
        const onMsg = (m: { type: string; index?: number; result?: ChunkResult; message?: string }): void => {
          if (m.type === 'error') {
            failed = true;
            w.off('message', onMsg);
            reject(new Error(`explore worker: ${m.message}`));
            return;
          }
          inFlight--;
          results[m.index!] = m.result!;
          this.onChunk?.(m.result!.generated);
          drain();
          send();
        };
        w.on('message', onMsg);
        send();
      });
    await Promise.all(this.workers.map(run));
    drain();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The compiled worker script (dist/src/cli/explore-worker.js), found from the package root. */
export function workerScript(root: string): string {
  const p = join(root, 'dist/src/cli/explore-worker.js');
  if (!existsSync(p)) throw new Error(`the explorer's worker script ${p} is missing: run \`npm run build\``);
  return p;
}
