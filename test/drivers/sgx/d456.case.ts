// Shared-suite overrides common to the v20-based 2019 RFC designs D4 (allow-prot), D5 (sgx-perms)
// and D6 (ema): what the v20 driver they patch answers differently from mainline (designs-spec §1),
// with each design file adding or replacing its own. Reasons:
//   - v20 state errors are -EFAULT; a duplicate page is -EEXIST; CREATE validates the SECS in
//     software (-EINVAL, no createPow2Check option); INIT returns SGX error codes as positive
//     values, refuses an attribute that is not allowed with -EINVAL and has no vendor check; no
//     SGX_ENCL_IOCTL bit (encl->lock serialises ioctls, no -EBUSY); ADD checks no range or
//     alignment (a page outside ELRANGE reaches the EADD worker, which destroys the enclave); EADD
//     and EEXTEND run in the worker (an EPC allocation failure destroys the enclave after the ioctl
//     returned 0); PT_TRIM is a valid SECINFO type (its EADD then destroys the enclave);
//   - no SGX2 ioctls: the mainline numbers are unknown commands (ENOTTY), so the selftests SKIP;
//   - get_unmapped_area: a length below 8 KiB or not a power of two is -EINVAL without MAP_FIXED,
//     before do_mmap()'s noexec test.
import { EEXIST, EFAULT, EINVAL, ENOTTY, isErr } from '../../../src/abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../../src/abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../src/abi/mman.js';
import { fileContextFor } from '../../../src/security/selinux/builtin.js';
import { enclIdOfFd } from '../../../src/drivers/sgx/common/knobs.js';
import { reserveElrange } from '../../../src/drivers/sgx/loaders/flows.js';
import { RFC_NO_SGX2 } from '../../../src/drivers/sgx/allow-prot/loader.js';
import type { SgxDesign } from '../../../src/drivers/sgx/design.js';
import type { Override } from './common.case.js';
import { EEXIT_CLEAN, MAGIC, secsBytes, type World } from './fixture.js';

export const PAGE = 4096;
export const skipped = (msg: string) => ({ skipped: msg });
export const MODT = 'Kernel does not support SGX_IOC_ENCLAVE_MODIFY_TYPES ioctl()';
export const REST = 'Kernel does not support SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS ioctl()';
export const AUG = 'Kernel does not support adding pages to initialized enclave';
export const NO_SGX2 = 'the RFC uAPIs have no SGX2 ioctls: the mainline numbers are unknown commands (-ENOIOCTLCMD, ENOTTY), so the selftest SKIPs';
export const SMALL = "v20's get_unmapped_area refuses a length below 8 KiB without MAP_FIXED: -EINVAL, before do_mmap()'s noexec test";
export const STATE = 'v20 sgx_encl_add_page()/sgx_encl_create()/sgx_encl_init(): a state error is -EFAULT';
export const NO_SGX2_RESULT = { ret: -ENOTTY, unsupported: RFC_NO_SGX2 };

export interface V20OverrideOptions {
  /** The ADD reports no count (D4 v1's ADD_PAGES); else the adapter counts the ADD_PAGEs that succeeded. */
  readonly countless?: boolean;
  /** One ADD_PAGE per page (no signal_pending() test in the ioctl). */
  readonly perPage: boolean;
}

