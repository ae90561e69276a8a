// The runner's text output (docs/trace-format.md "Text output"): system calls in strace's own
// line format (strace src/mem.c print_mmap(): addr via printaddr() — NULL or 0x… —, length
// decimal, PROT_*/MAP_* flags, fd decimal, offset %#x, result hex; munmap/mprotect decimal
// results; open()'s mode only with O_CREAT/O_TMPFILE; strings quoted with strace's escapes and
// cut at -s 32 with "..."; errors as "-1 EACCES (Permission denied)", restart codes as
// "? ERESTARTSYS (To be restarted if SA_RESTART is set)"; signals as
// "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x…} ---"; "[pid N] " before each
// line when the scenario has several tasks, as strace -f). Everything the kernel decided inside a
// syscall — LSM decisions, AVC audit lines, driver notes — is indented under that syscall's line.
// Lines that are not strace's (expectations, bindings, enclave entries, the final state) start
// with '#'. Colour only when asked (the CLI decides: TTY, NO_COLOR, --color).
import type { TraceEvent } from '../kernel/trace.js';
import { errnoName, isErr } from '../abi/errno.js';
import { protToString, mapFlagsToString } from '../abi/mman.js';
import { openFlagsToString, O_CREAT, O_TMPFILE } from '../abi/fcntl.js';
import { siCodeName } from '../abi/signal.js';
import { _IOC_DIR, _IOC_NR, _IOC_SIZE, _IOC_TYPE, _IOC_READ, _IOC_WRITE } from '../abi/ioctl.js';
import * as personality from '../abi/personality.js';
import { MFD_ALLOW_SEALING, MFD_CLOEXEC, MFD_EXEC, MFD_HUGETLB, MFD_NOEXEC_SEAL } from '../abi/fcntl.js';
import type { StructLayout } from '../userspace/struct.js';
import { formatError } from './errors.js';
import type { RunResult, StepRecord, ActionResult } from './run.js';
import type { IoctlView, RecordingTrace } from './run-trace.js';
import { STRACE_STRSIZE } from './run-trace.js';
import type { EnclaveState } from './run-state.js';

export interface RenderOptions {
  /** ANSI colours (the CLI passes true on a TTY unless NO_COLOR / --no-color). */
  readonly color?: boolean;
  /** Only the header, failures and the summary. */
  readonly quiet?: boolean;
  /** Hide granted decisions that the kernel does not audit (default: shown). */
  readonly auditedOnly?: boolean;
}

// ------------------------------------------------------------------ strerror

/** glibc's strerror() texts (string/_strerror.c, sysdeps/gnu/errlist.h) and strace's texts for the kernel-internal restart codes (src/errnoent / syscall.c). */
const STRERROR: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted', ENOENT: 'No such file or directory', ESRCH: 'No such process', EINTR: 'Interrupted system call',
  EIO: 'Input/output error', ENXIO: 'No such device or address', E2BIG: 'Argument list too long', ENOEXEC: 'Exec format error',
  EBADF: 'Bad file descriptor', ECHILD: 'No child processes', EAGAIN: 'Resource temporarily unavailable', ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied', EFAULT: 'Bad address', ENOTBLK: 'Block device required', EBUSY: 'Device or resource busy',
  EEXIST: 'File exists', EXDEV: 'Invalid cross-device link', ENODEV: 'No such device', ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory', EINVAL: 'Invalid argument', ENFILE: 'Too many open files in system', EMFILE: 'Too many open files',
  ENOTTY: 'Inappropriate ioctl for device', ETXTBSY: 'Text file busy', EFBIG: 'File too large', ENOSPC: 'No space left on device',
  ESPIPE: 'Illegal seek', EROFS: 'Read-only file system', EMLINK: 'Too many links', EPIPE: 'Broken pipe',
  EDOM: 'Numerical argument out of domain', ERANGE: 'Numerical result out of range', EDEADLK: 'Resource deadlock avoided',
  ENAMETOOLONG: 'File name too long', ENOLCK: 'No locks available', ENOSYS: 'Function not implemented', ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links', ENOMSG: 'No message of desired type', ENODATA: 'No data available',
  EOVERFLOW: 'Value too large for defined data type', EBADFD: 'File descriptor in bad state', EOPNOTSUPP: 'Operation not supported',
  ETIMEDOUT: 'Connection timed out', ECANCELED: 'Operation canceled', EHWPOISON: 'Memory page has hardware error',
  ERESTARTSYS: 'To be restarted if SA_RESTART is set', ERESTARTNOINTR: 'To be restarted', ERESTARTNOHAND: 'To be restarted if no handler',
  ENOIOCTLCMD: 'Inappropriate ioctl for device', ERESTART_RESTARTBLOCK: 'Interrupted by signal',
};

