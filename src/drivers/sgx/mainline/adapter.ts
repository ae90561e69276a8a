// The neutral adapter for the mainline uAPI: each neutral operation is exactly the ioctl (or mmap)
// a mainline loader issues, with its struct marshalled into the process's heap. The SGX2 operations
// are issued with the 6.0 numbers on every mainline version (a 5.11 kernel answers ENOTTY, as the
// selftests' probe expects).
import type { DesignAdapter, NeutralAdd, NeutralResult, SgxModParams } from '../design.js';
import { designAdapter, ioctlStruct, neutralSecinfo } from '../common/adapter.js';
import {
  SGX_ENCLAVE_ADD_PAGES,
  SGX_ENCLAVE_CREATE,
  SGX_ENCLAVE_INIT,
  SGX_ENCLAVE_MODIFY_TYPES,
  SGX_ENCLAVE_PROVISION,
  SGX_ENCLAVE_REMOVE_PAGES,
  SGX_ENCLAVE_RESTRICT_PERMISSIONS,
  SGX_IOC_ENCLAVE_ADD_PAGES,
  SGX_IOC_ENCLAVE_CREATE,
  SGX_IOC_ENCLAVE_INIT,
  SGX_IOC_ENCLAVE_MODIFY_TYPES,
  SGX_IOC_ENCLAVE_PROVISION,
  SGX_IOC_ENCLAVE_REMOVE_PAGES,
  SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS,
  SGX_PAGE_MEASURE,
} from './uapi.js';

export { ioctlStruct, neutralSecinfo };

const num = (v: bigint | Uint8Array | undefined): number => (typeof v === 'bigint' ? Number(v) : 0);

export interface MainlineAdapterOptions {
  readonly enclavePath: string;
  readonly provisionPath: string;
  /** ADD_PAGES .flags for a neutral add (default SGX_PAGE_MEASURE when measured; D3 adds its execute intent). */
  readonly addFlags?: (a: NeutralAdd) => number;
  /** The design has no SGX2 ioctls: why (D3 on the mainline uAPI); default: the 6.0 SGX2 ioctls are issued. */
  readonly noSgx2?: string;
}

/** ADD_PAGES with the mainline layout; `count` from the struct the kernel wrote back. */
function mainlineAddPages(flagsOf: (a: NeutralAdd) => number): DesignAdapter['addPages'] {
  return (p, fd, a) => {
    const r = ioctlStruct(p, fd, SGX_IOC_ENCLAVE_ADD_PAGES, SGX_ENCLAVE_ADD_PAGES, {
      src: a.src,
      offset: a.offset,
      length: a.length,
      secinfo: neutralSecinfo(a),
      flags: flagsOf(a),
      count: 0,
    });
    return { ret: r.ret, count: num(r.out.count) };
  };
}

export function mainlineAdapter(o: MainlineAdapterOptions): DesignAdapter {
  const base = designAdapter({
    enclavePath: o.enclavePath,
    provisionPath: o.provisionPath,
    create: { cmd: SGX_IOC_ENCLAVE_CREATE, layout: SGX_ENCLAVE_CREATE },
    addPages: mainlineAddPages(o.addFlags ?? ((a) => (a.measure ? SGX_PAGE_MEASURE : 0))),
    init: { cmd: SGX_IOC_ENCLAVE_INIT, layout: SGX_ENCLAVE_INIT },
    provision: { cmd: SGX_IOC_ENCLAVE_PROVISION, layout: SGX_ENCLAVE_PROVISION, field: 'fd' },
    noSgx2: o.noSgx2 ?? '',
  });
  if (o.noSgx2 !== undefined) return base;
  return {
    ...base,
    restrictPermissions(p, fd, m: SgxModParams): NeutralResult {
      const r = ioctlStruct(p, fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, SGX_ENCLAVE_RESTRICT_PERMISSIONS, {
        offset: m.offset,
        length: m.length,
        permissions: m.value,
        result: m.result ?? 0,
        count: m.count ?? 0,
      });
      return { ret: r.ret, result: num(r.out.result), count: num(r.out.count) };
    },
    modifyTypes(p, fd, m: SgxModParams): NeutralResult {
      const r = ioctlStruct(p, fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, SGX_ENCLAVE_MODIFY_TYPES, {
        offset: m.offset,
        length: m.length,
        page_type: m.value,
        result: m.result ?? 0,
        count: m.count ?? 0,
      });
      return { ret: r.ret, result: num(r.out.result), count: num(r.out.count) };
    },
    removePages(p, fd, m): NeutralResult {
      const r = ioctlStruct(p, fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, SGX_ENCLAVE_REMOVE_PAGES, { offset: m.offset, length: m.length, count: m.count ?? 0 });
      return { ret: r.ret, count: num(r.out.count) };
    },
  };
}
