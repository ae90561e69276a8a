// SELinux as the kernel model's LSM: the hooks of security/selinux/hooks.c (Linux 6.1) an
// enclave loader meets, over the AVC of ./avc.ts and the labels of ./label.ts.
//
//   const k = bootWithSelinux({ policy: 'builtin:default' });   // ./boot.ts
//   selinuxOf(k).setEnforcing(false); selinuxOf(k).setBoolean('sgx_loader_execmem', true);
//
// Every AVC query a hook makes is recorded in k.trace (kind 'avc', when the trace is enabled)
// with the hook, the hooks.c helper that asked, the contexts, class, permissions, decision, errno,
// whether it was audited, permissive, and the kernel's audit line when one is logged. Denials
// return -EACCES. Checks that are not SELinux's (DAC EPERM, noexec EPERM, VM_MAY* EACCES) stay in
// the kernel model, in the kernel's order relative to these hooks.
//
// State (all of it cloned in O(1) by clone()): the AVC (cache, permissive grants, booleans,
// enforcing), the per-file security blobs (fsec: inode SID and policy seqno at open), the
// policy seqno, and `context=` mounts. Docs: docs/selinux.md "Hooks".
import { BTree } from '../../kernel/btree.js';
import type { Kernel } from '../../kernel/kernel.js';
import { versionAtLeast } from '../../kernel/config.js';
import type { Lsm, LsmCred, LsmFile, LsmInode, LsmVma, LsmLabelResult, InodeClass } from '../lsm.js';
import { Avc, untrustedString, type AuditData, type AvcEvent } from './avc.js';
import type { KernelClassmap } from './classmap.js';
import type { Policy } from './policy.js';
import type { FileContextEntry } from './builtin.js';
import {
  type FsLabelRules, NO_FS_RULES, builtinFsLabelRules, builtinName, computeObjectContext, contextText,
  isValidContext, splitContext, policyFsType, matchPathCon, fileTypeLetter, pathInNamespace, BUILTIN_FILE_CONTEXTS,
} from './label.js';
import { PROT_EXEC, PROT_WRITE, MAP_TYPE, MAP_SHARED } from '../../abi/mman.js';
import { VM_EXEC, VM_SHARED } from '../../abi/vm_flags.js';
import { MAY_EXEC, MAY_WRITE, MAY_READ, MAY_APPEND, FMODE_READ, FMODE_WRITE, O_APPEND, FIOCLEX, FIONCLEX } from '../../abi/fcntl.js';
import { S_IFMT, S_IFDIR } from '../../abi/stat.js';

// ioctl numbers selinux_file_ioctl() special-cases (include/uapi/asm-generic/ioctls.h,
// include/uapi/linux/fs.h on x86-64, include/uapi/linux/kd.h).
export const FIONREAD = 0x541b;
export const FIONBIO = 0x5421;
export const FIOASYNC = 0x5452;
export const FIBMAP = 0x1; // _IO(0x00, 1)
export const FIGETBSZ = 0x2; // _IO(0x00, 2)
export const FS_IOC_GETFLAGS = 0x80086601; // _IOR('f', 1, long)
export const FS_IOC_SETFLAGS = 0x40086602; // _IOW('f', 2, long)
export const FS_IOC_GETVERSION = 0x80087601; // _IOR('v', 1, long)
export const FS_IOC_SETVERSION = 0x40087602; // _IOW('v', 2, long)
export const KDSKBENT = 0x4b47;
export const KDSKBSENT = 0x4b49;
/** include/uapi/linux/capability.h */
const CAP_SYS_TTY_CONFIG = 26;

/** An AVC decision as recorded in the trace (kind 'avc'). */
export interface AvcTraceEvent {
  pid: number;
  /** The LSM hook ('mmap_file', 'file_mprotect', 'inode_permission', ...). */
  hook: string;
  /** The hooks.c function that asked the AVC ('file_map_prot_check', 'file_has_perm', 'ioctl_has_perm', ...). */
  check: string;
  scontext: string;
  tcontext: string;
  tclass: string;
  requested: readonly string[];
  /** The permissions the audit record lists (the audited ones; the denied ones when not audited; else the requested ones). */
  perms: readonly string[];
  /** 'denied' when the policy does not allow every requested permission (also when permissive let it through). */
  decision: 'granted' | 'denied';
  /** What the check returned: 0 or -13 (-EACCES). */
  ret: number;
  errno: string | null;
  audited: boolean;
  /** A denial let through by permissive mode (global or per domain). */
  permissive: boolean;
  /** The kernel's audit text when the decision is logged, else null. */
  line: string | null;
  /** ioctl command (extended permission checks). */
  ioctlcmd: number | null;
}

declare module '../../kernel/trace.js' {
  interface TraceEventMap {
    /** An AVC query made by an SELinux hook (src/security/selinux/hooks.ts). */
    avc: AvcTraceEvent;
  }
}

