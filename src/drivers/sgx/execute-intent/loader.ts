// D3's canonical loader, from an enclave manifest. Andy Lutomirski's mail (2019-05-30) states the
// rules, not a loader; a careful author writing for them:
//   fd  = open("/dev/sgx/enclave", O_RDWR);
//   bin = mmap(NULL, image, PROT_READ, MAP_PRIVATE, imgfd, 0);   /* R3 checks EXECUTE on the file itself at ADD */
//   heap: anonymous RW memory;                                    /* never executed */
//   ELRANGE held by an aligned PROT_NONE anonymous reservation (load.c's way: mainline get_unmapped_area);
//   CREATE; per segment ADD_PAGES {..., flags = MEASURE | (code ? SGX_PAGE_EXEC_INTENT : 0)}
//     (static: "user code sets the flag only for code"; dynamic: no flag), advanced by `count` and
//     re-issued after a signal;
//   INIT; per segment mmap(MAP_SHARED|MAP_FIXED) with its final protection (TCS: RW) — never W+X,
//     and code never writable, so neither EXECMEM (R1) nor EXECMOD (R2) is needed.
import { EINTR, ERESTARTSYS, errnoName, isErr } from '../../../abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../../abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { secsBytes } from '../../../arch/x86/sgx/encls.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { SgxDesign } from '../design.js';
import { isHeapLike, type EnclaveImage } from '../loaders/image.js';
import { reserveElrange, segmentProt } from '../loaders/flows.js';
import type { LoadResult } from '../loaders/types.js';
import { D3_ENCLAVE_PATH } from './adapter.js';

/** Run the careful D3 flow for `img` on `design` (a D3 variant's adapter) as task `p`. */
export function d3Loader(design: SgxDesign, p: UserProcess, img: EnclaveImage): LoadResult {
  const m = img.manifest;
  const size = Number(m.size);
  let fd = -1;
  let base = 0;
  const result = (ok: boolean, error?: string): LoadResult => {
    const segments = m.segments.map((s) => ({
      name: s.name,
      offset: Number(s.offset),
      addr: base + Number(s.offset),
      size: Number(s.size),
      prot: segmentProt(s),
      type: s.type,
      measured: s.measured,
    }));
    const tcs: number[] = [];
    for (const s of segments) if (s.type === 'TCS') for (let o = 0; o < s.size; o += PAGE_SIZE) tcs.push(s.addr + o);
    return { loader: 'careful', design: design.key, ok, error, fd, base, size, tcs, segments };
  };
  const fail = (what: string, ret: number): LoadResult => result(false, `${what}: ${isErr(ret) ? errnoName(ret) : String(ret)}`);
  const a = design.adapter;

  fd = a.openEnclave(p, O_RDWR);
  if (isErr(fd)) return fail(`open(${D3_ENCLAVE_PATH})`, fd);
  const imgfd = p.open(img.imagePath, O_RDONLY);
  if (isErr(imgfd)) return fail('open(enclave image)', imgfd);
  const bin = p.mmap(0, img.imageSize, PROT_READ, MAP_PRIVATE, imgfd, 0);
  if (isErr(bin)) return fail('mmap(enclave image)', bin);
  p.close(imgfd);
  const srcs = new Map<string, number>();
  for (const s of m.segments) {
    if (!isHeapLike(s)) {
      srcs.set(s.name, bin + Number(s.offset));
      continue;
    }
    const heap = p.mmap(0, Number(s.size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (isErr(heap)) return fail(`mmap(${s.name})`, heap);
    srcs.set(s.name, heap);
  }
  base = reserveElrange(p, size);
  if (isErr(base)) return fail('reservation mmap()', base);
  const c = a.create(p, fd, secsBytes({ size: m.size, base: BigInt(base), ssaFrameSize: m.ssaFrameSize, miscselect: m.miscselect, attributes: m.attributes, xfrm: m.xfrm }));
  if (c.ret) return fail('SGX_IOC_ENCLAVE_CREATE', c.ret);
  for (const s of m.segments) {
    let off = Number(s.offset);
    let src = srcs.get(s.name)!;
    let left = Number(s.size);
    for (let guard = 0; left > 0; guard++) {
      if (guard > left / PAGE_SIZE + 16) return fail(`SGX_IOC_ENCLAVE_ADD_PAGES made no progress (${s.name})`, -EINTR);
      const r = a.addPages(p, fd, { offset: off, src, length: left, type: s.type, perms: Number(s.perms), measure: s.measured });
      if (r.ret && r.ret !== -EINTR && r.ret !== -ERESTARTSYS) return fail(`SGX_IOC_ENCLAVE_ADD_PAGES (${s.name})`, r.ret);
      const done = r.count ?? 0;
      off += done;
      src += done;
      left -= done;
    }
  }
  const init = a.init(p, fd, img.sigstruct);
  if (init.ret) return fail('SGX_IOC_ENCLAVE_INIT', init.ret);
  for (const s of m.segments) {
    const v = a.map(p, fd, base + Number(s.offset), Number(s.size), segmentProt(s), MAP_SHARED | MAP_FIXED);
    if (isErr(v)) return fail(`mmap(${s.name})`, v);
  }
  return result(true);
}
