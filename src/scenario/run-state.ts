// What `expect` queries read, and the final state the runner reports: a task's VMAs (as
// /proc/PID/maps shows them, fs/proc/task_mmu.c), the enclaves it holds (through its fds and its
// enclave VMAs) with each page's type, the driver's maximum protection (vm_max_prot_bits) and
// the EPCM entry the CPU holds for it (SDM Vol. 3D 34.12 "EPCM": VALID, R/W/X, PENDING,
// MODIFIED, PR, PAGE_TYPE). Reading never faults and never emits trace events.
import type { Kernel } from '../kernel/kernel.js';
import type { Vma } from '../mm/vma.js';
import { VM_EXEC, VM_MAYSHARE, VM_READ, VM_WRITE } from '../abi/vm_flags.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../abi/mman.js';
import { PAGE_SIZE } from '../abi/page.js';
import { MAJOR, MINOR } from '../abi/stat.js';
import { SgxPageType } from '../arch/x86/sgx/arch.js';
import type { EpcmEntry } from '../arch/x86/sgx/epc.js';
import { enclIdOfFd } from '../drivers/sgx/common/knobs.js';
import { enclIdOfVma, isSgxVma } from '../drivers/sgx/common/vma.js';
import { SGX_ENCL_CREATED, SGX_ENCL_INITIALIZED, type SgxEncl } from '../drivers/sgx/common/encl.js';
import type { SgxPlatform } from '../drivers/sgx/common/platform.js';
import { mapsLine, vmaName } from '../mm/maps.js';
import type { CallExpr } from './ast.js';
import { ScenarioFailure, scenarioError } from './errors.js';
import { describeValue, structValue, type Value } from './eval.js';
import type { Machine } from './run-boot.js';
import { peekMemory } from './run-trace.js';

const PT_NAMES: Readonly<Record<number, string>> = { 0: 'SECS', 1: 'TCS', 2: 'REG', 3: 'VA', 4: 'TRIM', 5: 'SS_FIRST', 6: 'SS_REST' };

/** The perms column of /proc/PID/maps (show_vma_header_prefix()). */
export function vmaPerms(v: Vma): string {
  return (v.flags & VM_READ ? 'r' : '-') + (v.flags & VM_WRITE ? 'w' : '-') + (v.flags & VM_EXEC ? 'x' : '-') + (v.flags & VM_MAYSHARE ? 's' : 'p');
}

function vmProt(flags: number): number {
  return (flags & VM_READ ? PROT_READ : 0) | (flags & VM_WRITE ? PROT_WRITE : 0) | (flags & VM_EXEC ? PROT_EXEC : 0);
}

/** R|W|X letters of a vm_max_prot_bits / EPCM permission set. */
export function rwx(r: boolean, w: boolean, x: boolean): string {
  return (r ? 'R' : '-') + (w ? 'W' : '-') + (x ? 'X' : '-');
}

/** Enclave object ids reachable from pid (fds, then enclave VMAs), in discovery order. */
export function enclavesOf(k: Kernel, pid: number): { id: number; fd: number | null }[] {
  const out: { id: number; fd: number | null }[] = [];
  const seen = new Set<number>();
  const t = k.task(pid);
  t.fds.forEach((e, fd) => {
    if (!e) return;
    const id = enclIdOfFd(k, pid, fd);
    if (id !== null && !seen.has(id)) {
      seen.add(id);
      out.push({ id, fd });
    }
  });
  for (const v of k.mm(pid).vmas) {
    if (!isSgxVma(v)) continue;
    const id = enclIdOfVma(v);
    if (id !== null && !seen.has(id)) {
      seen.add(id);
      out.push({ id, fd: null });
    }
  }
  return out;
}

function enclOf(k: Kernel, id: number): SgxEncl {
  return k.object<SgxEncl>(id);
}

function epcmOf(k: Kernel, e: SgxEncl, addr: number): EpcmEntry | undefined {
  const p = e.page(addr);
  if (!p || p.epc === null) return undefined;
  return k.object<SgxPlatform>(e.platform).hw.epcm(p.epc);
}

/** The enclave holding addr for pid: through the VMA at addr, else any of pid's enclaves whose ELRANGE holds it. */
function enclaveAt(k: Kernel, pid: number, addr: number): SgxEncl | undefined {
  const v = k.mm(pid).vmas.at(addr);
  if (v && isSgxVma(v)) {
    const id = enclIdOfVma(v);
    if (id !== null) return enclOf(k, id);
  }
  for (const { id } of enclavesOf(k, pid)) {
    const e = enclOf(k, id);
    if (e.size > 0 && addr >= e.base && addr < e.base + e.size) return e;
  }
  return undefined;
}

const B = (n: number | bigint | boolean): bigint => (typeof n === 'boolean' ? (n ? 1n : 0n) : BigInt(n));

