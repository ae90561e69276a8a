// The model core's only window onto cryptography. The core never imports node:crypto; the
// CLI passes in the node implementation (src/platform/node/crypto.ts), and a browser build
// would pass a WebCrypto/wasm one. Keep this interface small.

/** An incremental SHA-256 (FIPS 180-4). `copy()` forks the running state (the SECS keeps one). */
export interface Sha256 {
  update(data: Uint8Array): this;
  /** Finish and return the 32-byte digest. The object must not be used afterwards. */
  digest(): Uint8Array;
  /** An independent copy of the running state. */
  copy(): Sha256;
}

/** An RSA private key held by the platform (for node: a KeyObject). Opaque to the core. */
export interface RsaPrivateKey {
  /** Modulus, as a big-endian-valued bigint. */
  readonly n: bigint;
  /** Public exponent. */
  readonly e: bigint;
  readonly bits: number;
}

export interface Crypto {
  sha256(): Sha256;
  /**
   * RSASSA-PKCS1-v1_5 signature with SHA-256 (RFC 8017 §8.2) of `message` (hashed here).
   * Returns the signature as big-endian bytes of the modulus length.
   */
  signPkcs1Sha256(key: RsaPrivateKey, message: Uint8Array): Uint8Array;
  /**
   * RSASSA-PKCS1-v1_5 over an already-computed SHA-256 digest (32 bytes): the DigestInfo is
   * built around it. Returns big-endian bytes of the modulus length.
   */
  signPkcs1Sha256Digest(key: RsaPrivateKey, digest: Uint8Array): Uint8Array;
  /** Parse a PEM private key (PKCS#1 or PKCS#8). Throws an Error with a readable message. */
  importPrivateKeyPem(pem: string): RsaPrivateKey;
  /** Generate an RSA key; returns it and its PKCS#1 PEM encoding. */
  generateRsaKey(bits: number, e: number): { key: RsaPrivateKey; pem: string };
}

/** Convenience: one-shot SHA-256. */
export function sha256(crypto: Crypto, ...parts: Uint8Array[]): Uint8Array {
  const h = crypto.sha256();
  for (const p of parts) h.update(p);
  return h.digest();
}
