// A small libc-like facade over one task of the kernel model: what an enclave loader (or the
// scenario runner) calls. Syscall wrappers return the kernel ABI value (>= 0, or -errno as the
// syscall body returned it: -ERESTARTSYS and -ENOIOCTLCMD stay visible; errnoOf() gives what
// userspace would see). Memory is read and written as the task's own CPU does it (k.mem), so
// faults and provenance are those of a real process.
//
// The heap is a brk-based bump allocator whose state lives in the task's memory (a 24-byte header
// at mm->start_brk: magic, next free byte, end of the heap), exactly as a libc keeps its arena in
// the process: a Kernel.clone() taken between two mallocs forks the allocator with the memory, and
// the trace shows the brk(2) calls a libc makes. free() is a no-op (loaders are short-lived).
import type { Kernel } from '../kernel/kernel.js';
import type { MemResult } from '../mm/memory.js';
import { isErr, userspaceResult } from '../abi/errno.js';
import { PAGE_SIZE } from '../abi/page.js';
import { decodeStruct, encodeStruct, marshalStruct, type StructAllocator, type StructLayout, type StructLiteral } from './struct.js';

/** A user-mode access by the facade itself faulted (a bug in the loader using it, not a model error). */
export class UserFault extends Error {
  constructor(
    readonly what: string,
    readonly fault: Extract<MemResult, { ok: false }>,
  ) {
    super(`${what}: ${fault.signal} at 0x${fault.addr.toString(16)} (error code 0x${fault.errorCode.toString(16)})`);
    this.name = 'UserFault';
  }
}

/** The allocator's header magic ("sgxheap\0" little-endian). */
const HEAP_MAGIC = 0x0070616568786773n;
const HEADER = 24;
/** Grow the heap in 64 KiB steps (glibc's M_TOP_PAD default is 128 KiB; any fixed step is fine). */
const HEAP_STEP = 64 * 1024;

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

export class UserProcess implements StructAllocator {
  constructor(
    readonly k: Kernel,
    readonly pid: number,
  ) {}

  // ---------------------------------------------------------------- syscalls (kernel ABI values)

  open(path: string, flags: number, mode = 0o666): number {
    return this.k.sys.open(this.pid, path, flags, mode);
  }
  close(fd: number): number {
    return this.k.sys.close(this.pid, fd);
  }
  mmap(addr: number, length: number, prot: number, flags: number, fd = -1, offset = 0): number {
    return this.k.sys.mmap(this.pid, addr, length, prot, flags, fd, offset);
  }
  munmap(addr: number, length: number): number {
    return this.k.sys.munmap(this.pid, addr, length);
  }
  mprotect(addr: number, length: number, prot: number): number {
    return this.k.sys.mprotect(this.pid, addr, length, prot);
  }
  ioctl(fd: number, cmd: number, arg: number): number {
    return this.k.sys.ioctl(this.pid, fd, cmd, arg);
  }
  brk(addr: number): number {
    return this.k.sys.brk(this.pid, addr);
  }
  /** read(2) into a fresh user buffer: returns [ret, buffer address]. */
  readInto(fd: number, count: number): [number, number] {
    const buf = this.malloc(Math.max(count, 1), 16);
    return [this.k.sys.readTo(this.pid, fd, buf, count), buf];
  }
  /** write(2) of bytes staged in a fresh user buffer. */
  writeBytes(fd: number, bytes: Uint8Array): number {
    const buf = this.malloc(Math.max(bytes.length, 1), 16);
    this.store(buf, bytes);
    return this.k.sys.writeFrom(this.pid, fd, buf, bytes.length);
  }
  personality(persona: number): number {
    return this.k.sys.personality(this.pid, persona);
  }

  // ---------------------------------------------------------------- memory

  /** A user-mode store; throws UserFault if it faults. */
  store(addr: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const r = this.k.mem.write(this.pid, addr, bytes);
    if (!r.ok) throw new UserFault(`store of ${bytes.length} bytes at 0x${addr.toString(16)}`, r);
  }

