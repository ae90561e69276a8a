// The SELinux permissions D5's canonical loader (the selftest flow rewritten for D5: the image
// mapped PROT_READ, one ADD_PAGE per page with the segment's prot) needs to load the reference
// enclave (examples/reference-enclave.yaml) under builtin:default, in sgx_loader_t. Derived from RFC
// v4 and hooks.c (Linux 6.1), not from our output (designs-spec §6):
//   - the device as for D4: `open read write` at open, `ioctl` (0xa400, 0xa401, 0xa402), and for the
//     per-segment MAP_SHARED mappings `map read write execute`;
//   - the image: `open read map` (PROT_READ private mapping), no `execute` (05/12 only needs the
//     source to be VM_MAYEXEC);
//   - security_enclave_load() (10/12) for the text pages only (the others have no PROT_EXEC): not W
//     (no sgx_execdirty), measured (mrmask 0xffff: no sgx_execunmr), from an unmodified, non-private
//     file mapping (no sgx_execanon) -> `file:sgx_execute` on the image;
//   - security_enclave_map() (08/12): no mapping is W+X, and no page is EAUG'd: nothing.
import { describe } from 'vitest';
import { D5 } from '../../../src/drivers/sgx/sgx-perms/index.js';
import { loaderPermissionTest, PATH_WALK } from './permissions.case.js';

describe('D5 loader permission sets', () => {
  loaderPermissionTest({
    design: D5,
    expected: ['sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }', 'sgx_loader_t lib_t:file { map open read sgx_execute }', ...PATH_WALK],
    ioctls: { 'system_u:object_r:sgx_enclave_device_t:s0:chr_file': [0xa400, 0xa401, 0xa402] },
    source: 'RFC v4 10/12: file:sgx_execute on the image for the measured RX text; no process2 permission',
  });
});