export interface SelinuxOptions {
  policy: Policy;
  /** Default true. */
  enforcing?: boolean;
  /** Boolean values overriding the policy defaults. */
  booleans?: Readonly<Record<string, boolean>>;
  /** `semanage permissive -a TYPE` for each. */
  permissiveDomains?: readonly string[];
  /** fs_use_* / genfscon statements (default: those of a builtin policy, else none). */
  fsRules?: FsLabelRules;
  /**
   * file_contexts used for device nodes devtmpfs created without a label (udev relabels them
   * with restorecon). Default: the built-in table for builtin policies, else none.
   */
  fileContexts?: readonly FileContextEntry[] | null;
  /**
   * checkreqprot=1: check the protection userspace asked for instead of the one the kernel
   * applies (READ_IMPLIES_EXEC). Honoured by kernels before 6.4 only ("selinux: remove the
   * 'checkreqprot' functionality", 6.4); default false (the 6.1 default,
   * CONFIG_SECURITY_SELINUX_CHECKREQPROT_VALUE=0).
   */
  checkreqprot?: boolean;
  /** default_noexec (selinux_init(): !(VM_DATA_DEFAULT_FLAGS & VM_EXEC)); 1 on x86. Default true. */
  defaultNoexec?: boolean;
  /** The kernel's classes and permissions (default: Linux 6.1 + SGX design permissions). */
  classmap?: KernelClassmap;
}

/** file_security_struct fields set by selinux_file_open(). */
interface Fsec {
  readonly isid: number;
  readonly pseqno: number;
}

/** Immutable configuration shared by every clone. */
interface Config {
  readonly policy: Policy;
  readonly fsRules: FsLabelRules;
  readonly fileContexts: readonly FileContextEntry[] | null;
  readonly checkreqprot: boolean;
  readonly defaultNoexec: boolean;
  readonly openPerms: boolean;
  readonly ioctlSkipCloexec: boolean;
  readonly unlabeled: string;
  /** SECINITSID_FILE: default of fs_use_xattr filesystems. */
  readonly fileInit: string;
  /** SECINITSID_KERNEL: creator of inodes the model made without a task (setup helpers). */
  readonly kernelInit: string | null;
  /** AVC class ids and permission masks of the classes the hooks use. */
  readonly classes: ReadonlyMap<string, ClassBits>;
}

const NO_AUDIT: AuditData = { type: 'NONE', pid: 0, comm: '' };
/** What formatAvcLine() writes for the dev=/ino= of a DENTRY record built with dev '' and ino 0. */
const NEGATIVE_DENTRY_FIELDS = ' dev="" ino=0';

// The permission sets the hooks ask, as constants: their masks are computed once per class.
const P_USE = ['use'] as const;
const P_MAP = ['map'] as const;
const P_EXECMEM = ['execmem'] as const;
const P_EXECHEAP = ['execheap'] as const;
const P_EXECSTACK = ['execstack'] as const;
const P_EXECMOD = ['execmod'] as const;
const P_MMAP_ZERO = ['mmap_zero'] as const;
const P_TTY_CONFIG = ['sys_tty_config'] as const;
const P_CREATE = ['create'] as const;
const P_GETATTR = ['getattr'] as const;
const P_SETATTR = ['setattr'] as const;
const P_NONE = [] as const;
const P_ADD_NAME_SEARCH = ['add_name', 'search'] as const;
const P_ASSOCIATE = ['associate'] as const;
const P_R = ['read'] as const;
const P_RW = ['read', 'write'] as const;
const P_RX = ['read', 'execute'] as const;
const P_RWX = ['read', 'write', 'execute'] as const;
const CONST_SETS: readonly (readonly string[])[] = [P_ADD_NAME_SEARCH, P_ASSOCIATE, P_USE, P_MAP, P_EXECMEM, P_EXECHEAP, P_EXECSTACK, P_EXECMOD, P_MMAP_ZERO, P_TTY_CONFIG, P_CREATE, P_GETATTR, P_SETATTR, P_R, P_RW, P_RX, P_RWX];
/** The classes the hooks ask about. */
const HOOK_CLASSES = ['file', 'dir', 'chr_file', 'blk_file', 'lnk_file', 'fifo_file', 'sock_file', 'anon_inode', 'memfd_file', 'fd', 'process', 'memprotect', 'capability', 'filesystem'];

/** An AVC class id with the bit of each permission and the masks of CONST_SETS (built once, never changed). */
interface ClassBits {
  readonly cid: number;
  readonly bit: ReadonlyMap<string, number>;
  readonly masks: ReadonlyMap<readonly string[], number>;
}

function classBits(avc: Avc): ReadonlyMap<string, ClassBits> {
  const out = new Map<string, ClassBits>();
  for (const name of HOOK_CLASSES) {
    let cid: number;
    try {
      cid = avc.classId(name);
    } catch {
      continue; // a custom classmap without it: the AVC resolves (and rejects) names itself
    }
    const bit = new Map<string, number>();
    avc.permNames(cid, 0xffffffff).forEach((perm, i) => bit.set(perm, (1 << i) >>> 0));
    const masks = new Map<readonly string[], number>();
    for (const set of CONST_SETS) {
      if (!set.every((x) => bit.has(x))) continue;
      masks.set(set, set.reduce((m, x) => (m | bit.get(x)!) >>> 0, 0));
    }
    out.set(name, { cid, bit, masks });
  }
  return out;
}

/** What the trace sink needs about the query in flight. */
interface InFlight {
  k: Kernel;
  pid: number;
  hook: string;
  check: string;
  s: string;
  t: string;
  /** LSM_AUDIT_DATA_DENTRY of a negative dentry: name= only (lsm_audit.c prints dev=/ino= only with an inode). */
  negativeDentry: boolean;
}

function initialSidContext(p: Policy, name: string): string | null {
  const is = p.initialSids.find((x) => x.name === name);
  return is?.context ? contextText(is.context) : null;
}

export class SelinuxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelinuxError';
  }
}

