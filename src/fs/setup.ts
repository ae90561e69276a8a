// k.fs: setup helpers (not syscalls) for scenarios and tests: mounts with flags, directories,
// regular files with (sparse) contents and labels, device nodes bound to drivers. Bad arguments
// throw SetupError with a one-line message; nothing here runs LSM checks.
import type { Kernel } from '../kernel/kernel.js';
import type { FileOperations, FsType } from './types.js';
import { lookupPath, lookupParent, components, type PathRef } from './namei.js';
import { newInode, newSuperBlock, addMount, linkChild } from './super.js';
import { writeInodeData, readInodeData } from './pagecache.js';
import { S_IFDIR, S_IFREG, S_IFCHR, S_ISDIR, S_APPEND, S_IMMUTABLE, MKDEV, MNT_NOEXEC, MNT_NOSUID, MNT_NODEV, MNT_READONLY, MAJOR, MINOR } from '../abi/stat.js';
import { errnoName } from '../abi/errno.js';

export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SetupError';
  }
}

export interface MountOptions {
  noexec?: boolean;
  nosuid?: boolean;
  nodev?: boolean;
  ro?: boolean;
  /** Label of the new filesystem's root directory. */
  label?: string;
  /** context= mount option: the label of unlabelled inodes (defaults per fs type). */
  defaultLabel?: string;
  /** s_id for ext4 (the block device name, e.g. "sdb1"). */
  source?: string;
}

export interface FileOptions {
  /** Contents (a string is UTF-8). */
  data?: Uint8Array | string;
  /** i_size; larger than data leaves a sparse hole (reads as zeros). */
  size?: number;
  /** security.selinux xattr. */
  label?: string;
  mode?: number;
  /** chattr +a */
  appendOnly?: boolean;
  /** chattr +i */
  immutable?: boolean;
}

export interface InodeInfo {
  readonly id: number;
  readonly ino: number;
  readonly dev: string;
  readonly mode: number;
  readonly size: number;
  readonly label: string | null;
  readonly rdev: number;
}

export class FsSetup {
  constructor(private readonly k: Kernel) {}

  private resolve(path: string): PathRef {
    const r = lookupPath(this.k, null, path);
    if (typeof r === 'number') throw new SetupError(`${path}: ${errnoName(r)}`);
    return r;
  }

  private parent(path: string): { dir: PathRef; name: string } {
    const r = lookupParent(this.k, null, path);
    if (typeof r === 'number') throw new SetupError(`${path}: ${errnoName(r)}`);
    const d = this.k.inode(r.dir.inode);
    if (d.children!.has(r.name)) throw new SetupError(`${path}: already exists`);
    return r;
  }

  /** Mount a new filesystem on an existing directory. */
  mount(path: string, fstype: Exclude<FsType, 'anon_inodefs' | 'shm'>, opts: MountOptions = {}): void {
    const k = this.k;
    const at = this.resolve(path);
    if (!S_ISDIR(k.inode(at.inode).mode)) throw new SetupError(`${path}: not a directory`);
    const defaults: Record<string, string> = {
      ext4: 'system_u:object_r:file_t:s0',
      tmpfs: 'system_u:object_r:tmpfs_t:s0',
      devtmpfs: 'system_u:object_r:device_t:s0',
    };
    const dev = fstype === 'ext4' ? MKDEV(8, 16 + k.sbs.size) : MKDEV(0, k.ids.anonDev++);
    const sb = newSuperBlock(k, fstype, {
      sId: fstype === 'ext4' ? (opts.source ?? 'sdb1') : fstype,
      dev,
      rootIno: fstype === 'ext4' ? 2 : 1,
      rootLabel: opts.label ?? null,
      defaultLabel: opts.defaultLabel ?? defaults[fstype] ?? null,
    });
    addMount(k, sb.id, at.path, mntFlags(opts));
  }

  /** Change the flags of the mount at path (mount -o remount,noexec ...). */
  remount(path: string, opts: MountOptions): void {
    const k = this.k;
    const at = this.resolve(path);
    const mid = k.mountpoints.get(at.path);
    if (mid === undefined) throw new SetupError(`${path}: not a mount point`);
    k.mounts.set(mid, Object.freeze({ ...k.mount(mid), flags: mntFlags(opts) }));
  }

  mkdir(path: string, opts: { label?: string; mode?: number } = {}): number {
    const k = this.k;
    const p = this.parent(path);
    const d = k.inode(p.dir.inode);
    const ino = newInode(k, d.sb, { mode: S_IFDIR | (opts.mode ?? 0o755), name: p.name, label: opts.label ?? null });
    linkChild(k, d.id, p.name, ino.id);
    return ino.id;
  }

  /** mkdir -p. */
  mkdirs(path: string, opts: { label?: string } = {}): void {
    const parts = components(path);
    if (typeof parts === 'number') throw new SetupError(`${path}: ${errnoName(parts)}`);
    let cur = '';
    for (const c of parts) {
      cur += '/' + c;
      if (typeof lookupPath(this.k, null, cur) === 'number') this.mkdir(cur, opts);
    }
  }

