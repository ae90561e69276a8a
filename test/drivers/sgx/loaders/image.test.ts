// prepareEnclaveImage(): where the enclave's files go and how they are labelled. The default is
// the library directory /usr/lib/sgxsim (docs/runner.md "Where the loaders find the enclave");
// the labels are the built-in file contexts' (docs/policies.md: `/usr` usr_t, `/usr/lib*` lib_t,
// `/home/*/…` user_home_t, `/home/*` user_home_dir_t).
import { describe, expect, it } from 'vitest';
import { D8 } from '../../../../src/drivers/sgx/index.js';
import { DEFAULT_IMAGE_DIR, HOME_IMAGE_DIR, prepareEnclaveImage } from '../../../../src/drivers/sgx/loaders/image.js';
import { bootWorld, crypto, referenceManifest } from '../fixture.js';

describe('prepareEnclaveImage: install directory', () => {
  it('defaults to /usr/lib/sgxsim, the files and directory labelled lib_t below usr_t', () => {
    expect(DEFAULT_IMAGE_DIR).toBe('/usr/lib/sgxsim');
    const w = bootWorld(D8);
    const { manifest, reader } = referenceManifest();
    const img = prepareEnclaveImage(w.k, manifest, reader, crypto);
    expect(img.imagePath).toBe('/usr/lib/sgxsim/reference-enclave.img');
    expect(img.sigstructPath).toBe('/usr/lib/sgxsim/reference-enclave.sig');
    expect(w.k.fs.stat('/usr').label).toBe('system_u:object_r:usr_t:s0');
    expect(w.k.fs.stat('/usr/lib').label).toBe('system_u:object_r:lib_t:s0');
    expect(w.k.fs.stat('/usr/lib/sgxsim').label).toBe('system_u:object_r:lib_t:s0');
    expect(w.k.fs.stat(img.imagePath).label).toBe('system_u:object_r:lib_t:s0');
    expect(w.k.fs.stat(img.sigstructPath).label).toBe('system_u:object_r:lib_t:s0');
  });

  it('the home directory stays an option: user_home_t files under the user_home_dir_t home', () => {
    const w = bootWorld(D8);
    const { manifest, reader } = referenceManifest();
    const img = prepareEnclaveImage(w.k, manifest, reader, crypto, { dir: HOME_IMAGE_DIR });
    expect(img.imagePath).toBe('/home/user/enclave/reference-enclave.img');
    expect(w.k.fs.stat('/home/user').label).toBe('unconfined_u:object_r:user_home_dir_t:s0');
    expect(w.k.fs.stat('/home/user/enclave').label).toBe('unconfined_u:object_r:user_home_t:s0');
    expect(w.k.fs.stat(img.imagePath).label).toBe('unconfined_u:object_r:user_home_t:s0');
  });

  it('a trailing slash is dropped; a relative directory is refused', () => {
    const w = bootWorld(D8);
    const { manifest, reader } = referenceManifest();
    expect(prepareEnclaveImage(w.k, manifest, reader, crypto, { dir: '/opt/encl/' }).imagePath).toBe('/opt/encl/reference-enclave.img');
    expect(prepareEnclaveImage(w.k, manifest, reader, crypto, { dir: '/', name: 'e' }).sigstructPath).toBe('/e.sig');
    expect(() => prepareEnclaveImage(w.k, manifest, reader, crypto, { dir: 'lib/sgxsim' })).toThrow(/absolute path/);
  });
});