/** The v20 answers every D4/D5/D6 variant shares. */
export function v20Overrides(d: SgxDesign, o: V20OverrideOptions): Override[] {
  const c0 = o.countless ? {} : { count: 0 };
  const list: Override[] = [
    { case: 'SGX-ST-03', expect: skipped(MODT), reason: NO_SGX2 },
    { case: 'SGX-ST-06', expect: skipped(REST), reason: NO_SGX2 },
    { case: 'SGX-ST-07', expect: skipped(REST), reason: NO_SGX2 },
    { case: 'SGX-ST-10', expect: skipped(MODT), reason: NO_SGX2 },
    { case: 'SGX-ST-11', expect: skipped(MODT), reason: NO_SGX2 },
    { case: 'SGX-ST-12', expect: skipped(MODT), reason: NO_SGX2 },
    { case: 'SGX-ST-13', expect: skipped(MODT), reason: NO_SGX2 },
    { case: 'SGX-ST-14', expect: skipped(MODT), reason: NO_SGX2 },
    { case: 'SGX-ST-15', expect: { restrict: -ENOTTY, modify: -ENOTTY, remove: -ENOTTY }, reason: NO_SGX2 },
    { case: 'SGX-DR-08', expect: { add: { ret: -EFAULT, ...c0 } }, reason: STATE },
    {
      case: 'SGX-DR-09',
      expect: { unaligned: 0, beyond: 0 },
      reason: 'v20 checks neither the source alignment (copy_from_user of 4096 bytes) nor the page address: the page outside ELRANGE is queued, and the EADD worker destroys the enclave',
    },
    { case: 'SGX-DR-11', skip: true, reason: "createPow2Check is a mainline driver option; v20's sgx_validate_secs() refuses a size that is not a power of two with -EINVAL before ECREATE (d456.rules.test.ts)" },
    { case: 'SGX-DR-12', expect: { first: 0, second: -EFAULT }, reason: 'v20 sgx_encl_create(): an enclave already created is -EFAULT' },
    {
      case: 'SGX-DR-13',
      expect: { measurement: 'SGX_IOC_ENCLAVE_INIT failed: 8', signature: 'SGX_IOC_ENCLAVE_INIT failed: 8' },
      reason: 'v20 returns the EINIT error code as a positive ioctl value (SGX_INVALID_SIGNATURE = 8: the hash is part of the signed SIGSTRUCT, so both corruptions fail the signature first)',
    },
    { case: 'SGX-DR-14', expect: { init: 'SGX_IOC_ENCLAVE_INIT failed: 1' }, reason: 'v20 has no SIGSTRUCT vendor check: EINIT refuses the SIGSTRUCT itself (SGX_INVALID_SIG_STRUCT = 1, a positive return)' },
    { case: 'SGX-DR-15', expect: { init: 'SGX_IOC_ENCLAVE_INIT failed: EINVAL' }, reason: 'v20 sgx_encl_init(): secs_attributes & ~allowed_attributes -> -EINVAL (5.11 made it -EACCES)' },
    { case: 'SGX-DR-16', expect: { modify: NO_SGX2_RESULT }, reason: NO_SGX2 },
    { case: 'SGX-DR-17', expect: { toReg: -ENOTTY, toSecs: -ENOTTY }, reason: NO_SGX2 },
    { case: 'SGX-AC-06', expect: { exec: -EINVAL, read: -EINVAL }, reason: SMALL },
    {
      case: 'SGX-AC-07',
      expect: { wOnly: -EINVAL, tcsR: -EINVAL, va: -EINVAL, secs: -EINVAL, trim: 0, bit3: -EINVAL, bit16: -EINVAL, reservedByte: -EINVAL, rwx: -EFAULT },
      reason: "v20 sgx_validate_secinfo() accepts PT_TRIM: the TRIM page is queued and the worker's EADD #GP destroys the enclave, so the later RWX add is -EFAULT (TCS+R is refused by sgx_validate_tcs() of the zero-limit page)",
    },
    {
      case: 'SGX-AC-08',
      expect: {
        offsetUnaligned: 0,
        srcUnaligned: -EEXIST,
        lengthZero: 0,
        lengthUnaligned: 0,
        beyond: 0,
        overflow: { ret: -EFAULT, ...c0 },
        first: { ret: 0, count: 2 * PAGE },
        twice: { ret: -EFAULT, ...c0 },
        halfOverlap: { ret: -EFAULT, ...c0 },
      },
      reason: `v20 names pages by address and checks no range or alignment: an unaligned address adds its page, the unaligned source is copied (and the page at offset 0 exists: -EEXIST), ${o.countless ? 'nr_pages = 0 adds nothing' : 'a zero or partial-page length has no ADD_PAGE encoding (the adapter issues nothing)'}, the page at SECS.SIZE is queued and its EADD #GP destroys the enclave, so every later add is -EFAULT`,
    },
    {
      case: 'SGX-AC-09',
      expect: { addBefore: -EFAULT, initBefore: -EFAULT, provBefore: 0, createTwice: -EFAULT, addAfter: -EFAULT, initTwice: -EFAULT, busy: 0 },
      reason: `${STATE}; v20 has no SGX_ENCL_IOCTL bit (encl->lock serialises ioctls: no -EBUSY)`,
    },
    { case: 'SGX-AC-11', expect: { without: 'SGX_IOC_ENCLAVE_INIT failed: EINVAL', wrongFd: -EINVAL, provision: 0, init: 0 }, reason: 'v20 sgx_encl_init(): an attribute not allowed is -EINVAL' },
    {
      case: 'SGX-AC-12',
      expect: { noReclaimable: 0, loaded: true, evicted: true, eldu: true, put: EEXIT_CLEAN, value: MAGIC },
      reason: 'v20 allocates the EPC page in the EADD worker: the ioctl returns 0 and the failed allocation destroys the enclave (d456.rules.test.ts)',
    },
  ];
  if (o.perPage) {
    list.push({
      case: 'SGX-AC-10',
      expect: { before: { ret: 0, count: 4 * PAGE }, after2: { ret: 0, count: 4 * PAGE } },
      reason: 'one ADD_PAGE per page: the ioctl has no signal_pending() test (the signal is delivered when the first one returns)',
    });
  }
  void d;
  return list;
}

