// Kernel.clone() with 100,000 VMAs (target: under 1 ms), against a reference measured in the same
// run: copying the VMA array (what an eager clone would have to do at least).
import type { Bench } from './harness.js';
import { timePerCall } from './harness.js';
import { Kernel } from '../src/kernel/kernel.js';
import { PROT_READ, PROT_WRITE, MAP_PRIVATE, MAP_ANONYMOUS, MAP_FIXED } from '../src/abi/mman.js';

const PAGE = 4096;
const AREA = 0x100000000;

const bench: Bench = {
  id: 'kernel',
  title: 'kernel: clone() of a kernel with 100,000 VMAs',
  run(ctx) {
    const k = Kernel.boot({ trace: false, maxMapCount: 1 << 20 });
    const pid = k.spawn({ comm: 'bench' });
    for (let i = 0; i < 100_000; i++) {
      k.sys.mmap(pid, AREA + 2 * i * PAGE, PAGE, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    }
    ctx.log(`${k.mm(pid).mapCount.toLocaleString('en-US')} VMAs`);
    const msClone = timePerCall(() => {
      k.clone();
    });
    // A clone followed by the first write to the copy (which copies what the write touches).
    let i = 0;
    const msCloneAndWrite = timePerCall(() => {
      const c = k.clone();
      c.sys.mprotect(pid, AREA + 2 * (i++ % 100_000) * PAGE, PAGE, PROT_READ | PROT_WRITE);
    });
    const vmas = k.mm(pid).vmas.all();
    const msArrayCopy = timePerCall(() => {
      vmas.map((v) => ({ ...v }));
    });
    ctx.report('clone()', msClone, 'ms');
    ctx.report('clone() + one mprotect on the copy', msCloneAndWrite, 'ms');
    ctx.report('reference: copying the 100,000-VMA array', msArrayCopy, 'ms');
    ctx.ratio('clone() ms (target < 1 ms)', msClone, 1);
    ctx.ratio('clone() / array copy', msClone / msArrayCopy, 0.1);
  },
};

export default bench;
