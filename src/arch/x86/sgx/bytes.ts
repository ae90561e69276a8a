// Small byte helpers shared by the measurement and SIGSTRUCT code: little-endian integers,
// big-integer <-> byte-string conversion, hex. Pure (no node:*); everything is Uint8Array.

/** Lowercase hex of `b`. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Parse an even-length hex string (no prefix). Throws a readable Error otherwise. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error(`not a hex byte string: '${s.length > 80 ? s.slice(0, 80) + '…' : s}'`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The unsigned integer whose little-endian encoding is `b`. */
export function leToBigint(b: Uint8Array): bigint {
  let hex = '';
  for (let i = b.length - 1; i >= 0; i--) hex += HEX[b[i]];
  return hex.length === 0 ? 0n : BigInt('0x' + hex);
}

/** The unsigned integer whose big-endian encoding is `b`. */
export function beToBigint(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + toHex(b));
}

/** `v` as exactly `len` big-endian bytes; throws if it does not fit or is negative. */
export function bigintToBe(v: bigint, len: number): Uint8Array {
  if (v < 0n) throw new Error('negative integer');
  const hex = v.toString(16);
  if (hex.length > 2 * len) throw new Error(`integer does not fit in ${len} bytes`);
  return fromHex(hex.padStart(2 * len, '0'));
}

/** `v` as exactly `len` little-endian bytes; throws if it does not fit or is negative. */
export function bigintToLe(v: bigint, len: number): Uint8Array {
  return bigintToBe(v, len).reverse();
}

/** A reversed copy. */
export function reversed(b: Uint8Array): Uint8Array {
  return Uint8Array.from(b).reverse();
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
