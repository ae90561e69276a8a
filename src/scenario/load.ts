// YAML text → Scenario (docs/scenario-format.md). The `yaml` package parses with node ranges
// and a LineCounter, so every problem is reported as file:line:col — YAML syntax, unknown keys,
// wrong types and bad numbers in `setup`, and errors *inside* a step string, whose offsets are
// mapped back through the scalar's style (scalar-map.ts). Pure: the caller reads the file; paths
// in the scenario (policy files, file contents, manifests) are resolved as strings.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode, type Scalar } from 'yaml';
import { RESERVED_WORDS, walkExpr, type ActionStep, type Expr, type Outcome, type Step } from './ast.js';
import { closest, didYouMean, formatError, scenarioError, sortErrors, type Pos, type ScenarioError } from './errors.js';
import { parseIntLiteral, type Radix } from './numbers.js';
import { scalarOffsets } from './scalar-map.js';
import { buildSetup, type Setup, type SetupOptions } from './setup.js';
import { parseStep } from './syntax.js';
import { arity, checkOp, DEFAULT_VOCABULARY, formatSignature, LOADER_NAMES, lookupQuery, lookupVerb, type VerbKind, type Vocabulary } from './vocab.js';

export interface Scenario {
  /** The file name as given to the loader (used in every message). */
  readonly file: string;
  readonly description?: string;
  readonly setup: Setup;
  readonly steps: readonly Step[];
}

export interface LoadOptions extends SetupOptions {
  /** Calls steps may make (default DEFAULT_VOCABULARY). */
  readonly vocabulary?: Vocabulary;
  /** Stop after this many errors (default 50). */
  readonly maxErrors?: number;
}

export type LoadResult = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly errors: readonly ScenarioError[] };

export const TOP_LEVEL_KEYS = ['description', 'setup', 'steps'] as const;

/** Most alias expansions followed in one file (a guard against "billion laughs" documents). */
const MAX_ALIASES = 100;
/** Deepest YAML nesting followed. */
const MAX_DEPTH = 64;

type Path = readonly (string | number)[];

class Walker {
  private aliases = 0;
  /** JSON path → radix of a plain integer scalar. */
  readonly radix = new Map<string, Radix>();
  readonly errors: { node: YamlNode | null; message: string }[] = [];

  constructor(private readonly doc: Document) {}

