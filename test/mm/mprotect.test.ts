// Errno paths of mprotect(2), munmap(2) and brk(2), and their split/merge behaviour (Linux 6.1:
// mm/mprotect.c do_mprotect_pkey()/mprotect_fixup(), mm/mmap.c do_mas_munmap()/__split_vma()/
// split_vma()/vma_merge()/brk).
import { describe, expect, it } from 'vitest';
import { boot, PAGE, AREA, layout } from './helpers.js';
import { PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM, PROT_GROWSDOWN, PROT_GROWSUP, MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS, MAP_GROWSDOWN } from '../../src/abi/mman.js';
import { EACCES, EINVAL, ENOMEM } from '../../src/abi/errno.js';
import { O_RDONLY } from '../../src/abi/fcntl.js';
import { VM_ACCOUNT, VM_EXEC } from '../../src/abi/vm_flags.js';
import { TASK_SIZE } from '../../src/abi/page.js';
import { NoopLsm, type LsmCred, type LsmVma } from '../../src/security/lsm.js';
import type { Kernel } from '../../src/kernel/kernel.js';

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function map(k: Kernel, pid: number, page: number, pages: number, prot: number): void {
  expect(k.sys.mmap(pid, AREA + page * PAGE, pages * PAGE, prot, ANON | MAP_FIXED, -1, 0)).toBe(AREA + page * PAGE);
}

