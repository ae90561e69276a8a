// Random ENCLS sequences on a small machine: no leaf throws for any operand values (faults and
// error codes are outcomes, not exceptions), the EPCM stays consistent (every child's SECS is a
// valid SECS whose child count matches), a clone run through the same sequence ends in the same
// state (determinism), and running it on a clone never changes the original.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SgxPageType } from '../../../../../src/arch/x86/sgx/arch.js';
import { secsBytes } from '../../../../../src/arch/x86/sgx/encls.js';
import type { SgxHardware } from '../../../../../src/arch/x86/sgx/hw.js';
import type { EwbOutput } from '../../../../../src/arch/x86/sgx/reclaim.js';
import { secinfoBytes } from '../../../../../src/arch/x86/sgx/secinfo.js';
import { makeHw, signedSigstruct, writeLeHashFor } from './helpers.js';

const N = 12;
const page = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: N - 1 }) }, { weight: 1, arbitrary: fc.constantFrom(0, N) }); // N is outside the EPC
/** Mostly the enclave the setup creates on page 0. */
const secsPage = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: page });
const flags = fc.constantFrom(0x100n, 0x201n, 0x203n, 0x205n, 0x207n, 0x202n, 0x400n, 0x300n, 0x208n, 0n);
type Op =
  | { k: 'ecreate'; p: number; base: number }
  | { k: 'eadd'; p: number; secs: number; off: number; f: bigint }
  | { k: 'eextend'; secs: number; p: number; c: number }
  | { k: 'einit'; secs: number }
  | { k: 'eremove' | 'epa' | 'eblock' | 'etrack'; p: number }
  | { k: 'ewb'; p: number; va: number; slot: number }
  | { k: 'eldu'; i: number; p: number; va: number; slot: number; secs: number }
  | { k: 'eaug'; p: number; secs: number; off: number }
  | { k: 'emodpr' | 'emodt'; p: number; f: bigint };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('ecreate' as const), p: page, base: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ k: fc.constant('eadd' as const), p: page, secs: secsPage, off: fc.integer({ min: 0, max: 9 }), f: flags }),
  fc.record({ k: fc.constant('eextend' as const), secs: secsPage, p: page, c: fc.constantFrom(0, 256, 3840, 100) }),
  fc.record({ k: fc.constant('einit' as const), secs: secsPage }),
  fc.record({ k: fc.constantFrom('eremove' as const, 'epa' as const, 'eblock' as const, 'etrack' as const), p: page }),
  fc.record({ k: fc.constant('ewb' as const), p: page, va: page, slot: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ k: fc.constant('eldu' as const), i: fc.nat(5), p: page, va: page, slot: fc.integer({ min: 0, max: 3 }), secs: secsPage }),
  fc.record({ k: fc.constant('eaug' as const), p: page, secs: secsPage, off: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ k: fc.constantFrom('emodpr' as const, 'emodt' as const), p: page, f: flags }),
);

function apply(hw: SgxHardware, ops: Op[]): string[] {
  const evicted: EwbOutput[] = [];
  const out: string[] = [];
  for (const o of ops) {
    let r;
    switch (o.k) {
      case 'ecreate':
        r = hw.ecreate({ linaddr: 0n, srcpge: secsBytes({ size: 0x10000n, base: BigInt(o.base) << 16n }), secinfo: secinfoBytes(0n), secs: null }, o.p);
        break;
      case 'eadd': {
        const s = hw.secs(o.secs);
        r = hw.eadd({ linaddr: (s?.base ?? 0n) + BigInt(o.off) * 4096n, srcpge: new Uint8Array(4096).fill(o.off), secinfo: secinfoBytes(o.f), secs: o.secs }, o.p);
        break;
      }
      case 'eextend':
        r = hw.eextend(o.secs, o.p, o.c);
        break;
      case 'einit': {
        const s = hw.secs(o.secs);
        const ss = signedSigstruct(s?.mrenclaveSoFar ?? new Uint8Array(32));
        writeLeHashFor(hw, ss);
        r = hw.einit(ss, o.secs);
        break;
      }
      case 'eremove':
      case 'epa':
      case 'eblock':
      case 'etrack':
        r = hw[o.k](o.p);
        break;
      case 'ewb':
        r = hw.ewb(o.p, { page: o.va, offset: o.slot * 8 });
        if (r.kind !== 'fault' && r.value) evicted.push(r.value);
        break;
      case 'eldu': {
        const e = evicted[o.i % Math.max(1, evicted.length)];
        if (!e) continue;
        r = hw.eldu({ linaddr: e.linaddr, srcpge: e.srcpge, pcmd: e.pcmd, secs: o.secs }, o.p, { page: o.va, offset: o.slot * 8 });
        break;
      }
      case 'eaug': {
        const s = hw.secs(o.secs);
        r = hw.eaug({ linaddr: (s?.base ?? 0n) + BigInt(o.off) * 4096n, srcpge: null, secinfo: null, secs: o.secs }, o.p);
        break;
      }
      case 'emodpr':
      case 'emodt':
        r = hw[o.k](secinfoBytes(o.f), o.p);
        break;
    }
    out.push(r.kind === 'ok' ? 'ok' : r.kind === 'error' ? `e${r.code}` : `#${r.vector}`);
    checkInvariants(hw);
  }
  return out;
}

function checkInvariants(hw: SgxHardware): void {
  const children = new Map<number, number>();
  for (const [id, e] of hw.validEntries()) {
    if (e.pt === SgxPageType.SECS || e.pt === SgxPageType.VA) {
      expect(e.secs).toBeNull();
      if (e.pt === SgxPageType.SECS) expect(hw.secs(id)).toBeDefined();
      continue;
    }
    expect(e.secs).not.toBeNull();
    expect(hw.epcm(e.secs!)?.pt).toBe(SgxPageType.SECS);
    children.set(e.secs!, (children.get(e.secs!) ?? 0) + 1);
  }
  for (const [id, e] of hw.validEntries()) if (e.pt === SgxPageType.SECS) expect(hw.secs(id)!.childCount).toBe(children.get(id) ?? 0);
}

function state(hw: SgxHardware): string {
  return JSON.stringify([...hw.validEntries()].map(([id, e]) => [id, e, Buffer.from(hw.readPage(id)).toString('base64').length, hw.secs(id)]), (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

describe('random ENCLS sequences', () => {
  it('never throw, keep the EPCM consistent, are deterministic, and leave the original of a clone untouched', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const hw = makeHw({ epcPages: N });
        hw.ecreate({ linaddr: 0n, srcpge: secsBytes({ size: 0x10000n, base: 0n }), secinfo: secinfoBytes(0n), secs: null }, 0);
        const before = state(hw);
        const a = hw.clone();
        const b = hw.clone();
        const ra = apply(a, ops);
        const rb = apply(b, ops);
        expect(ra).toEqual(rb);
        expect(state(a)).toBe(state(b));
        expect(state(hw)).toBe(before);
      }),
      { numRuns: 80 },
    );
  });
});
