// The explorer's alphabet: abstract calls over the world's places (tasks, files, slots, enclave
// pages), each carried out as the real system call(s), memory access or vDSO enclave call on the
// model — nothing is short-cut. Addresses are slot and page names, files are roles, fds are "the
// task's fd on that file": the canonical forms that keep the alphabet small. An action whose
// precondition does not hold in a state (no fd to map, nothing mapped to protect, the enclave not
// created) does not exist there; docs/explorer.md "The alphabet" lists every action.
import type { Kernel } from '../../kernel/kernel.js';
import { UserProcess } from '../../userspace/process.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE } from '../../abi/mman.js';
import { O_RDONLY, O_RDWR } from '../../abi/fcntl.js';
import { VM_EXEC, VM_READ, VM_WRITE } from '../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../abi/page.js';
import { SGX_ATTR_DEBUG, SGX_ATTR_MODE64BIT, SGX_SECINFO_MODIFIED, SGX_SECINFO_PENDING, SGX_SECINFO_PR, SGX_SECINFO_R, SGX_SECINFO_REG, SGX_SECINFO_TRIM, SGX_SECINFO_W, SGX_SECINFO_X, SgxPageType } from '../../arch/x86/sgx/arch.js';
import type { EnclaveOp } from '../../arch/x86/sgx/program.js';
import { decodeStruct, encodeStruct } from '../../userspace/struct.js';
import { peekMemory } from '../../scenario/run-trace.js';
import { EINVAL } from '../../abi/errno.js';
import { SGX_SECS } from '../../drivers/sgx/mainline/uapi.js';
import { vdsoSgxEnterEnclave } from '../../drivers/sgx/common/vdso.js';
import { SgxEncl, SGX_ENCL_CREATED, SGX_ENCL_INITIALIZED } from '../../drivers/sgx/common/encl.js';
import { isSgxVma } from '../../drivers/sgx/common/vma.js';
import type { NeutralResult } from '../../drivers/sgx/design.js';
import { enclavePageKeys, updateGhost, type Ghost } from './invariants.js';
import { enclaveOfTask, fdOf, FILE_PAGES, type World } from './world.js';

export type ActionKind = 'open' | 'close' | 'mmap' | 'mmap-encl' | 'mprotect' | 'munmap' | 'write' | 'create' | 'add' | 'init' | 'restrict' | 'modt' | 'remove' | 'enter' | 'passfd';

export type Backing = 'anon-private' | 'anon-shared' | 'file-private' | 'file-shared';

export interface Action {
  readonly id: number;
  readonly kind: ActionKind;
  /** Index in world.tasks. */
  readonly task: number;
  /** One line, e.g. `loader: mmap A img private PROT_READ|PROT_EXEC`. */
  readonly label: string;
  /** Index in world.files (open/close/mmap of a file/passfd). */
  readonly file?: number;
  /** Target range. */
  readonly addr?: number;
  readonly len?: number;
  /** Region name (slot or enclave page or E). */
  readonly region?: string;
  readonly prot?: number;
  readonly backing?: Backing;
  readonly openFlags?: number;
  /** SECINFO R/W/X for ADD/RESTRICT; page type for MODIFY_TYPES. */
  readonly value?: number;
  readonly pageType?: 'REG' | 'TCS';
  /** Index in world.slots (write, ADD source). */
  readonly slot?: number;
  /** The file page a file mapping maps. */
  readonly pgoff?: number;
  /** The enclave page's offset (ADD, SGX2 ioctls). */
  readonly offset?: number;
  readonly program?: readonly EnclaveOp[];
  /** The program as scenario text (`[eaccept(E + 0x1000, REG|R|W|PENDING), eexit()]`). */
  readonly programText?: string;
  /** passfd: receiving task index. */
  readonly to?: number;
}

/** The bytes a `write` action stores (at offset 0x100 of the slot): recognisable in a dump ("WRITTEN!" twice). */
export const WRITE_BYTES = new TextEncoder().encode('WRITTEN!WRITTEN!');
export const WRITE_OFFSET = 0x100;

export const PROT_NAMES = ['PROT_NONE', 'PROT_READ', 'PROT_WRITE', 'PROT_READ|PROT_WRITE', 'PROT_EXEC', 'PROT_READ|PROT_EXEC', 'PROT_WRITE|PROT_EXEC', 'PROT_READ|PROT_WRITE|PROT_EXEC'];
const PERM_NAMES = ['0', 'R', 'W', 'R|W', 'X', 'R|X', 'W|X', 'R|W|X'];

