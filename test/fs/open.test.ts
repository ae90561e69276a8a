// VFS errno paths (Linux 6.1 fs/open.c, fs/namei.c, fs/read_write.c, fs/ioctl.c, fs/char_dev.c,
// mm/memfd.c, fs/anon_inodes.c).
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/kernel.js';
import { EBADF, EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENXIO, EPERM, EROFS, EACCES, EMFILE, ENOTTY, ESPIPE, ENOIOCTLCMD, ENAMETOOLONG } from '../../src/abi/errno.js';
import { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_CLOEXEC, MFD_CLOEXEC, MFD_NOEXEC_SEAL, MFD_EXEC, FIOCLEX, FMODE_READ } from '../../src/abi/fcntl.js';
import { PROT_READ, PROT_EXEC, MAP_SHARED } from '../../src/abi/mman.js';
import { anonInodeGetfile, anonInodeGetfileSecure } from '../../src/fs/anon_inodes.js';
import { NoopLsm, type LsmCred, type LsmFile } from '../../src/security/lsm.js';
import type { FileOperations } from '../../src/fs/types.js';

function boot(config = {}) {
  const k = Kernel.boot({ trace: false, ...config });
  const pid = k.spawn({ comm: 't' });
  return { k, pid };
}

describe('open', () => {
  it('path_openat: a missing name gives ENOENT, a non-directory component ENOTDIR, an empty path ENOENT, a long name ENAMETOOLONG', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/f', { data: 'x' });
    expect(k.sys.open(pid, '/tmp/nope', O_RDONLY)).toBe(-ENOENT);
    expect(k.sys.open(pid, '/tmp/f/x', O_RDONLY)).toBe(-ENOTDIR);
    expect(k.sys.open(pid, '', O_RDONLY)).toBe(-ENOENT);
    expect(k.sys.open(pid, '/tmp/' + 'a'.repeat(256), O_RDONLY)).toBe(-ENAMETOOLONG);
  });
  it('do_open: O_CREAT|O_EXCL of an existing name gives EEXIST; O_CREAT of a directory EISDIR; O_DIRECTORY of a file ENOTDIR', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/f', { data: 'x' });
    expect(k.sys.open(pid, '/tmp/f', O_RDWR | O_CREAT | O_EXCL)).toBe(-EEXIST);
    expect(k.sys.open(pid, '/tmp', O_RDONLY | O_CREAT)).toBe(-EISDIR);
    expect(k.sys.open(pid, '/tmp/f', O_RDONLY | O_DIRECTORY)).toBe(-ENOTDIR);
  });
  it('may_open: opening a directory for writing gives EISDIR', () => {
    const { k, pid } = boot();
    expect(k.sys.open(pid, '/tmp', O_WRONLY)).toBe(-EISDIR);
    expect(k.sys.open(pid, '/tmp', O_RDONLY)).toBeGreaterThanOrEqual(0);
  });
  it('do_dentry_open / lookup_open: writing on a read-only mount gives EROFS', () => {
    const { k, pid } = boot();
    k.fs.mkdir('/ro');
    k.fs.mount('/ro', 'tmpfs', { ro: true });
    expect(k.sys.open(pid, '/ro/new', O_RDWR | O_CREAT)).toBe(-EROFS);
    k.fs.remount('/ro', {});
    k.fs.createFile('/ro/f', { data: 'x' });
    k.fs.remount('/ro', { ro: true });
    expect(k.sys.open(pid, '/ro/f', O_RDWR)).toBe(-EROFS);
    expect(k.sys.open(pid, '/ro/f', O_RDONLY | O_TRUNC)).toBe(-EROFS);
    expect(k.sys.open(pid, '/ro/f', O_RDONLY)).toBeGreaterThanOrEqual(0);
  });
  it('may_open: an append-only file opened for writing without O_APPEND, or with O_TRUNC, gives EPERM; inode_permission: an immutable one EPERM', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/log', { data: 'x', appendOnly: true });
    k.fs.createFile('/tmp/imm', { data: 'x', immutable: true });
    expect(k.sys.open(pid, '/tmp/log', O_WRONLY)).toBe(-EPERM);
    expect(k.sys.open(pid, '/tmp/log', O_WRONLY | O_APPEND | O_TRUNC)).toBe(-EPERM);
    expect(k.sys.open(pid, '/tmp/log', O_WRONLY | O_APPEND)).toBeGreaterThanOrEqual(0);
    expect(k.sys.open(pid, '/tmp/imm', O_RDWR)).toBe(-EPERM);
  });
  it('may_open_dev: a device node on a nodev mount gives EACCES; chrdev_open: a node with no driver gives ENXIO', () => {
    const { k, pid } = boot();
    k.fs.mknod('/dev/nothing', { major: 250, minor: 0 });
    expect(k.sys.open(pid, '/dev/nothing', O_RDWR)).toBe(-ENXIO);
    k.fs.mkdir('/mnt');
    k.fs.mount('/mnt', 'tmpfs', { nodev: true });
    k.fs.mknod('/mnt/null', { major: 1, minor: 3 });
    expect(k.sys.open(pid, '/mnt/null', O_RDWR)).toBe(-EACCES);
    expect(k.sys.open(pid, '/dev/null', O_RDWR)).toBeGreaterThanOrEqual(0);
  });
  it('get_unused_fd_flags: past RLIMIT_NOFILE gives EMFILE (before the path walk)', () => {
    const { k, pid } = boot({ rlimitNofile: 2 });
    expect(k.sys.open(pid, '/dev/null', O_RDONLY)).toBe(0);
    expect(k.sys.open(pid, '/dev/null', O_RDONLY)).toBe(1);
    expect(k.sys.open(pid, '/nope', O_RDONLY)).toBe(-EMFILE);
  });
  it('O_CREAT creates with the LSM label (security_inode_init_security), O_TRUNC truncates, fds are the lowest free', () => {
    class Label extends NoopLsm {
      override inode_init_security() {
        return { label: 'system_u:object_r:user_tmp_t:s0' };
      }
    }
    const { k, pid } = boot({ lsm: new Label() });
    const fd = k.sys.open(pid, '/tmp/new', O_RDWR | O_CREAT | O_CLOEXEC, 0o600);
    expect(fd).toBe(0);
    expect(k.fdEntry(pid, fd)!.cloexec).toBe(true);
    expect(k.fs.stat('/tmp/new').label).toBe('system_u:object_r:user_tmp_t:s0');
    expect(k.sys.write(pid, fd, 'abc')).toBe(3);
    expect(k.sys.open(pid, '/tmp/new', O_RDWR | O_TRUNC)).toBe(1);
    expect(k.fs.stat('/tmp/new').size).toBe(0);
    expect(k.sys.close(pid, 0)).toBe(0);
    expect(k.sys.dup(pid, 1)).toBe(0);
    expect(k.sys.close(pid, 7)).toBe(-EBADF);
    expect(k.sys.dup(pid, 7)).toBe(-EBADF);
  });
});

