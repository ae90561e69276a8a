// Installing a driver with the v20 device model (v20 driver/main.c): sgx_drv_probe() refuses to
// register anything without SGX1 and flexible launch control (-ENODEV), and sgx_drv_subsys_init()
// puts the enclave and provisioning nodes on one dynamic char major. D0 and the RFC designs on the
// v20 driver (D4, D5, D6) install this way; D2 and D3 use the same nodes.
import type { Kernel } from '../../../kernel/kernel.js';
import type { FileOperations } from '../../../fs/types.js';
import { MAJOR } from '../../../abi/stat.js';
import type { DeviceSpec, InstallOptions, SgxDesign, SgxInstall } from '../design.js';
import { createPlatform, registerDevice } from '../common/install.js';
import { note } from '../common/epc.js';
import type { SgxPlatform } from '../common/platform.js';
import { SGX_ENCLAVE_DEVICE_LABEL, SGX_PROVISION_DEVICE_LABEL } from '../mainline/index.js';

export const V20_ENCLAVE_PATH = '/dev/sgx/enclave';
export const V20_PROVISION_PATH = '/dev/sgx/provision';

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

/** The file_operations a driver registers for the two nodes. */
export interface V20DriverFops {
  readonly enclaveFops: FileOperations;
  readonly provisionFops: FileOperations;
}

/**
 * Install a driver the v20 way: the SGX core (the platform), then — only with SGX1 and flexible
 * launch control — the driver `build` makes for the platform, its enclave node (minor 0) and its
 * provisioning node (minor 1) on one dynamic major (`devices` defaults to the v20 nodes; `major`
 * fixes the major instead of find_dynamic_major()).
 */
export function v20Install(k: Kernel, opts: InstallOptions, design: SgxDesign, build: (platform: number) => V20DriverFops, devices: readonly DeviceSpec[] = V20_DEVICES, major?: number): SgxInstall {
  const platform = createPlatform(k, opts);
  const hw = k.object<SgxPlatform>(platform).hw;
  // sgx_drv_probe() (v20 main.c): "SGX is not enabled in the core" / "The public key MSRs are not writable" -> -ENODEV.
  if (!hw.config.sgx1 || !hw.config.flc) {
    note(k, 0, `sgx: ${design.key}: ${hw.config.sgx1 ? 'The public key MSRs are not writable' : 'SGX is not enabled in the core'}; ${devices[0].path} not registered (-ENODEV)`);
    return { design, platform, devices: {} };
  }
  const drv = build(platform);
  // sgx_drv_subsys_init(): alloc_chrdev_region(&sgx_devt, 0, 2, "sgx"); sgx_dev_init(): "sgx/enclave" minor 0, "sgx/provision" minor 1.
  const chrMajor = major ?? dynamicMajor(k);
  registerDevice(k, devices[0], drv.enclaveFops, chrMajor);
  registerDevice(k, devices[1], drv.provisionFops, chrMajor);
  return { design, platform, devices: { enclave: devices[0].path, provision: devices[1].path } };
}
