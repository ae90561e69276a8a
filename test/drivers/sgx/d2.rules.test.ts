// D2 `sigstruct-file`: the design's own rules, holes and choices (docs/designs.md §D2). Expectations
// come from Andy Lutomirski's mails of 2019-05-15 (CALCETrXf8mSK45h7sTK5Wf+pXLVn=Bjsc_RLpgO-h-qdzBRo5Q,
// CALCETrX2ovRx3Rre+1_xC-q6CiybyLjQ-gmB4FZF_qCZ-Qd+4A), the Linux 6.1 code the driver keeps, and
// security/selinux/hooks.c; OPEN CHOICES say so. Policy: builtin:default with the enclave files
// under /usr/lib (lib_t, "labeled lib_t or similar so that it's executable", as Andy puts it), so
// that sgx_loader_t may execute them and the D2 checks are the ones that decide.
import { describe, expect, it } from 'vitest';
import { EACCES, EBADF, EINVAL, EPERM, isErr } from '../../../src/abi/errno.js';
import { O_RDONLY, O_RDWR, O_WRONLY } from '../../../src/abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../src/abi/mman.js';
import { PROCESS_CONTEXTS, fileContextFor } from '../../../src/security/selinux/builtin.js';
import { selinuxOf } from '../../../src/security/selinux/boot.js';
import { UserProcess } from '../../../src/userspace/process.js';
import { enclOf } from '../../../src/drivers/sgx/common/epc.js';
import { enclIdOfFd, setSignalPending } from '../../../src/drivers/sgx/common/knobs.js';
import { loadEnclave, reserveElrange } from '../../../src/drivers/sgx/loaders/flows.js';
import { prepareEnclaveImage, type EnclaveImage } from '../../../src/drivers/sgx/loaders/image.js';
import {
  D2,
  D2_ENCLAVE_ADD_PAGES,
  D2_IOC_ENCLAVE_ADD_PAGES,
  D2_IOC_ENCLAVE_CREATE,
  D2_IOC_ENCLAVE_INIT,
  D2_IOC_ENCLAVE_SET_ATTRIBUTE,
  d2Init,
  d2Options,
  lsmPageState,
} from '../../../src/drivers/sgx/sigstruct-file/index.js';
import { bootWorld, crypto, EEXIT_CLEAN, enclCall, PAGE, referenceManifest, runInfo, secsBytes, type World, type WorldOptions } from './fixture.js';

const RW = PROT_READ | PROT_WRITE;
const RX = PROT_READ | PROT_EXEC;
const RWX = RW | PROT_EXEC;
const SELINUX: WorldOptions = { selinux: { policy: 'builtin:default' } };

/** The reference enclave's files under /usr/lib/enclave (lib_t). */
function libImage(w: World): EnclaveImage {
  const { manifest, reader } = referenceManifest();
  return prepareEnclaveImage(w.k, manifest, reader, crypto, { dir: '/usr/lib/enclave' });
}

interface Built {
  fd: number;
  base: number;
  id: number;
  seg(name: string): { addr: number; size: number };
}

/**
 * Build the reference enclave the D2 way, by hand: every file-backed segment from the image mapped
 * with `imageProt`; the text from anonymous RW memory instead when `text` is 'anon'; INIT with a
 * fd of the .sig file. Throws unless every step returns 0.
 */
