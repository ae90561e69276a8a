// Public API of the scenario format (docs/scenario-format.md). The runner, the explorer and the
// CLI import from here.
export * from './ast.js';
export * from './errors.js';
export * from './numbers.js';
export { parseStep, parseExpr, MAX_NESTING, MAX_OPERATORS, type ParseOptions, type ParseResult, type SyntaxError } from './syntax.js';
export { printExpr, printStep, printString, printHex } from './print.js';
export { scalarOffsets } from './scalar-map.js';
export * from './setup.js';
export * from './symbols.js';
export * from './vocab.js';
export * from './eval.js';
export { loadScenario, loadScenarioOrThrow, checkStep, stepKind, TOP_LEVEL_KEYS, type Scenario, type LoadOptions, type LoadResult } from './load.js';
export { printScenario, type PrintOptions } from './write.js';
