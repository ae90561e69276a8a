// EPC management as main.c/encl.c do it: sgx_alloc_epc_page()'s -ENOMEM/-EBUSY/-ERESTARTSYS,
// the reclaimer's aging, EWB of children and of the SECS after the last child (initialized
// enclaves only), ELDU on demand with the contents intact, VA pages per 512 pages, release.
import { describe, expect, it } from 'vitest';
import { EBUSY, ENOMEM, ERESTARTSYS } from '../../../../src/abi/errno.js';
import { D8 } from '../../../../src/drivers/sgx/index.js';
import { enclOf, platformMut, platformOf, sgxAllocEpcPage, sgxReclaimPages } from '../../../../src/drivers/sgx/common/epc.js';
import { enclIdOfFd } from '../../../../src/drivers/sgx/common/knobs.js';
import { selftestOps } from '../../../../src/arch/x86/sgx/program.js';
import { bootWorld, enclCall, MAGIC, PAGE, secsBytes, setupTestEncl, type World } from '../fixture.js';

const plat = (w: World) => platformOf(w.k, w.inst.platform);

describe('EPC allocation and reclaim', () => {
  it('sgx_alloc_epc_page(): ENOMEM with nothing reclaimable, EBUSY without reclaim, ERESTARTSYS with a signal', () => {
    // 128 pages: the enclave (SECS, VA, 8 + 40 pages) leaves more than SGX_NR_LOW_PAGES free, so
    // ksgxd is not woken while it loads.
    const w = bootWorld(D8, { cpu: { epcPages: 128 } });
    const e = setupTestEncl(w, 40 * PAGE);
    expect(plat(w).stats.ksgxdRuns).toBe(0);
    const id = enclIdOfFd(w.k, w.pid, e.fd)!;
    // drain the free list
    while (plat(w).nrFree > 0) sgxAllocEpcPage(w.k, w.inst.platform, { kind: 'va', encl: id }, false, w.pid);
    expect(plat(w).activeEmpty).toBe(false);
    expect(sgxAllocEpcPage(w.k, w.inst.platform, { kind: 'va', encl: id }, false, w.pid)).toBe(-EBUSY);
    platformMut(w.k, w.inst.platform).signals.set(w.pid, { after: 0 });
    expect(sgxAllocEpcPage(w.k, w.inst.platform, { kind: 'va', encl: id }, true, w.pid)).toBe(-ERESTARTSYS);
    platformMut(w.k, w.inst.platform).signals.delete(w.pid);
    const got = sgxAllocEpcPage(w.k, w.inst.platform, { kind: 'va', encl: id }, true, w.pid);
    expect(got).toBeGreaterThanOrEqual(0); // direct reclaim made room
    expect(plat(w).stats.directReclaims).toBeGreaterThan(0);
    // empty active list
    const w2 = bootWorld(D8, { cpu: { epcPages: 4 } });
    for (let i = 0; i < 4; i++) sgxAllocEpcPage(w2.k, w2.inst.platform, { kind: 'va', encl: 0 }, true, w2.pid);
    expect(sgxAllocEpcPage(w2.k, w2.inst.platform, { kind: 'va', encl: 0 }, true, w2.pid)).toBe(-ENOMEM);
  });

  it('aging: a page accessed since the last scan goes back to the tail, the next scan evicts it', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    const id = enclIdOfFd(w.k, w.pid, e.fd)!;
    enclCall(w, e.base, [selftestOps.putToBuffer(BigInt(e.buffer), MAGIC)]);
    const young = (addr: number) => enclOf(w.k, id).page(addr)!.young;
    expect(young(e.buffer)).toBe(true);
    const head = plat(w).activePages();
    // drive scans until the buffer page is evicted; it must survive at least one scan
    let scans = 0;
    while (enclOf(w.k, id).page(e.buffer)!.epc !== null) {
      sgxReclaimPages(w.k, w.inst.platform);
      scans++;
      if (scans === 1) expect(enclOf(w.k, id).page(e.buffer)!.epc).not.toBeNull();
    }
    expect(scans).toBeGreaterThan(1);
    expect(head.length).toBeGreaterThan(0);
  });

  it('EWB of every child of an initialized enclave evicts its SECS too; ELDU brings both back with the contents', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    const id = enclIdOfFd(w.k, w.pid, e.fd)!;
    enclCall(w, e.base, [selftestOps.putToAddress(BigInt(e.dataStart), MAGIC)]);
    while (!plat(w).activeEmpty) sgxReclaimPages(w.k, w.inst.platform);
    const encl = enclOf(w.k, id);
    expect(encl.secsChildCnt).toBe(0);
    expect(encl.secs.epc).toBeNull();
    expect(encl.secs.backing).not.toBeNull();
    const r = enclCall(w, e.base, [selftestOps.getFromAddress(BigInt(e.dataStart))]);
    expect(r.results[0]).toBe(MAGIC);
    expect(enclOf(w.k, id).secs.epc).not.toBeNull();
    expect(plat(w).stats.eldu).toBeGreaterThan(3); // SECS, TCS, SSA, text, data
  });

  it('the SECS of an uninitialized enclave stays resident', () => {
    const w = bootWorld(D8);
    const fd = D8.adapter.openEnclave(w.p);
    const area = w.p.mmap(0, 0x20000, 0, 0x22);
    const base = Math.ceil(area / 0x10000) * 0x10000;
    expect(D8.adapter.create(w.p, fd, secsBytes({ size: 0x10000n, base: BigInt(base) })).ret).toBe(0);
    const src = w.p.mmap(0, PAGE, 3, 0x22);
    expect(D8.adapter.addPages(w.p, fd, { offset: 0, src, length: PAGE, type: 'REG', perms: 3, measure: false }).ret).toBe(0);
    while (!plat(w).activeEmpty) sgxReclaimPages(w.k, w.inst.platform);
    const encl = enclOf(w.k, enclIdOfFd(w.k, w.pid, fd)!);
    expect(encl.secsChildCnt).toBe(0);
    expect(encl.secs.epc).not.toBeNull();
  });

  it('one VA page per 512 enclave pages (the SECS counts)', () => {
    const w = bootWorld(D8, { cpu: { epcPages: 1024 } });
    const e = setupTestEncl(w, 600 * PAGE);
    const encl = enclOf(w.k, enclIdOfFd(w.k, w.pid, e.fd)!);
    expect(encl.pageCnt).toBe(1 + 8 + 600);
    expect(encl.vaPages).toHaveLength(2);
  });

  it('closing the fd and unmapping every VMA releases all EPC pages (sgx_release, sgx_encl_release)', () => {
    const w = bootWorld(D8);
    const total = plat(w).hw.epcPageCount;
    const e = setupTestEncl(w);
    expect(plat(w).nrFree).toBeLessThan(total);
    w.p.munmap(e.base, e.size);
    w.p.close(e.fd);
    expect(plat(w).nrFree).toBe(total);
    expect(plat(w).hw.validPages).toBe(0);
  });
});

