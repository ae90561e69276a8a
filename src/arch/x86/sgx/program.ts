// Enclave programs: a small step language for what code inside an enclave does. The hardware
// model executes a program one op at a time on the logical processor that entered the enclave,
// so an op that faults causes an AEX with the program position saved in the SSA frame, and a
// later ERESUME of that TCS retries the faulting op (SDM Vol. 3D "AEX Flow" AEX: the interrupted RIP is
// saved in the SSA; ERESUME restores it). Ops complete in order; a program that runs off its end
// performs EEXIT.
//
// Every memory access is checked against both the page table (the kernel's, through the
// translate() callback) and the EPCM (enclu.ts). The Linux selftest enclave's operations
// (tools/testing/selftests/sgx/test_encl.c, defines.h enum encl_op_type) are provided as
// constructors in `selftestOps`.
import { PAGE_SIZE, TCS_OFF } from './arch.js';

export type AccessSize = 1 | 2 | 4 | 8;

export type EnclaveOp =
  /** Read `size` bytes (default 8) at `addr`; the little-endian value is the op's result. */
  | { readonly op: 'load'; readonly addr: bigint; readonly size?: AccessSize; readonly name?: string }
  /** Write `value` as `size` little-endian bytes (default 8) at `addr`. */
  | { readonly op: 'store'; readonly addr: bigint; readonly value: bigint; readonly size?: AccessSize; readonly name?: string }
  /** Write `data` at `addr` (one access per page touched, in address order). */
  | { readonly op: 'write'; readonly addr: bigint; readonly data: Uint8Array; readonly name?: string }
  /** Fetch and execute an instruction at `addr` (e.g. a call into another code page). */
  | { readonly op: 'exec'; readonly addr: bigint; readonly name?: string }
  /** ENCLU[EACCEPT] of the page at `addr` with SECINFO.FLAGS = `flags`; the result is the SGX return code. */
  | { readonly op: 'eaccept'; readonly addr: bigint; readonly flags: bigint; readonly secinfoAddr?: bigint; readonly name?: string }
  /** ENCLU[EACCEPTCOPY]: initialise the PENDING page at `addr` from the page at `src`; result = SGX return code. */
  | { readonly op: 'eacceptcopy'; readonly addr: bigint; readonly src: bigint; readonly flags: bigint; readonly secinfoAddr?: bigint; readonly name?: string }
  /** ENCLU[EMODPE]: extend the EPCM permissions of the page at `addr` by `flags`' R/W/X. */
  | { readonly op: 'emodpe'; readonly addr: bigint; readonly flags: bigint; readonly secinfoAddr?: bigint; readonly name?: string }
  | { readonly op: 'nop'; readonly name?: string }
  /** ENCLU[EEXIT]. */
  | { readonly op: 'eexit'; readonly name?: string };

/** A program: the ops one EENTER runs. `secinfoAddr` on EACCEPT/EACCEPTCOPY/EMODPE places the
 * SECINFO in enclave memory (its bytes are then read from there and the RBX checks apply);
 * without it the SECINFO is the 64 bytes FLAGS‖zeros held in a valid scratch location. */
export type EnclaveProgram = readonly EnclaveOp[];

/** Per-op result: a load's value, an EACCEPT/EACCEPTCOPY's SGX return code, or undefined. */
export type OpResult = bigint | number | undefined;

/** What an in-enclave thread has done so far; saved into the SSA frame on AEX. Immutable. */
export interface ThreadContext {
  readonly program: EnclaveProgram;
  /** Next op to run; -1 = the first instruction fetch at OENTRY (right after EENTER). */
  readonly pc: number;
  readonly results: readonly OpResult[];
}

/** The value `size` bytes little-endian at `b[off..]`. */
export function readLe(b: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]);
  return v;
}

