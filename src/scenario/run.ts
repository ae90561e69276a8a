// The scenario runner (docs/runner.md): boot the machine of a scenario's setup (run-boot.ts), then
// run each step as its task — system calls with their arguments evaluated and struct literals
// marshalled through the design's ioctl table, user-mode memory accesses, enclave entries through
// the vDSO path, `load()` expanded into a loader flow — check every expectation, and keep the
// kernel's trace (syscalls, LSM/AVC decisions, driver notes, signals) with the range of events
// each step produced, plus the final state (maps, enclave pages with EPCM permissions).
//
// Pure and deterministic: files come through RunHost, nothing reads a clock. Bad input throws a
// ScenarioFailure (positioned); a failed expectation is recorded and the run goes on.
import type { TraceEvent } from '../kernel/trace.js';
import { errnoName, isErr, userspaceResult } from '../abi/errno.js';
import { PAGE_SIZE } from '../abi/page.js';
import { ENOSYS, EFAULT } from '../abi/errno.js';
import { siCodeName } from '../abi/signal.js';
import { EncluLeaf } from '../arch/x86/sgx/arch.js';
import { validateProgram, type AccessSize, type EnclaveOp } from '../arch/x86/sgx/program.js';
import { UserProcess } from '../userspace/process.js';
import { StructError, marshalStruct, structAlign, type StructAllocator, type StructLiteral, type FieldValue } from '../userspace/struct.js';
import { parseManifest, ManifestError, formatDiagnostic, resolveManifestPath } from '../enclave/manifest.js';
import { ContentError, contentReaderFromFiles } from '../enclave/content.js';
import { prepareEnclaveImage } from '../drivers/sgx/loaders/image.js';
import { loadEnclave } from '../drivers/sgx/loaders/flows.js';
import type { LoadResult } from '../drivers/sgx/loaders/types.js';
import type { LoaderKind } from '../drivers/sgx/design.js';
import { vdsoSgxEnterEnclave, type VdsoEnterResult } from '../drivers/sgx/common/vdso.js';
import { userAccess } from '../mm/memory.js';
import { positionalArgs, namedArg, type ActionStep, type Assertion, type CallExpr, type Expr, type Outcome, type Step } from './ast.js';
import { ScenarioFailure, scenarioError, formatError, type Pos, type ScenarioError } from './errors.js';
import { checkNames, compareValues, describeValue, evaluate, isStruct, resolveErrno, Scope, structValue, arrayValue, valuesEqual, type EvalEnv, type Value } from './eval.js';
import { stepKind, type Scenario } from './load.js';
import { printStep, printExpr } from './print.js';
import { scenarioConstants } from './symbols.js';
import { resolveRelative } from './setup.js';
import { bootScenario, type BootOptions, type Machine, type RunHost } from './run-boot.js';
import { RecordingTrace, peekMemory } from './run-trace.js';
import { answerQuery, finalState, type FinalState } from './run-state.js';
import { InvariantMonitor } from '../analysis/explore/monitor.js';
import { invariantQuery } from '../analysis/explore/query.js';

export type { RunHost, BootOptions, PolicyChoice, Machine } from './run-boot.js';
export type { FinalState } from './run-state.js';

export type RunOptions = BootOptions;

/** What one step did. */
export interface StepRecord {
  /** 0-based index in scenario.steps. */
  readonly index: number;
  readonly step: Step;
  /** The canonical text of the step. */
  readonly text: string;
  readonly pos?: Pos;
  /** action kinds, or 'let' / 'expect'. */
  readonly kind: 'syscall' | 'memory' | 'enclave' | 'load' | 'let' | 'expect';
  readonly task: string;
  readonly pid: number;
  /** Trace events [from, to) this step produced. */
  readonly from: number;
  readonly to: number;
  /** 'ok' when the step's outcome/expectation held (or it had none), 'failed' otherwise. */
  readonly status: 'ok' | 'failed';
  /** Why it failed (file:line:col: ...). */
  readonly failure?: ScenarioError;
  /** What the action returned. */
  readonly result?: ActionResult;
}

export type ActionResult =
  | { readonly kind: 'syscall'; readonly name: string; readonly ret: number; readonly errno?: string }
  | { readonly kind: 'memory'; readonly access: 'read' | 'write' | 'exec'; readonly addr: number; readonly length: number; readonly fault?: { readonly signal: 'SIGSEGV' | 'SIGBUS'; readonly code: number; readonly codeName: string; readonly addr: number; readonly errorCode: number }; readonly data?: Uint8Array }
  | { readonly kind: 'enclave'; readonly leaf: 'EENTER' | 'ERESUME'; readonly tcs: number; readonly ops: number; readonly ret: number; readonly function: string; readonly exceptionVector: number; readonly exceptionErrorCode: number; readonly exceptionAddr: bigint; readonly reason: string; readonly results: readonly (bigint | number | undefined)[] }
  | { readonly kind: 'load'; readonly manifest: string; readonly loader: string; readonly load: LoadResult };

