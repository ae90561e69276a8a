// The neutral adapter for D3: mainline's uAPI on /dev/sgx/enclave. The static variant's adapter
// sets SGX_PAGE_EXEC_INTENT on exactly the pages whose SECINFO has X — what a loader declares when it
// knows which pages are code (Andy: "user code sets the flag only for code"); the dynamic variant
// passes mainline's flags unchanged. The SGX2 operations do not exist (-ENOTTY, `unsupported`).
import { ENOTTY } from '../../../abi/errno.js';
import { O_RDWR } from '../../../abi/fcntl.js';
import { MAP_FIXED, MAP_SHARED } from '../../../abi/mman.js';
import { SGX_SECINFO_X, SIGSTRUCT_SIZE } from '../../../arch/x86/sgx/arch.js';
import type { DesignAdapter, NeutralAdd, NeutralResult } from '../design.js';
import { ioctlStruct, neutralSecinfo } from '../mainline/adapter.js';
import {
  SGX_ENCLAVE_ADD_PAGES,
  SGX_ENCLAVE_CREATE,
  SGX_ENCLAVE_INIT,
  SGX_ENCLAVE_PROVISION,
  SGX_IOC_ENCLAVE_ADD_PAGES,
  SGX_IOC_ENCLAVE_CREATE,
  SGX_IOC_ENCLAVE_INIT,
  SGX_IOC_ENCLAVE_PROVISION,
} from '../mainline/uapi.js';
import { LSM2019_NO_SGX2 } from '../sigstruct-file/adapter.js';
import { SGX_PAGE_EXEC_INTENT, SGX_PAGE_MEASURE, type D3Variant } from './uapi.js';

export const D3_ENCLAVE_PATH = '/dev/sgx/enclave';
export const D3_PROVISION_PATH = '/dev/sgx/provision';

/** The ADD_PAGES flags a careful D3 loader passes for a neutral add. */
export function d3AddFlags(variant: D3Variant, a: Pick<NeutralAdd, 'type' | 'perms' | 'measure' | 'secinfoFlags'>): number {
  const x = a.secinfoFlags !== undefined ? (a.secinfoFlags & SGX_SECINFO_X) !== 0n : a.type === 'REG' && (a.perms & 4) !== 0;
  return (a.measure ? SGX_PAGE_MEASURE : 0) | (variant === 'static' && x ? SGX_PAGE_EXEC_INTENT : 0);
}

const num = (v: bigint | Uint8Array | undefined): number => (typeof v === 'bigint' ? Number(v) : 0);

export function d3Adapter(variant: D3Variant): DesignAdapter {
  return {
    openEnclave: (p, flags = O_RDWR) => p.open(D3_ENCLAVE_PATH, flags),
    openProvision: (p, flags = O_RDWR) => p.open(D3_PROVISION_PATH, flags),
    create(p, fd, secs): NeutralResult {
      return { ret: ioctlStruct(p, fd, SGX_IOC_ENCLAVE_CREATE, SGX_ENCLAVE_CREATE, { src: secs }).ret };
    },
    addPages(p, fd, a): NeutralResult {
      const r = ioctlStruct(p, fd, SGX_IOC_ENCLAVE_ADD_PAGES, SGX_ENCLAVE_ADD_PAGES, {
        src: a.src,
        offset: a.offset,
        length: a.length,
        secinfo: neutralSecinfo(a),
        flags: d3AddFlags(variant, a),
        count: 0,
      });
      return { ret: r.ret, count: num(r.out.count) };
    },
    init(p, fd, sigstruct): NeutralResult {
      if (sigstruct.length !== SIGSTRUCT_SIZE) throw new Error(`a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes`);
      return { ret: ioctlStruct(p, fd, SGX_IOC_ENCLAVE_INIT, SGX_ENCLAVE_INIT, { sigstruct }).ret };
    },
    provision(p, fd, provisionFd): NeutralResult {
      return { ret: ioctlStruct(p, fd, SGX_IOC_ENCLAVE_PROVISION, SGX_ENCLAVE_PROVISION, { fd: provisionFd }).ret };
    },
    restrictPermissions: (): NeutralResult => ({ ret: -ENOTTY, unsupported: LSM2019_NO_SGX2 }),
    modifyTypes: (): NeutralResult => ({ ret: -ENOTTY, unsupported: LSM2019_NO_SGX2 }),
    removePages: (): NeutralResult => ({ ret: -ENOTTY, unsupported: LSM2019_NO_SGX2 }),
    map: (p, fd, addr, len, prot, flags = MAP_SHARED | MAP_FIXED) => p.mmap(addr, len, prot, flags, fd, 0),
  };
}