/** SELinux, implementing the kernel model's Lsm interface. */
export class SelinuxLsm implements Lsm {
  readonly name = 'selinux';
  readonly policy: Policy;
  /** The access vector cache (use the methods of this class to change modes and booleans). */
  readonly avc: Avc;
  private readonly cfg: Config;
  private fsecs: BTree<number, Fsec>;
  /** avc_policy_seqno(): bumped by boolean changes and policy (permissive) reloads. */
  private seqno: number;
  /** `context=` mounts: superblock id -> context (SECURITY_FS_USE_MNTPOINT). */
  private mntContexts: ReadonlyMap<number, string>;
  /** udev labels of devtmpfs nodes (inode id -> context); rebuilt per clone. */
  private udev = new Map<number, string>();
  /** context text -> SID in this instance's SID table (rebuilt per clone: SIDs allocated after a fork differ between the copies). */
  private sids = new Map<string, number>();
  private slotA = '';
  private sidA = 0;
  private slotB = '';
  private sidB = 0;
  private tracing = false;
  private hook = '';
  private inflight: InFlight | null = null;

  constructor(opts: SelinuxOptions);
  constructor(opts: SelinuxOptions, from: { cfg: Config; avc: Avc; fsecs: BTree<number, Fsec>; seqno: number; mntContexts: ReadonlyMap<number, string> });
  constructor(opts: SelinuxOptions, from?: { cfg: Config; avc: Avc; fsecs: BTree<number, Fsec>; seqno: number; mntContexts: ReadonlyMap<number, string> }) {
    this.policy = opts.policy;
    if (from) {
      this.cfg = from.cfg;
      this.avc = from.avc;
      this.fsecs = from.fsecs;
      this.seqno = from.seqno;
      this.mntContexts = from.mntContexts;
      this.avc.sink = undefined;
      return;
    }
    const p = opts.policy;
    const bname = builtinName(p);
    const unlabeled = initialSidContext(p, 'unlabeled');
    if (unlabeled === null || !isValidContext(p, unlabeled)) {
      throw new SelinuxError(`${p.name}: the policy defines no valid context for the initial SID 'unlabeled' (e.g. sid unlabeled system_u:object_r:unlabeled_t:s0)`);
    }
    const file = initialSidContext(p, 'file');
    const kernel = initialSidContext(p, 'kernel');
    let avc: Avc;
    try {
      avc = new Avc(p, { enforcing: opts.enforcing ?? true, booleans: opts.booleans, classmap: opts.classmap });
    } catch (e) {
      throw new SelinuxError(`${p.name}: ${(e as Error).message}`);
    }
    this.avc = avc;
    this.cfg = Object.freeze({
      classes: classBits(avc),
      policy: p,
      fsRules: opts.fsRules ?? (bname ? builtinFsLabelRules(bname) : NO_FS_RULES),
      fileContexts: opts.fileContexts !== undefined ? opts.fileContexts : bname ? BUILTIN_FILE_CONTEXTS : null,
      checkreqprot: opts.checkreqprot ?? false,
      defaultNoexec: opts.defaultNoexec ?? true,
      openPerms: p.policycaps.has('open_perms'),
      ioctlSkipCloexec: p.policycaps.has('ioctl_skip_cloexec'),
      unlabeled,
      fileInit: file !== null && isValidContext(p, file) ? file : unlabeled,
      kernelInit: kernel !== null && isValidContext(p, kernel) ? kernel : null,
    });
    for (const t of opts.permissiveDomains ?? []) this.setPermissiveDomain(t, true);
    this.fsecs = new BTree();
    this.seqno = 0;
    this.mntContexts = new Map();
  }

  /** O(1): the copy shares nothing mutable with this instance (the AVC is copy-on-write). */
  clone(): SelinuxLsm {
    return new SelinuxLsm({ policy: this.policy }, { cfg: this.cfg, avc: this.avc.clone(), fsecs: this.fsecs.clone(), seqno: this.seqno, mntContexts: this.mntContexts });
  }

  // ------------------------------------------------------------------ administration

  get enforcing(): boolean {
    return this.avc.isEnforcing;
  }

  /** setenforce (sel_write_enforce()): switching to enforcing resets the AVC. */
  setEnforcing(on: boolean): void {
    this.avc.setEnforcing(on);
  }

  /** setsebool (security_set_bools()): new conditional rules, a new policy seqno, AVC reset. */
  setBoolean(name: string, value: boolean): void {
    if (!this.policy.boolIndex.has(name)) throw new SelinuxError(`${this.policy.name}: no boolean '${name}'`);
    this.avc.setBoolean(name, value);
    this.seqno++;
  }

  getBoolean(name: string): boolean {
    if (!this.policy.boolIndex.has(name)) throw new SelinuxError(`${this.policy.name}: no boolean '${name}'`);
    return this.avc.getBoolean(name);
  }

  /** semanage permissive -a/-d TYPE: a policy reload (new seqno, AVC reset). */
  setPermissiveDomain(type: string, permissive: boolean): void {
    const t = this.policy.typeId(type);
    if (!t || this.policy.typeIsAttr[t - 1]) throw new SelinuxError(`${this.policy.name}: no type '${type}'`);
    this.avc.setPermissiveDomain(type, permissive);
    this.seqno++;
  }

  /** avc_policy_seqno(). */
  get policySeqno(): number {
    return this.seqno;
  }

