// `sgxsim sigstruct dump|verify` on the shared fixtures (values from their README).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './measure.harness.js';
import { HAVE_FIXTURES, SKIP_REASON, fixture, fixturePath } from '../arch/x86/sgx/sigstruct-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'sgxsim-sigstruct-'));
const d = HAVE_FIXTURES ? describe : describe.skip;

d(`sgxsim sigstruct${HAVE_FIXTURES ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  it('dump prints every field, MRSIGNER and the checks', async () => {
    const r = await runCli('sigstruct', 'dump', fixturePath('intel-le/le_prod_css.bin'));
    expect(r.code).toBe(0);
    for (const line of [
      'VENDOR              0x00008086 (Intel)',
      'DATE                0x20240811 (2024-08-11)',
      'SWDEFINED           0x00000010',
      'ATTRIBUTES          0x0000000000000024 (MODE64BIT | EINITTOKENKEY)',
      'ATTRIBUTEMASK       0xff00ffffffffffff',
      'ATTRIBUTEMASK.XFRM  0xffffffffffffff1b',
      'ENCLAVEHASH         7881af9f9def547da9908c008f29cde9bd78064e36ac7e14c83c294ca4806150',
      'ISVPRODID           0x0020 (32)',
      'ISVSVN              7',
      'MRSIGNER            acb77012053e05a63d413b8bbae8fb6c5d73b3f2996d91c43bbbf90959c0f8d4',
      'LEPUBKEYHASH0..3    0xa6053e051270b7ac 0x6cfbe8ba8b3b413d 0xc4916d99f2b3735d 0xd4f8c05909f9bb3b',
      'check signature     ok',
      'check Q1            ok',
      'check Q2            ok',
    ]) expect(r.stdout.split('\n')).toContain(line);
  });

  it('dump --json', async () => {
    const r = await runCli('sigstruct', 'dump', fixturePath('fortanix-test_enclave.sigstruct.bin'), '--json');
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      vendor: 0,
      date: '0x20161214',
      isvProdId: 0xffff,
      attributes: '0x0000000000000004',
      xfrm: '0x0000000000000003',
      attributesMask: '0xfffffffffffffffd',
      xfrmMask: '0xffffffffffffff1b',
      mrsigner: 'fb4bab3d6036ac1d730fa83d7366df1dd2dfeac194ef335d6854d8a6c6475542',
      modulusBits: 3072,
      exponent: 3,
      verification: { signature: true, q1: true, q2: true, exponent3: true, structure: true },
    });
  });

  it('verify exits 0 for every fixture SIGSTRUCT', async () => {
    for (const f of ['linux-selftest-encl.sigstruct.bin', 'fortanix-sig1.sigstruct.bin', 'fortanix-test_enclave.sigstruct.bin', 'intel-le/le_9441de4c38700bbc573bb0d363c34387022b7b1c.bin']) {
      const r = await runCli('sigstruct', 'verify', fixturePath(f));
      expect(r.code, f).toBe(0);
      expect(r.stdout).toContain(': verified');
    }
  });

  it('verify exits 1 for a broken signature, Q1, Q2, exponent, header, or ENCLAVEHASH mismatch', async () => {
    const base = fixture('fortanix-sig1.sigstruct.bin');
    const cases: [string, number, RegExp][] = [
      ['sig', 600, /check signature\s+FAILED/],
      ['q1', 1100, /check Q1\s+FAILED/],
      ['q2', 1500, /check Q2\s+FAILED/],
      ['exp', 512, /EXPONENT/],
      ['hdr', 3, /check structure\s+FAILED \(HEADER\)/],
      ['msg', 1024, /check signature\s+FAILED/], // ISVPRODID is signed
    ];
    for (const [name, at, re] of cases) {
      const b = Uint8Array.from(base);
      b[at] ^= 1;
      const f = join(tmp, `${name}.bin`);
      writeFileSync(f, b);
      const r = await runCli('sigstruct', 'verify', f);
      expect(r.code, name).toBe(1);
      expect(r.stdout, name).toMatch(re);
      expect(r.stdout).toContain('verification FAILED');
    }
    // reserved4 (1028..1040) is not signed: flipping it keeps the signature but fails the structure check
    const b = Uint8Array.from(base);
    b[1030] = 1;
    writeFileSync(join(tmp, 'r4.bin'), b);
    const r4 = await runCli('sigstruct', 'verify', join(tmp, 'r4.bin'), '--json');
    expect(r4.code).toBe(1);
    expect(JSON.parse(r4.stdout).verification).toMatchObject({ signature: true, structure: false, structureErrors: ['RESERVED4'] });
    const h = await runCli('sigstruct', 'verify', fixturePath('fortanix-sig1.sigstruct.bin'), '--enclave-hash', '00'.repeat(32));
    expect(h.code).toBe(1);
    expect(h.stdout).toMatch(/check ENCLAVEHASH\s+FAILED/);
    const ok = await runCli('sigstruct', 'verify', fixturePath('fortanix-sig1.sigstruct.bin'), '--enclave-hash', 'c50673624a6cb17c1c6c2a4e6906f47a170c4629b8723781d1017ef376f1a75d');
    expect(ok.code).toBe(0);
  });

  it('bad files exit 2', async () => {
    const f = join(tmp, 'short.bin');
    writeFileSync(f, new Uint8Array(100));
    let r = await runCli('sigstruct', 'dump', f);
    expect([r.code, r.stderr]).toEqual([2, `sgxsim: ${f}: a SIGSTRUCT is 1808 bytes, this file is 100\n`]);
    r = await runCli('sigstruct', 'verify', join(tmp, 'missing.bin'));
    expect(r.code).toBe(2);
    r = await runCli('sigstruct', 'verify', fixturePath('fortanix-sig1.sigstruct.bin'), '--enclave-hash', 'zz');
    expect(r.code).toBe(2);
  });
});
