// Installing an SGX driver into a kernel: the SGX core (the platform object: CPU + EPC
// allocator), misc devices, the optional /dev/sgx/* compatibility nodes, and finding the
// installed driver again from any kernel clone (through the registered file_operations).
import type { Kernel } from '../../../kernel/kernel.js';
import type { FileOperations, OpenFile } from '../../../fs/types.js';
import { SgxHardware } from '../../../arch/x86/sgx/hw.js';
import { sgxCpuConfig, type SgxCpuConfig } from '../../../arch/x86/sgx/cpu.js';
import { MKDEV } from '../../../abi/stat.js';
import type { DeviceSpec, InstallOptions } from '../design.js';
import { SgxPlatform } from './platform.js';
import { SgxEncl } from './encl.js';

/** file_operations of an SGX device; `sgxPlatform` names the platform object (an immutable id, so the ops stay stateless). */
export interface SgxFileOperations extends FileOperations {
  readonly sgxPlatform: number;
  /** Which design installed it (its key). */
  readonly sgxDesign: string;
  readonly sgxRole: 'enclave' | 'provision';
}

export function isSgxFops(f: FileOperations): f is SgxFileOperations {
  return typeof (f as Partial<SgxFileOperations>).sgxPlatform === 'number';
}

/** The provisioning device's file_operations (sgx_provision_fops: only .owner; opening it is the whole point). */
export function sgxProvisionFops(platformId: number, designKey: string): SgxFileOperations {
  return Object.freeze({ name: 'sgx_provision_fops', sgxPlatform: platformId, sgxDesign: designKey, sgxRole: 'provision' as const });
}

/** sgx_open(): one struct sgx_encl per open file, its object id in file->private_data (`extra`: the design's initial enclave state). */
export function sgxOpenEnclave(k: Kernel, platformId: number, file: OpenFile, extra?: unknown): number {
  const id = k.newObject(new SgxEncl(platformId));
  if (extra !== undefined) k.objectMut<SgxEncl>(id).extra = extra;
  k.setFilePrivateData(file.id, id);
  return 0;
}

/** Build the CPU (sgx_init(): the SGX core) and store the platform in the kernel's object table. */
export function createPlatform(k: Kernel, opts: InstallOptions): number {
  const cfg: SgxCpuConfig = opts.cpu && Object.isFrozen(opts.cpu) && 'epcSections' in opts.cpu && 'keySeed' in opts.cpu ? (opts.cpu as SgxCpuConfig) : sgxCpuConfig(opts.cpu ?? {});
  const hw = new SgxHardware(cfg, opts.crypto);
  return k.newObject(new SgxPlatform(hw, opts.crypto));
}

/**
 * Register one device: misc_register() for a misc device (node /dev/<misc>), or a char device of
 * its own major; `spec.path` must then exist as a node (directories are created). Returns the
 * dev_t's minor.
 */
export function registerDevice(k: Kernel, spec: DeviceSpec, fops: FileOperations, major = 0): number {
  if (spec.misc !== null) {
    if (spec.path !== `/dev/${spec.misc}`) throw new Error(`device ${spec.path}: a misc device's node is /dev/${spec.misc}`);
    return k.fs.registerMisc(spec.misc, fops, { label: spec.label, mode: spec.mode });
  }
  if (!major) throw new Error(`device ${spec.path}: a non-misc device needs a major number`);
  let minor = 0;
  while (k.chrdevs.has(MKDEV(major, minor))) minor++;
  k.fs.registerChrdev(major, minor, fops);
  mkdirs(k, spec.path.slice(0, spec.path.lastIndexOf('/')));
  k.fs.mknod(spec.path, { major, minor, label: spec.label, mode: spec.mode });
  return minor;
}

/** A second node for an already registered device number (a udev symlink's target, e.g. /dev/sgx/enclave -> ../sgx_enclave). */
export function addDeviceAlias(k: Kernel, path: string, major: number, minor: number, label: string, mode: number): void {
  mkdirs(k, path.slice(0, path.lastIndexOf('/')));
  k.fs.mknod(path, { major, minor, label, mode });
}

function mkdirs(k: Kernel, dir: string): void {
  if (!dir || dir === '/' || k.fs.lookup(dir) !== null) return;
  mkdirs(k, dir.slice(0, dir.lastIndexOf('/')) || '/');
  k.fs.mkdir(dir, { label: dir.startsWith('/dev') ? 'system_u:object_r:device_t:s0' : undefined });
}

/** The installed SGX driver's fops (the enclave device's), or null. */
export function installedSgx(k: Kernel): SgxFileOperations | null {
  for (const f of k.chrdevs.valuesArray()) if (isSgxFops(f) && f.sgxRole === 'enclave') return f;
  return null;
}

/** The platform object id of the installed SGX driver, or null. */
export function sgxPlatformId(k: Kernel): number | null {
  return installedSgx(k)?.sgxPlatform ?? null;
}

/** The SgxPlatform of the installed driver (read only; use k.objectMut to change it). Throws if none is installed. */
export function sgxPlatform(k: Kernel): SgxPlatform {
  const id = sgxPlatformId(k);
  if (id === null) throw new Error('no SGX driver is installed in this kernel');
  return k.object<SgxPlatform>(id);
}
