// Step-string parser: every form of docs/scenario-format.md, and positioned errors.
import { describe, expect, it } from 'vitest';
import { parseExpr, parseStep } from '../../src/scenario/syntax.js';
import { stripPositions, type Step, type Expr } from '../../src/scenario/ast.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function step(text: string): Step {
  const r = parseStep(text);
  if (!r.ok) throw new Error(`${r.error.pos.col}: ${r.error.message}`);
  return stripPositions(r.value);
}
function expr(text: string): Expr {
  const r = parseExpr(text);
  if (!r.ok) throw new Error(`${r.error.pos.col}: ${r.error.message}`);
  return stripPositions(r.value);
}
function err(text: string): { col: number; message: string } {
  const r = parseStep(text);
  if (r.ok) throw new Error(`expected an error for ${text}`);
  return { col: r.error.pos.col, message: r.error.message };
}

const id = (name: string) => ({ kind: 'ident', name });
const int = (value: bigint, radix = 10) => ({ kind: 'int', value, radix });

describe('steps', () => {
  it('binding, string and flag arguments', () => {
    expect(step('fd = open("/dev/sgx_enclave", O_RDWR)')).toEqual({
      kind: 'action',
      bind: 'fd',
      call: { kind: 'call', callee: 'open', args: [{ value: { kind: 'str', bytes: enc('/dev/sgx_enclave') } }, { value: id('O_RDWR') }] },
    });
  });

  it('mmap with NULL, hex and a flag union', () => {
    const s = step('base = mmap(NULL, 0x8000, PROT_READ|PROT_EXEC, MAP_SHARED, fd, 0)');
    expect(s.kind === 'action' && s.call.args.map((a) => a.value)).toEqual([
      id('NULL'),
      int(0x8000n, 16),
      { kind: 'binary', op: '|', left: id('PROT_READ'), right: id('PROT_EXEC') },
      id('MAP_SHARED'),
      id('fd'),
      int(0n),
    ]);
  });

  it('ioctl with nested struct literals', () => {
    const s = step('ioctl(fd, SGX_IOC_ENCLAVE_ADD_PAGES, {src: text, offset: 0x1000, length: 0x2000, secinfo: {flags: REG|R|X}, flags: SGX_PAGE_MEASURE})');
    if (s.kind !== 'action') throw new Error();
    const arg = s.call.args[2].value;
    expect(arg.kind).toBe('struct');
    if (arg.kind !== 'struct') return;
    expect(arg.fields.map((f) => f.key)).toEqual(['src', 'offset', 'length', 'secinfo', 'flags']);
    expect(arg.fields[3].value).toEqual({
      kind: 'struct',
      fields: [{ key: 'flags', value: { kind: 'binary', op: '|', left: { kind: 'binary', op: '|', left: id('REG'), right: id('R') }, right: id('X') } }],
    });
  });

  it('outcomes', () => {
    expect(step('close(fd) = 0')).toMatchObject({ outcome: { kind: 'value', value: int(0n) } });
    expect(step('open("/x", O_RDONLY) = -1 EACCES')).toMatchObject({ outcome: { kind: 'errno', name: 'EACCES' } });
    expect(step('open("/x", O_RDONLY) = -1 EACCES (Permission denied)')).toMatchObject({ outcome: { kind: 'errno', name: 'EACCES' } });
    expect(step('mprotect(a, 4K, PROT_EXEC) = -1 EPERM')).toMatchObject({ outcome: { kind: 'errno', name: 'EPERM' } });
    expect(step('x = read(a, 8) = ?')).toMatchObject({ bind: 'x', outcome: { kind: 'any' } });
    expect(step('read(a, 8) SIGBUS')).toMatchObject({ outcome: { kind: 'fault', fault: 'SIGBUS' } });
    expect(step('exec(a) SIGSEGV {code: SEGV_ACCERR}')).toMatchObject({
      outcome: { kind: 'fault', fault: 'SIGSEGV', details: { kind: 'struct', fields: [{ key: 'code', value: id('SEGV_ACCERR') }] } },
    });
    expect(step('eenter(tcs, [exec(text)]) AEX {vector: 14, error_code: 0x8007}')).toMatchObject({ outcome: { kind: 'fault', fault: 'AEX' } });
    // An arithmetic result that happens to start with -1 is still a value.
    expect(step('f(x) = -1 + y')).toMatchObject({ outcome: { kind: 'value', value: { kind: 'binary', op: '+' } } });
  });

  it('memory, enclave and load steps', () => {
    expect(step('write(addr, hex"90 90 c3")')).toMatchObject({ call: { callee: 'write', args: [{}, { value: { kind: 'hex', bytes: Uint8Array.from([0x90, 0x90, 0xc3]) } }] } });
    const e = step('eenter(tcs, [store(data2, 0x1122334455667788), eaccept(page, REG|R|W|PENDING), load(x), exec(y), eexit()])');
    if (e.kind !== 'action') throw new Error();
    const ops = e.call.args[1].value;
    expect(ops.kind === 'array' && ops.items.map((i) => i.kind === 'call' && i.callee)).toEqual(['store', 'eaccept', 'load', 'exec', 'eexit']);
    expect(step('load("m.yaml", loader: gramine)')).toEqual({
      kind: 'action',
      call: { kind: 'call', callee: 'load', args: [{ value: { kind: 'str', bytes: enc('m.yaml') } }, { name: 'loader', value: id('gramine') }] },
    });
  });

  it('computed bindings (let steps)', () => {
    expect(step('base = area + 32K - 1 & ~(32K - 1)')).toMatchObject({ kind: 'let', name: 'base', value: { kind: 'binary', op: '&' } });
    expect(step('s = vma(base).start')).toMatchObject({ kind: 'let', name: 's', value: { kind: 'member', field: 'start' } });
    expect(step('n = f(a) + 1')).toMatchObject({ kind: 'let', value: { kind: 'binary', op: '+', left: { kind: 'call', callee: 'f' } } });
    expect(step('m = (maps(base))')).toMatchObject({ kind: 'let', value: { kind: 'call', callee: 'maps' } });
    expect(step('x = 3')).toEqual({ kind: 'let', name: 'x', value: int(3n) });
    // a bare call is an action, also with an outcome
    expect(step('x = f(a) = -1 EFAULT')).toMatchObject({ kind: 'action', bind: 'x', outcome: { kind: 'errno', name: 'EFAULT' } });
    expect(err('x = 3 = 4').message).toMatch(/a computed binding has no expected result/);
  });

  it('strace spelling of struct fields and named arguments', () => {
    expect(step('ioctl(fd, X, {src=a, offset=0x1000})')).toEqual(step('ioctl(fd, X, {src: a, offset: 0x1000})'));
    expect(step('load("m.yaml", loader=gramine)')).toEqual(step('load("m.yaml", loader: gramine)'));
  });

  it('task prefix', () => {
    expect(step('@builder fd = open("/dev/sgx_enclave", O_RDWR)')).toMatchObject({ task: 'builder', bind: 'fd' });
    expect(step('@builder expect maps(base) == "r--s"')).toMatchObject({ kind: 'expect', task: 'builder' });
  });

  it('assertions', () => {
    expect(step('expect maps(base) == "r--s"')).toEqual({
      kind: 'expect',
      assertion: { kind: 'compare', left: { kind: 'call', callee: 'maps', args: [{ value: id('base') }] }, op: '==', right: { kind: 'str', bytes: enc('r--s') } },
    });
    expect(step('expect vma(base).prot == PROT_READ|PROT_EXEC')).toMatchObject({
      assertion: { kind: 'compare', left: { kind: 'member', field: 'prot' }, op: '==', right: { kind: 'binary', op: '|' } },
    });
    expect(step('expect epcm(base + 0x1000).perms == R|X')).toMatchObject({
      assertion: { left: { kind: 'member', object: { kind: 'call', args: [{ value: { kind: 'binary', op: '+' } }] } } },
    });
    // `&` binds tighter than the comparison (unlike C).
    expect(step('expect vma(b).flags & VM_MAYEXEC != 0')).toMatchObject({ assertion: { left: { kind: 'binary', op: '&' }, op: '!=' } });
    expect(step('expect avc denied { execmem }')).toEqual({ kind: 'expect', assertion: { kind: 'avc', negated: false, decision: 'denied', perms: ['execmem'], filters: [] } });
    expect(step('expect no avc')).toEqual({ kind: 'expect', assertion: { kind: 'avc', negated: true, perms: [], filters: [] } });
    expect(step('expect avc denied { read write } for pid=1234 comm="loader" scontext=u:r:loader_t:s0 tclass=chr_file')).toEqual({
      kind: 'expect',
      assertion: {
        kind: 'avc',
        negated: false,
        decision: 'denied',
        perms: ['read', 'write'],
        filters: [
          { key: 'pid', value: '1234' },
          { key: 'comm', value: 'loader' },
          { key: 'scontext', value: 'u:r:loader_t:s0' },
          { key: 'tclass', value: 'chr_file' },
        ],
      },
    });
  });
});

