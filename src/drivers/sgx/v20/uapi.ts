// The uAPI of the v20 in-tree driver (Jarkko Sakkinen, "[PATCH v20 00/28] Intel SGX1 support",
// 2019-04-17, series 20190417103938.7762-*; patch 15/28 adds arch/x86/include/uapi/asm/sgx.h and
// driver/ioctl.c). The patch mail itself is not in the archive read; the layouts below are those
// of the v20-era tree (designs-spec §0, §1; iyernaveenr/linux-sgx driver/ioctl.c), which Sean
// Christopherson's RFC v1 diffs were made against:
//   struct sgx_enclave_create      { __u64 src; }
//   struct sgx_enclave_add_page    { __u64 addr; __u64 src; __u64 secinfo; __u16 mrmask; } __packed
//   struct sgx_enclave_init        { __u64 sigstruct; }
//   struct sgx_enclave_set_attribute { __u64 attribute_fd; }
// All four are _IOW: the dispatcher never copies anything back. The 2019 RFCs on the v20 driver
// (D4, D5, D6) keep CREATE, INIT and SET_ATTRIBUTE (v20CommonIoctls()); D6 keeps ADD_PAGE too.
import { _IOW } from '../../../abi/ioctl.js';
import { SIGSTRUCT_SIZE } from '../../../arch/x86/sgx/arch.js';
import { defineStruct, type StructLayout } from '../../../userspace/struct.js';
import type { IoctlSpec } from '../design.js';
import { SGX_SECINFO, SGX_SECS } from '../mainline/uapi.js';

/** SGX_MAGIC. */
export const SGX_MAGIC = 0xa4;
/** mrmask with every one of the 16 256-byte chunks of the page measured (EEXTEND). */
export const V20_MRMASK_ALL = 0xffff;

/** struct sgx_enclave_create. */
export const V20_ENCLAVE_CREATE: StructLayout = defineStruct('struct sgx_enclave_create', [
  { name: 'src', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECS }, doc: 'address of the SECS page' },
]);

/** struct sgx_enclave_add_page (__packed: 26 bytes). */
export const V20_ENCLAVE_ADD_PAGE: StructLayout = defineStruct(
  'struct sgx_enclave_add_page',
  [
    { name: 'addr', type: 'u64', doc: 'the linear address of the page inside ELRANGE (not an offset)' },
    { name: 'src', type: 'u64', pointer: { kind: 'buffer', size: 4096, what: 'the page contents (read with copy_from_user(); v20 never looks at the VMA)' } },
    { name: 'secinfo', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECINFO } },
    { name: 'mrmask', type: 'u16', doc: 'bit i set: EEXTEND the i-th 256-byte chunk' },
  ],
  { packed: true },
);

/** struct sgx_enclave_init. */
export const V20_ENCLAVE_INIT: StructLayout = defineStruct('struct sgx_enclave_init', [
  { name: 'sigstruct', type: 'u64', pointer: { kind: 'buffer', size: SIGSTRUCT_SIZE, what: 'the SIGSTRUCT (1808 bytes)' } },
]);

/** struct sgx_enclave_set_attribute. */
export const V20_ENCLAVE_SET_ATTRIBUTE: StructLayout = defineStruct('struct sgx_enclave_set_attribute', [
  { name: 'attribute_fd', type: 'u64', doc: 'an fd of /dev/sgx/provision' },
]);

export const V20_IOC_ENCLAVE_CREATE = _IOW(SGX_MAGIC, 0x00, V20_ENCLAVE_CREATE.size); // 0x4008A400
export const V20_IOC_ENCLAVE_ADD_PAGE = _IOW(SGX_MAGIC, 0x01, V20_ENCLAVE_ADD_PAGE.size); // 0x401AA401
export const V20_IOC_ENCLAVE_INIT = _IOW(SGX_MAGIC, 0x02, V20_ENCLAVE_INIT.size); // 0x4008A402
export const V20_IOC_ENCLAVE_SET_ATTRIBUTE = _IOW(SGX_MAGIC, 0x03, V20_ENCLAVE_SET_ATTRIBUTE.size); // 0x4008A403

const V20_SINCE = 'v20 (2019-04-17)';

const CREATE = (since: string): IoctlSpec => ({
  name: 'SGX_IOC_ENCLAVE_CREATE',
  cmd: V20_IOC_ENCLAVE_CREATE,
  macro: '_IOW(SGX_MAGIC, 0x00, struct sgx_enclave_create)',
  device: 'enclave',
  arg: V20_ENCLAVE_CREATE,
  returns:
    '0; -EFAULT (copies, already created, enclave dead), -EINVAL (sgx_validate_secs()), -ENOMEM/-EBUSY (EPC), a positive ENCLS_FAULT_FLAG|vector if ECREATE faults',
  doc: 'validate the SECS in software, then ECREATE; no VMA is needed',
  since,
});

const INIT = (since: string): IoctlSpec => ({
  name: 'SGX_IOC_ENCLAVE_INIT',
  cmd: V20_IOC_ENCLAVE_INIT,
  macro: '_IOW(SGX_MAGIC, 0x02, struct sgx_enclave_init)',
  device: 'enclave',
  arg: V20_ENCLAVE_INIT,
  returns: '0; a positive SGX error code from EINIT; -EINVAL (attribute not allowed), -EFAULT (copies, state, dead, EINIT fault), -ERESTARTSYS',
  doc: 'wait for the queued EADDs (flush_work()), then EINIT with IA32_SGXLEPUBKEYHASH set to the MRSIGNER',
  since,
});

const SET_ATTRIBUTE = (since: string): IoctlSpec => ({
  name: 'SGX_IOC_ENCLAVE_SET_ATTRIBUTE',
  cmd: V20_IOC_ENCLAVE_SET_ATTRIBUTE,
  macro: '_IOW(SGX_MAGIC, 0x03, struct sgx_enclave_set_attribute)',
  device: 'enclave',
  arg: V20_ENCLAVE_SET_ATTRIBUTE,
  returns: '0; -EINVAL (fd is not /dev/sgx/provision), -EBADF (not an fd: model choice, v20 dereferences NULL)',
  doc: 'allow ATTRIBUTE.PROVISIONKEY',
  since,
});

/** The v20 ioctls every 2019 RFC on the v20 driver keeps (CREATE, INIT, SET_ATTRIBUTE), as of `since`. */
export function v20CommonIoctls(since: string): IoctlSpec[] {
  return [CREATE(since), INIT(since), SET_ATTRIBUTE(since)];
}

export const V20_IOCTLS: readonly IoctlSpec[] = [
  CREATE(V20_SINCE),
  {
    name: 'SGX_IOC_ENCLAVE_ADD_PAGE',
    cmd: V20_IOC_ENCLAVE_ADD_PAGE,
    macro: '_IOW(SGX_MAGIC, 0x01, struct sgx_enclave_add_page)',
    device: 'enclave',
    arg: V20_ENCLAVE_ADD_PAGE,
    returns:
      '0 (the page is queued: EADD/EEXTEND run later in the enclave\'s worker, whose failure destroys the enclave); -EFAULT (copies, state, dead), -EINVAL (SECINFO, TCS, page beyond the backing store), -EFBIG (page below the base), -EEXIST (page already added), -ENOMEM',
    doc: 'copy_from_user() one page from src (any readable memory) into the backing store and queue EADD (+EEXTEND per mrmask bit)',
    since: V20_SINCE,
  },
  INIT(V20_SINCE),
  SET_ATTRIBUTE(V20_SINCE),
];
