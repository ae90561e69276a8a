// Booting the machine a scenario's `setup` describes (docs/runner.md "Setup"): the policy
// (built-in or a policy.conf file, enforcing or permissive, booleans, permissive domains, and any
// extra allow rules `policy derive` adds), a kernel of the setup's version with SELinux as its
// LSM, the mounts (flags, context=), directories, files (contents from files next to the
// scenario, bytes, patterns, zeros), the design's driver installed on the setup's CPU, device
// nodes, and the tasks. Pure: every file is read through the host; bad input becomes a
// positioned ScenarioFailure (file:line:col), never a crash.
import type { Kernel } from '../kernel/kernel.js';
import { bootWithSelinux, selinuxOf } from '../security/selinux/boot.js';
import { SelinuxError } from '../security/selinux/hooks.js';
import { builtinPolicy, builtinPolicySource, BUILTIN_POLICIES, type FileContextEntry } from '../security/selinux/builtin.js';
import { parsePolicy } from '../security/selinux/parser.js';
import { compilePolicyResult } from '../security/selinux/compile.js';
import { formatError as formatPolicyError } from '../security/selinux/ast.js';
import { BUILTIN_FILE_CONTEXTS, fsLabelRulesFromAst, matchPathCon, type FsLabelRules } from '../security/selinux/label.js';
import type { Policy } from '../security/selinux/policy.js';
import { capabilityByName } from '../abi/capability.js';
import { MAJOR, MINOR } from '../abi/stat.js';
import { O_RDWR } from '../abi/fcntl.js';
import { fillPattern } from '../enclave/pattern.js';
import type { Crypto } from '../platform/crypto.js';
import '../drivers/sgx/index.js';
import { listDesigns, lookupDesign } from '../drivers/sgx/registry.js';
import type { DeviceRole, SgxDesign, SgxInstall } from '../drivers/sgx/design.js';
import { addDeviceAlias } from '../drivers/sgx/common/install.js';
import { ScenarioFailure, scenarioError, type Pos } from './errors.js';
import type { Scenario } from './load.js';
import { kernelVersionText, type DesignRef, type FileSpec } from './setup.js';

/** What the runner needs from its environment (the CLI gives node's; tests may give fakes). */
export interface RunHost {
  /** The bytes of a file (path as resolved against the scenario). Throws an Error whose message says why. */
  readFile(path: string): Uint8Array;
  /** Cryptography for the CPU model (EINIT) and the loaders' signing. */
  readonly crypto: Crypto;
}

/** Where the policy comes from, after command-line overrides. */
export type PolicyChoice = { readonly kind: 'builtin'; readonly name: string } | { readonly kind: 'file'; readonly path: string };

export interface BootOptions {
  /** Use this design instead of setup.design (a key, id, slug or alias). */
  readonly design?: string;
  /** Use this policy instead of setup.policy.source. */
  readonly policy?: PolicyChoice;
  /** Force permissive (true) or enforcing (false) instead of setup.policy.mode. */
  readonly permissive?: boolean;
  /** policy.conf statements appended to the policy source (`policy derive`). */
  readonly extraRules?: string;
}

export interface Machine {
  readonly k: Kernel;
  readonly design: SgxDesign;
  readonly install: SgxInstall;
  /** Task name -> pid, in setup order. */
  readonly pids: ReadonlyMap<string, number>;
  /** The task that runs steps without `@`. */
  readonly firstTask: string;
  /** 'builtin:default' or the policy file path. */
  readonly policyName: string;
  /** The policy.conf text the policy was compiled from (extra rules included). */
  readonly policySource: string;
  readonly policy: Policy;
  readonly enforcing: boolean;
  /** The file contexts used to label nodes created without a label (null: none). */
  readonly fileContexts: readonly FileContextEntry[] | null;
}

/** Known kernel release series of the designs (mainline since). */
const MAINLINE_SINCE: Readonly<Record<string, string>> = { D7: '5.11', D8: '6.0' };

