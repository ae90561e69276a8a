// The `setup` section of a scenario (docs/scenario-format.md "setup"): a zod schema for the
// shape (types, enums, unknown keys), then `buildSetup` for the checks that need more than one
// field (duplicate paths, the design catalogue, the CPU model) and for the defaults, which are
// chosen so that a scenario with no setup at all runs: the mainline driver of Linux 6.1 on an
// SGX2+FLC CPU, builtin:default enforcing, a root ext4, /dev and /tmp, one unconfined task.
import { z } from 'zod';
import { capabilityByName } from '../abi/capability.js';
import * as personality from '../abi/personality.js';
import { DEFAULT_SGX_CPU, sgxCpuConfig, type EpcSectionConfig, type SgxCpuConfig, type SgxCpuOptions } from '../arch/x86/sgx/cpu.js';
import type { Pattern } from '../enclave/pattern.js';
import { PROCESS_CONTEXTS } from '../security/selinux/builtin.js';
import { RESERVED_WORDS } from './ast.js';
import { closest, didYouMean, type Pos } from './errors.js';
import { parseIntLiteral, U64_MAX, type Radix } from './numbers.js';
import { ABI_CONSTANTS } from './symbols.js';

// ------------------------------------------------------------------ catalogues

/** A driver design as the runner knows it. */
export interface DesignRef {
  /** Canonical id ('D1'). */
  readonly id: string;
  /** Other accepted names ('copy-source-perms'); matching ignores case. */
  readonly aliases?: readonly string[];
  readonly title?: string;
  /** For the mainline designs: the first kernel version that shipped it ('5.11'). The default
   * design of a scenario is the newest mainline design not newer than its kernel. */
  readonly mainlineSince?: string;
}

/**
 * The designs of the reference notes (sgx-driver-and-designs.md §2) under the slugs of
 * src/drivers/sgx, used until the runner supplies the registry's list through
 * LoadOptions.designs (which can also name variants such as D3-static).
 */
export const PROVISIONAL_DESIGNS: readonly DesignRef[] = [
  { id: 'D0', aliases: ['v20'], title: 'v20 status quo (pre-May-2019 driver)' },
  { id: 'D1', aliases: ['copy-source-perms'], title: 'source-VMA permission copy (Sean Christopherson, 2019-05-17)' },
  { id: 'D2', aliases: ['sigstruct-file'], title: 'SIGSTRUCT file as proxy (Andy Lutomirski, 2019-05-15)' },
  { id: 'D3', aliases: ['execute-intent'], title: 'execute_intent, static or dynamic (Andy Lutomirski, 2019-05-30)' },
  { id: 'D4', aliases: ['allow-prot'], title: 'ALLOW_* max protection declared at EADD (RFC v1/v2, 2019-05-31)' },
  { id: 'D5', aliases: ['sgx-perms'], title: 'SGX-specific SELinux permissions (RFC v3/v4, June 2019)' },
  { id: 'D6', aliases: ['ema'], title: 'LSM-tracked enclave memory areas (Cedric Xing, June-July 2019)' },
  { id: 'D7', aliases: ['mainline-5.11'], title: 'mainline 5.11', mainlineSince: '5.11' },
  { id: 'D8', aliases: ['mainline-6.0', 'sgx2'], title: 'mainline 6.0 with SGX2', mainlineSince: '6.0' },
];

export const DEFAULT_FS_TYPES = ['ext4', 'tmpfs', 'devtmpfs'] as const;
/** Character devices a scenario can create (drivers/char/mem.c null/zero; the SGX misc devices). */
export const DEFAULT_DEVICE_KINDS = ['sgx_enclave', 'sgx_provision', 'sgx_vepc', 'null', 'zero'] as const;
export const DEFAULT_BUILTIN_POLICIES = ['default', 'strict'] as const;
export const MOUNT_FLAGS = ['noexec', 'nosuid', 'nodev', 'ro'] as const;
export type MountFlag = (typeof MOUNT_FLAGS)[number];

export const DEFAULT_KERNEL = '6.1';
/** Fedora's login context, as the built-in policies name it (src/security/selinux/builtin.ts). */
export const DEFAULT_TASK_CONTEXT: string = PROCESS_CONTEXTS.unconfined;
/** TASK_COMM_LEN (include/linux/sched.h) is 16 with the NUL: comm keeps 15 bytes. */
export const TASK_COMM_MAX = 15;

export interface SetupOptions {
  /** Designs `design:` may name (default PROVISIONAL_DESIGNS). */
  readonly designs?: readonly DesignRef[];
  readonly fsTypes?: readonly string[];
  readonly deviceKinds?: readonly string[];
  readonly builtinPolicies?: readonly string[];
}

