// Inode labelling (src/security/selinux/label.ts and SelinuxLsm.inodeContext()): what SELinux
// decides with for each kind of inode of the kernel model. Expected values follow
// inode_doinit_with_dentry() / security_fs_use() / security_compute_sid() (hooks.c,
// ss/services.c, Linux 6.1) and, for the audit fields, avc_audit_post_callback() (avc.c).
import { describe, it, expect } from 'vitest';
import { boot, traced, testPolicy, LOADER, LOADER_RANGE, obj, sys } from './hooks-fixture.js';
import { bootWithSelinux, selinuxOf } from '../../../src/security/selinux/boot.js';
import { SelinuxError } from '../../../src/security/selinux/hooks.js';
import {
  builtinFsLabelRules, computeObjectContext, isValidContext, lowLevel, matchPathCon, restorecon, splitContext, fileTypeLetter,
} from '../../../src/security/selinux/label.js';
import { builtinPolicy, PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import type { FileOperations } from '../../../src/fs/types.js';
import { O_RDONLY, O_RDWR } from '../../../src/abi/fcntl.js';
import { PROT_READ, MAP_SHARED } from '../../../src/abi/mman.js';
import { S_IFCHR, S_IFDIR, S_IFREG } from '../../../src/abi/stat.js';
import { EACCES } from '../../../src/abi/errno.js';

const stub: FileOperations = { name: 'stub', mmap: () => 0, unlocked_ioctl: () => 0 };

/** The target context of the last AVC query an open of `path` made. */
function openTarget(k: Kernel, pid: number, path: string, flags = O_RDONLY): { ret: number; tcontext: string; line?: string } {
  const t = traced(k, () => k.sys.open(pid, path, flags));
  const last = t.events.at(-1)!;
  return { ret: t.ret, tcontext: last.tcontext, line: last.line ?? undefined };
}

describe('fs labelling statements', () => {
  it('the built-in policies: fs_use_xattr ext4, fs_use_trans devtmpfs/tmpfs, genfscon anon_inodefs (builtin.ts source)', () => {
    const r = builtinFsLabelRules('default');
    expect(r.fsUse.get('ext4')).toEqual({ behavior: 'xattr', context: 'system_u:object_r:fs_t:s0' });
    expect(r.fsUse.get('devtmpfs')).toEqual({ behavior: 'trans', context: 'system_u:object_r:device_t:s0' });
    expect(r.fsUse.get('tmpfs')).toEqual({ behavior: 'trans', context: 'system_u:object_r:tmpfs_t:s0' });
    expect(r.genfs.get('anon_inodefs')).toEqual([{ path: '/', fileType: '', context: 'system_u:object_r:unlabeled_t:s0' }]);
  });
});

describe('inode labels as SELinux sees them', () => {
  it('fs_use_xattr without an xattr: the `file` initial SID (sbsec->def_sid)', () => {
    const k = boot('');
    k.fs.createFile('/opt/nolabel', { data: 'x' });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    expect(openTarget(k, pid, '/opt/nolabel').tcontext).toBe(sys('file_t'));
  });

  it('an invalid xattr is decided as unlabeled and shown with trawcon=', () => {
    const k = boot('');
    k.fs.createFile('/opt/bad', { data: 'x', label: 'u:object_r:nosuch_t:s0' });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    const r = openTarget(k, pid, '/opt/bad');
    expect(r.ret).toBe(-EACCES);
    expect(r.line).toBe(`avc:  denied  { read } for  pid=${pid} comm="loader" name="bad" dev="sda1" ino=${k.fs.stat('/opt/bad').ino} scontext=${LOADER} tcontext=${sys('unlabeled_t')} tclass=file permissive=0 trawcon="u:object_r:nosuch_t:s0"`);
  });

  it('a task with an invalid context is decided as unlabeled and shown with srawcon=', () => {
    const k = boot('');
    const pid = k.spawn({ comm: 'loader', context: 'u:r:gone_t:s0' });
    const t = traced(k, () => k.sys.open(pid, '/opt', O_RDONLY));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines[0]).toBe(`avc:  denied  { search } for  pid=${pid} comm="loader" name="/" dev="sda1" ino=2 scontext=${sys('unlabeled_t')} tcontext=system_u:object_r:root_t:s0 tclass=dir permissive=0 srawcon="u:r:gone_t:s0"`);
  });

  it("memfd (fs_use_trans tmpfs): the creating task's user and low level, tmpfs_t or a type_transition's type", () => {
    const k = boot('allow loader_t { tmpfs_t ltmp_t }:file { read write map };');
    const pid = k.spawn({ comm: 'loader', context: LOADER_RANGE });
    const fd = k.sys.memfd_create(pid, 'm', 0);
    const t = traced(k, () => k.sys.mmap(pid, 0, 4096, PROT_READ, MAP_SHARED, fd, 0));
    expect(t.events[0].tcontext).toBe('u:object_r:tmpfs_t:s0');
    const k2 = boot('type_transition loader_t tmpfs_t:file ltmp_t;');
    const pid2 = k2.spawn({ comm: 'loader', context: LOADER });
    const fd2 = k2.sys.memfd_create(pid2, 'm', 0);
    const t2 = traced(k2, () => k2.sys.mmap(pid2, 0, 4096, PROT_READ, MAP_SHARED, fd2, 0));
    expect(t2.events[0].tcontext).toBe(obj('ltmp_t'));
  });

  it('a tmpfs file created without a task (setup helper, no label): fs_use_trans from the kernel SID', () => {
    const k = boot('');
    k.fs.createFile('/tmp/x', { data: 'x' });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    expect(openTarget(k, pid, '/tmp/x').tcontext).toBe(sys('tmpfs_t'));
  });

  it('devtmpfs nodes created after boot: the file_contexts label (as udev sets it) with a built-in policy', () => {
    const k = bootWithSelinux({ policy: 'builtin:default' });
    k.fs.registerMisc('sgx_enclave', stub);
    k.fs.registerMisc('sgx_provision', stub);
    k.fs.registerMisc('somedev', stub);
    const pid = k.spawn({ comm: 'sh', context: PROCESS_CONTEXTS.unconfined });
    expect(openTarget(k, pid, '/dev/sgx_enclave', O_RDWR).tcontext).toBe('system_u:object_r:sgx_enclave_device_t:s0');
    expect(openTarget(k, pid, '/dev/sgx_provision', O_RDWR).tcontext).toBe('system_u:object_r:sgx_provision_device_t:s0');
    expect(openTarget(k, pid, '/dev/somedev', O_RDWR).tcontext).toBe('system_u:object_r:device_t:s0');
  });

  it('devtmpfs nodes without a file_contexts table: fs_use_trans devtmpfs from the kernel SID', () => {
    const k = boot('');
    k.fs.registerMisc('somedev', stub);
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    expect(openTarget(k, pid, '/dev/somedev', O_RDWR).tcontext).toBe(sys('device_t'));
  });

  it('an explicit label always wins over udev and the filesystem default', () => {
    const k = bootWithSelinux({ policy: 'builtin:default' });
    k.fs.registerMisc('sgx_enclave', stub, { label: 'system_u:object_r:null_device_t:s0' });
    const pid = k.spawn({ comm: 'sh', context: PROCESS_CONTEXTS.unconfined });
    expect(openTarget(k, pid, '/dev/sgx_enclave', O_RDWR).tcontext).toBe('system_u:object_r:null_device_t:s0');
  });

  it('context= mounts: setMountContext() checks its arguments', () => {
    const k = boot('');
    expect(() => selinuxOf(k).setMountContext(k, '/opt', obj('mnt_t'))).toThrow(SelinuxError);
    expect(() => selinuxOf(k).setMountContext(k, '/tmp', 'u:object_r:nosuch_t:s0')).toThrow(/not a valid context/);
  });
});

