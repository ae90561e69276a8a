// struct sgx_encl as a kernel object: clone() shares nothing mutable; VA slot allocation behaves
// like main.c's find_first_zero_bit()/set_bit()/clear_bit() on a 512-bit map (naive model).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SgxEncl, newVaPage, vaAllocSlot, vaFreeSlot, vaFull } from '../../../../src/drivers/sgx/common/encl.js';
import { SgxPageType } from '../../../../src/arch/x86/sgx/arch.js';

describe('SgxEncl', () => {
  it('clone() shares nothing mutable', () => {
    const a = new SgxEncl(7);
    a.flags = 4;
    a.setPage({ addr: 0x1000, maxProt: 3, type: SgxPageType.REG, epc: 5, beingReclaimed: false, backing: null, young: false });
    a.vaPages = [newVaPage(1)];
    a.addMm(3);
    const b = a.clone();
    b.flags |= 8;
    b.updatePage(0x1000, { maxProt: 7, young: true });
    b.setPage({ addr: 0x2000, maxProt: 1, type: SgxPageType.TCS, epc: 6, beingReclaimed: false, backing: null, young: false });
    b.vaPages = [vaAllocSlot(b.vaPages[0])!.page];
    b.addMm(4);
    b.secsChildCnt = 9;
    expect(a.flags).toBe(4);
    expect(a.page(0x1000)).toMatchObject({ maxProt: 3, young: false });
    expect(a.page(0x2000)).toBeUndefined();
    expect(a.vaPages[0].used.every((w) => w === 0)).toBe(true);
    expect(a.mmList).toEqual([3]);
    expect(a.secsChildCnt).toBe(0);
    expect(b.platform).toBe(7);
  });
  it('pagesIn() is xas_for_each over [PFN(start), PFN(end - 1)]', () => {
    const a = new SgxEncl(1);
    for (const addr of [0x1000, 0x3000, 0x4000]) a.setPage({ addr, maxProt: 1, type: SgxPageType.REG, epc: 1, beingReclaimed: false, backing: null, young: false });
    expect(a.pagesIn(0x1000, 0x4000).map((p) => p.addr)).toEqual([0x1000, 0x3000]);
    expect(a.pagesIn(0x1800, 0x3001).map((p) => p.addr)).toEqual([0x1000, 0x3000]);
    expect(a.pagesIn(0x2000, 0x2000)).toEqual([]);
  });
  it('VA slots: first free slot, freed slots reused, full after 512 (property, naive bitmap model)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant<'alloc'>('alloc'), fc.nat(511)), { maxLength: 700 }), (ops) => {
        let va = newVaPage(0);
        const model = new Set<number>();
        for (const op of ops) {
          if (op === 'alloc') {
            const r = vaAllocSlot(va);
            let first = 0;
            while (model.has(first)) first++;
            if (first >= 512) {
              expect(r).toBeNull();
              continue;
            }
            expect(r!.offset).toBe(first * 8);
            va = r!.page;
            model.add(first);
          } else {
            va = vaFreeSlot(va, op * 8);
            model.delete(op);
          }
          expect(vaFull(va)).toBe(model.size === 512);
        }
      }),
      { numRuns: 60 },
    );
  });
});
