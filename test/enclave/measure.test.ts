// Manifest measurement against the independent record-stream reference (ref-stream.ts).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../src/platform/node/crypto.js';
import { parseManifest } from '../../src/enclave/manifest.js';
import { measureManifest } from '../../src/enclave/measure.js';
import { contentReaderFromFiles } from '../../src/enclave/content.js';
import { toHex } from '../../src/arch/x86/sgx/bytes.js';
import { refMrenclave, refRecords, refTcs, type RefPage } from './ref-stream.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const examples = join(root, 'examples');

function measureText(yamlText: string, files: Record<string, Uint8Array> = {}) {
  const { manifest } = parseManifest(yamlText, 'test.yaml');
  return measureManifest(manifest, contentReaderFromFiles((p) => {
    const f = files[p];
    if (!f) throw new Error(`${p}: no such file`);
    return f;
  }), nodeCrypto);
}

describe('measureManifest', () => {
  it('the reference enclave: two TCS, RX text from a file, RW pattern data, measured SSA, unmeasured heap', () => {
    const path = join(examples, 'reference-enclave.yaml');
    const { manifest, warnings } = parseManifest(readFileSync(path, 'utf8'), path);
    expect(warnings).toEqual([]);
    const text = new Uint8Array(readFileSync(join(examples, 'reference-enclave.text.bin')));
    expect(text.length).toBe(8192);
    const got = measureManifest(manifest, contentReaderFromFiles((p) => new Uint8Array(readFileSync(join(examples, p)))), nodeCrypto);

    const data = new Uint8Array(4096);
    const rep = Buffer.from('SGXSIM-D');
    for (let i = 0; i < 4096; i++) data[i] = rep[i % 8];
    const pages: RefPage[] = [
      { off: 0x0n, flags: 0x100n, data: refTcs({ ossa: 0x8000n, nssa: 2, oentry: 0x2000n }) },
      { off: 0x1000n, flags: 0x100n, data: refTcs({ ossa: 0xa000n, nssa: 2, oentry: 0x2000n }) },
      { off: 0x2000n, flags: 0x205n, data: text.subarray(0, 4096) },
      { off: 0x3000n, flags: 0x205n, data: text.subarray(4096) },
      { off: 0x4000n, flags: 0x203n, data },
      { off: 0x5000n, flags: 0x203n, data },
      ...[0x8000n, 0x9000n, 0xa000n, 0xb000n].map((off) => ({ off, flags: 0x203n, data: new Uint8Array(4096) })),
      ...Array.from({ length: 16 }, (_, i) => ({ off: 0x10000n + BigInt(i * 4096), flags: 0x203n })),
    ];
    expect(toHex(got.mrenclave)).toBe(refMrenclave(1, 0x20000n, pages));
    expect(got.pages).toBe(26);
    expect(got.measuredPages).toBe(10);
    expect(got.updateCount * 64).toBe(refRecords(1, 0x20000n, pages).length);
  });

  it('sparse layouts with holes, unaligned file tails (zero filled) and all pattern kinds', () => {
    const file = new Uint8Array(4096 + 100).map((_, i) => (i * 13) & 0xff);
    const y = `
version: 1
enclave: { size: 0x100000, ssa_frame_size: 2 }
segments:
  - { name: a, offset: 0x40000, size: 8K, perms: RWX, contents: { file: f.bin } }
  - { name: b, offset: 0x10000, size: 4K, perms: R, contents: { pattern: { fill: 0xab } } }
  - { name: c, offset: 0xff000, size: 4K, perms: RW, contents: { pattern: { repeat: "010203" } } }
  - { name: d, offset: 0x80000, size: 8K, perms: RW, measure: false }
`;
    const got = measureText(y, { 'f.bin': file });
    const tail = new Uint8Array(4096);
    tail.set(file.subarray(4096));
    const rep = new Uint8Array(4096).map((_, i) => [1, 2, 3][i % 3]);
    const pages: RefPage[] = [
      { off: 0x10000n, flags: 0x201n, data: new Uint8Array(4096).fill(0xab) },
      { off: 0x40000n, flags: 0x207n, data: file.subarray(0, 4096) },
      { off: 0x41000n, flags: 0x207n, data: tail },
      { off: 0x80000n, flags: 0x203n },
      { off: 0x81000n, flags: 0x203n },
      { off: 0xff000n, flags: 0x203n, data: rep },
    ];
    expect(toHex(got.mrenclave)).toBe(refMrenclave(2, 0x100000n, pages));
  });

  it('a TCS from a file is measured as EADD stores it (DBGOPTIN, CSSA, AEP, STATE zeroed: SDM EADD)', () => {
    const raw = refTcs({ ossa: 0x2000n, nssa: 1, oentry: 0x1000n });
    const dirty = Uint8Array.from(raw);
    dirty[0] = 0x55; // STATE
    dirty[8] = 0x03; // FLAGS: DBGOPTIN | AEXNOTIFY
    dirty[24] = 7; // CSSA
    dirty[40] = 0x99; // AEP
    const got = measureText(`
version: 1
enclave: { size: 0x4000 }
segments:
  - { offset: 0, type: TCS, contents: { file: tcs.bin } }
`, { 'tcs.bin': dirty });
    const stored = Uint8Array.from(raw);
    stored[8] = 0x02; // AEXNOTIFY survives, DBGOPTIN cleared
    expect(toHex(got.mrenclave)).toBe(refMrenclave(1, 0x4000n, [{ off: 0n, flags: 0x100n, data: stored }]));
  });

  it('TCS permissions in the manifest are measured as 0 (SDM EADD forces R/W/X off)', () => {
    const r = parseManifest(`
version: 1
enclave: { size: 0x4000 }
segments:
  - { offset: 0, type: TCS, perms: RW, tcs: { ossa: 0x1000, nssa: 1, oentry: 0 } }
`, 't.yaml');
    expect(r.warnings.map((w) => w.message).join()).toMatch(/TCS has no permissions/);
    const got = measureManifest(r.manifest, contentReaderFromFiles(() => new Uint8Array()), nodeCrypto);
    expect(toHex(got.mrenclave)).toBe(refMrenclave(1, 0x4000n, [{ off: 0n, flags: 0x100n, data: refTcs({ ossa: 0x1000n, nssa: 1, oentry: 0n }) }]));
  });

  it('a file too short for its segment is an error naming the manifest line', () => {
    expect(() => measureText(`
version: 1
enclave: { size: 0x4000 }
segments:
  - { offset: 0, size: 8K, perms: R, contents: { file: f.bin } }
`, { 'f.bin': new Uint8Array(4096) })).toThrow(/^test\.yaml:5:5: segment 'segment0': f\.bin is 4096 bytes; .* need at least 4097$/);
  });

  it('a missing file is an error naming the manifest line', () => {
    expect(() => measureText(`
version: 1
enclave: { size: 0x4000 }
segments:
  - { offset: 0, size: 4K, perms: R, contents: { file: nope.bin } }
`)).toThrow(/^test\.yaml:5:5: segment 'segment0': nope\.bin: no such file$/);
  });
});
