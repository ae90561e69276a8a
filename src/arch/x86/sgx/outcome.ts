// Outcomes of ENCLS/ENCLU leaves. Every leaf ends in exactly one of three ways (SDM Vol. 3D
// ch. 37/38 "Flags Affected" and "Exceptions" of each leaf):
//   ok     — RAX = 0 (ZF = 0)
//   error  — an SGX error code in RAX (ZF = 1, or CF = 1 for EBLOCK/EWB's informational codes)
//   fault  — an exception (#GP(0), #PF(error code), #UD) instead of completing
// Each non-ok outcome carries `reason`: the check that failed, in words, for traces and tests.
import { PF_P, PF_SGX, SgxError, X86_TRAP_GP, X86_TRAP_PF } from './arch.js';
import { X86_TRAP_UD } from './cpu.js';

export interface SgxFault {
  readonly kind: 'fault';
  /** 13 (#GP), 14 (#PF) or 6 (#UD). */
  readonly vector: number;
  /** #PF error code (SDM Vol. 3A 4.7 + bit 15 SGX); 0 for #GP(0) and #UD. */
  readonly errorCode: number;
  /** CR2 for #PF (for ENCLS operands: the EPC page's physical address in this model); 0 otherwise. */
  readonly address: bigint;
  readonly reason: string;
}

export interface SgxOk<T> {
  readonly kind: 'ok';
  readonly value: T;
}

export interface SgxErrorOutcome<T> {
  readonly kind: 'error';
  readonly code: SgxError;
  readonly reason: string;
  /** Set when the leaf still produced output (EWB with SGX_VA_SLOT_OCCUPIED evicts the page anyway). */
  readonly value?: T;
}

export type EnclsResult<T = undefined> = SgxOk<T> | SgxErrorOutcome<T> | SgxFault;

export const OK: SgxOk<undefined> = Object.freeze({ kind: 'ok', value: undefined });

export function ok<T>(value: T): SgxOk<T> {
  return { kind: 'ok', value };
}

export function sgxError(code: SgxError, reason: string): SgxErrorOutcome<never> {
  return { kind: 'error', code, reason };
}

/** #GP(0). */
export function gp(reason: string): SgxFault {
  return { kind: 'fault', vector: X86_TRAP_GP, errorCode: 0, address: 0n, reason };
}

/** #PF with an explicit error code. */
export function pf(address: bigint, errorCode: number, reason: string): SgxFault {
  return { kind: 'fault', vector: X86_TRAP_PF, errorCode, address, reason };
}

/**
 * #PF raised by an ENCLS leaf on an EPC operand ("#PF(DS:RCX)" in the SDM): the operand is not an
 * EPC page, or its EPCM entry is not what the leaf needs. ENCLS runs at CPL 0, so U/S = 0; the
 * model reports P | SGX (0x8001), marking the fault as EPCM-induced. Linux only looks at the
 * vector (arch/x86/kernel/cpu/sgx/encls.h: ENCLS_FAULT_FLAG | trapnr).
 */
export function epcPf(address: bigint, reason: string): SgxFault {
  return pf(address, PF_P | PF_SGX, reason);
}

/** #UD: the leaf is not supported by this CPU (e.g. an SGX2 leaf on an SGX1 part). */
export function ud(reason: string): SgxFault {
  return { kind: 'fault', vector: X86_TRAP_UD, errorCode: 0, address: 0n, reason };
}

/** Bit 30 of an ENCLS return value: the leaf faulted, bits 15:0 hold the vector (Linux encls.h ENCLS_FAULT_FLAG). */
export const SGX_ENCLS_FAULT_FLAG = 0x4000_0000;

/**
 * The int Linux's __encls_*() wrappers return for an outcome (arch/x86/kernel/cpu/sgx/encls.h):
 * 0 on success, the SGX error code on failure, ENCLS_FAULT_FLAG | vector on a fault. Drivers
 * written after the kernel can branch on this exactly as encls_faulted()/encls_failed() do.
 */
export function enclsReturnValue(r: EnclsResult<unknown>): number {
  if (r.kind === 'ok') return 0;
  if (r.kind === 'error') return r.code;
  return SGX_ENCLS_FAULT_FLAG | r.vector;
}

/** One-line description, e.g. "#GP(0): SECS.SIZE is not a power of two" or "SGX_INVALID_MEASUREMENT (4): ...". */
export function describeOutcome(r: EnclsResult<unknown>): string {
  if (r.kind === 'ok') return 'ok';
  if (r.kind === 'error') return `SGX_${SgxError[r.code] ?? r.code} (${r.code}): ${r.reason}`;
  const name = r.vector === X86_TRAP_GP ? '#GP(0)' : r.vector === X86_TRAP_PF ? `#PF(0x${r.errorCode.toString(16)}, 0x${r.address.toString(16)})` : r.vector === X86_TRAP_UD ? '#UD' : `vector ${r.vector}`;
  return `${name}: ${r.reason}`;
}
