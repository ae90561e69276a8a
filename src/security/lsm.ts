// The LSM hook interface (include/linux/lsm_hooks.h, security/security.c), called by the model at
// the places Linux 6.1 calls security_*(). Every hook returns 0 or a negative errno. The default is
// NoopLsm (no LSM stacked besides the always-on capability checks the kernel model does itself,
// e.g. cap_mmap_addr()). SELinux extends NoopLsm.
//
// Objects are passed as plain read-only views with enough to decide and to audit: the subject's
// cred (pid, comm, context), the inode's label (the security.selinux xattr), class, device name
// (s_id), inode number and path. Views are snapshots: do not keep them across syscalls.
//
// Cloning: Kernel.clone() calls lsm.clone() once per clone, so keep it O(1) (persistent maps for an
// AVC cache) and make the clone share nothing mutable with the original.
import type { Kernel } from '../kernel/kernel.js';

/** The subject of a hook: current's cred (the task's security context) plus audit fields. */
export interface LsmCred {
  readonly pid: number;
  readonly comm: string;
  /** The task's security context, e.g. `unconfined_u:unconfined_r:unconfined_t:s0`. */
  readonly context: string;
}

/** SELinux-style object class of an inode (inode_mode_to_security_class(); anon_inode for secure anon inodes). */
export type InodeClass = 'file' | 'dir' | 'chr_file' | 'blk_file' | 'lnk_file' | 'fifo_file' | 'sock_file' | 'anon_inode';

export interface LsmInode {
  /** Model-wide unique inode id (stable across clones). */
  readonly id: number;
  /** i_ino. */
  readonly ino: number;
  /** i_mode (S_IF* | permission bits). */
  readonly mode: number;
  /** Superblock s_id as audit prints it after dev=: "sda1", "tmpfs", "devtmpfs", "anon_inodefs". */
  readonly dev: string;
  /** Filesystem type: ext4, tmpfs, devtmpfs, anon_inodefs, shm (the kernel-internal tmpfs mount). */
  readonly fstype: string;
  /** IS_PRIVATE(inode): S_PRIVATE set (kernel-internal; LSMs skip inode checks). */
  readonly isPrivate: boolean;
  /** The security.selinux xattr value, or null when the inode has none. */
  readonly label: string | null;
  /** The label a labelling LSM would give an unlabelled inode of this filesystem (context= mount option / genfscon), or null. */
  readonly sbDefaultLabel: string | null;
  readonly inodeClass: InodeClass;
  /** The dentry name (audit `name=`), e.g. "sgx_enclave". */
  readonly name: string;
}

export interface LsmFile {
  /** Model-wide unique id of the open file description (struct file). */
  readonly id: number;
  /** d_path() of the file, as audit prints `path=`: "/dev/sgx_enclave", "/memfd:x (deleted)", "anon_inode:[sgx]". */
  readonly path: string;
  readonly inode: LsmInode;
  /** f_mode (FMODE_READ | FMODE_WRITE | ...). */
  readonly fmode: number;
  /** f_flags (O_* flags the file was opened with). */
  readonly flags: number;
  /** f_cred: the opener (whose domain the file's fsec SID records). */
  readonly cred: LsmCred;
  /** Path-based noexec (path_noexec(): MNT_NOEXEC or SB_I_NOEXEC). */
  readonly noexec: boolean;
}

export interface LsmVma {
  readonly start: number;
  readonly end: number;
  /** vm_flags (VM_*). */
  readonly flags: number;
  readonly file: LsmFile | null;
  /** vma->anon_vma != NULL (a private page was COWed or an anonymous page written). */
  readonly anonVma: boolean;
  /** mm->start_brk, mm->brk, mm->start_stack. */
  readonly startBrk: number;
  readonly brk: number;
  readonly startStack: number;
  /** vma_is_stack_for_current(): the VMA contains current's user stack pointer. */
  readonly isStackForCurrent: boolean;
}

/** Result of inode_init_security / inode_init_security_anon: the new inode's label, or -errno. */
export type LsmLabelResult = { readonly label: string | null } | number;

export interface Lsm {
  readonly name: string;
  /** An independent copy (O(1) preferred) sharing nothing mutable with this one. */
  clone(): Lsm;

