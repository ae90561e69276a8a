// Kernel.clone(): O(1) snapshots that share nothing mutable with the original.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel } from '../../src/kernel/kernel.js';
import { PROT_READ, PROT_WRITE, MAP_PRIVATE, MAP_SHARED, MAP_ANONYMOUS, MAP_FIXED } from '../../src/abi/mman.js';
import { O_RDWR, O_CREAT } from '../../src/abi/fcntl.js';

const PAGE = 4096;
const AREA = 0x100000000;

function snapshot(k: Kernel, pid: number): string {
  const traceLen = k.trace.length;
  const was = k.trace.enabled;
  k.trace.enabled = false; // reading memory must not add events to the state being compared
  const fds = k.task(pid).fds.map((e) => (e ? `${e.file}:${k.file(e.file).pos}:${k.file(e.file).refs}` : '-')).join(',');
  const mem = k.mem.read(pid, AREA, 8 * PAGE);
  k.trace.enabled = was;
  return JSON.stringify({
    maps: k.procMaps(pid),
    fds,
    ctx: k.task(pid).context,
    file: Array.from(k.fs.readFile('/tmp/f')).join(','),
    mem: mem.ok ? Array.from(mem.data!).filter((b) => b).join(',') : 'fault',
    trace: traceLen,
    objects: k.objects.size,
  });
}

class Counter {
  constructor(public n = 0) {}
  clone(): Counter {
    return new Counter(this.n);
  }
}

describe('Kernel.clone', () => {
  it('mutating a clone never changes the original (random operation sequences)', () => {
    const opArb = fc.oneof(
      fc.record({ op: fc.constant('mmap' as const), p: fc.integer({ min: 0, max: 7 }), shared: fc.boolean() }),
      fc.record({ op: fc.constant('write' as const), p: fc.integer({ min: 0, max: 7 }), b: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ op: fc.constant('mprotect' as const), p: fc.integer({ min: 0, max: 7 }), prot: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ op: fc.constant('munmap' as const), p: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ op: fc.constant('fwrite' as const), b: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ op: fc.constant('open' as const) }),
      fc.record({ op: fc.constant('close' as const), fd: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ op: fc.constant('ctx' as const), c: fc.string() }),
      fc.record({ op: fc.constant('obj' as const) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), fc.array(opArb, { maxLength: 25 }), (before, after) => {
        const k = Kernel.boot();
        const pid = k.spawn({ comm: 'a' });
        k.fs.createFile('/tmp/f', { data: 'hello' });
        const objId = k.newObject(new Counter());
        const run = (kk: Kernel, ops: typeof before): void => {
          for (const o of ops) {
            switch (o.op) {
              case 'mmap':
                kk.sys.mmap(pid, AREA + o.p * PAGE, PAGE, PROT_READ | PROT_WRITE, (o.shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
                break;
              case 'write':
                kk.mem.write(pid, AREA + o.p * PAGE + 3, new Uint8Array([o.b]));
                break;
              case 'mprotect':
                kk.sys.mprotect(pid, AREA + o.p * PAGE, PAGE, o.prot);
                break;
              case 'munmap':
                kk.sys.munmap(pid, AREA + o.p * PAGE, PAGE);
                break;
              case 'fwrite': {
                const fd = kk.sys.open(pid, '/tmp/f', O_RDWR | O_CREAT);
                kk.sys.write(pid, fd, new Uint8Array([o.b]));
                break;
              }
              case 'open':
                kk.sys.open(pid, '/tmp/f', O_RDWR);
                break;
              case 'close':
                kk.sys.close(pid, o.fd);
                break;
              case 'ctx':
                kk.setContext(pid, o.c);
                break;
              case 'obj':
                kk.objectMut<Counter>(objId).n++;
                break;
            }
          }
        };
        run(k, before);
        const s0 = snapshot(k, pid);
        const n0 = k.object<Counter>(objId).n;
        const c = k.clone();
        run(c, after);
        expect(snapshot(k, pid)).toBe(s0);
        expect(k.object<Counter>(objId).n).toBe(n0);
        // and the other way round: the original's later changes do not leak into the clone
        const sc = snapshot(c, pid);
        run(k, after);
        expect(snapshot(c, pid)).toBe(sc);
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it('the clone starts equal to the original', () => {
    const k = Kernel.boot();
    const pid = k.spawn();
    k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const c = k.clone();
    expect(c.procMaps(pid)).toBe(k.procMaps(pid));
    expect(c.trace.all()).toEqual(k.trace.all());
  });
});
