// Hand-written scanner and recursive-descent parser for the kernel policy language
// (policy.conf), following checkpolicy/policy_scan.l (tokens) and checkpolicy/policy_parse.y
// (grammar). No parser library: a 45 MB / 3-million-line refpolicy policy.conf must parse faster
// than checkpolicy compiles it, which needs a scanner over char codes without per-token objects.
import type {
  ParseResult, ParseError, Stmt, TypeSetAst, NameSetAst, CondTok, ContextAst, ConstraintExpr,
  AvRuleKind, XpermRuleKind, TypeRuleKind, XpermRange, OContextKind, Loc,
} from './ast.js';

const T_EOF: number = 0;
const T_WORD: number = 1;
const T_STRING: number = 2;
const T_PUNCT: number = 3;

// Character classes for the scanner.
const WORDCH = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9_.\-/$]/.test(ch)) WORDCH[c] = 1;
}
const C_NL = 10;
const C_HASH = 35;

class SyntaxError_ extends Error {}

/** Shared empty list (type sets rarely have exclusions); replaced before the first push. */
const NO_NAMES: string[] = [];
Object.freeze(NO_NAMES);

class Parser {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  // #line directive state: srcLine = base + (line - dirLine - 1)
  private srcFile: string | undefined;
  private srcBase = 0;
  private dirLine = 0;
  // current token
  tt = T_EOF;
  tv = '';
  tline = 1;
  tcol = 1;
  /** whether whitespace preceded the current token */
  tspace = true;
  errors: ParseError[] = [];
  counts: Record<string, number> = Object.create(null);
  mls = false;

  constructor(private readonly src: string, private readonly file: string) {
    this.advance();
  }

