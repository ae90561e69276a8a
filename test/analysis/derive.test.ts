// policy derive: the permissive run's denials of steps that must succeed become allow rules;
// expected denials stay; the enforcing rerun with the rules passes. Acceptance 4 of issue #6:
// every built-in scenario gets rules with which it passes enforcing.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario, type Scenario } from '../../src/scenario/load.js';
import { formatError } from '../../src/scenario/errors.js';
import { registryDesignRefs } from '../../src/scenario/run-boot.js';
import type { RunHost } from '../../src/scenario/run.js';
import { derivePolicy, renderDerive, rulesFor } from '../../src/analysis/derive.js';
import { nodeCrypto } from '../../src/platform/node/crypto.js';
import { lookupDesign } from '../../src/drivers/sgx/registry.js';
import { BUILTIN_SCENARIOS, designOf } from '../scenario/builtin-list.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const host: RunHost = { readFile: (p) => new Uint8Array(readFileSync(join(root, p))), crypto: nodeCrypto };

function load(text: string, file = 's.yaml'): Scenario {
  const r = loadScenario(text, file, { designs: registryDesignRefs() });
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return r.scenario;
}

const LOADER = 'unconfined_u:unconfined_r:sgx_loader_t:s0-s0:c0.c3';

describe('policy derive', () => {
  it('finds the one rule a confined loader lacks and proves it enforcing', () => {
    // builtin:default gives sgx_loader_t `user_home_t:file { getattr open read map ioctl lock }`
    // but not execute (src/security/selinux/builtin.ts); mapping a home file PROT_EXEC asks
    // file:execute in file_map_prot_check() (security/selinux/hooks.c).
    const s = load(`setup:
  design: D7
  files:
    - { path: /home/user/enclave.so, contents: { text: "code" } }
  tasks:
    - { name: loader, context: "${LOADER}" }
steps:
  - img = open("/home/user/enclave.so", O_RDONLY)
  - text = mmap(NULL, 4K, PROT_READ|PROT_EXEC, MAP_PRIVATE, img, 0)
`);
    const r = derivePolicy(s, host);
    expect(r.rules).toEqual(['allow sgx_loader_t user_home_t:file execute;']);
    expect(r.text).toBe('#============= sgx_loader_t ==============\nallow sgx_loader_t user_home_t:file execute;\n');
    expect(r.ok).toBe(true);
    expect(r.verify?.ok).toBe(true);
    expect(renderDerive(r)).toContain('# enforcing rerun with these rules added: ok');
  });

  it('keeps the denials a scenario expects', () => {
    const s = load(`setup:
  tasks:
    - { name: loader, context: "${LOADER}" }
steps:
  - b = mmap(NULL, 4K, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
  - mprotect(b, 4K, PROT_READ|PROT_EXEC) = -1 EACCES
`);
    const r = derivePolicy(s, host);
    expect(r.rules).toEqual([]);
    expect(r.expected.map((d) => d.perm)).toEqual(['execmem']);
    expect(r.ok).toBe(true);
  });

  it('reports rules a neverallow forbids (builtin:strict) instead of pretending', () => {
    const s = load(`setup:
  policy: builtin:strict
  tasks:
    - { name: loader, context: "${LOADER}" }
steps:
  - b = mmap(NULL, 4K, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
`);
    const r = derivePolicy(s, host);
    expect(r.rules).toEqual(['allow sgx_loader_t self:process execmem;']);
    expect(r.ok).toBe(false);
    expect(r.error[0].message).toMatch(/violates neverallow/);
  });

  it('groups rules by source type as audit2allow does, self for the same type, xperm lines for ioctl commands', () => {
    const d = (s: string, t: string, c: string, p: string, ioctlcmd: number | null = null) => ({ scontext: `u:r:${s}:s0`, tcontext: `u:r:${t}:s0`, tclass: c, perm: p, ioctlcmd });
    const r = rulesFor([d('b_t', 'x_t', 'file', 'read'), d('a_t', 'a_t', 'process', 'execmem'), d('b_t', 'x_t', 'file', 'open'), d('a_t', 'dev_t', 'chr_file', 'ioctl', 0xa401)]);
    expect(r.text).toBe(
      '#============= a_t ==============\nallow a_t dev_t:chr_file ioctl;\nallow a_t self:process execmem;\n\n#============= b_t ==============\nallow b_t x_t:file { open read };\n\nallowxperm a_t dev_t:chr_file ioctl 0xa401;\n',
    );
    expect(r.rules).toEqual(['allow a_t dev_t:chr_file ioctl;', 'allow a_t self:process execmem;', 'allow b_t x_t:file { open read };', 'allowxperm a_t dev_t:chr_file ioctl 0xa401;']);
  });

  for (const file of BUILTIN_SCENARIOS) {
    const design = designOf(file);
    const missing = design !== undefined && !lookupDesign(design);
    it.skipIf(missing)(`${file}: the derived rules make it pass enforcing${missing ? ` (skipped: design ${design} is not registered)` : ''}`, () => {
      const s = load(readFileSync(join(root, file), 'utf8'), file);
      const r = derivePolicy(s, host);
      expect(r.error).toEqual([]);
      expect(r.verify?.failures.map(formatError)).toEqual([]);
      expect(r.ok).toBe(true);
    });
  }
});
