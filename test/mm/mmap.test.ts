// Errno paths and placement of mmap(2). Expected values are Linux 6.1's (mm/mmap.c do_mmap(),
// get_unmapped_area(), mmap_region(); arch/x86/kernel/sys_x86_64.c; security/commoncap.c).
import { describe, expect, it } from 'vitest';
import { boot, PAGE, AREA, layout } from './helpers.js';
import {
  PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_FIXED, MAP_FIXED_NOREPLACE,
  MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_HUGETLB, MAP_SYNC,
} from '../../src/abi/mman.js';
import { EACCES, EBADF, EEXIST, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, EOVERFLOW, EPERM } from '../../src/abi/errno.js';
import { O_RDONLY, O_RDWR, O_WRONLY, O_APPEND } from '../../src/abi/fcntl.js';
import { VM_MAYWRITE, VM_MAYEXEC, VM_SHARED, VM_MAYSHARE, VM_ACCOUNT, VM_GROWSDOWN } from '../../src/abi/vm_flags.js';
import { CAP_SYS_RAWIO } from '../../src/abi/capability.js';
import { TASK_SIZE } from '../../src/abi/page.js';
import { NoopLsm } from '../../src/security/lsm.js';

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function withFile(opts: { noexec?: boolean; appendOnly?: boolean } = {}) {
  const env = boot();
  env.k.fs.mkdir('/mnt');
  env.k.fs.mount('/mnt', 'tmpfs', { noexec: opts.noexec });
  env.k.fs.createFile('/mnt/f', { data: new Uint8Array(4 * PAGE).fill(7), appendOnly: opts.appendOnly });
  return env;
}

describe('mmap: argument checks', () => {
  it('x86 sys_mmap: an offset that is not page aligned gives EINVAL', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, ANON, -1, 100)).toBe(-EINVAL);
  });
  it('do_mmap: length 0 gives EINVAL', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, 0, 0, PROT_READ, ANON, -1, 0)).toBe(-EINVAL);
  });
  it('do_mmap: a length that page-aligns past 2^64 gives ENOMEM; get_unmapped_area: len > TASK_SIZE gives ENOMEM', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, 0, 2 ** 63, PROT_READ, ANON, -1, 0)).toBe(-ENOMEM);
    expect(k.sys.mmap(pid, 0, TASK_SIZE + PAGE, PROT_READ, ANON, -1, 0)).toBe(-ENOMEM);
  });
  it('do_mmap: a MAP_TYPE other than SHARED/PRIVATE/SHARED_VALIDATE gives EINVAL (anonymous and file)', () => {
    const { k, pid } = withFile();
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0)).toBe(-EINVAL);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, 0xf | MAP_ANONYMOUS, -1, 0)).toBe(-EINVAL);
    const fd = k.sys.open(pid, '/mnt/f', O_RDONLY);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, 0, fd, 0)).toBe(-EINVAL);
  });
  it('do_mmap: anonymous MAP_SHARED_VALIDATE gives EINVAL', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0)).toBe(-EINVAL);
  });
  it('ksys_mmap_pgoff: a file mapping of an fd that is not open gives EBADF', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, 42, 0)).toBe(-EBADF);
  });
  it('ksys_mmap_pgoff: MAP_HUGETLB on a non-hugetlbfs file gives EINVAL; anonymous MAP_HUGETLB without reserved huge pages gives ENOMEM', () => {
    const { k, pid } = withFile();
    const fd = k.sys.open(pid, '/mnt/f', O_RDONLY);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_HUGETLB, fd, 0)).toBe(-EINVAL);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, ANON | MAP_HUGETLB, -1, 0)).toBe(-ENOMEM);
  });
  it('do_mmap: file_mmap_ok() refuses an offset past MAX_LFS_FILESIZE with EOVERFLOW', () => {
    const { k, pid } = withFile();
    const fd = k.sys.open(pid, '/mnt/f', O_RDONLY);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 2 ** 63)).toBe(-EOVERFLOW);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 2 ** 62)).toBeGreaterThan(0);
  });
  it('do_mmap: MAP_SHARED_VALIDATE with a flag the file does not support gives EOPNOTSUPP; MAP_SHARED drops it silently', () => {
    const { k, pid } = withFile();
    const fd = k.sys.open(pid, '/mnt/f', O_RDWR);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0)).toBe(-EOPNOTSUPP);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_SHARED | MAP_SYNC, fd, 0)).toBeGreaterThan(0);
  });
  it('do_mmap: MAP_GROWSDOWN on a file mapping gives EINVAL, and on a shared anonymous one too', () => {
    const { k, pid } = withFile();
    const fd = k.sys.open(pid, '/mnt/f', O_RDONLY);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0)).toBe(-EINVAL);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0)).toBe(-EINVAL);
  });
  it('do_mmap: a device whose f_op has no ->mmap gives ENODEV (/dev/null)', () => {
    const { k, pid } = boot();
    const fd = k.sys.open(pid, '/dev/null', O_RDWR);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0)).toBe(-ENODEV);
  });
});

