// The SELinux permissions D6's canonical (careful) loader needs to load the reference enclave
// (examples/reference-enclave.yaml) under builtin:default, in sgx_loader_t. Derived from Cedric
// Xing's v3 (4/4 SELinux, 3a9efc8d3c27490dbcfe802ce3facddd62f47872.1562542383.git.cedric.xing@intel.com)
// and hooks.c (Linux 6.1), not from our output (designs-spec §7 "Reference enclave"):
//   - the device: `open read write` at open; `ioctl` (CREATE 0xa400, ADD_PAGE 0xa401, INIT 0xa402);
//     the PROT_NONE ELRANGE mapping: `map read` (selinux_mmap_file(), and sgx_mmap()'s
//     security_file_mprotect() from PROT_NONE asks `read` again); the mprotects: `read`, `write`
//     (shared RW), `execute` (RX text) — file_map_prot_check();
//   - the image: `open read map` for the PROT_READ private sources; security_enclave_load() asks
//     nothing (the pages are loaded under a PROT_NONE mapping: prot 0); mprotect(text, RX) adds X,
//     and the text VMA's EMAs are sourced from the unmodified image file: `file:execute` on it;
//   - the .sig file (lib_t too): `open read map` for its private PROT_READ mapping, and launch
//     control at INIT: `file:execute` on it (security_enclave_init());
//   - adding W (data, TCS, SSA, heap) marks those EMAs modified and asks nothing more;
//   - as posted, enclave_mprotect() tests `(prot && PROT_WRITE) && (prot & PROT_EXEC)`: the RX
//     mprotect of the text asks `process:execmem` (cedricV3Bug, on by default); with the intended
//     W+X test no process permission at all.
import { describe, expect, it } from 'vitest';
import { D6 } from '../../../src/drivers/sgx/ema/index.js';
import { collectNeededPermissions, permissionLines } from '../../../src/drivers/sgx/loaders/permissions.js';
import { loadEnclave } from '../../../src/drivers/sgx/loaders/flows.js';
import { prepareEnclaveImage } from '../../../src/drivers/sgx/loaders/image.js';
import { bootWithSelinux } from '../../../src/security/selinux/boot.js';
import { PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import { UserProcess } from '../../../src/userspace/process.js';
import { loaderPermissionTest, PATH_WALK } from './permissions.case.js';
import { crypto, referenceManifest, SUITE_CPU } from './fixture.js';

const DEVICE = 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }';
const FILES = 'sgx_loader_t lib_t:file { execute map open read }';
const EXECMEM = 'sgx_loader_t sgx_loader_t:process { execmem }';
const IOCTLS = { 'system_u:object_r:sgx_enclave_device_t:s0:chr_file': [0xa400, 0xa401, 0xa402] };

describe('D6 loader permission sets', () => {
  loaderPermissionTest({
    design: D6,
    expected: [DEVICE, FILES, EXECMEM, ...PATH_WALK],
    ioctls: IOCTLS,
    source: "v3 4/4 as posted: execute on the image (RX text) and on the .sig file (launch control), and execmem for the RX mprotect ('prot && PROT_WRITE')",
  });

  it('with the intended W+X test (cedricV3Bug: false) the loader needs no process permission', () => {
    const k = bootWithSelinux({ policy: 'builtin:default', enforcing: false });
    D6.install(k, { crypto, cpu: SUITE_CPU, driver: { cedricV3Bug: false } });
    const { manifest, reader } = referenceManifest();
    const img = prepareEnclaveImage(k, manifest, reader, crypto);
    const pid = k.spawn({ comm: 'sgx-loader', context: PROCESS_CONTEXTS.loader });
    let ok = false;
    const n = collectNeededPermissions(k, () => (ok = loadEnclave(D6, new UserProcess(k, pid), img).ok), pid);
    expect(ok).toBe(true);
    expect(permissionLines(n)).toEqual([DEVICE, FILES, ...PATH_WALK].sort());
  });
});
