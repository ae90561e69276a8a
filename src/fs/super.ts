// Superblocks and mounts, and the filesystems the kernel boots with.
import type { Kernel } from '../kernel/kernel.js';
import type { FsType, Inode, Mount, SuperBlock } from './types.js';
import { BTree } from '../kernel/btree.js';
import { S_IFDIR, S_IFCHR, S_IFREG, MKDEV, SB_I_NOEXEC, SB_I_NODEV, SB_KERNMOUNT } from '../abi/stat.js';
import { memDevOps } from './chrdev.js';

export interface WellKnown {
  /** The root mount ("/"). */
  readonly rootMount: number;
  /** The kernel-internal tmpfs (shm_mnt) holding memfd and shared-anonymous inodes. */
  readonly shmSb: number;
  readonly shmMount: number;
  /** anon_inodefs. */
  readonly anonSb: number;
  readonly anonMount: number;
  /** The single S_PRIVATE inode every non-secure anon_inode_getfile() shares (fs/anon_inodes.c). */
  readonly anonInode: number;
}

/** Allocate a superblock with a root directory. */
export function newSuperBlock(
  k: Kernel,
  fstype: FsType,
  opts: { sId: string; dev: number; flags?: number; iflags?: number; defaultLabel?: string | null; rootLabel?: string | null; rootIno?: number },
): SuperBlock {
  const sbId = k.ids.sb++;
  const rootId = k.ids.inode++;
  const root: Inode = {
    id: rootId,
    sb: sbId,
    ino: opts.rootIno ?? 1,
    mode: S_IFDIR | 0o755,
    iflags: 0,
    size: 0,
    label: opts.rootLabel ?? null,
    name: '',
    pages: null,
    children: new Map(),
    rdev: 0,
    fops: null,
    pseudoPath: null,
    inodeClass: null,
  };
  k.setInode(root);
  const sb: SuperBlock = Object.freeze({
    id: sbId,
    fstype,
    sId: opts.sId,
    dev: opts.dev,
    flags: opts.flags ?? 0,
    iflags: opts.iflags ?? 0,
    root: rootId,
    defaultLabel: opts.defaultLabel ?? null,
  });
  k.sbs.set(sbId, sb);
  return sb;
}

/** Next i_ino on a superblock: one more than the largest in use (deterministic). */
export function allocIno(k: Kernel, sbId: number): number {
  const key = `ino:${sbId}`;
  const cur = (k.ids as unknown as Record<string, number>)[key] ?? 0;
  const sb = k.sb(sbId);
  const base = sb.fstype === 'ext4' ? 12 : 2;
  const n = Math.max(cur, base);
  (k.ids as unknown as Record<string, number>)[key] = n + 1;
  return n;
}

/** get_next_ino() (fs/inode.c): the global counter shmem kernel files and anon inodes use. */
export function getNextIno(k: Kernel): number {
  return k.ids.getNextIno++;
}

export function addMount(k: Kernel, sbId: number, mountpoint: string, flags: number): Mount {
  const m: Mount = Object.freeze({ id: k.ids.mount++, sb: sbId, mountpoint, flags });
  k.mounts.set(m.id, m);
  if (mountpoint) k.mountpoints.set(mountpoint, m.id);
  return m;
}

/** Add a child entry to a directory inode (new record). */
export function linkChild(k: Kernel, dirId: number, name: string, childId: number): void {
  const d = k.inode(dirId);
  if (!d.children) throw new Error(`inode ${dirId} is not a directory`);
  const children = new Map(d.children);
  children.set(name, childId);
  k.setInode({ ...d, children });
}

export function newInode(k: Kernel, sbId: number, fields: Partial<Inode> & { mode: number; name: string }): Inode {
  const id = k.ids.inode++;
  const isReg = (fields.mode & 0o170000) === S_IFREG;
  const isDir = (fields.mode & 0o170000) === S_IFDIR;
  const ino: Inode = {
    id,
    sb: sbId,
    ino: fields.ino ?? allocIno(k, sbId),
    mode: fields.mode,
    iflags: fields.iflags ?? 0,
    size: fields.size ?? 0,
    label: fields.label ?? null,
    name: fields.name,
    pages: fields.pages ?? (isReg ? new BTree() : null),
    children: fields.children ?? (isDir ? new Map() : null),
    rdev: fields.rdev ?? 0,
    fops: fields.fops ?? null,
    pseudoPath: fields.pseudoPath ?? null,
    inodeClass: fields.inodeClass ?? null,
  };
  k.setInode(ino);
  return ino;
}

