// Differential test of the mm model against the host kernel (issue #2, "Checked against the real
// kernel"): fast-check generates sequences of mmap/mprotect/munmap/remap_file_pages/stores/loads/pwrite inside a
// reserved region; test/mm/differential/mmdiff.c runs them on the host (compiled with $CC, default
// `cc`, at test time) and the model runs them configured for the host's `uname -r` and CPU (PKU).
// Every call's result and the region's final /proc/self/maps must agree.
//   MMDIFF_RUNS (default 1000), MMDIFF_SEED (default 20190517), CC.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir, release, platform, arch } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runModel, opLine, type Op } from './differential/model_runner.js';
import {
  PROT_READ, PROT_SEM, PROT_GROWSDOWN, MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE,
  MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_NONBLOCK,
} from '../../src/abi/mman.js';

const RUNS = Number(process.env.MMDIFF_RUNS ?? 1000);
const SEED = Number(process.env.MMDIFF_SEED ?? 20190517);
const NP = 48; // region pages
const PAGE = 4096;
const HUGE = 2 ** 63;

function findCompiler(): string | null {
  const cc = process.env.CC ?? 'cc';
  const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? cc : null;
}

function hostPku(): boolean {
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags')) ?? '';
    return / pku( |$)/.test(flags) && / ospke( |$)/.test(flags);
  } catch {
    return false;
  }
}

// ---- generator ------------------------------------------------------------------------------

const page = fc.integer({ min: 0, max: NP - 1 });
const addrArb = fc.oneof(
  { weight: 19, arbitrary: page.map((p) => p * PAGE) },
  { weight: 1, arbitrary: fc.tuple(page, fc.integer({ min: 1, max: PAGE - 1 })).map(([p, o]) => p * PAGE + o) },
);
const pagesLen = fc.integer({ min: 1, max: 8 }).map((n) => n * PAGE);
const protArb = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0, max: 7 }) },
  { weight: 1, arbitrary: fc.constant(PROT_READ | PROT_SEM) },
);

const mmapArb: fc.Arbitrary<Op> = fc
  .record({
    mode: fc.constantFrom('fixed', 'fixed', 'fixed', 'noreplace', 'hint', 'null', 'fixed-unaligned'),
    p: page,
    lenKind: fc.constantFrom('pages', 'pages', 'pages', 'pages', 'pages', 'pages', 'pages', 'pages', 'zero', 'unaligned', 'huge'),
    lenPages: fc.integer({ min: 1, max: 8 }),
    extra: fc.integer({ min: 1, max: PAGE - 1 }),
    prot: protArb,
    type: fc.constantFrom(MAP_PRIVATE, MAP_PRIVATE, MAP_PRIVATE, MAP_SHARED, MAP_SHARED, MAP_SHARED_VALIDATE, 0, 0xf),
    src: fc.constantFrom('anon', 'anon', 'anon', 'anon', 'f1', 'f1', 'f1ro', 'memfd', 'memfd', 'badfd', 'anon-fd'),
    growsdown: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
    unknownFlag: fc.integer({ min: 0, max: 29 }).map((n) => n === 0),
    offPages: fc.integer({ min: 0, max: 7 }),
    offUnaligned: fc.integer({ min: 0, max: 39 }).map((n) => n === 0),
  })
  .map((r) => {
    let len = r.lenKind === 'pages' ? r.lenPages * PAGE : r.lenKind === 'zero' ? 0 : r.lenKind === 'unaligned' ? (r.lenPages - 1) * PAGE + r.extra : HUGE;
    // Keep every MAP_FIXED range inside the region.
    const startPage = Math.min(r.p, NP - Math.max(1, Math.ceil(Math.min(len, 8 * PAGE) / PAGE)));
    let addr = startPage * PAGE;
    if (r.mode === 'fixed-unaligned') addr += r.extra;
    if (len !== HUGE && addr + len > NP * PAGE) len = NP * PAGE - addr;
    let flags = r.type;
    if (r.mode === 'fixed' || r.mode === 'fixed-unaligned') flags |= MAP_FIXED;
    if (r.mode === 'noreplace') flags |= MAP_FIXED_NOREPLACE;
    if (r.src === 'anon' || r.src === 'anon-fd') flags |= MAP_ANONYMOUS;
    if (r.growsdown) flags |= MAP_GROWSDOWN;
    if (r.unknownFlag) flags |= 0x800000;
    const fdsel = r.src === 'f1' || r.src === 'anon-fd' ? 0 : r.src === 'f1ro' ? 1 : r.src === 'memfd' ? 2 : r.src === 'badfd' ? 3 : -1;
    const off = r.offPages * PAGE + (r.offUnaligned ? 100 : 0);
    return { op: 'M' as const, hint: (r.mode === 'null' ? 0 : 1) as 0 | 1, addr, len, prot: r.prot, flags, fdsel, off };
  });

