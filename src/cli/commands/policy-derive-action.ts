// The implementation of `sgxsim policy derive` (loaded by policy-derive.ts when it runs).
import { derivePolicy, renderDerive, type DeriveResult } from '../../analysis/derive.js';
import { EXIT_FAIL, EXIT_OK } from '../errors.js';
import { checkDesignOption, loadScenarioFile, policyOption, reportInputError } from './run-action.js';
import { nodeRunHost } from './run-host.js';
import type { DeriveCliOptions } from './policy-derive.js';

const typeOf = (ctx: string): string => ctx.split(':')[2] ?? ctx;

export async function deriveCommand(file: string, opts: DeriveCliOptions): Promise<void> {
  let r: DeriveResult;
  try {
    const design = checkDesignOption(opts.design);
    const policy = policyOption(opts.policy);
    const scenario = loadScenarioFile(file);
    r = derivePolicy(scenario, nodeRunHost, { ...(design ? { design } : {}), ...(policy ? { policy } : {}) });
  } catch (e) {
    if (reportInputError(e)) return;
    throw e;
  }
  if (opts.json) {
    const d = (x: DeriveResult['denials'][number]) => ({ scontext: x.scontext, tcontext: x.tcontext, tclass: x.tclass, perm: x.perm, stype: typeOf(x.scontext), ttype: typeOf(x.tcontext), ioctlcmd: x.ioctlcmd });
    process.stdout.write(
      JSON.stringify(
        {
          scenario: r.scenario.file,
          design: r.design,
          policy: r.policy,
          rules: r.rules,
          text: r.text,
          denials: r.denials.map(d),
          expected: r.expected.map(d),
          rounds: r.rounds,
          ok: r.ok,
          error: r.error.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`),
          failures: r.verify ? r.verify.failures.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`) : [],
        },
        null,
        2,
      ) + '\n',
    );
  } else process.stdout.write(renderDerive(r));
  process.exitCode = r.ok ? EXIT_OK : EXIT_FAIL;
}
