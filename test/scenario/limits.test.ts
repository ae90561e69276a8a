// The largest steps the parser accepts still load, check, print and re-load (the printer adds no
// nesting the source did not have), and evaluate without exhausting the stack.
import { expect, it } from 'vitest';
import { MAX_NESTING, MAX_OPERATORS, Scope, checkNames, evaluate, formatError, loadScenario, printScenario, scenarioConstants } from '../../src/scenario/index.js';

it('steps at the nesting and length limits round-trip', () => {
  const chain = Array.from({ length: MAX_OPERATORS + 1 }, () => 'O_RDWR').join('|');
  const parens = '('.repeat(MAX_NESTING - 1) + '1' + ')'.repeat(MAX_NESTING - 1);
  const unary = '-'.repeat(MAX_NESTING - 1) + '1';
  const text = `steps:\n  - open("/x", ${chain})\n  - x = ${parens}\n  - y = ${unary}\n`;
  const r = loadScenario(text, 'w.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  expect(checkNames(r.scenario, scenarioConstants())).toEqual([]);
  const again = loadScenario(printScenario(r.scenario), 'w.yaml');
  expect(again.ok).toBe(true);
  const s = r.scenario.steps[0];
  if (s.kind !== 'action') throw new Error();
  expect(evaluate(s.call.args[1].value, new Scope(scenarioConstants()).env('w.yaml'))).toBe(2n);
  const y = r.scenario.steps[2];
  if (y.kind !== 'let') throw new Error();
  expect(evaluate(y.value, new Scope(scenarioConstants()).env('w.yaml'))).toBe((1n << 64n) - 1n); // odd number of minus signs
});
