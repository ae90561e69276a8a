// The policy.conf parser: every statement kind of checkpolicy's grammar (policy_parse.y) is
// parsed and kept; errors are file:line:col with a message a policy writer understands.
import { describe, it, expect } from 'vitest';
import { parsePolicy } from '../../../src/security/selinux/parser.js';
import { formatError } from '../../../src/security/selinux/ast.js';
import { TEST_HEADER, TEST_FOOTER } from './helpers.js';

describe('parsePolicy', () => {
  it('parses every statement kind and counts them', () => {
    const src = `${TEST_HEADER}
policycap open_perms;
attribute domain;
type loader_t alias { old_loader_t }, domain;
type lib_t;
typealias lib_t alias shlib_t;
typeattribute lib_t domain;
typebounds loader_t lib_t;
expandattribute domain false;
bool b1 true;
tunable t1 false;
allow loader_t { lib_t -shlib_t }:file ~{ write };
allow loader_t self:process *;
auditallow loader_t lib_t:file execute;
dontaudit loader_t lib_t:{ file dir } { getattr };
neverallow loader_t ~lib_t:file execmod;
allowxperm loader_t lib_t:chr_file ioctl { 0x8900-0x8905 0x8910 };
dontauditxperm loader_t lib_t:chr_file ioctl 0x5401;
type_transition loader_t lib_t:file lib_t "name.so";
type_change loader_t lib_t:file lib_t;
type_member loader_t lib_t:file lib_t;
range_transition loader_t lib_t:process s0 - s0:c0;
permissive loader_t;
if (b1 && !t1 || b1 ^ t1) { allow loader_t lib_t:file read; } else { dontaudit loader_t lib_t:file read; }
optional { require { type nosuch_t; class file { read }; } allow loader_t nosuch_t:file read; } else { allow loader_t lib_t:file getattr; }
attribute_role ra;
roleattribute r ra;
role_transition r lib_t:process r;
allow r r;
default_user file source;
default_range process target low-high;
${TEST_FOOTER}
constrain file { write } ( u1 == u2 or t1 == domain );
mlsconstrain file { read } ( l1 dom l2 and not ( h1 incomp h2 ) );
validatetrans file ( t1 == t2 );
fs_use_xattr ext4 u:object_r:lib_t:s0;
fs_use_task pipefs u:object_r:lib_t:s0;
genfscon proc / u:object_r:lib_t:s0
genfscon sysfs /devices -d u:object_r:lib_t:s0
portcon tcp 1-1023 u:object_r:lib_t:s0
netifcon lo u:object_r:lib_t:s0 u:object_r:lib_t:s0
nodecon 127.0.0.1 255.255.255.255 u:object_r:lib_t:s0
nodecon ::1 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff u:object_r:lib_t:s0
`;
    const r = parsePolicy(src, 'all.conf');
    expect(r.errors.map(formatError)).toEqual([]);
    expect(r.ast.mls).toBe(true);
    for (const k of ['policycap', 'type', 'typealias', 'typeattribute', 'typebounds', 'expandattribute', 'bool', 'tunable', 'allow', 'auditallow', 'dontaudit', 'neverallow', 'allowxperm', 'dontauditxperm', 'type_transition', 'type_change', 'type_member', 'range_transition', 'permissive', 'if', 'optional', 'require', 'attribute_role', 'roleattribute', 'role_transition', 'role_allow', 'default_user', 'default_range', 'constrain', 'mlsconstrain', 'validatetrans', 'fs_use_xattr', 'fs_use_task', 'genfscon', 'portcon', 'netifcon', 'nodecon', 'user', 'sidContext', 'sensitivity', 'dominance', 'category', 'level', 'common', 'class', 'classPerms']) {
      expect({ k, n: r.ast.counts[k] ?? 0 }).not.toEqual({ k, n: 0 });
    }
    const xp = r.ast.stmts.find((s) => s.k === 'xpermrule');
    expect(xp).toMatchObject({ ranges: [[0x8900, 0x8905], [0x8910, 0x8910]] });
    const tt = r.ast.stmts.find((s) => s.k === 'typerule' && s.kind === 'type_transition');
    expect(tt).toMatchObject({ objName: 'name.so', newType: 'lib_t' });
    const ifs = r.ast.stmts.find((s) => s.k === 'if');
    // RPN as libsepol stores it: b1 t1 ! && b1 t1 ^ ||
    expect(ifs && ifs.k === 'if' ? ifs.expr.map((t) => (t.op === 'bool' ? t.name : t.op)) : []).toEqual(['b1', 't1', 'not', 'and', 'b1', 't1', 'xor', 'or']);
  });

  it('reports errors as file:line:col with a clear message and keeps going', () => {
    const r = parsePolicy('type a_t;\nallow a_t b_t file read;\ntype c_t\nattribute d;\n', 'bad.conf');
    expect(r.errors.map(formatError)).toEqual([
      "bad.conf:2:15: expected ':' between the target and the class but found 'file'",
      "bad.conf:4:1: expected ';' at the end of the type statement but found 'attribute'",
    ]);
  });

  it('reports unterminated blocks and unknown statements', () => {
    expect(parsePolicy('if (b) { allow a b:c d;\n', 'x.conf').errors.map(formatError)).toEqual(["x.conf:2:1: missing '}' at end of file"]);
    expect(parsePolicy('frobnicate x;\n', 'x.conf').errors.map(formatError)).toEqual(["x.conf:1:1: unknown statement 'frobnicate'"]);
    expect(parsePolicy('allowxperm a b:c ioctl 0x1ffff;\n', 'x.conf').errors.map(formatError)).toEqual(["x.conf:1:24: invalid ioctl number '0x1ffff' (expected 0x0000-0xffff)"]);
  });

  it('tracks #line directives for source positions (refpolicy m4 output)', () => {
    const r = parsePolicy('type a_t;\n#line 40 "policy/modules/x.te"\nneverallow a_t a_t:c p;\n', 'policy.conf');
    expect(r.ast.stmts[1]).toMatchObject({ line: 3, srcLine: 40, srcFile: 'policy/modules/x.te' });
  });

  it('flattens nested class sets as refpolicy writes them', () => {
    const r = parsePolicy('allow a b:{ dir { { blk_file chr_file } file } } read;\n', 'x.conf');
    const s = r.ast.stmts[0];
    expect(s.k === 'avrule' ? s.classes.items : []).toEqual(['dir', 'blk_file', 'chr_file', 'file']);
  });
});

describe('robustness (user input never crashes)', () => {
  it('parses and compiles token soup without throwing: errors are returned', async () => {
    const fc = (await import('fast-check')).default;
    const { compilePolicyResult } = await import('../../../src/security/selinux/compile.js');
    const tok = fc.constantFrom('allow', 'type', 'attribute', 'class', 'common', 'if', 'optional', 'require', 'bool', 'neverallow', 'type_transition',
      'allowxperm', 'ioctl', 'a_t', 'b_t', 'file', 'read', 'self', 'true', '{', '}', '(', ')', ':', ';', ',', '~', '*', '-', '!', '&&', '"x"', '0x10-0x20', '\n', ' ', '#c\n', 'sid', 'u:r:a_t', 'level', 's0');
    fc.assert(
      fc.property(fc.array(tok, { maxLength: 60 }), (toks) => {
        const text = 'class file\nsid kernel\nclass file { read write }\n' + toks.join(' ');
        const r = parsePolicy(text, 'fuzz.conf');
        for (const e of r.errors) expect(e.line).toBeGreaterThan(0);
        if (!r.errors.length) compilePolicyResult(r.ast);
      }),
      { numRuns: 500, seed: 3 },
    );
  });
});
