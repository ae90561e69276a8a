// D2 `sigstruct-file`: Andy Lutomirski's proposal of 2019-05-15 — a SIGSTRUCT file as the launch
// proxy the LSM checks at INIT, and a per-page safe-to-execute bit. docs/designs.md §D2.
import type { Kernel } from '../../../kernel/kernel.js';
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { designKey, designSymbols, type DeviceSpec, type HookSpec, type InstallOptions, type LoaderKind, type LoaderSupport, type SgxDesign, type SgxInstall } from '../design.js';
import { registerDesign } from '../registry.js';
import { v20Install, V20_DEVICES } from '../v20/install.js';
import { lsmCoreDriver } from './core.js';
import { d2DriverSpec, d2Options } from './driver.js';
import { d2Adapter } from './adapter.js';
import { d2Loader } from './loader.js';
import { D2_IOCTLS, SGX_MAGIC, SGX_PAGE_MEASURE } from './uapi.js';

/** /dev/sgx/enclave and /dev/sgx/provision, as the v20 driver Andy's mails were about registers them. */
export const D2_DEVICES: readonly DeviceSpec[] = V20_DEVICES;

export const D2_HOOKS: readonly HookSpec[] = [
  {
    name: 'security_enclave_init',
    signature: 'int security_enclave_init(struct file *sigstruct_file)',
    calledFrom: 'SGX_IOC_ENCLAVE_INIT, after the SIGSTRUCT was read from sigstruct_fd and the driver\'s checks, before EINIT',
    selinux: 'file_has_perm(cred, sigstruct_file, FILE__EXECUTE) (driver option initPerm: FILE__READ): the policy decides which SIGSTRUCT labels may launch enclaves',
  },
  {
    name: 'security_enclave_execmod',
    signature: 'int security_enclave_execmod(struct file *source)',
    calledFrom: 'sgx_mmap() and vm_ops->may_mprotect, once per distinct source of the pages a mapping would make executable without being safe to execute, or writable and executable at once',
    selinux: 'file_has_perm(cred, source, FILE__EXECMOD); no file (anonymous source, private inode, no page): avc_has_perm(sid, sid, PROCESS__EXECMEM)',
  },
];

const SIGFD = 'INIT takes a SIGSTRUCT file descriptor: the adapter writes the SIGSTRUCT the flow holds to a memfd (Andy, 2019-05-16: "the application can put it in a memfd")';

const LOADERS: Readonly<Partial<Record<LoaderKind, LoaderSupport>>> = {
  careful: { kind: 'native' },
  selftest: {
    kind: 'rewrite',
    how: `designs-spec §12 L1 ≈: ${SIGFD}; everything else as load.c (the image stays PROT_READ, so the text pages are not safe to execute and their RX mapping needs EXECMOD on the image)`,
  },
  gramine: {
    kind: 'rewrite',
    how: `designs-spec §12 L2 ≈: ${SIGFD}; its RWX mappings need EXECMOD on their sources (EXECMEM where there is no page or file), and its code comes from private RW file mappings, which are not safe to execute`,
  },
  psw: {
    kind: 'rewrite',
    how: `designs-spec §12 L3 ≈: ${SIGFD}; its pages come from heap buffers (anonymous), so mapping the text RX needs EXECMEM`,
  },
};

export const D2: SgxDesign = registerDesign(
  (() => {
    const design: SgxDesign = {
      id: 'D2',
      variant: null,
      key: designKey('D2', null),
      slug: 'sigstruct-file',
      title: 'SIGSTRUCT file as launch proxy, safe-to-execute bit per page (Andy Lutomirski, 2019-05-15)',
      provenance: {
        kind: 'lkml',
        refs: [
          'CALCETrXf8mSK45h7sTK5Wf+pXLVn=Bjsc_RLpgO-h-qdzBRo5Q@mail.gmail.com (Andy Lutomirski, 2019-05-15 11:27 PDT, "SGX vs LSM": the .sigstruct file and its LSM hook, the per-page safe-to-execute bit and the mapping policy)',
          'CALCETrX2ovRx3Rre+1_xC-q6CiybyLjQ-gmB4FZF_qCZ-Qd+4A@mail.gmail.com (Andy, 2019-05-15 16:13 PDT: the loader sketch; RWX "should fail unless EXECMOD"; RX of a source not mapped PROT_EXEC "will also require EXECMEM or EXECMOD")',
          'CALCETrUfmyQ7ivNzQic0FyPXe1fmAnoK093jnz0i8DRn2LvdSA@mail.gmail.com (Andy, 2019-05-16: a SIGSTRUCT not on disk goes in a memfd)',
        ],
        date: '2019-05-15',
        authors: ['Andy Lutomirski'],
        summary:
          'ADD records per page whether its source VMA was executable ("safe to execute") and the source file; after INIT any page mapped writable loses the bit. Mapping a page that is not safe to execute with PROT_EXEC, or a page writable and executable at once (in one mapping or across two), needs EXECMOD on the source file (EXECMEM without one). INIT takes a file descriptor of the SIGSTRUCT and calls security_enclave_init() on that file, so the policy can require e.g. sgx_sigstruct_t.',
      },
      devices: D2_DEVICES,
      ioctls: D2_IOCTLS,
      constants: {
        SGX_MAGIC,
        SGX_PAGE_MEASURE,
        SGX_PAGE_TYPE_SECS: SgxPageType.SECS,
        SGX_PAGE_TYPE_TCS: SgxPageType.TCS,
        SGX_PAGE_TYPE_REG: SgxPageType.REG,
      },
      hooks: D2_HOOKS,
      permissions: [],
      features: { sgx2: false, mmapAfterAdd: true, mapHoles: true },
      canonicalLoader: 'careful',
      loaders: LOADERS,
      carefulLoader: (p, img) => d2Loader(design, p, img),
      adapter: d2Adapter,
      symbols: () => designSymbols(design),
      install(k: Kernel, opts: InstallOptions): SgxInstall {
        const o = d2Options(opts.driver);
        return v20Install(k, opts, design, (platform) => lsmCoreDriver(platform, d2DriverSpec(design.key, o)), D2_DEVICES);
      },
    };
    return design;
  })(),
);

export { d2Options, d2Selinux, d2MapCheck, d2DriverSpec, D2_DEFAULT_OPTIONS, D2_NO_LSM, type D2Options, type D2Hooks } from './driver.js';
export { d2Adapter, d2Init, sigstructMemfd, D2_ENCLAVE_PATH, D2_PROVISION_PATH, LSM2019_NO_SGX2 } from './adapter.js';
export { d2Loader } from './loader.js';
export { lsmCoreDriver, lsmPageState, lsmEnclState, checkableFile, type LsmCoreSpec, type LsmCoreDriver, type LsmPageState, type LsmEnclState } from './core.js';
export * from './uapi.js';
