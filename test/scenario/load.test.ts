// Loading scenario files: defaults, every setup form, and file:line:col errors for YAML syntax,
// unknown keys, wrong types, bad numbers and errors inside step strings of every scalar style.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SGX_CPU } from '../../src/arch/x86/sgx/cpu.js';
import { formatError, stripPositions } from '../../src/scenario/index.js';
import { loadScenario, type LoadOptions, type Scenario } from '../../src/scenario/load.js';

function ok(text: string, opts?: LoadOptions, file = 'dir/t.yaml'): Scenario {
  const r = loadScenario(text, file, opts);
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return r.scenario;
}
/** The formatted errors of a file that must not load. */
function errs(text: string, opts?: LoadOptions): string[] {
  const r = loadScenario(text, 't.yaml', opts);
  if (r.ok) throw new Error('expected errors');
  return r.errors.map(formatError);
}
const one = (text: string, opts?: LoadOptions): string => {
  const e = errs(text, opts);
  expect(e).toHaveLength(1);
  return e[0];
};

describe('defaults make tiny scenarios tiny', () => {
  it('steps only', () => {
    const s = ok('steps:\n  - fd = open("/dev/sgx_enclave", O_RDWR)\n');
    expect(s.setup.kernel).toEqual({ major: 6, minor: 1 });
    expect(s.setup.design).toEqual({ id: 'D8', options: {} }); // mainline 6.0+ SGX2 driver
    expect(stripPositions(s.setup.policy)).toEqual({ source: { kind: 'builtin', name: 'default' }, enforcing: true, booleans: {}, permissiveDomains: [] });
    expect(s.setup.cpu).toBe(DEFAULT_SGX_CPU);
    expect(s.setup.mounts.map((m) => `${m.path} ${m.fstype}`)).toEqual(['/ ext4', '/dev devtmpfs', '/tmp tmpfs']);
    expect(s.setup.designDevices).toBe(true);
    expect(s.setup.tasks).toEqual([{ name: 'loader', comm: 'loader', context: 'unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c3', personality: 0, caps: [] }]);
    expect(s.steps).toHaveLength(1);
    expect(s.steps[0].pos).toEqual({ line: 2, col: 5 });
  });

  it('an empty setup is the defaults', () => {
    expect(stripPositions(ok('setup:\nsteps: []').setup)).toEqual(stripPositions(ok('steps: []').setup));
    expect(stripPositions(ok('setup: {}\nsteps: []').setup)).toEqual(stripPositions(ok('steps: []').setup));
    expect(one('description: [1]\nsteps: []')).toBe('t.yaml:1:14: description must be a string');
  });

  it('an empty step list is allowed', () => {
    expect(ok('steps: []').steps).toEqual([]);
    expect(ok('steps:').steps).toEqual([]);
  });

  it('kernel 5.15 defaults to the 5.11 driver; 6.10 is not 6.1', () => {
    expect(ok('setup: {kernel: 5.15}\nsteps: []').setup.design.id).toBe('D7');
    expect(ok('setup: {kernel: 6.10}\nsteps: []').setup.kernel).toEqual({ major: 6, minor: 10 });
    expect(ok('setup: {kernel: "6.1"}\nsteps: []').setup.kernel).toEqual({ major: 6, minor: 1 });
  });
});

