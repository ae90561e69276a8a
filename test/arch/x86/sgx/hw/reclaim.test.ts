// EPC paging: EPA, EBLOCK, ETRACK, EWB, ELDU/ELDB (SDM Vol. 3D "EPC and Management of EPC Pages" and the leaves' pseudocode),
// in the order Linux's reclaimer uses them (arch/x86/kernel/cpu/sgx/main.c sgx_reclaim_pages():
// EBLOCK, then EWB; on SGX_NOT_TRACKED, ETRACK and EWB again; then IPI and EWB again) and its
// fault path (encl.c sgx_encl_eldu()).
import { describe, expect, it } from 'vitest';
import { EncluLeaf, SgxError, SgxPageType, X86_TRAP_GP, X86_TRAP_PF } from '../../../../../src/arch/x86/sgx/arch.js';
import type { EnclsResult } from '../../../../../src/arch/x86/sgx/outcome.js';
import { selftestOps as op, type EnclaveProgram } from '../../../../../src/arch/x86/sgx/program.js';
import type { EwbOutput, VaSlot } from '../../../../../src/arch/x86/sgx/reclaim.js';
import { buildEnclave, expectOk, hexOf, initSelftestEnclave, L, selftestSegments, type Built } from './helpers.js';

const MAGIC = 0x1122334455667788n;

function code(r: EnclsResult<unknown>): SgxError | string {
  return r.kind === 'error' ? r.code : r.kind === 'fault' ? `#${r.vector}` : 'ok';
}

function withVa(b: Built): number {
  const va = b.nextFree++;
  expectOk(b.hw.epa(va));
  return va;
}

/** EBLOCK, EWB (→ NOT_TRACKED), ETRACK, EWB: what sgx_encl_ewb() does. */
function evict(b: Built, page: number, slot: VaSlot): EwbOutput {
  expectOk(b.hw.eblock(page));
  expect(code(b.hw.ewb(page, slot))).toBe(SgxError.NOT_TRACKED);
  expectOk(b.hw.etrack(b.secs));
  const r = b.hw.ewb(page, slot);
  if (r.kind !== 'ok') throw new Error(`EWB: ${JSON.stringify(r)}`);
  return r.value;
}

describe('EPA', () => {
  it('turns a free page into a VA page of zero slots; #PF on a valid page', () => {
    const b = initSelftestEnclave();
    const va = withVa(b);
    expect(b.hw.epcm(va)).toMatchObject({ pt: SgxPageType.VA, r: false, w: false, x: false, secs: null });
    expect(code(b.hw.epa(va))).toBe('#14');
  });
});

describe('EBLOCK', () => {
  it('SGX_PG_INVLD, SGX_PG_IS_SECS, SGX_NOTBLOCKABLE (VA), SGX_BLKSTATE (already blocked)', () => {
    const b = initSelftestEnclave();
    const va = withVa(b);
    expect(code(b.hw.eblock(200))).toBe(SgxError.PG_INVLD);
    expect(code(b.hw.eblock(b.secs))).toBe(SgxError.PG_IS_SECS);
    expect(code(b.hw.eblock(va))).toBe(SgxError.NOTBLOCKABLE);
    const p = b.pages.get(L.data2)!;
    expectOk(b.hw.eblock(p));
    expect(b.hw.epcm(p)!.blocked).toBe(true);
    expect(code(b.hw.eblock(p))).toBe(SgxError.BLKSTATE);
  });

  it('a BLOCKED page cannot be accessed by the enclave (SGX #PF)', () => {
    const b = initSelftestEnclave();
    expectOk(b.hw.eblock(b.pages.get(L.data2)!));
    const r = b.hw.run({ leaf: EncluLeaf.EENTER, tcs: b.base, program: [op.getFromAddress(b.base + L.data2)], mm: b.mm });
    expect([r.exceptionVector, r.exceptionErrorCode]).toEqual([14, 0x8005]);
  });
});

