// The runner never crashes on user input: random sequences of steps with edge-case arguments
// (u64 extremes, unaligned and unmapped addresses, bad fds, random flags) either run — each step
// succeeding, failing or faulting as the kernel decides — or stop with positioned errors
// (ScenarioFailure). Anything else thrown is an internal error and fails the test.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { ScenarioFailure } from '../../src/scenario/errors.js';
import { runScenario } from '../../src/scenario/run.js';
import { registryDesignRefs } from '../../src/scenario/run-boot.js';
import { nodeCrypto } from '../../src/platform/node/crypto.js';

const num = fc.constantFrom('0', '1', '-1', '4096', '0x7fffffffe000', '0xffffffffffffffff', '0xfffffffffffff000', 'a', 'a + 4K', 'fd', '3', '8K', '0x8000');
const prot = fc.constantFrom('PROT_NONE', 'PROT_READ', 'PROT_READ|PROT_WRITE', 'PROT_READ|PROT_EXEC', 'PROT_READ|PROT_WRITE|PROT_EXEC', '0xff');
const flags = fc.constantFrom('MAP_PRIVATE|MAP_ANONYMOUS', 'MAP_SHARED', 'MAP_PRIVATE', 'MAP_SHARED|MAP_FIXED', 'MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS', '0');
const step = fc.oneof(
  fc.tuple(num, num, prot, flags, num, num).map(([a, l, p, f, d, o]) => `mmap(${a}, ${l}, ${p}, ${f}, ${d}, ${o}) = ?`),
  fc.tuple(num, num, prot).map(([a, l, p]) => `mprotect(${a}, ${l}, ${p}) = ?`),
  fc.tuple(num, num).map(([a, l]) => `munmap(${a}, ${l}) = ?`),
  fc.tuple(num, fc.constantFrom('0', '1', '16', '4096', '8193')).map(([a, n]) => `read(${a}, ${n}) = ?`),
  num.map((a) => `'write(${a}, hex"90 c3") = ?'`),
  num.map((a) => `exec(${a}) = ?`),
  fc.constantFrom('"/dev/sgx_enclave"', '"/tmp"', '"/nonexistent"', '""', '"/dev/null"').map((p) => `open(${p}, O_RDWR) = ?`),
  num.map((d) => `close(${d}) = ?`),
  fc.tuple(num, num).map(([f, x]) => `'ioctl(${f}, SGX_IOC_ENCLAVE_ADD_PAGES, {src: ${x}, offset: ${x}, length: ${x}, secinfo: {flags: REG|R|W}, flags: 1}) = ?'`),
  fc.tuple(num, num).map(([f, x]) => `'ioctl(${f}, SGX_IOC_ENCLAVE_CREATE, {src: {size: ${x}, base: ${x}, ssa_frame_size: 1}}) = ?'`),
  num.map((t) => `'eenter(${t}, [load(${t}), store(${t}, 1), exec(${t}), eexit()]) = ?'`),
  num.map((x) => `expect maps(${x}) == NULL`),
  num.map((x) => `expect epcm(${x}).perms == R`),
  num.map((x) => `expect mem(${x}, 4) != hex"01"`),
);

describe('runner fuzz', () => {
  it('random steps never crash the runner', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const text = `steps:\n  - fd = open("/dev/sgx_enclave", O_RDWR)\n  - a = mmap(NULL, 8K, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\n${steps.map((s) => `  - ${s}`).join('\n')}\n`;
        const l = loadScenario(text, 'f.yaml', { designs: registryDesignRefs() });
        if (!l.ok) return; // the loader's own fuzz test covers bad text
        try {
          const r = runScenario(l.scenario, { readFile: () => new Uint8Array(0), crypto: nodeCrypto });
          expect(r.steps.length).toBe(steps.length + 2);
        } catch (e) {
          if (!(e instanceof ScenarioFailure)) throw e;
          expect(e.errors.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 150 },
    );
  });
});
