// The driver's state forks with the kernel in O(1): after k.clone(), enclave pages, EPCM, the
// EPC allocator and the reclaimer's lists evolve independently in each copy.
import { describe, expect, it } from 'vitest';
import { selftestOps } from '../../../../src/arch/x86/sgx/program.js';
import { D8 } from '../../../../src/drivers/sgx/index.js';
import { platformOf, sgxReclaimPages } from '../../../../src/drivers/sgx/common/epc.js';
import { vdsoSgxEnterEnclave } from '../../../../src/drivers/sgx/common/vdso.js';
import { bootWorld, MAGIC, setupTestEncl } from '../fixture.js';

describe('kernel clone with a loaded enclave', () => {
  it('the copy and the original share nothing mutable', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    const k2 = w.k.clone();
    const before = { free: platformOf(w.k, w.inst.platform).nrFree, valid: platformOf(w.k, w.inst.platform).hw.validPages };
    // in the copy: write, evict everything, EAUG a page
    vdsoSgxEnterEnclave(k2, w.pid, { leaf: 'EENTER', tcs: e.base, program: [selftestOps.putToAddress(BigInt(e.dataStart), MAGIC)] });
    while (!platformOf(k2, w.inst.platform).activeEmpty) sgxReclaimPages(k2, w.inst.platform);
    k2.sys.mmap(w.pid, e.base + e.totalSize, 4096, 3, 0x11, e.fd, 0);
    k2.mem.read(w.pid, e.base + e.totalSize, 8);
    const got2 = vdsoSgxEnterEnclave(k2, w.pid, { leaf: 'EENTER', tcs: e.base, program: [selftestOps.getFromAddress(BigInt(e.dataStart))] });
    expect(got2.results[0]).toBe(MAGIC);
    // the original is untouched
    expect({ free: platformOf(w.k, w.inst.platform).nrFree, valid: platformOf(w.k, w.inst.platform).hw.validPages }).toEqual(before);
    const got = vdsoSgxEnterEnclave(w.k, w.pid, { leaf: 'EENTER', tcs: e.base, program: [selftestOps.getFromAddress(BigInt(e.dataStart))] });
    expect(got.results[0]).toBe(0n);
    expect(platformOf(w.k, w.inst.platform).stats.ewb).toBe(0);
  });
});
