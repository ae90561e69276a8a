// The neutral adapter for D0 (design.ts DesignAdapter): each neutral operation as a v20 loader
// issues it. The 2019 RFCs on the v20 driver (D4, D5, D6) use the same adapter with their own ADD
// translation (v20NeutralAdapter(); allow-prot/loader.ts).
//   - addPages(offset, src, length): one SGX_IOC_ENCLAVE_ADD_PAGE per page, at the linear address
//     SECS.BASE + offset (v20 names pages by address: the adapter reads the base the loader gave
//     CREATE back from the enclave), mrmask 0xffff when measured, else 0. It stops at the first
//     error; `count` is the bytes of the calls that returned 0. v20 has no length: a zero length
//     or one that is not a multiple of 4096 has no encoding (nothing is issued, `unsupported`).
//   - init: SGX_IOC_ENCLAVE_INIT (a positive return is the EINIT error code);
//   - provision: SGX_IOC_ENCLAVE_SET_ATTRIBUTE (same number and layout as mainline's PROVISION);
//   - the SGX2 operations do not exist in v20 (-ENOTTY, `unsupported`).

import type { UserProcess } from '../../../userspace/process.js';

import type { DesignAdapter, NeutralAdd, NeutralResult } from '../design.js';
import { designAdapter, ioctlStruct, ioctlWith, neutralSecinfo } from '../common/adapter.js';
import { enclIdOfFd } from '../common/knobs.js';
import { enclOf } from '../common/epc.js';
import { V20_ENCLAVE_PATH, V20_PROVISION_PATH } from './install.js';
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

export { V20_ENCLAVE_PATH, V20_PROVISION_PATH, ioctlWith };

/** Why the SGX2 operations are unsupported on D0. */
export const V20_NO_SGX2 = 'the v20 driver (2019-04) has no SGX2 ioctls: the mainline numbers are unknown commands';
/** Why a length that is not a whole number of pages is unsupported on D0. */
export const V20_NO_LENGTH = 'v20 adds one page per ADD_PAGE: a zero length or a partial page has no encoding (nothing was issued)';

const PAGE = 4096n;
const U64 = (1n << 64n) - 1n;

/** The SECS.BASE of the enclave behind pid's fd (0 before CREATE or for a non-enclave fd): what the loader chose. */
export function enclaveBaseOf(p: UserProcess, fd: number): bigint {
  const id = enclIdOfFd(p.k, p.pid, fd);
  return id === null ? 0n : BigInt(enclOf(p.k, id).base);
}

/** One ADD_PAGE: the kernel's return value. */
export function v20AddPage(p: UserProcess, fd: number, addr: bigint, src: bigint, secinfo: Uint8Array, mrmask: number): number {
  return ioctlStruct(p, fd, V20_IOC_ENCLAVE_ADD_PAGE, V20_ENCLAVE_ADD_PAGE, { addr: addr & U64, src: src & U64, secinfo, mrmask }).ret;
}

/**
 * A neutral add as one single-page ADD per page (D0, D4 v2, D5, D6): `issue(addr, src, secinfo)`
 * issues the design's ioctl for the page at `addr` = SECS.BASE + offset (v20 names pages by
 * address: the base is read back from the enclave behind the fd, as a loader knows it from its own
 * SECS) and returns the kernel's value. It stops at the first error; `count` is the bytes of the
 * calls that returned 0. A length that is not a positive multiple of 4096 has no encoding: nothing
 * is issued and the result is `unsupported: why`.
 */
export function perPageAdd(p: UserProcess, fd: number, a: NeutralAdd, why: string, issue: (addr: bigint, src: bigint, secinfo: Uint8Array) => number): NeutralResult {
  const length = BigInt(a.length);
  if (length <= 0n || length % PAGE !== 0n) return { ret: 0, count: 0, unsupported: why };
  const base = enclaveBaseOf(p, fd);
  const secinfo = neutralSecinfo(a);
  let done = 0n;
  for (; done < length; done += PAGE) {
    const ret = issue((base + BigInt(a.offset) + done) & U64, (BigInt(a.src) + done) & U64, secinfo);
    if (ret) return { ret, count: Number(done) };
  }
  return { ret: 0, count: Number(done) };
}

/**
 * The v20 neutral adapter with a design's ADD translation: the v20 nodes, CREATE, INIT (a positive
 * return is the EINIT error code), SET_ATTRIBUTE for provision (same number and layout as
 * mainline's PROVISION), no SGX2 operations (the mainline numbers are unknown commands: -ENOTTY,
 * `unsupported: noSgx2`), mmap of the device.
 */
export function v20NeutralAdapter(addPages: (p: UserProcess, fd: number, a: NeutralAdd) => NeutralResult, noSgx2: string): DesignAdapter {
  return designAdapter({
    enclavePath: V20_ENCLAVE_PATH,
    provisionPath: V20_PROVISION_PATH,
    create: { cmd: V20_IOC_ENCLAVE_CREATE, layout: V20_ENCLAVE_CREATE },
    addPages,
    init: { cmd: V20_IOC_ENCLAVE_INIT, layout: V20_ENCLAVE_INIT },
    provision: { cmd: V20_IOC_ENCLAVE_SET_ATTRIBUTE, layout: V20_ENCLAVE_SET_ATTRIBUTE, field: 'attribute_fd' },
    noSgx2,
  });
}

/** D0's adapter: one ADD_PAGE per page, mrmask 0xffff when measured, else 0. */
export const v20Adapter: DesignAdapter = v20NeutralAdapter(
  (p, fd, a) => perPageAdd(p, fd, a, V20_NO_LENGTH, (addr, src, secinfo) => v20AddPage(p, fd, addr, src, secinfo, a.measure ? V20_MRMASK_ALL : 0)),
  V20_NO_SGX2,
);
