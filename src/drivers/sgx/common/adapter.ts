// The parts every design's neutral adapter (design.ts DesignAdapter) shares: issuing an ioctl with a
// freshly marshalled struct, the SECINFO a neutral add asks for, and an adapter built from the
// design's device paths and ioctls (open, CREATE from a SECS, INIT from a SIGSTRUCT in memory,
// provisioning with an fd, mmap of the enclave; SGX2 operations unsupported unless the design has
// them). Each design supplies its ADD translation and overrides what differs.
import { ENOTTY } from '../../../abi/errno.js';
import { O_RDWR } from '../../../abi/fcntl.js';
import { MAP_FIXED, MAP_SHARED } from '../../../abi/mman.js';
import { SGX_SECINFO_REG, SGX_SECINFO_TCS, SIGSTRUCT_SIZE } from '../../../arch/x86/sgx/arch.js';
import { secinfoBytes } from '../../../arch/x86/sgx/secinfo.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { StructLayout, StructLiteral } from '../../../userspace/struct.js';
import type { DesignAdapter, NeutralAdd, NeutralResult } from '../design.js';

/** Issue an ioctl whose argument is a freshly marshalled struct; returns the ret and the struct as the kernel left it. */
export function ioctlStruct(p: UserProcess, fd: number, cmd: number, layout: StructLayout, lit: StructLiteral): { ret: number; out: Record<string, bigint | Uint8Array> } {
  const addr = p.struct(layout, lit);
  const ret = p.ioctl(fd, cmd, addr);
  return { ret, out: p.readStruct(layout, addr) };
}

/** Issue an ioctl with a freshly marshalled struct; the kernel's return value. */
export function ioctlWith(p: UserProcess, fd: number, cmd: number, layout: StructLayout, lit: StructLiteral): number {
  return p.ioctl(fd, cmd, p.struct(layout, lit));
}

/** The 64-byte SECINFO for a neutral add. */
export function neutralSecinfo(a: NeutralAdd): Uint8Array {
  const flags = a.secinfoFlags ?? (a.type === 'TCS' ? SGX_SECINFO_TCS : SGX_SECINFO_REG | BigInt(a.perms & 7));
  const b = secinfoBytes(flags);
  if (a.secinfoReserved) b.set(a.secinfoReserved.subarray(0, 56), 8);
  return b;
}

/** An ioctl of the design's uAPI and its argument struct. */
export interface IoctlRef {
  readonly cmd: number;
  readonly layout: StructLayout;
}

/** What a design's adapter is built from. */
export interface AdapterSpec {
  readonly enclavePath: string;
  readonly provisionPath: string;
  /** Hold ELRANGE for CREATE the design's way (DesignAdapter.reserve). */
  readonly reserve?: DesignAdapter['reserve'];
  /** CREATE: the ioctl whose struct's `src` points to the SECS. */
  readonly create: IoctlRef;
  readonly addPages: DesignAdapter['addPages'];
  /** INIT: the ioctl whose struct's `sigstruct` points to the SIGSTRUCT, or the design's own way. */
  readonly init: IoctlRef | DesignAdapter['init'];
  /** Provisioning: the ioctl and the name of its struct's fd field. */
  readonly provision: IoctlRef & { readonly field: string };
  /** The design has no SGX2 ioctls: why (each SGX2 operation answers -ENOTTY with it, nothing is issued). */
  readonly noSgx2: string;
}

/** A neutral adapter from a design's paths and ioctls. */
export function designAdapter(spec: AdapterSpec): DesignAdapter {
  const none = (): NeutralResult => ({ ret: -ENOTTY, unsupported: spec.noSgx2 });
  const init = spec.init;
  return {
    openEnclave: (p, flags = O_RDWR) => p.open(spec.enclavePath, flags),
    openProvision: (p, flags = O_RDWR) => p.open(spec.provisionPath, flags),
    ...(spec.reserve ? { reserve: spec.reserve } : {}),
    create: (p, fd, secs) => ({ ret: ioctlStruct(p, fd, spec.create.cmd, spec.create.layout, { src: secs }).ret }),
    addPages: spec.addPages,
    init:
      typeof init === 'function'
        ? init
        : (p, fd, sigstruct) => {
            if (sigstruct.length !== SIGSTRUCT_SIZE) throw new Error(`a SIGSTRUCT is ${SIGSTRUCT_SIZE} bytes`);
            return { ret: ioctlStruct(p, fd, init.cmd, init.layout, { sigstruct }).ret };
          },
    provision: (p, fd, provisionFd) => ({ ret: ioctlStruct(p, fd, spec.provision.cmd, spec.provision.layout, { [spec.provision.field]: provisionFd }).ret }),
    restrictPermissions: none,
    modifyTypes: none,
    removePages: none,
    map: (p, fd, addr, len, prot, flags = MAP_SHARED | MAP_FIXED) => p.mmap(addr, len, prot, flags, fd, 0),
  };
}
