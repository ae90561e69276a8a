// `sgxsim run`: until the scenario runner exists (a later issue replaces this command), print the
// trace of a built-in demonstration on the kernel model: open + mmap of a file, an anonymous
// mapping, a store, mprotect to R+X, a store that faults, provenance, and /proc/self/maps.
import type { Command } from 'commander';
import { Kernel } from '../../kernel/kernel.js';
import type { TraceEvent } from '../../kernel/trace.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC, MAP_PRIVATE, MAP_ANONYMOUS, protToString, mapFlagsToString } from '../../abi/mman.js';
import { O_RDONLY, openFlagsToString } from '../../abi/fcntl.js';
import { siCodeName } from '../../abi/signal.js';
import { UsageError } from '../errors.js';

function hex(n: number): string {
  return '0x' + n.toString(16);
}

/** strace-style rendering of the events this demo produces. */
export function renderEvent(e: TraceEvent, pending: Map<number, string>): string | null {
  switch (e.kind) {
    case 'sys_enter': {
      const a = e.args as Record<string, number | string>;
      let s: string;
      switch (e.name) {
        case 'open':
          s = `open("${a.path}", ${openFlagsToString(Number(a.flags))})`;
          break;
        case 'mmap':
          s = `mmap(${a.addr === 0 ? 'NULL' : hex(Number(a.addr))}, ${a.length}, ${protToString(Number(a.prot))}, ${mapFlagsToString(Number(a.flags))}, ${a.fd}, ${hex(Number(a.offset))})`;
          break;
        case 'mprotect':
          s = `mprotect(${hex(Number(a.addr))}, ${a.len}, ${protToString(Number(a.prot))})`;
          break;
        default:
          s = `${e.name}(${Object.values(a).join(', ')})`;
      }
      pending.set(e.pid, s);
      return null;
    }
    case 'sys_exit': {
      const call = pending.get(e.pid) ?? `${e.name}(...)`;
      pending.delete(e.pid);
      const ret = e.errno ? `-1 ${e.errno}` : e.name === 'mmap' ? hex(e.ret) : String(e.ret);
      return `[pid ${e.pid}] ${call} = ${ret}`;
    }
    case 'signal':
      return `[pid ${e.pid}] --- ${e.signal} {si_code=${siCodeName(e.signal, e.code)}, si_addr=${hex(e.addr)}} (#PF error code ${hex(e.errorCode)}) ---`;
    case 'lsm':
      return `[pid ${e.pid}] lsm ${e.hook} -> ${e.ret}`;
    case 'note':
      return `[pid ${e.pid ?? '-'}] ${e.message}`;
    case 'driver':
      return `[pid ${e.pid}] ${e.driver}: ${e.message}`;
    default:
      return null; // kinds other subsystems add (AVC lines...) are rendered by their own code
  }
}

export interface DemoResult {
  trace: TraceEvent[];
  maps: string;
  pid: number;
}

export function runDemo(version = '6.1'): DemoResult {
  const k = Kernel.boot({ version });
  const pid = k.spawn({ comm: 'demo', context: 'unconfined_u:unconfined_r:unconfined_t:s0' });
  const code = new Uint8Array(8192);
  code.set([0x55, 0x48, 0x89, 0xe5, 0xc3]); // push rbp; mov rbp, rsp; ret
  k.fs.createFile('/opt/demo.so', { data: code, label: 'system_u:object_r:lib_t:s0' });
  const fd = k.sys.open(pid, '/opt/demo.so', O_RDONLY);
  k.sys.mmap(pid, 0, 8192, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  const buf = k.sys.mmap(pid, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const w = k.mem.write(pid, buf, new Uint8Array([0xc3]));
  k.trace.emit({ kind: 'note', pid, message: `store 1 byte at ${hex(buf)}: ${w.ok ? 'ok' : 'faulted'}` });
  k.sys.mprotect(pid, buf, 4096, PROT_READ | PROT_EXEC);
  k.mem.write(pid, buf, new Uint8Array([0x90]));
  const p = k.provenance(pid, buf)!;
  k.trace.emit({
    kind: 'note',
    pid,
    message: `provenance of ${hex(buf)}: origin ${p.origin.kind}, written by pid ${p.writers.join(',') || '-'}, ever writable ${p.everWritable}, executable now ${p.executable}`,
  });
  return { trace: k.trace.all(), maps: k.procMaps(pid), pid };
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Print the trace of a built-in demonstration on the kernel model: mmap, a store, mprotect, a faulting store, and /proc/self/maps.')
    .option('--kernel <version>', 'kernel version to model (e.g. 6.1, 6.18)', '6.1')
    .option('--json', 'print the trace events and the maps text as JSON')
    .action((opts: { kernel: string; json?: boolean }) => {
      let r: DemoResult;
      try {
        r = runDemo(opts.kernel);
      } catch (e) {
        if (e instanceof Error && /not a kernel version/.test(e.message)) throw new UsageError(e.message);
        throw e;
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ trace: r.trace, maps: r.maps }, null, 2) + '\n');
        return;
      }
      const pending = new Map<number, string>();
      for (const e of r.trace) {
        const line = renderEvent(e, pending);
        if (line) process.stdout.write(line + '\n');
      }
      process.stdout.write(`\n$ cat /proc/${r.pid}/maps\n${r.maps}`);
    });
}