describe('bootWithSelinux() labels the boot namespace from file_contexts', () => {
  it('restorecon -RF / with the built-in table', () => {
    const k = bootWithSelinux({ policy: 'builtin:default' });
    expect(k.fs.stat('/').label).toBe('system_u:object_r:root_t:s0');
    expect(k.fs.stat('/tmp').label).toBe('system_u:object_r:tmp_t:s0');
    expect(k.fs.stat('/etc').label).toBe('system_u:object_r:etc_t:s0');
    expect(k.fs.stat('/home').label).toBe('system_u:object_r:home_root_t:s0'); // refpolicy kernel/files.fc: HOME_ROOT -d home_root_t
    expect(k.fs.stat('/dev').label).toBe('system_u:object_r:device_t:s0');
    expect(k.fs.stat('/dev/zero').label).toBe('system_u:object_r:zero_device_t:s0');
    expect(k.fs.stat('/dev/shm').label).toBe('system_u:object_r:tmpfs_t:s0');
  });

  it('restorecon(k, path) labels files added later, and can be turned off at boot', () => {
    const k = bootWithSelinux({ policy: 'builtin:default' });
    k.fs.mkdirs('/usr/lib64');
    k.fs.createFile('/usr/lib64/libsgx_urts.so', { data: 'x' });
    k.fs.mkdirs('/home/alice');
    k.fs.createFile('/home/alice/enclave.sigstruct', { data: 'x' });
    expect(restorecon(k, '/usr/lib64')).toBe(2);
    expect(k.fs.stat('/usr/lib64/libsgx_urts.so').label).toBe('system_u:object_r:lib_t:s0');
    restorecon(k, '/home');
    expect(k.fs.stat('/home/alice/enclave.sigstruct').label).toBe('unconfined_u:object_r:sgx_sigstruct_t:s0');
    const k2 = bootWithSelinux({ policy: 'builtin:default', restorecon: false });
    expect(k2.fs.stat('/home').label).toBe('system_u:object_r:home_root_t:s0');
  });
});

