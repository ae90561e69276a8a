// `sgxsim keygen`: an RSA-3072, e=3 key that signs SIGSTRUCTs that verify.
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './measure.harness.js';

const tmp = mkdtempSync(join(tmpdir(), 'sgxsim-keygen-'));

describe('sgxsim keygen', () => {
  it('writes a 3072-bit e=3 PKCS#1 key (mode 0600) whose MRSIGNER the SIGSTRUCT carries', async () => {
    const k = join(tmp, 'k.pem');
    const r = await runCli('keygen', '-o', k, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const pem = readFileSync(k, 'utf8');
    expect(pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(statSync(k).mode & 0o777).toBe(0o600);
    const jwk = createPrivateKey(pem).export({ format: 'jwk' });
    expect(jwk.e).toBe('Aw'); // 3
    expect(Buffer.from(jwk.n!, 'base64url').length).toBe(384);
    const o = join(tmp, 's.bin');
    const s = await runCli('sign', '-k', k, '--enclave-hash', 'ab'.repeat(32), '-o', o, '--json');
    expect(s.code).toBe(0);
    const sj = JSON.parse(s.stdout);
    expect(sj.mrsigner).toBe(j.mrsigner);
    expect(sj.lePubKeyHash).toEqual(j.lePubKeyHash);
    expect((await runCli('sigstruct', 'verify', o)).code).toBe(0);
    // refuses to overwrite
    const again = await runCli('keygen', '-o', k);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists/);
  });
});
