// D1 `copy-source-perms` on the shared suite. Every difference from the suite's (mainline 6.1)
// expectations is declared here with its reason; the rules behind them are the thread's
// (designs-spec §2: Sean Christopherson 2019-05-17/21/22) and are tested one by one, on enclaves
// built the D1 way, in d1.rules.test.ts. The suite's hand-built enclaves hold ELRANGE through the
// adapter's reserve(), which maps it PROT_READ from the enclave fd as the seed does (CREATE needs
// it: "Requiring VMA backing to build an enclave seems reasonable and sane", 20190522153836.GA24833).
// Three reasons recur:
//   - the copy: ADD takes a page's permissions from the source VMA, not from the case's SECINFO
//     (the suite's anonymous sources are RW whatever `perms` says);
//   - the mmap ban: mmap of the enclave fd is -EPERM once a page was added (20190521155140.GE22089);
//   - get_unmapped_area: v20's with RFC v1's MAP_FIXED fix refuses lengths below 8 KiB without
//     MAP_FIXED (-EINVAL).
// Under builtin:default D1 needs `execute` on the enclave file (its text source is mapped
// PROT_READ|PROT_EXEC); the loaders install it with the libraries (lib_t), which the built-in loader
// domain may execute, so the acceptance cases and the canonical loader hold as the suite expects.
import { EACCES, EFAULT, EINVAL, ENOMEM, ENOTTY, EPERM } from '../../../src/abi/errno.js';
import { D1, D1_NO_SECINFO, D1_NO_SGX2 } from '../../../src/drivers/sgx/copy-source-perms/index.js';
import { runSuite, type Override } from './common.case.js';
import { PAGE } from './fixture.js';

const COPY = "ADD copies the source VMA's R/W/X (seed): the case's `perms` are not what the page gets";
const BAN = 'mmap of the enclave fd after the first ADD is -EPERM (Sean 2019-05-21: no munmap->mmap to regain X)';
const SMALL = "D1's get_unmapped_area (v20's, with RFC v1's MAP_FIXED fix) refuses lengths below 8 KiB without MAP_FIXED: -EINVAL";
const NO_SGX2 = 'D1 has no SGX2 ioctls (-ENOTTY through the adapter, as an unknown command), so the selftest SKIPs';
const NO_SECINFO = 'D1 takes no SECINFO from userspace (the permissions are the source VMA\'s): raw SECINFO cases cannot be expressed';
const skipped = (msg: string) => ({ skipped: msg });
const modt = 'Kernel does not support SGX_IOC_ENCLAVE_MODIFY_TYPES ioctl()';
const rest = 'Kernel does not support SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS ioctl()';
const aug = 'Kernel does not support adding pages to initialized enclave';
const noSecinfo = { ret: -ENOTTY, unsupported: D1_NO_SECINFO };
const noSgx2 = { ret: -ENOTTY, unsupported: D1_NO_SGX2 };
const DEVICE = 'sgx_loader_t sgx_enclave_device_t:chr_file { open read write }';
const IMAGE = 'sgx_loader_t lib_t:file { execute map open read }';

