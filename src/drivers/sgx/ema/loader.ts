// D6's careful loader and ELRANGE reservation (docs/designs.md §D6 "SELinux permissions a loader
// needs"): what a careful author writes for Cedric Xing's design from an enclave manifest.
//   1. open /dev/sgx/enclave O_RDWR;
//   2. sources: the image's pages from private PROT_READ mappings of the image file (unmodified:
//      no anon_vma, so SELinux judges the file), the heap from anonymous RW memory;
//   3. the SIGSTRUCT from a private PROT_READ mapping of the unmodified .sig file (launch control:
//      security_enclave_init() wants the SIGSTRUCT's VMA to be an unmodified file mapping, and asks
//      file:execute on that file);
//   4. ELRANGE: one PROT_NONE MAP_SHARED mapping of the enclave fd (v20's get_unmapped_area maps
//      only naturally aligned power-of-two lengths; the mapping also chooses the base);
//   5. CREATE; one ADD_PAGE per page (mrmask 0xffff when measured); INIT;
//   6. each segment is first split off with mprotect(PROT_READ), then mprotect'ed to its own
//      protection: security_file_mprotect() sees the whole VMA an mprotect starts in, and
//      enclave_mprotect() applies to every EMA of that VMA, so adding W to part of the one ELRANGE
//      mapping would mark every page modified, and adding X would judge every page's source.
import { O_RDONLY, O_RDWR } from '../../../abi/fcntl.js';
import { MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ } from '../../../abi/mman.js';

import { isErr } from '../../../abi/errno.js';
import { SGX_ATTR_PROVISIONKEY, SIGSTRUCT_SIZE } from '../../../arch/x86/sgx/arch.js';

import type { UserProcess } from '../../../userspace/process.js';
import type { SgxDesign } from '../design.js';
import { segmentProt } from '../loaders/flows.js';
import { type EnclaveImage } from '../loaders/image.js';
import type { LoadResult } from '../loaders/types.js';
import { LoaderRun, mapSources } from '../loaders/steps.js';
import { V20_ENCLAVE_PATH, V20_PROVISION_PATH } from '../v20/install.js';
import { V20_ENCLAVE_INIT, V20_IOC_ENCLAVE_INIT } from '../v20/uapi.js';

/** D6's adapter.reserve(): ELRANGE as one PROT_NONE MAP_SHARED mapping of the enclave fd (v20's natural alignment gives the base). */
export function d6Reserve(p: UserProcess, fd: number, size: number): number {
  return p.mmap(0, size, PROT_NONE, MAP_SHARED, fd, 0);
}

/** The careful loader of D6 (see the file comment). */
export function d6CarefulLoad(design: SgxDesign, p: UserProcess, img: EnclaveImage): LoadResult {
  const m = img.manifest;
  const a = design.adapter;
  const run = new LoaderRun('careful', design, img);

  run.fd = a.openEnclave(p, O_RDWR);
  if (isErr(run.fd)) return run.fail(`open(${V20_ENCLAVE_PATH})`, run.fd);
  const srcs = mapSources(p, img, { map: { kind: 'segments', prot: () => PROT_READ }, heaps: 'interleaved', say: { open: 'open(image)', map: (s) => `mmap(source of ${s!.name})`, heap: (s) => `mmap(source of ${s.name})` } });
  if (!(srcs instanceof Map)) return run.fail(srcs.what, srcs.ret);
  const sigfd = p.open(img.sigstructPath, O_RDONLY);
  if (isErr(sigfd)) return run.fail('open(.sig)', sigfd);
  const sig = p.mmap(0, SIGSTRUCT_SIZE, PROT_READ, MAP_PRIVATE, sigfd, 0);
  p.close(sigfd);
  if (isErr(sig)) return run.fail('mmap(.sig)', sig);
  const r = m.base !== null ? p.mmap(Number(m.base), run.size, PROT_NONE, MAP_SHARED | MAP_FIXED, run.fd, 0) : d6Reserve(p, run.fd, run.size);
  if (isErr(r)) return run.fail(`mmap(${V20_ENCLAVE_PATH}, ELRANGE, PROT_NONE)`, r);
  run.base = r;
  const c = a.create(p, run.fd, run.secs());
  if (c.ret) return run.fail('SGX_IOC_ENCLAVE_CREATE', c.ret);
  if (m.attributes & SGX_ATTR_PROVISIONKEY) {
    const pfd = a.openProvision(p, O_RDWR);
    if (isErr(pfd)) return run.fail(`open(${V20_PROVISION_PATH})`, pfd);
    const pr = a.provision(p, run.fd, pfd);
    p.close(pfd);
    if (pr.ret) return run.fail('SGX_IOC_ENCLAVE_SET_ATTRIBUTE', pr.ret);
  }
  for (const s of m.segments) {
    const add = a.addPages(p, run.fd, { offset: Number(s.offset), src: srcs.get(s.name)!, length: Number(s.size), type: s.type, perms: Number(s.perms & 7n), measure: s.measured });
    if (add.ret) return run.fail(`SGX_IOC_ENCLAVE_ADD_PAGE (${s.name})`, add.ret);
  }
  // INIT with the SIGSTRUCT where it is mapped from its file.
  const init = p.ioctl(run.fd, V20_IOC_ENCLAVE_INIT, p.struct(V20_ENCLAVE_INIT, { sigstruct: sig }));
  if (init) return run.fail('SGX_IOC_ENCLAVE_INIT', init);
  for (const s of m.segments) {
    const v = p.mprotect(run.base + Number(s.offset), Number(s.size), PROT_READ);
    if (isErr(v)) return run.fail(`mprotect(${s.name}, PROT_READ)`, v);
  }
  for (const s of m.segments) {
    const prot = segmentProt(s);
    if (prot === PROT_READ) continue;
    const v = p.mprotect(run.base + Number(s.offset), Number(s.size), prot);
    if (isErr(v)) return run.fail(`mprotect(${s.name})`, v);
  }
  return run.result(true);
}
