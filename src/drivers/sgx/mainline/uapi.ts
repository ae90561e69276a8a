// The mainline SGX uAPI (arch/x86/include/uapi/asm/sgx.h, 5.11 and 6.0) and the architectural
// structs its pointers lead to (arch/x86/kernel/cpu/sgx/arch.h: struct sgx_secs, sgx_secinfo).
import { _IOW, _IOWR } from '../../../abi/ioctl.js';
import { SIGSTRUCT_SIZE } from '../../../arch/x86/sgx/arch.js';
import { defineStruct, type StructLayout } from '../../../userspace/struct.js';
import type { IoctlSpec } from '../design.js';

export const SGX_MAGIC = 0xa4;
/** enum sgx_page_flags. */
export const SGX_PAGE_MEASURE = 0x01;

/** struct sgx_secinfo (64 bytes, __packed __aligned(64)). */
export const SGX_SECINFO: StructLayout = defineStruct(
  'struct sgx_secinfo',
  [
    { name: 'flags', type: 'u64', doc: 'R|W|X (bits 0-2), PENDING/MODIFIED/PR (3-5), page type (bits 8-15)' },
    { name: 'reserved', type: 'bytes', length: 56, reserved: true },
  ],
  { packed: true, align: 64 },
);

/** struct sgx_secs (4096 bytes, __packed). */
export const SGX_SECS: StructLayout = defineStruct(
  'struct sgx_secs',
  [
    { name: 'size', type: 'u64' },
    { name: 'base', type: 'u64' },
    { name: 'ssa_frame_size', type: 'u32' },
    { name: 'miscselect', type: 'u32' },
    { name: 'reserved1', type: 'bytes', length: 24, reserved: true },
    { name: 'attributes', type: 'u64' },
    { name: 'xfrm', type: 'u64' },
    { name: 'mrenclave', type: 'bytes', length: 32 },
    { name: 'reserved2', type: 'bytes', length: 32, reserved: true },
    { name: 'mrsigner', type: 'bytes', length: 32 },
    { name: 'reserved3', type: 'bytes', length: 32, reserved: true },
    { name: 'config_id', type: 'bytes', length: 64 },
    { name: 'isv_prod_id', type: 'u16' },
    { name: 'isv_svn', type: 'u16' },
    { name: 'config_svn', type: 'u16' },
    { name: 'reserved4', type: 'bytes', length: 3834, reserved: true },
  ],
  { packed: true },
);

/** struct sgx_enclave_create. */
export const SGX_ENCLAVE_CREATE: StructLayout = defineStruct('struct sgx_enclave_create', [
  { name: 'src', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECS }, doc: 'address of the SECS page' },
]);

/** struct sgx_enclave_add_pages. */
export const SGX_ENCLAVE_ADD_PAGES: StructLayout = defineStruct('struct sgx_enclave_add_pages', [
  { name: 'src', type: 'u64', pointer: { kind: 'buffer', size: { field: 'length' }, what: 'the source pages (page aligned)' } },
  { name: 'offset', type: 'u64', doc: 'from the enclave base' },
  { name: 'length', type: 'u64' },
  { name: 'secinfo', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECINFO } },
  { name: 'flags', type: 'u64', doc: 'SGX_PAGE_MEASURE' },
  { name: 'count', type: 'u64', dir: 'out', doc: 'bytes added' },
]);

/** struct sgx_enclave_init. */
export const SGX_ENCLAVE_INIT: StructLayout = defineStruct('struct sgx_enclave_init', [
  { name: 'sigstruct', type: 'u64', pointer: { kind: 'buffer', size: SIGSTRUCT_SIZE, what: 'the SIGSTRUCT (1808 bytes)' } },
]);

/** struct sgx_enclave_provision. */
export const SGX_ENCLAVE_PROVISION: StructLayout = defineStruct('struct sgx_enclave_provision', [
  { name: 'fd', type: 'u64', doc: 'an fd of /dev/sgx_provision' },
]);

/** struct sgx_enclave_restrict_permissions (6.0). */
export const SGX_ENCLAVE_RESTRICT_PERMISSIONS: StructLayout = defineStruct('struct sgx_enclave_restrict_permissions', [
  { name: 'offset', type: 'u64' },
  { name: 'length', type: 'u64' },
  { name: 'permissions', type: 'u64', doc: 'new EPCM permissions: SGX_SECINFO_R|W|X' },
  { name: 'result', type: 'u64', dir: 'inout', doc: 'ENCLS[EMODPR] error code (0 on input)' },
  { name: 'count', type: 'u64', dir: 'inout', doc: 'bytes processed (0 on input)' },
]);

/** struct sgx_enclave_modify_types (6.0). */
export const SGX_ENCLAVE_MODIFY_TYPES: StructLayout = defineStruct('struct sgx_enclave_modify_types', [
  { name: 'offset', type: 'u64' },
  { name: 'length', type: 'u64' },
  { name: 'page_type', type: 'u64', doc: 'SGX_PAGE_TYPE_TCS or SGX_PAGE_TYPE_TRIM' },
  { name: 'result', type: 'u64', dir: 'inout', doc: 'ENCLS[EMODT] error code (0 on input)' },
  { name: 'count', type: 'u64', dir: 'inout', doc: 'bytes processed (0 on input)' },
]);

/** struct sgx_enclave_remove_pages (6.0). */
export const SGX_ENCLAVE_REMOVE_PAGES: StructLayout = defineStruct('struct sgx_enclave_remove_pages', [
  { name: 'offset', type: 'u64' },
  { name: 'length', type: 'u64' },
  { name: 'count', type: 'u64', dir: 'inout', doc: 'bytes removed (0 on input)' },
]);

