// printScenario is loadScenario's inverse: load(print(s)) == s up to positions, for the examples
// and for a file that uses every setup form; content paths follow the file when it moves.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatError, loadScenario, printScenario, stripPositions, type Scenario } from '../../src/scenario/index.js';

function load(text: string, file: string): Scenario {
  const r = loadScenario(text, file);
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n') + '\n---\n' + text);
  return r.scenario;
}
const same = (a: Scenario, b: Scenario): void => {
  expect(stripPositions({ ...b, file: a.file })).toEqual(stripPositions(a));
};

const FULL = `
description: "every form: quotes \\" and colons: here"
setup:
  kernel: 5.15
  design: { id: D3, options: { variant: static, strict: true, n: 3 } }
  policy: { source: pol/my.conf, mode: permissive, booleans: { b1: true, b2: false }, permissive_domains: [a_t, b_t] }
  cpu: { sgx2: false, kss: true, epc_sections: [ { base: 0x80000000, size: 32M }, { base: 0x100000000, size: 1028K } ], xfrm: 0x7, xcr0: 0x3, miscselect: 0 }
  mounts:
    - { path: /dev, fstype: devtmpfs, flags: [noexec, nosuid] }
    - { path: /mnt/b, fstype: tmpfs }
    - { path: /mnt, fstype: ext4, flags: [ro], context: "system_u:object_r:mnt_t:s0" }
  directories: [ /home/u, { path: /opt/x, label: "u:r:t", mode: 0700 } ]
  files:
    - { path: /a, contents: { file: ../d/a.bin, offset: 4K }, size: 3 }
    - { path: /b, contents: { hex: "00 ff" }, mode: 0600 }
    - { path: /c, contents: { text: "line: 1\\n" } }
    - { path: /d, size: 4097, contents: { pattern: { fill: 0x90 } } }
    - { path: /e, size: 8K, contents: { pattern: { repeat: "53 47 58" } } }
    - { path: /f, size: 4K, contents: { pattern: { random: 4294967295 } } }
    - { path: /g }
    - { path: /h, size: 12K }
  devices: []
  tasks:
    - { name: t1 }
    - { name: t2, comm: other, context: "u:r:t2_t:s0", personality: [READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE], caps: [CAP_SYS_RAWIO] }
    - { name: t3, personality: 0x1 }
steps:
  - '@t2 fd = open("/dev/sgx_enclave", O_RDWR|O_CLOEXEC) = 3'
  - 'ioctl(fd, SGX_IOC_ENCLAVE_ADD_PAGES, {src: text, offset: 0x1000, length: 0x2000, secinfo: {flags: REG|R|X}, flags: SGX_PAGE_MEASURE}) = -1 EINVAL'
  - base = area + 32K - 1 & ~(32K - 1)
  - 'eenter(tcs, [store(data2, 0x1122334455667788), eaccept(page, REG|R|W|PENDING), eexit()]) AEX {vector: 14, error_code: 0x8007}'
  - expect avc denied { execmem } comm="a b"
  - 'write(a, "#x: y")'
  - 'r = load("m.yaml", loader: gramine)'
`;

describe('printScenario', () => {
  it('round-trips a file with every form', () => {
    const s = load(FULL, 'scen/full.yaml');
    const text = printScenario(s);
    same(s, load(text, 'scen/full.yaml'));
    expect(text).toContain('design: { id: D3, options: { variant: static, strict: true, n: 3 } }');
    expect(text).toContain('mode: 0o600');
  });

  it('writes the minimum for a default setup', () => {
    const s = load('steps:\n  - fd = open("/dev/sgx_enclave", O_RDWR)\n  - "x = load(\\"m.yaml\\", loader: gramine)"\n', 'a.yaml');
    expect(printScenario(s)).toBe('setup:\n  design: D8\nsteps:\n  - fd = open("/dev/sgx_enclave", O_RDWR)\n  - \'x = load("m.yaml", loader: gramine)\'\n');
  });

  it('re-expresses content and policy paths for a new location', () => {
    const s = load(FULL, 'scen/full.yaml');
    const moved = printScenario(s, { file: 'out/deep/cex.yaml' });
    expect(moved).toContain('file: ../../d/a.bin');
    expect(moved).toContain('source: ../../scen/pol/my.conf');
    // the resolved paths are the same; only the spelling relative to the file changed
    const noGiven = (x: Scenario): unknown => JSON.parse(JSON.stringify(stripPositions({ ...x, file: '' }), (k, v) => (k === 'given' ? undefined : typeof v === 'bigint' ? `${v}n` : v)));
    expect(noGiven(load(moved, 'out/deep/cex.yaml'))).toEqual(noGiven(s));
  });

  const dir = join(import.meta.dirname, '../../scenarios/examples');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
    it(`round-trips ${f}`, () => {
      const s = load(readFileSync(join(dir, f), 'utf8'), `scenarios/examples/${f}`);
      same(s, load(printScenario(s), `scenarios/examples/${f}`));
    });
  }
});
