// Compiler: policy.conf AST -> kernel Policy, following what checkpolicy does for a
// monolithic policy: declarations and optional blocks (libsepol link.c enable_avrules:
// an optional block is enabled while every symbol it requires is declared in an enabled
// block, to a fixed point; else branches are enabled for disabled blocks), tunables folded
// (expand.c discard_tunables), rules expanded into the avtab (expand.c convert_and_expand_rule:
// attributes are kept in AV rules unless the set has `-`, `*` or `~`; type rules and `self`
// rules are always expanded to types), conditionals deduplicated by normalised expression
// (cond_normalize_expr, cond_node_search), neverallow checked after expansion (assertion.c).
import type { PolicyAst, Stmt, TypeSetAst, NameSetAst, CondTok, ParseError, ContextAst } from './ast.js';
import {
  Policy, avKey, K_ALLOW, K_AUDITALLOW, K_DONTAUDIT, K_TRANSITION, K_MEMBER, K_CHANGE, KINDS,
  condExprText, evalCond,
} from './policy.js';
import type { ClassInfo, CondNode, XpermEntry, NeverallowRule, HandleUnknown, BoolInfo, InitialSid } from './policy.js';
import type { KernelClassmap } from './classmap.js';

export interface CompileOptions {
  /** checkpolicy -U: what the kernel does with classes/permissions it knows and the policy lacks. Default deny. */
  handleUnknown?: HandleUnknown;
  /** The kernel classmap checked for handle_unknown=reject (default: none, no check). */
  kernelClassmap?: KernelClassmap;
  /** Check neverallow rules (default true; checkpolicy always does for a monolithic policy). */
  checkNeverallow?: boolean;
  /** Stop reporting neverallow violations after this many (default 100). */
  maxErrors?: number;
  name?: string;
}

