// `sgxsim compare MANIFEST` (docs/runner.md "Comparing designs"): one loader flow per design on
// the same enclave, under the same policy, as the same confined task. Per design:
//   - an enforcing run: did the enclave load, and if not, at which step (the loader's own
//     perror-style message with the errno);
//   - a permissive run (SELinux lets everything through, the loader follows its success path):
//     every permission any hook asked for, as allow rules (what a minimal policy must grant), and
//     those the policy denied;
//   - whether the loader asked for PROT_EXEC on the enclave device (an mmap of the enclave fd or
//     an mprotect inside ELRANGE with PROT_EXEC), and whether it needed process:execmem;
//   - with `loader`, the same foreign flow on every design: translated where the design says it
//     can be (designs-spec §12), or the reason it cannot.
import type { Kernel } from '../kernel/kernel.js';
import { PROT_EXEC } from '../abi/mman.js';
import { bootWithSelinux } from '../security/selinux/boot.js';
import { fileContextFor, PROCESS_CONTEXTS } from '../security/selinux/builtin.js';
import type { Policy } from '../security/selinux/policy.js';
import type { Crypto } from '../platform/crypto.js';
import type { ContentReader } from '../enclave/content.js';
import type { EnclaveManifest } from '../enclave/manifest.js';
import '../drivers/sgx/index.js';
import { listDesigns, lookupDesign } from '../drivers/sgx/registry.js';
import type { LoaderKind, SgxDesign } from '../drivers/sgx/design.js';
import { DEFAULT_IMAGE_DIR, prepareEnclaveImage } from '../drivers/sgx/loaders/image.js';
import { loadEnclave } from '../drivers/sgx/loaders/flows.js';
import { collectNeededPermissions, type PermTuple } from '../drivers/sgx/loaders/permissions.js';
import type { LoadResult } from '../drivers/sgx/loaders/types.js';
import { UserProcess } from '../userspace/process.js';

export type LoaderChoice = 'canonical' | 'selftest' | 'gramine' | 'intel-psw';
export const LOADER_CHOICES: readonly LoaderChoice[] = ['canonical', 'selftest', 'gramine', 'intel-psw'];

export interface CompareOptions {
  readonly manifest: EnclaveManifest;
  readonly reader: ContentReader;
  readonly crypto: Crypto;
  /** A compiled policy, or builtin:NAME (default builtin:default). */
  readonly policy?: Policy | string;
  /** Shown in reports (default: the policy's name). */
  readonly policyName?: string;
  /** Design names (keys, ids, slugs); default every registered design. */
  readonly designs?: readonly string[];
  readonly loader?: LoaderChoice;
  /** The loader task's context (default sgx_loader_t of the built-in policies). */
  readonly context?: string;
  /**
   * Where the enclave's image and SIGSTRUCT are installed (absolute; default DEFAULT_IMAGE_DIR,
   * /usr/lib/sgxsim, lib_t). HOME_IMAGE_DIR (/home/user/enclave, user_home_t) shows the home case.
   */
  readonly imageDir?: string;
}

export interface CompareRow {
  readonly design: string;
  readonly slug: string;
  readonly title: string;
  /** The loader flow that ran ('careful' = the design's own). */
  readonly loader: LoaderKind;
  /** How the flow maps onto the design. */
  readonly translation: 'native' | 'rewrite' | 'untranslatable';
  /** The rewrite, or why it cannot be translated. */
  readonly translationNote?: string;
  readonly loaded: boolean;
  /** The step that failed in the enforcing run (the loader's message with the errno). */
  readonly failedAt?: string;
  /** The permissive run got through (the flow works when SELinux allows it). */
  readonly loadsPermissive: boolean;
  /** Where the permissive run failed (a non-SELinux failure). */
  readonly failedPermissive?: string;
  /** Every permission the loader asked for (permissive run), as allow rules. */
  readonly needs: readonly string[];
  /** The ones the policy denies, as allow rules. */
  readonly denied: readonly string[];
  readonly needsTuples: readonly PermTuple[];
  readonly deniedTuples: readonly PermTuple[];
  /** The AVC lines of the enforcing run's denials. */
  readonly avc: readonly string[];
  readonly protExecOnDevice: boolean;
  readonly execmem: boolean;
}

const typeOf = (ctx: string): string => ctx.split(':')[2] ?? ctx;

/** Allow rules (`allow S T:C { p };`, target `self` when equal) for a tuple set, one per (S, T, C), sorted. */
export function allowRules(tuples: readonly PermTuple[]): string[] {
  const m = new Map<string, Set<string>>();
  for (const t of tuples) {
    const s = typeOf(t.scontext);
    const tt = typeOf(t.tcontext) === s ? 'self' : typeOf(t.tcontext);
    const k = `${s} ${tt}:${t.tclass}`;
    if (!m.has(k)) m.set(k, new Set());
    m.get(k)!.add(t.perm);
  }
  return [...m.keys()].sort().map((k) => {
    const p = [...m.get(k)!].sort();
    return `allow ${k} ${p.length === 1 ? p[0] : `{ ${p.join(' ')} }`};`;
  });
}

