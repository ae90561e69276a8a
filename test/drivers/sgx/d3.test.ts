// D3 `execute-intent` (static and dynamic) on the shared suite. Every difference from the suite's
// (mainline 6.1) expectations is declared with its reason; D3's own rules are tested in
// d3.rules.test.ts. The reasons recur (designs-spec §4; Andy Lutomirski, 2019-05-30):
//   - no vm_max_prot_bits: the merged permission model (SECINFO caps at mmap, mprotect and fault,
//     the READ_IMPLIES_EXEC and post-INIT range checks) came after the debate; in D3 the LSM decides
//     executable mappings (R1, R2), and without an LSM nothing is refused;
//   - under builtin:default the selftest flow needs, for its RX text (image mapped PROT_READ),
//     EXECUTE on the image at ADD (R3: static, the intent flag; dynamic, the probe keeps the
//     intent), which sgx_loader_t has on the image installed with the libraries (lib_t); in the
//     home directory (user_home_t) it has not, and the dynamic variant then needs EXECMOD (R2);
//   - no SGX2 ioctls (ENOTTY: the selftests SKIP).
import { EACCES, ENOTTY } from '../../../src/abi/errno.js';
import { D3_DYNAMIC, D3_STATIC } from '../../../src/drivers/sgx/execute-intent/index.js';
import { LSM2019_NO_SGX2 } from '../../../src/drivers/sgx/sigstruct-file/index.js';
import type { SgxDesign } from '../../../src/drivers/sgx/design.js';
import { runSuite, type Override } from './common.case.js';

const NO_SGX2 = "Andy's 2019 proposals have no SGX2 ioctls: unknown commands (-ENOIOCTLCMD, ENOTTY), so the selftest SKIPs";
const NO_CAPS = "D3 has no vm_max_prot_bits (SECINFO caps came in v21, after the debate): executable mappings are the LSM's decision (R1, R2), and the suite runs without an LSM";
const skipped = (msg: string) => ({ skipped: msg });
const modt = 'Kernel does not support SGX_IOC_ENCLAVE_MODIFY_TYPES ioctl()';
const rest = 'Kernel does not support SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS ioctl()';
const aug = 'Kernel does not support adding pages to initialized enclave';

function overrides(d: SgxDesign): Override[] {
  const stat = d.variant === 'static';
  const R3 = stat
    ? 'the selftest flow declares execute intent for its RX text and maps the image PROT_READ: R3 asks EXECUTE on the image at ADD (security_enclave_load() with the intent flag)'
    : 'the selftest flow maps the image PROT_READ: the dynamic hook probes EXECUTE on the image at ADD and, allowed, keeps the text pages\' intent (R3)';
  return [
    // ---------------------------------------------------------------- selftests
    { case: 'SGX-ST-03', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-06', expect: skipped(rest), reason: NO_SGX2 },
    { case: 'SGX-ST-07', expect: skipped(rest), reason: NO_SGX2 },
    { case: 'SGX-ST-08', expect: { mmap: 'mapped', skipped: aug }, reason: `${NO_SGX2}; no EAUG by default (driver option sgx2): the fault on the hole is SIGBUS` },
    { case: 'SGX-ST-09', expect: { mmap: 'mapped', skipped: aug }, reason: `${NO_SGX2}; no EAUG by default (EACCEPT's #PF is reported)` },
    { case: 'SGX-ST-10', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-11', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-12', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-13', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-14', expect: skipped(modt), reason: NO_SGX2 },
    { case: 'SGX-ST-15', expect: { restrict: -ENOTTY, modify: -ENOTTY, remove: -ENOTTY }, reason: NO_SGX2 },
    // ---------------------------------------------------------------- driver rules
    { case: 'SGX-DR-02', expect: { add: 0, mmapRW: 'mapped', mmapRX: 'mapped' }, reason: NO_CAPS },
    { case: 'SGX-DR-03', expect: { rwx: 0, r: 0, rx: 0 }, reason: `${NO_CAPS} (with SELinux, RWX needs EXECMEM by R1: d3.rules.test.ts)` },
    { case: 'SGX-DR-05', expect: { mmap: 'mapped' }, reason: `${NO_CAPS}; the post-INIT range check belongs to that model (6.0)` },
    { case: 'SGX-DR-11', skip: true, reason: "createPow2Check is a mainline driver option; D3's CREATE is mainline 6.1's (delegated), without the 2025 pre-check" },
    { case: 'SGX-DR-16', expect: { modify: { ret: -ENOTTY, unsupported: LSM2019_NO_SGX2 } }, reason: NO_SGX2 },
    { case: 'SGX-DR-17', expect: { toReg: -ENOTTY, toSecs: -ENOTTY }, reason: NO_SGX2 },
    // ---------------------------------------------------------------- acceptance scenarios
    {
      case: 'SGX-AC-01',
      expect: { ok: true, device: 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }', image: 'sgx_loader_t lib_t:file { execute map open read }', denied: [], execmem: false },
      reason: `${R3}; the image is installed with the libraries (lib_t), which builtin:default lets sgx_loader_t execute`,
    },
    {
      case: 'SGX-AC-02',
      expect: { mmap: -EACCES, avc: ['granted chr_file:map', 'granted chr_file:read,write,execute', 'denied process:execmem'] },
      reason: `${NO_CAPS}: the EACCES is R1's (a W+X mapping of enclave pages asks EXECMEM in sgx_mmap(), which builtin:default denies sgx_loader_t), after selinux_mmap_file() granted the device permissions`,
    },
    { case: 'SGX-AC-04', expect: { mmap: 'mapped', add: 0, touch: 'ok' }, reason: `${NO_CAPS}; faults check no permissions either (outside enclave mode the access goes to the abort page)` },
    { case: 'SGX-AC-13', expect: { none: 'mapped', read: 'mapped' }, reason: `${NO_CAPS}: the READ_IMPLIES_EXEC refusal belongs to that model` },
    {
      case: 'SGX-AC-16',
      expect: { beforeInit: 'SIGBUS', afterInit: 'SIGBUS', eaugs: 0, restrictTcs: -ENOTTY, modifyRtoTcs: -ENOTTY, removeNonTrim: -ENOTTY, noSgx2Cpu: -ENOTTY, outsideElrange: 'mapped' },
      reason: `${NO_SGX2}; no EAUG by default (SIGBUS on the hole); no post-INIT range check (${NO_CAPS})`,
    },
  ];
}

runSuite({ design: D3_STATIC, overrides: overrides(D3_STATIC) });
runSuite({ design: D3_DYNAMIC, overrides: overrides(D3_DYNAMIC) });
