// Fixtures of the shared SGX driver suite, design-neutral: a kernel with a design installed (with
// or without SELinux), the Linux selftest enclave's layout as a manifest, the selftest loader
// flow (setup_test_encl() of tools/testing/selftests/sgx/main.c) and enclave calls through the
// vDSO. Designs other than mainline get here through their adapter and their loader translation.
import { readFileSync } from 'node:fs';
import { Kernel } from '../../../src/kernel/kernel.js';
import { nodeCrypto } from '../../../src/platform/node/crypto.js';
import type { SgxCpuOptions } from '../../../src/arch/x86/sgx/cpu.js';
import { EncluLeaf } from '../../../src/arch/x86/sgx/arch.js';
import type { EnclaveOp } from '../../../src/arch/x86/sgx/program.js';
import { parseManifest, resolveManifestPath, type EnclaveManifest } from '../../../src/enclave/manifest.js';
import { contentReaderFromFiles, noFiles, type ContentReader } from '../../../src/enclave/content.js';
import { bootWithSelinux } from '../../../src/security/selinux/boot.js';
import { PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import { UserProcess } from '../../../src/userspace/process.js';
import type { SgxDesign, SgxInstall } from '../../../src/drivers/sgx/design.js';
import { vdsoSgxEnterEnclave, type VdsoEnterResult } from '../../../src/drivers/sgx/common/vdso.js';
import { prepareEnclaveImage, type EnclaveImage } from '../../../src/drivers/sgx/loaders/image.js';
import { loadEnclave } from '../../../src/drivers/sgx/loaders/flows.js';
import type { LoadResult } from '../../../src/drivers/sgx/loaders/types.js';

export const crypto = nodeCrypto;
export const PAGE = 4096;
/** main.c MAGIC / MAGIC2. */
export const MAGIC = 0x1122334455667788n;
export const MAGIC2 = 0x8877665544332211n;

export interface WorldOptions {
  readonly cpu?: SgxCpuOptions;
  readonly driver?: Readonly<Record<string, unknown>>;
  /** Boot with SELinux on this policy (enforcing unless told otherwise). */
  readonly selinux?: { readonly policy: string; readonly enforcing?: boolean; readonly booleans?: Readonly<Record<string, boolean>> };
  readonly devSgxLinks?: boolean;
  /** The loader task's context (default: the built-in loader domain under SELinux). */
  readonly context?: string;
  readonly trace?: boolean;
}

export interface World {
  readonly k: Kernel;
  readonly design: SgxDesign;
  readonly inst: SgxInstall;
  readonly pid: number;
  readonly p: UserProcess;
}

/** Default CPU of the suite: SGX2 with a small EPC (fast, and reclaim is reachable). */
export const SUITE_CPU: SgxCpuOptions = { epcPages: 512, sgx2: true };

export function bootWorld(design: SgxDesign, o: WorldOptions = {}): World {
  const k = o.selinux
    ? bootWithSelinux({ policy: o.selinux.policy, enforcing: o.selinux.enforcing ?? true, booleans: o.selinux.booleans, trace: o.trace ?? true })
    : Kernel.boot({ trace: o.trace ?? true });
  const inst = design.install(k, { crypto, cpu: { ...SUITE_CPU, ...o.cpu }, driver: o.driver, devSgxLinks: o.devSgxLinks });
  const pid = k.spawn({ comm: 'test_sgx', context: o.context ?? (o.selinux ? PROCESS_CONTEXTS.loader : undefined) });
  return { k, design, inst, pid, p: new UserProcess(k, pid) };
}

/**
 * The selftest enclave's layout (test_encl.lds: TCS×2, text, data with encl_buffer, SSA frames)
 * plus the heap load.c appends: TCS1 at 0 and TCS2 at 0x1000 (one SSA frame each), text RX at
 * 0x2000, data RW 8 KiB at 0x4000 (its 2nd page is "data_start" of the permission tests), SSA
 * at 0x6000, heap RW unmeasured after it. The ELRANGE is the smallest power of two covering it
 * (load.c encl_load()).
 */
export function selftestManifestYaml(heapBytes = PAGE): string {
  const total = 0x8000 + heapBytes;
  let size = 4096;
  while (size < total) size *= 2;
  return `version: 1
enclave:
  size: 0x${size.toString(16)}
  ssa_frame_size: 1
  attributes: [MODE64BIT]
  xfrm: 0x3
segments:
  - { name: tcs1, offset: 0x0, type: TCS, tcs: { ossa: 0x6000, nssa: 1, oentry: 0x2000 } }
  - { name: tcs2, offset: 0x1000, type: TCS, tcs: { ossa: 0x7000, nssa: 1, oentry: 0x2000 } }
  - { name: text, offset: 0x2000, size: 8K, perms: RX, contents: { pattern: { repeat: "cc" } } }
  - { name: data, offset: 0x4000, size: 8K, perms: RW, contents: zero }
  - { name: ssa, offset: 0x6000, size: 8K, perms: RW, contents: zero }
  - { name: heap, offset: 0x8000, size: 0x${heapBytes.toString(16)}, perms: RW, measure: false, contents: zero }
`;
}

export function manifestFromYaml(yaml: string, file = 'test_encl.yaml'): EnclaveManifest {
  return parseManifest(yaml, file).manifest;
}

/** The reference enclave (examples/reference-enclave.yaml) and a reader for its files. */
export function referenceManifest(): { manifest: EnclaveManifest; reader: ContentReader } {
  const path = 'examples/reference-enclave.yaml';
  return {
    manifest: parseManifest(readFileSync(path, 'utf8'), path).manifest,
    reader: contentReaderFromFiles((rel) => readFileSync(resolveManifestPath(path, rel))),
  };
}

export function prepare(w: World, m: EnclaveManifest, reader: ContentReader = noFiles): EnclaveImage {
  return prepareEnclaveImage(w.k, m, reader, crypto);
}

/** A loaded selftest enclave (setup_test_encl()). */
export interface TestEncl extends LoadResult {
  readonly image: EnclaveImage;
  /** encl_get_data_offset() + PAGE_SIZE: the 2nd page of encl_buffer. */
  readonly dataStart: number;
  readonly dataOffset: number;
  /** encl_buffer (the data segment's first byte). */
  readonly buffer: number;
  readonly tcsOffset: number;
  /** Sum of the segments' sizes (main.c total_size). */
  readonly totalSize: number;
  readonly heap: { readonly offset: number; readonly size: number };
}

/** setup_test_encl(heap_size): load with the selftest flow; throws if it fails (the tests ASSERT it). */
export function setupTestEncl(w: World, heapBytes = PAGE, manifest?: EnclaveManifest): TestEncl {
  const m = manifest ?? manifestFromYaml(selftestManifestYaml(heapBytes));
  const image = prepare(w, m);
  const r = loadEnclave(w.design, w.p, image, 'selftest');
  if (!r.ok) throw new Error(`setup_test_encl: ${r.error}`);
  const seg = (n: string) => r.segments.find((s) => s.name === n)!;
  const data = seg('data');
  const heap = seg('heap');
  return {
    ...r,
    image,
    dataOffset: data.offset,
    dataStart: data.addr + PAGE,
    buffer: data.addr,
    tcsOffset: seg('tcs1').offset,
    totalSize: r.segments.reduce((n, s) => n + s.size, 0),
    heap: { offset: heap.offset, size: heap.size },
  };
}

/** ENCL_CALL(op, run, clobbered): EENTER through the vDSO with the given TCS. */
export function enclCall(w: World, tcs: number, ops: readonly EnclaveOp[], leaf: 'EENTER' | 'ERESUME' = 'EENTER'): VdsoEnterResult {
  return vdsoSgxEnterEnclave(w.k, w.pid, { leaf, tcs, program: ops });
}

/** struct sgx_enclave_run's exception fields as the selftests compare them. */
export function runInfo(r: VdsoEnterResult): { ret: number; function: number; vector: number; errorCode: number; addr: number } {
  return { ret: r.ret, function: r.function, vector: r.exceptionVector, errorCode: r.exceptionErrorCode, addr: Number(r.exceptionAddr) };
}

/** EXPECT_EEXIT + zero exception fields. */
export const EEXIT_CLEAN = { ret: 0, function: EncluLeaf.EEXIT, vector: 0, errorCode: 0, addr: 0 } as const;

/** A page of SECS for CREATE. */
export { secsBytes } from '../../../src/arch/x86/sgx/encls.js';
