// The compiler against libsepol's semantics (expand.c, link.c, conditional.c, assertion.c).
import { describe, it, expect } from 'vitest';
import { parsePolicy } from '../../../src/security/selinux/parser.js';
import { compilePolicyResult } from '../../../src/security/selinux/compile.js';
import { queryPolicy, policyStats } from '../../../src/security/selinux/query.js';
import { kernelClassmap } from '../../../src/security/selinux/classmap.js';
import { TEST_HEADER, TEST_FOOTER, compileText } from './helpers.js';

const TYPES = `
attribute domain;
attribute file_type;
type loader_t, domain;
type other_t, domain;
type lib_t, file_type;
type tmp_t, file_type;
`;

describe('compilePolicy', () => {
  it('keeps attributes in AV rules, expands them for -, *, ~ and self (expand.c convert_and_expand_rule)', () => {
    const p = compileText(`${TYPES}
allow domain file_type:file read;
allow domain { file_type -tmp_t }:file write;
allow domain self:process fork;
`);
    const rules = queryPolicy(p, { ruleKinds: ['allow'] }).map((r) => r.text);
    expect(rules).toEqual([
      'allow domain file_type:file read;',
      'allow domain lib_t:file write;',
      'allow loader_t loader_t:process fork;',
      'allow other_t other_t:process fork;',
    ]);
    expect(policyStats(p).Allow).toBe(4);
  });

  it('merges permissions of rules with the same key into one avtab entry', () => {
    const p = compileText(`${TYPES}
allow loader_t lib_t:file read;
allow loader_t lib_t:file { map execute };
`);
    expect(queryPolicy(p, {}).map((r) => r.text)).toEqual(['allow loader_t lib_t:file { execute map read };']);
  });

  it('enables optional blocks whose requirements are declared, else branches otherwise (link.c enable_avrules)', () => {
    const p = compileText(`${TYPES}
optional { require { type missing_t; } allow loader_t missing_t:file read; } else { allow loader_t lib_t:file getattr; }
optional { require { type lib_t; class file { execute }; } allow loader_t lib_t:file execute; }
optional { require { type loader_t; } type late_t; }
optional { require { type late_t; } allow loader_t late_t:file read; }
`);
    expect(queryPolicy(p, {}).map((r) => r.text)).toEqual([
      'allow loader_t late_t:file read;',
      'allow loader_t lib_t:file { execute getattr };',
    ]);
  });

  it('deduplicates conditionals by expression and swaps branches of a trailing not (cond_normalize_expr)', () => {
    const p = compileText(`${TYPES}
bool a false;
if (a) { allow loader_t lib_t:file read; }
if (!a) { allow loader_t lib_t:file write; }
`);
    expect(p.condNodes.length).toBe(1);
    expect(queryPolicy(p, {}).map((r) => r.text)).toEqual([
      'allow loader_t lib_t:file read; [ a ]:True',
      'allow loader_t lib_t:file write; [ a ]:False',
    ]);
  });

  it('merges conditionals with the same booleans and truth table, as cond_expr_equal does', () => {
    const p = compileText(`${TYPES}
bool a false;
bool b true;
if (a && b) { allow loader_t lib_t:file read; }
if (b && a) { allow loader_t lib_t:file write; }
if (a && !b) { allow loader_t tmp_t:file read; }
if (b && !a) { allow loader_t tmp_t:file write; }
`);
    // `a && b` and `b && a` are one node (same booleans, same truth table); so are `a && !b` and
    // `b && !a` (their tables coincide because each is computed in its own boolean order: a
    // libsepol quirk). The node keeps the first conditional's expression (get_decl_cond_list).
    // Same result from checkpolicy 3.4 + sesearch 4.4 on this policy (merged into builtin:default):
    //   allow sgx_loader_t lib_t:dir { read write }; [ qb && qa ]:True
    //   allow sgx_loader_t tmp_t:lnk_file { read write }; [ ! qb && qa ]:True
    expect(queryPolicy(p, {}).map((r) => r.text)).toEqual([
      'allow loader_t lib_t:file { read write }; [ b && a ]:True',
      'allow loader_t tmp_t:file { read write }; [ ! b && a ]:True',
    ]);
    expect(p.condNodes.length).toBe(2);
  });

  it('folds tunables into unconditional rules (expand.c discard_tunables)', () => {
    const p = compileText(`${TYPES}
tunable t true;
if (t) { allow loader_t lib_t:file read; } else { allow loader_t lib_t:file write; }
`);
    expect(p.bools.length).toBe(0);
    expect(queryPolicy(p, {}).map((r) => r.text)).toEqual(['allow loader_t lib_t:file read;']);
  });

  it('expands type_transition rules to types and reports conflicts like libsepol', () => {
    const p = compileText(`${TYPES}
type_transition domain tmp_t:file lib_t;
type_transition loader_t tmp_t:file lib_t "x.so";
`);
    expect(queryPolicy(p, { ruleKinds: ['type_transition'] }).map((r) => r.text)).toEqual([
      'type_transition loader_t tmp_t:file lib_t x.so;',
      'type_transition loader_t tmp_t:file lib_t;',
      'type_transition other_t tmp_t:file lib_t;',
    ]);
    expect(policyStats(p).Type_trans).toBe(3);
    const src = TEST_HEADER + TYPES + 'type_transition loader_t tmp_t:file lib_t;\ntype_transition loader_t tmp_t:file tmp_t;\n' + TEST_FOOTER;
    const r = compilePolicyResult(parsePolicy(src, 't.conf').ast);
    expect(r.errors.map((e) => e.message)).toEqual(['conflicting TE rule for (loader_t, tmp_t:file):  old was lib_t, new is tmp_t']);
  });

  it('reports unknown names with the statement position', () => {
    const src = TEST_HEADER + TYPES + 'allow loader_t nosuch_t:file read;\nallow loader_t lib_t:file frob;\n' + TEST_FOOTER;
    const r = compilePolicyResult(parsePolicy(src, 't.conf').ast);
    const line = TEST_HEADER.split('\n').length + TYPES.split('\n').length - 1;
    expect(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`)).toEqual([
      `${line}:1: unknown type or attribute nosuch_t`,
      `${line + 1}:1: permission frob is not defined for class file`,
    ]);
  });

  it('checks neverallow after expansion, including self and exclusions', () => {
    const src = TEST_HEADER + TYPES + `
allow domain self:process execmem;
allow loader_t lib_t:file write;
neverallow domain self:process execmem;
neverallow loader_t { file_type -lib_t }:file write;
` + TEST_FOOTER;
    const r = compilePolicyResult(parsePolicy(src, 'n.conf').ast);
    expect(r.policy).toBeNull();
    const n = TEST_HEADER.split('\n').length + TYPES.split('\n').length + 2;
    expect(r.neverallowViolations).toEqual([
      `neverallow on line ${n} of n.conf (or line ${n} of n.conf) violated by allow loader_t loader_t:process { execmem };`,
      `neverallow on line ${n} of n.conf (or line ${n} of n.conf) violated by allow other_t other_t:process { execmem };`,
    ]);
  });

  it('keeps neverallow rules for queries, as written', () => {
    const p = compileText(`${TYPES}
neverallow domain { file_type -lib_t }:{ file dir } ~{ read getattr };
neverallow loader_t self:process execmem;
`);
    expect(queryPolicy(p, { ruleKinds: ['neverallow'], source: 'loader_t' }).map((r) => r.text)).toEqual([
      'neverallow domain { file_type -lib_t }:{ file dir } ~{ read getattr };',
      'neverallow loader_t self:process execmem;',
    ]);
    expect(queryPolicy(p, { ruleKinds: ['neverallow'], target: 'lib_t' }).map((r) => r.text)).toEqual([]);
    expect(queryPolicy(p, { ruleKinds: ['neverallow'], source: 'other_t', class: 'process' }).map((r) => r.text)).toEqual([]);
  });

  it('handle_unknown reject refuses a policy that lacks kernel classes or permissions', () => {
    const src = TEST_HEADER + TYPES + TEST_FOOTER;
    const r = compilePolicyResult(parsePolicy(src, 'r.conf').ast, { handleUnknown: 'reject', kernelClassmap: kernelClassmap() });
    expect(r.policy).toBeNull();
    expect(r.errors.some((e) => e.message === 'handle_unknown reject: the kernel class security is not defined in the policy')).toBe(true);
    const ok = compilePolicyResult(parsePolicy(src, 'r.conf').ast, { handleUnknown: 'allow' });
    expect(ok.policy?.handleUnknown).toBe('allow');
  });

  it('records permissive types and policy capabilities', () => {
    const p = compileText(`policycap open_perms;\n${TYPES}\npermissive loader_t;\n`);
    expect(p.policycaps.has('open_perms')).toBe(true);
    expect(p.permissive[p.typeId('loader_t') - 1]).toBe(1);
    expect(policyStats(p).Permissives).toBe(1);
  });
});
