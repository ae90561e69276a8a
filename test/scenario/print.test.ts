// The printer is the parser's inverse: parse(print(x)) == x on random ASTs (fast-check), and
// printing is canonical (print(parse(print(x))) == print(x)).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AVC_FILTER_KEYS, FAULT_FIELDS, stripPositions, type Expr, type Step, type StructExpr, type BinaryOp, type CompareOp, type FaultKind } from '../../src/scenario/ast.js';
import { printExpr, printStep } from '../../src/scenario/print.js';
import { parseExpr, parseStep } from '../../src/scenario/syntax.js';
import { SIZE_MULTIPLIER, type SizeSuffix } from '../../src/scenario/numbers.js';

const NAMES = ['a', 'fd', 'base', 'O_RDWR', 'PROT_READ', 'NULL', 'hex', 'avc', 'no', 'x1', '_t', 'SIGSEGV', 'R', 'denied', 'for'];
const name = fc.constantFrom(...NAMES);
const bindName = fc.constantFrom(...NAMES.filter((n) => n !== 'NULL'));
const U64 = (1n << 64n) - 1n;

const intExpr: fc.Arbitrary<Expr> = fc.oneof(
  fc.record({ kind: fc.constant('int' as const), value: fc.bigInt({ min: 0n, max: U64 }), radix: fc.constantFrom(2 as const, 8 as const, 10 as const, 16 as const) }),
  fc.tuple(fc.bigInt({ min: 0n, max: 1n << 20n }), fc.constantFrom<SizeSuffix>('K', 'M', 'G', 'T')).map(([m, suffix]) => ({ kind: 'int' as const, value: m * SIZE_MULTIPLIER[suffix], radix: 10 as const, suffix })),
);
const bytes = fc.uint8Array({ maxLength: 12 });
const leaf: fc.Arbitrary<Expr> = fc.oneof(
  intExpr,
  bytes.map((b) => ({ kind: 'str' as const, bytes: b })),
  bytes.map((b) => ({ kind: 'hex' as const, bytes: b })),
  name.map((n) => ({ kind: 'ident' as const, name: n })),
);

const uniqueKeys = (keys: readonly string[]) => fc.uniqueArray(fc.constantFrom(...keys), { maxLength: 4 });

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom('-' as const, '~' as const), operand: tie('expr') }),
    fc.record({
      kind: fc.constant('binary' as const),
      op: fc.constantFrom<BinaryOp>('|', '^', '&', '<<', '>>', '+', '-', '*', '/', '%'),
      left: tie('expr'),
      right: tie('expr'),
    }),
    fc
      .tuple(name, fc.array(tie('expr'), { maxLength: 3 }), uniqueKeys(['loader', 'size', 'secinfo']), fc.array(tie('expr'), { minLength: 3, maxLength: 3 }))
      .map(([callee, pos, named, vals]) => ({
        kind: 'call' as const,
        callee,
        args: [...pos.map((value) => ({ value })), ...named.map((n, i) => ({ name: n, value: vals[i] }))],
      })),
    fc.tuple(uniqueKeys(['src', 'offset', 'flags', 'secinfo']), fc.array(tie('expr'), { minLength: 4, maxLength: 4 })).map(([keys, vals]) => ({
      kind: 'struct' as const,
      fields: keys.map((key, i) => ({ key, value: vals[i] })),
    })),
    fc.record({ kind: fc.constant('array' as const), items: fc.array(tie('expr'), { maxLength: 3 }) }),
    fc.record({ kind: fc.constant('member' as const), object: tie('expr'), field: name }),
    fc.record({ kind: fc.constant('index' as const), object: tie('expr'), index: tie('expr') }),
  ),
}));

const callExpr = fc.tuple(fc.constantFrom('open', 'mmap', 'ioctl', 'read', 'eenter', 'load', 'no', 'avc'), fc.array(expr, { maxLength: 3 })).map(([callee, args]) => ({
  kind: 'call' as const,
  callee,
  args: args.map((value) => ({ value })),
}));

const faultDetails = (f: FaultKind): fc.Arbitrary<StructExpr | undefined> =>
  fc.option(
    fc.tuple(uniqueKeys(FAULT_FIELDS[f]), fc.array(expr, { minLength: 3, maxLength: 3 })).map(([keys, vals]) => ({
      kind: 'struct' as const,
      fields: keys.map((key, i) => ({ key, value: vals[i] })),
    })),
    { nil: undefined },
  );

