// `sgxsim explore [SCENARIO]`: search every sequence of abstract system calls (to a depth) from a
// scenario's start state for a violation of invariants I1 (execmem), I2 (file execute) and I3
// (W+X) (docs/explorer.md). Registration only: the implementation is imported when it runs.
import type { Command } from 'commander';

export interface ExploreCliOptions {
  design?: string;
  policy?: string;
  depth?: string;
  invariant?: string[];
  workers?: string;
  json?: boolean;
  allDesigns?: boolean;
  out?: string;
  progress?: boolean;
  slots?: string;
  enclavePages?: string;
  sgx2?: boolean;
  close?: boolean;
}

export function register(program: Command): void {
  program
    .command('explore')
    .description(
      'Search every sequence of system calls (open; mmap/mprotect/munmap of source slots and enclave pages with every ' +
        'protection; memory writes; the design\'s ioctls; EACCEPT/EMODPE inside the enclave; fd passing) up to a depth, ' +
        'breadth first, for a way past the policy: I1 (written bytes executable without execmem/execmod), I2 (enclave code ' +
        'not from a file the domain may execute, nor the design\'s alternative permission), I3 (a W+X enclave page without ' +
        'the design\'s permission). Each violation comes with a shortest counterexample, a scenario file `sgxsim run` replays. ' +
        'Without SCENARIO, starts from the built-in scenarios/explore.yaml. Exit 0 when the invariants hold to the depth, ' +
        '1 when one is violated, 2 for invalid input.',
    )
    .argument('[scenario]', 'start scenario (YAML, docs/scenario-format.md); default: scenarios/explore.yaml')
    .option('--design <design>', 'explore this driver design instead of the file\'s (D0..D8, or a slug)')
    .option('--all-designs', 'explore every registered design and print the design x invariant table')
    .option('--policy <policy>', 'use this policy instead of the file\'s: builtin:default, builtin:strict, or a policy.conf path')
    .option('--depth <n>', 'number of actions to search (default 6)')
    .option('--invariant <id...>', 'check only these invariants (I1 I2 I3; default all)')
    .option('--workers <k>', 'worker threads expanding each level (default 1: this thread); results do not depend on it')
    .option('--out <dir>', 'write each counterexample there as <design>-<invariant>.yaml (default with --all-designs: explore-out)')
    .option('--json', 'print the result as JSON')
    .option('--progress', 'print a progress line on stderr (default: when stderr is a terminal)')
    .option('--slots <n>', 'source slots in the alphabet (1-3, default 1)')
    .option('--enclave-pages <n>', 'enclave pages with their own name in the alphabet (1-8, default 3)')
    .option('--no-sgx2', 'leave the SGX2 ioctls and the enclave-side EACCEPT/EMODPE calls out of the alphabet')
    .option('--close', 'also close(2) the enclave fd (left out by default: it only takes capabilities away)')
    .addHelpText(
      'after',
      `
Examples:
  sgxsim explore                                  # scenarios/explore.yaml on its design (D1), builtin:strict, depth 6
  sgxsim explore --design D7 --depth 6            # mainline 5.11: finds the anonymous-source hole
  sgxsim explore --all-designs --out out/         # the design x invariant table, counterexamples in out/
  sgxsim explore my.yaml --invariant I2 --workers 2 --json
  sgxsim run explore-out/D7-I1.yaml              # replay a counterexample`,
    )
    .action(async (scenario: string | undefined, opts: ExploreCliOptions) => {
      const { exploreCommand } = await import('./explore-action.js');
      await exploreCommand(scenario, opts);
    });
}