  /** A user-mode load; throws UserFault if it faults. */
  load(addr: number, length: number): Uint8Array {
    const r = this.k.mem.read(this.pid, addr, length);
    if (!r.ok) throw new UserFault(`load of ${length} bytes at 0x${addr.toString(16)}`, r);
    return r.data ?? new Uint8Array(0);
  }

  /** Try a store; the raw result (for tests that expect a fault). */
  tryStore(addr: number, bytes: Uint8Array): MemResult {
    return this.k.mem.write(this.pid, addr, bytes);
  }

  tryLoad(addr: number, length: number): MemResult {
    return this.k.mem.read(this.pid, addr, length);
  }

  storeU64(addr: number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.store(addr, b);
  }

  loadU64(addr: number): bigint {
    const b = this.load(addr, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  // ---------------------------------------------------------------- heap

  /** malloc(size) with `align` (default 16, as glibc); throws if brk cannot grow the heap. */
  malloc(size: number, align = 16): number {
    return this.alloc(size, align);
  }

  /** calloc: fresh brk memory is zero, but a reused range might not be: zero it explicitly. */
  calloc(size: number, align = 16): number {
    const a = this.alloc(size, align);
    if (size > 0) this.store(a, new Uint8Array(size));
    return a;
  }

  /** free(): a no-op (bump allocator). */
  free(_addr: number): void {}

  /** StructAllocator.alloc: bump-allocate from the brk heap. */
  alloc(size: number, align: number): number {
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`malloc: bad size ${size}`);
    const base = this.k.mm(this.pid).startBrk; // libc learns this from its first brk(0)
    let next: number;
    let end: number;
    const cur = this.brk(0);
    if (cur === base) {
      const want = alignUp(base + HEADER + size + align, HEAP_STEP);
      const got = this.brk(want);
      if (got !== want) throw new Error(`malloc: brk(0x${want.toString(16)}) failed`);
      next = base + HEADER;
      end = want;
      this.writeHeader(base, next, end);
    } else {
      const h = this.load(base, HEADER);
      const dv = new DataView(h.buffer, h.byteOffset, HEADER);
      if (dv.getBigUint64(0, true) !== HEAP_MAGIC) throw new Error('malloc: the heap header at start_brk was overwritten');
      next = Number(dv.getBigUint64(8, true));
      end = Number(dv.getBigUint64(16, true));
    }
    const a = alignUp(next, align);
    const stop = a + size;
    if (stop > end) {
      const want = alignUp(stop, HEAP_STEP);
      const got = this.brk(want);
      if (got !== want) throw new Error(`malloc: brk(0x${want.toString(16)}) failed`);
      end = want;
    }
    this.writeHeader(base, stop, end);
    return a;
  }

  private writeHeader(base: number, next: number, end: number): void {
    const b = new Uint8Array(HEADER);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, HEAP_MAGIC, true);
    dv.setBigUint64(8, BigInt(next), true);
    dv.setBigUint64(16, BigInt(end), true);
    this.store(base, b);
  }

  /** A page-aligned buffer from anonymous memory (what aligned_alloc(4096, n) ends up doing for big n). */
  mmapBuffer(length: number, prot: number, flags: number): number {
    return this.mmap(0, alignUp(length, PAGE_SIZE), prot, flags, -1, 0);
  }

  // ---------------------------------------------------------------- structs

  /** Marshal a struct literal into fresh heap memory (nested pointer literals too); returns its address. */
  struct(layout: StructLayout, lit: StructLiteral): number {
    return marshalStruct(this, layout, lit);
  }

  /** Read a struct back (scalars as bigint). */
  readStruct(layout: StructLayout, addr: number): Record<string, bigint | Uint8Array> {
    return decodeStruct(layout, this.load(addr, layout.size));
  }

  /** Overwrite a struct in place. */
  writeStruct(layout: StructLayout, addr: number, lit: StructLiteral): void {
    this.store(addr, encodeStruct(layout, lit));
  }
}

/** What userspace sees for a kernel return value: ret >= 0, or -errno after the signal path (ERESTARTSYS -> EINTR). */
export function errnoOf(ret: number): number {
  if (!isErr(ret)) return ret;
  const r = userspaceResult(ret);
  return r === 'restart' ? ret : r;
}
