// The neutral adapter for D0 (design.ts DesignAdapter): each neutral operation as a v20 loader
// issues it.
//   - addPages(offset, src, length): one SGX_IOC_ENCLAVE_ADD_PAGE per page, at the linear address
//     SECS.BASE + offset (v20 names pages by address: the adapter reads the base the loader gave
//     CREATE back from the enclave), mrmask 0xffff when measured, else 0. It stops at the first
//     error; `count` is the bytes of the calls that returned 0. v20 has no length: a zero length
//     or one that is not a multiple of 4096 has no encoding (nothing is issued, `unsupported`).
//   - init: SGX_IOC_ENCLAVE_INIT (a positive return is the EINIT error code);
//   - provision: SGX_IOC_ENCLAVE_SET_ATTRIBUTE (same number and layout as mainline's PROVISION);
//   - the SGX2 operations do not exist in v20 (-ENOTTY, `unsupported`).
import { ENOTTY } from '../../../abi/errno.js';
import { O_RDWR } from '../../../abi/fcntl.js';
import { MAP_FIXED, MAP_SHARED } from '../../../abi/mman.js';
import { SIGSTRUCT_SIZE } from '../../../arch/x86/sgx/arch.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { DesignAdapter, NeutralAdd, NeutralResult } from '../design.js';
import { ioctlStruct, neutralSecinfo } from '../mainline/adapter.js';
import { enclIdOfFd } from '../common/knobs.js';
import { enclOf } from '../common/epc.js';
import {
  V20_ENCLAVE_ADD_PAGE,
  V20_ENCLAVE_CREATE,
  V20_ENCLAVE_INIT,
  V20_ENCLAVE_SET_ATTRIBUTE,
  V20_IOC_ENCLAVE_ADD_PAGE,
  V20_IOC_ENCLAVE_CREATE,
  V20_IOC_ENCLAVE_INIT,
  V20_IOC_ENCLAVE_SET_ATTRIBUTE,
  V20_MRMASK_ALL,
} from './uapi.js';

export const V20_ENCLAVE_PATH = '/dev/sgx/enclave';
export const V20_PROVISION_PATH = '/dev/sgx/provision';

/** Why the SGX2 operations are unsupported on D0. */
export const V20_NO_SGX2 = 'the v20 driver (2019-04) has no SGX2 ioctls: the mainline numbers are unknown commands';
/** Why a length that is not a whole number of pages is unsupported on D0. */
export const V20_NO_LENGTH = 'v20 adds one page per ADD_PAGE: a zero length or a partial page has no encoding (nothing was issued)';

const PAGE = 4096n;
const U64 = (1n << 64n) - 1n;

/** The SECS.BASE of the enclave behind pid's fd (0 before CREATE): what the loader chose. */
export function enclaveBaseOf(p: UserProcess, fd: number): bigint {
  const id = enclIdOfFd(p.k, p.pid, fd);
  return id === null ? 0n : BigInt(enclOf(p.k, id).base);
}

/** One ADD_PAGE: the kernel's return value. */
export function v20AddPage(p: UserProcess, fd: number, addr: bigint, src: bigint, secinfo: Uint8Array, mrmask: number): number {
  return ioctlStruct(p, fd, V20_IOC_ENCLAVE_ADD_PAGE, V20_ENCLAVE_ADD_PAGE, { addr: addr & U64, src: src & U64, secinfo, mrmask }).ret;
}

export const v20Adapter: DesignAdapter = {
  openEnclave: (p, flags = O_RDWR) => p.open(V20_ENCLAVE_PATH, flags),
  openProvision: (p, flags = O_RDWR) => p.open(V20_PROVISION_PATH, flags),
  create(p, fd, secs): NeutralResult {
    return { ret: ioctlStruct(p, fd, V20_IOC_ENCLAVE_CREATE, V20_ENCLAVE_CREATE, { src: secs }).ret };
  },
  addPages(p: UserProcess, fd: number, a: NeutralAdd): NeutralResult {
    const length = BigInt(a.length);
    if (length <= 0n || length % PAGE !== 0n) return { ret: 0, count: 0, unsupported: V20_NO_LENGTH };
    const base = enclaveBaseOf(p, fd);
    const secinfo = neutralSecinfo(a);
    const mrmask = a.measure ? V20_MRMASK_ALL : 0;
    let done = 0n;
    for (; done < length; done += PAGE) {
      const ret = v20AddPage(p, fd, base + BigInt(a.offset) + done, BigInt(a.src) + done, secinfo, mrmask);
      if (ret) return { ret, count: Number(done) };
    }
    return { ret: 0, count: Number(done) };
  },
  init(p, fd, sigstruct): NeutralResult {
    if (sigstruct.length !== SIGSTRUCT_SIZE) throw new Error(`a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes`);
    return { ret: ioctlStruct(p, fd, V20_IOC_ENCLAVE_INIT, V20_ENCLAVE_INIT, { sigstruct }).ret };
  },
  provision(p, fd, provisionFd): NeutralResult {
    return { ret: ioctlStruct(p, fd, V20_IOC_ENCLAVE_SET_ATTRIBUTE, V20_ENCLAVE_SET_ATTRIBUTE, { attribute_fd: provisionFd }).ret };
  },
  restrictPermissions: (): NeutralResult => ({ ret: -ENOTTY, unsupported: V20_NO_SGX2 }),
  modifyTypes: (): NeutralResult => ({ ret: -ENOTTY, unsupported: V20_NO_SGX2 }),
  removePages: (): NeutralResult => ({ ret: -ENOTTY, unsupported: V20_NO_SGX2 }),
  map: (p, fd, addr, len, prot, flags = MAP_SHARED | MAP_FIXED) => p.mmap(addr, len, prot, flags, fd, 0),
};
