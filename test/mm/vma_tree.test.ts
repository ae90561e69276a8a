// Property tests: the VMA tree and the mm syscalls against naive per-page reference models.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VmaTree } from '../../src/mm/vma_tree.js';
import type { Vma } from '../../src/mm/vma.js';
import { boot, PAGE, AREA } from './helpers.js';
import { MAP_PRIVATE, MAP_ANONYMOUS, MAP_FIXED } from '../../src/abi/mman.js';
import { TASK_SIZE } from '../../src/abi/page.js';

const N = 64; // pages in the window

function vma(startPg: number, endPg: number, flags = 1): Vma {
  return Object.freeze({ start: startPg * PAGE, end: endPg * PAGE, flags, pgoff: startPg, file: null, anonVma: null, ops: null, privateData: null, pkey: 0, anonName: null });
}

describe('VmaTree', () => {
  it('find/at/range/gaps/topDown/bottomUp agree with a per-page array', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: N - 1 }), fc.integer({ min: 1, max: 6 })), { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (ops, len) => {
        const t = new VmaTree();
        const owner: (number | null)[] = new Array(N).fill(null); // page -> vma start page
        for (const [ins, p, l] of ops) {
          const e = Math.min(N, p + l);
          if (ins) {
            if (owner.slice(p, e).some((o) => o !== null)) continue;
            t.insert(vma(p, e));
            for (let i = p; i < e; i++) owner[i] = p;
          } else {
            const o = owner[p];
            if (o === null) continue;
            const v = t.get(o * PAGE)!;
            t.remove(v);
            for (let i = 0; i < N; i++) if (owner[i] === o) owner[i] = null;
          }
        }
        for (let i = 0; i < N; i++) {
          const at = t.at(i * PAGE);
          expect(at ? at.start / PAGE : null).toBe(owner[i]);
          // find_vma: first VMA with end > addr
          let j = i;
          while (j < N && owner[j] === null) j++;
          expect(t.find(i * PAGE)?.start ?? null).toBe(j < N ? owner[j]! * PAGE : null);
        }
        // gaps are the complement of the VMAs in [0, TASK_SIZE)
        const gaps = t.gapList();
        const covered = gaps.reduce((s, [a, b]) => s + (b - a), 0) + t.all().reduce((s, v) => s + (v.end - v.start), 0);
        expect(covered).toBe(TASK_SIZE);
        // highest / lowest free run of `len` pages inside the window
        let hi = -1;
        for (let s = N - len; s >= 0; s--) if (owner.slice(s, s + len).every((o) => o === null)) { hi = s; break; }
        let lo = -1;
        for (let s = 0; s + len <= N; s++) if (owner.slice(s, s + len).every((o) => o === null)) { lo = s; break; }
        expect(t.topDown(len * PAGE, 0, N * PAGE)).toBe(hi < 0 ? -1 : hi * PAGE);
        expect(t.bottomUp(len * PAGE, 0, N * PAGE)).toBe(lo < 0 ? -1 : lo * PAGE);
        // clone is independent
        const c = t.clone();
        c.insert(vma(N + 10, N + 11));
        expect(t.at((N + 10) * PAGE)).toBeUndefined();
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe('mmap/mprotect/munmap against a per-page protection model', () => {
  it('the protection of every page and the maximal-run layout match (anonymous, never written)', () => {
    type Op = { kind: 'mmap' | 'mprotect' | 'munmap'; p: number; l: number; prot: number };
    const opArb: fc.Arbitrary<Op> = fc.record({ kind: fc.constantFrom('mmap', 'mprotect', 'munmap'), p: fc.integer({ min: 0, max: N - 1 }), l: fc.integer({ min: 1, max: 8 }), prot: fc.integer({ min: 0, max: 7 }) });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        // 6.5+: VM_ACCOUNT is dropped again for unfaulted anonymous VMAs, so the layout is the
        // maximal runs of equal (prot, accounted) pages; in the naive model "accounted" = was ever writable
        // since mapped, unless it is writable now or was made read-only while unfaulted (always here).
        const { k, pid } = boot({ version: '6.6' });
        const prot: (number | null)[] = new Array(N).fill(null);
        const acct: boolean[] = new Array(N).fill(false);
        for (const o of ops) {
          const e = Math.min(N, o.p + o.l);
          if (o.kind === 'mmap') {
            expect(k.sys.mmap(pid, AREA + o.p * PAGE, (e - o.p) * PAGE, o.prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)).toBe(AREA + o.p * PAGE);
            for (let i = o.p; i < e; i++) {
              prot[i] = o.prot;
              acct[i] = (o.prot & 2) !== 0;
            }
          } else if (o.kind === 'munmap') {
            expect(k.sys.munmap(pid, AREA + o.p * PAGE, (e - o.p) * PAGE)).toBe(0);
            for (let i = o.p; i < e; i++) prot[i] = null;
          } else {
            let hole = -1;
            for (let i = o.p; i < e; i++) if (prot[i] === null) { hole = i; break; }
            const r = k.sys.mprotect(pid, AREA + o.p * PAGE, (e - o.p) * PAGE, o.prot);
            const upto = hole < 0 ? e : hole;
            for (let i = o.p; i < upto; i++) {
              prot[i] = o.prot;
              acct[i] = (o.prot & 2) !== 0;
            }
            expect(r).toBe(hole < 0 ? 0 : -12);
          }
        }
        const got: string[] = [];
        for (const v of k.mm(pid).vmas.range(AREA, AREA + N * PAGE)) got.push(`${(v.start - AREA) / PAGE}-${(v.end - AREA) / PAGE}:${v.flags & 7}`);
        const want: string[] = [];
        let i = 0;
        while (i < N) {
          if (prot[i] === null) { i++; continue; }
          let j = i + 1;
          while (j < N && prot[j] === prot[i] && acct[j] === acct[i]) j++;
          want.push(`${i}-${j}:${prot[i]}`);
          i = j;
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
