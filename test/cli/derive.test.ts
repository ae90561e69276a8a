// `sgxsim policy derive`: rules, the enforcing rerun's verdict, exit codes, --json, --help.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run.harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(join(tmpdir(), 'sgxsim-derive-'));
const LOADER = 'unconfined_u:unconfined_r:sgx_loader_t:s0-s0:c0.c3';
const needs = join(tmp, 'needs.yaml');
writeFileSync(
  needs,
  `setup:
  files:
    - { path: /home/user/e.so, contents: { text: "code" } }
  tasks:
    - { name: l, context: "${LOADER}" }
steps:
  - img = open("/home/user/e.so", O_RDONLY)
  - mmap(NULL, 4K, PROT_READ|PROT_EXEC, MAP_PRIVATE, img, 0)
`,
);

describe('sgxsim policy derive', () => {
  it('prints the rules grouped like audit2allow and proves them enforcing (exit 0)', async () => {
    const r = await runCli('policy', 'derive', needs);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('#============= sgx_loader_t ==============\nallow sgx_loader_t user_home_t:file execute;\n');
    expect(r.stdout).toContain('# enforcing rerun with these rules added: ok');
  });

  it('exits 1 when the rules cannot make it pass (a neverallow of builtin:strict)', async () => {
    const r = await runCli('policy', 'derive', needs, '--policy', 'builtin:strict');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('violates neverallow');
  });

  it('--json', async () => {
    const r = await runCli('policy', 'derive', join(root, 'scenarios/seed.yaml'), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.design).toBe('D1');
    expect(j.expected.map((d: { perm: string }) => d.perm)).toEqual(['execmem']);
  });

  it('exits 2 for invalid input', async () => {
    expect((await runCli('policy', 'derive', join(tmp, 'nope.yaml'))).code).toBe(2);
    expect((await runCli('policy', 'derive', needs, '--design', 'D42')).code).toBe(2);
  });

  it('has --help', async () => {
    const r = await runCli('policy', 'derive', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: sgxsim policy derive [options] <scenario>');
  });
});