function build(w: World, img: EnclaveImage, imageProt: number, text: 'image' | 'anon' = 'image'): Built {
  const p = w.p;
  const m = img.manifest;
  const fd = p.open('/dev/sgx/enclave', O_RDWR);
  const imgfd = p.open(img.imagePath, O_RDONLY);
  const bin = p.mmap(0, img.imageSize, imageProt, MAP_PRIVATE, imgfd, 0);
  if (isErr(bin)) throw new Error(`mmap image: ${bin}`);
  p.close(imgfd);
  const base = reserveElrange(p, Number(m.size));
  const c = D2.adapter.create(p, fd, secsBytes({ size: m.size, base: BigInt(base) }));
  if (c.ret) throw new Error(`CREATE ${c.ret}`);
  for (const s of m.segments) {
    let src = bin + Number(s.offset);
    if (s.name === 'heap' || (s.name === 'text' && text === 'anon')) {
      src = p.mmap(0, Number(s.size), RW, MAP_PRIVATE | MAP_ANONYMOUS);
      if (s.name === 'text') p.store(src, p.load(bin + Number(s.offset), Number(s.size)));
    }
    const r = D2.adapter.addPages(p, fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: Number(s.perms), measure: s.measured });
    if (r.ret) throw new Error(`ADD ${s.name}: ${r.ret}`);
  }
  const sig = p.open(img.sigstructPath, O_RDONLY);
  const init = d2Init(p, fd, sig);
  if (init) throw new Error(`INIT ${init}`);
  return {
    fd,
    base,
    id: enclIdOfFd(w.k, w.pid, fd)!,
    seg: (n) => {
      const s = m.segments.find((x) => x.name === n)!;
      return { addr: base + Number(s.offset), size: Number(s.size) };
    },
  };
}

function map(w: World, b: Built, name: string, prot: number, p: UserProcess = w.p, fd = b.fd): number {
  const s = b.seg(name);
  return p.mmap(s.addr, s.size, prot, MAP_SHARED | MAP_FIXED, fd, 0);
}

/** The design-hook AVC queries since `from`: `perm@type:class decision`. */
function hookAvc(w: World, from: number): string[] {
  return w.k.trace
    .ofKind('avc', from)
    .filter((x) => x.hook === 'enclave_map' || x.hook === 'enclave_init')
    .map((x) => `${x.hook} ${x.requested.join(',')}@${x.tcontext.split(':')[2]}:${x.tclass} ${x.decision}`);
}

describe('D2 uAPI', () => {
  it('numbers and layouts are the designs-spec §3 choice: ADD = mainline ADD_PAGES without count (_IOW, 40 bytes), INIT takes an fd', () => {
    expect([D2_IOC_ENCLAVE_CREATE, D2_IOC_ENCLAVE_ADD_PAGES, D2_IOC_ENCLAVE_INIT, D2_IOC_ENCLAVE_SET_ATTRIBUTE]).toEqual([0x4008a400, 0x4028a401, 0x4008a402, 0x4008a403]);
    expect(D2_ENCLAVE_ADD_PAGES.fields.map((f) => [f.name, f.offset])).toEqual([
      ['src', 0],
      ['offset', 8],
      ['length', 16],
      ['secinfo', 24],
      ['flags', 32],
    ]);
    expect(D2.ioctls.find((i) => i.name === 'SGX_IOC_ENCLAVE_INIT')!.arg!.fields.map((f) => f.name)).toEqual(['sigstruct_fd']);
  });

  it('driver options: sourceMayExec, initPerm', () => {
    expect(d2Options({ initPerm: 'read' }).initPerm).toBe('read');
    expect(() => d2Options({ initPerm: 'write' })).toThrow(/initPerm: 'write' is not one of execute, read/);
    expect(() => d2Options({ sgx2: true })).toThrow(/unknown driver option 'sgx2'/);
  });
});

describe("D2 Andy's goal: EXECUTE on the enclave file, no EXECMEM", () => {
  it('builtin:default, enforcing, files labelled lib_t: the canonical loader loads and enters the reference enclave; no execmod/execmem is asked', () => {
    const w = bootWorld(D2, SELINUX);
    const img = libImage(w);
    const from = w.k.trace.length;
    const r = loadEnclave(D2, w.p, img);
    expect(r.error ?? null).toBeNull();
    expect(runInfo(enclCall(w, r.tcs[0], [{ op: 'exec', addr: BigInt(r.base + 0x2000) }]))).toEqual(EEXIT_CLEAN);
    const avc = w.k.trace.ofKind('avc', from);
    expect(avc.some((x) => x.requested.includes('execmod') || x.requested.includes('execmem'))).toBe(false);
    expect(hookAvc(w, from)).toEqual(['enclave_init execute@lib_t:file granted']);
  });
});