describe('label.ts helpers', () => {
  it('security_compute_sid() for objects: source user, object_r, rule type or target type, low level when MLS', () => {
    const { policy } = testPolicy('type_transition loader_t tmp_t:file ltmp_t; type_transition loader_t tmp_t:file magic_t "magic";');
    const cond = policy.evaluateConds([]);
    const src = splitContext(LOADER_RANGE)!;
    const dir = splitContext(sys('tmp_t'))!;
    expect(computeObjectContext(policy, cond, src, dir, 'file')).toBe('u:object_r:ltmp_t:s0');
    expect(computeObjectContext(policy, cond, src, dir, 'file', 'magic')).toBe('u:object_r:magic_t:s0');
    expect(computeObjectContext(policy, cond, src, dir, 'dir')).toBe('u:object_r:tmp_t:s0');
    expect(lowLevel('s0:c1-s0:c1.c5')).toBe('s0:c1');
  });

  it('isValidContext(): declared user and role (object_r always), a type that is not an attribute', () => {
    const p = builtinPolicy('default');
    expect(isValidContext(p, 'system_u:object_r:lib_t:s0')).toBe(true);
    expect(isValidContext(p, 'system_u:object_r:domain:s0')).toBe(false);
    expect(isValidContext(p, 'nobody_u:object_r:lib_t:s0')).toBe(false);
    expect(isValidContext(p, 'system_u:bogus_r:lib_t:s0')).toBe(false);
    expect(isValidContext(p, 'lib_t')).toBe(false);
  });

  it('matchPathCon(): the last matching entry wins; typed entries apply to their file type only', () => {
    const table = [
      { regex: '/dev(/.*)?', fileType: '' as const, context: 'a' },
      { regex: '/dev/x', fileType: '-c' as const, context: 'b' },
    ];
    expect(matchPathCon(table, '/dev/x', fileTypeLetter(S_IFCHR))).toBe('b');
    expect(matchPathCon(table, '/dev/x', fileTypeLetter(S_IFREG))).toBe('a');
    expect(matchPathCon(table, '/dev', fileTypeLetter(S_IFDIR))).toBe('a');
    expect(matchPathCon(table, '/etc', '-d')).toBe(null);
  });
});
