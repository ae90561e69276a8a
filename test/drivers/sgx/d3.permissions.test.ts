// The SELinux permissions D3's canonical loader (execute-intent/loader.ts) needs for the reference
// enclave (examples/reference-enclave.yaml) under builtin:default, in sgx_loader_t, in both
// variants. Derived from Andy Lutomirski's rules (2019-05-30; designs-spec §4) and
// security/selinux/hooks.c (Linux 6.1), not from our output:
//   - the image: open(O_RDONLY) `read open`, mmap(PROT_READ, MAP_PRIVATE) `map read`; R3 asks
//     `execute` on it when the text pages are added (static: the intent flag makes
//     security_enclave_load() check it; dynamic: the hook finds it allowed and keeps the intent);
//   - /dev/sgx/enclave: `read write open`, `ioctl` (0xa400-0xa402), `map read write execute` for
//     the per-segment MAP_SHARED mappings after INIT;
//   - R1 (W+X) and R2 (X without intent, or written since INIT) never apply: the text has intent
//     and is never writable, nothing else is executable: no execmem, no execmod.
// The difference between the variants shows in the audit trail: the static hook audits the EXECUTE
// denial; the dynamic one only probes (a permissive run records no denial at all).
import { describe, expect, it } from 'vitest';
import { D3_DYNAMIC, D3_STATIC } from '../../../src/drivers/sgx/execute-intent/index.js';
import { loaderPermissionSet, permissionLines } from '../../../src/drivers/sgx/loaders/permissions.js';
import { HOME_IMAGE_DIR } from '../../../src/drivers/sgx/loaders/image.js';
import { loaderPermissionTest, PATH_WALK } from './permissions.case.js';
import { crypto, referenceManifest, SUITE_CPU } from './fixture.js';

const DEVICE = 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }';
const IMAGE = 'sgx_loader_t lib_t:file { execute map open read }';
const IOCTLS = { 'system_u:object_r:sgx_enclave_device_t:s0:chr_file': [0xa400, 0xa401, 0xa402] };

for (const design of [D3_STATIC, D3_DYNAMIC]) {
  describe(`${design.key} loader permission sets`, () => {
    loaderPermissionTest({ design, expected: [DEVICE, IMAGE, ...PATH_WALK], ioctls: IOCTLS, source: 'Andy 2019-05-30 R3: execute on the image at ADD; no execmem/execmod' });
  });
}

describe('D3 audit: static records the missing EXECUTE, dynamic records nothing', () => {
  it('permissive builtin:default, the image in the home directory (no execute on user_home_t): the denial the static hook logs; none for the dynamic hook (avc_has_perm_noaudit() grants quietly when permissive)', () => {
    const { manifest, reader } = referenceManifest();
    const st = loaderPermissionSet({ design: D3_STATIC, manifest, reader, crypto, cpu: SUITE_CPU, dir: HOME_IMAGE_DIR });
    const dy = loaderPermissionSet({ design: D3_DYNAMIC, manifest, reader, crypto, cpu: SUITE_CPU, dir: HOME_IMAGE_DIR });
    expect([st.result.ok, dy.result.ok]).toEqual([true, true]);
    expect(permissionLines(st.needed.denied)).toEqual(['sgx_loader_t user_home_t:file { execute }']);
    expect(permissionLines(dy.needed.denied)).toEqual([]);
    for (const r of [st, dy]) expect(r.needed.tuples.some((x) => x.perm === 'execmod' || x.perm === 'execmem')).toBe(false);
  });
});

describe('D3: what the rewritten loader flows need beyond the canonical loader (designs-spec §12)', () => {
  // Derived from R1-R3: the selftest flow loads the text from the image (EXECUTE, R3); Gramine maps
  // the ELRANGE RWX (EXECMEM, R1) and loads its text from a private mapping of the image (EXECUTE);
  // the PSW loads its text from heap buffers: no file to EXECUTE, so EXECMEM (static: at ADD;
  // dynamic: the intent is cleared and the RX mapping asks it, R2).
  const cases = [
    { loader: 'selftest', execute: true, execmem: false },
    { loader: 'gramine', execute: true, execmem: true },
    { loader: 'psw', execute: false, execmem: true },
  ] as const;
  for (const design of [D3_STATIC, D3_DYNAMIC]) {
    for (const c of cases) {
      it(`${design.key} ${c.loader}: execute on the image ${c.execute ? 'yes' : 'no'}, execmem ${c.execmem ? 'yes' : 'no'}, execmod no`, () => {
        const { manifest, reader } = referenceManifest();
        const r = loaderPermissionSet({ design, manifest, reader, crypto, loader: c.loader, cpu: SUITE_CPU });
        expect(r.result.error ?? null).toBeNull();
        const t = r.needed.tuples;
        expect(t.some((x) => x.tcontext.includes(':lib_t:') && x.perm === 'execute')).toBe(c.execute);
        expect(t.some((x) => x.perm === 'execmod')).toBe(false);
        expect(t.some((x) => x.tclass === 'process' && x.perm === 'execmem')).toBe(c.execmem);
      });
    }
  }
});