function loaderKind(design: SgxDesign, choice: LoaderChoice): LoaderKind {
  if (choice === 'canonical') return design.canonicalLoader;
  return choice === 'intel-psw' ? 'psw' : choice;
}

interface Attempt {
  readonly k: Kernel;
  readonly pid: number;
  readonly result: LoadResult;
  readonly from: number;
}

function attempt(design: SgxDesign, o: CompareOptions, kind: LoaderKind, enforcing: boolean): { a: Attempt; needed?: ReturnType<typeof collectNeededPermissions> } {
  const k = bootWithSelinux({ policy: o.policy ?? 'builtin:default', enforcing: true });
  design.install(k, { crypto: o.crypto });
  const image = prepareEnclaveImage(k, o.manifest, o.reader, o.crypto, { dir: o.imageDir });
  const pid = k.spawn({ comm: 'sgx-loader', context: o.context ?? PROCESS_CONTEXTS.loader });
  const p = new UserProcess(k, pid);
  const from = k.trace.length;
  let result: LoadResult | undefined;
  const run = (): void => {
    result = loadEnclave(design, p, image, kind);
  };
  if (enforcing) {
    run();
    return { a: { k, pid, result: result!, from } };
  }
  const needed = collectNeededPermissions(k, run, pid);
  return { a: { k, pid, result: result!, from }, needed };
}

/**
 * Did the flow ask for PROT_EXEC on the enclave device: an mmap with PROT_EXEC of an fd that was
 * opened on one of the design's device nodes (fds followed through open/close in the trace, as
 * numbers are reused), or an mprotect with PROT_EXEC inside the enclave's ELRANGE?
 */
function askedProtExec(a: Attempt, design: SgxDesign): boolean {
  const r = a.result;
  const devicePaths = new Set(design.devices.filter((d) => d.role === 'enclave').map((d) => d.path));
  devicePaths.add('/dev/sgx/enclave');
  devicePaths.add('/dev/sgx_enclave');
  const fdPath = new Map<number, string>();
  let pending: { name: string; args: Record<string, unknown> } | null = null;
  for (const e of a.k.trace.since(a.from)) {
    if (e.pid !== a.pid) continue;
    if (e.kind === 'sys_enter') {
      pending = { name: e.name, args: e.args as Record<string, unknown> };
      const args = e.args as Record<string, number>;
      if (!(Number(args.prot) & PROT_EXEC)) continue;
      if (e.name === 'mmap' && devicePaths.has(fdPath.get(Number(args.fd)) ?? '')) return true;
      if (e.name === 'mprotect' && r.size > 0 && r.base > 0 && args.addr >= r.base && args.addr < r.base + r.size) return true;
    } else if (e.kind === 'sys_exit' && pending) {
      if (pending.name === 'open' && e.ret >= 0) fdPath.set(e.ret, String(pending.args.path));
      if (pending.name === 'close' && e.ret === 0) fdPath.delete(Number(pending.args.fd));
      if (pending.name === 'dup' && e.ret >= 0) fdPath.set(e.ret, fdPath.get(Number(pending.args.fd)) ?? '');
      pending = null;
    }
  }
  return false;
}

/**
 * Run the comparison. Throws an Error naming the available designs for an unknown one, or for an
 * image directory that is not an absolute path.
 */
