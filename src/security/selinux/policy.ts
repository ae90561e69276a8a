// The compiled policy: what the kernel loads (libsepol's kernel policydb after expand).
// Immutable once built, shared between every kernel clone. Layout mirrors the kernel:
// types and attributes share one id space (type_val_to_struct), each type has its
// type_attr_map (itself plus every attribute holding it), and the access-vector table
// (avtab) is keyed by (source type-or-attribute, target type-or-attribute, class, kind)
// exactly as libsepol's expand_rule() writes it, so counts and queries match seinfo/sesearch.
import type { CondTok, ContextAst } from './ast.js';

export type HandleUnknown = 'allow' | 'deny' | 'reject';

/** Avtab entry kinds (AVTAB_ALLOWED, AVTAB_AUDITALLOW, AVTAB_AUDITDENY, AVTAB_TRANSITION, ...). */
export const K_ALLOW = 0;
export const K_AUDITALLOW = 1;
export const K_DONTAUDIT = 2;
export const K_TRANSITION = 3;
export const K_MEMBER = 4;
export const K_CHANGE = 5;
export const KINDS = 8;

export interface ClassInfo {
  readonly name: string;
  /** 1-based value in declaration order (like p_class_val_to_name). */
  readonly value: number;
  readonly common?: string;
  /** Permission names by bit: common permissions first, then the class's own (libsepol order). */
  readonly perms: readonly string[];
  readonly permIndex: ReadonlyMap<string, number>;
  /** Mask of the permissions the policy defines. */
  readonly fullMask: number;
}

export interface CondNode {
  /** Normalised RPN expression (libsepol cond_normalize_expr: a trailing `not` is removed and
   *  the branches swapped). */
  readonly expr: readonly CondTok[];
  readonly exprText: string;
  /** bool ids used */
  readonly bools: readonly number[];
}

export interface XpermEntry {
  readonly src: number;
  readonly tgt: number;
  readonly cls: number;
  /** 0 allowxperm, 1 auditallowxperm, 2 dontauditxperm */
  readonly kind: number;
  /** 'driver' (AVTAB_XPERMS_IOCTLDRIVER: bitmap of drivers) or 'function' (bitmap of functions of `driver`) */
  readonly specified: 'driver' | 'function';
  readonly driver: number;
  /** 256-bit bitmap as 8 words */
  readonly bits: Uint32Array;
  /** conditional node and branch, or -1 */
  readonly cond: number;
}

export interface NeverallowRule {
  readonly kind: 'neverallow' | 'neverallowxperm';
  readonly src: Uint8Array;
  readonly tgt: Uint8Array;
  readonly self: boolean;
  readonly classPerms: ReadonlyMap<number, number>;
  readonly ranges?: ReadonlyArray<readonly [number, number]>;
  readonly xcomp?: boolean;
  readonly line: number;
  readonly srcFile?: string;
  readonly srcLine?: number;
  readonly text: string;
}

export interface PolicyStatsCounts {
  [label: string]: number | string;
}

export interface BoolInfo {
  readonly name: string;
  readonly defaultValue: boolean;
}

export interface InitialSid {
  readonly name: string;
  readonly context?: ContextAst;
}

/** Pack an avtab key. Fits in 2^53 for up to 65536 types and 256 classes. */
export function avKey(s: number, t: number, c: number, kind: number, nTypes: number): number {
  return ((s * nTypes + t) * 256 + c) * KINDS + kind;
}

