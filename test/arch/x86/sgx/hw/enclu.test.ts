// ENCLU and enclave programs. The scenarios are the Linux SGX selftests
// (tools/testing/selftests/sgx/main.c; reference notes kernel-selftests-and-peers.md §1.3) run
// against the hardware model with a toy page table standing in for the kernel; the expected
// struct sgx_enclave_run values (function, vector, error code, address) are the selftests' asserts.
import { describe, expect, it } from 'vitest';
import { EncluLeaf, SgxError, SgxPageType, X86_TRAP_GP, X86_TRAP_PF } from '../../../../../src/arch/x86/sgx/arch.js';
import type { FaultHandler, SgxEnclaveRun } from '../../../../../src/arch/x86/sgx/enclu.js';
import { selftestOps as op, type EnclaveProgram } from '../../../../../src/arch/x86/sgx/program.js';
import { secinfoBytes } from '../../../../../src/arch/x86/sgx/secinfo.js';
import { buildEnclave, expectOk, initSelftestEnclave, L, mapSegments, selftestSegments, PT_REG, PT_TCS, PT_TRIM, R, W, X, type Built } from './helpers.js';

const MAGIC = 0x1122334455667788n; // main.c MAGIC
const MAGIC2 = 0x8877665544332211n;
const PENDING = 8n;
const MODIFIED = 0x10n;
const PR = 0x20n;

function run(b: Built, tcs: bigint, program: EnclaveProgram, onFault?: FaultHandler, leaf: EncluLeaf.EENTER | EncluLeaf.ERESUME = EncluLeaf.EENTER): SgxEnclaveRun {
  return b.hw.run({ leaf, tcs: b.base + tcs, program, mm: b.mm, onFault });
}
function expectEexitClean(r: SgxEnclaveRun): void {
  expect({ f: r.function, v: r.exceptionVector, ec: r.exceptionErrorCode, a: r.exceptionAddr }).toEqual({ f: EncluLeaf.EEXIT, v: 0, ec: 0, a: 0n });
}
function expectException(r: SgxEnclaveRun, fn: EncluLeaf, vector: number, ec: number, addr: bigint): void {
  expect({ f: r.function, v: r.exceptionVector, ec: `0x${r.exceptionErrorCode.toString(16)}`, a: `0x${r.exceptionAddr.toString(16)}` }).toEqual({ f: fn, v: vector, ec: `0x${ec.toString(16)}`, a: `0x${addr.toString(16)}` });
}
/** What the SGX2 ioctls do in hardware: EMODPR/EMODT then ETRACK (no thread inside). */
function restrict(b: Built, off: bigint, perms: bigint): void {
  expectOk(b.hw.emodpr(secinfoBytes(perms), b.pages.get(off)!));
  expectOk(b.hw.etrack(b.secs));
}
function modifyType(b: Built, page: number, type: bigint): void {
  expectOk(b.hw.emodt(secinfoBytes(type), page));
  expectOk(b.hw.etrack(b.secs));
}
/** A kernel #PF handler with SGX2 EAUG-on-fault (Linux sgx_vma_fault → sgx_encl_eaug_page): EAUG, map RWX, retry. */
function eaugOnFault(b: Built, log: string[] = []): FaultHandler {
  return (f) => {
    log.push(`#PF 0x${f.errorCode.toString(16)} @0x${f.address.toString(16)}`);
    if ((f.errorCode & 1) !== 0 || f.address < b.base || f.address >= b.base + b.size || b.mm.ptes.has(f.address)) return 'deliver';
    const page = b.nextFree++;
    expectOk(b.hw.eaug({ linaddr: f.address, srcpge: null, secinfo: null, secs: b.secs }, page));
    b.mm.map(f.address, { writable: true, executable: true, epcPage: page });
    return 'retry';
  };
}

const data2 = (b: Built): bigint => b.base + L.data2;
const buffer = (b: Built): bigint => b.base + L.data1;