export interface AlphabetOptions {
  /** Include the SGX2 ioctls (when the design has them) and the enclave-side EACCEPT/EMODPE calls. Default true. */
  readonly sgx2?: boolean;
  /** Action kinds to leave out (e.g. ['passfd']). */
  readonly without?: readonly ActionKind[];
  /** Include close(2) of the enclave fd (default false: it only takes capabilities away). */
  readonly close?: boolean;
}

/** The alphabet of a world: every abstract action, numbered. */
export function buildAlphabet(w: World, opts: AlphabetOptions = {}): Action[] {
  const out: Action[] = [];
  const without = new Set(opts.without ?? []);
  const push = (a: Omit<Action, 'id'>): void => {
    if (!without.has(a.kind)) out.push({ ...a, id: out.length });
  };
  const dev = w.files.findIndex((f) => f.role === 'device');
  const fileFiles = w.files.map((f, i) => ({ f, i })).filter((x) => x.f.role !== 'device');
  const E = w.elrange;
  const sgx2 = opts.sgx2 !== false;
  const sup = adapterSupport(w);
  w.tasks.forEach((t, ti) => {
    const main = t.role === 'main';
    const L = (s: string): string => `${t.name}: ${s}`;
    if (main) {
      push({ kind: 'open', task: ti, file: dev, openFlags: O_RDWR, label: L(`open ${w.files[dev].path} O_RDWR`) });
      push({ kind: 'open', task: ti, file: dev, openFlags: O_RDONLY, label: L(`open ${w.files[dev].path} O_RDONLY`) });
    }
    // close(2) only takes a capability away: every action after a close is possible without it
    // (with other fd numbers), so closing is left out unless asked for (docs/explorer.md
    // "Reductions"); only the enclave fd is passed (the other tasks have no use for the others).
    if (opts.close) push({ kind: 'close', task: ti, file: dev, label: L('close dev') });
    if (main) {
      w.slots.forEach((s, si) => {
        const backs: { b: Backing; file?: number; pgoff: number; name: string }[] = [
          { b: 'anon-private', pgoff: 0, name: 'anon private' },
          { b: 'anon-shared', pgoff: 0, name: 'anon shared' },
          ...fileFiles.flatMap(({ f, i }) =>
            Array.from({ length: FILE_PAGES }, (_, pg) => [
              { b: 'file-private' as Backing, file: i, pgoff: pg, name: `${f.name}[${pg}] private` },
              { b: 'file-shared' as Backing, file: i, pgoff: pg, name: `${f.name}[${pg}] shared` },
            ]).flat(),
          ),
        ];
        for (const bk of backs) {
          for (let prot = 0; prot < 8; prot++) {
            push({ kind: 'mmap', task: ti, slot: si, addr: s.addr, len: PAGE_SIZE, region: s.name, backing: bk.b, pgoff: bk.pgoff, ...(bk.file !== undefined ? { file: bk.file } : {}), prot, label: L(`mmap ${s.name} ${bk.name} ${PROT_NAMES[prot]}`) });
          }
        }
      });
    }
    // Other tasks map the whole ELRANGE (and change single pages with mprotect): an owner in
    // Sean's builder/owner split maps what the builder built.
    const encRegions: { name: string; addr: number; len: number }[] = [{ name: 'E', addr: E.base, len: E.size }, ...(main ? w.epages.map((p) => ({ name: p.name, addr: p.addr, len: PAGE_SIZE })) : [])];
    for (const r of encRegions) {
      for (let prot = 0; prot < 8; prot++) push({ kind: 'mmap-encl', task: ti, file: dev, addr: r.addr, len: r.len, region: r.name, prot, label: L(`mmap ${r.name} dev ${PROT_NAMES[prot]}`) });
    }
    const protRegions: { name: string; addr: number; len: number; slot?: number }[] = [...(main ? w.slots.map((s, si) => ({ name: s.name, addr: s.addr, len: PAGE_SIZE, slot: si })) : []), { name: 'E', addr: E.base, len: E.size }, ...w.epages.map((p) => ({ name: p.name, addr: p.addr, len: PAGE_SIZE }))];
    for (const r of protRegions) {
      for (let prot = 0; prot < 8; prot++) push({ kind: 'mprotect', task: ti, addr: r.addr, len: r.len, region: r.name, ...(r.slot !== undefined ? { slot: r.slot } : {}), prot, label: L(`mprotect ${r.name} ${PROT_NAMES[prot]}`) });
    }
    for (const r of main ? protRegions : []) push({ kind: 'munmap', task: ti, addr: r.addr, len: r.len, region: r.name, label: L(`munmap ${r.name}`) });
    if (main) {
      w.slots.forEach((s, si) => push({ kind: 'write', task: ti, slot: si, addr: s.addr + WRITE_OFFSET, region: s.name, label: L(`write ${s.name}`) }));
      push({ kind: 'create', task: ti, file: dev, label: L('ENCLAVE CREATE') });
      const permsMatter = addPermsMatter(w);
      for (const p of w.epages) {
        w.slots.forEach((s, si) => {
          if (p.tcs) {
            push({ kind: 'add', task: ti, file: dev, slot: si, offset: p.offset, addr: p.addr, region: p.name, pageType: 'TCS', value: 0, label: L(`ENCLAVE ADD ${p.name} TCS from ${s.name}`) });
          } else {
            for (let perms = 0; perms < (permsMatter ? 8 : 1); perms++) push({ kind: 'add', task: ti, file: dev, slot: si, offset: p.offset, addr: p.addr, region: p.name, pageType: 'REG', value: perms, label: L(`ENCLAVE ADD ${p.name} REG ${PERM_NAMES[perms]} from ${s.name}`) });
          }
        });
      }
      push({ kind: 'init', task: ti, file: dev, label: L('ENCLAVE INIT (signed as measured)') });
      if (sgx2) {
        for (const p of w.epages) {
          if (p.tcs) continue;
          if (sup.restrict) for (let perms = 0; perms < 8; perms++) push({ kind: 'restrict', task: ti, file: dev, offset: p.offset, addr: p.addr, region: p.name, value: perms, label: L(`RESTRICT_PERMISSIONS ${p.name} ${PERM_NAMES[perms]}`) });
          if (sup.modt) {
            push({ kind: 'modt', task: ti, file: dev, offset: p.offset, addr: p.addr, region: p.name, value: SgxPageType.TCS, label: L(`MODIFY_TYPES ${p.name} TCS`) });
            push({ kind: 'modt', task: ti, file: dev, offset: p.offset, addr: p.addr, region: p.name, value: SgxPageType.TRIM, label: L(`MODIFY_TYPES ${p.name} TRIM`) });
          }
          if (sup.remove) push({ kind: 'remove', task: ti, file: dev, offset: p.offset, addr: p.addr, region: p.name, label: L(`REMOVE_PAGES ${p.name}`) });
        }
      }
    }
    if (sgx2) {
      for (const p of w.epages) {
        if (p.tcs) continue;
        const a = BigInt(p.addr);
        const off = p.offset ? `encl + 0x${p.offset.toString(16)}` : 'encl';
        const progs: [EnclaveOp[], string][] = [
          [[{ op: 'eaccept', addr: a, flags: SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING }], `eaccept(${off}, REG|R|W|PENDING)`],
          [[{ op: 'eaccept', addr: a, flags: SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR }], `eaccept(${off}, REG|R|PR)`],
          [[{ op: 'eaccept', addr: a, flags: SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED }], `eaccept(${off}, TRIM|MODIFIED)`],
          [[{ op: 'emodpe', addr: a, flags: SGX_SECINFO_REG | SGX_SECINFO_X }], `emodpe(${off}, REG|X)`],
          [[{ op: 'emodpe', addr: a, flags: SGX_SECINFO_REG | SGX_SECINFO_W }], `emodpe(${off}, REG|W)`],
          [[{ op: 'emodpe', addr: a, flags: SGX_SECINFO_REG | SGX_SECINFO_W | SGX_SECINFO_X }], `emodpe(${off}, REG|W|X)`],
          [
            [
              { op: 'eaccept', addr: a, flags: SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING },
              { op: 'emodpe', addr: a, flags: SGX_SECINFO_REG | SGX_SECINFO_X },
            ],
            `eaccept(${off}, REG|R|W|PENDING), emodpe(${off}, REG|X)`,
          ],
        ];
        for (const [ops, text] of progs) {
          push({ kind: 'enter', task: ti, addr: p.addr, region: p.name, program: [...ops, { op: 'eexit' }], programText: `[${text}, eexit()]`, label: L(`EENTER [${text}]`) });
        }
      }
    }
    w.tasks.forEach((_, to) => {
      if (to !== ti) push({ kind: 'passfd', task: ti, to, file: dev, label: L(`pass the enclave fd to ${w.tasks[to].name}`) });
    });
  });
  return out;
}

