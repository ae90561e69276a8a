// Resolving names and evaluating expressions (docs/scenario-format.md "Names" and "Values").
// Identifiers resolve to bound names first, then constants (ABI, SGX, the design's). Integer
// arithmetic is unsigned 64-bit, as in a register: `-1` is 0xffffffffffffffff and a syscall
// takes the low bits its C type has. Every failure is a ScenarioFailure with the expression's
// file:line:col.
import { walkExpr, type CallExpr, type CompareOp, type Expr, type Step } from './ast.js';
import { closest, didYouMean, ScenarioFailure, scenarioError, type Pos, type ScenarioError } from './errors.js';
import type { Scenario } from './load.js';
import { closestErrno, errnoValue, type ConstantTable } from './symbols.js';
import { DEFAULT_VOCABULARY, lookupVerb, type Vocabulary } from './vocab.js';

// ------------------------------------------------------------------ values

export interface StructValue {
  readonly type: 'struct';
  readonly fields: ReadonlyMap<string, Value>;
}
export interface ArrayValue {
  readonly type: 'array';
  readonly items: readonly Value[];
}
/** An integer (u64), a byte string, a struct or an array. NULL is 0n. */
export type Value = bigint | Uint8Array | StructValue | ArrayValue;

export const structValue = (fields: Record<string, Value> | ReadonlyMap<string, Value>): StructValue => ({
  type: 'struct',
  fields: fields instanceof Map ? fields : new Map(Object.entries(fields)),
});
export const arrayValue = (items: readonly Value[]): ArrayValue => ({ type: 'array', items });

export function isStruct(v: Value): v is StructValue {
  return typeof v === 'object' && !(v instanceof Uint8Array) && v.type === 'struct';
}
export function isArray(v: Value): v is ArrayValue {
  return typeof v === 'object' && !(v instanceof Uint8Array) && v.type === 'array';
}

/** A short description of a value for messages. */
export function describeValue(v: Value): string {
  if (typeof v === 'bigint') return v === 0n ? '0 (NULL)' : `0x${v.toString(16)}`;
  if (v instanceof Uint8Array) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(v);
    return /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `${v.length} bytes`;
  }
  if (v.type === 'struct') return `a struct {${[...v.fields.keys()].join(', ')}}`;
  return `a list of ${v.items.length}`;
}

const U = (x: bigint): bigint => BigInt.asUintN(64, x);

// ------------------------------------------------------------------ environment

/** What the evaluator needs from the runner. */
export interface EvalEnv {
  /** The scenario file, for messages. */
  readonly file: string;
  /** A name's value (bound names first, then constants). */
  lookup(name: string): Value | undefined;
  /** Every name visible, for "did you mean". */
  names(): Iterable<string>;
  /** Call a query (maps, vma, epcm, ...); absent: calls are an error. */
  call?(name: string, args: readonly Value[], node: CallExpr): Value;
}

/**
 * Bound names over a constant table. Cheap to clone (the explorer forks runner state): a clone
 * shares the binding map until either side binds, then copies it (bindings are few).
 */
export class Scope {
  private map: Map<string, Value>;
  private shared = false;

  constructor(
    readonly constants: ConstantTable,
    bindings?: ReadonlyMap<string, Value>,
  ) {
    this.map = new Map(bindings ?? []);
  }

  get(name: string): Value | undefined {
    return this.map.get(name) ?? this.constants.get(name);
  }

  /** A bound (not constant) name's value. */
  bound(name: string): Value | undefined {
    return this.map.get(name);
  }

  bind(name: string, value: Value): void {
    if (this.shared) {
      this.map = new Map(this.map);
      this.shared = false;
    }
    this.map.set(name, value);
  }

  *names(): Iterable<string> {
    yield* this.map.keys();
    yield* this.constants.names();
  }

  boundNames(): string[] {
    return [...this.map.keys()];
  }

  /** An independent scope: binding in either one is invisible to the other. */
  clone(): Scope {
    const c = new Scope(this.constants);
    c.map = this.map;
    c.shared = true;
    this.shared = true;
    return c;
  }

