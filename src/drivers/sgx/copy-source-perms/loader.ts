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
import { EINTR, EINVAL, isErr } from '../../../abi/errno.js';
import { O_RDWR } from '../../../abi/fcntl.js';
import { MAP_FIXED_NOREPLACE, MAP_SHARED, PROT_READ } from '../../../abi/mman.js';

import type { UserProcess } from '../../../userspace/process.js';
import type { SgxDesign } from '../design.js';
import { type EnclaveImage } from '../loaders/image.js';
import { segmentProt } from '../loaders/flows.js';
import type { LoadResult } from '../loaders/types.js';
import { addSegment, LoaderRun, mapSources } from '../loaders/steps.js';
import { D1_ENCLAVE_PATH } from './adapter.js';

/** Run the seed flow for `img` on `design` (D1's adapter) as task `p`. */
export function d1SeedLoader(design: SgxDesign, p: UserProcess, img: EnclaveImage): LoadResult {
  const m = img.manifest;
  const run = new LoaderRun('careful', design, img);
  const a = design.adapter;

  // source_fd = open(enclave file, O_RDONLY); map every chunk into regular memory.
  const srcs = mapSources(p, img, { map: { kind: 'segments', prot: segmentProt }, heaps: 'interleaved', say: { open: 'open(enclave file)', map: (s) => `mmap(${s!.name})`, heap: (s) => `mmap(${s.name})` } });
  if (!(srcs instanceof Map)) return run.fail(srcs.what, srcs.ret);

  // enclave_fd = open("/dev/sgx/enclave", O_RDWR); enclave_addr = mmap(NULL, size, PROT_READ, MAP_SHARED, enclave_fd, 0)
  run.fd = a.openEnclave(p, O_RDWR);
  if (isErr(run.fd)) return run.fail(`open(${D1_ENCLAVE_PATH})`, run.fd);
  const addr = m.base !== null ? p.mmap(Number(m.base), run.size, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, run.fd, 0) : a.reserve ? a.reserve(p, run.fd, run.size) : -EINVAL;
  if (isErr(addr)) return run.fail('mmap(enclave_fd, PROT_READ, MAP_SHARED)', addr);
  run.base = addr;

  // ENCLAVE_CREATE({enclave_addr})
  const c = a.create(p, run.fd, run.secs());
  if (c.ret) return run.fail('ENCLAVE_CREATE', c.ret);

  // for_each_chunk: ENCLAVE_ADD {offset, source, size, type}; re-issued after a signal with what is left.
  for (const s of m.segments) {
    const e = addSegment(a, p, run.fd, s, srcs.get(s.name)!, { name: 'ENCLAVE_ADD', stall: -EINTR });
    if (e) return run.fail(e.what, e.ret);
  }

  // ENCLAVE_INIT
  const init = a.init(p, run.fd, img.sigstruct);
  if (init.ret) return run.fail('ENCLAVE_INIT', init.ret);
  return run.result(true);
}
