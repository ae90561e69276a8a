// One test per branch of the SELinux hooks (security/selinux/hooks.c, Linux 6.1), driven through
// the kernel model's syscalls. The expected AVC queries (class, permissions, order) and audit
// text come from hooks.c and lsm_audit.c as quoted in ../shared/reference/selinux-semantics.md
// §1-§4 and the decision tables §7.2-§7.4; permissions are listed in the class's bit order
// (common file permissions first), as the kernel's avc_dump_av() prints them.
import { describe, it, expect } from 'vitest';
import { boot, traced, LOADER, LOADER_RANGE, OTHER, obj } from './hooks-fixture.js';
import { bootWithSelinux, selinuxOf } from '../../../src/security/selinux/boot.js';
import { PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import { FIONREAD, FIGETBSZ, FS_IOC_GETFLAGS, FS_IOC_SETVERSION, FIONBIO, KDSKBENT, fileMaskToAv } from '../../../src/security/selinux/hooks.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import type { FileOperations } from '../../../src/fs/types.js';
import { anonInodeGetfile, anonInodeGetfileSecure } from '../../../src/fs/anon_inodes.js';
import { START_BRK, STACK_VMA_START, STACK_TOP } from '../../../src/kernel/kernel.js';
import { O_RDONLY, O_WRONLY, O_RDWR, O_APPEND, O_TRUNC, O_CREAT, FIOCLEX, MAY_READ, MAY_WRITE, MAY_EXEC, MAY_APPEND, MAY_OPEN } from '../../../src/abi/fcntl.js';
import { PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_ANONYMOUS, MAP_FIXED } from '../../../src/abi/mman.js';
import { READ_IMPLIES_EXEC } from '../../../src/abi/personality.js';
import { CAP_SYS_RAWIO } from '../../../src/abi/capability.js';
import { S_IFREG, S_IFDIR } from '../../../src/abi/stat.js';
import { EACCES, EPERM } from '../../../src/abi/errno.js';

const RX = PROT_READ | PROT_EXEC;
const RW = PROT_READ | PROT_WRITE;
const RWX = PROT_READ | PROT_WRITE | PROT_EXEC;
const PAGE = 4096;

function setup(rules: string, opts: Parameters<typeof boot>[1] = {}): { k: Kernel; pid: number } {
  const k = boot(rules, opts);
  k.fs.createFile('/opt/lib.so', { data: new Uint8Array(2 * PAGE).fill(0x90), label: obj('lib_t') });
  const pid = k.spawn({ comm: 'loader', context: LOADER });
  return { k, pid };
}

const ino = (k: Kernel, path: string): number => k.fs.stat(path).ino;
/** What open(O_CREAT) of a new name in /tmp needs: may_o_create(), may_create(), file_open(). */
const CREATE_RULES = 'allow loader_t tmp_t:dir { write search add_name }; allow loader_t tmp_t:file { read write open create }; allow tmp_t tmpfs_t:filesystem associate;';

/** A character device whose ioctls and mmaps succeed (the driver part is not under test). */
const devFops: FileOperations = { name: 'testdev', mmap: () => 0, unlocked_ioctl: () => 0 };
const anonFops: FileOperations = { name: 'testanon', mmap: () => 0, unlocked_ioctl: () => 0 };

describe('selinux_inode_permission()', () => {
  it('checks dir:search on every directory of a path walk, then file_mask_to_av() on the file', () => {
    const { k, pid } = setup('allow loader_t lib_t:file { read open };');
    const t = traced(k, () => k.sys.open(pid, '/opt/lib.so', O_RDONLY));
    expect(t.ret).toBeGreaterThanOrEqual(0);
    expect(t.brief).toEqual([
      'inode_permission:dir{search}=ok', // "/" (root_t)
      'inode_permission:dir{search}=ok', // /opt (usr_t)
      'inode_permission:file{read}=ok',
      'file_open:file{read open}=ok',
    ]);
    expect(t.events.map((e) => e.tcontext)).toEqual(['system_u:object_r:root_t:s0', 'system_u:object_r:usr_t:s0', obj('lib_t'), obj('lib_t')]);
  });

  it('a denied search fails the walk with EACCES; the record is of type INODE (name=, not path=)', () => {
    const { k, pid } = setup('');
    k.fs.mkdir('/opt/secret', { label: obj('secret_t') });
    k.fs.createFile('/opt/secret/x', { label: obj('lib_t') });
    const t = traced(k, () => k.sys.open(pid, '/opt/secret/x', O_RDONLY));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines).toEqual([
      `avc:  denied  { search } for  pid=${pid} comm="loader" name="secret" dev="sda1" ino=${ino(k, '/opt/secret')} scontext=${LOADER} tcontext=${obj('secret_t')} tclass=dir permissive=0`,
    ]);
  });

  it('the root directory of a filesystem is audited as name="/"', () => {
    const { k, pid } = setup('', { base: false });
    const t = traced(k, () => k.sys.open(pid, '/opt/lib.so', O_RDONLY));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines).toEqual([`avc:  denied  { search } for  pid=${pid} comm="loader" name="/" dev="sda1" ino=2 scontext=${LOADER} tcontext=system_u:object_r:root_t:s0 tclass=dir permissive=0`]);
  });

  it('MAY_APPEND replaces write (O_WRONLY|O_APPEND asks append, not write)', () => {
    const { k, pid } = setup('allow loader_t lib_t:file { append open };');
    const t = traced(k, () => k.sys.open(pid, '/opt/lib.so', O_WRONLY | O_APPEND));
    expect(t.ret).toBeGreaterThanOrEqual(0);
    expect(t.brief.slice(2)).toEqual(['inode_permission:file{append}=ok', 'file_open:file{append open}=ok']);
  });

  it('O_RDWR asks read and write', () => {
    const { k, pid } = setup('allow loader_t lib_t:file { read write open };');
    const t = traced(k, () => k.sys.open(pid, '/opt/lib.so', O_RDWR));
    expect(t.brief.slice(2)).toEqual(['inode_permission:file{read write}=ok', 'file_open:file{read write open}=ok']);
  });

  it('O_TRUNC adds MAY_WRITE to inode_permission only (file_open follows f_mode)', () => {
    const { k, pid } = setup('allow loader_t lib_t:file { read write open };');
    const t = traced(k, () => k.sys.open(pid, '/opt/lib.so', O_RDONLY | O_TRUNC));
    expect(t.ret).toBeGreaterThanOrEqual(0);
    expect(t.brief.slice(2)).toEqual(['inode_permission:file{read write}=ok', 'file_open:file{read open}=ok']);
  });

  it('a mask without READ/WRITE/EXEC/APPEND is an existence test (no query); S_PRIVATE inodes are never checked', () => {
    const { k, pid } = setup('');
    const lsm = selinuxOf(k);
    const t = traced(k, () => [
      lsm.inode_permission(k, k.cred(pid), k.lsmInode(k.fs.lookup('/opt/lib.so')!), MAY_OPEN),
      lsm.inode_permission(k, k.cred(pid), k.lsmInode(k.wk.anonInode), MAY_READ | MAY_WRITE),
    ]);
    expect(t.ret).toEqual([0, 0]);
    expect(t.events).toEqual([]);
  });

  it('creating a file asks dir { write search } of the parent (may_o_create), nothing of the new inode', () => {
    const { k, pid } = setup(CREATE_RULES);
    const t = traced(k, () => k.sys.open(pid, '/tmp/new', O_CREAT | O_RDWR));
    expect(t.ret).toBeGreaterThanOrEqual(0);
    expect(t.brief.filter((b) => b.startsWith('inode_permission'))).toEqual(['inode_permission:dir{search}=ok', 'inode_permission:dir{search}=ok', 'inode_permission:dir{write search}=ok']);
  });

  it('file_mask_to_av() maps directory masks to search/write/read', () => {
    expect(fileMaskToAv(S_IFDIR, MAY_EXEC | MAY_WRITE | MAY_READ)).toEqual(['search', 'write', 'read']);
    expect(fileMaskToAv(S_IFREG, MAY_EXEC | MAY_READ | MAY_WRITE | MAY_APPEND)).toEqual(['execute', 'read', 'append']);
  });
});

