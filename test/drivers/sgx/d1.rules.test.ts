// D1 `copy-source-perms`: the design's own rules, holes and open choices (docs/designs.md §D1),
// on enclaves built the D1 way (the ELRANGE mapped PROT_READ from the enclave fd before CREATE).
// Each expectation names where it comes from: the thread (Message-IDs in designs-spec §2), the
// kernel code D1 keeps (mm/mprotect.c, mm/mmap.c, security/selinux/hooks.c, the SDM), or the
// OPEN CHOICE it tests (docs/designs.md §D1 "Choices").
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel } from '../../../src/kernel/kernel.js';
import { EACCES, EBUSY, EFAULT, EINVAL, ENOMEM, EPERM, ERESTARTSYS, isErr } from '../../../src/abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../../src/abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../src/abi/mman.js';
import { VM_EXEC, VM_MAYEXEC, VM_MAYWRITE, VM_READ, VM_WRITE } from '../../../src/abi/vm_flags.js';
import { READ_IMPLIES_EXEC } from '../../../src/abi/personality.js';
import { EncluLeaf, SGX_SECINFO_PENDING, SGX_SECINFO_R, SGX_SECINFO_REG, SGX_SECINFO_W, SGX_SECINFO_X, SgxPageType } from '../../../src/arch/x86/sgx/arch.js';
import { selinuxOf } from '../../../src/security/selinux/boot.js';
import { fileContextFor, PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import { UserProcess } from '../../../src/userspace/process.js';
import { isSgxVma } from '../../../src/drivers/sgx/common/vma.js';
import { enclOf } from '../../../src/drivers/sgx/common/epc.js';
import { enclIdOfFd, setSignalPending } from '../../../src/drivers/sgx/common/knobs.js';
import { sgxPlatform } from '../../../src/drivers/sgx/common/install.js';
import { findDesign, listDesigns } from '../../../src/drivers/sgx/index.js';
import { loadEnclave } from '../../../src/drivers/sgx/loaders/flows.js';
import { prepareEnclaveImage } from '../../../src/drivers/sgx/loaders/image.js';
import {
  D1,
  D1_ENCLAVE_ADD,
  D1_IOC_ENCLAVE_ADD,
  D1_IOC_ENCLAVE_CREATE,
  D1_IOC_ENCLAVE_INIT,
  D1_IOC_ENCLAVE_SET_ATTRIBUTE,
  d1CopiedPerms,
  d1Options,
  d1State,
  SGX_ENCLAVE_ADD_MEASURE,
  SGX_ENCLAVE_ADD_REG,
  SGX_ENCLAVE_ADD_TCS,
} from '../../../src/drivers/sgx/copy-source-perms/index.js';
import { ioctlStruct } from '../../../src/drivers/sgx/mainline/adapter.js';
import { noFiles } from '../../../src/enclave/content.js';
import { bootWorld, crypto, enclCall, EEXIT_CLEAN, MAGIC, manifestFromYaml, PAGE, prepare, referenceManifest, runInfo, secsBytes, selftestManifestYaml, type World, type WorldOptions } from './fixture.js';

const R = PROT_READ;
const RW = PROT_READ | PROT_WRITE;
const RX = PROT_READ | PROT_EXEC;
const RWX = RW | PROT_EXEC;
const big = (n: number) => BigInt(n);
const SELINUX: WorldOptions = { selinux: { policy: 'builtin:default' } };
const PERMISSIVE: WorldOptions = { selinux: { policy: 'builtin:default', enforcing: false } };

// ------------------------------------------------------------------ helpers

interface D1Encl {
  fd: number;
  base: number;
  size: number;
  create: number;
  id: number;
}

/** The seed's steps up to CREATE: open O_RDWR, mmap(NULL, size, PROT_READ, MAP_SHARED), ENCLAVE_CREATE({enclave_addr}). */
function d1Enclave(w: World, size = 0x10000, flags = O_RDWR): D1Encl {
  const fd = w.p.open('/dev/sgx/enclave', flags);
  if (isErr(fd)) throw new Error(`open: ${fd}`);
  const base = w.p.mmap(0, size, R, MAP_SHARED, fd, 0);
  if (isErr(base)) throw new Error(`mmap: ${base}`);
  const create = D1.adapter.create(w.p, fd, secsBytes({ size: big(size), base: big(base) })).ret;
  return { fd, base, size, create, id: enclIdOfFd(w.k, w.pid, fd)! };
}

/** A file in the home directory holding `pages` pages filled with `fill` (labelled as the built-in file contexts do). */
function homeFile(w: World, name: string, pages = 1, fill = 0xcc): string {
  const path = `/home/user/src/${name}`;
  if (w.k.fs.lookup('/home/user/src') === null) {
    for (const d of ['/home', '/home/user', '/home/user/src']) if (w.k.fs.lookup(d) === null) w.k.fs.mkdir(d, { label: fileContextFor(d, '-d') });
  }
  w.k.fs.createFile(path, { data: new Uint8Array(pages * PAGE).fill(fill), label: fileContextFor(path, '--') });
  return path;
}

/** mmap(path, prot, MAP_PRIVATE): a source chunk "mapped and populated using existing mechanisms for loading DSOs". */
function fileSource(w: World, path: string, prot: number, pages = 1, offset = 0): number {
  const f = w.p.open(path, O_RDONLY);
  const a = w.p.mmap(0, pages * PAGE, prot, MAP_PRIVATE, f, offset);
  w.p.close(f);
  if (isErr(a)) throw new Error(`mmap(${path}): ${a}`);
  return a;
}

function anonSource(w: World, prot = RW, pages = 1, fill = 0x5a): number {
  const a = w.p.mmap(0, pages * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
  w.p.store(a, new Uint8Array(pages * PAGE).fill(fill));
  if (prot !== RW) w.p.mprotect(a, pages * PAGE, prot);
  return a;
}

/** ENCLAVE_ADD through the design's adapter; `count` = bytes added. */
function add(w: World, e: D1Encl, offset: number, src: number, pages = 1, type: 'REG' | 'TCS' = 'REG', measure = true) {
  return D1.adapter.addPages(w.p, e.fd, { offset, src, length: pages * PAGE, type, perms: 0, measure });
}

/** The enclave VMAs of pid over [base, base+size) as [offset, end offset, 'rwx'] (the maps protection columns). */
function vmas(w: World, base: number, size: number, pid = w.pid): [number, number, string][] {
  const out: [number, number, string][] = [];
  for (const v of w.k.mm(pid).vmas) {
    if (v.end <= base || v.start >= base + size) continue;
    const f = v.flags;
    out.push([v.start - base, v.end - base, (f & VM_READ ? 'r' : '-') + (f & VM_WRITE ? 'w' : '-') + (f & VM_EXEC ? 'x' : '-')]);
  }
  return out;
}

/** The EPCM entry of the enclave page at addr (through the enclave object's page_array). */
function epcm(w: World, e: D1Encl, addr: number) {
  const p = enclOf(w.k, e.id).page(addr);
  if (!p || p.epc === null) return null;
  const x = sgxPlatform(w.k).hw.epcm(p.epc)!;
  return { pt: x.pt, r: x.r, w: x.w, x: x.x };
}

/** The AVC queries since `from` as 'class:perm,perm' strings, in order. */
function avcSince(w: World, from: number): string[] {
  return w.k.trace.ofKind('avc', from).map((x) => `${x.tclass}:${x.requested.join(',')}`);
}

// ------------------------------------------------------------------ uAPI, devices, open

describe('D1 uAPI and devices', () => {
  it('registers as D1 copy-source-perms, found by id and slug', () => {
    expect(findDesign('D1')).toBe(D1);
    expect(findDesign('copy-source-perms')).toBe(D1);
    expect(listDesigns().map((d) => d.key)).toContain('D1');
    expect(D1.features).toEqual({ sgx2: false, mmapAfterAdd: false, mapHoles: true });
    expect(D1.hooks).toEqual([]);
  });

  it('ioctl numbers: CREATE/INIT/SET_ATTRIBUTE as v20 (designs-spec §0.1), ENCLAVE_ADD = _IOWR(0xA4, 0x01, 32) = 0xC020A401 (OPEN CHOICE, §13.2)', () => {
    expect(D1_IOC_ENCLAVE_CREATE).toBe(0x4008a400);
    expect(D1_IOC_ENCLAVE_ADD).toBe(0xc020a401);
    expect(D1_IOC_ENCLAVE_INIT).toBe(0x4008a402);
    expect(D1_IOC_ENCLAVE_SET_ATTRIBUTE).toBe(0x4008a403);
    expect(D1_ENCLAVE_ADD.size).toBe(32);
    expect(D1_ENCLAVE_ADD.fields.map((f) => [f.name, f.offset, f.size])).toEqual([
      ['offset', 0, 8],
      ['source', 8, 8],
      ['size', 16, 8],
      ['type', 24, 8],
    ]);
    expect([SGX_ENCLAVE_ADD_MEASURE, SGX_ENCLAVE_ADD_TCS, SGX_ENCLAVE_ADD_REG]).toEqual([0x1, 0x100, 0x200]);
    expect(D1.symbols().ioctls).toEqual({ SGX_IOC_ENCLAVE_CREATE: 0x4008a400, SGX_IOC_ENCLAVE_ADD: 0xc020a401, SGX_IOC_ENCLAVE_INIT: 0x4008a402, SGX_IOC_ENCLAVE_SET_ATTRIBUTE: 0x4008a403 });
  });

  it('devices: /dev/sgx/enclave (minor 0) and /dev/sgx/provision (minor 1) of one char major, as v20 sgx_dev_init()', () => {
    const w = bootWorld(D1);
    const enc = w.k.fs.stat('/dev/sgx/enclave');
    const prov = w.k.fs.stat('/dev/sgx/provision');
    expect([enc.rdev >> 20, enc.rdev & 0xfffff]).toEqual([254, 0]);
    expect([prov.rdev >> 20, prov.rdev & 0xfffff]).toEqual([254, 1]);
    expect(w.inst.devices).toEqual({ enclave: '/dev/sgx/enclave', provision: '/dev/sgx/provision' });
  });

  it('no devices without flexible launch control (v20 sgx_drv_probe(): -ENODEV)', () => {
    const w = bootWorld(D1, { cpu: { flc: false } });
    expect(w.inst.devices).toEqual({});
    expect(w.p.open('/dev/sgx/enclave', O_RDWR)).toBeLessThan(0);
  });

  it('open(O_RDWR) "allocs anon inode": the fd is on the shared S_PRIVATE anon inode, one enclave per open', () => {
    const w = bootWorld(D1);
    const fd1 = w.p.open('/dev/sgx/enclave', O_RDWR);
    const fd2 = w.p.open('/dev/sgx/enclave', O_RDWR);
    const f1 = w.k.fdFile(w.pid, fd1)!;
    expect(f1.path).toBe('anon_inode:[sgx]');
    expect(w.k.lsmFile(f1.id).inode.isPrivate).toBe(true);
    expect(f1.inode).toBe(w.k.wk.anonInode);
    expect(enclIdOfFd(w.k, w.pid, fd1)).not.toBe(enclIdOfFd(w.k, w.pid, fd2));
    expect(d1State(enclOf(w.k, enclIdOfFd(w.k, w.pid, fd1)!))).toEqual({ mmapBanned: false });
  });

  it('SELinux: only the open is checked on the device node; ioctl and mmap(PROT_READ) of the anon-inode fd ask nothing; PROT_EXEC asks only process:execmem (Smalley, quoted in the seed)', () => {
    const w = bootWorld(D1, PERMISSIVE);
    const m0 = w.k.trace.length;
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const open = avcSince(w, m0).filter((s) => s.startsWith('chr_file'));
    const m1 = w.k.trace.length;
    const base = w.p.mmap(0, 0x10000, R, MAP_SHARED, fd, 0);
    D1.adapter.create(w.p, fd, secsBytes({ size: 0x10000n, base: big(base) }));
    const quiet = avcSince(w, m1);
    const m2 = w.k.trace.length;
    const x = w.p.mmap(0, 0x2000, RX, MAP_SHARED, fd, 0);
    const exec = avcSince(w, m2);
    // selinux_inode_permission() `read write`, selinux_file_open() `read write open` (hooks.c 6.1)
    expect(open).toEqual(['chr_file:read,write', 'chr_file:read,write,open']);
    expect(quiet).toEqual([]);
    expect(exec).toEqual(['process:execmem']);
    expect(x).toBeGreaterThan(0);
  });

  it('driver options: unknown keys and values are one-line errors; defaults are the thread\'s reading (docs §D1)', () => {
    expect(d1Options(undefined)).toEqual({ mmapBan: 'first-add', sourceMayExec: false, stuffPermissions: false, faultCheck: 'none', sgx2: false, unmappedArea: 'rfc-v1' });
    expect(() => d1Options({ version: '6.1' })).toThrow(/^unknown driver option 'version' \(D1 options: /);
    expect(() => d1Options({ mmapBan: 'never' })).toThrow("driver option mmapBan: 'never' is not one of first-add, create");
    expect(d1Options({ sgx2: true, faultCheck: 'copied' })).toMatchObject({ sgx2: true, faultCheck: 'copied', mmapBan: 'first-add' });
  });
});

// ------------------------------------------------------------------ get_unmapped_area

describe('D1 get_unmapped_area (v20 sgx_get_unmapped_area(), RFC v1 2/9)', () => {
  it('rfc-v1 (default): mmap(NULL, size) is naturally aligned (the seed\'s mmap(NULL, size, PROT_READ, MAP_SHARED) gives a valid SECS.BASE)', () => {
    const w = bootWorld(D1);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    for (const size of [0x2000, 0x10000, 0x200000]) {
      const a = w.p.mmap(0, size, R, MAP_SHARED, fd, 0);
      expect(a % size).toBe(0);
    }
  });

  it('rfc-v1: length below 8 KiB or not a power of two, or the MAP_PRIVATE bit (also MAP_SHARED_VALIDATE), is EINVAL; MAP_FIXED is taken as given', () => {
    const w = bootWorld(D1);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    expect(w.p.mmap(0, PAGE, R, MAP_SHARED, fd, 0)).toBe(-EINVAL);
    expect(w.p.mmap(0, 0x3000, R, MAP_SHARED, fd, 0)).toBe(-EINVAL);
    expect(w.p.mmap(0, 0x2000, R, 0x03, fd, 0)).toBe(-EINVAL);
    const hint = 0x7f00_0000_1000;
    expect(w.p.mmap(hint, PAGE, R, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(hint);
  });

  it('v20: MAP_FIXED is rounded up to a multiple of the length too (the bug Sean points out on 2019-05-22)', () => {
    const w = bootWorld(D1, { driver: { unmappedArea: 'v20' } });
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const hint = 0x7f00_0000_1000;
    expect(w.p.mmap(hint, 0x2000, R, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(0x7f00_0000_2000);
    expect(w.p.mmap(hint, PAGE, R, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(-EINVAL);
  });

  it('mainline: no natural alignment, so the seed flow\'s SECS.BASE is misaligned and ECREATE fails (-EIO)', () => {
    const w = bootWorld(D1, { driver: { unmappedArea: 'mainline' } });
    const { manifest, reader } = referenceManifest();
    const r = loadEnclave(D1, w.p, prepare(w, manifest, reader), 'careful');
    expect(r.base % r.size).not.toBe(0);
    expect(r.error).toBe('ENCLAVE_CREATE: EIO');
  });
});

// ------------------------------------------------------------------ CREATE

describe('D1 CREATE needs the ELRANGE mapped from the enclave fd (Sean 2019-05-21/22)', () => {
  it('mapped: 0; anonymous reservation, half-mapped, or mapped from another enclave fd: EINVAL (OPEN CHOICE errno, sgx_encl_find())', () => {
    const w = bootWorld(D1);
    expect(d1Enclave(w).create).toBe(0);
    const p = w.p;
    const size = 0x10000;
    // anonymous reservation (load.c encl_map_area())
    const fdA = p.open('/dev/sgx/enclave', O_RDWR);
    const area = p.mmap(0, size * 2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
    const base = Math.ceil(area / size) * size;
    expect(D1.adapter.create(p, fdA, secsBytes({ size: big(size), base: big(base) })).ret).toBe(-EINVAL);
    // half of the range mapped from the fd
    expect(p.mmap(base, size / 2, R, MAP_SHARED | MAP_FIXED, fdA, 0)).toBe(base);
    expect(D1.adapter.create(p, fdA, secsBytes({ size: big(size), base: big(base) })).ret).toBe(-EINVAL);
    // all of it, but from another enclave's fd
    const fdB = p.open('/dev/sgx/enclave', O_RDWR);
    expect(p.mmap(base, size, R, MAP_SHARED | MAP_FIXED, fdB, 0)).toBe(base);
    expect(D1.adapter.create(p, fdA, secsBytes({ size: big(size), base: big(base) })).ret).toBe(-EINVAL);
    expect(D1.adapter.create(p, fdB, secsBytes({ size: big(size), base: big(base) })).ret).toBe(0);
  });

  it('the mainline checks keep their order around it: CREATE twice is EINVAL, a bad SECS pointer EFAULT, both before the VMA check', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    w.p.munmap(e.base, e.size);
    expect(D1.adapter.create(w.p, e.fd, secsBytes({ size: big(e.size), base: big(e.base) })).ret).toBe(-EINVAL);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const arg = w.p.malloc(8, 8);
    w.p.storeU64(arg, 0x10n); // SECS pointer into the unmapped first page
    expect(w.p.ioctl(fd, D1_IOC_ENCLAVE_CREATE, arg)).toBe(-EFAULT);
  });
});

// ------------------------------------------------------------------ ADD: copy contents and permissions

describe('D1 ENCLAVE_ADD copies the contents *and* the permissions of the source VMA (seed)', () => {
  it('the source VMA\'s R/W/X become the EPCM permissions (SECINFO) and the enclave VMA\'s protection; TCS pages get EPCM permissions 0', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const text = fileSource(w, homeFile(w, 'text'), RX);
    const data = anonSource(w, RW);
    const ro = anonSource(w, R);
    const tcs = anonSource(w, RW, 1, 0);
    expect(add(w, e, 0x2000, text).ret).toBe(0);
    expect(add(w, e, 0x3000, data).ret).toBe(0);
    expect(add(w, e, 0x4000, ro).ret).toBe(0);
    expect(add(w, e, 0x0, tcs, 1, 'TCS').ret).toBe(0);
    expect(epcm(w, e, e.base + 0x2000)).toEqual({ pt: SgxPageType.REG, r: true, w: false, x: true });
    expect(epcm(w, e, e.base + 0x3000)).toEqual({ pt: SgxPageType.REG, r: true, w: true, x: false });
    expect(epcm(w, e, e.base + 0x4000)).toEqual({ pt: SgxPageType.REG, r: true, w: false, x: false });
    // SDM EADD: a TCS's R/W/X must be 0 (the CPU overwrites them); its VMA gets the source's RW
    expect(epcm(w, e, e.base)).toEqual({ pt: SgxPageType.TCS, r: false, w: false, x: false });
    expect(vmas(w, e.base, e.size)).toEqual([
      [0x0, 0x1000, 'rw-'],
      [0x1000, 0x2000, 'r--'],
      [0x2000, 0x3000, 'r-x'],
      [0x3000, 0x4000, 'rw-'],
      [0x4000, 0x10000, 'r--'], // copied R onto an R VMA: mprotect_fixup() has nothing to change
    ]);
    expect([0x2000, 0x3000, 0x4000, 0].map((o) => d1CopiedPerms(w.k, e.id, e.base + o))).toEqual([VM_READ | VM_EXEC, VM_READ | VM_WRITE, VM_READ, VM_READ | VM_WRITE]);
  });

  it('the contents are the source\'s bytes as the task sees them (get_user_pages(), then EADD)', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const src = anonSource(w, RW, 1, 0x42);
    add(w, e, 0x3000, src);
    const p = enclOf(w.k, e.id).page(e.base + 0x3000)!;
    expect(sgxPlatform(w.k).hw.readPage(p.epc!)).toEqual(new Uint8Array(PAGE).fill(0x42));
  });

  it('VMA splitting per chunk: one mprotect_fixup() per run of equal permissions in a call; VM_PFNMAP VMAs never merge (vma_merge() refuses VM_SPECIAL)', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const four = anonSource(w, RW, 4);
    expect(add(w, e, 0x0, four, 4).count).toBe(4 * PAGE);
    // a later chunk with the same permissions right after it: a separate VMA
    expect(add(w, e, 0x4000, anonSource(w, RW, 2), 2).ret).toBe(0);
    expect(vmas(w, e.base, e.size)).toEqual([
      [0x0, 0x4000, 'rw-'],
      [0x4000, 0x6000, 'rw-'],
      [0x6000, 0x10000, 'r--'],
    ]);
  });

  it('a chunk whose source pages lie in different VMAs copies each page\'s own VMA permissions (per-page lookup)', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    // one 3-page source range: RX | RW | R
    const src = anonSource(w, RW, 3);
    w.p.mprotect(src, PAGE, RX);
    w.p.mprotect(src + 2 * PAGE, PAGE, R);
    expect(add(w, e, 0x8000, src, 3).count).toBe(3 * PAGE);
    expect(vmas(w, e.base, e.size)).toEqual([
      [0x0, 0x8000, 'r--'],
      [0x8000, 0x9000, 'r-x'],
      [0x9000, 0xa000, 'rw-'],
      [0xa000, 0x10000, 'r--'], // the R page needs no change: it stays in the initial VMA
    ]);
  });

  it('a source whose VMA changes between chunks: each ADD copies the protection the source has at that moment', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const src = fileSource(w, homeFile(w, 'code', 2), R, 2);
    expect(add(w, e, 0x2000, src).ret).toBe(0);
    expect(w.p.mprotect(src, 2 * PAGE, RX)).toBe(0);
    expect(add(w, e, 0x3000, src + PAGE).ret).toBe(0);
    expect(vmas(w, e.base, e.size)).toEqual([
      [0x0, 0x3000, 'r--'],
      [0x3000, 0x4000, 'r-x'],
      [0x4000, 0x10000, 'r--'],
    ]);
  });

  it('sources that are enclave mappings (this enclave\'s or another\'s) are EFAULT: get_user_pages() refuses VM_IO|VM_PFNMAP', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const other = d1Enclave(w);
    expect(add(w, e, 0x1000, e.base + 0x8000)).toEqual({ ret: -EFAULT, count: 0 });
    expect(add(w, e, 0x1000, other.base)).toEqual({ ret: -EFAULT, count: 0 });
  });

  it('other bad sources: a hole, PROT_NONE, or execute-only memory (no VM_READ for get_user_pages()) are EFAULT', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const three = anonSource(w, RW, 3);
    w.p.munmap(three + PAGE, PAGE);
    expect(add(w, e, 0x1000, three + PAGE).ret).toBe(-EFAULT);
    expect(add(w, e, 0x1000, anonSource(w, PROT_NONE)).ret).toBe(-EFAULT);
    expect(add(w, e, 0x1000, anonSource(w, PROT_EXEC)).ret).toBe(-EFAULT);
    expect(enclOf(w.k, e.id).page(e.base + 0x1000)).toBeUndefined();
  });

  it('a private file mapping that was written (anon_vma) is copied with its modified bytes; making it executable first costs file:execmod (selinux_file_mprotect())', () => {
    const w = bootWorld(D1, PERMISSIVE);
    const e = d1Enclave(w);
    const path = homeFile(w, 'patched', 1, 0x90);
    const src = fileSource(w, path, RW);
    w.p.store(src + 16, new Uint8Array([0xc3])); // a text relocation: the VMA gets an anon_vma
    const m = w.k.trace.length;
    expect(w.p.mprotect(src, PAGE, RX)).toBe(0);
    // hooks.c: vm_file && anon_vma -> FILE__EXECMOD; then file_map_prot_check(): read execute
    expect(avcSince(w, m)).toEqual(['file:execmod', 'file:read,execute']);
    expect(add(w, e, 0x2000, src).ret).toBe(0);
    const page = sgxPlatform(w.k).hw.readPage(enclOf(w.k, e.id).page(e.base + 0x2000)!.epc!);
    expect([page[15], page[16], page[17]]).toEqual([0x90, 0xc3, 0x90]);
    expect(epcm(w, e, e.base + 0x2000)).toMatchObject({ r: true, w: false, x: true });
  });

  it('measurement: EADD measures SECINFO.FLAGS (SDM EADD), so a source mapped with the wrong protection changes MRENCLAVE and EINIT fails (-EPERM)', () => {
    const w = bootWorld(D1);
    const { manifest, reader } = referenceManifest();
    const img = prepare(w, manifest, reader);
    // the reference enclave's text is RX; copy it from a PROT_READ mapping instead
    const e = d1Enclave(w, Number(manifest.size));
    const f = w.p.open(img.imagePath, O_RDONLY);
    for (const s of manifest.segments) {
      const prot = s.name === 'text' ? R : s.type === 'TCS' ? RW : Number(s.perms);
      const src = s.measured ? w.p.mmap(0, Number(s.size), prot, MAP_PRIVATE, f, Number(s.offset)) : anonSource(w, RW, Number(s.size) / PAGE, 0);
      expect(D1.adapter.addPages(w.p, e.fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: 0, measure: s.measured }).ret).toBe(0);
    }
    expect(D1.adapter.init(w.p, e.fd, img.sigstruct).ret).toBe(-EPERM);
  });

  it('.type: reserved bits, or a page type other than REG/TCS (VA, TRIM, SECS), are EINVAL before any page', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const src = anonSource(w);
    const raw = (type: number) => ioctlStruct(w.p, e.fd, D1_IOC_ENCLAVE_ADD, D1_ENCLAVE_ADD, { offset: 0x1000, source: src, size: PAGE, type }).ret;
    expect(raw(SGX_ENCLAVE_ADD_REG | 0x2)).toBe(-EINVAL);
    expect(raw(SGX_ENCLAVE_ADD_REG | 0x10000)).toBe(-EINVAL);
    expect(raw(SgxPageType.VA << 8)).toBe(-EINVAL);
    expect(raw(SgxPageType.TRIM << 8)).toBe(-EINVAL);
    expect(raw(SgxPageType.SECS << 8)).toBe(-EINVAL);
    expect(raw(SGX_ENCLAVE_ADD_REG)).toBe(0);
  });

  it('mainline\'s range checks and order (as D7): alignment, zero/unaligned size, beyond the size, overflow, then "page exists" -EBUSY with the bytes before it', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const src = anonSource(w, RW, 4);
    const r = (offset: number | bigint, s: number, length: number) => D1.adapter.addPages(w.p, e.fd, { offset, src: s, length, type: 'REG', perms: 0, measure: true });
    expect(r(0x100, src, PAGE).ret).toBe(-EINVAL);
    expect(r(0, src + 0x10, PAGE).ret).toBe(-EINVAL);
    expect(r(0, src, 0).ret).toBe(-EINVAL);
    expect(r(0, src, 0x1800).ret).toBe(-EINVAL);
    expect(r(e.size, src, PAGE).ret).toBe(-EINVAL);
    expect(r((1n << 64n) - 0x1000n, src, 2 * PAGE)).toEqual({ ret: -EINVAL, count: 0 });
    expect(r(0x4000, src, 2 * PAGE)).toEqual({ ret: 0, count: 2 * PAGE });
    expect(r(0x2000, src, 4 * PAGE)).toEqual({ ret: -EBUSY, count: 2 * PAGE });
  });

  it('signals: pending before the first page -> ERESTARTSYS with the struct unchanged; after k pages -> 0 with offset/source advanced and the rest in .size, so re-issuing it finishes', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const src = anonSource(w, RW, 4);
    const arg = w.p.struct(D1_ENCLAVE_ADD, { offset: 0x4000, source: src, size: 4 * PAGE, type: SGX_ENCLAVE_ADD_REG | SGX_ENCLAVE_ADD_MEASURE });
    setSignalPending(w.k, w.pid, w.inst.platform, 0);
    expect(w.p.ioctl(e.fd, D1_IOC_ENCLAVE_ADD, arg)).toBe(-ERESTARTSYS);
    expect(w.p.readStruct(D1_ENCLAVE_ADD, arg)).toMatchObject({ offset: 0x4000n, source: big(src), size: big(4 * PAGE) });
    setSignalPending(w.k, w.pid, w.inst.platform, 2);
    expect(w.p.ioctl(e.fd, D1_IOC_ENCLAVE_ADD, arg)).toBe(0);
    expect(w.p.readStruct(D1_ENCLAVE_ADD, arg)).toMatchObject({ offset: 0x6000n, source: big(src + 2 * PAGE), size: big(2 * PAGE) });
    expect(w.p.ioctl(e.fd, D1_IOC_ENCLAVE_ADD, arg)).toBe(0);
    expect(w.p.readStruct(D1_ENCLAVE_ADD, arg)).toMatchObject({ offset: 0x8000n, size: 0n });
    expect(vmas(w, e.base + 0x4000, 4 * PAGE)).toEqual([
      [0x0, 0x2000, 'rw-'],
      [0x2000, 0x4000, 'rw-'],
    ]);
  });

  it('the target must be mapped from this enclave in the caller\'s mm ("modifies enclave\'s VMAs"): otherwise EINVAL for the whole range, before any page', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const src = anonSource(w, RW, 2);
    w.p.munmap(e.base + 0x3000, PAGE);
    expect(add(w, e, 0x2000, src, 2)).toEqual({ ret: -EINVAL, count: 0 });
    expect(enclOf(w.k, e.id).page(e.base + 0x2000)).toBeUndefined();
    expect(add(w, e, 0x1000, src).ret).toBe(0);
  });

  it('EPC exhaustion: nothing reclaimable -> ENOMEM; with reclaimable pages the add goes through EWB (ELDU after INIT: SGX-AC-12 in the suite)', () => {
    const w = bootWorld(D1, { cpu: { epcPages: 4 } });
    const e1 = d1Enclave(w);
    d1Enclave(w);
    // 4 EPC pages: two VA pages and two SECS, nothing on the active list
    expect(add(w, e1, 0, anonSource(w)).ret).toBe(-ENOMEM);
    const w2 = bootWorld(D1, { cpu: { epcPages: 24 } });
    const e = d1Enclave(w2, 0x40000);
    const src = anonSource(w2, RW, 32, 0x77);
    w2.p.store(src + 5 * PAGE, new Uint8Array([1, 2, 3]));
    expect(add(w2, e, 0, src, 32).count).toBe(32 * PAGE);
    expect(sgxPlatform(w2.k).stats.ewb).toBeGreaterThan(0);
    const pg = enclOf(w2.k, e.id).page(e.base + 5 * PAGE)!;
    expect(pg.epc).toBeNull();
  });
});


