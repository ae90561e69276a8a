// The SELinux permissions D1's canonical loader (the seed flow, loader.ts) needs to load the
// reference enclave (examples/reference-enclave.yaml) under builtin:default, in sgx_loader_t.
// Derived from the seed (Sean Christopherson, 2019-05-17, 20190517192823.GG15006@linux.intel.com)
// and security/selinux/hooks.c (Linux 6.1), not from our output (designs-spec §2 "SELinux for the
// reference enclave"):
//   - open(image, O_RDONLY): selinux_inode_permission() `read`, selinux_file_open() `read open`;
//   - the chunks mapped MAP_PRIVATE from the image: selinux_mmap_file() `map`, then
//     file_map_prot_check(): `read` always, `execute` for the text chunk (PROT_READ|PROT_EXEC),
//     never `write` (private) and never `execmem` (a file, not W+X);
//   - the heap chunk is anonymous RW: file_map_prot_check(NULL, RW) asks nothing;
//   - open("/dev/sgx/enclave", O_RDWR): `read write` (inode_permission) and `read write open`
//     (file_open) on the device node, checked before ->open() hands out the anon-inode file;
//   - everything on the enclave fd after that is on the S_PRIVATE anon inode: ioctl_has_perm(),
//     selinux_mmap_file()'s `map` and file_map_prot_check()'s `read` return 0 without an AVC
//     query, so NO `ioctl`, `map`, `execute` (nor xperm commands) on the device, and no `execmem`
//     because the loader never passes PROT_EXEC on the enclave fd;
//   - ENCLAVE_ADD calls no LSM hook (the source "already [went] through LSM checks").
// Issue #5's acceptance for D1: "D1 needs execute on the enclave file and nothing executable on
// the device".
import { describe, expect, it } from 'vitest';
import { D1 } from '../../../src/drivers/sgx/copy-source-perms/index.js';
import { loaderPermissionSet, permissionLines } from '../../../src/drivers/sgx/loaders/permissions.js';
import { HOME_IMAGE_DIR } from '../../../src/drivers/sgx/loaders/image.js';
import { loaderPermissionTest, PATH_WALK } from './permissions.case.js';
import { crypto, referenceManifest, SUITE_CPU } from './fixture.js';

const DEVICE = 'sgx_loader_t sgx_enclave_device_t:chr_file { open read write }';
const IMAGE = 'sgx_loader_t lib_t:file { execute map open read }';

describe('D1 loader permission sets', () => {
  loaderPermissionTest({
    design: D1,
    expected: [DEVICE, IMAGE, ...PATH_WALK],
    ioctls: {},
    source: 'seed 2019-05-17 + hooks.c: execute on the image, nothing but open/read/write on the device (anon inode afterwards), no execmem',
  });

  it('the acceptance statement itself: execute on the enclave file, nothing executable on the device, no process permission', () => {
    const { manifest, reader } = referenceManifest();
    const r = loaderPermissionSet({ design: D1, manifest, reader, crypto, cpu: SUITE_CPU });
    expect(r.result.ok).toBe(true);
    const t = r.needed.tuples;
    expect(t.some((x) => x.tclass === 'file' && x.tcontext.includes(':lib_t:') && x.perm === 'execute')).toBe(true);
    expect(t.filter((x) => x.tcontext.includes(':sgx_enclave_device_t:')).map((x) => x.perm).sort()).toEqual(['open', 'read', 'write']);
    expect(t.filter((x) => ['execute', 'execmem', 'execmod', 'execheap', 'execstack'].includes(x.perm) && !x.tcontext.includes(':lib_t:'))).toEqual([]);
    expect(t.filter((x) => x.tclass === 'process' || x.tclass === 'process2')).toEqual([]);
    // the image is installed with the libraries (lib_t), which builtin:default lets sgx_loader_t
    // execute (docs/policies.md): nothing is denied.
    expect(permissionLines(r.needed.denied)).toEqual([]);
    // installed in the user's home instead (user_home_t), the execute is what builtin:default denies
    const home = loaderPermissionSet({ design: D1, manifest, reader, crypto, cpu: SUITE_CPU, dir: HOME_IMAGE_DIR });
    expect(permissionLines(home.needed.denied)).toEqual(['sgx_loader_t user_home_t:file { execute read }']);
  });
});