/** The registry's designs as the scenario loader's catalogue (keys, slugs and ids as names). */
export function registryDesignRefs(): DesignRef[] {
  const firstVariant = new Set<string>();
  return listDesigns().map((d) => {
    const aliases = new Set<string>([d.slug]);
    // A bare id (D3) names its first variant, as lookupDesign() does.
    if (d.variant && !firstVariant.has(d.id)) {
      firstVariant.add(d.id);
      aliases.add(d.id);
    }
    if (d.variant) {
      aliases.add(`${d.slug}/${d.variant}`);
      aliases.add(`${d.id}/${d.variant}`);
    }
    if (d.id === 'D8') aliases.add('sgx2');
    aliases.delete(d.key);
    const since = d.variant === null ? MAINLINE_SINCE[d.id] : undefined;
    return { id: d.key, aliases: [...aliases], title: d.title, ...(since ? { mainlineSince: since } : {}) };
  });
}

function fail(file: string, pos: Pos | undefined, message: string): never {
  throw new ScenarioFailure([scenarioError(file, pos, message)]);
}

function readOrFail(host: RunHost, file: string, pos: Pos | undefined, path: string, what: string): Uint8Array {
  try {
    return host.readFile(path);
  } catch (e) {
    fail(file, pos, `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Compile the policy text; syntax and compile errors are the policy file's own file:line:col. */
function compileText(text: string, name: string, file: string, pos: Pos | undefined): { policy: Policy; fsRules: FsLabelRules } {
  const r = parsePolicy(text, name);
  if (r.errors.length) throw new ScenarioFailure([scenarioError(file, pos, `policy ${name} does not parse: ${r.errors.slice(0, 5).map(formatPolicyError).join('; ')}`)]);
  const c = compilePolicyResult(r.ast, { name, handleUnknown: 'deny' });
  if (c.neverallowViolations.length) {
    throw new ScenarioFailure([scenarioError(file, pos, `policy ${name} violates neverallow (checkpolicy would not build it): ${c.neverallowViolations.slice(0, 3).join('; ')}`)]);
  }
  if (!c.policy || c.errors.length) {
    const errs = c.errors.slice(0, 5).map(formatPolicyError).join('; ');
    throw new ScenarioFailure([scenarioError(file, pos, `policy ${name} does not compile: ${errs || 'unknown error'}`)]);
  }
  return { policy: c.policy, fsRules: fsLabelRulesFromAst(r.ast) };
}

/** The policy, its source text and labelling rules for a scenario (after overrides). */
export function resolveScenarioPolicy(
  scenario: Scenario,
  host: RunHost,
  opts: BootOptions,
): { policy: Policy; name: string; source: string; fsRules: FsLabelRules | undefined; fileContexts: readonly FileContextEntry[] | null } {
  const file = scenario.file;
  const setup = scenario.setup;
  const choice: PolicyChoice = opts.policy ?? (setup.policy.source.kind === 'builtin' ? { kind: 'builtin', name: setup.policy.source.name } : { kind: 'file', path: setup.policy.source.path });
  const pos = setup.policy.pos;
  if (choice.kind === 'builtin') {
    if (!(BUILTIN_POLICIES as readonly string[]).includes(choice.name)) fail(file, pos, `unknown built-in policy builtin:${choice.name} (available: ${BUILTIN_POLICIES.map((n) => 'builtin:' + n).join(', ')})`);
    const name = `builtin:${choice.name}`;
    const base = builtinPolicySource(choice.name);
    if (!opts.extraRules) return { policy: builtinPolicy(choice.name), name, source: base, fsRules: undefined, fileContexts: BUILTIN_FILE_CONTEXTS };
    const source = `${base}\n# added by sgxsim policy derive\n${opts.extraRules}\n`;
    // A builtin policy with rules added keeps the builtin file contexts and fs rules.
    const c = compileText(source, name, file, pos);
    return { policy: c.policy, name, source, fsRules: c.fsRules, fileContexts: BUILTIN_FILE_CONTEXTS };
  }
  const bytes = readOrFail(host, file, pos, choice.path, 'the policy file');
  const text = new TextDecoder().decode(bytes);
  const source = opts.extraRules ? `${text}\n# added by sgxsim policy derive\n${opts.extraRules}\n` : text;
  const c = compileText(source, choice.path, file, pos);
  return { policy: c.policy, name: choice.path, source, fsRules: c.fsRules, fileContexts: null };
}

/** The design a scenario runs on (after the --design override). */
export function resolveScenarioDesign(scenario: Scenario, override?: string): SgxDesign {
  const name = override ?? scenario.setup.design.id;
  const d = lookupDesign(name);
  if (d) return d;
  const names = listDesigns().map((x) => `${x.key} (${x.slug})`);
  fail(scenario.file, override ? undefined : scenario.setup.design.pos, `design ${name} is not implemented in this build (available: ${names.join(', ') || 'none'})`);
}

function fileBytes(scenario: Scenario, host: RunHost, f: FileSpec): { data: Uint8Array; size?: number } {
  const c = f.contents;
  switch (c.kind) {
    case 'zero':
      return { data: new Uint8Array(0), size: f.size ?? 0 };
    case 'bytes':
      return { data: c.bytes, ...(f.size !== undefined ? { size: f.size } : {}) };
    case 'pattern': {
      const size = f.size ?? 0;
      const data = new Uint8Array(size);
      fillPattern(c.pattern, 0, data);
      return { data };
    }
    case 'file': {
      const all = readOrFail(host, scenario.file, f.pos, c.path, `the contents of ${f.path}:`);
      if (c.offset > all.length) fail(scenario.file, f.pos, `${c.given}: offset ${c.offset} is past its end (${all.length} bytes)`);
      const end = f.size === undefined ? all.length : Math.min(all.length, c.offset + f.size);
      return { data: all.slice(c.offset, end), ...(f.size !== undefined ? { size: f.size } : {}) };
    }
  }
}

function parentDirs(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const out: string[] = [];
  let cur = '';
  for (const p of parts.slice(0, -1)) {
    cur += '/' + p;
    out.push(cur);
  }
  return out;
}

/**
 * Give each task fds 0, 1 and 2 on /dev/null, as a daemon has them, so that the scenario's first
 * open() returns 3 as it would on a real system. Set up like the boot itself: untraced, and
 * without SELinux enforcing (the AVC is flushed afterwards by setenforce 1, avc_ss_reset()).
 */
function stdFds(k: Kernel, pids: readonly number[]): void {
  const se = selinuxOf(k);
  const wasEnforcing = se.enforcing;
  const wasTracing = k.trace.enabled;
  k.trace.enabled = false;
  if (wasEnforcing) se.setEnforcing(false);
  try {
    for (const pid of pids) {
      const fd = k.sys.open(pid, '/dev/null', O_RDWR);
      if (fd !== 0) continue;
      k.sys.dup(pid, 0);
      k.sys.dup(pid, 0);
    }
  } finally {
    if (wasEnforcing) se.setEnforcing(true);
    k.trace.enabled = wasTracing;
  }
}

/** Boot the scenario's machine. Throws ScenarioFailure for input the runner cannot honour. */
export function bootScenario(scenario: Scenario, host: RunHost, opts: BootOptions = {}): Machine {
  const file = scenario.file;
  const setup = scenario.setup;
  const design = resolveScenarioDesign(scenario, opts.design);
  const pol = resolveScenarioPolicy(scenario, host, opts);
  const enforcing = opts.permissive === undefined ? setup.policy.enforcing : !opts.permissive;

  let k: Kernel;
  try {
    k = bootWithSelinux({
      policy: pol.policy,
      enforcing,
      booleans: setup.policy.booleans,
      permissiveDomains: setup.policy.permissiveDomains,
      ...(pol.fsRules ? { fsRules: pol.fsRules } : {}),
      fileContexts: pol.fileContexts,
      version: kernelVersionText(setup.kernel),
    });
  } catch (e) {
    if (e instanceof SelinuxError || (e instanceof Error && /not a kernel version|boolean|permissive/i.test(e.message))) fail(file, setup.policy.pos, e.message);
    throw e;
  }
  const se = selinuxOf(k);
  const table = pol.fileContexts;
  const labelFor = (path: string, type: FileContextEntry['fileType'], given?: string): string | undefined => given ?? (table ? (matchPathCon(table, path, type) ?? undefined) : undefined);
  const setupError = (pos: Pos | undefined, e: unknown): never => {
    if (e instanceof Error && !(e instanceof TypeError) && !(e instanceof RangeError)) fail(file, pos, e.message);
    throw e;
  };
  const mkdirs = (path: string): void => {
    for (const d of parentDirs(path + '/x')) if (k.fs.lookup(d) === null) k.fs.mkdir(d, { label: labelFor(d, '-d') });
  };

  // Mounts, parents first (the setup lists them so); the boot namespace already has /, /dev, /tmp.
  for (const m of setup.mounts) {
    try {
      const flags = { noexec: m.flags.noexec, nosuid: m.flags.nosuid, nodev: m.flags.nodev, ro: m.flags.ro };
      const mid = k.mountpoints.get(m.path);
      const existing = mid === undefined ? undefined : k.sb(k.mount(mid).sb);
      if (existing && existing.fstype === m.fstype) {
        k.fs.remount(m.path, flags);
      } else {
        if (m.path !== '/') mkdirs(m.path);
        k.fs.mount(m.path, m.fstype as 'ext4' | 'tmpfs' | 'devtmpfs', flags);
      }
      if (m.context !== undefined) se.setMountContext(k, m.path, m.context);
    } catch (e) {
      setupError(m.pos, e);
    }
  }

  // The driver (registers its device nodes on devtmpfs, labelled from the file contexts).
  let install: SgxInstall | undefined;
  try {
    const driver: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(setup.design.options)) driver[key] = typeof v === 'bigint' ? Number(v) : v;
    install = design.install(k, { crypto: host.crypto, cpu: setup.cpu, ...(Object.keys(driver).length ? { driver } : {}) });
  } catch (e) {
    setupError(setup.design.pos, e);
  }
  if (!install) throw new Error('invariant: the design did not install');
  const inst: SgxInstall = install;

  for (const d of setup.directories) {
    try {
      const existing = k.fs.lookup(d.path);
      if (existing !== null) {
        if (d.label !== undefined) k.fs.setLabel(d.path, d.label);
        continue;
      }
      mkdirs(d.path.slice(0, d.path.lastIndexOf('/')) || '/');
      k.fs.mkdir(d.path, { mode: d.mode, label: labelFor(d.path, '-d', d.label) });
    } catch (e) {
      setupError(d.pos, e);
    }
  }

  for (const f of setup.files) {
    const { data, size } = fileBytes(scenario, host, f);
    try {
      mkdirs(f.path.slice(0, f.path.lastIndexOf('/')) || '/');
      k.fs.createFile(f.path, { data, ...(size !== undefined && size >= data.length ? { size } : {}), mode: f.mode, label: labelFor(f.path, '--', f.label) });
    } catch (e) {
      setupError(f.pos, e);
    }
  }

  // Device nodes the setup names: a node for the design's device of that role (or /dev/null,
  // /dev/zero). The design's own nodes exist already (misc_register() creates them).
  for (const d of setup.devices) {
    try {
      let majorMinor: [number, number] | null = null;
      if (d.device === 'null') majorMinor = [1, 3];
      else if (d.device === 'zero') majorMinor = [1, 5];
      else {
        const role: DeviceRole | null = d.device === 'sgx_enclave' ? 'enclave' : d.device === 'sgx_provision' ? 'provision' : null;
        const own = role ? inst.devices[role] : undefined;
        if (!own) fail(file, d.pos, `design ${design.key} has no ${d.device} device${d.device === 'sgx_vepc' ? ' (the model has no KVM virtual EPC)' : ''}`);
        const st = k.fs.stat(own);
        majorMinor = [MAJOR(st.rdev), MINOR(st.rdev)];
      }
      const existing = k.fs.lookup(d.path);
      if (existing !== null) {
        const st = k.fs.stat(d.path);
        if (MAJOR(st.rdev) !== majorMinor[0] || MINOR(st.rdev) !== majorMinor[1]) fail(file, d.pos, `${d.path} already exists and is another node`);
        if (d.label !== undefined) k.fs.setLabel(d.path, d.label);
        continue;
      }
      addDeviceAlias(k, d.path, majorMinor[0], majorMinor[1], labelFor(d.path, '-c', d.label) ?? 'system_u:object_r:device_t:s0', d.mode);
    } catch (e) {
      if (e instanceof ScenarioFailure) throw e;
      setupError(d.pos, e);
    }
  }

  const pids = new Map<string, number>();
  for (const t of setup.tasks) {
    const caps: number[] = [];
    for (const c of t.caps) {
      const n = capabilityByName(c);
      if (n === undefined) fail(file, t.pos, `unknown capability ${c}`);
      caps.push(n);
    }
    const pid = k.spawn({ comm: t.comm, context: t.context, personality: t.personality, capabilities: caps });
    pids.set(t.name, pid);
  }
  stdFds(k, [...pids.values()]);
  return {
    k,
    design,
    install: inst,
    pids,
    firstTask: setup.tasks[0].name,
    policyName: pol.name,
    policySource: pol.source,
    policy: pol.policy,
    enforcing,
    fileContexts: table,
  };
}
