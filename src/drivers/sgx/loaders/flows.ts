// The three real loader flows of designs-spec §11, driven by an enclave manifest and run as system
// calls of one task (src/userspace), so the kernel trace records exactly what each loader does:
//
//   selftest  tools/testing/selftests/sgx/load.c + main.c setup_test_encl() (Linux 6.1):
//             probes, PROT_READ private image mapping, anonymous heap, PROT_NONE reservation,
//             CREATE, one ADD_PAGES per segment, INIT, then one MAP_SHARED|MAP_FIXED mmap per segment;
//   gramine   pal/src/host/linux-sgx/host_framework.c (upstream driver build): the whole ELRANGE
//             mapped RWX before CREATE, each range re-mmapped with its final protection after it is
//             added, ADD_PAGES retried on EINTR and advanced by `count`;
//   psw       Intel PSW libsgx_enclave_common (enclave_create_ex / enclave_load_data /
//             enclave_initialize): one page per ADD_PAGES from a heap buffer, each run of equal
//             protection mapped from the device as it ends, the last before INIT, mprotect after.
//
// Choices where the sources are silent or the manifest differs from the real loaders' inputs are
// in docs/designs.md "Loaders". The ioctls go through the design's neutral adapter, so the same
// flow runs on any design that can express it.
import { EINTR, ERESTARTSYS, isErr } from '../../../abi/errno.js';
import { O_CLOEXEC, O_RDONLY, O_RDWR } from '../../../abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { SGX_ATTR_PROVISIONKEY } from '../../../arch/x86/sgx/arch.js';

import type { ManifestSegment } from '../../../enclave/manifest.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { LoaderKind, SgxDesign } from '../design.js';
import { isHeapLike, type EnclaveImage } from './image.js';
import { SELFTEST_PLAN, type FlowPlan, type LoadResult } from './types.js';
import { LoaderRun, mapSegments, mapSources, segmentProt } from './steps.js';

export { segmentProt };

/** Gramine's default enclave base when the manifest leaves it open (model choice: 64 GiB, aligned up to the size). */
export const GRAMINE_DEFAULT_BASE = 0x10_0000_0000;

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/**
 * encl_map_area() (load.c) / enclave_create_ex() without EL_RANGE (PSW): a 2×size PROT_NONE
 * anonymous reservation, its base aligned up to the size, head and tail unmapped. Returns the
 * base or -errno.
 */
