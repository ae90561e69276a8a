// D6 `ema`: the rules of Cedric Xing's v3 (designs-spec §7) one by one: what security_enclave_load()
// asks per source and protection, the EMA bits, launch control at INIT, sgx_mmap()'s
// security_file_mprotect() from PROT_NONE, enclave_mprotect() (as posted and as intended), the
// whole-VMA judgement, EAUG (the sgx2 option), pinned files and clone isolation. Expected values
// come from v3 4/4 (3a9efc8d3c27490dbcfe802ce3facddd62f47872.1562542383.git.cedric.xing@intel.com),
// the hooks' kernel-doc (v1 1/3) and hooks.c (Linux 6.1).
import { describe, expect, it } from 'vitest';
import { EACCES, EEXIST, EPERM } from '../../../src/abi/errno.js';
import { O_RDONLY } from '../../../src/abi/fcntl.js';
import { MAP_PRIVATE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../src/abi/mman.js';
import { SIGSTRUCT_OFF, SIGSTRUCT_SIZE, SgxError } from '../../../src/arch/x86/sgx/arch.js';
import { selinuxOf } from '../../../src/security/selinux/boot.js';
import { fileContextFor } from '../../../src/security/selinux/builtin.js';
import { designAvc } from '../../../src/drivers/sgx/common/lsm.js';
import { sgxPlatform } from '../../../src/drivers/sgx/common/install.js';
import { loadEnclave } from '../../../src/drivers/sgx/loaders/flows.js';
import type { EnclaveImage } from '../../../src/drivers/sgx/loaders/image.js';
import { V20_ENCLAVE_INIT, V20_IOC_ENCLAVE_INIT } from '../../../src/drivers/sgx/v20/uapi.js';
import { D6 } from '../../../src/drivers/sgx/ema/index.js';
import { d6Selinux, emaStateOf, emasIn } from '../../../src/drivers/sgx/ema/lsm.js';
import { UserProcess } from '../../../src/userspace/process.js';
import { bootWorld, enclCall, EEXIT_CLEAN, manifestFromYaml, prepare, referenceManifest, runInfo, selftestManifestYaml, type World, type WorldOptions } from './fixture.js';
import { anonPages, avcAsked, avcSince, fileSource, PAGE, rfcEnclave } from './d456.case.js';

const R = PROT_READ;
const RW = PROT_READ | PROT_WRITE;
const RX = PROT_READ | PROT_EXEC;
const RWX = RW | PROT_EXEC;
const SELINUX: WorldOptions = { selinux: { policy: 'builtin:default' } };
const PERMISSIVE: WorldOptions = { selinux: { policy: 'builtin:default', enforcing: false } };
const INTENDED: WorldOptions = { ...PERMISSIVE, driver: { cedricV3Bug: false } };

type Encl = ReturnType<typeof rfcEnclave>;

function add(w: World, c: Encl, offset: number, src: number, measure = true): number {
  return D6.adapter.addPages(w.p, c.fd, { offset, src, length: PAGE, type: 'REG', perms: RW, measure }).ret;
}

/** INIT with the SIGSTRUCT at user address `at`. */
function initAt(w: World, c: { fd: number }, at: number): number {
  return w.p.ioctl(c.fd, V20_IOC_ENCLAVE_INIT, w.p.struct(V20_ENCLAVE_INIT, { sigstruct: at }));
}

/** The image's SIGSTRUCT mapped from its .sig file (private, PROT_READ; `cow` writes to it first). */
function mapSig(w: World, img: EnclaveImage, cow = false): number {
  const fd = w.p.open(img.sigstructPath, O_RDONLY);
  const a = w.p.mmap(0, SIGSTRUCT_SIZE, cow ? RW : R, MAP_PRIVATE, fd, 0);
  if (cow) w.p.store(a + SIGSTRUCT_SIZE - 1, w.p.load(a + SIGSTRUCT_SIZE - 1, 1));
  w.p.close(fd);
  return a;
}

/** The selftest enclave built page by page from its image on D6 (ELRANGE mapped `prot` from the fd), not yet initialized. */
function buildSelftest(w: World, prot = PROT_NONE): { c: Encl; img: EnclaveImage } {
  const img = prepare(w, manifestFromYaml(selftestManifestYaml()));
  const c = rfcEnclave(w, Number(img.manifest.size));
  if (prot !== PROT_NONE) D6.adapter.map(w.p, c.fd, c.base, c.size, prot);
  const fd = w.p.open(img.imagePath, O_RDONLY);
  const bin = w.p.mmap(0, img.imageSize, R, MAP_PRIVATE, fd, 0);
  w.p.close(fd);
  for (const s of img.manifest.segments) {
    const src = s.name === 'heap' ? anonPages(w, Number(s.size) / PAGE, RW, 0) : bin + Number(s.offset);
    D6.adapter.addPages(w.p, c.fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: Number(s.perms), measure: s.measured });
  }
  return { c, img };
}