/**
 * The boot-time namespace: ext4 on "/" (s_id sda1, 8:1) with /dev, /tmp, /home, /opt; devtmpfs on
 * /dev (0:5) with /dev/null, /dev/zero and /dev/shm (tmpfs); tmpfs on /tmp. Kernel-internal
 * mounts: shm_mnt (0:1) and anon_inodefs (0:14). Labels follow a typical targeted policy; they
 * are opaque strings to the core.
 */
export function bootFilesystems(k: Kernel): WellKnown {
  const root = newSuperBlock(k, 'ext4', { sId: 'sda1', dev: MKDEV(8, 1), rootIno: 2, rootLabel: 'system_u:object_r:root_t:s0', defaultLabel: 'system_u:object_r:file_t:s0' });
  const rootMount = addMount(k, root.id, '/', 0);
  for (const [name, label] of [
    ['dev', 'system_u:object_r:device_t:s0'],
    ['tmp', 'system_u:object_r:tmp_t:s0'],
    ['home', 'system_u:object_r:home_root_t:s0'],
    ['opt', 'system_u:object_r:usr_t:s0'],
    ['usr', 'system_u:object_r:usr_t:s0'],
    ['etc', 'system_u:object_r:etc_t:s0'],
  ] as const) {
    const d = newInode(k, root.id, { mode: S_IFDIR | 0o755, name, label });
    linkChild(k, root.root, name, d.id);
  }
  // devtmpfs on /dev
  const dev = newSuperBlock(k, 'devtmpfs', { sId: 'devtmpfs', dev: MKDEV(0, 5), rootLabel: 'system_u:object_r:device_t:s0', defaultLabel: 'system_u:object_r:device_t:s0' });
  addMount(k, dev.id, '/dev', 0); // systemd mounts /dev nosuid (and, since v246, noexec): set by scenarios via k.fs.remount
  k.chrdevs.set(MKDEV(1, 3), memDevOps.null);
  k.chrdevs.set(MKDEV(1, 5), memDevOps.zero);
  const nul = newInode(k, dev.id, { mode: S_IFCHR | 0o666, name: 'null', rdev: MKDEV(1, 3), label: 'system_u:object_r:null_device_t:s0' });
  linkChild(k, dev.root, 'null', nul.id);
  const zero = newInode(k, dev.id, { mode: S_IFCHR | 0o666, name: 'zero', rdev: MKDEV(1, 5), label: 'system_u:object_r:zero_device_t:s0' });
  linkChild(k, dev.root, 'zero', zero.id);
  const shmDir = newInode(k, dev.id, { mode: S_IFDIR | 0o1777, name: 'shm', label: 'system_u:object_r:tmpfs_t:s0' });
  linkChild(k, dev.root, 'shm', shmDir.id);
  const devshm = newSuperBlock(k, 'tmpfs', { sId: 'tmpfs', dev: MKDEV(0, k.ids.anonDev++), rootLabel: 'system_u:object_r:tmpfs_t:s0', defaultLabel: 'system_u:object_r:tmpfs_t:s0' });
  addMount(k, devshm.id, '/dev/shm', 0);
  const tmp = newSuperBlock(k, 'tmpfs', { sId: 'tmpfs', dev: MKDEV(0, k.ids.anonDev++), rootLabel: 'system_u:object_r:tmp_t:s0', defaultLabel: 'system_u:object_r:tmpfs_t:s0' });
  addMount(k, tmp.id, '/tmp', 0);
  // Kernel-internal mounts (not in the namespace).
  const shm = newSuperBlock(k, 'shm', { sId: 'tmpfs', dev: MKDEV(0, 1), flags: SB_KERNMOUNT, defaultLabel: 'system_u:object_r:tmpfs_t:s0' });
  const shmMount = addMount(k, shm.id, '', 0);
  const anonFlags = k.config.features.anonInodeNoexec ? SB_I_NOEXEC | SB_I_NODEV : 0;
  const anon = newSuperBlock(k, 'anon_inodefs', { sId: 'anon_inodefs', dev: MKDEV(0, 14), flags: SB_KERNMOUNT, iflags: anonFlags, defaultLabel: 'system_u:object_r:anon_inodefs_t:s0' });
  const anonMount = addMount(k, anon.id, '', 0);
  // alloc_anon_inode() (fs/libfs.c): S_PRIVATE, mode S_IRUSR|S_IWUSR (no file type bits).
  const anonInode = newInode(k, anon.id, { mode: 0o600, name: '[anon_inode]', iflags: 1 << 9, ino: getNextIno(k) });
  return { rootMount: rootMount.id, shmSb: shm.id, shmMount: shmMount.id, anonSb: anon.id, anonMount: anonMount.id, anonInode: anonInode.id };
}
