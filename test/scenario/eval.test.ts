// Name resolution and evaluation. Constant values are checked against the kernel headers they
// come from (cited per line), not against our own tables.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { _IOWR, _IOW } from '../../src/abi/ioctl.js';
import {
  ABI_CONSTANTS,
  SGX_CONSTANTS,
  Scope,
  ScenarioFailure,
  arrayValue,
  checkNames,
  compareValues,
  evaluate,
  formatError,
  loadScenario,
  parseExpr,
  resolveErrno,
  scenarioConstants,
  structValue,
  type DesignSymbols,
  type EvalEnv,
  type Value,
} from '../../src/scenario/index.js';

/** The D7 uAPI names, from arch/x86/include/uapi/asm/sgx.h as the reference notes give them (§3.2). */
const D7: DesignSymbols = {
  id: 'D7',
  ioctls: { SGX_IOC_ENCLAVE_CREATE: 0x4008a400, SGX_IOC_ENCLAVE_ADD_PAGES: 0xc030a401, SGX_IOC_ENCLAVE_INIT: 0x4008a402, SGX_IOC_ENCLAVE_PROVISION: 0x4008a403 },
  constants: { SGX_PAGE_MEASURE: 1 },
};

const U64 = (1n << 64n) - 1n;

function ev(text: string, scope = new Scope(scenarioConstants(D7)), call?: EvalEnv['call']): Value {
  const r = parseExpr(text, { locate: (o) => ({ line: 7, col: o + 1 }) });
  if (!r.ok) throw new Error(r.error.message);
  return evaluate(r.value, scope.env('s.yaml', call));
}
function evErr(text: string, scope?: Scope): string {
  try {
    ev(text, scope);
  } catch (e) {
    if (e instanceof ScenarioFailure) return e.errors.map(formatError).join('\n');
    throw e;
  }
  throw new Error('expected an error');
}

describe('constants', () => {
  it('come from the kernel headers', () => {
    const c = scenarioConstants(D7);
    expect(c.get('O_RDWR')).toBe(2n); // include/uapi/asm-generic/fcntl.h: 00000002
    expect(c.get('O_CLOEXEC')).toBe(0o2000000n); // fcntl.h: 02000000
    expect(c.get('PROT_EXEC')).toBe(4n); // mman-common.h
    expect(c.get('MAP_SHARED')).toBe(1n);
    expect(c.get('MAP_ANONYMOUS')).toBe(0x20n);
    expect(c.get('EACCES')).toBe(13n); // errno-base.h
    expect(c.get('VM_MAYEXEC')).toBe(0x40n); // include/linux/mm.h
    expect(c.get('READ_IMPLIES_EXEC')).toBe(0x0400000n); // include/uapi/linux/personality.h
    expect(c.get('SEGV_ACCERR')).toBe(2n); // include/uapi/asm-generic/siginfo.h
    expect(c.get('NULL')).toBe(0n);
    // SECINFO flags (SDM Vol. 3D 34.11.1; arch/x86/include/asm/sgx.h)
    expect(c.get('R')).toBe(1n);
    expect(c.get('PENDING')).toBe(8n);
    expect(c.get('TCS')).toBe(0x100n);
    expect(ev('REG|R|X')).toBe(0x205n); // selftest load.c: (SGX_PAGE_TYPE_REG << 8) | PROT_READ | PROT_EXEC
    expect(c.get('SGX_NOT_TRACKED')).toBe(11n); // arch/x86/kernel/cpu/sgx/arch.h enum sgx_return_code
    expect(c.get('SGX_ATTR_MODE64BIT')).toBe(4n);
    // the design's names
    expect(c.get('SGX_IOC_ENCLAVE_ADD_PAGES')).toBe(BigInt(_IOWR(0xa4, 0x01, 48)));
    expect(c.get('SGX_IOC_ENCLAVE_CREATE')).toBe(BigInt(_IOW(0xa4, 0x00, 8)));
    expect(c.get('SGX_PAGE_MEASURE')).toBe(1n);
  });

  it('the ABI and SGX tables do not disagree, and a design cannot redefine them', () => {
    for (const n of ABI_CONSTANTS.names()) {
      const s = SGX_CONSTANTS.get(n);
      if (s !== undefined) expect(s).toBe(ABI_CONSTANTS.get(n));
    }
    expect(() => scenarioConstants({ id: 'bad', ioctls: { O_RDWR: 3 } })).toThrow(/redefines O_RDWR/);
  });
});

