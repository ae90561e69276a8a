// The SELinux permissions D0's loaders need for the reference enclave (examples/reference-enclave.yaml)
// under builtin:default, in sgx_loader_t. Derived from the v20 driver and security/selinux/hooks.c
// (Linux 6.1), not from our output (designs-spec §1 "Careful loader's SELinux needs"):
//   - open("/dev/sgx/enclave", O_RDWR): selinux_inode_permission() `read write`,
//     selinux_file_open() `open` on the device node (v20 hands out the device file itself: every
//     later check is on sgx_enclave_device_t);
//   - ioctl(): ioctl_has_perm() `ioctl` with extended permissions 0xa400 (CREATE), 0xa401
//     (ADD_PAGE), 0xa402 (INIT);
//   - mmap(PROT_NONE, MAP_SHARED) of the ELRANGE: selinux_mmap_file() `map`, file_map_prot_check()
//     `read` ("read access is always possible with a mapping");
//   - mprotect() per segment after INIT: selinux_file_mprotect() -> file_map_prot_check(): `read`,
//     `write` for the shared RW segments (TCS, data, SSA, heap), `execute` for the RX text; no
//     `execmem` (the device inode is not S_PRIVATE and the mapping is shared);
//   - the image: `open read` and `map` (PROT_READ, MAP_PRIVATE); no `execute`: ADD_PAGE reads the
//     source with copy_from_user() and never looks at its VMA;
//   - the heap source is anonymous RW: nothing.
// Smalley's variant (the seed, 20190517192823.GG15006@linux.intel.com): O_RDONLY and one
// PROT_READ|PROT_EXEC mapping: "only FILE__READ and FILE__EXECUTE are required" (plus open, map
// and ioctl, which the quote leaves out): no `write` on the device.
import { describe, expect, it } from 'vitest';
import { D0, v20SmalleyLoader } from '../../../src/drivers/sgx/v20/index.js';
import { collectNeededPermissions, permissionLines } from '../../../src/drivers/sgx/loaders/permissions.js';
import { loaderPermissionTest, PATH_WALK } from './permissions.case.js';
import { bootWorld, prepare, referenceManifest } from './fixture.js';

const DEVICE = 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }';
const IMAGE = 'sgx_loader_t lib_t:file { map open read }';
const IOCTLS = { 'system_u:object_r:sgx_enclave_device_t:s0:chr_file': [0xa400, 0xa401, 0xa402] };

describe('D0 loader permission sets', () => {
  loaderPermissionTest({
    design: D0,
    expected: [DEVICE, IMAGE, ...PATH_WALK],
    ioctls: IOCTLS,
    source: 'designs-spec §1 + hooks.c: write and execute on the device, no execute on the image, no execmem',
  });
  loaderPermissionTest({
    design: D0,
    loader: 'selftest',
    expected: [DEVICE, IMAGE, ...PATH_WALK],
    ioctls: IOCTLS,
    source: 'designs-spec §12 L1 on D0: one RWX mapping of the ELRANGE asks read write execute at once',
  });
  loaderPermissionTest({
    design: D0,
    loader: 'gramine',
    expected: [DEVICE, IMAGE, ...PATH_WALK],
    ioctls: IOCTLS,
    source: 'designs-spec §12 L2 on D0: the RWX ELRANGE mapping, then mprotect per range',
  });

  it("Smalley's O_RDONLY + PROT_READ|PROT_EXEC flow needs read and execute on the device, never write", () => {
    const w = bootWorld(D0, { selinux: { policy: 'builtin:default', enforcing: false } });
    const { manifest, reader } = referenceManifest();
    const img = prepare(w, manifest, reader);
    let ok = false;
    const n = collectNeededPermissions(w.k, () => {
      ok = v20SmalleyLoader(D0, w.p, img).ok;
    }, w.pid);
    expect(ok).toBe(true);
    expect(permissionLines(n)).toEqual(
      ['sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read }', IMAGE, ...PATH_WALK].sort(),
    );
    expect(n.tuples.some((t) => t.perm === 'write' || t.perm === 'execmem')).toBe(false);
  });
});
