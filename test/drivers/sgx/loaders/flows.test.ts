// The loader flows' system calls against their sources (designs-spec §11): load.c/main.c,
// Gramine's host_framework.c, the PSW's sgx_enclave_common.cpp; the image and SIGSTRUCT they use.
import { describe, expect, it } from 'vitest';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../../src/abi/mman.js';
import { O_CLOEXEC, O_RDONLY, O_RDWR } from '../../../../src/abi/fcntl.js';
import { D8, type SgxDesign } from '../../../../src/drivers/sgx/index.js';
import { loadEnclave } from '../../../../src/drivers/sgx/loaders/flows.js';
import { isHeapLike } from '../../../../src/drivers/sgx/loaders/image.js';
import { enclOf, platformOf } from '../../../../src/drivers/sgx/common/epc.js';
import { enclIdOfFd } from '../../../../src/drivers/sgx/common/knobs.js';
import { SGX_IOC_ENCLAVE_ADD_PAGES, SGX_IOC_ENCLAVE_CREATE, SGX_IOC_ENCLAVE_INIT } from '../../../../src/drivers/sgx/mainline/uapi.js';
import { measureManifest } from '../../../../src/enclave/measure.js';
import { layoutPages, readPage } from '../../../../src/enclave/layout.js';
import { parseSigstruct, verifySigstruct } from '../../../../src/arch/x86/sgx/sigstruct.js';
import { bootWorld, crypto, PAGE, prepare, referenceManifest, type World } from '../fixture.js';

type Call = { name: string; args: Record<string, unknown> };
const calls = (w: World, from = 0): Call[] =>
  w.k.trace.ofKind('sys_enter', from).filter((e) => e.pid === w.pid && e.name !== 'brk').map((e) => ({ name: e.name, args: e.args as Record<string, unknown> }));
const ioctls = (cs: Call[]) => cs.filter((c) => c.name === 'ioctl').map((c) => c.args.cmd);
const RX = PROT_READ | PROT_EXEC;
const RW = PROT_READ | PROT_WRITE;

function loaded(kind: 'selftest' | 'gramine' | 'psw', design: SgxDesign = D8, links = false) {
  const w = bootWorld(design, { devSgxLinks: links });
  const { manifest, reader } = referenceManifest();
  const img = prepare(w, manifest, reader);
  const from = w.k.trace.length;
  const r = loadEnclave(design, w.p, img, kind);
  return { w, img, r, cs: calls(w, from), manifest, reader };
}

describe('selftest flow (load.c encl_load/encl_build, main.c setup_test_encl)', () => {
  it('probes, maps the image, reserves, CREATE, one ADD per segment, INIT, then one mmap per segment', () => {
    const { r, cs, manifest } = loaded('selftest');
    expect(r.ok).toBe(true);
    const fd = r.fd;
    expect(cs.slice(0, 5)).toEqual([
      { name: 'open', args: { path: '/dev/sgx_enclave', flags: O_RDWR, mode: 0o666 } },
      { name: 'mmap', args: { addr: 0, length: PAGE, prot: PROT_READ, flags: MAP_SHARED, fd, offset: 0 } },
      expect.objectContaining({ name: 'munmap' }),
      { name: 'mmap', args: { addr: 0, length: PAGE, prot: PROT_EXEC, flags: MAP_SHARED, fd, offset: 0 } },
      expect.objectContaining({ name: 'munmap' }),
    ]);
    expect(cs[5]).toMatchObject({ name: 'open', args: { flags: O_RDONLY } });
    expect(cs[6]).toMatchObject({ name: 'mmap', args: { prot: PROT_READ, flags: MAP_PRIVATE } });
    expect(cs.find((c) => c.name === 'mmap' && c.args.prot === PROT_NONE)).toMatchObject({ args: { length: 2 * Number(manifest.size), flags: MAP_PRIVATE | MAP_ANONYMOUS } });
    expect(ioctls(cs)).toEqual([SGX_IOC_ENCLAVE_CREATE, ...manifest.segments.map(() => SGX_IOC_ENCLAVE_ADD_PAGES), SGX_IOC_ENCLAVE_INIT]);
    const afterInit = cs.slice(cs.findIndex((c) => c.args.cmd === SGX_IOC_ENCLAVE_INIT) + 1);
    expect(afterInit.map((c) => [c.name, c.args.addr, c.args.length, c.args.prot, c.args.flags])).toEqual(
      manifest.segments.map((s) => ['mmap', r.base + Number(s.offset), Number(s.size), s.type === 'TCS' ? RW : Number(s.perms), MAP_SHARED | MAP_FIXED]),
    );
  });
  it('the enclave the loader built has the MRENCLAVE measured in software', () => {
    const { w, r, manifest, reader } = loaded('selftest');
    const encl = enclOf(w.k, enclIdOfFd(w.k, w.pid, r.fd)!);
    const secs = platformOf(w.k, encl.platform).hw.secs(encl.secs.epc!)!;
    expect(secs.initialized).toBe(true);
    expect(Buffer.from(secs.mrenclave!).toString('hex')).toBe(Buffer.from(measureManifest(manifest, reader, crypto).mrenclave).toString('hex'));
  });
});