  /**
   * mount -o context=CONTEXT for the superblock mounted at `mountPath` (mountpoint labelling,
   * SECURITY_FS_USE_MNTPOINT): every inode of it, existing or new, has that label.
   */
  setMountContext(k: Kernel, mountPath: string, context: string): void {
    const mid = k.mountpoints.get(mountPath);
    if (mid === undefined) throw new SelinuxError(`${mountPath}: not a mount point`);
    if (!isValidContext(this.policy, context)) throw new SelinuxError(`context=${context}: not a valid context for ${this.policy.name}`);
    const m = new Map(this.mntContexts);
    m.set(k.mount(mid).sb, context);
    this.mntContexts = m;
  }

  /**
   * avc_has_perm() for LSM hooks modelled outside hooks.c (e.g. the 2019 designs'
   * security_enclave_*()): current's context against `tcontext` (null: current's own, for
   * process-class checks), traced and audited like the stock hooks (`hook`, `check` name them).
   * `audit` defaults to LSM_AUDIT_DATA_NONE. 0 or -EACCES.
   */
  checkPerm(k: Kernel, cred: LsmCred, hook: string, check: string, tcontext: string | null, tclass: string, perms: readonly string[], audit?: AuditData): number {
    this.enter(k, hook);
    return this.hasPerm(k, cred, check, cred.context, tcontext ?? cred.context, tclass, perms, this.tracing ? (audit ?? this.adNone(cred)) : NO_AUDIT);
  }

  // ------------------------------------------------------------------ labels

  /** The context SELinux uses for an inode (its isec->sid as text). `creator` is the task that created it, when known (fs_use_trans/task). */
  inodeContext(k: Kernel, inode: LsmInode, creator?: LsmCred): string {
    const cfg = this.cfg;
    if (this.mntContexts.size) {
      const sb = k.inode(inode.id).sb;
      const mc = this.mntContexts.get(sb);
      if (mc !== undefined) return mc;
    }
    if (inode.label !== null) return inode.label;
    // inode_doinit_with_dentry(): the filesystem's labelling behaviour
    const fst = policyFsType(inode.fstype);
    if (inode.fstype === 'devtmpfs' && cfg.fileContexts) {
      // udev: restorecon of the node devtmpfs created (the end state once udev has run)
      const got = this.udev.get(inode.id);
      if (got !== undefined) return got;
      const path = pathInNamespace(k, inode.id);
      const ctx = path === null ? null : matchPathCon(cfg.fileContexts, path, fileTypeLetter(inode.mode));
      if (ctx !== null) {
        this.udev.set(inode.id, ctx);
        return ctx;
      }
    }
    const use = cfg.fsRules.fsUse.get(fst);
    if (use) {
      switch (use.behavior) {
        case 'xattr':
          return cfg.fileInit; // no xattr: sbsec->def_sid (SECINITSID_FILE without defcontext=)
        case 'task':
          return creator ? this.taskContext(creator) : use.context;
        case 'trans': {
          // SECURITY_FS_USE_TRANS: security_transition_sid(isec->task_sid, sbsec->sid, sclass)
          const src = creator ? this.taskContext(creator) : cfg.kernelInit;
          if (src === null) return use.context;
          return this.objectContext(src, use.context, inode.inodeClass);
        }
      }
    }
    const genfs = cfg.fsRules.genfs.get(fst);
    if (genfs) {
      // __security_genfs_sid(): longest matching prefix; the model has no path inside such
      // filesystems, so "/" is looked up.
      for (const g of genfs) {
        if (g.path !== '/' ) continue;
        if (g.fileType && g.fileType !== fileTypeLetter(inode.mode)) continue;
        return g.context ?? cfg.unlabeled;
      }
    }
    // no policy statement for this filesystem type: the mount's default, else unlabeled
    if (inode.sbDefaultLabel !== null && isValidContext(this.policy, inode.sbDefaultLabel)) return inode.sbDefaultLabel;
    return cfg.unlabeled;
  }

  /**
   * sbsec->sid of the superblock an inode lives on: a context= mount's context, else the policy's
   * fs_use_* context, else its genfscon for "/", else the mount's default, else unlabeled
   * (security_fs_use(), ss/services.c; selinux_set_mnt_opts()).
   */
  superblockContext(k: Kernel, inode: LsmInode): string {
    const cfg = this.cfg;
    const sb = k.inode(inode.id).sb;
    const mc = this.mntContexts.get(sb);
    if (mc !== undefined) return mc;
    const fst = policyFsType(inode.fstype);
    const use = cfg.fsRules.fsUse.get(fst);
    if (use) return use.context;
    const genfs = cfg.fsRules.genfs.get(fst);
    if (genfs) {
      for (const g of genfs) if (g.path === '/' && (!g.fileType || g.fileType === '-d')) return g.context ?? cfg.unlabeled;
    }
    if (inode.sbDefaultLabel !== null && isValidContext(this.policy, inode.sbDefaultLabel)) return inode.sbDefaultLabel;
    return cfg.unlabeled;
  }

  /** The task's context as SELinux decides with it (an invalid one counts as unlabeled). */
  private taskContext(cred: LsmCred): string {
    return isValidContext(this.policy, cred.context) ? cred.context : this.cfg.unlabeled;
  }

  /** SID of a context text; invalid contexts are decided as the unlabeled initial SID. */
  private sid(text: string): number {
    // two most-recent slots first: a hook asks about the same few contexts over and over
    if (text === this.slotA) return this.sidA;
    if (text === this.slotB) return this.sidB;
    let sid = this.sids.get(text);
    if (sid === undefined) {
      sid = this.avc.sids.sid(isValidContext(this.policy, text) ? text : this.cfg.unlabeled);
      this.sids.set(text, sid);
    }
    this.slotB = this.slotA;
    this.sidB = this.sidA;
    this.slotA = text;
    this.sidA = sid;
    return sid;
  }

