// The kernel's own view of object classes and permissions (security/selinux/include/classmap.h,
// Linux 6.1), for the classes an enclave loader and the models meet, plus the permissions the
// 2019 SGX LSM RFCs proposed (never merged). The AVC maps hook requests through this table:
// a kernel permission missing from the loaded policy is "unknown" and decided by handle_unknown
// (security/selinux/ss/services.c: map_decision / selinux_set_mapping).

const COMMON_FILE_SOCK_PERMS = ['ioctl', 'read', 'write', 'create', 'getattr', 'setattr', 'lock', 'relabelfrom', 'relabelto', 'append', 'map'];
const COMMON_FILE_PERMS = [...COMMON_FILE_SOCK_PERMS, 'unlink', 'link', 'rename', 'execute', 'quotaon', 'mounton', 'audit_access', 'open', 'execmod', 'watch', 'watch_mount', 'watch_sb', 'watch_with_perm', 'watch_reads'];
const COMMON_IPC_PERMS = ['create', 'destroy', 'getattr', 'setattr', 'read', 'write', 'associate', 'unix_read', 'unix_write'];
const COMMON_CAP_PERMS = ['chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap', 'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap'];
const COMMON_CAP2_PERMS = ['mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf', 'checkpoint_restore'];

/** Kernel classes and permissions of Linux 6.1 (classmap.h), in kernel order. */
export const KERNEL_CLASSMAP_6_1: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['security', ['compute_av', 'compute_create', 'compute_member', 'check_context', 'load_policy', 'compute_relabel', 'compute_user', 'setenforce', 'setbool', 'setsecparam', 'setcheckreqprot', 'read_policy', 'validate_trans']],
  ['process', ['fork', 'transition', 'sigchld', 'sigkill', 'sigstop', 'signull', 'signal', 'ptrace', 'getsched', 'setsched', 'getsession', 'getpgid', 'setpgid', 'getcap', 'setcap', 'share', 'getattr', 'setexec', 'setfscreate', 'noatsecure', 'siginh', 'setrlimit', 'rlimitinh', 'dyntransition', 'setcurrent', 'execmem', 'execstack', 'execheap', 'setkeycreate', 'setsockcreate', 'getrlimit']],
  ['process2', ['nnp_transition', 'nosuid_transition']],
  ['system', ['ipc_info', 'syslog_read', 'syslog_mod', 'syslog_console', 'module_request', 'module_load']],
  ['capability', COMMON_CAP_PERMS],
  ['filesystem', ['mount', 'remount', 'unmount', 'getattr', 'relabelfrom', 'relabelto', 'associate', 'quotamod', 'quotaget', 'watch']],
  ['file', [...COMMON_FILE_PERMS, 'execute_no_trans', 'entrypoint']],
  ['dir', [...COMMON_FILE_PERMS, 'add_name', 'remove_name', 'reparent', 'search', 'rmdir']],
  ['fd', ['use']],
  ['lnk_file', COMMON_FILE_PERMS],
  ['chr_file', COMMON_FILE_PERMS],
  ['blk_file', COMMON_FILE_PERMS],
  ['sock_file', COMMON_FILE_PERMS],
  ['fifo_file', COMMON_FILE_PERMS],
  ['sem', COMMON_IPC_PERMS],
  ['msg', ['send', 'receive']],
  ['msgq', [...COMMON_IPC_PERMS, 'enqueue']],
  ['shm', [...COMMON_IPC_PERMS, 'lock']],
  ['ipc', COMMON_IPC_PERMS],
  ['memprotect', ['mmap_zero']],
  ['capability2', COMMON_CAP2_PERMS],
  ['anon_inode', COMMON_FILE_PERMS],
];

/** Which proposal a non-mainline permission belongs to (sgx-driver-and-designs.md §1-2,
 *  selinux-semantics.md §6). */
export interface DesignPerm {
  cls: string;
  perm: string;
  design: string;
  meaning: string;
}

export const SGX_DESIGN_PERMS: readonly DesignPerm[] = [
  // Sean Christopherson RFC v4, 2019-06-19 (v3 called the first two SGX__EXECMEM/EXECMOD)
  { cls: 'process2', perm: 'sgx_mapwx', design: 'sean-rfc-v4', meaning: 'map an enclave page writable and executable (security_enclave_map)' },
  { cls: 'process2', perm: 'sgx_execdirty', design: 'sean-rfc-v4', meaning: 'load a page with W+X intent (code changed inside the enclave)' },
  { cls: 'process2', perm: 'sgx_execunmr', design: 'sean-rfc-v4', meaning: 'load executable code that is not measured (mrmask != 0xffff)' },
  { cls: 'process2', perm: 'sgx_execanon', design: 'sean-rfc-v4', meaning: 'load executable code from anonymous or modified private memory' },
  { cls: 'file', perm: 'sgx_execute', design: 'sean-rfc-v4', meaning: 'load executable enclave code from this (unmodified) file' },
  { cls: 'chr_file', perm: 'sgx_execute', design: 'sean-rfc-v4', meaning: 'common file permission (all file classes)' },
  // Sean's follow-up names, 2019-07-10
  { cls: 'file', perm: 'enclave_execute', design: 'sean-2019-07-10', meaning: 'load executable enclave code from this file' },
  { cls: 'file', perm: 'enclave_execmod', design: 'sean-2019-07-10', meaning: 'load enclave code from a modified (anon_vma) or writable mapping of this file' },
  { cls: 'chr_file', perm: 'enclave_execute', design: 'sean-2019-07-10', meaning: 'common file permission (all file classes)' },
  { cls: 'chr_file', perm: 'enclave_execmod', design: 'sean-2019-07-10', meaning: 'common file permission (all file classes)' },
  { cls: 'process2', perm: 'enclave_execdirty', design: 'sean-2019-07-10', meaning: 'anonymous source loaded with W (code written later)' },
  { cls: 'process2', perm: 'enclave_execunmr', design: 'sean-2019-07-10', meaning: 'unmeasured enclave code' },
  { cls: 'process2', perm: 'enclave_execanon', design: 'sean-2019-07-10 / cedric-rfc-v3', meaning: 'executable enclave code from anonymous memory (Cedric v3 uses the same name)' },
];

export type KernelClassmap = ReadonlyMap<string, readonly string[]>;

/** The kernel classmap a model kernel uses: 6.1 plus, optionally, the SGX design permissions. */
export function kernelClassmap(opts: { sgxDesignPerms?: boolean; memfdClass?: boolean } = {}): KernelClassmap {
  const m = new Map<string, string[]>();
  for (const [c, p] of KERNEL_CLASSMAP_6_1) m.set(c, [...p]);
  if (opts.memfdClass) m.set('memfd_file', [...COMMON_FILE_PERMS, 'execute_no_trans', 'entrypoint']);
  if (opts.sgxDesignPerms) {
    for (const d of SGX_DESIGN_PERMS) {
      const list = m.get(d.cls)!;
      if (!list.includes(d.perm)) list.push(d.perm);
    }
  }
  return m;
}