describe('D2 INIT: the SIGSTRUCT file and security_enclave_init()', () => {
  it('a SIGSTRUCT labelled sgx_sigstruct_t: execute denied (builtin:default neverallows it) -> EACCES; initPerm read -> INIT succeeds', () => {
    for (const initPerm of ['execute', 'read'] as const) {
      const w = bootWorld(D2, { ...SELINUX, driver: { initPerm } });
      const img = libImage(w);
      // the same SIGSTRUCT under Andy's name, which the built-in file contexts label sgx_sigstruct_t
      const path = '/home/user/enclave/crypto_thingy.sigstruct';
      for (const d of ['/home', '/home/user', '/home/user/enclave']) if (w.k.fs.lookup(d) === null) w.k.fs.mkdir(d, { label: fileContextFor(d, '-d') });
      w.k.fs.createFile(path, { data: img.sigstruct, label: fileContextFor(path, '--') });
      const b = (() => {
        const p = w.p;
        const m = img.manifest;
        const fd = p.open('/dev/sgx/enclave', O_RDWR);
        const bin = p.mmap(0, img.imageSize, RX, MAP_PRIVATE, p.open(img.imagePath, O_RDONLY), 0);
        const base = reserveElrange(p, Number(m.size));
        D2.adapter.create(p, fd, secsBytes({ size: m.size, base: BigInt(base) }));
        for (const s of m.segments) {
          const src = s.name === 'heap' ? p.mmap(0, Number(s.size), RW, MAP_PRIVATE | MAP_ANONYMOUS) : bin + Number(s.offset);
          D2.adapter.addPages(p, fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: Number(s.perms), measure: s.measured });
        }
        return fd;
      })();
      const from = w.k.trace.length;
      const ret = d2Init(w.p, b, w.p.open(path, O_RDONLY));
      if (initPerm === 'execute') {
        expect(ret).toBe(-EACCES);
        expect(hookAvc(w, from)).toEqual(['enclave_init execute@sgx_sigstruct_t:file denied']);
      } else {
        expect(ret).toBe(0);
        expect(hookAvc(w, from)).toEqual(['enclave_init read@sgx_sigstruct_t:file granted']);
      }
    }
  });

  it('errnos: not created EINVAL; a bad fd EBADF; an fd not open for reading EINVAL; a short file EINVAL; a SIGSTRUCT that does not match EPERM', () => {
    const w = bootWorld(D2);
    const img = libImage(w);
    const fd0 = w.p.open('/dev/sgx/enclave', O_RDWR);
    expect(d2Init(w.p, fd0, w.p.open(img.sigstructPath, O_RDONLY))).toBe(-EINVAL);
    const m = img.manifest;
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const base = reserveElrange(w.p, Number(m.size));
    expect(D2.adapter.create(w.p, fd, secsBytes({ size: m.size, base: BigInt(base) })).ret).toBe(0);
    expect(d2Init(w.p, fd, 77)).toBe(-EBADF);
    expect(d2Init(w.p, fd, w.p.open(img.sigstructPath, O_WRONLY))).toBe(-EINVAL); // __kernel_read(): !FMODE_READ
    expect(d2Init(w.p, fd, w.p.open(img.imagePath.replace('.img', '.short'), O_RDONLY | 0o100))).toBe(-EINVAL); // O_CREAT: an empty file
    // no pages added: MRENCLAVE differs from the signed one -> SGX_INVALID_MEASUREMENT -> -EPERM
    expect(d2Init(w.p, fd, w.p.open(img.sigstructPath, O_RDONLY))).toBe(-EPERM);
  });
});

