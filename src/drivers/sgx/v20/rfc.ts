// The 2019 RFCs on the v20 driver: D4 (`allow-prot`), D5 (`sgx-perms`) and D6 (`ema`) are the v20
// driver of driver.ts (the one D0 is) with the changes their patches make (V20Patches: the
// design's own ADD ioctl ending in the shared add path, sgx_mmap()'s checks, vm_ops->may_mprotect
// / ->mprotect, an INIT hook, EAUG on fault, RFC v1 2/9's MAP_FIXED fix). Every v20 rule is D0's;
// what the RFCs change is in their folders (allow-prot/, sgx-perms/, ema/). The RFC designs run the
// EADD worker when the ioctl returns to user mode (D0's default addWorker 'return'; the 'flush'
// alternative is D0's option only).
import type { Kernel } from '../../../kernel/kernel.js';
import type { InstallOptions, SgxDesign, SgxInstall } from '../design.js';
import { platformMut } from '../common/epc.js';
import { V20_DEFAULT_OPTIONS, v20Driver, type V20Driver, type V20Patches } from './driver.js';
import { v20Install } from './install.js';

export {
  ENCLS_FAULT_FLAG,
  SGX_ENCL_DEAD,
  V20_ALLOWED_ATTRIBUTES,
  secinfoFlagsOf,
  uptr,
  type IoctlCtx,
  type IoctlHandler,
  type PageProps,
  type V20Ioctl,
  type V20Patches,
} from './driver.js';
export { V20_DEVICES, V20_ENCLAVE_PATH, V20_PROVISION_PATH, dynamicMajor } from './install.js';

/** What an RFC changes in the v20 driver, and the design it installs as. */
export interface RfcDriverSpec extends V20Patches {
  readonly designKey: string;
}

/** signal_pending(current) with the framework's knob. */
export function signalPending(k: Kernel, platformId: number, pid: number): boolean {
  return platformMut(k, platformId).signalPending(pid);
}

/** Build the v20 driver with one RFC's changes. */
export function rfcDriver(platformId: number, spec: RfcDriverSpec): V20Driver {
  return v20Driver(platformId, spec.designKey, V20_DEFAULT_OPTIONS, spec);
}

/** Check InstallOptions.driver against the option names a design accepts (booleans only). */
export function booleanOptions<T extends string>(designKey: string, given: Readonly<Record<string, unknown>> | undefined, allowed: readonly T[]): Partial<Record<T, boolean>> {
  const out: Partial<Record<T, boolean>> = {};
  for (const [key, v] of Object.entries(given ?? {})) {
    if (!(allowed as readonly string[]).includes(key)) throw new Error(`unknown driver option '${key}' for ${designKey} (options: ${allowed.join(', ') || 'none'})`);
    if (typeof v !== 'boolean') throw new Error(`driver option ${key}: expected true or false`);
    out[key as T] = v;
  }
  return out;
}

/** Install an RFC design: v20's sgx_drv_probe() gating and nodes, with the RFC's driver. */
export function rfcInstall(k: Kernel, opts: InstallOptions, design: SgxDesign, spec: RfcDriverSpec): SgxInstall {
  return v20Install(k, opts, design, (platform) => rfcDriver(platform, spec));
}
