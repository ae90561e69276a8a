// The text output follows strace's formatting. Expected lines are strace's own output for the
// same calls (strace 6.x on x86-64; e.g. `strace ls`: `mmap(NULL, 8192, PROT_READ|PROT_WRITE,
// MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f3b41092000`, `mprotect(0x7f3b4106d000, 135168,
// PROT_NONE) = 0`, `read(3, "\177ELF\2\1\1\0..."..., 832) = 832`, `access(..., R_OK) = -1 ENOENT
// (No such file or directory)`), and strace's rules in src/mem.c (print_mmap: addr via printaddr,
// length PRINT_VAL_U, offset PRINT_VAL_X; mmap/brk RVAL_HEX) and src/util.c (string_quote).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TraceEvent } from '../../src/kernel/trace.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { RecordingTrace } from '../../src/scenario/run-trace.js';
import { addr, formatErrorReturn, hx, iocText, quoteBytes, renderEvents, renderRun, secinfoFlagsText, syscallLine } from '../../src/scenario/render.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';
import { registryDesignRefs } from '../../src/scenario/run-boot.js';
import { nodeCrypto } from '../../src/platform/node/crypto.js';
import { MAP_ANONYMOUS, MAP_DENYWRITE, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../src/abi/mman.js';
import { O_CLOEXEC, O_CREAT, O_RDONLY, O_RDWR } from '../../src/abi/fcntl.js';
import { EACCES, ENOENT, ERESTARTSYS } from '../../src/abi/errno.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const k = Kernel.boot();
const rec = new RecordingTrace(k, () => undefined, k.trace);
const ctx = { rec, constants: {} };

let seq = 1000;
function pair(name: string, args: Record<string, number | string>, ret: number, errno?: string): [Extract<TraceEvent, { kind: 'sys_enter' }>, Extract<TraceEvent, { kind: 'sys_exit' }>] {
  const enter = { kind: 'sys_enter', seq: seq++, pid: 2, comm: 'ls', name, args } as const;
  const exit = { kind: 'sys_exit', seq: seq++, pid: 2, name, ret, ...(errno ? { errno } : {}) } as const;
  return [enter, exit];
}
const line = (name: string, args: Record<string, number | string>, ret: number, errno?: string): string => syscallLine(...pair(name, args, ret, errno), ctx);

describe('strace line format', () => {
  it('mmap: NULL, decimal length, flag names, fd, %#x offset, hex result', () => {
    expect(line('mmap', { addr: 0, length: 8192, prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS, fd: -1, offset: 0 }, 0x7f3b41092000)).toBe(
      'mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f3b41092000',
    );
    expect(line('mmap', { addr: 0x7f3b4106d000, length: 102400, prot: PROT_READ | PROT_EXEC, flags: MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE, fd: 3, offset: 0x6000 }, 0x7f3b4106d000)).toBe(
      'mmap(0x7f3b4106d000, 102400, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x6000) = 0x7f3b4106d000',
    );
    // the example
    expect(line('mmap', { addr: 0, length: 32768, prot: PROT_READ, flags: MAP_SHARED, fd: 4, offset: 0 }, 0x7f0000000000)).toMatch(/^mmap\(NULL, 32768, PROT_READ, MAP_SHARED, 4, 0\) = 0x7f/);
  });

  it('mprotect and munmap: address, decimal length, decimal result', () => {
    expect(line('mprotect', { addr: 0x7f3b4106d000, len: 135168, prot: PROT_NONE }, 0)).toBe('mprotect(0x7f3b4106d000, 135168, PROT_NONE) = 0');
    expect(line('munmap', { addr: 0x7f3b41094000, len: 89741 }, 0)).toBe('munmap(0x7f3b41094000, 89741) = 0');
  });

  it('open: quoted path, flags, the mode only with O_CREAT; errors with strerror text', () => {
    expect(line('open', { path: '/dev/sgx/enclave', flags: O_RDWR, mode: 0o666 }, 3)).toBe('open("/dev/sgx/enclave", O_RDWR) = 3');
    expect(line('open', { path: '/etc/ld.so.cache', flags: O_RDONLY | O_CLOEXEC, mode: 0o666 }, 3)).toBe('open("/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3');
    expect(line('open', { path: '/tmp/x', flags: O_RDWR | O_CREAT, mode: 0o600 }, 3)).toBe('open("/tmp/x", O_RDWR|O_CREAT, 0600) = 3');
    expect(line('open', { path: '/etc/ld.so.preload', flags: O_RDONLY, mode: 0o666 }, -ENOENT, 'ENOENT')).toBe('open("/etc/ld.so.preload", O_RDONLY) = -1 ENOENT (No such file or directory)');
  });

  it('errno suffixes: glibc strerror(), and `?` with strace texts for the restart codes', () => {
    expect(formatErrorReturn(-EACCES)).toBe('-1 EACCES (Permission denied)');
    expect(formatErrorReturn(-ERESTARTSYS)).toBe('? ERESTARTSYS (To be restarted if SA_RESTART is set)');
  });

  it("strings: strace's escapes and the -s 32 cut", () => {
    // strace ls: read(3, "\177ELF\2\1\1\0\0\0\0\0\0\0\0\0\3\0>\0\1\0\0\0@p\0\0\0\0\0\0"..., 832) = 832
    const elf = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0, 1, 0, 0, 0, 0x40, 0x70, 0, 0, 0, 0, 0, 0, 0x40]);
    expect(quoteBytes(elf, 832)).toBe('"\\177ELF\\2\\1\\1\\0\\0\\0\\0\\0\\0\\0\\0\\0\\3\\0>\\0\\1\\0\\0\\0@p\\0\\0\\0\\0\\0\\0"...');
    expect(quoteBytes(new TextEncoder().encode('hi\n"x"\\'))).toBe('"hi\\n\\"x\\"\\\\"');
    // an octal escape before a digit is written with three digits so it stays unambiguous
    expect(quoteBytes(Uint8Array.from([1, 0x31]))).toBe('"\\0011"');
  });

  it('addresses and %#x', () => {
    expect(addr(0)).toBe('NULL');
    expect(addr(0x1000)).toBe('0x1000');
    expect(hx(0)).toBe('0');
    expect(hx(0x1000)).toBe('0x1000');
  });

  it('ioctls strace cannot name are printed as _IOC(...)', () => {
    // include/uapi/asm-generic/ioctl.h: 0xc030a401 = _IOWR(0xa4, 0x01, 0x30)
    expect(iocText(0xc030a401)).toBe('_IOC(_IOC_READ|_IOC_WRITE, 0xa4, 0x1, 0x30)');
    expect(line('ioctl', { fd: 3, cmd: 0xc030a401, arg: 0x7ffd0000 }, -EACCES, 'EACCES')).toBe('ioctl(3, _IOC(_IOC_READ|_IOC_WRITE, 0xa4, 0x1, 0x30), 0x7ffd0000) = -1 EACCES (Permission denied)');
  });

  it('SECINFO flags by name (SDM Vol. 3D 34.11.1)', () => {
    expect(secinfoFlagsText(0x205n)).toBe('SGX_SECINFO_REG|SGX_SECINFO_R|SGX_SECINFO_X');
    expect(secinfoFlagsText(0x100n)).toBe('SGX_SECINFO_TCS');
  });

  it('signals: --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x...} ---', () => {
    const ev = { kind: 'signal', seq: 1, pid: 2, signal: 'SIGSEGV', code: 2, addr: 0x7f0000001000, errorCode: 7 } as const;
    expect(renderEvents([ev], ctx, {}, false)).toEqual(['--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x7f0000001000} ---']);
    expect(renderEvents([ev], ctx, {}, true)).toEqual(['[pid 2] --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x7f0000001000} ---']);
  });

  it('AVC lines and driver notes are indented under the syscall they happened in', () => {
    const [en, ex] = pair('mmap', { addr: 0, length: 4096, prot: PROT_READ | PROT_EXEC, flags: MAP_SHARED, fd: 3, offset: 0 }, -EACCES, 'EACCES');
    const avc = {
      kind: 'avc', seq: seq++, pid: 2, hook: 'mmap_file', check: 'file_map_prot_check', scontext: 'u:r:a_t:s0', tcontext: 'u:r:a_t:s0', tclass: 'process',
      requested: ['execmem'], perms: ['execmem'], decision: 'denied', ret: -13, errno: 'EACCES', audited: true, permissive: false,
      line: 'avc:  denied  { execmem } for  pid=2 comm="ls" scontext=u:r:a_t:s0 tcontext=u:r:a_t:s0 tclass=process permissive=0', ioctlcmd: null,
    } as const;
    const note = { kind: 'driver', seq: seq++, pid: 2, driver: 'sgx', message: 'hello' } as const;
    const lines = renderEvents([en, avc, note, ex], ctx, {}, false);
    expect(lines).toEqual([
      'mmap(NULL, 4096, PROT_READ|PROT_EXEC, MAP_SHARED, 3, 0) = -1 EACCES (Permission denied)',
      '    avc:  denied  { execmem } for  pid=2 comm="ls" scontext=u:r:a_t:s0 tcontext=u:r:a_t:s0 tclass=process permissive=0',
      '    sgx: hello',
    ]);
  });
});