export interface RunResult {
  readonly scenario: Scenario;
  readonly machine: Machine;
  /** Design key, policy name, mode. */
  readonly design: string;
  readonly policy: string;
  readonly enforcing: boolean;
  /** Every expectation held. */
  readonly ok: boolean;
  readonly steps: readonly StepRecord[];
  readonly failures: readonly ScenarioError[];
  /** The whole kernel trace, boot included (steps index into it). */
  readonly trace: readonly TraceEvent[];
  /** Memory snapshots a tracer took (ioctl structs, read/write buffers), by sys_enter seq. */
  readonly recording: RecordingTrace;
  readonly final: FinalState;
  /** The invariant monitor (where each enclave page's bytes came from; `invariant("I1")` queries it). */
  readonly monitor: InvariantMonitor;
}

/** include/uapi/linux/fcntl.h */
const AT_FDCWD = -100;

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
/** A C `int` argument: the low 32 bits, signed. */
const cInt = (v: bigint): number => Number(BigInt.asIntN(32, v));
/** An `unsigned long` argument as the model's number (exact below 2^53). */
const cULong = (v: bigint): number => Number(U64(v));

/** Value of a successful syscall's return as a register holds it (-1 on error, as libc returns). */
function retValue(ret: number): bigint {
  return isErr(ret) ? U64(-1n) : U64(BigInt(ret));
}

function textOf(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, end));
}

/** Scratch memory on the task's stack for struct literals and strings, below its stack pointer
 * (a loader builds ioctl arguments in a stack frame); falls back to the brk heap when full. */
class StackFrame implements StructAllocator {
  private top: number;
  private readonly floor: number;
  constructor(
    private readonly p: UserProcess,
  ) {
    const mm = p.k.mm(p.pid);
    this.top = mm.sp - 256; // leave a red zone below the stack pointer (x86-64 ABI: 128 bytes)
    const v = mm.vmas.at(mm.sp - 1);
    this.floor = v ? v.start + PAGE_SIZE : this.top;
  }
  alloc(size: number, align: number): number {
    const a = Math.max(1, align);
    const at = Math.floor((this.top - size) / a) * a;
    if (at < this.floor) return this.p.alloc(size, a);
    this.top = at;
    return at;
  }
  store(addr: number, bytes: Uint8Array): void {
    this.p.store(addr, bytes);
  }
}

/** Convert an evaluated struct literal to the marshaller's literal. */
function toLiteral(v: Value, where: string): StructLiteral {
  if (!isStruct(v)) throw new StructError(`${where}: expected a struct literal such as {src: addr, offset: 0x1000}, got ${describeValue(v)}`);
  const out: Record<string, FieldValue> = {};
  for (const [k, f] of v.fields) {
    if (typeof f === 'bigint' || f instanceof Uint8Array) out[k] = f;
    else if (isStruct(f)) out[k] = toLiteral(f, `${where}.${k}`);
    else throw new StructError(`${where}.${k}: a list cannot be a struct field`);
  }
  return out;
}

interface Ctx {
  readonly scenario: Scenario;
  readonly m: Machine;
  readonly scope: Scope;
  readonly recording: RecordingTrace;
  readonly host: RunHost;
  readonly monitor: InvariantMonitor;
}

function failAt(file: string, pos: Pos | undefined, message: string): never {
  throw new ScenarioFailure([scenarioError(file, pos, message)]);
}

