// The calls a scenario may make (docs/scenario-format.md "Step vocabulary"). A step's call is
// classified by name *and* number of positional arguments, which is how the two-argument memory
// accesses `read(addr, n)` / `write(addr, bytes)` are told apart from the read(2)/write(2)
// syscalls with three. The loader checks every step against a vocabulary (typos get "did you
// mean"); the runner may extend it (`extendVocabulary`) as it implements more calls.
import type { CallExpr } from './ast.js';
import { didYouMean } from './errors.js';

/** syscall: a system call made by the task. memory: a user-mode access by the task's CPU.
 * enclave: ENCLU from the task. load: a manifest loaded by a loader flow. */
export type VerbKind = 'syscall' | 'memory' | 'enclave' | 'load';

export interface VerbSpec {
  readonly name: string;
  readonly kind: VerbKind;
  /** Parameter names in order, for messages and docs; optional ones end with '?'. */
  readonly params: readonly string[];
  /** Named arguments accepted, with the bare words each one takes (undefined: any value). */
  readonly named?: Readonly<Record<string, readonly string[] | undefined>>;
  /** Where the semantics come from (man page / kernel function / SDM), for the docs. */
  readonly origin: string;
}

/** An operation inside eenter(tcs, [ops]) (src/arch/x86/sgx/program.ts EnclaveOp). */
export interface OpSpec {
  readonly name: string;
  readonly params: readonly string[];
  readonly origin: string;
}

/** Queries usable in `expect` steps (and in any expression), answered by the runner. */
export interface QuerySpec {
  readonly name: string;
  readonly params: readonly string[];
  readonly returns: string;
}

export interface Vocabulary {
  readonly verbs: readonly VerbSpec[];
  readonly ops: readonly OpSpec[];
  readonly queries: readonly QuerySpec[];
}

/** Loader flows `load(..., loader: NAME)` accepts (the issue's --loader values). */
export const LOADER_NAMES = ['canonical', 'selftest', 'gramine', 'intel-psw'] as const;

const sys = (name: string, params: string[], origin: string): VerbSpec => ({ name, kind: 'syscall', params, origin });

export const DEFAULT_VOCABULARY: Vocabulary = {
  verbs: [
    sys('open', ['path', 'flags', 'mode?'], 'open(2); fs/open.c do_sys_open()'),
    sys('openat', ['dirfd', 'path', 'flags', 'mode?'], 'openat(2); fs/open.c do_sys_openat2()'),
    sys('close', ['fd'], 'close(2); fs/open.c close_fd()'),
    sys('dup', ['fd'], 'dup(2); fs/file.c'),
    sys('read', ['fd', 'buf', 'count'], 'read(2); fs/read_write.c ksys_read()'),
    sys('write', ['fd', 'buf', 'count'], 'write(2); fs/read_write.c ksys_write()'),
    sys('pread64', ['fd', 'buf', 'count', 'offset'], 'pread(2)'),
    sys('pwrite64', ['fd', 'buf', 'count', 'offset'], 'pwrite(2)'),
    sys('mmap', ['addr', 'length', 'prot', 'flags', 'fd', 'offset'], 'mmap(2); mm/mmap.c do_mmap()'),
    sys('munmap', ['addr', 'length'], 'munmap(2); mm/mmap.c do_munmap()'),
    sys('mprotect', ['addr', 'len', 'prot'], 'mprotect(2); mm/mprotect.c do_mprotect_pkey()'),
    sys('pkey_mprotect', ['addr', 'len', 'prot', 'pkey'], 'pkey_mprotect(2); mm/mprotect.c do_mprotect_pkey()'),
    sys('remap_file_pages', ['start', 'size', 'prot', 'pgoff', 'flags'], 'remap_file_pages(2); mm/mmap.c SYSCALL_DEFINE5(remap_file_pages) -> do_mmap() (no LSM hook before 6.12)'),
    sys('mremap', ['old_address', 'old_size', 'new_size', 'flags', 'new_address?'], 'mremap(2); mm/mremap.c'),
    sys('madvise', ['addr', 'length', 'advice'], 'madvise(2); mm/madvise.c'),
    sys('ioctl', ['fd', 'request', 'arg?'], 'ioctl(2); fs/ioctl.c do_vfs_ioctl()'),
    sys('memfd_create', ['name', 'flags'], 'memfd_create(2); mm/memfd.c'),
    sys('ftruncate', ['fd', 'length'], 'ftruncate(2); fs/open.c do_sys_ftruncate()'),
    sys('personality', ['persona'], 'personality(2); kernel/exec_domain.c'),
    sys('recvfd', ['task', 'fd'], 'sendmsg(2)/recvmsg(2) with SCM_RIGHTS: receive fd `fd` of task `task`; net/core/scm.c scm_detach_fds() -> receive_fd()'),
    { name: 'read', kind: 'memory', params: ['addr', 'n'], origin: 'a user-mode load of n bytes (page fault path: arch/x86/mm/fault.c)' },
    { name: 'write', kind: 'memory', params: ['addr', 'bytes'], origin: 'a user-mode store of the bytes (arch/x86/mm/fault.c)' },
    { name: 'exec', kind: 'memory', params: ['addr'], origin: 'a user-mode instruction fetch at addr (arch/x86/mm/fault.c, X86_PF_INSTR)' },
    { name: 'eenter', kind: 'enclave', params: ['tcs', 'ops'], origin: 'ENCLU[EENTER] (SDM Vol. 3D 38.x EENTER), then the ops, as __vdso_sgx_enter_enclave runs it' },
    { name: 'eresume', kind: 'enclave', params: ['tcs'], origin: 'ENCLU[ERESUME] after an AEX (SDM Vol. 3D 38.x ERESUME)' },
    { name: 'load', kind: 'load', params: ['manifest'], named: { loader: LOADER_NAMES }, origin: "the design's loader flow for an enclave manifest (docs/manifest-format.md)" },
  ],
  ops: [
    { name: 'load', params: ['addr', 'size?'], origin: 'program.ts op load' },
    { name: 'store', params: ['addr', 'value', 'size?'], origin: 'program.ts op store' },
    { name: 'write', params: ['addr', 'bytes'], origin: 'program.ts op write' },
    { name: 'exec', params: ['addr'], origin: 'program.ts op exec' },
    { name: 'eaccept', params: ['addr', 'flags', 'secinfo?'], origin: 'ENCLU[EACCEPT], program.ts op eaccept' },
    { name: 'eacceptcopy', params: ['addr', 'src', 'flags', 'secinfo?'], origin: 'ENCLU[EACCEPTCOPY], program.ts op eacceptcopy' },
    { name: 'emodpe', params: ['addr', 'flags', 'secinfo?'], origin: 'ENCLU[EMODPE], program.ts op emodpe' },
    { name: 'nop', params: [], origin: 'program.ts op nop' },
    { name: 'eexit', params: [], origin: 'ENCLU[EEXIT], program.ts op eexit' },
  ],
  queries: [
    { name: 'maps', params: ['addr'], returns: 'the perms column of /proc/PID/maps for the VMA holding addr ("r-xs"), or NULL' },
    { name: 'vma', params: ['addr'], returns: '{start, end, prot, flags, pgoff} of the VMA holding addr (flags = vm_flags), or NULL' },
    { name: 'epcm', params: ['addr'], returns: '{valid, type, perms, pending, modified, pr} of the enclave page at addr (type as REG/TCS/..., perms as R|W|X), or NULL' },
    { name: 'mem', params: ['addr', 'n'], returns: 'n bytes at addr, read without faulting (a debugger peek)' },
    { name: 'enclave', params: ['fd'], returns: '{base, size, created, initialized} of the enclave behind fd, or NULL' },
    { name: 'invariant', params: ['name'], returns: '{holds, violated, addr, why} of explorer invariant "I1", "I2" or "I3" in the state so far (docs/explorer.md)' },
  ],
};

