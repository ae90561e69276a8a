// Counterexamples as scenario files (docs/explorer.md "Counterexamples"): the path is replayed on
// the start state with the system calls traced, and every call it made becomes a step in the
// scenario syntax — open/mmap/mprotect/munmap/close, ioctl with its argument as a struct literal
// (decoded with the design's ioctl table: source pointers stay addresses, the SECS and SECINFO
// become nested literals, a SIGSTRUCT a hex binding), recvfd for a passed fd, user-mode writes,
// and eenter with the enclave program — each with its outcome (`= -1 EACCES`, `SIGSEGV`, `AEX`),
// so `sgxsim run` replays the exact run. The file ends with expectations that show the violation:
// the page's EPCM permissions and mapping, and `expect invariant("I2").violated == 1`.
import type { Kernel } from '../../kernel/kernel.js';
import { Trace, type TraceEvent, type TraceEventInput } from '../../kernel/trace.js';
import { errnoName } from '../../abi/errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED } from '../../abi/mman.js';
import { O_ACCMODE, O_CLOEXEC, O_RDWR, O_WRONLY } from '../../abi/fcntl.js';
import { PAGE_SIZE } from '../../abi/page.js';
import { EncluLeaf } from '../../arch/x86/sgx/arch.js';
import { decodeStruct, type StructLayout } from '../../userspace/struct.js';
import { peekMemory } from '../../scenario/run-trace.js';
import { printScenario } from '../../scenario/write.js';
import type { Scenario } from '../../scenario/load.js';
import { parseStep } from '../../scenario/syntax.js';
import { applyAction, PROT_NAMES, WRITE_BYTES, type Action } from './actions.js';
import { checkInvariants, INV_BIT, INVARIANT_TITLES, sourceText, type Ghost, type InvariantId, type Violation } from './invariants.js';
import type { World } from './world.js';

export interface CounterexampleFile {
  /** The scenario text (YAML), to be written as a file and replayed with `sgxsim run`. */
  readonly scenarioText: string;
  /** Number of actions (the counterexample's length). */
  readonly length: number;
  /** The actions, one line each. */
  readonly actions: readonly string[];
  readonly violation: Violation;
  /** SELinux permissions the path was granted (`stype ttype:class perm`), from the replay's AVC records. */
  readonly granted: readonly string[];
}

interface IoctlCapture {
  readonly before: Record<string, bigint | Uint8Array> | null;
  readonly nested: Record<string, Record<string, bigint | Uint8Array>>;
  readonly buffers: Record<string, Uint8Array>;
}

/** A trace that also keeps what a tracer reads at each ioctl's entry (struct, nested structs, small buffers). */
class CaptureTrace extends Trace {
  readonly ioctls = new Map<number, IoctlCapture>();
  constructor(
    private readonly k: Kernel,
    private readonly layoutOf: (cmd: number) => StructLayout | null,
  ) {
    super(true);
  }
  override emit(e: TraceEventInput): number {
    const seq = super.emit(e);
    if (seq >= 0 && e.kind === 'sys_enter' && e.name === 'ioctl') {
      const layout = this.layoutOf(Number(e.args.cmd));
      const arg = Number(e.args.arg);
      if (layout && Number.isSafeInteger(arg) && arg > 0) {
        const before = decodeStruct(layout, peekMemory(this.k, e.pid, arg, layout.size));
        const nested: IoctlCapture['nested'] = {};
        const buffers: IoctlCapture['buffers'] = {};
        for (const f of layout.fields) {
          const v = before[f.name];
          if (typeof v !== 'bigint' || v === 0n || v >= 1n << 47n || !f.pointer) continue;
          if (f.pointer.kind === 'struct') nested[f.name] = decodeStruct(f.pointer.layout, peekMemory(this.k, e.pid, Number(v), f.pointer.layout.size));
          else if (typeof f.pointer.size === 'number' && f.pointer.size <= 2 * PAGE_SIZE) buffers[f.name] = peekMemory(this.k, e.pid, Number(v), f.pointer.size);
        }
        this.ioctls.set(seq, { before, nested, buffers });
      } else this.ioctls.set(seq, { before: null, nested: {}, buffers: {} });
    }
    return seq;
  }
}

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

function flagsText(v: number, names: readonly [number, string][], zero: string): string {
  const out: string[] = [];
  let rest = v;
  for (const [bit, name] of names) {
    if (bit !== 0 && (rest & bit) === bit) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest) out.push(hex(rest));
  return out.length ? out.join('|') : zero;
}

