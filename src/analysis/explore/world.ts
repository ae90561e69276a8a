// The explorer's world: the start state (the scenario's setup and steps, run by the scenario
// runner) and the small, fixed vocabulary of places the alphabet talks about — tasks, files
// (the enclave image, a writable file, the enclave device), page-aligned source slots, and the
// enclave's ELRANGE and its pages. Building it is deterministic: every worker builds the same
// world from the same scenario text. docs/explorer.md "The start state" and "The alphabet".
import type { Kernel } from '../../kernel/kernel.js';
import { Trace } from '../../kernel/trace.js';
import type { SgxDesign } from '../../drivers/sgx/design.js';
import { isSgxFops } from '../../drivers/sgx/common/install.js';
import { SgxEncl } from '../../drivers/sgx/common/encl.js';
import { runScenario, type RunHost, type PolicyChoice } from '../../scenario/run.js';
import { formatError } from '../../scenario/errors.js';
import type { Scenario } from '../../scenario/load.js';
import { PAGE_SIZE } from '../../abi/page.js';
import { PolicyOracle } from './policy.js';
import { EnclaveSigner } from './sign.js';
import { enclaveIds, invariantContext, type Ghost, type InvariantContext } from './invariants.js';

/** The source slots: one page each, 1 MiB apart so that no two can ever merge (docs/explorer.md). */
export const SLOT_BASE = 0x10000000;
export const SLOT_STRIDE = 0x100000;
/** The default ELRANGE when the start state has no enclave: 16 KiB at 512 MiB (naturally aligned). */
export const DEFAULT_ELRANGE_BASE = 0x20000000;
export const DEFAULT_ELRANGE_SIZE = 0x4000;
/** At most this many enclave pages get their own region (the rest are covered by ELRANGE-wide calls only). */
export const MAX_ENCLAVE_PAGES = 3;
export const MAX_ENCLAVE_PAGES_LIMIT = 8;

export type FileRole = 'image' | 'scratch' | 'device';

export interface ExploreFile {
  readonly role: FileRole;
  /** Short name used in action labels and bindings. */
  readonly name: string;
  readonly path: string;
  /** The inode (image and scratch); null for the device (its fds may be on another inode, D1's anon inode). */
  readonly inode: number | null;
}

export interface Slot {
  readonly name: string;
  readonly addr: number;
}

/** File mappings of a slot map one of the first FILE_PAGES pages of a file (page 0: the image's TCS page, a valid TCS and any page's bytes). */
export const FILE_PAGES = 1;

export interface EnclavePageRegion {
  readonly name: string;
  readonly addr: number;
  /** Offset from the enclave base. */
  readonly offset: number;
  /** The TCS page (added as TCS; the entry point of enclave calls). */
  readonly tcs: boolean;
}

export interface WorldTask {
  readonly name: string;
  readonly pid: number;
  /** 'main' tasks have the full alphabet; 'peer' tasks receive fds and map, protect and enter enclaves. */
  readonly role: 'main' | 'peer';
}

export interface WorldOptions {
  /** Use this design instead of the scenario's. */
  readonly design?: string;
  readonly policy?: PolicyChoice;
  /** Number of source slots (1..3, default 1). */
  readonly slots?: number;
  /** Enclave pages with their own region in the alphabet (1..MAX_ENCLAVE_PAGES_LIMIT, default MAX_ENCLAVE_PAGES). */
  readonly enclavePages?: number;
}

export interface World {
  readonly scenario: Scenario;
  readonly design: SgxDesign;
  readonly policyName: string;
  /** The start state (trace disabled). Never mutated: states are clones of it. */
  readonly k0: Kernel;
  /** Ghost state of the start state (sources of the pages the scenario's steps added). */
  readonly ghost0: Ghost;
  readonly tasks: readonly WorldTask[];
  readonly files: readonly ExploreFile[];
  /** The enclave device (files' last entry). */
  readonly devFile: ExploreFile;
  readonly slots: readonly Slot[];
  readonly elrange: { readonly base: number; readonly size: number };
  readonly epages: readonly EnclavePageRegion[];
  /** Address ranges the alphabet touches ([start, end)), sorted: the canonical state looks only here. */
  readonly ranges: readonly (readonly [number, number])[];
  /** Inode ids below this existed at the start (kept as they are in the canonical form). */
  readonly inodeBase: number;
  readonly oracle: PolicyOracle;
  readonly signer: EnclaveSigner;
  readonly invariants: InvariantContext;
  readonly host: RunHost;
}

/** A scenario the explorer cannot start from: a one-line message per problem. */
export class ExploreInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExploreInputError';
  }
}

