// The LSM hook call sites and their order relative to the VFS/mm checks (Linux 6.1; see
// /work/shared/reference/selinux-semantics.md §1.1, §2.1, §3.1, §7.3, §7.4).
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/kernel.js';
import { NoopLsm, noopLsm, type Lsm, type LsmCred, type LsmFile, type LsmInode, type LsmVma } from '../../src/security/lsm.js';
import { EACCES, EINVAL, EPERM } from '../../src/abi/errno.js';
import { O_RDONLY, O_RDWR, MAY_EXEC, MAY_OPEN, MAY_READ, MAY_WRITE } from '../../src/abi/fcntl.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC, MAP_PRIVATE, MAP_SHARED, MAP_ANONYMOUS, MAP_FIXED } from '../../src/abi/mman.js';
import { READ_IMPLIES_EXEC } from '../../src/abi/personality.js';

class Recorder extends NoopLsm {
  override readonly name = 'recorder';
  log: string[] = [];
  deny = new Set<string>();
  private r(s: string): number {
    this.log.push(s);
    for (const d of this.deny) if (s.startsWith(d)) return -EACCES;
    return 0;
  }
  override clone(): Lsm {
    const c = new Recorder();
    c.log = [...this.log];
    c.deny = new Set(this.deny);
    return c;
  }
  override inode_permission(_k: Kernel, _c: LsmCred, i: LsmInode, mask: number): number {
    return this.r(`inode_permission ${i.name || '/'} ${mask}`);
  }
  override file_open(_k: Kernel, _c: LsmCred, f: LsmFile): number {
    return this.r(`file_open ${f.path}`);
  }
  override file_permission(_k: Kernel, _c: LsmCred, f: LsmFile, mask: number): number {
    return this.r(`file_permission ${f.path} ${mask}`);
  }
  override mmap_file(_k: Kernel, _c: LsmCred, f: LsmFile | null, reqprot: number, prot: number): number {
    return this.r(`mmap_file ${f ? f.path : 'anon'} ${reqprot} ${prot}`);
  }
  override mmap_addr(_k: Kernel, _c: LsmCred, addr: number): number {
    return this.r(`mmap_addr ${addr.toString(16)}`);
  }
  override file_mprotect(_k: Kernel, _c: LsmCred, v: LsmVma, reqprot: number, prot: number): number {
    return this.r(`file_mprotect ${v.start.toString(16)} ${reqprot} ${prot} anon_vma=${v.anonVma}`);
  }
  override file_ioctl(_k: Kernel, _c: LsmCred, f: LsmFile, cmd: number): number {
    return this.r(`file_ioctl ${f.path} ${cmd.toString(16)}`);
  }
}

function boot(): { k: Kernel; pid: number; lsm: Recorder } {
  const lsm = new Recorder();
  const k = Kernel.boot({ lsm });
  const pid = k.spawn({ comm: 'loader' });
  lsm.log = [];
  return { k, pid, lsm };
}