  /** A JS value for a YAML node; plain integers use C's spelling (0644 is octal). */
  toJs(node: unknown, path: Path, depth = 0): unknown {
    if (depth > MAX_DEPTH) {
      this.errors.push({ node: node as YamlNode, message: `nested deeper than ${MAX_DEPTH} levels` });
      return undefined;
    }
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      if (++this.aliases > MAX_ALIASES) {
        this.errors.push({ node, message: `more than ${MAX_ALIASES} alias expansions` });
        return undefined;
      }
      return this.toJs(node.resolve(this.doc), path, depth + 1);
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? pair.key.value : undefined;
        if (typeof k !== 'string' && typeof k !== 'bigint' && typeof k !== 'number' && typeof k !== 'boolean') {
          this.errors.push({ node: (pair.key as YamlNode) ?? node, message: 'keys must be plain names' });
          continue;
        }
        const key = String(k);
        Object.defineProperty(out, key, { value: this.toJs(pair.value, [...path, key], depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((it, i) => this.toJs(it, [...path, i], depth + 1));
    if (isScalar(node)) return this.scalar(node, path);
    this.errors.push({ node: node as YamlNode, message: 'unsupported YAML node' });
    return undefined;
  }

  private scalar(node: Scalar, path: Path): unknown {
    const v = node.value;
    if (node.type === 'PLAIN' && typeof node.source === 'string') {
      const src = node.source;
      if (/^[0-9]/.test(src)) {
        const r = parseIntLiteral(src);
        if (r.ok) {
          this.radix.set(JSON.stringify(path), r.lit.radix);
          return r.lit.value;
        }
        // Not an integer: a version like 6.10 must keep its digits, so floats stay text.
        if (typeof v === 'number') return src;
      } else if (typeof v === 'number') {
        return src;
      }
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
    if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : String(v);
    this.errors.push({ node, message: `unsupported YAML value${node.tag ? ` (tag ${node.tag})` : ''}` });
    return undefined;
  }
}

/** The node at `path` (as deep as the document goes); `atKey` returns the last key's node. */
function nodeAt(doc: Document, path: Path, atKey = false): YamlNode | null {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return node as YamlNode;
      if (atKey && i === path.length - 1) return pair.key as YamlNode;
      if (pair.value === null || pair.value === undefined) return pair.key as YamlNode;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
    } else {
      return (node as YamlNode) ?? null;
    }
  }
  return (node as YamlNode) ?? null;
}

/** Load a scenario from its text. Never throws on bad input: errors come back positioned. */
export function loadScenario(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const maxErrors = options.maxErrors ?? 50;
  const vocab = options.vocabulary ?? DEFAULT_VOCABULARY;
  const lc = new LineCounter();
  const errors: ScenarioError[] = [];
  const posOf = (offset: number): Pos => {
    const { line, col } = lc.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line, col };
  };
  const nodePos = (n: YamlNode | null | undefined): Pos => (n && n.range ? posOf(n.range[0]) : { line: 1, col: 1 });
  const fail = (): LoadResult => ({ ok: false, errors: sortErrors(errors).slice(0, maxErrors) });

  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, intAsBigInt: true, uniqueKeys: true, strict: true });
  } catch (e) {
    // The yaml package reports problems in doc.errors; a throw here is unexpected but must not
    // escape as a crash on user input.
    errors.push(scenarioError(file, { line: 1, col: 1 }, `cannot parse YAML: ${(e as Error).message.split('\n')[0]}`));
    return fail();
  }
  const inSteps = stepsLineRange(doc, lc);
  for (const e of [...doc.errors, ...doc.warnings]) {
    let msg = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const p = posOf(e.pos[0]);
    if (inSteps && p.line >= inSteps[0] && p.line <= inSteps[1] && /nested mappings|implicit (map )?keys|compact mapping/i.test(msg)) {
      msg += " (a step containing ': ' must be quoted, e.g. - 'ioctl(fd, X, {src: a})', or use = as strace does: {src=a})";
    }
    errors.push(scenarioError(file, p, msg));
  }
  if (errors.length) return fail();

  const walker = new Walker(doc);
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    errors.push(scenarioError(file, { line: 1, col: 1 }, 'empty scenario: expected a mapping with steps (and optionally setup and description)'));
    return fail();
  }
  if (!isMap(root)) {
    errors.push(scenarioError(file, nodePos(root as YamlNode), 'a scenario is a YAML mapping with the keys setup, steps and description'));
    return fail();
  }
  const misspelt = new Set<string>();
  for (const pair of root.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(k)) {
      const c = closest(k, TOP_LEVEL_KEYS);
      if (c !== undefined) misspelt.add(c);
      errors.push(scenarioError(file, nodePos(pair.key as YamlNode), `unknown key '${k}'${c ? ` (did you mean ${c}?)` : ''}; a scenario has ${TOP_LEVEL_KEYS.join(', ')}`));
    }
  }

  // description
  let description: string | undefined;
  const descNode = root.get('description', true) as YamlNode | undefined;
  if (root.has('description')) {
    const d = walker.toJs(descNode, ['description']);
    if (typeof d !== 'string') errors.push(scenarioError(file, nodePos(descNode ?? (root as YamlNode)), 'description must be a string'));
    else description = d;
  }

  // setup
  const setupNode = root.get('setup', true) as YamlNode | undefined;
  const rawSetup = root.has('setup') ? walker.toJs(setupNode, ['setup']) : undefined;
  for (const e of walker.errors.splice(0)) errors.push(scenarioError(file, nodePos(e.node), e.message));
  const setupPos = (path: Path, atKey = false): Pos => {
    const n = nodeAt(doc, ['setup', ...path], atKey);
    return n ? nodePos(n) : nodePos(setupNode);
  };
  const built = buildSetup(rawSetup, {
    file,
    locate: (path) => setupPos(path),
    radixAt: (path) => walker.radix.get(JSON.stringify(['setup', ...path])),
  }, options);
  let setup: Setup | undefined;
  if (built.ok) setup = built.setup;
  else for (const is of built.issues) errors.push(scenarioError(file, setupPos(is.path, is.atKey), is.message));
  if (setup && setup.tasks.length === 0) {
    errors.push(scenarioError(file, setupPos(['tasks']), 'setup.tasks is empty: a scenario needs at least one task to run its steps'));
  }

  // steps
  const steps: Step[] = [];
  const stepsNode = root.get('steps', true) as YamlNode | undefined;
  if (!root.has('steps')) {
    if (!misspelt.has('steps')) errors.push(scenarioError(file, nodePos(root as YamlNode), "missing key 'steps': a scenario lists its steps (an empty list is allowed)"));
  } else if (stepsNode === null || stepsNode === undefined || (isScalar(stepsNode) && stepsNode.value === null)) {
    // `steps:` with nothing: no steps
  } else if (!isSeq(stepsNode)) {
    errors.push(scenarioError(file, nodePos(stepsNode), 'steps must be a list of strings, one step each'));
  } else {
    for (const item0 of stepsNode.items) {
      if (errors.length >= maxErrors) break;
      let item: unknown = item0;
      if (isAlias(item)) item = item.resolve(doc);
      if (isMap(item)) {
        errors.push(scenarioError(file, nodePos(item as YamlNode), "YAML read this step as a mapping because it contains ': '; quote the step ('...'), or use = as strace does ({src=a})"));
        continue;
      }
      if (!isScalar(item) || typeof item.value !== 'string') {
        const what = isScalar(item) ? (item.value === null ? 'empty' : typeof item.value === 'boolean' ? 'a boolean' : 'a number') : isSeq(item) ? 'a list' : 'not a string';
        errors.push(scenarioError(file, nodePos(item as YamlNode), `a step is a string such as 'fd = open("/dev/sgx_enclave", O_RDWR)', this one is ${what}`));
        continue;
      }
      const value = item.value;
      const map = scalarOffsets(text, item, value);
      const r = parseStep(value, { locate: (o) => posOf(map[Math.max(0, Math.min(o, value.length))]) });
      if (!r.ok) {
        errors.push(scenarioError(file, r.error.pos, r.error.message));
        continue;
      }
      const parsed = queryBindingAsLet(r.value, vocab);
      const stepErrors = checkStep(parsed, vocab, setup);
      for (const e of stepErrors) errors.push(scenarioError(file, e.pos, e.message));
      steps.push(parsed);
    }
  }

  if (errors.length || !setup) return fail();
  return { ok: true, scenario: { file, ...(description !== undefined ? { description } : {}), setup, steps } };
}

