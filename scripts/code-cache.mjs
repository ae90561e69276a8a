// Build step (npm run build): run the bundled CLI once on the seed scenario with
// SGXSIM_CODE_CACHE=write, so that dist/cli/sgxsim.cache holds V8's compiled code for what a run
// uses (src/cli/sgxsim.ts reads it at start-up). A failure here only costs start-up speed.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, 'dist/cli/sgxsim.cache');
rmSync(cache, { force: true });
const r = spawnSync(process.execPath, [join(root, 'dist/src/cli/sgxsim.js'), 'run', '--quiet'], {
  cwd: root,
  env: { ...process.env, SGXSIM_CODE_CACHE: 'write', NO_COLOR: '1' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
if (r.status !== 0) {
  process.stderr.write(`code cache: the seed run exited ${r.status}; continuing without a cache\n${r.stderr}`);
  rmSync(cache, { force: true });
}