/** A vocabulary with more verbs, ops or queries (the same name with a new arity adds an overload). */
export function extendVocabulary(base: Vocabulary, more: Partial<Vocabulary>): Vocabulary {
  return {
    verbs: [...base.verbs, ...(more.verbs ?? [])],
    ops: [...base.ops, ...(more.ops ?? [])],
    queries: [...base.queries, ...(more.queries ?? [])],
  };
}

/** [min, max] positional arguments of a parameter list. */
export function arity(params: readonly string[]): [number, number] {
  return [params.filter((p) => !p.endsWith('?')).length, params.length];
}

function signature(name: string, params: readonly string[]): string {
  const req = params.filter((p) => !p.endsWith('?'));
  const opt = params.filter((p) => p.endsWith('?')).map((p) => p.slice(0, -1));
  return `${name}(${req.join(', ')}${opt.length ? `[, ${opt.join(', ')}]` : ''})`;
}

export type VerbLookup = { ok: true; verb: VerbSpec } | { ok: false; message: string };

/** The verb a step's call invokes, or why it matches none. */
export function lookupVerb(vocab: Vocabulary, call: CallExpr): VerbLookup {
  const positional = call.args.filter((a) => a.name === undefined).length;
  const candidates = vocab.verbs.filter((v) => v.name === call.callee);
  if (candidates.length === 0) {
    const names = [...new Set(vocab.verbs.map((v) => v.name))];
    return { ok: false, message: `unknown call '${call.callee}'${didYouMean(call.callee, names)}` };
  }
  const fit = candidates.find((v) => {
    const [min, max] = arity(v.params);
    return positional >= min && positional <= max;
  });
  if (fit === undefined) {
    const forms = candidates.map((v) => `${signature(v.name, v.params)}${candidates.length > 1 ? ` (${v.kind})` : ''}`).join(' or ');
    return { ok: false, message: `${call.callee} takes ${forms}; got ${positional} argument${positional === 1 ? '' : 's'}` };
  }
  return { ok: true, verb: fit };
}

/** Check an op inside eenter's list; returns an error message or undefined. */
export function checkOp(vocab: Vocabulary, call: CallExpr): string | undefined {
  const spec = vocab.ops.find((o) => o.name === call.callee);
  if (spec === undefined) return `unknown enclave operation '${call.callee}'${didYouMean(call.callee, vocab.ops.map((o) => o.name))}`;
  const positional = call.args.filter((a) => a.name === undefined).length;
  const [min, max] = arity(spec.params);
  if (positional < min || positional > max) return `${signature(spec.name, spec.params)} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}; got ${positional}`;
  const named = call.args.find((a) => a.name !== undefined);
  if (named) return `${spec.name} takes no named arguments`;
  return undefined;
}

/** The query spec of a call inside an expression, if it names one. */
export function lookupQuery(vocab: Vocabulary, name: string): QuerySpec | undefined {
  return vocab.queries.find((q) => q.name === name);
}

export { signature as formatSignature };
