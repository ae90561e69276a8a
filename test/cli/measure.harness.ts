// Runs sgxsim commands in-process (the registered commands, with main()'s error handling:
// UsageError -> exit 2 with `sgxsim: message`; commander errors -> 2), capturing output.
import { Command, CommanderError } from 'commander';
import { register as measure } from '../../src/cli/commands/measure.js';
import { register as sign } from '../../src/cli/commands/sign.js';
import { register as sigstruct } from '../../src/cli/commands/sigstruct.js';
import { register as keygen } from '../../src/cli/commands/keygen.js';
import { UsageError } from '../../src/cli/errors.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(...args: string[]): Promise<CliResult> {
  const program = new Command().name('sgxsim').exitOverride();
  let stdout = '';
  let stderr = '';
  program.configureOutput({ writeOut: (s) => void (stdout += s), writeErr: (s) => void (stderr += s) });
  for (const r of [measure, sign, sigstruct, keygen]) r(program);
  for (const c of program.commands) {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => void (stdout += s), writeErr: (s) => void (stderr += s) });
    for (const cc of c.commands) {
      cc.exitOverride();
      cc.configureOutput({ writeOut: (s) => void (stdout += s), writeErr: (s) => void (stderr += s) });
    }
  }
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
}
