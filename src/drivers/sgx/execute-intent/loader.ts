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
import { EINTR, isErr } from '../../../abi/errno.js';
import { O_RDWR } from '../../../abi/fcntl.js';
import { PROT_READ } from '../../../abi/mman.js';

import type { UserProcess } from '../../../userspace/process.js';
import type { SgxDesign } from '../design.js';
import { type EnclaveImage } from '../loaders/image.js';
import { reserveElrange } from '../loaders/flows.js';
import type { LoadResult } from '../loaders/types.js';
import { addSegment, LoaderRun, mapSegments, mapSources } from '../loaders/steps.js';
import { D3_ENCLAVE_PATH } from './adapter.js';

/** Run the careful D3 flow for `img` on `design` (a D3 variant's adapter) as task `p`. */
export function d3Loader(design: SgxDesign, p: UserProcess, img: EnclaveImage): LoadResult {
  const run = new LoaderRun('careful', design, img);
  const a = design.adapter;

  run.fd = a.openEnclave(p, O_RDWR);
  if (isErr(run.fd)) return run.fail(`open(${D3_ENCLAVE_PATH})`, run.fd);
  const srcs = mapSources(p, img, { map: { kind: 'whole', prot: PROT_READ }, heaps: 'after', say: { open: 'open(enclave image)', map: () => 'mmap(enclave image)', heap: (s) => `mmap(${s.name})` } });
  if (!(srcs instanceof Map)) return run.fail(srcs.what, srcs.ret);
  run.base = reserveElrange(p, run.size);
  if (isErr(run.base)) return run.fail('reservation mmap()', run.base);
  const c = a.create(p, run.fd, run.secs());
  if (c.ret) return run.fail('SGX_IOC_ENCLAVE_CREATE', c.ret);
  for (const s of img.manifest.segments) {
    const e = addSegment(a, p, run.fd, s, srcs.get(s.name)!, { name: 'SGX_IOC_ENCLAVE_ADD_PAGES', stall: -EINTR });
    if (e) return run.fail(e.what, e.ret);
  }
  const init = a.init(p, run.fd, img.sigstruct);
  if (init.ret) return run.fail('SGX_IOC_ENCLAVE_INIT', init.ret);
  const v = mapSegments(a, p, run);
  if (v) return run.fail(v.what, v.ret);
  return run.result(true);
}