  // ---------------------------------------------------------------- scanner
  advance(): void {
    const s = this.src;
    const n = s.length;
    let p = this.pos;
    let space = false;
    for (;;) {
      if (p >= n) {
        this.pos = p;
        this.tt = T_EOF;
        this.tv = '';
        this.tline = this.line;
        this.tcol = p - this.lineStart + 1;
        this.tspace = true;
        return;
      }
      const c = s.charCodeAt(p);
      if (c === C_NL) {
        p++;
        this.line++;
        this.lineStart = p;
        space = true;
        continue;
      }
      if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
        p++;
        space = true;
        continue;
      }
      if (c === C_HASH) {
        // comment to end of line; `#line N "file"` sets the source position (policy_scan.l)
        let e = s.indexOf('\n', p);
        if (e < 0) e = n;
        if (s.charCodeAt(p + 1) === 108 /* l */ && s.startsWith('#line', p)) this.lineDirective(p + 5, e);
        p = e;
        space = true;
        continue;
      }
      break;
    }
    this.tline = this.line;
    this.tcol = p - this.lineStart + 1;
    this.tspace = space;
    const c = s.charCodeAt(p);
    if (c < 128 && WORDCH[c] && c !== 45 /* '-' */) {
      const st = p;
      let h = c;
      p++;
      while (p < n) {
        const d = s.charCodeAt(p);
        if (d < 128 && WORDCH[d] === 1) {
          h = Math.imul(h ^ d, 0x01000193);
          p++;
        } else break;
      }
      this.tt = T_WORD;
      this.tv = this.intern(st, p, h);
      this.pos = p;
      return;
    }
    if (c === 34 /* " */) {
      const e = s.indexOf('"', p + 1);
      const nl = s.indexOf('\n', p + 1);
      if (e < 0 || (nl >= 0 && nl < e)) {
        this.pos = p + 1;
        this.fail('unterminated string');
      }
      this.tt = T_STRING;
      this.tv = s.slice(p + 1, e);
      this.pos = e + 1;
      return;
    }
    // punctuation; two-char operators first
    const c2 = p + 1 < n ? s.charCodeAt(p + 1) : 0;
    if ((c === 61 && c2 === 61) || (c === 33 && c2 === 61) || (c === 38 && c2 === 38) || (c === 124 && c2 === 124)) {
      this.tt = T_PUNCT;
      this.tv = s.slice(p, p + 2);
      this.pos = p + 2;
      return;
    }
    if ('{}();:,~*-!^=<>[]'.indexOf(String.fromCharCode(c)) >= 0) {
      this.tt = T_PUNCT;
      this.tv = String.fromCharCode(c);
      this.pos = p + 1;
      return;
    }
    this.pos = p + 1;
    this.fail(`unexpected character '${String.fromCharCode(c)}'`);
  }

  /** `#line N "file"`: digits and the file name are read in place (refpolicy's policy.conf has
   *  1.5 million of these lines; no per-line allocation unless the file name changes). */
  // Identifier interning: an open-addressing table of the words seen so far, compared in place,
  // so a repeated identifier costs no allocation and later Map lookups reuse its cached hash.
  private itab: (string | undefined)[] = new Array(1 << 16);
  private imask = (1 << 16) - 1;
  private icount = 0;
  private intern(st: number, e: number, h: number): string {
    const len = e - st;
    const s = this.src;
    let i = (h ^ (h >>> 15) ^ len) & this.imask;
    for (;;) {
      const k = this.itab[i];
      if (k === undefined) break;
      if (k.length === len && s.startsWith(k, st)) return k;
      i = (i + 1) & this.imask;
    }
    const v = s.slice(st, e);
    this.itab[i] = v;
    if (++this.icount * 2 > this.imask) this.growIntern();
    return v;
  }
  private growIntern(): void {
    const old = this.itab;
    const size = old.length * 2;
    this.itab = new Array(size);
    this.imask = size - 1;
    for (const k of old) {
      if (k === undefined) continue;
      let h = k.charCodeAt(0);
      for (let j = 1; j < k.length; j++) h = Math.imul(h ^ k.charCodeAt(j), 0x01000193);
      let i = (h ^ (h >>> 15) ^ k.length) & this.imask;
      while (this.itab[i] !== undefined) i = (i + 1) & this.imask;
      this.itab[i] = k;
    }
  }

  private lineDirective(p: number, e: number): void {
    const s = this.src;
    while (p < e && (s.charCodeAt(p) === 32 || s.charCodeAt(p) === 9)) p++;
    let n = 0;
    const d0 = p;
    while (p < e) {
      const c = s.charCodeAt(p);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      p++;
    }
    if (p === d0) return;
    this.srcBase = n;
    this.dirLine = this.line;
    while (p < e && (s.charCodeAt(p) === 32 || s.charCodeAt(p) === 9)) p++;
    if (s.charCodeAt(p) !== 34) return;
    const q = s.indexOf('"', p + 1);
    if (q < 0 || q > e) return;
    const cur = this.srcFile;
    if (cur === undefined || q - p - 1 !== cur.length || !s.startsWith(cur, p + 1)) this.srcFile = s.slice(p + 1, q);
  }

  loc(): Loc {
    const l: Loc = { line: this.tline, col: this.tcol };
    if (this.dirLine) {
      l.srcFile = this.srcFile;
      l.srcLine = this.srcBase + (this.tline - this.dirLine - 1);
    }
    return l;
  }

  fail(message: string): never {
    this.errors.push({ file: this.file, line: this.tline, col: this.tcol, message });
    throw new SyntaxError_(message);
  }

  private describe(): string {
    if (this.tt === T_EOF) return 'end of file';
    if (this.tt === T_STRING) return `"${this.tv}"`;
    return `'${this.tv}'`;
  }

  isP(v: string): boolean {
    return this.tt === T_PUNCT && this.tv === v;
  }
  isW(v: string): boolean {
    return this.tt === T_WORD && this.tv === v;
  }
  eatP(v: string): boolean {
    if (this.tt === T_PUNCT && this.tv === v) {
      this.advance();
      return true;
    }
    return false;
  }
  expectP(v: string, what?: string): void {
    if (!this.eatP(v)) this.fail(`expected '${v}'${what ? ` ${what}` : ''} but found ${this.describe()}`);
  }
  ident(what: string): string {
    if (this.tt !== T_WORD) this.fail(`expected ${what} but found ${this.describe()}`);
    const v = this.tv;
    this.advance();
    return v;
  }
  count(k: string): void {
    this.counts[k] = (this.counts[k] ?? 0) + 1;
  }

  // ---------------------------------------------------------------- sets
  /** type set: name | '*' | '~' set | '{' elems '}' (elems: name, -name, nested sets, *, ~) */
  typeSet(what: string): TypeSetAst {
    const ts: TypeSetAst = { items: [], neg: NO_NAMES, star: false, comp: false, self: false };
    if (this.eatP('~')) {
      ts.comp = true;
      this.typeSetInto(ts, what);
      return ts;
    }
    this.typeSetInto(ts, what);
    return ts;
  }
  private typeSetInto(ts: TypeSetAst, what: string): void {
    if (this.eatP('*')) {
      ts.star = true;
      return;
    }
    if (this.eatP('{')) {
      let n = 0;
      while (!this.eatP('}')) {
        if (this.tt === T_EOF) this.fail(`missing '}' in ${what} list`);
        if (this.eatP('-')) {
          if (ts.neg === NO_NAMES) ts.neg = [];
          ts.neg.push(this.ident(`a type or attribute to exclude in ${what}`));
        } else if (this.eatP('*')) {
          ts.star = true;
        } else if (this.isP('{')) {
          this.typeSetInto(ts, what);
        } else if (this.eatP('~')) {
          ts.comp = true;
          this.typeSetInto(ts, what);
        } else {
          const v = this.ident(`a type or attribute in ${what}`);
          if (v === 'self') ts.self = true;
          else ts.items.push(v);
        }
        n++;
      }
      if (n === 0) this.fail(`empty ${what} list`);
      return;
    }
    const v = this.ident(what);
    if (v === 'self') ts.self = true;
    else ts.items.push(v);
  }

  nameSet(what: string): NameSetAst {
    const ns: NameSetAst = { items: [], star: false, comp: false };
    if (this.eatP('~')) ns.comp = true;
    this.nameSetInto(ns, what);
    return ns;
  }
  private nameSetInto(ns: NameSetAst, what: string): void {
    if (this.eatP('*')) {
      ns.star = true;
      return;
    }
    if (this.eatP('{')) {
      let n = 0;
      while (!this.eatP('}')) {
        if (this.tt === T_EOF) this.fail(`missing '}' in ${what} list`);
        if (this.isP('{')) this.nameSetInto(ns, what);
        else if (this.eatP('*')) ns.star = true;
        else if (this.eatP('~')) {
          ns.comp = true;
          this.nameSetInto(ns, what);
        } else ns.items.push(this.ident(what));
        n++;
      }
      if (n === 0) this.fail(`empty ${what} list`);
      return;
    }
    ns.items.push(this.ident(what));
  }

  /** `a` or `{ a b }` (plain list, no operators) */
  nameList(what: string): string[] {
    if (this.eatP('{')) {
      const out: string[] = [];
      while (!this.eatP('}')) {
        if (this.tt === T_EOF) this.fail(`missing '}' in ${what} list`);
        if (this.isP('{')) out.push(...this.nameList(what));
        else out.push(this.ident(what));
      }
      return out;
    }
    return [this.ident(what)];
  }

  /** comma-separated identifiers */
  commaList(what: string): string[] {
    const out = [this.ident(what)];
    while (this.eatP(',')) out.push(this.ident(what));
    return out;
  }

  // ---------------------------------------------------------------- contexts and MLS
  /** MLS level `s0` or `s0:c0.c3,c5` as text */
  private levelText(): string {
    let t = this.ident('a sensitivity');
    if (this.eatP(':')) {
      t += ':' + this.ident('a category set');
      while (this.eatP(',')) t += ',' + this.ident('a category');
    }
    return t;
  }
  /** MLS range `low[ - high]` as text */
  rangeText(): string {
    let t = this.levelText();
    if (this.eatP('-')) t += ' - ' + this.levelText();
    return t;
  }
  context(): ContextAst {
    const user = this.ident('a user in the security context');
    this.expectP(':', 'in the security context');
    const role = this.ident('a role in the security context');
    this.expectP(':', 'in the security context');
    const type = this.ident('a type in the security context');
    const c: ContextAst = { user, role, type };
    if (this.mls && this.eatP(':')) c.range = this.rangeText();
    return c;
  }
  /** `<<none>>` or a context (genfscon, portcon, ... use contexts; fs_use may not) */
  contextOrNone(): ContextAst | null {
    if (this.isP('<')) {
      this.advance();
      this.expectP('<');
      const w = this.ident("'none'");
      if (w !== 'none') this.fail(`expected <<none>> but found '${w}'`);
      this.expectP('>');
      this.expectP('>');
      return null;
    }
    return this.context();
  }

  // ---------------------------------------------------------------- conditional expressions
  // Precedence from policy_parse.y: OR < XOR < AND < NOT < EQUALS/NOTEQUAL.
  condExpr(): CondTok[] {
    const out: CondTok[] = [];
    this.condOr(out);
    return out;
  }
  private condOr(out: CondTok[]): void {
    this.condXor(out);
    while (this.isP('||') || this.isW('or') || this.isW('OR')) {
      this.advance();
      this.condXor(out);
      out.push({ op: 'or' });
    }
  }
  private condXor(out: CondTok[]): void {
    this.condAnd(out);
    while (this.isP('^') || this.isW('xor') || this.isW('XOR')) {
      this.advance();
      this.condAnd(out);
      out.push({ op: 'xor' });
    }
  }
  private condAnd(out: CondTok[]): void {
    this.condNot(out);
    while (this.isP('&&') || this.isW('and') || this.isW('AND')) {
      this.advance();
      this.condNot(out);
      out.push({ op: 'and' });
    }
  }
  private condNot(out: CondTok[]): void {
    if (this.isP('!') || this.isW('not') || this.isW('NOT')) {
      this.advance();
      this.condNot(out);
      out.push({ op: 'not' });
      return;
    }
    this.condEq(out);
  }
  private condEq(out: CondTok[]): void {
    this.condPrim(out);
    while (this.isP('==') || this.isP('!=') || this.isW('eq') || this.isW('neq')) {
      const op = this.tv === '==' || this.tv === 'eq' ? 'eq' : 'neq';
      this.advance();
      this.condPrim(out);
      out.push({ op });
    }
  }
  private condPrim(out: CondTok[]): void {
    if (this.eatP('(')) {
      this.condOr(out);
      this.expectP(')', 'to close the condition');
      return;
    }
    out.push({ op: 'bool', name: this.ident('a boolean name') });
  }

  // ---------------------------------------------------------------- constraint expressions
  private cexprOr(): ConstraintExpr {
    let l = this.cexprAnd();
    while (this.isW('or') || this.isP('||')) {
      this.advance();
      l = { op: 'or', l, r: this.cexprAnd() };
    }
    return l;
  }
  private cexprAnd(): ConstraintExpr {
    let l = this.cexprNot();
    while (this.isW('and') || this.isP('&&')) {
      this.advance();
      l = { op: 'and', l, r: this.cexprNot() };
    }
    return l;
  }
  private cexprNot(): ConstraintExpr {
    if (this.isW('not') || this.isP('!')) {
      this.advance();
      return { op: 'not', e: this.cexprNot() };
    }
    if (this.eatP('(')) {
      const e = this.cexprOr();
      this.expectP(')', 'to close the constraint expression');
      return e;
    }
    const attr = this.ident('u1, r1, t1, l1, h1 (or u2, r2, t2, l2, h2, u3, r3, t3)');
    if (!/^(u[123]|r[123]|t[123]|l[12]|h[12])$/.test(attr)) this.fail(`unknown constraint operand '${attr}'`);
    let rel: string;
    if (this.tt === T_PUNCT && (this.tv === '==' || this.tv === '!=')) rel = this.tv;
    else if (this.tt === T_WORD && /^(eq|neq|dom|domby|incomp)$/.test(this.tv)) rel = this.tv;
    else this.fail(`expected a constraint operator (==, !=, eq, dom, domby, incomp) but found ${this.describe()}`);
    this.advance();
    let rhs: string | NameSetAst;
    if (this.tt === T_WORD && /^(u[123]|r[123]|t[123]|l[12]|h[12])$/.test(this.tv)) rhs = this.ident('operand');
    else rhs = this.nameSet('constraint names');
    return { op: 'cmp', attr, rel, rhs };
  }

  // ---------------------------------------------------------------- statements
  /** Parse statements until EOF (top) or '}' (nested). */
  stmts(nested: boolean, out: Stmt[]): void {
    for (;;) {
      if (this.tt === T_EOF) {
        if (nested) this.fail("missing '}' at end of file");
        return;
      }
      if (nested && this.isP('}')) return;
      if (!nested && this.isP('}')) {
        this.errors.push({ file: this.file, line: this.tline, col: this.tcol, message: "unmatched '}'" });
        this.advance();
        continue;
      }
      const errCount = this.errors.length;
      try {
        this.stmt(out);
      } catch (e) {
        if (!(e instanceof SyntaxError_)) throw e;
        if (this.errors.length > 200) throw e;
        if (this.errors.length === errCount) throw e;
        this.recover();
      }
    }
  }

  /** Skip to the end of the broken statement: past the next ';' or to a '}' . */
  private recover(): void {
    for (;;) {
      if (this.tt === T_EOF) return;
      if (this.isP(';')) {
        this.advance();
        return;
      }
      if (this.isP('}')) return;
      try {
        this.advance();
      } catch (e) {
        if (!(e instanceof SyntaxError_)) throw e;
      }
    }
  }

  private semi(what: string): void {
    if (!this.eatP(';')) this.fail(`expected ';' at the end of the ${what} statement but found ${this.describe()}`);
  }

  private block(what: string): Stmt[] {
    this.expectP('{', `to open the ${what} block`);
    const body: Stmt[] = [];
    this.stmts(true, body);
    this.expectP('}', `to close the ${what} block`);
    return body;
  }

  stmt(out: Stmt[]): void {
    if (this.eatP(';')) return;
    if (this.tt !== T_WORD) this.fail(`expected a statement but found ${this.describe()}`);
    const loc = this.loc();
    let kw = this.tv;
    if (kw.charCodeAt(0) < 97) kw = kw.toLowerCase(); // keywords are case-insensitive in policy_scan.l
    switch (kw) {
      case 'allow': {
        this.advance();
        // TE allow `allow S T:C P;` or role allow `allow R1 R2;`
        const src = this.typeSet('source');
        const tgt = this.typeSet('target');
        if (this.eatP(';')) {
          this.count('role_allow');
          out.push({ k: 'role_allow', from: { items: src.items, star: src.star, comp: src.comp }, to: { items: tgt.items, star: tgt.star, comp: tgt.comp }, ...loc });
          return;
        }
        this.expectP(':', 'between the target and the class');
        const classes = this.nameSet('class');
        const perms = this.nameSet('permission');
        this.semi('allow');
        this.count('allow');
        out.push({ k: 'avrule', kind: 'allow', src, tgt, classes, perms, ...loc });
        return;
      }
      case 'auditallow':
      case 'dontaudit':
      case 'neverallow':
      case 'auditdeny': {
        this.advance();
        const src = this.typeSet('source');
        const tgt = this.typeSet('target');
        this.expectP(':', 'between the target and the class');
        const classes = this.nameSet('class');
        const perms = this.nameSet('permission');
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'avrule', kind: kw as AvRuleKind, src, tgt, classes, perms, ...loc });
        return;
      }
      case 'allowxperm':
      case 'auditallowxperm':
      case 'dontauditxperm':
      case 'neverallowxperm': {
        this.advance();
        const src = this.typeSet('source');
        const tgt = this.typeSet('target');
        this.expectP(':', 'between the target and the class');
        const classes = this.nameSet('class');
        const operation = this.ident("an extended permission operation ('ioctl')");
        if (operation !== 'ioctl' && operation !== 'nlmsg') this.fail(`unknown extended permission operation '${operation}' (expected ioctl)`);
        let comp = false;
        if (this.eatP('~')) comp = true;
        const ranges: XpermRange[] = [];
        const one = (): void => {
          // `0x10-0x20` scans as one word ('-' is a name character), `0x10 - 0x20` as three tokens
          const wl = this.tline;
          const wc = this.tcol;
          const w = this.ident('an ioctl number');
          const dash = w.indexOf('-');
          const lo = this.xpermNumber(dash >= 0 ? w.slice(0, dash) : w, wl, wc);
          let hi = lo;
          if (dash >= 0) hi = this.xpermNumber(w.slice(dash + 1), wl, wc);
          else if (this.eatP('-')) {
            const l2 = this.tline;
            const c2 = this.tcol;
            hi = this.xpermNumber(this.ident('an ioctl number'), l2, c2);
          }
          if (hi < lo) this.fail(`ioctl range ${lo.toString(16)}-${hi.toString(16)} is reversed`);
          ranges.push([lo, hi]);
        };
        if (this.eatP('{')) {
          while (!this.eatP('}')) {
            if (this.tt === T_EOF) this.fail("missing '}' in the ioctl list");
            one();
          }
        } else one();
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'xpermrule', kind: kw as XpermRuleKind, src, tgt, classes, operation, comp, ranges, ...loc });
        return;
      }
      case 'type_transition':
      case 'type_change':
      case 'type_member': {
        this.advance();
        const src = this.typeSet('source');
        const tgt = this.typeSet('target');
        this.expectP(':', 'between the target and the class');
        const classes = this.nameSet('class');
        const newType = this.ident('the new type');
        let objName: string | undefined;
        if (this.tt === T_STRING) {
          if (kw !== 'type_transition') this.fail(`an object name is only allowed in type_transition`);
          objName = this.tv;
          this.advance();
        }
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'typerule', kind: kw as TypeRuleKind, src, tgt, classes, newType, objName, ...loc });
        return;
      }
      case 'range_transition': {
        this.advance();
        const src = this.typeSet('source');
        const tgt = this.typeSet('target');
        let classes: NameSetAst | undefined;
        if (this.eatP(':')) classes = this.nameSet('class');
        const range = this.rangeText();
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'range_transition', src, tgt, classes, range, ...loc });
        return;
      }
      case 'type': {
        this.advance();
        const name = this.ident('a type name');
        let aliases: string[] = [];
        const attrs: string[] = [];
        if (this.isW('alias')) {
          this.advance();
          aliases = this.nameList('alias');
        }
        while (this.eatP(',')) attrs.push(this.ident('an attribute name'));
        this.semi('type');
        this.count('type');
        out.push({ k: 'type', name, aliases, attrs, ...loc });
        return;
      }
      case 'attribute': {
        this.advance();
        const name = this.ident('an attribute name');
        this.semi('attribute');
        this.count('attribute');
        out.push({ k: 'attribute', name, ...loc });
        return;
      }
      case 'typeattribute': {
        this.advance();
        const type = this.ident('a type name');
        const attrs = this.commaList('an attribute name');
        this.semi('typeattribute');
        this.count('typeattribute');
        out.push({ k: 'typeattribute', type, attrs, ...loc });
        return;
      }
      case 'typealias': {
        this.advance();
        const type = this.ident('a type name');
        if (!this.isW('alias')) this.fail(`expected 'alias' but found ${this.describe()}`);
        this.advance();
        const aliases = this.nameList('alias');
        this.semi('typealias');
        this.count('typealias');
        out.push({ k: 'typealias', type, aliases, ...loc });
        return;
      }
      case 'typebounds': {
        this.advance();
        const parent = this.ident('a type name');
        const children = this.commaList('a type name');
        this.semi('typebounds');
        this.count('typebounds');
        out.push({ k: 'typebounds', parent, children, ...loc });
        return;
      }
      case 'expandattribute': {
        this.advance();
        const attrs = this.nameList('attribute');
        const v = this.ident('true or false');
        if (v !== 'true' && v !== 'false') this.fail(`expected true or false but found '${v}'`);
        this.semi('expandattribute');
        this.count('expandattribute');
        out.push({ k: 'expandattribute', attrs, value: v === 'true', ...loc });
        return;
      }
      case 'bool':
      case 'tunable': {
        this.advance();
        const name = this.ident('a boolean name');
        const v = this.ident('true or false');
        const lv = v.toLowerCase();
        if (lv !== 'true' && lv !== 'false') this.fail(`expected true or false for ${kw} ${name} but found '${v}'`);
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'bool', name, value: lv === 'true', tunable: kw === 'tunable', ...loc });
        return;
      }
      case 'permissive': {
        this.advance();
        const type = this.ident('a type name');
        this.semi('permissive');
        this.count('permissive');
        out.push({ k: 'permissive', type, ...loc });
        return;
      }
      case 'policycap': {
        this.advance();
        const name = this.ident('a policy capability name');
        this.semi('policycap');
        this.count('policycap');
        out.push({ k: 'policycap', name, ...loc });
        return;
      }
      case 'if': {
        this.advance();
        this.expectP('(', 'to open the condition');
        const expr = this.condExpr();
        this.expectP(')', 'to close the condition');
        const thenB = this.block('if');
        let elseB: Stmt[] = [];
        if (this.isW('else')) {
          this.advance();
          elseB = this.block('else');
        }
        for (const s of thenB.concat(elseB)) {
          if (s.k !== 'avrule' && s.k !== 'typerule' && s.k !== 'xpermrule' && s.k !== 'require')
            this.errors.push({ file: this.file, line: s.line, col: s.col, message: `this statement is not allowed inside a conditional (if) block` });
          else if (s.k === 'avrule' && s.kind === 'neverallow')
            this.errors.push({ file: this.file, line: s.line, col: s.col, message: `neverallow is not allowed inside a conditional (if) block` });
        }
        this.count('if');
        out.push({ k: 'if', expr, then: thenB, else: elseB, ...loc });
        return;
      }
      case 'optional': {
        this.advance();
        const body = this.block('optional');
        let elseB: Stmt[] | null = null;
        if (this.isW('else')) {
          this.advance();
          elseB = this.block('else');
        }
        this.count('optional');
        out.push({ k: 'optional', body, else: elseB, ...loc });
        return;
      }
      case 'require': {
        this.advance();
        this.expectP('{', 'to open the require block');
        const items: Extract<Stmt, { k: 'require' }>['items'] = [];
        while (!this.eatP('}')) {
          if (this.tt === T_EOF) this.fail("missing '}' in require block");
          const what = this.ident('type, attribute, bool, role, user, class, sensitivity or category');
          switch (what) {
            case 'class': {
              const name = this.ident('a class name');
              const perms = this.nameList('permission');
              items.push({ kind: 'class', name, perms });
              break;
            }
            case 'type': case 'attribute': case 'bool': case 'role': case 'attribute_role': case 'user': case 'sensitivity': case 'category':
            case 'tunable': {
              for (const name of this.commaList(`a ${what} name`)) items.push({ kind: what === 'tunable' ? 'bool' : what, name });
              break;
            }
            default:
              this.fail(`unknown kind '${what}' in require block`);
          }
          this.semi('require');
        }
        this.count('require');
        out.push({ k: 'require', items, ...loc });
        return;
      }
      case 'class': {
        this.advance();
        const name = this.ident('a class name');
        if (this.isW('inherits') || this.isP('{')) {
          let common: string | undefined;
          if (this.isW('inherits')) {
            this.advance();
            common = this.ident('a common name');
          }
          let perms: string[] = [];
          if (this.isP('{')) perms = this.nameList('permission');
          else if (!common) this.fail(`expected a permission list for class ${name}`);
          this.count('classPerms');
          out.push({ k: 'classPerms', name, common, perms, ...loc });
          return;
        }
        this.count('class');
        out.push({ k: 'class', name, ...loc });
        return;
      }
      case 'common': {
        this.advance();
        const name = this.ident('a common name');
        const perms = this.nameList('permission');
        this.count('common');
        out.push({ k: 'common', name, perms, ...loc });
        return;
      }
      case 'sid': {
        this.advance();
        const name = this.ident('an initial SID name');
        // `sid NAME` declares; `sid NAME CONTEXT` assigns (no ';' in either form)
        if (this.tt === T_WORD && this.peekColon()) {
          const context = this.context();
          this.count('sidContext');
          out.push({ k: 'sidContext', name, context, ...loc });
          return;
        }
        this.count('sid');
        out.push({ k: 'sid', name, ...loc });
        return;
      }
      case 'role': {
        this.advance();
        const name = this.ident('a role name');
        let types: TypeSetAst | null = null;
        if (this.isW('types')) {
          this.advance();
          types = this.typeSet('type');
        }
        if (this.eatP(',')) this.commaList('a role attribute');
        this.semi('role');
        this.count('role');
        out.push({ k: 'role', name, types, ...loc });
        return;
      }
      case 'attribute_role': {
        this.advance();
        const name = this.ident('a role attribute name');
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'attribute_role', name, ...loc });
        return;
      }
      case 'roleattribute': {
        this.advance();
        const role = this.ident('a role name');
        const attrs = this.commaList('a role attribute');
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'roleattribute', role, attrs, ...loc });
        return;
      }
      case 'role_transition': {
        this.advance();
        const roles = this.nameSet('role');
        const types = this.typeSet('type');
        let classes: NameSetAst | undefined;
        if (this.eatP(':')) classes = this.nameSet('class');
        const newRole = this.ident('the new role');
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'role_transition', roles, types, classes, newRole, ...loc });
        return;
      }
      case 'dominance': {
        this.advance();
        // MLS `dominance { s0 s1 }` or the obsolete role dominance `dominance { role r { role s; } }`
        if (this.isP('{')) {
          this.advance();
          if (this.isW('role')) {
            let depth = 1;
            let text = '';
            while (depth > 0) {
              if (this.tt === T_EOF) this.fail("missing '}' in dominance");
              if (this.isP('{')) depth++;
              if (this.isP('}')) depth--;
              if (depth > 0) text += this.tv + ' ';
              this.advance();
            }
            this.count('role_dominance');
            out.push({ k: 'role_dominance', text: text.trim(), ...loc });
            return;
          }
          const order: string[] = [];
          while (!this.eatP('}')) {
            if (this.tt === T_EOF) this.fail("missing '}' in dominance");
            order.push(this.ident('a sensitivity'));
          }
          this.count('dominance');
          out.push({ k: 'dominance', order, ...loc });
          return;
        }
        this.fail(`expected '{' after dominance`);
        return;
      }
      case 'user': {
        this.advance();
        const name = this.ident('a user name');
        if (!this.isW('roles')) this.fail(`expected 'roles' in user ${name}`);
        this.advance();
        const roles = this.nameSet('role');
        let level: string | undefined;
        let range: string | undefined;
        if (this.isW('level')) {
          this.advance();
          level = this.rangeText();
        }
        if (this.isW('range')) {
          this.advance();
          range = this.rangeText();
        }
        this.semi('user');
        this.count('user');
        out.push({ k: 'user', name, roles, level, range, ...loc });
        return;
      }
      case 'constrain':
      case 'mlsconstrain': {
        this.advance();
        const classes = this.nameSet('class');
        const perms = this.nameSet('permission');
        const expr = this.cexprOr();
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'constrain', kind: kw, classes, perms, expr, ...loc });
        return;
      }
      case 'validatetrans':
      case 'mlsvalidatetrans': {
        this.advance();
        const classes = this.nameSet('class');
        const expr = this.cexprOr();
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'validatetrans', kind: kw, classes, expr, ...loc });
        return;
      }
      case 'sensitivity': {
        this.advance();
        this.mls = true;
        const name = this.ident('a sensitivity name');
        let aliases: string[] = [];
        if (this.isW('alias')) {
          this.advance();
          aliases = this.nameList('alias');
        }
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'sensitivity', name, aliases, ...loc });
        return;
      }
      case 'category': {
        this.advance();
        const name = this.ident('a category name');
        let aliases: string[] = [];
        if (this.isW('alias')) {
          this.advance();
          aliases = this.nameList('alias');
        }
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'category', name, aliases, ...loc });
        return;
      }
      case 'level': {
        this.advance();
        const text = this.levelText();
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'level', text, ...loc });
        return;
      }
      case 'default_user':
      case 'default_role':
      case 'default_type':
      case 'default_range': {
        this.advance();
        const classes = this.nameSet('class');
        let value = this.ident('source or target');
        if (value !== 'source' && value !== 'target' && value !== 'glblub') this.fail(`expected source or target but found '${value}'`);
        if (kw === 'default_range' && value !== 'glblub') value += ' ' + this.ident('low, high or low-high');
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'default', kind: kw, classes, value, ...loc });
        return;
      }
      case 'fs_use_xattr':
      case 'fs_use_task':
      case 'fs_use_trans': {
        this.advance();
        const fs = this.ident('a filesystem type');
        const context = this.context();
        this.semi(kw);
        this.count(kw);
        out.push({ k: 'ocontext', kind: kw, args: [fs], context, ...loc });
        return;
      }
      case 'genfscon': {
        this.advance();
        const fs = this.ident('a filesystem type');
        let path: string;
        if (this.tt === T_STRING) {
          path = this.tv;
          this.advance();
        } else path = this.ident('a path');
        const args = [fs, path];
        if (this.eatP('-')) {
          // file type: -b -c -d -p -l -s -- (checkpolicy accepts them before the context)
          if (this.eatP('-')) args.push('--');
          else args.push('-' + this.ident('a file type letter'));
        }
        const context = this.contextOrNone();
        this.count(kw);
        out.push({ k: 'ocontext', kind: kw, args, context, ...loc });
        return;
      }
      case 'portcon': {
        this.advance();
        const proto = this.ident('a protocol');
        const port = this.ident('a port or port range');
        const context = this.context();
        this.count(kw);
        out.push({ k: 'ocontext', kind: kw, args: [proto, port], context, ...loc });
        return;
      }
      case 'netifcon': {
        this.advance();
        const dev = this.ident('an interface name');
        const context = this.context();
        const context2 = this.context();
        this.count(kw);
        out.push({ k: 'ocontext', kind: kw, args: [dev], context, context2, ...loc });
        return;
      }
      case 'nodecon': {
        this.advance();
        const addr = this.address();
        const mask = this.address();
        const context = this.context();
        this.count(kw);
        out.push({ k: 'ocontext', kind: kw, args: [addr, mask], context, ...loc });
        return;
      }
      case 'ibpkeycon':
      case 'ibendportcon': {
        this.advance();
        const a = kw === 'ibpkeycon' ? this.address() : this.ident('a device name');
        const b = this.ident(kw === 'ibpkeycon' ? 'a partition key' : 'a port');
        const context = this.context();
        this.count(kw);
        out.push({ k: 'ocontext', kind: kw, args: [a, b], context, ...loc });
        return;
      }
      case 'pirqcon':
      case 'iomemcon':
      case 'ioportcon':
      case 'pcidevicecon':
      case 'devicetreecon': {
        this.advance();
        const a = this.tt === T_STRING ? this.tv : this.ident('a value');
        if (this.tt === T_STRING) this.advance();
        const context = this.context();
        this.count(kw);
        out.push({ k: 'ocontext', kind: kw as OContextKind, args: [a], context, ...loc });
        return;
      }
      case 'module':
        this.fail(`'module' statements belong to module sources (checkmodule), not to a policy.conf`);
        return;
      default:
        this.fail(`unknown statement '${this.tv}'`);
    }
  }

  private peekColon(): boolean {
    // the next token after the current word is ':' (context follows)
    const s = this.src;
    let p = this.pos;
    while (p < s.length && (s.charCodeAt(p) === 32 || s.charCodeAt(p) === 9)) p++;
    return s.charCodeAt(p) === 58;
  }

  /** An IPv4/IPv6 address or mask: adjacent word and ':' tokens. */
  private address(): string {
    let t = '';
    let first = true;
    while ((this.tt === T_WORD || this.isP(':')) && (first || !this.tspace)) {
      t += this.tv;
      first = false;
      this.advance();
    }
    if (!t) this.fail(`expected an address but found ${this.describe()}`);
    return t;
  }

  private xpermNumber(w: string, line: number, col: number): number {
    const v = /^0x[0-9a-f]+$/i.test(w) ? parseInt(w, 16) : /^[0-9]+$/.test(w) ? parseInt(w, 10) : NaN;
    if (!Number.isFinite(v) || v > 0xffff) {
      this.tline = line;
      this.tcol = col;
      this.fail(`invalid ioctl number '${w}' (expected 0x0000-0xffff)`);
    }
    return v;
  }
}

/** Parse a policy.conf text. Never throws on bad input: errors are returned as file:line:col. */
export function parsePolicy(text: string, fileName: string): ParseResult {
  let p: Parser;
  try {
    p = new Parser(text, fileName);
  } catch (e) {
    if (e instanceof SyntaxError_) {
      return { ast: { fileName, stmts: [], counts: {}, mls: false }, errors: [{ file: fileName, line: 1, col: 1, message: e.message }] };
    }
    throw e;
  }
  // MLS is on when the policy declares sensitivities; contexts then carry a range. The
  // declarations come before any context, so a quick look ahead decides it.
  p.mls = /^\s*sensitivity\s/m.test(text);
  const stmts: Stmt[] = [];
  try {
    p.stmts(false, stmts);
  } catch (e) {
    if (!(e instanceof SyntaxError_)) throw e;
  }
  return { ast: { fileName, stmts, counts: p.counts, mls: p.mls }, errors: p.errors };
}