const MAP_NAMES: [number, string][] = [
  [MAP_SHARED, 'MAP_SHARED'],
  [MAP_PRIVATE, 'MAP_PRIVATE'],
  [MAP_FIXED, 'MAP_FIXED'],
  [MAP_ANONYMOUS, 'MAP_ANONYMOUS'],
];

function openFlagsText(f: number): string {
  const acc = f & O_ACCMODE;
  const base = acc === O_RDWR ? 'O_RDWR' : acc === O_WRONLY ? 'O_WRONLY' : 'O_RDONLY';
  return f & O_CLOEXEC ? `${base}|O_CLOEXEC` : base;
}

function secinfoText(v: bigint): string {
  const types: Record<number, string> = { 0: 'SECS', 1: 'TCS', 2: 'REG', 3: 'VA', 4: 'TRIM' };
  const parts: string[] = [];
  const t = Number((v >> 8n) & 0xffn);
  parts.push(types[t] ?? `${hex(BigInt(t) << 8n)}`);
  const bits: [bigint, string][] = [
    [1n, 'R'],
    [2n, 'W'],
    [4n, 'X'],
    [8n, 'PENDING'],
    [16n, 'MODIFIED'],
    [32n, 'PR'],
  ];
  for (const [b, n] of bits) if (v & b) parts.push(n);
  const rest = v & ~0xff3fn;
  if (rest) parts.push(hex(rest));
  return parts.join('|');
}

/** Names for the world's places, as scenario bindings. */
function placeNames(w: World): { bindings: string[]; addr: (a: number | bigint) => string } {
  const bindings: string[] = [];
  const slots = w.slots.map((s) => ({ name: `src_${s.name.toLowerCase()}`, addr: s.addr }));
  for (const s of slots) bindings.push(`${s.name} = ${hex(s.addr)}`);
  bindings.push(`encl = ${hex(w.elrange.base)}`);
  const addr = (x: number | bigint): string => {
    const a = Number(x);
    for (const s of slots) if (a >= s.addr && a < s.addr + PAGE_SIZE) return a === s.addr ? s.name : `${s.name} + ${hex(a - s.addr)}`;
    if (a >= w.elrange.base && a < w.elrange.base + w.elrange.size) return a === w.elrange.base ? 'encl' : `encl + ${hex(a - w.elrange.base)}`;
    return hex(a);
  };
  return { bindings, addr };
}

interface Printer {
  steps: string[];
  comments: string[];
}

/** The literal of an ioctl argument from what the tracer saw. */
function structLiteral(layout: StructLayout, cap: IoctlCapture, addr: (a: bigint) => string, regions: (a: bigint) => boolean, bind: (bytes: Uint8Array) => string): string {
  const parts: string[] = [];
  for (const f of layout.fields) {
    if (f.dir === 'out' || f.reserved) continue;
    const v = cap.before?.[f.name];
    if (v === undefined) continue;
    if (v instanceof Uint8Array) {
      if (v.some((b) => b !== 0)) parts.push(`${f.name}: hex"${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}"`);
      continue;
    }
    if (v === 0n) continue;
    const p = f.pointer;
    if (p?.kind === 'struct' && cap.nested[f.name]) {
      const n = cap.nested[f.name];
      const sub: string[] = [];
      for (const g of p.layout.fields) {
        if (g.reserved) continue;
        const x = n[g.name];
        if (x === undefined) continue;
        if (x instanceof Uint8Array) {
          if (x.some((b) => b !== 0)) sub.push(`${g.name}: hex"${Array.from(x, (b) => b.toString(16).padStart(2, '0')).join('')}"`);
          continue;
        }
        if (x === 0n) continue;
        if (g.name === 'flags' && /secinfo/.test(p.layout.name)) sub.push(`flags: ${secinfoText(x)}`);
        else if (g.name === 'base') sub.push(`base: ${addr(x)}`);
        else sub.push(`${g.name}: ${hex(x)}`);
      }
      parts.push(`${f.name}: {${sub.join(', ')}}`);
      continue;
    }
    if (p?.kind === 'buffer') {
      if (regions(v) || !cap.buffers[f.name]) parts.push(`${f.name}: ${addr(v)}`);
      else parts.push(`${f.name}: ${bind(cap.buffers[f.name])}`);
      continue;
    }
    parts.push(`${f.name}: ${hex(v)}`);
  }
  return `{${parts.join(', ')}}`;
}

/**
 * Replay `path` from the start state and write it as a scenario that shows the violation of
 * `inv` in its last state.
 */
