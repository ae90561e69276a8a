// D5 `sgx-perms` (RFC v4) on the shared suite. The v20 answers shared with D4/D6 are declared in
// d456.case.ts; D5's own below; the D5 rules are tested one by one in d5.rules.test.ts. D5's own:
//   - holes: sgx_allowed_rwx() counts a missing page as allowing nothing (04/12), so any
//     PROT != NONE mapping over a hole is -EACCES (and a PROT_NONE one loses every VM_MAY* bit);
//   - builtin:default: the RX text is loaded from the image, which needs file:sgx_execute (10/12);
//     the built-in loader domain has it on lib_t only (with execute; none of the RFC's process2
//     permissions), so the image installed with the libraries loads (docs/policies.md).
import { EACCES, EFAULT, EINVAL, ENOTTY } from '../../../src/abi/errno.js';
import { D5 } from '../../../src/drivers/sgx/sgx-perms/index.js';
import { runSuite } from './common.case.js';
import { AUG, NO_SGX2, SMALL, v20Overrides, withOverrides } from './d456.case.js';

const HOLES = 'sgx_allowed_rwx() (RFC v4 04/12): a missing page allows nothing, so a PROT != NONE mapping over a hole is -EACCES';
const SGX_EXECUTE =
  'security_enclave_load() asks file:sgx_execute on the image for the measured RX text loaded from it (RFC v4 10/12), which builtin:default gives sgx_loader_t on the image installed with the libraries (lib_t); no execute on the image (the source needs only VM_MAYEXEC)';

runSuite({
  design: D5,
  overrides: withOverrides(v20Overrides(D5, { perPage: true }), [
    { case: 'SGX-ST-08', expect: { mmap: -EACCES, skipped: AUG }, reason: `${HOLES}; no EAUG in the series (without the sgx2 option)` },
    { case: 'SGX-ST-09', expect: { mmap: -EACCES, skipped: AUG }, reason: `${HOLES}; no EAUG in the series (without the sgx2 option)` },
    {
      case: 'SGX-DR-04',
      expect: { ok: false, error: `untranslatable: ${(D5.loaders.gramine as { why: string }).why}` },
      reason: 'designs-spec §12: Gramine maps ELRANGE RWX before any page exists (holes allow nothing in D5)',
    },
    { case: 'SGX-DR-10', expect: { add: { ret: -EACCES, count: 0 } }, reason: 'RFC v4 05/12: PROT_EXEC from a source without VM_MAYEXEC is -EACCES' },
    {
      case: 'SGX-DR-18',
      expect: { read: -EINVAL, exec: -EINVAL, loader: 'mmap(text): EPERM' },
      reason: `${SMALL}; the D5 rewrite of load.c drops the probes, so the loader fails at its PROT_EXEC mapping of the text after INIT (do_mmap(): /dev noexec -> -EPERM)`,
    },
    { case: 'SGX-DR-19', expect: { beforeCreate: -EACCES, afterInit: -EACCES }, reason: HOLES },
    {
      case: 'SGX-AC-01',
      expect: { ok: true, device: 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }', image: 'sgx_loader_t lib_t:file { map open read sgx_execute }', denied: [], execmem: false },
      reason: SGX_EXECUTE,
    },
    { case: 'SGX-AC-04', expect: { mmap: -EACCES, add: 0, touch: 'SIGSEGV' }, reason: `${HOLES}; the range stays the PROT_NONE reservation (SIGSEGV)` },
    {
      case: 'SGX-AC-05',
      expect: { noexec: 0, hole: -EFAULT, otherEnclave: 0, remap: 'mapped', otherEnclaveNoexecDev: 0 },
      reason:
        "RFC v4 05/12 tests VM_MAYEXEC for executable pages only (the case adds RW pages); v20 copies the source with copy_from_user(), which reads another enclave's mapping (the abort page) where get_user_pages() refused VM_IO|VM_PFNMAP",
    },
    {
      case: 'SGX-AC-13',
      expect: { none: 'mapped', read: -EACCES },
      reason: 'v20 has no READ_IMPLIES_EXEC test; PROT_NONE asks for nothing, and PROT_READ becomes PROT_READ|PROT_EXEC, which the RW page does not allow (sgx_allowed_rwx())',
    },
    {
      case: 'SGX-AC-15',
      expect: { rx: ['sgx_execanon'], wx: ['sgx_execdirty'] },
      reason: 'RFC v4 10/12: X from anonymous memory asks process2:sgx_execanon; W+X asks process2:sgx_execdirty first, which builtin:default denies (the first denial fails the ADD); the pages are measured, so no sgx_execunmr',
    },
    {
      case: 'SGX-AC-16',
      expect: { beforeInit: 'SIGSEGV', afterInit: 'SIGSEGV', eaugs: 0, restrictTcs: -ENOTTY, modifyRtoTcs: -ENOTTY, removeNonTrim: -ENOTTY, noSgx2Cpu: -ENOTTY, outsideElrange: -EACCES },
      reason: `${NO_SGX2}; ${HOLES}, so the holes stay the PROT_NONE reservation (SIGSEGV) and the mapping below ELRANGE is refused as a hole`,
    },
  ]),
});
