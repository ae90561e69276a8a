// The neutral adapter for the mainline uAPI: each neutral operation is exactly the ioctl (or mmap)
// a mainline loader issues, with its struct marshalled into the process's heap. The SGX2 operations
// are issued with the 6.0 numbers on every mainline version (a 5.11 kernel answers ENOTTY, as the
// selftests' probe expects).
import { O_RDWR } from '../../../abi/fcntl.js';
import { MAP_FIXED, MAP_SHARED } from '../../../abi/mman.js';
import { SGX_SECINFO_REG, SGX_SECINFO_TCS, SIGSTRUCT_SIZE } from '../../../arch/x86/sgx/arch.js';
import { secinfoBytes } from '../../../arch/x86/sgx/secinfo.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { StructLayout, StructLiteral } from '../../../userspace/struct.js';
import type { DesignAdapter, NeutralAdd, NeutralResult, SgxModParams } from '../design.js';
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

/** Issue an ioctl whose argument is a freshly marshalled struct; returns the ret and the struct as the kernel left it. */
export function ioctlStruct(p: UserProcess, fd: number, cmd: number, layout: StructLayout, lit: StructLiteral): { ret: number; out: Record<string, bigint | Uint8Array> } {
  const addr = p.struct(layout, lit);
  const ret = p.ioctl(fd, cmd, addr);
  return { ret, out: p.readStruct(layout, addr) };
}

/** The 64-byte SECINFO for a neutral add. */
export function neutralSecinfo(a: NeutralAdd): Uint8Array {
  const flags = a.secinfoFlags ?? (a.type === 'TCS' ? SGX_SECINFO_TCS : SGX_SECINFO_REG | BigInt(a.perms & 7));
  const b = secinfoBytes(flags);
  if (a.secinfoReserved) b.set(a.secinfoReserved.subarray(0, 56), 8);
  return b;
}

const num = (v: bigint | Uint8Array | undefined): number => (typeof v === 'bigint' ? Number(v) : 0);

export interface MainlineAdapterOptions {
  readonly enclavePath: string;
  readonly provisionPath: string;
}

export function mainlineAdapter(o: MainlineAdapterOptions): DesignAdapter {
  return {
    openEnclave: (p, flags = O_RDWR) => p.open(o.enclavePath, flags),
    openProvision: (p, flags = O_RDWR) => p.open(o.provisionPath, flags),
    create(p, fd, secs): NeutralResult {
      return { ret: ioctlStruct(p, fd, SGX_IOC_ENCLAVE_CREATE, SGX_ENCLAVE_CREATE, { src: secs }).ret };
    },
    addPages(p, fd, a): NeutralResult {
      const r = ioctlStruct(p, fd, SGX_IOC_ENCLAVE_ADD_PAGES, SGX_ENCLAVE_ADD_PAGES, {
        src: a.src,
        offset: a.offset,
        length: a.length,
        secinfo: neutralSecinfo(a),
        flags: a.measure ? SGX_PAGE_MEASURE : 0,
        count: 0,
      });
      return { ret: r.ret, count: num(r.out.count) };
    },
    init(p, fd, sigstruct): NeutralResult {
      if (sigstruct.length !== SIGSTRUCT_SIZE) throw new Error(`a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes`);
      return { ret: ioctlStruct(p, fd, SGX_IOC_ENCLAVE_INIT, SGX_ENCLAVE_INIT, { sigstruct }).ret };
    },
    provision(p, fd, provisionFd): NeutralResult {
      return { ret: ioctlStruct(p, fd, SGX_IOC_ENCLAVE_PROVISION, SGX_ENCLAVE_PROVISION, { fd: provisionFd }).ret };
    },
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
    map: (p, fd, addr, len, prot, flags = MAP_SHARED | MAP_FIXED) => p.mmap(addr, len, prot, flags, fd, 0),
  };
}
