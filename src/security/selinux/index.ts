// SELinux model: public API (docs/selinux.md). The hooks (hooks.ts) are separate.
export * from './ast.js';
export { parsePolicy } from './parser.js';
export { compilePolicy, compilePolicyResult, PolicyCompileError, type CompileOptions, type CompileResult } from './compile.js';
export * from './policy.js';
export * from './classmap.js';
export * from './sidtab.js';
export * from './avc.js';
export * from './query.js';
export * from './audit2allow.js';
export * from './builtin.js';
