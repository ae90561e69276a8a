// `sgxsim run`: the seed by default, exit codes 0/1/2, --json, --quiet, overrides, --help.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run.harness.js';
import { useColor } from '../../src/cli/commands/run-host.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(join(tmpdir(), 'sgxsim-run-'));
const file = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('sgxsim run', () => {
  it('without an argument runs the seed scenario on D1 and exits 0', async () => {
    const r = await runCli('run', '--no-color');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# .*scenarios\/seed\.yaml: the seed flow on D1/);
    expect(r.stdout).toContain('open("/dev/sgx/enclave", O_RDWR) = 3\n');
    expect(r.stdout).toMatch(/^mmap\(NULL, 32768, PROT_READ, MAP_SHARED, 3, 0\) = 0x[0-9a-f]+$/m);
    expect(r.stdout).toMatch(/^ioctl\(3, SGX_IOC_ENCLAVE_INIT, \{sigstruct=0x[0-9a-f]+\}\) = 0$/m);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^# ok: \d+ steps, \d+ expectations held$/);
  });

  it('exits 1 when an expectation fails, naming it with file:line:col', async () => {
    const p = file('fail.yaml', 'steps:\n  - fd = open("/dev/sgx_enclave", O_RDWR)\n  - expect fd == 4\n');
    const r = await runCli('run', p, '-q');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${p}:3:5: expectation failed: fd == 4: left is 0x3, right is 0x4`);
  });

  it('exits 2 with file:line:col for invalid input, on stderr', async () => {
    const p = file('bad.yaml', 'steps:\n  - fd = open("/dev/sgx_enclave", O_RDWRR)\n');
    const r = await runCli('run', p);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${p}:2:35: unknown name 'O_RDWRR' (did you mean O_RDWR?)\n`);
  });

  it('exits 2 for a missing file, an unknown design or policy', async () => {
    expect((await runCli('run', join(tmp, 'nope.yaml'))).code).toBe(2);
    const ok = file('ok.yaml', 'steps: []\n');
    const d = await runCli('run', ok, '--design', 'D42');
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/unknown design 'D42' \(available: .*D8 \(mainline-6\.0\)/);
    expect((await runCli('run', ok, '--policy', 'builtin:nope')).code).toBe(2);
  });

  it('--json writes the versioned document', async () => {
    const r = await runCli('run', join(root, 'scenarios/examples/minimal.yaml'), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.format).toBe('sgxsim-trace');
    expect(j.version).toBe(1);
    expect(j.ok).toBe(true);
    expect(j.events.find((e: { kind: string }) => e.kind === 'syscall').text).toBe('open("/dev/sgx_enclave", O_RDWR) = 3');
  });

  it('--permissive and --policy override the file', async () => {
    const p = file('strict.yaml', `setup:
  policy: builtin:strict
  tasks:
    - { name: l, context: "unconfined_u:unconfined_r:sgx_loader_t:s0-s0:c0.c3" }
steps:
  - mmap(NULL, 4K, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 EACCES
`);
    expect((await runCli('run', p, '-q')).code).toBe(0);
    const perm = await runCli('run', p, '--permissive', '--no-color');
    expect(perm.code).toBe(1);
    expect(perm.stdout).toMatch(/avc: {2}denied {2}\{ execmem \} .* permissive=1/);
  });

  it('has --help with examples', async () => {
    const r = await runCli('run', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: sgxsim run [options] [scenario]');
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--permissive');
  });
});


describe('colour', () => {
  it('--color / --no-color win; otherwise a TTY without NO_COLOR', () => {
    const tty = process.stdout.isTTY;
    const nc = process.env.NO_COLOR;
    try {
      expect(useColor(true)).toBe(true);
      expect(useColor(false)).toBe(false);
      Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
      delete process.env.NO_COLOR;
      expect(useColor(undefined)).toBe(true);
      process.env.NO_COLOR = '1';
      expect(useColor(undefined)).toBe(false);
      Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
      delete process.env.NO_COLOR;
      expect(useColor(undefined)).toBe(false);
    } finally {
      Object.defineProperty(process.stdout, 'isTTY', { value: tty, configurable: true });
      if (nc === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = nc;
    }
  });
});
