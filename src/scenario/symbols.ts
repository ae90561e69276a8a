// The names a scenario's identifiers resolve to (docs/scenario-format.md "Names"): bound names
// first, then constants. Constants come from the model's own tables, imported rather than
// copied: every UPPER_CASE numeric export of src/abi (errno, open/mmap flags, vm_flags,
// signals, personality, capabilities, ...) and of src/arch/x86/sgx/arch.ts (SECINFO flags,
// SECS attributes, ...), plus the SDM/driver short names scenarios use for SECINFO (`R`, `W`,
// `X`, `REG`, `TCS`, ... as in `REG|R|X`) and the SGX error codes under their Linux names
// (arch/x86/kernel/cpu/sgx/arch.h enum sgx_return_code: SGX_NOT_TRACKED, ...). Design-specific
// names (ioctl numbers, SGX_PAGE_MEASURE, ...) come from the design through `DesignSymbols`.
import * as abi from '../abi/index.js';
import * as sgx from '../arch/x86/sgx/arch.js';
import { SgxError } from '../arch/x86/sgx/arch.js';
import { closest } from './errors.js';

/** A read-only name → unsigned 64-bit value table. */
export interface ConstantTable {
  get(name: string): bigint | undefined;
  has(name: string): boolean;
  /** Every name, for "did you mean". */
  names(): Iterable<string>;
}

/**
 * What a driver design contributes to the name space: its ioctl command numbers and any other
 * uAPI constants (e.g. D7's SGX_IOC_ENCLAVE_ADD_PAGES = 0xC030A401 and SGX_PAGE_MEASURE = 1).
 * Filled by each design in src/drivers/sgx (not by the scenario code).
 */
export interface DesignSymbols {
  /** Canonical design id, e.g. 'D7'. */
  readonly id: string;
  /** ioctl name → command number. */
  readonly ioctls: Readonly<Record<string, bigint | number>>;
  /** Other uAPI constants of the design. */
  readonly constants?: Readonly<Record<string, bigint | number>>;
}

const U64 = (1n << 64n) - 1n;
const CONST_NAME = /^[A-Z][A-Z0-9_]*$/;

function toU64(v: bigint | number, name: string): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new Error(`constant ${name} = ${v} is not an integer`);
  return BigInt.asUintN(64, BigInt(v));
}

/** A table from plain records; later records override nothing: a name defined twice with
 * different values is an internal error (two model tables disagree). */
export class MapConstantTable implements ConstantTable {
  private readonly map: ReadonlyMap<string, bigint>;
  constructor(entries: Iterable<readonly [string, bigint]>) {
    const m = new Map<string, bigint>();
    for (const [k, v] of entries) {
      const old = m.get(k);
      if (old !== undefined && old !== v) throw new Error(`constant ${k} defined twice: 0x${old.toString(16)} and 0x${v.toString(16)}`);
      if (v < 0n || v > U64) throw new Error(`constant ${k} out of u64 range`);
      m.set(k, v);
    }
    this.map = m;
  }
  get(name: string): bigint | undefined {
    return this.map.get(name);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  names(): Iterable<string> {
    return this.map.keys();
  }
  get size(): number {
    return this.map.size;
  }
}

/** Layers searched in order (first hit wins). */
export class LayeredConstantTable implements ConstantTable {
  constructor(private readonly layers: readonly ConstantTable[]) {}
  get(name: string): bigint | undefined {
    for (const l of this.layers) {
      const v = l.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  has(name: string): boolean {
    return this.layers.some((l) => l.has(name));
  }
  *names(): Iterable<string> {
    for (const l of this.layers) yield* l.names();
  }
}

function numericExports(mod: Record<string, unknown>): [string, bigint][] {
  const out: [string, bigint][] = [];
  for (const [k, v] of Object.entries(mod)) {
    if (!CONST_NAME.test(k)) continue;
    if (typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v))) out.push([k, toU64(v, k)]);
  }
  return out;
}

/** SECINFO short names (SDM Vol. 3D 34.11.1 SECINFO.FLAGS; PT_* page types shifted into bits 15:8). */
const SGX_SHORT: [string, bigint][] = [
  ['R', sgx.SGX_SECINFO_R],
  ['W', sgx.SGX_SECINFO_W],
  ['X', sgx.SGX_SECINFO_X],
  ['PENDING', sgx.SGX_SECINFO_PENDING],
  ['MODIFIED', sgx.SGX_SECINFO_MODIFIED],
  ['PR', sgx.SGX_SECINFO_PR],
  ['SECS', sgx.SGX_SECINFO_SECS],
  ['TCS', sgx.SGX_SECINFO_TCS],
  ['REG', sgx.SGX_SECINFO_REG],
  ['VA', sgx.SGX_SECINFO_VA],
  ['TRIM', sgx.SGX_SECINFO_TRIM],
];

/** SGX return codes as arch/x86/kernel/cpu/sgx/arch.h names them (SGX_ + the enum member). */
function sgxErrorNames(): [string, bigint][] {
  const out: [string, bigint][] = [];
  for (const [k, v] of Object.entries(SgxError)) {
    if (typeof v === 'number' && k !== 'SUCCESS') out.push([`SGX_${k}`, BigInt(v)]);
  }
  return out;
}

/** Linux x86-64 ABI constants (src/abi). */
export const ABI_CONSTANTS: ConstantTable = new MapConstantTable([...numericExports(abi as Record<string, unknown>), ['NULL', 0n]]);

/** SGX architectural constants (src/arch/x86/sgx/arch.ts), the SECINFO short names and return codes. */
export const SGX_CONSTANTS: ConstantTable = new MapConstantTable([...numericExports(sgx as Record<string, unknown>), ...SGX_SHORT, ...sgxErrorNames()]);

/** A design's names as a table. */
export function designConstants(d: DesignSymbols): ConstantTable {
  return new MapConstantTable([
    ...Object.entries(d.ioctls).map(([k, v]) => [k, toU64(v, k)] as const),
    ...Object.entries(d.constants ?? {}).map(([k, v]) => [k, toU64(v, k)] as const),
  ]);
}

/**
 * The constants a scenario's identifiers see: ABI, SGX, then the design's (a design cannot
 * redefine an ABI or SGX name: that is an internal error).
 */
export function scenarioConstants(design?: DesignSymbols): ConstantTable {
  if (design === undefined) return new LayeredConstantTable([ABI_CONSTANTS, SGX_CONSTANTS]);
  const d = designConstants(design);
  for (const n of d.names()) {
    for (const base of [ABI_CONSTANTS, SGX_CONSTANTS]) {
      const v = base.get(n);
      if (v !== undefined && v !== d.get(n)) throw new Error(`design ${design.id} redefines ${n}`);
    }
  }
  return new LayeredConstantTable([ABI_CONSTANTS, SGX_CONSTANTS, d]);
}

/** Errno names (for `= -1 ENAME`). */
export function errnoValue(name: string): number | undefined {
  return abi.errnoByName(name);
}

/** The closest errno name to a misspelling, or undefined. */
export function closestErrno(name: string): string | undefined {
  const names: string[] = [];
  for (let e = 1; e < 4096; e++) {
    const n = abi.errnoName(e);
    if (n !== `E${e}`) names.push(n);
  }
  names.push('ENOTSUP');
  return closest(name, names);
}