// ------------------------------------------------------------------ the mmap ban

describe('D1 mmap of the enclave fd is refused after the first ADD (Sean 2019-05-21)', () => {
  it('before the first ADD (after CREATE too) mmap works; after it every mmap of the fd is EPERM (OPEN CHOICE errno), whatever the protection', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    expect(w.p.mmap(e.base, 0x2000, RW, MAP_SHARED | MAP_FIXED, e.fd, 0)).toBe(e.base);
    expect(add(w, e, 0x4000, anonSource(w)).ret).toBe(0);
    expect(d1State(enclOf(w.k, e.id)).mmapBanned).toBe(true);
    expect(w.p.mmap(0, 0x10000, R, MAP_SHARED, e.fd, 0)).toBe(-EPERM);
    expect(w.p.mmap(e.base + 0x8000, 0x2000, PROT_NONE, MAP_SHARED | MAP_FIXED, e.fd, 0)).toBe(-EPERM);
  });

  it('a failed ADD does not start the ban; mmapBan: "create" starts it at ECREATE ("more intuitive to disallow mmap() at ECREATE")', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    expect(add(w, e, 0x1000, e.base).ret).toBe(-EFAULT);
    expect(w.p.mmap(0, 0x10000, R, MAP_SHARED, e.fd, 0)).toBeGreaterThan(0);
    const w2 = bootWorld(D1, { driver: { mmapBan: 'create' } });
    const fd = w2.p.open('/dev/sgx/enclave', O_RDWR);
    const base = w2.p.mmap(0, 0x10000, R, MAP_SHARED, fd, 0);
    expect(w2.p.mmap(0, 0x10000, R, MAP_SHARED, fd, 0)).toBeGreaterThan(0);
    expect(D1.adapter.create(w2.p, fd, secsBytes({ size: 0x10000n, base: big(base) })).ret).toBe(0);
    expect(w2.p.mmap(0, 0x10000, R, MAP_SHARED, fd, 0)).toBe(-EPERM);
  });

  it('closes the munmap->mmap hole: a page EADDed from a non-executable source cannot be remapped executable', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    expect(add(w, e, 0x2000, anonSource(w, R)).ret).toBe(0);
    expect(w.p.munmap(e.base, e.size)).toBe(0);
    expect(w.p.mmap(e.base, e.size, RX, MAP_SHARED | MAP_FIXED, e.fd, 0)).toBe(-EPERM);
  });

  it('Linux 6.1 mmap_region() unmaps the old range before calling ->mmap(): a refused MAP_FIXED mmap leaves a hole in the enclave mapping', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    add(w, e, 0x2000, anonSource(w));
    expect(w.p.mmap(e.base + 0x8000, 0x2000, RW, MAP_SHARED | MAP_FIXED, e.fd, 0)).toBe(-EPERM);
    expect(vmas(w, e.base, e.size)).toEqual([
      [0x0, 0x2000, 'r--'],
      [0x2000, 0x3000, 'rw-'],
      [0x3000, 0x8000, 'r--'],
      [0xa000, 0x10000, 'r--'],
    ]);
  });
});

