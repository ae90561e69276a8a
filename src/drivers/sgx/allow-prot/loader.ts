// The neutral adapter of the v20-based 2019 RFC designs (D4, D5, D6): v20's (v20/adapter.ts) with
// the design's ADD translation.
//
// Adapter: the v20 uAPI names pages by absolute address, so a neutral ADD at `offset` becomes
// `addr = SECS.base + offset`; the base is the one the caller's CREATE gave the enclave (read back
// from the enclave object behind the fd, as a loader knows it from its own SECS). The single-page
// uAPIs issue one ADD_PAGE per page and report `count` as the bytes of the pages that succeeded.
//
// The careful loaders: D4 and D5 use the selftest flow rewritten (designs-spec §12; index.ts of
// each design); D6's own is in ema/loader.ts.
import { PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { DesignAdapter, NeutralAdd, NeutralResult } from '../design.js';
import { perPageAdd, v20NeutralAdapter } from '../v20/adapter.js';

export { enclaveBaseOf, ioctlWith, V20_ENCLAVE_PATH, V20_PROVISION_PATH } from '../v20/adapter.js';

/**
 * The PROT_* a neutral add declares: RW for a TCS (what its mapping needs), else the SECINFO R/W/X
 * (those of a raw `secinfoFlags` when the caller gives one).
 */
export function declaredProt(a: NeutralAdd): number {
  const tcs = a.secinfoFlags !== undefined ? Number((a.secinfoFlags >> 8n) & 0xffn) === SgxPageType.TCS : a.type === 'TCS';
  if (tcs) return PROT_READ | PROT_WRITE;
  return a.secinfoFlags !== undefined ? Number(a.secinfoFlags & 7n) : a.perms & 7;
}

/** Why a length that is not a whole number of pages is unsupported on the single-page RFC uAPIs. */
export const RFC_NO_LENGTH = 'one ADD_PAGE per page: a zero or partial-page length has no encoding';

/** One ADD_PAGE per page (D4 v2, D5, D6): `issue(addr, src, secinfo)` returns the ioctl's result. */
export function rfcPerPageAdd(p: UserProcess, fd: number, a: NeutralAdd, issue: (addr: bigint, src: bigint, secinfo: Uint8Array) => number): NeutralResult {
  return perPageAdd(p, fd, a, RFC_NO_LENGTH, issue);
}

/** Why the adapter's SGX2 operations are unsupported. */
export const RFC_NO_SGX2 = 'the 2019 RFC uAPIs have no SGX2 ioctls (the mainline numbers are unknown commands: ENOTTY)';

/** The v20 neutral adapter with a design's ADD translation. */
export function rfcAdapter(addPages: (p: UserProcess, fd: number, a: NeutralAdd) => NeutralResult): DesignAdapter {
  return v20NeutralAdapter(addPages, RFC_NO_SGX2);
}
