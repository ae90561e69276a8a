// D6 `ema`: Cedric Xing's SGX-specific LSM hooks, v1-v3 (2019-06-10 .. 07-07), modelled as v3.
// docs/designs.md §D6; driver.ts has the driver's calls, lsm.ts the ema module and SELinux.
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import type { UserProcess } from '../../../userspace/process.js';
import { designKey, designSymbols, type SgxDesign } from '../design.js';
import { registerDesign } from '../registry.js';
import type { EnclaveImage } from '../loaders/image.js';
import { booleanOptions, rfcInstall, V20_DEVICES } from '../v20/rfc.js';
import { ioctlWith, rfcAdapter, rfcPerPageAdd } from '../allow-prot/loader.js';
import { SGX_MAGIC, V20_ENCLAVE_ADD_PAGE, V20_IOC_ENCLAVE_ADD_PAGE, v20CommonIoctls } from '../v20/uapi.js';
import { D6_DEFAULT_OPTIONS, d6DriverSpec, type D6Options } from './driver.js';
import { d6CarefulLoad, d6Reserve } from './loader.js';

const OPTION_KEYS = ['cedricV3Bug', 'sgx2'] as const;
const key = designKey('D6', null);

const adapter = {
  ...rfcAdapter((p, fd, a) => rfcPerPageAdd(p, fd, a, (addr, src, secinfo) => ioctlWith(p, fd, V20_IOC_ENCLAVE_ADD_PAGE, V20_ENCLAVE_ADD_PAGE, { addr, src, secinfo, mrmask: a.measure ? 0xffff : 0 }))),
  reserve: d6Reserve,
};

