// The SGX driver design interface. Every historical design of the 2019 "SGX vs LSM" debate and
// the two mainline drivers (D0..D8, docs/designs.md) is one folder under src/drivers/sgx/ that
// exports one or more SgxDesign objects and registers them (registry.ts). A design says:
//   - where it comes from (provenance: Message-IDs or a kernel version);
//   - its devices (paths, misc names, the SELinux labels the built-in file contexts give them);
//   - its ioctls, with numbers and exact struct layouts (pointer fields and what they point to),
//     so the scenario runner can marshal struct literals and decode results;
//   - the LSM hooks it adds and the SELinux permissions those need declared;
//   - how it installs itself into a kernel (install());
//   - a neutral adapter (create / add pages / init / provision / SGX2 ops / map) translating the
//     shared suite's and the loaders' intentions into its own ioctls;
//   - its canonical loader and how each loader flow translates to it.
//
// Variants are first-class: a design has an id (D0..D8) and an optional variant ('static' /
// 'dynamic' for D3, 'v1' / 'v2' for D4); `key` is `D3-static`, `D4-v1`, or just `D7`.
import type { Kernel } from '../../kernel/kernel.js';
import type { Crypto } from '../../platform/crypto.js';
import type { SgxCpuConfig, SgxCpuOptions } from '../../arch/x86/sgx/cpu.js';
import type { DesignSymbols } from '../../scenario/symbols.js';
import type { StructLayout } from '../../userspace/struct.js';
import type { UserProcess } from '../../userspace/process.js';
import type { FlowPlan, LoadResult } from './loaders/types.js';
import type { EnclaveImage } from './loaders/image.js';

export const DESIGN_IDS = ['D0', 'D1', 'D2', 'D3', 'D4', 'D5', 'D6', 'D7', 'D8'] as const;
export type DesignId = (typeof DESIGN_IDS)[number];

/** Where a design comes from. */
export interface Provenance {
  /** 'lkml': posted patches or mails (refs are Message-IDs); 'kernel': merged code (refs name versions/commits). */
  readonly kind: 'lkml' | 'kernel';
  readonly refs: readonly string[];
  /** ISO date of the first post, or of the kernel release. */
  readonly date: string;
  readonly authors: readonly string[];
  /** One paragraph: what the design is. */
  readonly summary: string;
}

export type DeviceRole = 'enclave' | 'provision';

/** A character device the design registers. */
export interface DeviceSpec {
  readonly role: DeviceRole;
  /** The node path, e.g. /dev/sgx_enclave or /dev/sgx/enclave. */
  readonly path: string;
  /** misc_register() name (node /dev/<misc>); null when the design uses its own char major. */
  readonly misc: string | null;
  /** The SELinux context the built-in file contexts give the node (Fedora's types). */
  readonly label: string;
  /** i_mode permission bits of the node. */
  readonly mode: number;
}

/** One ioctl of the design's uAPI. */
export interface IoctlSpec {
  /** uAPI name, e.g. SGX_IOC_ENCLAVE_ADD_PAGES. */
  readonly name: string;
  /** The command number (_IOC encoding, include/uapi/asm-generic/ioctl.h). */
  readonly cmd: number;
  /** The macro as written in the uAPI header, e.g. "_IOWR(SGX_MAGIC, 0x01, struct sgx_enclave_add_pages)". */
  readonly macro: string;
  /** Which device's fd it is issued on. */
  readonly device: DeviceRole;
  /** The argument struct (null: the argument is not a pointer). */
  readonly arg: StructLayout | null;
  /** What it returns, in words (errno values are in docs/designs.md and the tests). */
  readonly returns: string;
  readonly doc: string;
  /** First kernel / revision that has it (for mainline: "5.11", "6.0"). */
  readonly since?: string;
}

/** An LSM hook a design adds (documentation + the trace's hook name). */
export interface HookSpec {
  /** security_* name, e.g. security_enclave_load. */
  readonly name: string;
  /** C signature as posted. */
  readonly signature: string;
  /** Where the driver calls it. */
  readonly calledFrom: string;
  /** What the SELinux side checks. */
  readonly selinux: string;
}

/** A SELinux permission the design uses that mainline's classmap lacks (declared in the built-in policies). */
export interface PermSpec {
  readonly tclass: string;
  readonly perm: string;
  readonly meaning: string;
}

