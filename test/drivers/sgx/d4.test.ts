// D4 `allow-prot` (RFC v1 and v2) on the shared suite. Every difference from the suite's (mainline
// 6.1) expectations is declared with its reason: the v20 answers shared with D5/D6 in
// d456.case.ts, D4's own below; the D4 rules are tested one by one in d4.rules.test.ts. D4's own:
//   - holes: sgx_map_allowed() refuses any PROT != NONE mapping of an address with no page (RFC v1
//     5/9), where mainline imposes nothing;
//   - builtin:default: the D4 loader maps the text source PROT_READ|PROT_EXEC, so it needs execute
//     on the image (designs-spec §5.3), which the built-in loader domain has on the image installed
//     with the libraries (lib_t), not in the home directory.
import { EACCES, EFAULT, EINVAL, ENOTTY, ERESTARTSYS } from '../../../src/abi/errno.js';
import { D4_V1, D4_V2 } from '../../../src/drivers/sgx/allow-prot/index.js';
import type { SgxDesign } from '../../../src/drivers/sgx/design.js';
import { runSuite, type Override } from './common.case.js';
import { AUG, NO_SGX2, SMALL, v20Overrides, withOverrides } from './d456.case.js';

const HOLES = 'sgx_map_allowed() (RFC v1 5/9, v2 3/5): a PROT != NONE mapping of an address without an enclave page is -EACCES';
const IMAGE_EXEC =
  'the D4 loader maps the text source PROT_READ|PROT_EXEC (designs-spec §5.3: then security_enclave_load() checks nothing), so it needs execute on the image, which builtin:default gives sgx_loader_t on the image installed with the libraries (lib_t)';

function overrides(d: SgxDesign): Override[] {
  const v1 = d.variant === 'v1';
  const c0 = v1 ? {} : { count: 0 };
  return withOverrides(v20Overrides(d, { countless: v1, perPage: !v1 }), [
    { case: 'SGX-ST-08', expect: { mmap: -EACCES, skipped: AUG }, reason: `${HOLES}; the write then meets the reservation (a plain #PF), as without EAUG` },
    { case: 'SGX-ST-09', expect: { mmap: -EACCES, skipped: AUG }, reason: `${HOLES}; no EAUG in the RFC (EACCEPT's #PF is reported)` },
    {
      case: 'SGX-DR-04',
      expect: { ok: false, error: `untranslatable: ${(d.loaders.gramine as { why: string }).why}` },
      reason: 'designs-spec §12: Gramine maps ELRANGE RWX before any page exists (holes are unmappable in D4)',
    },
    {
      case: 'SGX-DR-10',
      expect: { add: { ret: -EACCES, ...c0 } },
      reason: v1 ? 'RFC v1 7/9 clears ALLOW_EXEC for a noexec source, and the SECINFO asks for X: -EACCES (no count in v1)' : 'RFC v2 3/5: PROT_EXEC from a source without VM_MAYEXEC is -EACCES',
    },
    {
      case: 'SGX-DR-18',
      expect: { read: -EINVAL, exec: -EINVAL, loader: 'mmap(text): EPERM' },
      reason: `${SMALL}; the D4 rewrite of load.c drops the probes, so the loader fails at its PROT_EXEC mapping of the text after INIT (do_mmap(): /dev noexec -> -EPERM)`,
    },
    { case: 'SGX-DR-19', expect: { beforeCreate: -EACCES, afterInit: -EACCES }, reason: HOLES },
    {
      case: 'SGX-AC-01',
      expect: { ok: true, device: 'sgx_loader_t sgx_enclave_device_t:chr_file { execute ioctl map open read write }', image: 'sgx_loader_t lib_t:file { execute map open read }', denied: [], execmem: false },
      reason: IMAGE_EXEC,
    },
    { case: 'SGX-AC-04', expect: { mmap: -EACCES, add: 0, touch: 'SIGSEGV' }, reason: `${HOLES}; the range stays the PROT_NONE reservation (SIGSEGV)` },
    {
      case: 'SGX-AC-05',
      expect: { noexec: 0, hole: -EFAULT, otherEnclave: 0, remap: 'mapped', otherEnclaveNoexecDev: 0 },
      reason:
        "the noexec tests of RFC v1 7/9 and v2 3/5 apply to executable pages only (the case adds RW pages); v20 copies the source with copy_from_user(), which reads another enclave's mapping (the abort page) where get_user_pages() refused VM_IO|VM_PFNMAP",
    },
    ...(v1
      ? [
          {
            case: 'SGX-AC-10',
            expect: { before: { ret: -ERESTARTSYS, count: undefined }, after2: { ret: -ERESTARTSYS, count: undefined } },
            reason: 'RFC v1 3/9: signal_pending() in the page loop returns -ERESTARTSYS at any page and reports no count',
          },
        ]
      : []),
    {
      case: 'SGX-AC-13',
      expect: { none: 'mapped', read: -EACCES },
      reason: 'v20 has no READ_IMPLIES_EXEC test (it came with v27); PROT_NONE is always allowed, and PROT_READ becomes PROT_READ|PROT_EXEC, which the RW page does not allow',
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
  ]);
}

runSuite({ design: D4_V1, overrides: overrides(D4_V1) });
runSuite({ design: D4_V2, overrides: overrides(D4_V2) });
