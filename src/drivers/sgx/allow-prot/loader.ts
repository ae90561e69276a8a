// The neutral adapter and the careful loader of the v20-based 2019 RFC designs (D4, D5, D6).
//
// Adapter: the v20 uAPI names pages by absolute address, so a neutral ADD at `offset` becomes
// `addr = SECS.base + offset`; the base is the one the caller's CREATE gave the enclave (read back
// from the enclave object behind the fd, as a loader knows it from its own SECS). The single-page
// uAPIs issue one ADD_PAGE per page and report `count` as the bytes of the pages that succeeded.
//
// Careful loader: what a careful author writes for these designs from an enclave manifest
// (docs/designs.md §D4-§D6 "SELinux permissions a loader needs"):
//   D4/D5 ('map-after-init'): open /dev/sgx/enclave O_RDWR; map the image's pages privately as
//     sources (code with the protection the design wants the source to have, everything else
//     PROT_READ), the heap from anonymous RW memory; hold ELRANGE with an aligned PROT_NONE
//     anonymous reservation; CREATE; ADD every page with its declared protection (TCS: RW);
//     INIT; then one MAP_SHARED|MAP_FIXED mapping per segment with its final protection (only
//     pages that exist are mapped: D4/D5 refuse PROT != NONE over holes).
//   D6 ('mprotect-after-init'): v20's get_unmapped_area maps only naturally aligned power-of-two
//     lengths, so ELRANGE is one PROT_NONE mapping of the enclave fd made before CREATE (it also
//     picks the base); the SIGSTRUCT is passed to INIT from a private mapping of the unmodified
//     .sig file (D6's launch control); after INIT each segment is first split off with
//     mprotect(PROT_READ) (the LSM judges an mprotect on the whole VMA it starts in: adding W or X
//     to a part would be judged on every page of ELRANGE), then mprotect'ed to its protection.
import { O_RDONLY, O_RDWR } from '../../../abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { ENOTTY, errnoName, isErr } from '../../../abi/errno.js';
import { SIGSTRUCT_SIZE, SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { secsBytes } from '../../../arch/x86/sgx/encls.js';
import { SGX_ATTR_PROVISIONKEY } from '../../../arch/x86/sgx/arch.js';
import type { ManifestSegment } from '../../../enclave/manifest.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { StructLayout, StructLiteral } from '../../../userspace/struct.js';
import type { DesignAdapter, NeutralAdd, NeutralResult, SgxDesign } from '../design.js';
import { enclIdOfFd } from '../common/knobs.js';
import { enclOf } from '../common/epc.js';
import { neutralSecinfo } from '../mainline/adapter.js';
import { segmentProt } from '../loaders/flows.js';
import { isHeapLike, type EnclaveImage } from '../loaders/image.js';
import type { LoadedSegment, LoadResult } from '../loaders/types.js';
import { V20_ENCLAVE_CREATE, V20_ENCLAVE_INIT, V20_ENCLAVE_SET_ATTRIBUTE, V20_IOC_ENCLAVE_CREATE, V20_IOC_ENCLAVE_INIT, V20_IOC_ENCLAVE_SET_ATTRIBUTE } from './uapi.js';

/** The device nodes of the v20 driver (driver/main.c: an "sgx" class, nodes sgx/enclave and sgx/provision). */
export const V20_ENCLAVE_PATH = '/dev/sgx/enclave';
export const V20_PROVISION_PATH = '/dev/sgx/provision';

const U64 = (1n << 64n) - 1n;
const PAGE = BigInt(PAGE_SIZE);

/** Issue an ioctl with a freshly marshalled struct; the ret and the struct as the kernel left it. */
export function ioctlWith(p: UserProcess, fd: number, cmd: number, layout: StructLayout, lit: StructLiteral): number {
  return p.ioctl(fd, cmd, p.struct(layout, lit));
}

/** SECS.BASEADDR of the enclave behind fd (0 before CREATE or for a non-enclave fd). */
export function enclaveBaseOf(p: UserProcess, fd: number): bigint {
  const id = enclIdOfFd(p.k, p.pid, fd);
  return id === null ? 0n : BigInt(enclOf(p.k, id).base);
}

/**
 * The PROT_* a neutral add declares: RW for a TCS (what its mapping needs), else the SECINFO R/W/X
 * (those of a raw `secinfoFlags` when the caller gives one).
 */
export function declaredProt(a: NeutralAdd): number {
  const tcs = a.secinfoFlags !== undefined ? Number((a.secinfoFlags >> 8n) & 0xffn) === SgxPageType.TCS : a.type === 'TCS';
  if (tcs) return PROT_READ | PROT_WRITE;
  return a.secinfoFlags !== undefined ? Number(a.secinfoFlags & 7n) : a.perms & 7;
}

/** One ADD_PAGE per page (D4 v2, D5, D6): `issue(addr, src, secinfo)` returns the ioctl's result. */
export function perPageAdd(p: UserProcess, fd: number, a: NeutralAdd, issue: (addr: bigint, src: bigint, secinfo: Uint8Array) => number): NeutralResult {
  const length = BigInt(a.length);
  if (length === 0n || length % PAGE !== 0n) return { ret: 0, count: 0, unsupported: 'one ADD_PAGE per page: a zero or partial-page length has no encoding' };
  const base = enclaveBaseOf(p, fd);
  const secinfo = neutralSecinfo(a);
  let c = 0n;
  for (; c < length; c += PAGE) {
    const ret = issue((base + BigInt(a.offset) + c) & U64, (BigInt(a.src) + c) & U64, secinfo);
    if (ret !== 0) return { ret, count: Number(c) };
  }
  return { ret: 0, count: Number(c) };
}

/** Why the adapter's SGX2 operations are unsupported. */
export const RFC_NO_SGX2 = 'the 2019 RFC uAPIs have no SGX2 ioctls (the mainline numbers are unknown commands: ENOTTY)';

/** The v20 neutral adapter with a design's ADD translation. */
export function rfcAdapter(addPages: (p: UserProcess, fd: number, a: NeutralAdd) => NeutralResult): DesignAdapter {
  // The mainline SGX2 numbers are unknown commands to the v20 dispatcher: -ENOIOCTLCMD, ENOTTY in userspace.
  const noSgx2: NeutralResult = { ret: -ENOTTY, unsupported: RFC_NO_SGX2 };
  return {
    openEnclave: (p, flags = O_RDWR) => p.open(V20_ENCLAVE_PATH, flags),
    openProvision: (p, flags = O_RDWR) => p.open(V20_PROVISION_PATH, flags),
    create: (p, fd, secs) => ({ ret: ioctlWith(p, fd, V20_IOC_ENCLAVE_CREATE, V20_ENCLAVE_CREATE, { src: secs }) }),
    addPages,
    init(p, fd, sigstruct) {
      if (sigstruct.length !== SIGSTRUCT_SIZE) throw new Error(`a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes`);
      return { ret: ioctlWith(p, fd, V20_IOC_ENCLAVE_INIT, V20_ENCLAVE_INIT, { sigstruct }) };
    },
    provision: (p, fd, provisionFd) => ({ ret: ioctlWith(p, fd, V20_IOC_ENCLAVE_SET_ATTRIBUTE, V20_ENCLAVE_SET_ATTRIBUTE, { attribute_fd: provisionFd }) }),
    restrictPermissions: () => noSgx2,
    modifyTypes: () => noSgx2,
    removePages: () => noSgx2,
    map: (p, fd, addr, len, prot, flags = MAP_SHARED | MAP_FIXED) => p.mmap(addr, len, prot, flags, fd, 0),
  };
}

// ------------------------------------------------------------------ the careful loader

export interface CarefulPlan {
  /** The protection of a code segment's source mapping (D4: PROT_READ|PROT_EXEC, D5: PROT_READ). */
  readonly codeSourceProt: number;
  /** 'map-after-init' (D4, D5) or 'mprotect-after-init' (D6). */
  readonly layout: 'map-after-init' | 'mprotect-after-init';
  /** Where INIT's SIGSTRUCT pointer points: a heap copy, or a private mapping of the .sig file (D6). */
  readonly sigstruct: 'heap' | 'file-mapping';
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/** The careful loader of a v20-based 2019 RFC design (see the file comment). */
export function carefulLoad(design: SgxDesign, plan: CarefulPlan, p: UserProcess, img: EnclaveImage): LoadResult {
  const m = img.manifest;
  const a = design.adapter;
  const size = Number(m.size);
  let fd = -1;
  let base = 0;
  const segments: LoadedSegment[] = m.segments.map((s) => ({
    name: s.name,
    offset: Number(s.offset),
    addr: 0,
    size: Number(s.size),
    prot: segmentProt(s),
    type: s.type,
    measured: s.measured,
  }));
  const result = (ok: boolean, error?: string): LoadResult => {
    const segs = segments.map((s) => ({ ...s, addr: base + s.offset }));
    const tcs: number[] = [];
    for (const s of segs) if (s.type === 'TCS') for (let o = 0; o < s.size; o += PAGE_SIZE) tcs.push(s.addr + o);
    return { loader: 'careful', design: design.key, ok, error, fd, base, size, tcs, segments: segs };
  };
  const fail = (what: string, ret: number): LoadResult => result(false, `${what}: ${isErr(ret) ? errnoName(ret) : String(ret)}`);
  const isCode = (s: ManifestSegment): boolean => s.type !== 'TCS' && (s.perms & 4n) !== 0n;

  fd = a.openEnclave(p, O_RDWR);
  if (isErr(fd)) return fail(`open(${V20_ENCLAVE_PATH})`, fd);
  // Sources: the image's pages from private mappings of the file (unmodified: no anon_vma), the heap from anonymous memory.
  const imgfd = p.open(img.imagePath, O_RDONLY);
  if (isErr(imgfd)) return fail('open(image)', imgfd);
  const srcs = new Map<string, number>();
  for (const s of m.segments) {
    const len = Number(s.size);
    const src = isHeapLike(s)
      ? p.mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
      : p.mmap(0, len, isCode(s) ? plan.codeSourceProt : PROT_READ, MAP_PRIVATE, imgfd, Number(s.offset));
    if (isErr(src)) return fail(`mmap(source of ${s.name})`, src);
    srcs.set(s.name, src);
  }
  p.close(imgfd);
  let sigstruct: Uint8Array | number = img.sigstruct;
  if (plan.sigstruct === 'file-mapping') {
    const sigfd = p.open(img.sigstructPath, O_RDONLY);
    if (isErr(sigfd)) return fail('open(.sig)', sigfd);
    const view = p.mmap(0, SIGSTRUCT_SIZE, PROT_READ, MAP_PRIVATE, sigfd, 0);
    p.close(sigfd);
    if (isErr(view)) return fail('mmap(.sig)', view);
    sigstruct = view;
  }
  // ELRANGE
  if (plan.layout === 'map-after-init') {
    const area = p.mmap(0, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (isErr(area)) return fail('mmap(reservation)', area);
    base = m.base !== null ? Number(m.base) : alignUp(area, size);
    if (m.base === null) {
      if (base > area) p.munmap(area, base - area);
      p.munmap(base + size, area + size - base);
    } else {
      p.munmap(area, 2 * size);
      const r = p.mmap(base, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (isErr(r)) return fail('mmap(reservation at the manifest base)', r);
    }
  } else {
    const r = p.mmap(m.base !== null ? Number(m.base) : 0, size, PROT_NONE, MAP_SHARED | (m.base !== null ? MAP_FIXED : 0), fd, 0);
    if (isErr(r)) return fail(`mmap(${V20_ENCLAVE_PATH}, ELRANGE, PROT_NONE)`, r);
    base = r;
  }
  const secs = secsBytes({ size: m.size, base: BigInt(base), ssaFrameSize: m.ssaFrameSize, miscselect: m.miscselect, attributes: m.attributes, xfrm: m.xfrm });
  const c = a.create(p, fd, secs);
  if (c.ret) return fail('SGX_IOC_ENCLAVE_CREATE', c.ret);
  if (m.attributes & SGX_ATTR_PROVISIONKEY) {
    const pfd = a.openProvision(p, O_RDWR);
    if (isErr(pfd)) return fail(`open(${V20_PROVISION_PATH})`, pfd);
    const pr = a.provision(p, fd, pfd);
    p.close(pfd);
    if (pr.ret) return fail('SGX_IOC_ENCLAVE_SET_ATTRIBUTE', pr.ret);
  }
  for (const s of m.segments) {
    const add = a.addPages(p, fd, { offset: Number(s.offset), src: srcs.get(s.name)!, length: Number(s.size), type: s.type, perms: Number(s.perms & 7n), measure: s.measured });
    if (add.ret) return fail(`ADD (${s.name})`, add.ret);
  }
  const init = typeof sigstruct === 'number' ? { ret: p.ioctl(fd, V20_IOC_ENCLAVE_INIT, p.struct(V20_ENCLAVE_INIT, { sigstruct })) } : a.init(p, fd, sigstruct);
  if (init.ret) return fail('SGX_IOC_ENCLAVE_INIT', init.ret);
  if (plan.layout === 'map-after-init') {
    for (const s of m.segments) {
      const v = a.map(p, fd, base + Number(s.offset), Number(s.size), segmentProt(s));
      if (isErr(v)) return fail(`mmap(${s.name})`, v);
    }
  } else {
    for (const s of m.segments) {
      const v = p.mprotect(base + Number(s.offset), Number(s.size), PROT_READ);
      if (isErr(v)) return fail(`mprotect(${s.name}, PROT_READ)`, v);
    }
    for (const s of m.segments) {
      const prot = segmentProt(s);
      if (prot === PROT_READ) continue;
      const v = p.mprotect(base + Number(s.offset), Number(s.size), prot);
      if (isErr(v)) return fail(`mprotect(${s.name})`, v);
    }
  }
  return result(true);
}