export class Policy {
  constructor(
    readonly name: string,
    readonly mls: boolean,
    readonly handleUnknown: HandleUnknown,
    /** index = type value - 1 */
    readonly typeNames: readonly string[],
    readonly typeIsAttr: Uint8Array,
    readonly typeIndex: ReadonlyMap<string, number>,
    readonly aliases: ReadonlyMap<string, number>,
    /** per type: sorted list of itself and its attributes; per attribute: its own id */
    readonly typeAttrs: readonly Int32Array[],
    /** per attribute: member types; per type: [itself] */
    readonly attrTypes: readonly Int32Array[],
    /** index = class value - 1 */
    readonly classes: readonly ClassInfo[],
    readonly classIndex: ReadonlyMap<string, number>,
    readonly commons: ReadonlyMap<string, readonly string[]>,
    readonly avtab: ReadonlyMap<number, number>,
    readonly condNodes: readonly CondNode[],
    /** per (node*2+branch): the entries of that branch (key -> data) */
    readonly condTabs: readonly ReadonlyMap<number, number>[],
    /** key -> list of node*2+branch that hold an entry for it */
    readonly condIndex: ReadonlyMap<number, readonly number[]>,
    readonly xperms: readonly XpermEntry[],
    readonly filenameTrans: ReadonlyMap<string, number>,
    readonly bools: readonly BoolInfo[],
    readonly boolIndex: ReadonlyMap<string, number>,
    readonly permissive: Uint8Array,
    readonly policycaps: ReadonlySet<string>,
    readonly neverallows: readonly NeverallowRule[],
    readonly roles: readonly string[],
    readonly users: readonly string[],
    readonly initialSids: readonly InitialSid[],
    /** counts of statements sgxsim keeps but does not act on, and other seinfo figures */
    readonly extraCounts: Readonly<Record<string, number>>,
  ) {}

  get nTypes(): number {
    return this.typeNames.length;
  }

  /** Type value (1-based, as in the kernel) of a type, alias or attribute name, or 0. */
  typeId(name: string): number {
    return (this.typeIndex.get(name) ?? this.aliases.get(name) ?? -1) + 1;
  }

  classId(name: string): number {
    return (this.classIndex.get(name) ?? -1) + 1;
  }

  cls(id: number): ClassInfo {
    const c = this.classes[id - 1];
    if (!c) throw new Error(`internal: no class with value ${id}`);
    return c;
  }

  /** Mask of the named permissions in class `cls` (throws on unknown names). */
  permMask(clsId: number, perms: readonly string[]): number {
    const c = this.cls(clsId);
    let m = 0;
    for (const p of perms) {
      const b = c.permIndex.get(p);
      if (b === undefined) throw new Error(`permission ${p} is not defined for class ${c.name}`);
      m |= 1 << b;
    }
    return m >>> 0;
  }

  permNames(clsId: number, mask: number): string[] {
    const c = this.cls(clsId);
    const out: string[] = [];
    for (let b = 0; b < c.perms.length; b++) if (mask & (1 << b)) out.push(c.perms[b]);
    return out;
  }

  /** Evaluate every conditional node for the given boolean values (cond_evaluate_expr). */
  evaluateConds(boolValues: ArrayLike<boolean | number>): Uint8Array {
    const out = new Uint8Array(this.condNodes.length);
    for (let i = 0; i < this.condNodes.length; i++) out[i] = evalCond(this.condNodes[i].expr, this.boolIndex, boolValues) ? 1 : 0;
    return out;
  }

  defaultBoolValues(overrides?: Readonly<Record<string, boolean>>): boolean[] {
    const v = this.bools.map((b) => b.defaultValue);
    if (overrides) {
      for (const [k, val] of Object.entries(overrides)) {
        const i = this.boolIndex.get(k);
        if (i === undefined) throw new Error(`unknown boolean ${k}`);
        v[i] = val;
      }
    }
    return v;
  }

