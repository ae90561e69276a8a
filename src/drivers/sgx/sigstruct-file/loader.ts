// D2's canonical loader: Andy Lutomirski's sketch (2019-05-15 16:13 PDT,
// CALCETrX2ovRx3Rre+1_xC-q6CiybyLjQ-gmB4FZF_qCZ-Qd+4A@mail.gmail.com) made concrete, from an
// enclave manifest:
//   void *source_data = mmap(crypto_thingy.enclave, PROT_READ | PROT_EXEC, ...);
//   int sigstruct_fd = open("crypto_thingy.sigstruct", O_RDONLY);
//   int enclave_fd = open("/dev/sgx/enclave", O_RDWR);
//   ioctl(enclave_fd, SGX_IOC_ADD_SOME_DATA, source_data + source_offset, enclave_offset, len, ...);  (per segment)
//   ioctl(enclave_fd, SGX_INIT_THE_ENCLAVE, sigstruct_fd);
//   mmap(enclave_fd RO section, PROT_READ, ...); mmap(RW section, PROT_READ | PROT_WRITE, ...);
//   mmap(RX section, PROT_READ | PROT_EXEC, ...);
// Concrete choices: the image is mapped MAP_PRIVATE, PROT_READ|PROT_EXEC, whole (so every page it
// provides is safe to execute); heap-like segments come from anonymous RW memory (never executed);
// the ELRANGE is held for CREATE as load.c holds it (a PROT_NONE anonymous reservation aligned to
// the size: the mainline get_unmapped_area gives no alignment); the SIGSTRUCT file is the one
// written beside the image; each segment is mapped MAP_SHARED|MAP_FIXED after INIT with its own
// protection (TCS: RW).
import { ERESTARTSYS, errnoName, isErr } from '../../../abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../../abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { secsBytes } from '../../../arch/x86/sgx/encls.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { SgxDesign } from '../design.js';
import { isHeapLike, type EnclaveImage } from '../loaders/image.js';
import { reserveElrange, segmentProt } from '../loaders/flows.js';
import type { LoadResult } from '../loaders/types.js';
import { D2_ENCLAVE_PATH, d2Init } from './adapter.js';

/** Run Andy's flow for `img` on `design` (D2's adapter) as task `p`. */
export function d2Loader(design: SgxDesign, p: UserProcess, img: EnclaveImage): LoadResult {
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

  // void *source_data = mmap(crypto_thingy.enclave, PROT_READ | PROT_EXEC, ...);
  const imgfd = p.open(img.imagePath, O_RDONLY);
  if (isErr(imgfd)) return fail('open(enclave file)', imgfd);
  const source = p.mmap(0, img.imageSize, PROT_READ | PROT_EXEC, MAP_PRIVATE, imgfd, 0);
  if (isErr(source)) return fail('mmap(enclave file, PROT_READ|PROT_EXEC)', source);
  p.close(imgfd);
  const srcs = new Map<string, number>();
  for (const s of m.segments) {
    if (!isHeapLike(s)) {
      srcs.set(s.name, source + Number(s.offset));
      continue;
    }
    const heap = p.mmap(0, Number(s.size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (isErr(heap)) return fail(`mmap(${s.name})`, heap);
    srcs.set(s.name, heap);
  }
  // int sigstruct_fd = open("crypto_thingy.sigstruct", O_RDONLY);
  const sigfd = p.open(img.sigstructPath, O_RDONLY);
  if (isErr(sigfd)) return fail('open(sigstruct file)', sigfd);
  // int enclave_fd = open("/dev/sgx/enclave", O_RDWR);
  fd = a.openEnclave(p, O_RDWR);
  if (isErr(fd)) return fail(`open(${D2_ENCLAVE_PATH})`, fd);
  base = reserveElrange(p, size);
  if (isErr(base)) return fail('reservation mmap()', base);
  const c = a.create(p, fd, secsBytes({ size: m.size, base: BigInt(base), ssaFrameSize: m.ssaFrameSize, miscselect: m.miscselect, attributes: m.attributes, xfrm: m.xfrm }));
  if (c.ret) return fail('SGX_IOC_ENCLAVE_CREATE', c.ret);
  // ADD per segment; a call a signal stopped after some pages says how many bytes it added.
  for (const s of m.segments) {
    let off = Number(s.offset);
    let src = srcs.get(s.name)!;
    let left = Number(s.size);
    for (let guard = 0; left > 0; guard++) {
      if (guard > left / PAGE_SIZE + 16) return fail(`SGX_IOC_ENCLAVE_ADD_PAGES made no progress (${s.name})`, -ERESTARTSYS);
      const r = a.addPages(p, fd, { offset: off, src, length: left, type: s.type, perms: Number(s.perms), measure: s.measured });
      if (r.ret < 0 && r.ret !== -ERESTARTSYS) return fail(`SGX_IOC_ENCLAVE_ADD_PAGES (${s.name})`, r.ret);
      const done = r.count ?? 0;
      off += done;
      src += done;
      left -= done;
    }
  }
  // ioctl(enclave_fd, SGX_INIT_THE_ENCLAVE, sigstruct_fd);
  const init = d2Init(p, fd, sigfd);
  p.close(sigfd);
  if (init) return fail('SGX_IOC_ENCLAVE_INIT', init);
  // "Actually map the thing": each section with its own protection.
  for (const s of m.segments) {
    const v = a.map(p, fd, base + Number(s.offset), Number(s.size), segmentProt(s), MAP_SHARED | MAP_FIXED);
    if (isErr(v)) return fail(`mmap(${s.name})`, v);
  }
  return result(true);
}
