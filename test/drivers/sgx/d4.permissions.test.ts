// The SELinux permissions D4's canonical loader (the selftest flow rewritten for D4: sources mapped
// with their segment's protection, the text PROT_READ|PROT_EXEC) needs to load the reference enclave
// (examples/reference-enclave.yaml) under builtin:default, in sgx_loader_t. Derived from the RFCs
// and hooks.c (Linux 6.1), not from our output (designs-spec §5.3):
//   - open(O_RDWR) of /dev/sgx/enclave (v20 node, Fedora's sgx_enclave_device_t): `read write`
//     (selinux_inode_permission) and `open` (selinux_file_open);
//   - CREATE, ADD (v1 ADD_PAGES / v2 ADD_PAGE, both nr 0x01) and INIT: `ioctl` with the commands
//     0xa400, 0xa401, 0xa402;
//   - the image: `open read`, and for its private source mappings `map read`, plus `execute` for the
//     text source mapped PROT_READ|PROT_EXEC (file_map_prot_check());
//   - security_enclave_load(): the text's source VMA is VM_EXEC and not written, so RFC v1 9/9 asks
//     nothing (its EXECUTE test is for sources that are not VM_EXEC; no page is allowed W+X) and RFC
//     v2 5/5 returns early (VM_EXEC && !(prot & PROT_WRITE)); the other pages are not executable;
//   - the per-segment MAP_SHARED mappings after INIT: `map read`, `write` for RW, `execute` for RX;
//     sgx_map_allowed() and ->may_mprotect call no LSM hook; no `execmem` anywhere (the heap is
//     anonymous RW, the device inode is not S_PRIVATE).
import { describe } from 'vitest';
import { D4_V1, D4_V2 } from '../../../src/drivers/sgx/allow-prot/index.js';
import { loaderPermissionTest, PATH_WALK } from './permissions.case.js';

const DEVICE = 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }';
const IMAGE = 'sgx_loader_t lib_t:file { execute map open read }';
const IOCTLS = { 'system_u:object_r:sgx_enclave_device_t:s0:chr_file': [0xa400, 0xa401, 0xa402] };

for (const design of [D4_V1, D4_V2]) {
  describe(`${design.key} loader permission sets`, () => {
    loaderPermissionTest({
      design,
      expected: [DEVICE, IMAGE, ...PATH_WALK],
      ioctls: IOCTLS,
      source: 'designs-spec §5.3: image execute for the RX source, no SGX-LSM check, no execmem',
    });
  });
}
