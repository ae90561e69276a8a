// D7 `mainline-5.11` and D8 `mainline-6.0` (6.1 by default): the merged SGX driver. One
// implementation (driver.ts) parameterised by kernel version; docs/designs.md §D7/§D8.
import type { Kernel } from '../../../kernel/kernel.js';
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { designKey, designSymbols, type DesignFeatures, type DeviceSpec, type InstallOptions, type LoaderKind, type LoaderSupport, type Provenance, type SgxDesign, type SgxInstall } from '../design.js';
import { registerDesign } from '../registry.js';
import { addDeviceAlias, createPlatform, registerDevice } from '../common/install.js';
import { note } from '../common/epc.js';
import type { SgxPlatform } from '../common/platform.js';
import { mainlineDriver, type MainlineOptions, type MainlineVersion } from './driver.js';
import { mainlineAdapter } from './adapter.js';
import { MAINLINE_511_IOCTLS, MAINLINE_SGX2_IOCTLS, SGX_MAGIC, SGX_PAGE_MEASURE } from './uapi.js';

/** Fedora's device types (the built-in policies' file contexts give the nodes these labels). */
export const SGX_ENCLAVE_DEVICE_LABEL = 'system_u:object_r:sgx_enclave_device_t:s0';
export const SGX_PROVISION_DEVICE_LABEL = 'system_u:object_r:sgx_provision_device_t:s0';

export const MAINLINE_DEVICES: readonly DeviceSpec[] = [
  { role: 'enclave', path: '/dev/sgx_enclave', misc: 'sgx_enclave', label: SGX_ENCLAVE_DEVICE_LABEL, mode: 0o666 },
  { role: 'provision', path: '/dev/sgx_provision', misc: 'sgx_provision', label: SGX_PROVISION_DEVICE_LABEL, mode: 0o600 },
];

const MAINLINE_LOADERS: Readonly<Partial<Record<LoaderKind, LoaderSupport>>> = {
  selftest: { kind: 'native' },
  gramine: { kind: 'native' },
  psw: { kind: 'native' },
};

const COMMON_CONSTANTS = {
  SGX_MAGIC,
  SGX_PAGE_MEASURE,
  SGX_PAGE_TYPE_SECS: SgxPageType.SECS,
  SGX_PAGE_TYPE_TCS: SgxPageType.TCS,
  SGX_PAGE_TYPE_REG: SgxPageType.REG,
  SGX_PAGE_TYPE_VA: SgxPageType.VA,
  SGX_PAGE_TYPE_TRIM: SgxPageType.TRIM,
} as const;

const OPTION_KEYS = ['version', 'overflowCheck', 'createPow2Check'] as const;

/** InstallOptions.driver for a mainline design: {version?, overflowCheck?, createPow2Check?}. */
export function mainlineOptions(defaults: MainlineOptions, given: Readonly<Record<string, unknown>> | undefined, allowed: readonly MainlineVersion[]): MainlineOptions {
  if (!given) return defaults;
  for (const key of Object.keys(given)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) throw new Error(`unknown driver option '${key}' (mainline options: ${OPTION_KEYS.join(', ')})`);
  }
  const version = (given.version ?? defaults.version) as MainlineVersion;
  if (!allowed.includes(version)) throw new Error(`driver option version: '${String(given.version)}' is not one of ${allowed.join(', ')}`);
  for (const b of ['overflowCheck', 'createPow2Check'] as const) {
    if (given[b] !== undefined && typeof given[b] !== 'boolean') throw new Error(`driver option ${b}: expected true or false`);
  }
  // 6.1 added the overflow check; choosing 6.0 explicitly drops it unless asked for.
  const overflowDefault = given.version !== undefined ? version === '6.1' : defaults.overflowCheck;
  return {
    version,
    overflowCheck: (given.overflowCheck as boolean | undefined) ?? overflowDefault,
    createPow2Check: (given.createPow2Check as boolean | undefined) ?? defaults.createPow2Check,
  };
}

interface MainlineSpec {
  readonly id: 'D7' | 'D8';
  readonly slug: string;
  readonly title: string;
  readonly provenance: Provenance;
  readonly defaults: MainlineOptions;
  readonly versions: readonly MainlineVersion[];
  readonly features: DesignFeatures;
}

