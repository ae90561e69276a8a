// `sgxsim sign`: byte-for-byte agreement with Fortanix sgxs-sign's known answer (fixture V3a),
// and its flag semantics (intel-sgx/sgxs-tools/src/bin/sgxs-sign.rs; defaults from
// intel-sgx/sgxs/src/sigstruct.rs Signer::new).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './measure.harness.js';
import { parseSigstruct, verifySigstruct } from '../../src/arch/x86/sgx/sigstruct.js';
import { nodeCrypto } from '../../src/platform/node/crypto.js';
import { todayBcd } from '../../src/cli/commands/sign.js';
import { HAVE_FIXTURES, SKIP_REASON, fixture, fixturePath } from '../arch/x86/sgx/sigstruct-fixtures.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(join(tmpdir(), 'sgxsim-sign-'));
const HASH = 'c50673624a6cb17c1c6c2a4e6906f47a170c4629b8723781d1017ef376f1a75d';
let n = 0;
const out = () => join(tmp, `s${n++}.bin`);
const d = HAVE_FIXTURES ? describe : describe.skip;

d(`sgxsim sign (fixtures)${HAVE_FIXTURES ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  const key = fixturePath('fortanix-sig1.key.pem');

  it('reproduces sig1.sigstruct.bin: sgxs-sign -x 3/0xe4 --date 20160109 --in-hash', async () => {
    const o = out();
    const r = await runCli('sign', '--key', key, '-x', '3/0xe4', '--date', '20160109', '--enclave-hash', HASH, '-o', o);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ENCLAVEHASH: ${HASH}`);
    expect(r.stdout).toContain('MRSIGNER: 83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e');
    expect(new Uint8Array(readFileSync(o))).toEqual(fixture('fortanix-sig1.sigstruct.bin'));
  });

  function signed(...args: string[]) {
    return async () => {
      const o = out();
      const r = await runCli('sign', '-k', key, '--date', '20160109', '--enclave-hash', HASH, '-o', o, ...args);
      expect(r.code, r.stderr).toBe(0);
      const b = new Uint8Array(readFileSync(o));
      expect(verifySigstruct(b, nodeCrypto)).toEqual({ signature: true, q1: true, q2: true, exponent3: true });
      return { s: parseSigstruct(b), stderr: r.stderr };
    };
  }

  it('defaults: ATTRIBUTES 0x4 / mask !0x2, XFRM 0x3 / mask !0x3, MISCSELECT 0 / MISCMASK !0', async () => {
    const { s } = await signed()();
    expect([s.attributes, s.attributesMask, s.xfrm, s.xfrmMask]).toEqual([4n, 0xfffffffffffffffdn, 3n, 0xfffffffffffffffcn]);
    expect([s.miscselect, s.miscmask, s.vendor, s.swdefined, s.isvProdId, s.isvSvn]).toEqual([0, 0xffffffff, 0, 0, 0, 0]);
  });

  it('VAL/MASK takes the inverse mask; a lone VAL is used as both', async () => {
    let { s } = await signed('-a', '0x6/0')();
    expect([s.attributes, s.attributesMask]).toEqual([6n, 0xffffffffffffffffn]);
    ({ s } = await signed('-a', '4')());
    expect([s.attributes, s.attributesMask]).toEqual([4n, 0xfffffffffffffffbn]);
    ({ s } = await signed('-m', '1/0')());
    expect([s.miscselect, s.miscmask]).toEqual([1, 0xffffffff]);
    ({ s } = await signed('-x', '0xe7/0xe4')());
    expect([s.xfrm, s.xfrmMask]).toEqual([0xe7n, 0xffffffffffffff1bn]);
  });

  it('--debug, --32bit, --isvextprodid, ids, swdefined, vendor', async () => {
    let { s } = await signed('--debug')();
    expect([s.attributes, s.attributesMask]).toEqual([6n, 0xfffffffffffffffdn]);
    ({ s } = await signed('--32bit')());
    expect([s.attributes, s.attributesMask]).toEqual([0n, 0xffffffffffffffffn & ~2n]);
    ({ s } = await signed('--isvextprodid', '0x0102')());
    expect(s.attributes & 0x80n).toBe(0x80n);
    expect(s.attributesMask & 0x80n).toBe(0x80n);
    expect(Array.from(s.isvExtProdId.subarray(0, 3))).toEqual([2, 1, 0]);
    ({ s } = await signed('-p', '0x20', '-v', '7', '-s', '16', '--vendor', '0x8086')());
    expect([s.isvProdId, s.isvSvn, s.swdefined, s.vendor]).toEqual([0x20, 7, 16, 0x8086]);
  });

  it('drops unknown ATTRIBUTES / MISCSELECT bits with sgxs-sign\'s warning', async () => {
    const a = await signed('-a', '0x10004/0')();
    expect(a.s.attributes).toBe(4n);
    expect(a.stderr).toContain('WARNING: Dropping unknown bits in input ATTRIBUTES!');
    const m = await signed('-m', '0x3/0')();
    expect(m.s.miscselect).toBe(1);
    expect(m.stderr).toContain('WARNING: Dropping unknown bits in input MISCSELECT!');
  });

  it('date defaults to today (BCD)', async () => {
    const o = out();
    const before = todayBcd();
    expect((await runCli('sign', '-k', key, '--enclave-hash', HASH, '-o', o)).code).toBe(0);
    expect([before, todayBcd()]).toContain(parseSigstruct(new Uint8Array(readFileSync(o))).date);
  });

  it('--manifest: measures it and takes its SECS fields and signing section as defaults', async () => {
    const m = join(tmp, 'm.yaml');
    writeFileSync(m, `version: 1
enclave: { size: 0x4000, attributes: [MODE64BIT, DEBUG], xfrm: 0x7, miscselect: 1, isvprodid: 9, isvsvn: 3 }
signing: { date: 20240101, xfrm_mask: 0xfffffffffffffffb, vendor: 0x8086 }
segments:
  - { offset: 0, size: 4K, perms: RX, contents: { pattern: { fill: 0xc3 } } }
`);
    const mr = (await runCli('measure', m)).stdout.trimEnd().split('\n').at(-1)!;
    const o = out();
    const r = await runCli('sign', '-k', key, '--manifest', m, '-o', o);
    expect(r.code, r.stderr).toBe(0);
    const s = parseSigstruct(new Uint8Array(readFileSync(o)));
    expect(Buffer.from(s.enclaveHash).toString('hex')).toBe(mr);
    expect([s.attributes, s.attributesMask, s.xfrm, s.xfrmMask]).toEqual([6n, 0xfffffffffffffffdn, 7n, 0xfffffffffffffffbn]);
    expect([s.miscselect, s.miscmask, s.isvProdId, s.isvSvn, s.date, s.vendor]).toEqual([1, 0xffffffff, 9, 3, 0x20240101, 0x8086]);
    // flags override the manifest
    const o2 = out();
    expect((await runCli('sign', '-k', key, '--manifest', m, '-o', o2, '-p', '1', '-x', '3')).code).toBe(0);
    const s2 = parseSigstruct(new Uint8Array(readFileSync(o2)));
    expect([s2.isvProdId, s2.xfrm, s2.xfrmMask]).toEqual([1, 3n, 0xfffffffffffffffcn]);
  });

  it('--sgxs: ENCLAVEHASH is the stream\'s hash', async () => {
    const sg = join(tmp, 'ref.sgxs');
    await runCli('measure', join(root, 'examples/reference-enclave.yaml'), '--export-sgxs', sg);
    const o = out();
    const r = await runCli('sign', '-k', key, '--sgxs', sg, '-o', o, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.verification).toMatchObject({ signature: true, q1: true, q2: true, structure: true });
    expect(j.enclaveHash).toBe((await runCli('measure', sg)).stdout.trimEnd().split('\n').at(-1));
  });

  it('bad input exits 2 with one line', async () => {
    const bad = async (re: RegExp, ...args: string[]) => {
      const r = await runCli('sign', ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
    };
    await bad(/exactly one of/, '-k', key, '-o', out());
    await bad(/exactly one of/, '-k', key, '-o', out(), '--enclave-hash', HASH, '--manifest', 'x.yaml');
    await bad(/64 hexadecimal/, '-k', key, '-o', out(), '--enclave-hash', 'abc');
    await bad(/date must be specified as YYYYMMDD/, '-k', key, '-o', out(), '--enclave-hash', HASH, '--date', '2016-01-09');
    await bad(/--isvsvn: 65536 does not fit in 16 bits/, '-k', key, '-o', out(), '--enclave-hash', HASH, '-v', '65536');
    await bad(/--xfrm: '3\/x' is not a number|--xfrm: 'x' is not a number/, '-k', key, '-o', out(), '--enclave-hash', HASH, '-x', '3/x');
    await bad(/--vendor: must be 0 or 0x8086/, '-k', key, '-o', out(), '--enclave-hash', HASH, '--vendor', '1');
    await bad(/cannot read the key: no such file/, '-k', join(tmp, 'none.pem'), '-o', out(), '--enclave-hash', HASH);
    const e65537 = join(tmp, 'e65537.pem');
    writeFileSync(e65537, generateKeyPairSync('rsa', { modulusLength: 3072, publicExponent: 65537 }).privateKey.export({ format: 'pem', type: 'pkcs1' }));
    await bad(/public exponent is 65537; SGX requires 3/, '-k', e65537, '-o', out(), '--enclave-hash', HASH);
    const notkey = join(tmp, 'notkey.pem');
    writeFileSync(notkey, 'hello');
    await bad(/cannot read the private key/, '-k', notkey, '-o', out(), '--enclave-hash', HASH);
    const exists = out();
    writeFileSync(exists, 'x');
    await bad(/exists \(use --force/, '-k', key, '-o', exists, '--enclave-hash', HASH);
    expect((await runCli('sign', '-k', key, '-o', exists, '--enclave-hash', HASH, '--force')).code).toBe(0);
  });
});