/** Run a scenario. Throws ScenarioFailure for invalid input; expectations are reported in the result. */
export function runScenario(scenario: Scenario, host: RunHost, opts: RunOptions = {}): RunResult {
  const m = bootScenario(scenario, host, opts);
  const k = m.k;
  const constants = scenarioConstants(m.design.symbols());
  const nameErrors = checkNames(scenario, constants);
  if (nameErrors.length) throw new ScenarioFailure(nameErrors);
  const recording = new RecordingTrace(k, (cmd) => m.design.ioctls.find((i) => i.cmd >>> 0 === cmd >>> 0), k.trace);
  k.trace = recording;
  const monitor = new InvariantMonitor(m.design);
  monitor.attach(k);
  const ctx: Ctx = { scenario, m, scope: new Scope(constants), recording, host, monitor };
  const records: StepRecord[] = [];
  let lastAction: { from: number; to: number } | null = null;
  scenario.steps.forEach((step, index) => {
    const task = step.task ?? m.firstTask;
    const pid = m.pids.get(task);
    if (pid === undefined) failAt(scenario.file, step.pos, `unknown task '@${task}'`);
    const from = k.trace.length;
    const base = { index, step, text: printStep(step), ...(step.pos ? { pos: step.pos } : {}), task, pid };
    if (step.kind === 'let') {
      const v = evaluate(step.value, env(ctx, pid));
      ctx.scope.bind(step.name, v);
      records.push({ ...base, kind: 'let', from, to: k.trace.length, status: 'ok' });
      return;
    }
    if (step.kind === 'expect') {
      let why: string | null;
      try {
        why = checkAssertion(ctx, pid, step.assertion, lastAction);
      } catch (e) {
        // A query about state that is not there (`.perms` of NULL): the expectation fails.
        if (!(e instanceof ScenarioFailure)) throw e;
        why = `expectation failed: ${e.errors.map((x) => x.message).join('; ')}`;
      }
      const failure = why === null ? undefined : scenarioError(scenario.file, step.assertion.pos ?? step.pos, why);
      records.push({ ...base, kind: 'expect', from, to: k.trace.length, status: failure ? 'failed' : 'ok', ...(failure ? { failure } : {}) });
      return;
    }
    const kind = stepKind(step) ?? 'syscall';
    const { result, value } = runAction(ctx, pid, step, kind);
    const to = k.trace.length;
    lastAction = { from, to };
    const why = checkOutcome(ctx, pid, step, result);
    const failure = why === null ? undefined : scenarioError(scenario.file, step.outcome?.pos ?? step.pos, why);
    if (step.bind !== undefined && value !== undefined) ctx.scope.bind(step.bind, value);
    records.push({ ...base, kind, from, to, status: failure ? 'failed' : 'ok', ...(failure ? { failure } : {}), result });
  });
  const failures = records.filter((r) => r.failure).map((r) => r.failure!);
  return {
    scenario,
    machine: m,
    design: m.design.key,
    policy: m.policyName,
    enforcing: m.enforcing,
    ok: failures.length === 0,
    steps: records,
    failures,
    trace: k.trace.all(),
    recording,
    final: finalState(k, m),
    monitor,
  };
}

function env(ctx: Ctx, pid: number): EvalEnv {
  return ctx.scope.env(ctx.scenario.file, (name, args, node) =>
    name === 'invariant' ? invariantQuery(ctx.m, ctx.monitor, args, node, ctx.scenario.file) : answerQuery(ctx.m, pid, name, args, node, ctx.scenario.file),
  );
}

function intArg(ctx: Ctx, pid: number, e: Expr | undefined, what: string, call: CallExpr): bigint {
  if (e === undefined) failAt(ctx.scenario.file, call.pos, `${call.callee}: missing ${what}`);
  const v = evaluate(e, env(ctx, pid));
  if (typeof v !== 'bigint') failAt(ctx.scenario.file, e.pos, `${what} needs an integer, got ${describeValue(v)}`);
  return v;
}

function bytesArg(ctx: Ctx, pid: number, e: Expr, what: string): Uint8Array {
  const v = evaluate(e, env(ctx, pid));
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'bigint') {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    return b;
  }
  failAt(ctx.scenario.file, e.pos, `${what} needs bytes (a string or hex"..."), got ${describeValue(v)}`);
}

/** A pointer argument: an integer is an address; bytes are placed on the task's stack. */
function pointerArg(ctx: Ctx, pid: number, e: Expr, frame: StackFrame, what: string, nulTerminate = false): number {
  const v = evaluate(e, env(ctx, pid));
  if (typeof v === 'bigint') return cULong(v);
  if (v instanceof Uint8Array) {
    const bytes = nulTerminate ? Uint8Array.from([...v, 0]) : v;
    const a = frame.alloc(Math.max(1, bytes.length), 16);
    frame.store(a, bytes);
    return a;
  }
  failAt(ctx.scenario.file, e.pos, `${what} needs an address or bytes, got ${describeValue(v)}`);
}

function pathArg(ctx: Ctx, pid: number, e: Expr | undefined, call: CallExpr): string {
  if (e === undefined) failAt(ctx.scenario.file, call.pos, `${call.callee}: missing path`);
  const v = evaluate(e, env(ctx, pid));
  if (!(v instanceof Uint8Array)) failAt(ctx.scenario.file, e.pos, `a path is a string such as "/dev/sgx_enclave", got ${describeValue(v)}`);
  return textOf(v);
}

function runAction(ctx: Ctx, pid: number, step: ActionStep, kind: string): { result: ActionResult; value?: Value } {
  switch (kind) {
    case 'memory':
      return runMemory(ctx, pid, step.call);
    case 'enclave':
      return runEnclave(ctx, pid, step.call);
    case 'load':
      return runLoad(ctx, pid, step.call);
    default:
      return runSyscall(ctx, pid, step.call);
  }
}

function sysResult(name: string, ret: number): { result: ActionResult; value: Value } {
  return { result: isErr(ret) ? { kind: 'syscall', name, ret, errno: errnoName(ret) } : { kind: 'syscall', name, ret }, value: retValue(ret) };
}