/**
 * Whether the design's ADD passes the neutral permissions to the kernel at all: the adapter is run
 * (on a scratch copy of the start state) for each permission set, and the ioctl arguments it
 * issues are compared byte for byte (nested structs included). D1's ADD has no permission field
 * (the source VMA's are copied), so its eight variants are one action (docs/explorer.md "Reductions").
 */
function addPermsMatter(w: World): boolean {
  const seen = new Set<string>();
  for (let perms = 0; perms < 8; perms++) {
    const k = w.k0.clone();
    const calls: string[] = [];
    const p = new CapturingProcess(k, w.tasks[0].pid, w, calls);
    try {
      w.design.adapter.addPages(p, 3, { offset: PAGE_SIZE, src: w.slots[0].addr, length: PAGE_SIZE, type: 'REG', perms, measure: true });
    } catch {
      return true;
    }
    seen.add(calls.join(';'));
  }
  return seen.size > 1;
}

/** A process whose ioctl(2) records its argument (struct and the structs its pointers lead to) instead of calling the kernel. */
class CapturingProcess extends UserProcess {
  constructor(
    k: Kernel,
    pid: number,
    private readonly w: World,
    private readonly calls: string[],
  ) {
    super(k, pid);
  }
  override ioctl(fd: number, cmd: number, arg: number): number {
    const spec = this.w.design.ioctls.find((i) => i.cmd >>> 0 === cmd >>> 0);
    let text = `${cmd >>> 0}`;
    if (spec?.arg && arg > 0) {
      const bytes = peekMemory(this.k, this.pid, arg, spec.arg.size);
      text += ':' + Array.from(bytes).join(',');
      const v = decodeStruct(spec.arg, bytes);
      for (const f of spec.arg.fields) {
        const ptr = v[f.name];
        if (f.pointer?.kind === 'struct' && typeof ptr === 'bigint' && ptr > 0n && ptr < 1n << 47n) {
          text += '/' + Array.from(peekMemory(this.k, this.pid, Number(ptr), f.pointer.layout.size)).join(',');
        }
      }
    }
    this.calls.push(text);
    return -EINVAL;
  }
}

