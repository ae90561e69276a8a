// Forking the hardware (principle 2): clone() is O(1) and the clone shares nothing mutable with
// the original. Checked by running the same operation sequence on a clone and on a freshly
// rebuilt machine, and by property tests of the copy-on-write EPC store against a naive model.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EncluLeaf } from '../../../../../src/arch/x86/sgx/arch.js';
import { EpcStore, epcmEntry } from '../../../../../src/arch/x86/sgx/epc.js';
import { SgxPageType } from '../../../../../src/arch/x86/sgx/arch.js';
import type { SgxHardware } from '../../../../../src/arch/x86/sgx/hw.js';
import { selftestOps as op } from '../../../../../src/arch/x86/sgx/program.js';
import { secinfoBytes } from '../../../../../src/arch/x86/sgx/secinfo.js';
import { expectOk, initSelftestEnclave, L, R, type Built } from './helpers.js';

/** Everything observable about a machine, as one string. */
function snapshot(hw: SgxHardware): string {
  const h = createHash('sha256');
  for (const [id, e] of hw.validEntries()) {
    h.update(`${id}:${JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
    h.update(hw.readPage(id));
    const s = hw.secs(id);
    if (s) h.update(JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
  }
  h.update(`msrs ${[0, 1, 2, 3].map((i) => hw.readMsr(0x8c + i)).join(',')} events ${hw.pendingEvents} lps ${hw.lpsInEnclave}`);
  return h.digest('hex');
}

function mutate(b: Built, hw: SgxHardware): void {
  const mm = b.mm;
  hw.run({ leaf: EncluLeaf.EENTER, tcs: b.base, program: [op.putToBuffer(b.base + L.data1, 0xabcdn)], mm });
  expectOk(hw.emodpr(secinfoBytes(R), b.pages.get(L.data2)!));
  expectOk(hw.etrack(b.secs));
  expectOk(hw.epa(b.nextFree));
  expectOk(hw.eblock(b.pages.get(L.heap)!));
  expectOk(hw.etrack(b.secs));
  expectOk(hw.ewb(b.pages.get(L.heap)!, { page: b.nextFree, offset: 0 }));
  expectOk(hw.eaug({ linaddr: b.base + 0x10000n, srcpge: null, secinfo: null, secs: b.secs }, b.nextFree + 1));
  expectOk(hw.writeMsr(0x8d, 42n));
  hw.setPendingEvents(3);
  expect(hw.enter(1, EncluLeaf.EENTER, b.base + L.tcs2, mm, [op.nop()])).toBeNull();
}

describe('SgxHardware.clone()', () => {
  it('a mutated clone never changes the original, and vice versa', () => {
    const b = initSelftestEnclave();
    const before = snapshot(b.hw);
    const c = b.hw.clone();
    expect(snapshot(c)).toBe(before);
    mutate(b, c);
    expect(snapshot(b.hw)).toBe(before);
    const after = snapshot(c);
    expect(after).not.toBe(before);
    // The original can do the same things independently and ends up in the same state.
    mutate(b, b.hw);
    expect(snapshot(b.hw)).toBe(after);
    const c2 = b.hw.clone();
    b.hw.interrupt(1);
    b.hw.run({ leaf: EncluLeaf.ERESUME, tcs: b.base + L.tcs2, mm: b.mm });
    expect(snapshot(c2)).toBe(after);
  });

  it('is deterministic: the same operations give the same state', () => {
    const x = initSelftestEnclave();
    const y = initSelftestEnclave();
    mutate(x, x.hw);
    mutate(y, y.hw);
    expect(snapshot(x.hw)).toBe(snapshot(y.hw));
  });

  it('clones of clones stay independent (a fork tree)', () => {
    const b = initSelftestEnclave();
    const root = snapshot(b.hw);
    const kids = [b.hw.clone(), b.hw.clone()];
    kids[0].run({ leaf: EncluLeaf.EENTER, tcs: b.base, program: [op.putToBuffer(b.base + L.data1, 1n)], mm: b.mm });
    const grand = kids[0].clone();
    grand.run({ leaf: EncluLeaf.EENTER, tcs: b.base, program: [op.putToBuffer(b.base + L.data1, 2n)], mm: b.mm });
    const read = (hw: SgxHardware) => hw.run({ leaf: EncluLeaf.EENTER, tcs: b.base, program: [op.getFromBuffer(b.base + L.data1)], mm: b.mm }).results[0];
    expect([read(kids[0]), read(grand), read(kids[1])]).toEqual([1n, 2n, 0n]);
    expect(snapshot(b.hw)).toBe(root);
  });
});

describe('EpcStore (copy-on-write) against a naive model', () => {
  type Op = { k: 'write'; page: number; off: number; v: number } | { k: 'set'; page: number; fill: number | null } | { k: 'entry'; page: number; x: boolean } | { k: 'inval'; page: number } | { k: 'fork' } | { k: 'switch' };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ k: fc.constant('write' as const), page: fc.integer({ min: 0, max: 7 }), off: fc.integer({ min: 0, max: 4095 }), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ k: fc.constant('set' as const), page: fc.integer({ min: 0, max: 7 }), fill: fc.option(fc.integer({ min: 0, max: 255 })) }),
    fc.record({ k: fc.constant('entry' as const), page: fc.integer({ min: 0, max: 7 }), x: fc.boolean() }),
    fc.record({ k: fc.constant('inval' as const), page: fc.integer({ min: 0, max: 7 }) }),
    fc.constant({ k: 'fork' as const }),
    fc.constant({ k: 'switch' as const }),
  );

  it('every fork behaves like an independent deep copy', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        // Naive model: per fork, a Map of full page copies and entries.
        type Naive = { pages: Map<number, Uint8Array>; entries: Map<number, boolean> };
        const copy = (n: Naive): Naive => ({ pages: new Map([...n.pages].map(([k, v]) => [k, Uint8Array.from(v)])), entries: new Map(n.entries) });
        const stores: EpcStore[] = [new EpcStore(8)];
        const naives: Naive[] = [{ pages: new Map(), entries: new Map() }];
        let cur = 0;
        for (const o of ops) {
          const s = stores[cur];
          const n = naives[cur];
          switch (o.k) {
            case 'write': {
              s.mutableContents(o.page)[o.off] = o.v;
              const p = n.pages.get(o.page) ?? new Uint8Array(4096);
              p[o.off] = o.v;
              n.pages.set(o.page, p);
              break;
            }
            case 'set':
              s.setContents(o.page, o.fill === null ? null : new Uint8Array(4096).fill(o.fill));
              if (o.fill === null) n.pages.delete(o.page);
              else n.pages.set(o.page, new Uint8Array(4096).fill(o.fill));
              break;
            case 'entry':
              s.setEntry(o.page, epcmEntry({ pt: SgxPageType.REG, x: o.x }));
              n.entries.set(o.page, o.x);
              break;
            case 'inval':
              s.invalidate(o.page);
              n.pages.delete(o.page);
              n.entries.delete(o.page);
              break;
            case 'fork':
              stores.push(s.clone());
              naives.push(copy(n));
              break;
            case 'switch':
              cur = (cur + 1) % stores.length;
              break;
          }
          // Check every fork after every step.
          for (let i = 0; i < stores.length; i++) {
            for (let p = 0; p < 8; p++) {
              const want = naives[i].pages.get(p) ?? new Uint8Array(4096);
              if (Buffer.compare(Buffer.from(stores[i].contents(p)), Buffer.from(want)) !== 0) return false;
              if (stores[i].entry(p)?.x !== naives[i].entries.get(p)) return false;
            }
          }
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });
});