/** A syscall the kernel model does not implement: traced, -ENOSYS (as an unknown syscall number returns). */
function unmodelled(ctx: Ctx, pid: number, name: string, args: Record<string, number>): number {
  const k = ctx.m.k;
  k.trace.emit({ kind: 'sys_enter', pid, comm: k.task(pid).comm, name, args });
  k.trace.emit({ kind: 'note', pid, message: `${name}(2) is not modelled by sgxsim: -ENOSYS` });
  k.trace.emit({ kind: 'sys_exit', pid, name, ret: -ENOSYS, errno: 'ENOSYS' });
  return -ENOSYS;
}

function runSyscall(ctx: Ctx, pid: number, call: CallExpr): { result: ActionResult; value?: Value } {
  const k = ctx.m.k;
  const a = positionalArgs(call);
  const p = new UserProcess(k, pid);
  const frame = new StackFrame(p);
  const I = (i: number, what: string): bigint => intArg(ctx, pid, a[i], what, call);
  switch (call.callee) {
    case 'open':
      return sysResult('open', k.sys.open(pid, pathArg(ctx, pid, a[0], call), cInt(I(1, 'flags')), a[2] ? cInt(I(2, 'mode')) : 0o666));
    case 'openat': {
      const dirfd = cInt(I(0, 'dirfd'));
      const path = pathArg(ctx, pid, a[1], call);
      if (dirfd !== AT_FDCWD && !path.startsWith('/')) failAt(ctx.scenario.file, a[0].pos, 'openat() with a directory fd is not modelled: use AT_FDCWD or an absolute path');
      // do_sys_openat2(): an absolute path ignores dirfd; AT_FDCWD resolves from the cwd (/).
      return sysResult('open', k.sys.open(pid, path, cInt(I(2, 'flags')), a[3] ? cInt(I(3, 'mode')) : 0o666));
    }
    case 'close':
      return sysResult('close', k.sys.close(pid, cInt(I(0, 'fd'))));
    case 'dup':
      return sysResult('dup', k.sys.dup(pid, cInt(I(0, 'fd'))));
    case 'read':
      return sysResult('read', k.sys.readTo(pid, cInt(I(0, 'fd')), pointerArg(ctx, pid, a[1], frame, 'buf'), cULong(I(2, 'count'))));
    case 'write': {
      const fd = cInt(I(0, 'fd'));
      const buf = pointerArg(ctx, pid, a[1], frame, 'buf');
      return sysResult('write', k.sys.writeFrom(pid, fd, buf, cULong(I(2, 'count'))));
    }
    case 'pread64':
    case 'pwrite64': {
      const fd = cInt(I(0, 'fd'));
      const count = cULong(I(2, 'count'));
      const off = cULong(I(3, 'offset'));
      if (call.callee === 'pwrite64') {
        const buf = pointerArg(ctx, pid, a[1], frame, 'buf');
        const r = userAccess(k, pid, buf, count, 'read', null, true);
        if (!r.ok) return sysResult('pwrite64', unmodelledFault(ctx, pid, 'pwrite64', { fd, buf, count, offset: off }));
        return sysResult('pwrite64', k.sys.pwrite(pid, fd, r.data ?? new Uint8Array(0), off, buf));
      }
      const buf = pointerArg(ctx, pid, a[1], frame, 'buf');
      return sysResult('pread64', k.sys.preadTo(pid, fd, buf, count, off));
    }
    case 'mmap':
      return sysResult('mmap', k.sys.mmap(pid, cULong(I(0, 'addr')), cULong(I(1, 'length')), cInt(I(2, 'prot')), cInt(I(3, 'flags')), cInt(I(4, 'fd')), cULong(I(5, 'offset'))));
    case 'munmap':
      return sysResult('munmap', k.sys.munmap(pid, cULong(I(0, 'addr')), cULong(I(1, 'length'))));
    case 'mprotect':
      return sysResult('mprotect', k.sys.mprotect(pid, cULong(I(0, 'addr')), cULong(I(1, 'len')), cInt(I(2, 'prot'))));
    case 'pkey_mprotect': {
      // do_mprotect_pkey() with pkey -1 is mprotect(); other keys are not modelled.
      const pkey = cInt(I(3, 'pkey'));
      if (pkey !== -1) return sysResult('pkey_mprotect', unmodelled(ctx, pid, 'pkey_mprotect', { addr: cULong(I(0, 'addr')), len: cULong(I(1, 'len')), prot: cInt(I(2, 'prot')), pkey }));
      return sysResult('mprotect', k.sys.mprotect(pid, cULong(I(0, 'addr')), cULong(I(1, 'len')), cInt(I(2, 'prot'))));
    }
    case 'ioctl':
      return runIoctl(ctx, pid, call, frame);
    case 'recvfd': {
      // SCM_RIGHTS over a unix socket: the sender's sendmsg() then this task's recvmsg()
      // (scm_detach_fds() -> receive_fd(): security_file_receive(), the lowest free fd).
      const from = wordArg(a[0]);
      const sender = from === undefined ? undefined : ctx.m.pids.get(from);
      if (sender === undefined) failAt(ctx.scenario.file, a[0]?.pos ?? call.pos, `recvfd("task", fd): the first argument is the sending task's name as a string (${[...ctx.m.pids.keys()].map((n) => `"${n}"`).join(', ')})`);
      return sysResult('recvmsg', k.sys.passFd(sender, cInt(I(1, 'fd')), pid));
    }
    case 'memfd_create': {
      const v = evaluate(a[0], env(ctx, pid));
      if (!(v instanceof Uint8Array)) failAt(ctx.scenario.file, a[0].pos, `memfd_create's name is a string, got ${describeValue(v)}`);
      return sysResult('memfd_create', k.sys.memfd_create(pid, textOf(v), cInt(I(1, 'flags'))));
    }
    case 'personality':
      return sysResult('personality', k.sys.personality(pid, cInt(I(0, 'persona'))));
    case 'remap_file_pages':
      return sysResult('remap_file_pages', k.sys.remapFilePages(pid, cULong(I(0, 'start')), cULong(I(1, 'size')), cInt(I(2, 'prot')), cULong(I(3, 'pgoff')), cInt(I(4, 'flags'))));
    case 'mremap':
      return sysResult('mremap', unmodelled(ctx, pid, 'mremap', { old_address: cULong(I(0, 'old_address')), old_size: cULong(I(1, 'old_size')), new_size: cULong(I(2, 'new_size')), flags: cInt(I(3, 'flags')) }));
    case 'madvise':
      return sysResult('madvise', unmodelled(ctx, pid, 'madvise', { addr: cULong(I(0, 'addr')), length: cULong(I(1, 'length')), advice: cInt(I(2, 'advice')) }));
    case 'ftruncate':
      return sysResult('ftruncate', unmodelled(ctx, pid, 'ftruncate', { fd: cInt(I(0, 'fd')), length: cULong(I(1, 'length')) }));
    default:
      failAt(ctx.scenario.file, call.pos, `the runner does not implement ${call.callee}()`);
  }
}