// ------------------------------------------------------------------ the typed result

export interface KernelVersion {
  readonly major: number;
  readonly minor: number;
}

export interface DesignChoice {
  /** Canonical id from the catalogue. */
  readonly id: string;
  /** Design-specific options, checked by the design itself. */
  readonly options: Readonly<Record<string, string | bigint | boolean>>;
  readonly pos?: Pos;
}

export type PolicySource = { readonly kind: 'builtin'; readonly name: string } | { readonly kind: 'file'; readonly path: string; readonly given: string };

export interface PolicySetup {
  readonly source: PolicySource;
  readonly enforcing: boolean;
  readonly booleans: Readonly<Record<string, boolean>>;
  /** Domains made permissive (`permissive TYPE;`). */
  readonly permissiveDomains: readonly string[];
  readonly pos?: Pos;
}

export interface MountSpec {
  readonly path: string;
  readonly fstype: string;
  readonly flags: Readonly<Record<MountFlag, boolean>>;
  /** mount -o context= (every inode gets this label). */
  readonly context?: string;
  readonly pos?: Pos;
}

export interface DirectorySpec {
  readonly path: string;
  readonly label?: string;
  readonly mode: number;
  readonly pos?: Pos;
}

export type FileContents =
  /** Bytes of a file next to the scenario (path resolved against the scenario's directory). */
  | { readonly kind: 'file'; readonly path: string; readonly given: string; readonly offset: number }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly form: 'hex' | 'text' }
  | { readonly kind: 'pattern'; readonly pattern: Pattern }
  | { readonly kind: 'zero' };

export interface FileSpec {
  readonly path: string;
  readonly label?: string;
  readonly mode: number;
  readonly contents: FileContents;
  /** File size: given, or the contents' length (file contents: undefined = the whole file from offset). */
  readonly size?: number;
  readonly pos?: Pos;
}

export interface DeviceSpec {
  readonly path: string;
  /** Which device the node opens (DEFAULT_DEVICE_KINDS). */
  readonly device: string;
  readonly label?: string;
  readonly mode: number;
  readonly pos?: Pos;
}

export interface TaskSpec {
  /** The name steps use after '@'. */
  readonly name: string;
  readonly comm: string;
  readonly context: string;
  readonly personality: number;
  /** Capability names, CAP_ prefixed, upper case. */
  readonly caps: readonly string[];
  readonly pos?: Pos;
}

export interface Setup {
  readonly kernel: KernelVersion;
  readonly design: DesignChoice;
  readonly policy: PolicySetup;
  readonly cpu: SgxCpuConfig;
  readonly mounts: readonly MountSpec[];
  readonly directories: readonly DirectorySpec[];
  readonly files: readonly FileSpec[];
  readonly devices: readonly DeviceSpec[];
  /** `devices` was omitted: the runner creates the design's own device nodes. */
  readonly designDevices: boolean;
  readonly tasks: readonly TaskSpec[];
}

export const DEFAULT_MOUNTS: readonly MountSpec[] = [
  { path: '/', fstype: 'ext4', flags: { noexec: false, nosuid: false, nodev: false, ro: false } },
  { path: '/dev', fstype: 'devtmpfs', flags: { noexec: false, nosuid: true, nodev: false, ro: false } },
  { path: '/tmp', fstype: 'tmpfs', flags: { noexec: false, nosuid: true, nodev: true, ro: false } },
];

export const DEFAULT_TASK: TaskSpec = { name: 'loader', comm: 'loader', context: DEFAULT_TASK_CONTEXT, personality: 0, caps: [] };

// ------------------------------------------------------------------ raw schema

/** A problem found while checking setup; `path` is the YAML path (keys and indexes). */
export interface SetupIssue {
  readonly path: readonly (string | number)[];
  /** Report at the key of the last path element rather than at its value. */
  readonly atKey?: boolean;
  readonly message: string;
}

/** Marker prefix for the known-keys list the zod error hook attaches to unknown-key issues. */
export const KNOWN_KEYS_MARK = '\u0000known:';

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return 'bytes';
  return Array.isArray(v) ? 'a list' : 'a mapping';
};

/** Issue message standing for "required key absent" (turned into "missing key 'k' in ..."). */
const MISSING = '\u0000missing';

