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
import { ERESTARTSYS, isErr } from '../../../abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../../abi/fcntl.js';
import { PROT_EXEC, PROT_READ } from '../../../abi/mman.js';

import type { UserProcess } from '../../../userspace/process.js';
import type { SgxDesign } from '../design.js';
import { type EnclaveImage } from '../loaders/image.js';
import { reserveElrange } from '../loaders/flows.js';
import type { LoadResult } from '../loaders/types.js';
import { addSegment, LoaderRun, mapSegments, mapSources } from '../loaders/steps.js';
import { D2_ENCLAVE_PATH, d2Init } from './adapter.js';

/** Run Andy's flow for `img` on `design` (D2's adapter) as task `p`. */
export function d2Loader(design: SgxDesign, p: UserProcess, img: EnclaveImage): LoadResult {
  const run = new LoaderRun('careful', design, img);
  const a = design.adapter;

  // void *source_data = mmap(crypto_thingy.enclave, PROT_READ | PROT_EXEC, ...);
  const srcs = mapSources(p, img, {
    map: { kind: 'whole', prot: PROT_READ | PROT_EXEC },
    heaps: 'after',
    say: { open: 'open(enclave file)', map: () => 'mmap(enclave file, PROT_READ|PROT_EXEC)', heap: (s) => `mmap(${s.name})` },
  });
  if (!(srcs instanceof Map)) return run.fail(srcs.what, srcs.ret);
  // int sigstruct_fd = open("crypto_thingy.sigstruct", O_RDONLY);
  const sigfd = p.open(img.sigstructPath, O_RDONLY);
  if (isErr(sigfd)) return run.fail('open(sigstruct file)', sigfd);
  // int enclave_fd = open("/dev/sgx/enclave", O_RDWR);
  run.fd = a.openEnclave(p, O_RDWR);
  if (isErr(run.fd)) return run.fail(`open(${D2_ENCLAVE_PATH})`, run.fd);
  run.base = reserveElrange(p, run.size);
  if (isErr(run.base)) return run.fail('reservation mmap()', run.base);
  const c = a.create(p, run.fd, run.secs());
  if (c.ret) return run.fail('SGX_IOC_ENCLAVE_CREATE', c.ret);
  // ADD per segment; a call a signal stopped after some pages says how many bytes it added.
  for (const s of img.manifest.segments) {
    const e = addSegment(a, p, run.fd, s, srcs.get(s.name)!, { name: 'SGX_IOC_ENCLAVE_ADD_PAGES', stall: -ERESTARTSYS });
    if (e) return run.fail(e.what, e.ret);
  }
  // ioctl(enclave_fd, SGX_INIT_THE_ENCLAVE, sigstruct_fd);
  const init = d2Init(p, run.fd, sigfd);
  p.close(sigfd);
  if (init) return run.fail('SGX_IOC_ENCLAVE_INIT', init);
  // "Actually map the thing": each section with its own protection.
  const v = mapSegments(a, p, run);
  if (v) return run.fail(v.what, v.ret);
  return run.result(true);
}
