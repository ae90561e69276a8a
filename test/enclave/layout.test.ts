// Page list (load order, flags, sources) and page contents, including patterns.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/enclave/manifest.js';
import { layoutPages, pageCount, readPage, readPageAsAdded, writeTcs } from '../../src/enclave/layout.js';
import { contentReaderFromFiles } from '../../src/enclave/content.js';
import { fillPattern, fmix32 } from '../../src/enclave/pattern.js';
import { refTcs } from './ref-stream.js';

const M = `version: 1
enclave: { size: 0x40000 }
segments:
  - { name: heap, offset: 0x20000, size: 8K, perms: RW, measure: false }
  - { name: tcs, offset: 0, type: TCS, tcs: { ossa: 0x3000, nssa: 1, oentry: 0x1000 } }
  - { name: text, offset: 0x1000, size: 8K, perms: RX, contents: { file: t.bin, offset: 4K } }
  - { name: rnd, offset: 0x10000, size: 8K, perms: R, contents: { pattern: { random: 99 } } }
`;

describe('layoutPages', () => {
  const { manifest } = parseManifest(M, 'm.yaml');
  const file = new Uint8Array(4096 + 4096 + 10).map((_, i) => (i * 7 + 1) & 0xff);
  const reader = contentReaderFromFiles(() => file);

  it('lists pages in ascending offset with their SECINFO flags and measure bit', () => {
    const pages = [...layoutPages(manifest, (p) => reader.size(p))];
    expect(pageCount(manifest)).toBe(7);
    expect(pages.map((p) => [p.offset, p.type, p.secinfoFlags, p.measured, p.segment.name])).toEqual([
      [0x0n, 'TCS', 0x100n, true, 'tcs'],
      [0x1000n, 'REG', 0x205n, true, 'text'],
      [0x2000n, 'REG', 0x205n, true, 'text'],
      [0x10000n, 'REG', 0x201n, true, 'rnd'],
      [0x11000n, 'REG', 0x201n, true, 'rnd'],
      [0x20000n, 'REG', 0x203n, false, 'heap'],
      [0x21000n, 'REG', 0x203n, false, 'heap'],
    ]);
    // File pages say which file and offset a loader mmaps, and how many bytes the file holds.
    expect(pages[1].source).toEqual({ kind: 'file', path: 't.bin', position: 0x1000n, length: 4096 });
    expect(pages[2].source).toEqual({ kind: 'file', path: 't.bin', position: 0x2000n, length: 10 });
    expect(pages[5].source).toEqual({ kind: 'zero' });
  });

  it('reads page bytes: file (tail zero filled), TCS from fields, random pattern', () => {
    const pages = [...layoutPages(manifest, (p) => reader.size(p))];
    const dst = new Uint8Array(4096).fill(0xee);
    readPage(pages[2], reader, dst);
    expect(Array.from(dst.subarray(0, 10))).toEqual(Array.from(file.subarray(8192)));
    expect(dst.subarray(10).every((b) => b === 0)).toBe(true);
    readPage(pages[0], reader, dst);
    expect(dst).toEqual(refTcs({ ossa: 0x3000n, nssa: 1, oentry: 0x1000n }));
    readPage(pages[4], reader, dst);
    // Page 1 of the segment: state fmix32(99 ^ fmix32(2)), then xorshift32 (docs/manifest-format.md).
    let x = fmix32((99 ^ fmix32(2)) >>> 0);
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    expect(new DataView(dst.buffer).getUint32(0, true)).toBe(x >>> 0);
  });

  it('readPageAsAdded applies the EADD TCS fixup; readPage does not', () => {
    const { manifest: m } = parseManifest(`version: 1
enclave: { size: 0x4000 }
segments:
  - { offset: 0, type: TCS, tcs: { ossa: 0x1000, nssa: 1, oentry: 0, flags: 3 } }
`, 'm.yaml');
    const [p] = [...layoutPages(m)];
    const a = new Uint8Array(4096);
    readPage(p, reader, a);
    expect(a[8]).toBe(3);
    readPageAsAdded(p, reader, a);
    expect(a[8]).toBe(2);
  });
});

describe('patterns', () => {
  it('fmix32 matches MurmurHash3 reference values', () => {
    // fmix32(0) = 0; fmix32(1) = 0x514e28b7 (MurmurHash3 finaliser of 1).
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
  });

  it('repeat: any window equals the naive repetition', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 100000 }), fc.integer({ min: 0, max: 9000 }), (bytes, off, len) => {
        const dst = new Uint8Array(len);
        fillPattern({ kind: 'repeat', bytes }, off, dst);
        for (let i = 0; i < len; i++) if (dst[i] !== bytes[(off + i) % bytes.length]) return false;
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('random: random access (pages generated together or alone agree)', () => {
    const two = new Uint8Array(8192);
    fillPattern({ kind: 'random', seed: 5 }, 4096, two);
    const one = new Uint8Array(4096);
    fillPattern({ kind: 'random', seed: 5 }, 8192, one);
    expect(two.subarray(4096)).toEqual(one);
    expect(() => fillPattern({ kind: 'random', seed: 5 }, 100, one)).toThrow(/whole pages/);
  });

  it('writeTcs lays out the fields at TCS_OFF', () => {
    const d = new Uint8Array(4096);
    writeTcs({ flags: 0n, ossa: 0x5000n, nssa: 3, oentry: 0x1234n, ofsbase: 0x10n, ogsbase: 0x20n, fslimit: 0xfff, gslimit: 0x1fff }, d);
    expect(d).toEqual(refTcs({ ossa: 0x5000n, nssa: 3, oentry: 0x1234n, ofsbase: 0x10n, ogsbase: 0x20n, fslimit: 0xfff, gslimit: 0x1fff }));
  });
});
