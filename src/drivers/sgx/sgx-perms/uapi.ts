// D5's ADD ioctl (Sean Christopherson RFC v4 04/12 "x86/sgx: Require userspace to define enclave
// pages' protection bits", 20190619222401.14942-5): struct sgx_enclave_add_page { __u64 addr;
// __u64 src; __u64 secinfo; __u16 mrmask; __u8 prot; __u8 pad; } — not packed, so 32 bytes with
// tail padding; _IOW(0xA4, 0x01, 32) = 0x4020A401 (designs-spec §0.1: the number by layout; the
// same number as RFC v1's ADD_PAGES with another layout). CREATE, INIT, SET_ATTRIBUTE are v20's.
import { _IOW } from '../../../abi/ioctl.js';
import { defineStruct, type StructLayout } from '../../../userspace/struct.js';
import { SGX_SECINFO } from '../mainline/uapi.js';
import { SGX_MAGIC } from '../v20/uapi.js';

export const D5_ENCLAVE_ADD_PAGE: StructLayout = defineStruct('struct sgx_enclave_add_page', [
  { name: 'addr', type: 'u64', doc: 'linear address of the page in ELRANGE' },
  { name: 'src', type: 'u64', pointer: { kind: 'buffer', size: 4096, what: 'the page contents' } },
  { name: 'secinfo', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECINFO } },
  { name: 'mrmask', type: 'u16', doc: 'bit i: EEXTEND chunk i; 0xffff = measured (security_enclave_load()\'s `measured`)' },
  { name: 'prot', type: 'u8', doc: 'PROT_READ | PROT_WRITE | PROT_EXEC: the page\'s protection bits (vm_prot_bits)' },
  { name: 'pad', type: 'u8', reserved: true },
]);

export const D5_IOC_ENCLAVE_ADD_PAGE = _IOW(SGX_MAGIC, 0x01, D5_ENCLAVE_ADD_PAGE.size); // 0x4020A401