const mprotectArb: fc.Arbitrary<Op> = fc
  .record({
    addr: addrArb,
    len: fc.oneof({ weight: 16, arbitrary: pagesLen }, { weight: 1, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 * PAGE }) }, { weight: 1, arbitrary: fc.constant(2 ** 62) }),
    prot: fc.oneof({ weight: 30, arbitrary: protArb }, { weight: 1, arbitrary: fc.constant(0x10 | PROT_READ) }, { weight: 1, arbitrary: fc.constant(PROT_GROWSDOWN | PROT_READ) }),
  })
  .map((r) => ({ op: 'P' as const, ...r }));

const munmapArb: fc.Arbitrary<Op> = fc
  .record({
    addr: addrArb,
    len: fc.oneof({ weight: 16, arbitrary: pagesLen }, { weight: 1, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 * PAGE }) }, { weight: 1, arbitrary: fc.constant(HUGE) }),
  })
  .map((r) => {
    const len = r.len !== HUGE && r.addr + r.len > NP * PAGE ? NP * PAGE - r.addr : r.len;
    return { op: 'U' as const, addr: r.addr, len };
  });

const byteAddr = fc.tuple(page, fc.integer({ min: 0, max: PAGE - 1 })).map(([p, o]) => p * PAGE + o);
const storeArb: fc.Arbitrary<Op> = fc.record({ addr: byteAddr, byte: fc.integer({ min: 0, max: 255 }) }).map((r) => ({ op: 'W' as const, ...r }));
const loadArb: fc.Arbitrary<Op> = byteAddr.map((addr) => ({ op: 'R' as const, addr }));
const pwriteArb: fc.Arbitrary<Op> = fc
  .record({ fdsel: fc.constantFrom(0, 0, 2, 2, 1), off: fc.integer({ min: 0, max: 8 * PAGE - 1 }), byte: fc.integer({ min: 0, max: 255 }) })
  .map((r) => ({ op: 'F' as const, ...r }));

// remap_file_pages(2): mostly valid (prot 0, a few pages, a small pgoff), sometimes not.
const remapArb: fc.Arbitrary<Op> = fc
  .record({
    addr: addrArb,
    size: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => n * PAGE) }, { weight: 1, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 * PAGE }) }),
    prot: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
    pgoff: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 7 }) }, { weight: 1, arbitrary: fc.constant(2 ** 53) }),
    flags: fc.constantFrom(0, 0, 0, MAP_NONBLOCK),
  })
  .map((r) => {
    const size = r.addr + r.size > NP * PAGE ? NP * PAGE - r.addr : r.size;
    return { op: 'X' as const, addr: r.addr, size, prot: r.prot, pgoff: r.pgoff, flags: r.flags };
  });

const opArb = fc.oneof(
  { weight: 40, arbitrary: mmapArb },
  { weight: 25, arbitrary: mprotectArb },
  { weight: 15, arbitrary: munmapArb },
  { weight: 12, arbitrary: storeArb },
  { weight: 6, arbitrary: loadArb },
  { weight: 3, arbitrary: pwriteArb },
  { weight: 4, arbitrary: remapArb },
);
// A shared file mapping at a fixed place, then remap_file_pages() on it (random addresses rarely
// hit a shared mapping).
const remapPairArb: fc.Arbitrary<Op[]> = fc
  .record({
    p: fc.integer({ min: 0, max: NP - 8 }),
    pages: fc.integer({ min: 1, max: 6 }),
    prot: fc.integer({ min: 0, max: 7 }),
    fdsel: fc.constantFrom(0, 0, 2, 2, 1),
    offPages: fc.integer({ min: 0, max: 3 }),
    at: fc.integer({ min: 0, max: 5 }),
    size: fc.integer({ min: 1, max: 7 }),
    pgoff: fc.integer({ min: 0, max: 7 }),
  })
  .map((r) => [
    { op: 'M' as const, hint: 1 as const, addr: r.p * PAGE, len: r.pages * PAGE, prot: r.prot, flags: MAP_SHARED | MAP_FIXED, fdsel: r.fdsel, off: r.offPages * PAGE },
    { op: 'X' as const, addr: (r.p + Math.min(r.at, r.pages - 1)) * PAGE, size: r.size * PAGE, prot: 0, pgoff: r.pgoff, flags: 0 },
  ]);
const seqArb = fc
  .array(fc.oneof({ weight: 30, arbitrary: opArb.map((o) => [o]) }, { weight: 1, arbitrary: remapPairArb }), { minLength: 5, maxLength: 40 })
  .map((chunks) => chunks.flat());

// ---- the test ---------------------------------------------------------------------------------

const cc = platform() === 'linux' && arch() === 'x64' ? findCompiler() : null;
const skipReason = platform() !== 'linux' || arch() !== 'x64' ? 'the host is not x86-64 Linux' : !cc ? `no C compiler (set CC; tried '${process.env.CC ?? 'cc'}')` : '';

