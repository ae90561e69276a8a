// Permission-set tests: the exact SELinux permissions a design's loader needs to load the
// reference enclave (examples/reference-enclave.yaml) under builtin:default, in the built-in loader
// domain (sgx_loader_t), collected by running the loader permissive (loaderPermissionSet()). The
// expected sets are derived from the design's patches and hooks.c, never from our output; each
// design's test file states its set and where it comes from.
import { expect, it } from 'vitest';
import type { LoaderKind, SgxDesign } from '../../../src/drivers/sgx/design.js';
import { loaderPermissionSet, permissionLines } from '../../../src/drivers/sgx/loaders/permissions.js';
import { crypto, referenceManifest, SUITE_CPU } from './fixture.js';

/**
 * The directory searches every loader's path walks need (may_lookup() -> inode_permission(MAY_EXEC)
 * -> dir:search, selinux_inode_permission()/file_mask_to_av()): "/" (root_t), /dev (device_t),
 * /usr (usr_t), /usr/lib and /usr/lib/sgxsim (lib_t) where the image lives (DEFAULT_IMAGE_DIR,
 * labelled by the built-in file contexts).
 */
export const PATH_WALK = [
  'sgx_loader_t device_t:dir { search }',
  'sgx_loader_t lib_t:dir { search }',
  'sgx_loader_t root_t:dir { search }',
  'sgx_loader_t usr_t:dir { search }',
] as const;

export interface PermissionCase {
  readonly design: SgxDesign;
  /** Default: the design's canonical loader. */
  readonly loader?: LoaderKind;
  /** `stype ttype:class { perms }` lines (permissionLines() format), in any order. */
  readonly expected: readonly string[];
  /** ioctl commands checked against the device (low 16 bits), if the design's device is ioctl'd. */
  readonly ioctls?: Readonly<Record<string, readonly number[]>>;
  /** Where the set comes from. */
  readonly source: string;
}

export function loaderPermissionTest(c: PermissionCase): void {
  const loader = c.loader ?? c.design.canonicalLoader;
  it(`${c.design.key}: the ${loader} loader needs exactly ${c.expected.length} allow lines (${c.source})`, () => {
    const { manifest, reader } = referenceManifest();
    const r = loaderPermissionSet({ design: c.design, manifest, reader, crypto, loader, cpu: SUITE_CPU });
    expect(r.result.error ?? null).toBeNull();
    expect(r.result.ok).toBe(true);
    expect(permissionLines(r.needed)).toEqual([...c.expected].sort());
    if (c.ioctls) expect(r.needed.ioctlCmds).toEqual(c.ioctls);
  });
}
