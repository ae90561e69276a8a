// Page-content patterns for enclave manifests (docs/manifest-format.md "Patterns"). Every
// pattern is random-access: the bytes of any page can be produced without the pages before
// it, so measurement and loaders can stream page by page.

export type Pattern =
  /** The byte `value` everywhere. */
  | { kind: 'fill'; value: number }
  /** `bytes` repeated from the start of the segment. */
  | { kind: 'repeat'; bytes: Uint8Array }
  /**
   * Deterministic pseudo-random bytes. Page p of the segment (p = 0, 1, …) uses xorshift32
   * (Marsaglia 2003: x ^= x << 13; x ^= x >>> 17; x ^= x << 5) from the state
   * fmix32(seed ^ fmix32(p + 1)) (MurmurHash3's finaliser; a zero state becomes 1), emitting
   * one little-endian 32-bit word per step: 1024 words per page.
   */
  | { kind: 'random'; seed: number };

/** MurmurHash3 fmix32. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Write the bytes of `pattern` for segment offset [segOffset, segOffset + dst.length) into dst.
 * segOffset must be page aligned for 'random' (it generates whole pages).
 */
export function fillPattern(pattern: Pattern, segOffset: number, dst: Uint8Array): void {
  switch (pattern.kind) {
    case 'fill':
      dst.fill(pattern.value);
      return;
    case 'repeat': {
      const b = pattern.bytes;
      const n = b.length;
      let phase = segOffset % n;
      // Write the first period from the phase, then double by copyWithin.
      let filled = 0;
      while (filled < dst.length && filled < n) {
        dst[filled++] = b[phase];
        phase = phase + 1 === n ? 0 : phase + 1;
      }
      while (filled < dst.length) {
        const len = Math.min(filled, dst.length - filled);
        dst.copyWithin(filled, 0, len);
        filled += len;
      }
      return;
    }
    case 'random': {
      if (segOffset % 4096 !== 0 || dst.length % 4096 !== 0) throw new Error('random patterns are generated in whole pages');
      const words = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
      for (let p = 0; p < dst.length / 4096; p++) {
        const pageIndex = segOffset / 4096 + p;
        let x = fmix32((pattern.seed ^ fmix32((pageIndex + 1) >>> 0)) >>> 0) || 1;
        for (let w = 0; w < 1024; w++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          words.setUint32(p * 4096 + w * 4, x >>> 0, true);
        }
      }
      return;
    }
  }
}