/** Load or throw a ScenarioFailure-like Error whose message is the error lines. */
export function loadScenarioOrThrow(text: string, file: string, options?: LoadOptions): Scenario {
  const r = loadScenario(text, file, options);
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return r.scenario;
}

/** Lines [first, last] of the `steps` value, for the quoting hint on YAML errors. */
function stepsLineRange(doc: Document, lc: LineCounter): [number, number] | undefined {
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === 'steps');
  if (!pair || !isScalar(pair.key) || !pair.key.range) return undefined;
  const start = lc.linePos(pair.key.range[0]).line;
  const v = pair.value as YamlNode | null;
  const end = v && v.range ? lc.linePos(v.range[2]).line : Number.MAX_SAFE_INTEGER;
  return [start, Math.max(start, end)];
}

// ------------------------------------------------------------------ per-step checks

interface StepProblem {
  readonly pos: Pos | undefined;
  readonly message: string;
}

/** The kind of a step (its verb), if its call is in the vocabulary. */
export function stepKind(step: ActionStep, vocab: Vocabulary = DEFAULT_VOCABULARY): VerbKind | undefined {
  const r = lookupVerb(vocab, step.call);
  return r.ok ? r.verb.kind : undefined;
}

/** Check one parsed step against the vocabulary and the setup's tasks. */
export function checkStep(step: Step, vocab: Vocabulary, setup: Setup | undefined): StepProblem[] {
  const out: StepProblem[] = [];
  if (step.task !== undefined && setup) {
    const names = setup.tasks.map((t) => t.name);
    if (!names.includes(step.task)) out.push({ pos: step.pos, message: `unknown task '@${step.task}'${didYouMean(step.task, names)}; setup.tasks defines ${names.map((n) => '@' + n).join(', ')}` });
  }
  const queryIn = (e: Expr): void => {
    for (const sub of walkExpr(e)) {
      if (sub.kind !== 'call') continue;
      const q = lookupQuery(vocab, sub.callee);
      if (q === undefined) {
        const names = vocab.queries.map((x) => x.name);
        out.push({ pos: sub.pos, message: `unknown function '${sub.callee}'${didYouMean(sub.callee, names)}; expressions may call ${names.join(', ')}` });
        continue;
      }
      const n = sub.args.filter((a) => a.name === undefined).length;
      const [min, max] = arity(q.params);
      if (n < min || n > max || sub.args.some((a) => a.name !== undefined)) out.push({ pos: sub.pos, message: `${formatSignature(q.name, q.params)} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}` });
    }
  };
  if (step.kind === 'expect') {
    if (step.assertion.kind === 'compare') {
      queryIn(step.assertion.left);
      queryIn(step.assertion.right);
    }
    return out;
  }
  if (step.kind === 'let') {
    if (RESERVED_WORDS.has(step.name)) out.push({ pos: step.pos, message: `'${step.name}' is reserved and cannot be bound` });
    queryIn(step.value);
    return out;
  }
  if (step.bind !== undefined && RESERVED_WORDS.has(step.bind)) out.push({ pos: step.pos, message: `'${step.bind}' is reserved and cannot be bound` });
  const v = lookupVerb(vocab, step.call);
  if (!v.ok) {
    out.push({ pos: step.call.pos, message: v.message });
    return out;
  }
  const verb = v.verb;
  const isEenter = verb.kind === 'enclave' && verb.name === 'eenter';
  step.call.args.forEach((a, i) => {
    if (isEenter && i === 1 && a.value.kind !== 'array') return; // reported below
    if (isEenter && i === 1 && a.value.kind === 'array') {
      // the ops are checked below; their arguments are ordinary expressions
      for (const op of a.value.items) {
        if (op.kind === 'call') for (const oa of op.args) queryIn(oa.value);
        else queryIn(op);
      }
    } else queryIn(a.value);
  });
  if (step.outcome?.kind === 'value') queryIn(step.outcome.value);
  if (step.outcome?.kind === 'fault' && step.outcome.details) queryIn(step.outcome.details);
  for (const a of step.call.args) {
    if (a.name === undefined) continue;
    const allowed = verb.named ?? {};
    if (!(a.name in allowed)) {
      const names = Object.keys(allowed);
      out.push({ pos: a.pos, message: `${verb.name} takes no argument named '${a.name}'${didYouMean(a.name, names)}${names.length ? `; it takes ${names.join(', ')}` : ''}` });
      continue;
    }
    const words = allowed[a.name];
    if (words !== undefined) {
      const word = wordOf(a.value);
      if (word === undefined || !words.includes(word)) {
        out.push({ pos: a.value.pos ?? a.pos, message: `${a.name} must be one of ${words.join(', ')}${word !== undefined ? didYouMean(word, words) : ''}` });
      }
    }
  }
  if (isEenter) {
    const ops = step.call.args.filter((a) => a.name === undefined)[1]?.value;
    if (ops === undefined || ops.kind !== 'array') {
      out.push({ pos: ops?.pos ?? step.call.pos, message: 'the second argument of eenter is a list of enclave operations, as in [load(x), eexit()]' });
    } else {
      for (const op of ops.items) {
        if (op.kind !== 'call') {
          out.push({ pos: op.pos, message: 'an enclave operation is a call such as store(addr, value) or eaccept(addr, REG|R|W|PENDING)' });
          continue;
        }
        const m = checkOp(vocab, op);
        if (m !== undefined) out.push({ pos: op.pos, message: m });
      }
    }
  }
  if (step.outcome) out.push(...checkOutcome(step.outcome, verb.kind));
  return out;
}

