// The shared suite every SGX driver design runs (Hono's routers style): each design's test file
// calls runSuite({ design, overrides }). A case observes a design's behaviour through its neutral
// adapter, the loader flows and the vDSO, and compares the observation with an expectation taken
// from the source the case ports (the Linux selftests tools/testing/selftests/sgx/main.c, the
// driver arch/x86/kernel/cpu/sgx/*.c of 6.1, the reference notes' scenarios). The default
// expectations are mainline's (D8 with Linux 6.1's rules); a design that behaves differently
// declares, per case, another expectation or a skip, always with its reason.
//
// Case ids: SGX-ST-01..15 (selftest ports, kernel-selftests-and-peers.md §3), SGX-DR-01..19 (driver
// rules, ibid.), SGX-AC-01..16 (acceptance scenarios, sgx-driver-and-designs.md §7.3), SGX-LD-01
// (the canonical loader on the reference enclave under builtin:default).
import { describe, expect, it } from 'vitest';
import {
  EACCES, EBUSY, EFAULT, EINVAL, EIO, ENODEV, ENOMEM, ENOTTY, EPERM, ERESTARTSYS, isErr,
} from '../../../src/abi/errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../src/abi/mman.js';
import { O_RDONLY, O_RDWR } from '../../../src/abi/fcntl.js';
import { READ_IMPLIES_EXEC } from '../../../src/abi/personality.js';
import { EncluLeaf, SGX_SECINFO_MODIFIED, SGX_SECINFO_PENDING, SGX_SECINFO_PR, SGX_SECINFO_R, SGX_SECINFO_REG, SGX_SECINFO_TCS, SGX_SECINFO_TRIM, SGX_SECINFO_W, SgxPageType, SIGSTRUCT_OFF } from '../../../src/arch/x86/sgx/arch.js';
import { selftestOps } from '../../../src/arch/x86/sgx/program.js';
import { PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import { selinuxOf } from '../../../src/security/selinux/boot.js';
import type { SgxDesign } from '../../../src/drivers/sgx/design.js';
import { vdsoSgxEnterEnclave } from '../../../src/drivers/sgx/common/vdso.js';
import { setConcurrentIoctl, setSignalPending } from '../../../src/drivers/sgx/common/knobs.js';
import { sgxPlatform } from '../../../src/drivers/sgx/common/install.js';
import { loadEnclave, reserveElrange } from '../../../src/drivers/sgx/loaders/flows.js';
import { permissionLines, permissionsFromTrace } from '../../../src/drivers/sgx/loaders/permissions.js';
import {
  EEXIT_CLEAN, MAGIC, MAGIC2, PAGE, bootWorld, enclCall, manifestFromYaml, prepare, referenceManifest, runInfo, secsBytes, selftestManifestYaml, setupTestEncl,
  type World, type WorldOptions,
} from './fixture.js';

export type Observation = Record<string, unknown>;

export interface SuiteCase {
  readonly id: string;
  readonly title: string;
  /** Where the expectation comes from. */
  readonly source: string;
  /** Only for these design ids (design-specific acceptance scenarios); others skip with that reason. */
  readonly designs?: readonly string[];
  readonly run: (design: SgxDesign) => Observation;
  readonly expect: Observation;
}

export type Override =
  | { readonly case: string; readonly expect: Observation; readonly reason: string }
  | { readonly case: string; readonly skip: true; readonly reason: string };

// ------------------------------------------------------------------ helpers

const { putToBuffer, getFromBuffer, putToAddress, getFromAddress, nop, eaccept, emodpe, initTcsPage } = selftestOps;
const RX = PROT_READ | PROT_EXEC;
const RW = PROT_READ | PROT_WRITE;
const RWX = RX | PROT_WRITE;
const big = (n: number) => BigInt(n);

/** mmap results as the cases compare them: 'mapped' or the -errno. */
function mapped(ret: number): number | 'mapped' {
  return isErr(ret) ? ret : 'mapped';
}

/** The selftests' SGX2 probe: the ioctl with zeroed arguments; ENOTTY / ENODEV mean SKIP. */
function sgx2Skip(w: World, fd: number, which: 'modify' | 'restrict'): string | null {
  const a = w.design.adapter;
  const r = which === 'modify' ? a.modifyTypes(w.p, fd, { offset: 0, length: 0, value: 0 }) : a.restrictPermissions(w.p, fd, { offset: 0, length: 0, value: 0 });
  const name = which === 'modify' ? 'SGX_IOC_ENCLAVE_MODIFY_TYPES' : 'SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS';
  if (r.ret === -ENOTTY) return `Kernel does not support ${name} ioctl()`;
  if (r.ret === -ENODEV) return 'System does not support SGX2';
  return null;
}

/** A fresh enclave: open, ELRANGE held the design's way (default: load.c encl_map_area()), CREATE. */
function createEnclave(w: World, size = 0x10000, attributes?: bigint): { fd: number; base: number; size: number; create: number } {
  const p = w.p;
  const a = w.design.adapter;
  const fd = a.openEnclave(p, O_RDWR);
  if (isErr(fd)) throw new Error(`open: ${fd}`);
  const base = a.reserve ? a.reserve(p, fd, size) : reserveElrange(p, size);
  if (isErr(base)) throw new Error(`reserve: ${base}`);
  const create = a.create(p, fd, secsBytes({ size: big(size), base: big(base), attributes })).ret;
  return { fd, base, size, create };
}

/** `n` pages of anonymous RW memory holding `fill` (a source for ADD). */
function anonSource(w: World, n = 1, fill = 0x5a): number {
  const a = w.p.mmap(0, n * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
  w.p.store(a, new Uint8Array(n * PAGE).fill(fill));
  return a;
}

function add(w: World, fd: number, a: { offset: number | bigint; src: number | bigint; length?: number | bigint; type?: 'REG' | 'TCS'; perms?: number; measure?: boolean; secinfoFlags?: bigint; secinfoReserved?: Uint8Array }) {
  return w.design.adapter.addPages(w.p, fd, { offset: a.offset, src: a.src, length: a.length ?? PAGE, type: a.type ?? 'REG', perms: a.perms ?? RW, measure: a.measure ?? true, secinfoFlags: a.secinfoFlags, secinfoReserved: a.secinfoReserved });
}

/** Trace seq now (for "what happened since"). */
function mark(w: World): number {
  return w.k.trace.length;
}

function avcDenials(w: World, from: number): string[] {
  return w.k.trace.ofKind('avc', from).filter((e) => e.decision === 'denied').map((e) => `${e.tclass}:${e.requested.join(',')}`);
}

/** A user-mode access's outcome: 'ok' or the signal. */
function touch(w: World, addr: number, write = false): string {
  const r = write ? w.p.tryStore(addr, new Uint8Array(8)) : w.p.tryLoad(addr, 8);
  return r.ok ? 'ok' : r.signal;
}

// ------------------------------------------------------------------ SGX-ST: the selftests

const ST: SuiteCase[] = [
  {
    id: 'SGX-ST-01',
    title: 'unclobbered_vdso / clobbered_vdso / clobbered_vdso_and_user_function',
    source: 'tools/testing/selftests/sgx/main.c TEST_F(enclave, unclobbered_vdso), clobbered_vdso*',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const put = enclCall(w, e.base, [putToBuffer(big(e.buffer), MAGIC)]);
      const get = enclCall(w, e.base, [getFromBuffer(big(e.buffer))]);
      // run.user_handler = test_handler (sets user_data = 0, returns 0); user_data = 0xdeadbeef
      let userData = 0xdeadbeef;
      const h = vdsoSgxEnterEnclave(w.k, w.pid, { leaf: 'EENTER', tcs: e.base, program: [getFromBuffer(big(e.buffer))], userHandler: () => ((userData = 0), 0) });
      return { put: runInfo(put), get: runInfo(get), value: get.results[0], handler: { ret: h.ret, function: h.function, userData, value: h.results[0] } };
    },
    expect: { put: EEXIT_CLEAN, get: EEXIT_CLEAN, value: MAGIC, handler: { ret: 0, function: EncluLeaf.EEXIT, userData: 0, value: MAGIC } },
  },
  {
    id: 'SGX-ST-02',
    title: 'unclobbered_vdso_oversubscribed (heap = EPC size: reclaim is invisible)',
    source: 'main.c TEST_F(enclave, unclobbered_vdso_oversubscribed); get_total_epc_mem()',
    run(d) {
      const w = bootWorld(d, { cpu: { epcPages: 128 } });
      const total = sgxPlatform(w.k).hw.epcPageCount * PAGE;
      const e = setupTestEncl(w, total);
      const put = enclCall(w, e.base, [putToBuffer(big(e.buffer), MAGIC)]);
      const get = enclCall(w, e.base, [getFromBuffer(big(e.buffer))]);
      return { put: runInfo(put), get: runInfo(get), value: get.results[0], reclaimed: sgxPlatform(w.k).stats.ewb > 0 };
    },
    expect: { put: EEXIT_CLEAN, get: EEXIT_CLEAN, value: MAGIC, reclaimed: true },
  },
  {
    id: 'SGX-ST-03',
    title: 'unclobbered_vdso_oversubscribed_remove (trim, EACCEPT and remove the whole heap)',
    source: 'main.c TEST_F_TIMEOUT(enclave, unclobbered_vdso_oversubscribed_remove, 900)',
    run(d) {
      const w = bootWorld(d, { cpu: { epcPages: 128 } });
      const total = sgxPlatform(w.k).hw.epcPageCount * PAGE;
      const e = setupTestEncl(w, total);
      const skip = sgx2Skip(w, e.fd, 'modify');
      if (skip) return { skipped: skip };
      const put = enclCall(w, e.base, [putToBuffer(big(e.buffer), MAGIC)]);
      const get = enclCall(w, e.base, [getFromBuffer(big(e.buffer))]);
      const modt = d.adapter.modifyTypes(w.p, e.fd, { offset: e.heap.offset, length: e.heap.size, value: SgxPageType.TRIM });
      let eacceptsClean = true;
      for (let i = 0; i < e.heap.size; i += PAGE) {
        const r = enclCall(w, e.base, [eaccept(big(e.base + e.heap.offset + i), SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)]);
        if (r.function !== EncluLeaf.EEXIT || r.exceptionVector !== 0 || r.results[0] !== 0) eacceptsClean = false;
      }
      const remove = d.adapter.removePages(w.p, e.fd, { offset: e.heap.offset, length: e.heap.size });
      return { put: runInfo(put), get: runInfo(get), value: get.results[0], modt, eacceptsClean, remove, heap: e.heap.size };
    },
    expect: {
      put: EEXIT_CLEAN,
      get: EEXIT_CLEAN,
      value: MAGIC,
      modt: { ret: 0, result: 0, count: 128 * PAGE },
      eacceptsClean: true,
      remove: { ret: 0, count: 128 * PAGE },
    },
  },
  {
    id: 'SGX-ST-04',
    title: 'tcs_entry: NOP through TCS1 and TCS2',
    source: 'main.c TEST_F(enclave, tcs_entry)',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      return { tcs1: runInfo(enclCall(w, e.base, [nop()])), tcs2: runInfo(enclCall(w, e.base + PAGE, [nop()])) };
    },
    expect: { tcs1: EEXIT_CLEAN, tcs2: EEXIT_CLEAN },
  },
  {
    id: 'SGX-ST-05',
    title: 'pte_permissions: a write through a read-only PTE is a plain #PF (0x7), fixed by mprotect and ERESUME',
    source: 'main.c TEST_F(enclave, pte_permissions)',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const a = big(e.dataStart);
      const w1 = enclCall(w, e.base, [putToAddress(a, MAGIC)]);
      const r1 = enclCall(w, e.base, [getFromAddress(a)]);
      const mp1 = w.p.mprotect(e.dataStart, PAGE, PROT_READ);
      const w2 = enclCall(w, e.base, [putToAddress(a, MAGIC2)]);
      const mp2 = w.p.mprotect(e.dataStart, PAGE, RW);
      const resumed = enclCall(w, e.base, [], 'ERESUME');
      const r2 = enclCall(w, e.base, [getFromAddress(a)]);
      return { w1: runInfo(w1), r1: r1.results[0], mp1, fault: runInfo(w2), mp2, resumed: runInfo(resumed), r2: r2.results[0] };
    },
    expect: {
      w1: EEXIT_CLEAN,
      r1: MAGIC,
      mp1: 0,
      fault: { ret: 0, function: EncluLeaf.ERESUME, vector: 14, errorCode: 0x7 },
      mp2: 0,
      resumed: EEXIT_CLEAN,
      r2: MAGIC2,
    },
  },
  {
    id: 'SGX-ST-06',
    title: 'tcs_permissions: RESTRICT_PERMISSIONS on a TCS page is EINVAL',
    source: 'main.c TEST_F(enclave, tcs_permissions); ioctl.c sgx_enclave_restrict_permissions() "entry->type != SGX_PAGE_TYPE_REG"',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const skip = sgx2Skip(w, e.fd, 'restrict');
      if (skip) return { skipped: skip };
      const r = d.adapter.restrictPermissions(w.p, e.fd, { offset: e.tcsOffset, length: PAGE, value: SGX_SECINFO_R });
      return { restrict: r };
    },
    expect: { restrict: { ret: -EINVAL, result: 0, count: 0 } },
  },
  {
    id: 'SGX-ST-07',
    title: 'epcm_permissions: EPCM read-only page faults with 0x8007; EMODPE through TCS2 fixes it',
    source: 'main.c TEST_F(enclave, epcm_permissions)',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const skip = sgx2Skip(w, e.fd, 'restrict');
      if (skip) return { skipped: skip };
      const a = big(e.dataStart);
      const w1 = enclCall(w, e.base, [putToAddress(a, MAGIC)]);
      const r1 = enclCall(w, e.base, [getFromAddress(a)]);
      const restrict = d.adapter.restrictPermissions(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE, value: SGX_SECINFO_R });
      const acc = enclCall(w, e.base, [eaccept(a, SGX_SECINFO_R | SGX_SECINFO_REG | SGX_SECINFO_PR)]);
      const fault = enclCall(w, e.base, [putToAddress(a, MAGIC2)]);
      const mod = enclCall(w, e.base + PAGE, [emodpe(a, SGX_SECINFO_R | SGX_SECINFO_W)]);
      const resumed = enclCall(w, e.base, [], 'ERESUME');
      const r2 = enclCall(w, e.base, [getFromAddress(a)]);
      return { w1: runInfo(w1), r1: r1.results[0], restrict, eaccept: { ...runInfo(acc), ret: acc.results[0] }, fault: runInfo(fault), emodpe: runInfo(mod), resumed: runInfo(resumed), r2: r2.results[0] };
    },
    expect: {
      w1: EEXIT_CLEAN,
      r1: MAGIC,
      restrict: { ret: 0, result: 0, count: 4096 },
      eaccept: { ...EEXIT_CLEAN },
      fault: { ret: 0, function: EncluLeaf.ERESUME, vector: 14, errorCode: 0x8007 },
      emodpe: EEXIT_CLEAN,
      resumed: EEXIT_CLEAN,
      r2: MAGIC2,
    },
  },
  {
    id: 'SGX-ST-08',
    title: 'augment: a write to a mapped hole after INIT EAUGs, then faults 0x8007 until EACCEPT',
    source: 'main.c TEST_F(enclave, augment); encl.c sgx_encl_eaug_page()',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      if (!sgxPlatform(w.k).hw.config.sgx2) return { skipped: 'SGX2 not supported' };
      const page = e.base + e.totalSize;
      const mm = mapped(w.p.mmap(page, PAGE, RWX, MAP_SHARED | MAP_FIXED, e.fd, 0));
      const fault = enclCall(w, e.base, [putToAddress(big(page), MAGIC)]);
      if (fault.exceptionErrorCode === 0x6) return { mmap: mm, skipped: 'Kernel does not support adding pages to initialized enclave' };
      const acc = enclCall(w, e.base + PAGE, [eaccept(big(page), SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_REG | SGX_SECINFO_PENDING)]);
      const resumed = enclCall(w, e.base, [], 'ERESUME');
      const get = enclCall(w, e.base, [getFromAddress(big(page))]);
      return { mmap: mm, fault: { ...runInfo(fault), atPage: fault.exceptionAddr === big(page) }, eaccept: { ...runInfo(acc), ret: acc.results[0] }, resumed: runInfo(resumed), value: get.results[0] };
    },
    expect: {
      mmap: 'mapped',
      fault: { ret: 0, function: EncluLeaf.ERESUME, vector: 14, errorCode: 0x8007, atPage: true },
      eaccept: { ...EEXIT_CLEAN },
      resumed: EEXIT_CLEAN,
      value: MAGIC,
    },
  },
  {
    id: 'SGX-ST-09',
    title: 'augment_via_eaccept: EACCEPT on a mapped hole: #PF, EAUG, EACCEPT again, invisible to user space',
    source: 'main.c TEST_F(enclave, augment_via_eaccept)',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      if (!sgxPlatform(w.k).hw.config.sgx2) return { skipped: 'SGX2 not supported' };
      const page = e.base + e.totalSize;
      const mm = mapped(w.p.mmap(page, PAGE, RWX, MAP_SHARED | MAP_FIXED, e.fd, 0));
      const acc = enclCall(w, e.base, [eaccept(big(page), SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_REG | SGX_SECINFO_PENDING)]);
      if (acc.exceptionVector === 14 && acc.exceptionErrorCode === 4 && acc.exceptionAddr === big(page)) {
        return { mmap: mm, skipped: 'Kernel does not support adding pages to initialized enclave' };
      }
      const put = enclCall(w, e.base, [putToAddress(big(page), MAGIC)]);
      const get = enclCall(w, e.base, [getFromAddress(big(page))]);
      return { mmap: mm, eaccept: { ...runInfo(acc), ret: acc.results[0] }, put: runInfo(put), get: runInfo(get), value: get.results[0] };
    },
    expect: { mmap: 'mapped', eaccept: { ...EEXIT_CLEAN }, put: EEXIT_CLEAN, get: EEXIT_CLEAN, value: MAGIC },
  },
  {
    id: 'SGX-ST-10',
    title: 'tcs_create: EAUG three pages, make one a TCS, run through it, then trim and remove them',
    source: 'main.c TEST_F(enclave, tcs_create)',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const skip = sgx2Skip(w, e.fd, 'modify');
      if (skip) return { skipped: skip };
      const a = d.adapter;
      const mm = mapped(w.p.mmap(e.base + e.totalSize, 3 * PAGE, RW, MAP_SHARED | MAP_FIXED, e.fd, 0));
      const stackEnd = e.base + e.totalSize;
      const tcs = stackEnd + PAGE;
      const ssa = stackEnd + 2 * PAGE;
      const pend = SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_REG | SGX_SECINFO_PENDING;
      const clean = (r: ReturnType<typeof enclCall>) => r.function === EncluLeaf.EEXIT && r.exceptionVector === 0 && (r.results[0] === undefined || r.results[0] === 0);
      const accepts = [stackEnd, ssa, tcs].map((x) => clean(enclCall(w, e.base, [eaccept(big(x), pend)])));
      // encl_dyn_entry: the model's entry is the text page (OENTRY 0x2000)
      const init = enclCall(w, e.base, [initTcsPage(big(tcs), big(e.totalSize + 2 * PAGE), 0x2000n)]);
      const toTcs = a.modifyTypes(w.p, e.fd, { offset: e.totalSize + PAGE, length: PAGE, value: SgxPageType.TCS });
      const accTcs = enclCall(w, e.base, [eaccept(big(tcs), SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED)]);
      const put = enclCall(w, tcs, [putToBuffer(big(e.buffer), MAGIC)]);
      const get = enclCall(w, tcs, [getFromBuffer(big(e.buffer))]);
      const trim = a.modifyTypes(w.p, e.fd, { offset: e.totalSize, length: 3 * PAGE, value: SgxPageType.TRIM });
      const trimAccepts = [stackEnd, tcs, ssa].map((x) => clean(enclCall(w, e.base, [eaccept(big(x), SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)])));
      const remove = a.removePages(w.p, e.fd, { offset: e.totalSize, length: 3 * PAGE });
      const reaug = enclCall(w, e.base, [eaccept(big(tcs), pend)]);
      const put2 = enclCall(w, e.base, [putToAddress(big(tcs), MAGIC)]);
      const get2 = enclCall(w, e.base, [getFromAddress(big(tcs))]);
      return {
        mmap: mm,
        accepts,
        initTcs: runInfo(init),
        toTcs,
        accTcs: { ...runInfo(accTcs), ret: accTcs.results[0] },
        newTcs: { put: runInfo(put), get: runInfo(get), value: get.results[0] },
        trim,
        trimAccepts,
        remove,
        reaug: { ...runInfo(reaug), ret: reaug.results[0] },
        value: get2.results[0],
        put2: runInfo(put2),
      };
    },
    expect: {
      mmap: 'mapped',
      accepts: [true, true, true],
      initTcs: EEXIT_CLEAN,
      toTcs: { ret: 0, result: 0, count: 4096 },
      accTcs: { ...EEXIT_CLEAN },
      newTcs: { put: EEXIT_CLEAN, get: EEXIT_CLEAN, value: MAGIC },
      trim: { ret: 0, result: 0, count: 3 * 4096 },
      trimAccepts: [true, true, true],
      remove: { ret: 0, count: 3 * 4096 },
      reaug: { ...EEXIT_CLEAN },
      put2: EEXIT_CLEAN,
      value: MAGIC,
    },
  },
  {
    id: 'SGX-ST-11',
    title: 'remove_added_page_no_eaccept: REMOVE_PAGES of a trimmed page the enclave did not accept is EPERM',
    source: 'main.c TEST_F(enclave, remove_added_page_no_eaccept); ioctl.c sgx_encl_remove_pages() EMODPR probe',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const skip = sgx2Skip(w, e.fd, 'modify');
      if (skip) return { skipped: skip };
      enclCall(w, e.base, [putToAddress(big(e.dataStart), MAGIC)]);
      const trim = d.adapter.modifyTypes(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE, value: SgxPageType.TRIM });
      const remove = d.adapter.removePages(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE });
      return { trim, remove };
    },
    expect: { trim: { ret: 0, result: 0, count: 4096 }, remove: { ret: -EPERM, count: 0 } },
  },
  {
    id: 'SGX-ST-12',
    title: 'remove_added_page_invalid_access: reading a trimmed, unaccepted page faults 0x8005',
    source: 'main.c TEST_F(enclave, remove_added_page_invalid_access)',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const skip = sgx2Skip(w, e.fd, 'modify');
      if (skip) return { skipped: skip };
      enclCall(w, e.base, [putToAddress(big(e.dataStart), MAGIC)]);
      const trim = d.adapter.modifyTypes(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE, value: SgxPageType.TRIM });
      const r = enclCall(w, e.base, [getFromAddress(big(e.dataStart))]);
      return { trim, read: { ...runInfo(r), atPage: r.exceptionAddr === big(e.dataStart) } };
    },
    expect: { trim: { ret: 0, result: 0, count: 4096 }, read: { ret: 0, function: EncluLeaf.ERESUME, vector: 14, errorCode: 0x8005, atPage: true } },
  },
  {
    id: 'SGX-ST-13',
    title: 'remove_added_page_invalid_access_after_eaccept: reading a trimmed, accepted page faults 0x8005',
    source: 'main.c TEST_F(enclave, remove_added_page_invalid_access_after_eaccept)',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const skip = sgx2Skip(w, e.fd, 'modify');
      if (skip) return { skipped: skip };
      enclCall(w, e.base, [putToAddress(big(e.dataStart), MAGIC)]);
      const trim = d.adapter.modifyTypes(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE, value: SgxPageType.TRIM });
      const acc = enclCall(w, e.base, [eaccept(big(e.dataStart), SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)]);
      const r = enclCall(w, e.base, [getFromAddress(big(e.dataStart))]);
      return { trim, eaccept: { ...runInfo(acc), ret: acc.results[0] }, read: { ...runInfo(r), atPage: r.exceptionAddr === big(e.dataStart) } };
    },
    expect: {
      trim: { ret: 0, result: 0, count: 4096 },
      eaccept: { ...EEXIT_CLEAN },
      read: { ret: 0, function: EncluLeaf.ERESUME, vector: 14, errorCode: 0x8005, atPage: true },
    },
  },
  {
    id: 'SGX-ST-14',
    title: 'remove_untouched_page: trim, EACCEPT and remove a page never touched',
    source: 'main.c TEST_F(enclave, remove_untouched_page)',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const skip = sgx2Skip(w, e.fd, 'modify');
      if (skip) return { skipped: skip };
      const trim = d.adapter.modifyTypes(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE, value: SgxPageType.TRIM });
      const acc = enclCall(w, e.base, [eaccept(big(e.dataStart), SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)]);
      const remove = d.adapter.removePages(w.p, e.fd, { offset: e.dataOffset + PAGE, length: PAGE });
      return { trim, eaccept: { ...runInfo(acc), ret: acc.results[0] }, remove };
    },
    expect: { trim: { ret: 0, result: 0, count: 4096 }, eaccept: { ...EEXIT_CLEAN }, remove: { ret: 0, count: 4096 } },
  },
  {
    id: 'SGX-ST-15',
    title: 'SGX2 gating: the SGX2 ioctls on a CPU without SGX2 are ENODEV',
    source: 'ioctl.c sgx_ioc_sgx2_ready(); main.c SKIP(... "System does not support SGX2")',
    run(d) {
      const w = bootWorld(d, { cpu: { sgx2: false } });
      const e = setupTestEncl(w);
      const a = d.adapter;
      return {
        restrict: a.restrictPermissions(w.p, e.fd, { offset: 0, length: 0, value: 0 }).ret,
        modify: a.modifyTypes(w.p, e.fd, { offset: 0, length: 0, value: 0 }).ret,
        remove: a.removePages(w.p, e.fd, { offset: 0, length: 0 }).ret,
      };
    },
    expect: { restrict: -ENODEV, modify: -ENODEV, remove: -ENODEV },
  },
];