/** Answer `maps`, `vma`, `epcm`, `mem`, `enclave` for task pid (docs/scenario-format.md "Assertions"). */
export function answerQuery(m: Machine, pid: number, name: string, args: readonly Value[], node: CallExpr, file: string): Value {
  const k = m.k;
  const int = (i: number): number => {
    const v = args[i];
    if (typeof v !== 'bigint') throw new ScenarioFailure([scenarioError(file, node.args[i]?.pos ?? node.pos, `${name}() needs an integer argument, got ${v === undefined ? 'nothing' : describeValue(v)}`)]);
    return Number(BigInt.asUintN(64, v));
  };
  switch (name) {
    case 'maps': {
      const v = k.mm(pid).vmas.at(int(0));
      return v ? new TextEncoder().encode(vmaPerms(v)) : 0n;
    }
    case 'vma': {
      const v = k.mm(pid).vmas.at(int(0));
      if (!v) return 0n;
      return structValue({ start: B(v.start), end: B(v.end), prot: B(vmProt(v.flags)), flags: B(v.flags >>> 0), pgoff: B(v.pgoff) });
    }
    case 'epcm': {
      const addr = int(0);
      const e = enclaveAt(k, pid, addr);
      if (!e) return 0n;
      const entry = epcmOf(k, e, addr);
      if (!entry) return 0n;
      return structValue({
        valid: 1n,
        type: BigInt(entry.pt) << 8n,
        perms: (entry.r ? 1n : 0n) | (entry.w ? 2n : 0n) | (entry.x ? 4n : 0n),
        pending: B(entry.pending),
        modified: B(entry.modified),
        pr: B(entry.pr),
      });
    }
    case 'mem': {
      const n = int(1);
      if (n > 1 << 24) throw new ScenarioFailure([scenarioError(file, node.pos, 'mem(addr, n) reads at most 16 MiB')]);
      return peekMemory(k, pid, int(0), n);
    }
    case 'enclave': {
      const id = enclIdOfFd(k, pid, int(0));
      if (id === null) return 0n;
      const e = enclOf(k, id);
      return structValue({ base: B(e.base), size: B(e.size), created: B(e.has(SGX_ENCL_CREATED)), initialized: B(e.has(SGX_ENCL_INITIALIZED)) });
    }
    default:
      throw new ScenarioFailure([scenarioError(file, node.pos, `unknown function '${name}'`)]);
  }
}

// ------------------------------------------------------------------ final state

export interface MapEntry {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly offset: number;
  readonly dev: string;
  readonly inode: number;
  readonly name: string | null;
  /** The line as /proc/PID/maps prints it. */
  readonly line: string;
}

export interface EnclavePageState {
  readonly addr: number;
  /** The driver's page type (SECINFO name). */
  readonly type: string;
  /** vm_max_prot_bits as R/W/X letters. */
  readonly maxProt: string;
  /** null while evicted (or never backed). */
  readonly epcm: { readonly type: string; readonly perms: string; readonly pending: boolean; readonly modified: boolean; readonly pr: boolean; readonly blocked: boolean } | null;
}

export interface EnclaveState {
  /** Kernel object id of the enclave. */
  readonly id: number;
  /** The first task that holds it and the fd (null: only mapped). */
  readonly pid: number;
  readonly fd: number | null;
  readonly base: number;
  readonly size: number;
  readonly created: boolean;
  readonly initialized: boolean;
  readonly pages: readonly EnclavePageState[];
}

export interface TaskState {
  readonly name: string;
  readonly pid: number;
  readonly comm: string;
  readonly context: string;
  readonly maps: readonly MapEntry[];
}

export interface FinalState {
  readonly tasks: readonly TaskState[];
  readonly enclaves: readonly EnclaveState[];
}

function mapEntry(k: Kernel, pid: number, v: Vma): MapEntry {
  let dev = 0;
  let ino = 0;
  let offset = 0;
  if (v.file !== null) {
    const inode = k.inode(k.file(v.file).inode);
    dev = k.sb(inode.sb).dev;
    ino = inode.ino;
    offset = v.pgoff * PAGE_SIZE;
  }
  const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
  return { start: v.start, end: v.end, perms: vmaPerms(v), offset, dev: `${hex2(MAJOR(dev))}:${hex2(MINOR(dev))}`, inode: ino, name: vmaName(k, pid, v), line: mapsLine(k, pid, v) };
}

export function finalState(k: Kernel, m: Machine): FinalState {
  const tasks: TaskState[] = [];
  const enclaves: EnclaveState[] = [];
  const seen = new Set<number>();
  for (const [name, pid] of m.pids) {
    const t = k.task(pid);
    tasks.push({ name, pid, comm: t.comm, context: t.context, maps: [...k.mm(pid).vmas].map((v) => mapEntry(k, pid, v)) });
    for (const { id, fd } of enclavesOf(k, pid)) {
      if (seen.has(id)) continue;
      seen.add(id);
      const e = enclOf(k, id);
      const pages: EnclavePageState[] = [];
      const all = e.size > 0 ? e.pagesIn(e.base, e.base + e.size) : [];
      for (const p of all) {
        const entry = p.epc === null ? undefined : k.object<SgxPlatform>(e.platform).hw.epcm(p.epc);
        pages.push({
          addr: p.addr,
          type: PT_NAMES[p.type] ?? String(p.type),
          maxProt: rwx((p.maxProt & VM_READ) !== 0, (p.maxProt & VM_WRITE) !== 0, (p.maxProt & VM_EXEC) !== 0),
          epcm: entry ? { type: PT_NAMES[entry.pt] ?? String(entry.pt), perms: rwx(entry.r, entry.w, entry.x), pending: entry.pending, modified: entry.modified, pr: entry.pr, blocked: entry.blocked } : null,
        });
      }
      enclaves.push({ id, pid, fd, base: e.base, size: e.size, created: e.has(SGX_ENCL_CREATED), initialized: e.has(SGX_ENCL_INITIALIZED), pages });
    }
  }
  return { tasks, enclaves };
}

export { SgxPageType };
