// Canonical text of steps and expressions. parseStep(printStep(s)) equals s up to positions
// (test/scenario/print.test.ts checks it on random ASTs). Canonical spacing: `a|b` for flag
// unions (strace's style), `a + b` for every other binary operator, `f(a, b)`, `{k: v}`, `[a, b]`.
import type { Assertion, BinaryOp, Expr, Outcome, Step, StructExpr } from './ast.js';
import { formatIntLiteral } from './numbers.js';

const PREC: Record<BinaryOp, number> = { '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6 };
const UNARY_PREC = 7;
const POSTFIX_PREC = 8;

function precOf(e: Expr): number {
  if (e.kind === 'binary') return PREC[e.op];
  if (e.kind === 'unary') return UNARY_PREC;
  return 9;
}

const NAMED_ESCAPES: Record<number, string> = { 9: '\\t', 10: '\\n', 13: '\\r', 34: '\\"', 92: '\\\\' };

/** A byte string as a double-quoted literal: printable ASCII as is, other bytes as \xNN. */
export function printString(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    const named = NAMED_ESCAPES[b];
    if (named !== undefined) out += named;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** hex"90 90 c3" */
export function printHex(bytes: Uint8Array): string {
  return 'hex"' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ') + '"';
}

function isIdent(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

function checkIdent(s: string, what: string): string {
  if (!isIdent(s)) throw new Error(`printStep: ${what} '${s}' is not an identifier`);
  return s;
}

/** Canonical text of an expression. */
export function printExpr(e: Expr, minPrec = 0): string {
  const text = printBare(e);
  return precOf(e) < minPrec ? `(${text})` : text;
}

function printBare(e: Expr): string {
  switch (e.kind) {
    case 'int':
      if (e.value < 0n || e.value >= 1n << 64n) throw new Error(`printExpr: integer literal ${e.value} outside 0..2^64-1`);
      return formatIntLiteral(e);
    case 'str':
      return printString(e.bytes);
    case 'hex':
      return printHex(e.bytes);
    case 'ident':
      return checkIdent(e.name, 'name');
    case 'unary': {
      // `- -1`, not `--1` (which reads like C's decrement); no parentheses, which would nest deeper.
      const inner = printExpr(e.operand, UNARY_PREC);
      return e.op === '-' && inner.startsWith('-') ? `- ${inner}` : e.op + inner;
    }
    case 'binary': {
      const p = PREC[e.op];
      const l = printExpr(e.left, p);
      const r = printExpr(e.right, p + 1);
      return e.op === '|' ? `${l}|${r}` : `${l} ${e.op} ${r}`;
    }
    case 'call':
      return `${checkIdent(e.callee, 'function')}(${e.args.map((a) => (a.name === undefined ? printExpr(a.value) : `${checkIdent(a.name, 'argument')}: ${printExpr(a.value)}`)).join(', ')})`;
    case 'struct':
      return printStruct(e);
    case 'array':
      return `[${e.items.map((i) => printExpr(i)).join(', ')}]`;
    case 'member':
      return `${printExpr(e.object, POSTFIX_PREC)}.${checkIdent(e.field, 'field')}`;
    case 'index':
      return `${printExpr(e.object, POSTFIX_PREC)}[${printExpr(e.index)}]`;
  }
}

function printStruct(s: StructExpr): string {
  return `{${s.fields.map((f) => `${checkIdent(f.key, 'field')}: ${printExpr(f.value)}`).join(', ')}}`;
}

function printOutcome(o: Outcome): string {
  switch (o.kind) {
    case 'any':
      return ' = ?';
    case 'errno':
      return ` = -1 ${checkIdent(o.name, 'errno')}`;
    case 'value': {
      // `= -1` alone would read as the start of `= -1 ERRNO`.
      const v = o.value;
      const minusOne = v.kind === 'unary' && v.op === '-' && v.operand.kind === 'int' && v.operand.value === 1n && v.operand.radix === 10 && v.operand.suffix === undefined;
      return ` = ${minusOne ? `(${printExpr(v)})` : printExpr(v)}`;
    }
    case 'fault':
      return ` ${o.fault}${o.details ? ' ' + printStruct(o.details) : ''}`;
  }
}

/** An AVC filter value: bare when it has no space or quote, else a quoted string. */
function printFilterValue(v: string): string {
  if (/^[^\s"]+$/.test(v)) return v;
  return printString(new TextEncoder().encode(v));
}

function printAssertion(a: Assertion): string {
  if (a.kind === 'compare') {
    // `expect avc ...` / `expect no avc ...` are AVC assertions: keep such a left side apart.
    const left = printExpr(a.left);
    return `expect ${/^(avc|no)\b/.test(left) ? `(${left})` : left} ${a.op} ${printExpr(a.right)}`;
  }
  let s = 'expect ' + (a.negated ? 'no ' : '') + 'avc';
  if (a.decision) s += ' ' + a.decision;
  if (a.perms.length) s += ` { ${a.perms.map((p) => checkIdent(p, 'permission')).join(' ')} }`;
  for (const f of a.filters) s += ` ${f.key}=${printFilterValue(f.value)}`;
  return s;
}

/** Canonical text of a step. */
export function printStep(s: Step): string {
  const prefix = s.task !== undefined ? `@${checkIdent(s.task, 'task')} ` : '';
  if (s.kind === 'expect') return prefix + printAssertion(s.assertion);
  if (s.kind === 'let') {
    // A bare call would read as an action step: parenthesise it.
    const v = printExpr(s.value);
    return `${prefix}${checkIdent(s.name, 'name')} = ${s.value.kind === 'call' ? `(${v})` : v}`;
  }
  const bind = s.bind !== undefined ? `${checkIdent(s.bind, 'name')} = ` : '';
  return prefix + bind + printExpr(s.call) + (s.outcome ? printOutcome(s.outcome) : '');
}
