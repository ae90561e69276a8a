// D6 `ema` (Cedric Xing v3) on the shared suite. The v20 answers shared with D4/D5 are declared in
// d456.case.ts; D6's own below; the D6 rules (EMAs, launch control, enclave_mprotect) are tested in
// d6.rules.test.ts. D6's own:
//   - v20's mapping rules are untouched: no per-page maximum (any protection maps and any mprotect
//     passes the driver), holes map, no READ_IMPLIES_EXEC test; and v20's get_unmapped_area (no
//     MAP_FIXED fix in D6) refuses a length below 8 KiB or not a power of two even with MAP_FIXED;
//   - no source test in the driver (v20 copies with copy_from_user()); the source is the LSM's
//     business (security_enclave_load());
//   - under SELinux, INIT is launch control: the SIGSTRUCT must be read from an unmodified file
//     mapping and needs file:execute on that file. The suite's loader passes a heap copy
//     (-EACCES); the careful loader maps the .sig file, installed with the libraries (lib_t),
//     which builtin:default lets the loader domain execute;
//   - as posted, enclave_mprotect() tests `prot && PROT_WRITE` (always true): the careful loader's
//     RX mprotect of the text asks process:execmem, which builtin:default denies (cedricV3Bug).
import { EFAULT, EINVAL, ENOTTY } from '../../../src/abi/errno.js';
import { D6 } from '../../../src/drivers/sgx/ema/index.js';
import { runSuite } from './common.case.js';
import { AUG, NO_SGX2, v20Overrides, withOverrides } from './d456.case.js';

const SMALL_FIXED = "v20's get_unmapped_area (D6 has no MAP_FIXED fix) refuses a length below 8 KiB or not a power of two, also with MAP_FIXED: -EINVAL";
const NO_MAX = 'v20 keeps no per-page maximum: the driver refuses no protection (D6 leaves the decision to the LSM, and without SELinux nothing refuses)';
const LAUNCH = 'security_enclave_init() (v3 4/4): the SIGSTRUCT must come from an unmodified file mapping; the selftest flow passes a heap copy: INIT is -EACCES';

runSuite({
  design: D6,
  overrides: withOverrides(v20Overrides(D6, { perPage: true }), [
    { case: 'SGX-ST-08', expect: { mmap: -EINVAL, skipped: AUG }, reason: `${SMALL_FIXED}; the hole lies inside the RWX ELRANGE mapping of the rewritten loader, and v20 has no EAUG (SIGBUS: the vDSO reports the #PF)` },
    { case: 'SGX-ST-09', expect: { mmap: -EINVAL, skipped: AUG }, reason: `${SMALL_FIXED}; no EAUG without the sgx2 option` },
    { case: 'SGX-DR-02', expect: { add: 0, mmapRW: -EINVAL, mmapRX: -EINVAL }, reason: `${SMALL_FIXED} (with 8 KiB both map: ${NO_MAX})` },
    { case: 'SGX-DR-03', expect: { rwx: 0, r: 0, rx: 0 }, reason: `${NO_MAX}; v20 has no vm_ops->mprotect` },
    {
      case: 'SGX-DR-04',
      expect: { ok: false, error: `untranslatable: ${(D6.loaders.gramine as { why: string }).why}` },
      reason: 'designs-spec §12: Gramine\'s per-range re-mmaps do not survive v20\'s get_unmapped_area',
    },
    { case: 'SGX-DR-05', expect: { mmap: 'mapped' }, reason: "v20 has no post-INIT range check, and its get_unmapped_area aligns the 8 KiB MAP_FIXED mapping to 8 KiB (inside ELRANGE)" },
    { case: 'SGX-DR-10', expect: { add: { ret: 0, count: 4096 } }, reason: 'no VM_MAYEXEC test in v20 (copy_from_user() of any readable memory); D6 leaves the source to security_enclave_load(), which has nothing to say without SELinux' },
    {
      case: 'SGX-DR-18',
      expect: { read: -EINVAL, exec: -EINVAL, loader: 'mmap(ELRANGE, RWX): EPERM' },
      reason: `${SMALL_FIXED}; the D6 rewrite of load.c drops the probes, and its RWX mapping of ELRANGE after INIT meets /dev noexec (-EPERM)`,
    },
    { case: 'SGX-DR-19', expect: { beforeCreate: 'mapped', afterInit: -EINVAL }, reason: `holes map in v20; ${SMALL_FIXED}` },
    {
      case: 'SGX-AC-01',
      expect: { ok: false, device: 'sgx_loader_t sgx_enclave_device_t:chr_file { ioctl map open read write }', image: 'sgx_loader_t lib_t:file { map open read }', denied: [], execmem: false },
      reason: `${LAUNCH} (a VMA test, not an AVC denial)`,
    },
    { case: 'SGX-AC-02', skip: true, reason: `setup_test_encl() under SELinux fails on D6 (${LAUNCH}); D6's mmap path (security_file_mprotect() from PROT_NONE) is tested in d6.rules.test.ts` },
    { case: 'SGX-AC-03', skip: true, reason: `setup_test_encl() under SELinux fails on D6 (${LAUNCH}); enclave_mprotect() is tested in d6.rules.test.ts` },
    {
      case: 'SGX-AC-05',
      expect: { noexec: 0, hole: -EFAULT, otherEnclave: 0, remap: -EINVAL, otherEnclaveNoexecDev: 0 },
      reason: `no VM_MAYEXEC test in v20: copy_from_user() reads a noexec file and another enclave's mapping (the abort page) alike; ${SMALL_FIXED} (the 4 KiB remap)`,
    },
    { case: 'SGX-AC-13', expect: { none: -EINVAL, read: -EINVAL }, reason: `${SMALL_FIXED} (and v20 has no READ_IMPLIES_EXEC test)` },
    {
      case: 'SGX-AC-16',
      expect: { beforeInit: 'SIGBUS', afterInit: 'SIGBUS', eaugs: 0, restrictTcs: -ENOTTY, modifyRtoTcs: -ENOTTY, removeNonTrim: -ENOTTY, noSgx2Cpu: -ENOTTY, outsideElrange: -EINVAL },
      reason: `${NO_SGX2}; no EAUG without the sgx2 option (the hole, inside the loader's ELRANGE mapping, is SIGBUS); ${SMALL_FIXED}`,
    },
    {
      case: 'SGX-LD-01',
      expect: { ok: false, error: 'mprotect(text): EACCES', denied: ['sgx_loader_t sgx_loader_t:process { execmem }'], permissions: true, entered: null },
      reason:
        "v3 4/4 as posted: enclave_mprotect() tests `(prot && PROT_WRITE) && (prot & PROT_EXEC)`, so the careful loader's RX mprotect of the text asks process:execmem, which builtin:default does not give sgx_loader_t (launch control, file:execute on the .sig file in lib_t, passes); with the intended W+X test (cedricV3Bug: false) the loader loads and enters the reference enclave (d6.rules.test.ts; exact set: d6.permissions.test.ts)",
    },
  ]),
});
