// sesearch- and seinfo-like views of a compiled Policy (setools 4.4: sesearch.1, seinfo.1,
// setools/terulequery.py). Rules are the avtab entries, printed in setools' format:
//   allow SRC TGT:CLASS perm;            (one permission)
//   allow SRC TGT:CLASS { p1 p2 };       (several, sorted)
//   allow SRC TGT:CLASS { ... }; [ expr ]:True   (conditional; branch True or False)
// Source/target criteria match with sesearch's default indirect semantics: both the rule's
// type-or-attribute and the criterion are expanded to their types, and any overlap matches.
import { Policy, KINDS, K_ALLOW, K_AUDITALLOW, K_DONTAUDIT, K_TRANSITION, K_MEMBER, K_CHANGE } from './policy.js';

export type RuleKind =
  | 'allow' | 'auditallow' | 'dontaudit' | 'neverallow'
  | 'type_transition' | 'type_change' | 'type_member'
  | 'allowxperm' | 'auditallowxperm' | 'dontauditxperm';

export interface PolicyQuery {
  source?: string;
  target?: string;
  /** one class or several */
  class?: string | string[];
  /** any of these permissions (sesearch -p) */
  perms?: string[];
  /** require exactly these permissions (sesearch -ep) */
  permsEqual?: boolean;
  /** rule kinds; default allow (sesearch -A) */
  ruleKinds?: RuleKind[];
  /** only rules in conditionals that use this boolean (sesearch -b) */
  boolean?: string;
  /** no attribute expansion of source/target (sesearch -ds / -dt) */
  sourceDirect?: boolean;
  targetDirect?: boolean;
}

export interface QueryRule {
  kind: RuleKind;
  source: string;
  target: string;
  class: string;
  perms: string[];
  /** type rules: the new type; type_transition with a name: objName */
  newType?: string;
  objName?: string;
  conditional?: string;
  branch?: boolean;
  /** the rule exactly as sesearch prints it */
  text: string;
}

const KIND_CODE: Record<string, number> = {
  allow: K_ALLOW, auditallow: K_AUDITALLOW, dontaudit: K_DONTAUDIT,
  type_transition: K_TRANSITION, type_member: K_MEMBER, type_change: K_CHANGE,
};
const CODE_KIND = ['allow', 'auditallow', 'dontaudit', 'type_transition', 'type_member', 'type_change'] as const;

export class QueryError extends Error {}

function expandName(p: Policy, name: string, direct: boolean): Set<number> | null {
  const id = p.typeId(name);
  if (!id) throw new QueryError(`unknown type or attribute ${name}`);
  const s = new Set<number>();
  if (direct) s.add(id - 1);
  else for (const t of p.attrTypes[id - 1]) s.add(t);
  return s;
}

/** The rule keys (types or attributes) whose expansion meets `crit` (a set of types): a type
 *  matches itself and every attribute in its type_attr_map. Same result as expanding each rule's
 *  source and intersecting, as setools' match_indirect_regex does, without the per-rule expansion. */
function matchSet(p: Policy, crit: Set<number> | null, direct: boolean): Set<number> | null {
  if (!crit || direct) return crit;
  const out = new Set<number>();
  for (const t of crit) for (const a of p.typeAttrs[t]) out.add(a);
  return out;
}

function overlaps(_p: Policy, ruleType: number, m: Set<number> | null, _direct: boolean): boolean {
  return !m || m.has(ruleType);
}

export function permsText(perms: string[]): string {
  const s = [...perms].sort();
  return s.length === 1 ? s[0] : `{ ${s.join(' ')} }`;
}

function ioctlText(bits: number[]): string {
  // ranges of consecutive numbers, as setools prints them
  const parts: string[] = [];
  let i = 0;
  const hex = (v: number): string => '0x' + v.toString(16).padStart(4, '0');
  while (i < bits.length) {
    let j = i;
    while (j + 1 < bits.length && bits[j + 1] === bits[j] + 1) j++;
    parts.push(i === j ? hex(bits[i]) : `${hex(bits[i])}-${hex(bits[j])}`);
    i = j + 1;
  }
  return parts.length === 1 ? parts[0] : `{ ${parts.join(' ')} }`;
}