describe('LSM call sites', () => {
  it('NoopLsm is the default and allows everything', () => {
    expect(Kernel.boot().lsm).toBe(noopLsm);
  });
  it('open: MAY_EXEC on each directory of the walk, then may_open() inode_permission(MAY_OPEN|MAY_READ), then file_open', () => {
    const { k, pid, lsm } = boot();
    k.fs.mkdirs('/opt/app');
    k.fs.createFile('/opt/app/lib.so', { data: 'x' });
    lsm.log = [];
    expect(k.sys.open(pid, '/opt/app/lib.so', O_RDONLY)).toBe(0);
    expect(lsm.log).toEqual([`inode_permission / ${MAY_EXEC}`, `inode_permission opt ${MAY_EXEC}`, `inode_permission app ${MAY_EXEC}`, `inode_permission lib.so ${MAY_OPEN | MAY_READ}`, 'file_open /opt/app/lib.so']);
  });
  it('open: a denied directory search stops the walk with the LSM errno', () => {
    const { k, pid, lsm } = boot();
    k.fs.mkdirs('/opt/app');
    k.fs.createFile('/opt/app/lib.so', { data: 'x' });
    lsm.deny.add('inode_permission opt');
    expect(k.sys.open(pid, '/opt/app/lib.so', O_RDONLY)).toBe(-EACCES);
    expect(lsm.log.at(-1)).toBe(`inode_permission opt ${MAY_EXEC}`);
  });
  it('open(O_CREAT) of a new name: inode_permission(dir, MAY_WRITE|MAY_EXEC), inode_create, then may_open with acc_mode 0 and file_open', () => {
    const { k, pid, lsm } = boot();
    (lsm as Recorder & { inode_create: unknown }).inode_create = (_k: Kernel, _c: LsmCred, d: LsmInode, name: string) => (lsm.log.push(`inode_create ${d.name} ${name}`), 0);
    expect(k.sys.open(pid, '/opt/new', O_RDWR | 0o100)).toBe(0);
    expect(lsm.log).toEqual([`inode_permission / ${MAY_EXEC}`, `inode_permission opt ${MAY_EXEC}`, `inode_permission opt ${MAY_WRITE | MAY_EXEC}`, 'inode_create opt new', `inode_permission new ${MAY_OPEN}`, 'file_open /opt/new']);
  });
  it('read/write: file_permission in rw_verify_area(), after the f_mode EBADF check', () => {
    const { k, pid, lsm } = boot();
    const fd = k.sys.open(pid, '/dev/null', O_RDONLY);
    lsm.log = [];
    expect(k.sys.write(pid, fd, 'x')).toBe(-9);
    expect(lsm.log).toEqual([]);
    k.sys.read(pid, fd, 1);
    expect(lsm.log).toEqual([`file_permission /dev/null ${MAY_READ}`]);
    const w = k.sys.open(pid, '/dev/null', O_RDWR);
    lsm.log = [];
    k.sys.write(pid, w, 'x');
    expect(lsm.log).toEqual([`file_permission /dev/null ${MAY_WRITE}`]);
  });
  it('mmap: mmap_file runs first (even for len 0, which do_mmap then refuses), with prot = mmap_prot()', () => {
    const { k, pid, lsm } = boot();
    expect(k.sys.mmap(pid, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)).toBe(-EINVAL);
    expect(lsm.log).toEqual([`mmap_file anon ${PROT_READ} ${PROT_READ}`]);
    lsm.log = [];
    k.setPersonality(pid, READ_IMPLIES_EXEC);
    k.sys.mmap(pid, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect(lsm.log[0]).toBe(`mmap_file anon ${PROT_READ} ${PROT_READ | PROT_EXEC}`);
    expect(lsm.log[1]).toMatch(/^mmap_addr 7ffff7ffe000$/);
  });
  it('mmap: a PROT_EXEC mapping on a noexec mount gets the LSM check first and then EPERM from the VFS; mmap_prot() adds no exec there', () => {
    const { k, pid, lsm } = boot();
    k.fs.mkdir('/mnt');
    k.fs.mount('/mnt', 'tmpfs', { noexec: true });
    k.fs.createFile('/mnt/f', { data: 'x' });
    const fd = k.sys.open(pid, '/mnt/f', O_RDONLY);
    lsm.log = [];
    expect(k.sys.mmap(pid, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0)).toBe(-EPERM);
    // do_mmap() calls get_unmapped_area() (security_mmap_addr) before its file checks
    expect(lsm.log).toEqual([`mmap_file /mnt/f ${PROT_READ | PROT_EXEC} ${PROT_READ | PROT_EXEC}`, 'mmap_addr 7ffff7ffe000']);
    k.setPersonality(pid, READ_IMPLIES_EXEC);
    lsm.log = [];
    k.sys.mmap(pid, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    expect(lsm.log[0]).toBe(`mmap_file /mnt/f ${PROT_READ} ${PROT_READ}`);
  });
  it('mmap: an LSM denial in mmap_file returns its errno before the f_mode EACCES', () => {
    const { k, pid, lsm } = boot();
    const fd = k.sys.memfd_create(pid, 'm', 0);
    lsm.deny.add('mmap_file');
    expect(k.sys.mmap(pid, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)).toBe(-EACCES);
  });
  it('mmap: cap_mmap_addr (EPERM) comes before the LSM mmap_addr hook', () => {
    const { k, pid, lsm } = boot();
    expect(k.sys.mmap(pid, 0x1000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)).toBe(-EPERM);
    expect(lsm.log.some((l) => l.startsWith('mmap_addr'))).toBe(false);
    expect(k.trace.ofKind('lsm').at(-1)).toMatchObject({ hook: 'cap_mmap_addr', ret: -EPERM });
  });
  it('mprotect: file_mprotect per VMA, not when the VM_MAY* check already failed; sees anon_vma', () => {
    const { k, pid, lsm } = boot();
    const a = k.sys.mmap(pid, 0x100000000, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    k.sys.mprotect(pid, a + 4096, 4096, PROT_READ);
    k.mem.write(pid, a, 'x');
    lsm.log = [];
    expect(k.sys.mprotect(pid, a, 8192, PROT_READ | PROT_EXEC)).toBe(0);
    expect(lsm.log).toEqual([`file_mprotect ${a.toString(16)} 5 5 anon_vma=true`, `file_mprotect ${(a + 4096).toString(16)} 5 5 anon_vma=false`]);
    const fd = k.sys.open(pid, '/dev/zero', O_RDONLY);
    const s = k.sys.mmap(pid, 0, 4096, PROT_READ, MAP_SHARED, fd, 0);
    lsm.log = [];
    expect(k.sys.mprotect(pid, s, 4096, PROT_READ | PROT_WRITE)).toBe(-EACCES);
    expect(lsm.log).toEqual([]);
  });
  it('ioctl: file_ioctl runs before the driver and can stop it', () => {
    const { k, pid, lsm } = boot();
    let called = 0;
    k.fs.registerChrdev(240, 0, { name: 'd', unlocked_ioctl: () => (called++, 0) });
    k.fs.mknod('/dev/d', { major: 240, minor: 0 });
    const fd = k.sys.open(pid, '/dev/d', O_RDWR);
    lsm.deny.add('file_ioctl');
    expect(k.sys.ioctl(pid, fd, 0xc008a400, 0)).toBe(-EACCES);
    expect(called).toBe(0);
    expect(lsm.log.at(-1)).toBe('file_ioctl /dev/d c008a400');
  });
  it('the LSM is cloned with the kernel', () => {
    const { k, lsm } = boot();
    const c = k.clone();
    expect(c.lsm).not.toBe(lsm);
    (c.lsm as Recorder).log.push('x');
    expect(lsm.log).not.toContain('x');
  });
});
