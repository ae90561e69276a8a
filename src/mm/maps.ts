// /proc/PID/maps (fs/proc/task_mmu.c show_map_vma() / show_vma_header_prefix(), Linux 6.1).
import type { Kernel } from '../kernel/kernel.js';
import type { Vma } from './vma.js';
import { VM_READ, VM_WRITE, VM_EXEC, VM_MAYSHARE } from '../abi/vm_flags.js';
import { MAJOR, MINOR } from '../abi/stat.js';
import { PAGE_SIZE } from '../abi/page.js';

function hex(v: number, width: number): string {
  return v.toString(16).padStart(width, '0');
}

/** The header: "start-end perms offset major:minor inode " (seq_put_hex_ll widths 8/8/8/2/2). */
export function vmaHeader(k: Kernel, v: Vma): string {
  let dev = 0;
  let ino = 0;
  let pgoff = 0;
  if (v.file !== null) {
    const inode = k.inode(k.file(v.file).inode);
    dev = k.sb(inode.sb).dev;
    ino = inode.ino;
    pgoff = v.pgoff * PAGE_SIZE;
  }
  const perms =
    (v.flags & VM_READ ? 'r' : '-') + (v.flags & VM_WRITE ? 'w' : '-') + (v.flags & VM_EXEC ? 'x' : '-') + (v.flags & VM_MAYSHARE ? 's' : 'p');
  return `${hex(v.start, 8)}-${hex(v.end, 8)} ${perms} ${hex(pgoff, 8)} ${hex(MAJOR(dev), 2)}:${hex(MINOR(dev), 2)} ${ino} `;
}

/** The name column of a VMA, or null. */
export function vmaName(k: Kernel, pid: number, v: Vma): string | null {
  if (v.file !== null) return k.file(v.file).path;
  const n = v.ops?.mapsName?.(k, v);
  if (n) return n;
  const mm = k.mm(pid);
  if (v.start <= mm.brk && v.end >= mm.startBrk) return '[heap]';
  // is_stack(): vma_is_initial_stack()
  if (v.start <= mm.startStack && v.end >= mm.startStack) return '[stack]';
  if (v.anonName !== null) return `[anon:${v.anonName}]`;
  return null;
}

/** One line, without the newline. seq_setwidth(25 + 6 * sizeof(void *) - 1) then seq_pad(' '). */
export function mapsLine(k: Kernel, pid: number, v: Vma): string {
  const head = vmaHeader(k, v);
  const name = vmaName(k, pid, v);
  if (name === null) return head;
  const width = 25 + 6 * 8 - 1;
  return head.padEnd(width, ' ') + ' ' + name;
}

export function renderProcMaps(k: Kernel, pid: number): string {
  let out = '';
  for (const v of k.mm(pid).vmas) out += mapsLine(k, pid, v) + '\n';
  return out;
}
