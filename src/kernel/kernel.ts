// The whole machine state, its boot, clone, and the entry points other modules build on:
//   const k = Kernel.boot(config?); const pid = k.spawn({ comm, context });
//   k.sys.*  (syscalls: kernel ABI return values)   k.mem.*  (user memory access with fault semantics)
//   k.fs.*   (setup helpers: mounts, files, device nodes, labels)   k.procMaps(pid)   k.clone()
// See docs/kernel.md.
import { BTree } from './btree.js';
import { CowTable, type Clonable } from './cow.js';
import { Trace } from './trace.js';
import { type KernelConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { type TaskRec, type SpawnOptions, type FdEntry, TASK_COMM_LEN, capsFrom } from './task.js';
import { type Lsm, type LsmCred, type LsmFile, type LsmInode, type LsmVma, type InodeClass, noopLsm } from '../security/lsm.js';
import type { Inode, Mount, OpenFile, SuperBlock, FileOperations } from '../fs/types.js';
import { Mm } from '../mm/mm.js';
import type { Vma } from '../mm/vma.js';
import { S_IFMT, S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFLNK, S_IFIFO, S_IFSOCK, S_PRIVATE, MNT_NOEXEC, SB_I_NOEXEC } from '../abi/stat.js';
import { TASK_SIZE, PAGE_SIZE, pageUp } from '../abi/page.js';
import { VM_READ, VM_WRITE, VM_MAYREAD, VM_MAYWRITE, VM_MAYEXEC, VM_GROWSDOWN, VM_ACCOUNT, VM_EXEC } from '../abi/vm_flags.js';
import { READ_IMPLIES_EXEC } from '../abi/personality.js';
import { bootFilesystems, type WellKnown } from '../fs/super.js';
import { FsSetup } from '../fs/setup.js';
import { Syscalls } from './syscalls.js';
import { MemAccess } from '../mm/memory.js';
import { renderProcMaps } from '../mm/maps.js';
import { installFd, fileGet, filePut } from '../fs/file_table.js';
import { provenanceAt, type PageProvenance } from '../mm/provenance.js';

interface Ids {
  pid: number;
  mm: number;
  file: number;
  inode: number;
  sb: number;
  mount: number;
  anonVma: number;
  object: number;
  anonDev: number;
  getNextIno: number;
}

/** Default context of pid 1. */
export const INIT_CONTEXT = 'system_u:system_r:init_t:s0';
/** Default context of spawned tasks. */
export const DEFAULT_CONTEXT = 'unconfined_u:unconfined_r:unconfined_t:s0';

// Deterministic process layout (no ASLR): arch/x86/mm/mmap.c mmap_base() with an 8 MiB stack
// rlimit gives TASK_SIZE - 128 MiB; legacy base TASK_UNMAPPED_BASE = PAGE_ALIGN(TASK_SIZE / 3).
export const STACK_TOP = TASK_SIZE; // 0x7ffffffff000
export const STACK_VMA_START = 0x7ffffffde000;
export const START_STACK = 0x7fffffffe000;
export const START_BRK = 0x555555559000;

export class Kernel {
  readonly config: ResolvedConfig;
  lsm: Lsm;
  trace: Trace;
  /** Syscall entry points. */
  readonly sys: Syscalls;
  /** User-memory access by tasks (loads, stores, instruction fetches). */
  readonly mem: MemAccess;
  /** Setup helpers (not syscalls). */
  readonly fs: FsSetup;

  /** @internal tables; other subsystems use the accessor methods. */
  tasks: BTree<number, TaskRec>;
  mms: CowTable<Mm>;
  files: BTree<number, OpenFile>;
  inodes: BTree<number, Inode>;
  sbs: BTree<number, SuperBlock>;
  mounts: BTree<number, Mount>;
  /** mountpoint path -> mount id. */
  mountpoints: BTree<string, number>;
  /** Character devices: dev_t -> file_operations. */
  chrdevs: BTree<number, FileOperations>;
  /** Driver state objects (copy-on-write across clones). */
  objects: CowTable<Clonable<any>>;
  /** @internal */
  ids: Ids;
  /** @internal */
  wk: WellKnown;
  private owner: object;

  private constructor(config: ResolvedConfig, lsm: Lsm, src?: Kernel) {
    this.config = config;
    this.lsm = lsm;
    if (src) {
      this.owner = {};
      const srcOwner = {};
      this.trace = src.trace.clone();
      this.tasks = src.tasks.clone();
      this.mms = src.mms.fork(srcOwner, this.owner);
      this.objects = src.objects.fork(srcOwner, this.owner);
      src.owner = srcOwner;
      this.files = src.files.clone();
      this.inodes = src.inodes.clone();
      this.sbs = src.sbs.clone();
      this.mounts = src.mounts.clone();
      this.mountpoints = src.mountpoints.clone();
      this.chrdevs = src.chrdevs.clone();
      this.ids = { ...src.ids };
      this.wk = src.wk;
    } else {
      this.owner = {};
      this.trace = new Trace(config.trace);
      this.tasks = new BTree();
      this.mms = new CowTable<Mm>(this.owner);
      this.objects = new CowTable<Clonable<any>>(this.owner);
      this.files = new BTree();
      this.inodes = new BTree();
      this.sbs = new BTree();
      this.mounts = new BTree();
      this.mountpoints = new BTree();
      this.chrdevs = new BTree();
      this.ids = { pid: 1, mm: 1, file: 1, inode: 1, sb: 1, mount: 1, anonVma: 1, object: 1, anonDev: 16, getNextIno: 1000 };
      this.wk = undefined as unknown as WellKnown;
    }
    this.sys = new Syscalls(this);
    this.mem = new MemAccess(this);
    this.fs = new FsSetup(this);
  }

  /** Boot a deterministic machine: root ext4 on "/", devtmpfs on /dev, tmpfs on /tmp and /dev/shm, and pid 1 (init). */
  static boot(config?: KernelConfig): Kernel {
    const rc = resolveConfig(config);
    const k = new Kernel(rc, config?.lsm ?? noopLsm);
    k.wk = bootFilesystems(k);
    const init = k.spawn({ comm: 'init', context: INIT_CONTEXT });
    if (init !== 1) throw new Error('init must be pid 1');
    return k;
  }

  /** O(1) snapshot: the copy and this kernel share nothing mutable. */
  clone(): Kernel {
    return new Kernel(this.config, this.lsm.clone(), this);
  }

  // ------------------------------------------------------------------ tasks

  /** Create a task with a fresh address space (a stack VMA, an empty heap) and no fds. Returns its pid. */
  spawn(opts: SpawnOptions = {}): number {
    const pid = this.ids.pid++;
    const mmId = this.ids.mm++;
    const mm = new Mm(mmId, {
      mmapBase: TASK_SIZE - 128 * 1024 * 1024,
      mmapLegacyBase: pageUp(Math.floor(TASK_SIZE / 3)),
      startBrk: START_BRK,
      brk: START_BRK,
      startStack: START_STACK,
      sp: START_STACK - PAGE_SIZE,
    });
    const personality = opts.personality ?? 0;
    // setup_arg_pages() (fs/exec.c): VM_STACK_FLAGS = VM_GROWSDOWN | VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT;
    // EXSTACK_DISABLE_X (a GNU_STACK without PF_X) clears VM_EXEC.
    let stackFlags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_GROWSDOWN | VM_ACCOUNT;
    if (personality & READ_IMPLIES_EXEC) stackFlags |= VM_EXEC;
    const stack: Vma = Object.freeze({
      start: STACK_VMA_START,
      end: STACK_TOP,
      flags: stackFlags & ~VM_EXEC,
      pgoff: STACK_VMA_START / PAGE_SIZE,
      file: null,
      anonVma: this.ids.anonVma++,
      ops: null,
      privateData: null,
      pkey: 0,
      anonName: null,
    });
    mm.vmas.insert(stack);
    mm.anonWritable.add(stack.start / PAGE_SIZE, stack.end / PAGE_SIZE);
    this.mms.set(mmId, mm);
    const comm = (opts.comm ?? 'task').slice(0, TASK_COMM_LEN - 1);
    this.tasks.set(pid, Object.freeze({
      pid,
      comm,
      context: opts.context ?? DEFAULT_CONTEXT,
      personality,
      caps: capsFrom(opts.capabilities ?? []),
      mm: mmId,
      fds: [],
    }));
    return pid;
  }

  /** The task, or throws (an unknown pid is a caller bug, not user input). */
  task(pid: number): TaskRec {
    const t = this.tasks.get(pid);
    if (!t) throw new Error(`no task with pid ${pid}`);
    return t;
  }

  hasTask(pid: number): boolean {
    return this.tasks.has(pid);
  }

  pids(): number[] {
    return this.tasks.keysArray();
  }

  /** @internal */
  setTask(t: TaskRec): void {
    this.tasks.set(t.pid, Object.freeze(t));
  }

  setContext(pid: number, context: string): void {
    this.setTask({ ...this.task(pid), context });
  }

  setComm(pid: number, comm: string): void {
    this.setTask({ ...this.task(pid), comm: comm.slice(0, TASK_COMM_LEN - 1) });
  }

  setPersonality(pid: number, personality: number): void {
    this.setTask({ ...this.task(pid), personality: personality >>> 0 });
  }

  setCapabilities(pid: number, caps: readonly number[]): void {
    this.setTask({ ...this.task(pid), caps: capsFrom(caps) });
  }

  /** Set the thread's user stack pointer (vma_is_stack_for_current() tests it). */
  setStackPointer(pid: number, sp: number): void {
    this.mmMut(pid).sp = sp;
  }

  /** The task's address space (read-only use). */
  mm(pid: number): Mm {
    const m = this.mms.get(this.task(pid).mm);
    if (!m) throw new Error(`pid ${pid} has no mm`);
    return m;
  }

  /** The task's address space, for modification (copied first if shared with a clone). */
  mmMut(pid: number): Mm {
    const m = this.mms.mut(this.task(pid).mm);
    if (!m) throw new Error(`pid ${pid} has no mm`);
    return m;
  }

  // ------------------------------------------------------------------ fds and files

  /** The file behind fd, or undefined. */
  fdFile(pid: number, fd: number): OpenFile | undefined {
    const t = this.tasks.get(pid);
    if (!t || !Number.isInteger(fd) || fd < 0) return undefined;
    const e = t.fds[fd];
    return e ? this.files.get(e.file) : undefined;
  }

  fdEntry(pid: number, fd: number): FdEntry | undefined {
    const t = this.tasks.get(pid);
    if (!t || !Number.isInteger(fd) || fd < 0) return undefined;
    return t.fds[fd];
  }

  file(id: number): OpenFile {
    const f = this.files.get(id);
    if (!f) throw new Error(`no open file ${id}`);
    return f;
  }

  /** @internal */
  setFile(f: OpenFile): void {
    this.files.set(f.id, Object.freeze(f));
  }

  /** Set file->private_data (drivers). */
  setFilePrivateData(fileId: number, data: unknown): void {
    this.setFile({ ...this.file(fileId), privateData: data });
  }

  /** Install an existing open file in pid's fd table (lowest free fd); takes a reference. Returns the fd or -EMFILE. */
  installFile(pid: number, fileId: number, cloexec = false): number {
    return installFd(this, pid, fileId, cloexec);
  }

  /** get_file(). */
  getFile(fileId: number): void {
    fileGet(this, fileId);
  }

  /** fput(): drop a reference, releasing the file (driver ->release) at zero. */
  putFile(fileId: number): void {
    filePut(this, fileId);
  }

  /**
   * Pass fd of fromPid to toPid as over a unix socket with SCM_RIGHTS: security_file_receive() in
   * the receiver, then the lowest free fd. Returns the new fd or -errno (-EBADF, -EMFILE, LSM errno).
   */
  passFd(fromPid: number, fd: number, toPid: number): number {
    return this.sys.passFd(fromPid, fd, toPid);
  }

  inode(id: number): Inode {
    const i = this.inodes.get(id);
    if (!i) throw new Error(`no inode ${id}`);
    return i;
  }

  /** @internal */
  setInode(i: Inode): void {
    this.inodes.set(i.id, Object.freeze(i));
  }

  sb(id: number): SuperBlock {
    const s = this.sbs.get(id);
    if (!s) throw new Error(`no superblock ${id}`);
    return s;
  }

  mount(id: number): Mount {
    const m = this.mounts.get(id);
    if (!m) throw new Error(`no mount ${id}`);
    return m;
  }

  /** Allocate an id for an anon_vma. */
  newAnonVma(): number {
    return this.ids.anonVma++;
  }

  // ------------------------------------------------------------------ driver state

  /** Store a driver state object; returns its id (keep the id in private data). */
  newObject<T extends Clonable<T>>(obj: T): number {
    const id = this.ids.object++;
    this.objects.set(id, obj);
    return id;
  }

  /** Read a driver state object. Do not mutate what this returns: use objectMut(). */
  object<T>(id: number): T {
    const o = this.objects.get(id);
    if (o === undefined) throw new Error(`no kernel object ${id}`);
    return o as T;
  }

  /** A driver state object this kernel owns (cloned first if shared with a clone): mutate this one. */
  objectMut<T>(id: number): T {
    const o = this.objects.mut(id);
    if (o === undefined) throw new Error(`no kernel object ${id}`);
    return o as T;
  }

  deleteObject(id: number): void {
    this.objects.delete(id);
  }

  // ------------------------------------------------------------------ LSM views

  cred(pid: number): LsmCred {
    const t = this.task(pid);
    return { pid: t.pid, comm: t.comm, context: t.context };
  }

  lsmInode(inodeId: number): LsmInode {
    const i = this.inode(inodeId);
    const sb = this.sb(i.sb);
    return {
      id: i.id,
      ino: i.ino,
      mode: i.mode,
      dev: sb.sId,
      fstype: sb.fstype,
      isPrivate: (i.iflags & S_PRIVATE) !== 0,
      label: i.label,
      sbDefaultLabel: sb.defaultLabel,
      inodeClass: i.inodeClass ?? inodeClassOf(i.mode),
      name: i.name,
    };
  }

  lsmFile(fileId: number): LsmFile {
    const f = this.file(fileId);
    return {
      id: f.id,
      path: f.path,
      inode: this.lsmInode(f.inode),
      fmode: f.fmode,
      flags: f.flags,
      cred: f.cred,
      noexec: this.pathNoexec(f),
    };
  }

  lsmVma(pid: number, v: Vma): LsmVma {
    const mm = this.mm(pid);
    return {
      start: v.start,
      end: v.end,
      flags: v.flags,
      file: v.file === null ? null : this.lsmFile(v.file),
      anonVma: v.anonVma !== null,
      startBrk: mm.startBrk,
      brk: mm.brk,
      startStack: mm.startStack,
      // vma_is_stack_for_current() (mm/util.c): vm_start <= KSTK_ESP(current) && vm_end >= KSTK_ESP(current)
      isStackForCurrent: v.start <= mm.sp && mm.sp <= v.end,
    };
  }

  /** path_noexec(): MNT_NOEXEC on the mount or SB_I_NOEXEC on the superblock (fs/exec.c). */
  pathNoexec(f: OpenFile): boolean {
    const inode = this.inode(f.inode);
    const sb = this.sb(inode.sb);
    if (sb.iflags & SB_I_NOEXEC) return true;
    if (f.mount !== null && this.mount(f.mount).flags & MNT_NOEXEC) return true;
    return false;
  }

  // ------------------------------------------------------------------ views

  /** The exact text of /proc/<pid>/maps. */
  procMaps(pid: number): string {
    return renderProcMaps(this, pid);
  }

  /** Where the bytes of the page at addr came from, and whether the process could ever write it (null if unmapped). */
  provenance(pid: number, addr: number): PageProvenance | null {
    return provenanceAt(this, pid, addr);
  }
}

/** inode_mode_to_security_class() (security/selinux/hooks.c). */
export function inodeClassOf(mode: number): InodeClass {
  switch (mode & S_IFMT) {
    case S_IFSOCK:
      return 'sock_file';
    case S_IFLNK:
      return 'lnk_file';
    case S_IFREG:
      return 'file';
    case S_IFBLK:
      return 'blk_file';
    case S_IFDIR:
      return 'dir';
    case S_IFCHR:
      return 'chr_file';
    case S_IFIFO:
      return 'fifo_file';
  }
  return 'file';
}
