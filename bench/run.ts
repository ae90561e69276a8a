// `npm run bench [-- FILTER...]`: runs every compiled bench/*.bench.js (see bench/harness.ts).
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { Bench, BenchContext } from './harness.js';

const dir = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
let failedTargets = 0;

const ctx: BenchContext = {
  report(name, value, unit, note) {
    console.log(`  ${name}: ${fmt(value)} ${unit}${note ? `  (${note})` : ''}`);
  },
  ratio(name, value, target, opts) {
    const ok = opts?.higherIsBetter ? value >= target : value <= target;
    if (!ok) failedTargets++;
    console.log(`  ${name}: ${value.toFixed(3)}  (target ${opts?.higherIsBetter ? '>=' : '<='} ${target}: ${ok ? 'met' : 'NOT met'})`);
  },
  log(line) {
    console.log(`  ${line}`);
  },
};

function fmt(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(4);
}

const files = readdirSync(dir).filter((f) => f.endsWith('.bench.js')).sort();
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default: Bench };
  const b = mod.default;
  if (filters.length && !filters.some((x) => b.id.includes(x) || f.includes(x))) continue;
  console.log(`${b.title} [${b.id}]`);
  await b.run(ctx);
}
console.log(failedTargets === 0 ? 'all targets met' : `${failedTargets} target(s) not met`);