describe('read/write/ioctl', () => {
  it('vfs_read/vfs_write: an fd without FMODE_READ/WRITE gives EBADF; pread on a position-less file is fine; negative pos EINVAL', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/f', { data: 'hello' });
    const ro = k.sys.open(pid, '/tmp/f', O_RDONLY);
    const wo = k.sys.open(pid, '/tmp/f', O_WRONLY);
    expect(k.sys.write(pid, ro, 'x')).toBe(-EBADF);
    expect(k.sys.read(pid, wo, 1)).toBe(-EBADF);
    expect(k.sys.read(pid, 99, 1)).toBe(-EBADF);
    expect(k.sys.read(pid, ro, 3)).toEqual(new TextEncoder().encode('hel'));
    expect(k.sys.read(pid, ro, 10)).toEqual(new TextEncoder().encode('lo'));
    expect(k.sys.pread(pid, ro, 2, 1)).toEqual(new TextEncoder().encode('el'));
    expect(k.sys.pread(pid, ro, 2, -1)).toBe(-EINVAL);
  });
  it('generic_write_checks: O_APPEND writes at EOF', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/f', { data: 'ab' });
    const fd = k.sys.open(pid, '/tmp/f', O_WRONLY | O_APPEND);
    k.sys.write(pid, fd, 'c');
    expect(new TextDecoder().decode(k.fs.readFile('/tmp/f'))).toBe('abc');
  });
  it('read of a directory gives EISDIR; a device without ->read gives EINVAL', () => {
    const { k, pid } = boot();
    const d = k.sys.open(pid, '/tmp', O_RDONLY);
    expect(k.sys.read(pid, d, 1)).toBe(-21);
    k.fs.registerChrdev(240, 0, { name: 'nop' });
    k.fs.mknod('/dev/nop', { major: 240, minor: 0 });
    const fd = k.sys.open(pid, '/dev/nop', O_RDWR);
    expect(k.sys.read(pid, fd, 1)).toBe(-EINVAL);
  });
  it('vfs_ioctl: no ->unlocked_ioctl gives ENOTTY, and -ENOIOCTLCMD from a driver becomes ENOTTY; FIOCLEX sets close-on-exec', () => {
    const { k, pid } = boot();
    const fd = k.sys.open(pid, '/dev/null', O_RDWR);
    expect(k.sys.ioctl(pid, fd, 0x1234, 0)).toBe(-ENOTTY);
    expect(k.sys.ioctl(pid, fd, FIOCLEX, 0)).toBe(0);
    expect(k.fdEntry(pid, fd)!.cloexec).toBe(true);
    k.fs.registerChrdev(240, 0, { name: 'drv', unlocked_ioctl: () => -ENOIOCTLCMD });
    k.fs.mknod('/dev/drv', { major: 240, minor: 0 });
    const d = k.sys.open(pid, '/dev/drv', O_RDWR);
    expect(k.sys.ioctl(pid, d, 0xa400, 0)).toBe(-ENOTTY);
    expect(k.sys.ioctl(pid, 77, 0xa400, 0)).toBe(-EBADF);
  });
  it('ESPIPE: pread on a driver that cleared FMODE_PREAD (nonseekable_open)', () => {
    const { k, pid } = boot();
    const fops: FileOperations = {
      name: 'pipe-like',
      read: () => new Uint8Array(1),
      open: (kk, _p, f) => {
        kk.setFile({ ...kk.file(f.id), fmode: f.fmode & ~0x8 & ~0x4 });
        return 0;
      },
    };
    k.fs.registerChrdev(241, 0, fops);
    k.fs.mknod('/dev/p', { major: 241, minor: 0 });
    const fd = k.sys.open(pid, '/dev/p', O_RDONLY);
    expect(k.sys.pread(pid, fd, 1, 0)).toBe(-ESPIPE);
  });
});