  /**
   * security_compute_av() over policy bits (context_struct_compute_av, ss/services.c):
   * allowed/auditallow OR'd and auditdeny AND'd over every (source attr, target attr) pair
   * of the type_attr_maps, unconditional table then enabled conditional entries
   * (cond_compute_av). Constraints and MLS are not applied (documented in docs/selinux.md).
   * Returns [allowed, auditallow, auditdeny] in policy permission bits.
   */
  computeAv(stype: number, ttype: number, cls: number, condState: Uint8Array, out: Uint32Array): void {
    let allowed = 0;
    let auditallow = 0;
    let auditdeny = 0xffffffff | 0;
    const sa = this.typeAttrs[stype - 1];
    const ta = this.typeAttrs[ttype - 1];
    const n = this.nTypes;
    const av = this.avtab;
    const ci = this.condIndex;
    const hasCond = ci.size > 0;
    for (let i = 0; i < sa.length; i++) {
      const rowBase = sa[i] * n;
      for (let j = 0; j < ta.length; j++) {
        const base = ((rowBase + ta[j]) * 256 + cls) * KINDS;
        const a = av.get(base);
        if (a !== undefined) allowed |= a;
        const aa = av.get(base + K_AUDITALLOW);
        if (aa !== undefined) auditallow |= aa;
        const d = av.get(base + K_DONTAUDIT);
        if (d !== undefined) auditdeny &= ~d;
        if (hasCond) {
          for (let k = 0; k < 3; k++) {
            const lst = ci.get(base + k);
            if (lst === undefined) continue;
            for (const nb of lst) {
              if ((condState[nb >> 1] ? 0 : 1) !== (nb & 1)) continue; // branch 0 = true list
              const data = this.condTabs[nb].get(base + k)!;
              if (k === K_ALLOW) allowed |= data;
              else if (k === K_AUDITALLOW) auditallow |= data;
              else auditdeny &= ~data;
            }
          }
        }
      }
    }
    out[0] = allowed >>> 0;
    out[1] = auditallow >>> 0;
    out[2] = auditdeny >>> 0;
  }

  /** type_transition lookup (security_compute_sid): the new type, or 0 when no rule applies. */
  transitionType(stype: number, ttype: number, cls: number, condState: Uint8Array, objName?: string, kind = K_TRANSITION): number {
    if (objName !== undefined && kind === K_TRANSITION) {
      const nt = this.filenameTrans.get(`${stype},${ttype},${cls},${objName}`);
      if (nt !== undefined) return nt;
    }
    const key = avKey(stype - 1, ttype - 1, cls, kind, this.nTypes);
    const v = this.avtab.get(key);
    if (v !== undefined) return v;
    const lst = this.condIndex.get(key);
    if (lst) {
      for (const nb of lst) {
        if ((condState[nb >> 1] ? 0 : 1) === (nb & 1)) return this.condTabs[nb].get(key)!;
      }
    }
    return 0;
  }
}

export function evalCond(expr: readonly CondTok[], boolIndex: ReadonlyMap<string, number>, vals: ArrayLike<boolean | number>): boolean {
  const st: boolean[] = [];
  for (const t of expr) {
    switch (t.op) {
      case 'bool':
        st.push(!!vals[boolIndex.get(t.name)!]);
        break;
      case 'not':
        st.push(!st.pop());
        break;
      default: {
        const b = st.pop()!;
        const a = st.pop()!;
        st.push(t.op === 'and' ? a && b : t.op === 'or' ? a || b : t.op === 'xor' ? a !== b : t.op === 'eq' ? a === b : a !== b);
      }
    }
  }
  return st.pop()!;
}

/** Text of an RPN expression as setools prints it (boolcond ConditionalExpr.__str__): infix,
 *  space-separated, a binary operator parenthesised unless the previous binary operator had a
 *  higher precedence; `!` binds to its operand without parentheses. */
export function condExprText(expr: readonly CondTok[]): string {
  const PREC: Record<string, number> = { not: 5, and: 4, xor: 3, or: 2, eq: 1, neq: 1 };
  const SYM: Record<string, string> = { not: '!', and: '&&', xor: '^', or: '||', eq: '==', neq: '!=' };
  const st: string[] = [];
  let prev = PREC.not;
  for (const t of expr) {
    if (t.op === 'bool') st.push(t.name);
    else if (t.op === 'not') st.push(`! ${st.pop()!}`);
    else {
      // setools pops the right operand first and prints it first
      const o1 = st.pop()!;
      const o2 = st.pop()!;
      const p = PREC[t.op];
      st.push(prev > p ? `${o1} ${SYM[t.op]} ${o2}` : `( ${o1} ${SYM[t.op]} ${o2} )`);
      prev = p;
    }
  }
  return st.join(' ');
}
