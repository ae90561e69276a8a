// `sgxsim run --json` (docs/trace-format.md): a versioned, stable document. Addresses and other
// u64 values are strings "0x…" (they do not fit a JSON number); small counts are numbers.
// Bump TRACE_FORMAT_VERSION on any incompatible change; adding fields is compatible.
import type { TraceEvent } from '../kernel/trace.js';
import { isErr } from '../abi/errno.js';
import { siCodeName } from '../abi/signal.js';
import { formatError } from './errors.js';
import type { RunResult, StepRecord } from './run.js';
import { syscallLine, formatErrorReturn } from './render.js';

export const TRACE_FORMAT = 'sgxsim-trace';
export const TRACE_FORMAT_VERSION = 1;

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function plain(v: unknown): Json {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return hex(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('');
  const o: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) o[k] = plain(x);
  return o;
}

/** The events of the run, sys_enter/sys_exit merged into one `syscall` event each. */
function jsonEvents(r: RunResult): Json[] {
  const out: Json[] = [];
  const stepOf = (seq: number): number | null => {
    const s = r.steps.find((x) => seq >= x.from && seq < x.to);
    return s ? s.index : null;
  };
  const open = new Map<number, Extract<TraceEvent, { kind: 'sys_enter' }>>();
  const ctx = { rec: r.recording, constants: r.machine.design.constants };
  for (const e of r.trace) {
    const step = stepOf(e.seq);
    switch (e.kind) {
      case 'sys_enter':
        open.set(e.pid, e);
        break;
      case 'sys_exit': {
        const en = open.get(e.pid);
        open.delete(e.pid);
        if (!en) break;
        const ioctl = r.recording.ioctls.get(en.seq);
        out.push({
          seq: en.seq,
          step,
          kind: 'syscall',
          pid: e.pid,
          name: en.name,
          args: plain(en.args),
          ret: e.ret,
          errno: isErr(e.ret) ? (e.errno ?? null) : null,
          ...(ioctl ? { ioctl: { name: ioctl.name, struct: ioctl.layout?.name ?? null, in: plain(ioctl.before), out: plain(ioctl.after) } } : {}),
          text: syscallLine(en, e, ctx),
        });
        break;
      }
      case 'avc':
        out.push({
          seq: e.seq,
          step,
          kind: 'avc',
          pid: e.pid,
          hook: e.hook,
          check: e.check,
          scontext: e.scontext,
          tcontext: e.tcontext,
          tclass: e.tclass,
          requested: [...e.requested],
          perms: [...e.perms],
          decision: e.decision,
          result: e.ret,
          errno: e.errno,
          audited: e.audited,
          permissive: e.permissive,
          line: e.line,
          ioctlcmd: e.ioctlcmd,
        });
        break;
      case 'lsm':
        out.push({ seq: e.seq, step, kind: 'lsm', pid: e.pid, hook: e.hook, ret: e.ret, text: formatErrorReturn(e.ret), detail: plain(e.detail ?? {}) });
        break;
      case 'driver':
        out.push({ seq: e.seq, step, kind: 'driver', pid: e.pid, driver: e.driver, message: e.message, data: plain(e.data ?? {}) });
        break;
      case 'signal':
        out.push({ seq: e.seq, step, kind: 'signal', pid: e.pid, signal: e.signal, code: e.code, codeName: siCodeName(e.signal, e.code), addr: hex(e.addr), errorCode: hex(e.errorCode) });
        break;
      case 'note':
        out.push({ seq: e.seq, step, kind: 'note', pid: e.pid ?? null, message: e.message });
        break;
      default: {
        const x = e as { seq: number; kind: string };
        out.push({ ...(plain(x) as Record<string, Json>), step });
      }
    }
  }
  return out;
}

function jsonStep(s: StepRecord): Json {
  const r = s.result;
  let result: Json = null;
  if (r) {
    switch (r.kind) {
      case 'syscall':
        result = { kind: 'syscall', name: r.name, ret: r.ret, errno: r.errno ?? null };
        break;
      case 'memory':
        result = { kind: 'memory', access: r.access, addr: hex(r.addr), length: r.length, fault: r.fault ? { signal: r.fault.signal, code: r.fault.codeName, addr: hex(r.fault.addr), errorCode: hex(r.fault.errorCode) } : null };
        break;
      case 'enclave':
        result = { kind: 'enclave', leaf: r.leaf, tcs: hex(r.tcs), ret: r.ret, function: r.function, exceptionVector: r.exceptionVector, exceptionErrorCode: hex(r.exceptionErrorCode), exceptionAddr: hex(r.exceptionAddr), reason: r.reason };
        break;
      case 'load':
        result = {
          kind: 'load',
          manifest: r.manifest,
          loader: r.loader,
          ok: r.load.ok,
          error: r.load.error ?? null,
          untranslatable: r.load.untranslatable ?? null,
          fd: r.load.fd,
          base: hex(r.load.base),
          size: hex(r.load.size),
          tcs: r.load.tcs.map(hex),
        };
        break;
    }
  }
  return {
    index: s.index,
    line: s.pos?.line ?? null,
    col: s.pos?.col ?? null,
    text: s.text,
    kind: s.kind,
    task: s.task,
    pid: s.pid,
    events: [s.from, s.to],
    status: s.status,
    failure: s.failure ? formatError(s.failure) : null,
    result,
  };
}

/** The JSON document of a run. */
export function runToJson(r: RunResult): Record<string, Json> {
  const sc = r.scenario;
  return {
    format: TRACE_FORMAT,
    version: TRACE_FORMAT_VERSION,
    scenario: {
      file: sc.file,
      description: sc.description ?? null,
      kernel: `${sc.setup.kernel.major}.${sc.setup.kernel.minor}`,
      design: r.design,
      designSlug: r.machine.design.slug,
      policy: r.policy,
      enforcing: r.enforcing,
      tasks: [...r.machine.pids].map(([name, pid]) => ({ name, pid })),
    },
    ok: r.ok,
    failures: r.failures.map((f) => ({ file: f.file, line: f.line, col: f.col, message: f.message, text: formatError(f) })),
    steps: r.steps.map(jsonStep),
    events: jsonEvents(r),
    final: {
      tasks: r.final.tasks.map((t) => ({
        name: t.name,
        pid: t.pid,
        comm: t.comm,
        context: t.context,
        maps: t.maps.map((m) => ({ start: hex(m.start), end: hex(m.end), perms: m.perms, offset: hex(m.offset), dev: m.dev, inode: m.inode, name: m.name, line: m.line })),
      })),
      enclaves: r.final.enclaves.map((e) => ({
        pid: e.pid,
        fd: e.fd,
        base: hex(e.base),
        size: hex(e.size),
        created: e.created,
        initialized: e.initialized,
        pages: e.pages.map((p) => ({ addr: hex(p.addr), type: p.type, maxProt: p.maxProt, epcm: p.epcm ? { ...p.epcm } : null })),
      })),
    },
  };
}