/** strace's error suffix: "-1 EACCES (Permission denied)", or "? ERESTARTSYS (...)" for restart codes (never seen by userspace). */
export function formatErrorReturn(ret: number): string {
  const name = errnoName(ret);
  const text = STRERROR[name];
  const restart = -ret >= 512 && -ret <= 516;
  return `${restart ? '?' : '-1'} ${name}${text ? ` (${text})` : ''}`;
}

// ------------------------------------------------------------------ values

/** printaddr(): NULL or 0x… */
export function addr(v: number | bigint): string {
  return v === 0 || v === 0n ? 'NULL' : `0x${v.toString(16)}`;
}

/** PRINT_VAL_X: %#x (0 stays "0"). */
export function hx(v: number | bigint): string {
  return v === 0 || v === 0n ? '0' : `0x${v.toString(16)}`;
}

/** strace's string_quote() for -s 32: printable ASCII as is, C escapes, other bytes in octal; "..." after the quote when cut. */
export function quoteBytes(b: Uint8Array, total = b.length, max = STRACE_STRSIZE): string {
  const n = Math.min(b.length, max);
  let s = '"';
  for (let i = 0; i < n; i++) {
    const c = b[i];
    const next = i + 1 < n ? b[i + 1] : -1;
    switch (c) {
      case 0x22:
        s += '\\"';
        continue;
      case 0x5c:
        s += '\\\\';
        continue;
      case 0x0a:
        s += '\\n';
        continue;
      case 0x09:
        s += '\\t';
        continue;
      case 0x0d:
        s += '\\r';
        continue;
      case 0x0b:
        s += '\\v';
        continue;
      case 0x0c:
        s += '\\f';
        continue;
    }
    if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else if (next >= 0x30 && next <= 0x37) s += '\\' + c.toString(8).padStart(3, '0');
    else s += '\\' + c.toString(8);
  }
  s += '"';
  return total > max ? s + '...' : s;
}

