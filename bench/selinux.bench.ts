// SELinux speed (issue #3):
//  1. Parse + compile the reference policy.conf (Debian's refpolicy built monolithic, ~45 MB,
//     3.2 million lines) against `checkpolicy -M` compiling the same file, in the same run.
//     Target ratio <= 1.0. Skipped (with the reason) without the refpolicy source or checkpolicy;
//     the file is located like the conformance test does (SGXSIM_REFPOLICY_CONF, or built once
//     into .tmp/refpolicy/policy.conf from /usr/src/selinux-policy-src.tar.zst).
//  2. AVC decisions per second: cached (target >= 5 million/s) and uncached (every lookup a
//     miss: security_compute_av over the type_attr_maps), on the reference policy when present,
//     else on builtin:default.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench } from './harness.js';
import { now } from './harness.js';
import { parsePolicy } from '../src/security/selinux/parser.js';
import { compilePolicy } from '../src/security/selinux/compile.js';
import { builtinPolicy } from '../src/security/selinux/builtin.js';
import { Avc } from '../src/security/selinux/avc.js';
import type { Policy } from '../src/security/selinux/policy.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function refConf(): string | string[] {
  const env = process.env.SGXSIM_REFPOLICY_CONF;
  if (env) return existsSync(env) ? env : [`SGXSIM_REFPOLICY_CONF=${env} does not exist`];
  const dir = process.env.SGXSIM_CACHE_DIR ?? join(repo, '.tmp', 'refpolicy');
  const conf = join(dir, 'policy.conf');
  if (existsSync(conf)) return conf;
  const tarball = process.env.SGXSIM_REFPOLICY_SRC ?? '/usr/src/selinux-policy-src.tar.zst';
  const missing = [tarball, 'm4', 'make', 'zstd'].filter((x) => (x.startsWith('/') ? !existsSync(x) : !have(x)));
  if (missing.length) return missing;
  const work = join(dir, `build-${process.pid}`);
  mkdirSync(work, { recursive: true });
  execFileSync('tar', ['--zstd', '-xf', tarball, '-C', work]);
  execFileSync('make', ['MONOLITHIC=y', 'policy.conf'], { cwd: join(work, 'selinux-policy-src'), stdio: 'pipe', maxBuffer: 1 << 28 });
  renameSync(join(work, 'selinux-policy-src', 'policy.conf'), conf);
  rmSync(work, { recursive: true, force: true });
  return conf;
}

// Each side runs in a fresh process, so neither inherits the other's heap: ours is node importing the
// compiled parser and compiler (reading the file, parsing, compiling, as `sgxsim policy check` does),
// checkpolicy is checkpolicy. Wall time of the whole process, and its CPU time (user + sys).
const OURS_SCRIPT = `
const [parser, compile, fs] = await Promise.all([import(process.argv[1]), import(process.argv[2]), import('node:fs')]);
const r = parser.parsePolicy(fs.readFileSync(process.argv[3], 'utf8'), process.argv[3]);
if (r.errors.length) { console.error(r.errors.length + ' parse errors'); process.exit(2); }
compile.compilePolicy(r.ast);
const u = process.cpuUsage();
console.log(JSON.stringify({ cpu: (u.user + u.system) / 1000 }));
`;

function oursRun(conf: string): { wall: number; cpu: number } {
  const dist = join(repo, 'dist', 'src', 'security', 'selinux');
  const t0 = now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', OURS_SCRIPT, pathToFileURL(join(dist, 'parser.js')).href, pathToFileURL(join(dist, 'compile.js')).href, conf], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const wall = now() - t0;
  if (r.status !== 0) throw new Error(`sgxsim parse failed: ${r.stderr}`);
  return { wall, cpu: (JSON.parse(r.stdout) as { cpu: number }).cpu };
}

function checkpolicyRun(conf: string): { wall: number; cpu: number } {
  const out = join(dirname(conf), `bench-${process.pid}.bin`);
  const t0 = now();
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%U %S"; time checkpolicy -M -c 33 -o "$1" "$2" >/dev/null', 'bench', out, conf], { encoding: 'utf8' });
  const wall = now() - t0;
  rmSync(out, { force: true });
  if (r.status !== 0) throw new Error(`checkpolicy failed: ${r.stderr}`);
  const [u, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: (u + sys) * 1000 };
}

