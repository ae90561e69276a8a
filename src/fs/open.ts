// open(2), close(2), dup(2) (fs/open.c do_sys_openat2(), fs/namei.c path_openat()/do_open()/
// may_open(), fs/open.c do_dentry_open(), fs/file.c), in Linux 6.1's check order.
import type { Kernel } from '../kernel/kernel.js';
import type { FileOperations, Inode, OpenFile } from './types.js';
import { lookupPath, lookupParent, joinPath, type PathRef } from './namei.js';
import { allocFile, installAt, lowestFreeFd, removeFd, filePut, fileGet } from './file_table.js';
import { newInode, linkChild } from './super.js';
import { ext4FileOps, shmemFileOps, dirOps } from './generic.js';
import { defChrFops } from './chrdev.js';
import { truncateInode } from './pagecache.js';
import { securityInodePermission, securityFileOpen, securityInodeCreate } from '../security/hooks.js';
import {
  EACCES, EBADF, EEXIST, EINVAL, EISDIR, ELOOP, ENODEV, ENOENT, ENOTDIR, EPERM, EROFS,
} from '../abi/errno.js';
import {
  O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_CLOEXEC, O_PATH, O_TMPFILE, O_RDONLY, O_NOFOLLOW,
  MAY_OPEN, MAY_WRITE, MAY_EXEC, MAY_APPEND, accMode, openFmode,
  FMODE_WRITE, FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE, FMODE_CAN_READ, FMODE_CAN_WRITE, FMODE_CREATED, FMODE_ATOMIC_POS, FMODE_WRITER,
} from '../abi/fcntl.js';
import {
  S_IFMT, S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFLNK, S_ISREG, S_ISDIR,
  S_APPEND, S_IMMUTABLE, SB_RDONLY, SB_I_NODEV, MNT_READONLY, MNT_NODEV,
} from '../abi/stat.js';
import { inodeClassOf } from '../kernel/kernel.js';

/** The fops an inode opens with (inode->i_fop). */
export function inodeFops(k: Kernel, inode: Inode): FileOperations {
  if (inode.fops) return inode.fops;
  switch (inode.mode & S_IFMT) {
    case S_IFDIR:
      return dirOps;
    case S_IFCHR:
      return defChrFops;
    case S_IFREG: {
      const sb = k.sb(inode.sb);
      return sb.fstype === 'ext4' ? ext4FileOps : shmemFileOps;
    }
  }
  return { name: 'bad_file_ops' };
}

/** special_file(): character/block devices, FIFOs and sockets. */
function specialFile(mode: number): boolean {
  const t = mode & S_IFMT;
  return t === S_IFCHR || t === S_IFBLK || t === S_IFIFO || t === S_IFSOCK;
}

/** __mnt_want_write(): -EROFS on a read-only mount or superblock. */
function mntWantWrite(k: Kernel, mountId: number): number {
  const m = k.mount(mountId);
  if (m.flags & MNT_READONLY) return -EROFS;
  if (k.sb(m.sb).flags & SB_RDONLY) return -EROFS;
  return 0;
}

/** inode_permission() (fs/namei.c): sb_permission (EROFS), immutable (EPERM), then the LSM. DAC is not modelled. */
export function inodePermission(k: Kernel, pid: number, inodeId: number, mask: number): number {
  const inode = k.inode(inodeId);
  if (mask & MAY_WRITE) {
    // sb_permission(): "Nobody gets write access to a read-only fs."
    const sb = k.sb(inode.sb);
    const t = inode.mode & S_IFMT;
    if (sb.flags & SB_RDONLY && (t === S_IFREG || t === S_IFDIR || t === S_IFLNK)) return -EROFS;
    // "Nobody gets write access to an immutable file."
    if (inode.iflags & S_IMMUTABLE) return -EPERM;
  }
  return securityInodePermission(k, pid, inodeId, mask);
}

