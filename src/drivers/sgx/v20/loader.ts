// D0's loaders, from an enclave manifest, as system calls of one task.
//
// The careful v20 loader (canonical): what an author writes for the v20 uAPI (the flow of the
// Intel SDK's and Gramine's out-of-tree-driver paths, mapped onto the in-tree v20 calls):
//   fd   = open("/dev/sgx/enclave", O_RDWR);
//   bin  = mmap(NULL, image, PROT_READ, MAP_PRIVATE, imgfd, 0);   /* sources: readable is enough */
//   heap = mmap(NULL, heap, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
//   base = mmap(NULL, size, PROT_NONE, MAP_SHARED, fd, 0);   /* v20 aligns it to the size */
//   ioctl(fd, SGX_IOC_ENCLAVE_CREATE, {&secs(base)});
//   for each page: ioctl(fd, SGX_IOC_ENCLAVE_ADD_PAGE, {base + offset, src, &secinfo, mrmask});
//   ioctl(fd, SGX_IOC_ENCLAVE_INIT, {&sigstruct});           /* > 0: the EINIT error code */
//   for each segment: mprotect(base + offset, size, prot);    /* TCS: RW */
// v20's get_unmapped_area() maps only power-of-two lengths of 8 KiB or more, naturally aligned,
// so the ELRANGE is mapped once (its size is a power of two) and each segment gets its
// protection with mprotect(), never with a per-segment mmap(). The device needs `write` (RW
// segments, MAP_SHARED) and `execute` (the RX text) whatever the enclave is.
//
// Smalley's variant (2019-05-17, quoted in the seed 20190517192823.GG15006@linux.intel.com):
// open(O_RDONLY) and one mmap(PROT_READ|PROT_EXEC, MAP_SHARED), so that only `read` and
// `execute` (with open, map, ioctl) are needed on /dev/sgx/enclave. Every ioctl works (v20 checks
// no f_mode), but the mapping can never become writable (O_RDONLY clears VM_MAYWRITE; a
// MAP_SHARED PROT_WRITE mmap is -EACCES): Sean's answer in the same mail, "all enclaves need to
// have RW and X EPC pages", is what an EENTER then shows (the SSA frame must be writable).
import { errnoName, isErr } from '../../../abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../../abi/fcntl.js';
import { MAP_FIXED, MAP_SHARED, PROT_EXEC, PROT_NONE, PROT_READ } from '../../../abi/mman.js';
import { PAGE_SIZE } from '../../../abi/page.js';

import type { UserProcess } from '../../../userspace/process.js';
import type { SgxDesign } from '../design.js';
import { type EnclaveImage } from '../loaders/image.js';
import { segmentProt } from '../loaders/flows.js';
import type { LoadResult } from '../loaders/types.js';
import { LoaderRun, mapSources } from '../loaders/steps.js';
import { neutralSecinfo } from '../mainline/adapter.js';
import { V20_ENCLAVE_PATH, v20AddPage } from './adapter.js';
import { V20_MRMASK_ALL } from './uapi.js';

export interface V20FlowOptions {
  /** 'careful' (O_RDWR, PROT_NONE then mprotect per segment) or 'smalley' (O_RDONLY, one PROT_READ|PROT_EXEC mapping, nothing after INIT). */
  readonly variant: 'careful' | 'smalley';
  /**
   * Where the page contents come from: 'image' (the image file mapped PROT_READ, default) or
   * 'anonymous' (every page first copied by the process into anonymous RW memory, as a loader that
   * builds or decrypts its enclave in memory does: the bytes the enclave executes are bytes the
   * process wrote).
   */
  readonly sources?: 'image' | 'anonymous';
}

function describe(ret: number): string {
  return isErr(ret) ? errnoName(ret) : ret > 0 ? `SGX error ${ret}` : String(ret);
}

/** Run a D0 loader flow for `img` as task `p`. */
export function v20Flow(design: SgxDesign, p: UserProcess, img: EnclaveImage, o: V20FlowOptions = { variant: 'careful' }): LoadResult {
  const m = img.manifest;
  const run = new LoaderRun('careful', design, img, o.variant === 'smalley' ? () => PROT_READ | PROT_EXEC : segmentProt);
  const fail = (what: string, ret: number): LoadResult => run.fail(what, ret, describe);

  run.fd = p.open(V20_ENCLAVE_PATH, o.variant === 'smalley' ? O_RDONLY : O_RDWR);
  if (isErr(run.fd)) return fail(`open(${V20_ENCLAVE_PATH})`, run.fd);
  const srcs = mapSources(p, img, {
    map: { kind: 'whole', prot: PROT_READ },
    heaps: 'after',
    copy: o.sources === 'anonymous',
    say: { open: 'open(enclave image)', map: () => 'mmap(enclave image)', heap: (s) => `mmap(${s.name})`, copy: (s) => `mmap(${s.name} buffer)` },
  });
  if (!(srcs instanceof Map)) return fail(srcs.what, srcs.ret);
  // The ELRANGE, mapped once: v20's get_unmapped_area() hands out a size-aligned address.
  const prot = o.variant === 'smalley' ? PROT_READ | PROT_EXEC : PROT_NONE;
  const hint = m.base !== null ? Number(m.base) : 0;
  const addr = p.mmap(hint, run.size, prot, MAP_SHARED | (m.base !== null ? MAP_FIXED : 0), run.fd, 0);
  if (isErr(addr)) return fail('mmap(/dev/sgx/enclave)', addr);
  run.base = addr;
  const c = design.adapter.create(p, run.fd, run.secs());
  if (c.ret) return fail('SGX_IOC_ENCLAVE_CREATE', c.ret);
  for (const s of m.segments) {
    const secinfo = neutralSecinfo({ offset: 0, src: 0, length: 0, type: s.type, perms: Number(s.perms), measure: s.measured });
    const src = srcs.get(s.name)!;
    for (let off = 0; off < Number(s.size); off += PAGE_SIZE) {
      const ret = v20AddPage(p, run.fd, BigInt(run.base + Number(s.offset) + off), BigInt(src + off), secinfo, s.measured ? V20_MRMASK_ALL : 0);
      if (ret) return fail(`SGX_IOC_ENCLAVE_ADD_PAGE (${s.name})`, ret);
    }
  }
  const init = design.adapter.init(p, run.fd, img.sigstruct);
  if (init.ret) return fail('SGX_IOC_ENCLAVE_INIT', init.ret);
  if (o.variant === 'careful') {
    for (const s of m.segments) {
      const r = p.mprotect(run.base + Number(s.offset), Number(s.size), segmentProt(s));
      if (isErr(r)) return fail(`mprotect(${s.name})`, r);
    }
  }
  return run.result(true);
}

/** D0's canonical loader (design.carefulLoader). */
export function v20CarefulLoader(design: SgxDesign, p: UserProcess, img: EnclaveImage): LoadResult {
  return v20Flow(design, p, img, { variant: 'careful' });
}

/** Smalley's O_RDONLY + PROT_READ|PROT_EXEC flow (see the head of this file). */
export function v20SmalleyLoader(design: SgxDesign, p: UserProcess, img: EnclaveImage): LoadResult {
  return v20Flow(design, p, img, { variant: 'smalley' });
}