describe('memfd_create, anon inodes, fd passing', () => {
  it('memfd_create: unknown flags give EINVAL (MFD_NOEXEC_SEAL/MFD_EXEC only from 6.3), a name over 249 bytes EINVAL', () => {
    const { k, pid } = boot();
    expect(k.sys.memfd_create(pid, 'x', 0x100)).toBe(-EINVAL);
    expect(k.sys.memfd_create(pid, 'x', MFD_NOEXEC_SEAL)).toBe(-EINVAL);
    expect(k.sys.memfd_create(pid, 'a'.repeat(250), 0)).toBe(-EINVAL);
    expect(k.sys.memfd_create(pid, 'a'.repeat(249), MFD_CLOEXEC)).toBe(0);
    const k63 = boot({ version: '6.3' });
    expect(k63.k.sys.memfd_create(k63.pid, 'x', MFD_NOEXEC_SEAL)).toBe(0);
    expect(k63.k.sys.memfd_create(k63.pid, 'x', MFD_NOEXEC_SEAL | MFD_EXEC)).toBe(-EINVAL);
  });
  it('anon_inode_getfile: files share one S_PRIVATE inode; the secure variant labels its own inode through the LSM', () => {
    class Anon extends NoopLsm {
      override inode_init_security_anon(_k: Kernel, _c: LsmCred, name: string) {
        return { label: `system_u:object_r:${name.replace(/\W/g, '')}_t:s0` };
      }
    }
    const { k, pid } = boot({ lsm: new Anon() });
    const fops: FileOperations = { name: 'x', mmap: () => 0 };
    const f1 = anonInodeGetfile(k, pid, '[sgx]', fops, null, O_RDWR);
    const f2 = anonInodeGetfile(k, pid, '[sgx]', fops, null, O_RDWR);
    expect(k.lsmFile(f1).inode.id).toBe(k.lsmFile(f2).inode.id);
    expect(k.lsmFile(f1)).toMatchObject({ path: 'anon_inode:[sgx]', inode: { isPrivate: true, dev: 'anon_inodefs' } });
    expect(k.file(f1).fmode & FMODE_READ).toBe(FMODE_READ);
    const s = anonInodeGetfileSecure(k, pid, '[uffd]', fops, null, O_RDWR);
    expect(k.lsmFile(s).inode).toMatchObject({ isPrivate: false, inodeClass: 'anon_inode', label: 'system_u:object_r:uffd_t:s0' });
    const fd = k.installFile(pid, f1);
    const a = k.sys.mmap(pid, 0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    expect(a).toBeGreaterThan(0);
    expect(k.procMaps(pid)).toContain('anon_inode:[sgx]');
  });
  it('anon_inodefs SB_I_NOEXEC (6.16+): PROT_EXEC mappings of anon-inode files give EPERM', () => {
    const { k, pid } = boot({ version: '6.16' });
    const f = anonInodeGetfile(k, pid, '[x]', { name: 'x', mmap: () => 0 }, null, O_RDWR);
    const fd = k.installFile(pid, f);
    expect(k.sys.mmap(pid, 0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0)).toBe(-EPERM);
  });
  it('passFd (SCM_RIGHTS): security_file_receive() decides; the file keeps its opener cred; EBADF for a closed fd', () => {
    class Recv extends NoopLsm {
      seen: string[] = [];
      override file_receive(_k: Kernel, cred: LsmCred, file: LsmFile): number {
        this.seen.push(`${cred.context} <- ${file.cred.context}`);
        return cred.context.includes('deny') ? -EACCES : 0;
      }
    }
    const lsm = new Recv();
    const { k, pid } = boot({ lsm });
    const other = k.spawn({ comm: 'owner', context: 'u:r:owner_t:s0' });
    const fd = k.sys.open(other, '/dev/null', O_RDWR);
    k.setContext(pid, 'u:r:loader_t:s0');
    expect(k.passFd(other, fd, pid)).toBe(0);
    expect(lsm.seen).toEqual(['u:r:loader_t:s0 <- u:r:owner_t:s0']);
    k.setContext(pid, 'u:r:deny_t:s0');
    expect(k.passFd(other, fd, pid)).toBe(-EACCES);
    expect(k.passFd(other, 9, pid)).toBe(-EBADF);
  });
  it('a driver open() can hand out an anon-inode file instead of the device file; release runs at the last close', () => {
    const { k, pid } = boot();
    const released: number[] = [];
    const inner: FileOperations = { name: 'encl', release: (_k, f) => released.push(f.id) };
    const dev: FileOperations = {
      name: 'dev',
      open: (kk, p) => ({ file: anonInodeGetfile(kk, p, '[encl]', inner, null, O_RDWR) }),
    };
    k.fs.registerChrdev(242, 0, dev);
    k.fs.mknod('/dev/encl', { major: 242, minor: 0 });
    const fd = k.sys.open(pid, '/dev/encl', O_RDWR);
    expect(k.fdFile(pid, fd)!.path).toBe('anon_inode:[encl]');
    const d = k.sys.dup(pid, fd);
    k.sys.close(pid, fd);
    expect(released).toEqual([]);
    k.sys.close(pid, d);
    expect(released.length).toBe(1);
  });
});
