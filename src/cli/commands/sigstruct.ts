// `sgxsim sigstruct dump|verify FILE`: every SIGSTRUCT field, MRSIGNER, and whether the signature
// and Q1/Q2 verify (SDM Vol. 3D 37.14 layout; EINIT's checks in sigstructStructureErrors()).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Command } from 'commander';
import { nodeCrypto } from '../../platform/node/crypto.js';
import {
  leHashMsrs,
  mrsignerOf,
  parseSigstruct,
  sigstructStructureErrors,
  verifySigstruct,
  type Sigstruct,
  type SigstructVerification,
} from '../../arch/x86/sgx/sigstruct.js';
import { SIGSTRUCT_SIZE } from '../../arch/x86/sgx/arch.js';
import { fromHex, leToBigint, toHex } from '../../arch/x86/sgx/bytes.js';
import { ATTRIBUTE_NAMES } from '../../enclave/manifest.js';
import { EXIT_FAIL, UsageError } from '../errors.js';

export function readBinaryFile(path: string, what: string, maxSize = 1 << 20): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read the ${what}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UsageError(`${path}: cannot read the ${what}: is a directory`);
    if (st.size > maxSize) throw new UsageError(`${path}: ${st.size} bytes is too large for a ${what}`);
    const b = new Uint8Array(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, b, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export function readSigstructFile(path: string): Uint8Array {
  const b = readBinaryFile(path, 'SIGSTRUCT');
  if (b.length !== SIGSTRUCT_SIZE) throw new UsageError(`${path}: a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes, this file is ${b.length}`);
  return b;
}

/** Names of the set ATTRIBUTES.FLAGS bits ("MODE64BIT | DEBUG"), unknown bits in hex. */
export function attributeNames(a: bigint): string {
  const names: string[] = [];
  let rest = a;
  for (const [n, bit] of Object.entries(ATTRIBUTE_NAMES)) {
    if (a & bit) {
      names.push(n);
      rest &= ~bit;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names.length ? names.join(' | ') : '(none)';
}

const h64 = (v: bigint) => `0x${v.toString(16).padStart(16, '0')}`;
const h32 = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;
const h16 = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;

function bcdDate(d: number): string {
  const s = d.toString(16).padStart(8, '0');
  return /^\d{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}` : 'not a BCD date';
}

export interface SigstructReport {
  fields: Sigstruct;
  mrsigner: Uint8Array;
  verification: SigstructVerification;
  structureErrors: string[];
  modulusBits: number;
}

export function inspectSigstruct(bytes: Uint8Array): SigstructReport {
  const fields = parseSigstruct(bytes);
  return {
    fields,
    mrsigner: mrsignerOf(bytes, nodeCrypto),
    verification: verifySigstruct(bytes, nodeCrypto),
    structureErrors: sigstructStructureErrors(bytes),
    modulusBits: leToBigint(fields.modulus).toString(2).replace(/^0+$/, '').length,
  };
}

export function reportJson(r: SigstructReport): Record<string, unknown> {
  const s = r.fields;
  const msrs = leHashMsrs(r.mrsigner);
  return {
    header: toHex(s.header),
    vendor: s.vendor,
    date: h32(s.date),
    header2: toHex(s.header2),
    swdefined: s.swdefined,
    modulus: toHex(s.modulus),
    modulusBits: r.modulusBits,
    exponent: s.exponent,
    signature: toHex(s.signature),
    miscselect: h32(s.miscselect),
    miscmask: h32(s.miscmask),
    cetAttributes: s.cetAttributes,
    cetAttributesMask: s.cetAttributesMask,
    isvFamilyId: toHex(s.isvFamilyId),
    attributes: h64(s.attributes),
    attributeNames: attributeNames(s.attributes),
    xfrm: h64(s.xfrm),
    attributesMask: h64(s.attributesMask),
    xfrmMask: h64(s.xfrmMask),
    enclaveHash: toHex(s.enclaveHash),
    isvExtProdId: toHex(s.isvExtProdId),
    isvProdId: s.isvProdId,
    isvSvn: s.isvSvn,
    q1: toHex(s.q1),
    q2: toHex(s.q2),
    reservedNonZero: r.structureErrors.filter((e) => e.startsWith('RESERVED')),
    mrsigner: toHex(r.mrsigner),
    lePubKeyHash: msrs.map(h64),
    verification: { ...r.verification, structure: r.structureErrors.length === 0, structureErrors: r.structureErrors },
  };
}

export function reportText(r: SigstructReport): string[] {
  const s = r.fields;
  const short = (b: Uint8Array) => `${toHex(b.subarray(0, 16))}…`;
  const ok = (b: boolean) => (b ? 'ok' : 'FAILED');
  const v = r.verification;
  const pad = (k: string) => k.padEnd(20);
  return [
    `${pad('HEADER')}${toHex(s.header)}${r.structureErrors.includes('HEADER') ? '  (not the architectural value)' : ''}`,
    `${pad('VENDOR')}${h32(s.vendor)}${s.vendor === 0x8086 ? ' (Intel)' : s.vendor === 0 ? '' : '  (must be 0 or 0x8086)'}`,
    `${pad('DATE')}${h32(s.date)} (${bcdDate(s.date)})`,
    `${pad('HEADER2')}${toHex(s.header2)}${r.structureErrors.includes('HEADER2') ? '  (not the architectural value)' : ''}`,
    `${pad('SWDEFINED')}${h32(s.swdefined)}`,
    `${pad('MODULUS')}${short(s.modulus)} (${r.modulusBits}-bit, little-endian)`,
    `${pad('EXPONENT')}${s.exponent}`,
    `${pad('SIGNATURE')}${short(s.signature)}`,
    `${pad('MISCSELECT')}${h32(s.miscselect)}`,
    `${pad('MISCMASK')}${h32(s.miscmask)}`,
    `${pad('CET_ATTRIBUTES')}0x${s.cetAttributes.toString(16).padStart(2, '0')} mask 0x${s.cetAttributesMask.toString(16).padStart(2, '0')}`,
    `${pad('ISVFAMILYID')}${toHex(s.isvFamilyId)}`,
    `${pad('ATTRIBUTES')}${h64(s.attributes)} (${attributeNames(s.attributes)})`,
    `${pad('ATTRIBUTES.XFRM')}${h64(s.xfrm)}`,
    `${pad('ATTRIBUTEMASK')}${h64(s.attributesMask)}`,
    `${pad('ATTRIBUTEMASK.XFRM')}${h64(s.xfrmMask)}`,
    `${pad('ENCLAVEHASH')}${toHex(s.enclaveHash)}`,
    `${pad('ISVEXTPRODID')}${toHex(s.isvExtProdId)}`,
    `${pad('ISVPRODID')}${h16(s.isvProdId)} (${s.isvProdId})`,
    `${pad('ISVSVN')}${s.isvSvn}`,
    `${pad('Q1')}${short(s.q1)}`,
    `${pad('Q2')}${short(s.q2)}`,
    ...(r.structureErrors.some((e) => e.startsWith('RESERVED')) ? [`${pad('reserved')}non-zero: ${r.structureErrors.filter((e) => e.startsWith('RESERVED')).join(', ')}`] : []),
    `${pad('MRSIGNER')}${toHex(r.mrsigner)}`,
    `${pad('LEPUBKEYHASH0..3')}${leHashMsrs(r.mrsigner).map(h64).join(' ')}`,
    `${pad('check structure')}${r.structureErrors.length ? `FAILED (${r.structureErrors.join(', ')}): EINIT returns SGX_INVALID_SIG_STRUCT` : 'ok'}`,
    `${pad('check signature')}${ok(v.signature)}`,
    `${pad('check Q1')}${ok(v.q1)}`,
    `${pad('check Q2')}${ok(v.q2)}`,
  ];
}

export function register(program: Command): void {
  const cmd = program
    .command('sigstruct')
    .description('Inspect a SIGSTRUCT (1808 bytes): print every field and MRSIGNER, check the signature and Q1/Q2.');

  cmd
    .command('dump')
    .description('print every field, MRSIGNER and the verification results')
    .argument('<file>', 'SIGSTRUCT file (1808 bytes)')
    .option('--json', 'print as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const r = inspectSigstruct(readSigstructFile(file));
      process.stdout.write(opts.json ? JSON.stringify(reportJson(r), null, 2) + '\n' : reportText(r).join('\n') + '\n');
    });

  cmd
    .command('verify')
    .description(
      'check what EINIT checks of the SIGSTRUCT itself: structure (headers, vendor, exponent 3, reserved zero), ' +
        'the RSA signature and Q1/Q2. Exits 1 if any fails.',
    )
    .argument('<file>', 'SIGSTRUCT file (1808 bytes)')
    .option('--enclave-hash <hex>', 'also require ENCLAVEHASH to equal this MRENCLAVE (64 hex digits)')
    .option('--json', 'print as JSON')
    .action((file: string, opts: { json?: boolean; enclaveHash?: string }) => {
      let want: Uint8Array | undefined;
      if (opts.enclaveHash !== undefined) {
        if (!/^[0-9a-fA-F]{64}$/.test(opts.enclaveHash)) throw new UsageError('--enclave-hash: expected 64 hexadecimal digits');
        want = fromHex(opts.enclaveHash);
      }
      const r = inspectSigstruct(readSigstructFile(file));
      const v = r.verification;
      const hashOk = want === undefined || toHex(want) === toHex(r.fields.enclaveHash);
      const ok = v.signature && v.q1 && v.q2 && v.exponent3 && r.structureErrors.length === 0 && hashOk;
      if (opts.json) {
        const o = reportJson(r);
        if (want) (o.verification as Record<string, unknown>).enclaveHash = hashOk;
        o.ok = ok;
        process.stdout.write(JSON.stringify(o, null, 2) + '\n');
      } else {
        const lines = reportText(r);
        if (want) lines.push(`${'check ENCLAVEHASH'.padEnd(20)}${hashOk ? 'ok' : `FAILED (expected ${toHex(want)})`}`);
        lines.push(ok ? `${file}: verified` : `${file}: verification FAILED`);
        process.stdout.write(lines.join('\n') + '\n');
      }
      if (!ok) process.exitCode = EXIT_FAIL;
    });
}