describe('setup forms', () => {
  const full = `
description: every setup form
setup:
  kernel: 6.1
  design: copy-source-perms
  policy:
    source: policies/my.conf
    mode: permissive
    booleans: { sgx_loader_execmem: true }
    permissive_domains: [sgx_loader_t]
  cpu: { sgx2: false, flc: true, epc: 64M }
  mounts:
    - { path: /dev, fstype: devtmpfs, flags: [noexec, nosuid] }
    - { path: /home, fstype: ext4, flags: "nodev,nosuid", context: "system_u:object_r:home_root_t:s0" }
  directories:
    - /home/user
    - { path: /opt/encl, label: "system_u:object_r:lib_t:s0", mode: 0750 }
  files:
    - { path: /home/user/a.bin, contents: { file: ../data/a.bin, offset: 4K }, size: 8K }
    - { path: /home/user/b.bin, contents: { hex: "90 90 c3" } }
    - { path: /home/user/c.txt, contents: { text: "hi\\n" }, mode: 0600 }
    - { path: /home/user/d.bin, size: 64K, contents: { pattern: { random: 42 } } }
    - { path: /home/user/e.bin, size: 8K }
    - { path: /home/user/f.bin, size: 4K, contents: { pattern: { repeat: "53 47" } } }
    - { path: /home/user/g.bin, size: 4K, contents: zero }
  devices:
    - { path: /dev/sgx/enclave, device: sgx_enclave, label: "system_u:object_r:sgx_enclave_device_t:s0" }
  tasks:
    - { name: builder }
    - { name: ld, comm: a_very_long_command_name, context: "u:r:loader_t:s0", personality: [READ_IMPLIES_EXEC], caps: [sys_rawio, CAP_IPC_LOCK] }
steps: []
`;
  it('parses into the typed form', () => {
    const s = ok(full);
    const u = stripPositions(s.setup);
    expect(s.description).toBe('every setup form');
    expect(u.design).toEqual({ id: 'D1', options: {} });
    expect(u.policy).toEqual({ source: { kind: 'file', path: 'dir/policies/my.conf', given: 'policies/my.conf' }, enforcing: false, booleans: { sgx_loader_execmem: true }, permissiveDomains: ['sgx_loader_t'] });
    expect(u.cpu.sgx2).toBe(false);
    expect(u.cpu.epcSections).toEqual([{ base: DEFAULT_SGX_CPU.epcSections[0].base, pages: (64 << 20) / 4096 }]);
    expect(u.mounts.map((m) => [m.path, m.fstype, Object.entries(m.flags).filter(([, v]) => v).map(([k]) => k).join(','), m.context])).toEqual([
      ['/', 'ext4', '', undefined],
      ['/dev', 'devtmpfs', 'noexec,nosuid', undefined],
      ['/tmp', 'tmpfs', 'nosuid,nodev', undefined],
      ['/home', 'ext4', 'nosuid,nodev', 'system_u:object_r:home_root_t:s0'],
    ]);
    expect(u.directories).toEqual([
      { path: '/home/user', mode: 0o755 },
      { path: '/opt/encl', label: 'system_u:object_r:lib_t:s0', mode: 0o750 },
    ]);
    expect(u.files).toEqual([
      { path: '/home/user/a.bin', mode: 0o644, contents: { kind: 'file', path: 'data/a.bin', given: '../data/a.bin', offset: 4096 }, size: 8192 },
      { path: '/home/user/b.bin', mode: 0o644, contents: { kind: 'bytes', bytes: Uint8Array.from([0x90, 0x90, 0xc3]), form: 'hex' }, size: 3 },
      { path: '/home/user/c.txt', mode: 0o600, contents: { kind: 'bytes', bytes: new TextEncoder().encode('hi\n'), form: 'text' }, size: 3 },
      { path: '/home/user/d.bin', mode: 0o644, contents: { kind: 'pattern', pattern: { kind: 'random', seed: 42 } }, size: 65536 },
      { path: '/home/user/e.bin', mode: 0o644, contents: { kind: 'zero' }, size: 8192 },
      { path: '/home/user/f.bin', mode: 0o644, contents: { kind: 'pattern', pattern: { kind: 'repeat', bytes: Uint8Array.from([0x53, 0x47]) } }, size: 4096 },
      { path: '/home/user/g.bin', mode: 0o644, contents: { kind: 'zero' }, size: 4096 },
    ]);
    expect(u.devices).toEqual([{ path: '/dev/sgx/enclave', device: 'sgx_enclave', label: 'system_u:object_r:sgx_enclave_device_t:s0', mode: 0o666 }]);
    expect(u.designDevices).toBe(false);
    // comm keeps TASK_COMM_LEN - 1 = 15 bytes, as set_task_comm() does
    expect(u.tasks).toEqual([
      { name: 'builder', comm: 'builder', context: 'unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c3', personality: 0, caps: [] },
      { name: 'ld', comm: 'a_very_long_com', context: 'u:r:loader_t:s0', personality: 0x0400000, caps: ['CAP_SYS_RAWIO', 'CAP_IPC_LOCK'] },
    ]);
    // positions of setup entries point at their YAML nodes
    expect(s.setup.files[1].pos).toEqual({ line: 20, col: 7 });
  });

  it('design ids are validated against the list the runner supplies', () => {
    const designs = [{ id: 'X1', aliases: ['first'] }, { id: 'X2', mainlineSince: '5.11' }];
    expect(ok('setup: {design: first}\nsteps: []', { designs }).setup.design.id).toBe('X1');
    expect(ok('steps: []', { designs }).setup.design.id).toBe('X2');
    expect(one('setup: {design: X3}\nsteps: []', { designs })).toBe('t.yaml:1:17: unknown design "X3" (did you mean X1?); the designs are X1 (first), X2');
    expect(ok('setup: {design: {id: d3, options: {variant: static, flag: true}}}\nsteps: []').setup.design).toMatchObject({ id: 'D3', options: { variant: 'static', flag: true } });
  });
});