function uint(max: bigint, what: string) {
  return z.unknown().transform((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: MISSING });
      return z.NEVER;
    }
    let n: bigint | undefined;
    if (typeof v === 'bigint') n = v;
    else if (typeof v === 'string') {
      const r = parseIntLiteral(v.trim());
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: `${r.message} (expected ${what})` });
        return z.NEVER;
      }
      n = r.lit.value;
    }
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${show(v)}` });
      return z.NEVER;
    }
    if (n < 0n || n > max) {
      ctx.addIssue({ code: 'custom', message: `${n} is out of range for ${what} (at most 0x${max.toString(16)})` });
      return z.NEVER;
    }
    return n;
  });
}
const u64 = (what = 'an unsigned 64-bit integer') => uint(U64_MAX, what);
const num = (max: number, what: string) => uint(BigInt(max), what).transform((n) => Number(n));

const str = (what = 'a string') =>
  z.unknown().transform((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: MISSING });
      return z.NEVER;
    }
    if (typeof v !== 'string') {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${show(v)}${typeof v === 'bigint' || typeof v === 'boolean' ? ' (quote it)' : ''}` });
      return z.NEVER;
    }
    return v;
  });

const bool = z.unknown().transform((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: MISSING });
      return z.NEVER;
    }
  if (typeof v !== 'boolean') {
    ctx.addIssue({ code: 'custom', message: `expected true or false, got ${show(v)}` });
    return z.NEVER;
  }
  return v;
});

function oneOf(values: readonly string[], what: string) {
  return z.unknown().transform((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: MISSING });
      return z.NEVER;
    }
    if (typeof v !== 'string' || !values.includes(v)) {
      const hint = typeof v === 'string' ? didYouMean(v, values) : '';
      ctx.addIssue({ code: 'custom', message: `unknown ${what} ${show(v)}${hint}; expected one of ${values.join(', ')}` });
      return z.NEVER;
    }
    return v;
  });
}

/** Normalise an absolute path lexically ('//' and '/./' collapse, '..' pops); null if relative. */
export function normalizeAbsolute(p: string): string | null {
  if (!p.startsWith('/')) return null;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

const absPath = z.unknown().transform((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: MISSING });
      return z.NEVER;
    }
  if (typeof v !== 'string' || v.length === 0) {
    ctx.addIssue({ code: 'custom', message: `expected an absolute path, got ${show(v)}` });
    return z.NEVER;
  }
  const n = normalizeAbsolute(v);
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: `path ${JSON.stringify(v)} must be absolute (start with /)` });
    return z.NEVER;
  }
  if (v.includes('\0')) {
    ctx.addIssue({ code: 'custom', message: 'a path cannot contain a NUL byte' });
    return z.NEVER;
  }
  return n;
});

const CONTEXT_RE = /^[^:\s]+:[^:\s]+:[^:\s]+(:\S+)?$/;
const context = z.unknown().transform((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: MISSING });
      return z.NEVER;
    }
  if (typeof v !== 'string' || !CONTEXT_RE.test(v)) {
    ctx.addIssue({ code: 'custom', message: `expected a security context user:role:type[:level], got ${show(v)}` });
    return z.NEVER;
  }
  return v;
});

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ident = (what: string) =>
  z.unknown().transform((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: MISSING });
      return z.NEVER;
    }
    if (typeof v !== 'string' || !IDENT_RE.test(v)) {
      ctx.addIssue({ code: 'custom', message: `expected ${what} (letters, digits and _), got ${show(v)}` });
      return z.NEVER;
    }
    return v;
  });

/** A list, or one item standing for a list of one. */
const listOf = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item));

const patternSchema = z.strictObject({
  fill: num(0xff, 'a byte value').optional(),
  repeat: str('hex bytes').optional(),
  random: num(0xffff_ffff, 'a 32-bit seed').optional(),
});

const contentsSchema = z.preprocess(
  (v) => (v === 'zero' ? { zero: true } : v),
  z.strictObject({
    zero: z.literal(true).optional(),
    file: str('a file name').optional(),
    offset: num(Number.MAX_SAFE_INTEGER, 'a file offset').optional(),
    hex: str('hex bytes').optional(),
    text: str().optional(),
    pattern: patternSchema.optional(),
  }),
);

