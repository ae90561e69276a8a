// remap_file_pages(2): errno paths and effect. Expected values are from Linux 6.1's mm/mmap.c
// SYSCALL_DEFINE5(remap_file_pages) (every early return is -EINVAL, the emulation is do_mmap()
// with MAP_SHARED|MAP_FIXED|MAP_POPULATE and the first VMA's protections, and the syscall returns 0
// on success), and, for the LSM hook, from 6.12's version of the same function.
import { describe, expect, it } from 'vitest';
import { boot, PAGE, AREA, layout } from './helpers.js';
import { PROT_READ, PROT_WRITE, MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS } from '../../src/abi/mman.js';
import { EINVAL } from '../../src/abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../src/abi/fcntl.js';
import { READ_IMPLIES_EXEC } from '../../src/abi/personality.js';
import { userAccess } from '../../src/mm/memory.js';
import type { Kernel } from '../../src/kernel/kernel.js';

const RW = PROT_READ | PROT_WRITE;
const SHARED_FIXED = MAP_SHARED | MAP_FIXED;

/** A 4-page file whose page i is filled with 0x11 * (i + 1), opened O_RDWR and mapped shared RW at AREA. */
function withShared(opts: { noexec?: boolean; version?: string } = {}) {
  const env = boot(opts.version ? { version: opts.version } : {});
  const { k, pid } = env;
  k.fs.mkdir('/mnt');
  k.fs.mount('/mnt', 'tmpfs', { noexec: opts.noexec });
  const data = new Uint8Array(4 * PAGE);
  for (let i = 0; i < 4; i++) data.fill(0x11 * (i + 1), i * PAGE, (i + 1) * PAGE);
  k.fs.createFile('/mnt/f', { data });
  const fd = k.sys.open(pid, '/mnt/f', O_RDWR);
  expect(k.sys.mmap(pid, AREA, 4 * PAGE, RW, SHARED_FIXED, fd, 0)).toBe(AREA);
  return { ...env, fd };
}

function byteAt(k: Kernel, pid: number, addr: number): number {
  const r = userAccess(k, pid, addr, 1, 'read', null);
  if (!r.ok || !r.data) throw new Error('fault');
  return r.data[0];
}

describe('remap_file_pages: argument checks (SYSCALL_DEFINE5(remap_file_pages), mm/mmap.c)', () => {
  it('remap_file_pages(): a non-zero prot gives EINVAL ("if (prot) return ret;")', () => {
    const { k, pid } = withShared();
    expect(k.sys.remapFilePages(pid, AREA, PAGE, PROT_READ, 1, 0)).toBe(-EINVAL);
    // an unsigned long: a bit above 31 is still non-zero
    expect(k.sys.remapFilePages(pid, AREA, PAGE, 2 ** 32, 1, 0)).toBe(-EINVAL);
  });
  it('remap_file_pages(): a size that rounds down to 0 gives EINVAL ("if (start + size <= start)")', () => {
    const { k, pid } = withShared();
    expect(k.sys.remapFilePages(pid, AREA, 0, 0, 1, 0)).toBe(-EINVAL);
    expect(k.sys.remapFilePages(pid, AREA, PAGE - 1, 0, 1, 0)).toBe(-EINVAL);
  });
  it('remap_file_pages(): start + size wrapping past 2^64 gives EINVAL', () => {
    const { k, pid } = withShared();
    expect(k.sys.remapFilePages(pid, AREA, 2 ** 64 - PAGE, 0, 1, 0)).toBe(-EINVAL);
  });
  it('remap_file_pages(): a wrapping pgoff gives EINVAL ("Does pgoff wrap?")', () => {
    const { k, pid } = withShared();
    expect(k.sys.remapFilePages(pid, AREA, 2 * PAGE, 0, 2 ** 64 - 1, 0)).toBe(-EINVAL);
  });
});

