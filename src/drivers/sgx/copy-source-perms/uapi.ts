// The uAPI of D1 `copy-source-perms` (Sean Christopherson, 2019-05-17, Message-ID
// 20190517192823.GG15006@linux.intel.com). The seed names ENCLAVE_CREATE, ENCLAVE_ADD {.offset,
// .source, .size, .type} and ENCLAVE_INIT but never posted a header: the layouts and numbers below
// are ours (docs/designs.md §D1 "Choices"). CREATE, INIT and SET_ATTRIBUTE keep the layouts and
// numbers of the v20 driver the sketch was written against (struct sgx_enclave_create { u64 src },
// struct sgx_enclave_init { u64 sigstruct }, struct sgx_enclave_set_attribute { u64 attribute_fd }),
// which are also mainline's CREATE/INIT/PROVISION numbers.
import { _IOW, _IOWR } from '../../../abi/ioctl.js';
import { SIGSTRUCT_SIZE } from '../../../arch/x86/sgx/arch.js';
import { defineStruct, type StructLayout } from '../../../userspace/struct.js';
import type { IoctlSpec } from '../design.js';
import { SGX_SECS } from '../mainline/uapi.js';

/** SGX_MAGIC (v20 and mainline). */
export const SGX_MAGIC = 0xa4;

// struct sgx_enclave_add .type (OPEN CHOICE, designs-spec §13.2: "SECINFO page type bits 8-15 +
// measure bit"): bits 8-15 hold the SGX page type exactly where SECINFO.FLAGS has it; bit 0 asks
// for EEXTEND of every 256-byte chunk (mainline's SGX_PAGE_MEASURE value). R/W/X are never given
// by userspace: they are copied from the source VMA. Every other bit is reserved (-EINVAL).
export const SGX_ENCLAVE_ADD_MEASURE = 0x01;
/** .type page type: a thread control structure (SGX_PAGE_TYPE_TCS << 8). */
export const SGX_ENCLAVE_ADD_TCS = 0x100;
/** .type page type: a regular page (SGX_PAGE_TYPE_REG << 8). */
export const SGX_ENCLAVE_ADD_REG = 0x200;
/** The bits of .type the driver accepts. */
export const SGX_ENCLAVE_ADD_TYPE_VALID = 0xff00 | SGX_ENCLAVE_ADD_MEASURE;

/** struct sgx_enclave_create (v20 layout). */
export const D1_ENCLAVE_CREATE: StructLayout = defineStruct('struct sgx_enclave_create', [
  { name: 'src', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECS }, doc: 'address of the SECS page (SECS.BASE must lie under an enclave mapping of this fd)' },
]);

/**
 * struct sgx_enclave_add (ours): the seed's four fields, as u64. The kernel writes the struct back
 * with offset/source advanced and size reduced by the bytes added, so a call interrupted by a
 * signal after some pages can be re-issued unchanged (the struct is _IOWR for that reason).
 */
export const D1_ENCLAVE_ADD: StructLayout = defineStruct('struct sgx_enclave_add', [
  { name: 'offset', type: 'u64', dir: 'inout', doc: 'of the first page from the enclave base' },
  {
    name: 'source',
    type: 'u64',
    dir: 'inout',
    pointer: { kind: 'buffer', size: { field: 'size' }, what: 'the source pages: regular memory whose VMA R/W/X are copied into the enclave' },
  },
  { name: 'size', type: 'u64', dir: 'inout', doc: 'bytes; on return, the bytes not added' },
  { name: 'type', type: 'u64', doc: 'SGX_ENCLAVE_ADD_REG or SGX_ENCLAVE_ADD_TCS, | SGX_ENCLAVE_ADD_MEASURE' },
]);

/** struct sgx_enclave_init (v20 layout). */
export const D1_ENCLAVE_INIT: StructLayout = defineStruct('struct sgx_enclave_init', [
  { name: 'sigstruct', type: 'u64', pointer: { kind: 'buffer', size: SIGSTRUCT_SIZE, what: 'the SIGSTRUCT (1808 bytes)' } },
]);

