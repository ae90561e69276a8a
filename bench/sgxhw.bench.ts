// SGX hardware model: cost of building an enclave through ENCLS (EADD + 16 × EEXTEND per page)
// against createHash('sha256') over the same record bytes measured in the same run, and the cost
// of forking the machine (clone() must not depend on how much of the EPC is in use).
import { createHash } from 'node:crypto';
import { nodeCrypto } from '../src/platform/node/crypto.js';
import { SgxHardware } from '../src/arch/x86/sgx/hw.js';
import { secsBytes } from '../src/arch/x86/sgx/encls.js';
import { secinfoBytes } from '../src/arch/x86/sgx/secinfo.js';
import { now, timePerCall, type Bench } from './harness.js';

function build(pages: number): { hw: SgxHardware; ms: number } {
  const hw = new SgxHardware({ epcPages: pages + 8 }, nodeCrypto);
  const size = 1n << BigInt(Math.max(13, Math.ceil(Math.log2(pages * 4096))));
  const t0 = now();
  hw.ecreate({ linaddr: 0n, srcpge: secsBytes({ size, base: 0n }), secinfo: secinfoBytes(0n), secs: null }, 0);
  const page = new Uint8Array(4096).fill(0x5a);
  const si = secinfoBytes(0x203n);
  for (let i = 0; i < pages; i++) {
    hw.eadd({ linaddr: BigInt(i) * 4096n, srcpge: page, secinfo: si, secs: 0 }, i + 1);
    for (let c = 0; c < 4096; c += 256) hw.eextend(0, i + 1, c);
  }
  void hw.secs(0)!.mrenclaveSoFar;
  return { hw, ms: now() - t0 };
}

const bench: Bench = {
  id: 'sgxhw',
  title: 'SGX hardware model: ENCLS enclave build and machine fork',
  run(ctx) {
    const pages = 8192; // 32 MiB
    const { hw, ms } = build(pages);
    const bytes = 64 + pages * (64 + 16 * 320);
    const buf = new Uint8Array(bytes);
    const t0 = now();
    createHash('sha256').update(buf).digest();
    const refMs = now() - t0;
    ctx.report('EADD+EEXTEND, 32 MiB enclave', ms, 'ms');
    ctx.report('createHash over the same 41.5 MB of records', refMs, 'ms');
    ctx.report('ratio (ENCLS model / plain SHA-256)', ms / refMs, 'x', 'per-leaf checks, EPCM updates and copy-on-write pages included');
    const small = build(16).hw;
    const tSmall = timePerCall(() => small.clone(), 100);
    const tBig = timePerCall(() => hw.clone(), 100);
    ctx.report('clone(), 17 valid EPC pages', tSmall * 1000, 'µs');
    ctx.report(`clone(), ${pages + 1} valid EPC pages`, tBig * 1000, 'µs');
    ctx.ratio('clone cost, big / small (O(1) fork)', tBig / tSmall, 3);
  },
};
export default bench;
