// The concurrency knobs and the driver's answers (ioctl.c): a page held by the reclaimer makes
// RESTRICT_PERMISSIONS/MODIFY_TYPES -EAGAIN and REMOVE_PAGES -EBUSY; EINIT retries
// SGX_UNMASKED_EVENT and a signal while it sleeps is -ERESTARTSYS; a concurrent ioctl is -EBUSY.
import { describe, expect, it } from 'vitest';
import { EAGAIN, EBUSY } from '../../../../src/abi/errno.js';
import { SGX_SECINFO_MODIFIED, SGX_SECINFO_R, SGX_SECINFO_TRIM, SgxPageType } from '../../../../src/arch/x86/sgx/arch.js';
import { selftestOps } from '../../../../src/arch/x86/sgx/program.js';
import { D8, holdForReclaim, releaseReclaimHold, setConcurrentIoctl, setSignalPending } from '../../../../src/drivers/sgx/index.js';
import { platformMut } from '../../../../src/drivers/sgx/common/epc.js';
import { loadEnclave } from '../../../../src/drivers/sgx/loaders/flows.js';
import { bootWorld, enclCall, manifestFromYaml, PAGE, prepare, selftestManifestYaml, setupTestEncl } from '../fixture.js';

describe('knobs', () => {
  it('a page the reclaimer holds: RESTRICT -EAGAIN, MODIFY(REG->TCS) -EAGAIN, REMOVE -EBUSY', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    const a = D8.adapter;
    expect(holdForReclaim(w.k, w.pid, e.fd, e.dataStart)).toBe(true);
    expect(a.restrictPermissions(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE, value: SGX_SECINFO_R })).toMatchObject({ ret: -EAGAIN, count: 0 });
    expect(a.modifyTypes(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE, value: SgxPageType.TCS })).toMatchObject({ ret: -EAGAIN, count: 0 });
    releaseReclaimHold(w.k, w.pid, e.fd, e.dataStart);
    expect(a.modifyTypes(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE, value: SgxPageType.TRIM })).toMatchObject({ ret: 0, count: PAGE });
    expect(enclCall(w, e.base, [selftestOps.eaccept(BigInt(e.dataStart), SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)]).results[0]).toBe(0);
    // the reclaimer takes the page off the list after the load: sgx_unmark_page_reclaimable() -> -EBUSY
    const plat = platformMut(w.k, w.inst.platform);
    const epc = plat.owners.keysArray().find((p) => { const o = plat.ownerOf(p)!; return o.kind === 'page' && o.addr === e.dataStart; })!;
    plat.isolate(epc);
    expect(a.removePages(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE })).toMatchObject({ ret: -EBUSY, count: 0 });
    platformMut(w.k, w.inst.platform).putBack(epc);
    expect(a.removePages(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE })).toMatchObject({ ret: 0, count: PAGE });
  });

  it('EINIT: SGX_UNMASKED_EVENT is retried (spin, sleep, spin); a signal while sleeping is -ERESTARTSYS', () => {
    const w = bootWorld(D8);
    platformMut(w.k, w.inst.platform).hw.setPendingEvents(25); // more than one spin round (20)
    expect(loadEnclave(D8, w.p, prepare(w, manifestFromYaml(selftestManifestYaml())), 'selftest').ok).toBe(true);
    const w3 = bootWorld(D8);
    const img = prepare(w3, manifestFromYaml(selftestManifestYaml()));
    platformMut(w3.k, w3.inst.platform).hw.setPendingEvents(Infinity);
    // the signal arrives during INIT: signal_pending() is checked once per added page (9 pages),
    // then after each msleep_interruptible() of the EINIT loop
    setSignalPending(w3.k, w3.pid, w3.inst.platform, 9);
    const r3 = loadEnclave(D8, w3.p, img, 'selftest');
    expect(r3.error).toBe('SGX_IOC_ENCLAVE_INIT failed: ERESTARTSYS');
    // without a signal the 20 x 50 retries end in SGX_UNMASKED_EVENT: an EINIT error code, -EPERM
    const w4 = bootWorld(D8);
    platformMut(w4.k, w4.inst.platform).hw.setPendingEvents(Infinity);
    expect(loadEnclave(D8, w4.p, prepare(w4, manifestFromYaml(selftestManifestYaml())), 'selftest').error).toBe('SGX_IOC_ENCLAVE_INIT failed: EPERM');
  });

  it('another thread inside an ioctl on the enclave: -EBUSY (SGX_ENCL_IOCTL)', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    setConcurrentIoctl(w.k, w.pid, e.fd, true);
    expect(D8.adapter.restrictPermissions(w.p, e.fd, { offset: 0, length: 0, value: 0 }).ret).toBe(-EBUSY);
    setConcurrentIoctl(w.k, w.pid, e.fd, false);
    expect(D8.adapter.restrictPermissions(w.p, e.fd, { offset: 0, length: 0, value: 0 }).ret).not.toBe(-EBUSY);
  });
});