describe('evaluation', () => {
  it('unsigned 64-bit arithmetic', () => {
    expect(ev('-1')).toBe(U64);
    expect(ev('~0')).toBe(U64);
    expect(ev('0 - 1')).toBe(U64);
    expect(ev('1 << 63 << 1')).toBe(0n);
    expect(ev('1 << 64')).toBe(0n);
    expect(ev('0xffffffffffffffff + 2')).toBe(1n);
    expect(ev('0x8000 * 0x2 / 3 % 7')).toBe(((0x8000n * 2n) / 3n) % 7n);
    expect(ev('PROT_READ|PROT_WRITE')).toBe(3n);
    expect(ev('6 ^ 3')).toBe(5n);
    expect(ev('0x100 >> 4')).toBe(0x10n);
  });

  it('rounding an address up to an enclave size', () => {
    const s = new Scope(scenarioConstants());
    s.bind('area', 0x7f00_0000_1000n);
    expect(ev('area + 32K - 1 & ~(32K - 1)', s)).toBe(0x7f00_0000_8000n);
  });

  it('strings, structs, arrays, members and indexes', () => {
    expect(ev('"r--s"')).toEqual(new TextEncoder().encode('r--s'));
    expect(ev('hex"90 c3"')).toEqual(Uint8Array.from([0x90, 0xc3]));
    const st = ev('{src: 0x1000, secinfo: {flags: REG|R|W}}');
    expect(compareValues(st, '==', structValue({ src: 0x1000n, secinfo: structValue({ flags: 0x203n }) }), {} as EvalEnv)).toBe(true);
    expect(ev('{a: [1, 2, 3]}.a[2]')).toBe(3n);
    expect(ev('"abc"[1]')).toBe(0x62n);
  });

  it('queries go through the runner', () => {
    const seen: unknown[] = [];
    const v = ev('vma(0x1000 + 0x10).prot', undefined, (name, args) => {
      seen.push(name, ...args);
      return structValue({ prot: 5n, start: 0x1000n });
    });
    expect(v).toBe(5n);
    expect(seen).toEqual(['vma', 0x1010n]);
  });

  it('errors are positioned and suggest names', () => {
    expect(evErr('O_RDWRR')).toBe("s.yaml:7:1: unknown name 'O_RDWRR' (did you mean O_RDWR?)");
    expect(evErr('PROT_READ | prot_exec')).toBe("s.yaml:7:13: unknown name 'prot_exec' (did you mean PROT_EXEC?)");
    expect(evErr('1 / (2 - 2)')).toBe('s.yaml:7:3: division by zero');
    expect(evErr('"a" + 1')).toBe(`s.yaml:7:5: '+' needs an integer, got "a"`);
    expect(evErr('{src: 1}.sr')).toBe("s.yaml:7:9: no field 'sr' (did you mean src?); the fields are src");
    expect(evErr('[1][5]')).toBe('s.yaml:7:4: index 5 is past the end of a list of 1');
    expect(evErr('maps(1)')).toBe('s.yaml:7:1: maps(...) cannot be called here');
  });

  it('comparisons', () => {
    const env = {} as EvalEnv;
    expect(compareValues(new TextEncoder().encode('r--s'), '==', new TextEncoder().encode('r--s'), env)).toBe(true);
    expect(compareValues(0n, '==', new Uint8Array(0), env)).toBe(false);
    expect(compareValues(arrayValue([1n]), '!=', arrayValue([1n, 2n]), env)).toBe(true);
    expect(compareValues(U64, '>', 1n, env)).toBe(true); // unsigned
    expect(() => compareValues(new Uint8Array(1), '<', 1n, { file: 'f', lookup: () => undefined, names: () => [] })).toThrow(/needs an integer/);
  });

  it('errno names', () => {
    expect(resolveErrno('EACCES', undefined, 'f')).toBe(13);
    expect(resolveErrno('ENOTSUP', undefined, 'f')).toBe(95); // = EOPNOTSUPP, include/uapi/asm-generic/errno.h
    expect(() => resolveErrno('EACESS', { line: 3, col: 9 }, 'f')).toThrow("f:3:9: unknown errno 'EACESS' (did you mean EACCES?)");
  });
});

