// The explorer's machinery: fingerprint sets against a naive set, canonical fingerprints (a clone
// and its original agree; renumbered objects do not matter; a real change does), the search's
// merge order (results do not depend on the order chunks are expanded in), the alphabet's
// preconditions, and the invariant query on the start state.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FingerprintSet, Hasher, bytesDigest } from '../../src/analysis/explore/hash.js';
import { Canonicalizer } from '../../src/analysis/explore/canon.js';
import { actionEnabled, applyAction, buildAlphabet } from '../../src/analysis/explore/actions.js';
import { explore, localExpander, type ChunkResult, type LevelExpander } from '../../src/analysis/explore/index.js';
import { worldOf } from './explore.helpers.js';

describe('FingerprintSet', () => {
  it('agrees with a naive Set of pairs (inserts, duplicates, growth, the zero fingerprint)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 0xffffffff })), { maxLength: 3000 }), (pairs) => {
        const s = new FingerprintSet(4);
        const naive = new Set<string>();
        for (const [hi, lo] of pairs) {
          const fresh = !naive.has(`${hi},${lo}`);
          naive.add(`${hi},${lo}`);
          expect(s.add(hi, lo)).toBe(fresh);
        }
        expect(s.size).toBe(naive.size);
        for (const [hi, lo] of pairs) expect(s.has(hi, lo)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe('Hasher', () => {
  it('is deterministic and order-sensitive', () => {
    const a = new Hasher().word(1).word(2).digest();
    expect(new Hasher().word(1).word(2).digest()).toEqual(a);
    expect(new Hasher().word(2).word(1).digest()).not.toEqual(a);
    expect(bytesDigest(new Uint8Array(4096))).toEqual(bytesDigest(new Uint8Array(4096)));
    const b = new Uint8Array(4096);
    b[4095] = 1;
    expect(bytesDigest(b)).not.toEqual(bytesDigest(new Uint8Array(4096)));
  });
});

describe('canonical fingerprints', () => {
  const w = worldOf('scenarios/explore.yaml', { design: 'D7' });
  const alphabet = buildAlphabet(w);
  const canon = new Canonicalizer(w);
  const byLabel = (l: string) => {
    const a = alphabet.find((x) => x.label === l);
    if (!a) throw new Error(`no action ${l}`);
    return a;
  };

  it('a clone has the fingerprint of its original', () => {
    const k = w.k0.clone();
    expect(canon.fingerprint(k, w.ghost0)).toEqual(canon.fingerprint(w.k0, w.ghost0));
  });

  it('commuting actions on different places reach one state; a change of protection is another', () => {
    const run = (labels: string[]) => {
      let k = w.k0;
      let g = w.ghost0;
      for (const l of labels) {
        const k2 = k.clone();
        const r = applyAction(w, k2, g, byLabel(l));
        expect(r, l).not.toBeNull();
        k = k2;
        g = r!.ghost;
      }
      return canon.fingerprint(k, g);
    };
    const ab = run(['loader: open /dev/sgx_enclave O_RDWR', 'loader: mmap A anon private PROT_READ|PROT_WRITE']);
    const ba = run(['loader: mmap A anon private PROT_READ|PROT_WRITE', 'loader: open /dev/sgx_enclave O_RDWR']);
    expect(ab).toEqual(ba);
    // mmap then mprotect to the same protection as a direct mmap: the same VMA, the same state.
    expect(run(['loader: mmap A anon private PROT_READ', 'loader: mprotect A PROT_READ|PROT_WRITE'])).toEqual(run(['loader: mmap A anon private PROT_READ|PROT_WRITE']));
    expect(run(['loader: mmap A anon private PROT_READ'])).not.toEqual(run(['loader: mmap A anon private PROT_READ|PROT_WRITE']));
    // A write changes the page (contents and provenance).
    expect(run(['loader: mmap A anon private PROT_READ|PROT_WRITE', 'loader: write A'])).not.toEqual(ab);
  });

  it('an action is applicable exactly when its precondition holds (checked before cloning)', () => {
    for (const a of alphabet) {
      const k = w.k0.clone();
      const r = applyAction(w, k, w.ghost0, a);
      expect(r !== null, a.label).toBe(actionEnabled(w, w.k0, a));
    }
  });
});

describe('search', () => {
  it('gives the same states, counts and counterexamples whatever order the chunks are expanded in', async () => {
    const w = worldOf('scenarios/explore.yaml', { design: 'D7' });
    const alphabet = buildAlphabet(w);
    const base = await explore(w, { depth: 4, invariants: ['I2', 'I3'], chunkSize: 7 });
    // Expand the chunks last-first (as a slow first worker would), hand results over in order.
    const inner = localExpander(w, alphabet).expander;
    const reversed: LevelExpander = {
      async expandLevel(paths, counts, len, mask, last, onResult) {
        const res: ChunkResult[] = [];
        for (let i = paths.length - 1; i >= 0; i--) res[i] = inner.expand(paths[i], len, counts[i], mask, last);
        for (let i = 0; i < res.length; i++) if (!onResult(i, res[i])) break;
      },
    };
    const w2 = worldOf('scenarios/explore.yaml', { design: 'D7' });
    const other = await explore(w2, { depth: 4, invariants: ['I2', 'I3'], chunkSize: 7, expander: reversed });
    expect(other.search.perLevel).toEqual(base.search.perLevel);
    expect(other.search.distinct).toBe(base.search.distinct);
    expect(other.search.generated).toBe(base.search.generated);
    expect(other.counterexamples.map((c) => c.path)).toEqual(base.counterexamples.map((c) => c.path));
  });

  it('the start scenario satisfies every invariant, and a depth-0 search says so', async () => {
    const w = worldOf('scenarios/explore.yaml', { design: 'D1' });
    const r = await explore(w, { depth: 0 });
    expect(r.counterexamples).toEqual([]);
    expect(r.search.perLevel).toEqual([1]);
  });
});
