// The implementation of `sgxsim compare` (loaded by compare.ts when it runs).
import { readFileSync } from 'node:fs';
import { compareDesigns, renderCompare, LOADER_CHOICES, type LoaderChoice } from '../../analysis/compare.js';
import { DEFAULT_IMAGE_DIR } from '../../drivers/sgx/loaders/image.js';
import { SetupError } from '../../fs/setup.js';
import { parseManifest, ManifestError, formatDiagnostic, resolveManifestPath } from '../../enclave/manifest.js';
import { contentReaderFromFiles } from '../../enclave/content.js';
import { lookupDesign, listDesigns } from '../../drivers/sgx/registry.js';
import '../../drivers/sgx/index.js';
import { BUILTIN_POLICIES } from '../../security/selinux/builtin.js';
import type { Policy } from '../../security/selinux/policy.js';
import { formatError as formatPolicyError } from '../../security/selinux/ast.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { UsageError, EXIT_OK, EXIT_USAGE } from '../errors.js';
import { loadPolicyFile } from './policy.js';
import { displayPath, readTextArg } from './run-host.js';
import type { CompareCliOptions } from './compare.js';

function policyArg(p: string): Policy | string {
  if (p.startsWith('builtin:')) {
    if (!(BUILTIN_POLICIES as readonly string[]).includes(p.slice(8))) throw new UsageError(`unknown built-in policy '${p}' (available: ${BUILTIN_POLICIES.map((n) => 'builtin:' + n).join(', ')})`);
    return p;
  }
  readTextArg(p, 'the policy');
  const l = loadPolicyFile(p);
  if (!l.policy || l.errors.length) throw new UsageError(l.errors.length ? l.errors.slice(0, 3).map(formatPolicyError).join('; ') : `${p}: the policy does not compile`);
  if (l.violations.length) throw new UsageError(`${p}: neverallow violated: ${l.violations[0]}`);
  return l.policy;
}

export async function compareCommand(file: string, opts: CompareCliOptions): Promise<void> {
  const loader = (opts.loader ?? 'canonical').replace('_', '-') as LoaderChoice;
  if (!LOADER_CHOICES.includes(loader)) throw new UsageError(`--loader must be one of ${LOADER_CHOICES.join(', ')} (got '${opts.loader}')`);
  const designs = opts.designs?.split(/[,\s]+/).filter(Boolean);
  for (const d of designs ?? []) if (!lookupDesign(d)) throw new UsageError(`unknown design '${d}' (available: ${listDesigns().map((x) => `${x.key} (${x.slug})`).join(', ')})`);
  const dirArg = opts.imageDir ?? DEFAULT_IMAGE_DIR;
  if (!dirArg.startsWith('/')) throw new UsageError(`--image-dir must be an absolute path (got '${dirArg}')`);
  const dirParts = dirArg.split('/').filter(Boolean);
  if (dirParts.some((c) => c === '.' || c === '..')) throw new UsageError(`--image-dir must not contain '.' or '..' components (got '${dirArg}')`);
  const imageDir = '/' + dirParts.join('/');
  const policyName = opts.policy ?? 'builtin:default';
  const policy = policyArg(policyName);
  const text = readTextArg(file, 'the manifest');
  const shown = displayPath(file);
  let manifest;
  try {
    manifest = parseManifest(text, shown).manifest;
  } catch (e) {
    if (e instanceof ManifestError) {
      for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    throw e;
  }
  const reader = contentReaderFromFiles((p) => {
    const path = resolveManifestPath(file, p);
    try {
      return new Uint8Array(readFileSync(path));
    } catch (e) {
      throw new UsageError(`${shown}: cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  });
  let rows;
  try {
    rows = compareDesigns({ manifest, reader, crypto: nodeCrypto, policy, policyName, ...(designs ? { designs } : {}), loader, ...(opts.context ? { context: opts.context } : {}), imageDir });
  } catch (e) {
    // the files cannot be installed there (a component is not a directory, a file exists)
    if (e instanceof SetupError) throw new UsageError(`--image-dir ${imageDir}: cannot install the enclave there: ${e.message}`);
    throw e;
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ manifest: shown, policy: policyName, loader, imageDir, rows }, null, 2) + '\n');
  } else process.stdout.write(renderCompare(rows, policyName, loader, imageDir));
  process.exitCode = EXIT_OK;
}
