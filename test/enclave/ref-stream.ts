// An independent MRENCLAVE reference for the enclave tests: records laid out byte by byte from
// the tables in the reference notes (sgx-measurement-sigstruct-einit.md "Implications" A), then
// one plain SHA-256. Shares no code with src/.
import { createHash } from 'node:crypto';

const ascii = (s: string, len: number): number[] => {
  const out = new Array<number>(len).fill(0);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};
export const le = (v: bigint | number, len: number): number[] => {
  let x = BigInt(v);
  const out: number[] = [];
  for (let i = 0; i < len; i++) {
    out.push(Number(x % 256n));
    x /= 256n;
  }
  return out;
};
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

export interface RefPage {
  off: bigint;
  /** SECINFO.FLAGS as passed to EADD (TCS permissions are forced to 0 here, as the SDM does). */
  flags: bigint;
  /** Bytes as stored after EADD; undefined = not measured. */
  data?: Uint8Array;
}

export function refRecords(ssa: number, size: bigint, pages: RefPage[]): Buffer {
  const parts: Buffer[] = [Buffer.from([...ascii('ECREATE', 8), ...le(ssa, 4), ...le(size, 8), ...zeros(44)])];
  for (const p of pages) {
    const flags = p.flags >> 8n === 1n ? p.flags & ~7n : p.flags;
    parts.push(Buffer.from([...ascii('EADD', 8), ...le(p.off, 8), ...le(flags, 8), ...zeros(40)]));
    if (p.data) {
      for (let k = 0; k < 16; k++) {
        parts.push(Buffer.from([...ascii('EEXTEND', 8), ...le(p.off + BigInt(256 * k), 8), ...zeros(48)]));
        parts.push(Buffer.from(p.data.subarray(256 * k, 256 * k + 256)));
      }
    }
  }
  return Buffer.concat(parts);
}

export function refMrenclave(ssa: number, size: bigint, pages: RefPage[]): string {
  return createHash('sha256').update(refRecords(ssa, size, pages)).digest('hex');
}

/**
 * A TCS page as EADD stores it, from the struct sgx_tcs table (reference notes / Linux
 * arch/x86/include/asm/sgx.h): OSSA @16, NSSA @28, OENTRY @32, OFSBASE @48, OGSBASE @56,
 * FSLIMIT @64, GSLIMIT @68; FLAGS.DBGOPTIN, CSSA, AEP, STATE zero.
 */
export function refTcs(f: { ossa: bigint; nssa: number; oentry: bigint; ofsbase?: bigint; ogsbase?: bigint; fslimit?: number; gslimit?: number }): Uint8Array {
  const t = new Uint8Array(4096);
  t.set(le(f.ossa, 8), 16);
  t.set(le(f.nssa, 4), 28);
  t.set(le(f.oentry, 8), 32);
  t.set(le(f.ofsbase ?? 0n, 8), 48);
  t.set(le(f.ogsbase ?? 0n, 8), 56);
  t.set(le(f.fslimit ?? 0xfff, 4), 64);
  t.set(le(f.gslimit ?? 0xfff, 4), 68);
  return t;
}
