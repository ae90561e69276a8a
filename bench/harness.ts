// Benchmark harness shared by every bench/*.bench.ts file. Speed targets live here, never in
// timed unit tests. Each bench measures a reference in the same run (e.g. createHash over the
// same bytes, checkpolicy on the same file, `node -e 0`) and prints the ratio, so the figures
// do not depend on the machine.

export interface BenchContext {
  /** Print one result line: `name: value unit` plus an optional target note. */
  report(name: string, value: number, unit: string, note?: string): void;
  /** Print a ratio against a reference and whether it meets `target` (ratio <= target unless higherIsBetter). */
  ratio(name: string, value: number, target: number, opts?: { higherIsBetter?: boolean }): void;
  /** Free-form line. */
  log(line: string): void;
}

export interface Bench {
  /** Short id used to filter: `npm run bench -- mm`. */
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<void> | void;
}

/** High-resolution wall clock in milliseconds. */
export function now(): number {
  return performance.now();
}

/** Run fn repeatedly for at least minMs and return milliseconds per call (best of `rounds`). */
export function timePerCall(fn: () => void, minMs = 200, rounds = 3): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = now();
    let t1: number;
    do {
      fn();
      n++;
      t1 = now();
    } while (t1 - t0 < minMs);
    best = Math.min(best, (t1 - t0) / n);
  }
  return best;
}
