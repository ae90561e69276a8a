// D4 `allow-prot` (RFC v1 and v2) on the shared suite. Every difference from the suite's (mainline
// 6.1) expectations is declared with its reason; the D4 rules themselves are tested one by one in
// d4.rules.test.ts. The reasons recur:
//   - v20 base (designs-spec §1): CREATE/ADD/INIT state errors are -EFAULT, a duplicate page is
//     -EEXIST, CREATE validates the SECS in software (-EINVAL), INIT returns SGX error codes as
//     positive values and refuses an attribute that is not allowed with -EINVAL, no SGX_ENCL_IOCTL
//     bit (no -EBUSY), no SIGSTRUCT vendor check, no range/alignment checks on ADD (an address
//     outside ELRANGE reaches the EADD worker, which destroys the enclave), EADD/EEXTEND run in the
//     worker (an EPC allocation failure destroys the enclave; the ioctl returned 0), TRIM is a
//     valid SECINFO type (the worker's EADD then destroys the enclave);
//   - get_unmapped_area: v20's with RFC v1 2/9: without MAP_FIXED a length below 8 KiB or not a
//     power of two is -EINVAL (before the noexec test of do_mmap());
//   - holes: sgx_map_allowed() refuses any PROT != NONE mapping of an address with no page (RFC v1
//     5/9), where mainline imposes nothing;
//   - builtin:default: the D4 loader maps the text source PROT_READ|PROT_EXEC, so it needs execute
//     on the image, which the built-in loader domain lacks (designs-spec §5.3).
import { EACCES, EEXIST, EFAULT, EINVAL, ENOTTY, ERESTARTSYS } from '../../../src/abi/errno.js';
import { D4_V1, D4_V2 } from '../../../src/drivers/sgx/allow-prot/index.js';
import { RFC_NO_SGX2 } from '../../../src/drivers/sgx/allow-prot/loader.js';
import type { SgxDesign } from '../../../src/drivers/sgx/design.js';
import { runSuite, type Override } from './common.case.js';
import { EEXIT_CLEAN, MAGIC } from './fixture.js';

const PAGE = 4096;
const skipped = (msg: string) => ({ skipped: msg });
const modt = 'Kernel does not support SGX_IOC_ENCLAVE_MODIFY_TYPES ioctl()';
const rest = 'Kernel does not support SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS ioctl()';
const aug = 'Kernel does not support adding pages to initialized enclave';
const NO_SGX2 = 'the RFC uAPIs have no SGX2 ioctls: the mainline numbers are unknown commands (-ENOIOCTLCMD, ENOTTY), so the selftest SKIPs';
const HOLES = 'sgx_map_allowed() (RFC v1 5/9, v2 3/5): a PROT != NONE mapping of an address without an enclave page is -EACCES';
const SMALL = "v20's get_unmapped_area (with RFC v1 2/9) refuses a length below 8 KiB without MAP_FIXED: -EINVAL, before do_mmap()'s noexec test";
const STATE = 'v20 sgx_encl_add_page()/sgx_encl_create()/sgx_encl_init(): a state error is -EFAULT';
const POLICY =
  "builtin:default gives sgx_loader_t no execute on user_home_t, and the D4 loader maps the text source PROT_READ|PROT_EXEC (designs-spec §5.3: then security_enclave_load() checks nothing): that mmap is denied";
const POLICY_DENIED = ['sgx_loader_t user_home_t:file { execute read }'];
const noSgx2 = { ret: -ENOTTY, unsupported: RFC_NO_SGX2 };