describe('selinux_file_open()', () => {
  it('adds open only under policycap open_perms', () => {
    const { k, pid } = setup('allow domain { root_t usr_t }:dir search; allow loader_t lib_t:file read;', { base: false });
    const t = traced(k, () => k.sys.open(pid, '/opt/lib.so', O_RDONLY));
    expect(t.ret).toBeGreaterThanOrEqual(0);
    expect(t.brief.slice(2)).toEqual(['inode_permission:file{read}=ok', 'file_open:file{read}=ok']);
  });

  it('a denied open is audited with path= (audit type FILE) and lists only the denied permission', () => {
    const { k, pid } = setup('allow loader_t lib_t:file read;');
    const t = traced(k, () => k.sys.open(pid, '/opt/lib.so', O_RDONLY));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines).toEqual([`avc:  denied  { open } for  pid=${pid} comm="loader" path="/opt/lib.so" dev="sda1" ino=${ino(k, '/opt/lib.so')} scontext=${LOADER} tcontext=${obj('lib_t')} tclass=file permissive=0`]);
  });

  it('access mode 3 (ioctl-only open) asks ioctl (file_to_av)', () => {
    const { k, pid } = setup('allow loader_t null_device_t:chr_file { read write ioctl open };');
    const t = traced(k, () => k.sys.open(pid, '/dev/null', 3));
    expect(t.ret).toBeGreaterThanOrEqual(0);
    expect(t.brief.slice(2)).toEqual(['inode_permission:chr_file{read write}=ok', 'file_open:chr_file{ioctl open}=ok']);
  });
});