export const D6: SgxDesign = registerDesign({
  id: 'D6',
  variant: null,
  key,
  slug: 'ema',
  title: 'LSM-tracked enclave memory areas and SIGSTRUCT-file launch control (Cedric Xing v1-v3)',
  provenance: {
    kind: 'lkml',
    refs: [
      'v1 1/3 e32577424bb65dac5187e67b70573c0f336fef3b.1560131039.git.cedric.xing@intel.com ([RFC PATCH v1 1/3] LSM/x86/sgx: Add SGX specific LSM hooks, 2019-06-10)',
      'v1 2/3 a382d46f66756e13929ca9244479dd9f689c470e.1560131039.git.cedric.xing@intel.com (SELinux; replies only)',
      'v2 72420cff8fa944b64e57df8d25c63bd30f8aacfa.1561588012.git.cedric.xing@intel.com (EMA in the LSM framework, 2019-06-27)',
      'v3 cover.1562542383.git.cedric.xing@intel.com; 3/4 41e1a1a2f66226d88d45675434eb34dde5d0f50d (the ema LSM module); 4/4 3a9efc8d3c27490dbcfe802ce3facddd62f47872 (SELinux), 2019-07-07',
      'based on the v20 series 20190417103938.7762-1-jarkko.sakkinen@linux.intel.com; the driver patch (v1 3/3, v3 2/4) was not readable',
    ],
    date: '2019-06-10',
    authors: ['Cedric Xing'],
    summary:
      'The v20 driver calls security_enclave_load() for every page it adds (with the source VMA, or NULL for EAUG), security_enclave_init() with the VMA holding the SIGSTRUCT, and security_file_mprotect() on mmap. An "ema" LSM module tracks Enclave Memory Areas; SELinux marks each sourced/modified and decides at load and at mprotect: file:execute on an unmodified source file, process2:enclave_execanon (else execmem) for anonymous sources, file:execmod on the SIGSTRUCT file for code written inside the enclave, process:execmem for W+X. Launch control is file:execute on the SIGSTRUCT\'s file, which must be an unmodified file mapping.',
  },
  devices: V20_DEVICES,
  ioctls: [
    ...v20CommonIoctls('v20 (Cedric Xing v1-v3)'),
    {
      name: 'SGX_IOC_ENCLAVE_ADD_PAGE',
      cmd: V20_IOC_ENCLAVE_ADD_PAGE,
      macro: '_IOW(SGX_MAGIC, 0x01, struct sgx_enclave_add_page)',
      device: 'enclave' as const,
      arg: V20_ENCLAVE_ADD_PAGE,
      returns: '0 (EADD/EEXTEND run in the worker); -EFAULT (copies, state), -EINVAL (SECINFO, TCS), -EEXIST, the LSM\'s error',
      doc: 'one page at an absolute address; security_enclave_load() before it is queued',
      since: 'v20',
    },
  ].sort((x, y) => x.cmd - y.cmd || x.name.localeCompare(y.name)),
  constants: { SGX_MAGIC, SGX_PAGE_TYPE_TCS: SgxPageType.TCS, SGX_PAGE_TYPE_REG: SgxPageType.REG },
  hooks: [
    {
      name: 'security_enclave_load',
      signature: 'int security_enclave_load(struct file *encl, size_t start, size_t end, size_t flags, struct vm_area_struct *src)',
      calledFrom: 'SGX_IOC_ENCLAVE_ADD_PAGE under mmap_sem, after v20\'s checks (flags = the protection of the enclave VMA covering the page, 0 if unmapped); EAUG with src = NULL (the sgx2 option)',
      selinux: 'no X: allowed (the EMA is recorded); EAUG: file:execmod on the SIGSTRUCT file (none yet: -EPERM); anonymous/S_PRIVATE source without W: process2:enclave_execanon, on denial treated as W; file source: file:execute (+ file:execmod if COWed, marking it modified); then W -> process:execmem',
    },
    {
      name: 'security_enclave_init',
      signature: 'int security_enclave_init(struct file *encl, const struct sgx_sigstruct *sigstruct, struct vm_area_struct *sigstruct_vma)',
      calledFrom: 'SGX_IOC_ENCLAVE_INIT after the state check, before EINIT',
      selinux: 'the SIGSTRUCT VMA must be an unmodified file mapping (else -EACCES); file:execute on that file (launch control); a second init -> -EEXIST; the file is pinned in the enclave file\'s blob',
    },
    {
      name: 'security_file_mprotect',
      signature: 'int security_file_mprotect(struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot) (exported; also called by sgx_mmap())',
      calledFrom: 'sgx_mmap() ("mmap() shall be treated as mprotect() from PROT_NONE"), and mprotect() as always',
      selinux: 'after the stock checks, enclave_mprotect(): W+X -> process:execmem (as posted `prot && PROT_WRITE`: any X); adding X -> per EMA of the VMA: EAUG -> file:execmod on the SIGSTRUCT file; anonymous -> process2:enclave_execanon else process:execmem (+ SIGSTRUCT execmod if modified); file -> file:execute (+ execmod if modified) on the source; adding W marks the EMAs modified',
    },
  ],
  permissions: [{ tclass: 'process2', perm: 'enclave_execanon', meaning: 'executable enclave code from anonymous memory (Cedric v3)' }],
  features: { sgx2: false, mmapAfterAdd: true, mapHoles: true },
  canonicalLoader: 'careful',
  loaders: {
    careful: { kind: 'native' },
    selftest: {
      kind: 'rewrite',
      how: "designs-spec §12: load.c's 4 KiB device probes are dropped and ELRANGE is held by one PROT_NONE mapping of the enclave fd (v20's get_unmapped_area maps only naturally aligned power-of-two lengths, also with MAP_FIXED), each ADD_PAGES becomes one ADD_PAGE per page, and the per-segment mmaps after INIT become one RWX mapping of ELRANGE; INIT's SIGSTRUCT stays a heap copy, which SELinux's launch control refuses (-EACCES): under SELinux only the careful loader (SIGSTRUCT mapped from the .sig file) loads",
      plan: { probes: false, mapAfterInit: 'whole-rwx' },
    },
    gramine: {
      kind: 'untranslatable',
      why: "as written, Gramine re-mmaps each range after adding it with MAP_FIXED and its own length, which v20's get_unmapped_area refuses (not a power of two) or moves (natural alignment); its out-of-tree-driver path (mprotect instead) would fit, with execmem for the RWX ELRANGE mapping and the SIGSTRUCT passed from a mapping of the .sig file",
    },
    psw: {
      kind: 'untranslatable',
      why: "the PSW maps each run of equal protection from the device with MAP_FIXED and its own length, which v20's get_unmapped_area refuses or moves; and its SIGSTRUCT is a heap copy, which launch control refuses under SELinux",
    },
  },
  carefulLoader: (p: UserProcess, img: EnclaveImage) => d6CarefulLoad(D6, p, img),
  adapter,
  symbols: () => designSymbols(D6),
  install(k, opts) {
    const o: D6Options = { ...D6_DEFAULT_OPTIONS, ...booleanOptions(key, opts.driver, OPTION_KEYS) };
    return rfcInstall(k, opts, D6, d6DriverSpec(key, o));
  },
});