  /** security_inode_permission(): from inode_permission(), incl. MAY_EXEC on each directory of a path walk (may_lookup()). */
  inode_permission(k: Kernel, cred: LsmCred, inode: LsmInode, mask: number): number;
  /** security_file_open(): from do_dentry_open(), after the VFS permission checks, before the driver's open(). */
  file_open(k: Kernel, cred: LsmCred, file: LsmFile): number;
  /** security_file_permission(): from rw_verify_area() on read/write/pread/pwrite (mask MAY_READ or MAY_WRITE). */
  file_permission(k: Kernel, cred: LsmCred, file: LsmFile, mask: number): number;
  /**
   * security_mmap_file(): from vm_mmap_pgoff() before do_mmap(), so before every VFS check of the
   * mapping. `prot` is mmap_prot(file, reqprot) (READ_IMPLIES_EXEC applied); file is null for anonymous mappings.
   */
  mmap_file(k: Kernel, cred: LsmCred, file: LsmFile | null, reqprot: number, prot: number, flags: number): number;
  /** security_mmap_addr(): from get_unmapped_area(), after cap_mmap_addr() (the kernel model does that one). */
  mmap_addr(k: Kernel, cred: LsmCred, addr: number): number;
  /** security_file_mprotect(): per VMA from do_mprotect_pkey(), after the VM_MAY* check, before vm_ops->mprotect. */
  file_mprotect(k: Kernel, cred: LsmCred, vma: LsmVma, reqprot: number, prot: number): number;
  /** security_file_ioctl(): from the ioctl syscall before do_vfs_ioctl(). */
  file_ioctl(k: Kernel, cred: LsmCred, file: LsmFile, cmd: number, arg: number): number;
  /** security_file_receive(): when an fd arrives over SCM_RIGHTS (Kernel.passFd). */
  file_receive(k: Kernel, cred: LsmCred, file: LsmFile): number;
  /**
   * security_inode_create() (optional): from may_o_create() for open(O_CREAT) of a new name, after
   * inode_permission(dir, MAY_WRITE|MAY_EXEC) and before the file exists (SELinux: may_create()).
   */
  inode_create?(k: Kernel, cred: LsmCred, dir: LsmInode, name: string, inodeClass: InodeClass): number;
  /** security_inode_init_security(): label of a file created by open(O_CREAT) / mkdir in `dir`. null = no xattr. */
  inode_init_security(k: Kernel, cred: LsmCred, dir: LsmInode, name: string, inodeClass: InodeClass): LsmLabelResult;
  /** security_inode_init_security_anon(): label of a secure anonymous inode (anon_inode_getfile_secure()). */
  inode_init_security_anon(k: Kernel, cred: LsmCred, name: string, contextInode: LsmInode | null): LsmLabelResult;
}

/** The default: every hook allows (returns 0) and labels nothing. */
export class NoopLsm implements Lsm {
  readonly name: string = 'none';
  clone(): Lsm {
    return this;
  }
  inode_permission(_k: Kernel, _cred: LsmCred, _inode: LsmInode, _mask: number): number {
    return 0;
  }
  file_open(_k: Kernel, _cred: LsmCred, _file: LsmFile): number {
    return 0;
  }
  file_permission(_k: Kernel, _cred: LsmCred, _file: LsmFile, _mask: number): number {
    return 0;
  }
  mmap_file(_k: Kernel, _cred: LsmCred, _file: LsmFile | null, _reqprot: number, _prot: number, _flags: number): number {
    return 0;
  }
  mmap_addr(_k: Kernel, _cred: LsmCred, _addr: number): number {
    return 0;
  }
  file_mprotect(_k: Kernel, _cred: LsmCred, _vma: LsmVma, _reqprot: number, _prot: number): number {
    return 0;
  }
  file_ioctl(_k: Kernel, _cred: LsmCred, _file: LsmFile, _cmd: number, _arg: number): number {
    return 0;
  }
  file_receive(_k: Kernel, _cred: LsmCred, _file: LsmFile): number {
    return 0;
  }
  inode_init_security(_k: Kernel, _cred: LsmCred, _dir: LsmInode, _name: string, _cls: InodeClass): LsmLabelResult {
    return { label: null };
  }
  inode_init_security_anon(_k: Kernel, _cred: LsmCred, _name: string, _ctx: LsmInode | null): LsmLabelResult {
    return { label: null };
  }
}

/** NoopLsm is stateless: one shared instance. */
export const noopLsm: Lsm = new NoopLsm();
