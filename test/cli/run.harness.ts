// Runs `sgxsim run`, `compare` and `policy derive` in-process (harness.ts).
import { register as policy } from '../../src/cli/commands/policy.js';
import { register as run } from '../../src/cli/commands/run.js';
import { register as compare } from '../../src/cli/commands/compare.js';
import { register as policyDerive } from '../../src/cli/commands/policy-derive.js';
import { cliRunner } from './harness.js';

export type { CliResult } from './harness.js';

export const runCli = cliRunner([policy, run, compare, policyDerive]);