describe('expressions', () => {
  it('C precedence', () => {
    expect(expr('a | b & c')).toEqual({ kind: 'binary', op: '|', left: id('a'), right: { kind: 'binary', op: '&', left: id('b'), right: id('c') } });
    expect(expr('a + b * c')).toEqual({ kind: 'binary', op: '+', left: id('a'), right: { kind: 'binary', op: '*', left: id('b'), right: id('c') } });
    expect(expr('1 << 2 + 3')).toEqual({ kind: 'binary', op: '<<', left: int(1n), right: { kind: 'binary', op: '+', left: int(2n), right: int(3n) } });
    expect(expr('a - b - c')).toEqual({ kind: 'binary', op: '-', left: { kind: 'binary', op: '-', left: id('a'), right: id('b') }, right: id('c') });
    expect(expr('(a | b) & c')).toMatchObject({ op: '&', left: { op: '|' } });
    expect(expr('~0x7 & -x')).toEqual({ kind: 'binary', op: '&', left: { kind: 'unary', op: '~', operand: int(7n, 16) }, right: { kind: 'unary', op: '-', operand: id('x') } });
  });
  it('numbers', () => {
    expect(expr('4096')).toEqual(int(4096n));
    expect(expr('0x7fff_f000')).toEqual(int(0x7ffff000n, 16));
    expect(expr('0755')).toEqual(int(0o755n, 8));
    expect(expr('0o755')).toEqual(int(0o755n, 8));
    expect(expr('0b101')).toEqual(int(5n, 2));
    expect(expr('4K')).toEqual({ kind: 'int', value: 4096n, radix: 10, suffix: 'K' });
    expect(expr('2m')).toEqual({ kind: 'int', value: 2n << 20n, radix: 10, suffix: 'M' });
    expect(expr('0xffffffffffffffff')).toEqual(int((1n << 64n) - 1n, 16));
  });
  it('strings and escapes', () => {
    expect(expr('"a\\n\\x7f\\177\\"\\\\"')).toEqual({ kind: 'str', bytes: Uint8Array.from([0x61, 10, 0x7f, 0x7f, 0x22, 0x5c]) });
    expect(expr('"é"')).toEqual({ kind: 'str', bytes: Uint8Array.from([0xc3, 0xa9]) });
    expect(expr('hex""')).toEqual({ kind: 'hex', bytes: new Uint8Array(0) });
  });
  it('postfix', () => {
    expect(expr('r[1].count')).toEqual({ kind: 'member', object: { kind: 'index', object: id('r'), index: int(1n) }, field: 'count' });
  });
});

