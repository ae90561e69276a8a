// Inode labelling for the SELinux model (Linux 6.1):
//   - which label an inode has (inode_doinit_with_dentry(), security/selinux/hooks.c): its
//     security.selinux xattr; otherwise what the filesystem's labelling behaviour gives
//     (security_fs_use(), ss/services.c: fs_use_xattr -> the `file` initial SID, fs_use_trans ->
//     a type_transition from the creating task on the filesystem's context, fs_use_task -> the
//     creating task's context, genfscon -> the longest matching path prefix, none -> unlabeled);
//     `context=` mounts (SECURITY_FS_USE_MNTPOINT) give every inode the mount's context;
//   - the label of a new object (security_compute_sid(), ss/services.c, for object classes):
//     user of the source, role object_r, type from a (name-based, else plain) type_transition or
//     the target's type, level = the low level of the source when the policy is MLS;
//   - context validity (security_context_to_sid(): an invalid context is kept as a string and
//     decided as the `unlabeled` initial SID);
//   - file_contexts matching (matchpathcon()) and a restorecon over the model's namespace.
// See docs/selinux.md "Hooks" for the choices made where the model has less state than Linux.
import type { Kernel } from '../../kernel/kernel.js';
import type { ContextAst, PolicyAst } from './ast.js';
import type { Policy } from './policy.js';
import { parsePolicy } from './parser.js';
import { builtinPolicySource, FILE_CONTEXTS, type FileContextEntry } from './builtin.js';
import { S_IFMT, S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFLNK, S_IFSOCK, S_IFIFO } from '../../abi/stat.js';

/** How a filesystem type is labelled (sbsec->behavior, security/selinux/include/security.h). */
export type FsUseBehavior = 'xattr' | 'trans' | 'task';

export interface FsUseRule {
  readonly behavior: FsUseBehavior;
  /** The fs_use_* context (sbsec->sid). */
  readonly context: string;
}

export interface GenfsRule {
  /** Path prefix inside the filesystem ("/" matches everything). */
  readonly path: string;
  /** File type restriction as genfscon writes it ('' = any, '--', '-c', '-d', ...). */
  readonly fileType: string;
  /** null for `<<none>>`. */
  readonly context: string | null;
}

/** The policy's filesystem labelling statements (ocontexts OCON_FSUSE and the genfs list). */
export interface FsLabelRules {
  readonly fsUse: ReadonlyMap<string, FsUseRule>;
  readonly genfs: ReadonlyMap<string, readonly GenfsRule[]>;
}

export const NO_FS_RULES: FsLabelRules = { fsUse: new Map(), genfs: new Map() };

/** The text of a parsed context. */
export function contextText(c: ContextAst): string {
  return c.range === undefined ? `${c.user}:${c.role}:${c.type}` : `${c.user}:${c.role}:${c.type}:${c.range}`;
}

/** fs_use_xattr/fs_use_trans/fs_use_task and genfscon statements of a parsed policy (the
 *  compiled Policy keeps only their counts). Later statements for the same filesystem are
 *  ignored, as checkpolicy reports them as duplicates. */
export function fsLabelRulesFromAst(ast: PolicyAst): FsLabelRules {
  const fsUse = new Map<string, FsUseRule>();
  const genfs = new Map<string, GenfsRule[]>();
  const visit = (stmts: readonly PolicyAst['stmts'][number][]): void => {
    for (const s of stmts) {
      if (s.k === 'optional') {
        visit(s.body);
        continue;
      }
      if (s.k !== 'ocontext') continue;
      if (s.kind === 'fs_use_xattr' || s.kind === 'fs_use_trans' || s.kind === 'fs_use_task') {
        if (!s.context || fsUse.has(s.args[0])) continue;
        const behavior: FsUseBehavior = s.kind === 'fs_use_xattr' ? 'xattr' : s.kind === 'fs_use_trans' ? 'trans' : 'task';
        fsUse.set(s.args[0], { behavior, context: contextText(s.context) });
      } else if (s.kind === 'genfscon') {
        const list = genfs.get(s.args[0]) ?? [];
        list.push({ path: s.args[1], fileType: s.args[2] ?? '', context: s.context ? contextText(s.context) : null });
        genfs.set(s.args[0], list);
      }
    }
  };
  visit(ast.stmts);
  // policydb.c ocontext_read()/checkpolicy keep genfs entries sorted by decreasing path length,
  // so __security_genfs_sid() finds the longest matching prefix first.
  for (const list of genfs.values()) list.sort((a, b) => b.path.length - a.path.length);
  return { fsUse, genfs };
}

