// The scenario runner: setup, each kind of step, outcomes and expectations, positioned errors,
// overrides, the final state, determinism. Expected kernel values come from the kernel sources
// named at each test (errno, check order, maps perms), not from the runner's output.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario, type Scenario } from '../../src/scenario/load.js';
import { ScenarioFailure, formatError } from '../../src/scenario/errors.js';
import { runScenario, type RunHost, type RunResult } from '../../src/scenario/run.js';
import { registryDesignRefs } from '../../src/scenario/run-boot.js';
import { runToJson, TRACE_FORMAT_VERSION } from '../../src/scenario/render-json.js';
import { nodeCrypto } from '../../src/platform/node/crypto.js';
import { lookupDesign } from '../../src/drivers/sgx/registry.js';
import '../../src/drivers/sgx/index.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { RecordingTrace } from '../../src/scenario/run-trace.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Files by path (relative paths resolve against the scenario's name, here 's.yaml' in root). */
function host(files: Record<string, Uint8Array | string> = {}): RunHost {
  return {
    readFile(path: string): Uint8Array {
      const f = files[path];
      if (f !== undefined) return typeof f === 'string' ? new TextEncoder().encode(f) : f;
      try {
        return new Uint8Array(readFileSync(join(root, path)));
      } catch {
        throw new Error('no such file');
      }
    },
    crypto: nodeCrypto,
  };
}

function load(text: string, file = 's.yaml'): Scenario {
  const r = loadScenario(text, file, { designs: registryDesignRefs() });
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return r.scenario;
}

function run(text: string, files: Record<string, Uint8Array | string> = {}, opts = {}): RunResult {
  return runScenario(load(text), host(files), opts);
}

function failureOf(f: () => unknown): ScenarioFailure {
  try {
    f();
  } catch (e) {
    if (e instanceof ScenarioFailure) return e;
    throw e;
  }
  throw new Error('expected a ScenarioFailure');
}

describe('runner: system calls and outcomes', () => {
  it('runs the steps as the first task: fds 0-2 are taken, so the first open() returns 3', () => {
    const r = run(`steps:
  - fd = open("/dev/sgx_enclave", O_RDWR)
  - base = mmap(NULL, 0x8000, PROT_READ, MAP_SHARED, fd, 0)
  - expect fd == 3
  - expect maps(base) == "r--s"
`);
    expect(r.ok).toBe(true);
    expect(r.design).toBe('D8');
    expect(r.policy).toBe('builtin:default');
    const exits = r.trace.filter((e) => e.kind === 'sys_exit');
    expect(exits.map((e) => e.kind === 'sys_exit' && e.name)).toEqual(['open', 'mmap']);
  });

  it('checks `= -1 ERRNO` against the kernel return and reports a mismatch at the outcome', () => {
    // do_mmap(): MAP_PRIVATE of an SGX fd -> sgx_mmap() is never reached; get_unmapped_area()... the
    // mainline driver refuses MAP_PRIVATE in sgx_mmap() with -EINVAL (arch/x86/kernel/cpu/sgx/driver.c).
    const r = run(`steps:
  - fd = open("/dev/sgx_enclave", O_RDWR)
  - mmap(NULL, 0x8000, PROT_READ, MAP_PRIVATE, fd, 0) = -1 EACCES
`);
    expect(r.ok).toBe(false);
    expect(r.failures).toHaveLength(1);
    expect(formatError(r.failures[0])).toMatch(/^s\.yaml:3:\d+: expected -1 EACCES, got -1 EINVAL$/);
    expect(r.steps[1].status).toBe('failed');
  });

  it('an action without an outcome must succeed; `= ?` accepts anything', () => {
    const r = run(`steps:
  - open("/nonexistent", O_RDONLY)
  - open("/nonexistent", O_RDONLY) = ?
  - open("/nonexistent", O_RDONLY) = -1 ENOENT
`);
    expect(r.steps.map((s) => s.status)).toEqual(['failed', 'ok', 'ok']);
    expect(r.failures[0].message).toContain('to succeed, got -1 ENOENT');
  });

  it('binds results; a failed syscall binds -1 as libc returns it', () => {
    const r = run(`steps:
  - fd = open("/nonexistent", O_RDONLY) = -1 ENOENT
  - expect fd == -1
  - a = mmap(NULL, 4K, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
  - b = a + 0x1000
  - expect b - a == 4096
`);
    expect(r.ok).toBe(true);
  });

  it('memory steps: a store into a read-only mapping is SIGSEGV SEGV_ACCERR at the address (arch/x86/mm/fault.c access_error())', () => {
    const r = run(`steps:
  - a = mmap(NULL, 4K, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
  - 'write(a + 8, hex"90") SIGSEGV {code: SEGV_ACCERR, addr: a + 8}'
  - 'write(a, hex"90") SIGBUS'
  - x = read(a, 2)
  - expect x == hex"00 00"
`);
    expect(r.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'failed', 'ok', 'ok']);
    expect(r.failures[0].message).toMatch(/expected SIGBUS, got SIGSEGV \{code: SEGV_ACCERR/);
    const sig = r.trace.find((e) => e.kind === 'signal');
    expect(sig && sig.kind === 'signal' && sig.signal).toBe('SIGSEGV');
  });

  it('marshals struct literals through the design ioctl table and shows what the kernel wrote back', () => {
    // Mainline ADD_PAGES on a fd without CREATE: sgx_ioc_enclave_add_pages() returns -EINVAL
    // (!test_bit(SGX_ENCL_CREATED)) before touching the arguments (arch/x86/kernel/cpu/sgx/ioctl.c).
    const r = run(`steps:
  - fd = open("/dev/sgx_enclave", O_RDWR)
  - src = mmap(NULL, 4K, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
  - 'ioctl(fd, SGX_IOC_ENCLAVE_ADD_PAGES, {src: src, offset: 0, length: 4K, secinfo: {flags: REG|R|W}, flags: SGX_PAGE_MEASURE}) = -1 EINVAL'
`);
    expect(r.ok).toBe(true);
    const enter = r.trace.find((e) => e.kind === 'sys_enter' && e.name === 'ioctl');
    const view = r.recording.ioctls.get(enter!.seq)!;
    expect(view.name).toBe('SGX_IOC_ENCLAVE_ADD_PAGES');
    expect(view.before!.length).toBe(4096n);
    expect(view.before!.flags).toBe(1n);
    expect(view.nested.secinfo.flags).toBe(0x203n);
  });

  it('refuses a struct literal for an ioctl the design does not define, at the literal', () => {
    const e = failureOf(() => run(`steps:
  - fd = open("/dev/sgx_enclave", O_RDWR)
  - 'ioctl(fd, 0x1234, {a: 1})'
`));
    expect(formatError(e.errors[0])).toMatch(/^s\.yaml:3:\d+: ioctl 0x1234 is not one of design D8's ioctls/);
  });

  it('a bad field name in a struct literal is invalid input with the struct layout named', () => {
    const e = failureOf(() => run(`steps:
  - fd = open("/dev/sgx_enclave", O_RDWR)
  - 'ioctl(fd, SGX_IOC_ENCLAVE_INIT, {sigstrct: 0})'
`));
    expect(e.errors[0].message).toContain("struct sgx_enclave_init has no field 'sigstrct'");
  });

  it('checks every name before running (unknown name, did you mean)', () => {
    const e = failureOf(() => run(`steps:
  - fd = open("/dev/sgx_enclave", O_RDWRR)
`));
    expect(formatError(e.errors[0])).toBe("s.yaml:2:35: unknown name 'O_RDWRR' (did you mean O_RDWR?)");
  });

  it('unmodelled syscalls return -ENOSYS with a note, and the scenario can expect it', () => {
    const r = run(`steps:
  - madvise(0x1000, 4096, 4) = -1 ENOSYS
`);
    expect(r.ok).toBe(true);
    expect(r.trace.some((e) => e.kind === 'note' && /not modelled/.test(e.message))).toBe(true);
  });
});

describe('runner: expectations', () => {
  it('AVC assertions look at the records of the preceding action and match fields of the kernel line', () => {
    const r = run(`setup:
  policy: builtin:strict
  tasks:
    - { name: loader, comm: ldr, context: "unconfined_u:unconfined_r:sgx_loader_t:s0-s0:c0.c3" }
steps:
  - buf = mmap(NULL, 4K, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
  - expect no avc
  - mprotect(buf, 4K, PROT_READ|PROT_EXEC) = -1 EACCES
  - expect avc denied { execmem } tclass=process comm=ldr permissive=0
  - expect avc denied { execmem } comm="ldr"
  - expect no avc granted
  - expect avc denied { execute }
  - expect avc denied tclass=file
`);
    expect(r.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'failed', 'failed']);
    expect(r.failures[0].message).toMatch(/^expected avc denied \{ execute \}; the step's AVC records: avc: {2}denied {2}\{ execmem \}/);
  });

  it('a query on missing state fails the expectation (not the run)', () => {
    const r = run(`steps:
  - expect epcm(0x1000).perms == R
  - expect vma(0x1000) == NULL
  - expect maps(0x1000) == NULL
`);
    expect(r.steps.map((s) => s.status)).toEqual(['failed', 'ok', 'ok']);
  });

  it('vma() reports prot and vm_flags: a MAP_SHARED enclave mapping has VM_MAYSHARE, no VM_MAYEXEC on a noexec /dev', () => {
    // do_mmap(): path_noexec() clears VM_MAYEXEC (mm/mmap.c).
    const r = run(`setup:
  mounts:
    - { path: /dev, fstype: devtmpfs, flags: [nosuid, noexec] }
steps:
  - fd = open("/dev/sgx_enclave", O_RDWR)
  - b = mmap(NULL, 8K, PROT_READ, MAP_SHARED, fd, 0)
  - expect vma(b).flags & VM_MAYEXEC == 0
  - expect vma(b).flags & VM_MAYSHARE == VM_MAYSHARE
  - expect vma(b).prot == PROT_READ
  - mmap(NULL, 8K, PROT_READ|PROT_EXEC, MAP_SHARED, fd, 0) = -1 EPERM
`);
    expect(r.ok).toBe(true);
  });
});

describe('runner: setup', () => {
  it('creates files from bytes next to the scenario and labels them from the file contexts', () => {
    const r = run(
      `setup:
  files:
    - { path: /home/user/a.bin, contents: { file: data/a.bin } }
    - { path: /opt/b.bin, label: "system_u:object_r:lib_t:s0", contents: { text: "hi" } }
steps:
  - fd = open("/home/user/a.bin", O_RDONLY)
  - b = mmap(NULL, 4K, PROT_READ, MAP_PRIVATE, fd, 0)
  - expect mem(b, 3) == hex"01 02 03"
`,
      { 'data/a.bin': Uint8Array.from([1, 2, 3]) },
    );
    expect(r.ok).toBe(true);
    expect(r.machine.k.fs.stat('/home/user/a.bin').label).toBe('unconfined_u:object_r:user_home_t:s0');
    expect(r.machine.k.fs.stat('/opt/b.bin').label).toBe('system_u:object_r:lib_t:s0');
  });

  it('a missing contents file is invalid input at the file entry', () => {
    const e = failureOf(() => run(`setup:
  files:
    - { path: /home/user/a.bin, contents: { file: nope.bin } }
steps: []
`));
    expect(formatError(e.errors[0])).toMatch(/^s\.yaml:3:7: cannot read the contents of \/home\/user\/a\.bin: nope\.bin: no such file$/);
  });

  it('--design, --policy and --permissive override the file', () => {
    const text = `setup:
  design: D8
  policy: builtin:strict
  tasks:
    - { name: t, context: "unconfined_u:unconfined_r:sgx_loader_t:s0-s0:c0.c3" }
steps:
  - buf = mmap(NULL, 4K, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 EACCES
`;
    const enforcing = run(text);
    expect(enforcing.ok).toBe(true);
    const perm = run(text, {}, { permissive: true, design: 'D7', policy: { kind: 'builtin', name: 'default' } });
    expect(perm.design).toBe('D7');
    expect(perm.policy).toBe('builtin:default');
    expect(perm.enforcing).toBe(false);
    expect(perm.ok).toBe(false); // permissive: the mapping succeeds
    const avc = perm.trace.find((e) => e.kind === 'avc' && e.decision === 'denied');
    expect(avc && avc.kind === 'avc' && avc.line).toMatch(/permissive=1$/);
  });

  it('policy files are read next to the scenario, with their own file:line:col on errors', () => {
    const e = failureOf(() => run(`setup:
  policy: my.conf
steps: []
`, { 'my.conf': 'class file\nallow x y:file read\n' }));
    expect(e.errors[0].message).toMatch(/^policy my\.conf does not parse: my\.conf:\d+:\d+: /);
  });

  it('an unknown design name is refused by the loader with the registry list', () => {
    const r = loadScenario('setup:\n  design: D9\nsteps: []\n', 's.yaml', { designs: registryDesignRefs() });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatError(r.errors[0])).toMatch(/^s\.yaml:2:11: unknown design "D9"/);
  });
});

describe('runner: enclaves', () => {
  it('load() expands into the selftest flow on D8 and eenter() runs through the vDSO', () => {
    const r = run(`steps:
  - 'encl = load("examples/reference-enclave.yaml", loader: selftest)'
  - expect epcm(encl.base + 0x2000).perms == R|X
  - expect epcm(encl.base).type == TCS
  - e = eenter(encl.tcs[1], [load(encl.base + 0x4000), eexit()])
  - 'eenter(encl.base, [store(encl.base + 0x2000, 1), eexit()]) AEX {vector: 14, error_code: 0x7, addr: encl.base + 0x2000}'
`);
    expect(r.ok).toBe(true);
    // A store to the text page, mapped r-x: the page tables refuse it first, so it is an ordinary
    // #PF with P|W|U = 0x7 (arch/x86/include/asm/trap_pf.h), reported by the vDSO's exception fixup.
    const last = r.steps[4].result;
    expect(last?.kind === 'enclave' && last.exceptionErrorCode).toBe(0x7);
    expect(r.final.enclaves).toHaveLength(1);
    const enc = r.final.enclaves[0];
    expect(enc.initialized).toBe(true);
    expect(enc.pages.find((p) => p.addr === enc.base + 0x2000)?.epcm?.perms).toBe('R-X');
  });

  it('a load that fails ends with the errno of the loader\'s failing step', () => {
    const r = run(`setup:
  mounts:
    - { path: /dev, fstype: devtmpfs, flags: [nosuid, noexec] }
steps:
  - 'load("examples/reference-enclave.yaml", loader: selftest) = -1 EPERM'
`);
    // load.c's PROT_EXEC probe of /dev/sgx_enclave on a noexec /dev: do_mmap() -EPERM.
    expect(r.ok).toBe(true);
    const res = r.steps[0].result;
    expect(res?.kind === 'load' && res.load.error).toMatch(/PROT_EXEC.*EPERM$/);
  });
});

describe('runner: determinism and JSON', () => {
  it('the same scenario gives the same JSON twice', () => {
    const s = load(readFileSync(join(root, 'scenarios/examples/minimal.yaml'), 'utf8'), 'scenarios/examples/minimal.yaml');
    const a = JSON.stringify(runToJson(runScenario(s, host())));
    const b = JSON.stringify(runToJson(runScenario(s, host())));
    expect(a).toBe(b);
    const j = JSON.parse(a);
    expect(j.format).toBe('sgxsim-trace');
    expect(j.version).toBe(TRACE_FORMAT_VERSION);
    expect(Object.keys(j)).toEqual(['format', 'version', 'scenario', 'ok', 'failures', 'steps', 'events', 'final']);
  });

  it('skips designs the registry does not hold (none missing for the examples)', () => {
    expect(lookupDesign('D8')).toBeDefined();
  });
});


describe('recording trace', () => {
  it('a kernel clone gets an independent plain trace: appending to either leaves the other as it was', () => {
    const k = Kernel.boot();
    const rec = new RecordingTrace(k, () => undefined, k.trace);
    k.trace = rec;
    const pid = k.spawn({ comm: 't' });
    k.sys.open(pid, '/dev/null', 2);
    const n = rec.length;
    const c = k.clone();
    expect(c.trace).not.toBe(rec);
    expect(c.trace).not.toBeInstanceOf(RecordingTrace);
    c.sys.open(pid, '/dev/null', 2);
    expect(rec.length).toBe(n);
    k.sys.close(pid, 0);
    expect(c.trace.length).toBe(n + 2);
    expect(c.trace.all().slice(0, n)).toEqual(rec.all().slice(0, n));
  });
});

describe('runner: remap_file_pages (scenarios/examples/remap-file-pages-rie.yaml)', () => {
  const file = 'scenarios/examples/remap-file-pages-rie.yaml';
  const text = readFileSync(join(root, file), 'utf8');
  it('on 6.1 the RW memfd mapping becomes rwxs with no LSM decision on the call (mm/mmap.c: do_mmap() without security_mmap_file())', () => {
    const r = runScenario(load(text, file), host());
    expect(r.ok).toBe(true);
    const i = r.trace.findIndex((e) => e.kind === 'sys_enter' && e.name === 'remap_file_pages');
    expect(i).toBeGreaterThan(0);
    const after = r.trace.slice(i);
    const exit = after.findIndex((e) => e.kind === 'sys_exit');
    expect(after.slice(0, exit).some((e) => e.kind === 'avc' || e.kind === 'lsm')).toBe(false);
  });
  it('on 6.12 security_mmap_file() denies execute on the memfd: the call fails EACCES and the expectation fails (exit 1)', () => {
    const r = runScenario(load(text.replace(/^ {2}kernel: 6\.1$/m, '  kernel: 6.12'), file), host());
    expect(r.ok).toBe(false);
    const denied = r.trace.filter((e) => e.kind === 'avc' && e.decision === 'denied').map((e) => (e.kind === 'avc' ? e.requested.join(' ') : ''));
    // the PROT_READ|PROT_EXEC mmap (read execute), then remap_file_pages' RW + READ_IMPLIES_EXEC (read write execute)
    expect(denied).toEqual(['read execute', 'read write execute']);
  });
});
