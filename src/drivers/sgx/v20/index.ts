// D0 `v20`: the in-tree SGX driver of the v20 series (Jarkko Sakkinen, 2019-04-17), the status
// quo the 2019 "SGX vs LSM" debate started from. docs/designs.md §D0; driver.ts has the rules.
import type { Kernel } from '../../../kernel/kernel.js';
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { MAJOR } from '../../../abi/stat.js';
import { designKey, designSymbols, type DeviceSpec, type InstallOptions, type LoaderKind, type LoaderSupport, type SgxDesign, type SgxInstall } from '../design.js';
import { registerDesign } from '../registry.js';
import { createPlatform, registerDevice } from '../common/install.js';
import { note } from '../common/epc.js';
import type { SgxPlatform } from '../common/platform.js';
import { SGX_ENCLAVE_DEVICE_LABEL, SGX_PROVISION_DEVICE_LABEL } from '../mainline/index.js';
import { v20Driver, v20Options } from './driver.js';
import { v20Adapter, V20_ENCLAVE_PATH, V20_PROVISION_PATH } from './adapter.js';
import { v20CarefulLoader } from './loader.js';
import { SGX_MAGIC, V20_IOCTLS, V20_MRMASK_ALL } from './uapi.js';

/** The v20 nodes: an "sgx" bus on a dynamic char major, minor 0 sgx/enclave, minor 1 sgx/provision (v20 sgx_dev_ctx_alloc()). */
export const V20_DEVICES: readonly DeviceSpec[] = [
  { role: 'enclave', path: V20_ENCLAVE_PATH, misc: null, label: SGX_ENCLAVE_DEVICE_LABEL, mode: 0o666 },
  { role: 'provision', path: V20_PROVISION_PATH, misc: null, label: SGX_PROVISION_DEVICE_LABEL, mode: 0o600 },
];

/**
 * find_dynamic_major() (fs/char_dev.c), as alloc_chrdev_region() in v20's sgx_drv_subsys_init()
 * uses it: the highest major from 254 down to CHRDEV_MAJOR_DYN_END (234) that no device uses.
 */
export function dynamicMajor(k: Kernel): number {
  const used = new Set<number>();
  for (const dev of k.chrdevs.keysArray()) used.add(MAJOR(dev));
  for (let m = 254; m >= 234; m--) if (!used.has(m)) return m;
  throw new Error('no free dynamic character major');
}

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
        const platform = createPlatform(k, opts);
        const hw = k.object<SgxPlatform>(platform).hw;
        // sgx_drv_probe() (v20 main.c): "SGX is not enabled in the core" / "The public key MSRs are not writable" -> -ENODEV.
        if (!hw.config.sgx1 || !hw.config.flc) {
          note(k, 0, `sgx: ${design.key}: ${hw.config.sgx1 ? 'The public key MSRs are not writable' : 'SGX is not enabled in the core'}; /dev/sgx/enclave not registered (-ENODEV)`);
          return { design, platform, devices: {} };
        }
        const drv = v20Driver(platform, design.key, o);
        // sgx_drv_subsys_init(): alloc_chrdev_region(&sgx_devt, 0, 2, "sgx"); sgx_dev_init(): "sgx/enclave" minor 0, "sgx/provision" minor 1.
        const major = dynamicMajor(k);
        registerDevice(k, V20_DEVICES[0], drv.enclaveFops, major);
        registerDevice(k, V20_DEVICES[1], drv.provisionFops, major);
        return { design, platform, devices: { enclave: V20_ENCLAVE_PATH, provision: V20_PROVISION_PATH } };
      },
    };
    return design;
  })(),
);

export { v20Driver, v20Options, v20State, V20_DEFAULT_OPTIONS, SGX_ENCL_DEAD, ENCLS_FAULT_FLAG, V20_ALLOWED_ATTRIBUTES, type V20Options, type V20EnclState, type V20AddReq, type V20Driver } from './driver.js';
export { v20Adapter, v20AddPage, enclaveBaseOf, V20_ENCLAVE_PATH, V20_PROVISION_PATH, V20_NO_SGX2, V20_NO_LENGTH } from './adapter.js';
export { v20Flow, v20CarefulLoader, v20SmalleyLoader, type V20FlowOptions } from './loader.js';
export * from './uapi.js';
