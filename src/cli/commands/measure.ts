// `sgxsim measure MANIFEST.yaml|FILE.sgxs`: MRENCLAVE of an enclave image, streamed page by
// page (the enclave is never materialised). The last line printed is MRENCLAVE in hex.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { ManifestError, formatDiagnostic, parseManifest, type EnclaveManifest, type ManifestDiagnostic } from '../../enclave/manifest.js';
import { measureManifest } from '../../enclave/measure.js';
import { checkFiles } from '../../enclave/layout.js';
import { ContentError, type ContentReader } from '../../enclave/content.js';
import type { MeasurementRecord } from '../../arch/x86/sgx/measure.js';
import { SgxsError, SgxsScanner, formatRecord, type SgxsRecord } from '../../arch/x86/sgx/sgxs.js';
import { toHex } from '../../arch/x86/sgx/bytes.js';
import { EXIT_USAGE, UsageError } from '../errors.js';

const READ_CHUNK = 1 << 20;

function ioMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return err.message ?? String(e);
  }
}

/**
 * File contents for a manifest, resolved against the manifest's directory, read with a 1 MiB
 * read-ahead window per file (one read(2) per MiB, not per page).
 */
export class NodeContentReader implements ContentReader {
  private readonly files = new Map<string, { fd: number; size: number; buf: Uint8Array; bufPos: number; bufLen: number }>();
  constructor(private readonly baseDir: string) {}

  private open(path: string) {
    let f = this.files.get(path);
    if (!f) {
      const full = isAbsolute(path) ? path : resolve(this.baseDir, path);
      let fd: number;
      try {
        fd = openSync(full, 'r');
      } catch (e) {
        throw new ContentError(`${path}: ${ioMessage(e)}`);
      }
      const st = fstatSync(fd);
      if (st.isDirectory()) {
        closeSync(fd);
        throw new ContentError(`${path}: is a directory`);
      }
      f = { fd, size: st.size, buf: new Uint8Array(READ_CHUNK), bufPos: 0, bufLen: 0 };
      this.files.set(path, f);
    }
    return f;
  }

  size(path: string): number {
    return this.open(path).size;
  }

  readAt(path: string, position: number, dst: Uint8Array): number {
    const f = this.open(path);
    let done = 0;
    while (done < dst.length && position + done < f.size) {
      const p = position + done;
      if (p < f.bufPos || p >= f.bufPos + f.bufLen) {
        f.bufPos = p;
        f.bufLen = readSync(f.fd, f.buf, 0, f.buf.length, p);
        if (f.bufLen === 0) break;
      }
      const from = p - f.bufPos;
      const n = Math.min(dst.length - done, f.bufLen - from);
      dst.set(f.buf.subarray(from, from + n), done);
      done += n;
    }
    return done;
  }

  close(): void {
    for (const f of this.files.values()) closeSync(f.fd);
    this.files.clear();
  }
}

