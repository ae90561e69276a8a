// Start-up of the CLI: `sgxsim run` of the seed scenario (what `npm start` runs) against `node -e 0`,
// both spawned the same way in the same run, alternating, several times; the medians' ratio must
// be at most 4 (issue #6, acceptance 5). Wall time is the target; CPU time (user + system of the
// child, read by a preload at exit) is printed too, as it is far less sensitive to other load.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { now, type Bench } from './harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The CLI entry `sgxsim` runs (package.json "bin"). */
function cliEntry(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string> | string };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin?.sgxsim ?? 'dist/src/cli/main.js');
  return join(root, bin);
}

const bench: Bench = {
  id: 'startup',
  title: 'CLI start-up: `sgxsim run` (seed scenario) vs `node -e 0`',
  run(ctx) {
    const entry = cliEntry();
    if (!existsSync(entry)) {
      ctx.log(`skipped: ${entry} is missing (run npm run build)`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'sgxsim-startup-'));
    const cpuFile = join(dir, 'cpu');
    const preload = join(dir, 'cpu.cjs');
    writeFileSync(preload, `process.on('exit', () => { const u = process.cpuUsage(); require('fs').appendFileSync(${JSON.stringify(cpuFile)}, ((u.user + u.system) / 1000) + '\\n'); });\n`);
    const runs = Number(process.env.SGXSIM_STARTUP_RUNS ?? 9);
    const wall = { node: [] as number[], run: [] as number[] };
    const cpu = { node: [] as number[], run: [] as number[] };
    const once = (args: string[], into: 'node' | 'run'): void => {
      rmSync(cpuFile, { force: true });
      const t0 = now();
      const r = spawnSync(process.execPath, ['-r', preload, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      const t = now() - t0;
      if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().split('\n')[0]}`);
      wall[into].push(t);
      cpu[into].push(Number(readFileSync(cpuFile, 'utf8').trim()));
    };
    try {
      // one warm-up of each (file cache)
      once(['-e', '0'], 'node');
      once([entry, 'run'], 'run');
      wall.node.length = wall.run.length = cpu.node.length = cpu.run.length = 0;
      for (let i = 0; i < runs; i++) {
        once(['-e', '0'], 'node');
        once([entry, 'run'], 'run');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const wn = median(wall.node);
    const wr = median(wall.run);
    ctx.report('node -e 0 (median wall)', wn, 'ms', `${runs} runs`);
    ctx.report('sgxsim run (median wall)', wr, 'ms', entry.replace(root + '/', ''));
    ctx.report('node -e 0 (median CPU)', median(cpu.node), 'ms');
    ctx.report('sgxsim run (median CPU)', median(cpu.run), 'ms');
    ctx.log(`CPU ratio: ${(median(cpu.run) / median(cpu.node)).toFixed(3)}`);
    ctx.ratio('sgxsim run / node -e 0 (median wall)', wr / wn, 4);
  },
};

export default bench;
