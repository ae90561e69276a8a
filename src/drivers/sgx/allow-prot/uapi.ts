// D4's own ADD ioctls on the v20 uAPI (v20/uapi.ts: CREATE, INIT, SET_ATTRIBUTE, which every 2019
// RFC on the v20 driver keeps):
//   v1 (Sean Christopherson RFC v1 3/9 + 6/9, 20190531233159.30992-4/-7): SGX_IOC_ENCLAVE_ADD_PAGES
//      { u64 addr; u64 src; u64 secinfo; u32 nr_pages; u16 mrmask; u16 flags } (6/9 drops __packed);
//   v2 (RFC v2 2/5, 20190606021145.12604-3): SGX_IOC_ENCLAVE_ADD_PAGE
//      { u64 addr; u64 src; u64 secinfo; u32 flags; u16 mrmask } __packed.
// designs-spec §0.1 and §5. Numbers are _IOC(dir, 0xA4, nr, sizeof) (include/uapi/asm-generic/ioctl.h).
import { _IOW } from '../../../abi/ioctl.js';
import { defineStruct, type StructLayout } from '../../../userspace/struct.js';
import { SGX_SECINFO } from '../mainline/uapi.js';
import { SGX_MAGIC } from '../v20/uapi.js';

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