// ------------------------------------------------------------------ several mms

describe('D1 with several mms: ADD changes the enclave VMAs of current->mm only (OPEN CHOICE)', () => {
  it('an fd passed before the first ADD: the receiver may map it; the builder\'s ADD leaves the receiver\'s VMA PROT_READ; the receiver may not map after it', () => {
    const w = bootWorld(D1);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const base = w.p.mmap(0, 0x10000, R, MAP_SHARED, fd, 0);
    D1.adapter.create(w.p, fd, secsBytes({ size: 0x10000n, base: big(base) }));
    const pid2 = w.k.spawn({ comm: 'owner' });
    const p2 = new UserProcess(w.k, pid2);
    const fd2 = w.k.passFd(w.pid, fd, pid2);
    expect(p2.mmap(base, 0x10000, R, MAP_SHARED | MAP_FIXED, fd2, 0)).toBe(base);
    const e: D1Encl = { fd, base, size: 0x10000, create: 0, id: enclIdOfFd(w.k, w.pid, fd)! };
    expect(add(w, e, 0x2000, fileSource(w, homeFile(w, 'x'), RX)).ret).toBe(0);
    expect(vmas(w, base, 0x10000)[1]).toEqual([0x2000, 0x3000, 'r-x']);
    expect(vmas(w, base, 0x10000, pid2)).toEqual([[0x0, 0x10000, 'r--']]);
    expect(p2.mmap(0, 0x10000, R, MAP_SHARED, fd2, 0)).toBe(-EPERM);
    expect(enclOf(w.k, e.id).mmList).toEqual([w.pid, pid2]);
    // the receiver's own ADD changes its own VMAs (it has the range mapped)
    const src2 = p2.mmap(0, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    expect(D1.adapter.addPages(p2, fd2, { offset: 0x3000, src: src2, length: PAGE, type: 'REG', perms: 0, measure: true }).ret).toBe(0);
    expect(vmas(w, base, 0x10000, pid2)[1]).toEqual([0x3000, 0x4000, 'rw-']);
    expect(vmas(w, base, 0x10000)[2]).toEqual([0x3000, 0x10000, 'r--']);
  });

  it('an fd passed after the first ADD is of no use for building: the receiver cannot map it, so its ADD has no target VMA (EINVAL)', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    add(w, e, 0x1000, anonSource(w));
    const pid2 = w.k.spawn({ comm: 'owner' });
    const p2 = new UserProcess(w.k, pid2);
    const fd2 = w.k.passFd(w.pid, e.fd, pid2);
    expect(p2.mmap(0, 0x10000, R, MAP_SHARED, fd2, 0)).toBe(-EPERM);
    const src2 = p2.mmap(0, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    expect(D1.adapter.addPages(p2, fd2, { offset: 0x2000, src: src2, length: PAGE, type: 'REG', perms: 0, measure: true })).toEqual({ ret: -EINVAL, count: 0 });
  });

  it('SELinux: the receiver\'s mprotect(+X) of its (PROT_READ) enclave VMA meets execmem in its own domain; its ioctls on the passed fd meet fd:use only', () => {
    const w = bootWorld(D1, PERMISSIVE);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const base = w.p.mmap(0, 0x10000, R, MAP_SHARED, fd, 0);
    const pid2 = w.k.spawn({ comm: 'owner', context: PROCESS_CONTEXTS.unconfined });
    const p2 = new UserProcess(w.k, pid2);
    const fd2 = w.k.passFd(w.pid, fd, pid2);
    p2.mmap(base, 0x10000, R, MAP_SHARED | MAP_FIXED, fd2, 0);
    const m = w.k.trace.length;
    D1.adapter.create(p2, fd2, secsBytes({ size: 0x10000n, base: big(base) }));
    const ioctl = avcSince(w, m);
    const m2 = w.k.trace.length;
    expect(p2.mprotect(base, PAGE, RX)).toBe(0);
    // selinux_file_mprotect(): no heap/stack/execmod branch; file_map_prot_check(): fd:use (other domain's file), then IS_PRIVATE -> execmem
    expect(ioctl).toEqual(['fd:use']);
    expect(avcSince(w, m2)).toEqual(['process:execmem', 'fd:use']);
  });
});

// ------------------------------------------------------------------ mprotect of enclave VMAs

describe('D1 mprotect of the enclave VMA: the stock path on an anon inode (05-16 outline step 7)', () => {
  function built(o: WorldOptions) {
    const w = bootWorld(D1, o);
    const e = d1Enclave(w);
    add(w, e, 0x2000, anonSource(w, R));
    add(w, e, 0x3000, anonSource(w, RW));
    return { w, e };
  }

  it('+X (R->RX) asks process:execmem only (S_PRIVATE inode: file_map_prot_check()); denied under builtin:default -> EACCES, allowed with sgx_loader_execmem', () => {
    const { w, e } = built(SELINUX);
    const m = w.k.trace.length;
    expect(w.p.mprotect(e.base + 0x2000, PAGE, RX)).toBe(-EACCES);
    expect(avcSince(w, m)).toEqual(['process:execmem']);
    selinuxOf(w.k).setBoolean('sgx_loader_execmem', true);
    expect(w.p.mprotect(e.base + 0x2000, PAGE, RX)).toBe(0);
  });

  it('an already executable VMA re-protected RX asks execmem again (file_map_prot_check() runs for every PROT_EXEC); +W asks nothing', () => {
    const w = bootWorld(D1, PERMISSIVE);
    const e = d1Enclave(w);
    add(w, e, 0x2000, fileSource(w, homeFile(w, 'code'), RX));
    add(w, e, 0x3000, anonSource(w, R));
    const m = w.k.trace.length;
    expect(w.p.mprotect(e.base + 0x2000, PAGE, RX)).toBe(0);
    const again = avcSince(w, m);
    const m2 = w.k.trace.length;
    expect(w.p.mprotect(e.base + 0x3000, PAGE, RW)).toBe(0);
    expect(again).toEqual(['process:execmem']);
    expect(avcSince(w, m2)).toEqual([]);
  });

  it('no driver check: without an LSM, RWX on any enclave VMA is allowed (D1 has no vm_ops->mprotect)', () => {
    const { w, e } = built({});
    expect(w.p.mprotect(e.base, e.size, RWX)).toBe(0);
    expect(vmas(w, e.base, e.size).every(([, , p]) => p === 'rwx')).toBe(true);
  });

  it('READ_IMPLIES_EXEC before the first ADD: mmap(PROT_READ) of the fd becomes PROT_EXEC and meets execmem (no SGX check of its own)', () => {
    const w = bootWorld(D1, SELINUX);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    w.p.personality(READ_IMPLIES_EXEC);
    const m = w.k.trace.length;
    expect(w.p.mmap(0, 0x10000, R, MAP_SHARED, fd, 0)).toBe(-EACCES);
    expect(avcSince(w, m)).toEqual(['process:execmem']);
  });
});

// ------------------------------------------------------------------ O_RDONLY

describe('D1 with the enclave fd opened O_RDONLY (Smalley 16:09, Sean 17:36)', () => {
  it('the PROT_READ MAP_SHARED mapping has no VM_MAYWRITE: a writable source is refused (-EACCES, OPEN CHOICE), a read-only or RX one is fine', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w, 0x10000, O_RDONLY);
    expect(e.create).toBe(0);
    const v = w.k.mm(w.pid).vmas.at(e.base)!;
    expect(v.flags & VM_MAYWRITE).toBe(0);
    expect(add(w, e, 0x2000, fileSource(w, homeFile(w, 'code'), RX)).ret).toBe(0);
    expect(add(w, e, 0x3000, anonSource(w, RW))).toEqual({ ret: -EACCES, count: 0 });
    expect(enclOf(w.k, e.id).page(e.base + 0x3000)).toBeUndefined();
  });

  it('stuffPermissions ("if ENCLAVE_ADD stuffed the EPC VMA permissions"): O_RDONLY loads the reference enclave; the device needs only read and open', () => {
    const w = bootWorld(D1, { ...PERMISSIVE, driver: { stuffPermissions: true } });
    const { manifest, reader } = referenceManifest();
    const img = prepare(w, manifest, reader);
    const e = d1Enclave(w, Number(manifest.size), O_RDONLY);
    const f = w.p.open(img.imagePath, O_RDONLY);
    for (const s of manifest.segments) {
      const prot = s.type === 'TCS' ? RW : Number(s.perms);
      const src = s.measured ? w.p.mmap(0, Number(s.size), prot, MAP_PRIVATE, f, Number(s.offset)) : anonSource(w, RW, Number(s.size) / PAGE, 0);
      expect(D1.adapter.addPages(w.p, e.fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: 0, measure: s.measured }).ret).toBe(0);
    }
    expect(D1.adapter.init(w.p, e.fd, img.sigstruct).ret).toBe(0);
    const data = w.k.mm(w.pid).vmas.at(e.base + 0x4000)!;
    expect([data.flags & VM_WRITE, data.flags & VM_MAYWRITE]).toEqual([VM_WRITE, 0]);
    const dev = w.k.trace.ofKind('avc').filter((x) => x.tcontext.includes('sgx_enclave_device_t')).flatMap((x) => x.requested);
    expect([...new Set(dev)].sort()).toEqual(['open', 'read']);
    expect(runInfo(enclCall(w, e.base, [{ op: 'store', addr: big(e.base + 0x4000), value: MAGIC }]))).toEqual(EEXIT_CLEAN);
  });
});