/** The loader flows of docs/designs.md "Loaders" (designs-spec §11); designs may add their own careful loader. */
export type LoaderKind = 'selftest' | 'gramine' | 'psw' | 'careful';

/** How a loader flow maps onto a design (designs-spec §12). */
export type LoaderSupport =
  | { readonly kind: 'native' }
  /** A mechanical rewrite makes it work; `how` says which; `plan` changes the flow's mapping steps (loaders/types.ts). */
  | { readonly kind: 'rewrite'; readonly how: string; readonly plan?: Partial<FlowPlan> }
  | { readonly kind: 'untranslatable'; readonly why: string };

/** Design-level features the shared suite and the loaders consult. */
export interface DesignFeatures {
  /** The driver implements EAUG-on-fault and the SGX2 ioctls (given an SGX2 CPU). */
  readonly sgx2: boolean;
  /** A mapping of the enclave fd is refused after the first page was added (D1). */
  readonly mmapAfterAdd: boolean;
  /** Pages can be mapped (with PROT != NONE) over holes in ELRANGE (mainline: yes; D4/D5: no). */
  readonly mapHoles: boolean;
}

export interface InstallOptions {
  /** Cryptography for the CPU model (SHA-256, RSA verify in EINIT). */
  readonly crypto: Crypto;
  /** The SGX CPU: options for sgxCpuConfig() or a built configuration. Default: sgxCpuConfig({}). */
  readonly cpu?: SgxCpuOptions | SgxCpuConfig;
  /** Design-specific driver options (documented per design; unknown keys are an error). */
  readonly driver?: Readonly<Record<string, unknown>>;
  /** Also create the /dev/sgx/{enclave,provision} nodes the udev rules of SGX-aware distributions add (PSW looks there first). */
  readonly devSgxLinks?: boolean;
}

/** What install() did. */
export interface SgxInstall {
  readonly design: SgxDesign;
  /** k.objects id of the SgxPlatform (hardware + EPC allocator); clones with the kernel. */
  readonly platform: number;
  /** Device paths by role (only registered ones). */
  readonly devices: Readonly<Partial<Record<DeviceRole, string>>>;
}

// ------------------------------------------------------------------------ neutral adapter

/** What the shared suite and the loaders ask for when adding pages; each design translates it. */
export interface NeutralAdd {
  /** Offset of the first page from the enclave base (bigint for out-of-range negative tests). */
  readonly offset: number | bigint;
  /** User address of the source bytes (page aligned for a well-behaved caller). */
  readonly src: number | bigint;
  /** Bytes (a multiple of 4096 for a well-behaved caller). */
  readonly length: number | bigint;
  readonly type: 'REG' | 'TCS';
  /** SECINFO R/W/X bits (1/2/4) the page gets; ignored for TCS (SECINFO perms 0, mapping max RW). */
  readonly perms: number;
  /** EEXTEND every chunk (SGX_PAGE_MEASURE / mrmask 0xffff). */
  readonly measure: boolean;
  /** Raw SECINFO.FLAGS to pass instead of the one derived from type/perms (negative tests). */
  readonly secinfoFlags?: bigint;
  /** Raw bytes 8..63 of the SECINFO (negative tests); default zeros. */
  readonly secinfoReserved?: Uint8Array;
}

/** Result of one neutral operation: the syscall's kernel return value plus decoded outputs. */
export interface NeutralResult {
  readonly ret: number;
  /** Bytes processed (ADD_PAGES and the SGX2 ioctls' `count`), when the design reports it. */
  readonly count?: number;
  /** The SGX2 ioctls' `result` (ENCLS error code). */
  readonly result?: number;
  /** Set when the design has no way to express the operation (the string says why). */
  readonly unsupported?: string;
}

export interface SgxModParams {
  readonly offset: number | bigint;
  readonly length: number | bigint;
  /** RESTRICT_PERMISSIONS: permissions; MODIFY_TYPES: page_type. */
  readonly value: number | bigint;
  /** Input values of result/count (the kernel requires 0). */
  readonly result?: number | bigint;
  readonly count?: number | bigint;
}