function avcRates(policy: Policy, ctx: Parameters<Bench['run']>[0]): void {
  const avc = new Avc(policy, { enforcing: true });
  const domAttr = policy.typeId('domain');
  const types: string[] = [];
  for (let i = 0; i < policy.nTypes; i++) if (!policy.typeIsAttr[i]) types.push(policy.typeNames[i]);
  const domains = domAttr ? [...policy.attrTypes[domAttr - 1]].map((t) => policy.typeNames[t]) : types;
  const sids = (names: string[]): number[] => names.map((n) => avc.sids.sid(`system_u:system_r:${n}:s0`));
  const src = sids(domains.slice(0, 64));
  const tgt = sids(types.slice(0, 64));
  const file = avc.classId('file');
  const mask = avc.permMask(file, ['read', 'open']);
  // cached: 64 x 64 pairs, warmed first
  const pairs = src.length * tgt.length;
  for (let i = 0; i < src.length; i++) for (let j = 0; j < tgt.length; j++) avc.hasPermNoAudit(src[i], tgt[j], file, mask);
  const N = 20_000_000;
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let k = 0;
    const t0 = now();
    for (let n = 0; n < N; n++) {
      avc.hasPermNoAudit(src[k & 63], tgt[(k >>> 6) & 63], file, mask);
      k++;
    }
    best = Math.min(best, now() - t0);
  }
  const cached = N / (best / 1e3);
  // reference in the same run: a bare Map.get over the same number of keys
  const m = new Map<number, number>();
  for (let i = 0; i < pairs; i++) m.set(i * 7919, i);
  let sink = 0;
  const r0 = now();
  for (let n = 0; n < N; n++) sink += m.get((n % pairs) * 7919) ?? 0;
  const refMs = now() - r0;
  ctx.report('cached AVC decisions (avc_has_perm_noaudit, cache hit)', Math.round(cached), 'decisions/s', `${pairs} (ssid, tsid) pairs; ${(best / refMs).toFixed(2)}x the time of a bare Map.get loop${sink < 0 ? '' : ''}`);
  ctx.ratio('cached decisions per second / 5,000,000', cached / 5e6, 1, { higherIsBetter: true });
  // the audited entry point (avc_has_perm) without a sink, same pairs
  const audit = { type: 'NONE' as const, pid: 1, comm: 'bench' };
  let k2 = 0;
  const h0 = now();
  for (let n = 0; n < N; n++) {
    avc.hasPerm(src[k2 & 63], tgt[(k2 >>> 6) & 63], file, mask, audit);
    k2++;
  }
  ctx.report('cached avc_has_perm (with audit decision, no sink)', Math.round(N / ((now() - h0) / 1e3)), 'decisions/s');
  // uncached: every lookup computes security_compute_av (fresh pairs, then flush and repeat)
  const srcU = sids(domains.slice(0, 400));
  const tgtU = sids(types.slice(0, 250));
  let count = 0;
  const u0 = now();
  for (let rep = 0; rep < 3; rep++) {
    avc.flush();
    for (const s of srcU) for (const t of tgtU) {
      avc.hasPermNoAudit(s, t, file, mask);
      count++;
    }
  }
  const uMs = now() - u0;
  ctx.report('uncached AVC decisions (security_compute_av on every lookup)', Math.round(count / (uMs / 1e3)), 'decisions/s', `${count} misses; hit rate ${(avc.stats.hits / Math.max(1, avc.stats.lookups)).toFixed(3)}`);
}

const bench: Bench = {
  id: 'selinux',
  title: 'SELinux: parse+compile the reference policy vs checkpolicy; AVC decision rates',
  run(ctx) {
    const conf = refConf();
    let policy: Policy | null = null;
    if (typeof conf !== 'string') {
      ctx.log(`parse ratio skipped: missing ${conf.join(', ')}`);
    } else if (!have('checkpolicy')) {
      ctx.log('parse ratio skipped: checkpolicy is not installed');
    } else {
      const ours = { wall: Infinity, cpu: Infinity };
      const theirs = { wall: Infinity, cpu: Infinity };
      for (let i = 0; i < 3; i++) {
        const t = checkpolicyRun(conf);
        const o = oursRun(conf);
        theirs.wall = Math.min(theirs.wall, t.wall);
        theirs.cpu = Math.min(theirs.cpu, t.cpu);
        ours.wall = Math.min(ours.wall, o.wall);
        ours.cpu = Math.min(ours.cpu, o.cpu);
      }
      const text = readFileSync(conf, 'utf8');
      const lines = text.split('\n').length;
      ctx.log(`${conf}: ${(text.length / 1e6).toFixed(1)} MB, ${lines.toLocaleString('en-US')} lines (best of 3, each run a fresh process)`);
      ctx.report('checkpolicy -M (compile the same file)', Math.round(theirs.wall), 'ms', `cpu ${Math.round(theirs.cpu)} ms`);
      ctx.report('sgxsim read + parse + compile (node process)', Math.round(ours.wall), 'ms', `cpu ${Math.round(ours.cpu)} ms`);
      ctx.ratio('sgxsim / checkpolicy wall time', ours.wall / theirs.wall, 1.0);
      ctx.log(`sgxsim / checkpolicy cpu time: ${(ours.cpu / theirs.cpu).toFixed(3)}`);
      policy = compilePolicy(parsePolicy(text, conf).ast);
    }
    if (!policy) {
      ctx.log('AVC rates on builtin:default (reference policy unavailable)');
      policy = builtinPolicy('default');
    }
    avcRates(policy, ctx);
  },
};

export default bench;