export function compareDesigns(o: CompareOptions): CompareRow[] {
  if (o.imageDir !== undefined && !o.imageDir.startsWith('/')) throw new Error(`the image directory must be an absolute path (got '${o.imageDir}')`);
  const designs: SgxDesign[] = o.designs?.length
    ? o.designs.map((n) => {
        const d = lookupDesign(n);
        if (!d) throw new Error(`unknown design '${n}' (available: ${listDesigns().map((x) => `${x.key} (${x.slug})`).join(', ')})`);
        return d;
      })
    : listDesigns();
  const choice = o.loader ?? 'canonical';
  return designs.map((design) => {
    const kind = loaderKind(design, choice);
    const support = kind === 'careful' ? { kind: 'native' as const } : design.loaders[kind];
    const base = { design: design.key, slug: design.slug, title: design.title, loader: kind };
    if (!support || support.kind === 'untranslatable') {
      const why = support?.kind === 'untranslatable' ? support.why : `design ${design.key} does not describe the ${kind} flow`;
      return {
        ...base,
        translation: 'untranslatable',
        translationNote: why,
        loaded: false,
        failedAt: `untranslatable: ${why}`,
        loadsPermissive: false,
        needs: [],
        denied: [],
        needsTuples: [],
        deniedTuples: [],
        avc: [],
        protExecOnDevice: false,
        execmem: false,
      } satisfies CompareRow;
    }
    const enf = attempt(design, o, kind, true).a;
    const perm = attempt(design, o, kind, false);
    const needed = perm.needed!;
    // A denied decision's record lists exactly the denied permissions (the rest of the request was allowed).
    const deniedTuples: PermTuple[] = [];
    const seen = new Set<string>();
    for (const e of perm.a.k.trace.since(perm.a.from)) {
      if (e.kind !== 'avc' || e.pid !== perm.a.pid || e.decision !== 'denied') continue;
      for (const p of e.perms) {
        const t = { scontext: e.scontext, tcontext: e.tcontext, tclass: e.tclass, perm: p };
        const k = `${t.scontext} ${t.tcontext} ${t.tclass} ${t.perm}`;
        if (!seen.has(k)) {
          seen.add(k);
          deniedTuples.push(t);
        }
      }
    }
    const avc = enf.k.trace
      .since(enf.from)
      .filter((e): e is Extract<typeof e, { kind: 'avc' }> => e.kind === 'avc' && e.pid === enf.pid && e.decision === 'denied' && e.line !== null)
      .map((e) => e.line!);
    return {
      ...base,
      translation: support.kind,
      ...(support.kind === 'rewrite' ? { translationNote: support.how } : {}),
      loaded: enf.result.ok,
      ...(enf.result.ok ? {} : { failedAt: enf.result.error ?? 'failed' }),
      loadsPermissive: perm.a.result.ok,
      ...(perm.a.result.ok ? {} : { failedPermissive: perm.a.result.error ?? 'failed' }),
      needs: allowRules(needed.tuples),
      denied: allowRules(deniedTuples),
      needsTuples: needed.tuples,
      deniedTuples,
      avc,
      protExecOnDevice: askedProtExec(perm.a, design),
      execmem: needed.tuples.some((t) => t.tclass === 'process' && t.perm === 'execmem'),
    } satisfies CompareRow;
  });
}

/** The type the built-in file contexts give a file installed in `dir` (what the loader's checks see). */
export function imageDirType(dir: string): string {
  const ctx = fileContextFor(`${dir.replace(/\/+$/, '')}/enclave.img`, '--');
  return ctx.split(':')[2] ?? ctx;
}

/**
 * The comparison as a table: one line per design, then its rules and failures indented. The
 * header names the policy, the loader flow and where the enclave's files were installed.
 */
export function renderCompare(rows: readonly CompareRow[], policyName: string, loader: LoaderChoice, imageDir: string = DEFAULT_IMAGE_DIR): string {
  const head = ['design', 'loader', 'loaded', 'PROT_EXEC on device', 'execmem', `denied under ${policyName}`];
  const cells = rows.map((r) => [
    `${r.design} ${r.slug}`,
    r.loader === 'careful' ? 'careful (own)' : r.loader === 'psw' ? 'intel-psw' : r.loader,
    r.translation === 'untranslatable' ? 'untranslatable' : r.loaded ? 'yes' : 'no',
    r.translation === 'untranslatable' ? '-' : r.protExecOnDevice ? 'yes' : 'no',
    r.translation === 'untranslatable' ? '-' : r.execmem ? 'yes' : 'no',
    r.translation === 'untranslatable' ? '-' : r.denied.length ? `${r.deniedTuples.length} permission${r.deniedTuples.length === 1 ? '' : 's'}` : 'none',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: readonly string[]): string => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]))).join('  ');
  const flow = loader === 'canonical' ? "designs' canonical loaders" : `${loader} loader flow`;
  const title = `# sgxsim compare: the ${flow} under ${policyName}; enclave files in ${imageDir} (${imageDirType(imageDir)})`;
  const out: string[] = [title, line(head), line(widths.map((w) => '-'.repeat(w)))];
  rows.forEach((r, i) => {
    out.push(line(cells[i]));
    if (r.translation === 'untranslatable') {
      out.push(`    untranslatable: ${r.translationNote}`);
      return;
    }
    if (r.translation === 'rewrite' && r.translationNote) out.push(`    translated: ${r.translationNote}`);
    if (!r.loaded) out.push(`    failed at: ${r.failedAt}`);
    if (!r.loadsPermissive) out.push(`    fails even permissive, at: ${r.failedPermissive}`);
    out.push('    needs:');
    for (const n of r.needs) out.push(`      ${n}`);
    if (r.denied.length) {
      out.push(`    denied under ${policyName}:`);
      for (const n of r.denied) out.push(`      ${n}`);
    }
  });
  return out.join('\n') + '\n';
}