/** pwrite64 with an unreadable buffer: the kernel's copy_from_user() fails (-EFAULT). */
function unmodelledFault(ctx: Ctx, pid: number, name: string, args: Record<string, number>): number {
  const k = ctx.m.k;
  k.trace.emit({ kind: 'sys_enter', pid, comm: k.task(pid).comm, name, args });
  k.trace.emit({ kind: 'sys_exit', pid, name, ret: -EFAULT, errno: 'EFAULT' });
  return -EFAULT;
}

function runIoctl(ctx: Ctx, pid: number, call: CallExpr, frame: StackFrame): { result: ActionResult; value?: Value } {
  const k = ctx.m.k;
  const a = positionalArgs(call);
  const fd = cInt(intArg(ctx, pid, a[0], 'fd', call));
  const cmd = Number(BigInt.asUintN(32, intArg(ctx, pid, a[1], 'request', call)));
  let arg = 0;
  if (a[2] !== undefined) {
    const v = evaluate(a[2], env(ctx, pid));
    if (typeof v === 'bigint') arg = cULong(v);
    else {
      const spec = ctx.m.design.ioctls.find((i) => i.cmd >>> 0 === cmd);
      if (!spec || !spec.arg) {
        failAt(ctx.scenario.file, a[2].pos, `ioctl 0x${cmd.toString(16)} is not one of design ${ctx.m.design.key}'s ioctls with a struct argument, so a struct literal cannot be laid out; pass an address (its ioctls: ${ctx.m.design.ioctls.map((i) => i.name).join(', ')})`);
      }
      try {
        if (v instanceof Uint8Array) {
          if (v.length !== spec.arg.size) throw new StructError(`${spec.arg.name} is ${spec.arg.size} bytes, got ${v.length}`);
          arg = frame.alloc(v.length, Math.max(8, structAlign(spec.arg)));
          frame.store(arg, v);
        } else {
          arg = marshalStruct(frame, spec.arg, toLiteral(v, spec.name));
        }
      } catch (e) {
        if (e instanceof StructError) failAt(ctx.scenario.file, a[2].pos, e.message);
        throw e;
      }
    }
  }
  return sysResult('ioctl', k.sys.ioctl(pid, fd, cmd, arg));
}

function runMemory(ctx: Ctx, pid: number, call: CallExpr): { result: ActionResult; value?: Value } {
  const k = ctx.m.k;
  const a = positionalArgs(call);
  const addr = cULong(intArg(ctx, pid, a[0], 'addr', call));
  let r;
  let length = 0;
  let access: 'read' | 'write' | 'exec';
  if (call.callee === 'read') {
    access = 'read';
    length = cULong(intArg(ctx, pid, a[1], 'n', call));
    if (length > 1 << 24) failAt(ctx.scenario.file, a[1].pos, 'read(addr, n) reads at most 16 MiB');
    r = k.mem.read(pid, addr, length);
  } else if (call.callee === 'write') {
    access = 'write';
    const bytes = bytesArg(ctx, pid, a[1], 'write(addr, bytes)');
    length = bytes.length;
    r = k.mem.write(pid, addr, bytes);
  } else {
    access = 'exec';
    r = k.mem.exec(pid, addr);
  }
  if (r.ok) return { result: { kind: 'memory', access, addr, length, ...(r.data ? { data: r.data } : {}) }, value: r.data ?? 0n };
  const fault = { signal: r.signal, code: r.code, codeName: siCodeName(r.signal, r.code), addr: r.addr, errorCode: r.errorCode };
  return { result: { kind: 'memory', access, addr, length, fault } };
}

