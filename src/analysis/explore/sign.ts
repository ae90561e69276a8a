// INIT in the explorer: the attacker signs whatever the enclave measured so far with the loaders'
// test key and calls the design's INIT. With flexible launch control any signer is accepted
// (the driver writes the SIGSTRUCT's MRSIGNER hash into IA32_SGXLEPUBKEYHASH), so the enclave's
// contents never decide whether INIT succeeds: that is why the running measurement is left out
// of the canonical state (docs/explorer.md "Canonical state"). Signatures are memoised by what
// they sign (RSA-3072 signing costs about a millisecond).
import type { Kernel } from '../../kernel/kernel.js';
import type { Crypto, RsaPrivateKey } from '../../platform/crypto.js';
import { newSigstruct, signSigstruct } from '../../arch/x86/sgx/sigstruct.js';
import { SGX_ATTR_DEBUG } from '../../arch/x86/sgx/arch.js';
import { DEFAULT_SIGSTRUCT_DATE } from '../../drivers/sgx/loaders/image.js';
import { TEST_SIGNING_KEY_PEM } from '../../drivers/sgx/loaders/test-key.js';
import { enclOf, platformOf } from '../../drivers/sgx/common/epc.js';

const U64 = (1n << 64n) - 1n;

export class EnclaveSigner {
  private key: RsaPrivateKey | null = null;
  private readonly memo = new Map<string, Uint8Array>();
  /** Signatures made (for statistics). */
  signed = 0;

  constructor(private readonly crypto: Crypto) {}

  /**
   * A SIGSTRUCT for enclave `enclId` as measured now (the SECS's MRENCLAVE so far, its
   * ATTRIBUTES, XFRM and MISCSELECT; sgxs-sign's masks), or null when the enclave has no SECS.
   */
  sigstructFor(k: Kernel, enclId: number): Uint8Array | null {
    const e = enclOf(k, enclId);
    if (e.secs.epc === null) return null;
    const s = platformOf(k, e.platform).hw.secs(e.secs.epc);
    if (!s) return null;
    const mr = s.mrenclaveSoFar;
    let hex = '';
    for (const b of mr) hex += b.toString(16).padStart(2, '0');
    const key = `${hex}/${s.attributes}/${s.xfrm}/${s.miscselect}`;
    const m = this.memo.get(key);
    if (m) return m;
    this.key ??= this.crypto.importPrivateKeyPem(TEST_SIGNING_KEY_PEM);
    const body = newSigstruct({
      vendor: 0,
      date: DEFAULT_SIGSTRUCT_DATE,
      miscselect: s.miscselect,
      miscmask: 0xffff_ffff,
      attributes: s.attributes,
      attributesMask: ~SGX_ATTR_DEBUG & U64,
      xfrm: s.xfrm,
      xfrmMask: ~3n & U64,
      enclaveHash: mr,
    });
    const sig = signSigstruct(body, this.key, this.crypto);
    this.signed++;
    this.memo.set(key, sig);
    return sig;
  }
}