describe('Linux selftests, on the hardware model', () => {
  it('unclobbered_vdso: PUT_TO_BUFFER then GET_FROM_BUFFER → EEXIT, MAGIC', () => {
    const b = initSelftestEnclave();
    expectEexitClean(run(b, L.tcs1, [op.putToBuffer(buffer(b), MAGIC)]));
    const r = run(b, L.tcs1, [op.getFromBuffer(buffer(b))]);
    expectEexitClean(r);
    expect(r.results[0]).toBe(MAGIC);
  });

  it('tcs_entry: NOP through TCS1 and TCS2', () => {
    const b = initSelftestEnclave();
    expectEexitClean(run(b, L.tcs1, [op.nop()]));
    expectEexitClean(run(b, L.tcs2, [op.nop()]));
  });

  it('pte_permissions: a write through a read-only PTE faults with 0x7 (no SGX bit); ERESUME after mprotect(RW) completes it', () => {
    const b = initSelftestEnclave();
    expectEexitClean(run(b, L.tcs1, [op.putToAddress(data2(b), MAGIC)]));
    expect(run(b, L.tcs1, [op.getFromAddress(data2(b))]).results[0]).toBe(MAGIC);
    b.mm.protect(data2(b), false, false); // mprotect(data2, PROT_READ)
    const r = run(b, L.tcs1, [op.putToAddress(data2(b), MAGIC2)]);
    expectException(r, EncluLeaf.ERESUME, 14, 0x7, data2(b));
    b.mm.protect(data2(b), true, false); // mprotect(data2, PROT_READ | PROT_WRITE)
    expectEexitClean(run(b, L.tcs1, [], undefined, EncluLeaf.ERESUME));
    expect(run(b, L.tcs1, [op.getFromAddress(data2(b))]).results[0]).toBe(MAGIC2);
  });

  it('epcm_permissions: EMODPR(R) + EACCEPT, a write faults with 0x8007; EMODPE(RW) from TCS2, ERESUME TCS1', () => {
    const b = initSelftestEnclave();
    expectEexitClean(run(b, L.tcs1, [op.putToAddress(data2(b), MAGIC)]));
    restrict(b, L.data2, R);
    const acc = run(b, L.tcs1, [op.eaccept(data2(b), R | PT_REG | PR)]);
    expectEexitClean(acc);
    expect(acc.results[0]).toBe(SgxError.SUCCESS);
    const w = run(b, L.tcs1, [op.putToAddress(data2(b), MAGIC2)]);
    expectException(w, EncluLeaf.ERESUME, 14, 0x8007, data2(b));
    // TCS1 has no free SSA frame now (CSSA 1 = NSSA 1): EENTER on it is #GP.
    expectException(run(b, L.tcs1, [op.nop()]), EncluLeaf.EENTER, 13, 0, 0n);
    expectEexitClean(run(b, L.tcs2, [op.emodpe(data2(b), R | W)]));
    expectEexitClean(run(b, L.tcs1, [], undefined, EncluLeaf.ERESUME));
    expect(run(b, L.tcs1, [op.getFromAddress(data2(b))]).results[0]).toBe(MAGIC2);
  });

  it('augment: a write to an unbacked ELRANGE page → kernel EAUG → retry faults with 0x8007 (PENDING); EACCEPT via TCS2; ERESUME', () => {
    const b = initSelftestEnclave();
    const page = b.base + 0x10000n; // past the image, inside ELRANGE, nothing mapped or added
    const log: string[] = [];
    const r = run(b, L.tcs1, [op.putToAddress(page, MAGIC)], eaugOnFault(b, log));
    expectException(r, EncluLeaf.ERESUME, 14, 0x8007, page);
    expect(log).toEqual([`#PF 0x6 @0x${page.toString(16)}`, `#PF 0x8007 @0x${page.toString(16)}`]);
    expect(b.hw.epcm(b.mm.ptes.get(page)!.epcPage!)).toMatchObject({ pt: SgxPageType.REG, r: true, w: true, x: false, pending: true });
    const acc = run(b, L.tcs2, [op.eaccept(page, R | W | PT_REG | PENDING)]);
    expectEexitClean(acc);
    expect(acc.results[0]).toBe(SgxError.SUCCESS);
    expectEexitClean(run(b, L.tcs1, [], undefined, EncluLeaf.ERESUME));
    expect(run(b, L.tcs1, [op.getFromAddress(page)]).results[0]).toBe(MAGIC);
  });

  it('augment without EAUG support: the write reaches user space as a not-present fault, 0x6', () => {
    const b = initSelftestEnclave();
    const page = b.base + 0x10000n;
    expectException(run(b, L.tcs1, [op.putToAddress(page, MAGIC)]), EncluLeaf.ERESUME, 14, 0x6, page);
  });

  it('augment_via_eaccept: EACCEPT first → #PF 0x4 → EAUG → EACCEPT succeeds, invisibly to user space', () => {
    const b = initSelftestEnclave();
    const page = b.base + 0x11000n;
    const log: string[] = [];
    const r = run(b, L.tcs1, [op.eaccept(page, R | W | PT_REG | PENDING), op.putToAddress(page, MAGIC), op.getFromAddress(page)], eaugOnFault(b, log));
    expectEexitClean(r);
    expect(r.results).toEqual([SgxError.SUCCESS, undefined, MAGIC]);
    expect(log).toEqual([`#PF 0x4 @0x${page.toString(16)}`]);
    // Without EAUG: {14, 0x4, page}, the selftest's SKIP condition.
    const b2 = initSelftestEnclave();
    expectException(run(b2, L.tcs1, [op.eaccept(page, R | W | PT_REG | PENDING)]), EncluLeaf.ERESUME, 14, 0x4, page);
  });

  it('tcs_create: EAUG pages, INIT_TCS_PAGE, EMODT(TCS) + EACCEPT, run through the new TCS, then TRIM and EREMOVE them', () => {
    const b = initSelftestEnclave();
    const fix = eaugOnFault(b);
    const tcs = b.base + 0x12000n;
    const ssa = b.base + 0x13000n;
    const stack = b.base + 0x14000n;
    const acc = (a: bigint) => op.eaccept(a, R | W | PT_REG | PENDING);
    expectEexitClean(run(b, L.tcs1, [acc(tcs), acc(ssa), acc(stack), op.initTcsPage(tcs, ssa - b.base, L.text)], fix));
    const tcsEpc = b.mm.ptes.get(tcs)!.epcPage!;
    modifyType(b, tcsEpc, PT_TCS); // SGX_IOC_ENCLAVE_MODIFY_TYPES(TCS)
    expectEexitClean(run(b, L.tcs1, [op.eaccept(tcs, PT_TCS | MODIFIED)]));
    expect(b.hw.epcm(tcsEpc)).toMatchObject({ pt: SgxPageType.TCS, modified: false, r: false, w: false, x: false });
    // Through the new TCS.
    expectEexitClean(run(b, 0x12000n, [op.putToBuffer(buffer(b), MAGIC)]));
    expect(run(b, 0x12000n, [op.getFromBuffer(buffer(b))]).results[0]).toBe(MAGIC);
    // Trim all three, accept, remove (SGX_IOC_ENCLAVE_REMOVE_PAGES: EMODPR probe must #PF, then EREMOVE).
    const pages = [tcs, ssa, stack].map((a) => b.mm.ptes.get(a)!.epcPage!);
    for (const p of pages) modifyType(b, p, PT_TRIM);
    expectEexitClean(run(b, L.tcs1, [tcs, ssa, stack].map((a) => op.eaccept(a, PT_TRIM | MODIFIED))));
    for (const p of pages) {
      const probe = b.hw.emodpr(secinfoBytes(R | W | X), p);
      expect(probe.kind === 'fault' && probe.vector).toBe(X86_TRAP_PF);
      expectOk(b.hw.eremove(p));
    }
    for (const a of [tcs, ssa, stack]) b.mm.unmap(a);
    // Re-EACCEPT the old TCS address as a regular page and use it.
    expectEexitClean(run(b, L.tcs1, [acc(tcs), op.putToAddress(tcs, MAGIC), op.getFromAddress(tcs)], fix));
  });

  it('remove_added_page_no_eaccept: EMODT(TRIM) without EACCEPT → the driver\'s EMODPR probe does not fault (SGX_PAGE_NOT_MODIFIABLE)', () => {
    const b = initSelftestEnclave();
    const p = b.pages.get(L.data2)!;
    modifyType(b, p, PT_TRIM);
    const probe = b.hw.emodpr(secinfoBytes(R | W | X), p);
    expect(probe.kind === 'error' && probe.code).toBe(SgxError.PAGE_NOT_MODIFIABLE);
  });

  it('remove_added_page_invalid_access: reading a TRIMmed page faults with 0x8005', () => {
    const b = initSelftestEnclave();
    modifyType(b, b.pages.get(L.data2)!, PT_TRIM);
    expectException(run(b, L.tcs1, [op.getFromAddress(data2(b))]), EncluLeaf.ERESUME, 14, 0x8005, data2(b));
  });

  it('remove_added_page_invalid_access_after_eaccept: still 0x8005 after EACCEPT(TRIM|MODIFIED)', () => {
    const b = initSelftestEnclave();
    modifyType(b, b.pages.get(L.data2)!, PT_TRIM);
    expectEexitClean(run(b, L.tcs1, [op.eaccept(data2(b), PT_TRIM | MODIFIED)]));
    expectException(run(b, L.tcs1, [op.getFromAddress(data2(b))]), EncluLeaf.ERESUME, 14, 0x8005, data2(b));
  });

  it('remove_untouched_page: TRIM, EACCEPT, probe faults, EREMOVE', () => {
    const b = initSelftestEnclave();
    const p = b.pages.get(L.data2)!;
    modifyType(b, p, PT_TRIM);
    expectEexitClean(run(b, L.tcs1, [op.eaccept(data2(b), PT_TRIM | MODIFIED)]));
    expect(b.hw.emodpr(secinfoBytes(R | W | X), p).kind).toBe('fault');
    expectOk(b.hw.eremove(p));
    expect(b.hw.epcm(p)).toBeUndefined();
  });
});