// ------------------------------------------------------------------ noexec

describe('D1 and noexec', () => {
  it('no VM_MAYEXEC check on the source in the thread: a noexec-mount source is accepted (copied R); the sourceMayExec variant refuses it (-EACCES)', () => {
    for (const [driver, want] of [[{}, 0], [{ sourceMayExec: true }, -EACCES]] as const) {
      const w = bootWorld(D1, { driver });
      w.k.fs.mkdirs('/mnt/nx');
      w.k.fs.mount('/mnt/nx', 'tmpfs', { noexec: true });
      w.k.fs.createFile('/mnt/nx/code', { data: new Uint8Array(PAGE).fill(0xcc) });
      const e = d1Enclave(w);
      const src = fileSource(w, '/mnt/nx/code', R);
      expect(w.k.mm(w.pid).vmas.at(src)!.flags & VM_MAYEXEC).toBe(0);
      expect(add(w, e, 0x2000, src).ret).toBe(want);
    }
  });

  it('the enclave file is on anon_inodefs, not on /dev: a noexec /dev does not stop PROT_EXEC on the enclave fd', () => {
    const w = bootWorld(D1);
    w.k.fs.remount('/dev', { noexec: true });
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    expect(w.p.mmap(0, 0x2000, RX, MAP_SHARED, fd, 0)).toBeGreaterThan(0);
  });

  it('on kernels whose anon_inodefs is SB_I_NOEXEC (6.16+), enclave VMAs have no VM_MAYEXEC: copying X is EACCES (PROT_EXEC mmap EPERM) unless stuffed', () => {
    for (const [driver, want] of [[{}, -EACCES], [{ stuffPermissions: true }, 0]] as const) {
      const k = Kernel.boot({ version: '6.16' });
      D1.install(k, { crypto, cpu: { epcPages: 128 }, driver });
      const pid = k.spawn({ comm: 'loader' });
      const p = new UserProcess(k, pid);
      const w = { k, design: D1, inst: { design: D1, platform: 0, devices: {} }, pid, p } as World;
      const e = d1Enclave(w);
      expect(p.mmap(0, 0x2000, RX, MAP_SHARED, e.fd, 0)).toBe(-EPERM);
      expect(add(w, e, 0x2000, anonSource(w, RX)).ret).toBe(want);
    }
  });
});