// ------------------------------------------------------------------ SGX-DR: driver rules

const DR: SuiteCase[] = [
  {
    id: 'SGX-DR-01',
    title: 'mmap of the enclave fd with MAP_PRIVATE is EINVAL',
    source: 'driver.c sgx_get_unmapped_area(): (flags & MAP_TYPE) == MAP_PRIVATE -> -EINVAL',
    run(d) {
      const w = bootWorld(d);
      const fd = d.adapter.openEnclave(w.p);
      return { mmap: mapped(w.p.mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0)) };
    },
    expect: { mmap: -EINVAL },
  },
  {
    id: 'SGX-DR-02',
    title: 'mmap(RW) over a page added R-X is EACCES',
    source: 'encl.c sgx_encl_may_map(): ~vm_max_prot_bits & vm_prot_bits -> -EACCES',
    run(d) {
      const w = bootWorld(d);
      const c = createEnclave(w);
      const a = add(w, c.fd, { offset: 0x2000, src: anonSource(w), perms: RX });
      return { add: a.ret, mmapRW: mapped(d.adapter.map(w.p, c.fd, c.base + 0x2000, PAGE, RW)), mmapRX: mapped(d.adapter.map(w.p, c.fd, c.base + 0x2000, PAGE, RX)) };
    },
    expect: { add: 0, mmapRW: -EACCES, mmapRX: 'mapped' },
  },
  {
    id: 'SGX-DR-03',
    title: 'mprotect(text, RWX) after INIT is EACCES (vm_ops->mprotect)',
    source: 'encl.c sgx_vma_mprotect() -> sgx_encl_may_map()',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const text = e.segments.find((s) => s.name === 'text')!;
      return { rwx: w.p.mprotect(text.addr, text.size, RWX), r: w.p.mprotect(text.addr, text.size, PROT_READ), rx: w.p.mprotect(text.addr, text.size, RX) };
    },
    expect: { rwx: -EACCES, r: 0, rx: 0 },
  },
  {
    id: 'SGX-DR-04',
    title: 'Gramine flow: RWX over the whole ELRANGE before CREATE, re-mmap per range after ADD',
    source: 'sgx_encl_may_map() visits existing pages only; gramine host_framework.c create_enclave()/add_pages_to_enclave()',
    run(d) {
      const w = bootWorld(d);
      const img = prepare(w, manifestFromYaml(selftestManifestYaml()));
      const r = loadEnclave(d, w.p, img, 'gramine');
      return { ok: r.ok, error: r.error ?? null };
    },
    expect: { ok: true, error: null },
  },
  {
    id: 'SGX-DR-05',
    title: 'after INIT, a mapping partly outside ELRANGE is EACCES',
    source: 'encl.c sgx_encl_may_map() "Disallow mapping outside enclave\'s address range" (6.0)',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      return { mmap: mapped(d.adapter.map(w.p, e.fd, e.base + e.size - PAGE, 2 * PAGE, PROT_READ)) };
    },
    expect: { mmap: -EACCES },
  },
  {
    id: 'SGX-DR-06',
    title: 'ADD_PAGES with a TCS SECINFO that has R is EINVAL',
    source: 'ioctl.c sgx_validate_secinfo(): "pt == SGX_SECINFO_TCS && perm"',
    run(d) {
      const w = bootWorld(d);
      const c = createEnclave(w);
      return { add: add(w, c.fd, { offset: 0, src: anonSource(w), secinfoFlags: SGX_SECINFO_TCS | SGX_SECINFO_R }) };
    },
    expect: { add: { ret: -EINVAL } },
  },
  {
    id: 'SGX-DR-07',
    title: 'ADD_PAGES with W without R is EINVAL',
    source: 'ioctl.c sgx_validate_secinfo(): (perm & SGX_SECINFO_W) && !(perm & SGX_SECINFO_R)',
    run(d) {
      const w = bootWorld(d);
      const c = createEnclave(w);
      return { add: add(w, c.fd, { offset: 0, src: anonSource(w), secinfoFlags: SGX_SECINFO_REG | SGX_SECINFO_W }) };
    },
    expect: { add: { ret: -EINVAL } },
  },
  {
    id: 'SGX-DR-08',
    title: 'ADD_PAGES after INIT is EINVAL',
    source: 'ioctl.c sgx_ioc_enclave_add_pages(): !CREATED || INITIALIZED -> -EINVAL',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      return { add: add(w, e.fd, { offset: e.totalSize, src: anonSource(w) }) };
    },
    expect: { add: { ret: -EINVAL } },
  },
  {
    id: 'SGX-DR-09',
    title: 'ADD_PAGES with an unaligned src, or offset + length beyond the size, is EINVAL',
    source: 'ioctl.c sgx_ioc_enclave_add_pages(), sgx_validate_offset_length()',
    run(d) {
      const w = bootWorld(d);
      const c = createEnclave(w);
      const src = anonSource(w, 2);
      return { unaligned: add(w, c.fd, { offset: 0, src: src + 8 }).ret, beyond: add(w, c.fd, { offset: c.size - PAGE, src, length: 2 * PAGE }).ret };
    },
    expect: { unaligned: -EINVAL, beyond: -EINVAL },
  },
  {
    id: 'SGX-DR-10',
    title: 'ADD_PAGES from a source on a noexec mount is EACCES',
    source: 'ioctl.c __sgx_encl_add_page() "Deny noexec": !(vma->vm_flags & VM_MAYEXEC) -> -EACCES',
    run(d) {
      const w = bootWorld(d);
      w.k.fs.mkdir('/mnt');
      w.k.fs.mkdir('/mnt/nx');
      w.k.fs.mount('/mnt/nx', 'tmpfs', { noexec: true });
      w.k.fs.createFile('/mnt/nx/code', { data: new Uint8Array(PAGE).fill(0xcc) });
      const c = createEnclave(w);
      const f = w.p.open('/mnt/nx/code', O_RDONLY);
      const src = w.p.mmap(0, PAGE, PROT_READ, MAP_PRIVATE, f, 0);
      return { add: add(w, c.fd, { offset: 0x2000, src, perms: RX }) };
    },
    expect: { add: { ret: -EACCES, count: 0 } },
  },
  {
    id: 'SGX-DR-11',
    title: 'CREATE with a size that is not a power of two: ECREATE #GP -> EIO (6.1); EINVAL with the 2025 pre-check',
    source: 'ioctl.c sgx_encl_create(): __ecreate() fails -> -EIO (SDM ECREATE: SECS.SIZE must be a power of two); is_power_of_2() -> -EINVAL added by 20250305050006.43896-1-jarkko@kernel.org',
    run(d) {
      const w = bootWorld(d);
      const c = createEnclave(w, 0x10000);
      const fd2 = d.adapter.openEnclave(w.p);
      const odd = d.adapter.create(w.p, fd2, secsBytes({ size: 0x18000n, base: big(c.base) })).ret;
      const w2 = bootWorld(d, { driver: { createPow2Check: true } });
      const fd3 = d.adapter.openEnclave(w2.p);
      const pre = d.adapter.create(w2.p, fd3, secsBytes({ size: 0x18000n, base: big(c.base) })).ret;
      return { ecreate: odd, precheck: pre };
    },
    expect: { ecreate: -EIO, precheck: -EINVAL },
  },
  {
    id: 'SGX-DR-12',
    title: 'CREATE twice is EINVAL',
    source: 'ioctl.c sgx_ioc_enclave_create(): test_bit(SGX_ENCL_CREATED) -> -EINVAL',
    run(d) {
      const w = bootWorld(d);
      const c = createEnclave(w);
      return { first: c.create, second: d.adapter.create(w.p, c.fd, secsBytes({ size: big(c.size), base: big(c.base) })).ret };
    },
    expect: { first: 0, second: -EINVAL },
  },
  {
    id: 'SGX-DR-13',
    title: 'INIT with a MRENCLAVE mismatch or a bad signature is EPERM',
    source: 'ioctl.c sgx_encl_init(): EINIT error code -> -EPERM (SDM EINIT SGX_INVALID_MEASUREMENT / SGX_INVALID_SIGNATURE)',
    run(d) {
      const out: Observation = {};
      for (const how of ['measurement', 'signature'] as const) {
        const w = bootWorld(d);
        const m = manifestFromYaml(selftestManifestYaml());
        const img = prepare(w, m);
        const ss = Uint8Array.from(img.sigstruct);
        if (how === 'measurement') ss[SIGSTRUCT_OFF.enclaveHash] ^= 1;
        else ss[SIGSTRUCT_OFF.signature + 7] ^= 1;
        const r = loadEnclave(d, w.p, { ...img, sigstruct: ss }, 'selftest');
        out[how] = r.error ?? 'ok';
      }
      return out;
    },
    expect: { measurement: 'SGX_IOC_ENCLAVE_INIT failed: EPERM', signature: 'SGX_IOC_ENCLAVE_INIT failed: EPERM' },
  },
  {
    id: 'SGX-DR-14',
    title: 'INIT with SIGSTRUCT vendor 0x1234 is EINVAL',
    source: 'ioctl.c sgx_ioc_enclave_init(): header.vendor not 0x0000 or 0x8086 -> -EINVAL',
    run(d) {
      const w = bootWorld(d);
      const img = prepare(w, manifestFromYaml(selftestManifestYaml()));
      const ss = Uint8Array.from(img.sigstruct);
      new DataView(ss.buffer).setUint32(SIGSTRUCT_OFF.vendor, 0x1234, true);
      return { init: loadEnclave(d, w.p, { ...img, sigstruct: ss }, 'selftest').error };
    },
    expect: { init: 'SGX_IOC_ENCLAVE_INIT failed: EINVAL' },
  },
  {
    id: 'SGX-DR-15',
    title: 'INIT of an enclave with PROVISIONKEY and no PROVISION ioctl is EACCES',
    source: 'ioctl.c sgx_encl_init(): encl->attributes & ~encl->attributes_mask -> -EACCES',
    run(d) {
      const w = bootWorld(d);
      const yaml = selftestManifestYaml().replace('attributes: [MODE64BIT]', 'attributes: [MODE64BIT, PROVISIONKEY]');
      const r = loadEnclave(d, w.p, prepare(w, manifestFromYaml(yaml)), 'selftest');
      return { init: r.error };
    },
    expect: { init: 'SGX_IOC_ENCLAVE_INIT failed: EACCES' },
  },
  {
    id: 'SGX-DR-16',
    title: 'MODIFY_TYPES REG->TCS of a page whose maximum lacks W is EPERM',
    source: 'ioctl.c sgx_enclave_modify_types(): ~entry->vm_max_prot_bits & (VM_READ | VM_WRITE) -> -EPERM',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      const text = e.segments.find((s) => s.name === 'text')!;
      return { modify: d.adapter.modifyTypes(w.p, e.fd, { offset: text.offset, length: PAGE, value: SgxPageType.TCS }) };
    },
    expect: { modify: { ret: -EPERM, result: 0, count: 0 } },
  },
  {
    id: 'SGX-DR-17',
    title: 'MODIFY_TYPES to REG or SECS is EINVAL',
    source: 'ioctl.c sgx_enclave_modify_types(): "The only new page types allowed by hardware are PT_TCS and PT_TRIM"',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      return {
        toReg: d.adapter.modifyTypes(w.p, e.fd, { offset: e.dataOffset, length: PAGE, value: SgxPageType.REG }).ret,
        toSecs: d.adapter.modifyTypes(w.p, e.fd, { offset: e.dataOffset, length: PAGE, value: SgxPageType.SECS }).ret,
      };
    },
    expect: { toReg: -EINVAL, toSecs: -EINVAL },
  },
  {
    id: 'SGX-DR-18',
    title: 'with /dev mounted noexec, the PROT_EXEC probe of load.c fails (EPERM) and the loader prints its diagnostic',
    source: 'mm/mmap.c do_mmap(): path_noexec() && VM_EXEC -> -EPERM; load.c encl_load() ERR_MSG',
    run(d) {
      const w = bootWorld(d);
      w.k.fs.remount('/dev', { noexec: true });
      const fd = d.adapter.openEnclave(w.p);
      const rd = mapped(w.p.mmap(0, PAGE, PROT_READ, MAP_SHARED, fd, 0));
      const ex = mapped(w.p.mmap(0, PAGE, PROT_EXEC, MAP_SHARED, fd, 0));
      const r = loadEnclave(d, w.p, prepare(w, manifestFromYaml(selftestManifestYaml())), 'selftest');
      return { read: rd, exec: ex, loader: r.error };
    },
    expect: { read: 'mapped', exec: -EPERM, loader: 'mmap() succeeded for PROT_READ, but failed for PROT_EXEC (check that /dev does not have noexec set): EPERM' },
  },
  {
    id: 'SGX-DR-19',
    title: 'holes in ELRANGE impose no limit: RWX over a hole before CREATE and after INIT is allowed',
    source: 'encl.c sgx_encl_may_map(): xas_for_each() visits existing pages only (the RFC "holes are 0 permissions" variant refuses)',
    run(d) {
      const w = bootWorld(d);
      const fd = d.adapter.openEnclave(w.p);
      const before = mapped(w.p.mmap(0, 0x10000, RWX, MAP_SHARED, fd, 0));
      const e = setupTestEncl(w);
      const after = mapped(d.adapter.map(w.p, e.fd, e.base + e.totalSize, PAGE, RWX));
      return { beforeCreate: before, afterInit: after };
    },
    expect: { beforeCreate: 'mapped', afterInit: 'mapped' },
  },
];

