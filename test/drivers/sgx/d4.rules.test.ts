// D4 `allow-prot`: the rules of Sean Christopherson's RFC v1 (20190531233159.30992-*) and v2
// (20190606021145.12604-*) one by one (designs-spec §5), under builtin:default in sgx_loader_t where
// SELinux decides: there sgx_loader_t may execute lib_t files but not user_home_t or tmp_t ones,
// has no execmod, and has execmem only with the boolean sgx_loader_execmem (docs/policies.md).
import { describe, expect, it } from 'vitest';
import { EACCES, EFAULT, ERESTARTSYS } from '../../../src/abi/errno.js';
import { O_RDONLY } from '../../../src/abi/fcntl.js';
import { MAP_PRIVATE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../src/abi/mman.js';
import { VM_EXEC, VM_READ, VM_WRITE } from '../../../src/abi/vm_flags.js';
import { SGX_SECINFO_REG } from '../../../src/arch/x86/sgx/arch.js';
import { secinfoBytes } from '../../../src/arch/x86/sgx/secinfo.js';
import { selinuxOf } from '../../../src/security/selinux/boot.js';
import { enclOf } from '../../../src/drivers/sgx/common/epc.js';
import { setSignalPending } from '../../../src/drivers/sgx/common/knobs.js';
import { loadEnclave } from '../../../src/drivers/sgx/loaders/flows.js';
import { D4_V1, D4_V2 } from '../../../src/drivers/sgx/allow-prot/index.js';
import { ioctlWith } from '../../../src/drivers/sgx/allow-prot/loader.js';
import { D4V1_ENCLAVE_ADD_PAGES, D4V1_IOC_ENCLAVE_ADD_PAGES, D4V2_ENCLAVE_ADD_PAGE, D4V2_IOC_ENCLAVE_ADD_PAGE } from '../../../src/drivers/sgx/allow-prot/uapi.js';
import { bootWorld, enclCall, EEXIT_CLEAN, prepare, referenceManifest, runInfo, type World, type WorldOptions } from './fixture.js';
import { anonPages, avcAsked, avcSince, fileSource, PAGE, rfcEnclave } from './d456.case.js';

const R = PROT_READ;
const RW = PROT_READ | PROT_WRITE;
const RX = PROT_READ | PROT_EXEC;
const RWX = RW | PROT_EXEC;
const SELINUX: WorldOptions = { selinux: { policy: 'builtin:default' } };
const PERMISSIVE: WorldOptions = { selinux: { policy: 'builtin:default', enforcing: false } };
const LIB = 'lib_t';

type Encl = ReturnType<typeof rfcEnclave>;

/** RFC v1 ADD_PAGES with SECINFO R/W/X `secinfo` and SGX_ALLOW_* `allowed`. */
function addV1(w: World, c: Encl, o: { offset: number; src: number; secinfo: number; allowed: number; nr?: number }): number {
  return ioctlWith(w.p, c.fd, D4V1_IOC_ENCLAVE_ADD_PAGES, D4V1_ENCLAVE_ADD_PAGES, {
    addr: c.base + o.offset,
    src: o.src,
    secinfo: secinfoBytes(SGX_SECINFO_REG | BigInt(o.secinfo)),
    nr_pages: o.nr ?? 1,
    mrmask: 0xffff,
    flags: o.allowed,
  });
}

/** RFC v2 ADD_PAGE with SECINFO `secinfo` and maximal PROT_* `prot`. */
function addV2(w: World, c: Encl, o: { offset: number; src: number; secinfo: number; prot: number }): number {
  return ioctlWith(w.p, c.fd, D4V2_IOC_ENCLAVE_ADD_PAGE, D4V2_ENCLAVE_ADD_PAGE, { addr: c.base + o.offset, src: o.src, secinfo: secinfoBytes(SGX_SECINFO_REG | BigInt(o.secinfo)), flags: o.prot, mrmask: 0xffff });
}

function maxProt(w: World, c: Encl, offset: number): number | undefined {
  return enclOf(w.k, c.id).page(c.base + offset)?.maxProt;
}

function noexecFile(w: World): number {
  w.k.fs.mkdir('/mnt');
  w.k.fs.mkdir('/mnt/nx');
  w.k.fs.mount('/mnt/nx', 'tmpfs', { noexec: true });
  w.k.fs.createFile('/mnt/nx/code', { data: new Uint8Array(PAGE).fill(0xcc) });
  return w.p.mmap(0, PAGE, R, MAP_PRIVATE, w.p.open('/mnt/nx/code', O_RDONLY), 0);
}

describe('D4 v1: ALLOW_* and selinux_enclave_load() narrowing (RFC v1 3/9, 7/9, 8/9, 9/9)', () => {
  it('X from a source that is not VM_EXEC needs EXECUTE on its file; denied: narrowed if the SECINFO lacks X, else -EACCES', () => {
    const w = bootWorld(D4_V1, SELINUX);
    const c = rfcEnclave(w);
    const home = fileSource(w, '/home/user/code.bin', { prot: R });
    let m = w.k.trace.length;
    expect(addV1(w, c, { offset: 0x1000, src: home, secinfo: R, allowed: RX })).toBe(0);
    expect(avcSince(w, m)).toEqual(['denied file:execute']); // audited although userspace only *allowed* X (Smalley's objection)
    expect(maxProt(w, c, 0x1000)).toBe(VM_READ);
    expect(D4_V1.adapter.map(w.p, c.fd, c.base + 0x1000, PAGE, RX)).toBe(-EACCES);
    expect(D4_V1.adapter.map(w.p, c.fd, c.base + 0x1000, PAGE, R)).toBe(c.base + 0x1000);
    m = w.k.trace.length;
    expect(addV1(w, c, { offset: 0x2000, src: home, secinfo: RX, allowed: RX })).toBe(-EACCES);
    expect(avcSince(w, m)).toEqual(['denied file:execute']);
    // lib_t: EXECUTE granted
    const lib = fileSource(w, '/home/user/lib.so', { prot: R, type: LIB });
    expect(addV1(w, c, { offset: 0x3000, src: lib, secinfo: RX, allowed: RX })).toBe(0);
    expect(maxProt(w, c, 0x3000)).toBe(VM_READ | VM_EXEC);
  });

  it('a VM_EXEC source skips the EXECUTE test; allowed W+X needs EXECMOD: denied clears W if the SECINFO has X, else X; SECINFO W+X fails', () => {
    const w = bootWorld(D4_V1, SELINUX);
    const c = rfcEnclave(w);
    const lib = fileSource(w, '/home/user/lib.so', { prot: RX, type: LIB });
    let m = w.k.trace.length;
    expect(addV1(w, c, { offset: 0x1000, src: lib, secinfo: RX, allowed: RWX })).toBe(0);
    expect(avcSince(w, m)).toEqual(['denied file:execmod']);
    expect(maxProt(w, c, 0x1000)).toBe(VM_READ | VM_EXEC);
    expect(addV1(w, c, { offset: 0x2000, src: lib, secinfo: RW, allowed: RWX })).toBe(0);
    expect(maxProt(w, c, 0x2000)).toBe(VM_READ | VM_WRITE);
    m = w.k.trace.length;
    expect(addV1(w, c, { offset: 0x3000, src: lib, secinfo: RWX, allowed: RWX })).toBe(-EACCES);
    expect(avcSince(w, m)).toEqual(['denied file:execmod']);
    expect(maxProt(w, c, 0x3000)).toBeUndefined();
  });

  it('anonymous sources: EXECMEM (not EXECUTE); granted with sgx_loader_execmem', () => {
    const w = bootWorld(D4_V1, SELINUX);
    const c = rfcEnclave(w);
    const anon = anonPages(w);
    let m = w.k.trace.length;
    expect(addV1(w, c, { offset: 0x1000, src: anon, secinfo: R, allowed: RX })).toBe(0);
    expect(avcSince(w, m)).toEqual(['denied process:execmem']);
    expect(maxProt(w, c, 0x1000)).toBe(VM_READ);
    selinuxOf(w.k).setBoolean('sgx_loader_execmem', true);
    m = w.k.trace.length;
    expect(addV1(w, c, { offset: 0x2000, src: anon, secinfo: RWX, allowed: RWX })).toBe(0);
    // not VM_EXEC -> EXECMEM; then W+X allowed -> EXECMEM again (anonymous)
    expect(avcSince(w, m)).toEqual(['granted process:execmem', 'granted process:execmem']);
    expect(maxProt(w, c, 0x2000)).toBe(VM_READ | VM_WRITE | VM_EXEC);
  });

  it('7/9: a source on a noexec mount loses ALLOW_EXEC before the LSM is asked', () => {
    const w = bootWorld(D4_V1, PERMISSIVE);
    const c = rfcEnclave(w);
    const nx = noexecFile(w);
    const m = w.k.trace.length;
    expect(addV1(w, c, { offset: 0x1000, src: nx, secinfo: R, allowed: RX })).toBe(0);
    expect(maxProt(w, c, 0x1000)).toBe(VM_READ);
    expect(addV1(w, c, { offset: 0x2000, src: nx, secinfo: RX, allowed: RX })).toBe(-EACCES);
    expect(avcAsked(w, m)).toEqual([]);
  });

  it('the SECINFO permissions must be a subset of the allowed protections (-EACCES); no VMA at src is -EFAULT (model choice)', () => {
    const w = bootWorld(D4_V1);
    const c = rfcEnclave(w);
    expect(addV1(w, c, { offset: 0x1000, src: anonPages(w), secinfo: RW, allowed: R })).toBe(-EACCES);
    expect(addV1(w, c, { offset: 0x1000, src: 0x1000, secinfo: R, allowed: R })).toBe(-EFAULT);
  });

  it('3/9: a signal in the page loop is -ERESTARTSYS even after pages were added (no count)', () => {
    const w = bootWorld(D4_V1);
    const c = rfcEnclave(w);
    const src = anonPages(w, 4);
    setSignalPending(w.k, w.pid, w.inst.platform, 2);
    expect(addV1(w, c, { offset: 0, src, secinfo: RW, allowed: RW, nr: 4 })).toBe(-ERESTARTSYS);
    expect([0, 1, 2, 3].map((i) => maxProt(w, c, i * PAGE) !== undefined)).toEqual([true, true, false, false]);
  });
});

describe('D4 v2: PROT_* maximum, VM_MAYEXEC, reject-only selinux_enclave_load() (RFC v2 2/5, 3/5, 5/5)', () => {
  it('the decision table of 5/5 (intended grouping)', () => {
    const w = bootWorld(D4_V2, PERMISSIVE);
    const c = rfcEnclave(w);
    const cases: Array<[string, number, number, string[]]> = [
      ['anonymous, X', anonPages(w), RX, ['process:execmem']],
      ['unmodified private file, X', fileSource(w, '/home/user/a.so', { prot: R }), RX, ['file:execute']],
      ['VM_EXEC file, X without W: nothing', fileSource(w, '/home/user/b.so', { prot: RX }), RX, []],
      ['COWed private file (anon_vma), X', fileSource(w, '/home/user/c.so', { prot: R, cow: true }), RX, ['file:execmod']],
      ['private file, W+X', fileSource(w, '/home/user/d.so', { prot: R }), RWX, ['process:execmem']],
      ['shared file mapping, W+X', fileSource(w, '/tmp/e.so', { prot: RW, shared: true }), RWX, ['file:execmod']],
      ['VM_EXEC file, W+X', fileSource(w, '/home/user/f.so', { prot: RX }), RWX, ['process:execmem']],
      ['no X: nothing', anonPages(w), RW, []],
    ];
    let off = 0x1000;
    for (const [what, src, prot, avc] of cases) {
      const m = w.k.trace.length;
      expect([what, addV2(w, c, { offset: off, src, secinfo: prot & 7, prot })]).toEqual([what, 0]);
      expect([what, avcAsked(w, m)]).toEqual([what, avc]);
      off += PAGE;
    }
  });

  it('denials reject (no narrowing); a noexec source with PROT_EXEC is -EACCES before the LSM (3/5)', () => {
    const w = bootWorld(D4_V2, SELINUX);
    const c = rfcEnclave(w);
    expect(addV2(w, c, { offset: 0x1000, src: fileSource(w, '/home/user/a.so', { prot: R }), secinfo: R, prot: RX })).toBe(-EACCES);
    expect(maxProt(w, c, 0x1000)).toBeUndefined();
    expect(addV2(w, c, { offset: 0x1000, src: fileSource(w, '/home/user/lib.so', { prot: R, type: LIB }), secinfo: R, prot: RX })).toBe(0);
    const w2 = bootWorld(D4_V2, PERMISSIVE);
    const c2 = rfcEnclave(w2);
    const nx = noexecFile(w2);
    const m = w2.k.trace.length;
    expect(addV2(w2, c2, { offset: 0x2000, src: nx, secinfo: R, prot: RX })).toBe(-EACCES);
    expect(avcAsked(w2, m)).toEqual([]);
    expect(addV2(w2, c2, { offset: 0x2000, src: nx, secinfo: R, prot: R })).toBe(0);
  });

  it('"Don\'t validate the SECINFO protection flags": SECINFO RWX with PROT_READ is added; the mapping is capped at R', () => {
    const w = bootWorld(D4_V2);
    const c = rfcEnclave(w);
    expect(addV2(w, c, { offset: 0x1000, src: anonPages(w), secinfo: RWX, prot: R })).toBe(0);
    expect(D4_V2.adapter.map(w.p, c.fd, c.base + 0x1000, PAGE, RX)).toBe(-EACCES);
    expect(D4_V2.adapter.map(w.p, c.fd, c.base + 0x1000, PAGE, R)).toBe(c.base + 0x1000);
  });
});

describe('D4 mapping rules (RFC v1 4/9-6/9, v2 1/5-3/5)', () => {
  for (const d of [D4_V1, D4_V2]) {
    it(`${d.key}: holes map only PROT_NONE; mmap and mprotect beyond a page's maximum are -EACCES`, () => {
      const w = bootWorld(d);
      const c = rfcEnclave(w);
      d.adapter.addPages(w.p, c.fd, { offset: 0x2000, src: anonPages(w), length: PAGE, type: 'REG', perms: RX, measure: true });
      expect(d.adapter.map(w.p, c.fd, c.base, 0x4000, PROT_NONE)).toBe(c.base);
      expect(d.adapter.map(w.p, c.fd, c.base, 0x4000, R)).toBe(-EACCES); // hole at 0..0x2000
      expect(d.adapter.map(w.p, c.fd, c.base + 0x2000, PAGE, RW)).toBe(-EACCES);
      expect(d.adapter.map(w.p, c.fd, c.base + 0x2000, PAGE, R)).toBe(c.base + 0x2000);
      expect(w.p.mprotect(c.base + 0x2000, PAGE, RX)).toBe(0);
      expect(w.p.mprotect(c.base + 0x2000, PAGE, RWX)).toBe(-EACCES);
      expect(d.adapter.map(w.p, c.fd, c.base, PAGE, PROT_NONE)).toBe(c.base);
      expect(w.p.mprotect(c.base, PAGE, R)).toBe(-EACCES); // a hole
    });

    it(`${d.key}: ->may_mprotect runs before security_file_mprotect(): the driver's refusal leaves no AVC record`, () => {
      const w = bootWorld(d, SELINUX);
      const c = rfcEnclave(w);
      d.adapter.addPages(w.p, c.fd, { offset: 0x2000, src: fileSource(w, '/home/user/lib.so', { prot: RX, type: LIB }), length: PAGE, type: 'REG', perms: RX, measure: true });
      d.adapter.map(w.p, c.fd, c.base + 0x2000, PAGE, R);
      let m = w.k.trace.length;
      expect(w.p.mprotect(c.base + 0x2000, PAGE, RWX)).toBe(-EACCES);
      expect(w.k.trace.ofKind('avc', m)).toEqual([]);
      m = w.k.trace.length;
      expect(w.p.mprotect(c.base + 0x2000, PAGE, RX)).toBe(0);
      expect(w.k.trace.ofKind('avc', m).map((e) => `${e.hook} ${e.decision} ${e.tclass}:${e.requested.join(',')}`)).toEqual(['file_mprotect granted chr_file:read,execute']);
    });
  }
});

describe('D4 canonical loader', () => {
  for (const d of [D4_V1, D4_V2]) {
    it(`${d.key}: with execute on the image (permissive) the rewritten selftest flow loads and enters the reference enclave`, () => {
      const w = bootWorld(d, PERMISSIVE);
      const { manifest, reader } = referenceManifest();
      const r = loadEnclave(d, w.p, prepare(w, manifest, reader));
      expect(r.error ?? null).toBeNull();
      expect(runInfo(enclCall(w, r.tcs[0], [{ op: 'load', addr: BigInt(r.base + 0x4000) }]))).toEqual(EEXIT_CLEAN);
      expect(runInfo(enclCall(w, r.tcs[1], [{ op: 'load', addr: BigInt(r.base + 0x4000) }]))).toEqual(EEXIT_CLEAN);
      const denied = w.k.trace.ofKind('avc').filter((e) => e.decision === 'denied').map((e) => `${e.tclass}:${e.requested.join(',')}`);
      expect(denied).toEqual([]); // the image's PROT_EXEC source mapping asks execute on lib_t, which builtin:default grants
    });
  }
});