const builtinRules = new Map<string, FsLabelRules>();

/** The fs labelling statements of a built-in policy ('default' or 'strict'). */
export function builtinFsLabelRules(name: string): FsLabelRules {
  let r = builtinRules.get(name);
  if (!r) {
    const parsed = parsePolicy(builtinPolicySource(name), `builtin:${name}`);
    r = fsLabelRulesFromAst(parsed.ast);
    builtinRules.set(name, r);
  }
  return r;
}

/** The builtin name of a policy compiled by builtinPolicy() ('builtin:default' -> 'default'), or null. */
export function builtinName(p: Policy): string | null {
  return p.name.startsWith('builtin:') ? p.name.slice('builtin:'.length) : null;
}

/**
 * The filesystem type name the policy uses for a model superblock: the kernel-internal shm
 * mount is a kern_mount of shmem's "tmpfs" (mm/shmem.c shmem_fs_type).
 */
export function policyFsType(fstype: string): string {
  return fstype === 'shm' ? 'tmpfs' : fstype;
}

// ------------------------------------------------------------------ contexts

export interface ParsedContext {
  readonly user: string;
  readonly role: string;
  readonly type: string;
  readonly range?: string;
}

/** Split `user:role:type[:range]`; null when it has fewer than three non-empty fields. */
export function splitContext(text: string): ParsedContext | null {
  const parts = text.split(':');
  if (parts.length < 3 || parts.slice(0, 3).some((x) => x === '' || /\s/.test(x))) return null;
  const range = parts.length > 3 ? parts.slice(3).join(':') : undefined;
  if (range === '') return null;
  return { user: parts[0], role: parts[1], type: parts[2], range };
}

const validity = new WeakMap<Policy, Map<string, boolean>>();

/**
 * Whether the policy accepts a context (security_context_to_sid() succeeds): its user and role
 * are declared (object_r always is), its type is a type (not an attribute). Role/type and
 * user/role authorisation and the MLS range are not checked (docs/selinux.md "Hooks").
 */
export function isValidContext(p: Policy, text: string): boolean {
  let m = validity.get(p);
  if (!m) {
    m = new Map();
    validity.set(p, m);
  }
  const got = m.get(text);
  if (got !== undefined) return got;
  const c = splitContext(text);
  let ok = c !== null;
  if (c) {
    const t = p.typeId(c.type);
    if (!t || p.typeIsAttr[t - 1]) ok = false;
    if (p.users.length && !p.users.includes(c.user)) ok = false;
    if (c.role !== 'object_r' && p.roles.length && !p.roles.includes(c.role)) ok = false;
  }
  m.set(text, ok);
  return ok;
}

/** The low level of an MLS range ("s0-s0:c0.c3" -> "s0"). */
export function lowLevel(range: string): string {
  const i = range.indexOf('-');
  return i < 0 ? range : range.slice(0, i);
}

/**
 * security_compute_sid() for an object class (AVTAB_TRANSITION), ss/services.c: user of the
 * source (default_user is not modelled), role object_r, type = filename type_transition for
 * `name` if any, else a plain type_transition, else the target's type; range = the source's
 * low level (mls_compute_sid(): mls_context_cpy_low) when the policy is MLS.
 * `tclass` is a class name; a class the policy lacks has no rules.
 */
export function computeObjectContext(p: Policy, condState: Uint8Array, source: ParsedContext, target: ParsedContext, tclass: string, name?: string): string {
  let type = target.type;
  const cls = p.classId(tclass);
  const s = p.typeId(source.type);
  const t = p.typeId(target.type);
  if (cls && s && t) {
    const nt = p.transitionType(s, t, cls, condState, name);
    if (nt) type = p.typeNames[nt - 1];
  }
  const range = p.mls && source.range !== undefined ? lowLevel(source.range) : undefined;
  return range === undefined ? `${source.user}:object_r:${type}` : `${source.user}:object_r:${type}:${range}`;
}