/** The design-neutral operations. Every method issues the design's own syscalls through `p`. */
export interface DesignAdapter {
  /** open() the enclave device (O_RDWR unless flags given); the fd or -errno. */
  openEnclave(p: UserProcess, flags?: number): number;
  /** open() the provisioning device; the fd or -errno (-ENOENT if the design has none). */
  openProvision(p: UserProcess, flags?: number): number;
  /**
   * Optional: hold an ELRANGE of `size` bytes (a power of two) for CREATE the way the design
   * needs it, and return its base (or -errno). Absent: reserveElrange() (loaders/flows.ts), the
   * 2×size PROT_NONE anonymous reservation aligned to the size of load.c encl_map_area(). A design
   * whose CREATE needs the range mapped from the enclave fd (D1) maps it here.
   */
  reserve?(p: UserProcess, fd: number, size: number): number;
  /** ECREATE from a 4096-byte SECS. */
  create(p: UserProcess, fd: number, secs: Uint8Array): NeutralResult;
  addPages(p: UserProcess, fd: number, a: NeutralAdd): NeutralResult;
  /** EINIT with a 1808-byte SIGSTRUCT. */
  init(p: UserProcess, fd: number, sigstruct: Uint8Array): NeutralResult;
  /** Allow PROVISIONKEY via an fd of the provisioning device. */
  provision(p: UserProcess, fd: number, provisionFd: number): NeutralResult;
  restrictPermissions(p: UserProcess, fd: number, m: SgxModParams): NeutralResult;
  modifyTypes(p: UserProcess, fd: number, m: SgxModParams): NeutralResult;
  removePages(p: UserProcess, fd: number, m: Omit<SgxModParams, 'value' | 'result'>): NeutralResult;
  /** Map [addr, addr+len) of the enclave with `prot` (default flags MAP_SHARED|MAP_FIXED); the address or -errno. */
  map(p: UserProcess, fd: number, addr: number, len: number, prot: number, flags?: number): number;
}

// ------------------------------------------------------------------------ the design

export interface SgxDesign {
  readonly id: DesignId;
  /** null, or the variant name ('static' | 'dynamic' for D3, 'v1' | 'v2' for D4). */
  readonly variant: string | null;
  /** Unique key: id, or id-variant (D3-static). */
  readonly key: string;
  /** Short name (v20, copy-source-perms, sigstruct-file, execute-intent, allow-prot, sgx-perms, ema, mainline-5.11, mainline-6.0). */
  readonly slug: string;
  readonly title: string;
  readonly provenance: Provenance;
  readonly devices: readonly DeviceSpec[];
  readonly ioctls: readonly IoctlSpec[];
  /** Other uAPI constants (SGX_PAGE_MEASURE, SGX_MAGIC, ...). */
  readonly constants: Readonly<Record<string, number | bigint>>;
  readonly hooks: readonly HookSpec[];
  readonly permissions: readonly PermSpec[];
  readonly features: DesignFeatures;
  /** The loader a careful userspace author writes for this design. */
  readonly canonicalLoader: LoaderKind;
  /** How each loader flow maps onto this design. */
  readonly loaders: Readonly<Partial<Record<LoaderKind, LoaderSupport>>>;
  /** The design's own 'careful' loader flow (needed when canonicalLoader or a loaders entry is 'careful'). */
  readonly carefulLoader?: (p: UserProcess, img: EnclaveImage) => LoadResult;
  /** Register the devices and attach the SGX platform to the kernel (k.objects; clones with k). */
  install(k: Kernel, opts: InstallOptions): SgxInstall;
  readonly adapter: DesignAdapter;
  /** The names a scenario may use for this design (ioctl numbers and uAPI constants). */
  symbols(): DesignSymbols;
}

/** The design's key from id and variant. */
export function designKey(id: DesignId, variant: string | null): string {
  return variant ? `${id}-${variant}` : id;
}

/** symbols() for a design: its ioctl table and constants. */
export function designSymbols(d: Pick<SgxDesign, 'key' | 'ioctls' | 'constants'>): DesignSymbols {
  const ioctls: Record<string, number> = {};
  for (const i of d.ioctls) ioctls[i.name] = i.cmd;
  return { id: d.key, ioctls, constants: d.constants };
}

/** The ioctl named `name` (throws for a name the design lacks: a caller bug). */
export function ioctlOf(d: Pick<SgxDesign, 'key' | 'ioctls'>, name: string): IoctlSpec {
  const i = d.ioctls.find((x) => x.name === name);
  if (!i) throw new Error(`design ${d.key} has no ioctl ${name}`);
  return i;
}
