// SGX signing keys: RSA-3072 with public exponent 3 (SDM Vol. 3D 38.13, EINIT: EXPONENT must be
// 3 and the modulus 384 bytes; Linux tools/testing/selftests/sgx/sign_key.pem is such a key).
import type { Crypto, RsaPrivateKey } from '../../../platform/crypto.js';
import { mrsignerOfModulus } from './sigstruct.js';

export const SGX_RSA_BITS = 3072;
export const SGX_RSA_EXPONENT = 3;

/** Why `key` cannot sign a SIGSTRUCT, or null if it can. */
export function sgxKeyProblem(key: RsaPrivateKey): string | null {
  if (key.e !== BigInt(SGX_RSA_EXPONENT)) return `the public exponent is ${key.e}; SGX requires ${SGX_RSA_EXPONENT}`;
  if (key.bits !== SGX_RSA_BITS) return `the modulus is ${key.bits} bits; SGX requires ${SGX_RSA_BITS}`;
  return null;
}

/** A fresh signing key (what `openssl genrsa -3 3072` makes) and its PKCS#1 PEM. */
export function generateSigningKey(crypto: Crypto): { key: RsaPrivateKey; pem: string; mrsigner: Uint8Array } {
  const { key, pem } = crypto.generateRsaKey(SGX_RSA_BITS, SGX_RSA_EXPONENT);
  return { key, pem, mrsigner: mrsignerOfModulus(key.n, crypto) };
}