describe('mprotect errno paths', () => {
  it('do_mprotect_pkey: an unaligned start gives EINVAL', () => {
    const { k, pid } = boot();
    map(k, pid, 0, 1, PROT_READ);
    expect(k.sys.mprotect(pid, AREA + 1, PAGE, PROT_READ)).toBe(-EINVAL);
  });
  it('do_mprotect_pkey: PROT_GROWSDOWN|PROT_GROWSUP together give EINVAL', () => {
    const { k, pid } = boot();
    map(k, pid, 0, 1, PROT_READ);
    expect(k.sys.mprotect(pid, AREA, PAGE, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP)).toBe(-EINVAL);
  });
  it('do_mprotect_pkey: len 0 succeeds without looking at the range', () => {
    const { k, pid } = boot();
    expect(k.sys.mprotect(pid, AREA, 0, PROT_READ)).toBe(0);
  });
  it('do_mprotect_pkey: start + len wrapping gives ENOMEM', () => {
    const { k, pid } = boot();
    expect(k.sys.mprotect(pid, AREA, 2 ** 64 - AREA, PROT_READ)).toBe(-ENOMEM);
  });
  it('arch_validate_prot: bits other than PROT_READ|WRITE|EXEC|SEM give EINVAL', () => {
    const { k, pid } = boot();
    map(k, pid, 0, 1, PROT_READ);
    expect(k.sys.mprotect(pid, AREA, PAGE, PROT_READ | 0x10)).toBe(-EINVAL);
    expect(k.sys.mprotect(pid, AREA, PAGE, PROT_READ | PROT_SEM)).toBe(0);
  });
  it('do_mprotect_pkey: no VMA at or after start gives ENOMEM, and a start inside a hole too', () => {
    const { k, pid } = boot();
    expect(k.sys.mprotect(pid, TASK_SIZE, PAGE, PROT_READ)).toBe(-ENOMEM);
    map(k, pid, 2, 1, PROT_READ);
    expect(k.sys.mprotect(pid, AREA, 3 * PAGE, PROT_READ)).toBe(-ENOMEM);
  });
  it('do_mprotect_pkey: an unmapped hole inside the range gives ENOMEM after changing the VMAs before it', () => {
    const { k, pid } = boot();
    map(k, pid, 0, 2, PROT_READ);
    map(k, pid, 3, 1, PROT_READ);
    expect(k.sys.mprotect(pid, AREA, 4 * PAGE, PROT_READ | PROT_WRITE)).toBe(-ENOMEM);
    expect(layout(k, pid, AREA, AREA + 4 * PAGE)).toEqual(['0-2 rw-p', '3-4 r--p']);
  });
  it('do_mprotect_pkey: asking for more than VM_MAY* gives EACCES (VM_MAYWRITE cleared by a read-only shared mapping)', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/f', { data: new Uint8Array(PAGE) });
    const fd = k.sys.open(pid, '/tmp/f', O_RDONLY);
    const a = k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    expect(k.sys.mprotect(pid, a, PAGE, PROT_READ | PROT_WRITE)).toBe(-EACCES);
    // MAP_PRIVATE of the same fd keeps VM_MAYWRITE: the write goes to a private copy.
    const b = k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    expect(k.sys.mprotect(pid, b, PAGE, PROT_READ | PROT_WRITE)).toBe(0);
  });
  it('do_mprotect_pkey: PROT_EXEC on a noexec-mounted file mapping gives EACCES (VM_MAYEXEC cleared at mmap)', () => {
    const { k, pid } = boot();
    k.fs.mkdir('/mnt');
    k.fs.mount('/mnt', 'tmpfs', { noexec: true });
    k.fs.createFile('/mnt/f', { data: new Uint8Array(PAGE) });
    const fd = k.sys.open(pid, '/mnt/f', O_RDONLY);
    const a = k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    expect(k.sys.mprotect(pid, a, PAGE, PROT_READ | PROT_EXEC)).toBe(-EACCES);
  });
  it('do_mprotect_pkey: a failure part-way leaves the earlier VMAs changed (EACCES on the second VMA)', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/f', { data: new Uint8Array(PAGE) });
    const fd = k.sys.open(pid, '/tmp/f', O_RDONLY);
    map(k, pid, 0, 1, PROT_READ);
    expect(k.sys.mmap(pid, AREA + PAGE, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0)).toBe(AREA + PAGE);
    expect(k.sys.mprotect(pid, AREA, 2 * PAGE, PROT_READ | PROT_WRITE)).toBe(-EACCES);
    expect(layout(k, pid, AREA, AREA + 2 * PAGE)).toEqual(['0-1 rw-p', '1-2 r--s']);
  });
  it('do_mprotect_pkey: PROT_GROWSUP gives EINVAL on x86 (no VM_GROWSUP); PROT_GROWSDOWN on a VMA without VM_GROWSDOWN gives EINVAL', () => {
    const { k, pid } = boot();
    map(k, pid, 0, 2, PROT_READ);
    expect(k.sys.mprotect(pid, AREA, PAGE, PROT_READ | PROT_GROWSUP)).toBe(-EINVAL);
    expect(k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ | PROT_GROWSDOWN)).toBe(-EINVAL);
  });
  it('do_mprotect_pkey: PROT_GROWSDOWN extends the range down to the VMA start', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, AREA, 4 * PAGE, PROT_READ | PROT_WRITE, ANON | MAP_FIXED | MAP_GROWSDOWN, -1, 0)).toBe(AREA);
    expect(k.sys.mprotect(pid, AREA + 2 * PAGE, PAGE, PROT_READ | PROT_GROWSDOWN)).toBe(0);
    expect(layout(k, pid, AREA, AREA + 4 * PAGE)).toEqual(['0-3 r--p', '3-4 rw-p']);
  });
  it('split_vma: a split past vm.max_map_count gives ENOMEM', () => {
    const { k, pid } = boot({ maxMapCount: 4 });
    map(k, pid, 0, 4, PROT_READ); // stack + this = 2 VMAs
    expect(k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ | PROT_WRITE)).toBe(0); // 2 splits: 4 VMAs
    expect(k.sys.mprotect(pid, AREA + 3 * PAGE, PAGE, PROT_NONE)).toBe(-ENOMEM);
  });
  it('do_mprotect_pkey: security_file_mprotect() runs after the VM_MAY* check and its errno is returned', () => {
    class Deny extends NoopLsm {
      calls = 0;
      override file_mprotect(_k: Kernel, _c: LsmCred, _v: LsmVma, _r: number, prot: number): number {
        this.calls++;
        return prot & PROT_EXEC ? -EACCES : 0;
      }
    }
    const lsm = new Deny();
    const { k, pid } = boot({ lsm });
    map(k, pid, 0, 1, PROT_READ);
    expect(k.sys.mprotect(pid, AREA, PAGE, PROT_READ | PROT_EXEC)).toBe(-EACCES);
    expect(lsm.calls).toBe(1);
    expect(k.mm(pid).vmas.at(AREA)!.flags & VM_EXEC).toBe(0);
  });
  it('do_mprotect_pkey: vm_ops->mprotect is called after the LSM and can refuse', () => {
    const { k, pid } = boot();
    map(k, pid, 0, 1, PROT_READ);
    const v = k.mm(pid).vmas.at(AREA)!;
    const calls: string[] = [];
    k.mmMut(pid).vmas.replace(v, { ...v, ops: { name: 't', mprotect: (_k, _p, _v, s, e) => (calls.push(`${s - AREA}-${e - AREA}`), -EACCES) } });
    expect(k.sys.mprotect(pid, AREA, PAGE, PROT_READ | PROT_WRITE)).toBe(-EACCES);
    expect(calls).toEqual(['0-4096']);
  });
});

