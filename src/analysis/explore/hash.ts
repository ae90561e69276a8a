// A 64-bit hash of a stream of 32-bit words, as two independent 32-bit lanes (murmur3-style
// mixing, different seeds and multipliers). The explorer stores only these 64-bit fingerprints of
// canonical states (hash compaction, as TLC's fingerprints and SPIN's -DHC do): two different
// states with equal fingerprints would be merged, with probability about n^2 / 2^65 for n states
// (under 3e-6 for ten million states). docs/explorer.md "Deduplication".

/** An incremental hasher; `word()` feeds a 32-bit value (numbers are truncated to int32). */
export class Hasher {
  h1 = 0x9747b28c | 0;
  h2 = 0x2f1b5a6d | 0;
  n = 0;

  reset(): this {
    this.h1 = 0x9747b28c | 0;
    this.h2 = 0x2f1b5a6d | 0;
    this.n = 0;
    return this;
  }

  word(v: number): this {
    let k = v | 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h = this.h1 ^ k;
    h = (h << 13) | (h >>> 19);
    this.h1 = (Math.imul(h, 5) + 0xe6546b64) | 0;
    let j = Math.imul(v | 0, 0x85ebca6b) ^ this.n;
    j = (j << 17) | (j >>> 15);
    j = Math.imul(j, 0xc2b2ae35);
    let g = this.h2 ^ j;
    g = (g << 11) | (g >>> 21);
    this.h2 = (Math.imul(g, 9) + 0x2f1b5a6d) | 0;
    this.n++;
    return this;
  }

  /** A safe integer (up to 2^53) as two words. */
  num(v: number): this {
    const lo = v % 0x100000000;
    return this.word(lo | 0).word(Math.floor(v / 0x100000000) | 0);
  }

  bool(b: boolean): this {
    return this.word(b ? 1 : 0);
  }

  str(s: string): this {
    this.word(s.length);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
    return this;
  }

  /** Final avalanche of both lanes; returns [hi, lo] as uint32. */
  digest(): [number, number] {
    return [fmix(this.h1 ^ this.n) >>> 0, fmix(this.h2 ^ Math.imul(this.n, 0x9e3779b1)) >>> 0];
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** 64-bit digest of a byte array (whole 32-bit words when the length allows), cached per array. */
const byteDigests = new WeakMap<Uint8Array, [number, number]>();
const scratch = new Hasher();

export function bytesDigest(b: Uint8Array): [number, number] {
  const c = byteDigests.get(b);
  if (c) return c;
  const h = scratch.reset();
  h.word(b.length);
  if (b.byteOffset % 4 === 0 && b.length % 4 === 0) {
    const w = new Int32Array(b.buffer, b.byteOffset, b.length / 4);
    // Zero runs are common (sparse pages): hash only non-zero words with their index.
    for (let i = 0; i < w.length; i++) {
      const x = w[i];
      if (x !== 0) h.word(i).word(x);
    }
  } else {
    for (let i = 0; i < b.length; i++) if (b[i] !== 0) h.word(i).word(b[i]);
  }
  const d = h.digest();
  byteDigests.set(b, d);
  return d;
}

/**
 * An open-addressing set of 64-bit fingerprints (two uint32 lanes), growing by doubling. `add`
 * returns true when the fingerprint was not present. (0, 0) is stored out of band.
 */
export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  private count = 0;
  private hasZero = false;

  constructor(capacityPow2 = 1 << 16) {
    this.hi = new Uint32Array(capacityPow2);
    this.lo = new Uint32Array(capacityPow2);
    this.mask = capacityPow2 - 1;
  }

  get size(): number {
    return this.count + (this.hasZero ? 1 : 0);
  }

  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) return this.hasZero;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = this.hi[i];
      const l = this.lo[i];
      if (h === 0 && l === 0) return false;
      if (h === hi && l === lo) return true;
      i = (i + 1) & this.mask;
    }
  }

  add(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) {
      if (this.hasZero) return false;
      this.hasZero = true;
      return true;
    }
    if ((this.count + 1) * 2 > this.mask) this.grow();
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = this.hi[i];
      const l = this.lo[i];
      if (h === 0 && l === 0) {
        this.hi[i] = hi;
        this.lo[i] = lo;
        this.count++;
        return true;
      }
      if (h === hi && l === lo) return false;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const oh = this.hi;
    const ol = this.lo;
    const cap = (this.mask + 1) * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < oh.length; i++) {
      if (oh[i] !== 0 || ol[i] !== 0) this.add(oh[i], ol[i]);
    }
  }
}
