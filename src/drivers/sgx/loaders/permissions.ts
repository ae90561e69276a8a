// Which SELinux permissions does a loader need? Run it with SELinux permissive (so every check
// passes and the loader follows its success path) and collect, from the kernel trace, every
// permission any hook asked the AVC for: the (scontext, tcontext, tclass, perm) set a minimal
// policy must allow. Granted and denied queries count alike. `policy derive` reuses this.
import type { Kernel } from '../../../kernel/kernel.js';
import type { Crypto } from '../../../platform/crypto.js';
import type { Policy } from '../../../security/selinux/policy.js';
import { bootWithSelinux, selinuxOf } from '../../../security/selinux/boot.js';
import { PROCESS_CONTEXTS } from '../../../security/selinux/builtin.js';
import type { ContentReader } from '../../../enclave/content.js';
import type { EnclaveManifest } from '../../../enclave/manifest.js';
import type { SgxCpuOptions } from '../../../arch/x86/sgx/cpu.js';
import { UserProcess } from '../../../userspace/process.js';
import type { LoaderKind, SgxDesign } from '../design.js';
import { prepareEnclaveImage, type EnclaveImage } from './image.js';
import { loadEnclave } from './flows.js';
import type { LoadResult } from './types.js';

/** One permission a policy must allow. */
export interface PermTuple {
  readonly scontext: string;
  readonly tcontext: string;
  readonly tclass: string;
  readonly perm: string;
}

export interface NeededPermissions {
  /** Every requested permission, unique, sorted. */
  readonly tuples: readonly PermTuple[];
  /** The ones the policy did not allow (they were let through by permissive mode). */
  readonly denied: readonly PermTuple[];
  /** ioctl commands checked with extended permissions, per target (tcontext:tclass -> sorted cmds). */
  readonly ioctlCmds: Readonly<Record<string, readonly number[]>>;
}

const key = (t: PermTuple): string => `${t.scontext}\u0000${t.tcontext}\u0000${t.tclass}\u0000${t.perm}`;

function sortTuples(ts: Iterable<PermTuple>): PermTuple[] {
  const m = new Map<string, PermTuple>();
  for (const t of ts) m.set(key(t), t);
  return [...m.values()].sort((a, b) => key(a).localeCompare(key(b)));
}

/** The permissions the trace's AVC queries since `from` requested (optionally only those of `pid`). */
export function permissionsFromTrace(k: Kernel, from = 0, pid?: number): NeededPermissions {
  const all: PermTuple[] = [];
  const denied: PermTuple[] = [];
  const cmds = new Map<string, Set<number>>();
  for (const e of k.trace.ofKind('avc', from)) {
    if (pid !== undefined && e.pid !== pid) continue;
    for (const perm of e.requested) {
      const t = { scontext: e.scontext, tcontext: e.tcontext, tclass: e.tclass, perm };
      all.push(t);
      if (e.decision === 'denied') denied.push(t);
    }
    if (e.ioctlcmd !== null) {
      const kk = `${e.tcontext}:${e.tclass}`;
      if (!cmds.has(kk)) cmds.set(kk, new Set());
      cmds.get(kk)!.add(e.ioctlcmd);
    }
  }
  const ioctlCmds: Record<string, number[]> = {};
  for (const [kk, s] of [...cmds].sort()) ioctlCmds[kk] = [...s].sort((a, b) => a - b);
  return { tuples: sortTuples(all), denied: sortTuples(denied), ioctlCmds };
}

/**
 * Run `fn` with the kernel's SELinux globally permissive and tracing on, and return what it
 * asked for. The previous enforcing mode and trace switch are restored.
 */
export function collectNeededPermissions(k: Kernel, fn: () => void, pid?: number): NeededPermissions {
  const se = selinuxOf(k);
  const wasEnforcing = se.enforcing;
  const wasTracing = k.trace.enabled;
  k.trace.enabled = true;
  if (wasEnforcing) se.setEnforcing(false);
  const from = k.trace.length;
  try {
    fn();
  } finally {
    if (wasEnforcing) se.setEnforcing(true);
    k.trace.enabled = wasTracing;
  }
  return permissionsFromTrace(k, from, pid);
}

/** The type field of a context. */
export function typeOf(context: string): string {
  return context.split(':')[2] ?? context;
}

/**
 * The set as allow rules by type, one line per (source type, target type, class):
 * `sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }`.
 */
export function permissionLines(n: NeededPermissions | readonly PermTuple[]): string[] {
  const tuples = 'tuples' in n ? n.tuples : n;
  const m = new Map<string, Set<string>>();
  for (const t of tuples) {
    const kk = `${typeOf(t.scontext)} ${typeOf(t.tcontext)}:${t.tclass}`;
    if (!m.has(kk)) m.set(kk, new Set());
    m.get(kk)!.add(t.perm);
  }
  return [...m.keys()].sort().map((kk) => `${kk} { ${[...m.get(kk)!].sort().join(' ')} }`);
}

export interface LoaderPermissionOptions {
  readonly design: SgxDesign;
  readonly manifest: EnclaveManifest;
  readonly reader: ContentReader;
  readonly crypto: Crypto;
  /** A compiled policy or a built-in name; default builtin:default. */
  readonly policy?: Policy | string;
  /** Default: the design's canonical loader. */
  readonly loader?: LoaderKind;
  /** The loader task's context; default the built-in policies' loader domain (sgx_loader_t). */
  readonly context?: string;
  readonly cpu?: SgxCpuOptions;
  /** Where the image and SIGSTRUCT files go (default DEFAULT_IMAGE_DIR, /usr/lib/sgxsim: lib_t). */
  readonly dir?: string;
}

/**
 * Boot a kernel with SELinux on the policy, install the design, write the enclave's files, and run
 * the loader permissive: its result and the permissions it needed.
 */
export function loaderPermissionSet(o: LoaderPermissionOptions): { result: LoadResult; needed: NeededPermissions; kernel: Kernel; pid: number; image: EnclaveImage } {
  const k = bootWithSelinux({ policy: o.policy ?? 'builtin:default', enforcing: false });
  o.design.install(k, { crypto: o.crypto, cpu: o.cpu });
  const image = prepareEnclaveImage(k, o.manifest, o.reader, o.crypto, { dir: o.dir });
  const pid = k.spawn({ comm: 'sgx-loader', context: o.context ?? PROCESS_CONTEXTS.loader });
  const p = new UserProcess(k, pid);
  let result: LoadResult | undefined;
  const needed = collectNeededPermissions(k, () => {
    result = loadEnclave(o.design, p, image, o.loader ?? o.design.canonicalLoader);
  }, pid);
  return { result: result!, needed, kernel: k, pid, image };
}
