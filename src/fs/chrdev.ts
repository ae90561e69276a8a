// Character devices: def_chr_fops / chrdev_open() (fs/char_dev.c) and the mem devices
// /dev/null and /dev/zero (drivers/char/mem.c).
import type { FileOperations, OpenFile } from './types.js';
import type { Kernel } from '../kernel/kernel.js';
import { ENXIO } from '../abi/errno.js';
import { VM_SHARED } from '../abi/vm_flags.js';
import { shmemZeroSetup } from './memfd.js';

/**
 * chrdev_open(): find the driver bound to i_rdev (-ENXIO if none), replace f_op with the driver's,
 * and call its ->open().
 */
export function chrdevOpen(k: Kernel, pid: number, file: OpenFile): number | { file: number } {
  const inode = k.inode(file.inode);
  const fops = k.chrdevs.get(inode.rdev);
  if (!fops) return -ENXIO;
  k.setFile({ ...file, fops });
  if (!fops.open) return 0;
  return fops.open(k, pid, k.file(file.id));
}

export const defChrFops: FileOperations = {
  name: 'def_chr_fops',
  open: chrdevOpen,
};

const nullOps: FileOperations = {
  name: 'null_fops',
  read: () => new Uint8Array(0),
  write: (_k, _pid, _f, data) => data.length,
};

const zeroOps: FileOperations = {
  name: 'zero_fops',
  read: (_k, _pid, _f, count) => new Uint8Array(Math.min(count, 1 << 20)),
  write: (_k, _pid, _f, data) => data.length,
  // mmap_zero(): shared -> shmem_zero_setup(); private -> vma_set_anonymous() (vm_file stays /dev/zero).
  mmap(k, _pid, _file, vma) {
    if (vma.flags & VM_SHARED) return shmemZeroSetup(k, vma);
    vma.ops = null;
    return 0;
  },
};

export const memDevOps = { null: nullOps, zero: zeroOps };