function opOf(ctx: Ctx, pid: number, e: Expr): EnclaveOp {
  if (e.kind !== 'call') failAt(ctx.scenario.file, e.pos, 'an enclave operation is a call such as store(addr, value)');
  const a = positionalArgs(e);
  const I = (i: number, what: string): bigint => intArg(ctx, pid, a[i], what, e);
  const size = (i: number): AccessSize | undefined => {
    if (a[i] === undefined) return undefined;
    const s = Number(I(i, 'size'));
    if (![1, 2, 4, 8].includes(s)) failAt(ctx.scenario.file, a[i].pos, 'an access size is 1, 2, 4 or 8');
    return s as AccessSize;
  };
  switch (e.callee) {
    case 'load':
      return { op: 'load', addr: I(0, 'addr'), ...(a[1] ? { size: size(1)! } : {}) };
    case 'store':
      return { op: 'store', addr: I(0, 'addr'), value: I(1, 'value'), ...(a[2] ? { size: size(2)! } : {}) };
    case 'write':
      return { op: 'write', addr: I(0, 'addr'), data: bytesArg(ctx, pid, a[1], 'write(addr, bytes)') };
    case 'exec':
      return { op: 'exec', addr: I(0, 'addr') };
    case 'eaccept':
      return { op: 'eaccept', addr: I(0, 'addr'), flags: I(1, 'flags'), ...(a[2] ? { secinfoAddr: I(2, 'secinfo') } : {}) };
    case 'eacceptcopy':
      return { op: 'eacceptcopy', addr: I(0, 'addr'), src: I(1, 'src'), flags: I(2, 'flags'), ...(a[3] ? { secinfoAddr: I(3, 'secinfo') } : {}) };
    case 'emodpe':
      return { op: 'emodpe', addr: I(0, 'addr'), flags: I(1, 'flags'), ...(a[2] ? { secinfoAddr: I(2, 'secinfo') } : {}) };
    case 'nop':
      return { op: 'nop' };
    case 'eexit':
      return { op: 'eexit' };
    default:
      failAt(ctx.scenario.file, e.pos, `unknown enclave operation '${e.callee}'`);
  }
}

function runEnclave(ctx: Ctx, pid: number, call: CallExpr): { result: ActionResult; value?: Value } {
  const a = positionalArgs(call);
  const tcs = cULong(intArg(ctx, pid, a[0], 'tcs', call));
  const leaf = call.callee === 'eresume' ? 'ERESUME' : 'EENTER';
  let program: EnclaveOp[] | undefined;
  if (leaf === 'EENTER') {
    const list = a[1];
    if (list === undefined || list.kind !== 'array') failAt(ctx.scenario.file, list?.pos ?? call.pos, 'eenter(tcs, [ops]) takes a list of enclave operations');
    program = list.items.map((e) => opOf(ctx, pid, e));
    try {
      validateProgram(program);
    } catch (e) {
      failAt(ctx.scenario.file, list.pos, (e as Error).message);
    }
  }
  const r: VdsoEnterResult = vdsoSgxEnterEnclave(ctx.m.k, pid, { leaf, tcs, ...(program ? { program } : {}) });
  const fn = EncluLeaf[r.function] ?? String(r.function);
  const result: ActionResult = {
    kind: 'enclave',
    leaf,
    tcs,
    ops: program?.length ?? 0,
    ret: r.ret,
    function: fn,
    exceptionVector: r.exceptionVector,
    exceptionErrorCode: r.exceptionErrorCode,
    exceptionAddr: r.exceptionAddr,
    reason: r.reason,
    results: r.results,
  };
  const value = structValue({
    function: BigInt(r.function),
    vector: BigInt(r.exceptionVector),
    error_code: BigInt(r.exceptionErrorCode),
    addr: r.exceptionAddr,
    results: arrayValue(r.results.map((x) => (x === undefined ? 0n : BigInt(x)))),
  });
  return { result, value };
}

const LOADER_KIND: Readonly<Record<string, LoaderKind | 'canonical'>> = { canonical: 'canonical', selftest: 'selftest', gramine: 'gramine', 'intel-psw': 'psw', intel_psw: 'psw', psw: 'psw' };

function wordArg(e: Expr): string | undefined {
  if (e.kind === 'ident') return e.name;
  if (e.kind === 'str') return textOf(e.bytes);
  return undefined;
}

