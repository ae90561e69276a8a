// uAPI of the v20-era driver (arch/x86/include/uapi/asm/sgx.h of the v20 series, Jarkko Sakkinen
// 2019-04-17, 20190417103938.7762-*) that the 2019 RFCs D4/D5/D6 patch, and D4's own ADD ioctls:
//   v1 (Sean Christopherson RFC v1 3/9 + 6/9, 20190531233159.30992-4/-7): SGX_IOC_ENCLAVE_ADD_PAGES
//      { u64 addr; u64 src; u64 secinfo; u32 nr_pages; u16 mrmask; u16 flags } (6/9 drops __packed);
//   v2 (RFC v2 2/5, 20190606021145.12604-3): SGX_IOC_ENCLAVE_ADD_PAGE
//      { u64 addr; u64 src; u64 secinfo; u32 flags; u16 mrmask } __packed.
// designs-spec §0.1 and §5. Numbers are _IOC(dir, 0xA4, nr, sizeof) (include/uapi/asm-generic/ioctl.h).
import { _IOW } from '../../../abi/ioctl.js';
import { SIGSTRUCT_SIZE } from '../../../arch/x86/sgx/arch.js';
import { defineStruct, type StructLayout } from '../../../userspace/struct.js';
import { SGX_SECINFO, SGX_SECS } from '../mainline/uapi.js';
import type { IoctlSpec } from '../design.js';

export const SGX_MAGIC = 0xa4;

/** struct sgx_enclave_create (v20). */
export const V20_ENCLAVE_CREATE: StructLayout = defineStruct('struct sgx_enclave_create', [
  { name: 'src', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECS }, doc: 'address of the SECS page' },
]);

/** struct sgx_enclave_add_page (v20, __packed): one page at an absolute address; mrmask bit i = EEXTEND chunk i. */
export const V20_ENCLAVE_ADD_PAGE: StructLayout = defineStruct(
  'struct sgx_enclave_add_page',
  [
    { name: 'addr', type: 'u64', doc: 'linear address of the page in ELRANGE' },
    { name: 'src', type: 'u64', pointer: { kind: 'buffer', size: 4096, what: 'the page contents (copy_from_user)' } },
    { name: 'secinfo', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECINFO } },
    { name: 'mrmask', type: 'u16', doc: 'bit i: EEXTEND the 256-byte chunk i' },
  ],
  { packed: true },
);

/** struct sgx_enclave_init (v20). */
export const V20_ENCLAVE_INIT: StructLayout = defineStruct('struct sgx_enclave_init', [
  { name: 'sigstruct', type: 'u64', pointer: { kind: 'buffer', size: SIGSTRUCT_SIZE, what: 'the SIGSTRUCT (1808 bytes)' } },
]);

/** struct sgx_enclave_set_attribute (v20). */
export const V20_ENCLAVE_SET_ATTRIBUTE: StructLayout = defineStruct('struct sgx_enclave_set_attribute', [
  { name: 'attribute_fd', type: 'u64', doc: 'an fd of /dev/sgx/provision' },
]);

export const V20_IOC_ENCLAVE_CREATE = _IOW(SGX_MAGIC, 0x00, V20_ENCLAVE_CREATE.size); // 0x4008A400
export const V20_IOC_ENCLAVE_ADD_PAGE = _IOW(SGX_MAGIC, 0x01, V20_ENCLAVE_ADD_PAGE.size); // 0x401AA401
export const V20_IOC_ENCLAVE_INIT = _IOW(SGX_MAGIC, 0x02, V20_ENCLAVE_INIT.size); // 0x4008A402
export const V20_IOC_ENCLAVE_SET_ATTRIBUTE = _IOW(SGX_MAGIC, 0x03, V20_ENCLAVE_SET_ATTRIBUTE.size); // 0x4008A403

/** D4 v1: SGX_ALLOW_{READ,WRITE,EXEC} = VM_{READ,WRITE,EXEC} (RFC v1 3/9). */
export const SGX_ALLOW_READ = 0x1;
export const SGX_ALLOW_WRITE = 0x2;
export const SGX_ALLOW_EXEC = 0x4;

