// Test scaffolding for the SGX hardware model: a toy page table standing in for the kernel's,
// a selftest-shaped enclave builder (tools/testing/selftests/sgx/load.c + test_encl_bootstrap.S
// layout: two TCS pages with NSSA = 1, their SSA frames, a code page, a two-page encl_buffer and
// an unmeasured heap page), and SIGSTRUCT signing with a fresh RSA-3072 e=3 key.
import { nodeCrypto } from '../../../../../src/platform/node/crypto.js';
import type { RsaPrivateKey } from '../../../../../src/platform/crypto.js';
import { SgxHardware } from '../../../../../src/arch/x86/sgx/hw.js';
import type { SgxCpuOptions } from '../../../../../src/arch/x86/sgx/cpu.js';
import type { Access, AddressSpace, Translation } from '../../../../../src/arch/x86/sgx/enclu.js';
import type { EpcPageId } from '../../../../../src/arch/x86/sgx/epc.js';
import { secsBytes } from '../../../../../src/arch/x86/sgx/encls.js';
import { secinfoBytes } from '../../../../../src/arch/x86/sgx/secinfo.js';
import { leHashMsrs, mrsignerOf, newSigstruct, signSigstruct, type SigstructBody } from '../../../../../src/arch/x86/sgx/sigstruct.js';
import { MSR_IA32_SGXLEPUBKEYHASH0 } from '../../../../../src/arch/x86/sgx/cpu.js';
import { SGX_ATTR_MODE64BIT, TCS_OFF } from '../../../../../src/arch/x86/sgx/arch.js';
import type { EnclsResult } from '../../../../../src/arch/x86/sgx/outcome.js';
import { expect } from 'vitest';

export const crypto = nodeCrypto;

export function makeHw(opts: SgxCpuOptions = {}): SgxHardware {
  return new SgxHardware({ epcPages: 256, ...opts }, nodeCrypto);
}

