// file_operations of regular files on the modelled filesystems: ext4_file_operations
// (fs/ext4/file.c), shmem_file_operations (mm/shmem.c), and directories.
import type { FileOperations } from './types.js';
import { readInodeData, writeInodeData } from './pagecache.js';
import { genericFileVmOps, shmemVmOps } from '../mm/vma.js';
import { EISDIR, EOPNOTSUPP } from '../abi/errno.js';
import { MAP_SYNC } from '../abi/mman.js';
import { VM_SYNC } from '../abi/vm_flags.js';

export const ext4FileOps: FileOperations = {
  name: 'ext4_file_operations',
  // ext4 advertises MAP_SYNC; ext4_file_mmap() refuses it without DAX (-EOPNOTSUPP).
  mmap_supported_flags: MAP_SYNC,
  read: (k, _pid, file, count, pos) => readInodeData(k, file.inode, pos, count),
  write(k, pid, file, data, pos) {
    writeInodeData(k, file.inode, pos, data, pid);
    return data.length;
  },
  mmap(_k, _pid, _file, vma) {
    if (vma.flags & VM_SYNC) return -EOPNOTSUPP; // !daxdev_mapping_supported()
    vma.ops = genericFileVmOps;
    return 0;
  },
};

export const shmemFileOps: FileOperations = {
  name: 'shmem_file_operations',
  read: (k, _pid, file, count, pos) => readInodeData(k, file.inode, pos, count),
  write(k, pid, file, data, pos) {
    writeInodeData(k, file.inode, pos, data, pid);
    return data.length;
  },
  mmap(_k, _pid, _file, vma) {
    vma.ops = shmemVmOps;
    return 0;
  },
};

/** Directories: read(2) gives EISDIR (generic_read_dir); no mmap. */
export const dirOps: FileOperations = {
  name: 'dir_operations',
  read: () => -EISDIR,
};
