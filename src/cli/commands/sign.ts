// `sgxsim sign`: build and sign a SIGSTRUCT. Flags and defaults follow Fortanix `sgxs-sign`
// (fortanix/rust-sgx intel-sgx/sgxs-tools/src/bin/sgxs-sign.rs and sgxs/src/sigstruct.rs
// Signer::new): given the same inputs it writes the same 1808 bytes.
//   - VAL/MASK options take the *inverse* of the mask; without /MASK the value is used for both.
//   - defaults: ATTRIBUTES 0x4 (MODE64BIT) with mask !0x2 (DEBUG unenforced), XFRM 0x3 with mask
//     !0x3, MISCSELECT 0 with MISCMASK !0, SWDEFINED/ISVPRODID/ISVSVN 0, VENDOR 0, DATE today.
//   - unknown ATTRIBUTES / MISCSELECT bits are dropped with a warning (bitflags from_bits_truncate).
//   - --debug sets DEBUG and clears it from the mask; --32bit clears MODE64BIT and adds it to the
//     mask; --isvextprodid also sets KSS in ATTRIBUTES and the mask.
// With --manifest the enclave's own SECS values (attributes, xfrm, miscselect, isvprodid, isvsvn)
// and its `signing:` section are the defaults instead; flags still override.
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { nodeCrypto } from '../../platform/node/crypto.js';
import type { RsaPrivateKey } from '../../platform/crypto.js';
import { newSigstruct, signSigstruct, verifySigstruct, type SigstructBody } from '../../arch/x86/sgx/sigstruct.js';
import { sgxKeyProblem } from '../../arch/x86/sgx/keys.js';
import { fromHex, toHex } from '../../arch/x86/sgx/bytes.js';
import {
  SGX_ATTR_ASYNC_EXIT_NOTIFY,
  SGX_ATTR_CET,
  SGX_ATTR_DEBUG,
  SGX_ATTR_EINITTOKENKEY,
  SGX_ATTR_INIT,
  SGX_ATTR_KSS,
  SGX_ATTR_MODE64BIT,
  SGX_ATTR_PROVISIONKEY,
  SGX_MISC_EXINFO,
} from '../../arch/x86/sgx/arch.js';
import type { EnclaveManifest } from '../../enclave/manifest.js';
import { EXIT_USAGE, UsageError } from '../errors.js';
import { measureFile, readTextFile } from './measure.js';
import { inspectSigstruct, reportJson } from './sigstruct.js';

const U64 = 0xffff_ffff_ffff_ffffn;
/** sgx-isa AttributesFlags (INIT, DEBUG, MODE64BIT, PROVISIONKEY, EINITTOKENKEY, CET, KSS, AEXNOTIFY). */
export const KNOWN_ATTRIBUTES =
  SGX_ATTR_INIT | SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY | SGX_ATTR_EINITTOKENKEY | SGX_ATTR_CET | SGX_ATTR_KSS | SGX_ATTR_ASYNC_EXIT_NOTIFY;
/** sgx-isa Miscselect (EXINFO). */
export const KNOWN_MISCSELECT = Number(SGX_MISC_EXINFO);

/** sgxs-sign NUM_REGEX: decimal or 0x-prefixed hex. */
export function parseNum(s: string, bits: number, flag: string): bigint {
  if (!/^([0-9]+|0x[0-9a-fA-F]+)$/.test(s)) throw new UsageError(`${flag}: '${s}' is not a number (decimal, or hexadecimal with 0x)`);
  const v = BigInt(s);
  if (v >= 1n << BigInt(bits)) throw new UsageError(`${flag}: ${s} does not fit in ${bits} bits`);
  return v;
}

/** sgxs-sign NUM_NUM_REGEX: VALUE or VALUE/INVERSE-MASK; without the mask the value is used twice. */
export function parseNumNum(s: string, bits: number, flag: string): [bigint, bigint] {
  const parts = s.split('/');
  if (parts.length > 2) throw new UsageError(`${flag}: expected VALUE or VALUE/INVERSE-MASK, got '${s}'`);
  const v = parseNum(parts[0], bits, flag);
  return [v, parts.length === 2 ? parseNum(parts[1], bits, flag) : v];
}

/** sgxs-sign DATE_REGEX (8 digits), stored as the BCD u32 0xYYYYMMDD. */
export function parseDate(s: string): number {
  if (!/^[0-9]{8}$/.test(s)) throw new UsageError(`--date: date must be specified as YYYYMMDD, got '${s}'`);
  return parseInt(s, 16);
}

/** Today's local date as BCD (sgxs-sign: strftime("%Y%m%d", now()) read as hex). */
export function todayBcd(now = new Date()): number {
  const s = `${now.getFullYear().toString().padStart(4, '0')}${(now.getMonth() + 1).toString().padStart(2, '0')}${now.getDate().toString().padStart(2, '0')}`;
  return parseInt(s, 16);
}

