// Mainline driver details beyond the shared suite, each against the 6.1 source
// (arch/x86/kernel/cpu/sgx/{ioctl.c,driver.c,encl.c}) and mm/mmap.c.
import { describe, expect, it } from 'vitest';
import { EACCES, EFAULT, EINVAL, EIO, ENOENT, EPERM } from '../../../../src/abi/errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../../src/abi/mman.js';
import { O_RDONLY, O_RDWR } from '../../../../src/abi/fcntl.js';
import { VM_DONTDUMP, VM_DONTEXPAND, VM_IO, VM_PFNMAP } from '../../../../src/abi/vm_flags.js';
import { SGX_SECINFO_REG, SGX_SECINFO_R, SIGSTRUCT_OFF } from '../../../../src/arch/x86/sgx/arch.js';
import { D7, D8 } from '../../../../src/drivers/sgx/index.js';
import { enclOf, platformOf } from '../../../../src/drivers/sgx/common/epc.js';
import { enclIdOfFd } from '../../../../src/drivers/sgx/common/knobs.js';
import { reserveElrange } from '../../../../src/drivers/sgx/loaders/flows.js';
import { ioctlStruct } from '../../../../src/drivers/sgx/mainline/adapter.js';
import { SGX_ENCLAVE_ADD_PAGES, SGX_IOC_ENCLAVE_ADD_PAGES, SGX_IOC_ENCLAVE_INIT, SGX_IOC_ENCLAVE_CREATE } from '../../../../src/drivers/sgx/mainline/uapi.js';
import { secinfoBytes } from '../../../../src/arch/x86/sgx/secinfo.js';
import { Kernel } from '../../../../src/kernel/kernel.js';
import { bootWorld, crypto, PAGE, secsBytes, setupTestEncl, type World } from '../fixture.js';

const RW = PROT_READ | PROT_WRITE;

function created(w: World, size = 0x10000) {
  const fd = D8.adapter.openEnclave(w.p);
  const base = reserveElrange(w.p, size);
  expect(D8.adapter.create(w.p, fd, secsBytes({ size: BigInt(size), base: BigInt(base) })).ret).toBe(0);
  return { fd, base };
}