describe('setup errors are positioned', () => {
  const cases: [string, string][] = [
    ['setup:\n  polcy: builtin:default\nsteps: []', "t.yaml:2:3: unknown key 'polcy' in setup (did you mean policy?); expected kernel, design, policy, cpu, mounts, directories, files, devices, tasks"],
    ['setup:\n  policy: {sorce: builtin:strict}\nsteps: []', "t.yaml:2:12: unknown key 'sorce' in setup.policy (did you mean source?); expected source, mode, booleans, permissive_domains"],
    ['setup:\n  cpu: {sgx2: yes}\nsteps: []', 't.yaml:2:15: expected true or false, got "yes"'],
    ['setup:\n  cpu: {epc: 0x10g}\nsteps: []', "t.yaml:2:14: bad number '0x10g': 'g' is not a hex digit (expected an EPC size in bytes)"],
    ['setup:\n  cpu: {epc: 1000}\nsteps: []', 't.yaml:2:14: an EPC size is a positive multiple of 4096 bytes, got 0x3e8'],
    ['setup:\n  cpu: {sgx1: false}\nsteps: []', 't.yaml:2:8: invalid CPU: an SGX2 CPU also has SGX1 (CPUID.(12H,0):EAX[0])'],
    ['setup:\n  files:\n    - {path: /a, mode: 644}\nsteps: []', 't.yaml:3:24: mode 644 is a decimal number; modes are octal: write 0644 (or 0o644)'],
    ['setup:\n  files:\n    - {path: a/b}\nsteps: []', 't.yaml:3:14: path "a/b" must be absolute (start with /)'],
    ['setup:\n  files:\n    - {mode: 0644}\nsteps: []', "t.yaml:3:7: missing key 'path' in setup.files[0]"],
    ['setup:\n  files:\n    - {path: /a, contents: {hex: "9"}}\nsteps: []', 't.yaml:3:34: hex bytes need an even number of digits, got 1'],
    ['setup:\n  files:\n    - {path: /a, contents: {pattern: {random: 1}}}\nsteps: []', 't.yaml:3:7: a file with a pattern needs a size in setup.files[0]'],
    ['setup:\n  files:\n    - {path: /a, contents: {hex: "90", text: "x"}}\nsteps: []', 't.yaml:3:28: contents takes one of zero, file, hex, text, pattern; got hex and text'],
    ['setup:\n  directories: [/a]\n  files:\n    - {path: /a}\nsteps: []', 't.yaml:4:7: /a is already a directory (setup.directories[0])'],
    ['setup:\n  mounts:\n    - {path: /mnt, fstype: ext3}\nsteps: []', 't.yaml:3:28: unknown filesystem type "ext3" (did you mean ext4?); expected one of ext4, tmpfs, devtmpfs'],
    ['setup:\n  mounts:\n    - {path: /mnt, fstype: tmpfs, flags: [noexce]}\nsteps: []', 't.yaml:3:43: unknown mount flag "noexce" (did you mean noexec?); expected one of noexec, nosuid, nodev, ro'],
    ['setup:\n  devices:\n    - {path: /dev/x, device: sgx_enclve}\nsteps: []', 't.yaml:3:30: unknown device "sgx_enclve" (did you mean sgx_enclave?); expected one of sgx_enclave, sgx_provision, sgx_vepc, null, zero'],
    ['setup:\n  tasks:\n    - {name: t, caps: [CAP_SYS_RAWI0]}\nsteps: []', 't.yaml:3:24: unknown capability "CAP_SYS_RAWI0" (did you mean CAP_SYS_RAWIO?); the model knows CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_IPC_LOCK, CAP_SYS_RAWIO, CAP_SYS_ADMIN, CAP_SYS_RESOURCE'],
    ['setup:\n  tasks:\n    - {name: t, personality: [READ_IMPLIES_EXE]}\nsteps: []', 't.yaml:3:31: unknown personality flag "READ_IMPLIES_EXE" (did you mean READ_IMPLIES_EXEC?)'],
    ['setup:\n  tasks:\n    - {name: t, context: unconfined_t}\nsteps: []', 't.yaml:3:26: expected a security context user:role:type[:level], got "unconfined_t"'],
    ['setup:\n  tasks:\n    - {name: 1abc}\nsteps: []', 't.yaml:3:14: expected a task name (letters, digits and _), got "1abc"'],
    ['setup:\n  tasks: []\nsteps: []', 't.yaml:2:10: setup.tasks is empty: a scenario needs at least one task to run its steps'],
    ['setup:\n  policy: builtin:strcit\nsteps: []', 't.yaml:2:11: unknown built-in policy "strcit" (did you mean strict?); the built-in policies are builtin:default, builtin:strict'],
    ['setup:\n  policy: default\nsteps: []', 't.yaml:2:11: "default" would be a file next to the scenario; for the built-in policy write builtin:default'],
    ['setup:\n  policy: {mode: enforcing0}\nsteps: []', 't.yaml:2:18: unknown policy mode "enforcing0" (did you mean enforcing?); expected one of enforcing, permissive'],
    ['setup:\n  kernel: 5.4\nsteps: []', 't.yaml:2:11: mainline Linux 5.4 has no SGX driver: name one in setup.design'],
    ['setup:\n  kernel: 4.19\nsteps: []', 't.yaml:2:11: expected a kernel version MAJOR.MINOR such as 6.1 (5.x or 6.x), got "4.19"'],
    ['setup:\n  kernel: 61\nsteps: []', 't.yaml:2:11: expected a kernel version MAJOR.MINOR such as 6.1 (5.x or 6.x), got 61'],
    ['setup:\n  files: {path: /a}\nsteps: []', 't.yaml:2:10: expected a list, got a mapping'],
    ['setup: [1]\nsteps: []', 't.yaml:1:8: setup must be a mapping, got a list'],
  ];
  for (const [text, msg] of cases) {
    it(msg.replace(/^t\.yaml:\d+:\d+: /, ''), () => {
      expect(one(text)).toBe(msg);
    });
  }
});