/** Read a text file for the CLI, with a one-line error. */
export function readTextFile(path: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new UsageError(`${path}: cannot read the ${what}: ${ioMessage(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UsageError(`${path}: cannot read the ${what}: is a directory`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Whether `path` holds an SGXS stream (by extension, else by its first tag). */
export function looksLikeSgxs(path: string): boolean {
  if (/\.(sgxs|esgxs)$/i.test(path)) return true;
  if (/\.(ya?ml)$/i.test(path)) return false;
  try {
    const fd = openSync(path, 'r');
    try {
      const b = Buffer.alloc(8);
      const n = readSync(fd, b, 0, 8, 0);
      const tag = b.subarray(0, n).toString('latin1');
      return tag === 'ECREATE\0' || tag === 'UNSIZED\0';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * Parse a manifest file, printing its warnings to stderr. Manifest errors are printed as
 * file:line:col lines and reported by returning null (the caller exits with code 2).
 */
export function loadManifest(path: string, quiet = false): { manifest: EnclaveManifest; warnings: readonly ManifestDiagnostic[] } | null {
  const text = readTextFile(path, 'manifest');
  try {
    const r = parseManifest(text, path);
    if (!quiet) for (const w of r.warnings) process.stderr.write(`warning: ${formatDiagnostic(w)}\n`);
    return r;
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return null;
  }
}

export interface MeasureResult {
  kind: 'manifest' | 'sgxs';
  mrenclave: Uint8Array;
  size: bigint;
  ssaFrameSize: number;
  pages?: number;
  measuredPages?: number;
  updateCount?: number;
  records?: { ecreate: number; eadd: number; eextend: number; unmeasured: number };
  canonical?: boolean;
  violations?: readonly string[];
  warnings: string[];
  manifest?: EnclaveManifest;
}

type AnyRecord = MeasurementRecord | SgxsRecord;

/** Measure a manifest or SGXS file. Returns null after printing manifest errors. Throws UsageError for other bad input. */
export function measureFile(
  path: string,
  opts: { onRecord?: (r: AnyRecord) => void; exportSgxs?: string; quiet?: boolean } = {},
): MeasureResult | null {
  if (looksLikeSgxs(path)) {
    if (opts.exportSgxs) throw new UsageError('--export-sgxs needs a manifest as input (the input is already an SGXS stream)');
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new UsageError(`${path}: ${ioMessage(e)}`);
    }
    try {
      const scanner = new SgxsScanner(nodeCrypto, opts.onRecord);
      const buf = new Uint8Array(READ_CHUNK);
      let pos = 0;
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, buf.length, pos);
        } catch (e) {
          throw new UsageError(`${path}: ${ioMessage(e)}`);
        }
        if (n === 0) break;
        scanner.push(buf.subarray(0, n));
        pos += n;
      }
      const s = scanner.end();
      const warnings = s.violations.map((v) => `${path}: not canonical (doc/SGXS.md): ${v}`);
      if (!opts.quiet) for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      return { kind: 'sgxs', mrenclave: s.mrenclave, size: s.size, ssaFrameSize: s.ssaFrameSize, records: s.counts, canonical: s.canonical, violations: s.violations, warnings };
    } catch (e) {
      if (e instanceof SgxsError) throw new UsageError(`${path}: ${e.message}`);
      throw e;
    } finally {
      closeSync(fd);
    }
  }
  const loaded = loadManifest(path, opts.quiet);
  if (!loaded) return null;
  const { manifest } = loaded;
  const reader = new NodeContentReader(dirname(path));
  let out: number | undefined;
  if (opts.exportSgxs) {
    try {
      out = openSync(opts.exportSgxs, 'w');
    } catch (e) {
      reader.close();
      throw new UsageError(`${opts.exportSgxs}: ${ioMessage(e)}`);
    }
  }
  try {
    const problems = checkFiles(manifest, reader);
    if (problems.length) {
      for (const p of problems) process.stderr.write(`${p}\n`);
      return null;
    }
    const tap = out === undefined ? undefined : (b: Uint8Array) => void writeAll(out!, b);
    const m = measureManifest(manifest, reader, nodeCrypto, { log: opts.onRecord, tap });
    return {
      kind: 'manifest',
      mrenclave: m.mrenclave,
      size: manifest.size,
      ssaFrameSize: manifest.ssaFrameSize,
      pages: m.pages,
      measuredPages: m.measuredPages,
      updateCount: m.updateCount,
      warnings: loaded.warnings.map(formatDiagnostic),
      manifest,
    };
  } catch (e) {
    // A file that changed or failed while it was read (its size was checked above).
    if (e instanceof ContentError) throw new UsageError(e.message);
    throw e;
  } finally {
    reader.close();
    if (out !== undefined) closeSync(out);
  }
}

let epipeHandler = false;
/** `sgxsim measure … --log | head`: stop quietly when the reader goes away. */
function quitOnEpipe(): void {
  if (epipeHandler) return;
  epipeHandler = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

function recordJson(r: AnyRecord): Record<string, unknown> {
  const o: Record<string, unknown> = { kind: r.kind };
  if ('ssaFrameSize' in r) o.ssaFrameSize = r.ssaFrameSize;
  if ('size' in r) o.size = `0x${r.size.toString(16)}`;
  if ('sizeOffset' in r) o.sizeOffset = `0x${r.sizeOffset.toString(16)}`;
  if ('offset' in r) o.offset = `0x${r.offset.toString(16)}`;
  if ('secinfoFlags' in r) o.secinfoFlags = `0x${r.secinfoFlags.toString(16)}`;
  if ('data' in r) o.data = toHex(r.data);
  return o;
}

export function register(program: Command): void {
  program
    .command('measure')
    .description(
      'Compute MRENCLAVE of an enclave image: a YAML manifest (docs/manifest-format.md) or a Fortanix SGXS ' +
        'stream. The image is streamed page by page. The last line printed is MRENCLAVE (64 hex digits).',
    )
    .argument('<input>', 'enclave manifest (.yaml) or SGXS stream (.sgxs)')
    .option('--log', 'list every measurement record (ECREATE, EADD, EEXTEND) like `sgxs-info list-all`')
    .option('--export-sgxs <file>', 'also write the measured record stream as an SGXS file (manifest input)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  sgxsim measure examples/reference-enclave.yaml\n  sgxsim measure enclave.yaml --log | less\n' +
        '  sgxsim measure enclave.yaml --export-sgxs enclave.sgxs && sha256sum enclave.sgxs\n',
    )
    .action((input: string, opts: { log?: boolean; json?: boolean; exportSgxs?: string }) => {
      quitOnEpipe();
      const lines: string[] = [];
      const jsonRecords: Record<string, unknown>[] = [];
      let pending = '';
      const flush = () => {
        if (pending) process.stdout.write(pending);
        pending = '';
      };
      const onRecord = opts.log
        ? opts.json
          ? (r: AnyRecord) => void jsonRecords.push(recordJson(r))
          : (r: AnyRecord) => {
              pending += formatRecord(r) + '\n';
              if (pending.length > 1 << 16) flush();
            }
        : undefined;
      const res = measureFile(input, { onRecord, exportSgxs: opts.exportSgxs, quiet: opts.json });
      if (!res) {
        process.exitCode = EXIT_USAGE;
        return;
      }
      flush();
      const mr = toHex(res.mrenclave);
      if (opts.json) {
        const o: Record<string, unknown> = {
          input,
          kind: res.kind,
          size: `0x${res.size.toString(16)}`,
          ssaFrameSize: res.ssaFrameSize,
        };
        if (res.kind === 'manifest') Object.assign(o, { pages: res.pages, measuredPages: res.measuredPages, updateCount: res.updateCount });
        else Object.assign(o, { records: res.records, canonical: res.canonical, violations: res.violations });
        o.warnings = res.warnings;
        if (opts.log) o.log = jsonRecords;
        o.mrenclave = mr;
        process.stdout.write(JSON.stringify(o, null, 2) + '\n');
        return;
      }
      if (!opts.log) {
        if (res.kind === 'manifest') lines.push(`${input}: SECS.SIZE 0x${res.size.toString(16)}, SSAFRAMESIZE ${res.ssaFrameSize}, ${res.pages} pages (${res.measuredPages} measured)`);
        else lines.push(`${input}: SGXS, SECS.SIZE 0x${res.size.toString(16)}, SSAFRAMESIZE ${res.ssaFrameSize}, ${res.records!.eadd} EADD, ${res.records!.eextend} EEXTEND${res.canonical ? '' : ' (not canonical)'}`);
        if (opts.exportSgxs) lines.push(`wrote ${opts.exportSgxs}`);
      }
      lines.push(mr);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