describe('EENTER / ERESUME / EEXIT / AEX', () => {
  it('reports page-aligned CR2 for a fault inside the enclave (AEX clears bits 11:0) and resumes at the faulting op', () => {
    const b = initSelftestEnclave();
    b.mm.protect(data2(b), false, false);
    const r = run(b, L.tcs1, [op.putToBuffer(buffer(b), 1n), op.putToAddress(data2(b) + 0x123n, MAGIC), op.getFromAddress(data2(b) + 0x123n)]);
    expectException(r, EncluLeaf.ERESUME, 14, 0x7, data2(b));
    b.mm.protect(data2(b), true, false);
    const done = run(b, L.tcs1, [], undefined, EncluLeaf.ERESUME);
    expectEexitClean(done);
    expect(done.results[2]).toBe(MAGIC);
  });

  it('CSSA: AEX increments it, ERESUME decrements it; ERESUME with CSSA 0 is #GP', () => {
    const b = initSelftestEnclave();
    const tcs = b.pages.get(L.tcs1)!;
    const cssa = () => b.hw.tcs(tcs)!.cssa;
    expect(b.hw.tcs(tcs)).toMatchObject({ state: 0n, cssa: 0, nssa: 1, ossa: L.ssa1, oentry: L.text });
    expectException(run(b, L.tcs1, [], undefined, EncluLeaf.ERESUME), EncluLeaf.ERESUME, X86_TRAP_GP, 0, 0n);
    b.mm.protect(data2(b), false, false);
    run(b, L.tcs1, [op.putToAddress(data2(b), 1n)]);
    expect(cssa()).toBe(1);
    b.mm.protect(data2(b), true, false);
    run(b, L.tcs1, [], undefined, EncluLeaf.ERESUME);
    expect(cssa()).toBe(0);
  });

  it('a busy TCS (STATE = ACTIVE on another logical processor) cannot be entered', () => {
    const b = initSelftestEnclave();
    expect(b.hw.enter(0, EncluLeaf.EENTER, b.base + L.tcs1, b.mm, [op.nop()])).toBeNull();
    expect(b.hw.lpsInEnclave).toEqual([0]);
    expect(b.hw.tcs(b.pages.get(L.tcs1)!)!.state).toBe(1n); // busy
    const f = b.hw.enter(1, EncluLeaf.EENTER, b.base + L.tcs1, b.mm, [op.nop()]);
    expect(f?.fault.vector).toBe(X86_TRAP_GP);
    expect(f?.fault.reason).toMatch(/ACTIVE/);
    expect(b.hw.enter(1, EncluLeaf.EENTER, b.base + L.tcs2, b.mm, [op.nop()])).toBeNull();
    const again = b.hw.enter(1, EncluLeaf.EENTER, b.base + L.tcs2, b.mm);
    expect(again?.fault.reason).toMatch(/enclave mode/);
  });

  it('an interrupt AEXes the thread; ERESUME continues with the results so far', () => {
    const b = initSelftestEnclave();
    expect(b.hw.enter(0, EncluLeaf.EENTER, b.base + L.tcs1, b.mm, [op.putToBuffer(buffer(b), 5n), op.getFromBuffer(buffer(b)), op.nop()])).toBeNull();
    expect(b.hw.step(0, b.mm).kind).toBe('continue'); // fetch at OENTRY
    expect(b.hw.step(0, b.mm).kind).toBe('continue'); // store
    expect(b.hw.step(0, b.mm).kind).toBe('continue'); // load
    expect(b.hw.interrupt(0)).toBe(true);
    expect(b.hw.lpsInEnclave).toEqual([]);
    expect(b.hw.interrupt(0)).toBe(false);
    const r = run(b, L.tcs1, [], undefined, EncluLeaf.ERESUME);
    expectEexitClean(r);
    expect(r.results[1]).toBe(5n);
  });

  it('EENTER faults are reported with function = EENTER; the kernel may fix a not-present TCS and retry', () => {
    const b = initSelftestEnclave();
    const tcs = b.base + L.tcs1;
    const pte = b.mm.ptes.get(tcs)!;
    b.mm.unmap(tcs);
    expectException(run(b, L.tcs1, [op.nop()]), EncluLeaf.EENTER, 14, 0x4, tcs);
    const fix: FaultHandler = (f) => {
      if (f.inEnclave || f.address !== tcs) return 'deliver';
      b.mm.map(tcs, pte);
      return 'retry';
    };
    expectEexitClean(run(b, L.tcs1, [op.nop()], fix));
  });

  it('EENTER #PF on an SSA page that is not writable (0x7) or not in the EPCM as R/W (0x8007)', () => {
    const b = initSelftestEnclave();
    const ssa = b.base + L.ssa1;
    b.mm.protect(ssa, false, false);
    expectException(run(b, L.tcs1, [op.nop()]), EncluLeaf.EENTER, 14, 0x7, ssa);
    b.mm.protect(ssa, true, false);
    restrict(b, L.ssa1, R);
    expectException(run(b, L.tcs1, [op.nop()]), EncluLeaf.EENTER, 14, 0x8007, ssa);
  });

  it('EENTER #GP before EINIT', () => {
    const b = initSelftestEnclave();
    // A second, uninitialised enclave on the same CPU, mapped like the first.
    const segs = selftestSegments();
    const u = buildEnclave(b.hw, segs, { base: 0x8000_0000n, firstPage: b.nextFree });
    mapSegments(u, segs);
    const r = u.hw.run({ leaf: EncluLeaf.EENTER, tcs: u.base + L.tcs1, program: [op.nop()], mm: u.mm });
    expectException(r, EncluLeaf.EENTER, X86_TRAP_GP, 0, 0n);
    expect(r.reason).toMatch(/not initialized/);
  });

  it('instruction fetch: PTE NX → 0x15, EPCM X = 0 → 0x8015, outside ELRANGE → #GP', () => {
    const b = initSelftestEnclave();
    expectException(run(b, L.tcs1, [{ op: 'exec', addr: buffer(b) }]), EncluLeaf.ERESUME, 14, 0x15, buffer(b));
    b.mm.protect(buffer(b), true, true);
    expectException(run(b, L.tcs2, [{ op: 'exec', addr: buffer(b) }]), EncluLeaf.ERESUME, 14, 0x8015, buffer(b));
    const outside = 0x7000_0000n;
    b.mm.map(outside, { writable: true, executable: true, epcPage: null });
    const b2 = initSelftestEnclave();
    b2.mm.map(outside, { writable: true, executable: true, epcPage: null });
    expectException(run(b2, L.tcs1, [{ op: 'exec', addr: outside }]), EncluLeaf.ERESUME, X86_TRAP_GP, 0, 0n);
  });

  it('enclave code reads and writes ordinary memory outside ELRANGE through the page tables', () => {
    const b = initSelftestEnclave();
    const outside = 0x7000_0000n;
    b.mm.map(outside, { writable: true, executable: false, epcPage: null });
    const r = run(b, L.tcs1, [op.putToAddress(outside + 8n, MAGIC), op.getFromAddress(outside + 8n)]);
    expectEexitClean(r);
    expect(r.results[1]).toBe(MAGIC);
    expect(Buffer.from(b.mm.readRam(outside + 8n, 8)).readBigUInt64LE()).toBe(MAGIC);
  });

  it('EACCEPT returns SGX_PAGE_ATTRIBUTES_MISMATCH for the wrong flags and SGX_NOT_TRACKED without ETRACK', () => {
    const b = initSelftestEnclave();
    expectOk(b.hw.emodpr(secinfoBytes(R), b.pages.get(L.data2)!));
    expect(run(b, L.tcs1, [op.eaccept(data2(b), R | PT_REG | PR)]).results[0]).toBe(SgxError.NOT_TRACKED);
    expectOk(b.hw.etrack(b.secs));
    expect(run(b, L.tcs1, [op.eaccept(data2(b), R | W | PT_REG | PR)]).results[0]).toBe(SgxError.PAGE_ATTRIBUTES_MISMATCH);
    expect(run(b, L.tcs1, [op.eaccept(data2(b), R | PT_REG | PR)]).results[0]).toBe(SgxError.SUCCESS);
    // An illegal PT/PENDING/MODIFIED/PR combination is #GP.
    expectException(run(b, L.tcs1, [op.eaccept(data2(b), R | PT_REG)]), EncluLeaf.ERESUME, X86_TRAP_GP, 0, 0n);
  });

  it('EACCEPTCOPY fills an EAUGed page from another page and sets its permissions', () => {
    const b = initSelftestEnclave();
    const fix = eaugOnFault(b);
    const page = b.base + 0x10000n;
    expectEexitClean(run(b, L.tcs1, [op.putToBuffer(buffer(b), MAGIC)]));
    // Make the page exist (PENDING) without accepting it: touch it, let the kernel EAUG.
    run(b, L.tcs2, [op.getFromAddress(page)], fix);
    const r = run(b, L.tcs1, [{ op: 'eacceptcopy', addr: page, src: buffer(b), flags: PT_REG | R | X }, { op: 'exec', addr: page }, op.getFromAddress(page)]);
    expectEexitClean(r);
    expect(r.results).toEqual([SgxError.SUCCESS, undefined, MAGIC]);
    expect(b.hw.epcm(b.mm.ptes.get(page)!.epcPage!)).toMatchObject({ r: true, w: false, x: true, pending: false });
    // A second EACCEPTCOPY: the page is no longer PENDING.
    expect(run(b, L.tcs1, [{ op: 'eacceptcopy', addr: page, src: buffer(b), flags: PT_REG | R }]).results[0]).toBe(SgxError.PAGE_ATTRIBUTES_MISMATCH);
  });

  it('a malformed program is rejected with a readable error', () => {
    const b = initSelftestEnclave();
    expect(() => run(b, L.tcs1, [op.nop(), { op: 'load', addr: -1n }])).toThrow(/op 1 \(load\): address must be a u64/);
    expect(() => run(b, L.tcs1, [{ op: 'store', addr: 0n, value: 1n, size: 3 as 1 }])).toThrow(/size must be 1, 2, 4 or 8/);
    expect(b.hw.lpsInEnclave).toEqual([]);
  });

  it('SGX2 ENCLU leaves are #UD on an SGX1 CPU', () => {
    const b = initSelftestEnclave({ sgx2: false });
    expectException(run(b, L.tcs1, [op.eaccept(data2(b), R | W | PT_REG | PENDING)]), EncluLeaf.ERESUME, 6, 0, 0n);
  });

  it('a SECINFO placed in enclave memory is read from there (secinfoAddr)', () => {
    const b = initSelftestEnclave();
    restrict(b, L.data2, R);
    const si = buffer(b) + 0x40n;
    const r = run(b, L.tcs1, [{ op: 'write', addr: si, data: secinfoBytes(R | PT_REG | PR) }, { op: 'eaccept', addr: data2(b), flags: 0n, secinfoAddr: si }]);
    expectEexitClean(r);
    expect(r.results[1]).toBe(SgxError.SUCCESS);
    // RBX is resolved before RCX (SDM EMODPE/EACCEPTCOPY order): both unmapped → the fault names the SECINFO.
    const gone1 = b.base + 0x18000n;
    const gone2 = b.base + 0x19000n;
    expectException(run(b, L.tcs2, [{ op: 'emodpe', addr: gone2, flags: 0n, secinfoAddr: gone1 }]), EncluLeaf.ERESUME, 14, 0x4, gone1);
    // A SECINFO on a page the EPCM does not let the enclave read (TRIM) is an SGX #PF on RBX.
    const b2 = initSelftestEnclave();
    modifyType(b2, b2.pages.get(L.heap)!, PT_TRIM);
    expectException(run(b2, L.tcs1, [{ op: 'eaccept', addr: b2.base + L.data2, flags: 0n, secinfoAddr: b2.base + L.heap }]), EncluLeaf.ERESUME, 14, 0x8005, b2.base + L.heap);
    // A SECINFO on an unaligned address is #GP.
    restrict(b, L.data1, R);
    expectException(run(b, L.tcs1, [{ op: 'eaccept', addr: b.base + L.data1, flags: 0n, secinfoAddr: data2(b) + 8n }]), EncluLeaf.ERESUME, X86_TRAP_GP, 0, 0n);
  });
});