  private condState(): Uint8Array {
    const p = this.policy;
    return p.evaluateConds(p.bools.map((b) => this.avc.getBoolean(b.name)));
  }

  /** security_transition_sid(source, target, class, name) as a context text. */
  private objectContext(source: string, target: string, tclass: string, name?: string): string {
    const s = splitContext(isValidContext(this.policy, source) ? source : this.cfg.unlabeled)!;
    const t = splitContext(isValidContext(this.policy, target) ? target : this.cfg.unlabeled)!;
    return computeObjectContext(this.policy, this.condState(), s, t, tclass, name);
  }

  // ------------------------------------------------------------------ the AVC query and its trace record

  private readonly onAvc = (e: AvcEvent): void => {
    const f = this.inflight!;
    let line: string | null = e.audited ? e.line : null;
    if (line !== null) {
      if (f.negativeDentry) line = line.replace(NEGATIVE_DENTRY_FIELDS, '');
      // avc_audit_post_callback(): "srawcon="/"trawcon=" for invalid contexts
      if (!isValidContext(this.policy, f.s)) line += ` srawcon=${untrustedString(f.s)}`;
      if (!isValidContext(this.policy, f.t)) line += ` trawcon=${untrustedString(f.t)}`;
    }
    f.k.trace.emit({
      kind: 'avc',
      pid: f.pid,
      hook: f.hook,
      check: f.check,
      scontext: e.scontext,
      tcontext: e.tcontext,
      tclass: e.tclass,
      requested: e.requested,
      perms: e.perms,
      decision: e.denied ? 'denied' : 'granted',
      ret: e.result,
      errno: e.result ? 'EACCES' : null,
      audited: e.audited,
      permissive: e.permissive,
      line,
      ioctlcmd: e.ioctlcmd ?? null,
    });
  };

  /** Set at every hook entry: whether queries are traced (and audit data built). */
  private enter(k: Kernel, hook: string): void {
    this.tracing = k.trace.enabled;
    this.hook = hook;
    this.avc.sink = this.tracing ? this.onAvc : undefined;
  }

  private track(k: Kernel, cred: LsmCred, check: string, s: string, t: string, negativeDentry = false): void {
    if (this.tracing) this.inflight = { k, pid: cred.pid, hook: this.hook, check, s, t, negativeDentry };
  }

  /** avc_has_perm(ssid, tsid, tclass, perms, ad). */
  private hasPerm(k: Kernel, cred: LsmCred, check: string, s: string, t: string, tclass: string, perms: readonly string[], ad: AuditData, negativeDentry = false): number {
    if (this.tracing) this.track(k, cred, check, s, t, negativeDentry);
    const cb = this.cfg.classes.get(tclass);
    if (cb === undefined) return this.avc.hasPerm(this.sid(s), this.sid(t), tclass, perms, ad);
    let m = cb.masks.get(perms);
    if (m === undefined) {
      m = 0;
      for (const x of perms) {
        const b = cb.bit.get(x);
        if (b === undefined) return this.avc.hasPerm(this.sid(s), this.sid(t), cb.cid, perms, ad); // the AVC reports it
        m |= b;
      }
    }
    return this.avc.hasPerm(this.sid(s), this.sid(t), cb.cid, m >>> 0, ad);
  }

  // audit data (struct common_audit_data) for each LSM_AUDIT_DATA_* type, built only when traced
  private adNone(cred: LsmCred): AuditData {
    return this.tracing ? { type: 'NONE', pid: cred.pid, comm: cred.comm } : NO_AUDIT;
  }

  private adFile(cred: LsmCred, file: LsmFile): AuditData {
    return this.tracing ? { type: 'FILE', pid: cred.pid, comm: cred.comm, path: file.path, dev: file.inode.dev, ino: file.inode.ino } : NO_AUDIT;
  }

  /** LSM_AUDIT_DATA_INODE: name= is the dentry name (d_find_alias(); "/" for a filesystem root). */
  private adInode(cred: LsmCred, inode: LsmInode): AuditData {
    return this.tracing ? { type: 'INODE', pid: cred.pid, comm: cred.comm, name: inode.name === '' ? '/' : inode.name, dev: inode.dev, ino: inode.ino } : NO_AUDIT;
  }

  // ------------------------------------------------------------------ hooks.c helpers

  /** inode_has_perm(): 0 for IS_PRIVATE inodes, else avc_has_perm(current, isec->sid, isec->sclass). */
  private inodeHasPerm(k: Kernel, cred: LsmCred, check: string, inode: LsmInode, perms: readonly string[], ad: AuditData, creator?: LsmCred): number {
    if (inode.isPrivate) return 0;
    return this.hasPerm(k, cred, check, cred.context, this.inodeContext(k, inode, creator), inode.inodeClass, perms, ad);
  }

  /**
   * file_has_perm(): fd:use when the file was opened by another domain (fsec->sid, the opener's
   * SID, differs from current's), then, if av is not empty, inode_has_perm() (audit type FILE).
   */
  private fileHasPerm(k: Kernel, cred: LsmCred, file: LsmFile, av: readonly string[]): number {
    const ad = this.adFile(cred, file);
    const s = cred.context;
    const fsecCtx = file.cred.context;
    if (this.sid(s) !== this.sid(fsecCtx)) {
      const rc = this.hasPerm(k, cred, 'file_has_perm', s, fsecCtx, 'fd', P_USE, ad);
      if (rc) return rc;
    }
    if (!av.length) return 0; // "av is zero if only checking access to the descriptor"
    return this.inodeHasPerm(k, cred, 'file_has_perm', file.inode, av, ad, file.cred);
  }