export function writeCounterexample(w: World, alphabet: readonly Action[], path: readonly number[], inv: InvariantId, target?: string): CounterexampleFile {
  const k = w.k0.clone();
  const design = w.design;
  const trace = new CaptureTrace(k, (cmd) => design.ioctls.find((i) => i.cmd >>> 0 === cmd >>> 0)?.arg ?? null);
  k.trace = trace;
  const names = placeNames(w);
  const firstPid = w.tasks[0].pid;
  const taskName = new Map(w.tasks.map((t) => [t.pid, t.name]));
  const out: Printer = { steps: [...names.bindings], comments: [] };
  const fdNames = new Map<string, string>();
  const used = new Set<string>();
  const fdText = (pid: number, fd: number): string => fdNames.get(`${pid}:${fd}`) ?? String(fd);
  const inRegions = (a: bigint): boolean => w.ranges.some(([s, e]) => a >= BigInt(s) && a < BigInt(e));
  let sigCount = 0;
  let ghost: Ghost = w.ghost0;
  const actions: string[] = [];
  const prefix = (pid: number): string => (pid === firstPid ? '' : `@${taskName.get(pid) ?? pid} `);
  const outcome = (ret: number): string => (ret < 0 ? ` = -1 ${errnoName(ret === -515 ? -25 : ret) ?? `E${-ret}`}` : '');

  for (const id of path) {
    const a = alphabet[id];
    actions.push(a.label);
    const from = trace.length;
    const pid = w.tasks[a.task].pid;
    // User-mode writes and enclave calls are not syscalls: print them from the action.
    if (a.kind === 'write') {
      const r = k.mem.write(pid, a.addr!, WRITE_BYTES);
      out.steps.push(`${prefix(pid)}write(${names.addr(a.addr!)}, "${new TextDecoder().decode(WRITE_BYTES)}")${r.ok ? '' : ` ${r.signal}`}`);
      continue;
    }
    const r = applyAction(w, k, ghost, a);
    if (!r) throw new Error(`invariant: counterexample action ${a.label} is not enabled on replay`);
    ghost = r.ghost;
    if (a.kind === 'enter') {
      const ok = r.ret === EncluLeaf.EEXIT;
      out.steps.push(`${prefix(pid)}eenter(encl${w.epages.find((p) => p.tcs)!.offset ? ` + ${hex(w.epages.find((p) => p.tcs)!.offset)}` : ''}, ${a.programText})${ok ? '' : ' AEX'}`);
      continue;
    }
    const events = trace.since(from);
    for (let i = 0; i < events.length; i++) {
      const ev = events[i] as TraceEvent;
      if (ev.kind !== 'sys_enter') continue;
      const exit = events.slice(i + 1).find((x): x is Extract<TraceEvent, { kind: 'sys_exit' }> => x.kind === 'sys_exit' && x.pid === ev.pid);
      const ret = exit ? exit.ret : 0;
      const args = ev.args as Record<string, number | string>;
      const p = prefix(ev.pid);
      switch (ev.name) {
        case 'open': {
          let name = '';
          if (ret >= 0) {
            const base = ret >= 0 && String(args.path).includes('sgx') ? 'dev' : 'fd';
            name = base;
            for (let n = 2; used.has(name); n++) name = `${base}${n}`;
            used.add(name);
            fdNames.set(`${ev.pid}:${ret}`, name);
          }
          out.steps.push(`${p}${name ? `${name} = ` : ''}open("${args.path}", ${openFlagsText(Number(args.flags))})${outcome(ret)}`);
          break;
        }
        case 'close':
          out.steps.push(`${p}close(${fdText(ev.pid, Number(args.fd))})${outcome(ret)}`);
          break;
        case 'mmap': {
          const fd = Number(args.fd);
          out.steps.push(`${p}mmap(${names.addr(Number(args.addr))}, ${hex(Number(args.length))}, ${PROT_NAMES[Number(args.prot) & 7] ?? hex(Number(args.prot))}, ${flagsText(Number(args.flags), MAP_NAMES, '0')}, ${fd < 0 ? '-1' : fdText(ev.pid, fd)}, ${hex(Number(args.offset))})${outcome(ret)}`);
          break;
        }
        case 'mprotect':
          out.steps.push(`${p}mprotect(${names.addr(Number(args.addr))}, ${hex(Number(args.len))}, ${PROT_NAMES[Number(args.prot) & 7]})${outcome(ret)}`);
          break;
        case 'munmap':
          out.steps.push(`${p}munmap(${names.addr(Number(args.addr))}, ${hex(Number(args.len))})${outcome(ret)}`);
          break;
        case 'recvmsg': {
          const fromPid = Number(args.from);
          let bindName = '';
          if (ret >= 0) {
            bindName = `${taskName.get(ev.pid) ?? 'task'}_fd`;
            for (let n = 2; used.has(bindName); n++) bindName = `${taskName.get(ev.pid) ?? 'task'}_fd${n}`;
            used.add(bindName);
            fdNames.set(`${ev.pid}:${ret}`, bindName);
          }
          out.steps.push(`${p}${bindName ? `${bindName} = ` : ''}recvfd("${taskName.get(fromPid) ?? fromPid}", ${fdText(fromPid, Number(args.fd))})${outcome(ret)}`);
          break;
        }
        case 'ioctl': {
          const cmd = Number(args.cmd) >>> 0;
          const spec = design.ioctls.find((x) => x.cmd >>> 0 === cmd);
          const cap = trace.ioctls.get(ev.seq);
          const name = spec?.name ?? hex(cmd);
          let lit = hex(Number(args.arg));
          if (spec?.arg && cap?.before) {
            lit = structLiteral(spec.arg, cap, (x) => names.addr(x), inRegions, (bytes) => {
              const b = `blob${++sigCount}`;
              out.steps.push(`${b} = hex"${Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('')}"`);
              return b;
            });
          }
          out.steps.push(`${p}ioctl(${fdText(ev.pid, Number(args.fd))}, ${name}, ${lit})${outcome(ret)}`);
          break;
        }
        case 'brk':
          break; // the adapter's malloc(): the runner places struct literals on the stack instead
        default:
          out.comments.push(`unprinted syscall ${ev.name} of ${a.label}`);
      }
    }
  }

  const found: Violation[] = [];
  checkInvariants(w.invariants, k, ghost, INV_BIT[inv], found);
  const v = found[0];
  if (!v) throw new Error(`invariant: the counterexample for ${inv} does not violate it on replay`);
  const pageExpr = names.addr(v.addr);
  const who = v.pid === firstPid ? '' : `@${v.task} `;
  if (v.enclave) {
    out.steps.push(`${who}expect epcm(${pageExpr}).perms & X == X`);
    out.steps.push(`${who}expect vma(${pageExpr}).flags & VM_EXEC == VM_EXEC`);
  } else {
    out.steps.push(`${who}expect vma(${pageExpr}).flags & VM_EXEC == VM_EXEC`);
  }
  out.steps.push(`expect invariant("${inv}").violated == 1`);

  // Every step must parse (the scenario syntax is the contract with `sgxsim run`).
  const parsed = out.steps.map((s) => {
    const r = parseStep(s);
    if (!r.ok) throw new Error(`invariant: counterexample step does not parse: ${s}: ${r.error.message}`);
    return r.value;
  });
  const granted = grantedPermissions(trace.all());
  const description = `${inv} violated on ${w.design.key} under ${w.policyName} in ${path.length} action${path.length === 1 ? '' : 's'}: ${v.why}`;
  const s: Scenario = {
    ...w.scenario,
    description,
    setup: {
      ...w.scenario.setup,
      design: w.scenario.setup.design.id === w.design.key ? w.scenario.setup.design : { id: w.design.key, options: {} },
      policy: w.policyName.startsWith('builtin:') ? { ...w.scenario.setup.policy, source: { kind: 'builtin', name: w.policyName.slice('builtin:'.length) } } : w.scenario.setup.policy,
    },
    steps: [...w.scenario.steps, ...parsed],
  };
  const header = [
    `# sgxsim explore: a counterexample to ${inv} (${INVARIANT_TITLES[inv]})`,
    `# design ${w.design.key}, policy ${w.policyName}; ${path.length} action${path.length === 1 ? '' : 's'} after the start scenario's steps:`,
    ...actions.map((x, i) => `#   ${i + 1}. ${x}`),
    `# ${v.why}`,
    ...(v.source ? [`# the page's bytes came from ${sourceText(v.source)}`] : []),
    `# permissions the path was granted: ${granted.length ? '' : 'none'}`,
    ...granted.map((g) => `#   ${g}`),
    ...out.comments.map((c) => `# note: ${c}`),
    `# Replay: sgxsim run THIS_FILE`,
  ];
  return { scenarioText: `${header.join('\n')}\n${printScenario(s, { file: target ?? w.scenario.file })}`, length: path.length, actions, violation: v, granted };
}

/** `stype ttype:class perm` for every granted AVC check of a trace (sorted, unique). */
function grantedPermissions(events: readonly TraceEvent[]): string[] {
  const set = new Set<string>();
  for (const e of events) {
    if (e.kind !== 'avc') continue;
    const ev = e as Extract<TraceEvent, { kind: 'avc' }>;
    if (ev.decision !== 'granted') continue;
    const st = ev.scontext.split(':')[2];
    const tt = ev.tcontext.split(':')[2];
    for (const p of ev.requested) set.add(`${st} ${tt}:${ev.tclass} ${p}`);
  }
  return [...set].sort();
}

