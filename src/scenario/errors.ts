// Positioned diagnostics for scenario files. Every problem in a user's scenario is reported as
// one line `file:line:col: message` (line and column 1-based, columns counted in UTF-16 code
// units as editors and the `yaml` package's LineCounter count them). Internal invariant
// violations are plain Errors and are never turned into these.

/** A position in a scenario file (1-based). */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

/** One user-facing problem. */
export interface ScenarioError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** `file:line:col: message`. */
export function formatError(e: ScenarioError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.message}`;
}

export function scenarioError(file: string, pos: Pos | undefined, message: string): ScenarioError {
  return { file, line: pos?.line ?? 1, col: pos?.col ?? 1, message };
}

/** Thrown by the evaluator and by the loader's throwing wrapper; carries one or more positioned errors. */
export class ScenarioFailure extends Error {
  readonly errors: readonly ScenarioError[];
  constructor(errors: readonly ScenarioError[]) {
    super(errors.map(formatError).join('\n'));
    this.name = 'ScenarioFailure';
    this.errors = errors;
  }
}

/** Sort errors by line then column (stable). */
export function sortErrors(errors: readonly ScenarioError[]): ScenarioError[] {
  return [...errors].sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * Optimal-string-alignment edit distance (Levenshtein plus adjacent transposition), bounded:
 * returns max+1 as soon as the distance must exceed `max`.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

/**
 * The closest candidate to `name`, or undefined when nothing is close. A candidate that differs
 * only in case wins outright; otherwise the smallest edit distance not above
 * max(1, floor(len/3)) (ties: the first candidate in iteration order).
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const c of candidates) {
    if (c === name) continue;
    if (c.toLowerCase() === lower) return c;
    const d = editDistance(name, c, bestD - 1 < limit ? bestD - 1 : limit);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= limit ? best : undefined;
}

/** ` (did you mean X?)` or ''. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closest(name, candidates);
  return c === undefined ? '' : ` (did you mean ${c}?)`;
}