export interface SignOptions {
  key: string;
  manifest?: string;
  enclaveHash?: string;
  sgxs?: string;
  out: string;
  date?: string;
  vendor?: string;
  swdefined?: string;
  xfrm?: string;
  attributes?: string;
  miscselect?: string;
  isvprodid?: string;
  isvsvn?: string;
  isvextprodid?: string;
  debug?: boolean;
  '32bit'?: boolean;
  force?: boolean;
  json?: boolean;
}

/**
 * The SIGSTRUCT body sgxs-sign would build from these options (plus manifest defaults).
 * `warn` receives sgxs-sign's "Dropping unknown bits" warnings.
 */
export function sigstructBodyFromOptions(
  o: Omit<SignOptions, 'key' | 'out' | 'manifest' | 'sgxs'>,
  enclaveHash: Uint8Array,
  manifest: EnclaveManifest | undefined,
  warn: (msg: string) => void,
  now?: Date,
): SigstructBody {
  const sg = manifest?.signing;
  let miscselect = manifest?.miscselect ?? 0;
  let miscmask = sg?.miscmask ?? 0xffff_ffff;
  if (o.miscselect !== undefined) {
    const [sel, inv] = parseNumNum(o.miscselect, 32, '--miscselect');
    miscselect = Number(sel);
    if (miscselect & ~KNOWN_MISCSELECT) {
      warn('Dropping unknown bits in input MISCSELECT!');
      miscselect &= KNOWN_MISCSELECT;
    }
    miscmask = Number(~inv & 0xffff_ffffn);
  }
  let attributes = manifest?.attributes ?? SGX_ATTR_MODE64BIT;
  let attributesMask = sg?.attributesMask ?? (~SGX_ATTR_DEBUG & U64);
  let fromFlag = false;
  if (o.attributes !== undefined) {
    const [a, inv] = parseNumNum(o.attributes, 64, '--attributes');
    attributes = a;
    attributesMask = ~inv & U64;
    fromFlag = true;
  }
  if (o['32bit']) {
    attributes &= ~SGX_ATTR_MODE64BIT;
    attributesMask |= SGX_ATTR_MODE64BIT;
  }
  if (o.debug) {
    attributes |= SGX_ATTR_DEBUG;
    attributesMask &= ~SGX_ATTR_DEBUG;
  }
  let isvExtProdId: Uint8Array | undefined;
  if (o.isvextprodid !== undefined) {
    const v = parseNum(o.isvextprodid, 128, '--isvextprodid');
    isvExtProdId = new Uint8Array(16);
    for (let i = 0; i < 16; i++) isvExtProdId[i] = Number((v >> BigInt(8 * i)) & 0xffn);
    attributes |= SGX_ATTR_KSS;
    attributesMask |= SGX_ATTR_KSS;
  }
  if (fromFlag && attributes & ~KNOWN_ATTRIBUTES) {
    warn('Dropping unknown bits in input ATTRIBUTES!');
    attributes &= KNOWN_ATTRIBUTES;
  }
  let xfrm = manifest?.xfrm ?? 3n;
  let xfrmMask = sg?.xfrmMask ?? (~3n & U64);
  if (o.xfrm !== undefined) {
    const [x, inv] = parseNumNum(o.xfrm, 64, '--xfrm');
    xfrm = x;
    xfrmMask = ~inv & U64;
  }
  let vendor = sg?.vendor ?? 0;
  if (o.vendor !== undefined) {
    const v = parseNum(o.vendor, 32, '--vendor');
    if (v !== 0n && v !== 0x8086n) throw new UsageError(`--vendor: must be 0 or 0x8086 (EINIT rejects anything else), got ${o.vendor}`);
    vendor = Number(v);
  }
  return {
    vendor,
    date: o.date !== undefined ? parseDate(o.date) : (sg?.date ?? todayBcd(now)),
    swdefined: o.swdefined !== undefined ? Number(parseNum(o.swdefined, 32, '--swdefined')) : (sg?.swdefined ?? 0),
    miscselect,
    miscmask,
    attributes,
    attributesMask,
    xfrm,
    xfrmMask,
    enclaveHash,
    isvExtProdId,
    isvProdId: o.isvprodid !== undefined ? Number(parseNum(o.isvprodid, 16, '--isvprodid')) : (manifest?.isvProdId ?? 0),
    isvSvn: o.isvsvn !== undefined ? Number(parseNum(o.isvsvn, 16, '--isvsvn')) : (manifest?.isvSvn ?? 0),
  };
}