/** sesearch-like query. Throws QueryError for unknown names. */
export function queryPolicy(p: Policy, q: PolicyQuery): QueryRule[] {
  const kinds = q.ruleKinds?.length ? q.ruleKinds : (['allow'] as RuleKind[]);
  const sNames = q.source ? expandName(p, q.source, !!q.sourceDirect) : null;
  const tNames = q.target ? expandName(p, q.target, !!q.targetDirect) : null;
  const sCrit = matchSet(p, sNames, !!q.sourceDirect);
  const tCrit = matchSet(p, tNames, !!q.targetDirect);
  const classList = q.class === undefined ? null : Array.isArray(q.class) ? q.class : [q.class];
  let classes: Set<number> | null = null;
  if (classList) {
    classes = new Set();
    for (const c of classList) {
      const id = p.classId(c);
      if (!id) throw new QueryError(`unknown class ${c}`);
      classes.add(id);
    }
  }
  let boolId = -1;
  if (q.boolean !== undefined) {
    const b = p.boolIndex.get(q.boolean);
    if (b === undefined) throw new QueryError(`unknown boolean ${q.boolean}`);
    boolId = b;
  }
  if (q.perms?.length) {
    const known = new Set<string>();
    for (const c of p.classes) if (!classes || classes.has(c.value)) for (const x of c.perms) known.add(x);
    for (const x of q.perms) if (!known.has(x)) throw new QueryError(`unknown permission ${x}${classList ? ` for class ${classList.join(', ')}` : ''}`);
  }
  const kindCodes = new Set<number>();
  for (const k of kinds) if (k in KIND_CODE) kindCodes.add(KIND_CODE[k]);
  const out: QueryRule[] = [];
  const n = p.nTypes;
  const permSel = (cls: number): number => (q.perms?.length ? permMaskLoose(p, cls, q.perms) : -1);
  const visit = (key: number, data: number, nb: number): void => {
    const kind = key % KINDS;
    if (!kindCodes.has(kind)) return;
    const base = Math.floor(key / KINDS);
    const cls = base % 256;
    if (classes && !classes.has(cls)) return;
    const st = Math.floor(base / 256);
    const s = Math.floor(st / n);
    const t = st % n;
    if (!overlaps(p, s, sCrit, !!q.sourceDirect) || !overlaps(p, t, tCrit, !!q.targetDirect)) return;
    const isType = kind >= K_TRANSITION;
    if (!isType && q.perms?.length) {
      const m = permSel(cls);
      if (q.permsEqual ? (data >>> 0) !== (m >>> 0) : !(data & m)) return;
    }
    if (isType && q.perms?.length) return;
    const cond = nb >= 0 ? p.condNodes[nb >> 1] : null;
    if (boolId >= 0 && (!cond || !cond.bools.includes(boolId))) return;
    const kname = CODE_KIND[kind];
    const r: QueryRule = { kind: kname, source: p.typeNames[s], target: p.typeNames[t], class: p.classes[cls - 1].name, perms: [], text: '' };
    let body: string;
    if (isType) {
      r.newType = p.typeNames[data - 1];
      body = r.newType;
    } else {
      r.perms = p.permNames(cls, data).sort();
      body = permsText(r.perms);
    }
    r.text = `${kname} ${r.source} ${r.target}:${r.class} ${body};`;
    if (cond) {
      r.conditional = cond.exprText;
      r.branch = (nb & 1) === 0;
      r.text += ` [ ${cond.exprText} ]:${r.branch ? 'True' : 'False'}`;
    }
    out.push(r);
  };
  if (kindCodes.size) {
    if (boolId < 0) for (const [key, data] of p.avtab) visit(key, data, -1);
    p.condTabs.forEach((tab, nb) => {
      for (const [key, data] of tab) visit(key, data, nb);
    });
  }
  if (kinds.includes('type_transition') && !q.perms?.length && boolId < 0) {
    for (const [key, nt] of p.filenameTrans) {
      const [s, t, c, ...rest] = key.split(',');
      const sI = +s - 1;
      const tI = +t - 1;
      const cI = +c;
      if (classes && !classes.has(cI)) continue;
      if (!overlaps(p, sI, sCrit, !!q.sourceDirect) || !overlaps(p, tI, tCrit, !!q.targetDirect)) continue;
      const name = rest.join(',');
      const r: QueryRule = {
        kind: 'type_transition', source: p.typeNames[sI], target: p.typeNames[tI], class: p.classes[cI - 1].name, perms: [],
        newType: p.typeNames[nt - 1], objName: name, text: '',
      };
      r.text = `type_transition ${r.source} ${r.target}:${r.class} ${r.newType} ${name};`;
      out.push(r);
    }
  }
  const xk = kinds.filter((k) => k.endsWith('xperm'));
  if (xk.length) {
    const groups = new Map<string, { r: QueryRule; nums: Set<number> }>();
    for (const x of p.xperms) {
      const kname = (['allowxperm', 'auditallowxperm', 'dontauditxperm'] as const)[x.kind];
      if (!xk.includes(kname)) continue;
      if (classes && !classes.has(x.cls)) continue;
      if (!overlaps(p, x.src - 1, sCrit, !!q.sourceDirect) || !overlaps(p, x.tgt - 1, tCrit, !!q.targetDirect)) continue;
      const cond = x.cond >= 0 ? p.condNodes[x.cond >> 1] : null;
      if (boolId >= 0 && (!cond || !cond.bools.includes(boolId))) continue;
      const gk = `${x.kind},${x.src},${x.tgt},${x.cls},${x.cond}`;
      let g = groups.get(gk);
      if (!g) {
        g = { r: { kind: kname, source: p.typeNames[x.src - 1], target: p.typeNames[x.tgt - 1], class: p.classes[x.cls - 1].name, perms: ['ioctl'], text: '' }, nums: new Set() };
        if (cond) {
          g.r.conditional = cond.exprText;
          g.r.branch = (x.cond & 1) === 0;
        }
        groups.set(gk, g);
      }
      if (x.specified === 'driver') {
        for (let d = 0; d < 256; d++) if (x.bits[d >>> 5] & (1 << (d & 31))) for (let f = 0; f < 256; f++) g.nums.add(d * 256 + f);
      } else for (let f = 0; f < 256; f++) if (x.bits[f >>> 5] & (1 << (f & 31))) g.nums.add(x.driver * 256 + f);
    }
    for (const g of groups.values()) {
      const nums = [...g.nums].sort((a, b) => a - b);
      g.r.text = `${g.r.kind} ${g.r.source} ${g.r.target}:${g.r.class} ioctl ${ioctlText(nums)};` + (g.r.conditional ? ` [ ${g.r.conditional} ]:${g.r.branch ? 'True' : 'False'}` : '');
      out.push(g.r);
    }
  }
  if (kinds.includes('neverallow')) {
    for (const na of p.neverallows) {
      if (na.kind !== 'neverallow') continue;
      let ok = true;
      if (sNames) ok = [...sNames].some((t) => na.src[t]);
      if (ok && tNames) ok = [...tNames].some((t) => na.tgt[t] || (na.self && na.src[t] === 1 && (!sNames || sNames.has(t))));
      if (ok && classes) ok = [...classes].some((c) => na.classPerms.has(c));
      if (ok && q.perms?.length) ok = [...na.classPerms].some(([c, m]) => (!classes || classes.has(c)) && (permMaskLoose(p, c, q.perms!) & m) !== 0);
      if (!ok) continue;
      out.push({ kind: 'neverallow', source: '', target: '', class: '', perms: [], text: na.text });
    }
  }
  out.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return out;
}

