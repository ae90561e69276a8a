// D0 `v20` on the shared suite. Every difference from the suite's (mainline 6.1) expectations is
// declared with its reason; the v20 rules themselves are tested one by one in d0.rules.test.ts.
// The reasons recur (designs-spec §1; v20 driver/{main.c,ioctl.c}, encl.c):
//   - get_unmapped_area: v20 maps only power-of-two lengths of at least 8 KiB, naturally aligned,
//     MAP_FIXED included: every 4 KiB mapping of the suite is -EINVAL (before do_mmap()'s noexec
//     and READ_IMPLIES_EXEC handling matter), and the selftest flow maps the whole ELRANGE RWX;
//   - no permission model: no vm_max_prot_bits, no mprotect hook, no source VMA check, faults
//     check no permissions;
//   - errnos: state errors are -EFAULT, a page added twice -EEXIST, an attribute not allowed
//     -EINVAL, EINIT error codes are positive return values, no SGX_ENCL_IOCTL bit, no vendor check;
//   - the EADD worker: ADD_PAGE queues the page and returns 0; EADD/EEXTEND (and the EPC
//     allocation) run when the ioctl returns to user mode, and their failure destroys the enclave
//     (every later ADD/INIT: -EFAULT);
//   - no SGX2 ioctls (-ENOIOCTLCMD: ENOTTY, the selftests SKIP).
import { EACCES, EEXIST, EFAULT, EINVAL, ENOTTY } from '../../../src/abi/errno.js';
import { D0, V20_NO_SGX2 } from '../../../src/drivers/sgx/v20/index.js';
import { runSuite, type Override } from './common.case.js';
import { PAGE } from './fixture.js';

const NO_SGX2 = 'v20 has no SGX2 ioctls: the mainline numbers are unknown commands (-ENOIOCTLCMD, ENOTTY), so the selftest SKIPs';
const SMALL = "v20's sgx_get_unmapped_area(): a length below 8 KiB (or not a power of two) is -EINVAL";
const STATE = 'v20 sgx_encl_create()/sgx_encl_add_page()/sgx_encl_init(): a state error is -EFAULT';
const WORKER = 'v20 queues EADD to the enclave\'s worker: ADD_PAGE returns 0 and the worker\'s failure destroys the enclave';
const skipped = (msg: string) => ({ skipped: msg });
const modt = 'Kernel does not support SGX_IOC_ENCLAVE_MODIFY_TYPES ioctl()';
const rest = 'Kernel does not support SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS ioctl()';
const aug = 'Kernel does not support adding pages to initialized enclave';