// ------------------------------------------------------------------ faults

describe('D1 faults', () => {
  it('before INIT every fault is SIGBUS, on added pages and holes alike ("SGX subsystem refuses to service page faults for enclaves that have not yet been initialized")', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    add(w, e, 0x1000, anonSource(w, RW), 1, 'REG', false);
    expect(w.p.tryLoad(e.base + 0x1000, 8)).toMatchObject({ ok: false, signal: 'SIGBUS' });
    expect(w.p.tryLoad(e.base + 0x2000, 8)).toMatchObject({ ok: false, signal: 'SIGBUS' });
  });

  it('after INIT: faultCheck "none" (default) serves any VMA protection; "copied" makes a VMA beyond the copied permissions SIGBUS', () => {
    for (const [faultCheck, want] of [['none', true], ['copied', false]] as const) {
      const w = bootWorld(D1, { driver: { faultCheck } });
      const { manifest, reader } = referenceManifest();
      const r = loadEnclave(D1, w.p, prepare(w, manifest, reader), 'careful');
      expect(r.ok).toBe(true);
      expect(w.p.mprotect(r.base + 0x4000, PAGE, RWX)).toBe(0);
      expect(w.p.tryLoad(r.base + 0x4000, 8).ok).toBe(want);
      expect(w.p.tryLoad(r.base + 0x5000, 8).ok).toBe(true);
    }
  });
});

