// SIGSTRUCT encoding, signing and verification without the shared fixtures: layout (SDM Vol. 3D
// 37.14 table, reference notes §2), PKCS#1 v1.5 encoding (RFC 8017 §9.2), Q1/Q2 (SDM EINIT),
// and what verification catches.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../../../src/platform/node/crypto.js';
import type { RsaPrivateKey } from '../../../../src/platform/crypto.js';
import {
  computeQ1Q2,
  leHashMsrs,
  mrsignerOf,
  mrsignerOfModulus,
  newSigstruct,
  parseSigstruct,
  pkcs1Sha256Encoding,
  serializeSigstruct,
  signSigstruct,
  sigstructSignedData,
  sigstructStructureErrors,
  verifySigstruct,
} from '../../../../src/arch/x86/sgx/sigstruct.js';
import { generateSigningKey, sgxKeyProblem } from '../../../../src/arch/x86/sgx/keys.js';
import { bigintToLe, leToBigint, toHex } from '../../../../src/arch/x86/sgx/bytes.js';

let key: RsaPrivateKey;
beforeAll(() => {
  key = generateSigningKey(nodeCrypto).key;
});

const HASH = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

describe('SIGSTRUCT layout', () => {
  it('newSigstruct puts the architectural constants at the SDM offsets', () => {
    const b = serializeSigstruct(newSigstruct({ enclaveHash: HASH, vendor: 0x8086, date: 0x20240811, isvProdId: 0x1234, isvSvn: 0x5678, attributes: 0x24n, xfrm: 3n, attributesMask: 0xff00ffffffffffffn, xfrmMask: 0xffffffffffffff1bn, miscselect: 1, miscmask: 0xfffffffe, swdefined: 0x10 }));
    expect(b.length).toBe(1808);
    expect(toHex(b.subarray(0, 16))).toBe('06000000e10000000000010000000000'); // HEADER
    expect(toHex(b.subarray(16, 20))).toBe('86800000'); // VENDOR
    expect(toHex(b.subarray(20, 24))).toBe('11082420'); // DATE bytes 11 08 24 20
    expect(toHex(b.subarray(24, 40))).toBe('01010000600000006000000001000000'); // HEADER2
    expect(toHex(b.subarray(40, 44))).toBe('10000000'); // SWDEFINED
    expect(toHex(b.subarray(512, 516))).toBe('03000000'); // EXPONENT
    expect(toHex(b.subarray(900, 908))).toBe('01000000feffffff'); // MISCSELECT, MISCMASK
    expect(toHex(b.subarray(928, 960))).toBe('2400000000000000' + '0300000000000000' + 'ffffffffffff00ff' + '1bffffffffffffff');
    expect(b.subarray(960, 992)).toEqual(HASH);
    expect(toHex(b.subarray(1024, 1028))).toBe('34127856'); // ISVPRODID, ISVSVN
  });

  it('parse ∘ serialize is the identity on any 1808 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1808, maxLength: 1808 }), (b) => {
        expect(serializeSigstruct(parseSigstruct(b))).toEqual(b);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects wrong sizes and out-of-range fields with readable errors', () => {
    expect(() => parseSigstruct(new Uint8Array(1807))).toThrow('a SIGSTRUCT is 1808 bytes, this is 1807');
    expect(() => sigstructSignedData(new Uint8Array(10))).toThrow(/1808/);
    expect(() => serializeSigstruct({ ...newSigstruct({ enclaveHash: HASH }), isvSvn: 0x10000 })).toThrow('SIGSTRUCT.isvSvn = 65536 is not a u16');
    expect(() => serializeSigstruct({ ...newSigstruct({ enclaveHash: HASH }), xfrm: -1n })).toThrow(/not a u64/);
    expect(() => serializeSigstruct({ ...newSigstruct({ enclaveHash: HASH }), q1: new Uint8Array(3) })).toThrow('SIGSTRUCT.q1 must be 384 bytes');
    expect(() => newSigstruct({ enclaveHash: new Uint8Array(31) })).toThrow(/32 bytes/);
  });

  it('signed data is header (0..128) and body (900..1028): the unsigned fields do not enter it', () => {
    const b = serializeSigstruct(newSigstruct({ enclaveHash: HASH }));
    const d0 = sigstructSignedData(b);
    const c = Uint8Array.from(b);
    c.fill(7, 128, 900); // modulus, exponent, signature
    c.fill(7, 1028, 1808); // reserved4, q1, q2
    expect(sigstructSignedData(c)).toEqual(d0);
  });
});

