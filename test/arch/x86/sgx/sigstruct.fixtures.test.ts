// SIGSTRUCT parse/verify/sign against other people's tools (../shared/fixtures/sgx/README.md;
// reference notes sgx-measurement-sigstruct-einit.md §4 V1-V4). Expected values are the ones
// documented there, not our own output.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../../../src/platform/node/crypto.js';
import {
  computeQ1Q2,
  leHashMsrs,
  mrsignerOf,
  parseSigstruct,
  serializeSigstruct,
  signSigstruct,
  sigstructSignedData,
  sigstructStructureErrors,
  verifySigstruct,
} from '../../../../src/arch/x86/sgx/sigstruct.js';
import { beToBigint, leToBigint, toHex } from '../../../../src/arch/x86/sgx/bytes.js';
import { FIXTURES_DIR, HAVE_FIXTURES, SKIP_REASON, fixture, fixtureText } from './sigstruct-fixtures.js';

const d = HAVE_FIXTURES ? describe : describe.skip;

d(`SIGSTRUCT fixtures${HAVE_FIXTURES ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  it('V1: Linux selftest SIGSTRUCT verifies, MRSIGNER 2f9f8fd4…, and re-signing reproduces it', () => {
    const ss = fixture('linux-selftest-encl.sigstruct.bin');
    expect(verifySigstruct(ss, nodeCrypto)).toEqual({ signature: true, q1: true, q2: true, exponent3: true });
    expect(toHex(mrsignerOf(ss, nodeCrypto))).toBe('2f9f8fd4fe12d77232f1d87571ca8252ca27714efe7705e46222cffd5a22e8c4');
    const s = parseSigstruct(ss);
    // README: vendor 0, date 0, attributes MODE64BIT, xfrm 3, masks 0.
    expect([s.vendor, s.date, s.attributes, s.xfrm, s.attributesMask, s.xfrmMask]).toEqual([0, 0, 4n, 3n, 0n, 0n]);
    const key = nodeCrypto.importPrivateKeyPem(fixtureText('linux-selftest-sign_key.pem'));
    expect(signSigstruct(s, key, nodeCrypto)).toEqual(ss);
    expect(sigstructStructureErrors(ss)).toEqual([]);
  });

  it('V1: round-trips byte for byte through parse/serialize', () => {
    const ss = fixture('linux-selftest-encl.sigstruct.bin');
    expect(serializeSigstruct(parseSigstruct(ss))).toEqual(ss);
  });

  it('V2: Fortanix test enclave SIGSTRUCT verifies with MRSIGNER fb4bab3d…', () => {
    const ss = fixture('fortanix-test_enclave.sigstruct.bin');
    expect(verifySigstruct(ss, nodeCrypto)).toEqual({ signature: true, q1: true, q2: true, exponent3: true });
    expect(toHex(mrsignerOf(ss, nodeCrypto))).toBe('fb4bab3d6036ac1d730fa83d7366df1dd2dfeac194ef335d6854d8a6c6475542');
    const s = parseSigstruct(ss);
    expect(s.date).toBe(0x20161214);
    expect(s.isvProdId).toBe(0xffff);
    expect([s.miscselect, s.miscmask, s.attributes, s.xfrm]).toEqual([0, 0xffffffff, 4n, 3n]);
    expect([s.attributesMask, s.xfrmMask]).toEqual([0xfffffffffffffffdn, 0xffffffffffffff1bn]);
  });

  it('V3: sig1 SIGSTRUCT verifies and re-signing with sig1.key.pem reproduces all 1808 bytes', () => {
    const ss = fixture('fortanix-sig1.sigstruct.bin');
    expect(verifySigstruct(ss, nodeCrypto)).toEqual({ signature: true, q1: true, q2: true, exponent3: true });
    const s = parseSigstruct(ss);
    expect(toHex(s.enclaveHash)).toBe('c50673624a6cb17c1c6c2a4e6906f47a170c4629b8723781d1017ef376f1a75d');
    expect(Array.from(ss.subarray(20, 24))).toEqual([0x09, 0x01, 0x16, 0x20]);
    const key = nodeCrypto.importPrivateKeyPem(fixtureText('fortanix-sig1.key.pem'));
    expect(signSigstruct(s, key, nodeCrypto)).toEqual(ss);
    expect(toHex(mrsignerOf(ss, nodeCrypto))).toBe('83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e');
  });

  it('V3c: raw signature of sig1.data.bin (a digest) and its Q1/Q2 are reproduced', () => {
    const key = nodeCrypto.importPrivateKeyPem(fixtureText('fortanix-sig1.key.pem'));
    const n = leToBigint(fixture('fortanix-sig1.key_n.bin'));
    expect(key.n).toBe(n);
    const sigBe = nodeCrypto.signPkcs1Sha256Digest(key, fixture('fortanix-sig1.data.bin'));
    const s = beToBigint(sigBe);
    expect(s).toBe(leToBigint(fixture('fortanix-sig1.sig.bin')));
    const q = computeQ1Q2(s, n);
    expect(q.q1).toBe(leToBigint(fixture('fortanix-sig1.q1.bin')));
    expect(q.q2).toBe(leToBigint(fixture('fortanix-sig1.q2.bin')));
  });

  it('V4: every Intel Launch Enclave SIGSTRUCT verifies; MRSIGNER is the default LEPUBKEYHASH', () => {
    const files = readdirSync(`${FIXTURES_DIR}/intel-le`).filter((f) => f.endsWith('.bin'));
    expect(files.length).toBe(18);
    for (const f of files) {
      const ss = fixture(`intel-le/${f}`);
      expect(verifySigstruct(ss, nodeCrypto), f).toEqual({ signature: true, q1: true, q2: true, exponent3: true });
      const s = parseSigstruct(ss);
      expect(s.vendor, f).toBe(0x8086);
      expect(s.attributes & 0x20n, f).toBe(0x20n);
      const mr = mrsignerOf(ss, nodeCrypto);
      expect(toHex(mr), f).toBe('acb77012053e05a63d413b8bbae8fb6c5d73b3f2996d91c43bbbf90959c0f8d4');
      // KVM setup_default_sgx_lepubkeyhash() / QEMU defaults.
      expect(leHashMsrs(mr)).toEqual([0xa6053e051270b7acn, 0x6cfbe8ba8b3b413dn, 0xc4916d99f2b3735dn, 0xd4f8c05909f9bb3bn]);
      expect(sigstructStructureErrors(ss), f).toEqual([]);
    }
    const cur = parseSigstruct(fixture('intel-le/le_prod_css.bin'));
    expect([cur.date, cur.isvProdId, cur.isvSvn, cur.swdefined]).toEqual([0x20240811, 0x20, 7, 0x10]);
    expect(toHex(cur.enclaveHash)).toBe('7881af9f9def547da9908c008f29cde9bd78064e36ac7e14c83c294ca4806150');
  });

  it('signed data is bytes 0..128 followed by 900..1028', () => {
    const ss = fixture('fortanix-sig1.sigstruct.bin');
    const m = sigstructSignedData(ss);
    expect(m.length).toBe(256);
    expect(m.subarray(0, 128)).toEqual(ss.subarray(0, 128));
    expect(m.subarray(128)).toEqual(ss.subarray(900, 1028));
  });
});