// ------------------------------------------------------------------ SGX2

describe('D1 with SGX2 (driver option sgx2): EAUG pages have no source, so they inherit nothing', () => {
  function sgx2World(o: WorldOptions = {}) {
    const w = bootWorld(D1, { ...o, driver: { sgx2: true } });
    const { manifest, reader } = referenceManifest();
    const r = loadEnclave(D1, w.p, prepare(w, manifest, reader), 'careful');
    if (!r.ok) throw new Error(r.error);
    return { w, r };
  }

  it('EACCEPT of an unadded page under the initial PROT_READ VMA EAUGs it (max RWX, no copied permissions); without the option the fault is delivered', () => {
    const { w, r } = sgx2World();
    const page = r.base + 0xd000; // never added (the reference enclave has no page at 0xc000-0x10000)
    const pend = SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_REG | SGX_SECINFO_PENDING;
    const acc = enclCall(w, r.tcs[0], [{ op: 'eaccept', addr: big(page), flags: pend }]);
    expect({ ...runInfo(acc), ret: acc.results[0] }).toEqual({ ...EEXIT_CLEAN, ret: 0 });
    expect(sgxPlatform(w.k).stats.eaug).toBe(1);
    const id = enclIdOfFd(w.k, w.pid, r.fd)!;
    expect(d1CopiedPerms(w.k, id, page)).toBeNull();
    const w2 = bootWorld(D1);
    const { manifest, reader } = referenceManifest();
    const r2 = loadEnclave(D1, w2.p, prepare(w2, manifest, reader), 'careful');
    const acc2 = enclCall(w2, r2.tcs[0], [{ op: 'eaccept', addr: big(r2.base + 0xd000), flags: pend }]);
    expect(acc2.function).toBe(EncluLeaf.ERESUME);
    expect(acc2.exceptionVector).toBe(14);
  });

  it('EMODPE gives the page X in the EPCM without the kernel (RFC v1 cover); running it still needs an executable VMA, i.e. mprotect(+X) = execmem', () => {
    const { w, r } = sgx2World(PERMISSIVE);
    const page = r.base + 0xd000;
    const tcs = r.tcs[0];
    const pend = SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_REG | SGX_SECINFO_PENDING;
    enclCall(w, tcs, [{ op: 'eaccept', addr: big(page), flags: pend }]);
    expect(runInfo(enclCall(w, tcs, [{ op: 'emodpe', addr: big(page), flags: SGX_SECINFO_X }]))).toEqual(EEXIT_CLEAN);
    const id = enclIdOfFd(w.k, w.pid, r.fd)!;
    const epc = enclOf(w.k, id).page(page)!.epc!;
    expect(sgxPlatform(w.k).hw.epcm(epc)).toMatchObject({ r: true, w: true, x: true });
    // the VMA is the initial PROT_READ one: the fetch is a #PF the kernel cannot fix
    const fetch = enclCall(w, tcs, [{ op: 'exec', addr: big(page) }]);
    expect([fetch.function, fetch.exceptionVector]).toEqual([EncluLeaf.ERESUME, 14]);
    const m = w.k.trace.length;
    expect(w.p.mprotect(page, PAGE, RX)).toBe(0);
    expect(avcSince(w, m)).toEqual(['process:execmem']);
    expect(runInfo(enclCall(w, r.tcs[1], [{ op: 'exec', addr: big(page) }]))).toEqual(EEXIT_CLEAN);
  });
});

