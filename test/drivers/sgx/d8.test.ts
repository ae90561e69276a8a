// D8 `mainline-6.0` (Linux 6.1 rules by default) on the shared suite: the suite's default
// expectations are mainline's, so D8 declares no differences.
import { D8 } from '../../../src/drivers/sgx/index.js';
import { runSuite } from './common.case.js';

runSuite({ design: D8 });
