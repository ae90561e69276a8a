// `sgxsim measure`: last line is MRENCLAVE; --log, --json, SGXS export/import, bad input.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './measure.harness.js';
import { refMrenclave, refTcs, type RefPage } from '../enclave/ref-stream.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REF = join(root, 'examples/reference-enclave.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'sgxsim-measure-'));

/** The reference enclave's MRENCLAVE, from the independent record tables. */
function expectedReference(): string {
  const text = new Uint8Array(readFileSync(join(root, 'examples/reference-enclave.text.bin')));
  const data = new Uint8Array(4096).map((_, i) => 'SGXSIM-D'.charCodeAt(i % 8));
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
  return refMrenclave(1, 0x20000n, pages);
}

const lastLine = (s: string) => s.trimEnd().split('\n').at(-1);

describe('sgxsim measure', () => {
  const want = expectedReference();

  it('prints MRENCLAVE of a manifest as the last line (64 lowercase hex digits)', async () => {
    const r = await runCli('measure', REF);
    expect(r.code).toBe(0);
    expect(lastLine(r.stdout)).toBe(want);
    expect(lastLine(r.stdout)).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stderr).toBe('');
  });

  it('--log lists every record like sgxs-info list-all, then MRENCLAVE', async () => {
    const r = await runCli('measure', REF, '--log');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('ECREATE size=0x20000 ssaframesize=1');
    expect(lines[1]).toBe('EADD offset=0x       0 pagetype=1 flags=(empty)');
    expect(lines.filter((l) => l.startsWith('EADD'))).toHaveLength(26);
    expect(lines.filter((l) => l.startsWith('EEXTEND'))).toHaveLength(160);
    expect(lines).toContain('EADD offset=0x    2000 pagetype=2 flags=R | X');
    expect(lines.at(-1)).toBe(want);
  });

  it('--json', async () => {
    const r = await runCli('measure', REF, '--json');
    const o = JSON.parse(r.stdout);
    expect(o).toMatchObject({ kind: 'manifest', size: '0x20000', ssaFrameSize: 1, pages: 26, measuredPages: 10, mrenclave: want, warnings: [] });
    expect(o.updateCount).toBe(1 + 26 + 10 * 80);
    const l = JSON.parse((await runCli('measure', REF, '--json', '--log')).stdout);
    expect(l.log[0]).toEqual({ kind: 'ECREATE', ssaFrameSize: 1, size: '0x20000' });
    expect(l.log[1]).toEqual({ kind: 'EADD', offset: '0x0', secinfoFlags: '0x100' });
    expect(l.log[2].data).toHaveLength(512);
  });

  it('exports SGXS (sha256 of the file is MRENCLAVE) and measures SGXS input', async () => {
    const out = join(tmp, 'ref.sgxs');
    expect((await runCli('measure', REF, '--export-sgxs', out)).code).toBe(0);
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(want);
    const r = await runCli('measure', out);
    expect(r.code).toBe(0);
    expect(lastLine(r.stdout)).toBe(want);
    expect(r.stdout).toContain('26 EADD, 160 EEXTEND');
    const lg = await runCli('measure', out, '--log');
    expect(lg.stdout.split('\n')[0]).toBe('ECREATE size=0x20000 ssaframesize=1');
  });

  it('manifest errors: file:line:col on stderr, exit 2', async () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nenclave:\n  size: huge\nsegments:\n  - { offset: 0, size: 4K, perms: R }\n');
    const r = await runCli('measure', bad);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${bad}:3:9: enclave.size: expected an unsigned integer (decimal, 0x hex, or with a K/M/G/T suffix), got "huge"\n`);
  });

  it('warnings go to stderr and do not stop the measurement', async () => {
    const w = join(tmp, 'w.yaml');
    writeFileSync(w, 'version: 1\nenclave:\n  size: 0x3000\nsegments:\n  - { offset: 0, size: 4K, perms: R }\n');
    const r = await runCli('measure', w);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`warning: ${w}:3:9: enclave.size 0x3000: ECREATE requires a power of two >= 0x2000 (#GP)\n`);
    expect(lastLine(r.stdout)).toBe(refMrenclave(1, 0x3000n, [{ off: 0n, flags: 0x201n, data: new Uint8Array(4096) }]));
  });

  it('missing inputs and content files, short files, malformed SGXS: exit 2 with one line each', async () => {
    let r = await runCli('measure', join(tmp, 'nope.yaml'));
    expect([r.code, r.stderr]).toEqual([2, `sgxsim: ${join(tmp, 'nope.yaml')}: cannot read the manifest: no such file\n`]);
    const m = join(tmp, 'f.yaml');
    writeFileSync(m, 'version: 1\nenclave: { size: 0x4000 }\nsegments:\n  - { offset: 0, size: 8K, perms: R, contents: { file: data.bin } }\n');
    r = await runCli('measure', m);
    expect([r.code, r.stderr]).toEqual([2, `${m}:4:5: segment 'segment0': data.bin: no such file\n`]);
    writeFileSync(join(tmp, 'data.bin'), Buffer.alloc(100));
    r = await runCli('measure', m);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/data\.bin is 100 bytes; .* need at least 4097/);
    const s = join(tmp, 'bad.sgxs');
    writeFileSync(s, Buffer.from('ECREATE\0short'));
    r = await runCli('measure', s);
    expect([r.code, r.stderr]).toEqual([2, `sgxsim: ${s}: byte 0: truncated record (13 bytes at the end of the stream)\n`]);
    r = await runCli('measure', s, '--export-sgxs', join(tmp, 'x.sgxs'));
    expect(r.code).toBe(2);
    mkdirSync(join(tmp, 'dir.sgxs'));
    r = await runCli('measure', join(tmp, 'dir.sgxs'));
    expect([r.code, r.stderr]).toEqual([2, `sgxsim: ${join(tmp, 'dir.sgxs')}: is a directory\n`]);
    r = await runCli('measure', tmp);
    expect([r.code, r.stderr]).toEqual([2, `sgxsim: ${tmp}: cannot read the manifest: is a directory\n`]);
  });

  it('--help', async () => {
    const r = await runCli('measure', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--export-sgxs');
  });
});
