// The model's stand-in for the CPU's keyed cryptography that software can never observe directly:
// the AES-GCM MAC and encryption EWB applies to evicted pages (SDM EWB/ELDU: AES_GCM_ENC/DEC with
// CR_BASE_PK) and the CMAC over an EINITTOKEN (SDM EINIT, legacy launch path). What matters to
// the model is the behaviour — a page or token changed in any bit, or checked against the wrong
// version, fails the check — not secrecy, so a fast deterministic non-cryptographic mix keyed by
// the platform's keySeed is used. It is NOT secure and is not meant to be.

/** A 16-byte keyed digest of `parts` (murmur3-style 4-lane mix, keyed by `key`). */
export function modelMac(key: number, ...parts: Uint8Array[]): Uint8Array {
  let h0 = (0x243f6a88 ^ key) >>> 0;
  let h1 = (0x85a308d3 ^ Math.imul(key, 0x9e3779b1)) >>> 0;
  let h2 = (0x13198a2e + key) >>> 0;
  let h3 = (0x03707344 ^ (key >>> 7)) >>> 0;
  let n = 0;
  for (const p of parts) {
    // Length-prefix each part so that different splits never collide.
    h0 = mixWord(h0, p.length, 1);
    for (let i = 0; i < p.length; i++) {
      const b = p[i];
      switch (n & 3) {
        case 0:
          h0 = mixWord(h0, b, n);
          break;
        case 1:
          h1 = mixWord(h1, b, n);
          break;
        case 2:
          h2 = mixWord(h2, b, n);
          break;
        default:
          h3 = mixWord(h3, b, n);
      }
      n++;
    }
  }
  // Cross-lane finalisation so every lane depends on every byte.
  for (let r = 0; r < 4; r++) {
    h0 = fmix(h0 ^ h3);
    h1 = fmix(h1 ^ h0);
    h2 = fmix(h2 ^ h1);
    h3 = fmix(h3 ^ h2);
  }
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setUint32(0, h0, true);
  v.setUint32(4, h1, true);
  v.setUint32(8, h2, true);
  v.setUint32(12, h3, true);
  return out;
}

function mixWord(h: number, b: number, n: number): number {
  let k = Math.imul(b ^ (n << 8), 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** XOR `data` with a keystream derived from (key, nonce) — the model's page "encryption" (an involution). */
export function modelKeystreamXor(key: number, nonce: Uint8Array, data: Uint8Array): Uint8Array {
  const seed = modelMac(key, nonce);
  const sv = new DataView(seed.buffer);
  let a = sv.getUint32(0, true) | 1;
  let b = sv.getUint32(4, true) | 1;
  let c = sv.getUint32(8, true) | 1;
  let d = sv.getUint32(12, true) | 1;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += 4) {
    // xoshiro128** step
    const r = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    for (let j = 0; j < 4 && i + j < data.length; j++) out[i + j] = data[i + j] ^ ((r >>> (8 * j)) & 0xff);
  }
  return out;
}