export function reserveElrange(p: UserProcess, size: number): number {
  const area = p.mmap(0, size * 2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (isErr(area)) return area;
  const base = alignUp(area, size);
  if (base > area) p.munmap(area, base - area);
  p.munmap(base + size, area + size - base);
  return base;
}

class Flow extends LoaderRun {
  constructor(
    kind: LoaderKind,
    design: SgxDesign,
    readonly p: UserProcess,
    img: EnclaveImage,
  ) {
    super(kind, design, img);
  }

  /** encl_map_area() (load.c) / enclave_create_ex() without EL_RANGE (PSW), or the design's adapter.reserve(). */
  reserve(): number {
    const a = this.design.adapter;
    const b = a.reserve ? a.reserve(this.p, this.fd, this.size) : reserveElrange(this.p, this.size);
    if (isErr(b)) return b;
    this.base = b;
    return 0;
  }
}

/** L1: the kernel selftest's flow (load.c encl_load/encl_build + main.c setup_test_encl). */
export function selftestFlow(design: SgxDesign, p: UserProcess, img: EnclaveImage, planOverride: Partial<FlowPlan> = {}): LoadResult {
  const plan: FlowPlan = { ...SELFTEST_PLAN, ...planOverride };
  const f = new Flow('selftest', design, p, img);
  const a = design.adapter;
  const m = img.manifest;
  // encl_load()
  f.fd = a.openEnclave(p, O_RDWR);
  if (isErr(f.fd)) return f.fail('Unable to open /dev/sgx_enclave', f.fd);
  if (plan.probes) {
    let ptr = p.mmap(0, PAGE_SIZE, PROT_READ, MAP_SHARED, f.fd, 0);
    if (isErr(ptr)) return f.fail('mmap for read', ptr);
    p.munmap(ptr, PAGE_SIZE);
    ptr = p.mmap(0, PAGE_SIZE, PROT_EXEC, MAP_SHARED, f.fd, 0);
    if (isErr(ptr)) return f.fail('mmap() succeeded for PROT_READ, but failed for PROT_EXEC (check that /dev does not have noexec set)', ptr);
    p.munmap(ptr, PAGE_SIZE);
  }
  // encl_map_bin(): the image PROT_READ (or each segment with its protection), then the heap
  const srcs = mapSources(p, img, {
    map: plan.sourceProt === 'read' ? { kind: 'whole', prot: PROT_READ } : { kind: 'segments', prot: segmentProt },
    heaps: 'after',
    say: { open: 'enclave executable open()', map: (s) => (s ? `enclave executable mmap(${s.name})` : 'enclave executable mmap()'), heap: () => 'heap mmap()' },
  });
  if (!(srcs instanceof Map)) return f.fail(srcs.what, srcs.ret);
  // encl_build(): encl_map_area() (or the design's own way of holding ELRANGE), CREATE, ADD_PAGES per segment, INIT
  const r = f.reserve();
  if (r) return f.fail('reservation mmap()', r);
  if (plan.reserve === 'enclave-read' && !a.reserve) {
    const v = a.map(p, f.fd, f.base, f.size, PROT_READ);
    if (isErr(v)) return f.fail('enclave mmap(PROT_READ)', v);
  }
  const c = a.create(p, f.fd, f.secs());
  if (c.ret) {
    p.munmap(f.base, f.size);
    return f.fail('SGX_IOC_ENCLAVE_CREATE failed', c.ret);
  }
  // "Pages must be added before mapping VMAs because their permissions cap the VMA permissions."
  for (const s of m.segments) {
    const add = a.addPages(p, f.fd, { offset: Number(s.offset), src: srcs.get(s.name)!, length: Number(s.size), type: s.type, perms: Number(s.perms), measure: s.measured });
    if (add.ret < 0) return f.fail(`SGX_IOC_ENCLAVE_ADD_PAGES failed (${s.name})`, add.ret);
  }
  const init = a.init(p, f.fd, img.sigstruct);
  if (init.ret) return f.fail('SGX_IOC_ENCLAVE_INIT failed', init.ret);
  // setup_test_encl(): map each segment after INIT.
  if (plan.mapAfterInit === 'per-segment') {
    const v = mapSegments(a, p, f);
    if (v) return f.fail(v.what, v.ret);
  } else if (plan.mapAfterInit === 'whole-rwx') {
    const v = a.map(p, f.fd, f.base, f.size, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (isErr(v)) return f.fail('mmap(ELRANGE, RWX)', v);
  }
  return f.result(true);
}

/** The bytes of the segment's pages as the image file holds them (a loader reading its own build output). */
function imageBytes(p: UserProcess, view: number, s: ManifestSegment): Uint8Array {
  return p.load(view + Number(s.offset), Number(s.size));
}

/** L2: Gramine's flow (host_framework.c create_enclave / add_pages_to_enclave / init_enclave). */
export function gramineFlow(design: SgxDesign, p: UserProcess, img: EnclaveImage, planOverride: Partial<FlowPlan> = {}): LoadResult {
  const remap = planOverride.remap ?? SELFTEST_PLAN.remap;
  const f = new Flow('gramine', design, p, img);
  const m = img.manifest;
  const a = design.adapter;
  f.fd = p.open('/dev/sgx_enclave', O_RDWR | O_CLOEXEC);
  if (isErr(f.fd)) f.fd = p.open('/dev/sgx/enclave', O_RDWR | O_CLOEXEC);
  if (isErr(f.fd)) return f.fail('Cannot open /dev/sgx_enclave', f.fd);
  const imgfd = p.open(img.imagePath, O_RDONLY | O_CLOEXEC);
  if (isErr(imgfd)) return f.fail('Cannot open the enclave image', imgfd);
  const sigfd = p.open(img.sigstructPath, O_RDONLY | O_CLOEXEC);
  if (isErr(sigfd)) return f.fail('Cannot open the SIGSTRUCT file', sigfd);
  const [rd, sigbuf] = p.readInto(sigfd, img.sigstruct.length);
  if (rd !== img.sigstruct.length) return f.fail('Reading the SIGSTRUCT failed', rd);
  p.close(sigfd);
  const sigstruct = p.load(sigbuf, img.sigstruct.length);
  // The image contents Gramine copies into its BUF/TCS areas (it has them in memory from the build).
  const view = p.mmap(0, img.imageSize, PROT_READ, MAP_PRIVATE, imgfd, 0);
  if (isErr(view)) return f.fail('mmap of the enclave image', view);
  // create_enclave(): map the whole ELRANGE RWX before ECREATE.
  f.base = m.base !== null ? Number(m.base) : alignUp(GRAMINE_DEFAULT_BASE, f.size);
  const whole = a.map(p, f.fd, f.base, f.size, PROT_READ | PROT_WRITE | PROT_EXEC);
  if (isErr(whole)) return f.fail('Allocation of EPC memory failed (enclave mmap)', whole);
  const c = a.create(p, f.fd, f.secs());
  if (c.ret) return f.fail('Enclave creation IOCTL failed', c.ret);
  let zeroBuf = 0;
  let zeroLen = 0;
  for (const s of m.segments) {
    const size = Number(s.size);
    const prot = segmentProt(s);
    let src: number;
    let isZero = false;
    if (s.contents.kind === 'zero') {
      // The shared zero buffer, grown by munmap + mmap when too small (src is not advanced).
      if (zeroLen < size) {
        if (zeroBuf) p.munmap(zeroBuf, zeroLen);
        zeroBuf = p.mmap(0, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (isErr(zeroBuf)) return f.fail('Cannot mmap the zero buffer', zeroBuf);
        zeroLen = size;
      }
      src = zeroBuf;
      isZero = true;
    } else if (s.contents.kind === 'file') {
      // ELF segment: a private RW file mapping (head/tail memset would COW it; pages here are whole).
      src = p.mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, imgfd, Number(s.offset));
      if (isErr(src)) return f.fail(`mmap of ${s.name}`, src);
    } else {
      // BUF and TCS areas: anonymous RW memory filled in user space.
      src = p.mmap(0, size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
      if (isErr(src)) return f.fail(`mmap of ${s.name}`, src);
      p.store(src, imageBytes(p, view, s));
    }
    // add_pages_to_enclave(): loop, retrying EINTR, advancing by the bytes added.
    let off = Number(s.offset);
    let from = src;
    let left = size;
    for (let guard = 0; left > 0; guard++) {
      if (guard > 4 * (size / PAGE_SIZE) + 16) return f.fail(`Enclave add page IOCTL made no progress (${s.name})`, -EINTR);
      const add = a.addPages(p, f.fd, { offset: off, src: from, length: left, type: s.type, perms: Number(s.perms), measure: s.measured });
      if (add.ret === -EINTR || add.ret === -ERESTARTSYS) continue;
      if (add.ret < 0) return f.fail(`Enclave add page IOCTL failed (${s.name})`, add.ret);
      const added = add.ret > 0 ? add.ret : (add.count ?? 0);
      if (added === 0) return f.fail(`Enclave add page IOCTL added nothing (${s.name})`, -1);
      off += added;
      if (!isZero) from += added;
      left -= added;
    }
    // Re-map the range with its final protection (the out-of-tree-driver path: mprotect()).
    const v = remap === 'mprotect' ? p.mprotect(f.base + Number(s.offset), size, prot) : a.map(p, f.fd, f.base + Number(s.offset), size, prot);
    if (isErr(v)) return f.fail(`Cannot map enclave memory (${s.name})`, v);
    if (!isZero) p.munmap(src, size);
  }
  const init = a.init(p, f.fd, sigstruct);
  if (init.ret < 0) return f.fail('Enclave initialization IOCTL failed', init.ret);
  if (init.ret > 0) return f.fail('Enclave initialization IOCTL failed (SGX error code)', init.ret);
  if (zeroBuf) p.munmap(zeroBuf, zeroLen);
  p.close(imgfd);
  return f.result(true);
}

/** L3: the Intel PSW flow (libsgx_enclave_common on the in-kernel driver). */
export function pswFlow(design: SgxDesign, p: UserProcess, img: EnclaveImage): LoadResult {
  const f = new Flow('psw', design, p, img);
  const m = img.manifest;
  const a = design.adapter;
  // get_driver_type(): probe the device paths (the in-kernel driver's /dev/sgx/enclave link first).
  let path = '/dev/sgx/enclave';
  let probe = p.open(path, O_RDWR);
  if (isErr(probe)) {
    path = '/dev/sgx_enclave';
    probe = p.open(path, O_RDWR);
  }
  if (isErr(probe)) return f.fail('Failed to open the SGX device', probe);
  p.close(probe);
  // open_se_device(): one fd per enclave.
  f.fd = p.open(path, O_RDWR);
  if (isErr(f.fd)) return f.fail('open_se_device', f.fd);
  // The uRTS reads the page images from the mapped enclave file.
  const imgfd = p.open(img.imagePath, O_RDONLY);
  if (isErr(imgfd)) return f.fail('Cannot open the enclave file', imgfd);
  const view = p.mmap(0, img.imageSize, PROT_READ, MAP_PRIVATE, imgfd, 0);
  if (isErr(view)) return f.fail('Cannot map the enclave file', view);
  p.close(imgfd);
  // enclave_create_ex()
  const r = f.reserve();
  if (r) return f.fail('enclave_create_ex: mmap', r);
  const c = a.create(p, f.fd, f.secs());
  if (c.ret) {
    p.munmap(f.base, f.size);
    return f.fail('enclave_create_ex: SGX_IOC_ENCLAVE_CREATE', c.ret);
  }
  if (m.attributes & SGX_ATTR_PROVISIONKEY) {
    let pfd = p.open('/dev/sgx/provision', O_RDWR);
    if (isErr(pfd)) pfd = a.openProvision(p, O_RDWR);
    if (isErr(pfd)) return f.fail('Failed to open the provisioning device', pfd);
    const pr = a.provision(p, f.fd, pfd);
    p.close(pfd);
    if (pr.ret) return f.fail('SGX_IOC_ENCLAVE_SET_ATTRIBUTE', pr.ret);
  }
  // enclave_load_data() per page; runs of equal protection are mapped when they end.
  const page = p.malloc(PAGE_SIZE, PAGE_SIZE);
  let pending: { addr: number; len: number; prot: number } | null = null;
  const flush = (): number => {
    if (!pending) return 0;
    const v = a.map(p, f.fd, pending.addr, pending.len, pending.prot, MAP_SHARED | MAP_FIXED);
    pending = null;
    return isErr(v) ? v : 0;
  };
  for (const s of m.segments) {
    const prot = segmentProt(s);
    for (let o = 0; o < Number(s.size); o += PAGE_SIZE) {
      const off = Number(s.offset) + o;
      let src: number;
      if (isHeapLike(s)) {
        // source NULL: aligned_alloc(4096, size) + memset(0)
        src = p.malloc(PAGE_SIZE, PAGE_SIZE);
        p.store(src, new Uint8Array(PAGE_SIZE));
      } else {
        p.store(page, p.load(view + off, PAGE_SIZE));
        src = page;
      }
      const add = a.addPages(p, f.fd, { offset: off, src, length: PAGE_SIZE, type: s.type, perms: Number(s.perms), measure: s.measured });
      if (add.ret) return f.fail(`enclave_load_data: SGX_IOC_ENCLAVE_ADD_PAGES (${s.name})`, add.ret);
      const addr = f.base + off;
      if (pending && pending.addr + pending.len === addr && pending.prot === prot) {
        pending.len += PAGE_SIZE;
      } else {
        const e = flush();
        if (e) return f.fail('enclave_do_mprotect_region: mmap', e);
        pending = { addr, len: PAGE_SIZE, prot };
      }
    }
  }
  // enclave_initialize(): the last region is mapped before INIT.
  const e = flush();
  if (e) return f.fail('enclave_initialize: mmap', e);
  const init = a.init(p, f.fd, img.sigstruct);
  if (init.ret) return f.fail('enclave_initialize: SGX_IOC_ENCLAVE_INIT', init.ret);
  // CLoader::set_memory_protection(): mprotect of each segment to its final protection (model choice).
  for (const s of m.segments) {
    if (s.type === 'TCS') continue;
    const v = p.mprotect(f.base + Number(s.offset), Number(s.size), segmentProt(s));
    if (isErr(v)) return f.fail(`set_memory_protection: mprotect(${s.name})`, v);
  }
  return f.result(true);
}

/** Run a loader flow on a design, honouring the design's translation (designs-spec §12). */
export function loadEnclave(design: SgxDesign, p: UserProcess, img: EnclaveImage, kind: LoaderKind = design.canonicalLoader): LoadResult {
  const support = design.loaders[kind];
  if (!support || support.kind === 'untranslatable') {
    const why = support?.kind === 'untranslatable' ? support.why : `design ${design.key} does not describe the ${kind} flow`;
    return { loader: kind, design: design.key, ok: false, untranslatable: why, error: `untranslatable: ${why}`, fd: -1, base: 0, size: Number(img.manifest.size), tcs: [], segments: [] };
  }
  const plan = support.kind === 'rewrite' ? support.plan : undefined;
  switch (kind) {
    case 'selftest':
      return selftestFlow(design, p, img, plan);
    case 'gramine':
      return gramineFlow(design, p, img, plan);
    case 'psw':
      return pswFlow(design, p, img);
    case 'careful':
      if (!design.carefulLoader) throw new Error(`design ${design.key}: the 'careful' loader is design-specific and the design provides none`);
      return design.carefulLoader(p, img);
  }
}
