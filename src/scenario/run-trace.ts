// The runner's view of the kernel trace: the kernel records syscalls with their raw arguments
// (an ioctl's argument is an address), so the runner replaces k.trace with a RecordingTrace that
// also snapshots what a tracer reads from the task's memory at that moment, as strace does: an
// ioctl's argument struct at entry and its output fields at exit, the buffer of a write(2) at
// entry and of a read(2) at exit. Memory is peeked (no fault, no trace event).
import type { Kernel } from '../kernel/kernel.js';
import { Trace, type TraceEventInput } from '../kernel/trace.js';
import { pageView } from '../mm/memory.js';
import { readPage } from '../mm/page.js';
import { PAGE_SIZE } from '../abi/page.js';
import { decodeStruct, type StructLayout } from '../userspace/struct.js';
import type { IoctlSpec } from '../drivers/sgx/design.js';

/** strace's default string limit (-s 32). */
export const STRACE_STRSIZE = 32;

/** Bytes at [addr, addr+n) of pid's memory as the page tables hold them, without faulting. */
export function peekMemory(k: Kernel, pid: number, addr: number, n: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, n));
  let p = addr;
  let o = 0;
  while (o < out.length) {
    const off = p % PAGE_SIZE;
    const len = Math.min(PAGE_SIZE - off, out.length - o);
    out.set(readPage(pageView(k, pid, p - off), off, len), o);
    p += len;
    o += len;
  }
  return out;
}

/** An ioctl as a tracer decoded it. */
export interface IoctlView {
  /** The uAPI name, or null for a command the design does not define. */
  readonly name: string | null;
  readonly layout: StructLayout | null;
  /** The argument struct at entry (null: not readable or not a struct). */
  readonly before: Readonly<Record<string, bigint | Uint8Array>> | null;
  /** The struct at exit. */
  after: Readonly<Record<string, bigint | Uint8Array>> | null;
  /** Structs that pointer fields of the argument lead to, read at entry (one level). */
  readonly nested: Readonly<Record<string, Readonly<Record<string, bigint | Uint8Array>>>>;
}

/**
 * k.trace plus memory snapshots keyed by the sequence number of the syscall's sys_enter. A
 * Kernel.clone() of a kernel using it gets a plain Trace (the inherited clone(): the events,
 * copy-on-write, without the snapshots), since a recording reads one kernel's memory.
 */
export class RecordingTrace extends Trace {
  readonly ioctls = new Map<number, IoctlView>();
  /** write(2) buffers at entry / read(2) buffers at exit (first STRACE_STRSIZE + 1 bytes). */
  readonly buffers = new Map<number, Uint8Array>();
  private readonly inFlight = new Map<number, { seq: number; name: string; args: Readonly<Record<string, unknown>> }>();

  constructor(
    private readonly k: Kernel,
    private readonly ioctlOf: (cmd: number) => IoctlSpec | undefined,
    base: Trace,
  ) {
    super(base.enabled, base.all(), base.length);
  }

  override emit(e: TraceEventInput): number {
    const seq = super.emit(e);
    if (seq < 0) return seq;
    if (e.kind === 'sys_enter') {
      this.inFlight.set(e.pid, { seq, name: e.name, args: e.args });
      if (e.name === 'ioctl') this.onIoctlEnter(seq, e.pid, e.args);
      else if ((e.name === 'write' || e.name === 'pwrite64') && typeof e.args.buf === 'number') {
        this.buffers.set(seq, peekMemory(this.k, e.pid, e.args.buf, Math.min(Number(e.args.count ?? 0), STRACE_STRSIZE + 1)));
      }
    } else if (e.kind === 'sys_exit') {
      const f = this.inFlight.get(e.pid);
      this.inFlight.delete(e.pid);
      if (!f) return seq;
      if (f.name === 'ioctl') {
        const v = this.ioctls.get(f.seq);
        const arg = f.args.arg;
        if (v && v.layout && typeof arg === 'number') v.after = this.readStruct(e.pid, arg, v.layout);
      } else if ((f.name === 'read' || f.name === 'pread64') && typeof f.args.buf === 'number' && e.ret > 0) {
        this.buffers.set(f.seq, peekMemory(this.k, e.pid, f.args.buf, Math.min(e.ret, STRACE_STRSIZE + 1)));
      }
    }
    return seq;
  }

  private readStruct(pid: number, addr: number, layout: StructLayout): Record<string, bigint | Uint8Array> | null {
    if (!Number.isSafeInteger(addr) || addr <= 0) return null;
    return decodeStruct(layout, peekMemory(this.k, pid, addr, layout.size));
  }

  private onIoctlEnter(seq: number, pid: number, args: Readonly<Record<string, unknown>>): void {
    const cmd = Number(args.cmd);
    const spec = this.ioctlOf(cmd);
    const layout = spec?.arg ?? null;
    const arg = args.arg;
    const before = layout && typeof arg === 'number' ? this.readStruct(pid, arg, layout) : null;
    const nested: Record<string, Record<string, bigint | Uint8Array>> = {};
    if (layout && before) {
      for (const f of layout.fields) {
        const ptr = before[f.name];
        if (f.pointer?.kind !== 'struct' || typeof ptr !== 'bigint' || ptr === 0n || ptr >= 1n << 53n) continue;
        const v = this.readStruct(pid, Number(ptr), f.pointer.layout);
        if (v) nested[f.name] = v;
      }
    }
    this.ioctls.set(seq, { name: spec?.name ?? null, layout, before, after: null, nested });
  }
}
