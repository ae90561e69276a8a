// D0 `v20`: the driver's own rules, holes and choices (docs/designs.md §D0). Each expectation names
// where it comes from: the v20 code (driver/main.c, driver/ioctl.c, encl.c of the v20-era tree,
// designs-spec §1), the seed thread, the kernel (mm/, fs/, security/selinux/hooks.c, Linux 6.1) or
// the SDM; model choices say so.
import { describe, expect, it } from 'vitest';
import { EACCES, EBADF, EEXIST, EFAULT, EFBIG, EINVAL, ENOTTY, isErr } from '../../../src/abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../../src/abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../src/abi/mman.js';
import { VM_EXEC } from '../../../src/abi/vm_flags.js';
import { READ_IMPLIES_EXEC } from '../../../src/abi/personality.js';
import { MAJOR, MINOR } from '../../../src/abi/stat.js';
import { EncluLeaf, SGX_ATTR_MODE64BIT, SGX_ATTR_PROVISIONKEY, SGX_SECINFO_R, SGX_SECINFO_REG, SGX_SECINFO_TCS, SGX_SECINFO_TRIM, SGX_SECINFO_X, SgxError, SECS_OFF, TCS_OFF } from '../../../src/arch/x86/sgx/arch.js';
import { secinfoBytes } from '../../../src/arch/x86/sgx/secinfo.js';
import { UserProcess } from '../../../src/userspace/process.js';
import { enclOf } from '../../../src/drivers/sgx/common/epc.js';
import { enclIdOfFd } from '../../../src/drivers/sgx/common/knobs.js';
import { sgxPlatform } from '../../../src/drivers/sgx/common/install.js';
import { ioctlStruct } from '../../../src/drivers/sgx/mainline/adapter.js';
import { SGX_IOC_ENCLAVE_ADD_PAGES } from '../../../src/drivers/sgx/mainline/uapi.js';
import { loadEnclave } from '../../../src/drivers/sgx/loaders/flows.js';
import {
  D0,
  SGX_ENCL_DEAD,
  V20_ENCLAVE_ADD_PAGE,
  V20_IOC_ENCLAVE_ADD_PAGE,
  V20_IOC_ENCLAVE_CREATE,
  V20_IOC_ENCLAVE_INIT,
  V20_IOC_ENCLAVE_SET_ATTRIBUTE,
  v20AddPage,
  v20Flow,
  v20Options,
  v20SmalleyLoader,
  v20State,
} from '../../../src/drivers/sgx/v20/index.js';
import { bootWorld, EEXIT_CLEAN, enclCall, manifestFromYaml, PAGE, prepare, referenceManifest, runInfo, secsBytes, selftestManifestYaml, type World, type WorldOptions } from './fixture.js';

const RW = PROT_READ | PROT_WRITE;
const RX = PROT_READ | PROT_EXEC;
const RWX = RW | PROT_EXEC;
const big = (n: number) => BigInt(n);
const SELINUX: WorldOptions = { selinux: { policy: 'builtin:default' } };

interface V20Encl {
  fd: number;
  base: number;
  size: number;
  create: number;
  id: number;
}

/** The careful loader's steps up to CREATE: open O_RDWR, mmap(NULL, size, prot, MAP_SHARED) (v20 aligns it), CREATE. */
function v20Enclave(w: World, size = 0x10000, prot = PROT_NONE, secs?: Partial<Parameters<typeof secsBytes>[0]>): V20Encl {
  const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
  if (isErr(fd)) throw new Error(`open: ${fd}`);
  const base = w.p.mmap(0, size, prot, MAP_SHARED, fd, 0);
  if (isErr(base)) throw new Error(`mmap: ${base}`);
  const create = D0.adapter.create(w.p, fd, secsBytes({ size: big(size), base: big(base), ...secs })).ret;
  return { fd, base, size, create, id: enclIdOfFd(w.k, w.pid, fd)! };
}