describe('errors point at the offending column', () => {
  const cases: [string, number, RegExp][] = [
    ['open("/x", O_RDWR', 18, /unclosed '\(' of open/],
    ['open("/x, O_RDWR)', 6, /unterminated string/],
    ['mmap(NULL, 0x10g, 0)', 12, /bad number '0x10g': 'g' is not a hex digit/],
    ['mmap(NULL, 99999999999999999999999, 0)', 12, /larger than 64 bits/],
    ['mmap(NULL, 1.5, 0)', 12, /only integers/],
    ['open("/x", O_RDWR) = -1', 24, /errno name/],
    ['open("/x", O_RDWR) = -1 13', 25, /expected an errno name such as EACCES after '-1', found the number 13/],
    ['fd = ', 5, /expected a call/],
    ['fd == 3', 4, /must start with 'expect'/],
    ['expect x = 3', 10, /use '=='/],
    ['expect avc denied execmem', 19, /braces/],
    ['expect avc denied { }', 19, /empty permission set/],
    ['expect avc denied { execmem } tcalss=process', 31, /unknown AVC field 'tcalss' \(did you mean tclass\?\)/],
    ['exec(a) SIGSEGV {cod: 1}', 18, /SIGSEGV has no detail 'cod' \(did you mean code\?\)/],
    ['exec(a) SIGILL', 9, /unsupported signal SIGILL/],
    ['open("/x") junk', 12, /unexpected 'junk' after the step/],
    ["open('/x')", 6, /double quotes/],
    ['f(a: 1, 2)', 9, /positional argument cannot follow a named one/],
    ['f({a: 1, a: 2})', 10, /field 'a' given twice/],
    ['write(a, hex"9 0 c")', 10, /odd number of digits/],
    ['write(a, hex"zz")', 14, /not a hex digit/],
    ['write(a, "\\q")', 11, /unknown escape/],
    ['f($)', 3, /unexpected character '\$'/],
    ['@ f()', 2, /task name right after '@'/],
    ['', 1, /empty step/],
    ['expect', 7, /expected an assertion/],
    ['NULL = f()', 1, /reserved/],
  ];
  for (const [text, col, re] of cases) {
    it(text || '(empty)', () => {
      const e = err(text);
      expect(e.message).toMatch(re);
      expect(e.col).toBe(col);
    });
  }

  it('bounded nesting', () => {
    const deep = 'f(' + '('.repeat(5000) + '1' + ')'.repeat(5000) + ')';
    expect(err(deep).message).toMatch(/nested too deeply/);
    const long = 'f(' + Array.from({ length: 3000 }, () => 'a').join('|') + ')';
    expect(err(long).message).toMatch(/too long/);
    const unary = 'f(' + '-'.repeat(5000) + '1)';
    expect(err(unary).message).toMatch(/nested too deeply/);
  });
});
