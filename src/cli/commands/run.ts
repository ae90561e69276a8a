// `sgxsim run [SCENARIO]`: run a scenario (docs/runner.md) and print its trace in strace's format
// (docs/trace-format.md), or as JSON. Registration only: the implementation (YAML, the scenario
// language, the kernel, SELinux, the drivers) is imported when the command runs, so that
// `sgxsim --help` and other commands do not pay for it.
import type { Command } from 'commander';

export interface RunCliOptions {
  design?: string;
  policy?: string;
  permissive?: boolean;
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  auditedOnly?: boolean;
}

export function register(program: Command): void {
  program
    .command('run')
    .description(
      'Run a scenario (a loader\'s syscalls under a policy and a driver design) and print every syscall in strace\'s format, ' +
        'with the LSM decisions, AVC lines and driver notes under each, then the final maps and enclave pages. ' +
        'Without SCENARIO, runs the built-in seed scenario. Exit 0 when every expectation holds, 1 when one fails, 2 for invalid input.',
    )
    .argument('[scenario]', 'scenario file (YAML, docs/scenario-format.md); default: the built-in seed scenario (scenarios/seed.yaml)')
    .option('--design <design>', 'run on this driver design instead of the file\'s (D0..D8, or a slug such as copy-source-perms)')
    .option('--policy <policy>', 'use this policy instead of the file\'s: builtin:default, builtin:strict, or a policy.conf path')
    .option('--permissive', 'run SELinux permissive (denials are logged, not enforced)')
    .option('--json', 'print the run as JSON (schema: docs/trace-format.md)')
    .option('-q, --quiet', 'print only the header, failed expectations and the result line')
    .option('--audited-only', 'hide LSM decisions the kernel does not audit (granted checks)')
    .option('--color', 'colour the output (default: when stdout is a terminal and NO_COLOR is unset)')
    .option('--no-color', 'never colour the output')
    .addHelpText(
      'after',
      `
Examples:
  sgxsim run                                   # the seed flow under D1 and builtin:default
  sgxsim run scenarios/smalley-rdonly-d0.yaml  # one of the built-in scenarios
  sgxsim run my.yaml --design D7 --policy builtin:strict
  sgxsim run my.yaml --permissive --json > trace.json
  sgxsim run my.yaml -q                        # just the verdict (exit 0, 1 or 2)`,
    )
    .action(async (scenario: string | undefined, opts: RunCliOptions) => {
      const { runCommand } = await import('./run-action.js');
      await runCommand(scenario, opts);
    });
}