describe('mprotect split and merge (vma_merge cases)', () => {
  it('splits a VMA in three and merges it back', () => {
    const { k, pid } = boot();
    map(k, pid, 0, 3, PROT_READ);
    expect(k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ | PROT_EXEC)).toBe(0);
    expect(layout(k, pid, AREA, AREA + 3 * PAGE)).toEqual(['0-1 r--p', '1-2 r-xp', '2-3 r--p']);
    expect(k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ)).toBe(0);
    expect(layout(k, pid, AREA, AREA + 3 * PAGE)).toEqual(['0-3 r--p']);
  });
  it('case 4 and 5: a boundary shifts between two VMAs', () => {
    const { k, pid } = boot();
    map(k, pid, 0, 2, PROT_READ);
    map(k, pid, 2, 2, PROT_READ | PROT_EXEC);
    expect(k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ | PROT_EXEC)).toBe(0); // case 4
    expect(layout(k, pid, AREA, AREA + 4 * PAGE)).toEqual(['0-1 r--p', '1-4 r-xp']);
    expect(k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ)).toBe(0); // case 5
    expect(layout(k, pid, AREA, AREA + 4 * PAGE)).toEqual(['0-2 r--p', '2-4 r-xp']);
  });
  it('mprotect_fixup: making a private mapping writable adds VM_ACCOUNT, which stays in 6.1 (so it no longer merges)', () => {
    const { k, pid } = boot({ version: '6.1' });
    map(k, pid, 0, 2, PROT_READ);
    expect(k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ | PROT_WRITE)).toBe(0);
    expect(k.mm(pid).vmas.at(AREA + PAGE)!.flags & VM_ACCOUNT).toBe(VM_ACCOUNT);
    expect(k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ)).toBe(0);
    expect(layout(k, pid, AREA, AREA + 2 * PAGE)).toEqual(['0-1 r--p', '1-2 r--p']);
  });
  it('mprotect_fixup (6.5+): an unfaulted anonymous VMA loses VM_ACCOUNT when made read-only, and merges back', () => {
    const { k, pid } = boot({ version: '6.6' });
    map(k, pid, 0, 2, PROT_READ);
    k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ | PROT_WRITE);
    k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ);
    expect(layout(k, pid, AREA, AREA + 2 * PAGE)).toEqual(['0-2 r--p']);
  });
  it('is_mergeable_anon_vma (6.1): a faulted range does not merge into an unfaulted neighbour; 6.12+ merges it', () => {
    for (const [version, want] of [['6.1', ['0-1 rw-p', '1-2 rw-p']], ['6.12', ['0-2 rw-p']]] as const) {
      const { k, pid } = boot({ version });
      map(k, pid, 0, 1, PROT_READ | PROT_WRITE);
      map(k, pid, 1, 1, PROT_READ); // does not merge (flags differ)
      expect(k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ | PROT_WRITE)).toBe(0);
      // mprotect of an unfaulted page next to an unfaulted VMA merges in both versions
      expect(layout(k, pid, AREA, AREA + 2 * PAGE)).toEqual(['0-2 rw-p']);
      map(k, pid, 1, 1, PROT_READ);
      expect(k.mem.write(pid, AREA + PAGE, new Uint8Array([1])).ok).toBe(false);
      k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ | PROT_WRITE);
      expect(k.mem.write(pid, AREA + PAGE, new Uint8Array([1])).ok).toBe(true); // anon_vma on page 1's VMA
      k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ);
      map(k, pid, 0, 1, PROT_READ | PROT_WRITE); // fresh, unfaulted neighbour
      k.sys.mprotect(pid, AREA + PAGE, PAGE, PROT_READ | PROT_WRITE);
      expect(layout(k, pid, AREA, AREA + 2 * PAGE)).toEqual(want);
    }
  });
});

