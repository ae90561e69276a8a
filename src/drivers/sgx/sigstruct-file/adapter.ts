// The neutral adapter for D2 (design.ts DesignAdapter):
//   - addPages: D2's ADD_PAGES (no `count` field): `count` is the length when the call returns 0,
//     the positive return value when a signal stopped it after some pages, unknown otherwise;
//   - init: INIT takes a file descriptor, so the SIGSTRUCT the caller holds in memory is written to
//     a memfd first — Andy's own answer for a SIGSTRUCT that is not on disk: "if the sigstruct isn't
//     on disk because it's dynamic or came from a network, the application can put it in a memfd"
//     (CALCETrUfmyQ7ivNzQic0FyPXe1fmAnoK093jnz0i8DRn2LvdSA@mail.gmail.com, 2019-05-16);
//   - provision: SET_ATTRIBUTE; the SGX2 operations do not exist (-ENOTTY, `unsupported`).
import { isErr } from '../../../abi/errno.js';
import { MFD_CLOEXEC } from '../../../abi/fcntl.js';
import { SIGSTRUCT_SIZE } from '../../../arch/x86/sgx/arch.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { DesignAdapter, NeutralAdd, NeutralResult } from '../design.js';
import { designAdapter, ioctlStruct, neutralSecinfo } from '../common/adapter.js';
import { SGX_ENCLAVE_CREATE } from '../mainline/uapi.js';
import { V20_ENCLAVE_SET_ATTRIBUTE } from '../v20/uapi.js';
import { V20_ENCLAVE_PATH, V20_PROVISION_PATH } from '../v20/install.js';
import { D2_ENCLAVE_ADD_PAGES, D2_ENCLAVE_INIT, D2_IOC_ENCLAVE_ADD_PAGES, D2_IOC_ENCLAVE_CREATE, D2_IOC_ENCLAVE_INIT, D2_IOC_ENCLAVE_SET_ATTRIBUTE, SGX_PAGE_MEASURE } from './uapi.js';

/** The v20 nodes (Andy's mails were about the v20 driver). */
export const D2_ENCLAVE_PATH = V20_ENCLAVE_PATH;
export const D2_PROVISION_PATH = V20_PROVISION_PATH;

/** Why the SGX2 operations are unsupported (Andy's 2019 proposals have no SGX2 ioctls). */
export const LSM2019_NO_SGX2 = "Andy Lutomirski's 2019 proposals have no SGX2 ioctls (RESTRICT_PERMISSIONS, MODIFY_TYPES, REMOVE_PAGES)";

/** INIT with a SIGSTRUCT file descriptor. */
export function d2Init(p: UserProcess, fd: number, sigstructFd: number): number {
  return ioctlStruct(p, fd, D2_IOC_ENCLAVE_INIT, D2_ENCLAVE_INIT, { sigstruct_fd: sigstructFd }).ret;
}

/** Put the SIGSTRUCT in a memfd (memfd_create(2) + write(2)); the fd or -errno. */
export function sigstructMemfd(p: UserProcess, sigstruct: Uint8Array): number {
  const mfd = p.k.sys.memfd_create(p.pid, 'sgx-sigstruct', MFD_CLOEXEC);
  if (isErr(mfd)) return mfd;
  const w = p.writeBytes(mfd, sigstruct);
  if (w !== sigstruct.length) {
    p.close(mfd);
    return isErr(w) ? w : -5; // a short write: -EIO
  }
  return mfd;
}

export const d2Adapter: DesignAdapter = designAdapter({
  enclavePath: D2_ENCLAVE_PATH,
  provisionPath: D2_PROVISION_PATH,
  create: { cmd: D2_IOC_ENCLAVE_CREATE, layout: SGX_ENCLAVE_CREATE },
  addPages(p, fd, a: NeutralAdd): NeutralResult {
    const r = ioctlStruct(p, fd, D2_IOC_ENCLAVE_ADD_PAGES, D2_ENCLAVE_ADD_PAGES, {
      src: a.src,
      offset: a.offset,
      length: a.length,
      secinfo: neutralSecinfo(a),
      flags: a.measure ? SGX_PAGE_MEASURE : 0,
    });
    if (r.ret > 0) return { ret: r.ret, count: r.ret };
    return r.ret === 0 ? { ret: 0, count: Number(BigInt(a.length)) } : { ret: r.ret };
  },
  init(p, fd, sigstruct): NeutralResult {
    if (sigstruct.length !== SIGSTRUCT_SIZE) throw new Error(`a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes`);
    const mfd = sigstructMemfd(p, sigstruct);
    if (isErr(mfd)) return { ret: mfd };
    const ret = d2Init(p, fd, mfd);
    p.close(mfd);
    return { ret };
  },
  provision: { cmd: D2_IOC_ENCLAVE_SET_ATTRIBUTE, layout: V20_ENCLAVE_SET_ATTRIBUTE, field: 'attribute_fd' },
  noSgx2: LSM2019_NO_SGX2,
});