const overrides: Override[] = [
  // ---------------------------------------------------------------- selftests
  { case: 'SGX-ST-03', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-06', expect: skipped(rest), reason: NO_SGX2 },
  { case: 'SGX-ST-07', expect: skipped(rest), reason: NO_SGX2 },
  { case: 'SGX-ST-08', expect: { mmap: -EINVAL, skipped: aug }, reason: `${SMALL}; the write meets the whole-ELRANGE mapping's hole, which v20 cannot fill (SIGBUS: the vDSO reports the plain #PF)` },
  { case: 'SGX-ST-09', expect: { mmap: -EINVAL, skipped: aug }, reason: `${SMALL}; no EAUG in v20 (EACCEPT's #PF is reported)` },
  { case: 'SGX-ST-10', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-11', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-12', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-13', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-14', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-15', expect: { restrict: -ENOTTY, modify: -ENOTTY, remove: -ENOTTY }, reason: NO_SGX2 },
  // ---------------------------------------------------------------- driver rules
  { case: 'SGX-DR-02', expect: { add: 0, mmapRW: -EINVAL, mmapRX: -EINVAL }, reason: `${SMALL} (and with 8 KiB nothing would refuse RW: v20 has no vm_max_prot_bits, d0.rules.test.ts)` },
  { case: 'SGX-DR-03', expect: { rwx: 0, r: 0, rx: 0 }, reason: 'v20 has no vm_ops->mprotect: mprotect() takes the stock path only (the VMA may always become RWX)' },
  { case: 'SGX-DR-05', expect: { mmap: 'mapped' }, reason: 'v20 has no range check, and its get_unmapped_area() moves the MAP_FIXED 8 KiB mapping up to the next 8 KiB boundary (ELRANGE end): it lands outside the enclave' },
  { case: 'SGX-DR-08', expect: { add: { ret: -EFAULT, count: 0 } }, reason: STATE },
  {
    case: 'SGX-DR-09',
    expect: { unaligned: 0, beyond: 0 },
    reason: `v20 reads the source with copy_from_user() (any alignment) and checks no range: the page at SECS.SIZE is inside the shmem backing store, so it is queued; ${WORKER}`,
  },
  { case: 'SGX-DR-10', expect: { add: { ret: 0, count: PAGE } }, reason: 'v20 never looks at the source VMA (copy_from_user()): a noexec source is accepted' },
  { case: 'SGX-DR-11', skip: true, reason: "createPow2Check is a mainline driver option; v20's sgx_validate_secs() refuses a size that is not a power of two with -EINVAL before ECREATE (d0.rules.test.ts)" },
  { case: 'SGX-DR-12', expect: { first: 0, second: -EFAULT }, reason: 'v20 sgx_encl_create(): an enclave already created is -EFAULT' },
  {
    case: 'SGX-DR-13',
    expect: { measurement: 'SGX_IOC_ENCLAVE_INIT failed: 8', signature: 'SGX_IOC_ENCLAVE_INIT failed: 8' },
    reason: 'v20 returns the EINIT error code as a positive ioctl value (SGX_INVALID_SIGNATURE = 8: the hash is inside the signed SIGSTRUCT body, so both corruptions fail the signature check first)',
  },
  { case: 'SGX-DR-14', expect: { init: 'SGX_IOC_ENCLAVE_INIT failed: 1' }, reason: 'v20 has no SIGSTRUCT vendor check: EINIT itself refuses the SIGSTRUCT (SGX_INVALID_SIG_STRUCT = 1, a positive return)' },
  { case: 'SGX-DR-15', expect: { init: 'SGX_IOC_ENCLAVE_INIT failed: EINVAL' }, reason: 'v20 sgx_encl_init(): secs_attributes & ~allowed_attributes -> -EINVAL (5.11 made it -EACCES)' },
  { case: 'SGX-DR-16', expect: { modify: { ret: -ENOTTY, unsupported: V20_NO_SGX2 } }, reason: NO_SGX2 },
  { case: 'SGX-DR-17', expect: { toReg: -ENOTTY, toSecs: -ENOTTY }, reason: NO_SGX2 },
  {
    case: 'SGX-DR-18',
    expect: { read: -EINVAL, exec: -EINVAL, loader: 'mmap(ELRANGE, RWX): EPERM' },
    reason: `${SMALL} (before do_mmap()'s noexec test); the D0 rewrite of load.c drops the probes, so the loader fails at its RWX mapping of the ELRANGE after INIT (do_mmap(): /dev noexec -> -EPERM)`,
  },
  { case: 'SGX-DR-19', expect: { beforeCreate: 'mapped', afterInit: -EINVAL }, reason: `holes impose nothing in v20 either (64 KiB RWX before CREATE maps); ${SMALL} for the 4 KiB one` },
  // ---------------------------------------------------------------- acceptance scenarios
  { case: 'SGX-AC-02', expect: { mmap: -EINVAL }, reason: `${SMALL}; SELinux asked the same (map, then read write execute) first` },
  {
    case: 'SGX-AC-03',
    expect: { map: -EINVAL, rx: 0, rwx: 0, deniedByLsm: -EACCES, avcDenials: ['chr_file:read,execute'] },
    reason: `${SMALL}; the mprotect()s act on the RWX mapping of the whole ELRANGE: RWX is allowed (no vm_ops->mprotect), and without device execute SELinux refuses RX as on mainline`,
  },
  {
    case: 'SGX-AC-05',
    expect: { noexec: 0, hole: -EFAULT, otherEnclave: 0, remap: -EINVAL, otherEnclaveNoexecDev: 0 },
    reason: `v20 copies the source with copy_from_user(): a noexec file works, a hole faults (-EFAULT), another enclave's mapping reads as the abort page (no get_user_pages() VM_IO|VM_PFNMAP refusal); ${SMALL} for the 4 KiB remap`,
  },
  { case: 'SGX-AC-06', expect: { exec: -EINVAL, read: -EINVAL }, reason: `${SMALL}, before do_mmap()'s noexec test (d0.rules.test.ts: with 8 KiB, PROT_EXEC is EPERM on a noexec /dev)` },
  {
    case: 'SGX-AC-07',
    expect: { wOnly: -EINVAL, tcsR: -EINVAL, va: -EINVAL, secs: -EINVAL, trim: 0, bit3: -EINVAL, bit16: -EINVAL, reservedByte: -EINVAL, rwx: -EFAULT },
    reason: `v20 sgx_validate_secinfo() accepts PT_TRIM (and rejects permissions on a TCS only through sgx_validate_tcs() of the page): the TRIM page is queued and its EADD #GP destroys the enclave (${WORKER}), so the RWX add is -EFAULT`,
  },
  {
    case: 'SGX-AC-08',
    expect: {
      offsetUnaligned: 0,
      srcUnaligned: -EEXIST,
      lengthZero: 0,
      lengthUnaligned: 0,
      beyond: 0,
      overflow: { ret: -EFAULT, count: 0 },
      first: { ret: 0, count: 2 * PAGE },
      twice: { ret: -EFAULT, count: 0 },
      halfOverlap: { ret: -EFAULT, count: 0 },
    },
    reason: `v20 names pages by address and checks no alignment or range: an unaligned address adds its page, the unaligned source is copied but its page (offset 0) exists (-EEXIST), a zero or partial-page length has no ADD_PAGE encoding (nothing is issued), the page at SECS.SIZE is inside the backing store and queued; ${WORKER}, so every later add is -EFAULT`,
  },
  {
    case: 'SGX-AC-09',
    expect: { addBefore: -EFAULT, initBefore: -EFAULT, provBefore: 0, createTwice: -EFAULT, addAfter: -EFAULT, initTwice: -EFAULT, busy: 0 },
    reason: `${STATE}; v20 has no SGX_ENCL_IOCTL bit (encl->lock serialises the ioctls: no -EBUSY)`,
  },
  {
    case: 'SGX-AC-10',
    expect: { before: { ret: 0, count: 4 * PAGE }, after2: { ret: 0, count: 4 * PAGE } },
    reason: 'v20 ADD_PAGE adds one page and checks no signal: the signal is delivered when the first call returns, and the next calls proceed',
  },
  { case: 'SGX-AC-11', expect: { without: 'SGX_IOC_ENCLAVE_INIT failed: EINVAL', wrongFd: -EINVAL, provision: 0, init: 0 }, reason: 'v20 sgx_encl_init(): an attribute not allowed is -EINVAL' },
  {
    case: 'SGX-AC-12',
    expect: { noReclaimable: 0 },
    reason: `v20 allocates the page's EPC page in the worker: ${WORKER} (d0.rules.test.ts); the rest of the case (EWB, ELDU) holds`,
  },
  { case: 'SGX-AC-13', expect: { none: -EINVAL, read: -EINVAL }, reason: `${SMALL} (v20 has no READ_IMPLIES_EXEC test: with 8 KiB both map, d0.rules.test.ts)` },
  {
    case: 'SGX-AC-16',
    expect: { beforeInit: 'SIGBUS', afterInit: 'SIGBUS', eaugs: 0, restrictTcs: -ENOTTY, modifyRtoTcs: -ENOTTY, removeNonTrim: -ENOTTY, noSgx2Cpu: -ENOTTY, outsideElrange: -EINVAL },
    reason: `${NO_SGX2}; no EAUG: a fault on the hole of the RWX ELRANGE mapping is SIGBUS; ${SMALL}`,
  },
];

runSuite({ design: D0, overrides });