describe('munmap', () => {
  it('do_mas_munmap: an unaligned start, len 0, or a range past TASK_SIZE give EINVAL', () => {
    const { k, pid } = boot();
    expect(k.sys.munmap(pid, AREA + 1, PAGE)).toBe(-EINVAL);
    expect(k.sys.munmap(pid, AREA, 0)).toBe(-EINVAL);
    expect(k.sys.munmap(pid, AREA, TASK_SIZE)).toBe(-EINVAL);
  });
  it('do_mas_munmap: an empty range succeeds; a partial unmap splits the VMA', () => {
    const { k, pid } = boot();
    expect(k.sys.munmap(pid, AREA, PAGE)).toBe(0);
    map(k, pid, 0, 3, PROT_READ);
    expect(k.sys.munmap(pid, AREA + PAGE, 100)).toBe(0);
    expect(layout(k, pid, AREA, AREA + 3 * PAGE)).toEqual(['0-1 r--p', '2-3 r--p']);
  });
  it('do_mas_align_munmap: punching a hole at vm.max_map_count gives ENOMEM', () => {
    const { k, pid } = boot({ maxMapCount: 2 });
    map(k, pid, 0, 3, PROT_READ);
    expect(k.sys.munmap(pid, AREA + PAGE, PAGE)).toBe(-ENOMEM);
    expect(k.sys.munmap(pid, AREA, PAGE)).toBe(0); // trimming an end needs no new VMA
  });
  it('__split_vma: vm_ops->may_split can refuse the split', () => {
    const { k, pid } = boot();
    map(k, pid, 0, 2, PROT_READ);
    const v = k.mm(pid).vmas.at(AREA)!;
    k.mmMut(pid).vmas.replace(v, { ...v, ops: { name: 't', may_split: () => -EINVAL } });
    expect(k.sys.munmap(pid, AREA + PAGE, PAGE)).toBe(-EINVAL);
  });
});

describe('brk', () => {
  it('brk(0) returns the current break; growing creates [heap]; shrinking unmaps', () => {
    const { k, pid } = boot();
    const b0 = k.sys.brk(pid, 0);
    expect(b0).toBe(0x555555559000);
    expect(k.sys.brk(pid, b0 + 5000)).toBe(b0 + 5000);
    expect(k.procMaps(pid)).toContain('555555559000-55555555b000 rw-p 00000000 00:00 0                          [heap]');
    expect(k.sys.brk(pid, b0 + 100)).toBe(b0 + 100);
    expect(k.procMaps(pid)).toContain('555555559000-55555555a000 rw-p');
  });
  it('brk: below start_brk, or into an existing mapping, fails and returns the old break', () => {
    const { k, pid } = boot();
    const b0 = k.sys.brk(pid, 0);
    expect(k.sys.brk(pid, b0 - PAGE)).toBe(b0);
    k.sys.mmap(pid, b0 + 4 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    // "if (next && newbrk + PAGE_SIZE > vm_start_gap(next)) goto out": one page must stay free
    expect(k.sys.brk(pid, b0 + 4 * PAGE)).toBe(b0);
    expect(k.sys.brk(pid, b0 + 3 * PAGE)).toBe(b0 + 3 * PAGE);
  });
});
