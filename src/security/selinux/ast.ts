// AST of the kernel policy language (policy.conf, the language `checkpolicy` reads).
// Grammar source: checkpolicy/policy_parse.y and policy_scan.l (SELinuxProject/selinux).
// Every statement of that language has a node here; statements sgxsim does not act on
// (MLS, constraints, object contexts, users, roles) are kept and counted.

/** Where a statement starts: position in the parsed text, and the original source
 *  position when the text carries `#line N "file"` directives (refpolicy's m4 output does). */
export interface Loc {
  line: number;
  col: number;
  /** Original file and line from the last `#line` directive, if any. */
  srcFile?: string;
  srcLine?: number;
}

/** A set of type names: `t`, `{ a b -c }`, `*`, `~{ a }`, with `self` recorded separately. */
export interface TypeSetAst {
  items: string[];
  neg: string[];
  star: boolean;
  comp: boolean;
  self: boolean;
}

/** A set of names (classes, permissions, roles): `p`, `{ a b }`, `*`, `~{ a }`. */
export interface NameSetAst {
  items: string[];
  star: boolean;
  comp: boolean;
}

export type AvRuleKind = 'allow' | 'auditallow' | 'dontaudit' | 'neverallow' | 'auditdeny';
export type XpermRuleKind = 'allowxperm' | 'auditallowxperm' | 'dontauditxperm' | 'neverallowxperm';
export type TypeRuleKind = 'type_transition' | 'type_change' | 'type_member';

/** An ioctl number range (inclusive), 16-bit values. */
export type XpermRange = [number, number];

/** A boolean expression in reverse Polish notation, as libsepol stores it. */
export type CondTok = { op: 'bool'; name: string } | { op: 'not' | 'and' | 'or' | 'xor' | 'eq' | 'neq' };

/** A security context `user:role:type[:range]` as written (range kept as text). */
export interface ContextAst {
  user: string;
  role: string;
  type: string;
  range?: string;
}

/** A constraint expression node (constrain/mlsconstrain/validatetrans). */
export type ConstraintExpr =
  | { op: 'not'; e: ConstraintExpr }
  | { op: 'and' | 'or'; l: ConstraintExpr; r: ConstraintExpr }
  | { op: 'cmp'; attr: string; rel: string; rhs: string | NameSetAst };

export type Stmt =
  | ({ k: 'common'; name: string; perms: string[] } & Loc)
  | ({ k: 'class'; name: string } & Loc)
  | ({ k: 'classPerms'; name: string; common?: string; perms: string[] } & Loc)
  | ({ k: 'sid'; name: string } & Loc)
  | ({ k: 'sidContext'; name: string; context: ContextAst } & Loc)
  | ({ k: 'policycap'; name: string } & Loc)
  | ({ k: 'type'; name: string; aliases: string[]; attrs: string[] } & Loc)
  | ({ k: 'attribute'; name: string } & Loc)
  | ({ k: 'typeattribute'; type: string; attrs: string[] } & Loc)
  | ({ k: 'typealias'; type: string; aliases: string[] } & Loc)
  | ({ k: 'typebounds'; parent: string; children: string[] } & Loc)
  | ({ k: 'expandattribute'; attrs: string[]; value: boolean } & Loc)
  | ({ k: 'bool'; name: string; value: boolean; tunable: boolean } & Loc)
  | ({ k: 'avrule'; kind: AvRuleKind; src: TypeSetAst; tgt: TypeSetAst; classes: NameSetAst; perms: NameSetAst } & Loc)
  | ({ k: 'xpermrule'; kind: XpermRuleKind; src: TypeSetAst; tgt: TypeSetAst; classes: NameSetAst; operation: string; comp: boolean; ranges: XpermRange[] } & Loc)
  | ({ k: 'typerule'; kind: TypeRuleKind; src: TypeSetAst; tgt: TypeSetAst; classes: NameSetAst; newType: string; objName?: string } & Loc)
  | ({ k: 'range_transition'; src: TypeSetAst; tgt: TypeSetAst; classes?: NameSetAst; range: string } & Loc)
  | ({ k: 'permissive'; type: string } & Loc)
  | ({ k: 'if'; expr: CondTok[]; then: Stmt[]; else: Stmt[] } & Loc)
  | ({ k: 'optional'; body: Stmt[]; else: Stmt[] | null } & Loc)
  | ({ k: 'require'; items: { kind: 'type' | 'attribute' | 'bool' | 'role' | 'attribute_role' | 'user' | 'class' | 'sensitivity' | 'category'; name: string; perms?: string[] }[] } & Loc)
  | ({ k: 'role'; name: string; types: TypeSetAst | null } & Loc)
  | ({ k: 'attribute_role'; name: string } & Loc)
  | ({ k: 'roleattribute'; role: string; attrs: string[] } & Loc)
  | ({ k: 'role_transition'; roles: NameSetAst; types: TypeSetAst; classes?: NameSetAst; newRole: string } & Loc)
  | ({ k: 'role_allow'; from: NameSetAst; to: NameSetAst } & Loc)
  | ({ k: 'role_dominance'; text: string } & Loc)
  | ({ k: 'user'; name: string; roles: NameSetAst; level?: string; range?: string } & Loc)
  | ({ k: 'constrain'; kind: 'constrain' | 'mlsconstrain'; classes: NameSetAst; perms: NameSetAst; expr: ConstraintExpr } & Loc)
  | ({ k: 'validatetrans'; kind: 'validatetrans' | 'mlsvalidatetrans'; classes: NameSetAst; expr: ConstraintExpr } & Loc)
  | ({ k: 'sensitivity'; name: string; aliases: string[] } & Loc)
  | ({ k: 'dominance'; order: string[] } & Loc)
  | ({ k: 'category'; name: string; aliases: string[] } & Loc)
  | ({ k: 'level'; text: string } & Loc)
  | ({ k: 'default'; kind: 'default_user' | 'default_role' | 'default_type' | 'default_range'; classes: NameSetAst; value: string } & Loc)
  | ({ k: 'ocontext'; kind: OContextKind; args: string[]; context: ContextAst | null; context2?: ContextAst } & Loc);

export type OContextKind =
  | 'fs_use_xattr' | 'fs_use_task' | 'fs_use_trans' | 'genfscon' | 'portcon' | 'netifcon' | 'nodecon'
  | 'ibpkeycon' | 'ibendportcon' | 'pirqcon' | 'iomemcon' | 'ioportcon' | 'pcidevicecon' | 'devicetreecon';

export interface ParseError {
  file: string;
  line: number;
  col: number;
  message: string;
}

export interface PolicyAst {
  fileName: string;
  stmts: Stmt[];
  /** Number of statements of each kind (all nesting levels), for reports. */
  counts: Record<string, number>;
  mls: boolean;
}

export interface ParseResult {
  ast: PolicyAst;
  errors: ParseError[];
}

export function formatError(e: ParseError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.message}`;
}
