// Tokenizer and recursive-descent parser of step strings (docs/scenario-format.md "Steps" and
// "Expression grammar"). Input is the text of one YAML scalar; output is a Step with positions,
// or one error with its offset in that text. Never throws on user input: every path that can
// fail returns a positioned error (nesting is bounded so hostile input cannot exhaust the stack).
import {
  AVC_FILTER_KEYS,
  FAULT_FIELDS,
  FAULT_KINDS,
  RESERVED_WORDS,
  type Arg,
  type Assertion,
  type AvcFilter,
  type AvcFilterKey,
  type BinaryOp,
  type CallExpr,
  type CompareOp,
  type Expr,
  type FaultKind,
  type Field,
  type Outcome,
  type Step,
  type StructExpr,
} from './ast.js';
import { didYouMean, type Pos } from './errors.js';
import { parseIntLiteral } from './numbers.js';

export interface ParseOptions {
  /** Map an offset in the step text to a file position (default: line 1, col offset+1). */
  readonly locate?: (offset: number) => Pos;
}

export interface SyntaxError {
  /** Offset in the parsed text. */
  readonly offset: number;
  readonly pos: Pos;
  readonly message: string;
}

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SyntaxError };

/** Deepest expression nesting accepted (parentheses, calls, structs, arrays, unary chains). */
export const MAX_NESTING = 200;
/** Most binary operators accepted in one step. */
export const MAX_OPERATORS = 2000;

type Tok =
  | { t: 'ident'; v: string; start: number; end: number }
  | { t: 'int'; value: bigint; radix: 2 | 8 | 10 | 16; suffix?: 'K' | 'M' | 'G' | 'T'; text: string; start: number; end: number }
  | { t: 'str'; bytes: Uint8Array; start: number; end: number }
  | { t: 'hex'; bytes: Uint8Array; start: number; end: number }
  | { t: 'punct'; v: string; start: number; end: number }
  | { t: 'eof'; start: number; end: number };

