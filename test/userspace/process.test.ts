// The userspace facade: syscall wrappers, the brk heap kept in user memory, errno mapping.
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/kernel.js';
import { UserProcess, UserFault, errnoOf } from '../../src/userspace/process.js';
import { EINTR, ENOTTY, ERESTARTSYS, ENOIOCTLCMD, EFAULT } from '../../src/abi/errno.js';
import { START_BRK } from '../../src/kernel/kernel.js';

describe('UserProcess', () => {
  it('malloc grows the heap with brk(2) and honours alignment', () => {
    const k = Kernel.boot();
    const p = new UserProcess(k, k.spawn({ comm: 'u' }));
    const a = p.malloc(10);
    const b = p.malloc(4096, 4096);
    const c = p.malloc(70_000);
    expect(a).toBe(START_BRK + 24 + 8); // header (24 bytes), 16-aligned
    expect(b % 4096).toBe(0);
    expect(c).toBeGreaterThan(b);
    const brks = k.trace.ofKind('sys_enter').filter((e) => e.name === 'brk').map((e) => e.args.addr);
    expect(brks[0]).toBe(0); // brk(0) first, as a libc does
    expect(k.mm(p.pid).brk).toBeGreaterThanOrEqual(c + 70_000);
    p.store(c + 69_999, new Uint8Array([7]));
    expect(p.load(c + 69_999, 1)[0]).toBe(7);
  });
  it('the allocator state lives in user memory: a kernel clone forks it', () => {
    const k = Kernel.boot();
    const pid = k.spawn({ comm: 'u' });
    new UserProcess(k, pid).malloc(100);
    const k2 = k.clone();
    const x = new UserProcess(k, pid).malloc(16);
    const y = new UserProcess(k2, pid).malloc(16);
    expect(x).toBe(y);
    expect(new UserProcess(k, pid).malloc(16)).toBe(x + 16);
  });
  it('loads and stores fault like the task would (UserFault)', () => {
    const k = Kernel.boot();
    const p = new UserProcess(k, k.spawn({ comm: 'u' }));
    expect(() => p.store(0x1000, new Uint8Array(1))).toThrow(UserFault);
    expect(p.tryLoad(0x1000, 1)).toMatchObject({ ok: false, signal: 'SIGSEGV' });
  });
  it('struct() marshals into the heap and readStruct() decodes', () => {
    const k = Kernel.boot();
    const p = new UserProcess(k, k.spawn({ comm: 'u' }));
    const L = { name: 's', size: 16, packed: false, fields: [{ name: 'a', offset: 0, type: 'u64' as const, size: 8, dir: 'in' as const }, { name: 'b', offset: 8, type: 'u64' as const, size: 8, dir: 'out' as const }] };
    const addr = p.struct(L, { a: 5 });
    p.storeU64(addr + 8, 9n);
    expect(p.readStruct(L, addr)).toEqual({ a: 5n, b: 9n });
  });
  it('errnoOf(): what userspace sees', () => {
    expect(errnoOf(-ERESTARTSYS)).toBe(-EINTR);
    expect(errnoOf(-ENOIOCTLCMD)).toBe(-ENOTTY);
    expect(errnoOf(-EFAULT)).toBe(-EFAULT);
    expect(errnoOf(42)).toBe(42);
  });
});
