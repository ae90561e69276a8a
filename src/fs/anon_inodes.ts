// fs/anon_inodes.c: files on anonymous inodes, for drivers.
//   anonInodeGetfile(): every file shares one S_PRIVATE inode: LSMs skip inode checks on it.
//   anonInodeGetfileSecure(): a fresh inode with S_PRIVATE cleared, labelled through
//   security_inode_init_security_anon() (SELinux: class anon_inode, type_transition by name).
import type { Kernel } from '../kernel/kernel.js';
import type { FileOperations } from './types.js';
import { allocFile } from './file_table.js';
import { newInode, getNextIno } from './super.js';
import { openFmode, O_ACCMODE, O_NONBLOCK, FMODE_CAN_READ, FMODE_CAN_WRITE, FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE } from '../abi/fcntl.js';
import { errnoName } from '../abi/errno.js';

function fmodeFor(fops: FileOperations, flags: number): number {
  let m = openFmode(flags) | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
  if (fops.read) m |= FMODE_CAN_READ;
  if (fops.write) m |= FMODE_CAN_WRITE;
  return m;
}

/**
 * anon_inode_getfile(name, fops, priv, flags): a new open file on the shared anon inode, owned by
 * `pid` (f_cred). d_path is "anon_inode:" + name. Returns the file id (not yet in any fd table:
 * use k.installFile()).
 */
export function anonInodeGetfile(k: Kernel, pid: number, name: string, fops: FileOperations, privateData: unknown, flags: number): number {
  const f = allocFile(k, pid, {
    inode: k.wk.anonInode,
    mount: k.wk.anonMount,
    path: 'anon_inode:' + name,
    fmode: fmodeFor(fops, flags),
    flags: flags & (O_ACCMODE | O_NONBLOCK),
    fops,
    privateData,
  });
  return f.id;
}

/**
 * anon_inode_getfile_secure() (5.12+): a new inode (S_PRIVATE cleared) labelled by the LSM
 * (security_inode_init_security_anon(), with `contextInode` if given). Returns the file id or -errno.
 */
export function anonInodeGetfileSecure(
  k: Kernel,
  pid: number,
  name: string,
  fops: FileOperations,
  privateData: unknown,
  flags: number,
  contextInode: number | null = null,
): number {
  const res = k.lsm.inode_init_security_anon(k, k.cred(pid), name, contextInode === null ? null : k.lsmInode(contextInode));
  if (typeof res === 'number') {
    if (res !== 0) {
      k.trace.emit({ kind: 'lsm', pid, hook: 'inode_init_security_anon', ret: res, detail: { name, errno: errnoName(res) } });
      return res;
    }
  }
  const label = typeof res === 'number' ? null : res.label;
  const inode = newInode(k, k.wk.anonSb, {
    mode: 0o600,
    name,
    ino: getNextIno(k),
    label,
    pseudoPath: 'anon_inode:' + name,
    fops,
    inodeClass: 'anon_inode',
  });
  const f = allocFile(k, pid, {
    inode: inode.id,
    mount: k.wk.anonMount,
    path: 'anon_inode:' + name,
    fmode: fmodeFor(fops, flags),
    flags: flags & (O_ACCMODE | O_NONBLOCK),
    fops,
    privateData,
  });
  return f.id;
}
