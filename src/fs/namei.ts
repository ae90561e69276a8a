// Path lookup (fs/namei.c), simplified to what a loader meets: absolute or cwd("/")-relative
// paths, no symlinks, lexical "..". On every directory searched, inode_permission(MAY_EXEC) runs
// (may_lookup()), which calls security_inode_permission() (SELinux dir:search). DAC mode bits are
// not modelled (tasks act as root with CAP_DAC_OVERRIDE): see docs/kernel.md.
import type { Kernel } from '../kernel/kernel.js';
import { ENOENT, ENOTDIR, ENAMETOOLONG } from '../abi/errno.js';
import { MAY_EXEC } from '../abi/fcntl.js';
import { S_ISDIR } from '../abi/stat.js';
import { securityInodePermission } from '../security/hooks.js';

export const PATH_MAX = 4096;
export const NAME_MAX = 255;

export interface PathRef {
  readonly mount: number;
  readonly inode: number;
  /** The normalised absolute path. */
  readonly path: string;
}

/** Split into components (lexical "." and ".."); -ENOENT for "", -ENAMETOOLONG for long names. */
export function components(path: string): string[] | number {
  if (path.length === 0) return -ENOENT;
  if (path.length >= PATH_MAX) return -ENAMETOOLONG;
  const out: string[] = [];
  for (const c of path.split('/')) {
    if (c === '' || c === '.') continue;
    if (c.length > NAME_MAX) return -ENAMETOOLONG;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

function join(parts: string[]): string {
  return '/' + parts.join('/');
}

/** The root of the namespace. */
export function rootRef(k: Kernel): PathRef {
  const m = k.mount(k.wk.rootMount);
  return { mount: m.id, inode: k.sb(m.sb).root, path: '/' };
}

/** Follow a mount mounted on `path`, if any (__follow_mount_rcu / traverse_mounts). */
function crossMount(k: Kernel, ref: PathRef): PathRef {
  const mid = k.mountpoints.get(ref.path);
  if (mid === undefined) return ref;
  const m = k.mount(mid);
  return { mount: m.id, inode: k.sb(m.sb).root, path: ref.path };
}

/** Walk `parts` from the root. `pid` null = kernel-internal lookup (no permission checks). */
function walk(k: Kernel, pid: number | null, parts: string[]): PathRef | number {
  let cur = crossMount(k, rootRef(k));
  const done: string[] = [];
  for (const name of parts) {
    const dir = k.inode(cur.inode);
    if (!S_ISDIR(dir.mode) || !dir.children) return -ENOTDIR;
    // may_lookup(): inode_permission(dir, MAY_EXEC)
    if (pid !== null) {
      const err = securityInodePermission(k, pid, dir.id, MAY_EXEC);
      if (err) return err;
    }
    const child = dir.children.get(name);
    if (child === undefined) return -ENOENT;
    done.push(name);
    cur = crossMount(k, { mount: cur.mount, inode: child, path: join(done) });
  }
  return cur;
}

/** Resolve a path to (mount, inode). */
export function lookupPath(k: Kernel, pid: number | null, path: string): PathRef | number {
  const parts = components(path);
  if (typeof parts === 'number') return parts;
  return walk(k, pid, parts);
}

/** Resolve the parent directory of a path and return it with the last component. */
export function lookupParent(k: Kernel, pid: number | null, path: string): { dir: PathRef; name: string } | number {
  const parts = components(path);
  if (typeof parts === 'number') return parts;
  if (parts.length === 0) return -ENOENT; // "/" has no last component to create
  const name = parts[parts.length - 1];
  const dir = walk(k, pid, parts.slice(0, -1));
  if (typeof dir === 'number') return dir;
  const d = k.inode(dir.inode);
  if (!S_ISDIR(d.mode)) return -ENOTDIR;
  // The last component's parent is searched too (lookup_open() needs MAY_EXEC on it).
  if (pid !== null) {
    const err = securityInodePermission(k, pid, d.id, MAY_EXEC);
    if (err) return err;
  }
  return { dir, name };
}

export function joinPath(dir: string, name: string): string {
  return dir === '/' ? '/' + name : dir + '/' + name;
}