export function expectOk(r: EnclsResult<unknown>): void {
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`);
}

export interface Pte {
  writable: boolean;
  executable: boolean;
  epcPage: EpcPageId | null;
}

/** A page table keyed by page address, plus ordinary RAM (a Map of pages). */
export class PageTable implements AddressSpace {
  readonly ptes = new Map<bigint, Pte>();
  readonly ram = new Map<bigint, Uint8Array>();
  readonly log: string[] = [];
  map(addr: bigint, pte: Pte): void {
    this.ptes.set(addr & ~0xfffn, { ...pte });
  }
  unmap(addr: bigint): void {
    this.ptes.delete(addr & ~0xfffn);
  }
  protect(addr: bigint, writable: boolean, executable: boolean): void {
    const p = this.ptes.get(addr & ~0xfffn);
    if (!p) throw new Error('not mapped');
    p.writable = writable;
    p.executable = executable;
  }
  translate(linaddr: bigint, access: Access): Translation {
    this.log.push(`${access}@0x${linaddr.toString(16)}`);
    const p = this.ptes.get(linaddr & ~0xfffn);
    return p ? { present: true, ...p } : { present: false };
  }
  readRam(linaddr: bigint, length: number): Uint8Array {
    const page = this.ram.get(linaddr & ~0xfffn) ?? new Uint8Array(4096);
    const off = Number(linaddr & 0xfffn);
    return page.slice(off, off + length);
  }
  writeRam(linaddr: bigint, data: Uint8Array): void {
    const key = linaddr & ~0xfffn;
    const page = this.ram.get(key) ?? new Uint8Array(4096);
    page.set(data, Number(linaddr & 0xfffn));
    this.ram.set(key, page);
  }
}

export function tcsPage(ossa: bigint, oentry: bigint, nssa = 1): Uint8Array {
  const b = new Uint8Array(4096);
  const v = new DataView(b.buffer);
  v.setBigUint64(TCS_OFF.ssaOffset, ossa, true);
  v.setUint32(TCS_OFF.nrSsaFrames, nssa, true);
  v.setBigUint64(TCS_OFF.entryOffset, oentry, true);
  v.setUint32(TCS_OFF.fsLimit, 0xffff_ffff, true);
  v.setUint32(TCS_OFF.gsLimit, 0xffff_ffff, true);
  return b;
}

export const R = 1n;
export const W = 2n;
export const X = 4n;
export const PT_TCS = 0x100n;
export const PT_REG = 0x200n;
export const PT_TRIM = 0x400n;

export interface Segment {
  offset: bigint;
  flags: bigint;
  data?: Uint8Array;
  measure: boolean;
  /** PTE permissions the test "kernel" maps it with. */
  pte: { w: boolean; x: boolean };
}

/** The selftest-shaped layout (offsets from base). */
export const L = {
  tcs1: 0x0000n,
  tcs2: 0x1000n,
  ssa1: 0x2000n,
  ssa2: 0x3000n,
  text: 0x4000n,
  data1: 0x5000n,
  data2: 0x6000n,
  heap: 0x7000n,
} as const;

export function selftestSegments(): Segment[] {
  const code = new Uint8Array(4096).fill(0x90);
  return [
    { offset: L.tcs1, flags: PT_TCS, data: tcsPage(L.ssa1, L.text), measure: true, pte: { w: true, x: false } },
    { offset: L.tcs2, flags: PT_TCS, data: tcsPage(L.ssa2, L.text), measure: true, pte: { w: true, x: false } },
    { offset: L.ssa1, flags: PT_REG | R | W, measure: true, pte: { w: true, x: false } },
    { offset: L.ssa2, flags: PT_REG | R | W, measure: true, pte: { w: true, x: false } },
    { offset: L.text, flags: PT_REG | R | X, data: code, measure: true, pte: { w: false, x: true } },
    { offset: L.data1, flags: PT_REG | R | W, measure: true, pte: { w: true, x: false } },
    { offset: L.data2, flags: PT_REG | R | W, measure: true, pte: { w: true, x: false } },
    { offset: L.heap, flags: PT_REG | R | W, measure: false, pte: { w: true, x: false } },
  ];
}

export interface Built {
  hw: SgxHardware;
  mm: PageTable;
  secs: EpcPageId;
  base: bigint;
  size: bigint;
  /** EPC page of each segment offset. */
  pages: Map<bigint, EpcPageId>;
  nextFree: number;
  attributes: bigint;
}

/** ECREATE + EADD/EEXTEND of `segments` into EPC pages 0, 1, 2, ... (not initialised, not mapped). */
export function buildEnclave(hw: SgxHardware, segments: Segment[], o: { base?: bigint; size?: bigint; attributes?: bigint; xfrm?: bigint; miscselect?: number; firstPage?: number } = {}): Built {
  const base = o.base ?? 0x4000_0000n;
  const size = o.size ?? 0x2_0000n;
  const attributes = o.attributes ?? SGX_ATTR_MODE64BIT;
  let next = o.firstPage ?? 0;
  const secs = next++;
  expectOk(hw.ecreate({ linaddr: 0n, srcpge: secsBytes({ size, base, attributes, xfrm: o.xfrm ?? 3n, miscselect: o.miscselect ?? 0 }), secinfo: secinfoBytes(0n), secs: null }, secs));
  const pages = new Map<bigint, EpcPageId>();
  for (const s of segments) {
    const id = next++;
    pages.set(s.offset, id);
    expectOk(hw.eadd({ linaddr: base + s.offset, srcpge: s.data ?? new Uint8Array(4096), secinfo: secinfoBytes(s.flags), secs }, id));
    if (s.measure) for (let c = 0; c < 4096; c += 256) expectOk(hw.eextend(secs, id, c));
  }
  return { hw, mm: new PageTable(), secs, base, size, pages, nextFree: next, attributes };
}

/** Map every segment into `b.mm` the way the selftest does after INIT. */
export function mapSegments(b: Built, segments: Segment[]): void {
  for (const s of segments) b.mm.map(b.base + s.offset, { writable: s.pte.w, executable: s.pte.x, epcPage: b.pages.get(s.offset)! });
}

let cachedKey: RsaPrivateKey | null = null;
export function testKey(): RsaPrivateKey {
  if (!cachedKey) cachedKey = nodeCrypto.generateRsaKey(3072, 3).key;
  return cachedKey;
}

/** A SIGSTRUCT for `mrenclave` signed with the test key (defaults as the Linux selftest: vendor 0, MODE64BIT, xfrm 3, masks 0). */
export function signedSigstruct(mrenclave: Uint8Array, body: Partial<SigstructBody> = {}, key: RsaPrivateKey = testKey()): Uint8Array {
  return signSigstruct(newSigstruct({ attributes: SGX_ATTR_MODE64BIT, xfrm: 3n, ...body, enclaveHash: mrenclave }), key, nodeCrypto);
}

/** What the upstream driver does before EINIT under FLC (sgx_update_lepubkeyhash): MSRs := MRSIGNER. */
export function writeLeHashFor(hw: SgxHardware, sigstruct: Uint8Array): void {
  leHashMsrs(mrsignerOf(sigstruct, nodeCrypto)).forEach((w, i) => expectOk(hw.writeMsr(MSR_IA32_SGXLEPUBKEYHASH0 + i, w)));
}

/** Build, sign, EINIT and map the selftest-shaped enclave. */
export function initSelftestEnclave(opts: SgxCpuOptions = {}): Built {
  const hw = makeHw(opts);
  const segs = selftestSegments();
  const b = buildEnclave(hw, segs);
  const ss = signedSigstruct(hw.secs(b.secs)!.mrenclaveSoFar);
  writeLeHashFor(hw, ss);
  expectOk(hw.einit(ss, b.secs));
  mapSegments(b, segs);
  return b;
}

export function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export { expect };