/** Build the world: run the scenario (setup and steps), then describe the places of the alphabet. */
export function buildWorld(scenario: Scenario, host: RunHost, opts: WorldOptions = {}): World {
  const run = runScenario(scenario, host, { ...(opts.design ? { design: opts.design } : {}), ...(opts.policy ? { policy: opts.policy } : {}) });
  if (!run.ok) {
    throw new ExploreInputError(`the start scenario's steps do not run as written: ${run.failures.map(formatError).join('; ')}`);
  }
  const m = run.machine;
  const k = m.k;
  const ghost0 = run.monitor.sync(k);
  k.trace = new Trace(false);

  const tasks: WorldTask[] = [...m.pids.entries()].map(([name, pid], i) => ({ name, pid, role: i === 0 ? 'main' : 'peer' }));

  const files: ExploreFile[] = [];
  const setupFiles = scenario.setup.files;
  const names = ['image', 'scratch'] as const;
  setupFiles.slice(0, 2).forEach((f, i) => {
    const ino = k.fs.lookup(f.path);
    if (ino === null) throw new ExploreInputError(`${scenario.file}: ${f.path} does not exist after the scenario's steps`);
    files.push({ role: names[i], name: i === 0 ? 'img' : 'scr', path: f.path, inode: ino });
  });
  const dev = m.design.devices.find((d) => d.role === 'enclave');
  if (!dev) throw new ExploreInputError(`design ${m.design.key} has no enclave device`);
  files.push({ role: 'device', name: 'dev', path: m.install.devices.enclave ?? dev.path, inode: null });

  const nSlots = opts.slots ?? 1;
  if (!Number.isInteger(nSlots) || nSlots < 1 || nSlots > 3) throw new ExploreInputError(`--slots must be 1, 2 or 3 (got ${nSlots})`);
  const slots: Slot[] = [];
  for (let i = 0; i < nSlots; i++) slots.push({ name: String.fromCharCode(65 + i), addr: SLOT_BASE + i * SLOT_STRIDE });

  // ELRANGE: the start state's enclave if its steps created one, else the default.
  let base = DEFAULT_ELRANGE_BASE;
  let size = DEFAULT_ELRANGE_SIZE;
  let tcsOffset = 0;
  for (const id of enclaveIds(k)) {
    const e = k.object<SgxEncl>(id);
    if (e.size > 0) {
      base = e.base;
      size = e.size;
      const tcs = e.pages.valuesArray().find((p) => p.type === 1);
      if (tcs) tcsOffset = tcs.addr - base;
      break;
    }
  }
  const want = opts.enclavePages ?? MAX_ENCLAVE_PAGES;
  if (!Number.isInteger(want) || want < 1 || want > MAX_ENCLAVE_PAGES_LIMIT) throw new ExploreInputError(`--enclave-pages must be 1 to ${MAX_ENCLAVE_PAGES_LIMIT} (got ${want})`);
  const n = Math.min(size / PAGE_SIZE, want);
  const epages: EnclavePageRegion[] = [];
  for (let i = 0; i < n; i++) epages.push({ name: `e${i}`, addr: base + i * PAGE_SIZE, offset: i * PAGE_SIZE, tcs: i * PAGE_SIZE === tcsOffset });

  const ranges: [number, number][] = slots.map((s) => [s.addr, s.addr + PAGE_SIZE] as [number, number]);
  ranges.push([base, base + size]);
  ranges.sort((a, b) => a[0] - b[0]);

  const oracle = new PolicyOracle(k);
  return {
    scenario,
    design: m.design,
    policyName: m.policyName,
    k0: k,
    ghost0,
    tasks,
    files,
    devFile: files[files.length - 1],
    slots,
    elrange: { base, size },
    epages,
    ranges,
    inodeBase: k.ids.inode,
    oracle,
    signer: new EnclaveSigner(host.crypto),
    invariants: invariantContext(oracle, m.design.id, tasks, ranges),
    host,
  };
}

/** The lowest fd of `pid` open on `file` (the device: any enclave file of the SGX driver), or -1. */
export function fdOf(k: Kernel, pid: number, file: ExploreFile): number {
  const t = k.task(pid);
  for (let fd = 0; fd < t.fds.length; fd++) {
    const e = t.fds[fd];
    if (!e) continue;
    const f = k.files.get(e.file);
    if (!f) continue;
    if (file.inode !== null) {
      if (f.inode === file.inode) return fd;
    } else if (isSgxFops(f.fops) && f.fops.sgxRole === 'enclave' && typeof f.privateData === 'number') {
      return fd;
    }
  }
  return -1;
}

/** The enclave object behind pid's enclave fd, or null. */
export function enclaveOfTask(k: Kernel, pid: number, dev: ExploreFile): number | null {
  const fd = fdOf(k, pid, dev);
  if (fd < 0) return null;
  const f = k.fdFile(pid, fd);
  const id = f?.privateData;
  return typeof id === 'number' && k.objects.get(id) instanceof SgxEncl ? id : null;
}
