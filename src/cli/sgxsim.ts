#!/usr/bin/env node
// The `sgxsim` executable (package.json "bin"; `npm start` runs it). It runs the bundled CLI
// (dist/cli/sgxsim.cjs: src/cli/main.ts and everything it imports in one file, built by
// rolldown.config.mjs after tsc) through V8's code cache (dist/cli/sgxsim.cache, written at build
// time by running the seed scenario once), so start-up skips most of the parsing and compiling
// that dominates a short run: `sgxsim run` stays within 4x of `node -e 0` (bench/startup.bench.ts,
// issue #6 acceptance 5). A cache V8 rejects (another Node version) is ignored, and without a
// bundle (a plain `tsc` build) this falls back to the unbundled dist/src/cli/main.js.
//   SGXSIM_CODE_CACHE=write  run once and (re)write the cache at exit (the build does this)
//   SGXSIM_CODE_CACHE=off    do not read the cache
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(here, '../../cli');
const bundle = join(dir, 'sgxsim.cjs');
const cacheFile = join(dir, 'sgxsim.cache');
const mode = process.env.SGXSIM_CODE_CACHE;

if (!existsSync(bundle)) {
  await import('./main.js');
} else {
  const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  let cachedData: Buffer | undefined;
  if (mode !== 'off' && mode !== 'write') {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  if (mode === 'write') {
    process.once('exit', () => {
      writeFileSync(cacheFile, script.createCachedData());
    });
  }
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;
  const module = { exports: {} };
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, dir);
}
