// The model side of the mm differential test: runs the same operation lines as mmdiff.c and
// prints results in the same format.
import { Kernel } from '../../../src/kernel/kernel.js';
import { PROT_NONE, MAP_PRIVATE, MAP_SHARED, MAP_ANONYMOUS, MAP_FIXED, MAP_NORESERVE, MAP_FIXED_NOREPLACE } from '../../../src/abi/mman.js';
import { O_RDWR, O_RDONLY, O_CREAT } from '../../../src/abi/fcntl.js';
import { isErr } from '../../../src/abi/errno.js';
import { SIGSEGV, SIGBUS } from '../../../src/abi/signal.js';

export type Op =
  | { op: 'M'; hint: 0 | 1; addr: number; len: number; prot: number; flags: number; fdsel: number; off: number }
  | { op: 'P'; addr: number; len: number; prot: number }
  | { op: 'U'; addr: number; len: number }
  | { op: 'W'; addr: number; byte: number }
  | { op: 'R'; addr: number }
  | { op: 'F'; fdsel: number; off: number; byte: number }
  | { op: 'X'; addr: number; size: number; prot: number; pgoff: number; flags: number };

/** Serialise for mmdiff.c (u64 values as decimal). */
export function opLine(o: Op): string {
  const u = (n: number): string => BigInt(n).toString();
  switch (o.op) {
    case 'M':
      return `M ${o.hint} ${u(o.addr)} ${u(o.len)} ${o.prot} ${o.flags} ${o.fdsel} ${o.off}`;
    case 'P':
      return `P ${u(o.addr)} ${u(o.len)} ${o.prot}`;
    case 'U':
      return `U ${u(o.addr)} ${u(o.len)}`;
    case 'W':
      return `W ${o.addr} ${o.byte}`;
    case 'R':
      return `R ${o.addr}`;
    case 'F':
      return `F ${o.fdsel} ${o.off} ${o.byte}`;
    case 'X':
      return `X ${u(o.addr)} ${u(o.size)} ${o.prot} ${u(o.pgoff)} ${o.flags}`;
  }
}

export interface ModelOptions {
  version: string;
  pku: boolean;
  base: number;
  regionPages: number;
}

const PAGE = 4096;

/** Run one sequence in a fresh model; returns the output lines between SEQ and END (exclusive). */
export function runModel(ops: readonly Op[], o: ModelOptions): string[] {
  const k = Kernel.boot({ version: o.version, pku: o.pku, trace: false, mmapMinAddr: 4096 });
  const pid = k.spawn({ comm: 'mmdiff' });
  const size = o.regionPages * PAGE;
  const base = o.base;
  const f1 = new Uint8Array(6 * PAGE);
  for (let i = 0; i < f1.length; i++) f1[i] = (i * 7 + 1) & 0xff;
  k.fs.createFile('/tmp/f1', { data: f1 });
  const fds: number[] = [];
  fds[0] = k.sys.open(pid, '/tmp/f1', O_RDWR | O_CREAT);
  fds[1] = k.sys.open(pid, '/tmp/f1', O_RDONLY);
  fds[2] = k.sys.memfd_create(pid, 'mmdiff', 0);
  const m = new Uint8Array(4 * PAGE);
  for (let i = 0; i < m.length; i++) m[i] = (i * 13 + 5) & 0xff;
  if (k.sys.write(pid, fds[2], m) !== m.length) throw new Error('memfd write');
  fds[3] = 999;
  if (k.sys.mmap(pid, base, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !== base) throw new Error('reserve');
  const above = base + size + PAGE;
  const mmapBase = k.mm(pid).mmapBase;
  if (above >= mmapBase) throw new Error(`region base ${base.toString(16)} is not below the model's mmap_base`);
  if (k.sys.mmap(pid, above, mmapBase - above, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0) !== above) {
    throw new Error('placeholder');
  }
  const out: string[] = [];
  for (const op of ops) {
    switch (op.op) {
      case 'M': {
        const fd = op.fdsel < 0 ? -1 : fds[op.fdsel];
        const r = k.sys.mmap(pid, op.hint ? base + op.addr : 0, op.len, op.prot, op.flags, fd, op.off);
        if (isErr(r)) out.push(`E${-r}`);
        else if (r >= base && r < base + size) out.push(`A${r - base}`);
        else {
          out.push('OUT');
          k.sys.munmap(pid, r, op.len);
        }
        break;
      }
      case 'P': {
        const r = k.sys.mprotect(pid, base + op.addr, op.len, op.prot);
        out.push(r ? `E${-r}` : '0');
        break;
      }
      case 'U': {
        const r = k.sys.munmap(pid, base + op.addr, op.len);
        out.push(r ? `E${-r}` : '0');
        break;
      }
      case 'W':
      case 'R': {
        const r = op.op === 'W' ? k.mem.write(pid, base + op.addr, new Uint8Array([op.byte])) : k.mem.read(pid, base + op.addr, 1);
        if (r.ok) out.push(op.op === 'W' ? 'OK' : `V${r.data![0]}`);
        else out.push(`S${r.signal === 'SIGSEGV' ? SIGSEGV : SIGBUS} ${r.code} ${r.addr - base} ${r.errorCode}`);
        break;
      }
      case 'X': {
        const r = k.sys.remapFilePages(pid, base + op.addr, op.size, op.prot, op.pgoff, op.flags);
        out.push(r ? `E${-r}` : '0');
        break;
      }
      case 'F': {
        const r = k.sys.pwrite(pid, fds[op.fdsel], new Uint8Array([op.byte]), op.off);
        out.push(r < 0 ? `E${-r}` : String(r));
        break;
      }
    }
    // As mmdiff.c: keep the page above the region free.
    k.sys.munmap(pid, base + size, PAGE);
  }
  out.push('MAPS');
  for (const line of k.procMaps(pid).split('\n')) {
    const mm = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \d+ *(.*)$/.exec(line);
    if (!mm) continue;
    const s = parseInt(mm[1], 16);
    const e = parseInt(mm[2], 16);
    if (e <= base || s >= base + size) continue;
    const cs = Math.max(s, base);
    const ce = Math.min(e, base + size);
    const off = parseInt(mm[4], 16) + (s < base ? base - s : 0);
    const name = mm[5] === '' ? '-' : mm[5] === '/tmp/f1' ? 'F1' : mm[5];
    out.push(`${cs - base} ${ce - base} ${mm[3]} ${off.toString(16)} ${name}`);
  }
  return out;
}
