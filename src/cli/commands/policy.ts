// `sgxsim policy check FILE` and `sgxsim policy query FILE ...`: checkpolicy/seinfo- and
// sesearch-like views of a policy.conf (or `builtin:default`, `builtin:strict`).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parsePolicy } from '../../security/selinux/parser.js';
import { compilePolicyResult } from '../../security/selinux/compile.js';
import { builtinPolicySource, BUILTIN_POLICIES } from '../../security/selinux/builtin.js';
import { policyStats, formatStats, queryPolicy, QueryError, type RuleKind } from '../../security/selinux/query.js';
import { formatError, type ParseError } from '../../security/selinux/ast.js';
import type { Policy, HandleUnknown } from '../../security/selinux/policy.js';
import { UsageError, EXIT_FAIL, EXIT_USAGE } from '../errors.js';

interface Loaded {
  policy: Policy | null;
  errors: ParseError[];
  violations: string[];
  statements: Record<string, number>;
  fileName: string;
}

function readSource(file: string): { text: string; name: string } {
  if (file.startsWith('builtin:')) {
    const n = file.slice(8);
    if (!(BUILTIN_POLICIES as readonly string[]).includes(n)) throw new UsageError(`unknown built-in policy '${file}' (available: ${BUILTIN_POLICIES.map((x) => 'builtin:' + x).join(', ')})`);
    return { text: builtinPolicySource(n), name: file };
  }
  try {
    return { text: readFileSync(file, 'utf8'), name: file };
  } catch (e) {
    throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function parseHandleUnknown(v: string | undefined): HandleUnknown {
  if (v === undefined) return 'deny';
  if (v !== 'allow' && v !== 'deny' && v !== 'reject') throw new UsageError(`--handle-unknown must be allow, deny or reject (got '${v}')`);
  return v;
}

/** Load and compile a policy file (errors are returned, not thrown). */
export function loadPolicyFile(file: string, handleUnknown: HandleUnknown = 'deny'): Loaded {
  const src = readSource(file);
  const r = parsePolicy(src.text, src.name);
  if (r.errors.length) return { policy: null, errors: r.errors, violations: [], statements: r.ast.counts, fileName: src.name };
  const c = compilePolicyResult(r.ast, { handleUnknown, name: src.name });
  return { policy: c.policy, errors: c.errors, violations: c.neverallowViolations, statements: r.ast.counts, fileName: src.name };
}

function splitList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const l = v.split(/[,\s]+/).filter(Boolean);
  return l.length ? l : undefined;
}

export function register(program: Command): void {
  const policy = program
    .command('policy')
    .description('Check and query SELinux policies written in the kernel policy language (policy.conf), or builtin:default / builtin:strict.');

  policy
    .command('check')
    .description(
      'Parse and compile FILE as checkpolicy does (optional blocks, attributes, booleans, neverallow checked after expansion) ' +
        'and print its statistics labelled like `seinfo`. Exit 0 if it compiles, 1 on neverallow violations, 2 on syntax or name errors.',
    )
    .argument('<file>', 'policy.conf path, or builtin:default / builtin:strict')
    .option('-U, --handle-unknown <mode>', 'allow, deny or reject: how the kernel treats classes/permissions the policy lacks (checkpolicy -U)', 'deny')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { json?: boolean; handleUnknown?: string }) => {
      const hu = parseHandleUnknown(opts.handleUnknown);
      const l = loadPolicyFile(file, hu);
      const stats = l.policy ? policyStats(l.policy) : null;
      if (opts.json) {
        process.stdout.write(JSON.stringify({
          file: l.fileName,
          ok: !!l.policy,
          errors: l.errors,
          neverallowViolations: l.violations,
          stats,
          statements: l.statements,
          notActedOn: l.policy ? l.policy.extraCounts : undefined,
        }, null, 2) + '\n');
      } else {
        for (const e of l.errors) process.stderr.write(formatError(e) + '\n');
        for (const v of l.violations) process.stderr.write(`libsepol.report_failure: ${v}\n`);
        if (l.violations.length) process.stderr.write(`libsepol.check_assertions: ${l.violations.length} neverallow failures occurred\n`);
        if (stats) process.stdout.write(formatStats(l.fileName, stats) + '\n');
      }
      if (l.errors.length) process.exitCode = EXIT_USAGE;
      else if (l.violations.length) process.exitCode = EXIT_FAIL;
    });

  policy
    .command('query')
    .description(
      'sesearch-like rule search over FILE: prints matching rules one per line exactly as sesearch prints them ' +
        '(e.g. `allow files_unconfined_type file_type:chr_file { append create execute };`). Source and target match with ' +
        "sesearch's attribute expansion (both sides expanded to types) unless --ds/--dt.",
    )
    .argument('<file>', 'policy.conf path, or builtin:default / builtin:strict')
    .option('-s, --source <name>', 'source type or attribute')
    .option('-t, --target <name>', 'target type or attribute')
    .option('-c, --class <list>', 'object class(es), comma separated')
    .option('-p, --perms <list>', 'permission(s), comma separated: rules granting any of them')
    .option('--ep', 'match the permission list exactly (sesearch -ep)')
    .option('-A, --allow', 'allow rules (the default when no rule kind is given)')
    .option('--auditallow', 'auditallow rules')
    .option('--dontaudit', 'dontaudit rules')
    .option('--neverallow', 'neverallow rules (as written in the source)')
    .option('-T, --type-trans', 'type_transition, type_change and type_member rules')
    .option('-X, --xperm', 'allowxperm, auditallowxperm and dontauditxperm rules')
    .option('-b, --bool <name>', 'only conditional rules using this boolean')
    .option('--ds', 'no attribute expansion of the source (sesearch -ds)')
    .option('--dt', 'no attribute expansion of the target (sesearch -dt)')
    .option('-U, --handle-unknown <mode>', 'allow, deny or reject', 'deny')
    .option('--json', 'print the rules as JSON')
    .action((file: string, opts: Record<string, string | boolean | undefined>) => {
      const l = loadPolicyFile(file, parseHandleUnknown(opts.handleUnknown as string | undefined));
      if (!l.policy) {
        for (const e of l.errors) process.stderr.write(formatError(e) + '\n');
        for (const v of l.violations) process.stderr.write(`libsepol.report_failure: ${v}\n`);
        process.exitCode = l.errors.length ? EXIT_USAGE : EXIT_FAIL;
        return;
      }
      const kinds: RuleKind[] = [];
      if (opts.allow) kinds.push('allow');
      if (opts.auditallow) kinds.push('auditallow');
      if (opts.dontaudit) kinds.push('dontaudit');
      if (opts.neverallow) kinds.push('neverallow');
      if (opts.typeTrans) kinds.push('type_transition', 'type_change', 'type_member');
      if (opts.xperm) kinds.push('allowxperm', 'auditallowxperm', 'dontauditxperm');
      if (!kinds.length) kinds.push('allow');
      let rules;
      try {
        rules = queryPolicy(l.policy, {
          source: opts.source as string | undefined,
          target: opts.target as string | undefined,
          class: splitList(opts.class as string | undefined),
          perms: splitList(opts.perms as string | undefined),
          permsEqual: !!opts.ep,
          ruleKinds: kinds,
          boolean: opts.bool as string | undefined,
          sourceDirect: !!opts.ds,
          targetDirect: !!opts.dt,
        });
      } catch (e) {
        if (e instanceof QueryError) throw new UsageError(e.message);
        throw e;
      }
      if (opts.json) process.stdout.write(JSON.stringify({ file: l.fileName, count: rules.length, rules }, null, 2) + '\n');
      else for (const r of rules) process.stdout.write(r.text + '\n');
    });
}
