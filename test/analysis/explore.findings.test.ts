// The explorer's expected findings (issue #7). Each test says what the patches and the thread say,
// and checks that the explorer finds it (or that the invariant holds), and that every
// counterexample replays with the scenario runner and shows the violation.
import { describe, expect, it } from 'vitest';
import { lookupDesign } from '../../src/drivers/sgx/registry.js';
import { exploreAt, replay } from './explore.helpers.js';

const START = 'scenarios/explore.yaml';

describe('D7 and D0: with execute on the enclave device, anonymous RW bytes become enclave code without execmem', () => {
  // Mainline (notes §3.5, sgx_encl_add_page()): the only source check is VM_MAYEXEC, so an
  // anonymous RW page the loader wrote is EADDed with SECINFO X; mapping it PROT_EXEC needs only
  // `execute` on /dev/sgx_enclave (selinux_mmap_file() on a non-private inode), never execmem.
  // v20 (D0) copies the page with copy_from_user() and looks at no VMA at all (notes §2 D0).
  for (const id of ['D7', 'D0']) {
    const registered = lookupDesign(id) !== undefined;
    it.skipIf(!registered)(`${id}: I1 is violated by a counterexample of at most 6 calls, found without execmem${registered ? '' : ` (skipped: design ${id} is not registered in this build)`}`, async () => {
      const r = await exploreAt(START, { design: id }, { depth: 6, invariants: ['I1', 'I2'] });
      const i1 = r.verdicts.find((v) => v.invariant === 'I1')!.counterexample;
      expect(i1, 'I1 counterexample').not.toBeNull();
      expect(i1!.length).toBeLessThanOrEqual(6);
      expect(i1!.violation.enclave).toBe(true);
      expect(i1!.violation.source?.cls).toBe('anon');
      expect(i1!.violation.source?.written).toBe(true);
      // The path was granted `execute` on the device and never asked for execmem.
      expect(i1!.granted).toContain('sgx_loader_t sgx_enclave_device_t:chr_file execute');
      expect(i1!.granted.some((g) => g.includes('execmem'))).toBe(false);
      // I2 too: the enclave code came from no file at all.
      const i2 = r.verdicts.find((v) => v.invariant === 'I2')!.counterexample;
      expect(i2!.length).toBeLessThanOrEqual(6);
      for (const c of r.counterexamples) {
        const run = replay(c.scenarioText, START);
        expect(run.failures.map((f) => f.message)).toEqual([]);
        expect(run.ok).toBe(true);
      }
    });
  }
});

describe('D8: EAUG plus EMODPE give enclave-executable pages', () => {
  // Reinette Chatre's SGX2 series (6.0): a fault on an unbacked page of an initialised enclave
  // EAUGs it with vm_max_prot_bits RWX; the enclave EACCEPTs it and extends its EPCM permissions
  // with ENCLU[EMODPE], which the kernel never sees. The design states no permission for this
  // (notes §4): the explorer reports which the path needed — only the device's.
  it('from an initialised enclave with a hole: I2 is violated in 2 actions with only execute (map, read) on the device', async () => {
    const rel = 'test/analysis/fixtures/eaug-start.yaml';
    const r = await exploreAt(rel, { enclavePages: 4 }, { depth: 3, invariants: ['I2'] });
    const c = r.verdicts[0].counterexample;
    expect(c).not.toBeNull();
    expect(c!.length).toBe(2);
    expect(c!.violation.source?.cls).toBe('eaug');
    expect(c!.actions.join('\n')).toMatch(/EENTER \[eaccept\(.*PENDING\), emodpe\(.*X\)\]/);
    expect(c!.granted).toEqual(['sgx_loader_t sgx_enclave_device_t:chr_file execute', 'sgx_loader_t sgx_enclave_device_t:chr_file map', 'sgx_loader_t sgx_enclave_device_t:chr_file read']);
    const run = replay(c!.scenarioText, rel);
    expect(run.failures.map((f) => f.message)).toEqual([]);
  });
});
