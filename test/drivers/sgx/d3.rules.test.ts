// D3 `execute-intent` (static, dynamic): the design's own rules, holes and choices
// (docs/designs.md §D3). Expectations come from Andy Lutomirski's mail of 2019-05-30
// (CALCETrWXB9fNNDH7gZxPTx05F78Og6K=ZtAr2aA++BDwY09Wbg: R1-R3, the static and the dynamic
// security_enclave_load()), the Linux 6.1 code the driver keeps and security/selinux/hooks.c;
// OPEN CHOICES say so. Policy: builtin:default with the enclave image under /usr/lib (lib_t), which
// sgx_loader_t may execute, or in the home directory (user_home_t), which it may not.
import { describe, expect, it } from 'vitest';
import { EACCES } from '../../../src/abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../../src/abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../src/abi/mman.js';
import { SGX_SECINFO_PENDING, SGX_SECINFO_R, SGX_SECINFO_REG, SGX_SECINFO_W, SGX_SECINFO_X } from '../../../src/arch/x86/sgx/arch.js';
import { selftestOps } from '../../../src/arch/x86/sgx/program.js';
import { PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import { selinuxOf } from '../../../src/security/selinux/boot.js';
import { UserProcess } from '../../../src/userspace/process.js';
import type { SgxDesign } from '../../../src/drivers/sgx/design.js';
import { enclOf } from '../../../src/drivers/sgx/common/epc.js';
import { enclIdOfFd } from '../../../src/drivers/sgx/common/knobs.js';
import { sgxPlatform } from '../../../src/drivers/sgx/common/install.js';
import { vdsoSgxEnterEnclave } from '../../../src/drivers/sgx/common/vdso.js';
import { loadEnclave, reserveElrange } from '../../../src/drivers/sgx/loaders/flows.js';
import { prepareEnclaveImage, type EnclaveImage } from '../../../src/drivers/sgx/loaders/image.js';
import { D3_DYNAMIC, D3_STATIC, d3AddFlags, d3Options, SGX_PAGE_EXEC_INTENT } from '../../../src/drivers/sgx/execute-intent/index.js';
import { lsmPageState } from '../../../src/drivers/sgx/sigstruct-file/index.js';
import { bootWorld, crypto, EEXIT_CLEAN, enclCall, PAGE, referenceManifest, runInfo, secsBytes, type World, type WorldOptions } from './fixture.js';

const RW = PROT_READ | PROT_WRITE;
const RX = PROT_READ | PROT_EXEC;
const RWX = RW | PROT_EXEC;
const SELINUX: WorldOptions = { selinux: { policy: 'builtin:default' } };
const PERMISSIVE: WorldOptions = { selinux: { policy: 'builtin:default', enforcing: false } };

function image(w: World, dir: '/usr/lib/enclave' | '/home/user/enclave'): EnclaveImage {
  const { manifest, reader } = referenceManifest();
  return prepareEnclaveImage(w.k, manifest, reader, crypto, { dir });
}

interface Built {
  fd: number;
  base: number;
  id: number;
  adds: Record<string, number>;
  init: number;
  seg(name: string): { addr: number; size: number };
}

/**
 * Build the reference enclave by hand on a D3 variant: the image mapped PROT_READ, the text from
 * anonymous RW memory when `text` is 'anon'; ADD_PAGES with the careful flags (intent on X pages for
 * the static variant) unless `flags` overrides the text's; INIT.
 */
function build(w: World, d: SgxDesign, img: EnclaveImage, o: { text?: 'image' | 'anon'; textFlags?: number } = {}): Built {
  const p = w.p;
  const m = img.manifest;
  const fd = p.open('/dev/sgx/enclave', O_RDWR);
  const bin = p.mmap(0, img.imageSize, PROT_READ, MAP_PRIVATE, p.open(img.imagePath, O_RDONLY), 0);
  const base = reserveElrange(p, Number(m.size));
  expect(d.adapter.create(p, fd, secsBytes({ size: m.size, base: BigInt(base) })).ret).toBe(0);
  const adds: Record<string, number> = {};
  for (const s of m.segments) {
    let src = bin + Number(s.offset);
    if (s.name === 'heap' || (s.name === 'text' && o.text === 'anon')) {
      src = p.mmap(0, Number(s.size), RW, MAP_PRIVATE | MAP_ANONYMOUS);
      if (s.name === 'text') p.store(src, p.load(bin + Number(s.offset), Number(s.size)));
    }
    const a = { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: Number(s.perms), measure: s.measured };
    if (s.name === 'text' && o.textFlags !== undefined) {
      adds[s.name] = p.ioctl(fd, d.ioctls[1].cmd, p.struct(d.ioctls[1].arg!, { src, offset: a.offset, length: a.length, secinfo: { flags: SGX_SECINFO_REG | 5n }, flags: o.textFlags, count: 0 }));
    } else {
      adds[s.name] = d.adapter.addPages(p, fd, a).ret;
    }
  }
  const init = Object.values(adds).every((r) => r === 0) ? d.adapter.init(p, fd, img.sigstruct).ret : -1;
  return {
    fd,
    base,
    id: enclIdOfFd(w.k, w.pid, fd)!,
    adds,
    init,
    seg: (n) => {
      const s = m.segments.find((x) => x.name === n)!;
      return { addr: base + Number(s.offset), size: Number(s.size) };
    },
  };
}

function map(b: Built, name: string, prot: number, p: UserProcess, fd = b.fd): number {
  const s = b.seg(name);
  return p.mmap(s.addr, s.size, prot, MAP_SHARED | MAP_FIXED, fd, 0);
}

/** The design-hook AVC queries since `from`: `hook perm@type:class decision`. */
function hookAvc(w: World, from: number): string[] {
  return w.k.trace
    .ofKind('avc', from)
    .filter((x) => x.hook === 'enclave_load' || x.hook === 'enclave_map')
    .map((x) => `${x.hook} ${x.requested.join(',')}@${x.tcontext.split(':')[2]}:${x.tclass} ${x.decision}`);
}

const textPage = (w: World, b: Built) => lsmPageState(enclOf(w.k, b.id).page(b.seg('text').addr)!);

describe('D3 uAPI and options', () => {
  it("mainline's numbers; the static variant's SGX_PAGE_EXEC_INTENT = 0x02 in ADD_PAGES flags, set by its adapter on X pages", () => {
    expect(D3_STATIC.ioctls.map((i) => i.cmd)).toEqual([0x4008a400, 0xc030a401, 0x4008a402, 0x4008a403]);
    expect(D3_STATIC.symbols().constants?.['SGX_PAGE_EXEC_INTENT']).toBe(0x02);
    expect(D3_DYNAMIC.symbols().constants?.['SGX_PAGE_EXEC_INTENT']).toBeUndefined();
    expect(d3AddFlags('static', { type: 'REG', perms: RX, measure: true })).toBe(1 | SGX_PAGE_EXEC_INTENT);
    expect(d3AddFlags('static', { type: 'REG', perms: RW, measure: false })).toBe(0);
    expect(d3AddFlags('dynamic', { type: 'REG', perms: RX, measure: true })).toBe(1);
    expect(d3Options({ sgx2: true })).toEqual({ sourceMayExec: true, sgx2: true });
    expect(() => d3Options({ initPerm: 'read' })).toThrow(/unknown driver option 'initPerm'/);
  });
});

for (const d of [D3_STATIC, D3_DYNAMIC]) {
  describe(`${d.key}: EXECUTE on the image is enough (R3), no EXECMEM`, () => {
    it('builtin:default, enforcing, image labelled lib_t: the canonical loader loads and enters the reference enclave; no execmod/execmem', () => {
      const w = bootWorld(d, SELINUX);
      const img = image(w, '/usr/lib/enclave');
      const from = w.k.trace.length;
      const r = loadEnclave(d, w.p, img);
      expect(r.error ?? null).toBeNull();
      expect(runInfo(enclCall(w, r.tcs[0], [{ op: 'exec', addr: BigInt(r.base + 0x2000) }]))).toEqual(EEXIT_CLEAN);
      // static: the two text pages (the only ones with intent); dynamic: every page loaded from the file (10: TCS, text, data, SSA)
      const n = d.variant === 'static' ? 2 : 10;
      expect(hookAvc(w, from)).toEqual(Array(n).fill('enclave_load execute@lib_t:file granted'));
      expect(w.k.trace.ofKind('avc', from).some((x) => x.requested.includes('execmem') || x.requested.includes('execmod'))).toBe(false);
    });

    it('R1: a W+X mapping asks EXECMEM and nothing else (denied by default, the boolean grants it)', () => {
      const w = bootWorld(d, SELINUX);
      const b = build(w, d, image(w, '/usr/lib/enclave'));
      expect(b.init).toBe(0);
      const from = w.k.trace.length;
      expect(map(b, 'data', RWX, w.p)).toBe(-EACCES);
      expect(hookAvc(w, from)).toEqual(['enclave_map execmem@sgx_loader_t:process denied']);
      selinuxOf(w.k).setBoolean('sgx_loader_execmem', true);
      expect(map(b, 'text', RWX, w.p)).toBe(b.seg('text').addr);
    });

    it('R2: a page written since INIT needs EXECMOD to become executable (text RX, then RW, then RX again)', () => {
      const w = bootWorld(d, SELINUX);
      const b = build(w, d, image(w, '/usr/lib/enclave'));
      const t = b.seg('text');
      expect(map(b, 'text', RX, w.p)).toBe(t.addr);
      expect(textPage(w, b)).toMatchObject({ intent: true, everW: false });
      expect(w.p.mprotect(t.addr, t.size, RW)).toBe(0);
      expect(textPage(w, b).everW).toBe(true);
      const from = w.k.trace.length;
      expect(w.p.mprotect(t.addr, t.size, RX)).toBe(-EACCES);
      expect(hookAvc(w, from)).toEqual(['enclave_map execmod@lib_t:file denied']);
    });

    it('a live writable mapping at INIT counts: the text mapped RW before INIT needs EXECMOD to be mapped RX after', () => {
      const w = bootWorld(d, PERMISSIVE);
      const img = image(w, '/usr/lib/enclave');
      const p = w.p;
      const m = img.manifest;
      const fd = p.open('/dev/sgx/enclave', O_RDWR);
      const bin = p.mmap(0, img.imageSize, PROT_READ, MAP_PRIVATE, p.open(img.imagePath, O_RDONLY), 0);
      const base = reserveElrange(p, Number(m.size));
      d.adapter.create(p, fd, secsBytes({ size: m.size, base: BigInt(base) }));
      expect(p.mmap(base, Number(m.size), RW, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(base);
      for (const s of m.segments) {
        const src = s.name === 'heap' ? p.mmap(0, Number(s.size), RW, MAP_PRIVATE | MAP_ANONYMOUS) : bin + Number(s.offset);
        expect(d.adapter.addPages(p, fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: Number(s.perms), measure: s.measured }).ret).toBe(0);
      }
      expect(d.adapter.init(p, fd, img.sigstruct).ret).toBe(0);
      const from = w.k.trace.length;
      expect(p.mprotect(base + 0x2000, 0x2000, RX)).toBe(0);
      expect(hookAvc(w, from)).toEqual(['enclave_map execmod@lib_t:file denied']);
    });

    it('hole: R1 and R2 are per mapping, so text mapped RX here and RW in another process is W and X through two mappings, with neither EXECMEM nor EXECMOD', () => {
      const w = bootWorld(d, SELINUX);
      const b = build(w, d, image(w, '/usr/lib/enclave'));
      expect(map(b, 'text', RX, w.p)).toBe(b.seg('text').addr);
      const pid2 = w.k.spawn({ comm: 'other', context: PROCESS_CONTEXTS.loader });
      const fd2 = w.k.passFd(w.pid, b.fd, pid2);
      const from = w.k.trace.length;
      expect(map(b, 'text', RW, new UserProcess(w.k, pid2), fd2)).toBe(b.seg('text').addr);
      expect(hookAvc(w, from)).toEqual([]);
    });

    it('sourceMayExec (default on): a noexec source is EACCES before the LSM hook; off, the hook decides', () => {
      for (const sourceMayExec of [true, false]) {
        const w = bootWorld(d, { driver: { sourceMayExec } });
        w.k.fs.mkdir('/mnt');
        w.k.fs.mkdir('/mnt/nx');
        w.k.fs.mount('/mnt/nx', 'tmpfs', { noexec: true });
        w.k.fs.createFile('/mnt/nx/code', { data: new Uint8Array(PAGE).fill(0xcc) });
        const fd = w.p.open('/dev/sgx/enclave', O_RDWR);
        const base = reserveElrange(w.p, 0x10000);
        d.adapter.create(w.p, fd, secsBytes({ size: 0x10000n, base: BigInt(base) }));
        const src = w.p.mmap(0, PAGE, PROT_READ, MAP_PRIVATE, w.p.open('/mnt/nx/code', O_RDONLY), 0);
        expect(d.adapter.addPages(w.p, fd, { offset: 0x2000, src, length: PAGE, type: 'REG', perms: RX, measure: true }).ret).toBe(sourceMayExec ? -EACCES : 0);
      }
    });
  });
}

describe('D3-static: security_enclave_load(source, execute_intent)', () => {
  it('intent from a file the caller may not execute: EXECUTE is denied and audited, EXECMOD/EXECMEM probed quietly; ADD fails EACCES with the pages before counted', () => {
    const w = bootWorld(D3_STATIC, SELINUX);
    const from = w.k.trace.length;
    const b = build(w, D3_STATIC, image(w, '/home/user/enclave'));
    expect(b.adds.text).toBe(-EACCES);
    expect(hookAvc(w, from)).toEqual(['enclave_load execute@user_home_t:file denied']);
  });

  it('"none of EXECUTE, EXECMOD, EXECMEM": with EXECMEM (the boolean) the same load passes; the grant is recorded', () => {
    const w = bootWorld(D3_STATIC, { selinux: { policy: 'builtin:default', booleans: { sgx_loader_execmem: true } } });
    const from = w.k.trace.length;
    const b = build(w, D3_STATIC, image(w, '/home/user/enclave'));
    expect(b.init).toBe(0);
    expect(hookAvc(w, from)).toEqual(['enclave_load execute@user_home_t:file denied', 'enclave_load execmem@sgx_loader_t:process granted', 'enclave_load execute@user_home_t:file denied', 'enclave_load execmem@sgx_loader_t:process granted']);
  });

  it('intent from anonymous memory asks EXECMEM only (no file to EXECUTE)', () => {
    const w = bootWorld(D3_STATIC, SELINUX);
    const from = w.k.trace.length;
    const b = build(w, D3_STATIC, image(w, '/usr/lib/enclave'), { text: 'anon' });
    expect(b.adds.text).toBe(-EACCES);
    expect(hookAvc(w, from)).toEqual(['enclave_load execmem@sgx_loader_t:process denied']);
  });

  it('SECINFO X without the intent flag: ADD asks nothing and succeeds; the RX mapping needs EXECMOD (R2), as Andy\'s "RX/X of an execute_intent == false page"', () => {
    const w = bootWorld(D3_STATIC, SELINUX);
    const from = w.k.trace.length;
    const b = build(w, D3_STATIC, image(w, '/home/user/enclave'), { textFlags: 1 });
    expect(b.init).toBe(0);
    expect(textPage(w, b)).toMatchObject({ intent: false, srcExec: false });
    expect(map(b, 'text', RX, w.p)).toBe(-EACCES);
    expect(hookAvc(w, from)).toEqual(['enclave_map execmod@user_home_t:file denied']);
  });
});

describe('D3-dynamic: security_enclave_load(source, *execute_intent)', () => {
  it('without EXECUTE on the source the intent is cleared quietly (no record), and the RX mapping then asks EXECMOD (R2)', () => {
    const w = bootWorld(D3_DYNAMIC, SELINUX);
    const from = w.k.trace.length;
    const b = build(w, D3_DYNAMIC, image(w, '/home/user/enclave'));
    expect(b.init).toBe(0);
    expect(textPage(w, b).intent).toBe(false);
    expect(hookAvc(w, from)).toEqual([]);
    expect(map(b, 'text', RX, w.p)).toBe(-EACCES);
    expect(hookAvc(w, from)).toEqual(['enclave_map execmod@user_home_t:file denied']);
  });

  it('an anonymous source never has intent: its RX mapping asks EXECMEM', () => {
    const w = bootWorld(D3_DYNAMIC, SELINUX);
    const b = build(w, D3_DYNAMIC, image(w, '/usr/lib/enclave'), { text: 'anon' });
    expect(textPage(w, b)).toMatchObject({ intent: false, srcFile: null });
    const from = w.k.trace.length;
    expect(map(b, 'text', RX, w.p)).toBe(-EACCES);
    expect(hookAvc(w, from)).toEqual(['enclave_map execmem@sgx_loader_t:process denied']);
  });
});

describe('D3 SGX2 (driver option sgx2): EAUG pages have no intent and are born written', () => {
  it('a hole mapped RW after INIT: EACCEPT makes an EAUG page; mapping it RX asks EXECMEM (no file)', () => {
    const w = bootWorld(D3_STATIC, { selinux: { policy: 'builtin:default', enforcing: false }, driver: { sgx2: true } });
    const b = build(w, D3_STATIC, image(w, '/usr/lib/enclave'));
    for (const s of ['tcs0', 'tcs1', 'data', 'ssa']) map(b, s, RW, w.p);
    map(b, 'text', RX, w.p);
    const hole = b.base + 0xc000; // between the SSA frames and the heap: no page
    expect(w.p.mmap(hole, PAGE, RW, MAP_SHARED | MAP_FIXED, b.fd, 0)).toBe(hole);
    const r = enclCall(w, b.base, [selftestOps.eaccept(BigInt(hole), SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_REG | SGX_SECINFO_PENDING)]);
    expect(runInfo(r)).toEqual(EEXIT_CLEAN);
    expect(sgxPlatform(w.k).stats.eaug).toBe(1);
    expect(lsmPageState(enclOf(w.k, b.id).page(hole)!)).toEqual({ srcFile: null, srcExec: false, intent: false, everW: true });
    const from = w.k.trace.length;
    expect(w.p.mprotect(hole, PAGE, RX)).toBe(0);
    expect(hookAvc(w, from)).toEqual(['enclave_map execmem@sgx_loader_t:process denied']);
  });

  it('hole: an RX mapping of a hole asks nothing; another process EAUGs, writes and EMODPEs the page through an RW mapping (no check either), and the first executes it', () => {
    const w = bootWorld(D3_STATIC, { selinux: { policy: 'builtin:default' }, driver: { sgx2: true } });
    const b = build(w, D3_STATIC, image(w, '/usr/lib/enclave'));
    const pid2 = w.k.spawn({ comm: 'other', context: PROCESS_CONTEXTS.loader });
    const p2 = new UserProcess(w.k, pid2);
    const fd2 = w.k.passFd(w.pid, b.fd, pid2);
    for (const s of ['tcs0', 'tcs1', 'data', 'ssa']) {
      map(b, s, RW, w.p);
      map(b, s, RW, p2, fd2);
    }
    map(b, 'text', RX, w.p);
    map(b, 'text', RX, p2, fd2);
    const hole = b.base + 0xc000; // between the SSA frames and the heap: no page
    const from = w.k.trace.length;
    expect(w.p.mmap(hole, PAGE, RX, MAP_SHARED | MAP_FIXED, b.fd, 0)).toBe(hole);
    expect(p2.mmap(hole, PAGE, RW, MAP_SHARED | MAP_FIXED, fd2, 0)).toBe(hole);
    const run2 = vdsoSgxEnterEnclave(w.k, pid2, {
      leaf: 'EENTER',
      tcs: b.base,
      program: [
        selftestOps.eaccept(BigInt(hole), SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_REG | SGX_SECINFO_PENDING),
        { op: 'write', addr: BigInt(hole), data: new Uint8Array([0xb8, 0x04, 0x00, 0x00, 0x00, 0x0f, 0x01, 0xd7]) },
        selftestOps.emodpe(BigInt(hole), SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X),
      ],
    });
    expect(runInfo(run2)).toEqual(EEXIT_CLEAN);
    expect(lsmPageState(enclOf(w.k, b.id).page(hole)!)).toMatchObject({ intent: false, everW: true });
    expect(runInfo(enclCall(w, b.base, [{ op: 'exec', addr: BigInt(hole) }]))).toEqual(EEXIT_CLEAN);
    expect(hookAvc(w, from)).toEqual([]);
  });
});
