// `sgxsim keygen -o KEY.pem`: a new SGX signing key (RSA-3072, public exponent 3), PKCS#1 PEM,
// as `openssl genrsa -3 3072` makes. Prints its MRSIGNER.
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { generateSigningKey } from '../../arch/x86/sgx/keys.js';
import { leHashMsrs } from '../../arch/x86/sgx/sigstruct.js';
import { toHex } from '../../arch/x86/sgx/bytes.js';
import { UsageError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('keygen')
    .description('Generate an SGX signing key: RSA-3072 with public exponent 3 (PKCS#1 PEM, mode 0600).')
    .requiredOption('-o, --out <key.pem>', 'where to write the private key')
    .option('-f, --force', 'overwrite the file if it exists')
    .option('--json', 'print MRSIGNER and the LEPUBKEYHASH MSR values as JSON')
    .action((opts: { out: string; force?: boolean; json?: boolean }) => {
      if (!opts.force && existsSync(opts.out)) throw new UsageError(`${opts.out} exists (use --force to overwrite)`);
      const { pem, mrsigner } = generateSigningKey(nodeCrypto);
      try {
        writeFileSync(opts.out, pem, { mode: 0o600 });
      } catch (e) {
        throw new UsageError(`${opts.out}: cannot write: ${(e as Error).message}`);
      }
      const msrs = leHashMsrs(mrsigner).map((v) => `0x${v.toString(16).padStart(16, '0')}`);
      if (opts.json) process.stdout.write(JSON.stringify({ out: opts.out, bits: 3072, exponent: 3, mrsigner: toHex(mrsigner), lePubKeyHash: msrs }, null, 2) + '\n');
      else process.stdout.write(`wrote ${opts.out} (RSA-3072, e=3)\nMRSIGNER: ${toHex(mrsigner)}\n`);
    });
}