/** may_open() (fs/namei.c). */
function mayOpen(k: Kernel, pid: number, ref: PathRef, accm: number, flag: number): number {
  const inode = k.inode(ref.inode);
  switch (inode.mode & S_IFMT) {
    case S_IFLNK:
      return -ELOOP;
    case S_IFDIR:
      if (accm & MAY_WRITE) return -EISDIR;
      if (accm & MAY_EXEC) return -EACCES;
      break;
    case S_IFBLK:
    case S_IFCHR: {
      // may_open_dev(): MNT_NODEV / SB_I_NODEV
      const m = k.mount(ref.mount);
      if (m.flags & MNT_NODEV || k.sb(m.sb).iflags & SB_I_NODEV) return -EACCES;
      if (accm & MAY_EXEC) return -EACCES;
      flag &= ~O_TRUNC;
      break;
    }
    case S_IFIFO:
    case S_IFSOCK:
      if (accm & MAY_EXEC) return -EACCES;
      flag &= ~O_TRUNC;
      break;
    case S_IFREG:
      if (accm & MAY_EXEC && k.pathNoexec({ inode: ref.inode, mount: ref.mount } as OpenFile)) return -EACCES;
      break;
  }
  const err = inodePermission(k, pid, ref.inode, MAY_OPEN | accm);
  if (err) return err;
  // "An append-only file must be opened in append mode for writing."
  if (inode.iflags & S_APPEND) {
    if ((flag & O_ACCMODE) !== O_RDONLY && !(flag & O_APPEND)) return -EPERM;
    if (flag & O_TRUNC) return -EPERM;
  }
  return 0;
}

/**
 * vfs_open() / do_dentry_open(): allocate the file, take write access (EROFS), security_file_open(),
 * then f_op->open(). Returns the file id or -errno.
 */
export function vfsOpen(k: Kernel, pid: number, ref: PathRef, flags: number, extraFmode = 0): number {
  const inode = k.inode(ref.inode);
  let fmode = openFmode(flags) | extraFmode;
  if ((fmode & FMODE_WRITE) && !specialFile(inode.mode)) {
    const err = mntWantWrite(k, ref.mount);
    if (err) return err;
    fmode |= FMODE_WRITER;
  }
  if (S_ISREG(inode.mode) || S_ISDIR(inode.mode)) fmode |= FMODE_ATOMIC_POS;
  const fops = inodeFops(k, inode);
  let file = allocFile(k, pid, { inode: ref.inode, mount: ref.mount, path: ref.path, fmode, flags: flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC), fops });
  fileGet(k, file.id); // our reference while opening
  const sec = securityFileOpen(k, pid, file.id);
  if (sec) {
    k.files.delete(file.id);
    return sec;
  }
  // "normally all 3 are set; ->open() can clear them if needed"
  k.setFile({ ...k.file(file.id), fmode: k.file(file.id).fmode | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE });
  file = k.file(file.id);
  let result = file.id;
  if (file.fops.open) {
    const r = file.fops.open(k, pid, file);
    if (typeof r === 'number') {
      if (r < 0) {
        k.files.delete(file.id); // cleanup_all: ->release is not called for a failed open
        return r;
      }
    } else {
      result = r.file;
    }
  }
  file = k.file(file.id);
  // FMODE_CAN_READ/WRITE from the final f_op (do_dentry_open()).
  let m = file.fmode;
  if (file.fops.read) m |= FMODE_CAN_READ;
  if (file.fops.write) m |= FMODE_CAN_WRITE;
  k.setFile({ ...file, fmode: m, refs: file.refs - 1 });
  if (result !== file.id && k.file(file.id).refs <= 0) {
    // The driver handed out another file: the device file is dropped (fput of an unreferenced file).
    k.files.delete(file.id);
    file.fops.release?.(k, file);
  }
  return result;
}