  /** Create a regular file. Returns the inode id. */
  createFile(path: string, opts: FileOptions = {}): number {
    const k = this.k;
    const p = this.parent(path);
    const d = k.inode(p.dir.inode);
    let iflags = 0;
    if (opts.appendOnly) iflags |= S_APPEND;
    if (opts.immutable) iflags |= S_IMMUTABLE;
    const ino = newInode(k, d.sb, { mode: S_IFREG | (opts.mode ?? 0o644), name: p.name, label: opts.label ?? null, iflags });
    linkChild(k, d.id, p.name, ino.id);
    const data = typeof opts.data === 'string' ? new TextEncoder().encode(opts.data) : opts.data;
    if (data && data.length) writeInodeData(k, ino.id, 0, data, null);
    if (opts.size !== undefined) {
      if (!Number.isSafeInteger(opts.size) || opts.size < 0) throw new SetupError(`${path}: bad size ${opts.size}`);
      if (data && opts.size < data.length) throw new SetupError(`${path}: size ${opts.size} is smaller than the data (${data.length} bytes)`);
      k.setInode({ ...k.inode(ino.id), size: opts.size });
    }
    return ino.id;
  }

  /** Write bytes into an existing file at offset (setup: no writer recorded in provenance). */
  writeFile(path: string, offset: number, data: Uint8Array | string): void {
    const r = this.resolve(path);
    writeInodeData(this.k, r.inode, offset, typeof data === 'string' ? new TextEncoder().encode(data) : data, null);
  }

  /** The contents of a file (up to i_size). */
  readFile(path: string): Uint8Array {
    const r = this.resolve(path);
    return readInodeData(this.k, r.inode, 0, this.k.inode(r.inode).size);
  }

  /** Create a character device node. */
  mknod(path: string, opts: { major: number; minor: number; label?: string; mode?: number }): number {
    const k = this.k;
    const p = this.parent(path);
    const d = k.inode(p.dir.inode);
    const ino = newInode(k, d.sb, { mode: S_IFCHR | (opts.mode ?? 0o600), name: p.name, label: opts.label ?? null, rdev: MKDEV(opts.major, opts.minor) });
    linkChild(k, d.id, p.name, ino.id);
    return ino.id;
  }

  /** Bind file_operations to a character device number (register_chrdev_region + cdev_add / misc_register). */
  registerChrdev(major: number, minor: number, fops: FileOperations): void {
    this.k.chrdevs.set(MKDEV(major, minor), fops);
  }

  /** misc_register(): a dynamic minor of major 10 and a node /dev/<name>. Returns the minor. */
  registerMisc(name: string, fops: FileOperations, opts: { label?: string; mode?: number } = {}): number {
    const k = this.k;
    let minor = 120;
    while (k.chrdevs.has(MKDEV(10, minor))) minor++;
    this.registerChrdev(10, minor, fops);
    this.mknod('/dev/' + name, { major: 10, minor, label: opts.label, mode: opts.mode ?? 0o666 });
    return minor;
  }

  /** Set (or clear with null) the security.selinux xattr. */
  setLabel(path: string, label: string | null): void {
    const r = this.resolve(path);
    this.k.setInode({ ...this.k.inode(r.inode), label });
  }

  /** Inode id for a path, or null. */
  lookup(path: string): number | null {
    const r = lookupPath(this.k, null, path);
    return typeof r === 'number' ? null : r.inode;
  }

  stat(path: string): InodeInfo {
    const r = this.resolve(path);
    const i = this.k.inode(r.inode);
    return { id: i.id, ino: i.ino, dev: this.k.sb(i.sb).sId, mode: i.mode, size: i.size, label: i.label, rdev: i.rdev };
  }

  /** A path naming the inode (first found walking the namespace), or null. */
  pathOf(inodeId: number): string | null {
    const k = this.k;
    const seen = new Set<number>();
    const visit = (dirId: number, path: string): string | null => {
      if (seen.has(dirId)) return null;
      seen.add(dirId);
      const d = k.inode(dirId);
      for (const [name, child] of d.children ?? []) {
        const p = path === '/' ? '/' + name : path + '/' + name;
        const mid = k.mountpoints.get(p);
        const target = mid !== undefined ? k.sb(k.mount(mid).sb).root : child;
        if (target === inodeId) return p;
        if (k.inode(target).children) {
          const r = visit(target, p);
          if (r) return r;
        }
      }
      return null;
    };
    const root = k.sb(k.mount(k.wk.rootMount).sb).root;
    if (root === inodeId) return '/';
    return visit(root, '/');
  }
}

function mntFlags(o: MountOptions): number {
  return (o.noexec ? MNT_NOEXEC : 0) | (o.nosuid ? MNT_NOSUID : 0) | (o.nodev ? MNT_NODEV : 0) | (o.ro ? MNT_READONLY : 0);
}

export { MAJOR, MINOR };