function anon(w: World, pages = 1, fill = 0x5a): number {
  const a = w.p.mmap(0, pages * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
  w.p.store(a, new Uint8Array(pages * PAGE).fill(fill));
  return a;
}

const REG_RW = secinfoBytes(SGX_SECINFO_REG | SGX_SECINFO_R | 2n);
const add = (w: World, e: V20Encl, addr: number | bigint, src: number, secinfo = REG_RW, mrmask = 0xffff) => v20AddPage(w.p, e.fd, BigInt(addr), BigInt(src), secinfo, mrmask);

describe('D0 uAPI and devices', () => {
  it('ioctl numbers and the packed ADD_PAGE layout are the v20 ones (designs-spec §0.1: _IOW(0xA4, nr, size))', () => {
    expect([V20_IOC_ENCLAVE_CREATE, V20_IOC_ENCLAVE_ADD_PAGE, V20_IOC_ENCLAVE_INIT, V20_IOC_ENCLAVE_SET_ATTRIBUTE]).toEqual([0x4008a400, 0x401aa401, 0x4008a402, 0x4008a403]);
    // struct sgx_enclave_add_page { __u64 addr; __u64 src; __u64 secinfo; __u16 mrmask; } __packed
    expect(V20_ENCLAVE_ADD_PAGE.size).toBe(26);
    expect(V20_ENCLAVE_ADD_PAGE.fields.map((f) => [f.name, f.offset, f.size])).toEqual([
      ['addr', 0, 8],
      ['src', 8, 8],
      ['secinfo', 16, 8],
      ['mrmask', 24, 2],
    ]);
    expect(D0.symbols().ioctls).toEqual({
      SGX_IOC_ENCLAVE_CREATE: 0x4008a400,
      SGX_IOC_ENCLAVE_ADD_PAGE: 0x401aa401,
      SGX_IOC_ENCLAVE_INIT: 0x4008a402,
      SGX_IOC_ENCLAVE_SET_ATTRIBUTE: 0x4008a403,
    });
  });

  it('registers sgx/enclave (minor 0) and sgx/provision (minor 1) on the highest free dynamic major; open() gives the device file itself', () => {
    const w = bootWorld(D0);
    const enc = w.k.inode(w.k.fs.lookup('/dev/sgx/enclave')!);
    const prov = w.k.inode(w.k.fs.lookup('/dev/sgx/provision')!);
    // v20 sgx_dev_ctx_alloc(): MKDEV(MAJOR(sgx_devt), 0) and (.., 1); alloc_chrdev_region() -> find_dynamic_major(): 254 first
    expect([MAJOR(enc.rdev), MINOR(enc.rdev), MAJOR(prov.rdev), MINOR(prov.rdev)]).toEqual([254, 0, 254, 1]);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const f = w.k.fdFile(w.pid, fd)!;
    expect(f.path).toBe('/dev/sgx/enclave');
    expect(w.k.lsmInode(f.inode).isPrivate).toBe(false);
  });

  it('no SGX1 or no flexible launch control: no device nodes (sgx_drv_probe() -ENODEV)', () => {
    const w = bootWorld(D0, { cpu: { flc: false } });
    expect(w.inst.devices).toEqual({});
    expect(w.k.fs.lookup('/dev/sgx/enclave')).toBeNull();
  });

  it('sgx_ioctl(): an unknown command is ENOTTY before the argument is read; a bad argument pointer is EFAULT', () => {
    const w = bootWorld(D0);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    expect(w.p.ioctl(fd, SGX_IOC_ENCLAVE_ADD_PAGES, 0)).toBe(-ENOTTY);
    expect(w.p.ioctl(fd, V20_IOC_ENCLAVE_CREATE, 0)).toBe(-EFAULT);
  });

  it('driver options: addWorker only, with its two values', () => {
    expect(v20Options({ addWorker: 'flush' }).addWorker).toBe('flush');
    expect(() => v20Options({ createPow2Check: true })).toThrow(/unknown driver option 'createPow2Check'/);
    expect(() => v20Options({ addWorker: 'never' })).toThrow(/addWorker: 'never' is not one of return, flush/);
  });
});

describe('D0 mmap: natural size and alignment, no permission checks', () => {
  it('sgx_get_unmapped_area(): below 8 KiB, not a power of two, the MAP_PRIVATE bit (MAP_SHARED_VALIDATE too) are EINVAL', () => {
    const w = bootWorld(D0);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    expect(w.p.mmap(0, PAGE, PROT_READ, MAP_SHARED, fd, 0)).toBe(-EINVAL);
    expect(w.p.mmap(0, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0)).toBe(-EINVAL);
    expect(w.p.mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0)).toBe(-EINVAL);
    expect(w.p.mmap(0, 2 * PAGE, PROT_READ, MAP_SHARED_VALIDATE, fd, 0)).toBe(-EINVAL);
    const a = w.p.mmap(0, 0x10000, PROT_READ, MAP_SHARED, fd, 0);
    expect(a % 0x10000).toBe(0);
  });

  it('a MAP_FIXED mapping not aligned to its length silently lands at the next multiple (Sean, 20190522153836.GA24833)', () => {
    const w = bootWorld(D0);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const base = w.p.mmap(0, 0x10000, PROT_NONE, MAP_SHARED, fd, 0);
    expect(w.p.mmap(base + PAGE, 2 * PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(base + 2 * PAGE);
    expect(w.p.mmap(base + 2 * PAGE, 2 * PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(base + 2 * PAGE);
  });

  it('sgx_mmap() checks nothing: RWX over pages added R-only, mprotect to RWX, and a READ_IMPLIES_EXEC task maps (VM_EXEC)', () => {
    const w = bootWorld(D0);
    const e = v20Enclave(w);
    expect(add(w, e, e.base, anon(w), secinfoBytes(SGX_SECINFO_REG | SGX_SECINFO_R))).toBe(0);
    expect(w.p.mmap(e.base, 2 * PAGE, RWX, MAP_SHARED | MAP_FIXED, e.fd, 0)).toBe(e.base);
    expect(w.p.mprotect(e.base, PAGE, PROT_READ)).toBe(0);
    expect(w.p.mprotect(e.base, PAGE, RWX)).toBe(0);
    w.p.personality(READ_IMPLIES_EXEC);
    const r = w.p.mmap(0, 2 * PAGE, PROT_READ, MAP_SHARED, e.fd, 0);
    expect(isErr(r)).toBe(false);
    expect(w.k.mm(w.pid).vmas.at(r)!.flags & VM_EXEC).toBe(VM_EXEC);
  });

  it('with /dev noexec an 8 KiB PROT_EXEC mapping is EPERM (do_mmap(), after the driver accepted the length) and VM_MAYEXEC is gone from PROT_READ ones', () => {
    const w = bootWorld(D0);
    w.k.fs.remount('/dev', { noexec: true });
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    expect(w.p.mmap(0, 2 * PAGE, RX, MAP_SHARED, fd, 0)).toBe(-1);
    const r = w.p.mmap(0, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
    expect(w.p.mprotect(r, 2 * PAGE, RX)).toBe(-EACCES);
  });
});

describe('D0 CREATE', () => {
  it('sgx_validate_secs(): a size that is not a power of two, an unaligned base, SSA frame 0, a reserved byte are EINVAL; twice is EFAULT', () => {
    const w = bootWorld(D0);
    const e = v20Enclave(w);
    expect(e.create).toBe(0);
    expect(D0.adapter.create(w.p, e.fd, secsBytes({ size: big(e.size), base: big(e.base) })).ret).toBe(-EFAULT);
    const bad = (f: Partial<Parameters<typeof secsBytes>[0]>, patch?: (b: Uint8Array) => void) => {
      const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
      const s = secsBytes({ size: 0x10000n, base: big(e.base), ...f });
      patch?.(s);
      return D0.adapter.create(w.p, fd, s).ret;
    };
    expect(bad({ size: 0x18000n })).toBe(-EINVAL);
    expect(bad({ size: PAGE === 4096 ? 0x1000n : 0n })).toBe(-EINVAL);
    expect(bad({ base: big(e.base + PAGE) })).toBe(-EINVAL);
    expect(bad({ ssaFrameSize: 0 })).toBe(-EINVAL);
    expect(bad({ xfrm: 1n })).toBe(-EINVAL);
    expect(bad({}, (b) => (b[SECS_OFF.reserved1 + 3] = 1))).toBe(-EINVAL);
    expect(bad({ attributes: SGX_ATTR_MODE64BIT | (1n << 3n) })).toBe(-EINVAL);
  });

  it('needs no mapping, and a failed CREATE keeps its page_cnt and VA page (v20 has no sgx_encl_shrink())', () => {
    const w = bootWorld(D0);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const id = enclIdOfFd(w.k, w.pid, fd)!;
    expect(D0.adapter.create(w.p, fd, secsBytes({ size: 0x18000n, base: 0x7f0000000000n })).ret).toBe(-EINVAL);
    expect([enclOf(w.k, id).pageCnt, enclOf(w.k, id).vaPages.length]).toEqual([1, 1]);
    expect(D0.adapter.create(w.p, fd, secsBytes({ size: 0x10000n, base: 0x7f0000000000n })).ret).toBe(0);
    expect([enclOf(w.k, id).pageCnt, enclOf(w.k, id).vaPages.length]).toEqual([2, 1]);
  });
});

describe('D0 ADD_PAGE', () => {
  it('copy_from_user(): the source VMA is never examined (anonymous, a noexec file, unaligned); only an unreadable source faults', () => {
    const w = bootWorld(D0);
    w.k.fs.mkdir('/mnt');
    w.k.fs.mkdir('/mnt/nx');
    w.k.fs.mount('/mnt/nx', 'tmpfs', { noexec: true });
    w.k.fs.createFile('/mnt/nx/code', { data: new Uint8Array(2 * PAGE).fill(0xcc) });
    const e = v20Enclave(w);
    const nx = w.p.mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, w.p.open('/mnt/nx/code', O_RDONLY), 0);
    const none = w.p.mmap(0, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
    const rx = secinfoBytes(SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X);
    expect(add(w, e, e.base, anon(w), rx)).toBe(0);
    expect(add(w, e, e.base + PAGE, nx, rx)).toBe(0);
    expect(add(w, e, e.base + 2 * PAGE, nx + 0x123, rx)).toBe(0);
    expect(add(w, e, e.base + 3 * PAGE, none, rx)).toBe(-EFAULT);
  });

  it('errnos: before CREATE EFAULT; a page twice EEXIST; below the base EFBIG; beyond the backing store EINVAL; bad SECINFO or TCS EINVAL', () => {
    const w = bootWorld(D0);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const src = anon(w);
    expect(v20AddPage(w.p, fd, 0x10000n, BigInt(src), REG_RW, 0xffff)).toBe(-EFAULT);
    const e = v20Enclave(w);
    expect(add(w, e, e.base, src)).toBe(0);
    expect(add(w, e, e.base, src)).toBe(-EEXIST);
    // sgx_encl_get_index(): (addr - base) >> PAGE_SHIFT as an unsigned index; shmem: > MAX_LFS_FILESIZE >> PAGE_SHIFT -> -EFBIG,
    // >= i_size ((SECS.SIZE + 4096) * 33 / 32) -> -EINVAL (mm/shmem.c shmem_get_folio_gfp(), SGP_CACHE)
    expect(add(w, e, e.base - PAGE, src)).toBe(-EFBIG);
    expect(add(w, e, e.base + 2 * e.size, src)).toBe(-EINVAL);
    expect(add(w, e, e.base + PAGE, src, secinfoBytes(SGX_SECINFO_REG | 2n))).toBe(-EINVAL);
    expect(add(w, e, e.base + PAGE, src, secinfoBytes(SGX_SECINFO_REG | SGX_SECINFO_R | 0x10000n))).toBe(-EINVAL);
    // sgx_validate_tcs(): DBGOPTIN set, OSSA not page aligned
    const tcs = (patch: (v: DataView) => void) => {
      const b = new Uint8Array(PAGE);
      const v = new DataView(b.buffer);
      v.setUint32(TCS_OFF.fsLimit, 0xffffffff, true);
      v.setUint32(TCS_OFF.gsLimit, 0xffffffff, true);
      patch(v);
      const a = anon(w);
      w.p.store(a, b);
      return add(w, e, e.base + 4 * PAGE, a, secinfoBytes(SGX_SECINFO_TCS));
    };
    expect(tcs((v) => v.setBigUint64(TCS_OFF.flags, 1n, true))).toBe(-EINVAL);
    expect(tcs((v) => v.setBigUint64(TCS_OFF.ssaOffset, 0x100n, true))).toBe(-EINVAL);
    expect(tcs(() => {})).toBe(0);
  });

  it('TRIM is a valid SECINFO type in v20: the page is queued and its EADD #GP destroys the enclave (every later ADD/INIT EFAULT)', () => {
    const w = bootWorld(D0);
    const e = v20Enclave(w);
    expect(add(w, e, e.base, anon(w), secinfoBytes(SGX_SECINFO_TRIM))).toBe(0);
    expect(enclOf(w.k, e.id).has(SGX_ENCL_DEAD)).toBe(true);
    expect(add(w, e, e.base + PAGE, anon(w))).toBe(-EFAULT);
    expect(D0.adapter.init(w.p, e.fd, new Uint8Array(1808)).ret).toBe(-EFAULT);
  });
});

describe('D0 the EADD worker (model choice: a fixed point for v20\'s asynchronous worker)', () => {
  it("addWorker 'return': the page gets its EPC page when the ioctl returns; a failing EADD (page past ELRANGE) makes the next ADD EFAULT", () => {
    const w = bootWorld(D0);
    const e = v20Enclave(w);
    expect(add(w, e, e.base, anon(w))).toBe(0);
    expect(enclOf(w.k, e.id).page(e.base)!.epc).not.toBeNull();
    expect(add(w, e, e.base + e.size, anon(w))).toBe(0);
    expect(enclOf(w.k, e.id).has(SGX_ENCL_DEAD)).toBe(true);
    expect(add(w, e, e.base + PAGE, anon(w))).toBe(-EFAULT);
  });

  it("addWorker 'flush': pages wait in the queue until INIT's flush_work(); the failing EADD is seen only there", () => {
    const w = bootWorld(D0, { driver: { addWorker: 'flush' } });
    const e = v20Enclave(w);
    expect(add(w, e, e.base, anon(w))).toBe(0);
    expect(add(w, e, e.base + e.size, anon(w))).toBe(0);
    expect(add(w, e, e.base + PAGE, anon(w))).toBe(0);
    expect(v20State(enclOf(w.k, e.id)).queue.map((r) => r.addr - e.base)).toEqual([0, e.size, PAGE]);
    expect(enclOf(w.k, e.id).page(e.base)!.epc).toBeNull();
    expect(D0.adapter.init(w.p, e.fd, new Uint8Array(1808)).ret).toBe(-EFAULT);
    expect(enclOf(w.k, e.id).has(SGX_ENCL_DEAD)).toBe(true);
  });

  it('the queue is part of the enclave: a kernel clone runs its own copy', () => {
    const w = bootWorld(D0, { driver: { addWorker: 'flush' } });
    const e = v20Enclave(w);
    add(w, e, e.base + e.size, anon(w));
    const k2 = w.k.clone();
    expect(D0.adapter.init(new UserProcess(k2, w.pid), e.fd, new Uint8Array(1808)).ret).toBe(-EFAULT);
    expect(enclOf(k2, e.id).has(SGX_ENCL_DEAD)).toBe(true);
    expect(enclOf(w.k, e.id).has(SGX_ENCL_DEAD)).toBe(false);
    expect(v20State(enclOf(w.k, e.id)).queue.length).toBe(1);
  });

  it('EPC exhaustion: ADD_PAGE returns 0 and the worker\'s failed allocation destroys the enclave; sgx_encl_destroy() frees its EPC pages', () => {
    const w = bootWorld(D0, { cpu: { epcPages: 8 } });
    const free0 = sgxPlatform(w.k).nrFree;
    const es = [0, 1, 2, 3].map(() => v20Enclave(w, 0x10000, PROT_NONE));
    expect(es.every((e) => e.create === 0)).toBe(true);
    expect(sgxPlatform(w.k).nrFree).toBe(free0 - 8);
    expect(add(w, es[0], es[0].base, anon(w))).toBe(0);
    expect(enclOf(w.k, es[0].id).has(SGX_ENCL_DEAD)).toBe(true);
    // its VA page and SECS went back to the free list
    expect(sgxPlatform(w.k).nrFree).toBe(free0 - 6);
    expect(D0.adapter.init(w.p, es[0].fd, new Uint8Array(1808)).ret).toBe(-EFAULT);
  });
});

describe('D0 INIT and SET_ATTRIBUTE', () => {
  it('EINIT error codes are positive return values: an unmeasured text page gives SGX_INVALID_MEASUREMENT (4)', () => {
    const w = bootWorld(D0);
    const img = prepare(w, manifestFromYaml(selftestManifestYaml()));
    const e = v20Enclave(w, Number(img.manifest.size));
    const imgfd = w.p.open(img.imagePath, O_RDONLY);
    const bin = w.p.mmap(0, img.imageSize, PROT_READ, MAP_PRIVATE, imgfd, 0);
    for (const s of img.manifest.segments) {
      const src = s.name === 'heap' ? anon(w, Number(s.size) / PAGE, 0) : bin + Number(s.offset);
      // mrmask 0 for the text: EEXTEND skipped, MRENCLAVE differs from the signed one
      const r = D0.adapter.addPages(w.p, e.fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: Number(s.perms), measure: s.measured && s.name !== 'text' });
      expect(r.ret).toBe(0);
    }
    expect(D0.adapter.init(w.p, e.fd, img.sigstruct).ret).toBe(SgxError.INVALID_MEASUREMENT);
  });

  it('PROVISIONKEY: INIT EINVAL until SET_ATTRIBUTE with /dev/sgx/provision; a non-provision fd EINVAL, a bad fd EBADF (model choice)', () => {
    const yaml = selftestManifestYaml().replace('attributes: [MODE64BIT]', 'attributes: [MODE64BIT, PROVISIONKEY]');
    const w = bootWorld(D0);
    const img = prepare(w, manifestFromYaml(yaml));
    expect(loadEnclave(D0, w.p, img).error).toBe('SGX_IOC_ENCLAVE_INIT: EINVAL');
    const e = v20Enclave(w, Number(img.manifest.size), PROT_NONE, { attributes: SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY });
    const attr = (fd: number) => ioctlStruct(w.p, e.fd, V20_IOC_ENCLAVE_SET_ATTRIBUTE, D0.ioctls[3].arg!, { attribute_fd: fd }).ret;
    expect(attr(999)).toBe(-EBADF);
    expect(attr(w.p.open('/dev/null', O_RDWR))).toBe(-EINVAL);
    expect(attr(D0.adapter.openProvision(w.p))).toBe(0);
    expect(enclOf(w.k, e.id).attributesMask & SGX_ATTR_PROVISIONKEY).toBe(SGX_ATTR_PROVISIONKEY);
  });
});

describe('D0 faults', () => {
  it('before INIT every fault is SIGBUS; after INIT there is no permission check (RWX over an RX page); a hole is SIGBUS', () => {
    const w = bootWorld(D0);
    const { manifest, reader } = referenceManifest();
    const img = prepare(w, manifest, reader);
    const r = loadEnclave(D0, w.p, img);
    expect(r.ok).toBe(true);
    const text = r.segments.find((s) => s.name === 'text')!;
    expect(w.p.mprotect(text.addr, text.size, RWX)).toBe(0);
    // outside enclave mode the write goes to the abort page: no SIGBUS, whatever the EPCM says
    expect(w.p.tryStore(text.addr, new Uint8Array(8)).ok).toBe(true);
    // inside the enclave the EPCM still refuses the write: #PF with the SGX bit (0x8007)
    const st = enclCall(w, r.tcs[0], [{ op: 'store', addr: big(text.addr), value: 1n }]);
    expect(runInfo(st)).toMatchObject({ vector: 14, errorCode: 0x8007 });
    // a created, uninitialized enclave: SIGBUS
    const e = v20Enclave(w, 0x10000, RW);
    add(w, e, e.base, anon(w));
    expect(w.p.tryStore(e.base, new Uint8Array(8))).toMatchObject({ ok: false, signal: 'SIGBUS' });
  });
});

describe('D0 the acceptance hole: execute on the device makes anonymous bytes enclave code, no execmem', () => {
  it('builtin:default, enforcing: a loader that writes every page into anonymous RW memory loads and enters the reference enclave; nothing asks execmem', () => {
    const w = bootWorld(D0, SELINUX);
    const { manifest, reader } = referenceManifest();
    const img = prepare(w, manifest, reader);
    const from = w.k.trace.length;
    const r = v20Flow(D0, w.p, img, { variant: 'careful', sources: 'anonymous' });
    expect(r.error ?? null).toBeNull();
    // the text the enclave runs came from an anonymous RW mapping the process wrote
    const text = r.segments.find((s) => s.name === 'text')!;
    const run = enclCall(w, r.tcs[0], [{ op: 'exec', addr: big(text.addr) }]);
    expect(runInfo(run)).toEqual(EEXIT_CLEAN);
    const avc = w.k.trace.ofKind('avc', from);
    expect(avc.some((x) => x.requested.includes('execmem') || x.requested.includes('execmod'))).toBe(false);
    expect(avc.some((x) => x.tclass === 'chr_file' && x.requested.includes('execute') && x.decision === 'granted')).toBe(true);
    expect(avc.filter((x) => x.decision === 'denied')).toEqual([]);
    // without execute on the device (the boolean), the RX mprotect is refused by SELinux
    const w2 = bootWorld(D0, { selinux: { policy: 'builtin:default', booleans: { sgx_loader_execute_enclave: false } } });
    const img2 = prepare(w2, manifest, reader);
    expect(v20Flow(D0, w2.p, img2, { variant: 'careful', sources: 'anonymous' }).error).toBe('mprotect(text): EACCES');
  });
});

describe("D0 Smalley's O_RDONLY + PROT_READ|PROT_EXEC variant", () => {
  it('every ioctl works, but nothing can be made writable: EENTER faults on the SSA frame (write), mprotect/mmap with PROT_WRITE are EACCES', () => {
    const w = bootWorld(D0);
    const { manifest, reader } = referenceManifest();
    const img = prepare(w, manifest, reader);
    const r = v20SmalleyLoader(D0, w.p, img);
    expect(r.error ?? null).toBeNull();
    expect(enclOf(w.k, enclIdOfFd(w.k, w.pid, r.fd)!).flags & 0x8).toBe(0x8); // SGX_ENCL_INITIALIZED
    const run = enclCall(w, r.tcs[0], []);
    expect(run.exceptionVector).toBe(14);
    expect(run.exceptionErrorCode & 0x2).toBe(0x2); // a write: the SSA frame
    expect(run.function).not.toBe(EncluLeaf.EEXIT);
    const data = r.segments.find((s) => s.name === 'data')!;
    // O_RDONLY: VM_MAYWRITE is clear (do_mmap()), so mprotect(PROT_WRITE) fails the VM_MAY* test
    expect(w.p.mprotect(data.addr, data.size, RW)).toBe(-EACCES);
    // and a MAP_SHARED PROT_WRITE mapping of an fd without FMODE_WRITE is EACCES in do_mmap()
    expect(w.p.mmap(0, 2 * PAGE, RW, MAP_SHARED, r.fd, 0)).toBe(-EACCES);
  });
});
