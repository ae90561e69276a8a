// The v20 driver the 2019 RFCs D4/D5/D6 patch (v20/driver.ts via v20/rfc.ts): its uAPI, devices,
// get_unmapped_area, CREATE/ADD/INIT/SET_ATTRIBUTE check order and errnos, the EADD worker, the
// fault path, and clone isolation. Expected values come from the v20 driver (designs-spec §1: the
// v20 tree's driver/{main,ioctl}.c, encl.c) and the RFC patches (designs-spec §0.1, §5-§7), never
// from our output; model choices are named as such (docs/designs.md §D4 "Choices").
import { describe, expect, it } from 'vitest';
import { EBADF, EEXIST, EFAULT, EFBIG, EINVAL, ENOTTY } from '../../../src/abi/errno.js';
import { O_RDWR } from '../../../src/abi/fcntl.js';
import { MAP_FIXED, MAP_SHARED, MAP_SHARED_VALIDATE, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../src/abi/mman.js';
import { MAJOR, MINOR } from '../../../src/abi/stat.js';
import { SGX_ATTR_MODE64BIT, SGX_TCS_DBGOPTIN, SIGSTRUCT_OFF, SgxError, TCS_OFF } from '../../../src/arch/x86/sgx/arch.js';
import { fieldOf, type StructLayout } from '../../../src/userspace/struct.js';
import { enclOf } from '../../../src/drivers/sgx/common/epc.js';
import { D4_V1, D4_V2 } from '../../../src/drivers/sgx/allow-prot/index.js';
import { D5 } from '../../../src/drivers/sgx/sgx-perms/index.js';
import { D6 } from '../../../src/drivers/sgx/ema/index.js';
import { SGX_ENCL_DEAD } from '../../../src/drivers/sgx/v20/rfc.js';
import { ioctlWith } from '../../../src/drivers/sgx/allow-prot/loader.js';
import { D4V1_ENCLAVE_ADD_PAGES, D4V2_ENCLAVE_ADD_PAGE } from '../../../src/drivers/sgx/allow-prot/uapi.js';
import { V20_ENCLAVE_ADD_PAGE, V20_ENCLAVE_CREATE, V20_ENCLAVE_INIT, V20_ENCLAVE_SET_ATTRIBUTE } from '../../../src/drivers/sgx/v20/uapi.js';
import { D5_ENCLAVE_ADD_PAGE } from '../../../src/drivers/sgx/sgx-perms/uapi.js';
import { SGX_ENCL_CREATED, SGX_ENCL_INITIALIZED } from '../../../src/drivers/sgx/common/encl.js';
import { loadEnclave } from '../../../src/drivers/sgx/loaders/flows.js';
import { bootWorld, enclCall, EEXIT_CLEAN, manifestFromYaml, prepare, referenceManifest, runInfo, secsBytes, selftestManifestYaml, type World } from './fixture.js';
import { anonPages, PAGE, rfcEnclave } from './d456.case.js';

const RW = PROT_READ | PROT_WRITE;
const ALL = [D4_V1, D4_V2, D5, D6];

function offsets(l: StructLayout): number[] {
  return l.fields.map((f) => f.offset);
}

/** A 4096-byte TCS page: OSSA, limits, flags as given. */
function tcsPage(o: { ossa?: bigint; fslimit?: number; flags?: bigint } = {}): Uint8Array {
  const b = new Uint8Array(PAGE);
  const v = new DataView(b.buffer);
  v.setBigUint64(TCS_OFF.flags, o.flags ?? 0n, true);
  v.setBigUint64(TCS_OFF.ssaOffset, o.ossa ?? 0x1000n, true);
  v.setUint32(TCS_OFF.fsLimit, o.fslimit ?? 0xfff, true);
  v.setUint32(TCS_OFF.gsLimit, 0xfff, true);
  return b;
}

function addTcs(w: World, fd: number, offset: number, page: Uint8Array): number {
  const src = anonPages(w);
  w.p.store(src, page);
  return w.design.adapter.addPages(w.p, fd, { offset, src, length: PAGE, type: 'TCS', perms: 0, measure: true }).ret;
}

describe('v20 uAPI of the 2019 RFCs (designs-spec §0.1)', () => {
  it('ioctl numbers: _IOW(0xA4, nr, size) as posted', () => {
    const n = (d: typeof D6) => d.symbols().ioctls;
    // v20: CREATE {u64 src}, ADD_PAGE packed {addr, src, secinfo, mrmask:u16} (26), INIT {u64 sigstruct}, SET_ATTRIBUTE {u64 fd}
    expect(n(D6)).toEqual({ SGX_IOC_ENCLAVE_CREATE: 0x4008a400, SGX_IOC_ENCLAVE_ADD_PAGE: 0x401aa401, SGX_IOC_ENCLAVE_INIT: 0x4008a402, SGX_IOC_ENCLAVE_SET_ATTRIBUTE: 0x4008a403 });
    expect(n(D4_V1).SGX_IOC_ENCLAVE_ADD_PAGES).toBe(0x4020a401);
    expect(n(D4_V2).SGX_IOC_ENCLAVE_ADD_PAGE).toBe(0x401ea401);
    expect(n(D5).SGX_IOC_ENCLAVE_ADD_PAGE).toBe(0x4020a401);
    for (const d of ALL) expect([n(d).SGX_IOC_ENCLAVE_CREATE, n(d).SGX_IOC_ENCLAVE_INIT, n(d).SGX_IOC_ENCLAVE_SET_ATTRIBUTE]).toEqual([0x4008a400, 0x4008a402, 0x4008a403]);
  });

  it('struct layouts: sizes and field offsets as posted', () => {
    expect([V20_ENCLAVE_CREATE.size, V20_ENCLAVE_INIT.size, V20_ENCLAVE_SET_ATTRIBUTE.size]).toEqual([8, 8, 8]);
    expect([V20_ENCLAVE_ADD_PAGE.size, V20_ENCLAVE_ADD_PAGE.packed, offsets(V20_ENCLAVE_ADD_PAGE)]).toEqual([26, true, [0, 8, 16, 24]]);
    // RFC v1 3/9 + 6/9 (packed removed): {addr, src, secinfo; u32 nr_pages; u16 mrmask; u16 flags}
    expect([D4V1_ENCLAVE_ADD_PAGES.size, offsets(D4V1_ENCLAVE_ADD_PAGES)]).toEqual([32, [0, 8, 16, 24, 28, 30]]);
    // RFC v2 2/5: packed {addr, src, secinfo; u32 flags; u16 mrmask}
    expect([D4V2_ENCLAVE_ADD_PAGE.size, offsets(D4V2_ENCLAVE_ADD_PAGE)]).toEqual([30, [0, 8, 16, 24, 28]]);
    // RFC v4 04/12: {addr, src, secinfo; u16 mrmask; u8 prot; u8 pad}, tail-padded to 32
    expect([D5_ENCLAVE_ADD_PAGE.size, offsets(D5_ENCLAVE_ADD_PAGE)]).toEqual([32, [0, 8, 16, 24, 26, 27]]);
    expect(fieldOf(D5_ENCLAVE_ADD_PAGE, 'prot')?.type).toBe('u8');
  });

  it('dispatch is by design: D4 v2 does not know 0x4020A401; D5 decodes it with its own layout', () => {
    const w = bootWorld(D4_V2);
    const c = rfcEnclave(w);
    expect(w.p.ioctl(c.fd, 0x4020a401, w.p.struct(D4V1_ENCLAVE_ADD_PAGES, { addr: c.base, src: anonPages(w), secinfo: new Uint8Array(64), nr_pages: 1, mrmask: 0, flags: 3 }))).toBe(-ENOTTY);
    // The mainline ADD_PAGES number (_IOWR, 48 bytes) is unknown to every RFC driver.
    for (const d of ALL) {
      const w2 = bootWorld(d);
      expect(w2.p.ioctl(rfcEnclave(w2).fd, 0xc030a401, 0)).toBe(-ENOTTY);
    }
  });
});

describe('devices (v20 driver/main.c)', () => {
  it('/dev/sgx/enclave and /dev/sgx/provision: minors 0 and 1 of one dynamic char major, Fedora labels', () => {
    for (const d of ALL) {
      const w = bootWorld(d);
      expect(w.inst.devices).toEqual({ enclave: '/dev/sgx/enclave', provision: '/dev/sgx/provision' });
      const e = w.k.inode(w.k.fs.lookup('/dev/sgx/enclave')!);
      const p = w.k.inode(w.k.fs.lookup('/dev/sgx/provision')!);
      expect([MINOR(e.rdev), MINOR(p.rdev), MAJOR(e.rdev) === MAJOR(p.rdev)]).toEqual([0, 1, true]);
      expect(MAJOR(e.rdev)).toBeGreaterThanOrEqual(234); // find_dynamic_major(): 254 down to CHRDEV_MAJOR_DYN_END
      expect([e.label, p.label]).toEqual(['system_u:object_r:sgx_enclave_device_t:s0', 'system_u:object_r:sgx_provision_device_t:s0']);
    }
  });

  it('without flexible launch control the driver registers nothing (-ENODEV at probe)', () => {
    const w = bootWorld(D6, { cpu: { flc: false } });
    expect(w.inst.devices).toEqual({});
    expect(w.k.fs.lookup('/dev/sgx/enclave')).toBeNull();
  });

  it('open() gives each file its own enclave; no anon inode (the file is the chr node)', () => {
    const w = bootWorld(D6);
    const a = w.p.open('/dev/sgx/enclave', O_RDWR);
    const b = w.p.open('/dev/sgx/enclave', O_RDWR);
    const fa = w.k.fdFile(w.pid, a)!;
    const fb = w.k.fdFile(w.pid, b)!;
    expect(fa.privateData).not.toBe(fb.privateData);
    expect(fa.path).toBe('/dev/sgx/enclave');
  });

  it('driver options: unknown keys and non-booleans are errors', () => {
    expect(() => bootWorld(D4_V1, { driver: { sgx2: true } })).toThrow(/unknown driver option 'sgx2' for D4-v1/);
    expect(() => bootWorld(D5, { driver: { sgx2: 1 } })).toThrow(/expected true or false/);
    expect(() => bootWorld(D6, { driver: { version: '6.1' } })).toThrow(/options: cedricV3Bug, sgx2/);
  });
});

describe("get_unmapped_area (v20 main.c sgx_get_unmapped_area(); RFC v1 2/9 for D4/D5)", () => {
  it('v20 (D6): below 8 KiB, not a power of two, or MAP_PRIVATE bit -> EINVAL; else naturally aligned', () => {
    const w = bootWorld(D6);
    const fd = D6.adapter.openEnclave(w.p);
    expect(w.p.mmap(0, PAGE, PROT_READ, MAP_SHARED, fd, 0)).toBe(-EINVAL);
    expect(w.p.mmap(0, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0)).toBe(-EINVAL);
    // `flags & MAP_PRIVATE` is a bit test: MAP_SHARED_VALIDATE (3) has it
    expect(w.p.mmap(0, 0x10000, PROT_READ, MAP_SHARED_VALIDATE, fd, 0)).toBe(-EINVAL);
    const a = w.p.mmap(0, 0x10000, PROT_READ, MAP_SHARED, fd, 0);
    expect(a % 0x10000).toBe(0);
  });

  it('v20 (D6): a MAP_FIXED mapping at an address not aligned to its length lands at the next multiple (Sean 2019-05-22)', () => {
    const w = bootWorld(D6);
    const fd = D6.adapter.openEnclave(w.p);
    const hint = w.p.mmap(0, 0x40000, PROT_NONE, MAP_SHARED, fd, 0);
    const at = hint + 0x1000;
    const got = w.p.mmap(at, 0x2000, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    expect(got).toBe(hint + 0x2000);
    expect(got).not.toBe(at);
  });

  it('RFC v1 2/9 (D4, D5): MAP_FIXED returns the address as given, any length; without MAP_FIXED the v20 rules', () => {
    for (const d of [D4_V1, D4_V2, D5]) {
      const w = bootWorld(d);
      const fd = d.adapter.openEnclave(w.p);
      const hint = w.p.mmap(0, 0x40000, PROT_NONE, MAP_SHARED, fd, 0);
      expect(w.p.mmap(hint + 0x1000, PAGE, PROT_NONE, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(hint + 0x1000);
      expect(w.p.mmap(0, PAGE, PROT_NONE, MAP_SHARED, fd, 0)).toBe(-EINVAL);
    }
  });
});

describe('CREATE (v20 sgx_ioc_enclave_create(), sgx_validate_secs())', () => {
  const create = (w: World, f: Parameters<typeof secsBytes>[0], patch?: (b: Uint8Array) => void) => {
    const fd = w.design.adapter.openEnclave(w.p);
    const b = secsBytes(f);
    patch?.(b);
    return w.design.adapter.create(w.p, fd, b).ret;
  };

  it('the SECS is validated in software: -EINVAL before ECREATE', () => {
    const w = bootWorld(D6);
    const base = 0x7f0000000000n;
    expect(create(w, { size: 0x18000n, base })).toBe(-EINVAL); // not a power of two
    expect(create(w, { size: 0x1000n, base })).toBe(-EINVAL); // below 2 * PAGE_SIZE
    expect(create(w, { size: 0x10000n, base: base + 0x1000n })).toBe(-EINVAL); // base & (size - 1)
    expect(create(w, { size: 0x10000n, base, ssaFrameSize: 0 })).toBe(-EINVAL); // !ssa_frame_size
    expect(create(w, { size: 0x10000n, base, xfrm: 1n })).toBe(-EINVAL); // no SSE
    expect(create(w, { size: 0x10000n, base }, (b) => (b[4000] = 1))).toBe(-EINVAL); // reserved4
    expect(create(w, { size: 0x10000n, base })).toBe(0);
  });

  it('a size equal to the CPUID maximum passes the driver (size > max) but not ECREATE (size >= 2^n): the raw ENCLS value, ENCLS_FAULT_FLAG | #GP (positive)', () => {
    const w = bootWorld(D6);
    expect(create(w, { size: 1n << 36n, base: 1n << 36n, attributes: SGX_ATTR_MODE64BIT })).toBe(0x40000000 | 13);
  });

  it('CREATE twice is -EFAULT; no VMA is needed', () => {
    const w = bootWorld(D6);
    const c = rfcEnclave(w);
    expect(c.create).toBe(0);
    expect(w.design.adapter.create(w.p, c.fd, secsBytes({ size: BigInt(c.size), base: BigInt(c.base) })).ret).toBe(-EFAULT);
    expect(enclOf(w.k, c.id).has(SGX_ENCL_CREATED)).toBe(true);
    // sgx_encl_mm_add(encl, current->mm) at CREATE
    expect(enclOf(w.k, c.id).mmList).toEqual([w.pid]);
  });
});

describe('ADD (the v20 add path every RFC ends in)', () => {
  it('before CREATE -EFAULT; the same page twice -EEXIST', () => {
    const w = bootWorld(D6);
    const fd = D6.adapter.openEnclave(w.p);
    expect(D6.adapter.addPages(w.p, fd, { offset: 0, src: anonPages(w), length: PAGE, type: 'REG', perms: RW, measure: true }).ret).toBe(-EFAULT);
    const c = rfcEnclave(w);
    const add = () => D6.adapter.addPages(w.p, c.fd, { offset: 0x2000, src: anonPages(w), length: PAGE, type: 'REG', perms: RW, measure: true }).ret;
    expect(add()).toBe(0);
    expect(add()).toBe(-EEXIST);
  });

  it('sgx_validate_tcs(): DBGOPTIN, limits not ending in 0xfff, OSSA not below SECS.SIZE -> -EINVAL; checked before the state', () => {
    const w = bootWorld(D6);
    const c = rfcEnclave(w);
    expect(addTcs(w, c.fd, 0, tcsPage({ flags: SGX_TCS_DBGOPTIN }))).toBe(-EINVAL);
    expect(addTcs(w, c.fd, 0, tcsPage({ fslimit: 0 }))).toBe(-EINVAL);
    expect(addTcs(w, c.fd, 0, tcsPage({ ossa: BigInt(c.size) }))).toBe(-EINVAL);
    expect(addTcs(w, c.fd, 0, tcsPage())).toBe(0);
    // before CREATE SECS.SIZE is 0: every OSSA is out of range, and TCS validation comes before the state test
    const fd2 = D6.adapter.openEnclave(w.p);
    expect(addTcs(w, fd2, 0, tcsPage())).toBe(-EINVAL);
  });

  it('a page below the base is -EFBIG, one past the backing store -EINVAL (shmem); one between ELRANGE and the backing store\'s end is queued (0) and the worker\'s EADD #GP destroys the enclave: later ADD and INIT are -EFAULT', () => {
    const w = bootWorld(D6);
    const c = rfcEnclave(w);
    const add = (offset: number | bigint) => D6.adapter.addPages(w.p, c.fd, { offset, src: anonPages(w), length: PAGE, type: 'REG', perms: RW, measure: true }).ret;
    expect(add((1n << 64n) - 0x1000n)).toBe(-EFBIG);
    // backing store: (SECS.SIZE + 4096) * 33 / 32 bytes
    const backing = c.size + 0x1000 + ((c.size + 0x1000) >> 5);
    expect(add(Math.ceil(backing / PAGE) * PAGE)).toBe(-EINVAL);
    expect(enclOf(w.k, c.id).has(SGX_ENCL_DEAD)).toBe(false);
    expect(add(c.size)).toBe(0);
    expect(enclOf(w.k, c.id).has(SGX_ENCL_DEAD)).toBe(true);
    expect(D6.adapter.addPages(w.p, c.fd, { offset: 0, src: anonPages(w), length: PAGE, type: 'REG', perms: RW, measure: true }).ret).toBe(-EFAULT);
    expect(D6.adapter.init(w.p, c.fd, new Uint8Array(1808)).ret).toBe(-EFAULT);
  });

  it('an EPC allocation failure in the worker destroys the enclave after the ioctl returned 0', () => {
    const w = bootWorld(D6, { cpu: { epcPages: 2 } });
    const c = rfcEnclave(w); // a VA page and the SECS: the EPC is full
    expect(D6.adapter.addPages(w.p, c.fd, { offset: 0, src: anonPages(w), length: PAGE, type: 'REG', perms: RW, measure: true }).ret).toBe(0);
    expect(enclOf(w.k, c.id).has(SGX_ENCL_DEAD)).toBe(true);
  });
});

describe('INIT and SET_ATTRIBUTE (v20 sgx_encl_init(), sgx_ioc_enclave_set_attribute())', () => {
  function built(w: World, sigstructPatch?: (ss: Uint8Array) => void, yaml = selftestManifestYaml()) {
    const img = prepare(w, manifestFromYaml(yaml));
    const ss = Uint8Array.from(img.sigstruct);
    sigstructPatch?.(ss);
    return { img, ss };
  }

  it('an EINIT error code is a positive return value; the enclave stays created and a good SIGSTRUCT initializes it', () => {
    const w = bootWorld(D5);
    const { img, ss } = built(w, (s) => (s[SIGSTRUCT_OFF.signature + 7] ^= 1));
    const r = loadEnclave(D5, w.p, { ...img, sigstruct: ss }, 'selftest');
    expect(r.error).toBe(`SGX_IOC_ENCLAVE_INIT failed: ${SgxError.INVALID_SIGNATURE}`);
    const id = enclOf(w.k, w.k.fdFile(w.pid, r.fd)!.privateData as number);
    expect(id.has(SGX_ENCL_INITIALIZED)).toBe(false);
    expect(D5.adapter.init(w.p, r.fd, img.sigstruct).ret).toBe(0);
    expect(D5.adapter.init(w.p, r.fd, img.sigstruct).ret).toBe(-EFAULT); // INITIALIZED
  });

  it('PROVISIONKEY without SET_ATTRIBUTE: -EINVAL; SET_ATTRIBUTE: bad fd -EBADF (model choice), not the provision device -EINVAL, /dev/sgx/provision 0', () => {
    const w = bootWorld(D4_V2);
    const yaml = selftestManifestYaml().replace('attributes: [MODE64BIT]', 'attributes: [MODE64BIT, PROVISIONKEY]');
    expect(loadEnclave(D4_V2, w.p, prepare(w, manifestFromYaml(yaml)), 'selftest').error).toBe('SGX_IOC_ENCLAVE_INIT failed: EINVAL');
    const c = rfcEnclave(w);
    expect(ioctlWith(w.p, c.fd, 0x4008a403, V20_ENCLAVE_SET_ATTRIBUTE, { attribute_fd: 99 })).toBe(-EBADF);
    expect(D4_V2.adapter.provision(w.p, c.fd, w.p.open('/dev/null', O_RDWR)).ret).toBe(-EINVAL);
    expect(D4_V2.adapter.provision(w.p, c.fd, D4_V2.adapter.openProvision(w.p)).ret).toBe(0);
  });
});

describe('faults (v20 sgx_vma_fault() -> sgx_encl_load_page())', () => {
  it('before INIT an added page is SIGBUS (v20 tests INITIALIZED; 5.11 does not); after INIT it maps; a hole is SIGBUS', () => {
    const w = bootWorld(D6);
    const img = prepare(w, manifestFromYaml(selftestManifestYaml()));
    const fd = D6.adapter.openEnclave(w.p);
    const base = D6.adapter.reserve!(w.p, fd, Number(img.manifest.size));
    expect(D6.adapter.map(w.p, fd, base, Number(img.manifest.size), RW)).toBe(base);
    expect(D6.adapter.create(w.p, fd, secsBytes({ size: img.manifest.size, base: BigInt(base) })).ret).toBe(0);
    const src = anonPages(w);
    expect(D6.adapter.addPages(w.p, fd, { offset: 0x4000, src, length: PAGE, type: 'REG', perms: RW, measure: true }).ret).toBe(0);
    expect(w.p.tryLoad(base + 0x4000, 8)).toMatchObject({ ok: false, signal: 'SIGBUS' });
  });

  it('after INIT a page added R is readable and writable through an RW mapping (no per-page maximum in v20/D6)', () => {
    const w = bootWorld(D6);
    const r = loadEnclave(D6, w.p, prepare(w, manifestFromYaml(selftestManifestYaml())), 'selftest');
    expect(r.ok).toBe(true);
    const text = r.segments.find((s) => s.name === 'text')!;
    expect(w.p.tryStore(text.addr, new Uint8Array(8))).toMatchObject({ ok: true });
    expect(runInfo(enclCall(w, r.tcs[0], [{ op: 'load', addr: BigInt(r.base + 0x4000) }]))).toEqual(EEXIT_CLEAN);
    expect(w.p.tryLoad(r.base + r.size - PAGE, 8)).toMatchObject({ ok: false, signal: 'SIGBUS' });
  });
});

describe('clone isolation', () => {
  it('a kernel clone forks the enclave: pages added in the clone are not in the original, and the reverse', () => {
    for (const d of ALL) {
      const w = bootWorld(d);
      const c = rfcEnclave(w);
      const src = anonPages(w, 2);
      const k2 = w.k.clone();
      const addIn = (k: typeof w.k, offset: number) => {
        const p = new (w.p.constructor as new (k: typeof w.k, pid: number) => typeof w.p)(k, w.pid);
        return d.adapter.addPages(p, c.fd, { offset, src, length: PAGE, type: 'REG', perms: RW, measure: true }).ret;
      };
      expect(addIn(k2, 0x2000)).toBe(0);
      expect(addIn(w.k, 0x3000)).toBe(0);
      expect(enclOf(k2, c.id).page(c.base + 0x2000)).toBeDefined();
      expect(enclOf(k2, c.id).page(c.base + 0x3000)).toBeUndefined();
      expect(enclOf(w.k, c.id).page(c.base + 0x2000)).toBeUndefined();
      expect(enclOf(w.k, c.id).page(c.base + 0x3000)).toBeDefined();
    }
  });
});


describe('loader translations (designs-spec §12)', () => {
  const PERMISSIVE = { selinux: { policy: 'builtin:default', enforcing: false } } as const;
  const kinds = ['selftest', 'gramine', 'psw', 'careful'] as const;
  it('which flows run on which design (no LSM)', () => {
    const got: Record<string, string[]> = {};
    for (const d of ALL) {
      got[d.key] = kinds.filter((kind) => {
        const w = bootWorld(d, { devSgxLinks: true });
        const { manifest, reader } = referenceManifest();
        return loadEnclave(d, w.p, prepare(w, manifest, reader), kind).ok;
      });
    }
    // D4/D5: L1 ≈, L2 ✘, L3 ≈ (through the adapter); D6: L1 ≈, L2 ✘ / L3 ✘ as written, its own careful loader.
    expect(got).toEqual({ 'D4-v1': ['selftest', 'psw'], 'D4-v2': ['selftest', 'psw'], D5: ['selftest', 'psw'], D6: ['selftest', 'careful'] });
  });

  it('the PSW flow takes code from heap buffers: the RX text asks process:execmem on D4, process2:sgx_execanon on D5', () => {
    for (const [d, asked] of [
      [D4_V1, 'process:execmem'],
      [D4_V2, 'process:execmem'],
      [D5, 'process2:sgx_execanon'],
    ] as const) {
      const w = bootWorld(d, PERMISSIVE);
      const { manifest, reader } = referenceManifest();
      const img = prepare(w, manifest, reader);
      const from = w.k.trace.length;
      expect(loadEnclave(d, w.p, img, 'psw').ok).toBe(true);
      const hooks = w.k.trace.ofKind('avc', from).filter((e) => e.hook === 'enclave_load').map((e) => `${e.tclass}:${e.requested.join(',')}`);
      expect([d.key, [...new Set(hooks)]]).toEqual([d.key, [asked]]);
    }
  });
});