  /** The environment for `evaluate`. */
  env(file: string, call?: EvalEnv['call']): EvalEnv {
    return { file, lookup: (n) => this.get(n), names: () => this.names(), ...(call ? { call } : {}) };
  }
}

// ------------------------------------------------------------------ evaluation

function fail(env: EvalEnv, pos: Pos | undefined, message: string): never {
  throw new ScenarioFailure([scenarioError(env.file, pos, message)]);
}

function int(env: EvalEnv, v: Value, pos: Pos | undefined, what: string): bigint {
  if (typeof v !== 'bigint') fail(env, pos, `${what} needs an integer, got ${describeValue(v)}`);
  return v;
}

/** Evaluate an expression. Throws ScenarioFailure (one positioned error). */
export function evaluate(e: Expr, env: EvalEnv): Value {
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'str':
    case 'hex':
      return e.bytes;
    case 'ident': {
      const v = env.lookup(e.name);
      if (v === undefined) fail(env, e.pos, `unknown name '${e.name}'${didYouMean(e.name, env.names())}`);
      return v;
    }
    case 'unary': {
      const x = int(env, evaluate(e.operand, env), e.pos, `'${e.op}'`);
      return e.op === '-' ? U(-x) : U(~x);
    }
    case 'binary': {
      const l = int(env, evaluate(e.left, env), e.pos, `'${e.op}'`);
      const r = int(env, evaluate(e.right, env), e.pos, `'${e.op}'`);
      switch (e.op) {
        case '|':
          return l | r;
        case '^':
          return l ^ r;
        case '&':
          return l & r;
        case '+':
          return U(l + r);
        case '-':
          return U(l - r);
        case '*':
          return U(l * r);
        case '/':
          if (r === 0n) fail(env, e.pos, 'division by zero');
          return l / r;
        case '%':
          if (r === 0n) fail(env, e.pos, 'division by zero');
          return l % r;
        case '<<':
          return r >= 64n ? 0n : U(l << r);
        case '>>':
          return r >= 64n ? 0n : l >> r;
      }
      break;
    }
    case 'call': {
      if (!env.call) fail(env, e.pos, `${e.callee}(...) cannot be called here`);
      const args = e.args.map((a) => evaluate(a.value, env));
      return env.call(e.callee, args, e);
    }
    case 'struct': {
      const m = new Map<string, Value>();
      for (const f of e.fields) m.set(f.key, evaluate(f.value, env));
      return { type: 'struct', fields: m };
    }
    case 'array':
      return { type: 'array', items: e.items.map((i) => evaluate(i, env)) };
    case 'member': {
      const o = evaluate(e.object, env);
      if (!isStruct(o)) fail(env, e.pos, `cannot take .${e.field} of ${describeValue(o)}`);
      const v = o.fields.get(e.field);
      if (v === undefined) fail(env, e.pos, `no field '${e.field}'${didYouMean(e.field, o.fields.keys())}; the fields are ${[...o.fields.keys()].join(', ')}`);
      return v;
    }
    case 'index': {
      const o = evaluate(e.object, env);
      const i = int(env, evaluate(e.index, env), e.pos, 'an index');
      if (o instanceof Uint8Array) {
        if (i >= BigInt(o.length)) fail(env, e.pos, `index ${i} is past the end of ${o.length} bytes`);
        return BigInt(o[Number(i)]);
      }
      if (isArray(o)) {
        if (i >= BigInt(o.items.length)) fail(env, e.pos, `index ${i} is past the end of a list of ${o.items.length}`);
        return o.items[Number(i)];
      }
      fail(env, e.pos, `cannot index ${describeValue(o)}`);
    }
  }
  throw new Error(`evaluate: unhandled expression kind ${(e as Expr).kind}`);
}

/** Evaluate and require an integer. */
export function evaluateInt(e: Expr, env: EvalEnv, what = 'this argument'): bigint {
  return int(env, evaluate(e, env), e.pos, what);
}