function flagNames(v: number, names: readonly [number, string][], zero: string): string {
  if (v === 0) return zero;
  const out: string[] = [];
  let rest = v >>> 0;
  for (const [bit, name] of names) {
    if (bit && (rest & bit) === bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest) out.push(hx(rest));
  return out.join('|');
}

const MFD_NAMES: [number, string][] = [
  [MFD_CLOEXEC, 'MFD_CLOEXEC'],
  [MFD_ALLOW_SEALING, 'MFD_ALLOW_SEALING'],
  [MFD_HUGETLB, 'MFD_HUGETLB'],
  [MFD_NOEXEC_SEAL, 'MFD_NOEXEC_SEAL'],
  [MFD_EXEC, 'MFD_EXEC'],
];

const PERSONALITY_NAMES: [number, string][] = Object.entries(personality)
  .filter(([k, v]) => typeof v === 'number' && /^[A-Z][A-Z0-9_]*$/.test(k) && !['PER_MASK', 'PERSONALITY_QUERY', 'PER_LINUX'].includes(k))
  .map(([k, v]) => [v as number, k]);

/** strace's decoding of personality(2)'s argument: PER_LINUX plus flags. */
function personaText(p: number): string {
  if (p >>> 0 === 0xffffffff) return '0xffffffff';
  const flags = p & ~0xff;
  const base = p & 0xff;
  const b = base === 0 ? 'PER_LINUX' : hx(base);
  return flags ? `${b}|${flagNames(flags, PERSONALITY_NAMES, '')}` : b;
}

/** SECINFO.FLAGS by name (SDM Vol. 3D 34.11.1): page type, R/W/X, PENDING/MODIFIED/PR. */
export function secinfoFlagsText(v: bigint): string {
  const types = ['SGX_SECINFO_SECS', 'SGX_SECINFO_TCS', 'SGX_SECINFO_REG', 'SGX_SECINFO_VA', 'SGX_SECINFO_TRIM'];
  const pt = Number((v >> 8n) & 0xffn);
  const parts = [types[pt] ?? `${hx(pt)}<<8`];
  const bits: [bigint, string][] = [[1n, 'SGX_SECINFO_R'], [2n, 'SGX_SECINFO_W'], [4n, 'SGX_SECINFO_X'], [8n, 'SGX_SECINFO_PENDING'], [16n, 'SGX_SECINFO_MODIFIED'], [32n, 'SGX_SECINFO_PR']];
  let rest = v & ~0xff00n;
  for (const [b, n] of bits) {
    if (rest & b) {
      parts.push(n);
      rest &= ~b;
    }
  }
  if (rest) parts.push(hx(rest));
  return parts.join('|');
}

/** _IOC(dir, type, nr, size) as strace prints an ioctl it cannot name. */
export function iocText(cmd: number): string {
  const dir = _IOC_DIR(cmd);
  const d = dir === 0 ? '_IOC_NONE' : [dir & _IOC_READ ? '_IOC_READ' : '', dir & _IOC_WRITE ? '_IOC_WRITE' : ''].filter(Boolean).join('|');
  return `_IOC(${d}, ${hx(_IOC_TYPE(cmd))}, ${hx(_IOC_NR(cmd))}, ${hx(_IOC_SIZE(cmd))})`;
}

function allZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

/**
 * A flags-like field by the design's constant names, when they add up to the value exactly: the
 * constants named after the struct (SGX_ENCLAVE_ADD_* for struct sgx_enclave_add's fields) or, for
 * a `flags` field, SGX_PAGE_* (mainline's enum sgx_page_flags); masks and page types excluded.
 */
function symbolicFlags(layout: StructLayout, field: string, x: bigint, constants: Readonly<Record<string, number | bigint>>): string | null {
  if (x === 0n || (field !== 'flags' && field !== 'type')) return null;
  const own = layout.name.replace(/^struct\s+/, '').toUpperCase() + '_';
  const cands = Object.entries(constants)
    .filter(([k]) => (k.startsWith(own) || (field === 'flags' && k.startsWith('SGX_PAGE_') && !k.startsWith('SGX_PAGE_TYPE_'))) && !/_(VALID|MASK|SHIFT)$/.test(k))
    .map(([k, c]) => [k, BigInt(c)] as const)
    .filter(([, c]) => c !== 0n)
    .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0));
  const names: string[] = [];
  let rest = x;
  for (const [k, c] of cands) {
    if ((rest & c) === c) {
      names.push(k);
      rest &= ~c;
    }
  }
  return names.length && rest === 0n ? names.join('|') : null;
}

/** `{a=0x1, b=0x2, ...}` of a decoded struct: reserved fields hidden, zero byte arrays hidden ("..." when anything was left out). */
function structText(layout: StructLayout, v: Readonly<Record<string, bigint | Uint8Array>>, which: 'in' | 'out', nested: Readonly<Record<string, Readonly<Record<string, bigint | Uint8Array>>>>, constants: Readonly<Record<string, number | bigint>>): string {
  const parts: string[] = [];
  let omitted = false;
  for (const f of layout.fields) {
    if (which === 'in' && f.dir === 'out') continue;
    if (which === 'out' && f.dir === 'in') continue;
    if (f.reserved) continue;
    const x = v[f.name];
    if (x instanceof Uint8Array) {
      if (allZero(x)) omitted = true;
      else parts.push(`${f.name}=${quoteBytes(x, x.length, 16)}`);
      continue;
    }
    if (x === undefined) continue;
    if (f.pointer) {
      const n = nested[f.name];
      if (which === 'in' && n && f.pointer.kind === 'struct') {
        parts.push(`${f.name}=${structText(f.pointer.layout, n, 'in', {}, constants)}`);
      } else parts.push(`${f.name}=${addr(x)}`);
      continue;
    }
    if (layout.name === 'struct sgx_secinfo' && f.name === 'flags') {
      parts.push(`flags=${secinfoFlagsText(x)}`);
      continue;
    }
    const sym = symbolicFlags(layout, f.name, x, constants);
    if (sym !== null) {
      parts.push(`${f.name}=${sym}`);
      continue;
    }
    parts.push(`${f.name}=${f.name === 'fd' ? String(x) : hx(x)}`);
  }
  if (omitted && which === 'in') parts.push('...');
  return `{${parts.join(', ')}}`;
}

// ------------------------------------------------------------------ syscall lines

type Ev<K extends TraceEvent['kind']> = Extract<TraceEvent, { kind: K }>;