describe('PKCS#1 v1.5 and Q1/Q2', () => {
  it('EM = 00 01 FF…FF 00 DigestInfo(SHA-256) H (RFC 8017 §9.2), 330 bytes of FF for a 384-byte modulus', () => {
    const em = pkcs1Sha256Encoding(HASH);
    expect(em.length).toBe(384);
    expect([em[0], em[1]]).toEqual([0, 1]);
    expect(em.subarray(2, 332).every((x) => x === 0xff)).toBe(true);
    expect(em[332]).toBe(0);
    expect(toHex(em.subarray(333, 352))).toBe('3031300d060960864801650304020105000420');
    expect(em.subarray(352)).toEqual(HASH);
  });

  it('Q1 = floor(S²/N) and Q2 = floor((S³ − Q1·S·N)/N) (SDM EINIT), for any S < N', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 3n, max: (1n << 3072n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 3072n) - 1n }), (n, s0) => {
        const s = s0 % n;
        const { q1, q2 } = computeQ1Q2(s, n);
        expect(q1).toBe((s * s) / n);
        expect(q2).toBe((s * s * s - q1 * s * n) / n);
        expect(q1 < 1n << 3072n && q2 < 1n << 3072n).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe('signing and verification', () => {
  it('signs with a fresh e=3 key; node:crypto verifies the same signature independently', () => {
    const b = signSigstruct(newSigstruct({ enclaveHash: HASH, date: 0x20250101 }), key, nodeCrypto);
    expect(verifySigstruct(b, nodeCrypto)).toEqual({ signature: true, q1: true, q2: true, exponent3: true });
    expect(sigstructStructureErrors(b)).toEqual([]);
    const n = leToBigint(b.subarray(128, 512));
    expect(n).toBe(key.n);
    const jwk = { kty: 'RSA', n: Buffer.from(b.subarray(128, 512)).reverse().toString('base64url'), e: 'Aw' };
    const sigBe = Buffer.from(b.subarray(516, 900)).reverse();
    expect(nodeVerify('sha256', sigstructSignedData(b), createPublicKey({ key: jwk, format: 'jwk' }), sigBe)).toBe(true);
    expect(toHex(mrsignerOf(b, nodeCrypto))).toBe(toHex(mrsignerOfModulus(key.n, nodeCrypto)));
  });

  it('any change to a signed byte, the signature, Q1 or Q2 is detected', () => {
    const b = signSigstruct(newSigstruct({ enclaveHash: HASH }), key, nodeCrypto);
    fc.assert(
      fc.property(fc.constantFrom(0, 20, 100, 600, 900, 930, 960, 1026, 1100, 1500, 1807), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const c = Uint8Array.from(b);
        c[at] ^= x;
        const v = verifySigstruct(c, nodeCrypto);
        if (at >= 1040 && at < 1424) expect(v).toEqual({ signature: true, q1: false, q2: true, exponent3: true });
        else if (at >= 1424) expect(v).toEqual({ signature: true, q1: true, q2: false, exponent3: true });
        else expect(v.signature).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('a zero modulus or exponent other than 3 is reported', () => {
    const z = serializeSigstruct(newSigstruct({ enclaveHash: HASH }));
    expect(verifySigstruct(z, nodeCrypto)).toEqual({ signature: false, q1: false, q2: false, exponent3: true });
    const b = signSigstruct(newSigstruct({ enclaveHash: HASH }), key, nodeCrypto);
    b[512] = 5;
    expect(verifySigstruct(b, nodeCrypto).exponent3).toBe(false);
    expect(sigstructStructureErrors(b)).toEqual(['EXPONENT']);
  });

  it('structure errors name each EINIT step-1 check', () => {
    const b = signSigstruct(newSigstruct({ enclaveHash: HASH }), key, nodeCrypto);
    const bad = (mutate: (c: Uint8Array) => void) => {
      const c = Uint8Array.from(b);
      mutate(c);
      return sigstructStructureErrors(c);
    };
    expect(bad((c) => (c[0] = 7))).toEqual(['HEADER']);
    expect(bad((c) => (c[16] = 1))).toEqual(['VENDOR']);
    expect(bad((c) => (c[24] = 0))).toEqual(['HEADER2']);
    expect(bad((c) => (c[50] = 1))).toEqual(['RESERVED1']);
    expect(bad((c) => (c[911] = 1))).toEqual(['RESERVED2']);
    expect(bad((c) => (c[1000] = 1))).toEqual(['RESERVED3']);
    expect(bad((c) => (c[1030] = 1))).toEqual(['RESERVED4']);
    expect(bad((c) => c.set([0x86, 0x80], 16))).toEqual([]);
  });

  it('refuses keys SGX cannot use', () => {
    const k65537 = nodeCrypto.generateRsaKey(3072, 65537).key;
    expect(sgxKeyProblem(k65537)).toBe('the public exponent is 65537; SGX requires 3');
    expect(() => signSigstruct(newSigstruct({ enclaveHash: HASH }), k65537, nodeCrypto)).toThrow(/exponent is 65537/);
    const k2048 = nodeCrypto.generateRsaKey(2048, 3).key;
    expect(sgxKeyProblem(k2048)).toBe('the modulus is 2048 bits; SGX requires 3072');
    expect(sgxKeyProblem(key)).toBeNull();
  });

  it('LEPUBKEYHASH words are MRSIGNER read as four little-endian u64', () => {
    const m = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(leHashMsrs(m)).toEqual([0x0706050403020100n, 0x0f0e0d0c0b0a0908n, 0x1716151413121110n, 0x1f1e1d1c1b1a1918n]);
    expect(bigintToLe(0x0102n, 4)).toEqual(Uint8Array.from([2, 1, 0, 0]));
  });
});
