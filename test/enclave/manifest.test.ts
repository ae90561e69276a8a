// Manifest parsing: values, defaults, and errors reported as file:line:col.
import { describe, expect, it } from 'vitest';
import { ManifestError, formatDiagnostic, parseManifest, parseUintLiteral, resolveManifestPath } from '../../src/enclave/manifest.js';

function errors(text: string): string[] {
  try {
    parseManifest(text, 'm.yaml');
  } catch (e) {
    if (e instanceof ManifestError) return e.diagnostics.map(formatDiagnostic);
    throw e;
  }
  throw new Error('expected a ManifestError');
}

const MIN = `version: 1
enclave:
  size: 0x4000
segments:
  - { offset: 0, size: 4K, perms: R }
`;

describe('parseManifest', () => {
  it('reads every field, with defaults', () => {
    const { manifest: m, warnings } = parseManifest(`
version: 1
enclave:
  size: 1G
  base: 0x7f0000000000
  ssa_frame_size: 2
  attributes: [MODE64BIT, DEBUG]
  xfrm: 0xe7
  miscselect: 1
  isvprodid: 0x20
  isvsvn: 7
signing:
  vendor: 0x8086
  date: 20240811
  swdefined: 16
  miscmask: 0xffffffff
  attributes_mask: 0xff00ffffffffffff
  xfrm_mask: 0xffffffffffffff1b
segments:
  - name: t
    offset: 0
    type: tcs
    tcs: { ossa: 0x2000, nssa: 1, oentry: 0x1000, flags: 2, ofsbase: 0x100, ogsbase: 0x200, fslimit: 0x1fff, gslimit: 0x2fff }
  - { name: code, offset: 0x1000, size: 4K, perms: rx, contents: { file: code.bin, offset: 0x3000 } }
  - { name: heap, offset: 256M, size: 1_048_576, perms: RW, measure: false }
`, 'x.yaml');
    expect(warnings).toEqual([]);
    expect(m.size).toBe(1n << 30n);
    expect(m.base).toBe(0x7f0000000000n);
    expect([m.ssaFrameSize, m.attributes, m.xfrm, m.miscselect, m.isvProdId, m.isvSvn]).toEqual([2, 6n, 0xe7n, 1, 0x20, 7]);
    expect(m.signing).toEqual({ vendor: 0x8086, date: 0x20240811, swdefined: 16, miscmask: 0xffffffff, attributesMask: 0xff00ffffffffffffn, xfrmMask: 0xffffffffffffff1bn });
    expect(m.segments.map((s) => [s.name, s.offset, s.size, s.type, s.secinfoFlags, s.measured])).toEqual([
      ['t', 0n, 4096n, 'TCS', 0x100n, true],
      ['code', 0x1000n, 4096n, 'REG', 0x205n, true],
      ['heap', 0x10000000n, 0x100000n, 'REG', 0x203n, false],
    ]);
    expect(m.segments[0].contents).toEqual({ kind: 'tcs', tcs: { flags: 2n, ossa: 0x2000n, nssa: 1, oentry: 0x1000n, ofsbase: 0x100n, ogsbase: 0x200n, fslimit: 0x1fff, gslimit: 0x2fff } });
    expect(m.segments[1].contents).toEqual({ kind: 'file', path: 'code.bin', offset: 0x3000n });
    expect(m.segments[2].contents).toEqual({ kind: 'zero' });
  });

  it('defaults: base chosen by the loader, SSA 1 page, MODE64BIT, XFRM 3, everything else 0', () => {
    const { manifest: m } = parseManifest(MIN, 'm.yaml');
    expect([m.base, m.ssaFrameSize, m.attributes, m.xfrm, m.miscselect, m.isvProdId, m.isvSvn]).toEqual([null, 1, 4n, 3n, 0, 0, 0]);
    expect(m.signing).toEqual({ vendor: null, date: null, swdefined: null, miscmask: null, attributesMask: null, xfrmMask: null });
    expect(m.segments[0].name).toBe('segment0');
  });

  it('sorts segments by offset (load order) and keeps their manifest index', () => {
    const { manifest: m } = parseManifest(`version: 1
enclave: { size: 0x10000 }
segments:
  - { name: b, offset: 0x8000, size: 4K, perms: R }
  - { name: a, offset: 0x1000, size: 4K, perms: R }
`, 'm.yaml');
    expect(m.segments.map((s) => [s.name, s.index])).toEqual([['a', 1], ['b', 0]]);
  });

  it('YAML syntax errors carry their position', () => {
    expect(errors('version: 1\nenclave: [1,\n')[0]).toMatch(/^m\.yaml:\d+:\d+: /);
  });

  it('type errors point at the value', () => {
    expect(errors(MIN.replace('size: 0x4000', 'size: big'))).toEqual([
      'm.yaml:3:9: enclave.size: expected an unsigned integer (decimal, 0x hex, or with a K/M/G/T suffix), got "big"',
    ]);
    expect(errors(MIN.replace('perms: R', 'perms: RQ'))).toEqual([
      'm.yaml:5:35: perms: expected letters from R, W, X (e.g. "RX", "RW"), or "-" for none, got "RQ"',
    ]);
  });

  it('unknown fields point at the key', () => {
    expect(errors(MIN.replace('  size: 0x4000', '  size: 0x4000\n  sise: 1'))).toEqual(['m.yaml:4:3: enclave.sise: unknown field']);
  });

  it('missing required fields point at the enclosing mapping', () => {
    expect(errors('version: 1\nenclave: {}\nsegments:\n  - { offset: 0, size: 4K, perms: R }\n')).toEqual([
      'm.yaml:2:10: enclave.size: required field missing',
    ]);
  });

  it('wrong version', () => {
    expect(errors(MIN.replace('version: 1', 'version: 2'))).toEqual(['m.yaml:1:10: version: this sgxsim reads manifest version 1']);
  });

  it('numbers out of range', () => {
    expect(errors(MIN.replace('size: 0x4000', 'size: 0x4000\n  isvsvn: 65536'))).toEqual(['m.yaml:4:11: enclave.isvsvn: 65536 does not fit in 16 bits']);
  });

  it('layout errors: alignment, overlap, bounds, duplicate names, file offsets', () => {
    const e = errors(`version: 1
enclave: { size: 0x10000 }
segments:
  - { name: a, offset: 0x100, size: 4K, perms: R }
  - { name: b, offset: 0x2000, size: 8K, perms: R }
  - { name: c, offset: 0x3000, size: 4K, perms: R }
  - { name: b, offset: 0xf000, size: 8K, perms: R, contents: { file: x, offset: 12 } }
  - { name: d, offset: 0x5000, size: 100, perms: R }
`);
    expect(e).toEqual([
      "m.yaml:4:24: segment 'a': offset 0x100 is not page aligned",
      "m.yaml:6:5: segment 'c' at 0x3000 overlaps segment 'b' [0x2000, 0x4000)",
      'm.yaml:7:13: segment name \'b\' is used twice',
      "m.yaml:7:24: segment 'b' [0xf000, 0x11000) extends past the enclave size 0x10000",
      "m.yaml:7:81: segment 'b': file offset 0xc is not page aligned (loaders mmap the file)",
      "m.yaml:8:38: segment 'd': size 0x64 is not a positive multiple of 4096",
    ]);
  });

  it('REG segments need perms and a size; TCS fields only on TCS pages of one page', () => {
    expect(errors('version: 1\nenclave: { size: 0x4000 }\nsegments:\n  - { offset: 0, size: 4K }\n')).toEqual([
      "m.yaml:4:5: segment 'segment0': perms is required for a REG segment (e.g. perms: RX)",
    ]);
    expect(errors('version: 1\nenclave: { size: 0x4000 }\nsegments:\n  - { offset: 0, perms: R }\n')).toEqual([
      "m.yaml:4:5: segment 'segment0': size is required",
    ]);
    expect(errors('version: 1\nenclave: { size: 0x4000 }\nsegments:\n  - { offset: 0, size: 4K, type: REG, perms: R, tcs: { ossa: 0, nssa: 1, oentry: 0 } }\n')[0]).toMatch(/tcs: fields only apply to a TCS segment/);
    expect(errors('version: 1\nenclave: { size: 0x4000 }\nsegments:\n  - { offset: 0, size: 8K, tcs: { ossa: 0, nssa: 1, oentry: 0 } }\n')[0]).toMatch(/a TCS given by fields is one page/);
    expect(errors('version: 1\nenclave: { size: 0x4000 }\nsegments:\n  - { offset: 0, type: TCS }\n')[0]).toMatch(/a TCS needs tcs: fields or contents/);
  });

  it('what hardware or Linux would reject is a warning, not an error (loaders may demonstrate failures)', () => {
    const { warnings } = parseManifest(`version: 1
enclave: { size: 0x3000, base: 0x100000000, ssa_frame_size: 0, attributes: 0x109, xfrm: 1 }
segments:
  - { offset: 0, size: 4K, perms: W }
  - { offset: 0x1000, type: TCS, tcs: { ossa: 0x10, nssa: 1, oentry: 0, fslimit: 0 } }
`, 'w.yaml');
    expect(warnings.map(formatDiagnostic)).toEqual([
      'w.yaml:2:18: enclave.size 0x3000: ECREATE requires a power of two >= 0x2000 (#GP)',
      'w.yaml:2:32: enclave.base above 4 GiB without MODE64BIT: ECREATE would #GP',
      'w.yaml:2:89: enclave.xfrm must have bits 0 and 1 (x87, SSE) set: ECREATE would #GP',
      'w.yaml:2:76: attributes.INIT is set by EINIT, not by software: ECREATE would #GP',
      'w.yaml:2:76: attributes 0x109 sets reserved bits (0x108): ECREATE would #GP',
      'w.yaml:2:61: enclave.ssa_frame_size 0 cannot hold the GPRs and XSAVE area: ECREATE would #GP',
      "w.yaml:4:35: segment 'segment0': W without R: EADD would #GP (Linux: EINVAL)",
      "w.yaml:5:39: segment 'segment1': without MODE64BIT, fslimit/gslimit must end in 0xfff: EADD would #GP",
      "w.yaml:5:47: segment 'segment1': tcs.ossa is not page aligned (EENTER would #GP)",
    ]);
  });

  it('attribute names are checked', () => {
    expect(errors(MIN.replace('size: 0x4000', 'size: 0x4000\n  attributes: [DEBUGG]'))[0]).toMatch(/unknown attribute "DEBUGG"/);
  });

  it('pattern forms', () => {
    const { manifest: m } = parseManifest(`version: 1
enclave: { size: 0x4000 }
segments:
  - { offset: 0, size: 4K, perms: R, contents: { pattern: { fill: 0xcc } } }
  - { offset: 0x1000, size: 4K, perms: R, contents: { pattern: { repeat: "0x90 c3" } } }
  - { offset: 0x2000, size: 4K, perms: R, contents: { pattern: { random: 7 } } }
`, 'p.yaml');
    expect(m.segments.map((s) => s.contents)).toEqual([
      { kind: 'pattern', pattern: { kind: 'fill', value: 0xcc } },
      { kind: 'pattern', pattern: { kind: 'repeat', bytes: Uint8Array.from([0x90, 0xc3]) } },
      { kind: 'pattern', pattern: { kind: 'random', seed: 7 } },
    ]);
    expect(errors(MIN.replace('perms: R', 'perms: R, contents: { pattern: { repeat: "abc" } }'))).toEqual([
      'm.yaml:5:69: pattern.repeat: expected hex bytes like "90c3", got "abc"',
    ]);
    expect(errors(MIN.replace('perms: R', 'perms: R, contents: { pattern: { fill: 256 } }'))).toEqual(['m.yaml:5:67: pattern.fill: 256 does not fit in 8 bits']);
    expect(errors(MIN.replace('perms: R', 'perms: R, contents: { pattern: { sine: 1 } }'))[0]).toMatch(/^m\.yaml:5:59: pattern: expected \{fill: …\}, \{repeat: …\}, \{random: …\}, got a mapping$/);
    expect(errors(MIN.replace('perms: R', 'perms: R, contents: { file: a, offst: 1 }'))).toEqual(['m.yaml:5:59: segments[0].contents.offst: unknown field']);
    expect(errors(MIN.replace('perms: R', 'perms: R, contents: ones'))[0]).toMatch(/contents: expected \{file: …\}, \{pattern: …\} or "zero", got "ones"/);
  });

  it('aliases and complex keys', () => {
    expect(errors('version: 1\nenclave: *e\n')).toEqual(['m.yaml:2:10: unresolved alias *e']);
    expect(errors('version: 1\n? [a]\n: 1\n')).toEqual(['m.yaml:2:3: mapping keys must be plain names, not lists or mappings']);
    // anchors and aliases that resolve are fine
    const { manifest } = parseManifest(MIN.replace('segments:\n  - { offset: 0, size: 4K, perms: R }', 'segments:\n  - &s { offset: 0, size: 4K, perms: R }\n  - { <<: *s, offset: 0x1000 }'), 'a.yaml');
    expect(manifest.segments).toHaveLength(2);
  });

  it('a document that is not a mapping', () => {
    expect(errors('- 1\n- 2\n')).toEqual(['m.yaml:1:1: a manifest is a YAML mapping with version, enclave and segments']);
  });
});