describe('D2 the safe-to-execute bit and the mapping rule', () => {
  it('text from a PROT_READ source is not safe: RX needs EXECMOD on the image (denied: builtin:default neverallows execmod) -> EACCES', () => {
    const w = bootWorld(D2, SELINUX);
    const b = build(w, libImage(w), PROT_READ);
    expect(lsmPageState(enclOf(w.k, b.id).page(b.seg('text').addr)!)).toMatchObject({ srcExec: false, intent: false, everW: false });
    const from = w.k.trace.length;
    expect(map(w, b, 'text', RX)).toBe(-EACCES);
    expect(hookAvc(w, from)).toEqual(['enclave_map execmod@lib_t:file denied']);
    // R only: nothing asked
    expect(map(w, b, 'text', PROT_READ)).toBe(b.seg('text').addr);
  });

  it('text from a PROT_READ|PROT_EXEC source is safe: RX asks nothing; RWX asks EXECMOD on the image (denied); RW then RX: the written page is no longer safe', () => {
    const w = bootWorld(D2, SELINUX);
    const b = build(w, libImage(w), RX);
    const t = b.seg('text');
    const from = w.k.trace.length;
    expect(map(w, b, 'text', RX)).toBe(t.addr);
    expect(hookAvc(w, from)).toEqual([]);
    expect(w.p.mprotect(t.addr, t.size, RWX)).toBe(-EACCES);
    // W alone: no executable mapping elsewhere -> allowed; "successfully mapped writably" after INIT clears the bit
    expect(w.p.mprotect(t.addr, t.size, RW)).toBe(0);
    expect(lsmPageState(enclOf(w.k, b.id).page(t.addr)!).everW).toBe(true);
    expect(w.p.mprotect(t.addr, t.size, RX)).toBe(-EACCES);
  });

  it('a page from anonymous memory has no file: RX asks EXECMEM (denied by default; the boolean sgx_loader_execmem grants it)', () => {
    const w = bootWorld(D2, SELINUX);
    const b = build(w, libImage(w), RX, 'anon');
    expect(lsmPageState(enclOf(w.k, b.id).page(b.seg('text').addr)!)).toMatchObject({ srcFile: null, srcExec: false });
    const from = w.k.trace.length;
    expect(map(w, b, 'text', RX)).toBe(-EACCES);
    expect(hookAvc(w, from)).toEqual(['enclave_map execmem@sgx_loader_t:process denied']);
    selinuxOf(w.k).setBoolean('sgx_loader_execmem', true);
    expect(map(w, b, 'text', RX)).toBe(b.seg('text').addr);
  });

  it('mappings before INIT follow the same rules: RWX over an empty range asks EXECMEM (no page, no file); RX over it asks nothing', () => {
    const w = bootWorld(D2, { selinux: { policy: 'builtin:default', enforcing: false } });
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    let from = w.k.trace.length;
    expect(isErr(w.p.mmap(0, 0x10000, RWX, MAP_SHARED, fd, 0))).toBe(false);
    expect(hookAvc(w, from)).toEqual(['enclave_map execmem@sgx_loader_t:process denied']);
    from = w.k.trace.length;
    expect(isErr(w.p.mmap(0, 0x10000, RX, MAP_SHARED, fd, 0))).toBe(false);
    expect(hookAvc(w, from)).toEqual([]);
  });

  it('"write if there are no executable mappings": a second process mapping the executable text RW is W+X through two mappings -> EXECMOD; and RX while it is mapped RW elsewhere likewise', () => {
    const w = bootWorld(D2, { selinux: { policy: 'builtin:default', enforcing: false } });
    const b = build(w, libImage(w), RX);
    const t = b.seg('text');
    expect(map(w, b, 'text', RX)).toBe(t.addr);
    const pid2 = w.k.spawn({ comm: 'other', context: PROCESS_CONTEXTS.loader });
    const p2 = new UserProcess(w.k, pid2);
    const fd2 = w.k.passFd(w.pid, b.fd, pid2);
    let from = w.k.trace.length;
    expect(map(w, b, 'text', RW, p2, fd2)).toBe(t.addr);
    expect(hookAvc(w, from)).toEqual(['enclave_map execmod@lib_t:file denied']);
    // the data segment: RW in process 2 first, then RX here
    const d = b.seg('data');
    expect(map(w, b, 'data', RW, p2, fd2)).toBe(d.addr);
    from = w.k.trace.length;
    expect(map(w, b, 'data', RX)).toBe(d.addr);
    // asked again (permissive: the AVC granted execmod after the first denial)
    expect(hookAvc(w, from)).toEqual(['enclave_map execmod@lib_t:file granted']);
  });

  it('pages under a live writable mapping at INIT count as written: RW before INIT, RX after needs EXECMOD', () => {
    const w = bootWorld(D2, { selinux: { policy: 'builtin:default', enforcing: false } });
    const img = libImage(w);
    const p = w.p;
    const m = img.manifest;
    const fd = p.open('/dev/sgx/enclave', O_RDWR);
    const bin = p.mmap(0, img.imageSize, RX, MAP_PRIVATE, p.open(img.imagePath, O_RDONLY), 0);
    const base = reserveElrange(p, Number(m.size));
    D2.adapter.create(p, fd, secsBytes({ size: m.size, base: BigInt(base) }));
    for (const s of m.segments) {
      const src = s.name === 'heap' ? p.mmap(0, Number(s.size), RW, MAP_PRIVATE | MAP_ANONYMOUS) : bin + Number(s.offset);
      D2.adapter.addPages(p, fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: Number(s.perms), measure: s.measured });
    }
    expect(p.mmap(base + 0x2000, 0x2000, RW, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(base + 0x2000);
    expect(lsmPageState(enclOf(w.k, enclIdOfFd(w.k, w.pid, fd)!).page(base + 0x2000)!).everW).toBe(false);
    expect(d2Init(p, fd, p.open(img.sigstructPath, O_RDONLY))).toBe(0);
    expect(lsmPageState(enclOf(w.k, enclIdOfFd(w.k, w.pid, fd)!).page(base + 0x2000)!).everW).toBe(true);
    const from = w.k.trace.length;
    expect(p.mprotect(base + 0x2000, 0x2000, RX)).toBe(0);
    expect(hookAvc(w, from)).toEqual(['enclave_map execmod@lib_t:file denied']);
  });

  it('hole: an RX mapping made before ADD is never re-checked: code from anonymous memory added under it runs, with only the INIT check asked', () => {
    const w = bootWorld(D2, SELINUX);
    const img = libImage(w);
    const p = w.p;
    const m = img.manifest;
    const fd = p.open('/dev/sgx/enclave', O_RDWR);
    const bin = p.mmap(0, img.imageSize, PROT_READ, MAP_PRIVATE, p.open(img.imagePath, O_RDONLY), 0);
    const base = reserveElrange(p, Number(m.size));
    const from = w.k.trace.length;
    // RX over the empty ELRANGE: no page, nothing to ask; then the segments the enclave writes, RW
    expect(p.mmap(base, Number(m.size), RX, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(base);
    expect(D2.adapter.create(p, fd, secsBytes({ size: m.size, base: BigInt(base) })).ret).toBe(0);
    for (const s of m.segments) {
      let src = bin + Number(s.offset);
      if (s.name === 'heap' || s.name === 'text') {
        src = p.mmap(0, Number(s.size), RW, MAP_PRIVATE | MAP_ANONYMOUS);
        if (s.name === 'text') p.store(src, p.load(bin + Number(s.offset), Number(s.size)));
      }
      expect(D2.adapter.addPages(p, fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: Number(s.perms), measure: s.measured }).ret).toBe(0);
      if (s.name !== 'text') expect(p.mprotect(base + Number(s.offset), Number(s.size), RW)).toBe(0);
    }
    expect(d2Init(p, fd, p.open(img.sigstructPath, O_RDONLY))).toBe(0);
    expect(lsmPageState(enclOf(w.k, enclIdOfFd(w.k, w.pid, fd)!).page(base + 0x2000)!).srcExec).toBe(false);
    expect(runInfo(enclCall(w, base, [{ op: 'exec', addr: BigInt(base + 0x2000) }]))).toEqual(EEXIT_CLEAN);
    expect(hookAvc(w, from)).toEqual(['enclave_init execute@lib_t:file granted']);
  });

  it('without an LSM nothing is refused: RWX of a page from anonymous memory maps', () => {
    const w = bootWorld(D2);
    const b = build(w, libImage(w), PROT_READ, 'anon');
    expect(map(w, b, 'text', RWX)).toBe(b.seg('text').addr);
  });
});

describe('D2 ADD', () => {
  it('no count field: a signal after two pages returns the bytes added; before the first page ERESTARTSYS', () => {
    const w = bootWorld(D2);
    const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
    const base = reserveElrange(w.p, 0x10000);
    D2.adapter.create(w.p, fd, secsBytes({ size: 0x10000n, base: BigInt(base) }));
    const src = w.p.mmap(0, 4 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    setSignalPending(w.k, w.pid, w.inst.platform, 2);
    expect(D2.adapter.addPages(w.p, fd, { offset: 0, src, length: 4 * PAGE, type: 'REG', perms: RW, measure: true })).toEqual({ ret: 2 * PAGE, count: 2 * PAGE });
    setSignalPending(w.k, w.pid, w.inst.platform, 0);
    expect(D2.adapter.addPages(w.p, fd, { offset: 0x8000, src, length: PAGE, type: 'REG', perms: RW, measure: true }).ret).toBe(-512);
  });

  it('a noexec source is only "not safe"; driver option sourceMayExec refuses it (EACCES, mainline\'s check)', () => {
    for (const sourceMayExec of [false, true]) {
      const w = bootWorld(D2, { driver: { sourceMayExec } });
      w.k.fs.mkdir('/mnt');
      w.k.fs.mkdir('/mnt/nx');
      w.k.fs.mount('/mnt/nx', 'tmpfs', { noexec: true });
      w.k.fs.createFile('/mnt/nx/code', { data: new Uint8Array(PAGE).fill(0xcc) });
      const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
      const base = reserveElrange(w.p, 0x10000);
      D2.adapter.create(w.p, fd, secsBytes({ size: 0x10000n, base: BigInt(base) }));
      const src = w.p.mmap(0, PAGE, PROT_READ, MAP_PRIVATE, w.p.open('/mnt/nx/code', O_RDONLY), 0);
      const r = D2.adapter.addPages(w.p, fd, { offset: 0x2000, src, length: PAGE, type: 'REG', perms: RX, measure: true });
      expect(r.ret).toBe(sourceMayExec ? -EACCES : 0);
    }
  });

  it('the enclave holds a reference on each source file until it is released', () => {
    const w = bootWorld(D2);
    const img = libImage(w);
    const b = build(w, img, RX);
    const fileId = lsmPageState(enclOf(w.k, b.id).page(b.seg('text').addr)!).srcFile!;
    expect(w.k.file(fileId).path).toBe(img.imagePath);
    // the loader's own mapping of the image goes away; the enclave's reference keeps the file
    for (const v of w.k.mm(w.pid).vmas.all()) if (v.file === fileId) w.p.munmap(v.start, v.end - v.start);
    expect(w.k.files.has(fileId)).toBe(true);
    w.p.close(b.fd);
    for (const v of w.k.mm(w.pid).vmas.all()) if (v.privateData === b.id) w.p.munmap(v.start, v.end - v.start);
    expect(w.k.objects.has(b.id)).toBe(false);
    expect(w.k.files.has(fileId)).toBe(false);
  });

  it('page state lives in the kernel: a clone marks its own pages written', () => {
    const w = bootWorld(D2);
    const b = build(w, libImage(w), RX);
    map(w, b, 'text', RX);
    const k2 = w.k.clone();
    const t = b.seg('text');
    expect(new UserProcess(k2, w.pid).mprotect(t.addr, t.size, RW)).toBe(0);
    expect(lsmPageState(enclOf(k2, b.id).page(t.addr)!).everW).toBe(true);
    expect(lsmPageState(enclOf(w.k, b.id).page(t.addr)!).everW).toBe(false);
  });
});