class Fail {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

const PUNCT2 = ['<<', '>>', '==', '!=', '<=', '>='];
const PUNCT1 = '(){}[],:=@?.|&^+-*/%~<>';
const COMPARE_OPS: readonly CompareOp[] = ['==', '!=', '<', '<=', '>', '>='];

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isIdentChar = (c: string): boolean => /[A-Za-z0-9_]/.test(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** UTF-8 bytes of one code point, appended to out. */
function pushUtf8(out: number[], cp: number): void {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, e: 27, '\\': 92, '"': 34, "'": 39, '?': 63 };

class Parser {
  private i = 0;
  private peeked: Tok | undefined;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly locate: (offset: number) => Pos,
  ) {}

  // ------------------------------------------------------------ scanner

  private skipSpace(): void {
    while (this.i < this.src.length && isSpace(this.src[this.i])) this.i++;
  }

  private peek(): Tok {
    if (this.peeked === undefined) this.peeked = this.scan();
    return this.peeked;
  }

  private next(): Tok {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  /** Rewind to a token boundary (used for the one backtrack in `= -1 ERRNO`). */
  private rewind(offset: number): void {
    this.i = offset;
    this.peeked = undefined;
  }

  private scan(): Tok {
    const before = this.i;
    this.skipSpace();
    const s = this.src;
    const start = this.i;
    // The end is reported right after the last token, not after trailing white space.
    if (start >= s.length) return { t: 'eof', start: before, end: before };
    const c = s[start];
    if (/[0-9]/.test(c)) {
      let j = start;
      while (j < s.length && (isIdentChar(s[j]) || (s[j] === '.' && j + 1 < s.length && /[0-9]/.test(s[j + 1])))) j++;
      const text = s.slice(start, j);
      if (text.includes('.')) throw new Fail(start, `bad number '${text}': only integers are supported`);
      const r = parseIntLiteral(text);
      if (!r.ok) throw new Fail(start, r.message);
      this.i = j;
      return { t: 'int', value: r.lit.value, radix: r.lit.radix, suffix: r.lit.suffix, text, start, end: j };
    }
    if (isIdentStart(c)) {
      let j = start;
      while (j < s.length && isIdentChar(s[j])) j++;
      const v = s.slice(start, j);
      if (v === 'hex' && s[j] === '"') {
        const bytes = this.scanHex(j);
        return { t: 'hex', bytes, start, end: this.i };
      }
      this.i = j;
      return { t: 'ident', v, start, end: j };
    }
    if (c === '"') {
      const bytes = this.scanString(start);
      return { t: 'str', bytes, start, end: this.i };
    }
    const two = s.slice(start, start + 2);
    if (PUNCT2.includes(two)) {
      this.i = start + 2;
      return { t: 'punct', v: two, start, end: this.i };
    }
    if (PUNCT1.includes(c)) {
      this.i = start + 1;
      return { t: 'punct', v: c, start, end: this.i };
    }
    if (c === "'") throw new Fail(start, "strings use double quotes: \"...\"");
    throw new Fail(start, `unexpected character '${shownChar(String.fromCodePoint(s.codePointAt(start) ?? 0))}'`);
  }

  /** "..." starting at `start` (the quote); leaves this.i after the closing quote. */
  private scanString(start: number): Uint8Array {
    const s = this.src;
    const out: number[] = [];
    let j = start + 1;
    for (;;) {
      if (j >= s.length || s[j] === '\n' || s[j] === '\r') throw new Fail(start, 'unterminated string (a string must end with " on the same line)');
      const ch = s[j];
      if (ch === '"') {
        this.i = j + 1;
        return Uint8Array.from(out);
      }
      if (ch !== '\\') {
        const cp = s.codePointAt(j) ?? 0;
        pushUtf8(out, cp);
        j += cp > 0xffff ? 2 : 1;
        continue;
      }
      const e = s[j + 1];
      if (e === undefined) throw new Fail(j, 'unterminated string (a string must end with " on the same line)');
      if (e in SIMPLE_ESCAPES) {
        out.push(SIMPLE_ESCAPES[e]);
        j += 2;
      } else if (e === 'x') {
        let k = j + 2;
        while (k < j + 4 && k < s.length && /[0-9a-fA-F]/.test(s[k])) k++;
        if (k === j + 2) throw new Fail(j, "bad escape '\\x': give one or two hex digits, as in \\x7f");
        out.push(parseInt(s.slice(j + 2, k), 16));
        j = k;
      } else if (/[0-7]/.test(e)) {
        let k = j + 1;
        while (k < j + 4 && k < s.length && /[0-7]/.test(s[k])) k++;
        const v = parseInt(s.slice(j + 1, k), 8);
        if (v > 0xff) throw new Fail(j, `bad escape '\\${s.slice(j + 1, k)}': an octal escape is at most \\377`);
        out.push(v);
        j = k;
      } else {
        throw new Fail(j, `unknown escape '\\${shownChar(e)}' (use \\n \\t \\r \\\\ \\" \\xNN or \\NNN)`);
      }
    }
  }

  /** hex"..." with the quote at `q`. */
  private scanHex(q: number): Uint8Array {
    const s = this.src;
    const digits: string[] = [];
    let j = q + 1;
    for (;;) {
      if (j >= s.length || s[j] === '\n' || s[j] === '\r') throw new Fail(q - 3, 'unterminated hex string (it must end with " on the same line)');
      const ch = s[j];
      if (ch === '"') break;
      if (/[0-9a-fA-F]/.test(ch)) digits.push(ch);
      else if (ch !== ' ' && ch !== '\t' && ch !== ':' && ch !== '_') throw new Fail(j, `'${shownChar(ch)}' is not a hex digit (hex"..." holds pairs of hex digits, optionally separated by spaces)`);
      j++;
    }
    if (digits.length % 2 !== 0) throw new Fail(q - 3, `hex string has an odd number of digits (${digits.length}); every byte needs two`);
    this.i = j + 1;
    const out = new Uint8Array(digits.length / 2);
    for (let k = 0; k < out.length; k++) out[k] = parseInt(digits[2 * k] + digits[2 * k + 1], 16);
    return out;
  }

  /** A raw word for `key=value` AVC filters: up to the next space. */
  private scanWord(): { v: string; start: number } {
    this.peeked = undefined;
    const s = this.src;
    const start = this.i;
    if (s[start] === '"') {
      const bytes = this.scanString(start);
      return { v: new TextDecoder().decode(bytes), start };
    }
    let j = start;
    while (j < s.length && !isSpace(s[j])) j++;
    if (j === start) throw new Fail(start, 'expected a value after =');
    this.i = j;
    return { v: s.slice(start, j), start };
  }

  // ------------------------------------------------------------ helpers

  private pos(offset: number): Pos {
    return this.locate(offset);
  }

  private describe(t: Tok): string {
    switch (t.t) {
      case 'eof':
        return 'the end of the step';
      case 'ident':
        return `'${t.v}'`;
      case 'int':
        return `the number ${t.text}`;
      case 'str':
        return 'a string';
      case 'hex':
        return 'a hex string';
      case 'punct':
        return `'${t.v}'`;
    }
  }

  private isP(t: Tok, v: string): boolean {
    return t.t === 'punct' && t.v === v;
  }

  private expectP(v: string, context: string): Tok {
    const t = this.next();
    if (!this.isP(t, v)) throw new Fail(t.start, `expected '${v}' ${context}, found ${this.describe(t)}`);
    return t;
  }

  private ident(what: string): { v: string; start: number } {
    const t = this.next();
    if (t.t !== 'ident') throw new Fail(t.start, `expected ${what}, found ${this.describe(t)}`);
    return { v: t.v, start: t.start };
  }

  private enter(offset: number): void {
    if (++this.depth > MAX_NESTING) throw new Fail(offset, `expression nested too deeply (more than ${MAX_NESTING} levels)`);
  }

  private leave(): void {
    this.depth--;
  }

  private atEnd(context: string): void {
    const t = this.peek();
    if (t.t === 'eof') return;
    const shown = t.t === 'ident' || t.t === 'punct' ? `'${t.v}'` : t.t === 'int' ? `'${t.text}'` : this.describe(t);
    throw new Fail(t.start, `unexpected ${shown} ${context}`);
  }

  // ------------------------------------------------------------ steps

  parseStep(): Step {
    const first = this.peek();
    if (first.t === 'eof') throw new Fail(first.start, 'empty step');
    const stepPos = this.pos(first.start);
    let task: string | undefined;
    if (this.isP(first, '@')) {
      this.next();
      const at = this.i;
      if (this.src[at] === undefined || !isIdentStart(this.src[at])) throw new Fail(at, "expected a task name right after '@' (as in @builder open(...))");
      const name = this.ident('a task name');
      if (RESERVED_WORDS.has(name.v)) throw new Fail(name.start, `'${name.v}' is reserved and cannot name a task`);
      task = name.v;
    }
    const head = this.peek();
    if (head.t === 'ident' && head.v === 'expect') {
      this.next();
      const assertion = this.parseAssertion(head.start);
      return task === undefined ? { kind: 'expect', assertion, pos: stepPos } : { kind: 'expect', task, assertion, pos: stepPos };
    }
    let bind: string | undefined;
    if (head.t === 'ident') {
      this.next();
      if (this.isP(this.peek(), '=')) {
        this.next();
        if (RESERVED_WORDS.has(head.v)) throw new Fail(head.start, `'${head.v}' is reserved and cannot be bound`);
        bind = head.v;
      } else {
        this.rewind(head.start);
      }
    }
    const callTok = this.peek();
    if (bind !== undefined && !(callTok.t === 'ident' && this.isCallAhead(callTok))) {
      // name = expression (not a bare call): a computed binding
      if (callTok.t === 'eof') throw new Fail(callTok.start, `expected a call or an expression after '${bind} ='`);
      const value = this.parseExpr();
      this.atEnd('after the expression (a computed binding has no expected result)');
      return { kind: 'let', ...(task !== undefined ? { task } : {}), name: bind, value, pos: stepPos };
    }
    if (callTok.t !== 'ident') throw new Fail(callTok.start, `expected a call such as open(...) or 'expect', found ${this.describe(callTok)}`);
    this.next();
    const open = this.peek();
    if (!this.isP(open, '(')) {
      if (bind === undefined && this.isP(open, '==')) throw new Fail(open.start, `a comparison must start with 'expect' (expect ${callTok.v} == ...)`);
      throw new Fail(open.start, `expected '(' after '${callTok.v}' (a step is a call such as ${callTok.v}(...)), found ${this.describe(open)}`);
    }
    const call = this.finishCall(callTok.v, callTok.start);
    if (bind !== undefined && this.continuesExpression()) {
      // `x = f(a) + 1` or `x = vma(a).start`: the call is part of a computed binding
      this.rewind(callTok.start);
      const value = this.parseExpr();
      this.atEnd('after the expression (a computed binding has no expected result)');
      return { kind: 'let', ...(task !== undefined ? { task } : {}), name: bind, value, pos: stepPos };
    }
    const outcome = this.parseOutcome();
    this.atEnd('after the step (one step per string)');
    return {
      kind: 'action',
      ...(task !== undefined ? { task } : {}),
      ...(bind !== undefined ? { bind } : {}),
      call,
      ...(outcome !== undefined ? { outcome } : {}),
      pos: stepPos,
    };
  }

  private parseOutcome(): Outcome | undefined {
    const t = this.peek();
    if (t.t === 'ident' && (FAULT_KINDS as readonly string[]).includes(t.v)) {
      this.next();
      const fault = t.v as FaultKind;
      const p = this.peek();
      if (this.isP(p, '{')) {
        this.next();
        const allowed = FAULT_FIELDS[fault];
        const details = this.finishStruct(p.start, (key, offset) => {
          if (!allowed.includes(key)) throw new Fail(offset, `${fault} has no detail '${key}'${didYouMean(key, allowed)}; it takes ${allowed.join(', ')}`);
        });
        return { kind: 'fault', fault, details, pos: this.pos(t.start) };
      }
      return { kind: 'fault', fault, pos: this.pos(t.start) };
    }
    if (t.t === 'ident' && /^SIG[A-Z]+$/.test(t.v)) throw new Fail(t.start, `unsupported signal ${t.v}: the model delivers SIGSEGV and SIGBUS (and AEX for enclave exits)`);
    if (!this.isP(t, '=')) return undefined;
    this.next();
    const r = this.peek();
    if (this.isP(r, '?')) {
      this.next();
      return { kind: 'any', pos: this.pos(r.start) };
    }
    if (this.isP(r, '-')) {
      const save = r.start;
      this.next();
      const one = this.peek();
      if (one.t === 'int' && one.value === 1n && one.radix === 10 && one.suffix === undefined) {
        this.next();
        const e = this.peek();
        if (e.t === 'ident') {
          this.next();
          if (!/^E[A-Z0-9_]+$/.test(e.v)) throw new Fail(e.start, `expected an errno name such as EACCES after '-1', found '${e.v}'`);
          this.skipStraceDescription();
          return { kind: 'errno', name: e.v, pos: this.pos(e.start) };
        }
        if (e.t === 'eof') throw new Fail(one.end, "expected an errno name after '= -1' (as in = -1 EACCES), or '= ?' for any result");
        if (e.t === 'int' || e.t === 'str' || e.t === 'hex') throw new Fail(e.start, `expected an errno name such as EACCES after '-1', found ${this.describe(e)}`);
      }
      this.rewind(save);
    }
    const value = this.parseExpr();
    return { kind: 'value', value, pos: this.pos(r.start) };
  }

  /** strace appends "(Permission denied)" after the errno name: accept and drop it. */
  private skipStraceDescription(): void {
    const t = this.peek();
    if (!this.isP(t, '(')) return;
    const close = this.src.indexOf(')', t.end);
    if (close < 0) throw new Fail(t.start, "unterminated '(' after the errno name");
    this.rewind(close + 1);
  }

  private parseAssertion(expectStart: number): Assertion {
    const t = this.peek();
    if (t.t === 'eof') throw new Fail(t.start, "expected an assertion after 'expect' (as in expect maps(base) == \"r--s\", or expect avc denied { execmem })");
    if (t.t === 'ident' && (t.v === 'avc' || t.v === 'no')) {
      const save = t.start;
      this.next();
      if (t.v === 'avc') return this.finishAvc(false, expectStart);
      const u = this.peek();
      if (u.t === 'ident' && u.v === 'avc') {
        this.next();
        return this.finishAvc(true, expectStart);
      }
      this.rewind(save);
    }
    const left = this.parseExpr();
    const opTok = this.next();
    if (opTok.t !== 'punct' || !(COMPARE_OPS as readonly string[]).includes(opTok.v)) {
      if (this.isP(opTok, '=')) throw new Fail(opTok.start, "use '==' to compare in an expect step");
      throw new Fail(opTok.start, `expected a comparison (== != < <= > >=), found ${this.describe(opTok)}`);
    }
    const right = this.parseExpr();
    this.atEnd('after the assertion');
    return { kind: 'compare', left, op: opTok.v as CompareOp, right, pos: this.pos(expectStart) };
  }

  private finishAvc(negated: boolean, expectStart: number): Assertion {
    let decision: 'denied' | 'granted' | undefined;
    let t = this.peek();
    if (t.t === 'ident' && (t.v === 'denied' || t.v === 'granted')) {
      decision = t.v;
      this.next();
      t = this.peek();
    }
    const perms: string[] = [];
    if (this.isP(t, '{')) {
      this.next();
      for (;;) {
        const p = this.next();
        if (this.isP(p, '}')) break;
        if (p.t !== 'ident') throw new Fail(p.start, `expected a permission name or '}', found ${this.describe(p)}`);
        if (perms.includes(p.v)) throw new Fail(p.start, `permission '${p.v}' listed twice`);
        perms.push(p.v);
      }
      if (perms.length === 0) throw new Fail(t.start, 'empty permission set: list at least one permission, as in { execmem }');
    } else if (t.t === 'ident' && !this.isFilterStart()) {
      throw new Fail(t.start, `permissions go in braces, as in { ${t.v} }`);
    }
    const filters: AvcFilter[] = [];
    for (;;) {
      const k = this.peek();
      if (k.t === 'eof') break;
      if (k.t === 'ident' && k.v === 'for' && filters.length === 0) {
        // tolerated for copy-paste from audit lines: `{ execmem } for scontext=...`
        this.next();
        continue;
      }
      if (k.t !== 'ident') throw new Fail(k.start, `expected key=value (such as tclass=process) or the end of the step, found ${this.describe(k)}`);
      this.next();
      if (!(AVC_FILTER_KEYS as readonly string[]).includes(k.v)) {
        throw new Fail(k.start, `unknown AVC field '${k.v}'${didYouMean(k.v, AVC_FILTER_KEYS)}; the fields are ${AVC_FILTER_KEYS.join(' ')}`);
      }
      if (filters.some((f) => f.key === k.v)) throw new Fail(k.start, `AVC field '${k.v}' given twice`);
      if (this.src[this.i] !== '=') throw new Fail(this.i, `expected '=' right after '${k.v}' (as in ${k.v}=value)`);
      this.i++;
      const w = this.scanWord();
      filters.push({ key: k.v as AvcFilterKey, value: w.v, pos: this.pos(k.start) });
    }
    return { kind: 'avc', negated, ...(decision !== undefined ? { decision } : {}), perms, filters, pos: this.pos(expectStart) };
  }

  private isFilterStart(): boolean {
    const t = this.peek();
    return t.t === 'ident' && (t.v === 'for' || this.src[t.end] === '=');
  }

  // ------------------------------------------------------------ expressions

  parseExpr(): Expr {
    return this.binary(0);
  }

  private static readonly LEVELS: readonly (readonly BinaryOp[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

  private binary(level: number): Expr {
    if (level >= Parser.LEVELS.length) return this.unary();
    const ops = Parser.LEVELS[level];
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.t !== 'punct' || !(ops as readonly string[]).includes(t.v)) return left;
      this.next();
      this.enter(t.start);
      const right = this.binary(level + 1);
      this.leave();
      left = { kind: 'binary', op: t.v as BinaryOp, left, right, pos: this.pos(t.start) };
      // A left-associative chain is a flat loop here but nests one AST level per operator;
      // bound the total so that printing and evaluation recursion stay shallow.
      if (++this.operators > MAX_OPERATORS) throw new Fail(t.start, `expression too long (more than ${MAX_OPERATORS} operators)`);
    }
  }

  private operators = 0;

  private unary(): Expr {
    const t = this.peek();
    if (t.t === 'punct' && (t.v === '-' || t.v === '~')) {
      this.next();
      this.enter(t.start);
      const operand = this.unary();
      this.leave();
      return { kind: 'unary', op: t.v, operand, pos: this.pos(t.start) };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    let n = 0;
    for (;;) {
      const t = this.peek();
      if (this.isP(t, '.')) {
        this.next();
        const f = this.ident("a field name after '.'");
        e = { kind: 'member', object: e, field: f.v, pos: this.pos(t.start) };
      } else if (this.isP(t, '[')) {
        this.next();
        this.enter(t.start);
        const index = this.parseExpr();
        this.leave();
        this.expectP(']', 'after the index');
        e = { kind: 'index', object: e, index, pos: this.pos(t.start) };
      } else {
        return e;
      }
      if (++n > MAX_NESTING) throw new Fail(t.start, `too many '.field'/'[index]' in a row (more than ${MAX_NESTING})`);
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'int':
        return t.suffix === undefined
          ? { kind: 'int', value: t.value, radix: t.radix, pos: this.pos(t.start) }
          : { kind: 'int', value: t.value, radix: t.radix, suffix: t.suffix, pos: this.pos(t.start) };
      case 'str':
        return { kind: 'str', bytes: t.bytes, pos: this.pos(t.start) };
      case 'hex':
        return { kind: 'hex', bytes: t.bytes, pos: this.pos(t.start) };
      case 'ident': {
        if (this.isP(this.peek(), '(')) return this.finishCall(t.v, t.start);
        if (t.v === 'expect') throw new Fail(t.start, "'expect' starts an assertion step and cannot be used in an expression");
        return { kind: 'ident', name: t.v, pos: this.pos(t.start) };
      }
      case 'punct':
        if (t.v === '(') {
          this.enter(t.start);
          const e = this.parseExpr();
          this.leave();
          this.expectP(')', "to close '('");
          return e;
        }
        if (t.v === '{') return this.finishStruct(t.start);
        if (t.v === '[') {
          this.enter(t.start);
          const items: Expr[] = [];
          for (;;) {
            if (this.isP(this.peek(), ']')) {
              this.next();
              break;
            }
            items.push(this.parseExpr());
            const sep = this.next();
            if (this.isP(sep, ']')) break;
            if (sep.t === 'eof') throw new Fail(sep.start, "unclosed '[': expected ']'");
            if (!this.isP(sep, ',')) throw new Fail(sep.start, `expected ',' or ']' in the list, found ${this.describe(sep)}`);
          }
          this.leave();
          return { kind: 'array', items, pos: this.pos(t.start) };
        }
        if (t.v === '?') throw new Fail(t.start, "'?' is only valid as a result: '= ?'");
        throw new Fail(t.start, `expected a value, found ${this.describe(t)}`);
      case 'eof':
        throw new Fail(t.start, 'expected a value, found the end of the step');
    }
  }

  /** After `name` with the '(' next. */
  private finishCall(callee: string, start: number): CallExpr {
    const open = this.next(); // '('
    this.enter(open.start);
    const args: Arg[] = [];
    let sawNamed = false;
    for (;;) {
      const t = this.peek();
      if (this.isP(t, ')')) {
        this.next();
        break;
      }
      if (t.t === 'eof') throw new Fail(t.start, `unclosed '(' of ${callee}(...): expected ')'`);
      let name: string | undefined;
      if (t.t === 'ident' && this.isNamedSeparator(t.end)) {
        this.next();
        this.next(); // ':' or '='
        if (args.some((a) => a.name === t.v)) throw new Fail(t.start, `argument '${t.v}' given twice`);
        name = t.v;
        sawNamed = true;
      } else if (sawNamed) {
        throw new Fail(t.start, 'a positional argument cannot follow a named one');
      }
      const value = this.parseExpr();
      args.push(name === undefined ? { value, pos: this.pos(t.start) } : { name, value, pos: this.pos(t.start) });
      const sep = this.next();
      if (this.isP(sep, ')')) break;
      if (sep.t === 'eof') throw new Fail(sep.start, `unclosed '(' of ${callee}(...): expected ')'`);
      if (!this.isP(sep, ',')) throw new Fail(sep.start, `expected ',' or ')' in the arguments of ${callee}, found ${this.describe(sep)}`);
    }
    this.leave();
    return { kind: 'call', callee, args, pos: this.pos(start) };
  }

  /** After '{'. */
  private finishStruct(start: number, checkKey?: (key: string, offset: number) => void): StructExpr {
    this.enter(start);
    const fields: Field[] = [];
    for (;;) {
      const t = this.next();
      if (this.isP(t, '}')) break;
      if (t.t !== 'ident') throw new Fail(t.start, `expected a field name or '}', found ${this.describe(t)}`);
      if (fields.some((f) => f.key === t.v)) throw new Fail(t.start, `field '${t.v}' given twice`);
      checkKey?.(t.v, t.start);
      const colon = this.next();
      if (!this.isP(colon, ':') && !this.isP(colon, '=')) {
        throw new Fail(colon.start, `expected ':' after the field name '${t.v}' (struct fields are written {name: value}), found ${this.describe(colon)}`);
      }
      const value = this.parseExpr();
      fields.push({ key: t.v, value, pos: this.pos(t.start) });
      const sep = this.next();
      if (this.isP(sep, '}')) break;
      if (sep.t === 'eof') throw new Fail(sep.start, "unclosed '{': expected '}'");
      if (!this.isP(sep, ',')) throw new Fail(sep.start, `expected ',' or '}' in the struct, found ${this.describe(sep)}`);
    }
    this.leave();
    return { kind: 'struct', fields, pos: this.pos(start) };
  }

  /** Is `t` (an identifier) followed by '(' — the start of a call? */
  private isCallAhead(t: Tok): boolean {
    return this.src[this.afterSpaces(t.end)] === '(';
  }

  /** After a call: does an operator, '.', or '[' continue it into a larger expression? */
  private continuesExpression(): boolean {
    const t = this.peek();
    if (t.t !== 'punct') return false;
    return ['.', '[', '|', '^', '&', '<<', '>>', '+', '-', '*', '/', '%'].includes(t.v);
  }

  /** After a name: ':' (or strace's '=', but not '==') makes it a named argument. */
  private isNamedSeparator(end: number): boolean {
    const j = this.afterSpaces(end);
    return this.src[j] === ':' || (this.src[j] === '=' && this.src[j + 1] !== '=');
  }

  private afterSpaces(j: number): number {
    while (j < this.src.length && isSpace(this.src[j])) j++;
    return j;
  }

  finishExpr(): Expr {
    const e = this.parseExpr();
    this.atEnd('after the expression');
    return e;
  }
}

const defaultLocate = (offset: number): Pos => ({ line: 1, col: offset + 1 });

function run<T>(text: string, opts: ParseOptions | undefined, f: (p: Parser) => T): ParseResult<T> {
  const locate = opts?.locate ?? defaultLocate;
  const p = new Parser(text, locate);
  try {
    return { ok: true, value: f(p) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: { offset: e.offset, pos: locate(e.offset), message: e.message } };
    throw e;
  }
}

/** Parse one step string. */
export function parseStep(text: string, opts?: ParseOptions): ParseResult<Step> {
  return run(text, opts, (p) => p.parseStep());
}

/** Parse a whole string as one expression. */
export function parseExpr(text: string, opts?: ParseOptions): ParseResult<Expr> {
  return run(text, opts, (p) => p.finishExpr());
}

/** A character for an error message: control characters as \xNN, so a message stays on one line. */
function shownChar(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return cp < 0x20 || cp === 0x7f ? `\\x${cp.toString(16).padStart(2, '0')}` : c;
}