describe('D1 on SGX2 hardware without kernel SGX2 support (RFC v1 cover, 20190531233159.30992-1-sean.j.christopherson@intel.com)', () => {
  it('"EADD from a noexec file using read-only permissions, and later use mprotect() and ENCLU[EMODPE] to gain execute permissions": in D1 the only gate is mprotect(+X) = execmem', () => {
    const w = bootWorld(D1, PERMISSIVE);
    w.k.fs.mkdirs('/mnt/nx');
    w.k.fs.mount('/mnt/nx', 'tmpfs', { noexec: true });
    w.k.fs.createFile('/mnt/nx/code', { data: new Uint8Array(PAGE).fill(0xcc) });
    // the selftest layout plus a read-only page of 0xcc at 0xa000, signed as such
    const yaml = selftestManifestYaml() + '  - { name: ro, offset: 0xa000, size: 4K, perms: R, contents: { pattern: { repeat: "cc" } } }\n';
    const manifest = manifestFromYaml(yaml);
    const img = prepare(w, manifest);
    const e = d1Enclave(w, Number(manifest.size));
    const f = w.p.open(img.imagePath, O_RDONLY);
    for (const s of manifest.segments) {
      const prot = s.type === 'TCS' ? RW : Number(s.perms);
      const src = s.name === 'ro' ? fileSource(w, '/mnt/nx/code', R) : s.measured ? w.p.mmap(0, Number(s.size), prot, MAP_PRIVATE, f, Number(s.offset)) : anonSource(w, RW, Number(s.size) / PAGE, 0);
      expect(D1.adapter.addPages(w.p, e.fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: 0, measure: s.measured }).ret).toBe(0);
    }
    expect(D1.adapter.init(w.p, e.fd, img.sigstruct).ret).toBe(0);
    const ro = e.base + 0xa000;
    expect(epcm(w, e, ro)).toEqual({ pt: SgxPageType.REG, r: true, w: false, x: false });
    expect(runInfo(enclCall(w, e.base, [{ op: 'emodpe', addr: big(ro), flags: SGX_SECINFO_X }]))).toEqual(EEXIT_CLEAN);
    expect(epcm(w, e, ro)).toEqual({ pt: SgxPageType.REG, r: true, w: false, x: true });
    const m = w.k.trace.length;
    expect(w.p.mprotect(ro, PAGE, RX)).toBe(0);
    expect(avcSince(w, m)).toEqual(['process:execmem']);
    expect(runInfo(enclCall(w, e.base, [{ op: 'exec', addr: big(ro) }]))).toEqual(EEXIT_CLEAN);
  });
});

// ------------------------------------------------------------------ the seed flow