describe('EWB / ELDU round trip', () => {
  it('an evicted page comes back with its contents, through the same VA slot', () => {
    const b = initSelftestEnclave();
    const run = (program: EnclaveProgram) => b.hw.run({ leaf: EncluLeaf.EENTER, tcs: b.base, program, mm: b.mm });
    expect(run([op.putToAddress(b.base + L.data2 + 0x80n, MAGIC)]).function).toBe(EncluLeaf.EEXIT);
    const p = b.pages.get(L.data2)!;
    const before = b.hw.readPage(p);
    const va = withVa(b);
    const slot = { page: va, offset: 8 * 17 };
    const children = b.hw.secs(b.secs)!.childCount;
    const out = evict(b, p, slot);
    expect(b.hw.epcm(p)).toBeUndefined();
    expect(b.hw.secs(b.secs)!.childCount).toBe(children - 1);
    expect(out.linaddr).toBe(b.base + L.data2);
    // System software sees ciphertext, not the page.
    expect(hexOf(out.srcpge.ciphertext)).not.toBe(hexOf(before));
    // The slot now holds a non-zero version.
    expect(new DataView(b.hw.readPage(va).buffer).getBigUint64(slot.offset, true)).not.toBe(0n);
    // An access now faults: the kernel's handler would ELDU; here the test does it then retries.
    b.mm.unmap(b.base + L.data2);
    const target = b.nextFree++;
    const r = b.hw.run({
      leaf: EncluLeaf.EENTER,
      tcs: b.base,
      program: [op.getFromAddress(b.base + L.data2 + 0x80n)],
      mm: b.mm,
      onFault: (f) => {
        if (f.address !== b.base + L.data2) return 'deliver';
        expectOk(b.hw.eldu({ linaddr: out.linaddr, srcpge: out.srcpge, pcmd: out.pcmd, secs: b.secs }, target, slot));
        b.mm.map(f.address, { writable: true, executable: false, epcPage: target });
        return 'retry';
      },
    });
    expect(r.function).toBe(EncluLeaf.EEXIT);
    expect(r.results[0]).toBe(MAGIC);
    expect(hexOf(b.hw.readPage(target))).toBe(hexOf(before));
    expect(b.hw.epcm(target)).toMatchObject({ pt: SgxPageType.REG, r: true, w: true, x: false, blocked: false, secs: b.secs, linaddr: b.base + L.data2 });
    expect(b.hw.secs(b.secs)!.childCount).toBe(children);
    // ELDU freed the slot.
    expect(new DataView(b.hw.readPage(va).buffer).getBigUint64(slot.offset, true)).toBe(0n);
  });

  it('ELDB loads the page BLOCKED', () => {
    const b = initSelftestEnclave();
    const va = withVa(b);
    const out = evict(b, b.pages.get(L.text)!, { page: va, offset: 0 });
    const t = b.nextFree++;
    expectOk(b.hw.eldb({ linaddr: out.linaddr, srcpge: out.srcpge, pcmd: out.pcmd, secs: b.secs }, t, { page: va, offset: 0 }));
    expect(b.hw.epcm(t)).toMatchObject({ pt: SgxPageType.REG, r: true, x: true, blocked: true });
  });

  function evicted() {
    const b = initSelftestEnclave();
    const va = withVa(b);
    const slot = { page: va, offset: 64 };
    const out = evict(b, b.pages.get(L.data1)!, slot);
    return { b, va, slot, out, target: b.nextFree++ };
  }

  it('SGX_MAC_COMPARE_FAIL through the wrong VA slot (version 0 / another page\'s version)', () => {
    const { b, va, out, target } = evicted();
    const info = { linaddr: out.linaddr, srcpge: out.srcpge, pcmd: out.pcmd, secs: b.secs };
    expect(code(b.hw.eldu(info, target, { page: va, offset: 72 }))).toBe(SgxError.MAC_COMPARE_FAIL);
    const other = evict(b, b.pages.get(L.data2)!, { page: va, offset: 80 });
    expect(other.linaddr).toBe(b.base + L.data2);
    expect(code(b.hw.eldu(info, target, { page: va, offset: 80 }))).toBe(SgxError.MAC_COMPARE_FAIL);
    expect(b.hw.epcm(target)).toBeUndefined();
  });

  it('SGX_MAC_COMPARE_FAIL after the slot was reused (a newer version); EWB reports SGX_VA_SLOT_OCCUPIED but evicts', () => {
    const { b, slot, out, target } = evicted();
    const p2 = b.pages.get(L.data2)!;
    expectOk(b.hw.eblock(p2));
    expectOk(b.hw.etrack(b.secs));
    const r = b.hw.ewb(p2, slot);
    expect(code(r)).toBe(SgxError.VA_SLOT_OCCUPIED);
    expect(r.kind === 'error' && r.value?.linaddr).toBe(b.base + L.data2);
    expect(b.hw.epcm(p2)).toBeUndefined();
    expect(code(b.hw.eldu({ linaddr: out.linaddr, srcpge: out.srcpge, pcmd: out.pcmd, secs: b.secs }, target, slot))).toBe(SgxError.MAC_COMPARE_FAIL);
  });

  it('SGX_MAC_COMPARE_FAIL for a changed ciphertext, PCMD, LINADDR or SECS', () => {
    const { b, slot, out, target } = evicted();
    const base = { linaddr: out.linaddr, srcpge: out.srcpge, pcmd: out.pcmd, secs: b.secs };
    const ct = Uint8Array.from(out.srcpge.ciphertext);
    ct[4000] ^= 1;
    expect(code(b.hw.eldu({ ...base, srcpge: { ...out.srcpge, ciphertext: ct } }, target, slot))).toBe(SgxError.MAC_COMPARE_FAIL);
    const pcmd = Uint8Array.from(out.pcmd);
    pcmd[0] |= 4; // grant X
    expect(code(b.hw.eldu({ ...base, pcmd }, target, slot))).toBe(SgxError.MAC_COMPARE_FAIL);
    expect(code(b.hw.eldu({ ...base, linaddr: out.linaddr + 0x1000n }, target, slot))).toBe(SgxError.MAC_COMPARE_FAIL);
    // Another enclave's SECS (a different EID) on the same CPU.
    const other = buildEnclave(b.hw, selftestSegments(), { base: 0x8000_0000n, firstPage: b.nextFree + 1 });
    expect(code(b.hw.eldu({ ...base, secs: other.secs }, target, slot))).toBe(SgxError.MAC_COMPARE_FAIL);
    expectOk(b.hw.eldu(base, target, slot));
  });

  it('operand checks: misaligned slot #GP, same page #GP, non-VA slot page #PF, valid target #PF, invalid page #PF', () => {
    const b = initSelftestEnclave();
    const va = withVa(b);
    const p = b.pages.get(L.data1)!;
    expectOk(b.hw.eblock(p));
    expectOk(b.hw.etrack(b.secs));
    expect(code(b.hw.ewb(p, { page: va, offset: 4 }))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.ewb(va, { page: va, offset: 0 }))).toBe(`#${X86_TRAP_GP}`);
    expect(code(b.hw.ewb(p, { page: b.pages.get(L.data2)!, offset: 0 }))).toBe(`#${X86_TRAP_PF}`);
    expect(code(b.hw.ewb(220, { page: va, offset: 0 }))).toBe(`#${X86_TRAP_PF}`);
    const out = b.hw.ewb(p, { page: va, offset: 0 });
    expect(out.kind).toBe('ok');
    if (out.kind !== 'ok') return;
    expect(code(b.hw.eldu({ linaddr: out.value.linaddr, srcpge: out.value.srcpge, pcmd: out.value.pcmd, secs: b.secs }, b.pages.get(L.data2)!, { page: va, offset: 0 }))).toBe(`#${X86_TRAP_PF}`);
  });
});

