// The kernel's event log: append-only, plain data, cheap to clone, and disableable. A later issue
// renders it strace-style. Every event has a `kind` discriminant. Subsystems add their own kinds
// by augmenting TraceEventMap:
//
//   declare module '../kernel/trace.js' {
//     interface TraceEventMap { avc: { pid: number; line: string } }
//   }
//
// Then `k.trace.emit({ kind: 'avc', pid, line })` type-checks. Keep payloads JSON-serialisable
// (numbers, strings, booleans, arrays, plain objects; bigint only where a u64 needs it).

/** An argument value as recorded: numbers stay numbers; flags are pre-rendered by the caller when useful. */
export type TraceValue = number | bigint | string | boolean | null | readonly TraceValue[] | { readonly [k: string]: TraceValue };

export interface TraceEventMap {
  /** Syscall entry (arguments as the syscall received them). */
  sys_enter: { pid: number; comm: string; name: string; args: Readonly<Record<string, TraceValue>> };
  /** Syscall exit: `ret` is the kernel return value (>= 0, or -errno); `errno` its name when negative. */
  sys_exit: { pid: number; name: string; ret: number; errno?: string };
  /** An LSM hook's decision (emitted by the kernel model around each hook call that did not return 0, and by LSMs). */
  lsm: { pid: number; hook: string; ret: number; detail?: Readonly<Record<string, TraceValue>> };
  /** A fault delivered as a signal. */
  signal: { pid: number; signal: 'SIGSEGV' | 'SIGBUS'; code: number; addr: number; errorCode: number };
  /** A note from a driver (ioctl progress, EPC events...). */
  driver: { pid: number; driver: string; message: string; data?: Readonly<Record<string, TraceValue>> };
  /** Free-form kernel notes (e.g. which version rule applied). */
  note: { pid?: number; message: string };
}

export type TraceKind = keyof TraceEventMap;
export type TraceEvent = { [K in TraceKind]: { readonly kind: K; readonly seq: number } & Readonly<TraceEventMap[K]> }[TraceKind];
export type TraceEventInput = { [K in TraceKind]: { kind: K } & TraceEventMap[K] }[TraceKind];

/**
 * Append-only log with O(1) clone: clones share the backing array; whichever copy appends to a
 * shared array whose length is not its own copies its prefix first.
 */
export class Trace {
  private events: TraceEvent[];
  private len: number;
  /** When false, emit() is a no-op (the explorer turns tracing off). */
  enabled: boolean;

  constructor(enabled = true, events: TraceEvent[] = [], len = 0) {
    this.enabled = enabled;
    this.events = events;
    this.len = len;
  }

  /** Append an event (if enabled). Returns its sequence number, or -1 when disabled. */
  emit(e: TraceEventInput): number {
    if (!this.enabled) return -1;
    if (this.events.length !== this.len) this.events = this.events.slice(0, this.len);
    const ev = { ...e, seq: this.len } as TraceEvent;
    this.events.push(ev);
    this.len++;
    return ev.seq;
  }

  get length(): number {
    return this.len;
  }

  /** Events from `from` (a sequence number) to the end, as a fresh array. */
  since(from = 0): TraceEvent[] {
    return this.events.slice(Math.max(0, from), this.len);
  }

  /** All events, as a fresh array. */
  all(): TraceEvent[] {
    return this.events.slice(0, this.len);
  }

  /** Events of one kind. */
  ofKind<K extends TraceKind>(kind: K, from = 0): Extract<TraceEvent, { kind: K }>[] {
    const out: Extract<TraceEvent, { kind: K }>[] = [];
    for (let i = Math.max(0, from); i < this.len; i++) {
      const e = this.events[i];
      if (e.kind === kind) out.push(e as Extract<TraceEvent, { kind: K }>);
    }
    return out;
  }

  clone(): Trace {
    return new Trace(this.enabled, this.events, this.len);
  }
}