function loadKey(path: string): RsaPrivateKey {
  const pem = readTextFile(path, 'key');
  let key: RsaPrivateKey;
  try {
    key = nodeCrypto.importPrivateKeyPem(pem);
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
  const problem = sgxKeyProblem(key);
  if (problem) throw new UsageError(`${path}: ${problem} (make one with \`sgxsim keygen\`)`);
  return key;
}

export function register(program: Command): void {
  program
    .command('sign')
    .description(
      'Build and sign a SIGSTRUCT (RSA-3072, e=3, PKCS#1 v1.5, SHA-256). Flags and defaults follow Fortanix ' +
        'sgxs-sign, which this reproduces byte for byte; VAL/MASK flags take the INVERSE of the mask.',
    )
    .requiredOption('-k, --key <key.pem>', 'PEM RSA private key (3072-bit, exponent 3)')
    .option('--manifest <file>', 'measure this enclave manifest (its SECS fields become the defaults)')
    .option('--enclave-hash <hex>', 'use this MRENCLAVE (64 hex digits) as ENCLAVEHASH (sgxs-sign --in-hash)')
    .option('--sgxs <file>', 'measure this SGXS stream (sgxs-sign\'s default input)')
    .requiredOption('-o, --out <file>', 'where to write the 1808-byte SIGSTRUCT')
    .option('--date <YYYYMMDD>', 'DATE field (default: today, or the manifest\'s signing.date)')
    .option('--vendor <0|0x8086>', 'VENDOR field (default 0)')
    .option('-s, --swdefined <n>', 'SWDEFINED field (default 0)')
    .option('-x, --xfrm <val/invmask>', 'ATTRIBUTES.XFRM and inverse ATTRIBUTEMASK.XFRM (default 0x3/0x3)')
    .option('-a, --attributes <val/invmask>', 'lower ATTRIBUTES and inverse lower ATTRIBUTEMASK (default 0x4/0x2)')
    .option('-m, --miscselect <val/invmask>', 'MISCSELECT and inverse MISCMASK (default 0/0)')
    .option('-p, --isvprodid <n>', 'ISVPRODID (default 0)')
    .option('-v, --isvsvn <n>', 'ISVSVN (default 0)')
    .option('--isvextprodid <n>', 'ISVEXTPRODID (128-bit); also requires KSS')
    .option('-d, --debug', 'set DEBUG in ATTRIBUTES and clear it from ATTRIBUTEMASK')
    .option('--32bit', 'clear MODE64BIT in ATTRIBUTES and set it in ATTRIBUTEMASK (sgxs-sign --32)')
    .option('-f, --force', 'overwrite the output file if it exists')
    .option('--json', 'print the written SIGSTRUCT as JSON')
    .addHelpText(
      'after',
      '\nNumbers are decimal or 0x-hex. Example (the Fortanix sig1 known answer):\n' +
        '  sgxsim sign -k sig1.key.pem -x 3/0xe4 --date 20160109 \\\n' +
        '    --enclave-hash c50673624a6cb17c1c6c2a4e6906f47a170c4629b8723781d1017ef376f1a75d -o sig1.sigstruct.bin\n',
    )
    .action((opts: SignOptions) => {
      const inputs = [opts.manifest, opts.enclaveHash, opts.sgxs].filter((x) => x !== undefined).length;
      if (inputs !== 1) throw new UsageError('give exactly one of --manifest FILE, --enclave-hash HEX, --sgxs FILE');
      if (!opts.force && existsSync(opts.out)) throw new UsageError(`${opts.out} exists (use --force to overwrite)`);
      const key = loadKey(opts.key);
      let hash: Uint8Array;
      let manifest: EnclaveManifest | undefined;
      if (opts.enclaveHash !== undefined) {
        if (!/^[0-9a-fA-F]{64}$/.test(opts.enclaveHash)) throw new UsageError('--enclave-hash: the hash must be 64 hexadecimal characters');
        hash = fromHex(opts.enclaveHash);
      } else {
        const res = measureFile((opts.manifest ?? opts.sgxs)!, { quiet: opts.json });
        if (!res) {
          process.exitCode = EXIT_USAGE;
          return;
        }
        if (opts.sgxs !== undefined && res.kind !== 'sgxs') throw new UsageError(`${opts.sgxs}: not an SGXS stream`);
        if (opts.manifest !== undefined && res.kind !== 'manifest') throw new UsageError(`${opts.manifest}: this is an SGXS stream; use --sgxs`);
        hash = res.mrenclave;
        manifest = res.manifest;
      }
      const body = sigstructBodyFromOptions(opts, hash, manifest, (m) => process.stderr.write(`WARNING: ${m}\n`));
      const bytes = signSigstruct(newSigstruct(body), key, nodeCrypto);
      const v = verifySigstruct(bytes, nodeCrypto);
      if (!(v.signature && v.q1 && v.q2)) throw new Error('internal: the SIGSTRUCT just signed does not verify');
      try {
        writeFileSync(opts.out, bytes);
      } catch (e) {
        throw new UsageError(`${opts.out}: cannot write: ${(e as Error).message}`);
      }
      const r = inspectSigstruct(bytes);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ out: opts.out, ...reportJson(r) }, null, 2) + '\n');
      } else {
        process.stdout.write(`ENCLAVEHASH: ${toHex(hash)}\nMRSIGNER: ${toHex(r.mrsigner)}\nwrote ${opts.out}\n`);
      }
    });
}
