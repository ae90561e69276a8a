// Property: on random small policies and random operation sequences, the compiled policy + AVC
// decide exactly like a naive reference that scans the source rules for every query (no avtab,
// no attribute-keyed entries, no cache). Covers attributes, -, *, ~, self, conditionals with
// else branches, dontaudit/auditallow, permissive types, global enforcing and the
// "logged once until flushed" permissive grants.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Avc, type AvcEvent } from '../../../src/security/selinux/avc.js';
import { parsePolicy } from '../../../src/security/selinux/parser.js';
import { compilePolicy } from '../../../src/security/selinux/compile.js';
import { formatError } from '../../../src/security/selinux/ast.js';

const TYPES = ['t0', 't1', 't2', 't3', 't4'];
const ATTRS = ['a0', 'a1', 'a2'];
const BOOLS = ['b0', 'b1'];
const CLASSES: Record<string, string[]> = { file: ['read', 'write', 'execute', 'map'], process: ['execmem', 'fork', 'signal'] };

interface TSet { items: string[]; neg: string[]; star: boolean; comp: boolean; self: boolean }
interface Rule { kind: 'allow' | 'auditallow' | 'dontaudit'; src: TSet; tgt: TSet; cls: string; perms: string[] | '*'; permComp: boolean; cond: null | { expr: string; fn: (b: boolean[]) => boolean; branch: boolean } }

const name = fc.constantFrom(...TYPES, ...ATTRS);
const tset = (allowSelf: boolean): fc.Arbitrary<TSet> =>
  fc
    .record({
      form: fc.constantFrom('list', 'list', 'list', 'star', 'comp'),
      items: fc.array(name, { minLength: 1, maxLength: 3 }),
      neg: fc.oneof(fc.constant([] as string[]), fc.array(name, { maxLength: 2 })),
      self: allowSelf ? fc.boolean() : fc.constant(false),
    })
    .map((s) => ({ items: s.items, neg: s.neg, star: s.form === 'star', comp: s.form === 'comp', self: s.self }));

const CONDS: { expr: string; fn: (b: boolean[]) => boolean }[] = [
  { expr: 'b0', fn: (b) => b[0] },
  { expr: '!b1', fn: (b) => !b[1] },
  { expr: 'b0 && b1', fn: (b) => b[0] && b[1] },
  { expr: 'b0 || !b1', fn: (b) => b[0] || !b[1] },
];

const rule: fc.Arbitrary<Rule> = fc
  .record({
    kind: fc.constantFrom('allow', 'allow', 'auditallow', 'dontaudit') as fc.Arbitrary<Rule['kind']>,
    src: tset(false),
    tgt: tset(true),
    cls: fc.constantFrom('file', 'process'),
    permPick: fc.array(fc.nat(2), { minLength: 1, maxLength: 3 }),
    star: fc.boolean(),
    permComp: fc.boolean(),
    cond: fc.option(fc.record({ c: fc.nat(CONDS.length - 1), branch: fc.boolean() }), { nil: null }),
  })
  .map((r) => ({
    kind: r.kind,
    src: r.src,
    tgt: r.tgt,
    cls: r.cls,
    perms: r.star && !r.permComp ? '*' : [...new Set(r.permPick.map((i) => CLASSES[r.cls][i]))],
    permComp: r.permComp,
    cond: r.cond ? { ...CONDS[r.cond.c], branch: r.cond.branch } : null,
  }));

const policyArb = fc.record({
  members: fc.array(fc.array(fc.constantFrom(...TYPES), { maxLength: 4 }), { minLength: 3, maxLength: 3 }),
  rules: fc.array(rule, { minLength: 1, maxLength: 12 }),
  permissive: fc.array(fc.constantFrom(...TYPES), { maxLength: 2 }),
  boolDefaults: fc.tuple(fc.boolean(), fc.boolean()),
});

