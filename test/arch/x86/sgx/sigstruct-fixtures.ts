// Locates the shared SGX conformance vectors (../shared/fixtures/sgx, README.md there).
// Override with SGXSIM_FIXTURES=/path/to/fixtures/sgx. Tests skip with a clear message when absent.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const FIXTURES_DIR = process.env.SGXSIM_FIXTURES ?? join(repoRoot, '../shared/fixtures/sgx');
export const HAVE_FIXTURES = existsSync(join(FIXTURES_DIR, 'README.md'));
export const SKIP_REASON = `SGX fixtures not found at ${FIXTURES_DIR} (set SGXSIM_FIXTURES to the fixtures/sgx folder)`;
if (!HAVE_FIXTURES) console.warn(`skipping fixture tests: ${SKIP_REASON}`);

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES_DIR, name)));
}
export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES_DIR, name), 'utf8');
}
export function fixturePath(name: string): string {
  return join(FIXTURES_DIR, name);
}