/** D4 v1: struct sgx_enclave_add_pages (RFC v1 3/9; 6/9 removed __packed: 32 bytes). */
export const D4V1_ENCLAVE_ADD_PAGES: StructLayout = defineStruct('struct sgx_enclave_add_pages', [
  { name: 'addr', type: 'u64', doc: 'linear address of the first page' },
  { name: 'src', type: 'u64', pointer: { kind: 'buffer', size: 4096, what: 'the first source page (nr_pages contiguous pages)' } },
  { name: 'secinfo', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECINFO } },
  { name: 'nr_pages', type: 'u32' },
  { name: 'mrmask', type: 'u16', doc: 'per page: bit i = EEXTEND chunk i' },
  { name: 'flags', type: 'u16', doc: 'SGX_ALLOW_READ | SGX_ALLOW_WRITE | SGX_ALLOW_EXEC' },
]);

/** D4 v2: struct sgx_enclave_add_page (RFC v2 2/5, __packed: 30 bytes). */
export const D4V2_ENCLAVE_ADD_PAGE: StructLayout = defineStruct(
  'struct sgx_enclave_add_page',
  [
    { name: 'addr', type: 'u64' },
    { name: 'src', type: 'u64', pointer: { kind: 'buffer', size: 4096, what: 'the page contents' } },
    { name: 'secinfo', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECINFO } },
    { name: 'flags', type: 'u32', doc: 'PROT_READ | PROT_WRITE | PROT_EXEC: the page\'s maximal protections' },
    { name: 'mrmask', type: 'u16' },
  ],
  { packed: true },
);

export const D4V1_IOC_ENCLAVE_ADD_PAGES = _IOW(SGX_MAGIC, 0x01, D4V1_ENCLAVE_ADD_PAGES.size); // 0x4020A401
export const D4V2_IOC_ENCLAVE_ADD_PAGE = _IOW(SGX_MAGIC, 0x01, D4V2_ENCLAVE_ADD_PAGE.size); // 0x401EA401

/** The v20 ioctls every 2019 RFC keeps (CREATE, INIT, SET_ATTRIBUTE). */
export function v20CommonIoctls(since: string): IoctlSpec[] {
  return [
    {
      name: 'SGX_IOC_ENCLAVE_CREATE',
      cmd: V20_IOC_ENCLAVE_CREATE,
      macro: '_IOW(SGX_MAGIC, 0x00, struct sgx_enclave_create)',
      device: 'enclave',
      arg: V20_ENCLAVE_CREATE,
      returns: '0; -EFAULT (copy, already created, dead), -EINVAL (sgx_validate_secs), -ENOMEM, a positive ENCLS_FAULT_FLAG | vector if ECREATE faults',
      doc: 'ECREATE from the SECS at src; no VMA is needed',
      since,
    },
    {
      name: 'SGX_IOC_ENCLAVE_INIT',
      cmd: V20_IOC_ENCLAVE_INIT,
      macro: '_IOW(SGX_MAGIC, 0x02, struct sgx_enclave_init)',
      device: 'enclave',
      arg: V20_ENCLAVE_INIT,
      returns: '0; a positive SGX error code (EINIT failed); -EINVAL (attribute not allowed), -EFAULT (copy, state, ENCLS fault), -ERESTARTSYS',
      doc: 'EINIT with the SIGSTRUCT (IA32_SGXLEPUBKEYHASH set to its MRSIGNER first)',
      since,
    },
    {
      name: 'SGX_IOC_ENCLAVE_SET_ATTRIBUTE',
      cmd: V20_IOC_ENCLAVE_SET_ATTRIBUTE,
      macro: '_IOW(SGX_MAGIC, 0x03, struct sgx_enclave_set_attribute)',
      device: 'enclave',
      arg: V20_ENCLAVE_SET_ATTRIBUTE,
      returns: '0; -EBADF (not an fd; model choice), -EINVAL (not /dev/sgx/provision)',
      doc: 'allow ATTRIBUTE.PROVISIONKEY',
      since,
    },
  ];
}