describe('tracking', () => {
  it('SGX_PAGE_NOT_BLOCKED without EBLOCK; SGX_NOT_TRACKED until ETRACK after the EBLOCK', () => {
    const b = initSelftestEnclave();
    const va = withVa(b);
    const p = b.pages.get(L.data1)!;
    expect(code(b.hw.ewb(p, { page: va, offset: 0 }))).toBe(SgxError.PAGE_NOT_BLOCKED);
    expectOk(b.hw.etrack(b.secs)); // an ETRACK *before* the EBLOCK does not count
    expectOk(b.hw.eblock(p));
    expect(code(b.hw.ewb(p, { page: va, offset: 0 }))).toBe(SgxError.NOT_TRACKED);
    expectOk(b.hw.etrack(b.secs));
    expectOk(b.hw.ewb(p, { page: va, offset: 0 }));
  });

  it('a thread inside the enclave at ETRACK keeps EWB NOT_TRACKED (and ETRACK PREV_TRK_INCMPL) until it leaves (IPI → AEX)', () => {
    const b = initSelftestEnclave();
    const va = withVa(b);
    const p = b.pages.get(L.data1)!;
    expect(b.hw.enter(3, EncluLeaf.EENTER, b.base + L.tcs2, b.mm, [op.nop(), op.nop()])).toBeNull();
    expectOk(b.hw.eblock(p));
    expectOk(b.hw.etrack(b.secs));
    expect(b.hw.secs(b.secs)!.trackingRefs).toEqual([3]);
    expect(code(b.hw.ewb(p, { page: va, offset: 0 }))).toBe(SgxError.NOT_TRACKED);
    expect(code(b.hw.etrack(b.secs))).toBe(SgxError.PREV_TRK_INCMPL);
    // A thread that enters after the ETRACK is not tracked.
    expect(b.hw.enter(4, EncluLeaf.EENTER, b.base + L.tcs1, b.mm, [op.nop()])).toBeNull();
    b.hw.interrupt(3); // the IPI sgx_encl_ewb() sends
    expect(b.hw.secs(b.secs)!.trackingRefs).toEqual([]);
    expectOk(b.hw.ewb(p, { page: va, offset: 0 }));
  });

  it('EREMOVE is SGX_ENCLAVE_ACT while a thread runs in the enclave', () => {
    const b = initSelftestEnclave();
    expect(b.hw.enter(0, EncluLeaf.EENTER, b.base + L.tcs1, b.mm, [op.nop()])).toBeNull();
    expect(code(b.hw.eremove(b.pages.get(L.heap)!))).toBe(SgxError.ENCLAVE_ACT);
    while (b.hw.step(0, b.mm).kind === 'continue');
    expectOk(b.hw.eremove(b.pages.get(L.heap)!));
  });
});