function permMaskLoose(p: Policy, cls: number, perms: readonly string[]): number {
  const c = p.cls(cls);
  let m = 0;
  for (const x of perms) {
    const b = c.permIndex.get(x);
    if (b !== undefined) m |= 1 << b;
  }
  return m;
}

export interface PolicyStats {
  /** label -> value, labelled as `seinfo` prints its statistics */
  [label: string]: number | string;
}

/** Counts labelled like `seinfo`'s statistics (setools 4.4). AV rule counts are avtab entries,
 *  as in a compiled policy; Neverallow counts the source rules (a kernel policy has none). */
export function policyStats(p: Policy): PolicyStats {
  const count = new Array<number>(KINDS).fill(0);
  for (const key of p.avtab.keys()) count[key % KINDS]++;
  for (const tab of p.condTabs) for (const key of tab.keys()) count[key % KINDS]++;
  let perms = 0;
  for (const c of p.classes) perms += c.perms.length - (c.common ? (p.commons.get(c.common)?.length ?? 0) : 0);
  for (const v of p.commons.values()) perms += v.length;
  let types = 0;
  let attrs = 0;
  for (let i = 0; i < p.nTypes; i++) if (p.typeIsAttr[i]) attrs++;
  else types++;
  const xk = [0, 0, 0];
  const seen = new Set<string>();
  for (const x of p.xperms) {
    const k = `${x.kind},${x.src},${x.tgt},${x.cls},${x.specified},${x.driver},${x.cond}`;
    if (!seen.has(k)) {
      seen.add(k);
      xk[x.kind]++;
    }
  }
  let permissives = 0;
  for (let i = 0; i < p.permissive.length; i++) permissives += p.permissive[i];
  const e = p.extraCounts;
  return {
    'Policy Version': p.mls ? '33 (MLS enabled)' : '33 (MLS disabled)',
    'Target Policy': 'selinux',
    'Handle unknown classes': p.handleUnknown,
    Classes: p.classes.length,
    Permissions: perms,
    Sensitivities: e.sensitivity ?? 0,
    Categories: e.category ?? 0,
    Types: types,
    Attributes: attrs,
    Users: p.users.length,
    Roles: p.roles.length,
    Booleans: p.bools.length,
    'Cond. Expr.': p.condNodes.length,
    Allow: count[K_ALLOW],
    Neverallow: p.neverallows.filter((n) => n.kind === 'neverallow').length,
    Auditallow: count[K_AUDITALLOW],
    Dontaudit: count[K_DONTAUDIT],
    Type_trans: count[K_TRANSITION] + p.filenameTrans.size,
    Type_change: count[K_CHANGE],
    Type_member: count[K_MEMBER],
    Range_trans: e.range_transition_expanded ?? 0,
    'Role allow': e.role_allow_expanded ?? 0,
    Role_trans: e.role_transition_expanded ?? 0,
    Constraints: e.constraints ?? 0,
    Validatetrans: e.validatetrans_expanded ?? 0,
    'MLS Constrain': e.mlsconstraints ?? 0,
    'MLS Val. Tran': e.mlsvalidatetrans_expanded ?? 0,
    Permissives: permissives,
    Polcap: p.policycaps.size,
    Defaults: (e.default_user ?? 0) + (e.default_role ?? 0) + (e.default_type ?? 0) + (e.default_range ?? 0),
    Typebounds: e.typebounds ?? 0,
    Allowxperm: xk[0],
    Neverallowxperm: p.neverallows.filter((n) => n.kind === 'neverallowxperm').length,
    Auditallowxperm: xk[1],
    Dontauditxperm: xk[2],
    Ibendportcon: e.ibendportcon ?? 0,
    Ibpkeycon: e.ibpkeycon ?? 0,
    'Initial SIDs': p.initialSids.length,
    Fs_use: (e.fs_use_xattr ?? 0) + (e.fs_use_task ?? 0) + (e.fs_use_trans ?? 0),
    Genfscon: e.genfscon ?? 0,
    Portcon: e.portcon ?? 0,
    Netifcon: e.netifcon ?? 0,
    Nodecon: e.nodecon ?? 0,
  };
}