// ------------------------------------------------------------------ SGX-AC: acceptance scenarios

const SELINUX: WorldOptions = { selinux: { policy: 'builtin:default' } };

const AC: SuiteCase[] = [
  {
    id: 'SGX-AC-01',
    title: 'happy path (selftest loader) under builtin:default: every step 0; device {read write open ioctl map execute}, image {read map}, no execute on the image',
    source: 'sgx-driver-and-designs.md §7.3 (1), §3.9; hooks.c selinux_mmap_file()/file_map_prot_check()',
    run(d) {
      const w = bootWorld(d, SELINUX);
      const img = prepare(w, manifestFromYaml(selftestManifestYaml()));
      const from = mark(w);
      const r = loadEnclave(d, w.p, img, 'selftest');
      const n = permissionsFromTrace(w.k, from, w.pid);
      const lines = permissionLines(n);
      return {
        ok: r.ok,
        device: lines.find((l) => l.includes('sgx_enclave_device_t:chr_file')) ?? null,
        image: lines.find((l) => l.includes(' lib_t:file')) ?? null,
        denied: permissionLines(n.denied),
        execmem: n.tuples.some((t) => t.perm === 'execmem'),
      };
    },
    expect: {
      ok: true,
      device: 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }',
      image: 'sgx_loader_t lib_t:file { map open read }',
      denied: [],
      execmem: false,
    },
  },
  {
    id: 'SGX-AC-02',
    title: 'overreach on mmap: RWX over an R|X page is EACCES from the driver although SELinux allowed write and execute',
    source: '§7.3 (2); encl.c sgx_encl_may_map() after selinux_mmap_file()',
    run(d) {
      const w = bootWorld(d, SELINUX);
      const e = setupTestEncl(w);
      const text = e.segments.find((s) => s.name === 'text')!;
      const from = mark(w);
      const ret = mapped(d.adapter.map(w.p, e.fd, text.addr, PAGE, RWX));
      const avc = w.k.trace.ofKind('avc', from).map((x) => `${x.decision} ${x.tclass}:${x.requested.join(',')}`);
      return { mmap: ret, avc };
    },
    expect: { mmap: -EACCES, avc: ['granted chr_file:map', 'granted chr_file:read,write,execute'] },
  },
  {
    id: 'SGX-AC-03',
    title: 'overreach on mprotect: R -> RX is 0, -> RWX is EACCES (driver); with execute denied on the device RX is EACCES from SELinux first',
    source: '§7.3 (3); mm/mprotect.c do_mprotect_pkey(): security_file_mprotect() before vm_ops->mprotect',
    run(d) {
      const w = bootWorld(d, SELINUX);
      const e = setupTestEncl(w);
      const text = e.segments.find((s) => s.name === 'text')!;
      const r = d.adapter.map(w.p, e.fd, text.addr, PAGE, PROT_READ);
      const rx = w.p.mprotect(text.addr, PAGE, RX);
      const rwx = w.p.mprotect(text.addr, PAGE, RWX);
      w.p.mprotect(text.addr, PAGE, PROT_READ);
      selinuxOf(w.k).setBoolean('sgx_loader_execute_enclave', false);
      const from = mark(w);
      const denied = w.p.mprotect(text.addr, PAGE, RX);
      return { map: mapped(r), rx, rwx, deniedByLsm: denied, avcDenials: avcDenials(w, from) };
    },
    expect: { map: 'mapped', rx: 0, rwx: -EACCES, deniedByLsm: -EACCES, avcDenials: ['chr_file:read,execute'] },
  },
  {
    id: 'SGX-AC-04',
    title: 'mapped before add: RWX over the empty range, ADD an R page, touching it is SIGBUS',
    source: '§7.3 (4); encl.c sgx_vma_fault() -> sgx_encl_load_page_in_vma(): max & vma_prot != vma_prot -> SIGBUS',
    run(d) {
      const w = bootWorld(d);
      const c = createEnclave(w);
      const m = mapped(d.adapter.map(w.p, c.fd, c.base, c.size, RWX));
      const a = add(w, c.fd, { offset: 0x3000, src: anonSource(w), perms: PROT_READ });
      return { mmap: m, add: a.ret, touch: touch(w, c.base + 0x3000) };
    },
    expect: { mmap: 'mapped', add: 0, touch: 'SIGBUS' },
  },
  {
    id: 'SGX-AC-05',
    title: 'sources: noexec mount EACCES; an unmapped hole EFAULT; another enclave\'s mapping EFAULT (EACCES first with /dev noexec)',
    source: '§7.3 (5); ioctl.c __sgx_encl_add_page(): find_vma(), VM_MAYEXEC, get_user_pages() (VM_IO|VM_PFNMAP refused by check_vma_flags())',
    run(d) {
      const w = bootWorld(d);
      w.k.fs.mkdir('/mnt');
      w.k.fs.mkdir('/mnt/nx');
      w.k.fs.mount('/mnt/nx', 'tmpfs', { noexec: true });
      w.k.fs.createFile('/mnt/nx/code', { data: new Uint8Array(PAGE).fill(0xcc) });
      const c = createEnclave(w);
      const f = w.p.open('/mnt/nx/code', O_RDONLY);
      const nx = w.p.mmap(0, PAGE, PROT_READ, MAP_PRIVATE, f, 0);
      const other = setupTestEncl(w);
      const otherSrc = other.segments.find((s) => s.name === 'data')!.addr;
      const hole = w.p.mmap(0, 3 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
      w.p.munmap(hole + PAGE, PAGE);
      const r1 = add(w, c.fd, { offset: 0x1000, src: nx }).ret;
      const r2 = add(w, c.fd, { offset: 0x2000, src: hole + PAGE }).ret;
      const r3 = add(w, c.fd, { offset: 0x3000, src: otherSrc }).ret;
      w.k.fs.remount('/dev', { noexec: true });
      // a new mapping of the other enclave on the noexec /dev has no VM_MAYEXEC
      const again = d.adapter.map(w.p, other.fd, otherSrc, PAGE, RW);
      const r4 = add(w, c.fd, { offset: 0x4000, src: otherSrc }).ret;
      return { noexec: r1, hole: r2, otherEnclave: r3, remap: mapped(again), otherEnclaveNoexecDev: r4 };
    },
    expect: { noexec: -EACCES, hole: -EFAULT, otherEnclave: -EFAULT, remap: 'mapped', otherEnclaveNoexecDev: -EACCES },
  },
  {
    id: 'SGX-AC-06',
    title: 'noexec /dev: mmap(PROT_EXEC) of the enclave fd is EPERM, PROT_READ works',
    source: '§7.3 (6); mm/mmap.c do_mmap(): path_noexec(&file->f_path) && VM_EXEC -> -EPERM',
    run(d) {
      const w = bootWorld(d);
      w.k.fs.remount('/dev', { noexec: true });
      const fd = d.adapter.openEnclave(w.p);
      return { exec: mapped(w.p.mmap(0, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0)), read: mapped(w.p.mmap(0, PAGE, PROT_READ, MAP_SHARED, fd, 0)) };
    },
    expect: { exec: -EPERM, read: 'mapped' },
  },
  {
    id: 'SGX-AC-07',
    title: 'SECINFO validation matrix',
    source: '§7.3 (7); ioctl.c sgx_validate_secinfo()',
    run(d) {
      const w = bootWorld(d);
      const c = createEnclave(w);
      const src = anonSource(w);
      const reserved = new Uint8Array(56);
      reserved[10] = 1;
      const t = (o: number, f: bigint, r?: Uint8Array) => add(w, c.fd, { offset: o, src, secinfoFlags: f, secinfoReserved: r }).ret;
      return {
        wOnly: t(0x1000, SGX_SECINFO_REG | SGX_SECINFO_W),
        tcsR: t(0x1000, SGX_SECINFO_TCS | SGX_SECINFO_R),
        va: t(0x1000, 0x300n | 1n),
        secs: t(0x1000, 0x000n | 1n),
        trim: t(0x1000, SGX_SECINFO_TRIM),
        bit3: t(0x1000, SGX_SECINFO_REG | SGX_SECINFO_R | 0x8n),
        bit16: t(0x1000, SGX_SECINFO_REG | SGX_SECINFO_R | 0x10000n),
        reservedByte: t(0x1000, SGX_SECINFO_REG | SGX_SECINFO_R, reserved),
        rwx: t(0x2000, SGX_SECINFO_REG | 7n),
      };
    },
    expect: { wOnly: -EINVAL, tcsR: -EINVAL, va: -EINVAL, secs: -EINVAL, trim: -EINVAL, bit3: -EINVAL, bit16: -EINVAL, reservedByte: -EINVAL, rwx: 0 },
  },
  {
    id: 'SGX-AC-08',
    title: 'range/alignment matrix; the same offset twice is EBUSY (count 0); a half-overlapping add is EBUSY with the bytes before the overlap',
    source: '§7.3 (8); ioctl.c sgx_validate_offset_length() (overflow check: f0861f49bd94, 6.1), sgx_encl_add_page() xa_insert() -> -EBUSY',
    run(d) {
      const w = bootWorld(d);
      const c = createEnclave(w);
      const src = anonSource(w, 4);
      const r = (a: Parameters<typeof add>[2]) => add(w, c.fd, a);
      const first = r({ offset: 0x4000, src, length: 2 * PAGE });
      return {
        offsetUnaligned: r({ offset: 0x100, src }).ret,
        srcUnaligned: r({ offset: 0, src: src + 0x10 }).ret,
        lengthZero: r({ offset: 0, src, length: 0 }).ret,
        lengthUnaligned: r({ offset: 0, src, length: 0x1800 }).ret,
        beyond: r({ offset: c.size, src }).ret,
        overflow: (({ ret, count }) => ({ ret, count }))(r({ offset: (1n << 64n) - 0x1000n, src, length: 2 * PAGE })),
        first,
        twice: r({ offset: 0x4000, src }),
        halfOverlap: r({ offset: 0x2000, src, length: 4 * PAGE }),
      };
    },
    expect: {
      offsetUnaligned: -EINVAL,
      srcUnaligned: -EINVAL,
      lengthZero: -EINVAL,
      lengthUnaligned: -EINVAL,
      beyond: -EINVAL,
      overflow: { ret: -EINVAL, count: 0 },
      first: { ret: 0, count: 2 * PAGE },
      twice: { ret: -EBUSY, count: 0 },
      halfOverlap: { ret: -EBUSY, count: 2 * PAGE },
    },
  },
  {
    id: 'SGX-AC-09',
    title: 'state matrix: ADD/INIT before CREATE, CREATE twice, ADD/INIT after INIT are EINVAL; PROVISION before CREATE is 0; a concurrent ioctl is EBUSY',
    source: '§7.3 (9); ioctl.c flag checks; sgx_ioctl() test_and_set_bit(SGX_ENCL_IOCTL) -> -EBUSY',
    run(d) {
      const w = bootWorld(d);
      const a = d.adapter;
      const fd = a.openEnclave(w.p);
      const src = anonSource(w);
      const addBefore = add(w, fd, { offset: 0, src }).ret;
      const initBefore = a.init(w.p, fd, new Uint8Array(1808)).ret;
      const pfd = a.openProvision(w.p);
      const provBefore = a.provision(w.p, fd, pfd).ret;
      const e = setupTestEncl(w);
      const createTwice = a.create(w.p, e.fd, secsBytes({ size: big(e.size), base: big(e.base) })).ret;
      const addAfter = add(w, e.fd, { offset: e.totalSize, src }).ret;
      const initTwice = a.init(w.p, e.fd, e.image.sigstruct).ret;
      setConcurrentIoctl(w.k, w.pid, e.fd, true);
      const busy = a.provision(w.p, e.fd, pfd).ret;
      setConcurrentIoctl(w.k, w.pid, e.fd, false);
      return { addBefore, initBefore, provBefore, createTwice, addAfter, initTwice, busy };
    },
    expect: { addBefore: -EINVAL, initBefore: -EINVAL, provBefore: 0, createTwice: -EINVAL, addAfter: -EINVAL, initTwice: -EINVAL, busy: -EBUSY },
  },
  {
    id: 'SGX-AC-10',
    title: 'signals: pending before the first page -> ERESTARTSYS, count 0; after k pages -> 0 with count k*4096',
    source: '§7.3 (10); ioctl.c sgx_ioc_enclave_add_pages() signal_pending() (14132a5b807b)',
    run(d) {
      const w = bootWorld(d);
      const c = createEnclave(w);
      const src = anonSource(w, 4);
      const plat = w.inst.platform;
      setSignalPending(w.k, w.pid, plat, 0);
      const before = add(w, c.fd, { offset: 0, src, length: 4 * PAGE });
      setSignalPending(w.k, w.pid, plat, 2);
      const after2 = add(w, c.fd, { offset: 0x8000, src, length: 4 * PAGE });
      return { before: { ret: before.ret, count: before.count }, after2: { ret: after2.ret, count: after2.count } };
    },
    expect: { before: { ret: -ERESTARTSYS, count: 0 }, after2: { ret: 0, count: 2 * PAGE } },
  },
  {
    id: 'SGX-AC-11',
    title: 'provisioning: PROVISIONKEY without PROVISION -> INIT EACCES; PROVISION with a non-provision fd -> EINVAL; with /dev/sgx_provision INIT succeeds',
    source: '§7.3 (11); ioctl.c sgx_ioc_enclave_provision(), sgx_set_attribute(); sgx_encl_init()',
    run(d) {
      const yaml = selftestManifestYaml().replace('attributes: [MODE64BIT]', 'attributes: [MODE64BIT, PROVISIONKEY]');
      const w = bootWorld(d);
      const without = loadEnclave(d, w.p, prepare(w, manifestFromYaml(yaml)), 'selftest').error;
      // build by hand to issue PROVISION between CREATE and INIT
      const w2 = bootWorld(d);
      const img = prepare(w2, manifestFromYaml(yaml));
      const m = img.manifest;
      const a = d.adapter;
      const c = createEnclave(w2, Number(m.size), m.attributes);
      const wrong = a.provision(w2.p, c.fd, w2.p.open('/dev/null', O_RDWR)).ret;
      const right = a.provision(w2.p, c.fd, a.openProvision(w2.p)).ret;
      const imgfd = w2.p.open(img.imagePath, O_RDONLY);
      const bin = w2.p.mmap(0, img.imageSize, PROT_READ, MAP_PRIVATE, imgfd, 0);
      for (const s of m.segments) {
        const src = s.name === 'heap' ? anonSource(w2, Number(s.size) / PAGE, 0) : bin + Number(s.offset);
        a.addPages(w2.p, c.fd, { offset: Number(s.offset), src, length: Number(s.size), type: s.type, perms: Number(s.perms), measure: s.measured });
      }
      const init = a.init(w2.p, c.fd, img.sigstruct).ret;
      return { without, wrongFd: wrong, provision: right, init };
    },
    expect: { without: 'SGX_IOC_ENCLAVE_INIT failed: EACCES', wrongFd: -EINVAL, provision: 0, init: 0 },
  },
  {
    id: 'SGX-AC-12',
    title: 'EPC exhaustion: nothing reclaimable -> ADD ENOMEM; with reclaimable pages ADD succeeds through EWB and an evicted page comes back by ELDU intact',
    source: '§7.3 (12); main.c sgx_alloc_epc_page() (-ENOMEM when sgx_active_page_list is empty), sgx_reclaim_pages(); encl.c ELDU on fault',
    run(d) {
      // 8 EPC pages: each enclave takes a VA page and a SECS (never reclaimable).
      const w = bootWorld(d, { cpu: { epcPages: 8 } });
      const enclaves = [];
      for (let i = 0; i < 4; i++) enclaves.push(createEnclave(w));
      const full = add(w, enclaves[0].fd, { offset: 0, src: anonSource(w) });
      // With reclaimable pages: 48 pages of EPC, one enclave takes 64 pages of data.
      const w2 = bootWorld(d, { cpu: { epcPages: 48 } });
      const e = setupTestEncl(w2, 64 * PAGE);
      const heapPage = e.base + e.heap.offset + 5 * PAGE;
      const stats = sgxPlatform(w2.k).stats;
      const ewb = stats.ewb;
      const put = enclCall(w2, e.base, [putToAddress(big(heapPage), MAGIC)]);
      // push it out again by touching every heap page, then read it back
      for (let i = 0; i < 64; i++) enclCall(w2, e.base, [getFromAddress(big(e.base + e.heap.offset + i * PAGE))]);
      const get = enclCall(w2, e.base, [getFromAddress(big(heapPage))]);
      return { noReclaimable: full.ret, loaded: true, evicted: ewb > 0, eldu: sgxPlatform(w2.k).stats.eldu > 0, put: runInfo(put), value: get.results[0] };
    },
    expect: { noReclaimable: -ENOMEM, loaded: true, evicted: true, eldu: true, put: EEXIT_CLEAN, value: MAGIC },
  },
  {
    id: 'SGX-AC-13',
    title: 'a READ_IMPLIES_EXEC task: every mmap of the enclave fd is EACCES',
    source: '§7.3 (13); encl.c sgx_encl_may_map(): current->personality & READ_IMPLIES_EXEC -> -EACCES',
    run(d) {
      const w = bootWorld(d);
      const e = setupTestEncl(w);
      w.p.personality(READ_IMPLIES_EXEC);
      return {
        none: mapped(d.adapter.map(w.p, e.fd, e.base + e.totalSize, PAGE, PROT_NONE)),
        read: mapped(d.adapter.map(w.p, e.fd, e.buffer, PAGE, PROT_READ)),
      };
    },
    expect: { none: -EACCES, read: -EACCES },
  },
  {
    id: 'SGX-AC-14',
    title: 'D1: ADD copies VM_EXEC from a source mapped PROT_READ|PROT_EXEC from the image; no device execute; mmap(PROT_EXEC) of the fd meets execmem',
    source: '§7.3 (14); Sean Christopherson 2019-05-17 (20190517192823.GG15006@linux.intel.com); hooks.c file_map_prot_check() IS_PRIVATE clause',
    designs: ['D1'],
    run(d) {
      const w = bootWorld(d, SELINUX);
      const from = mark(w);
      const img = prepare(w, manifestFromYaml(selftestManifestYaml()));
      const r = loadEnclave(d, w.p, img, d.canonicalLoader);
      const n = permissionsFromTrace(w.k, from, w.pid);
      const fd = d.adapter.openEnclave(w.p);
      const m2 = mark(w);
      w.p.mmap(0, PAGE, RX, MAP_SHARED, fd, 0);
      const execmem = w.k.trace.ofKind('avc', m2).some((x) => x.requested.includes('execmem'));
      return { ok: r.ok, deviceExecute: n.tuples.some((t) => t.tclass === 'chr_file' && t.perm === 'execute'), execmemOnExecMap: execmem };
    },
    expect: { ok: true, deviceExecute: false, execmemOnExecMap: true },
  },
  {
    id: 'SGX-AC-15',
    title: 'D4/D5: declaring PROT_EXEC from an anonymous source queries execmem (D4) / sgx_execanon (D5); PROT_WRITE|PROT_EXEC: execmod/execmem (D4) / sgx_execdirty (D5)',
    source: '§7.3 (15); RFC v2 selinux_enclave_load() (20190606021145.12604-*), RFC v4 10/12 (20190619222401.14942-11-*)',
    designs: ['D4', 'D5'],
    run(d) {
      const w = bootWorld(d, SELINUX);
      const c = createEnclave(w);
      const src = anonSource(w);
      const m1 = mark(w);
      add(w, c.fd, { offset: 0x2000, src, perms: RX });
      const rx = w.k.trace.ofKind('avc', m1).flatMap((x) => x.requested.filter((p) => p !== 'ioctl'));
      const m2 = mark(w);
      add(w, c.fd, { offset: 0x3000, src, perms: RWX });
      const wx = w.k.trace.ofKind('avc', m2).flatMap((x) => x.requested.filter((p) => p !== 'ioctl'));
      return { rx, wx };
    },
    expect: {},
  },
  {
    id: 'SGX-AC-16',
    title: 'SGX2: EAUG after INIT, SIGBUS before; RESTRICT(TCS) EINVAL; MODIFY REG(R)->TCS EPERM; REMOVE non-TRIM EPERM; no SGX2 CPU ENODEV; after INIT outside ELRANGE EACCES',
    source: '§7.3 (16); encl.c sgx_encl_eaug_page(), ioctl.c SGX2 handlers, sgx_ioc_sgx2_ready(), sgx_encl_may_map()',
    run(d) {
      const w = bootWorld(d);
      // before INIT: a fault on a hole of a created enclave
      const c = createEnclave(w);
      d.adapter.map(w.p, c.fd, c.base, c.size, RW);
      const beforeInit = touch(w, c.base + 0x5000);
      const e = setupTestEncl(w);
      const hole = e.base + e.totalSize;
      d.adapter.map(w.p, e.fd, hole, PAGE, RW);
      const afterInit = touch(w, hole);
      const eaug = sgxPlatform(w.k).stats.eaug;
      const text = e.segments.find((s) => s.name === 'text')!;
      const yaml = selftestManifestYaml().replace('perms: RX, contents: { pattern', 'perms: R, contents: { pattern');
      const w3 = bootWorld(d);
      const e3 = setupTestEncl(w3, PAGE, manifestFromYaml(yaml));
      const w2 = bootWorld(d, { cpu: { sgx2: false } });
      const e2 = setupTestEncl(w2);
      return {
        beforeInit,
        afterInit,
        eaugs: eaug,
        restrictTcs: d.adapter.restrictPermissions(w.p, e.fd, { offset: e.tcsOffset, length: PAGE, value: SGX_SECINFO_R }).ret,
        modifyRtoTcs: d.adapter.modifyTypes(w3.p, e3.fd, { offset: text.offset, length: PAGE, value: SgxPageType.TCS }).ret,
        removeNonTrim: d.adapter.removePages(w.p, e.fd, { offset: e.dataOffset, length: PAGE }).ret,
        noSgx2Cpu: d.adapter.modifyTypes(w2.p, e2.fd, { offset: 0, length: PAGE, value: SgxPageType.TRIM }).ret,
        outsideElrange: mapped(d.adapter.map(w.p, e.fd, e.base - PAGE, PAGE, PROT_READ)),
      };
    },
    expect: { beforeInit: 'SIGBUS', afterInit: 'ok', eaugs: 1, restrictTcs: -EINVAL, modifyRtoTcs: -EPERM, removeNonTrim: -EPERM, noSgx2Cpu: -ENODEV, outsideElrange: -EACCES },
  },
];

