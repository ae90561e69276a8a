// The node side of the scenario runner: file reading, the package's built-in scenarios, colour
// choice. Shared by `run`, `compare` and `policy derive`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeCrypto } from '../../platform/node/crypto.js';
import type { RunHost } from '../../scenario/run-boot.js';
import { UsageError } from '../errors.js';

/** Node's file system as the runner's host. Errors carry the errno code only (ENOENT, EACCES...). */
export const nodeRunHost: RunHost = {
  readFile(path: string): Uint8Array {
    try {
      return new Uint8Array(readFileSync(path));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? (e as Error).message), { cause: e });
    }
  },
  crypto: nodeCrypto,
};

/** The package root (the directory holding sgxsim's package.json), found upwards from this module. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'sgxsim') return dir;
      } catch {
        // not ours
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error('cannot find the sgxsim package root (package.json) above ' + fileURLToPath(import.meta.url));
}

/** A built-in scenario's path (scenarios/NAME.yaml in the package). */
export function builtinScenario(name: string): string {
  return join(packageRoot(), 'scenarios', `${name}.yaml`);
}

/** How a path is shown in messages: relative to the working directory when inside it. */
export function displayPath(p: string): string {
  const abs = resolve(p);
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/** Read a text file given on the command line (UsageError if unreadable). */
export function readTextArg(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read ${what}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`);
  }
}

/** Colour: --color / --no-color, else a TTY without NO_COLOR. */
export function useColor(flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  const nc = process.env.NO_COLOR;
  return Boolean(process.stdout.isTTY) && (nc === undefined || nc === '');
}
