import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/kernel.js';
import { PROT_READ, PROT_WRITE, MAP_PRIVATE, MAP_ANONYMOUS } from '../../src/abi/mman.js';

describe('smoke', () => {
  it('boots, maps, writes, mprotects and renders maps', () => {
    const k = Kernel.boot();
    const pid = k.spawn({ comm: 'loader' });
    const a = k.sys.mmap(pid, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect(a).toBeGreaterThan(0);
    expect(k.mem.write(pid, a, 'hello').ok).toBe(true);
    expect(k.sys.mprotect(pid, a, 4096, PROT_READ)).toBe(0);
    const r = k.mem.read(pid, a, 5);
    expect(r.ok && new TextDecoder().decode(r.data)).toBe('hello');
    console.log(k.procMaps(pid));
    console.log(JSON.stringify(k.trace.all().slice(0, 4)));
  });
});