/** `base` with the overrides of `extra` added (an id in both: `extra` wins). */
export function withOverrides(base: readonly Override[], extra: readonly Override[]): Override[] {
  const ids = new Set(extra.map((o) => o.case));
  return [...base.filter((o) => !ids.has(o.case)), ...extra];
}

// ------------------------------------------------------------------ helpers for the rules tests

/** An enclave built the suite's way on a v20-based design: open, aligned anonymous PROT_NONE reservation (or the design's reserve()), CREATE. */
export function rfcEnclave(w: World, size = 0x10000): { fd: number; base: number; size: number; create: number; id: number } {
  const a = w.design.adapter;
  const fd = a.openEnclave(w.p);
  if (isErr(fd)) throw new Error(`open: ${fd}`);
  const base = a.reserve ? a.reserve(w.p, fd, size) : reserveElrange(w.p, size);
  if (isErr(base)) throw new Error(`reserve: ${base}`);
  const create = a.create(w.p, fd, secsBytes({ size: BigInt(size), base: BigInt(base) })).ret;
  return { fd, base, size, create, id: enclIdOfFd(w.k, w.pid, fd)! };
}

/** `n` pages of anonymous memory with `prot`, filled with `fill` (written before any mprotect). */
export function anonPages(w: World, n = 1, prot = PROT_READ | PROT_WRITE, fill = 0xcc): number {
  const a = w.p.mmap(0, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  w.p.store(a, new Uint8Array(n * PAGE).fill(fill));
  if (prot !== (PROT_READ | PROT_WRITE)) w.p.mprotect(a, n * PAGE, prot);
  return a;
}

/** A file at `path` (labelled `type` when given, else by the built-in file contexts) mapped with `prot`/`flags`; 'cow' writes a byte first (anon_vma). */
export function fileSource(w: World, path: string, o: { prot: number; shared?: boolean; cow?: boolean; type?: string; pages?: number }): number {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const parts = dir.split('/').filter(Boolean);
  let cur = '';
  for (const p of parts) {
    cur += '/' + p;
    if (w.k.fs.lookup(cur) === null) w.k.fs.mkdir(cur, { label: fileContextFor(cur, '-d') });
  }
  const n = o.pages ?? 1;
  if (w.k.fs.lookup(path) === null) w.k.fs.createFile(path, { data: new Uint8Array(n * PAGE).fill(0x90), label: o.type ? `system_u:object_r:${o.type}:s0` : fileContextFor(path, '--') });
  const fd = w.p.open(path, o.shared ? O_RDWR : O_RDONLY);
  if (isErr(fd)) throw new Error(`open ${path}: ${fd}`);
  const prot = o.cow ? o.prot | PROT_WRITE : o.prot;
  const a = w.p.mmap(0, n * PAGE, prot, o.shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
  if (isErr(a)) throw new Error(`mmap ${path}: ${a}`);
  if (o.cow) {
    w.p.store(a, new Uint8Array([0x90]));
    w.p.mprotect(a, n * PAGE, o.prot);
  }
  w.p.close(fd);
  return a;
}

/** What the AVC was asked since trace mark `from` (decisions left out: for permissive runs), as `class:perms`. */
export function avcAsked(w: World, from: number, filter: (perm: string) => boolean = (p) => !['ioctl', 'map', 'read', 'write', 'open', 'search'].includes(p)): string[] {
  return w.k.trace
    .ofKind('avc', from)
    .filter((e) => e.requested.some(filter))
    .map((e) => `${e.tclass}:${e.requested.join(',')}`);
}

/** The AVC queries since trace mark `from`, as `decision class:perms` (e.g. 'denied process:execmem'). */
export function avcSince(w: World, from: number, filter: (perm: string) => boolean = (p) => !['ioctl', 'map', 'read', 'write', 'open', 'search'].includes(p)): string[] {
  return w.k.trace
    .ofKind('avc', from)
    .filter((e) => e.requested.some(filter))
    .map((e) => `${e.decision} ${e.tclass}:${e.requested.join(',')}`);
}