  /**
   * file_map_prot_check(): process:execmem for an executable anonymous mapping, an S_PRIVATE
   * inode or a private writable mapping (when default_noexec), then file_has_perm() with read,
   * write (shared writable only) and execute in one query.
   */
  private fileMapProtCheck(k: Kernel, cred: LsmCred, file: LsmFile | null, prot: number, shared: boolean): number {
    if (this.cfg.defaultNoexec && prot & PROT_EXEC && (!file || file.inode.isPrivate || (!shared && prot & PROT_WRITE))) {
      // "We are making executable an anonymous mapping or a private file mapping that will also be writable."
      const s = cred.context;
      const rc = this.hasPerm(k, cred, 'file_map_prot_check', s, s, 'process', P_EXECMEM, this.adNone(cred));
      if (rc) return rc;
    }
    if (file) {
      // "read access is always possible with a mapping"; "write access only matters if the mapping is shared"
      const w = shared && (prot & PROT_WRITE) !== 0;
      const av = prot & PROT_EXEC ? (w ? P_RWX : P_RX) : w ? P_RW : P_R;
      return this.fileHasPerm(k, cred, file, av);
    }
    return 0;
  }

  /** ioctl_has_perm(): fd:use for a foreign fd, nothing more for S_PRIVATE, else avc_has_extended_perms(). */
  private ioctlHasPerm(k: Kernel, cred: LsmCred, file: LsmFile, cmd: number): number {
    const cmd16 = cmd & 0xffff; // (u16) cmd
    const ad: AuditData = this.tracing ? { type: 'IOCTL_OP', pid: cred.pid, comm: cred.comm, path: file.path, dev: file.inode.dev, ino: file.inode.ino, cmd: cmd16 } : NO_AUDIT;
    const s = cred.context;
    const fsecCtx = file.cred.context;
    if (this.sid(s) !== this.sid(fsecCtx)) {
      const rc = this.hasPerm(k, cred, 'ioctl_has_perm', s, fsecCtx, 'fd', P_USE, ad);
      if (rc) return rc;
    }
    if (file.inode.isPrivate) return 0;
    const t = this.inodeContext(k, file.inode, file.cred);
    this.track(k, cred, 'ioctl_has_perm', s, t);
    return this.avc.hasExtendedPerm(this.sid(s), this.sid(t), file.inode.inodeClass, 'ioctl', cmd16 >> 8, cmd16 & 0xff, ad);
  }

  private checkreqprot(k: Kernel): boolean {
    return this.cfg.checkreqprot && !versionAtLeast(k.config.version, 6, 4);
  }

  // ------------------------------------------------------------------ the hooks

  /**
   * selinux_inode_permission(): mask reduced to MAY_READ|MAY_WRITE|MAY_EXEC|MAY_APPEND (none ->
   * 0), IS_PRIVATE -> 0, file_mask_to_av(), one query; audit type INODE (name=).
   */
  inode_permission(k: Kernel, cred: LsmCred, inode: LsmInode, mask: number): number {
    this.enter(k, 'inode_permission');
    mask &= MAY_READ | MAY_WRITE | MAY_EXEC | MAY_APPEND;
    if (!mask) return 0; // "No permission to check.  Existence test."
    if (inode.isPrivate) return 0;
    const av = fileMaskToAv(inode.mode, mask);
    return this.hasPerm(k, cred, 'selinux_inode_permission', cred.context, this.inodeContext(k, inode), inode.inodeClass, av, this.adInode(cred, inode));
  }

  /**
   * selinux_file_open(): save the inode SID and policy seqno in the file's blob (for
   * selinux_file_permission()), then file_path_has_perm(file->f_cred, open_file_to_av()):
   * no fd:use, audit type FILE (path=).
   */
  file_open(k: Kernel, cred: LsmCred, file: LsmFile): number {
    this.enter(k, 'file_open');
    const opener = file.cred;
    const tctx = this.inodeContext(k, file.inode, opener);
    this.fsecs.set(file.id, Object.freeze({ isid: this.sid(tctx), pseqno: this.seqno }));
    if (file.inode.isPrivate) return 0; // inode_has_perm()
    const av = fileToAv(file);
    if (this.cfg.openPerms) av.push('open'); // open_file_to_av(): policycap open_perms (no sockfs in the model)
    // the subject is file->f_cred; the audit record names current (common_lsm_audit())
    return this.hasPerm(k, cred, 'file_path_has_perm', opener.context, tctx, file.inode.inodeClass, av, this.adFile(cred, file));
  }

  /**
   * selinux_file_permission(): no check when current's SID, the inode's SID and the policy
   * seqno are those recorded at open; else selinux_revalidate_file_permission() (O_APPEND turns
   * a write into append) through file_has_perm().
   */
  file_permission(k: Kernel, cred: LsmCred, file: LsmFile, mask: number): number {
    this.enter(k, 'file_permission');
    if (!mask) return 0;
    const fsec = this.fsecs.get(file.id);
    const sid = this.sid(cred.context);
    if (fsec && sid === this.sid(file.cred.context) && fsec.isid === this.sid(this.inodeContext(k, file.inode, file.cred)) && fsec.pseqno === this.seqno) {
      return 0; // "No change since file_open check."
    }
    // "file_mask_to_av won't add FILE__WRITE if MAY_APPEND is set"
    if (file.flags & O_APPEND && mask & MAY_WRITE) mask |= MAY_APPEND;
    return this.fileHasPerm(k, cred, file, fileMaskToAv(file.inode.mode, mask));
  }