/** Which SGX2 neutral operations the design's adapter can express (and the driver implements). */
function adapterSupport(w: World): { restrict: boolean; modt: boolean; remove: boolean } {
  if (!w.design.features.sgx2) return { restrict: false, modt: false, remove: false };
  const k = w.k0.clone();
  const p = new UserProcess(k, w.tasks[0].pid);
  const a = w.design.adapter;
  const probe = (f: () => NeutralResult): boolean => {
    try {
      return f().unsupported === undefined;
    } catch {
      return true;
    }
  };
  return {
    restrict: probe(() => a.restrictPermissions(p, -1, { offset: 0, length: PAGE_SIZE, value: 1 })),
    modt: probe(() => a.modifyTypes(p, -1, { offset: 0, length: PAGE_SIZE, value: SgxPageType.TRIM })),
    remove: probe(() => a.removePages(p, -1, { offset: 0, length: PAGE_SIZE })),
  };
}

/**
 * Whether one application of the action can make a state violate an invariant that the state
 * before it did not (on the last level the search applies only these; docs/explorer.md
 * "Search"). A violation needs a page that is executable (I1, I2) or writable and executable
 * (I3) with a bad source or written bytes, so only an action that adds X (or W, for enclave pages)
 * to a mapping, adds a page with a source, or changes bytes can create one:
 *   - mmap of a slot with PROT_EXEC and a file backing (a fresh anonymous mapping holds no written
 *     bytes; a file's pages may have been written through the page cache);
 *   - mprotect adding PROT_EXEC (slots) or PROT_EXEC/PROT_WRITE (enclave pages), enclave mmaps
 *     with PROT_EXEC or PROT_WRITE;
 *   - a store, an ADD, an enclave call with EMODPE.
 * open, close, passing an fd, munmap, CREATE, INIT, the SGX2 ioctls (they restrict, retype or
 * remove) and enclave calls that only EACCEPT (an accepted page has no X) cannot.
 */
