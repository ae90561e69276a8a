// D1's canonical loader: the seed's flow (Sean Christopherson, 2019-05-17,
// 20190517192823.GG15006@linux.intel.com) from an enclave manifest, as a careful loader author
// writes it:
//
//   source_fd = open("/home/sean/path/to/my/enclave", O_RDONLY);
//   for_each_chunk { <mmap()/mprotect() the enclave file into regular memory> }
//   enclave_fd = open("/dev/sgx/enclave", O_RDWR);          /* allocs anon inode */
//   enclave_addr = mmap(NULL, size, PROT_READ, MAP_SHARED, enclave_fd, 0);
//   ioctl(enclave_fd, ENCLAVE_CREATE, {enclave_addr});
//   for_each_chunk { ioctl(fd, ENCLAVE_ADD, {offset, source, size, type}); }  /* modifies enclave's VMAs */
//   ioctl(fd, ENCLAVE_INIT, ...);
//
// The "hand waving" is made concrete (docs/designs.md §D1 "Loaders"): each segment of the image
// file is mapped MAP_PRIVATE at its file offset with the segment's final protection (TCS: RW, as
// the enclave's TCS mapping must end up; text RX; data RW), so the stock mmap hooks check exactly
// what the enclave will get; heap-like segments (unmeasured zeros) come from anonymous RW memory.
// The loader never passes PROT_EXEC (or PROT_WRITE) on the enclave fd. The SIGSTRUCT is the one
// the loader holds in memory (as the selftest's), so no file is opened for it.
import { EINTR, EINVAL, ERESTARTSYS, errnoName, isErr } from '../../../abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../../abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { secsBytes } from '../../../arch/x86/sgx/encls.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { SgxDesign } from '../design.js';
import { isHeapLike, type EnclaveImage } from '../loaders/image.js';
import { segmentProt } from '../loaders/flows.js';
import type { LoadResult } from '../loaders/types.js';
import { D1_ENCLAVE_PATH } from './adapter.js';

/** Run the seed flow for `img` on `design` (D1's adapter) as task `p`. */
export function d1SeedLoader(design: SgxDesign, p: UserProcess, img: EnclaveImage): LoadResult {
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

  // source_fd = open(enclave file, O_RDONLY); map every chunk into regular memory.
  const imgfd = p.open(img.imagePath, O_RDONLY);
  if (isErr(imgfd)) return fail('open(enclave file)', imgfd);
  const srcs = new Map<string, number>();
  for (const s of m.segments) {
    const len = Number(s.size);
    const src = isHeapLike(s)
      ? p.mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
      : p.mmap(0, len, segmentProt(s), MAP_PRIVATE, imgfd, Number(s.offset));
    if (isErr(src)) return fail(`mmap(${s.name})`, src);
    srcs.set(s.name, src);
  }
  p.close(imgfd);

  // enclave_fd = open("/dev/sgx/enclave", O_RDWR); enclave_addr = mmap(NULL, size, PROT_READ, MAP_SHARED, enclave_fd, 0)
  fd = a.openEnclave(p, O_RDWR);
  if (isErr(fd)) return fail(`open(${D1_ENCLAVE_PATH})`, fd);
  const addr = m.base !== null ? p.mmap(Number(m.base), size, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0) : a.reserve ? a.reserve(p, fd, size) : -EINVAL;
  if (isErr(addr)) return fail('mmap(enclave_fd, PROT_READ, MAP_SHARED)', addr);
  base = addr;

  // ENCLAVE_CREATE({enclave_addr})
  const secs = secsBytes({ size: m.size, base: BigInt(base), ssaFrameSize: m.ssaFrameSize, miscselect: m.miscselect, attributes: m.attributes, xfrm: m.xfrm });
  const c = a.create(p, fd, secs);
  if (c.ret) return fail('ENCLAVE_CREATE', c.ret);

  // for_each_chunk: ENCLAVE_ADD {offset, source, size, type}; re-issued after a signal with what is left.
  for (const s of m.segments) {
    let off = Number(s.offset);
    let src = srcs.get(s.name)!;
    let left = Number(s.size);
    for (let guard = 0; left > 0; guard++) {
      if (guard > left / PAGE_SIZE + 16) return fail(`ENCLAVE_ADD made no progress (${s.name})`, -EINTR);
      const r = a.addPages(p, fd, { offset: off, src, length: left, type: s.type, perms: Number(s.perms), measure: s.measured });
      if (r.ret && r.ret !== -EINTR && r.ret !== -ERESTARTSYS) return fail(`ENCLAVE_ADD (${s.name})`, r.ret);
      const done = r.count ?? 0;
      off += done;
      src += done;
      left -= done;
    }
  }

  // ENCLAVE_INIT
  const init = a.init(p, fd, img.sigstruct);
  if (init.ret) return fail('ENCLAVE_INIT', init.ret);
  return result(true);
}
