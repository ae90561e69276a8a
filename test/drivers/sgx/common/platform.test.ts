// The SGX core's bookkeeping (main.c): the EPC free list (never-used pages in index order, freed
// pages LIFO), the active list (LRU: mark at the tail, reclaim from the head, RECLAIMER_TRACKED
// pages off the list make unmark -EBUSY), compared with a naive array model; O(1) clone isolation.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SgxPlatform } from '../../../../src/drivers/sgx/common/platform.js';
import { SgxHardware } from '../../../../src/arch/x86/sgx/hw.js';
import { nodeCrypto } from '../../../../src/platform/node/crypto.js';

const platform = (pages: number) => new SgxPlatform(new SgxHardware({ epcPages: pages }, nodeCrypto), nodeCrypto);
const owner = { kind: 'va' as const, encl: 1 };

type Op = { t: 'take' } | { t: 'free'; i: number } | { t: 'mark'; i: number } | { t: 'unmark'; i: number } | { t: 'isolate' } | { t: 'putBack'; i: number };

describe('SgxPlatform', () => {
  it('free list and active list match a naive model (property)', () => {
    const op = fc.oneof(
      fc.constant<Op>({ t: 'take' }),
      fc.nat(15).map<Op>((i) => ({ t: 'free', i })),
      fc.nat(15).map<Op>((i) => ({ t: 'mark', i })),
      fc.nat(15).map<Op>((i) => ({ t: 'unmark', i })),
      fc.constant<Op>({ t: 'isolate' }),
      fc.nat(15).map<Op>((i) => ({ t: 'putBack', i })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const p = platform(16);
        let unused = 0;
        const freed: number[] = []; // stack, top = last
        const taken = new Set<number>();
        let lru: number[] = [];
        const isolated = new Set<number>();
        for (const o of ops) {
          switch (o.t) {
            case 'take': {
              const got = p.takeFree(owner);
              const want = freed.length ? freed.pop()! : unused < 16 ? unused++ : null;
              expect(got).toBe(want);
              if (want !== null) taken.add(want);
              break;
            }
            case 'free':
              if (!taken.has(o.i)) break;
              p.putFree(o.i);
              taken.delete(o.i);
              freed.push(o.i);
              lru = lru.filter((x) => x !== o.i);
              isolated.delete(o.i);
              break;
            case 'mark':
              if (!taken.has(o.i)) break;
              p.markReclaimable(o.i);
              lru = [...lru.filter((x) => x !== o.i), o.i];
              isolated.delete(o.i);
              break;
            case 'unmark': {
              if (!taken.has(o.i)) break;
              const ok = p.unmarkReclaimable(o.i);
              expect(ok).toBe(!isolated.has(o.i));
              if (ok) lru = lru.filter((x) => x !== o.i);
              break;
            }
            case 'isolate': {
              const got = p.isolateHead();
              expect(got).toBe(lru.length ? lru[0] : null);
              if (lru.length) isolated.add(lru.shift()!);
              break;
            }
            case 'putBack':
              if (!isolated.has(o.i)) break;
              p.putBack(o.i);
              isolated.delete(o.i);
              lru.push(o.i);
              break;
          }
          expect(p.activePages()).toEqual(lru);
          expect(p.nrFree).toBe(16 - unused + freed.length);
        }
      }),
      { numRuns: 100 },
    );
  });
  it('clone() is independent (free list, active list, owners, signals, hardware)', () => {
    const a = platform(8);
    const p0 = a.takeFree(owner)!;
    a.markReclaimable(p0);
    a.signals.set(5, { after: 1 });
    const b = a.clone();
    b.unmarkReclaimable(p0);
    b.putFree(p0);
    b.takeFree(owner);
    b.signalPending(5);
    b.hw.epa(3);
    expect(a.activePages()).toEqual([p0]);
    expect(a.ownerOf(p0)).toEqual(owner);
    expect(a.nrFree).toBe(7);
    expect(a.signals.get(5)).toEqual({ after: 1 });
    expect(a.hw.epcm(3)).toBeUndefined();
    expect(b.hw.epcm(3)).toBeDefined();
  });
  it('signal knob: pending after N checks, delivered on return', () => {
    const p = platform(4);
    p.signals.set(9, { after: 2 });
    expect([p.signalPending(9), p.signalPending(9), p.signalPending(9), p.signalPending(9)]).toEqual([false, false, true, true]);
    p.deliverSignal(9);
    expect(p.signalPending(9)).toBe(false);
  });
});
