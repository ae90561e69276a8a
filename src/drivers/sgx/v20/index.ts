// D0 `v20`: the in-tree SGX driver of the v20 series (Jarkko Sakkinen, 2019-04-17), the status
// quo the 2019 "SGX vs LSM" debate started from. docs/designs.md §D0; driver.ts has the rules.
import type { Kernel } from '../../../kernel/kernel.js';
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { designKey, designSymbols, type InstallOptions, type LoaderKind, type LoaderSupport, type SgxDesign, type SgxInstall } from '../design.js';
import { registerDesign } from '../registry.js';
import { v20Driver, v20Options } from './driver.js';
import { v20Adapter } from './adapter.js';
import { v20Install, V20_DEVICES } from './install.js';
import { v20CarefulLoader } from './loader.js';
import { SGX_MAGIC, V20_IOCTLS, V20_MRMASK_ALL } from './uapi.js';

const WHOLE_ELRANGE =
  "v20's get_unmapped_area() maps only power-of-two lengths of at least 8 KiB, naturally aligned (MAP_FIXED included)";

const LOADERS: Readonly<Partial<Record<LoaderKind, LoaderSupport>>> = {
  careful: { kind: 'native' },
  selftest: {
    kind: 'rewrite',
    how: `designs-spec §12 L1 ≈: ${WHOLE_ELRANGE}, so load.c's 4 KiB device probes are dropped and its per-segment mmaps after INIT become one MAP_SHARED|MAP_FIXED mapping of the whole ELRANGE, RWX; each ADD_PAGES becomes one ADD_PAGE per page at SECS.BASE + offset with mrmask 0xffff (measured) or 0`,
    plan: { probes: false, mapAfterInit: 'whole-rwx' },
  },
  gramine: {
    kind: 'rewrite',
    how: `designs-spec §12 L2 ≈: its RWX mapping of the whole ELRANGE before CREATE already fits (a power of two at an aligned base), but ${WHOLE_ELRANGE}, so the per-range re-mmaps after each ADD become mprotect() of that mapping — Gramine's own out-of-tree-driver path; each ADD_PAGES becomes one ADD_PAGE per page`,
    plan: { remap: 'mprotect' },
  },
  psw: {
    kind: 'untranslatable',
    why: `designs-spec §12 L3: the PSW maps each run of equal protection from the device as it is added (lengths of any number of pages, at addresses aligned to a page only), and ${WHOLE_ELRANGE}`,
  },
};

export const D0: SgxDesign = registerDesign(
  (() => {
    const design: SgxDesign = {
      id: 'D0',
      variant: null,
      key: designKey('D0', null),
      slug: 'v20',
      title: 'The v20 in-tree SGX driver before the debate (Jarkko Sakkinen, 2019-04-17)',
      provenance: {
        kind: 'lkml',
        refs: [
          '20190417103938.7762-1-jarkko.sakkinen@linux.intel.com ([PATCH v20 00/28] Intel SGX1 support; the driver is 15/28: 20190417103938.7762-16-jarkko.sakkinen@linux.intel.com, read in the v20-era tree arch/x86/kernel/cpu/sgx/driver/{main.c,ioctl.c}, encl.c)',
          'CALCETrXf8mSK45h7sTK5Wf+pXLVn=Bjsc_RLpgO-h-qdzBRo5Q@mail.gmail.com (Andy Lutomirski, 2019-05-15: "you\'ll need either EXECUTE rights to /dev/sgx/enclave or EXECMOD or similar")',
          '20190517192823.GG15006@linux.intel.com (the seed: Stephen Smalley\'s O_RDONLY + PROT_READ|PROT_EXEC flow, and Sean Christopherson\'s "all enclaves need to have RW and X EPC pages")',
          '20190522153836.GA24833@linux.intel.com (Sean, 2019-05-22: v20\'s get_unmapped_area() naturally aligns MAP_FIXED mappings)',
        ],
        date: '2019-04-17',
        authors: ['Jarkko Sakkinen'],
        summary:
          'open("/dev/sgx/enclave") gives the device file itself (one enclave per open file); SGX_IOC_ENCLAVE_ADD_PAGE {addr, src, secinfo, mrmask} copies the page with copy_from_user() (the source VMA is never examined) and queues EADD/EEXTEND to a per-enclave worker; mmap() of the device checks nothing (natural size and alignment only), there is no mprotect hook and faults check no permissions; INIT returns EINIT error codes as positive values. No LSM hook: SELinux sees only the device file (open, ioctl, map, read/write/execute).',
      },
      devices: V20_DEVICES,
      ioctls: V20_IOCTLS,
      constants: {
        SGX_MAGIC,
        SGX_MRMASK_ALL: V20_MRMASK_ALL,
        SGX_PAGE_TYPE_SECS: SgxPageType.SECS,
        SGX_PAGE_TYPE_TCS: SgxPageType.TCS,
        SGX_PAGE_TYPE_REG: SgxPageType.REG,
        SGX_PAGE_TYPE_VA: SgxPageType.VA,
        SGX_PAGE_TYPE_TRIM: SgxPageType.TRIM,
      },
      hooks: [],
      permissions: [],
      features: { sgx2: false, mmapAfterAdd: true, mapHoles: true },
      canonicalLoader: 'careful',
      loaders: LOADERS,
      carefulLoader: (p, img) => v20CarefulLoader(design, p, img),
      adapter: v20Adapter,
      symbols: () => designSymbols(design),
      install(k: Kernel, opts: InstallOptions): SgxInstall {
        const o = v20Options(opts.driver);
        return v20Install(k, opts, design, (platform) => v20Driver(platform, design.key, o));
      },
    };
    return design;
  })(),
);

export {
  v20Driver,
  v20Options,
  v20State,
  setV20State,
  V20_DEFAULT_OPTIONS,
  SGX_ENCL_DEAD,
  ENCLS_FAULT_FLAG,
  V20_ALLOWED_ATTRIBUTES,
  type V20Options,
  type V20EnclState,
  type V20AddReq,
  type V20Driver,
  type V20Patches,
  type V20Ioctl,
  type IoctlCtx,
  type IoctlHandler,
  type PageProps,
} from './driver.js';
export { v20Adapter, v20NeutralAdapter, v20AddPage, perPageAdd, ioctlWith, enclaveBaseOf, V20_NO_SGX2, V20_NO_LENGTH } from './adapter.js';
export { v20Install, dynamicMajor, V20_DEVICES, V20_ENCLAVE_PATH, V20_PROVISION_PATH, type V20DriverFops } from './install.js';
export { rfcDriver, rfcInstall, booleanOptions, type RfcDriverSpec } from './rfc.js';
export { v20Flow, v20CarefulLoader, v20SmalleyLoader, type V20FlowOptions } from './loader.js';
export * from './uapi.js';
