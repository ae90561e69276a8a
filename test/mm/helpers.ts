// Shared setup for the mm unit tests.
import { Kernel } from '../../src/kernel/kernel.js';
import type { KernelConfig } from '../../src/kernel/config.js';

export const PAGE = 4096;

export function boot(config: KernelConfig = {}): { k: Kernel; pid: number } {
  const k = Kernel.boot({ trace: false, ...config });
  const pid = k.spawn({ comm: 'test' });
  return { k, pid };
}

/** The maps lines of [lo, hi) as "start-end perms" relative to lo (pages). */
export function layout(k: Kernel, pid: number, lo: number, hi: number): string[] {
  return k
    .mm(pid)
    .vmas.range(lo, hi)
    .map((v) => `${(v.start - lo) / PAGE}-${(v.end - lo) / PAGE} ${(v.flags & 1 ? 'r' : '-') + (v.flags & 2 ? 'w' : '-') + (v.flags & 4 ? 'x' : '-') + (v.flags & 0x80 ? 's' : 'p')}`);
}

/** A fixed area well away from everything (the tests map here with MAP_FIXED). */
export const AREA = 0x100000000;