describe('mmap: limits', () => {
  it('do_mmap: more than vm.max_map_count mappings gives ENOMEM ("Too many mappings?")', () => {
    const { k, pid } = boot({ maxMapCount: 2 });
    k.sys.mmap(pid, AREA, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    k.sys.mmap(pid, AREA + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0); // 3 > 2 now
    expect(k.sys.mmap(pid, AREA + 4 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(-ENOMEM);
  });
  it('mmap_region: a MAP_FIXED that would split a VMA at vm.max_map_count gives ENOMEM (do_mas_munmap failed)', () => {
    const { k, pid } = boot({ maxMapCount: 2 });
    k.sys.mmap(pid, AREA, 3 * PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    expect(k.sys.mmap(pid, AREA + PAGE, PAGE, PROT_WRITE, ANON | MAP_FIXED, -1, 0)).toBe(-ENOMEM);
    expect(layout(k, pid, AREA, AREA + 3 * PAGE)).toEqual(['0-3 r--p']);
  });
  it('vm_mmap_pgoff: an error from security_mmap_file() is returned before do_mmap() runs', () => {
    class Deny extends NoopLsm {
      override mmap_file(): number {
        return -EACCES;
      }
    }
    const { k, pid } = boot({ lsm: new Deny() });
    expect(k.sys.mmap(pid, AREA, 0, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(-EACCES);
  });
  it('mmap_region: a failing driver ->mmap under MAP_FIXED leaves the range unmapped in 6.1 and restores it in 6.12+', () => {
    for (const [version, want] of [['6.1', []], ['6.12', ['0-2 r--p']]] as const) {
      const { k, pid } = boot({ version });
      k.fs.registerChrdev(240, 0, { name: 'fail', mmap: () => -ENODEV });
      k.fs.mknod('/dev/fail', { major: 240, minor: 0 });
      const fd = k.sys.open(pid, '/dev/fail', O_RDWR);
      k.sys.mmap(pid, AREA, 2 * PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
      expect(k.sys.mmap(pid, AREA, 2 * PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(-ENODEV);
      expect(layout(k, pid, AREA, AREA + 2 * PAGE)).toEqual(want);
    }
  });
});

describe('mmap: MAP_FIXED, MAP_FIXED_NOREPLACE and placement', () => {
  it('do_mmap: MAP_FIXED_NOREPLACE over a mapping gives EEXIST', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, AREA, 2 * PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(AREA);
    expect(k.sys.mmap(pid, AREA + PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(-EEXIST);
    expect(k.sys.mmap(pid, AREA + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0)).toBe(AREA + 2 * PAGE);
  });
  it('get_unmapped_area: a MAP_FIXED address that is not page aligned gives EINVAL', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, AREA + 1, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(-EINVAL);
  });
  it('get_unmapped_area: MAP_FIXED ending above TASK_SIZE gives ENOMEM', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, TASK_SIZE - PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(-ENOMEM);
  });
  it('MAP_FIXED replaces what was there and frees its pages (mmap_region -> do_mas_munmap)', () => {
    const { k, pid } = boot();
    k.sys.mmap(pid, AREA, 2 * PAGE, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0);
    expect(k.mem.write(pid, AREA, new Uint8Array([9])).ok).toBe(true);
    k.sys.mmap(pid, AREA, PAGE, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0);
    const r = k.mem.read(pid, AREA, 1);
    expect(r.ok && r.data![0]).toBe(0);
  });
  it('arch_get_unmapped_area_topdown: no hint places just below mmap_base, then below that', () => {
    const { k, pid } = boot();
    const base = k.mm(pid).mmapBase;
    expect(base).toBe(0x7ffff7fff000);
    expect(k.sys.mmap(pid, 0, 2 * PAGE, PROT_READ, ANON, -1, 0)).toBe(base - 2 * PAGE);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_WRITE, ANON, -1, 0)).toBe(base - 3 * PAGE);
  });
  it('arch_get_unmapped_area_topdown: a free hint is used; an occupied one falls back to top-down', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, AREA, PAGE, PROT_READ, ANON, -1, 0)).toBe(AREA);
    expect(k.sys.mmap(pid, AREA, PAGE, PROT_READ, ANON, -1, 0)).toBe(k.mm(pid).mmapBase - PAGE);
  });
  it('round_hint_to_min: a hint below mmap_min_addr is raised to it', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, PAGE, PAGE, PROT_READ, ANON, -1, 0)).toBe(65536);
  });
  it('cap_mmap_addr: MAP_FIXED below vm.mmap_min_addr without CAP_SYS_RAWIO gives EPERM; with it, succeeds', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(-EPERM);
    k.setCapabilities(pid, [CAP_SYS_RAWIO]);
    expect(k.sys.mmap(pid, PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0)).toBe(PAGE);
  });
  it('unmapped_area_topdown: a VM_GROWSDOWN VMA keeps its stack guard gap free (search restarts below it)', () => {
    const { k, pid } = boot();
    const base = k.mm(pid).mmapBase;
    const g = k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_WRITE, ANON | MAP_GROWSDOWN, -1, 0);
    expect(g).toBe(base - PAGE);
    expect(k.mm(pid).vmas.at(g)!.flags & VM_GROWSDOWN).toBeTruthy();
    // the next mapping goes below the 256-page guard gap
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, ANON, -1, 0)).toBe(g - 256 * PAGE - PAGE);
  });
});