function runLoad(ctx: Ctx, pid: number, call: CallExpr): { result: ActionResult; value?: Value } {
  const file = ctx.scenario.file;
  const a = positionalArgs(call);
  const mv = evaluate(a[0], env(ctx, pid));
  if (!(mv instanceof Uint8Array)) failAt(file, a[0].pos, `load() takes the manifest's path as a string, got ${describeValue(mv)}`);
  const given = textOf(mv);
  const path = resolveRelative(file, given);
  const loaderArg = namedArg(call, 'loader');
  const word = loaderArg ? wordArg(loaderArg.value) : 'canonical';
  const choice = word === undefined ? undefined : LOADER_KIND[word];
  if (choice === undefined) failAt(file, loaderArg?.value.pos ?? call.pos, 'loader must be one of canonical, selftest, gramine, intel_psw (or "intel-psw" quoted: unquoted, intel-psw is a subtraction)');
  const design = ctx.m.design;
  const kind: LoaderKind = choice === 'canonical' ? design.canonicalLoader : choice;
  let text: string;
  try {
    text = new TextDecoder().decode(ctx.host.readFile(path));
  } catch (e) {
    failAt(file, a[0].pos, `cannot read the manifest ${path}: ${(e as Error).message}`);
  }
  let manifest;
  try {
    manifest = parseManifest(text, path).manifest;
  } catch (e) {
    if (e instanceof ManifestError) failAt(file, a[0].pos, `the manifest is invalid: ${e.diagnostics.slice(0, 5).map(formatDiagnostic).join('; ')}`);
    throw e;
  }
  const reader = contentReaderFromFiles((rel) => ctx.host.readFile(resolveManifestPath(path, rel)));
  const k = ctx.m.k;
  let load: LoadResult;
  try {
    const image = prepareEnclaveImage(k, manifest, reader, ctx.host.crypto);
    load = loadEnclave(design, new UserProcess(k, pid), image, kind);
  } catch (e) {
    if (e instanceof ScenarioFailure) throw e;
    // A content file of the manifest that cannot be read (the host's error, or the reader's).
    if (e instanceof ContentError || (e instanceof Error && /cannot read|ENOENT|no such file/i.test(e.message))) failAt(file, a[0].pos, `${given}: ${e.message}`);
    throw e;
  }
  const value = structValue({
    ok: load.ok ? 1n : 0n,
    fd: U64(BigInt(load.fd)),
    base: BigInt(load.base),
    size: BigInt(load.size),
    tcs: arrayValue(load.tcs.map((t) => BigInt(t))),
  });
  return { result: { kind: 'load', manifest: given, loader: kind, load }, value };
}

// ------------------------------------------------------------------ outcomes

function describeResult(r: ActionResult): string {
  switch (r.kind) {
    case 'syscall':
      return isErr(r.ret) ? `-1 ${r.errno}` : r.name === 'mmap' ? `0x${r.ret.toString(16)}` : String(r.ret);
    case 'memory':
      return r.fault ? `${r.fault.signal} {code: ${r.fault.codeName}, addr: 0x${r.fault.addr.toString(16)}}` : 'no fault';
    case 'enclave':
      return r.function === 'EEXIT' ? 'EEXIT' : `AEX {vector: ${r.exceptionVector}, error_code: 0x${r.exceptionErrorCode.toString(16)}, addr: 0x${r.exceptionAddr.toString(16)}}${r.reason ? ` (${r.reason})` : ''}`;
    case 'load':
      return r.load.ok ? 'loaded' : (r.load.error ?? 'failed');
  }
}

/** The errno a failed load ended with (its last failing step's errno name). */
function loadErrno(l: LoadResult): string | undefined {
  if (l.ok || !l.error) return undefined;
  const m = /\b(E[A-Z0-9_]+)\s*$/.exec(l.error);
  return m ? m[1] : undefined;
}

function succeeded(r: ActionResult): boolean {
  switch (r.kind) {
    case 'syscall':
      return !isErr(r.ret);
    case 'memory':
      return r.fault === undefined;
    case 'enclave':
      return r.ret === 0 && r.function === 'EEXIT';
    case 'load':
      return r.load.ok;
  }
}

