// The invariant monitor of a scenario run: it records the ghost state (where each enclave page's
// bytes came from, invariants.ts) while `sgxsim run` replays a scenario, so that a scenario can
// assert `expect invariant("I2").violated == 1` and the explorer's start state (the scenario's
// own steps) starts with the right sources.
//
// It watches ioctl(2) on the kernel it is attached to: before the call it decodes the argument
// with the design's ioctl table and takes the source pointer (a pointer field to page-sized
// source memory: `src` of ADD_PAGES, `source` of D1's ADD, ...); after the call, the pages that
// appeared in an enclave are given, in address order, the provenance of the source pages in order
// (an ADD copies page k of the source to page k of the target). Pages that appear at any other
// time (a fault, EAUG) have no source.
import type { Kernel } from '../../kernel/kernel.js';
import type { SgxDesign } from '../../drivers/sgx/design.js';
import { decodeStruct, type StructLayout } from '../../userspace/struct.js';
import { peekMemory } from '../../scenario/run-trace.js';
import { PAGE_SIZE } from '../../abi/page.js';
import { EMPTY_GHOST, enclavePageKeys, updateGhost, type Ghost } from './invariants.js';

/** The page-sized source pointer field of an ioctl argument layout, if it has one. */
export function sourceField(layout: StructLayout | null): string | null {
  if (!layout) return null;
  for (const f of layout.fields) {
    const p = f.pointer;
    if (!p || p.kind !== 'buffer') continue;
    if (typeof p.size === 'object' || (typeof p.size === 'number' && p.size % PAGE_SIZE === 0)) return f.name;
  }
  return null;
}

export class InvariantMonitor {
  ghost: Ghost = EMPTY_GHOST;
  private seen: ReadonlySet<string> = new Set();

  constructor(private readonly design: SgxDesign) {}

  /** Watch the ioctls of `k` (its syscall entry point is wrapped; clones of `k` are not watched). */
  attach(k: Kernel): void {
    this.seen = enclavePageKeys(k);
    const sys = k.sys as { ioctl: Kernel['sys']['ioctl'] };
    const orig = sys.ioctl.bind(k.sys);
    sys.ioctl = (pid: number, fd: number, cmd: number, arg: number): number => {
      this.sync(k);
      const src = this.sourceArg(k, pid, cmd, arg);
      const before = this.seen;
      const r = orig(pid, fd, cmd, arg);
      this.ghost = updateGhost(this.ghost, k, before, src === null ? null : { pid, src });
      this.seen = enclavePageKeys(k);
      return r;
    };
  }

  /** Account for pages that appeared (EAUG) or went away since the last look. */
  sync(k: Kernel): Ghost {
    this.ghost = updateGhost(this.ghost, k, this.seen, null);
    this.seen = enclavePageKeys(k);
    return this.ghost;
  }

  private sourceArg(k: Kernel, pid: number, cmd: number, arg: number): number | null {
    const spec = this.design.ioctls.find((i) => i.cmd >>> 0 === cmd >>> 0);
    if (!spec || !spec.arg) return null;
    const field = sourceField(spec.arg);
    if (!field) return null;
    if (!Number.isSafeInteger(arg) || arg <= 0) return null;
    // A tracer's peek (no fault, no PTE change): the driver reads the same bytes right after.
    const v = decodeStruct(spec.arg, peekMemory(k, pid, arg, spec.arg.size))[field];
    if (typeof v !== 'bigint' || v >= BigInt(Number.MAX_SAFE_INTEGER)) return null;
    return Number(v);
  }
}
