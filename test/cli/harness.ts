// Runs sgxsim commands in-process: the given commands registered on a fresh program, with
// main()'s error handling (UsageError -> exit 2 with `sgxsim: message`; commander errors -> 2;
// --help -> 0), stdout and stderr captured (commander's output and process.stdout/stderr writes).
import { Command, CommanderError } from 'commander';
import { UsageError } from '../../src/cli/errors.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A runCli() for a set of command registrations (each `register(program)` of src/cli/commands/). */
export function cliRunner(commands: readonly ((program: Command) => void)[]): (...args: string[]) => Promise<CliResult> {
  return async (...args: string[]): Promise<CliResult> => {
    const program = new Command().name('sgxsim').exitOverride();
    let stdout = '';
    let stderr = '';
    const out = { writeOut: (s: string) => void (stdout += s), writeErr: (s: string) => void (stderr += s) };
    program.configureOutput(out);
    for (const r of commands) r(program);
    const walk = (c: Command): void => {
      c.exitOverride();
      c.configureOutput(out);
      for (const cc of c.commands) walk(cc);
    };
    walk(program);
    const ow = process.stdout.write.bind(process.stdout);
    const ew = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((s: string | Uint8Array) => ((stdout += typeof s === 'string' ? s : Buffer.from(s).toString()), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string | Uint8Array) => ((stderr += typeof s === 'string' ? s : Buffer.from(s).toString()), true)) as typeof process.stderr.write;
    process.exitCode = undefined;
    let code: number;
    try {
      await program.parseAsync(['node', 'sgxsim', ...args]);
      code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    } catch (e) {
      if (e instanceof CommanderError) code = e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2;
      else if (e instanceof UsageError) {
        stderr += `sgxsim: ${e.message}\n`;
        code = 2;
      } else throw e;
    } finally {
      process.stdout.write = ow;
      process.stderr.write = ew;
      process.exitCode = undefined;
    }
    return { code, stdout, stderr };
  };
}
