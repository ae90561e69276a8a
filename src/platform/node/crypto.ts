// node:crypto implementation of the core's Crypto interface (src/platform/crypto.ts).
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  privateEncrypt,
  sign as nodeSign,
  constants,
  type Hash,
  type KeyObject,
} from 'node:crypto';
import type { Crypto, RsaPrivateKey, Sha256 } from '../crypto.js';

class NodeSha256 implements Sha256 {
  constructor(private readonly h: Hash = createHash('sha256')) {}
  update(data: Uint8Array): this {
    this.h.update(data);
    return this;
  }
  digest(): Uint8Array {
    return new Uint8Array(this.h.digest());
  }
  copy(): Sha256 {
    return new NodeSha256(this.h.copy());
  }
}

class NodeRsaKey implements RsaPrivateKey {
  readonly n: bigint;
  readonly e: bigint;
  readonly bits: number;
  constructor(readonly keyObject: KeyObject) {
    const jwk = keyObject.export({ format: 'jwk' });
    if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e) throw new Error('not an RSA private key');
    this.n = b64uToBigint(jwk.n);
    this.e = b64uToBigint(jwk.e);
    this.bits = this.n.toString(2).length;
  }
}

function b64uToBigint(s: string): bigint {
  const buf = Buffer.from(s, 'base64url');
  return buf.length === 0 ? 0n : BigInt('0x' + buf.toString('hex'));
}

function keyObjectOf(key: RsaPrivateKey): KeyObject {
  if (!(key instanceof NodeRsaKey)) throw new Error('key was not created by the node crypto platform');
  return key.keyObject;
}

// DER prefix of DigestInfo for SHA-256 (RFC 8017 §9.2, note 1).
const SHA256_DIGESTINFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

export const nodeCrypto: Crypto = {
  sha256: () => new NodeSha256(),
  signPkcs1Sha256(key, message) {
    return new Uint8Array(nodeSign('sha256', message, { key: keyObjectOf(key), padding: constants.RSA_PKCS1_PADDING }));
  },
  signPkcs1Sha256Digest(key, digest) {
    if (digest.length !== 32) throw new Error('a SHA-256 digest is 32 bytes');
    const t = Buffer.concat([SHA256_DIGESTINFO_PREFIX, Buffer.from(digest)]);
    // privateEncrypt with PKCS#1 v1.5 padding applies EMSA-PKCS1-v1_5 block type 1 to T.
    return new Uint8Array(privateEncrypt({ key: keyObjectOf(key), padding: constants.RSA_PKCS1_PADDING }, t));
  },
  importPrivateKeyPem(pem) {
    let ko: KeyObject;
    try {
      ko = createPrivateKey({ key: pem, format: 'pem' });
    } catch (e) {
      throw new Error(`cannot read the private key: ${(e as Error).message}`, { cause: e });
    }
    return new NodeRsaKey(ko);
  },
  generateRsaKey(bits, e) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: e });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    return { key: new NodeRsaKey(privateKey), pem };
  },
};