interface RenderCtx {
  readonly rec: RecordingTrace;
  readonly constants: Readonly<Record<string, number | bigint>>;
}

/** The strace line of one syscall (without the "[pid N] " prefix). */
export function syscallLine(enter: Ev<'sys_enter'>, exit: Ev<'sys_exit'>, ctx: RenderCtx): string {
  const a = enter.args as Readonly<Record<string, unknown>>;
  const n = (k: string): number => Number(a[k] ?? 0);
  const ret = exit.ret;
  const failed = isErr(ret);
  let call: string;
  let hexRet = false;
  switch (enter.name) {
    case 'open': {
      const flags = n('flags');
      const withMode = (flags & O_CREAT) !== 0 || (flags & O_TMPFILE) === O_TMPFILE;
      call = `open(${JSON.stringify(String(a.path))}, ${openFlagsToString(flags)}${withMode ? `, 0${n('mode').toString(8)}` : ''})`;
      break;
    }
    case 'close':
    case 'dup':
      call = `${enter.name}(${n('fd')})`;
      break;
    case 'dup2':
      call = `dup2(${n('oldfd')}, ${n('newfd')})`;
      break;
    case 'read':
    case 'pread64': {
      const buf = a.buf;
      const data = ctx.rec.buffers.get(enter.seq);
      const shown = !failed && data ? quoteBytes(data, ret) : typeof buf === 'number' ? addr(buf) : '""';
      call = `${enter.name}(${n('fd')}, ${shown}, ${n('count')}${enter.name === 'pread64' ? `, ${n('offset')}` : ''})`;
      break;
    }
    case 'write':
    case 'pwrite64': {
      const data = ctx.rec.buffers.get(enter.seq);
      const shown = data ? quoteBytes(data, n('count')) : typeof a.buf === 'number' ? addr(a.buf) : '""';
      call = `${enter.name}(${n('fd')}, ${shown}, ${n('count')}${enter.name === 'pwrite64' ? `, ${n('offset')}` : ''})`;
      break;
    }
    case 'mmap':
      call = `mmap(${addr(n('addr'))}, ${n('length')}, ${protToString(n('prot'))}, ${mapFlagsToString(n('flags'))}, ${n('fd')}, ${hx(n('offset'))})`;
      hexRet = true;
      break;
    case 'munmap':
      call = `munmap(${addr(n('addr'))}, ${n('len')})`;
      break;
    case 'remap_file_pages':
      // strace: remap_file_pages(addr, size, prot, pgoff, flags) with prot and flags decoded
      call = `remap_file_pages(${addr(n('start'))}, ${n('size')}, ${protToString(n('prot'))}, ${n('pgoff')}, ${mapFlagsToString(n('flags'))})`;
      break;
    case 'mprotect':
      call = `mprotect(${addr(n('addr'))}, ${n('len')}, ${protToString(n('prot'))})`;
      break;
    case 'brk':
      call = `brk(${addr(n('addr'))})`;
      hexRet = true;
      break;
    case 'ioctl': {
      const cmd = n('cmd') >>> 0;
      const v: IoctlView | undefined = ctx.rec.ioctls.get(enter.seq);
      const name = v?.name ?? iocText(cmd);
      let arg = addr(n('arg'));
      if (v?.layout && v.before) {
        arg = structText(v.layout, v.before, 'in', v.nested, ctx.constants);
        const hasOut = v.layout.fields.some((f) => f.dir !== 'in' && !f.reserved);
        if (hasOut && v.after) arg += ` => ${structText(v.layout, v.after, 'out', {}, ctx.constants)}`;
      }
      call = `ioctl(${n('fd')}, ${name}, ${arg})`;
      break;
    }
    case 'memfd_create':
      call = `memfd_create(${JSON.stringify(String(a.name))}, ${flagNames(n('flags'), MFD_NAMES, '0')})`;
      break;
    case 'personality':
      call = `personality(${personaText(n('persona'))})`;
      hexRet = true;
      break;
    case 'recvmsg':
      call = `recvmsg(/* SCM_RIGHTS fd ${n('fd')} of pid ${n('from')} */)`;
      break;
    default:
      call = `${enter.name}(${Object.values(a).map((x) => (typeof x === 'string' ? JSON.stringify(x) : String(x))).join(', ')})`;
  }
  const r = failed ? formatErrorReturn(ret) : hexRet ? hx(ret) : String(ret);
  return `${call} = ${r}`;
}