describe('remap_file_pages: the VMAs it accepts (vma_lookup(), VM_SHARED, the span loop)', () => {
  it('remap_file_pages(): no VMA at start gives EINVAL', () => {
    const { k, pid } = withShared();
    expect(k.sys.remapFilePages(pid, AREA + 16 * PAGE, PAGE, 0, 1, 0)).toBe(-EINVAL);
  });
  it('remap_file_pages(): a private mapping (no VM_SHARED) gives EINVAL', () => {
    const { k, pid, fd } = withShared();
    expect(k.sys.mmap(pid, AREA + 8 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0)).toBe(AREA + 8 * PAGE);
    expect(k.sys.remapFilePages(pid, AREA + 8 * PAGE, PAGE, 0, 1, 0)).toBe(-EINVAL);
  });
  it('remap_file_pages(): MAP_SHARED of an O_RDONLY fd gives EINVAL (do_mmap() cleared VM_SHARED, kept VM_MAYSHARE)', () => {
    const { k, pid } = withShared();
    const ro = k.sys.open(pid, '/mnt/f', O_RDONLY);
    expect(k.sys.mmap(pid, AREA + 8 * PAGE, PAGE, PROT_READ, SHARED_FIXED, ro, 0)).toBe(AREA + 8 * PAGE);
    expect(k.sys.remapFilePages(pid, AREA + 8 * PAGE, PAGE, 0, 1, 0)).toBe(-EINVAL);
  });
  it('remap_file_pages(): a range running into a hole gives EINVAL ("hole between vmas ?" / "if (!next)")', () => {
    const { k, pid } = withShared();
    expect(k.sys.munmap(pid, AREA + 3 * PAGE, PAGE)).toBe(0);
    expect(k.sys.remapFilePages(pid, AREA, 4 * PAGE, 0, 0, 0)).toBe(-EINVAL);
    expect(k.sys.munmap(pid, AREA + 2 * PAGE, PAGE)).toBe(0);
    // [AREA, AREA+2P) then a hole, then nothing mapped beyond
    expect(k.sys.remapFilePages(pid, AREA + PAGE, 2 * PAGE, 0, 0, 0)).toBe(-EINVAL);
  });
  it('remap_file_pages(): a range running into a VMA with other vm_flags gives EINVAL', () => {
    const { k, pid } = withShared();
    expect(k.sys.mprotect(pid, AREA + 2 * PAGE, 2 * PAGE, PROT_READ)).toBe(0);
    expect(k.sys.remapFilePages(pid, AREA, 3 * PAGE, 0, 0, 0)).toBe(-EINVAL);
    expect(layout(k, pid, AREA, AREA + 4 * PAGE)).toEqual(['0-2 rw-s', '2-4 r--s']);
  });
  it('remap_file_pages(): a range running into a VMA of another file gives EINVAL', () => {
    const { k, pid } = withShared();
    k.fs.createFile('/mnt/g', { data: new Uint8Array(PAGE) });
    const g = k.sys.open(pid, '/mnt/g', O_RDWR);
    expect(k.sys.mmap(pid, AREA + 3 * PAGE, PAGE, RW, SHARED_FIXED, g, 0)).toBe(AREA + 3 * PAGE);
    expect(k.sys.remapFilePages(pid, AREA + 2 * PAGE, 2 * PAGE, 0, 0, 0)).toBe(-EINVAL);
  });
});

describe('remap_file_pages: effect (do_mmap(vma->vm_file, start, size, prot, MAP_SHARED|MAP_FIXED|MAP_POPULATE, pgoff))', () => {
  it('maps file page pgoff at start, splitting the VMA; returns 0', () => {
    const { k, pid } = withShared();
    expect(k.sys.remapFilePages(pid, AREA, PAGE, 0, 3, 0)).toBe(0);
    expect(byteAt(k, pid, AREA)).toBe(0x44);
    expect(byteAt(k, pid, AREA + PAGE)).toBe(0x22);
    const vmas = k.mm(pid).vmas.range(AREA, AREA + 4 * PAGE);
    expect(vmas.map((v) => [(v.start - AREA) / PAGE, (v.end - AREA) / PAGE, v.pgoff])).toEqual([
      [0, 1, 3],
      [1, 4, 1],
    ]);
  });
  it('a range over two VMAs of the same file with the same flags is accepted', () => {
    const { k, pid } = withShared();
    expect(k.sys.remapFilePages(pid, AREA, PAGE, 0, 3, 0)).toBe(0);
    // [0,1) pgoff 3 and [1,4) pgoff 1: same file, same vm_flags, no hole
    expect(k.sys.remapFilePages(pid, AREA, 2 * PAGE, 0, 0, 0)).toBe(0);
    expect(byteAt(k, pid, AREA)).toBe(0x11);
    expect(byteAt(k, pid, AREA + PAGE)).toBe(0x22);
  });
  it('shared anonymous memory is accepted (its vm_file is the shmem file of shmem_zero_setup())', () => {
    const { k, pid } = boot();
    expect(k.sys.mmap(pid, AREA, 2 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0)).toBe(AREA);
    expect(k.sys.remapFilePages(pid, AREA, PAGE, 0, 1, 0)).toBe(0);
  });
  it('do_mmap(): with READ_IMPLIES_EXEC the RW mapping comes back RWX (CVE-2024-47745), except on a noexec mount', () => {
    const a = withShared();
    a.k.setPersonality(a.pid, READ_IMPLIES_EXEC);
    expect(a.k.sys.remapFilePages(a.pid, AREA, PAGE, 0, 1, 0)).toBe(0);
    expect(layout(a.k, a.pid, AREA, AREA + 4 * PAGE)).toEqual(['0-1 rwxs', '1-4 rw-s']);
    const b = withShared({ noexec: true });
    b.k.setPersonality(b.pid, READ_IMPLIES_EXEC);
    expect(b.k.sys.remapFilePages(b.pid, AREA, PAGE, 0, 1, 0)).toBe(0);
    expect(layout(b.k, b.pid, AREA, AREA + 4 * PAGE)).toEqual(['0-1 rw-s', '1-4 rw-s']);
  });
  it('the file stays open while the VMAs holding it are replaced (get_file() ... fput())', () => {
    const { k, pid, fd } = withShared();
    expect(k.sys.close(pid, fd)).toBe(0);
    expect(k.sys.remapFilePages(pid, AREA, 4 * PAGE, 0, 0, 0)).toBe(0);
    expect(byteAt(k, pid, AREA + 3 * PAGE)).toBe(0x44);
  });
});