export const SGX_IOC_ENCLAVE_CREATE = _IOW(SGX_MAGIC, 0x00, SGX_ENCLAVE_CREATE.size);
export const SGX_IOC_ENCLAVE_ADD_PAGES = _IOWR(SGX_MAGIC, 0x01, SGX_ENCLAVE_ADD_PAGES.size);
export const SGX_IOC_ENCLAVE_INIT = _IOW(SGX_MAGIC, 0x02, SGX_ENCLAVE_INIT.size);
export const SGX_IOC_ENCLAVE_PROVISION = _IOW(SGX_MAGIC, 0x03, SGX_ENCLAVE_PROVISION.size);
export const SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS = _IOWR(SGX_MAGIC, 0x05, SGX_ENCLAVE_RESTRICT_PERMISSIONS.size);
export const SGX_IOC_ENCLAVE_MODIFY_TYPES = _IOWR(SGX_MAGIC, 0x06, SGX_ENCLAVE_MODIFY_TYPES.size);
export const SGX_IOC_ENCLAVE_REMOVE_PAGES = _IOWR(SGX_MAGIC, 0x07, SGX_ENCLAVE_REMOVE_PAGES.size);

/** The 5.11 ioctls. */
export const MAINLINE_511_IOCTLS: readonly IoctlSpec[] = [
  {
    name: 'SGX_IOC_ENCLAVE_CREATE',
    cmd: SGX_IOC_ENCLAVE_CREATE,
    macro: '_IOW(SGX_MAGIC, 0x00, struct sgx_enclave_create)',
    device: 'enclave',
    arg: SGX_ENCLAVE_CREATE,
    returns: '0; -EINVAL (already created), -EFAULT, -ENOMEM, -ERESTARTSYS, -EIO (ECREATE failed)',
    doc: 'ECREATE from the SECS at src',
    since: '5.11',
  },
  {
    name: 'SGX_IOC_ENCLAVE_ADD_PAGES',
    cmd: SGX_IOC_ENCLAVE_ADD_PAGES,
    macro: '_IOWR(SGX_MAGIC, 0x01, struct sgx_enclave_add_pages)',
    device: 'enclave',
    arg: SGX_ENCLAVE_ADD_PAGES,
    returns: '0 with count = bytes added (possibly partial); -EINVAL, -EFAULT, -EACCES (noexec source), -EBUSY (page exists), -ENOMEM, -ERESTARTSYS, -EIO',
    doc: 'EADD (and EEXTEND with SGX_PAGE_MEASURE) length bytes from src at offset; SECINFO permissions become vm_max_prot_bits',
    since: '5.11',
  },
  {
    name: 'SGX_IOC_ENCLAVE_INIT',
    cmd: SGX_IOC_ENCLAVE_INIT,
    macro: '_IOW(SGX_MAGIC, 0x02, struct sgx_enclave_init)',
    device: 'enclave',
    arg: SGX_ENCLAVE_INIT,
    returns: '0; -EINVAL, -EFAULT, -EACCES (attribute not allowed), -EPERM (EINIT error code), -EIO (EINIT fault), -ERESTARTSYS',
    doc: 'EINIT with the SIGSTRUCT (IA32_SGXLEPUBKEYHASH set to its MRSIGNER first)',
    since: '5.11',
  },
  {
    name: 'SGX_IOC_ENCLAVE_PROVISION',
    cmd: SGX_IOC_ENCLAVE_PROVISION,
    macro: '_IOW(SGX_MAGIC, 0x03, struct sgx_enclave_provision)',
    device: 'enclave',
    arg: SGX_ENCLAVE_PROVISION,
    returns: '0; -EFAULT, -EINVAL (fd is not /dev/sgx_provision)',
    doc: 'allow ATTRIBUTE.PROVISIONKEY',
    since: '5.11',
  },
];

/** The SGX2 ioctls added in 6.0. */
export const MAINLINE_SGX2_IOCTLS: readonly IoctlSpec[] = [
  {
    name: 'SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS',
    cmd: SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS,
    macro: '_IOWR(SGX_MAGIC, 0x05, struct sgx_enclave_restrict_permissions)',
    device: 'enclave',
    arg: SGX_ENCLAVE_RESTRICT_PERMISSIONS,
    returns: '0 with count; -ENODEV (no SGX2), -EINVAL, -EFAULT (+result), -EAGAIN',
    doc: 'EMODPR + ETRACK on each page; vm_max_prot_bits unchanged',
    since: '6.0',
  },
  {
    name: 'SGX_IOC_ENCLAVE_MODIFY_TYPES',
    cmd: SGX_IOC_ENCLAVE_MODIFY_TYPES,
    macro: '_IOWR(SGX_MAGIC, 0x06, struct sgx_enclave_modify_types)',
    device: 'enclave',
    arg: SGX_ENCLAVE_MODIFY_TYPES,
    returns: '0 with count; -ENODEV, -EINVAL, -EPERM (REG->TCS without RW), -EFAULT (+result), -EAGAIN',
    doc: 'EMODT to TCS or TRIM + ETRACK',
    since: '6.0',
  },
  {
    name: 'SGX_IOC_ENCLAVE_REMOVE_PAGES',
    cmd: SGX_IOC_ENCLAVE_REMOVE_PAGES,
    macro: '_IOWR(SGX_MAGIC, 0x07, struct sgx_enclave_remove_pages)',
    device: 'enclave',
    arg: SGX_ENCLAVE_REMOVE_PAGES,
    returns: '0 with count; -ENODEV, -EINVAL, -EPERM (not TRIM, or not EACCEPTed), -EBUSY, -EAGAIN, -EFAULT',
    doc: 'remove accepted TRIM pages (EREMOVE)',
    since: '6.0',
  },
];
