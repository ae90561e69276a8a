// VFS records: super_block, vfsmount, inode (with its dentry name and page cache), struct file,
// and file_operations. Records are immutable values kept in the kernel's tables; to change one,
// build a new record and store it (k.setInode / k.setFile). They are shared between clones.
import type { Kernel } from '../kernel/kernel.js';
import type { BTree } from '../kernel/btree.js';
import type { Page } from '../mm/page.js';
import type { InodeClass } from '../security/lsm.js';
import type { VmOperations } from '../mm/vma.js';

export type FsType = 'ext4' | 'tmpfs' | 'devtmpfs' | 'anon_inodefs' | 'shm';

export interface SuperBlock {
  readonly id: number;
  readonly fstype: FsType;
  /** s_id: "sda1", "tmpfs", "devtmpfs", "anon_inodefs". */
  readonly sId: string;
  /** s_dev (kernel dev_t, MKDEV(major, minor)). */
  readonly dev: number;
  /** s_flags (SB_RDONLY, SB_NOEXEC, ...). */
  readonly flags: number;
  /** s_iflags (SB_I_NOEXEC, SB_I_NODEV). */
  readonly iflags: number;
  /** Root inode id. */
  readonly root: number;
  /** The label a labelling LSM gives unlabelled inodes here (genfscon / context= mount option), or null. */
  readonly defaultLabel: string | null;
}

export interface Mount {
  readonly id: number;
  readonly sb: number;
  /** Absolute path where it is mounted ("/" for the root). */
  readonly mountpoint: string;
  /** mnt_flags: MNT_NOEXEC, MNT_NOSUID, MNT_NODEV, MNT_READONLY. */
  readonly flags: number;
}

export interface Inode {
  /** Model-wide unique id. */
  readonly id: number;
  readonly sb: number;
  /** i_ino. */
  readonly ino: number;
  /** i_mode. */
  readonly mode: number;
  /** i_flags (S_PRIVATE, S_APPEND, S_IMMUTABLE). */
  readonly iflags: number;
  /** i_size in bytes. */
  readonly size: number;
  /** The security.selinux xattr, or null. */
  readonly label: string | null;
  /** The dentry name ("" for a filesystem root). */
  readonly name: string;
  /** Page cache (regular files, shmem): page index -> page; absent = hole (zeros). */
  readonly pages: BTree<number, Page> | null;
  /** Directory entries: name -> inode id. */
  readonly children: ReadonlyMap<string, number> | null;
  /** i_rdev of a device node. */
  readonly rdev: number;
  /** i_fop for inodes that are not plain files/dirs/device nodes (anon inodes, shmem pseudo files). */
  readonly fops: FileOperations | null;
  /** For unlinked/pseudo inodes: the fixed d_path ("/memfd:x (deleted)", "anon_inode:[sgx]", "/dev/zero (deleted)"). */
  readonly pseudoPath: string | null;
  /** LSM object class override (secure anon inodes are "anon_inode"). */
  readonly inodeClass: InodeClass | null;
}

export interface FileCred {
  readonly pid: number;
  readonly comm: string;
  readonly context: string;
}

/** struct file: an open file description. */
export interface OpenFile {
  readonly id: number;
  readonly inode: number;
  /** f_path.mnt (null for pseudo files with no mount in the namespace). */
  readonly mount: number | null;
  /** d_path() of f_path. */
  readonly path: string;
  /** f_mode (FMODE_*). */
  readonly fmode: number;
  /** f_flags (O_*). */
  readonly flags: number;
  /** f_pos. */
  readonly pos: number;
  /** References: fd-table entries plus VMAs (vm_file). The file is released at 0. */
  readonly refs: number;
  /** f_cred: the opener. */
  readonly cred: FileCred;
  /** f_op. */
  readonly fops: FileOperations;
  /** private_data: an immutable value (e.g. an id in k.objects). */
  readonly privateData: unknown;
}

/** The VMA being set up by mmap_region(), as a driver's ->mmap() may modify it. */
export interface VmaDraft {
  readonly start: number;
  readonly end: number;
  flags: number;
  pgoff: number;
  ops: VmOperations | null;
  privateData: unknown;
  /** vm_file; a driver may replace it (shmem_zero_setup() does), or clear it (vma_set_anonymous() keeps it). */
  file: number | null;
}

/**
 * file_operations. Stateless objects shared by every clone; per-open state lives in
 * file.privateData (an immutable value or an id in k.objects).
 */
export interface FileOperations {
  readonly name: string;
  /** Extra MAP_* flags MAP_SHARED_VALIDATE accepts (f_op->mmap_supported_flags). */
  readonly mmap_supported_flags?: number;
  /**
   * ->open(). Return 0 or -errno. A driver may instead return `{ file }`, the id of another open
   * file it created (e.g. with anonInodeGetfile()): the fd is then installed for that file and the
   * device file is released (a modelling convenience for designs that hand out an anon inode).
   */
  open?(k: Kernel, pid: number, file: OpenFile): number | { file: number };
  /** ->release(): the last reference went away. */
  release?(k: Kernel, file: OpenFile): void;
  /** ->read(): bytes read (may be fewer than count) or -errno. */
  read?(k: Kernel, pid: number, file: OpenFile, count: number, pos: number): Uint8Array | number;
  /** ->write(): bytes written or -errno. */
  write?(k: Kernel, pid: number, file: OpenFile, data: Uint8Array, pos: number): number;
  /** ->mmap(): set up the VMA (flags, ops, privateData); 0 or -errno. Absent = the file cannot be mapped (ENODEV). */
  mmap?(k: Kernel, pid: number, file: OpenFile, vma: VmaDraft): number;
  /** ->get_unmapped_area(): an address or -errno (mm/mmap.ts exports archGetUnmappedAreaTopdown for the default). */
  get_unmapped_area?(k: Kernel, pid: number, file: OpenFile, addr: number, len: number, pgoff: number, flags: number): number;
  /** ->unlocked_ioctl(): >= 0 or -errno (-ENOIOCTLCMD becomes -ENOTTY). */
  unlocked_ioctl?(k: Kernel, pid: number, file: OpenFile, cmd: number, arg: number): number;
}
