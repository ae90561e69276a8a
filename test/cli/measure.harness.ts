// Runs `sgxsim measure`, `sign`, `sigstruct` and `keygen` in-process (harness.ts).
import { register as measure } from '../../src/cli/commands/measure.js';
import { register as sign } from '../../src/cli/commands/sign.js';
import { register as sigstruct } from '../../src/cli/commands/sigstruct.js';
import { register as keygen } from '../../src/cli/commands/keygen.js';
import { cliRunner } from './harness.js';

export type { CliResult } from './harness.js';

export const runCli = cliRunner([measure, sign, sigstruct, keygen]);