describe('security_enclave_load(encl, start, end, prot, src) -> selinux_enclave_load() (v3 4/4)', () => {
  it('prot is the protection of the enclave VMA covering the page (0 if unmapped): under PROT_NONE nothing is asked', () => {
    const w = bootWorld(D6, PERMISSIVE);
    const c = rfcEnclave(w);
    const m = w.k.trace.length;
    expect(add(w, c, 0x1000, anonPages(w))).toBe(0);
    expect(add(w, c, 0x2000, fileSource(w, '/home/user/a.so', { prot: R }))).toBe(0);
    expect(avcAsked(w, m)).toEqual([]);
    const s = emaStateOf(w.k, c.id)!;
    expect(emasIn(s, c.base, c.base + c.size).map((e) => [e.start - c.base, e.sourced, e.modified, e.source.kind])).toEqual([
      [0x1000, true, false, 'anon'],
      [0x2000, true, false, 'file'],
    ]);
  });

  it('what it asks per source under an RX and an RWX enclave mapping', () => {
    const w = bootWorld(D6, INTENDED);
    const rx = rfcEnclave(w);
    D6.adapter.map(w.p, rx.fd, rx.base, rx.size, RX);
    const rwx = rfcEnclave(w);
    D6.adapter.map(w.p, rwx.fd, rwx.base, rwx.size, RWX);
    const cases: Array<[string, Encl, number, string[], boolean]> = [
      ['anonymous, X', rx, anonPages(w), ['process2:enclave_execanon'], false],
      ['unmodified file, X', rx, fileSource(w, '/home/user/a.so', { prot: R }), ['file:execute'], false],
      ['COWed private file, X', rx, fileSource(w, '/home/user/b.so', { prot: R, cow: true }), ['file:execute', 'file:execmod'], true],
      ['anonymous, W+X', rwx, anonPages(w), ['process:execmem'], true],
      ['unmodified file, W+X', rwx, fileSource(w, '/home/user/c.so', { prot: R }), ['file:execute', 'process:execmem'], true],
    ];
    let off = 0x1000;
    for (const [what, c, src, asked, modified] of cases) {
      const m = w.k.trace.length;
      expect([what, add(w, c, off, src)]).toEqual([what, 0]);
      expect([what, avcAsked(w, m)]).toEqual([what, asked]);
      expect([what, emasIn(emaStateOf(w.k, c.id)!, c.base + off, c.base + off + PAGE)[0].modified]).toEqual([what, modified]);
      off += PAGE;
    }
  });

  it('enforcing: enclave_execanon denied is treated as W (execmem); the denial fails the ADD and no EMA is kept', () => {
    const w = bootWorld(D6, { ...SELINUX, driver: { cedricV3Bug: false } });
    const c = rfcEnclave(w);
    D6.adapter.map(w.p, c.fd, c.base, c.size, RX);
    const m = w.k.trace.length;
    expect(add(w, c, 0x1000, anonPages(w))).toBe(-EACCES);
    expect(avcSince(w, m)).toEqual(['denied process2:enclave_execanon', 'denied process:execmem']);
    expect(emaStateOf(w.k, c.id)?.emas.size ?? 0).toBe(0);
    selinuxOf(w.k).setBoolean('sgx_loader_execmem', true);
    expect(add(w, c, 0x1000, anonPages(w))).toBe(0);
  });

  it('EAUG (src NULL) with X needs file:execmod on the SIGSTRUCT file; without one yet: -EPERM', () => {
    const w = bootWorld(D6, PERMISSIVE);
    const c = rfcEnclave(w);
    const hooks = d6Selinux(designAvc(w.k)!, { cedricV3Bug: true });
    expect(hooks.enclaveLoad(w.k, w.pid, c.id, c.base, c.base + PAGE, RX, null)).toBe(-EPERM);
    expect(hooks.enclaveLoad(w.k, w.pid, c.id, c.base, c.base + PAGE, RW, null)).toBe(0);
    expect(emasIn(emaStateOf(w.k, c.id)!, c.base, c.base + PAGE)[0]).toMatchObject({ sourced: false, modified: true, source: { kind: 'none' } });
  });
});

