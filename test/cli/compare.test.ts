// `sgxsim compare`: the table for the reference enclave, --json, bad input, --help.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run.harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REF = join(root, 'examples/reference-enclave.yaml');

describe('sgxsim compare', () => {
  it('prints one row per chosen design', async () => {
    const r = await runCli('compare', REF, '--designs', 'D7,D8');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^D7 mainline-5\.11\s+selftest\s+yes\s+yes\s+no\s+none$/m);
    expect(r.stdout).toMatch(/^D8 mainline-6\.0\s+selftest\s+yes\s+yes\s+no\s+none$/m);
  });

  it('--json and --loader', async () => {
    const r = await runCli('compare', REF, '--designs', 'D8', '--loader', 'intel-psw', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.loader).toBe('intel-psw');
    expect(j.rows[0].loader).toBe('psw');
    expect(j.rows[0].loaded).toBe(true);
  });

  it('--image-dir installs the enclave elsewhere: in the home directory D1 needs the execute builtin:default denies', async () => {
    const lib = await runCli('compare', REF, '--designs', 'D1');
    expect(lib.code).toBe(0);
    expect(lib.stdout.split('\n')[0]).toContain('enclave files in /usr/lib/sgxsim (lib_t)');
    expect(lib.stdout).toMatch(/^D1 copy-source-perms\s+careful \(own\)\s+yes\s+no\s+no\s+none$/m);
    const home = await runCli('compare', REF, '--designs', 'D1', '--image-dir', '/home/user/enclave/', '--json');
    expect(home.code).toBe(0);
    const j = JSON.parse(home.stdout);
    expect(j.imageDir).toBe('/home/user/enclave');
    expect(j.rows[0].loaded).toBe(false);
    expect(j.rows[0].denied).toEqual(['allow sgx_loader_t user_home_t:file execute;']);
  });

  it('exits 2 for a bad --image-dir', async () => {
    for (const d of ['usr/lib', '/usr/../home', '/dev/null']) {
      const r = await runCli('compare', REF, '--designs', 'D8', '--image-dir', d);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--image-dir/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('exits 2 for bad input', async () => {
    expect((await runCli('compare', REF, '--designs', 'D42')).code).toBe(2);
    expect((await runCli('compare', REF, '--loader', 'occlum')).code).toBe(2);
    expect((await runCli('compare', join(root, 'nope.yaml'))).code).toBe(2);
  });

  it('has --help', async () => {
    const r = await runCli('compare', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: sgxsim compare [options] <manifest>');
  });
});