/** `value` as `size` little-endian bytes. */
export function leBytes(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * The 4096 bytes test_encl.c do_encl_init_tcs_page() writes: STATE/FLAGS 0, OSSA = `ssa`
 * (offset from the enclave base), CSSA 0, NSSA 1, OENTRY = `entry`, AEP/OFSBASE/OGSBASE 0,
 * FSLIMIT = GSLIMIT = 0xFFFFFFFF, reserved 0.
 */
export function initTcsPageBytes(ssa: bigint, entry: bigint): Uint8Array {
  const b = new Uint8Array(PAGE_SIZE);
  const v = new DataView(b.buffer);
  v.setBigUint64(TCS_OFF.ssaOffset, ssa, true);
  v.setUint32(TCS_OFF.nrSsaFrames, 1, true);
  v.setBigUint64(TCS_OFF.entryOffset, entry, true);
  v.setUint32(TCS_OFF.fsLimit, 0xffff_ffff, true);
  v.setUint32(TCS_OFF.gsLimit, 0xffff_ffff, true);
  return b;
}

/**
 * The Linux selftest enclave's operations (test_encl.c encl_op_array; defines.h), as programs'
 * ops. `buffer` is the address of encl_buffer inside the enclave (the selftest's .data).
 */
export const selftestOps = {
  /** ENCL_OP_PUT_TO_BUFFER: encl_buffer[0..8) := value. */
  putToBuffer: (buffer: bigint, value: bigint): EnclaveOp => ({ op: 'store', addr: buffer, value, name: 'PUT_TO_BUFFER' }),
  /** ENCL_OP_GET_FROM_BUFFER: value := encl_buffer[0..8). */
  getFromBuffer: (buffer: bigint): EnclaveOp => ({ op: 'load', addr: buffer, name: 'GET_FROM_BUFFER' }),
  /** ENCL_OP_PUT_TO_ADDRESS: *(u64 *)addr := value. */
  putToAddress: (addr: bigint, value: bigint): EnclaveOp => ({ op: 'store', addr, value, name: 'PUT_TO_ADDRESS' }),
  /** ENCL_OP_GET_FROM_ADDRESS: value := *(u64 *)addr. */
  getFromAddress: (addr: bigint): EnclaveOp => ({ op: 'load', addr, name: 'GET_FROM_ADDRESS' }),
  /** ENCL_OP_NOP. */
  nop: (): EnclaveOp => ({ op: 'nop', name: 'NOP' }),
  /** ENCL_OP_EACCEPT: ret := EACCEPT(epc_addr, {flags}). */
  eaccept: (addr: bigint, flags: bigint): EnclaveOp => ({ op: 'eaccept', addr, flags, name: 'EACCEPT' }),
  /** ENCL_OP_EMODPE: EMODPE(epc_addr, {flags}). */
  emodpe: (addr: bigint, flags: bigint): EnclaveOp => ({ op: 'emodpe', addr, flags, name: 'EMODPE' }),
  /** ENCL_OP_INIT_TCS_PAGE: write a TCS into the (REG, RW) page at tcsPage. */
  initTcsPage: (tcsPage: bigint, ssa: bigint, entry: bigint): EnclaveOp => ({ op: 'write', addr: tcsPage, data: initTcsPageBytes(ssa, entry), name: 'INIT_TCS_PAGE' }),
} as const;

/** Throws a readable Error if an op is malformed (a bad size, a negative address...). */
export function validateProgram(program: EnclaveProgram): void {
  for (const [i, op] of program.entries()) {
    const where = `op ${i} (${op.op})`;
    if ('addr' in op && (typeof op.addr !== 'bigint' || op.addr < 0n || op.addr >= 1n << 64n)) throw new Error(`${where}: address must be a u64`);
    if ((op.op === 'load' || op.op === 'store') && op.size !== undefined && ![1, 2, 4, 8].includes(op.size)) throw new Error(`${where}: size must be 1, 2, 4 or 8`);
    if (op.op === 'write' && (op.data.length === 0 || op.data.length > PAGE_SIZE * 16)) throw new Error(`${where}: data must be 1..65536 bytes`);
    if (op.op === 'eacceptcopy' && (op.src < 0n || op.src >= 1n << 64n)) throw new Error(`${where}: src must be a u64`);
  }
}
