// task_struct and its cred, as far as the model needs them. TaskRec is an immutable value.

export interface FdEntry {
  /** Open file id (struct file). */
  readonly file: number;
  /** FD_CLOEXEC. */
  readonly cloexec: boolean;
}

export interface TaskRec {
  readonly pid: number;
  /** task->comm (at most 15 characters, TASK_COMM_LEN - 1). */
  readonly comm: string;
  /** The security context of the task's cred (opaque to the core). */
  readonly context: string;
  /** task->personality. */
  readonly personality: number;
  /** Effective capability set (bit n = capability n). */
  readonly caps: bigint;
  /** mm_struct id. */
  readonly mm: number;
  /** The fd table: index = fd. */
  readonly fds: readonly (FdEntry | undefined)[];
}

export interface SpawnOptions {
  comm?: string;
  context?: string;
  personality?: number;
  /** Capability numbers (e.g. CAP_SYS_RAWIO = 17). */
  capabilities?: readonly number[];
}

export const TASK_COMM_LEN = 16;

export function hasCap(t: TaskRec, cap: number): boolean {
  return ((t.caps >> BigInt(cap)) & 1n) === 1n;
}

export function capsFrom(list: readonly number[]): bigint {
  let c = 0n;
  for (const n of list) {
    if (!Number.isInteger(n) || n < 0 || n > 63) throw new Error(`not a capability number: ${n}`);
    c |= 1n << BigInt(n);
  }
  return c;
}