// ------------------------------------------------------------------ colours

const C = { red: '\u001b[31m', green: '\u001b[32m', yellow: '\u001b[33m', dim: '\u001b[2m', bold: '\u001b[1m', reset: '\u001b[0m', cyan: '\u001b[36m' };

function paint(on: boolean | undefined, color: keyof typeof C, s: string): string {
  return on ? `${C[color]}${s}${C.reset}` : s;
}

const typeOf = (ctx: string): string => ctx.split(':')[2] ?? ctx;

// ------------------------------------------------------------------ the trace

/** Render the events of one step: syscalls with their decisions and notes indented, signals, other notes. */
export function renderEvents(events: readonly TraceEvent[], ctx: RenderCtx, opts: RenderOptions, prefixPid: boolean): string[] {
  const out: string[] = [];
  const open = new Map<number, { enter: Ev<'sys_enter'>; children: string[] }>();
  const pfx = (pid: number): string => (prefixPid ? `[pid ${pid}] ` : '');
  const child = (pid: number | undefined, line: string): void => {
    const o = pid === undefined ? undefined : open.get(pid);
    if (o) o.children.push(line);
    else out.push(`    ${line}`);
  };
  for (const e of events) {
    switch (e.kind) {
      case 'sys_enter':
        open.set(e.pid, { enter: e, children: [] });
        break;
      case 'sys_exit': {
        const o = open.get(e.pid);
        open.delete(e.pid);
        if (!o) break;
        const line = syscallLine(o.enter, e, ctx);
        out.push(pfx(e.pid) + (isErr(e.ret) ? paint(opts.color, 'red', line) : line));
        for (const c of o.children) out.push(`    ${c}`);
        break;
      }
      case 'avc': {
        if (e.line !== null) {
          child(e.pid, paint(opts.color, e.decision === 'denied' ? (e.permissive ? 'yellow' : 'red') : 'cyan', e.line));
        } else if (!(opts.auditedOnly && e.decision === 'granted')) {
          const note = e.decision === 'denied' ? (e.permissive ? 'denied, allowed by permissive mode, not audited' : `denied (${errnoName(e.ret)}), not audited (dontaudit)`) : 'granted';
          child(e.pid, paint(opts.color, 'dim', `selinux ${e.hook} (${e.check}): ${typeOf(e.scontext)} -> ${typeOf(e.tcontext)}:${e.tclass} { ${e.requested.join(' ')} } ${note}`));
        }
        break;
      }
      case 'lsm':
        child(e.pid, paint(opts.color, 'red', `security_${e.hook}() = ${formatErrorReturn(e.ret)}`));
        break;
      case 'driver':
        child(e.pid, `${e.driver}: ${e.message}`);
        break;
      case 'note':
        child(e.pid, `note: ${e.message}`);
        break;
      case 'signal':
        out.push(pfx(e.pid) + paint(opts.color, 'yellow', `--- ${e.signal} {si_signo=${e.signal}, si_code=${siCodeName(e.signal, e.code)}, si_addr=${addr(e.addr)}} ---`));
        break;
      default:
        child((e as { pid?: number }).pid, `${(e as { kind: string }).kind}: ${JSON.stringify(e)}`);
    }
  }
  // Syscalls still open (none in a finished step): show what we have.
  for (const [pid, o] of open) {
    out.push(`${pfx(pid)}${o.enter.name}(...) <unfinished>`);
    for (const c of o.children) out.push(`    ${c}`);
  }
  return out;
}

function actionHeader(s: StepRecord, r: ActionResult | undefined): string | null {
  if (!r) return null;
  switch (r.kind) {
    case 'memory':
      return `# ${s.text}${r.fault ? '' : r.access === 'read' && r.data ? ` = ${quoteBytes(r.data)}` : ' = ok'}`;
    case 'enclave': {
      const res = r.function === 'EEXIT' ? 'EEXIT' : `AEX {exception_vector=${r.exceptionVector}, exception_error_code=${hx(r.exceptionErrorCode)}, exception_addr=${addr(r.exceptionAddr)}}${r.reason ? ` (${r.reason})` : ''}`;
      return `# ${s.text}\n__vdso_sgx_enter_enclave(${r.leaf}, tcs=${addr(r.tcs)}, ${r.ops} ops) = ${r.ret}: ${res}`;
    }
    case 'load':
      return `# ${s.text}: the ${r.loader} loader flow on ${r.load.design}`;
    default:
      return null;
  }
}