describe('mm differential test against the host kernel', () => {
  it.skipIf(!!skipReason)(`${RUNS} generated sequences agree with the host kernel (seed ${SEED})${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgxsim-mmdiff-'));
    const src = fileURLToPath(new URL('./differential/mmdiff.c', import.meta.url));
    const bin = join(dir, 'mmdiff');
    execFileSync(cc!, ['-O1', '-o', bin, src], { stdio: 'pipe' });
    expect(existsSync(bin)).toBe(true);

    const seqs = fc.sample(seqArb, { numRuns: RUNS, seed: SEED });
    // The generator covers every flag the issue names, file-backed and anonymous, private and
    // shared, and invalid arguments.
    const maps = seqs.flat().filter((o): o is Extract<Op, { op: 'M' }> => o.op === 'M');
    const has = (pred: (o: Extract<Op, { op: 'M' }>) => boolean): number => maps.filter(pred).length;
    const type = (o: Extract<Op, { op: 'M' }>): number => o.flags & 0xf;
    const coverage = {
      MAP_FIXED: has((o) => (o.flags & MAP_FIXED) !== 0),
      MAP_FIXED_NOREPLACE: has((o) => (o.flags & MAP_FIXED_NOREPLACE) !== 0),
      MAP_SHARED: has((o) => type(o) === MAP_SHARED),
      MAP_PRIVATE: has((o) => type(o) === MAP_PRIVATE),
      MAP_SHARED_VALIDATE: has((o) => type(o) === MAP_SHARED_VALIDATE),
      MAP_ANONYMOUS: has((o) => (o.flags & MAP_ANONYMOUS) !== 0),
      MAP_GROWSDOWN: has((o) => (o.flags & MAP_GROWSDOWN) !== 0),
      fileShared: has((o) => !(o.flags & MAP_ANONYMOUS) && o.fdsel >= 0 && o.fdsel <= 2 && type(o) === MAP_SHARED),
      filePrivate: has((o) => !(o.flags & MAP_ANONYMOUS) && o.fdsel >= 0 && o.fdsel <= 2 && type(o) === MAP_PRIVATE),
      anonShared: has((o) => (o.flags & MAP_ANONYMOUS) !== 0 && type(o) === MAP_SHARED),
      hint: has((o) => o.hint === 1 && !(o.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))),
      invalidType: has((o) => type(o) === 0 || type(o) === 0xf),
      badFd: has((o) => o.fdsel === 3 && !(o.flags & MAP_ANONYMOUS)),
      zeroLength: has((o) => o.len === 0),
    };
    expect(seqs.flat().filter((o) => o.op === 'X').length, 'generator coverage of remap_file_pages').toBeGreaterThan(0);
    for (const [name, n] of Object.entries(coverage)) expect(n, `generator coverage of ${name}`).toBeGreaterThan(0);
    let input = `REGION ${NP}\n`;
    for (const s of seqs) input += 'SEQ\n' + s.map(opLine).join('\n') + '\nEND\n';
    if (process.env.MMDIFF_DUMP) writeFileSync(process.env.MMDIFF_DUMP, input);
    const res = spawnSync(bin, [], { input, encoding: 'utf8', env: { ...process.env, MMDIFF_DIR: dir }, maxBuffer: 1 << 28 });
    if (res.status !== 0) throw new Error(`mmdiff failed (${res.status}): ${res.stderr}`);
    const lines = res.stdout.split('\n');
    const base = parseInt(lines[0].replace('BASE ', ''), 16);
    const host: string[][] = [];
    let cur: string[] | null = null;
    for (const l of lines.slice(1)) {
      if (l === 'SEQ') cur = [];
      else if (l === 'END') {
        host.push(cur!);
        cur = null;
      } else if (cur) cur.push(l);
    }
    expect(host.length).toBe(seqs.length);

    const opts = { version: release(), pku: hostPku(), base, regionPages: NP };
    const mismatches: string[] = [];
    for (let i = 0; i < seqs.length; i++) {
      const model = runModel(seqs[i], opts);
      const h = host[i];
      if (model.join('\n') !== h.join('\n')) {
        if (mismatches.length < 3) {
          const nOps = seqs[i].length;
          let first = -1;
          for (let j = 0; j < Math.max(model.length, h.length); j++) if (model[j] !== h[j]) { first = j; break; }
          const detail = seqs[i].map((o, j) => `${j === first ? '>>' : '  '} ${opLine(o)}  host=${h[j]} model=${model[j]}`).join('\n');
          mismatches.push(`sequence ${i} (first difference at line ${first}${first >= nOps ? ' (maps)' : ''}):\n${detail}\nhost maps:\n${h.slice(nOps).join('\n')}\nmodel maps:\n${model.slice(nOps).join('\n')}`);
        } else mismatches.push(`sequence ${i}`);
      }
    }
    if (mismatches.length) throw new Error(`${mismatches.length} of ${seqs.length} sequences differ (model version ${opts.version}, pku ${opts.pku}):\n${mismatches.slice(0, 3).join('\n\n')}`);
  });
});