describe('D1 canonical loader: the seed flow on the reference enclave', () => {
  it('issues exactly the seed\'s syscalls: open(image), the chunk mmaps, open(/dev/sgx/enclave, O_RDWR), mmap(NULL, size, PROT_READ, MAP_SHARED), CREATE, ADD per chunk, INIT', () => {
    const w = bootWorld(D1);
    const { manifest, reader } = referenceManifest();
    const img = prepare(w, manifest, reader);
    const m = w.k.trace.length;
    const r = loadEnclave(D1, w.p, img, 'careful');
    expect(r.ok).toBe(true);
    const calls = w.k.trace.ofKind('sys_enter', m).filter((x) => x.name !== 'brk').map((x) => {
      const a = x.args as Record<string, number | string>;
      if (x.name === 'open') return `open(${a.path}, ${a.flags})`;
      if (x.name === 'mmap') return `mmap(${a.addr}, 0x${Number(a.length).toString(16)}, ${a.prot}, ${a.flags}${Number(a.fd) >= 0 ? ', fd' : ''})`;
      if (x.name === 'ioctl') return `ioctl(0x${Number(a.cmd).toString(16)})`;
      return x.name;
    });
    expect(calls).toEqual([
      `open(${img.imagePath}, 0)`,
      'mmap(0, 0x1000, 3, 2, fd)', // tcs0: RW private
      'mmap(0, 0x1000, 3, 2, fd)', // tcs1
      'mmap(0, 0x2000, 5, 2, fd)', // text: RX private
      'mmap(0, 0x2000, 3, 2, fd)', // data: RW private
      'mmap(0, 0x4000, 3, 2, fd)', // ssa
      'mmap(0, 0x10000, 3, 34)', // heap: anonymous RW
      'close',
      'open(/dev/sgx/enclave, 2)',
      'mmap(0, 0x20000, 1, 1, fd)',
      'ioctl(0x4008a400)',
      ...manifest.segments.map(() => 'ioctl(0xc020a401)'),
      'ioctl(0x4008a402)',
    ]);
  });

  it('the enclave VMAs end up with the chunks\' protections and the enclave runs: EENTER on each TCS, code fetch from text, data read and written', () => {
    const w = bootWorld(D1);
    const { manifest, reader } = referenceManifest();
    const r = loadEnclave(D1, w.p, prepare(w, manifest, reader), 'careful');
    expect(r.ok).toBe(true);
    expect(r.base % r.size).toBe(0);
    expect(vmas(w, r.base, r.size)).toEqual([
      [0x0, 0x1000, 'rw-'], // tcs0
      [0x1000, 0x2000, 'rw-'], // tcs1
      [0x2000, 0x4000, 'r-x'], // text
      [0x4000, 0x6000, 'rw-'], // data
      [0x6000, 0x8000, 'r--'], // never added: the initial PROT_READ mapping
      [0x8000, 0xc000, 'rw-'], // ssa
      [0xc000, 0x10000, 'r--'],
      [0x10000, 0x20000, 'rw-'], // heap
    ]);
    expect(w.k.mm(w.pid).vmas.all().filter((v) => isSgxVma(v)).length).toBe(8);
    for (const tcs of r.tcs) {
      const run = enclCall(w, tcs, [
        { op: 'exec', addr: big(r.base + 0x3000) },
        { op: 'store', addr: big(r.base + 0x4008), value: MAGIC },
        { op: 'load', addr: big(r.base + 0x4008) },
      ]);
      expect(runInfo(run)).toEqual(EEXIT_CLEAN);
      expect(run.results[2]).toBe(MAGIC);
    }
    // the data page is not executable: its EPCM and its VMA have no X
    const fetch = enclCall(w, r.tcs[0], [{ op: 'exec', addr: big(r.base + 0x4000) }]);
    expect([fetch.function, fetch.exceptionVector]).toEqual([EncluLeaf.ERESUME, 14]);
  });

  it('with execute on the enclave file (an image under /lib: lib_t), the seed flow loads under builtin:default enforcing with no denial and nothing executable on the device', () => {
    const w = bootWorld(D1, SELINUX);
    const { manifest, reader } = referenceManifest();
    const img = prepareEnclaveImage(w.k, manifest, reader, crypto, { dir: '/lib/enclave' });
    const m = w.k.trace.length;
    const r = loadEnclave(D1, w.p, img, 'careful');
    expect(r.error ?? null).toBeNull();
    const avc = w.k.trace.ofKind('avc', m);
    expect(avc.filter((x) => x.decision === 'denied')).toEqual([]);
    expect(avc.filter((x) => x.tcontext.includes('sgx_enclave_device_t')).flatMap((x) => x.requested).sort()).toEqual(['open', 'read', 'read', 'write', 'write']);
    expect(avc.some((x) => x.tcontext.includes(':lib_t:') && x.requested.includes('execute'))).toBe(true);
    expect(runInfo(enclCall(w, r.tcs[0], [{ op: 'load', addr: big(r.base + 0x4000) }]))).toEqual(EEXIT_CLEAN);
  });

  it('the selftest flow runs through the rewrite of designs-spec §12 (enclave-read reservation, per-segment sources, no probes, no mmap after INIT)', () => {
    const w = bootWorld(D1);
    const r = loadEnclave(D1, w.p, prepare(w, manifestFromYaml(selftestManifestYaml())), 'selftest');
    expect(r.ok).toBe(true);
    expect(D1.loaders.selftest).toMatchObject({ kind: 'rewrite', plan: { reserve: 'enclave-read', sourceProt: 'segment', mapAfterInit: 'none', probes: false } });
    expect(D1.loaders.gramine?.kind).toBe('untranslatable');
    expect(D1.loaders.psw?.kind).toBe('untranslatable');
    const img2 = prepareEnclaveImage(w.k, manifestFromYaml(selftestManifestYaml()), noFiles, crypto, { name: 'psw' });
    expect(loadEnclave(D1, w.p, img2, 'psw').untranslatable).toMatch(/refuses mmap after the first ADD/);
  });
});

// ------------------------------------------------------------------ model properties

describe('D1 model properties', () => {
  it('clone: a kernel cloned before the first ADD builds independently (the ban, pages and VMAs of one do not leak into the other)', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const src = anonSource(w);
    const k2 = w.k.clone();
    const p2 = new UserProcess(k2, w.pid);
    expect(D1.adapter.addPages(p2, e.fd, { offset: 0x1000, src, length: PAGE, type: 'REG', perms: 0, measure: true }).ret).toBe(0);
    expect(d1State(enclOf(k2, e.id)).mmapBanned).toBe(true);
    expect(d1State(enclOf(w.k, e.id)).mmapBanned).toBe(false);
    expect(enclOf(w.k, e.id).page(e.base + 0x1000)).toBeUndefined();
    expect(vmas(w, e.base, e.size)).toEqual([[0, 0x10000, 'r--']]);
    expect(w.p.mmap(0, 0x10000, R, MAP_SHARED, e.fd, 0)).toBeGreaterThan(0);
    expect(p2.mmap(0, 0x10000, R, MAP_SHARED, e.fd, 0)).toBe(-EPERM);
  });

  it('determinism: the same load twice gives the same maps and the same enclave', () => {
    const once = () => {
      const w = bootWorld(D1);
      const { manifest, reader } = referenceManifest();
      const r = loadEnclave(D1, w.p, prepare(w, manifest, reader), 'careful');
      return { maps: w.k.procMaps(w.pid), base: r.base };
    };
    expect(once()).toEqual(once());
  });

  it('the trace names what ADD did to the VMAs', () => {
    const w = bootWorld(D1);
    const e = d1Enclave(w);
    const m = w.k.trace.length;
    add(w, e, 0x2000, anonSource(w, RX));
    expect(w.k.trace.ofKind('driver', m).map((x) => x.message)).toContain(`ENCLAVE_ADD: enclave VMA [0x${(e.base + 0x2000).toString(16)}, 0x${(e.base + 0x3000).toString(16)}) gets r-x from the source`);
  });
});

// ------------------------------------------------------------------ property: the copy against a naive per-page model

describe('D1 property: after any sequence of ADDs, every page\'s VMA protection and EPCM permissions are what a naive per-page model says', () => {
  it('random chunks over random source protections (fast-check)', () => {
    const PAGES = 16;
    const prots = [R, RW, RX, RWX];
    const chunk = fc.record({ first: fc.integer({ min: 0, max: PAGES - 1 }), n: fc.integer({ min: 1, max: 4 }), srcProts: fc.array(fc.constantFrom(...prots), { minLength: 4, maxLength: 4 }) });
    fc.assert(
      fc.property(fc.array(chunk, { minLength: 1, maxLength: 8 }), (chunks) => {
        const w = bootWorld(D1, { trace: false });
        const e = d1Enclave(w, PAGES * PAGE);
        const model = new Map<number, number>(); // page -> copied PROT_*
        for (const c of chunks) {
          const n = Math.min(c.n, PAGES - c.first);
          const src = anonSource(w, RW, n);
          for (let i = 0; i < n; i++) w.p.mprotect(src + i * PAGE, PAGE, c.srcProts[i]);
          const r = add(w, e, c.first * PAGE, src, n);
          // the naive model: pages before the first existing page are added with their source's protection
          let i = 0;
          for (; i < n && !model.has(c.first + i); i++) model.set(c.first + i, c.srcProts[i]);
          expect(r).toEqual(i === n ? { ret: 0, count: n * PAGE } : { ret: -EBUSY, count: i * PAGE });
        }
        const mm = w.k.mm(w.pid);
        for (let pg = 0; pg < PAGES; pg++) {
          const v = mm.vmas.at(e.base + pg * PAGE)!;
          const want = model.get(pg) ?? R;
          expect(v.flags & 7).toBe(want);
          const x = epcm(w, e, e.base + pg * PAGE);
          expect(x === null ? null : (x.r ? 1 : 0) | (x.w ? 2 : 0) | (x.x ? 4 : 0)).toBe(model.has(pg) ? want : null);
        }
        // VMAs never outnumber the pages, and cover the range without a gap
        const ev = mm.vmas.all().filter((v) => v.start >= e.base && v.end <= e.base + e.size);
        expect(ev.reduce((a, v) => a + (v.end - v.start), 0)).toBe(e.size);
      }),
      { numRuns: 60 },
    );
  });
});