function pagesText(e: EnclaveState): string[] {
  const out: string[] = [];
  const key = (p: EnclaveState['pages'][number]): string => `${p.type} max ${p.maxProt} EPCM ${p.epcm ? `${p.epcm.type} ${p.epcm.perms}${p.epcm.pending ? ' PENDING' : ''}${p.epcm.modified ? ' MODIFIED' : ''}${p.epcm.pr ? ' PR' : ''}` : '(not resident)'}`;
  let i = 0;
  while (i < e.pages.length) {
    let j = i + 1;
    while (j < e.pages.length && e.pages[j].addr === e.pages[j - 1].addr + 4096 && key(e.pages[j]) === key(e.pages[i])) j++;
    const first = e.pages[i];
    const last = e.pages[j - 1];
    const range = j - i === 1 ? `${addr(first.addr)}` : `${addr(first.addr)}-${addr(last.addr + 4096)}`;
    out.push(`#   ${range.padEnd(29)} ${String(j - i).padStart(3)} page${j - i === 1 ? ' ' : 's'}  ${key(first)}`);
    i = j;
  }
  return out;
}

/** The whole text output of a run. */
export function renderRun(r: RunResult, opts: RenderOptions = {}): string {
  const lines: string[] = [];
  const sc = r.scenario;
  const multi = r.machine.pids.size > 1;
  const ctx: RenderCtx = { rec: r.recording, constants: r.machine.design.constants };
  const pidOf = new Map<number, string>();
  for (const [n, p] of r.machine.pids) pidOf.set(p, n);
  lines.push(paint(opts.color, 'bold', `# ${sc.file}${sc.description ? `: ${sc.description}` : ''}`));
  lines.push(`# design ${r.design} (${r.machine.design.slug}), policy ${r.policy} ${r.enforcing ? 'enforcing' : 'permissive'}, Linux ${sc.setup.kernel.major}.${sc.setup.kernel.minor}; tasks ${[...r.machine.pids].map(([n, p]) => `${n}=pid ${p}`).join(', ')}`);
  if (!opts.quiet) {
    for (const s of r.steps) {
      const failed = s.status === 'failed' && s.failure ? paint(opts.color, 'red', `# FAILED ${formatError(s.failure)}`) : null;
      if (s.kind === 'let') {
        lines.push(paint(opts.color, 'dim', `# ${s.text}`));
        continue;
      }
      if (s.kind === 'expect') {
        lines.push(failed ?? paint(opts.color, 'green', `# ${s.text}: ok`));
        continue;
      }
      const head = actionHeader(s, s.result);
      if (head) for (const h of head.split('\n')) lines.push(h.startsWith('#') ? paint(opts.color, 'dim', h) : h);
      lines.push(...renderEvents(r.trace.slice(s.from, s.to), ctx, opts, multi));
      if (failed) lines.push(failed);
    }
    lines.push('# final state');
    for (const t of r.final.tasks) {
      lines.push(`# ${t.name}: pid ${t.pid} comm ${t.comm} ${t.context}; /proc/${t.pid}/maps:`);
      for (const m of t.maps) lines.push(m.line);
    }
    for (const e of r.final.enclaves) {
      lines.push(`# enclave (pid ${e.pid}${e.fd !== null ? ` fd ${e.fd}` : ''}): base ${addr(e.base)} size ${hx(e.size)}, ${e.initialized ? 'initialized' : e.created ? 'created, not initialized' : 'not created'}, ${e.pages.length} page${e.pages.length === 1 ? '' : 's'}`);
      lines.push(...pagesText(e));
    }
  }
  const expectations = r.steps.filter((s) => s.kind === 'expect' || (s.step.kind === 'action' && s.step.outcome !== undefined)).length;
  if (r.ok) lines.push(paint(opts.color, 'green', `# ok: ${r.steps.length} step${r.steps.length === 1 ? '' : 's'}, ${expectations} expectation${expectations === 1 ? '' : 's'} held`));
  else {
    lines.push(paint(opts.color, 'red', `# FAILED: ${r.failures.length} of ${r.steps.length} steps did not go as expected:`));
    for (const f of r.failures) lines.push(paint(opts.color, 'red', formatError(f)));
  }
  return lines.join('\n') + '\n';
}