describe('Scope', () => {
  it('bound names come first, then constants', () => {
    const s = new Scope(scenarioConstants());
    expect(s.get('O_RDWR')).toBe(2n);
    s.bind('O_RDWR', 99n);
    expect(s.get('O_RDWR')).toBe(99n);
  });

  it('clone() shares nothing mutable', () => {
    const a = new Scope(scenarioConstants());
    a.bind('fd', 3n);
    const b = a.clone();
    b.bind('fd', 4n);
    b.bind('base', 0x1000n);
    a.bind('x', 1n);
    expect(a.get('fd')).toBe(3n);
    expect(a.get('base')).toBeUndefined();
    expect(b.get('fd')).toBe(4n);
    expect(b.get('x')).toBeUndefined();
    const c = b.clone();
    const d = c.clone();
    d.bind('fd', 5n);
    expect([b.get('fd'), c.get('fd'), d.get('fd')]).toEqual([4n, 4n, 5n]);
    expect(a.boundNames().sort()).toEqual(['fd', 'x']);
  });
});

describe('checkNames (before running)', () => {
  const text = [
    'steps:',
    '  - fd = open("/dev/sgx_enclave", O_RDWR)',
    '  - base = mmap(NULL, 0x8000, PROT_READ, MAP_SHARED, fd, 0)',
    '  - "ioctl(fd, SGX_IOC_ENCLAVE_ADD_PAGES, {src: text, offset: 0, length: 4K, secinfo: {flags: REG|R|X}, flags: SGX_PAGE_MEASURE})"',
    '  - text = mmap(NULL, 4K, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)',
    '  - open("/x", O_RDWRR) = -1 EACESS',
    "  - 'load(\"m.yaml\", loader: gramine)'",
    '  - O_RDONLY = open("/y", 0)',
    '  - expect epcm(base).perms == R|X',
    '  - expect maps(bse) == "r--s"',
  ].join('\n');
  it('reports unbound names, unknown constants and errnos, and bound constants', () => {
    const r = loadScenario(text, 's.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
    const errors = checkNames(r.scenario, scenarioConstants(D7)).map(formatError);
    expect(errors).toEqual([
      "s.yaml:4:49: unknown name 'text'",
      "s.yaml:6:16: unknown name 'O_RDWRR' (did you mean O_RDWR?)",
      "s.yaml:6:30: unknown errno 'EACESS' (did you mean EACCES?)",
      "s.yaml:8:5: 'O_RDONLY' is a constant; bind the result to another name",
      "s.yaml:10:17: unknown name 'bse' (did you mean base?)",
    ]);
  });
  it('without the design, its ioctl names are unknown', () => {
    const r = loadScenario('steps:\n  - ioctl(3, SGX_IOC_ENCLAVE_INIT, 0)', 's.yaml');
    if (!r.ok) throw new Error();
    expect(checkNames(r.scenario, scenarioConstants()).map(formatError)).toEqual(["s.yaml:2:14: unknown name 'SGX_IOC_ENCLAVE_INIT'"]);
  });
});

describe('precedence and u64 arithmetic against a reference', () => {
  // Reference: the same text evaluated by JavaScript's BigInt operators, whose relative
  // precedence for * + - << & ^ | ~ and unary - equals C's, reduced mod 2^64 at the end (these
  // operators' low 64 bits depend only on their operands' low 64 bits).
  it('random expressions over + - * << & ^ | ~ and parentheses', () => {
    const lit = fc.bigInt({ min: 0n, max: U64 }).map((v) => ({ text: v % 3n === 0n ? '0x' + v.toString(16) : v.toString(10), js: `${v}n` }));
    type T = { text: string; js: string };
    const { e } = fc.letrec<{ e: T }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small' },
        lit,
        fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '&', '^', '|'), tie('e'), fc.constantFrom('', ' ')).map(([a, op, b, sp]) => ({ text: `${a.text}${sp}${op}${sp}${b.text}`, js: `${a.js} ${op} ${b.js}` })),
        fc.tuple(tie('e'), fc.integer({ min: 0, max: 63 })).map(([a, n]) => ({ text: `(${a.text} << ${n})`, js: `(${a.js} << ${n}n)` })),
        fc.tuple(fc.constantFrom('-', '~'), tie('e')).map(([op, a]) => ({ text: `${op}(${a.text})`, js: `${op}(${a.js})` })),
        tie('e').map((a) => ({ text: `(${a.text})`, js: `(${a.js})` })),
      ),
    }));
    fc.assert(
      fc.property(e, (x) => {
        const expected = BigInt.asUintN(64, new Function(`return ${x.js};`)() as bigint);
        expect(ev(x.text)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
