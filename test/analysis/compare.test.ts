// compare: per design, loaded or not, the permissions as allow rules, denials, PROT_EXEC on the
// device, execmem. Expected values from the sources: the mainline selftest flow needs
// `read write open ioctl map execute` on the device and `read map` on the image, and no execute on
// the image (sgx-driver-and-designs.md §7.3 #1); D1 needs execute on the enclave file and nothing
// executable on the device (issue #5's D1 acceptance; seed mail); Gramine cannot be translated
// to D1 (designs-spec §12: its RWX mapping of the enclave fd and re-mmaps after ADD). The enclave's
// files are installed with the libraries (lib_t, which builtin:default lets sgx_loader_t execute)
// unless `imageDir` says otherwise (the home directory: user_home_t, never executable).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allowRules, compareDesigns, renderCompare, type CompareRow } from '../../src/analysis/compare.js';
import { parseManifest, resolveManifestPath } from '../../src/enclave/manifest.js';
import { contentReaderFromFiles } from '../../src/enclave/content.js';
import { nodeCrypto } from '../../src/platform/node/crypto.js';
import { lookupDesign } from '../../src/drivers/sgx/registry.js';
import { HOME_IMAGE_DIR } from '../../src/drivers/sgx/loaders/image.js';
import '../../src/drivers/sgx/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const path = join(root, 'examples/reference-enclave.yaml');
const manifest = parseManifest(readFileSync(path, 'utf8'), path).manifest;
const reader = contentReaderFromFiles((p) => new Uint8Array(readFileSync(resolveManifestPath(path, p))));
const base = { manifest, reader, crypto: nodeCrypto };

const row = (rows: CompareRow[], d: string): CompareRow => rows.find((r) => r.design === d)!;

describe('compare', () => {
  const rows = compareDesigns({ ...base, designs: ['D7', 'D8', ...(lookupDesign('D1') ? ['D1'] : [])] });

  it('the mainline selftest flow loads, asks for PROT_EXEC on the device, needs no execute on the image and no execmem', () => {
    for (const d of ['D7', 'D8']) {
      const r = row(rows, d);
      expect(r.loader).toBe('selftest');
      expect(r.loaded).toBe(true);
      expect(r.protExecOnDevice).toBe(true);
      expect(r.execmem).toBe(false);
      expect(r.needs).toContain('allow sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write };');
      expect(r.needs).toContain('allow sgx_loader_t lib_t:file { map open read };');
      expect(r.denied).toEqual([]);
    }
  });

  it.skipIf(!lookupDesign('D1'))('D1: execute on the enclave file, nothing executable on the device, no execmem', () => {
    const r = row(rows, 'D1');
    expect(r.protExecOnDevice).toBe(false);
    expect(r.execmem).toBe(false);
    expect(r.needs).toContain('allow sgx_loader_t lib_t:file { execute map open read };');
    expect(r.needs).toContain('allow sgx_loader_t sgx_enclave_device_t:chr_file { open read write };');
    // builtin:default lets sgx_loader_t execute the libraries (lib_t)
    expect(r.loaded).toBe(true);
    expect(r.denied).toEqual([]);
  });

  it.skipIf(!lookupDesign('D1'))('imageDir: installed in the home directory, D1 fails on the execute builtin:default never grants on user_home_t', () => {
    const [r] = compareDesigns({ ...base, designs: ['D1'], imageDir: HOME_IMAGE_DIR });
    expect(r.needs).toContain('allow sgx_loader_t user_home_t:file { execute map open read };');
    expect(r.needs).toContain('allow sgx_loader_t user_home_dir_t:dir search;');
    expect(r.loaded).toBe(false);
    expect(r.denied).toEqual(['allow sgx_loader_t user_home_t:file execute;']);
    expect(r.failedAt).toMatch(/EACCES$/);
    expect(r.loadsPermissive).toBe(true);
    expect(renderCompare([r], 'builtin:default', 'canonical', HOME_IMAGE_DIR).split('\n')[0]).toBe(
      "# sgxsim compare: the designs' canonical loaders under builtin:default; enclave files in /home/user/enclave (user_home_t)",
    );
  });

  it('imageDir must be absolute', () => {
    expect(() => compareDesigns({ ...base, designs: ['D8'], imageDir: 'usr/lib' })).toThrow(/absolute path/);
  });

  it.skipIf(!lookupDesign('D1'))('a foreign flow the design cannot express is reported untranslatable, with why', () => {
    const [r] = compareDesigns({ ...base, designs: ['D1'], loader: 'gramine' });
    expect(r.translation).toBe('untranslatable');
    expect(r.loaded).toBe(false);
    expect(r.translationNote).toBeTruthy();
    expect(renderCompare([r], 'builtin:default', 'gramine')).toContain('untranslatable');
  });

  it('renders one table row per design with its rules beneath', () => {
    const text = renderCompare(rows, 'builtin:default', 'canonical');
    const lines = text.split('\n');
    expect(lines[0]).toBe("# sgxsim compare: the designs' canonical loaders under builtin:default; enclave files in /usr/lib/sgxsim (lib_t)");
    expect(lines[1]).toMatch(/^design\s+loader\s+loaded\s+PROT_EXEC on device\s+execmem\s+denied under builtin:default$/);
    expect(text).toMatch(/^D7 mainline-5\.11\s+selftest\s+yes\s+yes\s+no\s+none$/m);
  });

  it('allow rules merge permissions per source, target and class, with self', () => {
    expect(allowRules([
      { scontext: 'u:r:a_t:s0', tcontext: 'u:r:a_t:s0', tclass: 'process', perm: 'execmem' },
      { scontext: 'u:r:a_t:s0', tcontext: 'u:o:f_t:s0', tclass: 'file', perm: 'read' },
      { scontext: 'u:r:a_t:s0', tcontext: 'u:o:f_t:s0', tclass: 'file', perm: 'map' },
    ])).toEqual(['allow a_t f_t:file { map read };', 'allow a_t self:process execmem;']);
  });
});