describe('helpers', () => {
  it('parseUintLiteral', () => {
    expect(parseUintLiteral('0x1_000')).toBe(4096n);
    expect(parseUintLiteral('4K')).toBe(4096n);
    expect(parseUintLiteral('2GiB')).toBe(2n << 30n);
    expect(parseUintLiteral(12n)).toBe(12n);
    expect(parseUintLiteral(-1n)).toBeNull();
    expect(parseUintLiteral('1.5K')).toBeNull();
    expect(parseUintLiteral('0x')).toBeNull();
    expect(parseUintLiteral(1.5)).toBeNull();
  });
  it('resolveManifestPath', () => {
    expect(resolveManifestPath('examples/a.yaml', 'x.bin')).toBe('examples/x.bin');
    expect(resolveManifestPath('a.yaml', 'x.bin')).toBe('x.bin');
    expect(resolveManifestPath('/d/a.yaml', '/abs/x.bin')).toBe('/abs/x.bin');
  });
});

describe('robustness: bad input gives ManifestError, never a crash', () => {
  it('random text', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (t) => {
        try {
          parseManifest(t, 'r.yaml');
        } catch (e) {
          expect(e).toBeInstanceOf(ManifestError);
          expect((e as ManifestError).message).toMatch(/^r\.yaml:\d+:\d+: /);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('random structures with the right keys', async () => {
    const fc = (await import('fast-check')).default;
    const { stringify } = await import('yaml');
    const val = fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null), fc.bigInt({ min: -1n, max: 1n << 70n }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), fc.constantFrom('4K', '0x1000', 'RX', 'zero', 'TCS', 'reg'));
    const seg = fc.record(
      { name: val, offset: val, size: val, type: val, perms: val, measure: val, contents: fc.oneof(val, fc.record({ file: val, offset: val }, { requiredKeys: [] }), fc.record({ pattern: fc.oneof(val, fc.record({ fill: val, repeat: val, random: val }, { requiredKeys: [] })) })), tcs: fc.oneof(val, fc.record({ ossa: val, nssa: val, oentry: val, fslimit: val }, { requiredKeys: [] })) },
      { requiredKeys: [] },
    );
    const doc = fc.record(
      { version: fc.oneof(fc.constant(1), val), enclave: fc.oneof(val, fc.record({ size: val, base: val, ssa_frame_size: val, attributes: val, xfrm: val, miscselect: val, isvprodid: val, isvsvn: val }, { requiredKeys: [] })), signing: fc.oneof(val, fc.record({ date: val, vendor: val, miscmask: val, xfrm_mask: val }, { requiredKeys: [] })), segments: fc.oneof(val, fc.array(seg, { maxLength: 4 })) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(doc, (d) => {
        const text = stringify(d, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
        try {
          parseManifest(text, 'r.yaml');
        } catch (e) {
          expect(e).toBeInstanceOf(ManifestError);
          for (const diag of (e as ManifestError).diagnostics) expect(diag.loc.line).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