// ------------------------------------------------------------------ SGX-LD: the canonical loader

const LD: SuiteCase[] = [
  {
    id: 'SGX-LD-01',
    title: 'the canonical loader loads examples/reference-enclave.yaml under builtin:default (permissions recorded)',
    source: 'issue #5 "Structure"; docs/designs.md per-design permission sets (asserted exactly in <design>.permissions.test.ts)',
    run(d) {
      const w = bootWorld(d, { selinux: { policy: 'builtin:default' }, context: PROCESS_CONTEXTS.loader });
      const { manifest, reader } = referenceManifest();
      const img = prepare(w, manifest, reader);
      const from = mark(w);
      const r = loadEnclave(d, w.p, img, d.canonicalLoader);
      const n = permissionsFromTrace(w.k, from, w.pid);
      const run = r.ok ? enclCall(w, r.tcs[0], [{ op: 'load', addr: big(r.base + 0x4000) }]) : null;
      return { ok: r.ok, error: r.error ?? null, denied: permissionLines(n.denied), permissions: permissionLines(n).length > 0, entered: run ? runInfo(run) : null };
    },
    expect: { ok: true, error: null, denied: [], permissions: true, entered: EEXIT_CLEAN },
  },
];

export const CASES: readonly SuiteCase[] = [...ST, ...DR, ...AC, ...LD];