describe('SECS eviction', () => {
  it('EWB of a SECS with children is SGX_CHILD_PRESENT; after all children, the SECS goes and comes back, then the children', () => {
    const b = initSelftestEnclave();
    const va = withVa(b);
    expect(b.hw.run({ leaf: EncluLeaf.EENTER, tcs: b.base, program: [op.putToBuffer(b.base + L.data1, MAGIC)], mm: b.mm }).function).toBe(EncluLeaf.EEXIT);
    expect(code(b.hw.ewb(b.secs, { page: va, offset: 0 }))).toBe(SgxError.CHILD_PRESENT);
    const children = [...b.pages.entries()];
    const outs = new Map<bigint, EwbOutput>();
    for (const p of children.map(([, id]) => id)) expectOk(b.hw.eblock(p));
    expectOk(b.hw.etrack(b.secs));
    children.forEach(([off, id], i) => {
      const r = b.hw.ewb(id, { page: va, offset: 8 * (i + 1) });
      if (r.kind !== 'ok') throw new Error(JSON.stringify(code(r)));
      outs.set(off, r.value);
    });
    const eid = b.hw.secs(b.secs)!.eid;
    const secsOut = b.hw.ewb(b.secs, { page: va, offset: 0 });
    expect(secsOut.kind).toBe('ok');
    if (secsOut.kind !== 'ok') return;
    expect(new DataView(secsOut.value.pcmd.buffer).getBigUint64(64, true)).toBe(eid); // PCMD.ENCLAVEID
    // ELDU of a child needs its SECS resident.
    const newSecs = b.nextFree++;
    const info = (off: bigint) => ({ linaddr: outs.get(off)!.linaddr, srcpge: outs.get(off)!.srcpge, pcmd: outs.get(off)!.pcmd, secs: newSecs });
    expect(code(b.hw.eldu(info(L.data1), b.nextFree, { page: va, offset: 8 }))).toBe(`#${X86_TRAP_PF}`);
    expectOk(b.hw.eldu({ linaddr: 0n, srcpge: secsOut.value.srcpge, pcmd: secsOut.value.pcmd, secs: null }, newSecs, { page: va, offset: 0 }));
    expect(b.hw.secs(newSecs)).toMatchObject({ eid, initialized: true, childCount: 0 });
    children.forEach(([off], i) => {
      const id = b.nextFree++;
      expectOk(b.hw.eldu(info(off), id, { page: va, offset: 8 * (i + 1) }));
      b.mm.map(b.base + off, { ...b.mm.ptes.get(b.base + off)!, epcPage: id });
    });
    const r = b.hw.run({ leaf: EncluLeaf.EENTER, tcs: b.base, program: [op.getFromBuffer(b.base + L.data1)], mm: b.mm });
    expect(r.function).toBe(EncluLeaf.EEXIT);
    expect(r.results[0]).toBe(MAGIC);
  });
});
