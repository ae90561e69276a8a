// SGX driver (mainline D8): the cost of building an enclave through the whole syscall path (the
// selftest loader: mmap, ioctls, copy_from_user, GUP, EPC allocation, EADD/EEXTEND) against the
// same ENCLS sequence on the bare hardware model, measured in the same run; the O(1) fork of a
// kernel holding a large enclave; vDSO enter/exit against a bare hw.run(); and reclaim (EWB/ELDU)
// under oversubscription.
import { Kernel } from '../src/kernel/kernel.js';
import { nodeCrypto } from '../src/platform/node/crypto.js';
import { SgxHardware } from '../src/arch/x86/sgx/hw.js';
import { secsBytes } from '../src/arch/x86/sgx/encls.js';
import { secinfoBytes } from '../src/arch/x86/sgx/secinfo.js';
import { EncluLeaf } from '../src/arch/x86/sgx/arch.js';
import { parseManifest } from '../src/enclave/manifest.js';
import { noFiles } from '../src/enclave/content.js';
import { UserProcess } from '../src/userspace/process.js';
import { D8, vdsoSgxEnterEnclave } from '../src/drivers/sgx/index.js';
import { prepareEnclaveImage } from '../src/drivers/sgx/loaders/image.js';
import { loadEnclave } from '../src/drivers/sgx/loaders/flows.js';
import { sgxPlatform } from '../src/drivers/sgx/common/install.js';
import { now, timePerCall, type Bench } from './harness.js';

function manifest(dataPages: number, heapPages: number): string {
  let size = 0x10000;
  while (size < 0x4000 + (dataPages + heapPages) * 4096) size *= 2;
  return `version: 1
enclave: { size: 0x${size.toString(16)}, ssa_frame_size: 1, attributes: [MODE64BIT], xfrm: 0x3 }
segments:
  - { name: tcs, offset: 0x0, type: TCS, tcs: { ossa: 0x1000, nssa: 1, oentry: 0x3000 } }
  - { name: ssa, offset: 0x1000, size: 8K, perms: RW, contents: zero }
  - { name: text, offset: 0x3000, size: 4K, perms: RX, contents: { pattern: { repeat: "cc" } } }
  - { name: data, offset: 0x4000, size: 0x${(dataPages * 4096).toString(16)}, perms: RW, contents: { pattern: { random: 7 } } }
  - { name: heap, offset: 0x${(0x4000 + dataPages * 4096).toString(16)}, size: 0x${(heapPages * 4096).toString(16)}, perms: RW, measure: false, contents: zero }
`;
}

function loaded(dataPages: number, heapPages: number, epcPages: number) {
  const k = Kernel.boot({ trace: false });
  D8.install(k, { crypto: nodeCrypto, cpu: { epcPages } });
  const m = parseManifest(manifest(dataPages, heapPages), 'bench.yaml').manifest;
  const img = prepareEnclaveImage(k, m, noFiles, nodeCrypto);
  const p = new UserProcess(k, k.spawn({ comm: 'bench' }));
  const t0 = now();
  const r = loadEnclave(D8, p, img, 'selftest');
  const ms = now() - t0;
  if (!r.ok) throw new Error(r.error);
  return { k, p, r, ms, pages: 4 + dataPages + heapPages };
}

/** The same ENCLS sequence (ECREATE, EADD + 16 EEXTEND for measured pages) on the bare hardware. */
function bare(dataPages: number, heapPages: number): number {
  const hw = new SgxHardware({ epcPages: dataPages + heapPages + 16 }, nodeCrypto);
  const t0 = now();
  hw.ecreate({ linaddr: 0n, srcpge: secsBytes({ size: 1n << 30n, base: 0n }), secinfo: secinfoBytes(0n), secs: null }, 0);
  const page = new Uint8Array(4096).fill(0x5a);
  const si = secinfoBytes(0x203n);
  const n = 4 + dataPages + heapPages;
  for (let i = 0; i < n; i++) {
    hw.eadd({ linaddr: BigInt(i) * 4096n, srcpge: page, secinfo: si, secs: 0 }, i + 1);
    if (i < 4 + dataPages) for (let c = 0; c < 4096; c += 256) hw.eextend(0, i + 1, c);
  }
  return now() - t0;
}

const bench: Bench = {
  id: 'drivers',
  title: 'SGX driver D8: enclave build through syscalls, kernel fork, vDSO, reclaim',
  run(ctx) {
    const data = 2048;
    const heap = 2048; // 16 MiB enclave, 8 MiB measured
    const { k, p, r, ms, pages } = loaded(data, heap, pages16(data + heap + 64));
    const ref = bare(data, heap);
    ctx.report(`selftest loader, ${pages} pages (${data} measured)`, ms, 'ms');
    ctx.report('the same ENCLS sequence on the bare hardware model', ref, 'ms');
    ctx.ratio('syscall path / bare ENCLS', ms / ref, 4);

    const small = loaded(4, 4, 256);
    const tSmall = timePerCall(() => small.k.clone(), 100);
    const tBig = timePerCall(() => k.clone(), 100);
    ctx.report('Kernel.clone() with a 12-page enclave', tSmall * 1000, 'µs');
    ctx.report(`Kernel.clone() with a ${pages}-page enclave`, tBig * 1000, 'µs');
    ctx.ratio('clone cost, big / small (O(1) fork)', tBig / tSmall, 3);

    const prog = [{ op: 'load' as const, addr: BigInt(r.base + 0x4000) }];
    const tVdso = timePerCall(() => vdsoSgxEnterEnclave(k, p.pid, { leaf: 'EENTER', tcs: r.tcs[0], program: prog }), 200);
    ctx.report('vDSO EENTER + load + EEXIT (page tables, fault path, trace off)', tVdso * 1000, 'µs');

    // oversubscription: touch every page of a 2x-EPC heap twice through the enclave
    const over = loaded(1, 512, 256);
    const t0 = now();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 512; i++) vdsoSgxEnterEnclave(over.k, over.p.pid, { leaf: EncluLeaf.EENTER, tcs: over.r.tcs[0], program: [{ op: 'load', addr: BigInt(over.r.base + 0x4000 + i * 4096) }] });
    }
    const tOver = now() - t0;
    const st = sgxPlatform(over.k).stats;
    ctx.report('1024 enclave calls over a 2x-EPC heap', tOver, 'ms', `${st.ewb} EWB, ${st.eldu} ELDU`);
  },
};

function pages16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

export default bench;