function mainlineDesign(spec: MainlineSpec): SgxDesign {
  const ioctls = spec.features.sgx2 ? [...MAINLINE_511_IOCTLS, ...MAINLINE_SGX2_IOCTLS] : [...MAINLINE_511_IOCTLS];
  const design: SgxDesign = {
    id: spec.id,
    variant: null,
    key: designKey(spec.id, null),
    slug: spec.slug,
    title: spec.title,
    provenance: spec.provenance,
    devices: MAINLINE_DEVICES,
    ioctls,
    constants: COMMON_CONSTANTS,
    hooks: [],
    permissions: [],
    features: spec.features,
    canonicalLoader: 'selftest',
    loaders: MAINLINE_LOADERS,
    adapter: mainlineAdapter({ enclavePath: '/dev/sgx_enclave', provisionPath: '/dev/sgx_provision' }),
    symbols: () => designSymbols(design),
    install(k: Kernel, opts: InstallOptions): SgxInstall {
      const o = mainlineOptions(spec.defaults, opts.driver, spec.versions);
      const platform = createPlatform(k, opts);
      const hw = k.object<SgxPlatform>(platform).hw;
      // sgx_init() / sgx_drv_init(): no SGX1 or no flexible launch control -> -ENODEV, no devices.
      if (!hw.config.sgx1 || !hw.config.flc) {
        note(k, 0, `sgx: ${design.key}: no ${hw.config.sgx1 ? 'flexible launch control' : 'SGX1'}; /dev/sgx_enclave not registered (-ENODEV)`);
        return { design, platform, devices: {} };
      }
      const drv = mainlineDriver(platform, design.key, o);
      // sgx_init(): misc_register(&sgx_dev_provision) first, then sgx_drv_init() registers sgx_enclave.
      const provMinor = registerDevice(k, MAINLINE_DEVICES[1], drv.provisionFops);
      const enclMinor = registerDevice(k, MAINLINE_DEVICES[0], drv.enclaveFops);
      if (opts.devSgxLinks) {
        // udev rules of SGX-aware distributions: /dev/sgx/enclave -> ../sgx_enclave, /dev/sgx/provision -> ../sgx_provision
        addDeviceAlias(k, '/dev/sgx/enclave', 10, enclMinor, SGX_ENCLAVE_DEVICE_LABEL, 0o666);
        addDeviceAlias(k, '/dev/sgx/provision', 10, provMinor, SGX_PROVISION_DEVICE_LABEL, 0o600);
      }
      return { design, platform, devices: { enclave: '/dev/sgx_enclave', provision: '/dev/sgx_provision' } };
    },
  };
  return design;
}

export const D7: SgxDesign = registerDesign(
  mainlineDesign({
    id: 'D7',
    slug: 'mainline-5.11',
    title: 'Mainline SGX driver, Linux 5.11',
    provenance: {
      kind: 'kernel',
      refs: [
        'Linux 5.11 (arch/x86/kernel/cpu/sgx/{driver.c,ioctl.c,encl.c})',
        'v41 series 20201112220135.165028-1-jarkko@kernel.org',
        'c6d26d370767 x86/sgx: Add SGX_IOC_ENCLAVE_ADD_PAGES',
        '14132a5b807b x86/sgx: Return -ERESTARTSYS in sgx_ioc_enclave_add_pages()',
        'a4b9c48b9651 x86/sgx: Return -EINVAL on a zero length buffer in sgx_ioc_enclave_add_pages()',
      ],
      date: '2021-02-14',
      authors: ['Jarkko Sakkinen', 'Sean Christopherson'],
      summary:
        'SECINFO permissions declared at ADD_PAGES become each page\'s vm_max_prot_bits; mmap, mprotect (vm_ops->mprotect) and faults are capped by them; the source must be VM_MAYEXEC. No SGX-specific LSM hook: SELinux sees only the device file.',
    },
    defaults: { version: '5.11', overflowCheck: false, createPow2Check: false },
    versions: ['5.11'],
    features: { sgx2: false, mmapAfterAdd: true, mapHoles: true },
  }),
);

export const D8: SgxDesign = registerDesign(
  mainlineDesign({
    id: 'D8',
    slug: 'mainline-6.0',
    title: 'Mainline SGX driver with SGX2, Linux 6.0 (6.1 by default)',
    provenance: {
      kind: 'kernel',
      refs: [
        'Linux 6.0 (SGX2: RESTRICT_PERMISSIONS, MODIFY_TYPES, REMOVE_PAGES, EAUG on fault)',
        'EAUG on fault: a254a58eabea053803277449b24b6e4963a3883b.1652137848.git.reinette.chatre@intel.com',
        'mapping range after INIT: 6391460d75ae79cea2e81eef0f6ffc03c6e9cfe7.1652137848.git.reinette.chatre@intel.com',
        'Linux 6.1: f0861f49bd94 x86/sgx: Add overflow check in sgx_validate_offset_length() (166793776319.4906.4394830802759229298.tip-bot2@tip-bot2)',
      ],
      date: '2022-10-02',
      authors: ['Reinette Chatre', 'Jarkko Sakkinen'],
      summary:
        'D7 plus SGX2: a fault on an unbacked ELRANGE address of an initialized enclave EAUGs a page with maximum RWX; EPCM permissions can be restricted and page types changed or removed by ioctl; mappings outside ELRANGE are refused after INIT.',
    },
    defaults: { version: '6.1', overflowCheck: true, createPow2Check: false },
    versions: ['6.0', '6.1'],
    features: { sgx2: true, mmapAfterAdd: true, mapHoles: true },
  }),
);
