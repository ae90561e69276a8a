// D2 `sigstruct-file` on the shared suite. Every difference from the suite's (mainline 6.1)
// expectations is declared with its reason; D2's own rules are tested in d2.rules.test.ts. The
// reasons recur (designs-spec §3; Andy Lutomirski, 2019-05-15):
//   - no vm_max_prot_bits: the merged permission model (SECINFO caps at mmap, mprotect and fault,
//     the READ_IMPLIES_EXEC and post-INIT range checks) came after the debate; in D2 the LSM decides
//     mappings from the safe-to-execute bit, and without an LSM nothing is refused;
//   - no source VMA check at ADD (a noexec source is simply not safe to execute);
//   - no `count` in ADD: progress after a signal is the positive return value;
//   - INIT takes a SIGSTRUCT fd (the adapter uses a memfd) and security_enclave_init() checks
//     `execute` on it, which builtin:default gives sgx_loader_t on no such file;
//   - no SGX2 ioctls (ENOTTY: the selftests SKIP).
import { EBUSY, EFAULT, EINVAL, ENOTTY, ERESTARTSYS } from '../../../src/abi/errno.js';
import { D2, LSM2019_NO_SGX2 } from '../../../src/drivers/sgx/sigstruct-file/index.js';
import { runSuite, type Override } from './common.case.js';
import { PAGE } from './fixture.js';

const NO_SGX2 = "Andy's 2019 proposals have no SGX2 ioctls: unknown commands (-ENOIOCTLCMD, ENOTTY), so the selftest SKIPs";
const NO_CAPS = 'D2 has no vm_max_prot_bits (SECINFO caps came in v21, after the debate): what a mapping may do is the LSM\'s decision from the safe-to-execute bit, and the suite runs without an LSM';
const INIT_EXEC =
  "security_enclave_init() checks execute on the SIGSTRUCT file (the adapter's memfd, tmpfs_t under builtin:default), which builtin:default gives sgx_loader_t on no file type: INIT is EACCES";
const skipped = (msg: string) => ({ skipped: msg });
const modt = 'Kernel does not support SGX_IOC_ENCLAVE_MODIFY_TYPES ioctl()';
const rest = 'Kernel does not support SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS ioctl()';
const aug = 'Kernel does not support adding pages to initialized enclave';

