// The neutral adapter for D1 (design.ts DesignAdapter): each neutral operation is the D1 syscall a
// careful loader issues. What D1 cannot express is reported as `unsupported`, never approximated:
//   - a neutral add's `perms` (and raw SECINFO overrides): D1 has no SECINFO from userspace, the
//     page's permissions are those of the source VMA (the adapter passes page type and measure
//     only; `perms` is ignored, which is D1's point);
//   - the SGX2 ioctls (RESTRICT_PERMISSIONS, MODIFY_TYPES, REMOVE_PAGES) do not exist in D1.
import { ENOTTY } from '../../../abi/errno.js';
import { MAP_SHARED, PROT_READ } from '../../../abi/mman.js';
import type { DesignAdapter, NeutralAdd, NeutralResult } from '../design.js';
import { designAdapter, ioctlStruct } from '../common/adapter.js';
import { V20_ENCLAVE_PATH, V20_PROVISION_PATH } from '../v20/install.js';
import {
  D1_ENCLAVE_ADD,
  D1_ENCLAVE_CREATE,
  D1_ENCLAVE_INIT,
  D1_ENCLAVE_SET_ATTRIBUTE,
  D1_IOC_ENCLAVE_ADD,
  D1_IOC_ENCLAVE_CREATE,
  D1_IOC_ENCLAVE_INIT,
  D1_IOC_ENCLAVE_SET_ATTRIBUTE,
  SGX_ENCLAVE_ADD_MEASURE,
  SGX_ENCLAVE_ADD_REG,
  SGX_ENCLAVE_ADD_TCS,
} from './uapi.js';

/** The v20 nodes (the seed thread is about the v20 driver). */
export const D1_ENCLAVE_PATH = V20_ENCLAVE_PATH;
export const D1_PROVISION_PATH = V20_PROVISION_PATH;

/** struct sgx_enclave_add .type for a neutral add. */
export function d1AddType(a: Pick<NeutralAdd, 'type' | 'measure'>): number {
  return (a.type === 'TCS' ? SGX_ENCLAVE_ADD_TCS : SGX_ENCLAVE_ADD_REG) | (a.measure ? SGX_ENCLAVE_ADD_MEASURE : 0);
}

const big = (v: number | bigint): bigint => BigInt.asUintN(64, BigInt(v));

/** Why the SGX2 operations are unsupported on D1. */
export const D1_NO_SGX2 = 'D1 (2019-05-17) has no SGX2 ioctls: EAUG pages come only from faults (driver option sgx2), and nothing restricts, retypes or removes pages';
/** Why raw SECINFO overrides are unsupported on D1. */
export const D1_NO_SECINFO = 'D1 takes no SECINFO from userspace: the EPCM permissions are the source VMA\'s R/W/X and .type holds only the page type and the measure bit';

export const d1Adapter: DesignAdapter = designAdapter({
  enclavePath: D1_ENCLAVE_PATH,
  provisionPath: D1_PROVISION_PATH,
  /**
   * Hold ELRANGE the D1 way: the seed's `enclave_addr = mmap(NULL, size, PROT_READ, MAP_SHARED,
   * enclave_fd, 0)` (naturally aligned by get_unmapped_area()), which CREATE requires.
   */
  reserve: (p, fd, size) => p.mmap(0, size, PROT_READ, MAP_SHARED, fd, 0),
  create: { cmd: D1_IOC_ENCLAVE_CREATE, layout: D1_ENCLAVE_CREATE },
  addPages(p, fd, a): NeutralResult {
    if (a.secinfoFlags !== undefined || a.secinfoReserved !== undefined) {
      return { ret: -ENOTTY, unsupported: D1_NO_SECINFO };
    }
    const size = big(a.length);
    const r = ioctlStruct(p, fd, D1_IOC_ENCLAVE_ADD, D1_ENCLAVE_ADD, { offset: big(a.offset), source: big(a.src), size, type: d1AddType(a) });
    const left = r.out.size;
    // The bytes added: what the kernel took off .size (it writes the struct back in every case).
    return { ret: r.ret, count: typeof left === 'bigint' ? Number(size - left) : 0 };
  },
  init: { cmd: D1_IOC_ENCLAVE_INIT, layout: D1_ENCLAVE_INIT },
  provision: { cmd: D1_IOC_ENCLAVE_SET_ATTRIBUTE, layout: D1_ENCLAVE_SET_ATTRIBUTE, field: 'attribute_fd' },
  noSgx2: D1_NO_SGX2,
});
