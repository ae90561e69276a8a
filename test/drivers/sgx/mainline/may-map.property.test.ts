// sgx_encl_may_map() and ADD_PAGES' argument validation through real syscalls, against naive
// models written from encl.c/ioctl.c (fast-check): random pages with random SECINFO permissions,
// then random mmap/mprotect requests; random offset/length/src triples.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EACCES, EINVAL, isErr } from '../../../../src/abi/errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../../src/abi/mman.js';
import { D7, D8 } from '../../../../src/drivers/sgx/index.js';
import { reserveElrange } from '../../../../src/drivers/sgx/loaders/flows.js';
import { bootWorld, PAGE, secsBytes } from '../fixture.js';

const SIZE = 16 * PAGE;

describe('sgx_encl_may_map() (naive model: every existing page in the range must allow the R/W/X asked)', () => {
  for (const design of [D7, D8]) {
    it(`${design.key}: mmap and mprotect over random pages`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(15), fc.constantFrom(1, 3, 5, 7)), { maxLength: 10 }),
          fc.array(fc.tuple(fc.nat(15), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 7 }), fc.boolean()), { minLength: 1, maxLength: 8 }),
          (pages, requests) => {
            const w = bootWorld(design, { trace: false });
            const fd = design.adapter.openEnclave(w.p);
            const base = reserveElrange(w.p, SIZE);
            expect(design.adapter.create(w.p, fd, secsBytes({ size: BigInt(SIZE), base: BigInt(base) })).ret).toBe(0);
            const src = w.p.mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
            const max = new Map<number, number>();
            for (const [i, perms] of pages) {
              const r = design.adapter.addPages(w.p, fd, { offset: i * PAGE, src, length: PAGE, type: 'REG', perms, measure: false });
              if (max.has(i)) continue; // -EBUSY: already there
              expect(r.ret).toBe(0);
              max.set(i, perms);
            }
            for (const [start, n, prot, viaMprotect] of requests) {
              const len = Math.min(n, 16 - start) * PAGE;
              const addr = base + start * PAGE;
              let allowed = true;
              for (let p = start; p < start + len / PAGE; p++) {
                const m = max.get(p);
                if (m !== undefined && (prot & ~m & 7) !== 0) allowed = false;
              }
              if (!viaMprotect) {
                const ret = w.p.mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, fd, 0);
                expect(isErr(ret) ? ret : 'mapped').toBe(allowed ? 'mapped' : -EACCES);
              } else {
                // map PROT_NONE first (always allowed), then mprotect through vm_ops->mprotect
                expect(w.p.mmap(addr, len, PROT_NONE, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(addr);
                expect(w.p.mprotect(addr, len, prot)).toBe(allowed ? 0 : -EACCES);
              }
            }
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});

describe('ADD_PAGES offset/length/src validation (naive model of sgx_ioc_enclave_add_pages(), 6.1)', () => {
  it('EINVAL exactly when the arguments break a rule', () => {
    const w = bootWorld(D8, { trace: false });
    const fd = D8.adapter.openEnclave(w.p);
    const base = reserveElrange(w.p, SIZE);
    D8.adapter.create(w.p, fd, secsBytes({ size: BigInt(SIZE), base: BigInt(base) }));
    const src = w.p.mmap(0, 20 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    const U64 = (1n << 64n) - 1n;
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: 0n, max: BigInt(SIZE + 2 * PAGE) }), fc.bigInt({ min: U64 - 0x3000n, max: U64 })),
        fc.bigInt({ min: 0n, max: BigInt(4 * PAGE) }),
        fc.constantFrom(0, 8, 0x800),
        (offset, length, mis) => {
          const valid =
            mis === 0 &&
            offset % BigInt(PAGE) === 0n &&
            length !== 0n &&
            length % BigInt(PAGE) === 0n &&
            ((offset + length) & U64) >= offset &&
            ((offset + length - BigInt(PAGE)) & U64) < BigInt(SIZE);
          const r = D8.adapter.addPages(w.p, fd, { offset, src: src + mis, length, type: 'REG', perms: 3, measure: false });
          if (!valid) expect(r.ret).toBe(-EINVAL);
          else expect(r.ret).not.toBe(-EINVAL); // 0, or -EBUSY over pages added by an earlier run
        },
      ),
      { numRuns: 300 },
    );
  });
});
