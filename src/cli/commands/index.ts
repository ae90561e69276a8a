// Each command lives in its own file and exports `register(program)`. Add new commands
// to this list (one import and one entry) so that parallel work touches one line each.
import type { Command } from 'commander';
import { register as policy } from './policy.js';
import { register as audit2allow } from './audit2allow.js';
import { register as measure } from './measure.js';
import { register as sign } from './sign.js';
import { register as sigstruct } from './sigstruct.js';
import { register as keygen } from './keygen.js';
import { register as run } from './run.js';
import { register as explore } from './explore.js';
import { register as policyDerive } from './policy-derive.js';
import { register as compare } from './compare.js';

type Register = (program: Command) => void;

const commands: Register[] = [
  policy,
  audit2allow,
  measure,
  sign,
  sigstruct,
  keygen,
  run,
  explore,
  policyDerive,
  compare,
];

export function registerAll(program: Command): void {
  for (const register of commands) register(program);
}