describe('mmap: f_mode and noexec rules', () => {
  it('do_mmap: MAP_SHARED|PROT_WRITE of an fd not opened for writing gives EACCES', () => {
    const { k, pid } = withFile();
    const fd = k.sys.open(pid, '/mnt/f', O_RDONLY);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)).toBe(-EACCES);
  });
  it('do_mmap: MAP_SHARED of a read-only fd clears VM_MAYWRITE and VM_SHARED (VM_MAYSHARE stays)', () => {
    const { k, pid } = withFile();
    const fd = k.sys.open(pid, '/mnt/f', O_RDONLY);
    const a = k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    const v = k.mm(pid).vmas.at(a)!;
    expect(v.flags & VM_MAYWRITE).toBe(0);
    expect(v.flags & VM_SHARED).toBe(0);
    expect(v.flags & VM_MAYSHARE).toBe(VM_MAYSHARE);
    expect(k.procMaps(pid)).toMatch(/r--s 00000000 00:\w+ \d+ +\/mnt\/f/);
  });
  it('do_mmap: a mapping of an fd opened without read access gives EACCES', () => {
    const { k, pid } = withFile();
    const fd = k.sys.open(pid, '/mnt/f', O_WRONLY);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_WRITE, MAP_SHARED, fd, 0)).toBe(-EACCES);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0)).toBe(-EACCES);
  });
  it('do_mmap: a shared mapping of an append-only file opened for writing gives EACCES', () => {
    const { k, pid } = withFile({ appendOnly: true });
    const fd = k.sys.open(pid, '/mnt/f', O_RDWR | O_APPEND);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_SHARED, fd, 0)).toBe(-EACCES);
  });
  it('do_mmap: PROT_EXEC of a file on a noexec mount gives EPERM; without it VM_MAYEXEC is cleared', () => {
    const { k, pid } = withFile({ noexec: true });
    const fd = k.sys.open(pid, '/mnt/f', O_RDONLY);
    expect(k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0)).toBe(-EPERM);
    const a = k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    expect(k.mm(pid).vmas.at(a)!.flags & VM_MAYEXEC).toBe(0);
  });
  it('do_mmap: READ_IMPLIES_EXEC adds PROT_EXEC, except on a noexec mount', () => {
    const { k, pid } = withFile({ noexec: true });
    k.setPersonality(pid, 0x0400000);
    const a = k.sys.mmap(pid, 0, PAGE, PROT_READ, ANON, -1, 0);
    expect(k.procMaps(pid)).toContain(`${a.toString(16)}-${(a + PAGE).toString(16)} r-xp`);
    const fd = k.sys.open(pid, '/mnt/f', O_RDONLY);
    const b = k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    expect(k.procMaps(pid)).toContain(`${b.toString(16)}-${(b + PAGE).toString(16)} r--p`);
  });
  it('mmap_region: private writable mappings are VM_ACCOUNT, shared and read-only ones are not', () => {
    const { k, pid } = boot();
    const a = k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_WRITE, ANON, -1, 0);
    const b = k.sys.mmap(pid, 0, PAGE, PROT_READ, ANON, -1, 0);
    const c = k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    expect(k.mm(pid).vmas.at(a)!.flags & VM_ACCOUNT).toBe(VM_ACCOUNT);
    expect(k.mm(pid).vmas.at(b)!.flags & VM_ACCOUNT).toBe(0);
    expect(k.mm(pid).vmas.at(c)!.flags & VM_ACCOUNT).toBe(0);
  });
  it('mmap_region: a shared anonymous mapping gets an S_PRIVATE "dev/zero" shmem file (shmem_zero_setup)', () => {
    const { k, pid } = boot();
    const a = k.sys.mmap(pid, 0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    expect(k.procMaps(pid)).toMatch(new RegExp(`^${a.toString(16)}-${(a + 2 * PAGE).toString(16)} rw-s 00000000 00:01 \\d+ +/dev/zero \\(deleted\\)$`, 'm'));
    const v = k.mm(pid).vmas.at(a)!;
    expect(k.lsmFile(v.file!).inode.isPrivate).toBe(true);
  });
  it('mmap_region: adjacent anonymous mappings with the same flags merge; different flags do not', () => {
    const { k, pid } = boot();
    k.sys.mmap(pid, AREA, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    k.sys.mmap(pid, AREA + PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    k.sys.mmap(pid, AREA + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0);
    expect(layout(k, pid, AREA, AREA + 3 * PAGE)).toEqual(['0-2 r--p', '2-3 rw-p']);
  });
  it('is_mergeable_vma: two mappings of one file through different struct files do not merge; through one file they do', () => {
    const { k, pid } = withFile();
    const fd1 = k.sys.open(pid, '/mnt/f', O_RDONLY);
    const fd2 = k.sys.open(pid, '/mnt/f', O_RDONLY);
    k.sys.mmap(pid, AREA, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd1, 0);
    k.sys.mmap(pid, AREA + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd2, PAGE);
    expect(layout(k, pid, AREA, AREA + 2 * PAGE)).toEqual(['0-1 r--p', '1-2 r--p']);
    k.sys.mmap(pid, AREA + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd1, PAGE);
    expect(layout(k, pid, AREA, AREA + 2 * PAGE)).toEqual(['0-2 r--p']);
  });
  it('execute_only_pkey: with PKU a PROT_EXEC-only mapping gets the execute-only key and reads fault with SEGV_PKUERR', () => {
    const { k, pid } = boot({ pku: true });
    const a = k.sys.mmap(pid, 0, PAGE, PROT_EXEC, ANON, -1, 0);
    expect(k.mm(pid).vmas.at(a)!.pkey).toBe(1);
    const r = k.mem.read(pid, a, 1);
    expect(r).toMatchObject({ ok: false, signal: 'SIGSEGV', code: 4, errorCode: 4 });
    expect(k.mem.exec(pid, a).ok).toBe(true);
    const { k: k2, pid: p2 } = boot({ pku: false });
    const b = k2.sys.mmap(p2, 0, PAGE, PROT_EXEC, ANON, -1, 0);
    expect(k2.mem.read(p2, b, 1).ok).toBe(true);
  });
  it('do_mmap: PROT_NONE mappings are allowed and inaccessible', () => {
    const { k, pid } = boot();
    const a = k.sys.mmap(pid, 0, PAGE, PROT_NONE, ANON, -1, 0);
    expect(k.mem.read(pid, a, 1)).toMatchObject({ ok: false, signal: 'SIGSEGV', code: 2, errorCode: 4 });
  });
});
