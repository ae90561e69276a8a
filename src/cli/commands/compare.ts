// `sgxsim compare MANIFEST`: every design's loader on one enclave, side by side (src/analysis/
// compare.ts, docs/runner.md). Registration only; the implementation is imported when it runs.
import type { Command } from 'commander';

export interface CompareCliOptions {
  policy?: string;
  designs?: string;
  loader?: string;
  context?: string;
  imageDir?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('compare')
    .description(
      "Run each driver design's canonical loader (or one loader flow on every design, translated where the design allows) on the enclave " +
        'MANIFEST describes, under a policy, and print per design: whether it loaded (or the step that failed), the permissions the loader ' +
        'needed as allow rules, those the policy denies, whether it asked for PROT_EXEC on the enclave device, and whether it needed execmem.',
    )
    .argument('<manifest>', 'enclave manifest (YAML, docs/manifest-format.md)')
    .option('--policy <policy>', 'builtin:default (default), builtin:strict, or a policy.conf path', 'builtin:default')
    .option('--designs <list>', 'comma-separated designs (keys, ids or slugs); default: every registered design')
    .option('--loader <loader>', 'canonical (each design\'s own, the default), selftest, gramine or intel-psw', 'canonical')
    .option('--context <context>', 'the loader task\'s SELinux context', 'unconfined_u:unconfined_r:sgx_loader_t:s0-s0:c0.c3')
    .option(
      '--image-dir <dir>',
      'absolute directory the enclave image and SIGSTRUCT are installed in, labelled by the built-in file contexts: /usr/lib/sgxsim (lib_t, the default) or e.g. /home/user/enclave (user_home_t)',
      '/usr/lib/sgxsim',
    )
    .option('--json', 'print the rows as JSON')
    .addHelpText(
      'after',
      `
Examples:
  sgxsim compare examples/reference-enclave.yaml
  sgxsim compare examples/reference-enclave.yaml --loader gramine --designs D1,D7,D8
  sgxsim compare examples/reference-enclave.yaml --image-dir /home/user/enclave   # the enclave in the user's home
  sgxsim compare enclave.yaml --policy builtin:strict --json`,
    )
    .action(async (manifest: string, opts: CompareCliOptions) => {
      const { compareCommand } = await import('./compare-action.js');
      await compareCommand(manifest, opts);
    });
}