const overrides: Override[] = [
  // ---------------------------------------------------------------- selftests
  { case: 'SGX-ST-03', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-06', expect: skipped(rest), reason: NO_SGX2 },
  { case: 'SGX-ST-07', expect: skipped(rest), reason: NO_SGX2 },
  {
    case: 'SGX-ST-08',
    expect: { mmap: -EPERM, skipped: aug },
    reason: `${BAN}; the write then meets the PROT_READ enclave VMA (a plain #PF, 0x6), as on a kernel without EAUG`,
  },
  {
    case: 'SGX-ST-09',
    expect: { mmap: -EPERM, skipped: aug },
    reason: `${BAN}; without the sgx2 option a fault on a hole is SIGBUS (the vDSO reports the plain #PF)`,
  },
  { case: 'SGX-ST-10', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-11', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-12', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-13', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-14', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-15', expect: { restrict: -ENOTTY, modify: -ENOTTY, remove: -ENOTTY }, reason: NO_SGX2 },
  // ---------------------------------------------------------------- driver rules
  {
    case: 'SGX-DR-02',
    expect: { add: 0, mmapRW: -EPERM, mmapRX: -EPERM },
    reason: `${COPY}; and ${BAN}`,
  },
  {
    case: 'SGX-DR-03',
    expect: { rwx: 0, r: 0, rx: 0 },
    reason: 'D1 has no vm_ops->mprotect: mprotect takes the stock path only (05-16 outline step 7), so without an LSM nothing refuses RWX (with SELinux: execmem, since the inode is S_PRIVATE)',
  },
  {
    case: 'SGX-DR-04',
    expect: { ok: false, error: `untranslatable: ${(D1.loaders.gramine as { why: string }).why}` },
    reason: 'designs-spec §12: the Gramine flow cannot be expressed on D1 (RWX mapping of the anon-inode fd, RW code buffers, re-mmap after ADD)',
  },
  { case: 'SGX-DR-05', expect: { mmap: -EPERM }, reason: BAN },
  { case: 'SGX-DR-06', expect: { add: noSecinfo }, reason: NO_SECINFO },
  { case: 'SGX-DR-07', expect: { add: noSecinfo }, reason: NO_SECINFO },
  {
    case: 'SGX-DR-10',
    expect: { add: { ret: 0, count: PAGE } },
    reason: 'the thread has no VM_MAYEXEC check on the source: a noexec source is copied with its own (non-executable) permissions; the sourceMayExec variant refuses it (d1.rules.test.ts)',
  },
  { case: 'SGX-DR-11', skip: true, reason: "createPow2Check is a mainline driver option (the 2025 pre-check); D1's options are its own (its CREATE body is 6.1's, without the pre-check)" },
  { case: 'SGX-DR-16', expect: { modify: noSgx2 }, reason: NO_SGX2 },
  { case: 'SGX-DR-17', expect: { toReg: -ENOTTY, toSecs: -ENOTTY }, reason: NO_SGX2 },
  {
    case: 'SGX-DR-18',
    expect: { read: -EINVAL, exec: -EINVAL, loader: undefined },
    reason: `${SMALL}; D1's enclave file lives on anon_inodefs, not on /dev, so /dev noexec does not apply, and the D1 rewrite of load.c drops its probes: the load succeeds`,
  },
  { case: 'SGX-DR-19', expect: { beforeCreate: 'mapped', afterInit: -EPERM }, reason: BAN },
  // ---------------------------------------------------------------- acceptance scenarios
  {
    case: 'SGX-AC-01',
    expect: { ok: true, device: DEVICE, image: IMAGE, denied: [], execmem: false },
    reason: "D1 needs execute on the enclave file (issue #5: 'D1 needs execute on the enclave file and nothing executable on the device'; its text source is mapped PROT_READ|PROT_EXEC) and only open/read/write on the device (after open everything is on the S_PRIVATE anon inode)",
  },
  {
    case: 'SGX-AC-02',
    expect: { mmap: -EACCES, avc: ['denied process:execmem'] },
    reason: "the enclave file is an S_PRIVATE anon inode: selinux_mmap_file() asks no map/read/write/execute of it (inode_has_perm() returns 0 for IS_PRIVATE) and file_map_prot_check() asks execmem for any PROT_EXEC mapping of it, which builtin:default denies before the driver's ->mmap (which would refuse with -EPERM: mmap after the first ADD)",
  },
  {
    case: 'SGX-AC-03',
    expect: { map: -EPERM, rx: -ENOMEM, rwx: -ENOMEM, deniedByLsm: -ENOMEM, avcDenials: [] },
    reason: `${BAN}; Linux 6.1's mmap_region() unmapped the PROT_READ enclave mapping under the MAP_FIXED request before ->mmap refused it, so nothing is mapped at the text and every mprotect there is -ENOMEM; D1's mprotect path (execmem for +X on the anon inode, no driver check) is tested in d1.rules.test.ts`,
  },
  { case: 'SGX-AC-04', expect: { mmap: 'mapped', add: 0, touch: 'SIGBUS' }, reason: 'the same observation for another reason: faults before INIT are SIGBUS (05-16 outline step 4), whatever the VMA and the copied permissions' },
  {
    case: 'SGX-AC-05',
    expect: { noexec: 0, hole: -EFAULT, otherEnclave: -EFAULT, remap: -EPERM, otherEnclaveNoexecDev: -EFAULT },
    reason: `no VM_MAYEXEC check in the thread, so the noexec source is accepted and the other enclave's mapping fails in get_user_pages() (VM_IO|VM_PFNMAP) whatever /dev is; remapping the built enclave is refused: ${BAN}`,
  },
  {
    case: 'SGX-AC-06',
    expect: { exec: -EINVAL, read: -EINVAL },
    reason: `${SMALL}; with 8 KiB both map: the enclave file is on anon_inodefs, so /dev noexec does not apply (d1.rules.test.ts)`,
  },
  {
    case: 'SGX-AC-07',
    expect: { wOnly: -ENOTTY, tcsR: -ENOTTY, va: -ENOTTY, secs: -ENOTTY, trim: -ENOTTY, bit3: -ENOTTY, bit16: -ENOTTY, reservedByte: -ENOTTY, rwx: -ENOTTY },
    reason: `${NO_SECINFO}; D1's .type validation is tested in d1.rules.test.ts`,
  },
  {
    case: 'SGX-AC-11',
    expect: { without: 'SGX_IOC_ENCLAVE_INIT failed: EACCES', wrongFd: -EINVAL, provision: 0, init: -EPERM },
    reason: "the case adds every segment from one PROT_READ image mapping (load.c's way): D1 copies R into every page's SECINFO, which EADD measures, so MRENCLAVE is not the signed one and EINIT fails (SGX_INVALID_MEASUREMENT -> -EPERM)",
  },
  {
    case: 'SGX-AC-13',
    expect: { none: -EPERM, read: -EPERM },
    reason: `${BAN}; D1 has no READ_IMPLIES_EXEC check of its own (before the first ADD such a mapping becomes PROT_EXEC and meets execmem)`,
  },
  {
    case: 'SGX-AC-16',
    expect: { beforeInit: 'SIGBUS', afterInit: 'SIGSEGV', eaugs: 0, restrictTcs: -ENOTTY, modifyRtoTcs: -ENOTTY, removeNonTrim: -ENOTTY, noSgx2Cpu: -ENOTTY, outsideElrange: -EPERM },
    reason: `${NO_SGX2}; the MAP_FIXED mmap of the hole after INIT is refused (${BAN}) after mmap_region() already unmapped the PROT_READ enclave mapping there (Linux 6.1), so the touch is SIGSEGV`,
  },
];


runSuite({ design: D1, overrides });