describe('SGX_IOC_ENCLAVE_ADD_PAGES details (sgx_ioc_enclave_add_pages, __sgx_encl_add_page)', () => {
  it('find_vma() returns the next VMA for a source in a hole: its VM_MAYEXEC is checked before get_user_pages()', () => {
    const w = bootWorld(D8);
    w.k.fs.mkdir('/mnt');
    w.k.fs.mkdir('/mnt/nx');
    w.k.fs.mount('/mnt/nx', 'tmpfs', { noexec: true });
    w.k.fs.createFile('/mnt/nx/f', { data: new Uint8Array(2 * PAGE) });
    const { fd } = created(w);
    const f = w.p.open('/mnt/nx/f', O_RDONLY);
    const m = w.p.mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, f, 0);
    w.p.munmap(m, PAGE); // a hole right below the noexec mapping
    const add = (src: number) => D8.adapter.addPages(w.p, fd, { offset: 0, src, length: PAGE, type: 'REG', perms: 1, measure: false }).ret;
    expect(add(m)).toBe(-EACCES);
    // a hole below an exec-capable VMA: the VM_MAYEXEC check passes and GUP fails
    const a = w.p.mmap(0, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    w.p.munmap(a, PAGE);
    expect(add(a)).toBe(-EFAULT);
  });
  it('a PROT_NONE source is EFAULT (GUP needs VM_READ); a MAP_SHARED file source works', () => {
    const w = bootWorld(D8);
    const { fd } = created(w);
    const none = w.p.mmap(0, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
    expect(D8.adapter.addPages(w.p, fd, { offset: 0, src: none, length: PAGE, type: 'REG', perms: 1, measure: false }).ret).toBe(-EFAULT);
    w.k.fs.createFile('/tmp/code', { data: new Uint8Array(PAGE).fill(0x90) });
    const f = w.p.open('/tmp/code', O_RDWR);
    const sh = w.p.mmap(0, PAGE, RW, MAP_SHARED, f, 0);
    expect(D8.adapter.addPages(w.p, fd, { offset: 0, src: sh, length: PAGE, type: 'REG', perms: 5, measure: true }).ret).toBe(0);
  });
  it('count is written back even when a later page fails', () => {
    const w = bootWorld(D8);
    const { fd } = created(w);
    const src = w.p.mmap(0, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    w.p.munmap(src + PAGE, PAGE);
    expect(D8.adapter.addPages(w.p, fd, { offset: 0, src, length: 3 * PAGE, type: 'REG', perms: 3, measure: false })).toMatchObject({ ret: -EFAULT, count: PAGE });
  });
  it('check order: the argument copy, then src alignment, then the SECINFO copy', () => {
    const w = bootWorld(D8);
    const { fd } = created(w);
    expect(w.p.ioctl(fd, SGX_IOC_ENCLAVE_ADD_PAGES, 0x10)).toBe(-EFAULT);
    const src = w.p.mmap(0, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    const badSecinfo = { src: src + 1, offset: 0, length: PAGE, secinfo: 0x10, flags: 0, count: 0 };
    expect(ioctlStruct(w.p, fd, SGX_IOC_ENCLAVE_ADD_PAGES, SGX_ENCLAVE_ADD_PAGES, badSecinfo).ret).toBe(-EINVAL);
    expect(ioctlStruct(w.p, fd, SGX_IOC_ENCLAVE_ADD_PAGES, SGX_ENCLAVE_ADD_PAGES, { ...badSecinfo, src }).ret).toBe(-EFAULT);
    // flags is not validated: unknown bits are ignored
    expect(ioctlStruct(w.p, fd, SGX_IOC_ENCLAVE_ADD_PAGES, SGX_ENCLAVE_ADD_PAGES, { src, offset: 0, length: PAGE, secinfo: secinfoBytes(SGX_SECINFO_REG | SGX_SECINFO_R), flags: 0xf0n, count: 0 }).ret).toBe(0);
  });
  it('SGX_PAGE_MEASURE: 16 EEXTENDs per page', () => {
    const w = bootWorld(D8);
    const { fd } = created(w);
    const src = w.p.mmap(0, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    const hw = () => platformOf(w.k, w.inst.platform).hw;
    const secs = () => hw().secs(enclOf(w.k, enclIdOfFd(w.k, w.pid, fd)!).secs.epc!)!;
    const u0 = secs().measurementUpdates;
    D8.adapter.addPages(w.p, fd, { offset: 0, src, length: PAGE, type: 'REG', perms: 3, measure: false });
    const u1 = secs().measurementUpdates;
    D8.adapter.addPages(w.p, fd, { offset: PAGE, src, length: PAGE, type: 'REG', perms: 3, measure: true });
    // SDM: EADD absorbs one 64-byte block; each EEXTEND one header block + 256 bytes (4 blocks)
    expect(u1 - u0).toBe(1);
    expect(secs().measurementUpdates - u1).toBe(1 + 16 * 5);
  });
});

describe('SGX_IOC_ENCLAVE_INIT details (sgx_ioc_enclave_init, sgx_encl_init)', () => {
  const initWith = (mutate: (dv: DataView) => void) => {
    const w = bootWorld(D8);
    const { fd } = created(w);
    const ss = new Uint8Array(1808);
    mutate(new DataView(ss.buffer));
    return D8.adapter.init(w.p, fd, ss).ret;
  };
  it('reserved attribute, MISCSELECT and XFRM bits under their masks are EINVAL (before EINIT)', () => {
    expect(initWith((v) => { v.setBigUint64(SIGSTRUCT_OFF.attributes, 1n << 3n, true); v.setBigUint64(SIGSTRUCT_OFF.attributeMask, 1n << 3n, true); })).toBe(-EINVAL);
    expect(initWith((v) => { v.setBigUint64(SIGSTRUCT_OFF.attributes, 1n << 3n, true); })).toBe(-EPERM); // not masked: EINIT runs and fails with an SGX error code
    expect(initWith((v) => { v.setUint32(SIGSTRUCT_OFF.miscselect, 2, true); v.setUint32(SIGSTRUCT_OFF.miscmask, 2, true); })).toBe(-EINVAL);
    expect(initWith((v) => { v.setBigUint64(SIGSTRUCT_OFF.attributes + 8, 1n << 62n, true); v.setBigUint64(SIGSTRUCT_OFF.attributeMask + 8, 1n << 62n, true); })).toBe(-EINVAL);
  });
  it('a bad SIGSTRUCT pointer is EFAULT', () => {
    const w = bootWorld(D8);
    const { fd } = created(w);
    expect(w.p.ioctl(fd, SGX_IOC_ENCLAVE_INIT, w.p.struct({ name: 'i', size: 8, packed: false, fields: [{ name: 's', offset: 0, type: 'u64', size: 8, dir: 'in' }] }, { s: 0x10 }))).toBe(-EFAULT);
  });
});

describe('devices, mmap and open (driver.c, mm/mmap.c)', () => {
  it('no flexible launch control: no devices (sgx_drv_init() -ENODEV)', () => {
    const k = Kernel.boot();
    const inst = D8.install(k, { crypto, cpu: { flc: false } });
    expect(inst.devices).toEqual({});
    const pid = k.spawn({ comm: 't' });
    expect(k.sys.open(pid, '/dev/sgx_enclave', O_RDWR)).toBe(-ENOENT);
  });
  it('the enclave VMA is VM_PFNMAP|VM_IO|VM_DONTEXPAND|VM_DONTDUMP; MAP_SHARED_VALIDATE passes get_unmapped_area', () => {
    const w = bootWorld(D8);
    const fd = D8.adapter.openEnclave(w.p);
    const a = w.p.mmap(0, 2 * PAGE, PROT_READ, MAP_SHARED_VALIDATE, fd, 0);
    expect(a).toBeGreaterThan(0);
    const v = w.k.mm(w.pid).vmas.at(a)!;
    expect(v.flags & (VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP)).toBe(VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
    expect(w.k.procMaps(w.pid)).toContain(' /dev/sgx_enclave');
  });
  it('an O_RDONLY fd builds an enclave (no f_mode check) but cannot map it shared writable', () => {
    const w = bootWorld(D8);
    const fd = w.p.open('/dev/sgx_enclave', O_RDONLY);
    const base = reserveElrange(w.p, 0x10000);
    expect(D8.adapter.create(w.p, fd, secsBytes({ size: 0x10000n, base: BigInt(base) })).ret).toBe(0);
    expect(w.p.mmap(base, PAGE, RW, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(-EACCES);
    expect(w.p.mmap(base, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(base);
  });
  it('PROVISION through the /dev/sgx/provision alias is the same device', () => {
    const w = bootWorld(D8, { devSgxLinks: true });
    const { fd } = created(w);
    expect(D8.adapter.provision(w.p, fd, w.p.open('/dev/sgx/provision', O_RDWR)).ret).toBe(0);
    expect(D8.adapter.provision(w.p, fd, 1234).ret).toBe(-EINVAL);
  });
  it('after EAUG the page\'s maximum is RWX: any mapping of it passes sgx_encl_may_map() (the SGX2 hole)', () => {
    const w = bootWorld(D8);
    const e = setupTestEncl(w);
    const hole = e.base + e.totalSize;
    D8.adapter.map(w.p, e.fd, hole, PAGE, PROT_READ);
    w.p.load(hole, 1); // fault -> EAUG
    expect(w.p.mprotect(hole, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC)).toBe(0);
  });
});

describe('driver options', () => {
  it('unknown options and versions are readable errors', () => {
    expect(() => D8.install(Kernel.boot(), { crypto, driver: { nope: 1 } })).toThrow(/unknown driver option 'nope'/);
    expect(() => D8.install(Kernel.boot(), { crypto, driver: { version: '5.11' } })).toThrow(/version: '5.11' is not one of 6.0, 6.1/);
    expect(() => D7.install(Kernel.boot(), { crypto, driver: { overflowCheck: 'yes' } })).toThrow(/overflowCheck: expected true or false/);
  });
  it('D8 with version 6.0 has no overflow check: a wrapping offset reaches EADD (-EIO)', () => {
    const w = bootWorld(D8, { driver: { version: '6.0' } });
    const { fd } = created(w);
    const src = w.p.mmap(0, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    expect(D8.adapter.addPages(w.p, fd, { offset: (1n << 64n) - 0x1000n, src, length: 2 * PAGE, type: 'REG', perms: 3, measure: false })).toMatchObject({ ret: -EIO, count: 0 });
  });
  it('CREATE is refused before anything else when already created', () => {
    const w = bootWorld(D8);
    const { fd } = created(w);
    expect(w.p.ioctl(fd, SGX_IOC_ENCLAVE_CREATE, 0)).toBe(-EINVAL);
  });
});

