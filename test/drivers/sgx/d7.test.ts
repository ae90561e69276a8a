// D7 `mainline-5.11` on the shared suite. Its differences from the suite's (6.1) expectations all
// come from what 5.11 lacks (designs-spec §10): the SGX2 ioctls (unknown commands are
// -ENOIOCTLCMD, which userspace sees as ENOTTY, so the selftests SKIP), EAUG on fault (a fault on
// a hole is SIGBUS, which the vDSO reports as a plain #PF), the post-INIT range check in
// sgx_encl_may_map() and the overflow check in the offset/length validation (6.1).
import { ENOTTY, EIO } from '../../../src/abi/errno.js';
import { D7 } from '../../../src/drivers/sgx/index.js';
import { runSuite, type Override } from './common.case.js';

const NO_SGX2 = '5.11 has no SGX2 ioctls: -ENOIOCTLCMD, ENOTTY in userspace, and the selftest SKIPs';
const NO_EAUG = '5.11 has no EAUG on fault: the fault on the hole is SIGBUS and the vDSO reports the plain #PF, so the selftest SKIPs';
const skipped = (msg: string) => ({ skipped: msg });
const modt = 'Kernel does not support SGX_IOC_ENCLAVE_MODIFY_TYPES ioctl()';
const rest = 'Kernel does not support SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS ioctl()';
const aug = 'Kernel does not support adding pages to initialized enclave';

const overrides: Override[] = [
  { case: 'SGX-ST-03', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-06', expect: skipped(rest), reason: NO_SGX2 },
  { case: 'SGX-ST-07', expect: skipped(rest), reason: NO_SGX2 },
  { case: 'SGX-ST-08', expect: { mmap: 'mapped', skipped: aug }, reason: NO_EAUG },
  { case: 'SGX-ST-09', expect: { mmap: 'mapped', skipped: aug }, reason: NO_EAUG },
  { case: 'SGX-ST-10', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-11', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-12', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-13', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-14', expect: skipped(modt), reason: NO_SGX2 },
  { case: 'SGX-ST-15', expect: { restrict: -ENOTTY, modify: -ENOTTY, remove: -ENOTTY }, reason: `${NO_SGX2} (ENOTTY before ENODEV could be checked)` },
  { case: 'SGX-DR-05', expect: { mmap: 'mapped' }, reason: 'the post-INIT range check of sgx_encl_may_map() came with SGX2 in 6.0' },
  { case: 'SGX-DR-16', expect: { modify: { ret: -ENOTTY, result: 0, count: 0 } }, reason: NO_SGX2 },
  { case: 'SGX-DR-17', expect: { toReg: -ENOTTY, toSecs: -ENOTTY }, reason: NO_SGX2 },
  {
    case: 'SGX-AC-08',
    expect: { overflow: { ret: -EIO, count: 0 } },
    reason: 'no overflow check in 5.11 (f0861f49bd94 is 6.1): the wrapping offset passes and EADD faults outside ELRANGE',
  },
  {
    case: 'SGX-AC-16',
    expect: { beforeInit: 'SIGBUS', afterInit: 'SIGBUS', eaugs: 0, restrictTcs: -ENOTTY, modifyRtoTcs: -ENOTTY, removeNonTrim: -ENOTTY, noSgx2Cpu: -ENOTTY, outsideElrange: 'mapped' },
    reason: '5.11 has no SGX2: no EAUG (SIGBUS), no SGX2 ioctls (ENOTTY), no post-INIT range check',
  },
];

runSuite({ design: D7, overrides });