/** open(2) / openat(AT_FDCWD): returns the new fd or -errno. `mode` is used with O_CREAT. */
export function sysOpen(k: Kernel, pid: number, path: string, flags: number, mode = 0o666): number {
  flags = flags >>> 0;
  // build_open_flags(): O_TMPFILE / O_PATH are not modelled.
  if ((flags & O_TMPFILE) === O_TMPFILE || flags & O_PATH) return -EINVAL;
  let accm = MAY_OPEN | accMode(flags);
  if (flags & O_TRUNC) accm |= MAY_WRITE;
  if (flags & O_APPEND) accm |= MAY_APPEND;
  // get_unused_fd_flags() comes before the path walk.
  const fd = lowestFreeFd(k, pid);
  if (fd < 0) return fd;

  let ref: PathRef | number;
  let created = false;
  if (flags & O_CREAT) {
    const p = lookupParent(k, pid, path);
    if (typeof p === 'number') return p;
    const dir = k.inode(p.dir.inode);
    const existing = dir.children!.get(p.name);
    if (existing !== undefined) {
      ref = { mount: p.dir.mount, inode: existing, path: joinPath(p.dir.path, p.name) };
      const mp = k.mountpoints.get(ref.path);
      if (mp !== undefined) ref = { mount: mp, inode: k.sb(k.mount(mp).sb).root, path: ref.path };
      // do_open(): O_EXCL on an existing name
      if (flags & O_EXCL) return -EEXIST;
      if (S_ISDIR(k.inode(ref.inode).mode)) return -EISDIR;
    } else {
      // open_last_lookups()/lookup_open(): mnt_want_write (EROFS), may_o_create(): dir MAY_WRITE|MAY_EXEC
      const ro = mntWantWrite(k, p.dir.mount);
      if (ro) return ro;
      const perr = inodePermission(k, pid, dir.id, MAY_WRITE | MAY_EXEC);
      if (perr) return perr;
      const cerr = securityInodeCreate(k, pid, dir.id, p.name);
      if (cerr) return cerr;
      const lab = k.lsm.inode_init_security(k, k.cred(pid), k.lsmInode(dir.id), p.name, inodeClassOf(S_IFREG));
      if (typeof lab === 'number' && lab !== 0) return lab;
      const label = typeof lab === 'number' ? null : lab.label;
      const ino = newInode(k, dir.sb, { mode: S_IFREG | (mode & 0o7777), name: p.name, label });
      linkChild(k, dir.id, p.name, ino.id);
      ref = { mount: p.dir.mount, inode: ino.id, path: joinPath(p.dir.path, p.name) };
      created = true;
    }
  } else {
    ref = lookupPath(k, pid, path);
    if (typeof ref === 'number') return ref;
  }
  void O_NOFOLLOW;
  const inode = k.inode(ref.inode);
  // do_open()
  if (flags & O_DIRECTORY && !S_ISDIR(inode.mode)) return -ENOTDIR;
  let doTruncate = false;
  if (created) {
    accm = 0;
    flags &= ~O_TRUNC;
  } else if (S_ISREG(inode.mode) && flags & O_TRUNC) {
    const err = mntWantWrite(k, ref.mount);
    if (err) return err;
    doTruncate = true;
  }
  const merr = mayOpen(k, pid, ref, accm, flags);
  if (merr) return merr;
  if (inodeFops(k, inode).name === 'bad_file_ops') return -ENODEV;
  const fid = vfsOpen(k, pid, ref, flags, created ? FMODE_CREATED : 0);
  if (fid < 0) return fid;
  if (doTruncate) truncateInode(k, ref.inode, 0); // handle_truncate()
  installAt(k, pid, fd, fid, (flags & O_CLOEXEC) !== 0);
  return fd;
}

/** close(2): -EBADF if fd is not open. */
export function sysClose(k: Kernel, pid: number, fd: number): number {
  const fid = removeFd(k, pid, fd);
  if (fid === undefined) return -EBADF;
  filePut(k, fid);
  return 0;
}

/** dup(2): the lowest free fd, FD_CLOEXEC clear. */
export function sysDup(k: Kernel, pid: number, fd: number): number {
  const e = k.fdEntry(pid, fd);
  if (!e) return -EBADF;
  const nfd = lowestFreeFd(k, pid);
  if (nfd < 0) return nfd;
  installAt(k, pid, nfd, e.file, false);
  return nfd;
}

/** dup2(2). */
export function sysDup2(k: Kernel, pid: number, oldfd: number, newfd: number): number {
  const e = k.fdEntry(pid, oldfd);
  if (!e) return -EBADF;
  if (!Number.isInteger(newfd) || newfd < 0 || newfd >= k.config.rlimitNofile) return -EBADF;
  if (oldfd === newfd) return newfd;
  const old = removeFd(k, pid, newfd);
  installAt(k, pid, newfd, e.file, false);
  if (old !== undefined) filePut(k, old);
  return newfd;
}

export { ENOENT };