describe('YAML and top-level errors', () => {
  it('syntax errors, duplicate keys, unknown top-level keys', () => {
    expect(one('steps: [\n')).toMatch(/^t\.yaml:2:1: /);
    expect(one('steps: []\nsteps: []')).toBe('t.yaml:2:1: Map keys must be unique');
    expect(one('step: []')).toMatch(/^t\.yaml:1:1: unknown key 'step' \(did you mean steps\?\)/);
    expect(errs('setup: {}')).toEqual(["t.yaml:1:1: missing key 'steps': a scenario lists its steps (an empty list is allowed)"]);
    expect(one('')).toMatch(/empty scenario/);
    expect(one('- a\n- b')).toMatch(/a scenario is a YAML mapping/);
    expect(one('steps: 3')).toBe('t.yaml:1:8: steps must be a list of strings, one step each');
    expect(one('steps:\n  - 42')).toMatch(/^t\.yaml:2:5: a step is a string .* this one is a number/);
  });

  it("an unquoted step with ': ' gets a quoting hint", () => {
    expect(one('steps:\n  - load("m.yaml", loader: gramine)')).toBe(
      "t.yaml:2:5: YAML read this step as a mapping because it contains ': '; quote the step ('...'), or use = as strace does ({src=a})",
    );
    expect(errs('steps:\n  - ioctl(fd, X, {src: a, offset: 0})\n')[0]).toMatch(/must be quoted/);
    expect(ok("steps:\n  - 'load(\"m.yaml\", loader: gramine)'\n  - ioctl(fd, X, {src=a, offset=0})").steps).toHaveLength(2);
  });

  it('alias bombs and deep nesting are refused, not expanded', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`);
    const text = `setup:\n  design: {id: D1, options: {x: &top 1}}\nsteps: []\n` + bomb.map((l) => l.replace(/^(\w+):/, '#$1:')).join('\n');
    expect(ok(text).setup.design.id).toBe('D1');
    const real = 'setup:\n  files:\n' + '    - &f0 {path: /a}\n' + 'steps: []\n';
    expect(ok(real).setup.files).toHaveLength(1);
    const deep = 'setup:\n  design: {id: D1, options: {x: ' + '['.repeat(100) + ']'.repeat(100) + '}}\nsteps: []';
    expect(errs(deep)[0]).toMatch(/nested deeper than 64 levels|a design option is a string/);
  });
});

describe('errors inside step strings point at the file position', () => {
  // The bad token is `O_RDWR]`'s ']' in every style; its file position is computed by hand.
  const styles: [string, string, number, number][] = [
    ['plain', '  - open("/x", O_RDWR])', 2, 22],
    ['double-quoted', '  - "open(\\"/x\\", O_RDWR])"', 2, 25],
    ['double-quoted, folded over lines', '  - "open(\\"/x\\",\n     O_RDWR])"', 3, 12],
    ['single-quoted', "  - 'open(\"/x\", O_RDWR])'", 2, 23],
    ['single-quoted with an escaped quote before', "  - 'open(\"it''s\", O_RDWR])'", 2, 26],
    ['block literal', '  - |\n    open("/x",\n         O_RDWR])', 4, 16],
    ['block folded', '  - >-\n    open("/x",\n      O_RDWR])', 4, 13],
    ['plain, folded over lines', '  - open("/x",\n       O_RDWR])', 3, 14],
  ];
  for (const [name, body, line, col] of styles) {
    it(name, () => {
      expect(one(`steps:\n${body}\n`)).toBe(`t.yaml:${line}:${col}: expected ',' or ')' in the arguments of open, found ']'`);
    });
  }

  it('string escapes, numbers and names inside steps', () => {
    expect(one('steps:\n  - write(a, "\\q")')).toBe("t.yaml:2:15: unknown escape '\\q' (use \\n \\t \\r \\\\ \\\" \\xNN or \\NNN)");
    expect(one('steps:\n  - "mmap(NULL, 0x1g, 0, 0, -1, 0)"')).toBe("t.yaml:2:17: bad number '0x1g': 'g' is not a hex digit");
  });
});

describe('steps are checked against the vocabulary and the tasks', () => {
  const cases: [string, string][] = [
    ['  - mmpa(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0)', "t.yaml:2:5: unknown call 'mmpa' (did you mean mmap?)"],
    ['  - read(a, 1, 2, 3)', 't.yaml:2:5: read takes read(fd, buf, count) (syscall) or read(addr, n) (memory); got 4 arguments'],
    ['  - mmap(NULL, 4096)', 't.yaml:2:5: mmap takes mmap(addr, length, prot, flags, fd, offset); got 2 arguments'],
    ['  - "eenter(tcs, [stor(a, 1)])"', "t.yaml:2:19: unknown enclave operation 'stor' (did you mean store?)"],
    ['  - eenter(tcs, eexit())', 't.yaml:2:17: the second argument of eenter is a list of enclave operations, as in [load(x), eexit()]'],
    ['  - "eenter(tcs, [eaccept(a)])"', 't.yaml:2:19: eaccept(addr, flags[, secinfo]) takes 2 to 3 arguments; got 1'],
    ["  - 'load(\"m.yaml\", loader: gramin)'", 't.yaml:2:29: loader must be one of canonical, selftest, gramine, intel-psw (did you mean gramine?)'],
    ["  - 'load(\"m.yaml\", loadr: gramine)'", "t.yaml:2:21: load takes no argument named 'loadr' (did you mean loader?); it takes loader"],
    ['  - open("/x", O_RDONLY) SIGSEGV', 't.yaml:2:26: a system call step cannot end in SIGSEGV: a bad user pointer in a syscall gives -1 EFAULT; faults belong to memory and enclave steps'],
    ['  - read(a, 8) AEX', 't.yaml:2:16: AEX is an enclave exit: it belongs to eenter/eresume steps; a memory step faults with SIGSEGV or SIGBUS'],
    ['  - exec(a) = -1 EFAULT', 't.yaml:2:18: a memory access has no errno: it succeeds or faults (SIGSEGV, SIGBUS)'],
    ['  - "@bulder open(\\"/x\\", O_RDONLY)"', "t.yaml:2:6: unknown task '@bulder' (did you mean builder?); setup.tasks defines @builder, @loader"],
    ['  - expect mpas(base) == "r--s"', "t.yaml:2:12: unknown function 'mpas' (did you mean maps?); expressions may call maps, vma, epcm, mem, enclave, invariant"],
    ['  - x = read(a, 8) + 1', "t.yaml:2:9: unknown function 'read'; expressions may call maps, vma, epcm, mem, enclave, invariant"],
  ];
  const setup = 'setup:\n  tasks: [{name: builder}, {name: loader}]\n';
  for (const [body, msg] of cases) {
    it(msg.replace(/^t\.yaml:\d+:\d+: /, ''), () => {
      const text = `${setup}steps:\n${body}\n`;
      const shifted = msg.replace(/^t\.yaml:(\d+):/, (_, l) => `t.yaml:${Number(l) + 2}:`);
      expect(one(text)).toBe(shifted);
    });
  }

  it('a query bound without parentheses becomes a computed binding', () => {
    const s = ok('steps:\n  - m = maps(base)');
    expect(stripPositions(s.steps[0])).toEqual({ kind: 'let', name: 'm', value: { kind: 'call', callee: 'maps', args: [{ value: { kind: 'ident', name: 'base' } }] } });
  });

  it('reports several errors at once, sorted by position', () => {
    const e = errs('setup:\n  polcy: x\nsteps:\n  - mmpa()\n  - open("/x"\n');
    expect(e.map((x) => x.split(': ')[0])).toEqual(['t.yaml:2:3', 't.yaml:4:5', 't.yaml:5:14']);
  });
});

describe('the example scenarios load', () => {
  const dir = join(import.meta.dirname, '../../scenarios/examples');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
    it(f, () => {
      const s = ok(readFileSync(join(dir, f), 'utf8'), undefined, `scenarios/examples/${f}`);
      expect(s.steps.length).toBeGreaterThan(0);
    });
  }
});
