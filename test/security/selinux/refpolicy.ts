// Locates (or builds) the reference policy used by the conformance tests and the parse bench:
// Debian's selinux-policy-src (refpolicy 2.20221101) built into a monolithic policy.conf with
// m4/make (`make MONOLITHIC=y policy.conf`), and the same file compiled by checkpolicy -M.
// Environment:
//   SGXSIM_REFPOLICY_CONF  an existing policy.conf to use instead of building one
//   SGXSIM_REFPOLICY_SRC   the source tarball (default /usr/src/selinux-policy-src.tar.zst)
//   SGXSIM_CACHE_DIR       where the build is cached (default <repo>/.tmp/refpolicy)
// Everything is built once and reused by later test files and bench runs.
import { execFileSync, spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function which(tool: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export interface RefPolicy {
  conf: string;
  bin: string | null;
  /** why something is missing, for skip messages */
  missing: string[];
}

function cacheDir(): string {
  return process.env.SGXSIM_CACHE_DIR ?? join(repo, '.tmp', 'refpolicy');
}

/** The reference policy.conf (and checkpolicy's compiled policy when checkpolicy exists). */
export function refPolicy(): RefPolicy | { missing: string[] } {
  const missing: string[] = [];
  let conf = process.env.SGXSIM_REFPOLICY_CONF;
  const dir = cacheDir();
  if (!conf) {
    conf = join(dir, 'policy.conf');
    if (!existsSync(conf)) {
      const tarball = process.env.SGXSIM_REFPOLICY_SRC ?? '/usr/src/selinux-policy-src.tar.zst';
      if (!existsSync(tarball)) missing.push(`${tarball} (Debian package selinux-policy-src; set SGXSIM_REFPOLICY_SRC or SGXSIM_REFPOLICY_CONF)`);
      for (const t of ['m4', 'make', 'tar', 'zstd']) if (!which(t)) missing.push(t);
      if (missing.length) return { missing };
      mkdirSync(dir, { recursive: true });
      const work = join(dir, `build-${process.pid}`);
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work, { recursive: true });
      execFileSync('tar', ['--zstd', '-xf', tarball, '-C', work], { stdio: 'pipe' });
      const src = join(work, 'selinux-policy-src');
      execFileSync('make', ['MONOLITHIC=y', 'policy.conf'], { cwd: src, stdio: 'pipe', maxBuffer: 1 << 28 });
      if (!existsSync(conf)) renameSync(join(src, 'policy.conf'), conf);
      rmSync(work, { recursive: true, force: true });
    }
  } else if (!existsSync(conf)) {
    return { missing: [`SGXSIM_REFPOLICY_CONF=${conf} does not exist`] };
  }
  let bin: string | null = join(dirname(conf) === dir ? dir : dir, 'policy.33');
  if (!which('checkpolicy')) {
    missing.push('checkpolicy');
    bin = null;
  } else if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(conf).mtimeMs) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.${process.pid}`;
    execFileSync('checkpolicy', ['-M', '-c', '33', '-o', tmp, conf], { stdio: 'pipe' });
    renameSync(tmp, bin);
  }
  return { conf, bin, missing };
}

/** seinfo statistics of a compiled policy: label -> value. */
export function seinfoStats(bin: string): Record<string, string> {
  const out = execFileSync('seinfo', [bin], { encoding: 'utf8' });
  const stats: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const re = /([A-Z][A-Za-z_. ]*?):\s+(\S+(?: \([^)]*\))?)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(line))) stats[m[1].trim()] = m[2];
  }
  return stats;
}

/** The python interpreter that has setools (sesearch's own). */
export function setoolsPython(): string | null {
  const sesearch = which('sesearch');
  if (!sesearch) return null;
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import setools'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

export interface SesearchQuery {
  ruletype: string[];
  source?: string;
  target?: string;
  tclass?: string[];
  perms?: string[];
  ds?: boolean;
  dt?: boolean;
}

const SCRIPT = `
import json, sys, setools
p = setools.SELinuxPolicy(sys.argv[1])
out = []
for q in json.load(sys.stdin):
    kw = dict(ruletype=q['ruletype'])
    if q.get('source'): kw['source'] = q['source']; kw['source_indirect'] = not q.get('ds', False)
    if q.get('target'): kw['target'] = q['target']; kw['target_indirect'] = not q.get('dt', False)
    if q.get('tclass'): kw['tclass'] = q['tclass']
    if q.get('perms'): kw['perms'] = q['perms']
    out.append([str(r) for r in setools.TERuleQuery(p, **kw).results()])
json.dump(out, sys.stdout)
`;

/** Run many queries in setools processes (two in parallel), each exactly as sesearch runs it
 *  (TERuleQuery with the same arguments, each rule printed with str(); callers sort). */
export async function sesearchBatch(bin: string, queries: SesearchQuery[]): Promise<string[][]> {
  const py = setoolsPython();
  if (!py) throw new Error('setools is not available');
  const run = (qs: SesearchQuery[]): Promise<string[][]> =>
    new Promise((res, rej) => {
      const ch = spawn(py, ['-c', SCRIPT, bin], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      ch.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      ch.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      ch.on('error', rej);
      ch.on('close', (code) => (code === 0 ? res(JSON.parse(out) as string[][]) : rej(new Error(`setools failed: ${err}`))));
      ch.stdin.end(JSON.stringify(qs));
    });
  const half = Math.ceil(queries.length / 2);
  const [a, b] = await Promise.all([run(queries.slice(0, half)), queries.length > half ? run(queries.slice(half)) : Promise.resolve([])]);
  return [...a, ...b];
}

/** One query through the sesearch program itself. */
export function sesearch(bin: string, args: string[]): string[] {
  const out = execFileSync('sesearch', [...args, bin], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out.split('\n').filter((l) => l.trim() !== '');
}