/** The statistics block as seinfo prints it (two columns). */
export function formatStats(fileName: string, st: PolicyStats): string {
  const lines = [`Statistics for policy file: ${fileName}`];
  lines.push(`Policy Version:             ${st['Policy Version']}`);
  lines.push(`Target Policy:              ${st['Target Policy']}`);
  lines.push(`Handle unknown classes:     ${st['Handle unknown classes']}`);
  const pairs: [string, string][] = [
    ['Classes', 'Permissions'], ['Sensitivities', 'Categories'], ['Types', 'Attributes'], ['Users', 'Roles'],
    ['Booleans', 'Cond. Expr.'], ['Allow', 'Neverallow'], ['Auditallow', 'Dontaudit'], ['Type_trans', 'Type_change'],
    ['Type_member', 'Range_trans'], ['Role allow', 'Role_trans'], ['Constraints', 'Validatetrans'], ['MLS Constrain', 'MLS Val. Tran'],
    ['Permissives', 'Polcap'], ['Defaults', 'Typebounds'], ['Allowxperm', 'Neverallowxperm'], ['Auditallowxperm', 'Dontauditxperm'],
    ['Ibendportcon', 'Ibpkeycon'], ['Initial SIDs', 'Fs_use'], ['Genfscon', 'Portcon'], ['Netifcon', 'Nodecon'],
  ];
  const cell = (k: string): string => {
    const label = `${k}:`;
    const v = String(st[k]);
    return label.padEnd(Math.max(label.length + 1, 24 - v.length)) + v;
  };
  for (const [a, b] of pairs) lines.push(`  ${cell(a)}    ${cell(b)}`);
  return lines.join('\n');
}
