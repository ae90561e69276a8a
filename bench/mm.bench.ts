// mm benchmarks (issue #2 "Speed and scale"):
//  1. With 50,000 and 100,000 VMAs that do not merge, 1,000,000 random mmap/mprotect/munmap calls;
//     prints ops/s at both sizes and the per-call time ratio (target < 1.3: O(log n)).
//  2. A 64 GiB mapping with 1,000 touched pages: heap growth (target < 100 MiB).
import type { Bench } from './harness.js';
import { now } from './harness.js';
import { Kernel } from '../src/kernel/kernel.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC, MAP_PRIVATE, MAP_ANONYMOUS, MAP_FIXED, MAP_NORESERVE } from '../src/abi/mman.js';
import v8 from 'node:v8';
import vm from 'node:vm';

const PAGE = 4096;
const AREA = 0x100000000;
const CALLS = Number(process.env.BENCH_MM_CALLS ?? 1_000_000);

/** A deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function setup(n: number): { k: Kernel; pid: number } {
  const k = Kernel.boot({ trace: false, maxMapCount: 1 << 22 });
  const pid = k.spawn({ comm: 'bench' });
  // n one-page VMAs with one-page holes between them: nothing merges.
  for (let i = 0; i < n; i++) {
    const a = AREA + 2 * i * PAGE;
    if (k.sys.mmap(pid, a, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !== a) throw new Error('setup mmap');
  }
  return { k, pid };
}

interface Runner {
  n: number;
  k: Kernel;
  pid: number;
  r: () => number;
  /** Per-chunk ns per call. */
  chunks: number[];
  calls: number;
  ms: number;
}

/** `calls` random calls that keep the VMA count at n. */
function chunk(x: Runner, calls: number): void {
  const { k, pid, n, r } = x;
  const prots = [PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC, 0];
  let done = 0;
  const t0 = now();
  while (done < calls) {
    const i = Math.floor(r() * n);
    const a = AREA + 2 * i * PAGE;
    const c = r();
    if (c < 0.5) {
      k.sys.mprotect(pid, a, PAGE, prots[Math.floor(r() * 4)]);
      done += 1;
    } else if (c < 0.85) {
      k.sys.munmap(pid, a, PAGE);
      k.sys.mmap(pid, a, PAGE, prots[Math.floor(r() * 4)], MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      done += 2;
    } else {
      // top-down placement below mmap_base, then unmap it again
      const b = k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      k.sys.munmap(pid, b, PAGE);
      done += 2;
    }
  }
  const ms = now() - t0;
  x.chunks.push((ms * 1e6) / done);
  x.calls += done;
  x.ms += ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function gc(): () => void {
  v8.setFlagsFromString('--expose_gc');
  return vm.runInNewContext('gc') as () => void;
}

const bench: Bench = {
  id: 'mm',
  title: 'mm: mmap/mprotect/munmap at scale, sparse 64 GiB mapping',
  run(ctx) {
    // Both address spaces exist side by side and the calls alternate in chunks, so that JIT
    // warm-up and GC phases hit both sizes alike; the per-call time is the median chunk's.
    const mk = (n: number): Runner => ({ n, ...setup(n), r: rng(n), chunks: [], calls: 0, ms: 0 });
    const warm = mk(10_000);
    chunk(warm, 100_000);
    const small = mk(50_000);
    const large = mk(100_000);
    const CHUNK = 50_000;
    while (small.calls < CALLS || large.calls < CALLS) {
      if (small.calls < CALLS) chunk(small, Math.min(CHUNK, CALLS - small.calls));
      if (large.calls < CALLS) chunk(large, Math.min(CHUNK, CALLS - large.calls));
    }
    for (const x of [small, large]) {
      ctx.report(`${x.n.toLocaleString('en-US')} VMAs`, Math.round((x.calls * 1000) / x.ms), 'calls/s', `${x.calls.toLocaleString('en-US')} calls, median ${(median(x.chunks) / 1000).toFixed(1)} us/call, ${x.k.mm(x.pid).mapCount.toLocaleString('en-US')} VMAs at the end`);
    }
    ctx.ratio('per-call time 100k / 50k VMAs (median chunk)', median(large.chunks) / median(small.chunks), 1.3);

    const collect = gc();
    collect();
    // JS heap plus ArrayBuffer backing stores (page contents live there).
    const used0 = (): number => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const h0 = used0();
    const k = Kernel.boot({ trace: false });
    const pid = k.spawn({ comm: 'sparse' });
    const len = 64 * 1024 ** 3;
    const a = k.sys.mmap(pid, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a < 0) throw new Error(`64 GiB mmap failed: ${a}`);
    const r = rng(64);
    const one = new Uint8Array([1]);
    for (let i = 0; i < 1000; i++) {
      const res = k.mem.write(pid, a + Math.floor(r() * (len / PAGE)) * PAGE + 7, one);
      if (!res.ok) throw new Error('store faulted');
    }
    collect();
    const used = (used0() - h0) / 1024 ** 2;
    ctx.report('64 GiB mapping, 1,000 touched pages: heap + ArrayBuffer growth', Math.round(used * 10) / 10, 'MiB', `${k.mm(pid).anon.size} private pages`);
    ctx.ratio('heap growth / 100 MiB', used / 100, 1);
  },
};

export default bench;