  /**
   * selinux_mmap_file(): file:map through inode_has_perm() (no fd:use, skipped for S_PRIVATE),
   * then file_map_prot_check(file, prot, (flags & MAP_TYPE) == MAP_SHARED) — MAP_SHARED_VALIDATE
   * counts as private here. checkreqprot (kernels < 6.4 only) checks reqprot instead.
   */
  mmap_file(k: Kernel, cred: LsmCred, file: LsmFile | null, reqprot: number, prot: number, flags: number): number {
    this.enter(k, 'mmap_file');
    if (file) {
      const rc = this.inodeHasPerm(k, cred, 'selinux_mmap_file', file.inode, P_MAP, this.adFile(cred, file), file.cred);
      if (rc) return rc;
    }
    if (this.checkreqprot(k)) prot = reqprot;
    return this.fileMapProtCheck(k, cred, file, prot, (flags & MAP_TYPE) === MAP_SHARED);
  }

  /** selinux_mmap_addr(): memprotect:mmap_zero below CONFIG_LSM_MMAP_MIN_ADDR (cap_mmap_addr() ran first). */
  mmap_addr(k: Kernel, cred: LsmCred, addr: number): number {
    this.enter(k, 'mmap_addr');
    if (addr < k.config.lsmMmapMinAddr) {
      const s = cred.context;
      return this.hasPerm(k, cred, 'selinux_mmap_addr', s, s, 'memprotect', P_MMAP_ZERO, this.adNone(cred));
    }
    return 0;
  }

  /**
   * selinux_file_mprotect(), Linux 6.1: only when adding PROT_EXEC to a VMA without VM_EXEC (and
   * default_noexec): execheap if the VMA lies in [start_brk, brk], else execstack for an
   * anonymous VMA holding mm->start_stack (ends inclusive) or current's stack pointer, else
   * execmod (file_has_perm) for a file VMA with an anon_vma; then always
   * file_map_prot_check(vm_file, prot, VM_SHARED).
   */
  file_mprotect(k: Kernel, cred: LsmCred, vma: LsmVma, reqprot: number, prot: number): number {
    this.enter(k, 'file_mprotect');
    if (this.checkreqprot(k)) prot = reqprot;
    if (this.cfg.defaultNoexec && prot & PROT_EXEC && !(vma.flags & VM_EXEC)) {
      const s = cred.context;
      let rc = 0;
      if (vma.start >= vma.startBrk && vma.end <= vma.brk) {
        rc = this.hasPerm(k, cred, 'selinux_file_mprotect', s, s, 'process', P_EXECHEAP, this.adNone(cred));
      } else if (!vma.file && ((vma.start <= vma.startStack && vma.end >= vma.startStack) || vma.isStackForCurrent)) {
        rc = this.hasPerm(k, cred, 'selinux_file_mprotect', s, s, 'process', P_EXECSTACK, this.adNone(cred));
      } else if (vma.file && vma.anonVma) {
        // "We are making executable a file mapping that has had some COW done."
        rc = this.fileHasPerm(k, cred, vma.file, P_EXECMOD);
      }
      if (rc) return rc;
    }
    return this.fileMapProtCheck(k, cred, vma.file, prot, (vma.flags & VM_SHARED) !== 0);
  }

  /**
   * selinux_file_ioctl(), Linux 6.1: getattr/setattr for the generic file ioctls, fd:use only
   * for FIONBIO/FIOASYNC, capability sys_tty_config for KDSKBENT/KDSKBSENT, FIOCLEX/FIONCLEX
   * unchecked under policycap ioctl_skip_cloexec, else ioctl_has_perm() (extended permissions:
   * driver = cmd >> 8, function = cmd & 0xff; audit ioctlcmd=).
   */
  file_ioctl(k: Kernel, cred: LsmCred, file: LsmFile, cmd: number, _arg: number): number {
    this.enter(k, 'file_ioctl');
    cmd = cmd >>> 0;
    switch (cmd) {
      case FIONREAD:
      case FIBMAP:
      case FIGETBSZ:
      case FS_IOC_GETFLAGS:
      case FS_IOC_GETVERSION:
        return this.fileHasPerm(k, cred, file, P_GETATTR);
      case FS_IOC_SETFLAGS:
      case FS_IOC_SETVERSION:
        return this.fileHasPerm(k, cred, file, P_SETATTR);
      case FIONBIO:
      case FIOASYNC:
        return this.fileHasPerm(k, cred, file, P_NONE);
      case KDSKBENT:
      case KDSKBSENT: {
        // cred_has_capability(cred, CAP_SYS_TTY_CONFIG, CAP_OPT_NONE, true)
        const s = cred.context;
        const ad: AuditData = this.tracing ? { type: 'CAP', pid: cred.pid, comm: cred.comm, cap: CAP_SYS_TTY_CONFIG } : NO_AUDIT;
        return this.hasPerm(k, cred, 'cred_has_capability', s, s, 'capability', P_TTY_CONFIG, ad);
      }
      case FIOCLEX:
      case FIONCLEX:
        if (this.cfg.ioctlSkipCloexec) return 0;
        return this.ioctlHasPerm(k, cred, file, cmd);
      default:
        return this.ioctlHasPerm(k, cred, file, cmd);
    }
  }