describe('whole runs', () => {
  const text = readFileSync(join(root, 'scenarios/examples/minimal.yaml'), 'utf8');
  const r0 = loadScenario(text, 'scenarios/examples/minimal.yaml', { designs: registryDesignRefs() });
  if (!r0.ok) throw new Error('minimal.yaml does not load');
  const r = runScenario(r0.scenario, { readFile: (p) => new Uint8Array(readFileSync(join(root, p))), crypto: nodeCrypto });

  it('prints a header, the syscalls, the expectations, the final maps and a verdict', () => {
    const out = renderRun(r);
    expect(out).toContain('open("/dev/sgx_enclave", O_RDWR) = 3\n');
    expect(out).toMatch(/^mmap\(NULL, 32768, PROT_READ, MAP_SHARED, 3, 0\) = 0x[0-9a-f]+$/m);
    expect(out).toContain('# expect maps(base) == "r--s": ok\n');
    expect(out).toContain('# final state\n');
    expect(out).toMatch(/\[stack\]\n/);
    expect(out.trimEnd().split('\n').at(-1)).toBe('# ok: 5 steps, 3 expectations held');
  });

  it('uses colour only when asked', () => {
    expect(renderRun(r)).not.toContain('\u001b[');
    expect(renderRun(r, { color: true })).toContain('\u001b[');
  });

  it('--quiet keeps the header and the verdict only', () => {
    expect(renderRun(r, { quiet: true }).trimEnd().split('\n')).toHaveLength(3);
  });

  it('--audited-only hides granted decisions the kernel does not audit', () => {
    expect(renderRun(r)).toMatch(/selinux file_open \(file_path_has_perm\): unconfined_t -> sgx_enclave_device_t:chr_file \{ read write open \} granted/);
    expect(renderRun(r, { auditedOnly: true })).not.toContain('selinux file_open');
  });
});


/** A naive reading of a C string literal as strace writes it (octal and C escapes), the reference for quoteBytes(). */
function unquote(s: string): { bytes: number[]; cut: boolean } {
  const cut = s.endsWith('...');
  const body = s.slice(1, cut ? -4 : -1);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out.push(c.charCodeAt(0));
      continue;
    }
    const n = body[++i];
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '"': 34, '\\': 92 };
    if (n in simple) {
      out.push(simple[n]);
      continue;
    }
    let oct = '';
    while (oct.length < 3 && /[0-7]/.test(body[i] ?? '')) oct += body[i++];
    i--;
    out.push(parseInt(oct, 8));
  }
  return { bytes: out, cut };
}

describe('quoteBytes against a naive C-string reader', () => {
  it('reads back as the first 32 bytes, cut marked exactly when longer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const q = quoteBytes(b);
        const r = unquote(q);
        expect(r.bytes).toEqual([...b.subarray(0, 32)]);
        expect(r.cut).toBe(b.length > 32);
      }),
      { numRuns: 300 },
    );
  });
});
