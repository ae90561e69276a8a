// __vdso_sgx_enter_enclave() and the kernel's side of enclave faults (vsgx.S, fault.c, encl.c).
import { describe, expect, it } from 'vitest';
import { EINVAL } from '../../../../src/abi/errno.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../../src/abi/mman.js';
import { EncluLeaf } from '../../../../src/arch/x86/sgx/arch.js';
import { selftestOps } from '../../../../src/arch/x86/sgx/program.js';
import { D7, D8, vdsoSgxEnterEnclave } from '../../../../src/drivers/sgx/index.js';
import { enclOf, sgxReclaimPages } from '../../../../src/drivers/sgx/common/epc.js';
import { enclIdOfFd } from '../../../../src/drivers/sgx/common/knobs.js';
import { bootWorld, EEXIT_CLEAN, enclCall, MAGIC, PAGE, runInfo, secsBytes, setupTestEncl } from '../fixture.js';

describe('vDSO enter path', () => {
  it('refuses leaves other than EENTER/ERESUME with -EINVAL (vsgx.S)', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    expect(vdsoSgxEnterEnclave(w.k, w.pid, { leaf: EncluLeaf.EEXIT, tcs: e.base }).ret).toBe(-EINVAL);
  });

  it('the user handler sees the exception and can re-enter with ERESUME after fixing it', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    w.p.mprotect(e.dataStart, PAGE, PROT_READ);
    const seen: number[] = [];
    const r = vdsoSgxEnterEnclave(w.k, w.pid, {
      leaf: 'EENTER',
      tcs: e.base,
      program: [selftestOps.putToAddress(BigInt(e.dataStart), MAGIC), selftestOps.getFromAddress(BigInt(e.dataStart))],
      userHandler: (run) => {
        seen.push(run.exceptionErrorCode);
        if (run.function === EncluLeaf.EEXIT) return 0;
        w.p.mprotect(e.dataStart, PAGE, PROT_READ | PROT_WRITE);
        return EncluLeaf.ERESUME;
      },
    });
    // the page was never touched: its PTE is not present, so the write faults with W|U (0x6)
    expect(seen).toEqual([0x6, 0]);
    expect(runInfo(r)).toMatchObject(EEXIT_CLEAN);
    expect(r.results[1]).toBe(MAGIC);
  });

  it('evicted TCS, SSA and entry pages come back transparently (ELDU on the entry faults)', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    const id = enclIdOfFd(w.k, w.pid, e.fd)!;
    while (enclOf(w.k, id).secsChildCnt > 0) sgxReclaimPages(w.k, w.inst.platform);
    expect(runInfo(enclCall(w, e.base, [selftestOps.nop()]))).toEqual(EEXIT_CLEAN);
  });

  it('enclave accesses outside ELRANGE reach ordinary memory; fetches there: NX #PF first, else #GP', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    const buf = w.p.mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    const r = enclCall(w, e.base, [selftestOps.putToAddress(BigInt(buf), MAGIC)]);
    expect(runInfo(r)).toEqual(EEXIT_CLEAN);
    expect(w.p.loadU64(buf)).toBe(MAGIC);
    // paging is checked first (SDM Vol. 3D 34.3): an NX page is a #PF(P|U|I) the kernel delivers
    const nx = enclCall(w, e.base, [{ op: 'exec', addr: BigInt(buf) }]);
    expect([nx.exceptionVector, nx.exceptionErrorCode]).toEqual([14, 0x15]);
    const xbuf = w.p.mmap(0, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS);
    const gp = enclCall(w, e.base, [{ op: 'exec', addr: BigInt(xbuf) }]);
    expect(gp.exceptionVector).toBe(13);
  });

  it('outside enclave mode the task reads all ones from EPC and its writes are dropped (abort page)', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    enclCall(w, e.base, [selftestOps.putToAddress(BigInt(e.dataStart), MAGIC)]);
    expect(Array.from(w.p.load(e.dataStart, 4))).toEqual([0xff, 0xff, 0xff, 0xff]);
    w.p.store(e.dataStart, new Uint8Array(8));
    expect(enclCall(w, e.base, [selftestOps.getFromAddress(BigInt(e.dataStart))]).results[0]).toBe(MAGIC);
  });

  it('D7 before INIT: a page added before INIT can be faulted in (5.11 has no INITIALIZED check in the fault path)', () => {
    const w = bootWorld(D7);
    const fd = D7.adapter.openEnclave(w.p);
    const area = w.p.mmap(0, 0x20000, 0, MAP_PRIVATE | MAP_ANONYMOUS);
    const base = Math.ceil(area / 0x10000) * 0x10000;
    D7.adapter.create(w.p, fd, secsBytes({ size: 0x10000n, base: BigInt(base) }));
    const src = w.p.mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    D7.adapter.addPages(w.p, fd, { offset: 0, src, length: PAGE, type: 'REG', perms: 3, measure: false });
    D7.adapter.map(w.p, fd, base, 2 * PAGE, PROT_READ | PROT_WRITE);
    expect(w.p.tryLoad(base, 8).ok).toBe(true);
    expect(w.p.tryLoad(base + PAGE, 8)).toMatchObject({ ok: false, signal: 'SIGBUS' });
  });
});