function rawSchema(o: Required<SetupOptions>) {
  const mount = z.strictObject({
    path: absPath,
    fstype: oneOf(o.fsTypes, 'filesystem type').optional(),
    flags: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s) : v), z.array(oneOf(MOUNT_FLAGS, 'mount flag'))).optional(),
    context: context.optional(),
  });
  const directory = z.preprocess((v) => (typeof v === 'string' ? { path: v } : v), z.strictObject({ path: absPath, label: context.optional(), mode: num(0o7777, 'a mode').optional() }));
  const file = z.strictObject({
    path: absPath,
    label: context.optional(),
    mode: num(0o7777, 'a mode').optional(),
    size: num(Number.MAX_SAFE_INTEGER, 'a size in bytes').optional(),
    contents: contentsSchema.optional(),
  });
  const device = z.strictObject({
    path: absPath,
    device: oneOf(o.deviceKinds, 'device'),
    label: context.optional(),
    mode: num(0o7777, 'a mode').optional(),
  });
  const task = z.strictObject({
    name: ident('a task name'),
    comm: str().optional(),
    context: context.optional(),
    personality: z.union([u64('a personality value'), z.array(str('a personality flag name'))]).optional(),
    caps: listOf(str('a capability name')).optional(),
  });
  const policy = z.preprocess(
    (v) => (typeof v === 'string' ? { source: v } : v),
    z.strictObject({
      source: str('builtin:NAME or a policy file').optional(),
      mode: oneOf(['enforcing', 'permissive'], 'policy mode').optional(),
      booleans: z.record(z.string(), bool).optional(),
      permissive_domains: listOf(ident('a domain type name')).optional(),
    }),
  );
  const design = z.preprocess((v) => (typeof v === 'string' ? { id: v } : v), z.strictObject({ id: str('a design id'), options: z.record(z.string(), z.unknown()).optional() }));
  const section = z.strictObject({ base: u64('a physical address'), size: u64('a size in bytes') });
  const cpu = z.strictObject({
    sgx1: bool.optional(),
    sgx2: bool.optional(),
    flc: bool.optional(),
    kss: bool.optional(),
    epc: u64('an EPC size in bytes').optional(),
    epc_sections: z.array(section).optional(),
    xfrm: u64('an XFRM mask').optional(),
    xcr0: u64('an XCR0 value').optional(),
    miscselect: num(0xffff_ffff, 'a MISCSELECT mask').optional(),
  });
  return z.strictObject({
    kernel: z.unknown().optional(),
    design: design.optional(),
    policy: policy.optional(),
    cpu: cpu.optional(),
    mounts: z.array(mount).optional(),
    directories: z.array(directory).optional(),
    files: z.array(file).optional(),
    devices: z.array(device).optional(),
    tasks: z.array(task).optional(),
  });
}

type RawSetup = z.infer<ReturnType<typeof rawSchema>>;

/** zod error hook: messages for the shapes zod checks itself. */
function zodMessage(iss: { code: string; input?: unknown; expected?: string; inst?: unknown }): string | undefined {
  if (iss.code === 'unrecognized_keys') {
    const shape = (iss.inst as { shape?: Record<string, unknown> } | undefined)?.shape;
    return KNOWN_KEYS_MARK + Object.keys(shape ?? {}).join(',');
  }
  if (iss.code === 'invalid_type') {
    if (iss.input === undefined) return 'missing';
    const want = iss.expected === 'object' ? 'a mapping' : iss.expected === 'array' ? 'a list' : iss.expected === 'record' ? 'a mapping' : (iss.expected ?? 'something else');
    return `expected ${want}, got ${show(iss.input)}`;
  }
  if (iss.code === 'invalid_value') return `expected true, got ${show(iss.input)}`;
  return undefined;
}

/** Schemas by option set (building one costs more than using it). */
const schemaCache = new Map<string, ReturnType<typeof rawSchema>>();

function cachedSchema(o: Required<SetupOptions>): ReturnType<typeof rawSchema> {
  const key = JSON.stringify([o.fsTypes, o.deviceKinds]);
  let s = schemaCache.get(key);
  if (s === undefined) {
    s = rawSchema(o);
    if (schemaCache.size > 16) schemaCache.clear();
    schemaCache.set(key, s);
  }
  return s;
}

/** Validate the shape of `setup` (undefined = every default). Returns the raw data or issues. */
function parseRaw(raw: unknown, o: Required<SetupOptions>): { data?: RawSetup; issues: SetupIssue[] } {
  const r = cachedSchema(o).safeParse(raw ?? {}, { error: (iss) => zodMessage(iss as never) });
  if (r.success) return { data: r.data, issues: [] };
  const issues: SetupIssue[] = [];
  for (const iss of r.error.issues) {
    const path = iss.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
    if (iss.code === 'unrecognized_keys') {
      const known = iss.message.startsWith(KNOWN_KEYS_MARK) ? iss.message.slice(KNOWN_KEYS_MARK.length).split(',').filter((k) => k) : [];
      for (const k of iss.keys) {
        issues.push({ path: [...path, k], atKey: true, message: `unknown key '${k}'${where(path)}${didYouMean(k, known)}; expected ${known.join(', ')}` });
      }
      continue;
    }
    if (iss.message === 'missing' || iss.message === MISSING) {
      const key = path[path.length - 1];
      issues.push({ path: path.slice(0, -1), message: `missing key '${String(key)}'${where(path.slice(0, -1))}` });
      continue;
    }
    issues.push({ path, message: iss.message });
  }
  return { issues };
}