describe('Gramine flow (host_framework.c)', () => {
  it('reads the .sig file, maps the whole ELRANGE RWX before CREATE, re-maps each range after adding it', () => {
    const { r, cs, manifest, img } = loaded('gramine');
    expect(r.ok).toBe(true);
    expect(cs[0]).toEqual({ name: 'open', args: { path: '/dev/sgx_enclave', flags: O_RDWR | O_CLOEXEC, mode: 0o666 } });
    expect(cs.find((c) => c.name === 'read')).toMatchObject({ args: { count: 1808 } });
    const create = cs.findIndex((c) => c.args.cmd === SGX_IOC_ENCLAVE_CREATE);
    const whole = cs.findIndex((c) => c.name === 'mmap' && c.args.fd === r.fd);
    expect(whole).toBeLessThan(create);
    expect(cs[whole].args).toMatchObject({ addr: r.base, length: Number(manifest.size), prot: RX | PROT_WRITE, flags: MAP_SHARED | MAP_FIXED });
    // after each ADD_PAGES of a segment: mmap(addr, size, prot, MAP_FIXED|MAP_SHARED, sgx_fd)
    const remaps = cs.filter((c, i) => c.name === 'mmap' && c.args.fd === r.fd && i > create);
    expect(remaps.map((c) => [c.args.addr, c.args.prot])).toEqual(manifest.segments.map((s) => [r.base + Number(s.offset), s.type === 'TCS' ? RW : Number(s.perms)]));
    // file segments come from a private RW mapping of the image; zero ones from a shared read-only zero buffer
    expect(cs.some((c) => c.name === 'mmap' && c.args.prot === RW && c.args.flags === MAP_PRIVATE && c.args.fd !== -1)).toBe(true);
    expect(cs.some((c) => c.name === 'mmap' && c.args.prot === PROT_READ && c.args.flags === (MAP_PRIVATE | MAP_ANONYMOUS))).toBe(true);
    expect(img.sigstructPath.endsWith('.sig')).toBe(true);
  });
});

describe('PSW flow (libsgx_enclave_common)', () => {
  it('tries /dev/sgx/enclave first, adds one page per ioctl, maps runs before INIT, mprotects after', () => {
    const { r, cs, manifest } = loaded('psw');
    expect(r.ok).toBe(true);
    expect(cs.slice(0, 2).map((c) => c.args.path)).toEqual(['/dev/sgx/enclave', '/dev/sgx_enclave']);
    const pages = [...layoutPages(manifest)].length;
    expect(ioctls(cs)).toEqual([SGX_IOC_ENCLAVE_CREATE, ...Array(pages).fill(SGX_IOC_ENCLAVE_ADD_PAGES), SGX_IOC_ENCLAVE_INIT]);
    const init = cs.findIndex((c) => c.args.cmd === SGX_IOC_ENCLAVE_INIT);
    const maps = cs.filter((c, i) => c.name === 'mmap' && c.args.fd === r.fd && i < init);
    // runs of equal protection: TCS+TCS (RW), text (RX), data+ssa+heap (RW)
    expect(maps.map((c) => [c.args.addr, c.args.length, c.args.prot])).toEqual([
      [r.base, 0x2000, RW],
      [r.base + 0x2000, 0x2000, RX],
      [r.base + 0x4000, 0x2000, RW],
      [r.base + 0x8000, 0x4000, RW],
      [r.base + 0x10000, 0x10000, RW],
    ]);
    expect(cs.slice(init + 1).map((c) => c.name)).toEqual(manifest.segments.filter((s) => s.type !== 'TCS').map(() => 'mprotect'));
  });
  it('with the udev links it uses /dev/sgx/enclave', () => {
    const { r, cs } = loaded('psw', D8, true);
    expect(r.ok).toBe(true);
    expect(cs.filter((c) => c.name === 'open').slice(0, 2).map((c) => c.args.path)).toEqual(['/dev/sgx/enclave', '/dev/sgx/enclave']);
  });
});

describe('translation', () => {
  it('an untranslatable flow is reported without a single syscall', () => {
    const design: SgxDesign = { ...D8, key: 'X', loaders: { selftest: { kind: 'untranslatable', why: 'no such API' } } };
    const w = bootWorld(D8);
    const { manifest, reader } = referenceManifest();
    const img = prepare(w, manifest, reader);
    const from = w.k.trace.length;
    const r = loadEnclave(design, w.p, img, 'selftest');
    expect(r).toMatchObject({ ok: false, untranslatable: 'no such API', error: 'untranslatable: no such API', fd: -1 });
    expect(calls(w, from)).toEqual([]);
  });
});

describe('image preparation', () => {
  it('the image holds every file-backed page at its enclave offset; the SIGSTRUCT is signed for the manifest', () => {
    const w = bootWorld(D8);
    const { manifest, reader } = referenceManifest();
    const img = prepare(w, manifest, reader);
    const bytes = w.k.fs.readFile(img.imagePath);
    const heap = manifest.segments.find((s) => s.name === 'heap')!;
    expect(isHeapLike(heap)).toBe(true);
    // the file ends with the last segment that is not heap-like (the ssa segment, 0x8000 + 16 KiB)
    expect(bytes.length).toBe(Math.max(...manifest.segments.filter((s) => !isHeapLike(s)).map((s) => Number(s.offset + s.size))));
    expect(bytes.length).toBe(0xc000);
    const page = new Uint8Array(PAGE);
    for (const p of layoutPages(manifest, (x) => reader.size(x))) {
      if (isHeapLike(p.segment)) continue;
      readPage(p, reader, page);
      expect(Buffer.compare(Buffer.from(bytes.subarray(Number(p.offset), Number(p.offset) + PAGE)), Buffer.from(page))).toBe(0);
    }
    expect(verifySigstruct(img.sigstruct, crypto)).toEqual({ signature: true, q1: true, q2: true, exponent3: true });
    expect(Buffer.from(parseSigstruct(img.sigstruct).enclaveHash).equals(Buffer.from(measureManifest(manifest, reader, crypto).mrenclave))).toBe(true);
    expect(w.k.fs.stat(img.imagePath).label).toBe('system_u:object_r:lib_t:s0');
    expect(Buffer.from(w.k.fs.readFile(img.sigstructPath)).equals(Buffer.from(img.sigstruct))).toBe(true);
  });
});
