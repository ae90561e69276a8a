// The intermediate form of a scenario step (docs/scenario-format.md). The parser (syntax.ts)
// produces it with positions; the printer (print.ts) turns it back into canonical text, and
// parse(print(x)) equals x up to positions (`stripPositions`). Nodes are plain immutable data.
import type { Pos } from './errors.js';
import type { Radix, SizeSuffix } from './numbers.js';

// ---------------------------------------------------------------- expressions

export type BinaryOp = '|' | '^' | '&' | '<<' | '>>' | '+' | '-' | '*' | '/' | '%';
export type UnaryOp = '-' | '~';

export interface IntExpr {
  readonly kind: 'int';
  readonly value: bigint;
  /** How it was written (kept so that addresses print as hex and modes as octal). */
  readonly radix: Radix;
  readonly suffix?: SizeSuffix;
  readonly pos?: Pos;
}
/** "..." — a byte string (UTF-8 of the characters, escapes give raw bytes). */
export interface StrExpr {
  readonly kind: 'str';
  readonly bytes: Uint8Array;
  readonly pos?: Pos;
}
/** hex"90 90 c3" — raw bytes. */
export interface HexExpr {
  readonly kind: 'hex';
  readonly bytes: Uint8Array;
  readonly pos?: Pos;
}
/** A bound name or a constant (NULL included); resolved at run time. */
export interface IdentExpr {
  readonly kind: 'ident';
  readonly name: string;
  readonly pos?: Pos;
}
export interface UnaryExpr {
  readonly kind: 'unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
  readonly pos?: Pos;
}
export interface BinaryExpr {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  /** Position of the operator. */
  readonly pos?: Pos;
}
/** One argument of a call: positional, or named (`loader: gramine`). */
export interface Arg {
  readonly name?: string;
  readonly value: Expr;
  readonly pos?: Pos;
}
export interface CallExpr {
  readonly kind: 'call';
  readonly callee: string;
  readonly args: readonly Arg[];
  readonly pos?: Pos;
}
export interface Field {
  readonly key: string;
  readonly value: Expr;
  readonly pos?: Pos;
}
/** {key: value, ...} — keys are unique. */
export interface StructExpr {
  readonly kind: 'struct';
  readonly fields: readonly Field[];
  readonly pos?: Pos;
}
export interface ArrayExpr {
  readonly kind: 'array';
  readonly items: readonly Expr[];
  readonly pos?: Pos;
}
/** object.field */
export interface MemberExpr {
  readonly kind: 'member';
  readonly object: Expr;
  readonly field: string;
  readonly pos?: Pos;
}
/** object[index] */
export interface IndexExpr {
  readonly kind: 'index';
  readonly object: Expr;
  readonly index: Expr;
  readonly pos?: Pos;
}

export type Expr = IntExpr | StrExpr | HexExpr | IdentExpr | UnaryExpr | BinaryExpr | CallExpr | StructExpr | ArrayExpr | MemberExpr | IndexExpr;

// ---------------------------------------------------------------- outcomes and assertions

/** What a step's result must be. A step without an outcome must succeed (see the docs). */
export type Outcome =
  /** `= ?` — anything, errors and signals included. */
  | { readonly kind: 'any'; readonly pos?: Pos }
  /** `= -1 EACCES` — the call fails with this errno (name resolved at run time). */
  | { readonly kind: 'errno'; readonly name: string; readonly pos?: Pos }
  /** `= expr` — the call succeeds and returns this value. */
  | { readonly kind: 'value'; readonly value: Expr; readonly pos?: Pos }
  /** `SIGSEGV`, `SIGBUS {code: BUS_ADRERR}`, `AEX {vector: 14, error_code: 0x8007}`. */
  | { readonly kind: 'fault'; readonly fault: FaultKind; readonly details?: StructExpr; readonly pos?: Pos };

export type FaultKind = 'SIGSEGV' | 'SIGBUS' | 'AEX';
export const FAULT_KINDS: readonly FaultKind[] = ['SIGSEGV', 'SIGBUS', 'AEX'];
/** Detail fields a fault outcome may constrain. SIGSEGV/SIGBUS: siginfo si_code and si_addr
 * (include/uapi/asm-generic/siginfo.h); AEX: struct sgx_enclave_run exception_vector,
 * exception_error_code, exception_addr (arch/x86/include/uapi/asm/sgx.h). */