describe('selinux_file_permission()', () => {
  const rules = `
    bool flip false;
    allow loader_t lib_t:file { read write append open };
    allow loader_t data_t:file { read };
    allow other_t loader_t:fd use;
    allow other_t lib_t:file read;
    allow loader_t tmpfs_t:file { read write };
  `;

  it('no query when task SID, inode SID and policy seqno are those recorded at open', () => {
    const { k, pid } = setup(rules);
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    const t = traced(k, () => k.sys.read(pid, fd, 16));
    expect((t.ret as Uint8Array).length).toBe(16);
    expect(t.events).toEqual([]);
  });

  it('a boolean change (new policy seqno) makes the next read revalidate', () => {
    const { k, pid } = setup(rules);
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    selinuxOf(k).setBoolean('flip', true);
    const t = traced(k, () => k.sys.read(pid, fd, 16));
    expect(t.brief).toEqual(['file_permission:file{read}=ok']);
  });

  it('setenforce does not change the policy seqno (no revalidation)', () => {
    const { k, pid } = setup(rules, { enforcing: false });
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    selinuxOf(k).setEnforcing(true);
    const t = traced(k, () => k.sys.read(pid, fd, 16));
    expect(t.events).toEqual([]);
  });

  it('a task whose domain changed revalidates through file_has_perm(): fd:use, then read', () => {
    const { k, pid } = setup(rules);
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    k.setContext(pid, OTHER);
    const t = traced(k, () => k.sys.read(pid, fd, 16));
    expect(t.brief).toEqual(['file_permission:fd{use}=ok', 'file_permission:file{read}=ok']);
    expect(t.events[0].tcontext).toBe(LOADER);
  });

  it('a relabelled inode is revalidated against its new label', () => {
    const { k, pid } = setup(rules);
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    k.fs.setLabel('/opt/lib.so', obj('data_t'));
    const t = traced(k, () => k.sys.read(pid, fd, 16));
    expect(t.events.map((e) => [e.tcontext, e.requested.join(' ')])).toEqual([[obj('data_t'), 'read']]);
  });

  it('revalidating a write on an O_APPEND file asks append', () => {
    const { k, pid } = setup(rules);
    const fd = k.sys.open(pid, '/opt/lib.so', O_WRONLY | O_APPEND);
    selinuxOf(k).setBoolean('flip', true);
    const t = traced(k, () => k.sys.write(pid, fd, 'x'));
    expect(t.brief).toEqual(['file_permission:file{append}=ok']);
  });

  it('files never opened through open(2) (memfd) revalidate on every read and write', () => {
    const { k, pid } = setup(rules);
    const fd = k.sys.memfd_create(pid, 'm', 0);
    const t = traced(k, () => [k.sys.write(pid, fd, 'abc'), k.sys.write(pid, fd, 'def')]);
    expect(t.ret).toEqual([3, 3]);
    expect(t.brief).toEqual(['file_permission:file{write}=ok', 'file_permission:file{write}=ok']);
  });
});