export class PolicyCompileError extends Error {
  constructor(readonly errors: ParseError[]) {
    super(errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`).join('\n'));
    this.name = 'PolicyCompileError';
  }
}

export interface CompileResult {
  policy: Policy | null;
  errors: ParseError[];
  /** neverallow violation lines in checkpolicy's wording */
  neverallowViolations: string[];
}

interface Decl {
  id: number;
  parent: number; // -1 for global
  requires: Extract<Stmt, { k: 'require' }>['items'];
  stmts: Stmt[];
  isElse: boolean;
  block: number;
}

interface Block {
  main: number;
  els: number; // -1 if none
  parent: number; // decl id
}

/** Compile a parsed policy. Throws PolicyCompileError on errors (unknown names, neverallow violations). */
export function compilePolicy(ast: PolicyAst, opts: CompileOptions = {}): Policy {
  const r = compilePolicyResult(ast, opts);
  if (!r.policy) throw new PolicyCompileError(r.errors);
  return r.policy;
}

export function compilePolicyResult(ast: PolicyAst, opts: CompileOptions = {}): CompileResult {
  return new Compiler(ast, opts).run();
}

const hex4 = (v: number): string => '0x' + v.toString(16).padStart(4, '0');

/** A type set as written in the policy language (for neverallow rules in queries). */
function typeSetText(ts: TypeSetAst): string {
  const parts = [...(ts.star ? ['*'] : []), ...ts.items, ...ts.neg.map((n) => '-' + n), ...(ts.self ? ['self'] : [])];
  const body = parts.length === 1 ? parts[0] : `{ ${parts.join(' ')} }`;
  return ts.comp ? `~${body}` : body;
}

function nameSetText(ns: NameSetAst): string {
  const parts = [...(ns.star ? ['*'] : []), ...ns.items];
  const body = parts.length === 1 ? parts[0] : `{ ${parts.join(' ')} }`;
  return ns.comp ? `~${body}` : body;
}

class Compiler {
  errors: ParseError[] = [];
  decls: Decl[] = [];
  blocks: Block[] = [];
  enabled: Uint8Array = new Uint8Array(0);
  // symbol -> declaring decls
  declaredIn = new Map<string, number[]>(); // key kind:name
  // symbols
  typeNames: string[] = [];
  typeIsAttrL: number[] = [];
  typeIndex = new Map<string, number>();
  aliases = new Map<string, number>();
  attrMembers: Set<number>[] = [];
  commons = new Map<string, string[]>();
  classOrder: string[] = [];
  classDefs = new Map<string, { common?: string; perms: string[] }>();
  classes: ClassInfo[] = [];
  classIndex = new Map<string, number>();
  bools: BoolInfo[] = [];
  boolIndex = new Map<string, number>();
  tunables = new Map<string, boolean>();
  roles: string[] = [];
  users: string[] = [];
  expandAttr = new Set<number>();
  permissive: number[] = [];
  policycaps = new Set<string>();
  initialSids: { name: string; context?: ContextAst }[] = [];
  extra: Record<string, number> = Object.create(null);
  // output tables
  nT = 0;
  avtab = new Map<number, number>();
  condNodes: CondNode[] = [];
  condKey = new Map<string, number>();
  condTabs: Map<number, number>[] = [];
  xperms: XpermEntry[] = [];
  filenameTrans = new Map<string, number>();
  neverallows: NeverallowRule[] = [];
  violations: string[] = [];

  constructor(readonly ast: PolicyAst, readonly opts: CompileOptions) {}

  err(s: { line: number; col: number }, message: string): void {
    if (this.errors.length < (this.opts.maxErrors ?? 100)) this.errors.push({ file: this.ast.fileName, line: s.line, col: s.col, message });
  }

  run(): CompileResult {
    const global: Decl = { id: 0, parent: -1, requires: [], stmts: [], isElse: false, block: -1 };
    this.decls.push(global);
    this.flatten(this.ast.stmts, global);
    this.collectDeclarations();
    this.enableBlocks();
    this.buildSymbols();
    if (this.errors.length) return { policy: null, errors: this.errors, neverallowViolations: [] };
    this.buildRules();
    if (this.errors.length) return { policy: null, errors: this.errors, neverallowViolations: [] };
    if (this.opts.checkNeverallow !== false) this.checkNeverallows();
    if (this.violations.length) {
      return { policy: null, errors: this.errors, neverallowViolations: this.violations };
    }
    const policy = this.finish();
    if (this.errors.length) return { policy: null, errors: this.errors, neverallowViolations: [] };
    return { policy, errors: [], neverallowViolations: [] };
  }

  // ------------------------------------------------------------------ structure
  private flatten(stmts: Stmt[], decl: Decl): void {
    for (const s of stmts) {
      if (s.k === 'optional') {
        const bi = this.blocks.length;
        const main: Decl = { id: this.decls.length, parent: decl.id, requires: [], stmts: [], isElse: false, block: bi };
        this.decls.push(main);
        const block: Block = { main: main.id, els: -1, parent: decl.id };
        this.blocks.push(block);
        this.flatten(s.body, main);
        if (s.else) {
          const els: Decl = { id: this.decls.length, parent: decl.id, requires: [], stmts: [], isElse: true, block: bi };
          this.decls.push(els);
          block.els = els.id;
          this.flatten(s.else, els);
        }
      } else if (s.k === 'require') {
        for (const it of s.items) decl.requires.push(it);
      } else if (s.k === 'if') {
        decl.stmts.push(s);
        for (const b of [s.then, s.else]) for (const x of b) if (x.k === 'require') for (const it of x.items) decl.requires.push(it);
      } else {
        decl.stmts.push(s);
      }
    }
  }

  private declare(kind: string, name: string, decl: number): void {
    const key = kind + ':' + name;
    const l = this.declaredIn.get(key);
    if (l) {
      if (l[l.length - 1] !== decl) l.push(decl);
    } else this.declaredIn.set(key, [decl]);
  }

  private collectDeclarations(): void {
    for (const d of this.decls) {
      const reqRoles = new Set<string>();
      for (const r of d.requires) if (r.kind === 'role' || r.kind === 'attribute_role') reqRoles.add(r.name);
      for (const s of d.stmts) {
        switch (s.k) {
          case 'type':
            this.declare('type', s.name, d.id);
            for (const a of s.aliases) this.declare('type', a, d.id);
            break;
          case 'typealias':
            for (const a of s.aliases) this.declare('type', a, d.id);
            break;
          case 'attribute':
            this.declare('type', s.name, d.id);
            break;
          case 'bool':
            this.declare('bool', s.name, d.id);
            break;
          case 'role':
            if (!reqRoles.has(s.name)) this.declare('role', s.name, d.id);
            break;
          case 'attribute_role':
            this.declare('role', s.name, d.id);
            this.declare('roleattr', s.name, d.id);
            break;
          case 'user':
            this.declare('user', s.name, d.id);
            break;
          case 'sensitivity':
            this.declare('sensitivity', s.name, d.id);
            break;
          case 'category':
            this.declare('category', s.name, d.id);
            break;
          case 'class':
            this.declare('class', s.name, d.id);
            break;
          default:
            break;
        }
      }
    }
  }

  private isDeclaredEnabled(kind: string, name: string): boolean {
    const l = this.declaredIn.get(kind + ':' + name);
    if (!l) return false;
    for (const d of l) if (this.enabled[d]) return true;
    return false;
  }

  private reqCache = new Map<number, { lists: number[][]; ok: boolean }>();
  /** Requirements resolved once: the declaring decls of each required symbol. */
  private resolvedReqs(d: Decl): { lists: number[][]; ok: boolean } {
    let r = this.reqCache.get(d.id);
    if (r) return r;
    const lists: number[][] = [];
    let ok = true;
    for (const q of d.requires) {
      const kind = q.kind === 'attribute' ? 'type' : q.kind === 'attribute_role' ? 'role' : q.kind;
      const l = this.declaredIn.get(kind + ':' + q.name);
      if (!l) {
        ok = false;
        break;
      }
      if (q.kind === 'class') {
        const perms = this.classPermNames(q.name);
        if (!perms || (q.perms ?? []).some((p) => !perms.has(p))) {
          ok = false;
          break;
        }
      }
      lists.push(l);
    }
    r = { lists, ok };
    this.reqCache.set(d.id, r);
    return r;
  }

  private requiresMet(d: Decl): boolean {
    const r = this.resolvedReqs(d);
    if (!r.ok) return false;
    const en = this.enabled;
    for (const l of r.lists) {
      let any = false;
      for (let i = 0; i < l.length; i++) {
        if (en[l[i]]) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    return true;
  }

  private classPermCache = new Map<string, Set<string> | null>();
  private classPermNames(cls: string): Set<string> | null {
    let v = this.classPermCache.get(cls);
    if (v !== undefined) return v;
    v = null;
    for (const s of this.decls[0].stmts) {
      if (s.k === 'classPerms' && s.name === cls) {
        v = new Set(s.perms);
        if (s.common) {
          const c = this.decls[0].stmts.find((x) => x.k === 'common' && x.name === s.common);
          if (c && c.k === 'common') for (const p of c.perms) v.add(p);
        }
      }
    }
    this.classPermCache.set(cls, v);
    return v;
  }

  /** link.c enable_avrules(): start with every block enabled, disable blocks whose
   *  requirements are not met until nothing changes; then enable else branches. */
  private enableBlocks(): void {
    const en = new Uint8Array(this.decls.length);
    en[0] = 1;
    for (const b of this.blocks) en[b.main] = 1;
    this.enabled = en;
    let changed = true;
    while (changed) {
      changed = false;
      for (const b of this.blocks) {
        if (!en[b.main]) continue;
        if (!en[b.parent] || !this.requiresMet(this.decls[b.main])) {
          en[b.main] = 0;
          changed = true;
        }
      }
    }
    // else branches (and nested blocks under enabled else branches) in order
    for (const b of this.blocks) {
      if (b.els >= 0 && !en[b.main] && en[b.parent]) en[b.els] = 1;
    }
    let n = 0;
    for (const b of this.blocks) if (!en[b.main]) n++;
    this.extra['optional blocks disabled'] = n;
  }

  // ------------------------------------------------------------------ symbols
  private enabledCache: [Stmt, Decl][] | null = null;
  private enabledStmts(): [Stmt, Decl][] {
    // statements in textual order per decl: decls were created in textual order, and that is
    // the order libsepol assigns values in.
    if (this.enabledCache) return this.enabledCache;
    const out: [Stmt, Decl][] = [];
    for (const d of this.decls) if (this.enabled[d.id]) for (const s of d.stmts) out.push([s, d]);
    this.enabledCache = out;
    return out;
  }

  private addType(name: string, isAttr: boolean, s: Stmt): number {
    const prev = this.typeIndex.get(name);
    if (prev !== undefined) {
      if (!!this.typeIsAttrL[prev] !== isAttr) this.err(s, `${name} is already declared as ${this.typeIsAttrL[prev] ? 'an attribute' : 'a type'}`);
      else this.err(s, `duplicate declaration of ${isAttr ? 'attribute' : 'type'} ${name}`);
      return prev;
    }
    if (this.aliases.has(name)) {
      this.err(s, `${name} is already declared as an alias`);
      return this.aliases.get(name)!;
    }
    const id = this.typeNames.length;
    this.typeNames.push(name);
    this.typeIsAttrL.push(isAttr ? 1 : 0);
    this.typeIndex.set(name, id);
    this.attrMembers.push(new Set());
    return id;
  }

  private lookupType(name: string, s: Stmt): number {
    const id = this.typeIndex.get(name) ?? this.aliases.get(name);
    if (id === undefined) {
      this.err(s, `unknown type or attribute ${name}`);
      return -1;
    }
    return id;
  }

  private buildSymbols(): void {
    // commons and classes live in the global block
    for (const s of this.decls[0].stmts) {
      if (s.k === 'common') {
        if (this.commons.has(s.name)) this.err(s, `duplicate common ${s.name}`);
        this.commons.set(s.name, s.perms);
      } else if (s.k === 'class') {
        if (this.classOrder.includes(s.name)) this.err(s, `duplicate declaration of class ${s.name}`);
        this.classOrder.push(s.name);
      } else if (s.k === 'classPerms') {
        if (!this.classOrder.includes(s.name)) this.err(s, `class ${s.name} is not declared (declare it with 'class ${s.name}' first)`);
        else if (this.classDefs.has(s.name)) this.err(s, `duplicate permission definition for class ${s.name}`);
        if (s.common && !this.commons.has(s.common)) this.err(s, `unknown common ${s.common}`);
        this.classDefs.set(s.name, { common: s.common, perms: s.perms });
      }
    }
    for (let i = 0; i < this.classOrder.length; i++) {
      const name = this.classOrder[i];
      const def = this.classDefs.get(name) ?? { perms: [] };
      const perms = [...(def.common ? this.commons.get(def.common) ?? [] : []), ...def.perms];
      if (perms.length > 32) this.err({ line: 1, col: 1 }, `class ${name} has ${perms.length} permissions (the kernel's limit is 32)`);
      const permIndex = new Map<string, number>();
      perms.forEach((p, b) => {
        if (permIndex.has(p)) this.err({ line: 1, col: 1 }, `duplicate permission ${p} in class ${name}`);
        permIndex.set(p, b);
      });
      this.classes.push({ name, value: i + 1, common: def.common, perms, permIndex, fullMask: perms.length >= 32 ? 0xffffffff : (1 << perms.length) - 1 });
      this.classIndex.set(name, i);
    }
    if (this.classOrder.length > 255) this.err({ line: 1, col: 1 }, 'more than 255 classes');

    // types, attributes, bools, roles, users (enabled declarations only)
    for (const [s] of this.enabledStmts()) {
      switch (s.k) {
        case 'type':
          this.addType(s.name, false, s);
          break;
        case 'attribute':
          this.addType(s.name, true, s);
          break;
        case 'bool':
          if (s.tunable) this.tunables.set(s.name, s.value);
          else if (this.boolIndex.has(s.name)) this.err(s, `duplicate declaration of boolean ${s.name}`);
          else {
            this.boolIndex.set(s.name, this.bools.length);
            this.bools.push({ name: s.name, defaultValue: s.value });
          }
          break;
        case 'role':
          if (!this.roles.includes(s.name) && !this.isDeclaredEnabled('roleattr', s.name)) this.roles.push(s.name);
          break;
        case 'user':
          if (!this.users.includes(s.name)) this.users.push(s.name);
          break;
        case 'policycap':
          this.policycaps.add(s.name);
          break;
        case 'sid':
          this.initialSids.push({ name: s.name });
          break;
        case 'sidContext': {
          const is = this.initialSids.find((x) => x.name === s.name);
          if (!is) this.err(s, `initial SID ${s.name} is not declared`);
          else is.context = s.context;
          break;
        }
        default:
          break;
      }
    }
    if (!this.roles.includes('object_r')) this.roles.unshift('object_r');
    // aliases (after all types, as libsepol resolves them against declared types)
    for (const [s] of this.enabledStmts()) {
      if (s.k === 'type') {
        const id = this.typeIndex.get(s.name)!;
        for (const a of s.aliases) this.addAlias(a, id, s);
      } else if (s.k === 'typealias') {
        const id = this.typeIndex.get(s.type) ?? this.aliases.get(s.type);
        if (id === undefined) this.err(s, `unknown type ${s.type} in typealias`);
        else for (const a of s.aliases) this.addAlias(a, id, s);
      }
    }
    this.nT = this.typeNames.length;
    // attribute membership
    for (const [s] of this.enabledStmts()) {
      if (s.k === 'type' || s.k === 'typeattribute') {
        const tname = s.k === 'type' ? s.name : s.type;
        const t = this.lookupType(tname, s);
        if (t < 0) continue;
        if (this.typeIsAttrL[t]) {
          this.err(s, `${tname} is an attribute; attributes cannot be added to attributes in policy.conf`);
          continue;
        }
        for (const a of s.attrs) {
          const ai = this.lookupType(a, s);
          if (ai < 0) continue;
          if (!this.typeIsAttrL[ai]) {
            this.err(s, `${a} is a type, not an attribute`);
            continue;
          }
          this.attrMembers[ai].add(t);
        }
      } else if (s.k === 'expandattribute') {
        for (const a of s.attrs) {
          const ai = this.lookupType(a, s);
          if (ai >= 0 && s.value) this.expandAttr.add(ai);
        }
      } else if (s.k === 'permissive') {
        const t = this.lookupType(s.type, s);
        if (t >= 0) {
          if (this.typeIsAttrL[t]) this.err(s, `permissive ${s.type}: an attribute cannot be permissive`);
          else this.permissive.push(t);
        }
      } else if (s.k === 'bool') {
        // nothing
      }
    }
    // counts of kept-but-not-acted statements
    for (const [s] of this.enabledStmts()) {
      let key: string | null = null;
      switch (s.k) {
        case 'constrain': key = s.kind; break;
        case 'validatetrans': key = s.kind; break;
        case 'ocontext': key = s.kind; break;
        case 'sensitivity': key = 'sensitivity'; break;
        case 'category': key = 'category'; break;
        case 'range_transition': key = 'range_transition'; break;
        case 'role_transition': key = 'role_transition'; break;
        case 'role_allow': key = 'role_allow'; break;
        case 'default': key = s.kind; break;
        case 'typebounds': key = 'typebounds'; break;
        default: break;
      }
      if (key) this.extra[key] = (this.extra[key] ?? 0) + 1;
      if (s.k === 'constrain' || s.k === 'validatetrans') {
        const n = this.classSetIds(s.classes, s).length;
        const k2 = s.k === 'constrain' ? (s.kind === 'constrain' ? 'constraints' : 'mlsconstraints') : s.kind === 'validatetrans' ? 'validatetrans_expanded' : 'mlsvalidatetrans_expanded';
        this.extra[k2] = (this.extra[k2] ?? 0) + n;
      }
    }
    this.countExpandedRbac();
    // mandatory: the kernel needs the handle_unknown check against its classmap
    if (this.opts.handleUnknown === 'reject' && this.opts.kernelClassmap) {
      for (const [cname, perms] of this.opts.kernelClassmap) {
        const ci = this.classIndex.get(cname);
        if (ci === undefined) {
          this.err({ line: 1, col: 1 }, `handle_unknown reject: the kernel class ${cname} is not defined in the policy`);
          continue;
        }
        for (const p of perms) if (!this.classes[ci].permIndex.has(p)) this.err({ line: 1, col: 1 }, `handle_unknown reject: the kernel permission ${cname} ${p} is not defined in the policy`);
      }
    }
  }

  /** Expanded counts as the kernel policy stores them (expand.c expand_range_trans,
   *  copy_role_trans, copy_role_allows): distinct (source type, target type, class) range
   *  transitions, (role, type, class) role transitions and (role, role) role allows, with type and
   *  role attributes expanded; a missing class means `process`. */
  private countExpandedRbac(): void {
    const roleAttrs = new Map<string, Set<string>>();
    for (const [s] of this.enabledStmts()) if (s.k === 'attribute_role') roleAttrs.set(s.name, new Set());
    for (const [s] of this.enabledStmts()) {
      if (s.k === 'roleattribute') for (const a of s.attrs) roleAttrs.get(a)?.add(s.role);
    }
    const allRoles = this.roles;
    const expandRoles = (ns: NameSetAst): string[] => {
      const out = new Set<string>();
      if (ns.star) for (const r of allRoles) out.add(r);
      for (const n of ns.items) {
        const m = roleAttrs.get(n);
        if (m) for (const r of m) out.add(r);
        else out.add(n);
      }
      return ns.comp ? allRoles.filter((r) => !out.has(r)) : [...out];
    };
    const proc = this.classIndex.get('process');
    const rt = new Set<string>();
    const rolet = new Set<string>();
    const ra = new Set<string>();
    for (const [s] of this.enabledStmts()) {
      if (s.k === 'range_transition') {
        const classes = s.classes ? this.classSetIds(s.classes, s) : proc === undefined ? [] : [proc + 1];
        for (const a of this.expandTypeSet(s.src, true, s)) for (const b of this.expandTypeSet(s.tgt, true, s)) for (const c of classes) rt.add(`${a},${b},${c}`);
      } else if (s.k === 'role_transition') {
        const classes = s.classes ? this.classSetIds(s.classes, s) : proc === undefined ? [] : [proc + 1];
        for (const r of expandRoles(s.roles)) for (const t of this.expandTypeSet(s.types, true, s)) for (const c of classes) rolet.add(`${r},${t},${c}`);
      } else if (s.k === 'role_allow') {
        for (const a of expandRoles(s.from)) for (const b of expandRoles(s.to)) ra.add(`${a},${b}`);
      }
    }
    this.extra.range_transition_expanded = rt.size;
    this.extra.role_transition_expanded = rolet.size;
    this.extra.role_allow_expanded = ra.size;
  }

  private addAlias(a: string, id: number, s: Stmt): void {
    if (this.typeIndex.has(a)) {
      this.err(s, `alias ${a} is already declared as a type`);
      return;
    }
    const prev = this.aliases.get(a);
    if (prev !== undefined && prev !== id) this.err(s, `alias ${a} already points to ${this.typeNames[prev]}`);
    this.aliases.set(a, id);
  }

  // ------------------------------------------------------------------ sets
  /** type_set_expand(): returns type ids; attributes kept unless `expand` or the set has -,*,~. */
  private expandTypeSet(ts: TypeSetAst, always: boolean, s: Stmt): number[] {
    const expand = always || ts.neg.length > 0 || ts.star || ts.comp;
    if (!expand && this.expandAttr.size === 0) {
      // common case: names as written (attributes kept), duplicates removed
      const out: number[] = [];
      for (const name of ts.items) {
        const id = this.lookupType(name, s);
        if (id >= 0 && (out.length === 0 || !out.includes(id))) out.push(id);
      }
      return out;
    }
    const types = new Set<number>();
    for (const name of ts.items) {
      const id = this.lookupType(name, s);
      if (id < 0) continue;
      if (this.typeIsAttrL[id] && (expand || this.expandAttr.has(id))) for (const m of this.attrMembers[id]) types.add(m);
      else types.add(id);
    }
    if (!expand) return [...types];
    const neg = new Set<number>();
    for (const name of ts.neg) {
      const id = this.lookupType(name, s);
      if (id < 0) continue;
      if (this.typeIsAttrL[id]) for (const m of this.attrMembers[id]) neg.add(m);
      else neg.add(id);
    }
    const out: number[] = [];
    if (ts.star) {
      for (let i = 0; i < this.nT; i++) if (!neg.has(i) && !this.typeIsAttrL[i]) out.push(i);
      return out;
    }
    const t = new Set<number>();
    for (const x of types) if (!neg.has(x)) t.add(x);
    if (ts.comp) {
      for (let i = 0; i < this.nT; i++) if (!this.typeIsAttrL[i] && !t.has(i)) out.push(i);
      return out;
    }
    return [...t];
  }

  /** Fully expanded set as a bitmap over type ids (for neverallow). */
  private typeBits(ts: TypeSetAst, s: Stmt): Uint8Array {
    const b = new Uint8Array(this.nT);
    for (const t of this.expandTypeSet(ts, true, s)) b[t] = 1;
    return b;
  }

  private classSetIds(cs: NameSetAst, s: Stmt): number[] {
    if (cs.star) {
      if (cs.comp) return [];
      return this.classes.map((c) => c.value);
    }
    const ids: number[] = [];
    for (const n of cs.items) {
      const i = this.classIndex.get(n);
      if (i === undefined) this.err(s, `unknown class ${n}`);
      else if (!ids.includes(i + 1)) ids.push(i + 1);
    }
    if (cs.comp) return this.classes.map((c) => c.value).filter((v) => !ids.includes(v));
    return ids;
  }

  /** Permission mask per class. As checkpolicy 3.4 (define_te_avtab_helper), every named
   *  permission must be defined for every class of the rule. */
  private permMasks(classes: number[], ps: NameSetAst, s: Stmt): number[] {
    const masks: number[] = [];
    for (const c of classes) {
      const ci = this.classes[c - 1];
      let m = 0;
      if (ps.star) m = ci.fullMask;
      else {
        for (const p of ps.items) {
          const b = ci.permIndex.get(p);
          if (b !== undefined) m |= 1 << b;
          else this.err(s, `permission ${p} is not defined for class ${ci.name}`);
        }
      }
      if (ps.comp) m = ~m & ci.fullMask;
      masks.push(m >>> 0);
    }
    return masks;
  }

  // ------------------------------------------------------------------ rules
  private condFor(expr: CondTok[]): { node: number; swap: boolean } | 'tunable-true' | 'tunable-false' | null {
    let hasBool = false;
    let hasTun = false;
    for (const t of expr) {
      if (t.op !== 'bool') continue;
      if (this.boolIndex.has(t.name)) hasBool = true;
      else if (this.tunables.has(t.name)) hasTun = true;
      else return null;
    }
    if (hasTun && !hasBool) {
      const idx = new Map<string, number>();
      const vals: boolean[] = [];
      for (const [k, v] of this.tunables) {
        idx.set(k, vals.length);
        vals.push(v);
      }
      return evalCond(expr, idx, vals) ? 'tunable-true' : 'tunable-false';
    }
    // a boolean mixed with tunables: the tunables are treated as booleans (libsepol keeps them)
    for (const t of expr) {
      if (t.op === 'bool' && !this.boolIndex.has(t.name)) {
        this.boolIndex.set(t.name, this.bools.length);
        this.bools.push({ name: t.name, defaultValue: this.tunables.get(t.name)! });
        this.tunables.delete(t.name);
      }
    }
    const n = this.normalizeCond(expr);
    let node = this.condKey.get(n.key);
    if (node === undefined) node = this.createCondNode(n);
    return { node, swap: n.swap };
  }

  /** cond_normalize_expr(): strip a trailing `not` (swapping the branches), collect the booleans in
   *  order of appearance, and for at most COND_MAX_BOOLS (5) of them precompute the truth table
   *  (bit `test` set when the expression is true with bool_ids[j] = bit j of test). cond_expr_equal()
   *  then treats two conditionals as one when they use the same set of booleans and have the same
   *  table (even if the booleans appear in another order), else compares the expressions. */
  private normalizeCond(expr: CondTok[]): { expr: CondTok[]; swap: boolean; key: string } {
    let e = expr;
    let swap = false;
    if (e.length > 1 && e[e.length - 1].op === 'not') {
      e = e.slice(0, -1);
      swap = true;
    }
    const ids: string[] = [];
    for (const t of e) if (t.op === 'bool' && !ids.includes(t.name)) ids.push(t.name);
    let key: string;
    if (ids.length <= 5) {
      const idx = new Map<string, number>(ids.map((b, i) => [b, i]));
      let table = 0;
      const vals = new Array<boolean>(ids.length);
      for (let test = 0; test < 1 << ids.length; test++) {
        for (let j = 0; j < ids.length; j++) vals[j] = (test & (1 << j)) !== 0;
        if (evalCond(e, idx, vals)) table = (table | (1 << test)) >>> 0;
      }
      key = `P|${[...ids].sort().join(',')}|${table}`;
    } else key = 'E|' + e.map((t) => (t.op === 'bool' ? t.name : '@' + t.op)).join(' ');
    return { expr: e, swap, key };
  }

  private createCondNode(n: { expr: CondTok[]; key: string }): number {
    const node = this.condNodes.length;
    this.condKey.set(n.key, node);
    const bools: number[] = [];
    for (const t of n.expr) if (t.op === 'bool' && !bools.includes(this.boolIndex.get(t.name)!)) bools.push(this.boolIndex.get(t.name)!);
    this.condNodes.push({ expr: n.expr, exprText: condExprText(n.expr), bools });
    this.condTabs.push(new Map(), new Map());
    return node;
  }

  /** The kernel policy's conditional nodes in libsepol's creation order, which decides whose
   *  expression text a merged node keeps: per block (global first), the block's distinct
   *  conditionals (first occurrence kept, get_decl_cond_list) visited last to first
   *  (expand.c cond_node_copy "copy the nodes in *reverse* order"). */
  private createCondNodes(): void {
    let decl: Decl | null = null;
    let group: { expr: CondTok[]; key: string }[] = [];
    const flush = (): void => {
      for (let i = group.length - 1; i >= 0; i--) if (!this.condKey.has(group[i].key)) this.createCondNode(group[i]);
      group = [];
    };
    for (const [s, d] of this.enabledStmts()) {
      if (d !== decl) {
        flush();
        decl = d;
      }
      if (s.k !== 'if') continue;
      let ok = true;
      let hasBool = false;
      for (const t of s.expr) {
        if (t.op !== 'bool') continue;
        if (this.boolIndex.has(t.name)) hasBool = true;
        else ok = false; // tunables (folded, or mixed: condFor converts them) and unknown names
      }
      if (!ok || !hasBool) continue;
      const n = this.normalizeCond(s.expr);
      if (!group.some((g) => g.key === n.key)) group.push(n);
    }
    flush();
  }

  private buildRules(): void {
    this.createCondNodes();
    for (const [s] of this.enabledStmts()) {
      if (s.k === 'if') {
        const c = this.condFor(s.expr);
        if (c === null) {
          const missing = s.expr.find((t) => t.op === 'bool' && !this.boolIndex.has(t.name) && !this.tunables.has(t.name));
          this.err(s, `unknown boolean ${missing && missing.op === 'bool' ? missing.name : '?'} in conditional expression`);
          continue;
        }
        if (c === 'tunable-true' || c === 'tunable-false') {
          for (const x of c === 'tunable-true' ? s.then : s.else) this.rule(x, -1);
          continue;
        }
        const tb = c.node * 2 + (c.swap ? 1 : 0);
        const fb = c.node * 2 + (c.swap ? 0 : 1);
        for (const x of s.then) this.rule(x, tb);
        for (const x of s.else) this.rule(x, fb);
      } else this.rule(s, -1);
    }
  }

  private rule(s: Stmt, cond: number): void {
    switch (s.k) {
      case 'avrule':
        return this.avrule(s, cond);
      case 'typerule':
        return this.typerule(s, cond);
      case 'xpermrule':
        return this.xpermrule(s, cond);
      default:
        return;
    }
  }

  private avrule(s: Extract<Stmt, { k: 'avrule' }>, cond: number): void {
    const classes = this.classSetIds(s.classes, s);
    const masks = this.permMasks(classes, s.perms, s);
    if (s.kind === 'neverallow') {
      const cp = new Map<number, number>();
      classes.forEach((c, i) => {
        if (masks[i]) cp.set(c, masks[i]);
      });
      this.neverallows.push({
        kind: 'neverallow', src: this.typeBits(s.src, s), tgt: this.typeBits(s.tgt, s), self: s.tgt.self, classPerms: cp,
        line: s.line, srcFile: s.srcFile, srcLine: s.srcLine,
        text: `neverallow ${typeSetText(s.src)} ${typeSetText(s.tgt)}:${nameSetText(s.classes)} ${nameSetText(s.perms)};`,
      });
      return;
    }
    const kind = s.kind === 'allow' ? K_ALLOW : s.kind === 'auditallow' ? K_AUDITALLOW : K_DONTAUDIT;
    const always = s.tgt.self;
    const st = this.expandTypeSet(s.src, always, s);
    const tt = this.expandTypeSet(s.tgt, always, s);
    const tab = cond < 0 ? this.avtab : this.condTabs[cond];
    const n = this.nT;
    // auditdeny (old syntax) lists the permissions to audit: store its complement as dontaudit
    const inv = s.kind === 'auditdeny';
    for (const a of st) {
      if (s.tgt.self) this.put(tab, ((a * n + a) * 256) * KINDS, classes, masks, kind, inv);
      for (const b of tt) this.put(tab, ((a * n + b) * 256) * KINDS, classes, masks, kind, inv);
    }
  }

  private put(tab: Map<number, number>, base: number, classes: number[], masks: number[], kind: number, inv: boolean): void {
    for (let i = 0; i < classes.length; i++) {
      const key = base + classes[i] * KINDS + kind;
      const m = inv ? ~masks[i] & this.classes[classes[i] - 1].fullMask : masks[i];
      const old = tab.get(key);
      tab.set(key, old === undefined ? m >>> 0 : (old | m) >>> 0);
    }
  }

  private typerule(s: Extract<Stmt, { k: 'typerule' }>, cond: number): void {
    const classes = this.classSetIds(s.classes, s);
    const nt = this.lookupType(s.newType, s);
    if (nt < 0) return;
    if (this.typeIsAttrL[nt]) {
      this.err(s, `${s.newType} is an attribute; the new type of a ${s.kind} must be a type`);
      return;
    }
    const st = this.expandTypeSet(s.src, true, s);
    const tt = this.expandTypeSet(s.tgt, true, s);
    const n = this.nT;
    if (s.objName !== undefined) {
      if (cond >= 0) {
        this.err(s, 'a type_transition with an object name is not allowed inside a conditional');
        return;
      }
      for (const a of st) {
        const targets = s.tgt.self ? [...tt, a] : tt;
        for (const b of targets) {
          for (const c of classes) {
            const key = `${a + 1},${b + 1},${c},${s.objName}`;
            const old = this.filenameTrans.get(key);
            if (old !== undefined && old !== nt + 1) {
              this.err(s, `conflicting name-based type_transition ${this.typeNames[a]} ${this.typeNames[b]}:${this.classes[c - 1].name} "${s.objName}":  ${this.typeNames[old - 1]} vs ${s.newType}`);
            }
            this.filenameTrans.set(key, nt + 1);
          }
        }
      }
      return;
    }
    const kind = s.kind === 'type_transition' ? K_TRANSITION : s.kind === 'type_member' ? K_MEMBER : K_CHANGE;
    const tab = cond < 0 ? this.avtab : this.condTabs[cond];
    for (const a of st) {
      const targets = s.tgt.self ? [a, ...tt] : tt;
      for (const b of targets) {
        for (const c of classes) {
          const key = avKey(a, b, c, kind, n);
          // expand_terule_helper: conflict with the unconditional table or another conditional
          const u = this.avtab.get(key);
          let other: number | undefined;
          if (u !== undefined) other = u;
          else if (cond >= 0) {
            for (let k = 0; k < this.condTabs.length; k++) {
              if (k === cond || k === (cond ^ 1)) continue;
              const v = this.condTabs[k].get(key);
              if (v !== undefined) {
                other = v;
                break;
              }
            }
          }
          const own = tab.get(key);
          if (own !== undefined) {
            if (own !== nt + 1) this.err(s, `conflicting TE rule for (${this.typeNames[a]}, ${this.typeNames[b]}:${this.classes[c - 1].name}):  old was ${this.typeNames[own - 1]}, new is ${s.newType}`);
            continue;
          }
          if (other !== undefined) {
            if (other === nt + 1 && cond < 0) continue;
            this.err(s, other === nt + 1
              ? `duplicate TE rule for ${this.typeNames[a]} ${this.typeNames[b]}:${this.classes[c - 1].name} ${s.newType}`
              : `conflicting TE rule for (${this.typeNames[a]}, ${this.typeNames[b]}:${this.classes[c - 1].name}):  old was ${this.typeNames[other - 1]}, new is ${s.newType}`);
            continue;
          }
          tab.set(key, nt + 1);
        }
      }
    }
  }

  private xpermrule(s: Extract<Stmt, { k: 'xpermrule' }>, cond: number): void {
    const classes = this.classSetIds(s.classes, s);
    // 65536-bit set of ioctl numbers
    const all = new Uint32Array(2048);
    for (const [lo, hi] of s.ranges) for (let v = lo; v <= hi; v++) all[v >>> 5] |= 1 << (v & 31);
    if (s.comp) for (let i = 0; i < all.length; i++) all[i] = ~all[i] >>> 0;
    // split as checkpolicy does: complete drivers -> one IOCTLDRIVER rule; partial -> IOCTLFUNCTION per driver
    const drivers = new Uint32Array(8);
    const partial: [number, Uint32Array][] = [];
    for (let d = 0; d < 256; d++) {
      const w = all.subarray(d * 8, d * 8 + 8);
      let full = true;
      let any = false;
      for (let i = 0; i < 8; i++) {
        if (w[i] !== 0xffffffff) full = false;
        if (w[i] !== 0) any = true;
      }
      if (full) drivers[d >>> 5] |= 1 << (d & 31);
      else if (any) partial.push([d, Uint32Array.from(w)]);
    }
    if (s.kind === 'neverallowxperm') {
      const cp = new Map<number, number>();
      for (const c of classes) {
        const b = this.classes[c - 1].permIndex.get('ioctl');
        if (b !== undefined) cp.set(c, 1 << b);
      }
      this.neverallows.push({
        kind: 'neverallowxperm', src: this.typeBits(s.src, s), tgt: this.typeBits(s.tgt, s), self: s.tgt.self, classPerms: cp,
        ranges: s.ranges, xcomp: s.comp, line: s.line, srcFile: s.srcFile, srcLine: s.srcLine,
        text: `neverallowxperm ${typeSetText(s.src)} ${typeSetText(s.tgt)}:${nameSetText(s.classes)} ${s.operation} ${s.comp ? '~' : ''}{ ${s.ranges.map(([lo, hi]) => (lo === hi ? hex4(lo) : `${hex4(lo)}-${hex4(hi)}`)).join(' ')} };`,
      });
      return;
    }
    const kind = s.kind === 'allowxperm' ? 0 : s.kind === 'auditallowxperm' ? 1 : 2;
    const st = this.expandTypeSet(s.src, s.tgt.self, s);
    const tt = this.expandTypeSet(s.tgt, s.tgt.self, s);
    const add = (a: number, b: number, c: number, specified: 'driver' | 'function', driver: number, bits: Uint32Array): void => {
      const ex = this.xperms.find((x) => x.src === a + 1 && x.tgt === b + 1 && x.cls === c && x.kind === kind && x.specified === specified && x.driver === driver && x.cond === cond);
      if (ex) for (let i = 0; i < 8; i++) ex.bits[i] |= bits[i];
      else this.xperms.push({ src: a + 1, tgt: b + 1, cls: c, kind, specified, driver, bits: Uint32Array.from(bits), cond });
    };
    const anyDriver = drivers.some((w) => w !== 0);
    for (const a of st) {
      const targets = s.tgt.self ? [a, ...tt] : tt;
      for (const b of targets) {
        for (const c of classes) {
          if (anyDriver) add(a, b, c, 'driver', 0, drivers);
          for (const [d, w] of partial) add(a, b, c, 'function', d, w);
        }
      }
    }
  }

  // ------------------------------------------------------------------ neverallow
  private members(id: number): Iterable<number> {
    return this.typeIsAttrL[id] ? this.attrMembers[id] : [id];
  }

  private checkNeverallows(): void {
    if (!this.neverallows.length) return;
    const n = this.nT;
    // allow entries (unconditional and every conditional branch) grouped by class
    const byClass = new Map<number, number[]>(); // flat [a, b, mask, ...]
    const scan = (tab: Map<number, number>): void => {
      for (const [key, mask] of tab) {
        if (key % KINDS !== K_ALLOW) continue;
        const base = (key - K_ALLOW) / KINDS;
        const c = base % 256;
        const st = (base - c) / 256;
        let l = byClass.get(c);
        if (!l) byClass.set(c, (l = []));
        l.push(Math.floor(st / n), st % n, mask);
      }
    };
    scan(this.avtab);
    for (const t of this.condTabs) scan(t);
    const entries: [number, number, number, number][] = [];
    for (const [c, l] of byClass) for (let i = 0; i < l.length; i += 3) entries.push([l[i], l[i + 1], c, l[i + 2]]);
    const max = this.opts.maxErrors ?? 100;
    for (const na of this.neverallows) {
      // libsepol report_failure(): "neverallow on line %lu of %s (or line %lu of %s) violated by allow ..."
      const label = `line ${na.srcLine ?? na.line} of ${na.srcFile ?? this.ast.fileName} (or line ${na.line} of ${this.ast.fileName})`;
      if (na.kind === 'neverallow') {
        for (const [c, np] of na.classPerms) {
          const l = byClass.get(c);
          if (!l) continue;
          for (let i = 0; i < l.length; i += 3) {
            const mask = l[i + 2];
            if (!(np & mask)) continue;
            const ss: number[] = [];
            for (const x of this.members(l[i])) if (na.src[x]) ss.push(x);
            if (!ss.length) continue;
            const bm = this.members(l[i + 1]);
            const tt: number[] = [];
            for (const x of bm) if (na.tgt[x]) tt.push(x);
            const bset = na.self ? new Set(bm) : null;
            for (const s of ss) {
              const targets = bset && bset.has(s) && !na.tgt[s] ? [...tt, s].sort((x, y) => x - y) : tt;
              for (const t of targets) {
                if (this.violations.length >= max) return;
                this.violations.push(`neverallow on ${label} violated by allow ${this.typeNames[s]} ${this.typeNames[t]}:${this.classes[c - 1].name} { ${this.permNamesOf(c, np & mask).join(' ')} };`);
              }
            }
          }
        }
      } else {
        // neverallowxperm: an allow of ioctl whose allowed ioctl numbers meet the forbidden set
        const forbidden = new Uint32Array(2048);
        for (const [lo, hi] of na.ranges ?? []) for (let v = lo; v <= hi; v++) forbidden[v >>> 5] |= 1 << (v & 31);
        if (na.xcomp) for (let i = 0; i < forbidden.length; i++) forbidden[i] = ~forbidden[i] >>> 0;
        for (const [a, b, c, mask] of entries) {
          const np = na.classPerms.get(c);
          if (!np || !(np & mask)) continue;
          for (const s of this.members(a)) {
            if (!na.src[s]) continue;
            for (const t of this.members(b)) {
              if (na.self ? t !== s && !na.tgt[t] : !na.tgt[t]) continue;
              const allowed = this.allowedIoctls(s, t, c);
              let hit = -1;
              for (let i = 0; i < 2048 && hit < 0; i++) {
                const x = allowed[i] & forbidden[i];
                if (x) hit = i * 32 + (31 - Math.clz32(x & -x));
              }
              if (hit < 0) continue;
              if (this.violations.length >= max) return;
              this.violations.push(`neverallowxperm on ${label} violated by allowxperm ${this.typeNames[s]} ${this.typeNames[t]}:${this.classes[c - 1].name} ioctl { 0x${hit.toString(16)} };`);
            }
          }
        }
      }
    }
  }

  /** ioctl numbers allowed from s to t (types) in class c: all, when no allowxperm applies. */
  private allowedIoctls(s: number, t: number, c: number): Uint32Array {
    const out = new Uint32Array(2048);
    let any = false;
    for (const x of this.xperms) {
      if (x.kind !== 0 || x.cls !== c) continue;
      if (!this.inSet(s, x.src - 1) || !this.inSet(t, x.tgt - 1)) continue;
      any = true;
      if (x.specified === 'driver') {
        for (let d = 0; d < 256; d++) if (x.bits[d >>> 5] & (1 << (d & 31))) out.fill(0xffffffff, d * 8, d * 8 + 8);
      } else for (let i = 0; i < 8; i++) out[x.driver * 8 + i] |= x.bits[i];
    }
    if (!any) out.fill(0xffffffff);
    return out;
  }

  private inSet(t: number, id: number): boolean {
    return t === id || (!!this.typeIsAttrL[id] && this.attrMembers[id].has(t));
  }

  private permNamesOf(c: number, mask: number): string[] {
    const ci = this.classes[c - 1];
    const out: string[] = [];
    for (let b = 0; b < ci.perms.length; b++) if (mask & (1 << b)) out.push(ci.perms[b]);
    return out;
  }

  // ------------------------------------------------------------------ output
  private finish(): Policy {
    const n = this.nT;
    const typeAttrs: Int32Array[] = [];
    const attrTypes: Int32Array[] = [];
    const perType: number[][] = [];
    for (let i = 0; i < n; i++) perType.push([i]);
    for (let a = 0; a < n; a++) {
      if (!this.typeIsAttrL[a]) {
        attrTypes.push(Int32Array.of(a));
        continue;
      }
      const mem = [...this.attrMembers[a]].sort((x, y) => x - y);
      attrTypes.push(Int32Array.from(mem));
      // attributes expanded by expandattribute are removed from the type_attr_map (expand.c type_attr_map)
      if (!this.expandAttr.has(a)) for (const t of mem) perType[t].push(a);
    }
    for (let i = 0; i < n; i++) typeAttrs.push(Int32Array.from(perType[i].sort((x, y) => x - y)));
    const condIndex = new Map<number, number[]>();
    this.condTabs.forEach((tab, nb) => {
      for (const key of tab.keys()) {
        const l = condIndex.get(key);
        if (l) l.push(nb);
        else condIndex.set(key, [nb]);
      }
    });
    const permissive = new Uint8Array(n);
    for (const t of this.permissive) permissive[t] = 1;
    const initialSids: InitialSid[] = this.initialSids.map((x) => ({ ...x }));
    return new Policy(
      this.opts.name ?? this.ast.fileName,
      this.ast.mls,
      this.opts.handleUnknown ?? 'deny',
      this.typeNames,
      Uint8Array.from(this.typeIsAttrL),
      this.typeIndex,
      this.aliases,
      typeAttrs,
      attrTypes,
      this.classes,
      this.classIndex,
      this.commons,
      this.avtab,
      this.condNodes,
      this.condTabs,
      condIndex,
      this.xperms,
      this.filenameTrans,
      this.bools,
      this.boolIndex,
      permissive,
      this.policycaps,
      this.neverallows,
      this.roles,
      this.users,
      initialSids,
      { ...this.extra, tunables: this.tunables.size },
    );
  }
}
