// The neutral adapter for D3: mainline's uAPI on /dev/sgx/enclave. The static variant's adapter
// sets SGX_PAGE_EXEC_INTENT on exactly the pages whose SECINFO has X — what a loader declares when it
// knows which pages are code (Andy: "user code sets the flag only for code"); the dynamic variant
// passes mainline's flags unchanged. The SGX2 operations do not exist (-ENOTTY, `unsupported`).
import { SGX_SECINFO_X } from '../../../arch/x86/sgx/arch.js';
import type { DesignAdapter, NeutralAdd } from '../design.js';
import { mainlineAdapter } from '../mainline/adapter.js';
import { LSM2019_NO_SGX2 } from '../sigstruct-file/adapter.js';
import { V20_ENCLAVE_PATH, V20_PROVISION_PATH } from '../v20/install.js';
import { SGX_PAGE_EXEC_INTENT, SGX_PAGE_MEASURE, type D3Variant } from './uapi.js';

/** The v20 nodes (Andy's mails were about the v20 driver). */
export const D3_ENCLAVE_PATH = V20_ENCLAVE_PATH;
export const D3_PROVISION_PATH = V20_PROVISION_PATH;

/** The ADD_PAGES flags a careful D3 loader passes for a neutral add. */
export function d3AddFlags(variant: D3Variant, a: Pick<NeutralAdd, 'type' | 'perms' | 'measure' | 'secinfoFlags'>): number {
  const x = a.secinfoFlags !== undefined ? (a.secinfoFlags & SGX_SECINFO_X) !== 0n : a.type === 'REG' && (a.perms & 4) !== 0;
  return (a.measure ? SGX_PAGE_MEASURE : 0) | (variant === 'static' && x ? SGX_PAGE_EXEC_INTENT : 0);
}

/** Mainline's adapter on the v20 nodes, with D3's ADD_PAGES flags and no SGX2 operations. */
export function d3Adapter(variant: D3Variant): DesignAdapter {
  return mainlineAdapter({ enclavePath: D3_ENCLAVE_PATH, provisionPath: D3_PROVISION_PATH, addFlags: (a) => d3AddFlags(variant, a), noSgx2: LSM2019_NO_SGX2 });
}