/** Structural equality (ints, bytes, structs field by field, arrays item by item). */
export function valuesEqual(a: Value, b: Value): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint') return a === b;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (a.type === 'struct' && b.type === 'struct') {
    if (a.fields.size !== b.fields.size) return false;
    for (const [k, v] of a.fields) {
      const w = b.fields.get(k);
      if (w === undefined || !valuesEqual(v, w)) return false;
    }
    return true;
  }
  if (a.type === 'array' && b.type === 'array') return a.items.length === b.items.length && a.items.every((x, i) => valuesEqual(x, b.items[i]));
  return false;
}

/** `left OP right` of an expect step; ordering needs integers (unsigned). */
export function compareValues(left: Value, op: CompareOp, right: Value, env: EvalEnv, pos?: Pos): boolean {
  switch (op) {
    case '==':
      return valuesEqual(left, right);
    case '!=':
      return !valuesEqual(left, right);
    default: {
      const l = int(env, left, pos, `'${op}'`);
      const r = int(env, right, pos, `'${op}'`);
      return op === '<' ? l < r : op === '<=' ? l <= r : op === '>' ? l > r : l >= r;
    }
  }
}

/** The errno number of `= -1 NAME`. */
export function resolveErrno(name: string, pos: Pos | undefined, file: string): number {
  const v = errnoValue(name);
  if (v === undefined) {
    const c = closestErrno(name);
    throw new ScenarioFailure([scenarioError(file, pos, `unknown errno '${name}'${c ? ` (did you mean ${c}?)` : ''}`)]);
  }
  return v;
}

// ------------------------------------------------------------------ static name check

/** Identifiers used as values in a step (not callees, struct keys or word arguments). */
function valueIdents(step: Step, vocab: Vocabulary): { name: string; pos?: Pos }[] {
  const out: { name: string; pos?: Pos }[] = [];
  const add = (e: Expr): void => {
    for (const s of walkExpr(e)) if (s.kind === 'ident') out.push({ name: s.name, pos: s.pos });
  };
  if (step.kind === 'expect') {
    if (step.assertion.kind === 'compare') {
      add(step.assertion.left);
      add(step.assertion.right);
    }
    return out;
  }
  if (step.kind === 'let') {
    add(step.value);
    return out;
  }
  const verb = lookupVerb(vocab, step.call);
  const words = verb.ok ? (verb.verb.named ?? {}) : {};
  for (const a of step.call.args) {
    if (a.name !== undefined && words[a.name] !== undefined) continue;
    add(a.value);
  }
  if (step.outcome?.kind === 'value') add(step.outcome.value);
  if (step.outcome?.kind === 'fault' && step.outcome.details) add(step.outcome.details);
  return out;
}

/**
 * Check, before running, that every identifier is bound by an earlier step or is a constant,
 * that errno names exist, and that no step binds a constant's name. Returns positioned errors.
 */
export function checkNames(scenario: Scenario, constants: ConstantTable, vocab: Vocabulary = DEFAULT_VOCABULARY): ScenarioError[] {
  const errors: ScenarioError[] = [];
  const bound = new Set<string>();
  const visible = function* (): Iterable<string> {
    yield* bound;
    yield* constants.names();
  };
  for (const step of scenario.steps) {
    for (const id of valueIdents(step, vocab)) {
      if (!bound.has(id.name) && !constants.has(id.name)) {
        const c = closest(id.name, visible());
        errors.push(scenarioError(scenario.file, id.pos, `unknown name '${id.name}'${c ? ` (did you mean ${c}?)` : ''}`));
      }
    }
    if (step.kind === 'let') {
      if (constants.has(step.name)) errors.push(scenarioError(scenario.file, step.pos, `'${step.name}' is a constant; bind the value to another name`));
      else bound.add(step.name);
    }
    if (step.kind === 'action') {
      if (step.outcome?.kind === 'errno' && errnoValue(step.outcome.name) === undefined) {
        const c = closestErrno(step.outcome.name);
        errors.push(scenarioError(scenario.file, step.outcome.pos, `unknown errno '${step.outcome.name}'${c ? ` (did you mean ${c}?)` : ''}`));
      }
      if (step.bind !== undefined) {
        if (constants.has(step.bind)) errors.push(scenarioError(scenario.file, step.pos, `'${step.bind}' is a constant; bind the result to another name`));
        else bound.add(step.bind);
      }
    }
  }
  return errors;
}