describe('selinux_mmap_file() and file_map_prot_check()', () => {
  const rules = `
    allow loader_t lib_t:file { read write open map execute };
    allow loader_t data_t:file { read write open execute };
  `;

  function mapFile(k: Kernel, pid: number, flags: number, prot: number, open = O_RDONLY): ReturnType<typeof traced<number>> {
    const fd = k.sys.open(pid, '/opt/lib.so', open);
    expect(fd).toBeGreaterThanOrEqual(0);
    return traced(k, () => k.sys.mmap(pid, 0, PAGE, prot, flags, fd, 0));
  }

  it('private read: file:map, then file:read (read is always checked with a mapping)', () => {
    const { k, pid } = setup(rules);
    const t = mapFile(k, pid, MAP_PRIVATE, PROT_READ);
    expect(t.ret).toBeGreaterThan(0);
    expect(t.brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:file{read}=ok']);
    expect(t.events.map((e) => e.check)).toEqual(['selinux_mmap_file', 'file_has_perm']);
  });

  it('PROT_NONE still asks map and read', () => {
    const { k, pid } = setup(rules);
    expect(mapFile(k, pid, MAP_PRIVATE, PROT_NONE).brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:file{read}=ok']);
  });

  it('a denied map stops the hook: EACCES, audit path=, nothing else asked', () => {
    const { k, pid } = setup(rules);
    k.fs.createFile('/opt/data', { data: 'x', label: obj('data_t') });
    const fd = k.sys.open(pid, '/opt/data', O_RDONLY);
    const t = traced(k, () => k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0));
    expect(t.ret).toBe(-EACCES);
    expect(t.brief).toEqual(['mmap_file:file{map}=EACCES']);
    expect(t.lines).toEqual([`avc:  denied  { map } for  pid=${pid} comm="loader" path="/opt/data" dev="sda1" ino=${ino(k, '/opt/data')} scontext=${LOADER} tcontext=${obj('data_t')} tclass=file permissive=0`]);
  });

  it('write is asked only for shared writable mappings', () => {
    const a = setup(rules);
    expect(mapFile(a.k, a.pid, MAP_SHARED, RW, O_RDWR).brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:file{read write}=ok']);
    const b = setup(rules);
    expect(mapFile(b.k, b.pid, MAP_PRIVATE, RW, O_RDWR).brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:file{read}=ok']);
  });

  it('private RX: read and execute in one query, no execmem', () => {
    const { k, pid } = setup(rules);
    expect(mapFile(k, pid, MAP_PRIVATE, RX).brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:file{read execute}=ok']);
  });

  it('private RWX: execmem (self, class process, no object in the record) between map and the file query', () => {
    const { k, pid } = setup(rules + 'allow loader_t self:process execmem;');
    const t = mapFile(k, pid, MAP_PRIVATE, RWX);
    expect(t.brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:process{execmem}=ok', 'mmap_file:file{read execute}=ok']);
    expect([t.events[1].scontext, t.events[1].tcontext]).toEqual([LOADER, LOADER]);
  });

  it('MAP_SHARED_VALIDATE is not MAP_SHARED for the hook: W+X needs execmem and write is not asked', () => {
    const { k, pid } = setup(rules + 'allow loader_t self:process execmem;');
    expect(mapFile(k, pid, MAP_SHARED_VALIDATE, RWX, O_RDWR).brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:process{execmem}=ok', 'mmap_file:file{read execute}=ok']);
  });

  it('anonymous mappings: nothing unless executable, then execmem only', () => {
    const { k, pid } = setup('');
    const t = traced(k, () => [
      k.sys.mmap(pid, 0, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      k.sys.mmap(pid, 0, PAGE, RX, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
    ]);
    expect(t.ret[1]).toBe(-EACCES);
    expect(t.brief).toEqual(['mmap_file:process{execmem}=EACCES']);
    expect(t.lines).toEqual([`avc:  denied  { execmem } for  pid=${pid} comm="loader" scontext=${LOADER} tcontext=${LOADER} tclass=process permissive=0`]);
  });

  it('an fd opened by another domain: map (inode_has_perm, no fd:use), then fd:use, then the file query', () => {
    const { k, pid } = setup(rules + 'allow loader_t other_t:fd use; allow other_t lib_t:file { read open };');
    const other = k.spawn({ comm: 'other', context: OTHER });
    const ofd = k.sys.open(other, '/opt/lib.so', O_RDONLY);
    const fd = k.sys.passFd(other, ofd, pid);
    expect(fd).toBeGreaterThanOrEqual(0);
    const t = traced(k, () => k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0));
    expect(t.brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:fd{use}=ok', 'mmap_file:file{read}=ok']);
    expect(t.events[1].tcontext).toBe(OTHER);
  });

  it('an S_PRIVATE inode (anon_inode_getfile()) gets execmem and no file check at all', () => {
    const { k, pid } = setup('');
    const fd = k.installFile(pid, anonInodeGetfile(k, pid, '[test]', anonFops, null, O_RDWR));
    const t = traced(k, () => k.sys.mmap(pid, 0, PAGE, RX, MAP_SHARED, fd, 0));
    expect(t.ret).toBe(-EACCES);
    expect(t.brief).toEqual(['mmap_file:process{execmem}=EACCES']);
  });

  it('READ_IMPLIES_EXEC: the hook checks the protection the kernel applies (execute for PROT_READ)', () => {
    const { k, pid } = setup(rules);
    k.setPersonality(pid, READ_IMPLIES_EXEC);
    expect(mapFile(k, pid, MAP_PRIVATE, PROT_READ).brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:file{read execute}=ok']);
  });

  it('checkreqprot=1 (kernels before 6.4) checks the requested protection instead', () => {
    const { k, pid } = setup(rules, { checkreqprot: true });
    k.setPersonality(pid, READ_IMPLIES_EXEC);
    expect(mapFile(k, pid, MAP_PRIVATE, PROT_READ).brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:file{read}=ok']);
  });

  it('checkreqprot is inert from Linux 6.4 (a boot note says so)', () => {
    const { k, pid } = setup(rules, { checkreqprot: true, version: '6.6' });
    expect(k.trace.ofKind('note').map((n) => n.message)).toContain('SELinux: checkreqprot=1 is no longer supported (Linux 6.4+); ignored');
    k.setPersonality(pid, READ_IMPLIES_EXEC);
    expect(mapFile(k, pid, MAP_PRIVATE, PROT_READ).brief).toEqual(['mmap_file:file{map}=ok', 'mmap_file:file{read execute}=ok']);
  });

  it('default_noexec=0 (not x86): no execmem checks at all', () => {
    const { k, pid } = setup('', { defaultNoexec: false });
    const t = traced(k, () => k.sys.mmap(pid, 0, PAGE, RWX, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    expect(t.ret).toBeGreaterThan(0);
    expect(t.events).toEqual([]);
  });
});

describe('selinux_mmap_addr()', () => {
  it('below CONFIG_LSM_MMAP_MIN_ADDR but above vm.mmap_min_addr: memprotect:mmap_zero decides (EACCES)', () => {
    const { k, pid } = setup('', { mmapMinAddr: 4096 });
    const t = traced(k, () => k.sys.mmap(pid, 0x8000, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines).toEqual([`avc:  denied  { mmap_zero } for  pid=${pid} comm="loader" scontext=${LOADER} tcontext=${LOADER} tclass=memprotect permissive=0`]);
  });

  it('below vm.mmap_min_addr without CAP_SYS_RAWIO: EPERM from cap_mmap_addr(), SELinux never asked', () => {
    const { k, pid } = setup('');
    const t = traced(k, () => k.sys.mmap(pid, 0x1000, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    expect(t.ret).toBe(-EPERM);
    expect(t.events).toEqual([]);
  });

  it('with CAP_SYS_RAWIO the SELinux check follows; at or above the limit nothing is asked', () => {
    const { k, pid } = setup('allow loader_t self:memprotect mmap_zero;');
    k.setCapabilities(pid, [CAP_SYS_RAWIO]);
    const t = traced(k, () => [
      k.sys.mmap(pid, 0x1000, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
      k.sys.mmap(pid, 0x10000, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
    ]);
    expect(t.ret).toEqual([0x1000, 0x10000]);
    expect(t.brief).toEqual(['mmap_addr:memprotect{mmap_zero}=ok']);
  });
});

describe('selinux_file_mprotect()', () => {
  const anon = (k: Kernel, pid: number, prot = RW, addr = 0): number => k.sys.mmap(pid, addr, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | (addr ? MAP_FIXED : 0), -1, 0);

  it('+X on the heap ([start_brk, brk]): execheap first (denied here)', () => {
    const { k, pid } = setup('');
    k.sys.brk(pid, START_BRK + 2 * PAGE);
    const t = traced(k, () => k.sys.mprotect(pid, START_BRK, 2 * PAGE, RWX));
    expect(t.ret).toBe(-EACCES);
    expect(t.brief).toEqual(['file_mprotect:process{execheap}=EACCES']);
  });

  it('+X on the heap with execheap allowed still needs execmem', () => {
    const { k, pid } = setup('allow loader_t self:process execheap;');
    k.sys.brk(pid, START_BRK + 2 * PAGE);
    const t = traced(k, () => k.sys.mprotect(pid, START_BRK, 2 * PAGE, RX));
    expect(t.ret).toBe(-EACCES);
    expect(t.brief).toEqual(['file_mprotect:process{execheap}=ok', 'file_mprotect:process{execmem}=EACCES']);
  });

  it('a mapping right after the heap is not the heap (vm_end > brk): execmem only', () => {
    const { k, pid } = setup('');
    k.sys.brk(pid, START_BRK + PAGE);
    expect(anon(k, pid, PROT_READ, START_BRK + PAGE)).toBe(START_BRK + PAGE);
    const t = traced(k, () => k.sys.mprotect(pid, START_BRK + PAGE, PAGE, RX));
    expect(t.brief).toEqual(['file_mprotect:process{execmem}=EACCES']);
  });

  it('an empty heap (brk == start_brk) matches nothing: a mapping at start_brk gets execmem only', () => {
    const { k, pid } = setup('');
    expect(anon(k, pid, RW, START_BRK)).toBe(START_BRK);
    const t = traced(k, () => k.sys.mprotect(pid, START_BRK, PAGE, RX));
    expect(t.brief).toEqual(['file_mprotect:process{execmem}=EACCES']);
  });

  it('+X on the main stack (holds mm->start_stack): execstack, then execmem', () => {
    const { k, pid } = setup('allow loader_t self:process { execstack execmem };');
    const t = traced(k, () => k.sys.mprotect(pid, STACK_VMA_START, STACK_TOP - STACK_VMA_START, RWX));
    expect(t.ret).toBe(0);
    expect(t.brief).toEqual(['file_mprotect:process{execstack}=ok', 'file_mprotect:process{execmem}=ok']);
  });

  it("+X on a thread stack (holds current's stack pointer, end inclusive): execstack", () => {
    const { k, pid } = setup('allow loader_t self:process execstack;');
    const a = anon(k, pid);
    const b = anon(k, pid);
    k.setStackPointer(pid, a + PAGE / 2);
    const t1 = traced(k, () => k.sys.mprotect(pid, a, PAGE, RX));
    expect(t1.brief).toEqual(['file_mprotect:process{execstack}=ok', 'file_mprotect:process{execmem}=EACCES']);
    // vma_is_stack_for_current(): vm_start <= sp && vm_end >= sp
    k.setStackPointer(pid, b + PAGE);
    const t2 = traced(k, () => k.sys.mprotect(pid, b, PAGE, RX));
    expect(t2.brief).toEqual(['file_mprotect:process{execstack}=ok', 'file_mprotect:process{execmem}=EACCES']);
  });

  it('a file mapping holding the stack pointer is not a stack (anonymous VMAs only)', () => {
    const { k, pid } = setup('allow loader_t lib_t:file { read open map execute };');
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    const a = k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    k.setStackPointer(pid, a + 16);
    const t = traced(k, () => k.sys.mprotect(pid, a, PAGE, RX));
    expect(t.ret).toBe(0);
    expect(t.brief).toEqual(['file_mprotect:file{read execute}=ok']);
  });

  it('a private file mapping with COWed pages (anon_vma): execmod, then read+execute; without a write: read+execute only', () => {
    const { k, pid } = setup('allow loader_t lib_t:file { read open map execute execmod };');
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    const a = k.sys.mmap(pid, 0, PAGE, RW, MAP_PRIVATE, fd, 0);
    const b = k.sys.mmap(pid, 0, PAGE, RW, MAP_PRIVATE, fd, 0);
    expect(k.mem.write(pid, a, new Uint8Array([1])).ok).toBe(true);
    const t = traced(k, () => [k.sys.mprotect(pid, a, PAGE, RX), k.sys.mprotect(pid, b, PAGE, RX)]);
    expect(t.ret).toEqual([0, 0]);
    expect(t.brief).toEqual(['file_mprotect:file{execmod}=ok', 'file_mprotect:file{read execute}=ok', 'file_mprotect:file{read execute}=ok']);
  });

  it('a VMA already VM_EXEC skips the execheap/execstack/execmod block (RX -> RWX: execmem only)', () => {
    const { k, pid } = setup('allow loader_t self:process execmem;');
    k.sys.brk(pid, START_BRK + PAGE);
    const a = anon(k, pid, RX);
    const t = traced(k, () => k.sys.mprotect(pid, a, PAGE, RWX));
    expect(t.brief).toEqual(['file_mprotect:process{execmem}=ok']);
  });

  it('shared file mappings use VM_SHARED: write+execute on the file, no execmem', () => {
    const { k, pid } = setup('allow loader_t lib_t:file { read write open map execute };');
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDWR);
    const a = k.sys.mmap(pid, 0, PAGE, RW, MAP_SHARED, fd, 0);
    const t = traced(k, () => k.sys.mprotect(pid, a, PAGE, RWX));
    expect(t.ret).toBe(0);
    expect(t.brief).toEqual(['file_mprotect:file{read write execute}=ok']);
  });
});

describe('selinux_file_ioctl()', () => {
  const rules = `
    allow loader_t sgxdev_t:chr_file { read write open ioctl getattr setattr };
    allowxperm loader_t sgxdev_t:chr_file ioctl { 0xa400-0xa403 };
    allow loader_t other_t:fd use;
    allow other_t sgxdev_t:chr_file { read write open };
  `;
  function dev(extra = '', opts: Parameters<typeof boot>[1] = {}): { k: Kernel; pid: number; fd: number } {
    const { k, pid } = setup(rules + extra, opts);
    k.fs.registerMisc('testdev', devFops, { label: obj('sgxdev_t') });
    const fd = k.sys.open(pid, '/dev/testdev', O_RDWR);
    expect(fd).toBeGreaterThanOrEqual(0);
    return { k, pid, fd };
  }

  it('FIONREAD, FIGETBSZ, FS_IOC_GETFLAGS ask getattr; FS_IOC_SETVERSION asks setattr', () => {
    const { k, pid, fd } = dev();
    const t = traced(k, () => [FIONREAD, FIGETBSZ, FS_IOC_GETFLAGS, FS_IOC_SETVERSION].map((c) => k.sys.ioctl(pid, fd, c, 0)));
    expect(t.brief).toEqual(['file_ioctl:chr_file{getattr}=ok', 'file_ioctl:chr_file{getattr}=ok', 'file_ioctl:chr_file{getattr}=ok', 'file_ioctl:chr_file{setattr}=ok']);
  });

  it('FIONBIO asks only fd:use (nothing for an fd of the same domain)', () => {
    const { k, pid, fd } = dev();
    expect(traced(k, () => k.sys.ioctl(pid, fd, FIONBIO, 0)).events).toEqual([]);
    const other = k.spawn({ comm: 'other', context: OTHER });
    const ofd = k.sys.open(other, '/dev/testdev', O_RDWR);
    const rfd = k.sys.passFd(other, ofd, pid);
    expect(traced(k, () => k.sys.ioctl(pid, rfd, FIONBIO, 0)).brief).toEqual(['file_ioctl:fd{use}=ok']);
  });

  it('KDSKBENT asks capability:sys_tty_config (audit capability=26)', () => {
    const { k, pid, fd } = dev();
    const t = traced(k, () => k.sys.ioctl(pid, fd, KDSKBENT, 0));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines).toEqual([`avc:  denied  { sys_tty_config } for  pid=${pid} comm="loader" capability=26 scontext=${LOADER} tcontext=${LOADER} tclass=capability permissive=0`]);
  });

  it('FIOCLEX goes through ioctl_has_perm() unless policycap ioctl_skip_cloexec', () => {
    const a = dev();
    const t = traced(a.k, () => a.k.sys.ioctl(a.pid, a.fd, FIOCLEX, 0));
    expect(t.ret).toBe(-EACCES); // 0x54 is not in the allowxperm list
    expect(t.lines[0]).toContain(' ioctlcmd=0x5451 ');
    const b = dev('policycap ioctl_skip_cloexec;');
    const t2 = traced(b.k, () => b.k.sys.ioctl(b.pid, b.fd, FIOCLEX, 0));
    expect(t2.ret).toBe(0);
    expect(t2.events).toEqual([]);
  });

  it('other commands: ioctl with extended permissions (driver = cmd >> 8, function = cmd & 0xff of the u16 cmd)', () => {
    const { k, pid, fd } = dev();
    const t = traced(k, () => [k.sys.ioctl(pid, fd, 0xc030a401, 0), k.sys.ioctl(pid, fd, 0xc008a404, 0)]);
    expect(t.ret).toEqual([0, -EACCES]);
    expect(t.events.map((e) => e.ioctlcmd)).toEqual([0xa401, 0xa404]);
    expect(t.lines).toEqual([`avc:  denied  { ioctl } for  pid=${pid} comm="loader" path="/dev/testdev" dev="devtmpfs" ino=${ino(k, '/dev/testdev')} ioctlcmd=0xa404 scontext=${LOADER} tcontext=${obj('sgxdev_t')} tclass=chr_file permissive=0`]);
  });

  it('a foreign fd: fd:use first, audited with ioctlcmd=', () => {
    const { k, pid } = setup(rules.replace('allow loader_t other_t:fd use;', ''));
    k.fs.registerMisc('testdev', devFops, { label: obj('sgxdev_t') });
    const other = k.spawn({ comm: 'other', context: OTHER });
    const ofd = k.sys.open(other, '/dev/testdev', O_RDWR);
    // install without security_file_receive() (an fd inherited across a domain change)
    const fd = k.installFile(pid, k.fdFile(other, ofd)!.id);
    const t = traced(k, () => k.sys.ioctl(pid, fd, 0xc030a401, 0));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines).toEqual([`avc:  denied  { use } for  pid=${pid} comm="loader" path="/dev/testdev" dev="devtmpfs" ino=${ino(k, '/dev/testdev')} ioctlcmd=0xa401 scontext=${LOADER} tcontext=${OTHER} tclass=fd permissive=0`]);
  });

  it('an S_PRIVATE inode: no ioctl check', () => {
    const { k, pid } = setup('');
    const fd = k.installFile(pid, anonInodeGetfile(k, pid, '[test]', anonFops, null, O_RDWR));
    const t = traced(k, () => k.sys.ioctl(pid, fd, 0xc030a401, 0));
    expect(t.ret).toBe(0);
    expect(t.events).toEqual([]);
  });
});

describe('selinux_file_receive()', () => {
  it('file_has_perm(file_to_av()): fd:use, then the open mode on the inode', () => {
    const { k, pid } = setup('allow loader_t other_t:fd use; allow loader_t lib_t:file read; allow other_t lib_t:file { read open };');
    const other = k.spawn({ comm: 'other', context: OTHER });
    const ofd = k.sys.open(other, '/opt/lib.so', O_RDONLY);
    const t = traced(k, () => k.sys.passFd(other, ofd, pid));
    expect(t.ret).toBeGreaterThanOrEqual(0);
    expect(t.brief).toEqual(['file_receive:fd{use}=ok', 'file_receive:file{read}=ok']);
  });

  it('a denial fails recvmsg with EACCES and installs nothing', () => {
    const { k, pid } = setup('allow other_t lib_t:file { read open };');
    const other = k.spawn({ comm: 'other', context: OTHER });
    const ofd = k.sys.open(other, '/opt/lib.so', O_RDONLY);
    const t = traced(k, () => k.sys.passFd(other, ofd, pid));
    expect(t.ret).toBe(-EACCES);
    expect(t.brief).toEqual(['file_receive:fd{use}=EACCES']);
    expect(k.task(pid).fds.filter(Boolean)).toEqual([]);
  });
});

describe('selinux_inode_create() -> may_create()', () => {
  it('dir { add_name search }, then create on the new label, then filesystem:associate (new label -> superblock)', () => {
    const { k, pid } = setup(CREATE_RULES);
    const t = traced(k, () => k.sys.open(pid, '/tmp/new', O_CREAT | O_RDWR));
    expect(t.ret).toBeGreaterThanOrEqual(0);
    expect(t.brief.slice(3)).toEqual(['inode_create:dir{add_name search}=ok', 'inode_create:file{create}=ok', 'inode_create:filesystem{associate}=ok', 'file_open:file{read write open}=ok']);
    const assoc = t.events[5];
    expect([assoc.scontext, assoc.tcontext, assoc.check]).toEqual(['u:object_r:tmp_t:s0', 'system_u:object_r:tmpfs_t:s0', 'may_create']);
  });

  it('a denial is audited with the new name only (LSM_AUDIT_DATA_DENTRY of a negative dentry: no dev=, ino=)', () => {
    const { k, pid } = setup('allow loader_t tmp_t:dir { write search add_name };');
    const t = traced(k, () => k.sys.open(pid, '/tmp/new', O_CREAT | O_RDWR));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines).toEqual([`avc:  denied  { create } for  pid=${pid} comm="loader" name="new" scontext=${LOADER} tcontext=u:object_r:tmp_t:s0 tclass=file permissive=0`]);
    expect(k.fs.lookup('/tmp/new')).toBe(null);
  });

  it('builtin:default: the loader creates its scratch files in /tmp (tmp_t, its user and low level)', () => {
    const k = bootWithSelinux({ policy: 'builtin:default' });
    const pid = k.spawn({ comm: 'loader', context: PROCESS_CONTEXTS.loader });
    const t = traced(k, () => k.sys.open(pid, '/tmp/scratch', O_CREAT | O_RDWR));
    expect(t.ret).toBeGreaterThanOrEqual(0);
    expect(t.events.every((e) => e.ret === 0)).toBe(true);
    expect(k.fs.stat('/tmp/scratch').label).toBe('unconfined_u:object_r:tmp_t:s0');
  });

  it('filesystem:associate is asked with the new file as subject', () => {
    const { k, pid } = setup('allow loader_t tmp_t:dir { write search add_name }; allow loader_t tmp_t:file create;');
    const t = traced(k, () => k.sys.open(pid, '/tmp/new', O_CREAT | O_RDWR));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines).toEqual([`avc:  denied  { associate } for  pid=${pid} comm="loader" name="new" scontext=u:object_r:tmp_t:s0 tcontext=system_u:object_r:tmpfs_t:s0 tclass=filesystem permissive=0`]);
  });
});

describe('selinux_inode_init_security()', () => {
  const rules = CREATE_RULES + 'allow loader_t { ltmp_t magic_t mnt_t }:dir { search write add_name }; allow loader_t { ltmp_t magic_t mnt_t }:file { read write open create }; allow { ltmp_t magic_t } tmpfs_t:filesystem associate; allow mnt_t mnt_t:filesystem associate;';

  it("no type_transition: the parent directory's type, role object_r, the task's user and low level", () => {
    const { k } = setup(rules);
    const pid = k.spawn({ comm: 'loader', context: LOADER_RANGE });
    expect(k.sys.open(pid, '/tmp/new', O_CREAT | O_RDWR)).toBeGreaterThanOrEqual(0);
    expect(k.fs.stat('/tmp/new').label).toBe('u:object_r:tmp_t:s0');
  });

  it('a type_transition on (task, dir, class) names the type; a name-based one wins for its name', () => {
    const { k, pid } = setup(rules + 'type_transition loader_t tmp_t:file ltmp_t; type_transition loader_t tmp_t:file magic_t "magic";');
    expect(k.sys.open(pid, '/tmp/plain', O_CREAT | O_RDWR)).toBeGreaterThanOrEqual(0);
    expect(k.sys.open(pid, '/tmp/magic', O_CREAT | O_RDWR)).toBeGreaterThanOrEqual(0);
    expect(k.fs.stat('/tmp/plain').label).toBe(obj('ltmp_t'));
    expect(k.fs.stat('/tmp/magic').label).toBe(obj('magic_t'));
  });

  it('a context= mount labels new and existing inodes with the mount context', () => {
    const { k, pid } = setup(rules + 'allow loader_t mnt_t:file map;');
    k.fs.mkdir('/mnt', { label: 'system_u:object_r:tmp_t:s0' });
    k.fs.mount('/mnt', 'tmpfs');
    k.fs.createFile('/mnt/old', { data: 'x', label: obj('lib_t') });
    selinuxOf(k).setMountContext(k, '/mnt', obj('mnt_t'));
    expect(k.sys.open(pid, '/mnt/new', O_CREAT | O_RDWR)).toBeGreaterThanOrEqual(0);
    expect(k.fs.stat('/mnt/new').label).toBe(obj('mnt_t'));
    const t = traced(k, () => k.sys.open(pid, '/mnt/old', O_RDONLY));
    expect(t.ret).toBeGreaterThanOrEqual(0);
    expect(t.events.at(-1)!.tcontext).toBe(obj('mnt_t'));
  });
});

describe('selinux_inode_init_security_anon()', () => {
  it('type_transition on (task, task, anon_inode, name), then anon_inode:create', () => {
    const { k, pid } = setup('type_transition loader_t loader_t:anon_inode anon_t "[test]"; allow loader_t anon_t:anon_inode create;');
    const t = traced(k, () => anonInodeGetfileSecure(k, pid, '[test]', anonFops, null, O_RDWR));
    expect(t.ret).toBeGreaterThan(0);
    expect(t.brief).toEqual(['inode_init_security_anon:anon_inode{create}=ok']);
    expect(k.inode(k.file(t.ret).inode).label).toBe(obj('anon_t'));
  });

  it('a denial returns -EACCES with anonclass= in the record; without a rule the type is the task\'s', () => {
    const { k, pid } = setup('');
    const t = traced(k, () => anonInodeGetfileSecure(k, pid, '[test]', anonFops, null, O_RDWR));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines).toEqual([`avc:  denied  { create } for  pid=${pid} comm="loader" anonclass=[test] scontext=${LOADER} tcontext=${obj('loader_t')} tclass=anon_inode permissive=0`]);
  });

  it("a context inode gives its class and label", () => {
    const { k, pid } = setup('allow loader_t lib_t:file create;');
    const ctx = k.fs.lookup('/opt/lib.so')!;
    const t = traced(k, () => anonInodeGetfileSecure(k, pid, '[test]', anonFops, null, O_RDWR, ctx));
    expect(t.ret).toBeGreaterThan(0);
    expect(t.brief).toEqual(['inode_init_security_anon:file{create}=ok']);
    expect(k.inode(k.file(t.ret).inode).label).toBe(obj('lib_t'));
  });
});