/** `m = maps(base)`: a query is not a step verb, so bind its value (a let step). */
export function queryBindingAsLet(step: Step, vocab: Vocabulary): Step {
  if (step.kind !== 'action' || step.bind === undefined || step.outcome !== undefined) return step;
  if (vocab.verbs.some((v) => v.name === step.call.callee) || lookupQuery(vocab, step.call.callee) === undefined) return step;
  return { kind: 'let', ...(step.task !== undefined ? { task: step.task } : {}), name: step.bind, value: step.call, ...(step.pos ? { pos: step.pos } : {}) };
}

/** `gramine`, `intel_psw` (for intel-psw) or "intel-psw". */
function wordOf(e: Expr): string | undefined {
  if (e.kind === 'ident') {
    const w = e.name.replace(/_/g, '-');
    return (LOADER_NAMES as readonly string[]).includes(w) ? w : e.name;
  }
  if (e.kind === 'str') return new TextDecoder().decode(e.bytes);
  return undefined;
}

function checkOutcome(o: Outcome, kind: VerbKind): StepProblem[] {
  if (o.kind === 'fault') {
    if (kind === 'syscall' || kind === 'load') {
      return [{ pos: o.pos, message: `a ${kind === 'syscall' ? 'system call' : 'load'} step cannot end in ${o.fault}: a bad user pointer in a syscall gives -1 EFAULT; faults belong to memory and enclave steps` }];
    }
    if (o.fault === 'AEX' && kind !== 'enclave') return [{ pos: o.pos, message: 'AEX is an enclave exit: it belongs to eenter/eresume steps; a memory step faults with SIGSEGV or SIGBUS' }];
  }
  if (o.kind === 'errno' && kind === 'memory') {
    return [{ pos: o.pos, message: 'a memory access has no errno: it succeeds or faults (SIGSEGV, SIGBUS)' }];
  }
  return [];
}