function checkOutcome(ctx: Ctx, pid: number, step: ActionStep, r: ActionResult): string | null {
  const o: Outcome | undefined = step.outcome;
  const got = describeResult(r);
  if (o === undefined) return succeeded(r) ? null : `expected ${printStep({ ...step, outcome: undefined } as Step)} to succeed, got ${got}`;
  switch (o.kind) {
    case 'any':
      return null;
    case 'errno': {
      const want = resolveErrno(o.name, o.pos, ctx.scenario.file);
      if (r.kind === 'syscall') {
        if (!isErr(r.ret)) return `expected -1 ${o.name}, got ${got}`;
        const seen = userspaceResult(r.ret);
        if (-r.ret === want || (typeof seen === 'number' && -seen === want)) return null;
        return `expected -1 ${o.name}, got ${got}`;
      }
      if (r.kind === 'load') {
        const e = loadErrno(r.load);
        return e === o.name ? null : `expected the load to fail with ${o.name}, got ${got}`;
      }
      return `expected -1 ${o.name}, got ${got}`;
    }
    case 'value': {
      if (!succeeded(r)) return `expected = ${printExpr(o.value)}, got ${got}`;
      const want = evaluate(o.value, env(ctx, pid));
      let have: Value;
      if (r.kind === 'syscall') have = retValue(r.ret);
      else if (r.kind === 'memory') have = r.data ?? 0n;
      else return `= value outcomes apply to system calls and reads; use expect for ${r.kind} steps`;
      return valuesEqual(have, want) ? null : `expected = ${printExpr(o.value)} (${describeValue(want)}), got ${describeValue(have)}`;
    }
    case 'fault': {
      const details = o.details ? evaluate(o.details, env(ctx, pid)) : undefined;
      const field = (name: string): bigint | undefined => {
        if (!details || !isStruct(details)) return undefined;
        const v = details.fields.get(name);
        if (v === undefined) return undefined;
        if (typeof v !== 'bigint') failAt(ctx.scenario.file, o.details?.pos, `${name} needs an integer`);
        return v;
      };
      if (o.fault === 'AEX') {
        if (r.kind !== 'enclave' || r.function === 'EEXIT' || r.ret !== 0) return `expected AEX, got ${got}`;
        const checks: [string, bigint][] = [
          ['vector', BigInt(r.exceptionVector)],
          ['error_code', BigInt(r.exceptionErrorCode)],
          ['addr', r.exceptionAddr],
        ];
        for (const [n, have] of checks) {
          const want = field(n);
          if (want !== undefined && want !== have) return `expected AEX with ${n} 0x${want.toString(16)}, got ${got}`;
        }
        return null;
      }
      if (r.kind !== 'memory' || !r.fault) return `expected ${o.fault}, got ${got}`;
      if (r.fault.signal !== o.fault) return `expected ${o.fault}, got ${got}`;
      const code = field('code');
      if (code !== undefined && BigInt(r.fault.code) !== code) return `expected ${o.fault} with si_code ${code}, got ${got}`;
      const addr = field('addr');
      if (addr !== undefined && BigInt(r.fault.addr) !== addr) return `expected ${o.fault} at 0x${addr.toString(16)}, got ${got}`;
      return null;
    }
  }
}

// ------------------------------------------------------------------ assertions

/** The value of `key` in an AVC record line (quoted or bare). */
export function avcField(line: string, key: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${key}=("[^"]*"|\\S+)`).exec(line);
  if (!m) return undefined;
  return m[1].startsWith('"') ? m[1].slice(1, -1) : m[1];
}

function checkAssertion(ctx: Ctx, pid: number, a: Assertion, last: { from: number; to: number } | null): string | null {
  if (a.kind === 'compare') {
    const e = env(ctx, pid);
    const l = evaluate(a.left, e);
    const r = evaluate(a.right, e);
    if (compareValues(l, a.op, r, e, a.pos)) return null;
    return `expectation failed: ${printExpr(a.left)} ${a.op} ${printExpr(a.right)}: left is ${describeValue(l)}, right is ${describeValue(r)}`;
  }
  const events = last === null ? [] : ctx.m.k.trace.since(last.from).slice(0, last.to - last.from);
  const records = events.filter((ev): ev is Extract<TraceEvent, { kind: 'avc' }> => ev.kind === 'avc' && ev.line !== null);
  const matches = records.filter((ev) => {
    if (a.decision && ev.decision !== a.decision) return false;
    if (!a.perms.every((p) => ev.perms.includes(p))) return false;
    for (const f of a.filters) {
      const have =
        f.key === 'scontext' ? ev.scontext : f.key === 'tcontext' ? ev.tcontext : f.key === 'tclass' ? ev.tclass : avcField(ev.line!, f.key);
      if (have !== f.value) return false;
    }
    return true;
  });
  const held = a.negated ? matches.length === 0 : matches.length > 0;
  if (held) return null;
  const desc = `${a.negated ? 'no ' : ''}avc${a.decision ? ' ' + a.decision : ''}${a.perms.length ? ` { ${a.perms.join(' ')} }` : ''}${a.filters.map((f) => ` ${f.key}=${f.value}`).join('')}`;
  const seen = (a.negated ? matches : records).map((ev) => ev.line).join(' | ');
  if (last === null) return `expected ${desc}, but no action step precedes this expectation`;
  return a.negated ? `expected ${desc}, but the step produced: ${seen}` : `expected ${desc}; the step's AVC records: ${seen || 'none'}`;
}

/** One line per failure, file:line:col: message. */
export function formatFailures(r: RunResult): string[] {
  return r.failures.map(formatError);
}

export { peekMemory };
