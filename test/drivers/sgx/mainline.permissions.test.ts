// The SELinux permissions the mainline designs' loaders need for the reference enclave.
// Derived from the merged driver and hooks.c (designs-spec §8.7, §11; reference notes §3.9):
//   - open(O_RDWR) of /dev/sgx_enclave: selinux_inode_permission() `read write` + selinux_file_open() `open`;
//   - ioctl: `ioctl` with extended permissions 0xa400 (CREATE), 0xa401 (ADD_PAGES), 0xa402 (INIT);
//   - mmap/mprotect of the device (MAP_SHARED): `map`, then file_map_prot_check(): `read`, `write`
//     for the shared RW mappings (data, TCS), `execute` for the RX text mapping (and load.c's
//     PROT_EXEC probe); no `execmem` (the device inode is not S_PRIVATE, the mappings are shared);
//   - the image: `open read` and `map` (PROT_READ or private RW mappings) and NO `execute`: ADD_PAGES
//     only needs the source VMA to be VM_MAYEXEC (ioctl.c __sgx_encl_add_page());
//   - the heap and the loaders' buffers are anonymous and not executable: nothing.
import { describe } from 'vitest';
import { D7, D8 } from '../../../src/drivers/sgx/index.js';
import { loaderPermissionTest, PATH_WALK } from './permissions.case.js';

const DEVICE = 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }';
const IMAGE = 'sgx_loader_t lib_t:file { map open read }';
const SET = [DEVICE, IMAGE, ...PATH_WALK];
const IOCTLS = { 'system_u:object_r:sgx_enclave_device_t:s0:chr_file': [0xa400, 0xa401, 0xa402] };

for (const design of [D7, D8]) {
  describe(`${design.key} loader permission sets`, () => {
    loaderPermissionTest({ design, expected: SET, ioctls: IOCTLS, source: 'designs-spec §8.7: device execute, no execute on the image' });
    loaderPermissionTest({ design, loader: 'gramine', expected: SET, ioctls: IOCTLS, source: 'designs-spec §11.2: the RWX ELRANGE mapping asks read write execute at once' });
    loaderPermissionTest({ design, loader: 'psw', expected: SET, ioctls: IOCTLS, source: 'designs-spec §11.3: per-region mmaps before INIT, mprotect after' });
  });
}