const outcome = fc.oneof(
  fc.constant({ kind: 'any' as const }),
  fc.constantFrom('EACCES', 'EPERM', 'E2BIG', 'ERESTART_RESTARTBLOCK').map((n) => ({ kind: 'errno' as const, name: n })),
  expr.map((value) => ({ kind: 'value' as const, value })),
  fc.constantFrom<FaultKind>('SIGSEGV', 'SIGBUS', 'AEX').chain((fault) => faultDetails(fault).map((details) => (details ? { kind: 'fault' as const, fault, details } : { kind: 'fault' as const, fault }))),
);

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ task: opt(bindName), name: bindName, value: expr }).map((r) => clean({ kind: 'let' as const, ...r })),
  fc.record({ task: opt(bindName), bind: opt(bindName), call: callExpr, outcome: opt(outcome) }).map((r) => clean({ kind: 'action' as const, ...r })),
  fc
    .record({ task: opt(bindName), left: expr, op: fc.constantFrom<CompareOp>('==', '!=', '<', '<=', '>', '>='), right: expr })
    .map(({ task, left, op, right }) => clean({ kind: 'expect' as const, task, assertion: { kind: 'compare' as const, left, op, right } })),
  fc
    .record({
      task: opt(bindName),
      negated: fc.boolean(),
      decision: opt(fc.constantFrom('denied' as const, 'granted' as const)),
      perms: fc.uniqueArray(fc.constantFrom('execmem', 'execute', 'read', 'write', 'for', 'map'), { maxLength: 3 }),
      filters: fc.uniqueArray(fc.record({ key: fc.constantFrom(...AVC_FILTER_KEYS), value: fc.string({ maxLength: 8 }) }), { selector: (f) => f.key, maxLength: 3 }),
    })
    .map(({ task, ...a }) => clean({ kind: 'expect' as const, task, assertion: clean({ kind: 'avc' as const, ...a }) })),
);

describe('printer round trip', () => {
  it('expressions: parse(print(e)) == e', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const text = printExpr(e);
        const r = parseExpr(text);
        if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
        expect(stripPositions(r.value)).toEqual(e);
      }),
      { numRuns: 2000 },
    );
  });

  it('steps: parse(print(s)) == s, and printing is canonical', () => {
    fc.assert(
      fc.property(step, (s) => {
        const text = printStep(s);
        const r = parseStep(text);
        if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
        expect(stripPositions(r.value)).toEqual(s);
        expect(printStep(r.value)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('canonical forms', () => {
    const canon = (t: string): string => {
      const r = parseStep(t);
      if (!r.ok) throw new Error(r.error.message);
      return printStep(r.value);
    };
    expect(canon('fd=open( "/dev/sgx_enclave" ,O_RDWR )')).toBe('fd = open("/dev/sgx_enclave", O_RDWR)');
    expect(canon('base = mmap(NULL, 0x8000, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0)')).toBe('base = mmap(NULL, 0x8000, PROT_READ|PROT_EXEC, MAP_SHARED, fd, 0)');
    expect(canon('f((a+b)*c, a+(b+c), (a+b)+c, -(-1), ~-~x, 4k, 0o17, 0B11)')).toBe('f((a + b) * c, a + (b + c), a + b + c, - -1, ~-~x, 4K, 017, 0b11)');
    expect(canon('open("/x",O_RDONLY)=-1 EACCES (Permission denied)')).toBe('open("/x", O_RDONLY) = -1 EACCES');
    expect(canon('write(a, "\\x00ab\\tc\\177\\"")')).toBe('write(a, "\\x00ab\\tc\\x7f\\"")');
    expect(canon('write(a, hex"90 90C3")')).toBe('write(a, hex"90 90 c3")');
    expect(canon('expect avc denied {execmem} for comm="loader" path="/a b"')).toBe('expect avc denied { execmem } comm=loader path="/a b"');
    expect(canon('f() = (-1)')).toBe('f() = (-1)');
    expect(canon('expect (avc) == 1')).toBe('expect (avc) == 1');
    expect(canon('base = area+32K-1 & ~(32K-1)')).toBe('base = area + 32K - 1 & ~(32K - 1)');
    expect(canon('m = (maps(base))')).toBe('m = (maps(base))');
    expect(canon('s = vma(base).start')).toBe('s = vma(base).start');
  });
});
