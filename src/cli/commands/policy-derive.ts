// `sgxsim policy derive SCENARIO [--design D]`: the smallest allow rules with which a scenario
// passes enforcing (src/analysis/derive.ts, docs/runner.md). A subcommand of `policy`, registered
// after it (commands/index.ts); the implementation is imported when the command runs.
import type { Command } from 'commander';

export interface DeriveCliOptions {
  design?: string;
  policy?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const policy = program.commands.find((c) => c.name() === 'policy') ?? program.command('policy').description('SELinux policies');
  policy
    .command('derive')
    .description(
      'Run SCENARIO with SELinux permissive, collect the denials of the steps that must succeed, print the smallest allow rules ' +
        'grouped as audit2allow groups them, then rerun enforcing with those rules added and report whether every expectation holds. ' +
        'Denials the scenario expects (steps ending in = -1 EACCES, or followed by expect avc denied) are kept. Exit 0 when the rerun passes, 1 when not, 2 for invalid input.',
    )
    .argument('<scenario>', 'scenario file (YAML, docs/scenario-format.md)')
    .option('--design <design>', "derive for this driver design instead of the scenario's")
    .option('--policy <policy>', "start from this policy instead of the scenario's (builtin:NAME or a policy.conf path)")
    .option('--json', 'print the rules, the denials and the rerun\'s verdict as JSON')
    .addHelpText(
      'after',
      `
Examples:
  sgxsim policy derive scenarios/seed.yaml
  sgxsim policy derive my-loader.yaml --design D7 --policy builtin:strict
  sgxsim policy derive my-loader.yaml --json | jq -r '.rules[]' >> my-policy.te`,
    )
    .action(async (scenario: string, opts: DeriveCliOptions) => {
      const { deriveCommand } = await import('./policy-derive-action.js');
      await deriveCommand(scenario, opts);
    });
}