/**
 * Run the shared suite for a design. `overrides` declare, per case id, another expectation or a
 * skip, with the reason; an override naming no case is an error.
 */
export function runSuite(o: { design: SgxDesign; overrides?: readonly Override[] }): void {
  const { design } = o;
  const overrides = o.overrides ?? [];
  for (const ov of overrides) {
    if (!CASES.some((c) => c.id === ov.case)) throw new Error(`${design.key}: override for unknown case ${ov.case}`);
    if (!ov.reason) throw new Error(`${design.key}: override of ${ov.case} needs a reason`);
  }
  describe(`${design.key} ${design.slug}: shared suite`, () => {
    for (const c of CASES) {
      const ov = overrides.find((x) => x.case === c.id);
      const name = `${c.id} ${c.title}`;
      if (ov && 'skip' in ov) {
        it.skip(`${name} [skipped on ${design.key}: ${ov.reason}]`, () => {});
        continue;
      }
      if (c.designs && !c.designs.includes(design.id)) {
        it.skip(`${name} [specific to ${c.designs.join('/')}]`, () => {});
        continue;
      }
      const label = ov ? `${name} [${design.key} differs: ${ov.reason}]` : name;
      it(label, () => {
        const obs = c.run(design);
        expect(obs).toMatchObject(ov ? ov.expect : c.expect);
      });
    }
  });
}
