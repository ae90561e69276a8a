// SECINFO (64 bytes, 64-byte aligned; SDM Vol. 3D "Security Information (SECINFO)"): FLAGS (u64) then 56 reserved bytes.
// FLAGS: bit 0 R, 1 W, 2 X, 3 PENDING, 4 MODIFIED, 5 PR, bits 15:8 PAGE_TYPE; everything else is
// reserved (arch/x86/include/asm/sgx.h enum sgx_secinfo_flags).
import {
  SECINFO_SIZE,
  SGX_SECINFO_MODIFIED,
  SGX_SECINFO_PAGE_TYPE_MASK,
  SGX_SECINFO_PAGE_TYPE_SHIFT,
  SGX_SECINFO_PENDING,
  SGX_SECINFO_PERMISSION_MASK,
  SGX_SECINFO_PR,
} from './arch.js';

/** A SECINFO operand: the 64 bytes, or just FLAGS (the 56 reserved bytes then read as zero). */
export type SecinfoOperand = Uint8Array | bigint;

/** FLAGS bits the SDM defines (R, W, X, PENDING, MODIFIED, PR, PAGE_TYPE). */
export const SECINFO_DEFINED_FLAGS = SGX_SECINFO_PERMISSION_MASK | SGX_SECINFO_PENDING | SGX_SECINFO_MODIFIED | SGX_SECINFO_PR | SGX_SECINFO_PAGE_TYPE_MASK;
/** PENDING | MODIFIED | PR. */
export const SECINFO_STATE_FLAGS = SGX_SECINFO_PENDING | SGX_SECINFO_MODIFIED | SGX_SECINFO_PR;

/** The 64-byte SECINFO for `flags`. */
export function secinfoBytes(flags: bigint): Uint8Array {
  const b = new Uint8Array(SECINFO_SIZE);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, flags), true);
  return b;
}

export function secinfoFlagsOf(op: SecinfoOperand): bigint {
  if (typeof op === 'bigint') return BigInt.asUintN(64, op);
  if (op.length !== SECINFO_SIZE) throw new Error(`a SECINFO is ${SECINFO_SIZE} bytes, got ${op.length}`);
  return new DataView(op.buffer, op.byteOffset, SECINFO_SIZE).getBigUint64(0, true);
}

/**
 * "SCRATCH_SECINFO reserved fields are not zero": FLAGS bits outside SECINFO_DEFINED_FLAGS (plus
 * `alsoReserved`, bits a particular leaf treats as reserved) or any of bytes 8..63. Returns the
 * reason or null.
 */
export function secinfoReservedReason(op: SecinfoOperand, alsoReserved = 0n): string | null {
  const flags = secinfoFlagsOf(op);
  const bad = flags & (~SECINFO_DEFINED_FLAGS | alsoReserved) & 0xffff_ffff_ffff_ffffn;
  if (bad !== 0n) return `SECINFO.FLAGS 0x${flags.toString(16)} has reserved bits 0x${bad.toString(16)} set`;
  if (typeof op !== 'bigint') {
    for (let i = 8; i < SECINFO_SIZE; i++) if (op[i] !== 0) return `SECINFO reserved byte ${i} is not zero`;
  }
  return null;
}

/** FLAGS.PAGE_TYPE. */
export function secinfoPageType(flags: bigint): number {
  return Number((flags & SGX_SECINFO_PAGE_TYPE_MASK) >> SGX_SECINFO_PAGE_TYPE_SHIFT);
}

export interface SecinfoBits {
  readonly r: boolean;
  readonly w: boolean;
  readonly x: boolean;
  readonly pending: boolean;
  readonly modified: boolean;
  readonly pr: boolean;
  readonly pt: number;
}

export function secinfoBits(flags: bigint): SecinfoBits {
  return {
    r: (flags & 1n) !== 0n,
    w: (flags & 2n) !== 0n,
    x: (flags & 4n) !== 0n,
    pending: (flags & SGX_SECINFO_PENDING) !== 0n,
    modified: (flags & SGX_SECINFO_MODIFIED) !== 0n,
    pr: (flags & SGX_SECINFO_PR) !== 0n,
    pt: secinfoPageType(flags),
  };
}
