// Faults and memory access (arch/x86/mm/fault.c do_user_addr_fault()/access_error(), mm/memory.c,
// mm/filemap.c), copy-on-write, provenance, and /proc/PID/maps text (fs/proc/task_mmu.c).
import { describe, expect, it } from 'vitest';
import { boot, PAGE, AREA } from './helpers.js';
import { PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS, MAP_GROWSDOWN } from '../../src/abi/mman.js';
import { O_RDONLY, O_RDWR } from '../../src/abi/fcntl.js';
import { SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR } from '../../src/abi/signal.js';

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

describe('faults', () => {
  it('bad_area: an unmapped address gives SIGSEGV SEGV_MAPERR with error code USER (|WRITE)', () => {
    const { k, pid } = boot();
    expect(k.mem.read(pid, AREA, 1)).toEqual({ ok: false, signal: 'SIGSEGV', code: SEGV_MAPERR, addr: AREA, errorCode: 0x4 });
    expect(k.mem.write(pid, AREA + 5, bytes(1))).toEqual({ ok: false, signal: 'SIGSEGV', code: SEGV_MAPERR, addr: AREA + 5, errorCode: 0x6 });
  });
  it('access_error: a store to a read-only VMA is SEGV_ACCERR, 0x6 before the page is present and 0x7 after', () => {
    const { k, pid } = boot();
    k.sys.mmap(pid, AREA, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    expect(k.mem.write(pid, AREA, bytes(1))).toMatchObject({ ok: false, code: SEGV_ACCERR, errorCode: 0x6 });
    expect(k.mem.read(pid, AREA, 1).ok).toBe(true);
    expect(k.mem.write(pid, AREA, bytes(1))).toMatchObject({ ok: false, code: SEGV_ACCERR, errorCode: 0x7 });
  });
  it('access_error: PROT_NONE refuses loads (0x4) even after mprotect hid a present page', () => {
    const { k, pid } = boot();
    k.sys.mmap(pid, AREA, PAGE, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0);
    k.mem.write(pid, AREA, bytes(1));
    k.sys.mprotect(pid, AREA, PAGE, PROT_NONE);
    expect(k.mem.read(pid, AREA, 1)).toMatchObject({ ok: false, code: SEGV_ACCERR, errorCode: 0x4 });
  });
  it('instruction fetch from a readable non-exec VMA: SEGV_ACCERR with PROT|USER|INSTR (0x15); from PROT_NONE: 0x14', () => {
    const { k, pid } = boot();
    k.sys.mmap(pid, AREA, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    k.sys.mmap(pid, AREA + PAGE, PAGE, PROT_NONE, ANON | MAP_FIXED, -1, 0);
    k.sys.mmap(pid, AREA + 2 * PAGE, PAGE, PROT_READ | PROT_EXEC, ANON | MAP_FIXED, -1, 0);
    expect(k.mem.exec(pid, AREA)).toMatchObject({ ok: false, code: SEGV_ACCERR, errorCode: 0x15 });
    expect(k.mem.exec(pid, AREA + PAGE)).toMatchObject({ ok: false, code: SEGV_ACCERR, errorCode: 0x14 });
    expect(k.mem.exec(pid, AREA + 2 * PAGE).ok).toBe(true);
  });
  it('filemap_fault: access past EOF in a file mapping is SIGBUS BUS_ADRERR', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/f', { data: new Uint8Array(PAGE + 10) });
    const fd = k.sys.open(pid, '/tmp/f', O_RDONLY);
    const a = k.sys.mmap(pid, 0, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    expect(k.mem.read(pid, a + PAGE + 100, 1).ok).toBe(true); // inside the last (partial) page
    expect(k.mem.read(pid, a + 2 * PAGE, 1)).toMatchObject({ ok: false, signal: 'SIGBUS', code: BUS_ADRERR, addr: a + 2 * PAGE });
  });
  it('expand_downwards: a store below a VM_GROWSDOWN VMA grows it; beyond the stack guard gap from an accessible VMA it faults', () => {
    const { k, pid } = boot();
    k.sys.mmap(pid, AREA + 400 * PAGE, PAGE, PROT_READ | PROT_WRITE, ANON | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
    expect(k.mem.write(pid, AREA + 398 * PAGE, bytes(1)).ok).toBe(true);
    expect(k.mm(pid).vmas.at(AREA + 398 * PAGE)!.start).toBe(AREA + 398 * PAGE);
    k.sys.mmap(pid, AREA, 100 * PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    expect(k.mem.write(pid, AREA + 200 * PAGE, bytes(1))).toMatchObject({ ok: false, code: SEGV_MAPERR });
    // a PROT_NONE neighbour does not count for the guard gap
    k.sys.mprotect(pid, AREA, 100 * PAGE, PROT_NONE);
    expect(k.mem.write(pid, AREA + 200 * PAGE, bytes(1)).ok).toBe(true);
  });
});

describe('pages: copy-on-write, sharing, provenance', () => {
  it('a private file mapping reads the file, the first store copies the page and sets anon_vma; the file is unchanged', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/f', { data: 'ABCD' });
    const fd = k.sys.open(pid, '/tmp/f', O_RDONLY);
    const a = k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    expect(k.mm(pid).vmas.at(a)!.anonVma).toBeNull();
    expect(k.mem.read(pid, a, 4)).toMatchObject({ ok: true, data: new TextEncoder().encode('ABCD') });
    expect(k.mm(pid).vmas.at(a)!.anonVma).toBeNull(); // read faults do not prepare an anon_vma
    k.mem.write(pid, a + 1, 'x');
    expect(k.mm(pid).vmas.at(a)!.anonVma).not.toBeNull();
    expect(k.mem.read(pid, a, 4)).toMatchObject({ ok: true, data: new TextEncoder().encode('AxCD') });
    expect(new TextDecoder().decode(k.fs.readFile('/tmp/f'))).toBe('ABCD');
    const p = k.provenance(pid, a)!;
    expect(p.origin).toMatchObject({ kind: 'file', path: '/tmp/f', offset: 0 });
    expect(p.writers).toEqual([pid]);
    expect(p.backing.kind).toBe('anon');
  });
  it('until it is copied, a private page sees later writes to the file (write(2))', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/f', { data: 'AAAA' });
    const fd = k.sys.open(pid, '/tmp/f', O_RDWR);
    const a = k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    k.sys.pwrite(pid, fd, 'B', 0);
    expect(k.mem.read(pid, a, 1)).toMatchObject({ ok: true, data: bytes(0x42) });
  });
  it('shared mappings share the page cache: a store through one mapping is seen by another and by read(2)', () => {
    const { k, pid } = boot();
    const fd = k.sys.memfd_create(pid, 'jit', 0);
    k.sys.write(pid, fd, new Uint8Array(PAGE));
    const w = k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const x = k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    k.mem.write(pid, w, bytes(0xc3));
    expect(k.mem.read(pid, x, 1)).toMatchObject({ ok: true, data: bytes(0xc3) });
    expect(k.sys.pread(pid, fd, 1, 0)).toEqual(bytes(0xc3));
    // the W^X-by-double-mapping pattern is visible to provenance
    const p = k.provenance(pid, x)!;
    expect(p).toMatchObject({ executable: true, everWritable: true, modified: true, writers: [pid] });
    expect(p.backing).toMatchObject({ kind: 'file', path: '/memfd:jit (deleted)' });
  });
  it('a private file page is everWritable once the process holds a writable fd of the file (open, memfd, passFd)', () => {
    const { k, pid } = boot();
    k.fs.createFile('/tmp/lib', { data: new Uint8Array(PAGE) });
    const ro = k.sys.open(pid, '/tmp/lib', O_RDONLY);
    const a = k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, ro, 0);
    expect(k.provenance(pid, a)).toMatchObject({ everWritable: false, executable: true, backing: { kind: 'file' } });
    const other = k.spawn({ comm: 'writer' });
    const w = k.sys.open(other, '/tmp/lib', O_RDWR);
    expect(k.provenance(pid, a)!.everWritable).toBe(false);
    k.passFd(other, w, pid);
    expect(k.provenance(pid, a)!.everWritable).toBe(true);
  });
  it('untouched pages read as zero; anonymous pages record the writer; a never-writable page is not everWritable', () => {
    const { k, pid } = boot();
    const a = k.sys.mmap(pid, 0, 2 * PAGE, PROT_READ | PROT_WRITE, ANON, -1, 0);
    expect(k.mem.read(pid, a + PAGE, 8)).toMatchObject({ ok: true, data: new Uint8Array(8) });
    const other = k.spawn({ comm: 'other' });
    const b = k.sys.mmap(other, 0, PAGE, PROT_READ, ANON, -1, 0);
    expect(k.provenance(other, b)).toMatchObject({ origin: { kind: 'zero' }, modified: false, everWritable: false });
    expect(k.provenance(pid, a)).toMatchObject({ everWritable: true, modified: false });
    expect(k.provenance(pid, 0x1000)).toBeNull();
  });
});

describe('/proc/PID/maps', () => {
  it('renders the kernel format: hex widths, s/p, offset, dev, inode, padded name', () => {
    const { k, pid } = boot();
    k.fs.createFile('/opt/lib.so', { data: new Uint8Array(3 * PAGE) });
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    k.sys.mmap(pid, 0x10000, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd, 2 * PAGE);
    const ino = k.fs.stat('/opt/lib.so').ino;
    expect(k.procMaps(pid).split('\n')[0]).toBe(`00010000-00011000 r-xp 00002000 08:01 ${ino}`.padEnd(72) + ' /opt/lib.so');
    expect(k.procMaps(pid)).toContain('7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n');
  });
  it('memfd mappings show "/memfd:NAME (deleted)" and anonymous ones end with a space', () => {
    const { k, pid } = boot();
    const fd = k.sys.memfd_create(pid, 'x', 0);
    k.sys.write(pid, fd, new Uint8Array(PAGE));
    const a = k.sys.mmap(pid, AREA, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    const b = k.sys.mmap(pid, AREA + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    const lines = k.procMaps(pid).split('\n');
    expect(lines).toContain(`${a.toString(16)}-${(a + PAGE).toString(16)} r--s 00000000 00:01 ${k.lsmFile(k.fdFile(pid, fd)!.id).inode.ino}`.padEnd(72) + ' /memfd:x (deleted)');
    expect(lines).toContain(`${b.toString(16)}-${(b + PAGE).toString(16)} r--p 00000000 00:00 0 `);
  });
});
