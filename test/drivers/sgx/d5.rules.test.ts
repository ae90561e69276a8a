// D5 `sgx-perms`: the rules of Sean Christopherson's RFC v4 (20190619222401.14942-*) one by one
// (designs-spec §6). Permissive runs record what security_enclave_load()/security_enclave_map()
// asked (in order); enforcing runs under builtin:default show that the first denial fails (the
// built-in policy grants none of the RFC's permissions to sgx_loader_t).
import { describe, expect, it } from 'vitest';
import { EACCES, EINVAL } from '../../../src/abi/errno.js';
import { MAP_ANONYMOUS, MAP_SHARED, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../src/abi/mman.js';
import { VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE } from '../../../src/abi/vm_flags.js';
import { SGX_SECINFO_REG } from '../../../src/arch/x86/sgx/arch.js';
import { secinfoBytes } from '../../../src/arch/x86/sgx/secinfo.js';
import { enclOf } from '../../../src/drivers/sgx/common/epc.js';
import { selinuxOf } from '../../../src/security/selinux/boot.js';
import { sgxPlatform } from '../../../src/drivers/sgx/common/install.js';
import { loadEnclave } from '../../../src/drivers/sgx/loaders/flows.js';
import { ioctlWith } from '../../../src/drivers/sgx/allow-prot/loader.js';
import { D5 } from '../../../src/drivers/sgx/sgx-perms/index.js';
import { D5_ENCLAVE_ADD_PAGE, D5_IOC_ENCLAVE_ADD_PAGE } from '../../../src/drivers/sgx/sgx-perms/uapi.js';
import { bootWorld, enclCall, EEXIT_CLEAN, manifestFromYaml, prepare, referenceManifest, runInfo, selftestManifestYaml, type World, type WorldOptions } from './fixture.js';
import { anonPages, avcAsked, avcSince, fileSource, PAGE, rfcEnclave } from './d456.case.js';

const R = PROT_READ;
const RW = PROT_READ | PROT_WRITE;
const RX = PROT_READ | PROT_EXEC;
const RWX = RW | PROT_EXEC;
const SELINUX: WorldOptions = { selinux: { policy: 'builtin:default' } };
const PERMISSIVE: WorldOptions = { selinux: { policy: 'builtin:default', enforcing: false } };

type Encl = ReturnType<typeof rfcEnclave>;

/** RFC v4 ADD_PAGE: prot, mrmask (0xffff = measured), SECINFO REG with `secinfo` permissions (default: prot). */
function addPage(w: World, c: Encl, o: { offset: number; src: number; prot: number; mrmask?: number; secinfo?: number }): number {
  return ioctlWith(w.p, c.fd, D5_IOC_ENCLAVE_ADD_PAGE, D5_ENCLAVE_ADD_PAGE, {
    addr: c.base + o.offset,
    src: o.src,
    secinfo: secinfoBytes(SGX_SECINFO_REG | BigInt(o.secinfo ?? o.prot & 7)),
    mrmask: o.mrmask ?? 0xffff,
    prot: o.prot,
    pad: 0,
  });
}

describe('security_enclave_load(vma, prot, measured) -> selinux_enclave_load() (RFC v4 09/12, 10/12)', () => {
  it('what it asks, in order, per source and protection', () => {
    const w = bootWorld(D5, PERMISSIVE);
    const c = rfcEnclave(w);
    const shmem = w.p.mmap(0, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    w.p.store(shmem, new Uint8Array(PAGE).fill(0x90));
    const cases: Array<[string, number, number, number, string[]]> = [
      ['anonymous RX, measured', anonPages(w), RX, 0xffff, ['process2:sgx_execanon']],
      ['anonymous RX, not measured', anonPages(w), RX, 0, ['process2:sgx_execunmr', 'process2:sgx_execanon']],
      ['anonymous RX, partly measured (a page is measured only with mrmask 0xffff)', anonPages(w), RX, 0x00ff, ['process2:sgx_execunmr', 'process2:sgx_execanon']],
      ['anonymous RWX', anonPages(w), RWX, 0xffff, ['process2:sgx_execdirty', 'process2:sgx_execanon']],
      ['unmodified file RX', fileSource(w, '/home/user/a.so', { prot: R }), RX, 0xffff, ['file:sgx_execute']],
      ['COWed private file RX (anon_vma)', fileSource(w, '/home/user/b.so', { prot: R, cow: true }), RX, 0xffff, ['process2:sgx_execanon']],
      ['shared anonymous memory (S_PRIVATE shmem inode) RX', shmem, RX, 0xffff, ['process2:sgx_execanon']],
      ['file RWX', fileSource(w, '/home/user/c.so', { prot: R }), RWX, 0xffff, ['process2:sgx_execdirty', 'file:sgx_execute']],
      ['no PROT_EXEC: nothing', anonPages(w), RW, 0, []],
    ];
    let off = 0;
    for (const [what, src, prot, mrmask, asked] of cases) {
      const m = w.k.trace.length;
      expect([what, addPage(w, c, { offset: off, src, prot, mrmask })]).toEqual([what, 0]);
      expect([what, avcAsked(w, m)]).toEqual([what, asked]);
      off += PAGE;
    }
  });

  it('the first denial fails the ADD (-EACCES); no narrowing', () => {
    const w = bootWorld(D5, SELINUX);
    const c = rfcEnclave(w);
    const m = w.k.trace.length;
    expect(addPage(w, c, { offset: 0, src: anonPages(w), prot: RWX, mrmask: 0 })).toBe(-EACCES);
    expect(avcSince(w, m)).toEqual(['denied process2:sgx_execdirty']);
    expect(enclOf(w.k, c.id).page(c.base)).toBeUndefined();
  });

  it('05/12: PROT_EXEC from a source without VM_MAYEXEC is -EACCES before the LSM', () => {
    const w = bootWorld(D5, PERMISSIVE);
    const c = rfcEnclave(w);
    w.k.fs.mkdir('/mnt');
    w.k.fs.mkdir('/mnt/nx');
    w.k.fs.mount('/mnt/nx', 'tmpfs', { noexec: true });
    w.k.fs.createFile('/mnt/nx/code', { data: new Uint8Array(PAGE) });
    const nx = fileSource(w, '/mnt/nx/code', { prot: R });
    const m = w.k.trace.length;
    expect(addPage(w, c, { offset: 0, src: nx, prot: RX })).toBe(-EACCES);
    expect(avcAsked(w, m)).toEqual([]);
    expect(addPage(w, c, { offset: 0, src: nx, prot: R })).toBe(0);
  });

  it('prot bits beyond RWX are masked (04/12); the v3-era -EINVAL is the rejectUnknownProt option', () => {
    const w = bootWorld(D5);
    const c = rfcEnclave(w);
    expect(addPage(w, c, { offset: 0, src: anonPages(w), prot: 0x8 | R, secinfo: R })).toBe(0);
    expect(enclOf(w.k, c.id).page(c.base)!.maxProt).toBe(R);
    const w2 = bootWorld(D5, { driver: { rejectUnknownProt: true } });
    const c2 = rfcEnclave(w2);
    expect(addPage(w2, c2, { offset: 0, src: anonPages(w2), prot: 0x8 | R, secinfo: R })).toBe(-EINVAL);
  });
});

describe('sgx_mmap(): sgx_allowed_rwx(), security_enclave_map(), VM_MAY* (RFC v4 04/12, 06/12-08/12)', () => {
  it('a mapping beyond every page\'s prot, or over a hole, is -EACCES; PROT_NONE over a hole maps with no VM_MAY* bit', () => {
    const w = bootWorld(D5);
    const c = rfcEnclave(w);
    addPage(w, c, { offset: 0x1000, src: anonPages(w), prot: RX });
    addPage(w, c, { offset: 0x2000, src: anonPages(w), prot: RW });
    expect(D5.adapter.map(w.p, c.fd, c.base + 0x1000, 2 * PAGE, R)).toBe(c.base + 0x1000); // AND = R
    expect(D5.adapter.map(w.p, c.fd, c.base + 0x1000, 2 * PAGE, RX)).toBe(-EACCES);
    expect(D5.adapter.map(w.p, c.fd, c.base, 2 * PAGE, R)).toBe(-EACCES); // hole at 0
    expect(D5.adapter.map(w.p, c.fd, c.base, PAGE, PROT_NONE)).toBe(c.base);
    expect(w.k.mm(w.pid).vmas.at(c.base)!.flags & (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)).toBe(0);
  });

  it('the VM_MAY* bits the pages lack are cleared: mprotect beyond them fails in the core test, before any hook', () => {
    const w = bootWorld(D5, SELINUX);
    const c = rfcEnclave(w);
    addPage(w, c, { offset: 0x1000, src: fileSource(w, '/home/user/code.bin', { prot: R }), prot: R });
    expect(D5.adapter.map(w.p, c.fd, c.base + 0x1000, PAGE, R)).toBe(c.base + 0x1000);
    const v = w.k.mm(w.pid).vmas.at(c.base + 0x1000)!;
    expect([!!(v.flags & VM_MAYREAD), !!(v.flags & VM_MAYWRITE), !!(v.flags & VM_MAYEXEC)]).toEqual([true, false, false]);
    const m = w.k.trace.length;
    expect(w.p.mprotect(c.base + 0x1000, PAGE, RX)).toBe(-EACCES);
    expect(w.k.trace.ofKind('avc', m)).toEqual([]);
  });

  it('W+X asks process2:sgx_mapwx at mmap and from ->may_mprotect (before security_file_mprotect())', () => {
    const w = bootWorld(D5, PERMISSIVE);
    const c = rfcEnclave(w);
    addPage(w, c, { offset: 0x1000, src: anonPages(w), prot: RWX });
    let m = w.k.trace.length;
    expect(D5.adapter.map(w.p, c.fd, c.base + 0x1000, PAGE, RWX)).toBe(c.base + 0x1000);
    // selinux_mmap_file() first (stock), then sgx_mmap() -> security_enclave_map()
    expect(avcAsked(w, m, () => true)).toEqual(['chr_file:map', 'chr_file:read,write,execute', 'process2:sgx_mapwx']);
    w.p.mprotect(c.base + 0x1000, PAGE, R);
    m = w.k.trace.length;
    expect(w.p.mprotect(c.base + 0x1000, PAGE, RWX)).toBe(0);
    expect(avcAsked(w, m, () => true)).toEqual(['process2:sgx_mapwx', 'chr_file:read,write,execute']);
    m = w.k.trace.length;
    expect(w.p.mprotect(c.base + 0x1000, PAGE, RX)).toBe(0);
    expect(avcAsked(w, m, () => true)).toEqual(['chr_file:read,execute']);
  });

  it('enforcing: the W+X mapping is denied by sgx_mapwx although the device allows write and execute; RX maps', () => {
    const w = bootWorld(D5, PERMISSIVE);
    const c = rfcEnclave(w);
    addPage(w, c, { offset: 0x1000, src: anonPages(w), prot: RWX });
    selinuxOf(w.k).setEnforcing(true);
    const m = w.k.trace.length;
    expect(D5.adapter.map(w.p, c.fd, c.base + 0x1000, PAGE, RWX)).toBe(-EACCES);
    expect(avcSince(w, m)).toEqual(['granted chr_file:read,write,execute', 'denied process2:sgx_mapwx']);
    expect(D5.adapter.map(w.p, c.fd, c.base + 0x1000, PAGE, RX)).toBe(c.base + 0x1000);
  });
});

describe('12/12 SGX2 line of sight (the sgx2 option: EAUG on fault, designs-spec §13.6)', () => {
  it('holes map (they would be EAUG\'d), a fault EAUGs a page marked SGX_VM_EAUG, and X over such pages asks process2:sgx_execdirty', () => {
    const w = bootWorld(D5, { ...PERMISSIVE, driver: { sgx2: true } });
    const r = loadEnclave(D5, w.p, prepare(w, manifestFromYaml(selftestManifestYaml())), 'selftest');
    expect(r.ok).toBe(true);
    const hole = r.base + 0x9000;
    let m = w.k.trace.length;
    expect(D5.adapter.map(w.p, r.fd, hole, PAGE, RW)).toBe(hole);
    expect(avcAsked(w, m)).toEqual([]);
    expect(w.p.tryLoad(hole, 8)).toMatchObject({ ok: true });
    expect(sgxPlatform(w.k).stats.eaug).toBe(1);
    const id = w.k.fdFile(w.pid, r.fd)!.privateData as number;
    expect(enclOf(w.k, id).page(hole)!.extra).toEqual({ eaug: true });
    m = w.k.trace.length;
    expect(w.p.mprotect(hole, PAGE, RX)).toBe(0);
    expect(avcAsked(w, m, () => true)).toEqual(['process2:sgx_execdirty', 'chr_file:read,execute']);
    // a hole mapped RX asks the same at mmap
    m = w.k.trace.length;
    expect(D5.adapter.map(w.p, r.fd, hole + PAGE, PAGE, RX)).toBe(hole + PAGE);
    expect(avcAsked(w, m)).toEqual(['chr_file:read,execute', 'process2:sgx_execdirty']);
  });

  it('without the option holes allow nothing (no EAUG path in the series)', () => {
    const w = bootWorld(D5);
    const r = loadEnclave(D5, w.p, prepare(w, manifestFromYaml(selftestManifestYaml())), 'selftest');
    expect(D5.adapter.map(w.p, r.fd, r.base + 0x9000, PAGE, RW)).toBe(-EACCES);
  });
});

describe('the July 2019 names (option julyNames; 20190710165758.GD4348@linux.intel.com, UNCERTAIN)', () => {
  it('file sources: enclave_execute (+ enclave_execmod when COWed or W); anonymous: enclave_execanon (+ enclave_execdirty when W); enclave_execunmr when not measured', () => {
    const w = bootWorld(D5, { ...PERMISSIVE, driver: { julyNames: true } });
    const c = rfcEnclave(w);
    const cases: Array<[string, number, number, number, string[]]> = [
      ['unmodified file RX', fileSource(w, '/home/user/a.so', { prot: R }), RX, 0xffff, ['file:enclave_execute']],
      ['COWed file RX', fileSource(w, '/home/user/b.so', { prot: R, cow: true }), RX, 0xffff, ['file:enclave_execute', 'file:enclave_execmod']],
      ['file RWX', fileSource(w, '/home/user/c.so', { prot: R }), RWX, 0xffff, ['file:enclave_execute', 'file:enclave_execmod']],
      ['anonymous RWX, not measured', anonPages(w), RWX, 0, ['process2:enclave_execanon', 'process2:enclave_execdirty', 'process2:enclave_execunmr']],
    ];
    let off = 0;
    for (const [what, src, prot, mrmask, asked] of cases) {
      const m = w.k.trace.length;
      expect([what, addPage(w, c, { offset: off, src, prot, mrmask })]).toEqual([what, 0]);
      expect([what, avcAsked(w, m)]).toEqual([what, asked]);
      off += PAGE;
    }
  });
});

describe('D5 canonical loader', () => {
  it('with sgx_execute on the image (permissive) the rewritten selftest flow loads and enters the reference enclave', () => {
    const w = bootWorld(D5, PERMISSIVE);
    const { manifest, reader } = referenceManifest();
    const r = loadEnclave(D5, w.p, prepare(w, manifest, reader));
    expect(r.error ?? null).toBeNull();
    expect(runInfo(enclCall(w, r.tcs[0], [{ op: 'load', addr: BigInt(r.base + 0x4000) }]))).toEqual(EEXIT_CLEAN);
    const denied = w.k.trace.ofKind('avc').filter((e) => e.decision === 'denied').map((e) => `${e.tclass}:${e.requested.join(',')}`);
    expect(denied).toEqual([]); // sgx_execute on the image (lib_t) is granted by builtin:default (docs/policies.md)
  });
});