  /** selinux_file_receive(): file_has_perm(file_to_av(file)) in the receiving task. */
  file_receive(k: Kernel, cred: LsmCred, file: LsmFile): number {
    this.enter(k, 'file_receive');
    return this.fileHasPerm(k, cred, file, fileToAv(file));
  }

  /**
   * selinux_inode_create() -> may_create(): dir { add_name search } on the parent, create on the
   * new file's label (selinux_determine_inode_label()), then filesystem:associate with the new
   * label as the subject and the superblock as the target. Audit type DENTRY of the new
   * (negative) dentry: name= only.
   */
  inode_create(k: Kernel, cred: LsmCred, dir: LsmInode, name: string, inodeClass: InodeClass): number {
    this.enter(k, 'inode_create');
    const ad: AuditData = this.tracing ? { type: 'DENTRY', pid: cred.pid, comm: cred.comm, name, dev: '', ino: 0 } : NO_AUDIT;
    let rc = this.hasPerm(k, cred, 'may_create', cred.context, this.inodeContext(k, dir), 'dir', P_ADD_NAME_SEARCH, ad, true);
    if (rc) return rc;
    const newctx = this.newInodeContext(k, cred, dir, name, inodeClass);
    rc = this.hasPerm(k, cred, 'may_create', cred.context, newctx, inodeClass, P_CREATE, ad, true);
    if (rc) return rc;
    return this.hasPerm(k, cred, 'may_create', newctx, this.superblockContext(k, dir), 'filesystem', P_ASSOCIATE, ad, true);
  }

  /** selinux_determine_inode_label(): a context= mount's context, else security_transition_sid(task, dir, class, name). */
  private newInodeContext(k: Kernel, cred: LsmCred, dir: LsmInode, name: string, inodeClass: InodeClass): string {
    if (this.mntContexts.size) {
      const mc = this.mntContexts.get(k.inode(dir.id).sb);
      if (mc !== undefined) return mc;
    }
    return this.objectContext(this.taskContext(cred), this.inodeContext(k, dir), inodeClass, name);
  }

  /**
   * selinux_inode_init_security() -> selinux_determine_inode_label(): the mount's context on a
   * context= mount, else security_transition_sid(task, dir, class, name) (name-based
   * type_transition, then plain, then the directory's type with role object_r).
   */
  inode_init_security(k: Kernel, cred: LsmCred, dir: LsmInode, name: string, inodeClass: InodeClass): LsmLabelResult {
    this.enter(k, 'inode_init_security');
    return { label: this.newInodeContext(k, cred, dir, name, inodeClass) };
  }

  /**
   * selinux_inode_init_security_anon(): the context inode's class and SID, or class anon_inode
   * with security_transition_sid(task, task, anon_inode, name); then anon_inode:create (audit
   * type ANONINODE, anonclass=NAME).
   */
  inode_init_security_anon(k: Kernel, cred: LsmCred, name: string, contextInode: LsmInode | null): LsmLabelResult {
    this.enter(k, 'inode_init_security_anon');
    let cls: string;
    let ctx: string;
    if (contextInode) {
      cls = contextInode.inodeClass;
      ctx = this.inodeContext(k, contextInode);
    } else {
      cls = 'anon_inode';
      const s = this.taskContext(cred);
      ctx = this.objectContext(s, s, 'anon_inode', name);
    }
    const ad: AuditData = this.tracing ? { type: 'ANONINODE', pid: cred.pid, comm: cred.comm, anonclass: name } : NO_AUDIT;
    const rc = this.hasPerm(k, cred, 'selinux_inode_init_security_anon', cred.context, ctx, cls, P_CREATE, ad);
    if (rc) return rc;
    return { label: ctx };
  }
}

/** file_mask_to_av() (hooks.c): append replaces write for non-directories; directories get search/write/read. */
export function fileMaskToAv(mode: number, mask: number): string[] {
  const av: string[] = [];
  if ((mode & S_IFMT) !== S_IFDIR) {
    if (mask & MAY_EXEC) av.push('execute');
    if (mask & MAY_READ) av.push('read');
    if (mask & MAY_APPEND) av.push('append');
    else if (mask & MAY_WRITE) av.push('write');
  } else {
    if (mask & MAY_EXEC) av.push('search');
    if (mask & MAY_WRITE) av.push('write');
    if (mask & MAY_READ) av.push('read');
  }
  return av;
}

/** file_to_av() (hooks.c): read, write or append, or ioctl for a file opened with access mode 3. */
export function fileToAv(file: LsmFile): string[] {
  const av: string[] = [];
  if (file.fmode & FMODE_READ) av.push('read');
  if (file.fmode & FMODE_WRITE) av.push(file.flags & O_APPEND ? 'append' : 'write');
  if (!av.length) av.push('ioctl'); // "Special file opened with flags 3 for ioctl-only use."
  return av;
}

/** The AVC decisions recorded in a kernel's trace (from sequence number `from`). */
export function avcEvents(k: Kernel, from = 0): (AvcTraceEvent & { seq: number })[] {
  return k.trace.ofKind('avc', from) as (AvcTraceEvent & { seq: number })[];
}

/** The AVC lines the kernel would have logged (dmesg / audit.log without the auditd wrapper). */
export function avcLines(k: Kernel, from = 0): string[] {
  const out: string[] = [];
  for (const e of k.trace.ofKind('avc', from)) if (e.line !== null) out.push(e.line);
  return out;
}

