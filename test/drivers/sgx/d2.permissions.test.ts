// The SELinux permissions D2's canonical loader (Andy Lutomirski's flow, sigstruct-file/loader.ts)
// needs for the reference enclave (examples/reference-enclave.yaml) under builtin:default, in
// sgx_loader_t. Derived from Andy's mails (designs-spec §3) and security/selinux/hooks.c (Linux 6.1),
// not from our output:
//   - the enclave file: open(O_RDONLY) `read` + `read open`; mmap(PROT_READ|PROT_EXEC, MAP_PRIVATE)
//     `map`, then file_map_prot_check() `read execute` (no execmem: a file, not writable);
//   - the .sig file (lib_t, the same type): open(O_RDONLY) `read open`; INIT's kernel read
//     asks nothing more (selinux_file_permission() revalidates only a changed label or policy);
//     security_enclave_init() checks `execute` on it (the D2 choice, Cedric Xing's v3 permission);
//   - /dev/sgx/enclave: `read write open`, `ioctl` (0xa400 CREATE, 0xa401 ADD_PAGES, 0xa402 INIT),
//     and the per-segment MAP_SHARED mappings after INIT: `map`, `read`, `write` (RW segments),
//     `execute` (the RX text);
//   - the D2 mapping rule asks nothing: every page from the image was loaded from an executable
//     source VMA (safe to execute), the text is never writable, the heap never executable: no
//     execmod, no execmem.
import { describe, expect, it } from 'vitest';
import { D2 } from '../../../src/drivers/sgx/sigstruct-file/index.js';
import { loaderPermissionSet, permissionLines } from '../../../src/drivers/sgx/loaders/permissions.js';
import { HOME_IMAGE_DIR } from '../../../src/drivers/sgx/loaders/image.js';
import { loaderPermissionTest, PATH_WALK } from './permissions.case.js';
import { crypto, referenceManifest, SUITE_CPU } from './fixture.js';

const DEVICE = 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }';
const FILES = 'sgx_loader_t lib_t:file { execute map open read }';
const IOCTLS = { 'system_u:object_r:sgx_enclave_device_t:s0:chr_file': [0xa400, 0xa401, 0xa402] };

describe('D2 loader permission sets', () => {
  loaderPermissionTest({
    design: D2,
    expected: [DEVICE, FILES, ...PATH_WALK],
    ioctls: IOCTLS,
    source: "Andy 2019-05-15 + hooks.c: execute on the enclave file (mapped PROT_EXEC) and on the SIGSTRUCT file (INIT), device write/execute, no execmod/execmem",
  });

  it('the INIT check is on the SIGSTRUCT file, the EXECUTE of the image is the mmap of the source; with both files in the home directory builtin:default denies both (one record: the AVC grants after a permissive denial)', () => {
    const { manifest, reader } = referenceManifest();
    const r = loaderPermissionSet({ design: D2, manifest, reader, crypto, cpu: SUITE_CPU, dir: HOME_IMAGE_DIR });
    expect(r.result.ok).toBe(true);
    const t = r.needed.tuples;
    expect(t.some((x) => x.perm === 'execmod' || x.perm === 'execmem')).toBe(false);
    expect(t.filter((x) => x.tclass === 'process' || x.tclass === 'process2')).toEqual([]);
    expect(permissionLines(r.needed.denied)).toEqual(['sgx_loader_t user_home_t:file { execute read }']);
  });
});

describe('D2: what the rewritten loader flows need beyond the canonical loader (designs-spec §12)', () => {
  // Derived from the mapping rule: a text page from a source that is not VM_EXEC asks EXECMOD on
  // its file (selftest: the image mapped PROT_READ; Gramine: a private RW mapping of the image),
  // or EXECMEM without a file (PSW: heap buffers); Gramine's RWX mapping of the empty ELRANGE asks
  // EXECMEM; none of them maps the image PROT_EXEC, so no `execute` on it.
  const cases = [
    { loader: 'selftest', execmod: true, execmem: false },
    { loader: 'gramine', execmod: true, execmem: true },
    { loader: 'psw', execmod: false, execmem: true },
  ] as const;
  for (const c of cases) {
    it(`${c.loader}: execmod on the image ${c.execmod ? 'yes' : 'no'}, execmem ${c.execmem ? 'yes' : 'no'}, execute on the image no`, () => {
      const { manifest, reader } = referenceManifest();
      const r = loaderPermissionSet({ design: D2, manifest, reader, crypto, loader: c.loader, cpu: SUITE_CPU });
      expect(r.result.error ?? null).toBeNull();
      const t = r.needed.tuples;
      const image = (perm: string) => t.some((x) => x.tcontext.includes(':lib_t:') && x.perm === perm);
      expect(image('execmod')).toBe(c.execmod);
      expect(image('execute')).toBe(false);
      expect(t.some((x) => x.tclass === 'process' && x.perm === 'execmem')).toBe(c.execmem);
    });
  }
});