export function mayCreateViolation(a: Action): boolean {
  switch (a.kind) {
    case 'mmap':
      return (a.prot! & PROT_EXEC) !== 0 && (a.backing === 'file-private' || a.backing === 'file-shared');
    case 'mprotect':
      return (a.prot! & (a.slot !== undefined ? PROT_EXEC : PROT_EXEC | PROT_WRITE)) !== 0;
    case 'mmap-encl':
      return (a.prot! & (PROT_EXEC | PROT_WRITE)) !== 0;
    case 'write':
    case 'add':
      return true;
    case 'enter':
      return (a.program ?? []).some((op) => op.op === 'emodpe');
    default:
      return false;
  }
}

/** The SECS the explorer's CREATE passes: ELRANGE, one SSA frame, 64-bit, DEBUG, XFRM x87|SSE. */
export function exploreSecs(w: World): Uint8Array {
  return encodeStruct(SGX_SECS, {
    size: BigInt(w.elrange.size),
    base: BigInt(w.elrange.base),
    ssa_frame_size: 1n,
    attributes: SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG,
    xfrm: 3n,
  });
}

const RWX = VM_READ | VM_WRITE | VM_EXEC;

function protOfFlags(flags: number): number {
  return (flags & VM_READ ? PROT_READ : 0) | (flags & VM_WRITE ? PROT_WRITE : 0) | (flags & VM_EXEC ? PROT_EXEC : 0);
}

/** What applying an action did (for counterexample comments and tests). */
export interface Applied {
  readonly ghost: Ghost;
  /** The return value: a syscall's kernel value, 0/-signal for memory, the vDSO's function for enter. */
  readonly ret: number;
}

/**
 * A single enclave page gets its own mmap/mprotect/munmap once it exists, or once the enclave
 * is initialised (then a fault may EAUG it). Before that, a hole is mapped, protected and
 * unmapped with the ELRANGE-wide calls (docs/explorer.md "Reductions").
 */
function isEnclavePage(w: World, a: Action): boolean {
  return a.region !== undefined && a.region !== 'E' && w.epages.some((p) => p.name === a.region);
}

function pageMappable(w: World, k: Kernel, pid: number, a: Action): boolean {
  const id = enclaveOfTask(k, pid, w.devFile);
  if (id === null) return false;
  const e = k.object<SgxEncl>(id);
  return e.has(SGX_ENCL_INITIALIZED) || e.page(a.addr!) !== undefined;
}

/**
 * Whether the action exists in state `k` (its precondition, read only: checked on the parent
 * before a clone is made, so disabled actions cost no clone). applyAction() checks the same.
 */
export function actionEnabled(w: World, k: Kernel, a: Action): boolean {
  const pid = w.tasks[a.task].pid;
  const dev = w.devFile;
  switch (a.kind) {
    case 'open':
      return fdOf(k, pid, dev) < 0;
    case 'close':
      return fdOf(k, pid, w.files[a.file!]) >= 0;
    case 'mmap':
      return a.backing === 'anon-private' || a.backing === 'anon-shared' || fdOf(k, pid, w.files[a.file!]) >= 0;
    case 'mmap-encl':
      return fdOf(k, pid, dev) >= 0 && (a.region === 'E' || pageMappable(w, k, pid, a));
    case 'mprotect': {
      if (isEnclavePage(w, a) && !pageMappable(w, k, pid, a)) return false;
      const vmas = k.mm(pid).vmas.range(a.addr!, a.addr! + a.len!);
      if (vmas.length === 0) return false;
      return !vmas.every((v) => v.start <= a.addr! && v.end >= a.addr! + a.len! && protOfFlags(v.flags & RWX) === a.prot);
    }
    case 'munmap':
      if (isEnclavePage(w, a) && !pageMappable(w, k, pid, a)) return false;
      return k.mm(pid).vmas.range(a.addr!, a.addr! + a.len!).length > 0;
    case 'write':
      return k.mm(pid).vmas.at(a.addr!) !== undefined;
    case 'create': {
      const id = enclaveOfTask(k, pid, dev);
      return id !== null && !k.object<SgxEncl>(id).has(SGX_ENCL_CREATED);
    }
    case 'add': {
      const id = enclaveOfTask(k, pid, dev);
      if (id === null) return false;
      const e = k.object<SgxEncl>(id);
      if (!e.has(SGX_ENCL_CREATED) || e.has(SGX_ENCL_INITIALIZED) || e.page(e.base + a.offset!)) return false;
      return k.mm(pid).vmas.at(w.slots[a.slot!].addr) !== undefined;
    }
    case 'init': {
      const id = enclaveOfTask(k, pid, dev);
      if (id === null) return false;
      const e = k.object<SgxEncl>(id);
      return e.has(SGX_ENCL_CREATED) && !e.has(SGX_ENCL_INITIALIZED);
    }
    case 'restrict':
    case 'modt':
    case 'remove': {
      const id = enclaveOfTask(k, pid, dev);
      if (id === null) return false;
      const e = k.object<SgxEncl>(id);
      return e.has(SGX_ENCL_INITIALIZED) && e.page(e.base + a.offset!) !== undefined;
    }
    case 'enter': {
      const tcs = w.epages.find((p) => p.tcs);
      if (!tcs) return false;
      const v = k.mm(pid).vmas.at(tcs.addr);
      return isSgxVma(v) && typeof v.privateData === 'number' && k.object<SgxEncl>(v.privateData).has(SGX_ENCL_INITIALIZED);
    }
    case 'passfd':
      return fdOf(k, pid, w.files[a.file!]) >= 0 && fdOf(k, w.tasks[a.to!].pid, w.files[a.file!]) < 0;
  }
}