/** " in setup.files[2]" for messages. */
function where(path: readonly (string | number)[]): string {
  if (path.length === 0) return ' in setup';
  let s = 'setup';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `.${p}`;
  return ` in ${s}`;
}

// ------------------------------------------------------------------ semantic checks and defaults

/** Context of a build: positions and the literal form of plain integers in the file. */
export interface SetupContext {
  /** The scenario file (relative paths resolve against its directory). */
  readonly file: string;
  /** Position of the node at a setup path (for the pos fields), if known. */
  readonly locate?: (path: readonly (string | number)[]) => Pos | undefined;
  /** How a plain integer scalar at a setup path was written (to catch `mode: 644`). */
  readonly radixAt?: (path: readonly (string | number)[]) => Radix | undefined;
}

/** Parse "6.1" (also a YAML number's source text). */
export function parseKernelVersion(v: unknown): KernelVersion | undefined {
  const s = typeof v === 'string' ? v.trim() : undefined;
  const m = s === undefined ? null : /^(\d{1,2})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function kernelVersionText(k: KernelVersion): string {
  return `${k.major}.${k.minor}`;
}

function compareKernel(a: KernelVersion, b: KernelVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

/** Resolve `rel` against the directory of `base` (POSIX, lexical). Absolute `rel` stays. */
export function resolveRelative(base: string, rel: string): string {
  if (rel.startsWith('/')) return normalizeAbsolute(rel) ?? rel;
  const slash = base.lastIndexOf('/');
  const dir = slash < 0 ? '' : base.slice(0, slash + 1);
  const joined = dir + rel;
  if (joined.startsWith('/')) return normalizeAbsolute(joined) ?? joined;
  // relative base: normalise without a leading slash, keeping leading '..'
  const out: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  return out.join('/') || '.';
}

/** The design entry `id` names (canonical id or alias, any case). */
export function findDesign(designs: readonly DesignRef[], id: string): DesignRef | undefined {
  const l = id.toLowerCase();
  return designs.find((d) => d.id.toLowerCase() === l || (d.aliases ?? []).some((a) => a.toLowerCase() === l));
}

/** The default design for a kernel: the newest mainline design not newer than it. */
export function defaultDesign(designs: readonly DesignRef[], kernel: KernelVersion): DesignRef | undefined {
  let best: { d: DesignRef; since: KernelVersion } | undefined;
  for (const d of designs) {
    const since = d.mainlineSince === undefined ? undefined : parseKernelVersion(d.mainlineSince);
    if (since === undefined || compareKernel(since, kernel) > 0) continue;
    if (best === undefined || compareKernel(since, best.since) > 0) best = { d, since };
  }
  return best?.d;
}

function parseHexBytes(s: string): Uint8Array | string {
  const digits = s.replace(/[\s:_]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits)) return `expected hex bytes like "90 90 c3", got ${JSON.stringify(s)}`;
  if (digits.length % 2) return `hex bytes need an even number of digits, got ${digits.length}`;
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const PERSONALITY_FLAGS: readonly string[] = Object.keys(personality).filter((k) => /^[A-Z][A-Z0-9_]*$/.test(k) && !['PER_MASK', 'PERSONALITY_QUERY', 'PER_LINUX'].includes(k));
const CAP_NAMES: readonly string[] = [...ABI_CONSTANTS.names()].filter((n) => n.startsWith('CAP_'));

export type SetupResult = { ok: true; setup: Setup } | { ok: false; issues: SetupIssue[] };

/** Check `raw` (the YAML value of `setup`, or undefined) and fill defaults. */
export function buildSetup(raw: unknown, sctx: SetupContext, options: SetupOptions = {}): SetupResult {
  const o: Required<SetupOptions> = {
    designs: options.designs ?? PROVISIONAL_DESIGNS,
    fsTypes: options.fsTypes ?? DEFAULT_FS_TYPES,
    deviceKinds: options.deviceKinds ?? DEFAULT_DEVICE_KINDS,
    builtinPolicies: options.builtinPolicies ?? DEFAULT_BUILTIN_POLICIES,
  };
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    return { ok: false, issues: [{ path: [], message: `setup must be a mapping, got ${show(raw)}` }] };
  }
  const parsed = parseRaw(raw === null ? undefined : raw, o);
  if (!parsed.data) return { ok: false, issues: parsed.issues };
  const r = parsed.data;
  const issues: SetupIssue[] = [];
  const at = (path: (string | number)[]): Pos | undefined => sctx.locate?.(path);
  const withPos = <T extends object>(x: T, path: (string | number)[]): T => {
    const pos = at(path);
    return pos ? { ...x, pos } : x;
  };
  const checkMode = (mode: number | undefined, path: (string | number)[], dflt: number): number => {
    if (mode === undefined) return dflt;
    if (sctx.radixAt?.(path) === 10 && mode >= 8) {
      issues.push({ path, message: `mode ${mode} is a decimal number; modes are octal: write 0${mode} (or 0o${mode})` });
    }
    return mode;
  };

  // kernel
  let kernel: KernelVersion = parseKernelVersion(DEFAULT_KERNEL)!;
  if (r.kernel !== undefined) {
    const k = parseKernelVersion(r.kernel);
    if (k === undefined || k.major < 5 || k.major > 6) issues.push({ path: ['kernel'], message: `expected a kernel version MAJOR.MINOR such as 6.1 (5.x or 6.x), got ${show(r.kernel)}` });
    else kernel = k;
  }

  // design
  let design: DesignChoice | undefined;
  if (r.design !== undefined) {
    const d = findDesign(o.designs, r.design.id);
    if (d === undefined) {
      const names = o.designs.flatMap((x) => [x.id, ...(x.aliases ?? [])]);
      issues.push({ path: ['design'], message: `unknown design ${JSON.stringify(r.design.id)}${didYouMean(r.design.id, names)}; the designs are ${o.designs.map((x) => x.id + (x.aliases?.length ? ` (${x.aliases.join(', ')})` : '')).join(', ')}` });
    } else {
      const opts: Record<string, string | bigint | boolean> = {};
      for (const [k, v] of Object.entries(r.design.options ?? {})) {
        if (typeof v === 'string' || typeof v === 'bigint' || typeof v === 'boolean') opts[k] = v;
        else issues.push({ path: ['design', 'options', k], message: `a design option is a string, number or boolean, got ${show(v)}` });
      }
      design = withPos({ id: d.id, options: opts }, ['design']);
    }
  } else {
    const d = defaultDesign(o.designs, kernel);
    if (d === undefined) issues.push({ path: ['kernel'], message: `mainline Linux ${kernelVersionText(kernel)} has no SGX driver: name one in setup.design` });
    else design = { id: d.id, options: {} };
  }

  // policy
  const rp = r.policy ?? {};
  let source: PolicySource = { kind: 'builtin', name: 'default' };
  if (rp.source !== undefined) {
    const s = rp.source.trim();
    if (s.startsWith('builtin:')) {
      const name = s.slice('builtin:'.length);
      if (!o.builtinPolicies.includes(name)) {
        issues.push({ path: ['policy', 'source'], message: `unknown built-in policy ${JSON.stringify(name)}${didYouMean(name, o.builtinPolicies)}; the built-in policies are ${o.builtinPolicies.map((b) => 'builtin:' + b).join(', ')}` });
      }
      source = { kind: 'builtin', name };
    } else if (s === '') {
      issues.push({ path: ['policy', 'source'], message: 'expected builtin:NAME or a policy file' });
    } else {
      if (o.builtinPolicies.includes(s)) issues.push({ path: ['policy', 'source'], message: `${JSON.stringify(s)} would be a file next to the scenario; for the built-in policy write builtin:${s}` });
      source = { kind: 'file', path: resolveRelative(sctx.file, s), given: s };
    }
  }
  const policy: PolicySetup = withPos(
    {
      source,
      enforcing: (rp.mode ?? 'enforcing') === 'enforcing',
      booleans: { ...(rp.booleans ?? {}) },
      permissiveDomains: [...(rp.permissive_domains ?? [])],
    },
    ['policy'],
  );

  // cpu
  let cpu: SgxCpuConfig = DEFAULT_SGX_CPU;
  if (r.cpu !== undefined) {
    const c = r.cpu;
    const opts: { -readonly [K in keyof SgxCpuOptions]: SgxCpuOptions[K] } = {};
    if (c.sgx1 !== undefined) opts.sgx1 = c.sgx1;
    if (c.sgx2 !== undefined) opts.sgx2 = c.sgx2;
    if (c.flc !== undefined) opts.flc = c.flc;
    if (c.kss !== undefined) opts.kss = c.kss;
    if (c.xfrm !== undefined) opts.xfrmSupported = c.xfrm;
    if (c.xcr0 !== undefined) opts.xcr0 = c.xcr0;
    if (c.miscselect !== undefined) opts.miscselectSupported = c.miscselect;
    const page = 4096n;
    const pagesOf = (size: bigint, path: (string | number)[]): number | undefined => {
      if (size === 0n || size % page !== 0n) {
        issues.push({ path, message: `an EPC size is a positive multiple of 4096 bytes, got 0x${size.toString(16)}` });
        return undefined;
      }
      if (size / page > 1n << 28n) {
        issues.push({ path, message: 'EPC too large (at most 2^28 pages)' });
        return undefined;
      }
      return Number(size / page);
    };
    if (c.epc !== undefined && c.epc_sections !== undefined) issues.push({ path: ['cpu', 'epc'], message: 'give either epc (one section) or epc_sections, not both' });
    else if (c.epc !== undefined) {
      const pages = pagesOf(c.epc, ['cpu', 'epc']);
      if (pages !== undefined) opts.epcPages = pages;
    } else if (c.epc_sections !== undefined) {
      const sections: EpcSectionConfig[] = [];
      c.epc_sections.forEach((s, i) => {
        const pages = pagesOf(s.size, ['cpu', 'epc_sections', i, 'size']);
        if (pages !== undefined) sections.push({ base: s.base, pages });
      });
      opts.epcSections = sections;
    }
    try {
      cpu = sgxCpuConfig(opts);
    } catch (e) {
      issues.push({ path: ['cpu'], message: `invalid CPU: ${(e as Error).message}` });
    }
  }

  // mounts: the defaults, overridden by path, parents before children
  const mounts = new Map<string, MountSpec>(DEFAULT_MOUNTS.map((m) => [m.path, m]));
  const seenMount = new Set<string>();
  (r.mounts ?? []).forEach((m, i) => {
    if (seenMount.has(m.path)) issues.push({ path: ['mounts', i, 'path'], message: `${m.path} is mounted twice` });
    seenMount.add(m.path);
    const fstype = m.fstype ?? mounts.get(m.path)?.fstype;
    if (fstype === undefined) {
      issues.push({ path: ['mounts', i], message: `missing key 'fstype' in setup.mounts[${i}] (one of ${o.fsTypes.join(', ')})` });
      return;
    }
    const set = new Set(m.flags ?? []);
    const flags = { noexec: set.has('noexec'), nosuid: set.has('nosuid'), nodev: set.has('nodev'), ro: set.has('ro') };
    mounts.set(m.path, withPos({ path: m.path, fstype, flags, ...(m.context !== undefined ? { context: m.context } : {}) }, ['mounts', i]));
  });
  const depth = (p: string): number => (p === '/' ? 0 : p.split('/').length - 1);
  const mountList = [...mounts.values()].sort((a, b) => depth(a.path) - depth(b.path));

  // the namespace: directories, files and devices must not collide
  const owners = new Map<string, string>();
  const claim = (path: string, what: string, p: (string | number)[]): void => {
    const prev = owners.get(path);
    if (prev !== undefined) issues.push({ path: p, message: `${path} is already ${prev}` });
    else owners.set(path, `${what} (${where(p).slice(4)})`);
  };

  const directories: DirectorySpec[] = (r.directories ?? []).map((d, i) => {
    claim(d.path, 'a directory', ['directories', i]);
    return withPos({ path: d.path, ...(d.label !== undefined ? { label: d.label } : {}), mode: checkMode(d.mode, ['directories', i, 'mode'], 0o755) }, ['directories', i]);
  });

  const files: FileSpec[] = [];
  (r.files ?? []).forEach((f, i) => {
    const p = ['files', i];
    claim(f.path, 'a file', p);
    const c = f.contents ?? { zero: true as const };
    const given = (['zero', 'file', 'hex', 'text', 'pattern'] as const).filter((k) => c[k] !== undefined);
    if (given.length !== 1) {
      issues.push({ path: [...p, 'contents'], message: given.length ? `contents takes one of zero, file, hex, text, pattern; got ${given.join(' and ')}` : 'contents takes one of zero, file, hex, text, pattern' });
      return;
    }
    if (c.offset !== undefined && c.file === undefined) issues.push({ path: [...p, 'contents', 'offset'], message: 'offset goes with contents.file' });
    let contents: FileContents;
    let size = f.size;
    switch (given[0]) {
      case 'zero':
        contents = { kind: 'zero' };
        size ??= 0;
        break;
      case 'file':
        contents = { kind: 'file', path: resolveRelative(sctx.file, c.file!), given: c.file!, offset: c.offset ?? 0 };
        break;
      case 'hex': {
        const b = parseHexBytes(c.hex!);
        if (typeof b === 'string') {
          issues.push({ path: [...p, 'contents', 'hex'], message: b });
          return;
        }
        contents = { kind: 'bytes', bytes: b, form: 'hex' };
        if (size !== undefined && size !== b.length) issues.push({ path: [...p, 'size'], message: `size ${size} differs from the ${b.length} bytes of contents (leave size out)` });
        size = b.length;
        break;
      }
      case 'text': {
        const b = new TextEncoder().encode(c.text!);
        contents = { kind: 'bytes', bytes: b, form: 'text' };
        if (size !== undefined && size !== b.length) issues.push({ path: [...p, 'size'], message: `size ${size} differs from the ${b.length} bytes of contents (leave size out)` });
        size = b.length;
        break;
      }
      case 'pattern': {
        const pt = c.pattern!;
        const kinds = (['fill', 'repeat', 'random'] as const).filter((k) => pt[k] !== undefined);
        if (kinds.length !== 1) {
          issues.push({ path: [...p, 'contents', 'pattern'], message: 'a pattern is one of {fill: BYTE}, {repeat: "HEX"}, {random: SEED}' });
          return;
        }
        let pattern: Pattern;
        if (kinds[0] === 'fill') pattern = { kind: 'fill', value: pt.fill! };
        else if (kinds[0] === 'random') pattern = { kind: 'random', seed: pt.random! };
        else {
          const b = parseHexBytes(pt.repeat!);
          if (typeof b === 'string' || b.length === 0) {
            issues.push({ path: [...p, 'contents', 'pattern', 'repeat'], message: typeof b === 'string' ? b : 'repeat needs at least one byte' });
            return;
          }
          pattern = { kind: 'repeat', bytes: b };
        }
        if (size === undefined) issues.push({ path: p, message: `a file with a pattern needs a size${where(p)}` });
        contents = { kind: 'pattern', pattern };
        break;
      }
    }
    files.push(withPos({ path: f.path, ...(f.label !== undefined ? { label: f.label } : {}), mode: checkMode(f.mode, [...p, 'mode'], 0o644), contents, ...(size !== undefined ? { size } : {}) }, p));
  });

  const devices: DeviceSpec[] = (r.devices ?? []).map((d, i) => {
    claim(d.path, 'a device', ['devices', i]);
    return withPos({ path: d.path, device: d.device, ...(d.label !== undefined ? { label: d.label } : {}), mode: checkMode(d.mode, ['devices', i, 'mode'], 0o666) }, ['devices', i]);
  });

  // tasks
  const taskNames = new Set<string>();
  const tasks: TaskSpec[] = (r.tasks ?? []).map((rt, i) => {
    const p = ['tasks', i];
    if (RESERVED_WORDS.has(rt.name)) issues.push({ path: [...p, 'name'], message: `'${rt.name}' is reserved and cannot name a task` });
    if (taskNames.has(rt.name)) issues.push({ path: [...p, 'name'], message: `task '${rt.name}' is defined twice` });
    taskNames.add(rt.name);
    let pers = 0;
    if (typeof rt.personality === 'bigint') {
      if (rt.personality > 0xffff_ffffn) issues.push({ path: [...p, 'personality'], message: 'a personality is a 32-bit value' });
      pers = Number(rt.personality & 0xffff_ffffn);
    } else if (Array.isArray(rt.personality)) {
      rt.personality.forEach((n, j) => {
        const v = (personality as unknown as Record<string, number>)[n];
        if (typeof v !== 'number' || !PERSONALITY_FLAGS.includes(n)) {
          issues.push({ path: [...p, 'personality', j], message: `unknown personality flag ${JSON.stringify(n)}${didYouMean(n, PERSONALITY_FLAGS)}` });
        } else pers |= v;
      });
    }
    const caps: string[] = [];
    (rt.caps ?? []).forEach((c, j) => {
      const up = c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : 'CAP_' + c.toUpperCase();
      if (capabilityByName(c) === undefined) {
        issues.push({ path: [...p, 'caps', j], message: `unknown capability ${JSON.stringify(c)}${didYouMean(up, CAP_NAMES)}; the model knows ${CAP_NAMES.join(', ')}` });
      } else if (!caps.includes(up)) caps.push(up);
    });
    const comm = new TextDecoder().decode(new TextEncoder().encode(rt.comm ?? rt.name).slice(0, TASK_COMM_MAX)).replace(/\uFFFD$/, '');
    return withPos({ name: rt.name, comm, context: rt.context ?? DEFAULT_TASK_CONTEXT, personality: pers >>> 0, caps }, p);
  });

  if (issues.length || design === undefined) return { ok: false, issues: [...issues] };
  return {
    ok: true,
    setup: {
      kernel,
      design,
      policy,
      cpu,
      mounts: mountList,
      directories,
      files,
      devices,
      designDevices: r.devices === undefined,
      tasks: r.tasks === undefined ? [DEFAULT_TASK] : tasks,
    },
  };
}

/** The closest task name (for "unknown task" messages). */
export function closestTask(setup: Setup, name: string): string | undefined {
  return closest(
    name,
    setup.tasks.map((t) => t.name),
  );
}