/** struct sgx_enclave_set_attribute (v20 layout). */
export const D1_ENCLAVE_SET_ATTRIBUTE: StructLayout = defineStruct('struct sgx_enclave_set_attribute', [
  { name: 'attribute_fd', type: 'u64', doc: 'an fd of /dev/sgx/provision' },
]);

export const D1_IOC_ENCLAVE_CREATE = _IOW(SGX_MAGIC, 0x00, D1_ENCLAVE_CREATE.size); // 0x4008A400
export const D1_IOC_ENCLAVE_ADD = _IOWR(SGX_MAGIC, 0x01, D1_ENCLAVE_ADD.size); // 0xC020A401
export const D1_IOC_ENCLAVE_INIT = _IOW(SGX_MAGIC, 0x02, D1_ENCLAVE_INIT.size); // 0x4008A402
export const D1_IOC_ENCLAVE_SET_ATTRIBUTE = _IOW(SGX_MAGIC, 0x03, D1_ENCLAVE_SET_ATTRIBUTE.size); // 0x4008A403

export const D1_IOCTLS: readonly IoctlSpec[] = [
  {
    name: 'SGX_IOC_ENCLAVE_CREATE',
    cmd: D1_IOC_ENCLAVE_CREATE,
    macro: '_IOW(SGX_MAGIC, 0x00, struct sgx_enclave_create)',
    device: 'enclave',
    arg: D1_ENCLAVE_CREATE,
    returns: '0; -EINVAL (already created, or [base, base+size) not covered by enclave mappings of this fd in the caller), -EFAULT, -ENOMEM, -ERESTARTSYS, -EIO (ECREATE failed)',
    doc: 'ECREATE from the SECS at src; the ELRANGE must already be mapped from the enclave fd (Sean, 2019-05-21/22)',
  },
  {
    name: 'SGX_IOC_ENCLAVE_ADD',
    cmd: D1_IOC_ENCLAVE_ADD,
    macro: '_IOWR(SGX_MAGIC, 0x01, struct sgx_enclave_add)',
    device: 'enclave',
    arg: D1_ENCLAVE_ADD,
    returns:
      '0 (size = 0, or the bytes left after a signal); -EINVAL (state, alignment, range, type, no enclave mapping of the target in the caller), -EFAULT (no source, get_user_pages), -EACCES (copied R/W/X not allowed by the enclave VMA\'s VM_MAY*, or the noexec variant), -EBUSY (page exists), -ENOMEM, -ERESTARTSYS, -EIO',
    doc: 'EADD (+EEXTEND) each page from source; the source VMA\'s R/W/X become the page\'s EPCM permissions and the enclave VMA\'s protection in the caller\'s mm',
  },
  {
    name: 'SGX_IOC_ENCLAVE_INIT',
    cmd: D1_IOC_ENCLAVE_INIT,
    macro: '_IOW(SGX_MAGIC, 0x02, struct sgx_enclave_init)',
    device: 'enclave',
    arg: D1_ENCLAVE_INIT,
    returns: '0; -EINVAL, -EFAULT, -EACCES (attribute not allowed), -EPERM (EINIT error code), -EIO (EINIT fault), -ERESTARTSYS',
    doc: 'EINIT with the SIGSTRUCT (as the mainline driver)',
  },
  {
    name: 'SGX_IOC_ENCLAVE_SET_ATTRIBUTE',
    cmd: D1_IOC_ENCLAVE_SET_ATTRIBUTE,
    macro: '_IOW(SGX_MAGIC, 0x03, struct sgx_enclave_set_attribute)',
    device: 'enclave',
    arg: D1_ENCLAVE_SET_ATTRIBUTE,
    returns: '0; -EFAULT, -EINVAL (fd is not /dev/sgx/provision)',
    doc: 'allow ATTRIBUTE.PROVISIONKEY',
  },
];
