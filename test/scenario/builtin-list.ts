// The built-in scenarios (scenarios/*.yaml) and the design each names, for the tests that run them.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const BUILTIN_SCENARIOS: readonly string[] = readdirSync(join(root, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => `scenarios/${f}`);

/** The design a scenario file names (setup.design), if any. */
export function designOf(file: string): string | undefined {
  return /^\s*design:\s*(\S+)/m.exec(readFileSync(join(root, file), 'utf8'))?.[1];
}
