// The neutral adapter of the v20-based 2019 RFC designs (D4, D5, D6).
//
// Adapter: the v20 uAPI names pages by absolute address, so a neutral ADD at `offset` becomes
// `addr = SECS.base + offset`; the base is the one the caller's CREATE gave the enclave (read back
// from the enclave object behind the fd, as a loader knows it from its own SECS). The single-page
// uAPIs issue one ADD_PAGE per page and report `count` as the bytes of the pages that succeeded.
//
// The careful loaders: D4 and D5 use the selftest flow rewritten (designs-spec §12; index.ts of
// each design); D6's own is in ema/loader.ts.
import { O_RDWR } from '../../../abi/fcntl.js';
import { MAP_FIXED, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { ENOTTY } from '../../../abi/errno.js';
import { SIGSTRUCT_SIZE, SgxPageType } from '../../../arch/x86/sgx/arch.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { StructLayout, StructLiteral } from '../../../userspace/struct.js';
import type { DesignAdapter, NeutralAdd, NeutralResult } from '../design.js';
import { enclIdOfFd } from '../common/knobs.js';
import { enclOf } from '../common/epc.js';
import { neutralSecinfo } from '../mainline/adapter.js';
import { V20_ENCLAVE_CREATE, V20_ENCLAVE_INIT, V20_ENCLAVE_SET_ATTRIBUTE, V20_IOC_ENCLAVE_CREATE, V20_IOC_ENCLAVE_INIT, V20_IOC_ENCLAVE_SET_ATTRIBUTE } from './uapi.js';

/** The device nodes of the v20 driver (driver/main.c: an "sgx" class, nodes sgx/enclave and sgx/provision). */
export const V20_ENCLAVE_PATH = '/dev/sgx/enclave';
export const V20_PROVISION_PATH = '/dev/sgx/provision';

const U64 = (1n << 64n) - 1n;
const PAGE = BigInt(PAGE_SIZE);

/** Issue an ioctl with a freshly marshalled struct; the ret and the struct as the kernel left it. */
export function ioctlWith(p: UserProcess, fd: number, cmd: number, layout: StructLayout, lit: StructLiteral): number {
  return p.ioctl(fd, cmd, p.struct(layout, lit));
}

/** SECS.BASEADDR of the enclave behind fd (0 before CREATE or for a non-enclave fd). */
export function enclaveBaseOf(p: UserProcess, fd: number): bigint {
  const id = enclIdOfFd(p.k, p.pid, fd);
  return id === null ? 0n : BigInt(enclOf(p.k, id).base);
}

/**
 * The PROT_* a neutral add declares: RW for a TCS (what its mapping needs), else the SECINFO R/W/X
 * (those of a raw `secinfoFlags` when the caller gives one).
 */
export function declaredProt(a: NeutralAdd): number {
  const tcs = a.secinfoFlags !== undefined ? Number((a.secinfoFlags >> 8n) & 0xffn) === SgxPageType.TCS : a.type === 'TCS';
  if (tcs) return PROT_READ | PROT_WRITE;
  return a.secinfoFlags !== undefined ? Number(a.secinfoFlags & 7n) : a.perms & 7;
}

/** One ADD_PAGE per page (D4 v2, D5, D6): `issue(addr, src, secinfo)` returns the ioctl's result. */
export function perPageAdd(p: UserProcess, fd: number, a: NeutralAdd, issue: (addr: bigint, src: bigint, secinfo: Uint8Array) => number): NeutralResult {
  const length = BigInt(a.length);
  if (length === 0n || length % PAGE !== 0n) return { ret: 0, count: 0, unsupported: 'one ADD_PAGE per page: a zero or partial-page length has no encoding' };
  const base = enclaveBaseOf(p, fd);
  const secinfo = neutralSecinfo(a);
  let c = 0n;
  for (; c < length; c += PAGE) {
    const ret = issue((base + BigInt(a.offset) + c) & U64, (BigInt(a.src) + c) & U64, secinfo);
    if (ret !== 0) return { ret, count: Number(c) };
  }
  return { ret: 0, count: Number(c) };
}

/** Why the adapter's SGX2 operations are unsupported. */
export const RFC_NO_SGX2 = 'the 2019 RFC uAPIs have no SGX2 ioctls (the mainline numbers are unknown commands: ENOTTY)';

/** The v20 neutral adapter with a design's ADD translation. */
export function rfcAdapter(addPages: (p: UserProcess, fd: number, a: NeutralAdd) => NeutralResult): DesignAdapter {
  // The mainline SGX2 numbers are unknown commands to the v20 dispatcher: -ENOIOCTLCMD, ENOTTY in userspace.
  const noSgx2: NeutralResult = { ret: -ENOTTY, unsupported: RFC_NO_SGX2 };
  return {
    openEnclave: (p, flags = O_RDWR) => p.open(V20_ENCLAVE_PATH, flags),
    openProvision: (p, flags = O_RDWR) => p.open(V20_PROVISION_PATH, flags),
    create: (p, fd, secs) => ({ ret: ioctlWith(p, fd, V20_IOC_ENCLAVE_CREATE, V20_ENCLAVE_CREATE, { src: secs }) }),
    addPages,
    init(p, fd, sigstruct) {
      if (sigstruct.length !== SIGSTRUCT_SIZE) throw new Error(`a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes`);
      return { ret: ioctlWith(p, fd, V20_IOC_ENCLAVE_INIT, V20_ENCLAVE_INIT, { sigstruct }) };
    },
    provision: (p, fd, provisionFd) => ({ ret: ioctlWith(p, fd, V20_IOC_ENCLAVE_SET_ATTRIBUTE, V20_ENCLAVE_SET_ATTRIBUTE, { attribute_fd: provisionFd }) }),
    restrictPermissions: () => noSgx2,
    modifyTypes: () => noSgx2,
    removePages: () => noSgx2,
    map: (p, fd, addr, len, prot, flags = MAP_SHARED | MAP_FIXED) => p.mmap(addr, len, prot, flags, fd, 0),
  };
}
