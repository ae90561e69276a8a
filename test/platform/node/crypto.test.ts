// nodeCrypto, the node:crypto implementation of the core's Crypto interface.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../../src/platform/node/crypto.js';
import { sha256 } from '../../../src/platform/crypto.js';

describe('nodeCrypto', () => {
  it('sha256: incremental, and copy() forks the running state', () => {
    const h = nodeCrypto.sha256().update(Buffer.from('abc'));
    const c = h.copy();
    c.update(Buffer.from('def'));
    expect(Buffer.from(h.digest()).toString('hex')).toBe(createHash('sha256').update('abc').digest('hex'));
    expect(Buffer.from(c.digest()).toString('hex')).toBe(createHash('sha256').update('abcdef').digest('hex'));
    // FIPS 180-4 example: SHA-256("abc")
    expect(Buffer.from(sha256(nodeCrypto, Buffer.from('abc'))).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('keys: generate with e=3, import PEM (PKCS#1 and PKCS#8), readable errors', () => {
    const { key, pem } = nodeCrypto.generateRsaKey(3072, 3);
    expect([key.e, key.bits]).toEqual([3n, 3072]);
    const again = nodeCrypto.importPrivateKeyPem(pem);
    expect(again.n).toBe(key.n);
    expect(() => nodeCrypto.importPrivateKeyPem('not a key')).toThrow(/^cannot read the private key/);
  });

  it('signPkcs1Sha256 and signPkcs1Sha256Digest agree and verify with node:crypto', () => {
    const { key, pem } = nodeCrypto.generateRsaKey(2048, 3);
    const msg = Buffer.from('message');
    const a = nodeCrypto.signPkcs1Sha256(key, msg);
    const b = nodeCrypto.signPkcs1Sha256Digest(key, createHash('sha256').update(msg).digest());
    expect(Buffer.from(a)).toEqual(Buffer.from(b));
    expect(a.length).toBe(256);
    expect(verify('sha256', msg, createPublicKey(pem), a)).toBe(true);
    expect(() => nodeCrypto.signPkcs1Sha256Digest(key, new Uint8Array(31))).toThrow(/32 bytes/);
  });

  it('refuses keys it did not create', () => {
    expect(() => nodeCrypto.signPkcs1Sha256({ n: 5n, e: 3n, bits: 3 }, new Uint8Array(1))).toThrow(/not created by the node crypto platform/);
  });
});