function overrides(d: SgxDesign): Override[] {
  const v1 = d.variant === 'v1';
  // v1's ADD_PAGES reports no count; v2's adapter issues one ADD_PAGE per page and counts them.
  const c0 = v1 ? {} : { count: 0 };
  return [
    // ---------------------------------------------------------------- selftests
    { case: 'SGX-ST-03', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-06', expect: skipped(rest), reason: NO_SGX2 },
    { case: 'SGX-ST-07', expect: skipped(rest), reason: NO_SGX2 },
    { case: 'SGX-ST-08', expect: { mmap: -EACCES, skipped: aug }, reason: `${HOLES}; the write then meets the reservation (a plain #PF), as without EAUG` },
    { case: 'SGX-ST-09', expect: { mmap: -EACCES, skipped: aug }, reason: `${HOLES}; no EAUG in the RFC (EACCEPT's #PF is reported)` },
    { case: 'SGX-ST-10', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-11', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-12', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-13', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-14', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-15', expect: { restrict: -ENOTTY, modify: -ENOTTY, remove: -ENOTTY }, reason: NO_SGX2 },
    // ---------------------------------------------------------------- driver rules
    {
      case: 'SGX-DR-04',
      expect: { ok: false, error: `untranslatable: ${(d.loaders.gramine as { why: string }).why}` },
      reason: 'designs-spec §12: Gramine maps ELRANGE RWX before any page exists (holes are unmappable in D4)',
    },
    { case: 'SGX-DR-08', expect: { add: { ret: -EFAULT, ...c0 } }, reason: STATE },
    {
      case: 'SGX-DR-09',
      expect: { unaligned: 0, beyond: 0 },
      reason: 'v20 checks neither the source alignment (copy_from_user of 4096 bytes) nor the page address: the page outside ELRANGE is queued, and the EADD worker destroys the enclave',
    },
    { case: 'SGX-DR-10', expect: { add: { ret: -EACCES, ...c0 } }, reason: v1 ? 'RFC v1 7/9 clears ALLOW_EXEC for a noexec source, and the SECINFO asks for X: -EACCES (no count in v1)' : 'RFC v2 3/5: PROT_EXEC from a source without VM_MAYEXEC is -EACCES' },
    { case: 'SGX-DR-11', skip: true, reason: "createPow2Check is a mainline driver option; v20's sgx_validate_secs() refuses a size that is not a power of two with -EINVAL before ECREATE (d4.rules.test.ts)" },
    { case: 'SGX-DR-12', expect: { first: 0, second: -EFAULT }, reason: 'v20 sgx_encl_create(): an enclave already created is -EFAULT' },
    {
      case: 'SGX-DR-13',
      expect: { measurement: 'SGX_IOC_ENCLAVE_INIT failed: 8', signature: 'SGX_IOC_ENCLAVE_INIT failed: 8' },
      reason: 'v20 returns the EINIT error code as a positive ioctl value (SGX_INVALID_SIGNATURE = 8: the hash is part of the signed SIGSTRUCT, so both corruptions fail the signature first)',
    },
    { case: 'SGX-DR-14', expect: { init: 'SGX_IOC_ENCLAVE_INIT failed: 1' }, reason: 'v20 has no SIGSTRUCT vendor check: EINIT itself refuses the SIGSTRUCT (SGX_INVALID_SIG_STRUCT = 1, returned as a positive value)' },
    { case: 'SGX-DR-15', expect: { init: 'SGX_IOC_ENCLAVE_INIT failed: EINVAL' }, reason: 'v20 sgx_encl_init(): secs_attributes & ~allowed_attributes -> -EINVAL (5.11 made it -EACCES)' },
    { case: 'SGX-DR-16', expect: { modify: noSgx2 }, reason: NO_SGX2 },
    { case: 'SGX-DR-17', expect: { toReg: -ENOTTY, toSecs: -ENOTTY }, reason: NO_SGX2 },
    {
      case: 'SGX-DR-18',
      expect: { read: -EINVAL, exec: -EINVAL, loader: 'mmap(text): EPERM' },
      reason: `${SMALL}; the D4 rewrite of load.c drops the probes, so the loader fails at its PROT_EXEC mapping of the text after INIT (do_mmap(): /dev noexec -> -EPERM)`,
    },
    { case: 'SGX-DR-19', expect: { beforeCreate: -EACCES, afterInit: -EACCES }, reason: HOLES },
    // ---------------------------------------------------------------- acceptance scenarios
    {
      case: 'SGX-AC-01',
      expect: { ok: false, device: 'sgx_loader_t sgx_enclave_device_t:chr_file { open read write }', image: 'sgx_loader_t user_home_t:file { execute map open read }', denied: POLICY_DENIED, execmem: false },
      reason: `${POLICY} (the load stops there, before any ioctl)`,
    },
    { case: 'SGX-AC-02', skip: true, reason: `setup_test_encl() under builtin:default fails on D4 (${POLICY}); the driver's refusal of RWX over an R|X page before the LSM is tested in d4.rules.test.ts` },
    { case: 'SGX-AC-03', skip: true, reason: `setup_test_encl() under builtin:default fails on D4 (${POLICY}); the mprotect order (may_mprotect before security_file_mprotect) is tested in d4.rules.test.ts` },
    { case: 'SGX-AC-04', expect: { mmap: -EACCES, add: 0, touch: 'SIGSEGV' }, reason: `${HOLES}; the range stays the PROT_NONE reservation (SIGSEGV)` },
    {
      case: 'SGX-AC-05',
      expect: { noexec: 0, hole: -EFAULT, otherEnclave: 0, remap: 'mapped', otherEnclaveNoexecDev: 0 },
      reason:
        'the noexec tests of RFC v1 7/9 and v2 3/5 apply to executable pages only (the case adds RW pages); v20 copies the source with copy_from_user(), which reads another enclave\'s mapping (the abort page) where get_user_pages() refused VM_IO|VM_PFNMAP',
    },
    { case: 'SGX-AC-06', expect: { exec: -EINVAL, read: -EINVAL }, reason: SMALL },
    {
      case: 'SGX-AC-07',
      expect: { wOnly: -EINVAL, tcsR: -EINVAL, va: -EINVAL, secs: -EINVAL, trim: 0, bit3: -EINVAL, bit16: -EINVAL, reservedByte: -EINVAL, rwx: -EFAULT },
      reason: 'v20 sgx_validate_secinfo() accepts PT_TRIM (and permissions on a TCS is refused only by TCS validation): the TRIM page is queued and the worker\'s EADD #GP destroys the enclave, so the later RWX add is -EFAULT',
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
      reason: `v20 names pages by address and checks no range or alignment: an unaligned address adds its page, the unaligned source is copied (and its page at offset 0 already exists: -EEXIST), ${v1 ? 'nr_pages = 0 adds nothing' : 'a zero or partial-page length has no ADD_PAGE encoding (the adapter issues nothing)'}, the page at SECS.SIZE is queued and its EADD #GP destroys the enclave, so every later add is -EFAULT`,
    },
    {
      case: 'SGX-AC-09',
      expect: { addBefore: -EFAULT, initBefore: -EFAULT, provBefore: 0, createTwice: -EFAULT, addAfter: -EFAULT, initTwice: -EFAULT, busy: 0 },
      reason: `${STATE}; v20 has no SGX_ENCL_IOCTL bit (encl->lock serialises ioctls: no -EBUSY)`,
    },
    {
      case: 'SGX-AC-10',
      expect: v1 ? { before: { ret: -ERESTARTSYS, count: undefined }, after2: { ret: -ERESTARTSYS, count: undefined } } : { before: { ret: 0, count: 4 * PAGE }, after2: { ret: 0, count: 4 * PAGE } },
      reason: v1
        ? 'RFC v1 3/9: signal_pending() in the page loop returns -ERESTARTSYS at any page and reports no count'
        : 'RFC v2 dropped the multi-page ioctl: one ADD_PAGE has no signal_pending() check (the signal is delivered when the first one returns)',
    },
    { case: 'SGX-AC-11', expect: { without: 'SGX_IOC_ENCLAVE_INIT failed: EINVAL', wrongFd: -EINVAL, provision: 0, init: 0 }, reason: 'v20 sgx_encl_init(): an attribute not allowed is -EINVAL' },
    {
      case: 'SGX-AC-12',
      expect: { noReclaimable: 0, loaded: true, evicted: true, eldu: true, put: EEXIT_CLEAN, value: MAGIC },
      reason: 'v20 allocates the EPC page in the EADD worker: the ioctl returns 0 and the failed allocation destroys the enclave (d4.rules.test.ts)',
    },
    {
      case: 'SGX-AC-13',
      expect: { none: 'mapped', read: -EACCES },
      reason: 'v20 has no READ_IMPLIES_EXEC test (sgx_encl_may_map() came in v27); PROT_NONE is always allowed, and PROT_READ becomes PROT_READ|PROT_EXEC, which the RW page does not allow',
    },
    {
      case: 'SGX-AC-15',
      expect: { rx: ['execmem'], wx: ['execmem'] },
      reason: v1
        ? 'RFC v1 9/9: the anonymous source is not VM_EXEC, so X needs EXECMEM; builtin:default denies it and the SECINFO asks for X, so the ADD fails there (the W+X EXECMEM check is not reached)'
        : 'RFC v2 5/5: anonymous memory is EXECMEM for X and for W+X; builtin:default denies it (the ADD fails)',
    },
    {
      case: 'SGX-AC-16',
      expect: { beforeInit: 'SIGSEGV', afterInit: 'SIGSEGV', eaugs: 0, restrictTcs: -ENOTTY, modifyRtoTcs: -ENOTTY, removeNonTrim: -ENOTTY, noSgx2Cpu: -ENOTTY, outsideElrange: -EACCES },
      reason: `${NO_SGX2}; ${HOLES}, so the holes stay the PROT_NONE reservation (SIGSEGV) and the mapping below ELRANGE is refused as a hole`,
    },
    // ---------------------------------------------------------------- canonical loader
    {
      case: 'SGX-LD-01',
      expect: { ok: false, error: 'enclave executable mmap(text): EACCES', denied: POLICY_DENIED, permissions: true, entered: null },
      reason: `${POLICY}; with execute on the image the loader loads and enters the reference enclave (d4.rules.test.ts; exact set: d4.permissions.test.ts)`,
    },
  ];
}

runSuite({ design: D4_V1, overrides: overrides(D4_V1) });
runSuite({ design: D4_V2, overrides: overrides(D4_V2) });
