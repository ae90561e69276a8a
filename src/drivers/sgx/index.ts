// The SGX driver designs (docs/designs.md). Importing this module registers every design: one
// import line per design folder (D0-D6 are added by their folders' authors).
import './mainline/index.js';
import './v20/index.js';
import './sigstruct-file/index.js';
import './execute-intent/index.js';
import './copy-source-perms/index.js';
import './allow-prot/index.js';
import './sgx-perms/index.js';
import './ema/index.js';

export * from './design.js';
export { registerDesign, listDesigns, lookupDesign, findDesign } from './registry.js';
export { D7, D8 } from './mainline/index.js';
export { vdsoSgxEnterEnclave, type VdsoEnterRequest, type VdsoEnterResult } from './common/vdso.js';
export { sgxPlatform, sgxPlatformId, installedSgx } from './common/install.js';
export { setSignalPending, setConcurrentIoctl, holdForReclaim, releaseReclaimHold, enclIdOfFd } from './common/knobs.js';