describe('security_enclave_init(): launch control (v3 4/4)', () => {
  it('the SIGSTRUCT must be read from an unmodified file mapping: a heap copy or a COWed mapping is -EACCES', () => {
    const w = bootWorld(D6, PERMISSIVE);
    const { c, img } = buildSelftest(w);
    const heap = w.p.malloc(SIGSTRUCT_SIZE, 4096);
    w.p.store(heap, img.sigstruct);
    let m = w.k.trace.length;
    expect(initAt(w, c, heap)).toBe(-EACCES);
    expect(initAt(w, c, mapSig(w, img, true))).toBe(-EACCES);
    expect(avcAsked(w, m)).toEqual([]);
    m = w.k.trace.length;
    expect(initAt(w, c, mapSig(w, img))).toBe(0);
    expect(avcAsked(w, m)).toEqual(['file:execute']);
  });

  it('enforcing builtin:default: file:execute on a .sig file in the home directory (user_home_t) is denied; the .sig installed with the libraries (lib_t) passes', () => {
    const w = bootWorld(D6, SELINUX);
    const { c, img } = buildSelftest(w);
    const home = '/home/user/enclave/launch.sig';
    for (const d of ['/home', '/home/user', '/home/user/enclave']) if (w.k.fs.lookup(d) === null) w.k.fs.mkdir(d, { label: fileContextFor(d, '-d') });
    w.k.fs.createFile(home, { data: img.sigstruct, label: fileContextFor(home, '--') });
    const m = w.k.trace.length;
    expect(initAt(w, c, mapSig(w, { ...img, sigstructPath: home }))).toBe(-EACCES);
    expect(avcSince(w, m)).toEqual(['denied file:execute']);
    expect(initAt(w, c, mapSig(w, img))).toBe(0);
  });

  it('the SIGSTRUCT file is kept in the enclave file\'s blob: after a failed EINIT a second INIT is -EEXIST', () => {
    const w = bootWorld(D6, PERMISSIVE);
    const { c, img } = buildSelftest(w);
    const bad = Uint8Array.from(img.sigstruct);
    bad[SIGSTRUCT_OFF.signature + 7] ^= 1;
    const badPath = img.sigstructPath.replace(/\.sig$/, '.bad.sig');
    w.k.fs.createFile(badPath, { data: bad });
    expect(initAt(w, c, mapSig(w, { ...img, sigstructPath: badPath }))).toBe(SgxError.INVALID_SIGNATURE);
    expect(initAt(w, c, mapSig(w, img))).toBe(-EEXIST);
  });

  it('the SIGSTRUCT file stays pinned until the enclave file is released', () => {
    const w = bootWorld(D6, PERMISSIVE);
    const { c, img } = buildSelftest(w);
    const sig = mapSig(w, img);
    expect(initAt(w, c, sig)).toBe(0);
    const fileId = emaStateOf(w.k, c.id)!.sigstructFile!;
    w.p.munmap(sig, PAGE);
    expect(w.k.file(fileId).refs).toBe(1); // the enclave's reference only
    w.p.munmap(c.base, c.size);
    w.p.close(c.fd);
    expect(() => w.k.file(fileId)).toThrow(/no open file/);
  });
});

describe("sgx_mmap(): security_file_mprotect() from PROT_NONE, and enclave_mprotect()", () => {
  it('an RX mmap of the fd asks the stock checks twice (mmap_file, then file_mprotect); as posted also execmem', () => {
    for (const [opts, extra] of [
      [PERMISSIVE, ['process:execmem']],
      [INTENDED, []],
    ] as const) {
      const w = bootWorld(D6, opts);
      const fd = D6.adapter.openEnclave(w.p);
      const m = w.k.trace.length;
      expect(w.p.mmap(0, 0x10000, RX, 0x01, fd, 0) % 0x10000).toBe(0);
      expect(avcAsked(w, m, () => true)).toEqual(['chr_file:map', 'chr_file:read,execute', 'chr_file:read,execute', ...extra]);
    }
  });

  it('adding X judges every EMA of the VMA by its source; adding W marks them modified (then X needs execmod)', () => {
    const w = bootWorld(D6, INTENDED);
    const { c, img } = buildSelftest(w);
    expect(initAt(w, c, mapSig(w, img))).toBe(0);
    const text = c.base + 0x2000;
    // split the text off first (R adds neither W nor X)
    expect(w.p.mprotect(text, 2 * PAGE, R)).toBe(0);
    let m = w.k.trace.length;
    expect(w.p.mprotect(text, 2 * PAGE, RX)).toBe(0);
    expect(avcAsked(w, m)).toEqual(['chr_file:read,execute', 'file:execute', 'file:execute']);
    expect(w.p.mprotect(text, 2 * PAGE, RW)).toBe(0);
    expect(emasIn(emaStateOf(w.k, c.id)!, text, text + 2 * PAGE).every((e) => e.modified)).toBe(true);
    expect(w.p.mprotect(text, 2 * PAGE, R)).toBe(0);
    m = w.k.trace.length;
    expect(w.p.mprotect(text, 2 * PAGE, RX)).toBe(0);
    expect(avcAsked(w, m)).toEqual(['chr_file:read,execute', 'file:execute', 'file:execmod', 'file:execute', 'file:execmod']);
  });

  it('the LSM sees the whole VMA: X on part of the one ELRANGE mapping judges every page (the heap\'s anonymous EMAs too)', () => {
    const w = bootWorld(D6, INTENDED);
    const { c, img } = buildSelftest(w);
    expect(initAt(w, c, mapSig(w, img))).toBe(0);
    const m = w.k.trace.length;
    expect(w.p.mprotect(c.base + 0x2000, PAGE, RX)).toBe(0);
    const asked = avcAsked(w, m);
    expect(asked).toContain('process2:enclave_execanon'); // the heap page, sourced from anonymous memory
    expect(asked.filter((a) => a === 'file:execute').length).toBe(8); // the 8 pages loaded from the image
  });

  it('the posted `prot && PROT_WRITE`: an RX mprotect asks process:execmem; enforcing, it is denied', () => {
    const w = bootWorld(D6, PERMISSIVE);
    const { c, img } = buildSelftest(w);
    expect(initAt(w, c, mapSig(w, img))).toBe(0);
    w.p.mprotect(c.base + 0x2000, 2 * PAGE, R);
    const m = w.k.trace.length;
    expect(w.p.mprotect(c.base + 0x2000, 2 * PAGE, RX)).toBe(0);
    expect(avcAsked(w, m)).toEqual(['chr_file:read,execute', 'process:execmem', 'file:execute', 'file:execute']);
    w.p.mprotect(c.base + 0x2000, 2 * PAGE, R);
    selinuxOf(w.k).setEnforcing(true);
    selinuxOf(w.k).setBoolean('sgx_loader_execute_enclave', true);
    expect(w.p.mprotect(c.base + 0x2000, 2 * PAGE, RX)).toBe(-EACCES);
  });
});