/**
 * Apply an action to `k` (which the caller owns: a fresh clone). Returns null when the action
 * does not exist in this state (its precondition fails), else the new ghost state.
 */
export function applyAction(w: World, k: Kernel, ghost: Ghost, a: Action): Applied | null {
  const t = w.tasks[a.task];
  const pid = t.pid;
  const dev = w.devFile;
  switch (a.kind) {
    case 'open': {
      if (fdOf(k, pid, dev) >= 0) return null;
      return { ghost, ret: k.sys.open(pid, dev.path, a.openFlags!) };
    }
    case 'close': {
      const fd = fdOf(k, pid, w.files[a.file!]);
      if (fd < 0) return null;
      const before = w.files[a.file!].role === 'device' ? enclavePageKeys(k) : null;
      const ret = k.sys.close(pid, fd);
      return { ghost: before ? updateGhost(ghost, k, before, null) : ghost, ret };
    }
    case 'mmap': {
      const shared = a.backing === 'anon-shared' || a.backing === 'file-shared';
      const type = shared ? MAP_SHARED : MAP_PRIVATE;
      if (a.backing === 'anon-private' || a.backing === 'anon-shared') {
        return { ghost, ret: k.sys.mmap(pid, a.addr!, PAGE_SIZE, a.prot!, MAP_FIXED | MAP_ANONYMOUS | type, -1, 0) };
      }
      const fd = fdOf(k, pid, w.files[a.file!]);
      if (fd < 0) return null;
      return { ghost, ret: k.sys.mmap(pid, a.addr!, PAGE_SIZE, a.prot!, MAP_FIXED | type, fd, a.pgoff! * PAGE_SIZE) };
    }
    case 'mmap-encl': {
      const fd = fdOf(k, pid, dev);
      if (fd < 0 || (a.region !== 'E' && !pageMappable(w, k, pid, a))) return null;
      // A mapping adds no enclave page, and the fd keeps the enclave alive: the ghost is unchanged.
      return { ghost, ret: w.design.adapter.map(new UserProcess(k, pid), fd, a.addr!, a.len!, a.prot!) };
    }
    case 'mprotect': {
      if (isEnclavePage(w, a) && !pageMappable(w, k, pid, a)) return null;
      const vmas = k.mm(pid).vmas.range(a.addr!, a.addr! + a.len!);
      if (vmas.length === 0) return null;
      // mprotect() to the protection every VMA of the range already has changes nothing (mprotect_fixup(): newflags == oldflags).
      if (vmas.every((v) => v.start <= a.addr! && v.end >= a.addr! + a.len! && protOfFlags(v.flags & RWX) === a.prot)) return null;
      return { ghost, ret: k.sys.mprotect(pid, a.addr!, a.len!, a.prot!) };
    }
    case 'munmap': {
      if (isEnclavePage(w, a) && !pageMappable(w, k, pid, a)) return null;
      if (k.mm(pid).vmas.range(a.addr!, a.addr! + a.len!).length === 0) return null;
      // Unmapping a slot cannot touch an enclave; unmapping enclave pages may release one.
      if (a.region !== 'E' && !isEnclavePage(w, a)) return { ghost, ret: k.sys.munmap(pid, a.addr!, a.len!) };
      const before = enclavePageKeys(k);
      const ret = k.sys.munmap(pid, a.addr!, a.len!);
      return { ghost: updateGhost(ghost, k, before, null), ret };
    }
    case 'write': {
      if (!k.mm(pid).vmas.at(a.addr!)) return null;
      const r = k.mem.write(pid, a.addr!, WRITE_BYTES);
      return { ghost, ret: r.ok ? 0 : -1 };
    }
    case 'create': {
      const fd = fdOf(k, pid, dev);
      const id = enclaveOfTask(k, pid, dev);
      if (fd < 0 || id === null || k.object<SgxEncl>(id).has(SGX_ENCL_CREATED)) return null;
      return { ghost, ret: w.design.adapter.create(new UserProcess(k, pid), fd, exploreSecs(w)).ret };
    }
    case 'add': {
      const fd = fdOf(k, pid, dev);
      const id = enclaveOfTask(k, pid, dev);
      if (fd < 0 || id === null) return null;
      const e = k.object<SgxEncl>(id);
      if (!e.has(SGX_ENCL_CREATED) || e.has(SGX_ENCL_INITIALIZED) || e.page(e.base + a.offset!)) return null;
      const src = w.slots[a.slot!].addr;
      // An ADD whose source slot is unmapped fails with -EFAULT in every design and changes nothing.
      if (!k.mm(pid).vmas.at(src)) return null;
      const before = enclavePageKeys(k);
      const r = w.design.adapter.addPages(new UserProcess(k, pid), fd, { offset: a.offset!, src, length: PAGE_SIZE, type: a.pageType!, perms: a.value!, measure: true });
      return { ghost: updateGhost(ghost, k, before, { pid, src }), ret: r.ret };
    }
    case 'init': {
      const fd = fdOf(k, pid, dev);
      const id = enclaveOfTask(k, pid, dev);
      if (fd < 0 || id === null) return null;
      const e = k.object<SgxEncl>(id);
      if (!e.has(SGX_ENCL_CREATED) || e.has(SGX_ENCL_INITIALIZED)) return null;
      const sig = w.signer.sigstructFor(k, id);
      if (!sig) return null;
      return { ghost, ret: w.design.adapter.init(new UserProcess(k, pid), fd, sig).ret };
    }
    case 'restrict':
    case 'modt':
    case 'remove': {
      const fd = fdOf(k, pid, dev);
      const id = enclaveOfTask(k, pid, dev);
      if (fd < 0 || id === null) return null;
      const e = k.object<SgxEncl>(id);
      if (!e.has(SGX_ENCL_INITIALIZED) || !e.page(e.base + a.offset!)) return null;
      const p = new UserProcess(k, pid);
      const before = enclavePageKeys(k);
      const ad = w.design.adapter;
      const m = { offset: a.offset!, length: PAGE_SIZE };
      const r = a.kind === 'restrict' ? ad.restrictPermissions(p, fd, { ...m, value: a.value! }) : a.kind === 'modt' ? ad.modifyTypes(p, fd, { ...m, value: a.value! }) : ad.removePages(p, fd, m);
      return { ghost: updateGhost(ghost, k, before, null), ret: r.ret };
    }
    case 'enter': {
      const tcs = w.epages.find((p) => p.tcs);
      if (!tcs) return null;
      const v = k.mm(pid).vmas.at(tcs.addr);
      if (!isSgxVma(v) || typeof v.privateData !== 'number' || !k.object<SgxEncl>(v.privateData).has(SGX_ENCL_INITIALIZED)) return null;
      const before = enclavePageKeys(k);
      const r = vdsoSgxEnterEnclave(k, pid, { leaf: 'EENTER', tcs: tcs.addr, program: a.program! });
      return { ghost: updateGhost(ghost, k, before, null), ret: r.function };
    }
    case 'passfd': {
      const f = w.files[a.file!];
      const fd = fdOf(k, pid, f);
      if (fd < 0 || fdOf(k, w.tasks[a.to!].pid, f) >= 0) return null;
      return { ghost, ret: k.sys.passFd(pid, fd, w.tasks[a.to!].pid) };
    }
  }
}