type Op = { op: 'q'; s: number; t: number; cls: string; perms: number[] } | { op: 'bool'; b: number; v: boolean } | { op: 'enforce'; v: boolean };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('q' as const), s: fc.nat(4), t: fc.nat(4), cls: fc.constantFrom('file', 'process'), perms: fc.array(fc.nat(2), { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bool' as const), b: fc.nat(1), v: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('enforce' as const), v: fc.boolean() }) },
);

function setText(s: TSet): string {
  if (s.star) return s.neg.length || s.self ? `{ * ${[...s.neg.map((n) => '-' + n), ...(s.self ? ['self'] : [])].join(' ')} }` : '*';
  const parts = [...s.items, ...s.neg.map((n) => '-' + n), ...(s.self ? ['self'] : [])];
  const body = parts.length === 1 ? parts[0] : `{ ${parts.join(' ')} }`;
  return s.comp ? `~${parts.length === 1 ? `{ ${body} }` : body}` : body;
}

function policyText(p: { members: string[][]; rules: Rule[]; permissive: string[]; boolDefaults: [boolean, boolean] }): string {
  let t = 'class file\nclass process\nsid kernel\n';
  t += `class file { ${CLASSES.file.join(' ')} }\nclass process { ${CLASSES.process.join(' ')} }\n`;
  for (const a of ATTRS) t += `attribute ${a};\n`;
  for (const ty of TYPES) t += `type ${ty};\n`;
  p.members.forEach((m, i) => {
    for (const ty of new Set(m)) t += `typeattribute ${ty} ${ATTRS[i]};\n`;
  });
  BOOLS.forEach((b, i) => (t += `bool ${b} ${p.boolDefaults[i]};\n`));
  for (const r of p.rules) {
    const perms = r.perms === '*' ? '*' : `${r.permComp ? '~' : ''}{ ${r.perms.join(' ')} }`;
    const line = `${r.kind} ${setText(r.src)} ${setText(r.tgt)}:${r.cls} ${perms};`;
    if (!r.cond) t += line + '\n';
    else t += r.cond.branch ? `if (${r.cond.expr}) { ${line} }\n` : `if (${r.cond.expr}) { } else { ${line} }\n`;
  }
  for (const ty of new Set(p.permissive)) t += `permissive ${ty};\n`;
  t += `role r;\nrole r types { ${TYPES.join(' ')} };\nuser u roles { r };\nsid kernel u:r:t0\n`;
  return t;
}

/** Naive reference: scan the rules for every query. */
class Naive {
  members: Map<string, Set<string>>;
  bools: boolean[];
  enforcing = true;
  grants = new Map<string, Set<string>>();
  constructor(readonly p: { members: string[][]; rules: Rule[]; permissive: string[]; boolDefaults: [boolean, boolean] }) {
    this.members = new Map(ATTRS.map((a, i) => [a, new Set(p.members[i])]));
    this.bools = [...p.boolDefaults];
  }
  expand(n: string): Set<string> {
    return this.members.get(n) ?? new Set([n]);
  }
  inSet(s: TSet, t: string, src: string): boolean {
    if (s.self && t === src) return true;
    const neg = new Set<string>();
    for (const n of s.neg) for (const x of this.expand(n)) neg.add(x);
    if (s.star) return !neg.has(t);
    let inc = false;
    for (const n of s.items) if (this.expand(n).has(t)) inc = true;
    inc = inc && !neg.has(t);
    return s.comp ? !inc : inc;
  }
  rulePerms(r: Rule): Set<string> {
    const all = CLASSES[r.cls];
    if (r.perms === '*') return new Set(all);
    const listed = new Set(r.perms);
    return new Set(r.permComp ? all.filter((x) => !listed.has(x)) : [...listed]);
  }
  decide(s: string, t: string, cls: string, req: string[]): { rc: number; audited: string[]; denied: boolean } {
    const allowed = new Set<string>();
    const auditallow = new Set<string>();
    const dontaudit = new Set<string>();
    for (const r of this.p.rules) {
      if (r.cls !== cls) continue;
      if (r.cond && r.cond.fn(this.bools) !== r.cond.branch) continue;
      if (!this.inSet({ ...r.src, self: false }, s, s)) continue;
      if (!this.inSet(r.tgt, t, s)) continue;
      const ps = this.rulePerms(r);
      for (const x of ps) (r.kind === 'allow' ? allowed : r.kind === 'auditallow' ? auditallow : dontaudit).add(x);
    }
    const key = `${s},${t},${cls}`;
    for (const g of this.grants.get(key) ?? []) allowed.add(g);
    const denied = req.filter((x) => !allowed.has(x));
    if (denied.length) {
      const perm = this.p.permissive.includes(s);
      const rc = this.enforcing && !perm ? -13 : 0;
      if (rc === 0) {
        const g = this.grants.get(key) ?? new Set<string>();
        for (const x of req) g.add(x);
        this.grants.set(key, g);
      }
      return { rc, audited: denied.filter((x) => !dontaudit.has(x)), denied: true };
    }
    return { rc: 0, audited: req.filter((x) => auditallow.has(x)), denied: false };
  }
}

describe('AVC vs a naive rule-scanning reference (fast-check)', () => {
  it('decides and audits identically on random policies and operation sequences', () => {
    fc.assert(
      fc.property(policyArb, fc.array(opArb, { minLength: 1, maxLength: 25 }), (p, ops) => {
        const text = policyText(p);
        const parsed = parsePolicy(text, 'rand.conf');
        if (parsed.errors.length) throw new Error(parsed.errors.map(formatError).join('\n') + '\n' + text);
        const policy = compilePolicy(parsed.ast);
        const events: AvcEvent[] = [];
        const avc = new Avc(policy, { enforcing: true, sink: (e) => events.push(e) });
        const naive = new Naive(p);
        for (const o of ops) {
          if (o.op === 'bool') {
            avc.setBoolean(BOOLS[o.b], o.v);
            naive.bools[o.b] = o.v;
            naive.grants.clear();
          } else if (o.op === 'enforce') {
            if (o.v && !naive.enforcing) naive.grants.clear();
            naive.enforcing = o.v;
            avc.setEnforcing(o.v);
          } else {
            const req = [...new Set(o.perms.map((i) => CLASSES[o.cls][i]))];
            const s = avc.sids.sid(`u:r:${TYPES[o.s]}`);
            const t = avc.sids.sid(`u:r:${TYPES[o.t]}`);
            const rc = avc.hasPerm(s, t, o.cls, req, { type: 'NONE', pid: 1, comm: 'x' });
            const want = naive.decide(TYPES[o.s], TYPES[o.t], o.cls, req);
            const e = events[events.length - 1];
            const got = { rc, denied: e.denied, audited: e.audited ? [...e.perms].sort() : [] };
            expect(got).toEqual({ rc: want.rc, denied: want.denied, audited: [...want.audited].sort() });
          }
        }
      }),
      { numRuns: 300, seed: 20190517 },
    );
  });
});
