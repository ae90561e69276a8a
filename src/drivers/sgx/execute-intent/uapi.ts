// The uAPI of D3 `execute-intent` (Andy Lutomirski, 2019-05-30): Andy's mail describes the LSM
// interface, not the ioctls. designs-spec §4 (OPEN CHOICE, §13.4): mainline's uAPI (the struct
// layouts and numbers of arch/x86/include/uapi/asm/sgx.h, 5.11), plus, for the static variant, a
// flag bit in ADD_PAGES' `flags`: SGX_PAGE_EXEC_INTENT = 0x02 ("EADD takes a userspace
// execute_intent flag"). The dynamic variant has no flag (the bit is ignored, as mainline ignores
// unknown `flags` bits).
import type { IoctlSpec } from '../design.js';
import {
  SGX_ENCLAVE_ADD_PAGES,
  SGX_ENCLAVE_CREATE,
  SGX_ENCLAVE_INIT,
  SGX_ENCLAVE_PROVISION,
  SGX_IOC_ENCLAVE_ADD_PAGES,
  SGX_IOC_ENCLAVE_CREATE,
  SGX_IOC_ENCLAVE_INIT,
  SGX_IOC_ENCLAVE_PROVISION,
  SGX_MAGIC,
  SGX_PAGE_MEASURE,
} from '../mainline/uapi.js';

export { SGX_MAGIC, SGX_PAGE_MEASURE };
/** flags bit of the static variant: the pages are meant to be executed (Andy's execute_intent). */
export const SGX_PAGE_EXEC_INTENT = 0x02;

export type D3Variant = 'static' | 'dynamic';

export function d3Ioctls(variant: D3Variant): readonly IoctlSpec[] {
  return [
    {
      name: 'SGX_IOC_ENCLAVE_CREATE',
      cmd: SGX_IOC_ENCLAVE_CREATE,
      macro: '_IOW(SGX_MAGIC, 0x00, struct sgx_enclave_create)',
      device: 'enclave',
      arg: SGX_ENCLAVE_CREATE,
      returns: '0; as mainline 6.1',
      doc: 'ECREATE (mainline\'s)',
    },
    {
      name: 'SGX_IOC_ENCLAVE_ADD_PAGES',
      cmd: SGX_IOC_ENCLAVE_ADD_PAGES,
      macro: '_IOWR(SGX_MAGIC, 0x01, struct sgx_enclave_add_pages)',
      device: 'enclave',
      arg: SGX_ENCLAVE_ADD_PAGES,
      returns:
        variant === 'static'
          ? '0 (count = bytes added); -EACCES when SGX_PAGE_EXEC_INTENT is set and security_enclave_load() finds none of EXECUTE (source file), EXECMOD, EXECMEM, or the source is noexec; otherwise as mainline 6.1'
          : '0 (count = bytes added); -EACCES for a noexec source; otherwise as mainline 6.1 (security_enclave_load() only records the intent)',
      doc:
        variant === 'static'
          ? 'EADD (+EEXTEND); flags: SGX_PAGE_MEASURE | SGX_PAGE_EXEC_INTENT (the page may be mapped executable without EXECMOD)'
          : 'EADD (+EEXTEND); the LSM decides execute_intent (EXECUTE on the source file)',
    },
    {
      name: 'SGX_IOC_ENCLAVE_INIT',
      cmd: SGX_IOC_ENCLAVE_INIT,
      macro: '_IOW(SGX_MAGIC, 0x02, struct sgx_enclave_init)',
      device: 'enclave',
      arg: SGX_ENCLAVE_INIT,
      returns: '0; as mainline 6.1 (-EPERM for an EINIT error code)',
      doc: 'EINIT with the SIGSTRUCT at sigstruct; pages under a live writable mapping count as ever written from here on',
    },
    {
      name: 'SGX_IOC_ENCLAVE_PROVISION',
      cmd: SGX_IOC_ENCLAVE_PROVISION,
      macro: '_IOW(SGX_MAGIC, 0x03, struct sgx_enclave_provision)',
      device: 'enclave',
      arg: SGX_ENCLAVE_PROVISION,
      returns: '0; -EFAULT, -EINVAL (fd is not /dev/sgx/provision)',
      doc: 'allow ATTRIBUTE.PROVISIONKEY (mainline\'s)',
    },
  ];
}