describe('EAUG (the sgx2 option)', () => {
  it('a fault on a hole after INIT calls security_enclave_load(..., NULL): under an X mapping file:execmod on the SIGSTRUCT file', () => {
    const w = bootWorld(D6, { ...INTENDED, driver: { cedricV3Bug: false, sgx2: true } });
    const { c, img } = buildSelftest(w, RWX);
    expect(initAt(w, c, mapSig(w, img))).toBe(0);
    const hole = c.base + 0x9000;
    const m = w.k.trace.length;
    expect(w.p.tryLoad(hole, 8)).toMatchObject({ ok: true });
    expect(sgxPlatform(w.k).stats.eaug).toBe(1);
    expect(avcAsked(w, m)).toEqual(['file:execmod', 'process:execmem']);
    expect(emasIn(emaStateOf(w.k, c.id)!, hole, hole + PAGE)[0]).toMatchObject({ sourced: false, modified: true });
  });
});

describe('EMA state and clones', () => {
  it('a kernel clone forks the EMA map: loads in the clone are not in the original', () => {
    const w = bootWorld(D6, PERMISSIVE);
    const c = rfcEnclave(w);
    add(w, c, 0x1000, anonPages(w));
    const k2 = w.k.clone();
    const p2 = new UserProcess(k2, w.pid);
    expect(D6.adapter.addPages(p2, c.fd, { offset: 0x2000, src: anonPages({ ...w, k: k2, p: p2 }), length: PAGE, type: 'REG', perms: RW, measure: true }).ret).toBe(0);
    expect(emasIn(emaStateOf(k2, c.id)!, c.base, c.base + c.size).length).toBe(2);
    expect(emasIn(emaStateOf(w.k, c.id)!, c.base, c.base + c.size).length).toBe(1);
  });
});

describe('D6 careful loader', () => {
  for (const bug of [true, false]) {
    it(`(cedricV3Bug ${bug}) loads and enters the reference enclave with its launch control satisfied (permissive)`, () => {
      const w = bootWorld(D6, { ...PERMISSIVE, driver: { cedricV3Bug: bug } });
      const { manifest, reader } = referenceManifest();
      const r = loadEnclave(D6, w.p, prepare(w, manifest, reader));
      expect(r.error ?? null).toBeNull();
      expect(runInfo(enclCall(w, r.tcs[0], [{ op: 'load', addr: BigInt(r.base + 0x4000) }]))).toEqual(EEXIT_CLEAN);
      const denied = new Set(w.k.trace.ofKind('avc').filter((e) => e.decision === 'denied').map((e) => `${e.tclass}:${e.requested.join(',')}`));
      // file:execute on the image and the .sig file (lib_t) is granted by builtin:default; as posted, the RX mprotect asks execmem
      expect(denied).toEqual(new Set(bug ? ['process:execmem'] : []));
    });
  }
});