const overrides: Override[] = [
  // ---------------------------------------------------------------- selftests
  { case: 'SGX-ST-03', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-06', expect: skipped(rest), reason: NO_SGX2 },
  { case: 'SGX-ST-07', expect: skipped(rest), reason: NO_SGX2 },
  { case: 'SGX-ST-08', expect: { mmap: 'mapped', skipped: aug }, reason: `${NO_SGX2}; no EAUG: the fault on the hole is SIGBUS (the vDSO reports the plain #PF)` },
  { case: 'SGX-ST-09', expect: { mmap: 'mapped', skipped: aug }, reason: `${NO_SGX2}; no EAUG (EACCEPT's #PF is reported)` },
  { case: 'SGX-ST-10', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-11', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-12', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-13', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-14', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-15', expect: { restrict: -ENOTTY, modify: -ENOTTY, remove: -ENOTTY }, reason: NO_SGX2 },
  // ---------------------------------------------------------------- driver rules
  { case: 'SGX-DR-02', expect: { add: 0, mmapRW: 'mapped', mmapRX: 'mapped' }, reason: NO_CAPS },
  { case: 'SGX-DR-03', expect: { rwx: 0, r: 0, rx: 0 }, reason: `${NO_CAPS} (with SELinux, RWX needs EXECMOD on the image: d2.rules.test.ts)` },
  { case: 'SGX-DR-05', expect: { mmap: 'mapped' }, reason: `${NO_CAPS}; the post-INIT range check belongs to that model (6.0)` },
  { case: 'SGX-DR-10', expect: { add: { ret: 0, count: PAGE } }, reason: 'no source VMA check in D2 (Andy 2019-05-15): a noexec source is not VM_EXEC, so its pages are not safe to execute; driver option sourceMayExec refuses it (d2.rules.test.ts)' },
  { case: 'SGX-DR-11', skip: true, reason: "createPow2Check is a mainline driver option; D2's CREATE is mainline 6.1's (delegated), without the 2025 pre-check" },
  { case: 'SGX-DR-16', expect: { modify: { ret: -ENOTTY, unsupported: LSM2019_NO_SGX2 } }, reason: NO_SGX2 },
  { case: 'SGX-DR-17', expect: { toReg: -ENOTTY, toSecs: -ENOTTY }, reason: NO_SGX2 },
  // ---------------------------------------------------------------- acceptance scenarios
  {
    case: 'SGX-AC-01',
    expect: { ok: false, device: 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }', image: 'sgx_loader_t lib_t:file { map open read }', denied: ['sgx_loader_t tmpfs_t:file { execute }'], execmem: false },
    reason: `${INIT_EXEC} (the load stops there, before its mappings)`,
  },
  { case: 'SGX-AC-02', skip: true, reason: `setup_test_encl() under builtin:default fails on D2 (${INIT_EXEC}); D2's answer to RWX over an R|X page (EXECMOD on the source) is tested in d2.rules.test.ts` },
  { case: 'SGX-AC-03', skip: true, reason: `setup_test_encl() under builtin:default fails on D2 (${INIT_EXEC}); D2's mprotect rule (may_mprotect before security_file_mprotect) is tested in d2.rules.test.ts` },
  { case: 'SGX-AC-04', expect: { mmap: 'mapped', add: 0, touch: 'ok' }, reason: `${NO_CAPS}; faults check no permissions either (outside enclave mode the access goes to the abort page)` },
  {
    case: 'SGX-AC-05',
    expect: { noexec: 0, hole: -EFAULT, otherEnclave: -EFAULT, remap: 'mapped', otherEnclaveNoexecDev: -EFAULT },
    reason: 'no VM_MAYEXEC check at ADD in D2 (the noexec page is recorded as not safe to execute); get_user_pages() still refuses the other enclave\'s VM_IO|VM_PFNMAP mapping (-EFAULT)',
  },
  {
    case: 'SGX-AC-08',
    expect: {
      offsetUnaligned: -EINVAL,
      srcUnaligned: -EINVAL,
      lengthZero: -EINVAL,
      lengthUnaligned: -EINVAL,
      beyond: -EINVAL,
      overflow: { ret: -EINVAL, count: undefined },
      first: { ret: 0, count: 2 * PAGE },
      twice: { ret: -EBUSY },
      halfOverlap: { ret: -EBUSY },
    },
    reason: "D2's ADD has no `count` field (designs-spec §3): after an error the bytes added are not reported",
  },
  {
    case: 'SGX-AC-10',
    expect: { before: { ret: -ERESTARTSYS, count: undefined }, after2: { ret: 2 * PAGE, count: 2 * PAGE } },
    reason: "D2's ADD has no `count` field: a signal after some pages returns the bytes added as a positive value (as the pre-count ADD_PAGES of the v2x series; Gramine decodes `ret > 0`)",
  },
  { case: 'SGX-AC-13', expect: { none: 'mapped', read: 'mapped' }, reason: `${NO_CAPS}: the READ_IMPLIES_EXEC refusal belongs to that model; without an LSM the PROT_READ|PROT_EXEC mapping of a page that is not safe is allowed` },
  {
    case: 'SGX-AC-16',
    expect: { beforeInit: 'SIGBUS', afterInit: 'SIGBUS', eaugs: 0, restrictTcs: -ENOTTY, modifyRtoTcs: -ENOTTY, removeNonTrim: -ENOTTY, noSgx2Cpu: -ENOTTY, outsideElrange: 'mapped' },
    reason: `${NO_SGX2}; no EAUG (SIGBUS on the hole); no post-INIT range check (${NO_CAPS})`,
  },
];

runSuite({ design: D2, overrides });