// ------------------------------------------------------------------ file_contexts

/** The file_contexts type letter of a mode ('--' regular, '-d' dir, '-c' char device, ...). */
export function fileTypeLetter(mode: number): FileContextEntry['fileType'] {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return '--';
    case S_IFDIR:
      return '-d';
    case S_IFCHR:
      return '-c';
    case S_IFBLK:
      return '-b';
    case S_IFLNK:
      return '-l';
    case S_IFSOCK:
      return '-s';
    case S_IFIFO:
      return '-p';
  }
  return '';
}

const compiledFc = new WeakMap<readonly FileContextEntry[], { e: FileContextEntry; re: RegExp }[]>();

/**
 * matchpathcon() over a file_contexts table ordered like the built-in one (the last matching
 * entry wins; an entry with a file type applies only to that type). null when nothing matches.
 */
export function matchPathCon(table: readonly FileContextEntry[], path: string, fileType: FileContextEntry['fileType']): string | null {
  let c = compiledFc.get(table);
  if (!c) {
    c = table.map((e) => ({ e, re: new RegExp(`^(?:${e.regex})$`) }));
    compiledFc.set(table, c);
  }
  let ctx: string | null = null;
  for (const { e, re } of c) {
    if (e.fileType && e.fileType !== fileType) continue;
    if (re.test(path)) ctx = e.context;
  }
  return ctx;
}

/** The built-in file_contexts table (src/security/selinux/builtin.ts). */
export const BUILTIN_FILE_CONTEXTS: readonly FileContextEntry[] = FILE_CONTEXTS;

/**
 * restorecon -RF PATH: set the security.selinux label of every inode under `path` (crossing
 * mounts) to its file_contexts entry. Inodes no entry matches keep their label. Returns the
 * number of inodes relabelled. A setup helper (no LSM checks), like k.fs.setLabel.
 */
export function restorecon(k: Kernel, path = '/', table: readonly FileContextEntry[] = FILE_CONTEXTS): number {
  const start = k.fs.lookup(path);
  if (start === null) throw new Error(`restorecon: ${path}: no such file or directory`);
  let n = 0;
  const norm = path === '/' ? '/' : '/' + path.split('/').filter((x) => x && x !== '.').join('/');
  const visit = (p: string, id: number): void => {
    const inode = k.inode(id);
    const ctx = matchPathCon(table, p, fileTypeLetter(inode.mode));
    if (ctx !== null && ctx !== inode.label) {
      k.setInode({ ...inode, label: ctx });
      n++;
    }
    const children = k.inode(id).children;
    if (!children) return;
    for (const [name, child] of children) {
      const cp = p === '/' ? '/' + name : p + '/' + name;
      const mid = k.mountpoints.get(cp);
      visit(cp, mid !== undefined ? k.sb(k.mount(mid).sb).root : child);
    }
  };
  visit(norm, start);
  return n;
}

/**
 * The path of an inode inside the mount namespace, found from the root of the mount of its
 * superblock (device nodes: a short walk of devtmpfs). null when unreachable.
 */
export function pathInNamespace(k: Kernel, inodeId: number): string | null {
  const inode = k.inode(inodeId);
  let best: string | null = null;
  for (const [mp, mid] of k.mountpoints.entries()) {
    const m = k.mount(mid);
    if (m.sb !== inode.sb) continue;
    const root = k.sb(m.sb).root;
    const found = findUnder(k, root, inodeId, mp === '/' ? '' : mp);
    if (found !== null && (best === null || found.length < best.length)) best = found;
  }
  return best;
}

function findUnder(k: Kernel, dirId: number, target: number, prefix: string): string | null {
  if (dirId === target) return prefix === '' ? '/' : prefix;
  const d = k.inode(dirId);
  if (!d.children) return null;
  for (const [name, child] of d.children) {
    const p = prefix + '/' + name;
    if (child === target) return p;
    if (k.inode(child).children) {
      const r = findUnder(k, child, target, p);
      if (r !== null) return r;
    }
  }
  return null;
}