export const FAULT_FIELDS: Readonly<Record<FaultKind, readonly string[]>> = {
  SIGSEGV: ['code', 'addr'],
  SIGBUS: ['code', 'addr'],
  AEX: ['vector', 'error_code', 'addr'],
};

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** Keys an `expect avc` filter may test: the fields of the kernel's AVC record. */
export const AVC_FILTER_KEYS = ['scontext', 'tcontext', 'tclass', 'comm', 'path', 'name', 'dev', 'ino', 'pid', 'permissive', 'ioctlcmd'] as const;
export type AvcFilterKey = (typeof AVC_FILTER_KEYS)[number];

export interface AvcFilter {
  readonly key: AvcFilterKey;
  readonly value: string;
  readonly pos?: Pos;
}

export type Assertion =
  /** `expect LEFT OP RIGHT` */
  | { readonly kind: 'compare'; readonly left: Expr; readonly op: CompareOp; readonly right: Expr; readonly pos?: Pos }
  /**
   * `expect [no] avc [denied|granted] [{ perm ... }] [key=value ...]`: about the AVC records of
   * the closest preceding action step. Positive: at least one record matches; `no`: none does.
   * A record matches when its decision equals `decision` (if given), its permission set
   * contains every listed permission, and every filter equals the record's field.
   */
  | {
      readonly kind: 'avc';
      readonly negated: boolean;
      readonly decision?: 'denied' | 'granted';
      readonly perms: readonly string[];
      readonly filters: readonly AvcFilter[];
      readonly pos?: Pos;
    };

// ---------------------------------------------------------------- steps

/** `[@task] [name =] call(args) [outcome]` */
export interface ActionStep {
  readonly kind: 'action';
  readonly task?: string;
  readonly bind?: string;
  readonly call: CallExpr;
  readonly outcome?: Outcome;
  readonly pos?: Pos;
}

/** `[@task] expect ...` */
export interface ExpectStep {
  readonly kind: 'expect';
  readonly task?: string;
  readonly assertion: Assertion;
  readonly pos?: Pos;
}

/** `[@task] name = expr` where expr is not a bare call: binds a computed value
 * (`base = area + 32K - 1 & ~(32K - 1)`). A query's value is bound with parentheses:
 * `m = (maps(base))` (the loader also accepts `m = maps(base)` for a query). */
export interface LetStep {
  readonly kind: 'let';
  readonly task?: string;
  readonly name: string;
  readonly value: Expr;
  readonly pos?: Pos;
}

export type Step = ActionStep | ExpectStep | LetStep;

/** Words with a fixed meaning in step syntax; they cannot be bound as names or used as tasks. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set(['expect', 'NULL']);

// ---------------------------------------------------------------- helpers

/**
 * A deep copy of `x` without `pos` fields: what round-trip tests compare. Works on any AST
 * value (expressions, steps, arrays of them) and on plain data holding them.
 */
export function stripPositions<T>(x: T): T {
  if (Array.isArray(x)) return x.map(stripPositions) as unknown as T;
  if (x instanceof Uint8Array || x === null || typeof x !== 'object') return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    if (k === 'pos' || v === undefined) continue;
    out[k] = stripPositions(v);
  }
  return out as T;
}

/** Every sub-expression of `e`, depth first, parents before children. */
export function* walkExpr(e: Expr): Generator<Expr> {
  yield e;
  switch (e.kind) {
    case 'unary':
      yield* walkExpr(e.operand);
      break;
    case 'binary':
      yield* walkExpr(e.left);
      yield* walkExpr(e.right);
      break;
    case 'call':
      for (const a of e.args) yield* walkExpr(a.value);
      break;
    case 'struct':
      for (const f of e.fields) yield* walkExpr(f.value);
      break;
    case 'array':
      for (const i of e.items) yield* walkExpr(i);
      break;
    case 'member':
      yield* walkExpr(e.object);
      break;
    case 'index':
      yield* walkExpr(e.object);
      yield* walkExpr(e.index);
      break;
    default:
      break;
  }
}

/** The named argument `name` of a call, if present. */
export function namedArg(call: CallExpr, name: string): Arg | undefined {
  return call.args.find((a) => a.name === name);
}

/** The positional arguments of a call, in order. */
export function positionalArgs(call: CallExpr): readonly Expr[] {
  return call.args.filter((a) => a.name === undefined).map((a) => a.value);
}
