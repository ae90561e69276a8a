#!/usr/bin/env node
// sgxsim command-line entry point. Node-facing edge: it may use node:* modules; the
// model core under src/ (outside src/cli and src/platform/node) may not.
import { Command, CommanderError } from 'commander';
import { registerAll } from './commands/index.js';
import { VERSION } from '../version.js';
import { UsageError, EXIT_USAGE } from './errors.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sgxsim')
    .description(
      'An executable model of Linux mm, SELinux, SGX hardware and the historical SGX driver designs. ' +
        'Run a loader\'s syscalls under a policy, compare designs, derive minimal policies, measure and ' +
        'sign enclaves, and search syscall sequences for ways to get executable code past the policy.',
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });
  registerAll(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`sgxsim: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // An internal invariant violation: fail loudly with the stack.
    process.stderr.write(`sgxsim: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70; // EX_SOFTWARE
  },
);
