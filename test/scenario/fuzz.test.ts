// User input never crashes the loader (principle 3): random text and random mutations of the
// example scenarios give either a scenario or positioned one-line errors, never an exception.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseStep, printStep, stripPositions, type LoadResult } from '../../src/scenario/index.js';

const dir = join(import.meta.dirname, '../../scenarios/examples');
const examples = readdirSync(dir)
  .filter((n) => n.endsWith('.yaml'))
  .map((n) => readFileSync(join(dir, n), 'utf8'));

function checkResult(text: string, r: LoadResult): void {
  const lines = text.split('\n').length;
  if (r.ok) {
    // whatever loaded prints back to steps that parse to the same thing
    for (const s of r.scenario.steps) {
      const again = parseStep(printStep(s));
      expect(again.ok).toBe(true);
      if (again.ok) expect(stripPositions(again.value)).toEqual(stripPositions(s));
    }
    return;
  }
  expect(r.errors.length).toBeGreaterThan(0);
  for (const e of r.errors) {
    expect(e.file).toBe('f.yaml');
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines + 1);
    expect(e.col).toBeGreaterThanOrEqual(1);
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.message).not.toMatch(/[\n\r]/);
  }
}

const load = (text: string): void => checkResult(text, loadScenario(text, 'f.yaml'));

// Pieces that exercise YAML and step syntax.
const SNIPPETS = [
  ': ', '{', '}', '[', ']', '"', "'", '\n', '\n  - ', '  ', '\t', '#', '&a ', '*a', '!!binary ', '|', '>', '-', '?', '@', '\\',
  '0x', '0o7', '4K', '99999999999999999999999', 'expect ', 'avc ', 'denied ', '{ execmem }', 'SIGSEGV', ' = -1 ', 'EACCES', '= ?',
  'eenter(', 'load(', 'open(', 'mmap(', 'NULL', '(', ')', ',', '.', 'hex"', 'setup:\n', 'steps:\n', 'mounts:', 'files:', 'tasks:',
  'design: D9', 'kernel: 6.10', 'policy: builtin:x', 'mode: 644', '\u00e9', '\u{1F600}', '\u0000', '\r\n', '---\n', '...\n', '%YAML 1.2\n',
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: fc.constantFrom(...SNIPPETS) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: fc.string({ maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('dupline' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(text: string, muts: Mutation[]): string {
  let t = text;
  for (const m of muts) {
    const at = t.length ? m.at % (t.length + 1) : 0;
    if (m.kind === 'insert') t = t.slice(0, at) + m.s + t.slice(at);
    else if (m.kind === 'delete') t = t.slice(0, at) + t.slice(at + m.n);
    else {
      const ls = t.split('\n');
      const i = at % ls.length;
      ls.splice(i, 0, ls[i]);
      t = ls.join('\n');
    }
  }
  return t;
}

describe('fuzz', () => {
  it('random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), load), { numRuns: 400 });
    fc.assert(fc.property(fc.array(fc.constantFrom(...SNIPPETS), { maxLength: 40 }).map((a) => a.join('')), load), { numRuns: 400 });
  });

  it('random mutations of the example scenarios', () => {
    fc.assert(
      fc.property(fc.constantFrom(...examples), fc.array(mutation, { minLength: 1, maxLength: 6 }), (text, muts) => load(apply(text, muts))),
      { numRuns: 400 },
    );
  });

  it('an error about a control character stays on one line (fast-check counterexample "\\\n")', () => {
    for (const text of ['"\\\n"', '"\\\r"', '"\\\x01"', 'f(\x01)']) {
      const r = parseStep(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).not.toMatch(/[\n\r\x00-\x1f]/);
    }
  });

  it('random step strings', () => {
    const stepish = fc.array(fc.constantFrom(...SNIPPETS, 'a', 'b', '1', '|', '&', '+', '<<', '~', '==', 'x = ', 'f(', '[', ']'), { maxLength: 30 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), stepish), (text) => {
        const r = parseStep(text);
        if (r.ok) {
          const again = parseStep(printStep(r.value));
          expect(again.ok && stripPositions(again.value)).toEqual(stripPositions(r.value));
        } else {
          expect(r.error.offset).toBeGreaterThanOrEqual(0);
          expect(r.error.offset).toBeLessThanOrEqual(text.length);
          expect(r.error.message).not.toMatch(/[\n\r]/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
