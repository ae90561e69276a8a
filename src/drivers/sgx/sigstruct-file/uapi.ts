// The uAPI of D2 `sigstruct-file` (Andy Lutomirski, 2019-05-15,
// CALCETrX2ovRx3Rre+1_xC-q6CiybyLjQ-gmB4FZF_qCZ-Qd+4A@mail.gmail.com). Andy's sketch names
//   ioctl(enclave_fd, SGX_IOC_ADD_SOME_DATA, source_data + source_offset, enclave_offset, len, ...);
//   ioctl(enclave_fd, SGX_INIT_THE_ENCLAVE, sigstruct_fd);
// and nothing else: the layouts and numbers below are OPEN CHOICES (designs-spec §3, §13.3):
//   - ADD: mainline's struct sgx_enclave_add_pages without `count` (the source pointer, the enclave
//     offset and the length of the sketch, plus the SECINFO and flags the hardware needs),
//     _IOW(SGX_MAGIC, 0x01, 40) = 0x4028A401; progress after a signal is the positive return value;
//   - INIT: { __u64 sigstruct_fd; }, _IOW(SGX_MAGIC, 0x02, 8) = 0x4008A402 (the v20/mainline number:
//     same size, the field is a descriptor instead of a pointer);
//   - CREATE and SET_ATTRIBUTE: the v20 ones (= mainline's CREATE and PROVISION).
import { _IOW } from '../../../abi/ioctl.js';
import { defineStruct, type StructLayout } from '../../../userspace/struct.js';
import type { IoctlSpec } from '../design.js';
import { SGX_ENCLAVE_CREATE, SGX_SECINFO } from '../mainline/uapi.js';
import { V20_ENCLAVE_SET_ATTRIBUTE } from '../v20/uapi.js';

export const SGX_MAGIC = 0xa4;
/** flags: EEXTEND every 256-byte chunk of the pages (mainline's value). */
export const SGX_PAGE_MEASURE = 0x01;

/** struct sgx_enclave_add_pages (D2, ours): mainline's without `count`. */
export const D2_ENCLAVE_ADD_PAGES: StructLayout = defineStruct('struct sgx_enclave_add_pages', [
  { name: 'src', type: 'u64', pointer: { kind: 'buffer', size: { field: 'length' }, what: 'the source pages (page aligned); its VMA decides whether the pages are safe to execute' } },
  { name: 'offset', type: 'u64', doc: 'from the enclave base' },
  { name: 'length', type: 'u64' },
  { name: 'secinfo', type: 'u64', pointer: { kind: 'struct', layout: SGX_SECINFO } },
  { name: 'flags', type: 'u64', doc: 'SGX_PAGE_MEASURE' },
]);

/** struct sgx_enclave_init (D2): the SIGSTRUCT is read from a file. */
export const D2_ENCLAVE_INIT: StructLayout = defineStruct('struct sgx_enclave_init', [
  { name: 'sigstruct_fd', type: 'u64', doc: 'an fd open for reading on a file holding the 1808-byte SIGSTRUCT at offset 0' },
]);

export const D2_IOC_ENCLAVE_CREATE = _IOW(SGX_MAGIC, 0x00, SGX_ENCLAVE_CREATE.size); // 0x4008A400
export const D2_IOC_ENCLAVE_ADD_PAGES = _IOW(SGX_MAGIC, 0x01, D2_ENCLAVE_ADD_PAGES.size); // 0x4028A401
export const D2_IOC_ENCLAVE_INIT = _IOW(SGX_MAGIC, 0x02, D2_ENCLAVE_INIT.size); // 0x4008A402
export const D2_IOC_ENCLAVE_SET_ATTRIBUTE = _IOW(SGX_MAGIC, 0x03, V20_ENCLAVE_SET_ATTRIBUTE.size); // 0x4008A403

export const D2_IOCTLS: readonly IoctlSpec[] = [
  {
    name: 'SGX_IOC_ENCLAVE_CREATE',
    cmd: D2_IOC_ENCLAVE_CREATE,
    macro: '_IOW(SGX_MAGIC, 0x00, struct sgx_enclave_create)',
    device: 'enclave',
    arg: SGX_ENCLAVE_CREATE,
    returns: '0; as mainline 6.1: -EINVAL (created), -EFAULT, -ENOMEM, -ERESTARTSYS, -EIO (ECREATE failed)',
    doc: 'ECREATE from the SECS at src (mainline\'s)',
  },
  {
    name: 'SGX_IOC_ENCLAVE_ADD_PAGES',
    cmd: D2_IOC_ENCLAVE_ADD_PAGES,
    macro: '_IOW(SGX_MAGIC, 0x01, struct sgx_enclave_add_pages)',
    device: 'enclave',
    arg: D2_ENCLAVE_ADD_PAGES,
    returns:
      '0 (all added); the bytes added (> 0) when a signal stopped it after some pages; -ERESTARTSYS (before the first page), -EINVAL, -EFAULT, -EBUSY (page exists), -ENOMEM, -EIO; as mainline 6.1 otherwise',
    doc: 'EADD (+EEXTEND) the pages; each page remembers whether its source VMA was executable (Andy: "safe to execute") and the source file',
  },
  {
    name: 'SGX_IOC_ENCLAVE_INIT',
    cmd: D2_IOC_ENCLAVE_INIT,
    macro: '_IOW(SGX_MAGIC, 0x02, struct sgx_enclave_init)',
    device: 'enclave',
    arg: D2_ENCLAVE_INIT,
    returns: '0; -EBADF (sigstruct_fd), -EINVAL (not readable, shorter than 1808 bytes, vendor, reserved bits), -EACCES (attribute not allowed, or security_enclave_init()), -EPERM (EINIT error code), -EIO, -ERESTARTSYS',
    doc: '"Here\'s where LSMs get to check that the sigstruct is acceptable": the SIGSTRUCT is read from the file, the LSM checks the file, then EINIT',
  },
  {
    name: 'SGX_IOC_ENCLAVE_SET_ATTRIBUTE',
    cmd: D2_IOC_ENCLAVE_SET_ATTRIBUTE,
    macro: '_IOW(SGX_MAGIC, 0x03, struct sgx_enclave_set_attribute)',
    device: 'enclave',
    arg: V20_ENCLAVE_SET_ATTRIBUTE,
    returns: '0; -EFAULT, -EINVAL (fd is not /dev/sgx/provision)',
    doc: 'allow ATTRIBUTE.PROVISIONKEY (mainline\'s PROVISION)',
  },
];
