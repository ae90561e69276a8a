// Built-in policies `builtin:default` and `builtin:strict`, embedded as policy.conf text (the
// model core cannot read files). Both also compile with checkpolicy (the conformance test does
// that when checkpolicy is installed). Documented in docs/policies.md.
import { parsePolicy } from './parser.js';
import { compilePolicy } from './compile.js';
import type { Policy } from './policy.js';
import { formatError } from './ast.js';

const COMMON_FILE = 'ioctl read write create getattr setattr lock relabelfrom relabelto append map unlink link rename execute quotaon mounton audit_access open execmod watch watch_mount watch_sb watch_with_perm watch_reads';

// Classes: the Linux 6.1 classmap for the classes a loader meets, in kernel order, plus
// memfd_file (2025 memfd_class policy capability, later kernels) and the permissions of the
// 2019 SGX RFCs (Sean v4: process2 sgx_*, file sgx_execute; Sean 2019-07-10: enclave_*;
// Cedric v3: process2 enclave_execanon). See docs/selinux.md for which design uses which.
const HEADER = `
class security
class process
class system
class capability
class filesystem
class file
class dir
class fd
class lnk_file
class chr_file
class blk_file
class sock_file
class fifo_file
class sem
class msg
class msgq
class shm
class ipc
class memprotect
class capability2
class anon_inode
class process2
class memfd_file

sid kernel
sid security
sid unlabeled
sid file
sid devnull

common file { ${COMMON_FILE} }
common ipc { create destroy getattr setattr read write associate unix_read unix_write }
common cap { chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write audit_control setfcap }
common cap2 { mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon bpf checkpoint_restore }

class security { compute_av compute_create compute_member check_context load_policy compute_relabel compute_user setenforce setbool setsecparam setcheckreqprot read_policy validate_trans }
class process { fork transition sigchld sigkill sigstop signull signal ptrace getsched setsched getsession getpgid setpgid getcap setcap share getattr setexec setfscreate noatsecure siginh setrlimit rlimitinh dyntransition setcurrent execmem execstack execheap setkeycreate setsockcreate getrlimit }
class system { ipc_info syslog_read syslog_mod syslog_console module_request module_load }
class capability inherits cap
class filesystem { mount remount unmount getattr relabelfrom relabelto associate quotamod quotaget watch }
class file inherits file { execute_no_trans entrypoint sgx_execute enclave_execute enclave_execmod }
class dir inherits file { add_name remove_name reparent search rmdir }
class fd { use }
class lnk_file inherits file
class chr_file inherits file { sgx_execute enclave_execute enclave_execmod }
class blk_file inherits file
class sock_file inherits file
class fifo_file inherits file
class sem inherits ipc
class msg { send receive }
class msgq inherits ipc { enqueue }
class shm inherits ipc { lock }
class ipc inherits ipc
class memprotect { mmap_zero }
class capability2 inherits cap2
class anon_inode inherits file
class process2 { nnp_transition nosuid_transition sgx_mapwx sgx_execdirty sgx_execunmr sgx_execanon enclave_execdirty enclave_execunmr enclave_execanon }
class memfd_file inherits file { execute_no_trans entrypoint }

sensitivity s0;
dominance { s0 }
category c0;
category c1;
category c2;
category c3;
level s0:c0.c3;

mlsconstrain file { relabelto } ( h1 dom h2 );

policycap network_peer_controls;
policycap open_perms;
policycap extended_socket_class;
policycap always_check_network;
policycap cgroup_seclabel;
policycap nnp_nosuid_transition;

attribute domain;
attribute file_type;
attribute exec_type;
attribute device_node;
attribute fs_type;
attribute files_unconfined_type;
attribute devices_unconfined_type;
attribute unconfined_domain_type;
attribute sgx_device_node;

type kernel_t, domain;
type init_t, domain;
type init_exec_t, file_type, exec_type;
type unconfined_t, domain, unconfined_domain_type, files_unconfined_type, devices_unconfined_type;
type unconfined_exec_t, file_type, exec_type;
type sgx_loader_t, domain;
type sgx_loader_exec_t, file_type, exec_type;
type sgx_loader_anon_t, file_type;
type sgx_loader_memfd_t, file_type;
type unlabeled_t, file_type;
type root_t, file_type;
type etc_t, file_type;
type usr_t, file_type;
type lib_t, file_type;
type bin_t, file_type;
type home_root_t, file_type;
type user_home_dir_t, file_type;
type user_home_t, file_type;
type tmp_t, file_type;
type tmpfs_t, file_type, fs_type;
type hugetlbfs_t, file_type, fs_type;
type fs_t, fs_type;
type proc_t, file_type, fs_type;
type device_t, file_type, fs_type;
type null_device_t, file_type, device_node;
type zero_device_t, file_type, device_node;
type sgx_enclave_device_t, file_type, device_node, sgx_device_node;
type sgx_provision_device_t, file_type, device_node, sgx_device_node;
type sgx_vepc_device_t, file_type, device_node, sgx_device_node;
type sgx_sigstruct_t, file_type;

`;

const COMMON_RULES = `
########################################
# Booleans (docs/policies.md)
bool deny_execmem false;
bool selinuxuser_execmod false;
bool sgx_loader_execute_enclave true;
bool sgx_loader_use_provision false;

########################################
# kernel and init
allow kernel_t self:process ~{ execmem execstack execheap };
allow kernel_t file_type:dir { getattr search open read };
allow kernel_t file_type:file { getattr open read map execute };
allow init_t self:process ~{ execmem execstack execheap };
allow init_t file_type:dir { getattr search open read };
allow init_t file_type:file { getattr open read map execute };
allow init_t exec_type:file { execute_no_trans entrypoint };
allow init_t domain:process { transition sigchld sigkill signal };
allow domain init_t:fd use;
allow domain init_t:process sigchld;
allow domain self:fd use;
allow domain self:process { fork sigchld signal signull getsched setsched getattr getpgid setpgid getsession getrlimit setrlimit getcap };
allow domain proc_t:dir { getattr search open read };
allow domain proc_t:file { getattr open read };
allow domain root_t:dir { getattr search open read };
allow domain device_t:dir { getattr search open read };
allow domain null_device_t:chr_file { getattr open read write append ioctl map };
allow domain zero_device_t:chr_file { getattr open read write ioctl map };
allow domain etc_t:dir { getattr search open read };
allow domain etc_t:file { getattr open read map ioctl };
# /usr and /opt (refpolicy files.te usr_t): searchable and readable by every domain, so that
# lib_t/bin_t below them are reachable.
allow domain usr_t:dir { getattr search open read };
allow domain usr_t:file { getattr open read map ioctl };
allow domain usr_t:lnk_file { getattr read };
allow domain lib_t:dir { getattr search open read };
allow domain lib_t:file { getattr open read map execute ioctl };
allow domain lib_t:lnk_file { getattr read };
allow domain bin_t:dir { getattr search open read };
allow domain bin_t:file { getattr open read map execute ioctl };
allow domain bin_t:lnk_file { getattr read };

type_transition init_t unconfined_exec_t:process unconfined_t;
type_transition unconfined_t sgx_loader_exec_t:process sgx_loader_t;
type_transition init_t sgx_loader_exec_t:process sgx_loader_t;
allow { init_t unconfined_t } sgx_loader_t:process transition;
allow sgx_loader_t sgx_loader_exec_t:file { getattr open read map execute entrypoint };
allow unconfined_t unconfined_exec_t:file entrypoint;
allow init_t unconfined_t:process transition;

########################################
# unconfined_t: close to Fedora's unconfined domain
allow unconfined_t self:process ~{ execmem execstack execheap };
allow unconfined_t self:process2 *;
allow unconfined_t self:capability *;
allow unconfined_t self:capability2 *;
allow unconfined_t self:memprotect mmap_zero;
allow unconfined_t self:anon_inode *;
allow unconfined_t self:memfd_file *;
allow unconfined_t domain:process ~{ execmem execstack execheap };
allow unconfined_t domain:fd use;
allow files_unconfined_type file_type:{ file lnk_file sock_file fifo_file blk_file } ~execmod;
allow files_unconfined_type file_type:dir *;
allow files_unconfined_type fs_type:filesystem *;
# refpolicy files.te fs_associate(file_type), fs_associate_tmpfs(file_type): files may live on these filesystems
# (may_create() asks filesystem:associate with the new file's label as the subject)
allow file_type fs_type:filesystem associate;
# Fedora devices.te: device_node:{ file chr_file } ~{ execmod entrypoint } for devices_unconfined_type
# (chr_file has no entrypoint permission, and checkpolicy wants each permission in each class)
allow devices_unconfined_type device_node:file ~{ execmod entrypoint };
allow devices_unconfined_type device_node:chr_file ~execmod;
allow devices_unconfined_type device_node:blk_file ~execmod;
# Fedora's deny_execmem tunable (false: unconfined domains may use execmem/execstack)
if (!deny_execmem) {
  allow unconfined_t self:process { execmem execstack };
}
if (selinuxuser_execmod) {
  allow unconfined_t file_type:file execmod;
}

########################################
# sgx_loader_t: a confined enclave loader (Gramine, Occlum, Enarx, Intel SDK urts)
allow sgx_loader_t self:process { sigkill sigstop setfscreate };
# its libraries and programs: mmap_exec_file_perms = { getattr open map read execute ioctl }
allow sgx_loader_t lib_t:file { getattr open map read execute ioctl };
allow sgx_loader_t bin_t:file { getattr open map read execute ioctl };
# packaged enclaves live with the libraries (/usr/lib/sgxsim, lib_t): where the loader may execute
# a file, it may also build enclave code from it on the 2019 RFC kernels that ask a permission of
# their own for that -- Sean Christopherson's RFC v4 10/12 FILE__SGX_EXECUTE ("normal load from a
# file", security_enclave_load()) and its July 2019 name FILE__ENCLAVE_EXECUTE. Not enclave_execmod
# and none of the process2 sgx_*/enclave_* permissions: those are the enclave forms of execmod and
# execmem (docs/policies.md).
allow sgx_loader_t lib_t:file { sgx_execute enclave_execute };
# enclave images and manifests in the user's home: read and map, never execute
allow sgx_loader_t home_root_t:dir { getattr search open read };
allow sgx_loader_t user_home_dir_t:dir { getattr search open read };
allow sgx_loader_t user_home_t:dir { getattr search open read };
allow sgx_loader_t user_home_t:file { getattr open read map ioctl lock };
allow sgx_loader_t user_home_t:lnk_file { getattr read };
# SIGSTRUCT files (Andy Lutomirski's sgx_sigstruct_t idea): read only
allow sgx_loader_t sgx_sigstruct_t:file { getattr open read map };
# scratch files in /tmp: create, read, write; no execute
allow sgx_loader_t tmp_t:dir { getattr search open read write add_name remove_name };
allow sgx_loader_t tmp_t:file { getattr open read write append create unlink map lock ioctl setattr };
type_transition sgx_loader_t tmp_t:file tmp_t;
# tmpfs and memfd: memfd_create() files are tmpfs inodes (not S_PRIVATE); read/write/map, no execute
allow sgx_loader_t tmpfs_t:file { getattr open read write map create };
allow sgx_loader_t tmpfs_t:dir { getattr search };
type_transition sgx_loader_t sgx_loader_t:memfd_file sgx_loader_memfd_t;
allow sgx_loader_t sgx_loader_memfd_t:memfd_file { getattr read write map create };
# secure anonymous inodes (userfaultfd, io_uring): labelled by type_transition, no execute
type_transition sgx_loader_t sgx_loader_t:anon_inode sgx_loader_anon_t;
allow sgx_loader_t sgx_loader_anon_t:anon_inode { create getattr read write map ioctl };
# the SGX device nodes (Fedora's sgx_enclave_device_t, sgx_provision_device_t)
allow sgx_loader_t device_t:dir { getattr search open read };
allow sgx_loader_t sgx_enclave_device_t:chr_file { getattr open read write ioctl map };
allowxperm sgx_loader_t sgx_enclave_device_t:chr_file ioctl { 0xa400-0xa403 0xa405-0xa407 };
if (sgx_loader_execute_enclave) {
  allow sgx_loader_t sgx_enclave_device_t:chr_file execute;
}
if (sgx_loader_use_provision) {
  allow sgx_loader_t sgx_provision_device_t:chr_file { getattr open read ioctl };
}
`;

const DEFAULT_ONLY = `
# builtin:default only: the loader may use execmem when the administrator turns it on
bool sgx_loader_execmem false;
if (sgx_loader_execmem) {
  allow sgx_loader_t self:process execmem;
}
dontaudit sgx_loader_t self:process execstack;
`;

const STRICT_ONLY = `
# builtin:strict only: no execmem, execstack, execheap or execmod for the loader, ever
neverallow sgx_loader_t self:process { execmem execstack execheap };
neverallow sgx_loader_t file_type:{ file chr_file } execmod;
neverallow sgx_loader_t { file_type -sgx_enclave_device_t -lib_t -bin_t -sgx_loader_exec_t }:file execute;
# nor their enclave forms (the 2019 RFC permissions, docs/selinux.md): enclave code only from lib_t
neverallow sgx_loader_t self:process2 { sgx_mapwx sgx_execdirty sgx_execunmr sgx_execanon enclave_execdirty enclave_execunmr enclave_execanon };
neverallow sgx_loader_t file_type:{ file chr_file } enclave_execmod;
neverallow sgx_loader_t { file_type -lib_t }:{ file chr_file } { sgx_execute enclave_execute };
auditallow sgx_loader_t sgx_enclave_device_t:chr_file execute;
`;

const FOOTER = `
role system_r;
role unconfined_r;
role user_r;
role system_r types { kernel_t init_t sgx_loader_t unconfined_t };
role unconfined_r types { unconfined_t sgx_loader_t };
role user_r types { sgx_loader_t };
allow system_r unconfined_r;
allow unconfined_r system_r;

user system_u roles { system_r } level s0 range s0 - s0:c0.c3;
user unconfined_u roles { system_r unconfined_r } level s0 range s0 - s0:c0.c3;
user user_u roles { user_r } level s0 range s0;

sid kernel system_u:system_r:kernel_t:s0
sid security system_u:object_r:unlabeled_t:s0
sid unlabeled system_u:object_r:unlabeled_t:s0
sid file system_u:object_r:unlabeled_t:s0
sid devnull system_u:object_r:null_device_t:s0

fs_use_xattr ext4 system_u:object_r:fs_t:s0;
fs_use_xattr xfs system_u:object_r:fs_t:s0;
fs_use_trans devtmpfs system_u:object_r:device_t:s0;
fs_use_trans tmpfs system_u:object_r:tmpfs_t:s0;
fs_use_trans devpts system_u:object_r:device_t:s0;
genfscon proc / system_u:object_r:proc_t:s0
genfscon hugetlbfs / system_u:object_r:hugetlbfs_t:s0
genfscon anon_inodefs / system_u:object_r:unlabeled_t:s0
`;

/** Source text of a built-in policy (policy.conf language). */
export function builtinPolicySource(name: string): string {
  switch (name) {
    case 'default':
      return HEADER + COMMON_RULES + DEFAULT_ONLY + FOOTER;
    case 'strict':
      return HEADER + COMMON_RULES + STRICT_ONLY + FOOTER;
    default:
      throw new Error(`unknown built-in policy '${name}' (available: ${BUILTIN_POLICIES.join(', ')})`);
  }
}

export const BUILTIN_POLICIES = ['default', 'strict'] as const;

const cache = new Map<string, Policy>();

/** A built-in policy, compiled once and shared (Policy is immutable). */
export function builtinPolicy(name: string): Policy {
  const got = cache.get(name);
  if (got) return got;
  const src = builtinPolicySource(name);
  const r = parsePolicy(src, `builtin:${name}`);
  if (r.errors.length) throw new Error(`internal: builtin:${name} does not parse: ${r.errors.map(formatError).join('; ')}`);
  const p = compilePolicy(r.ast, { name: `builtin:${name}`, handleUnknown: 'deny' });
  cache.set(name, p);
  return p;
}

/** One line of the built-in file_contexts-like table: a path regex and its context. */
export interface FileContextEntry {
  /** anchored regular expression over the absolute path, as in file_contexts */
  readonly regex: string;
  /** file type restriction as file_contexts writes it ('--' regular, '-c' char device, '-d' dir, or '' any) */
  readonly fileType: '' | '--' | '-d' | '-c' | '-b' | '-l' | '-s' | '-p';
  readonly context: string;
}

/** Labels for the files, devices and mounts scenarios use (the last match wins, as in
 *  file_contexts when specs are sorted by specificity; the table is ordered that way). */
export const FILE_CONTEXTS: readonly FileContextEntry[] = [
  { regex: '/.*', fileType: '', context: 'system_u:object_r:unlabeled_t:s0' },
  { regex: '/', fileType: '-d', context: 'system_u:object_r:root_t:s0' },
  { regex: '/etc(/.*)?', fileType: '', context: 'system_u:object_r:etc_t:s0' },
  { regex: '/(usr|opt)(/.*)?', fileType: '', context: 'system_u:object_r:usr_t:s0' },
  { regex: '/(usr/)?lib(64)?(/.*)?', fileType: '', context: 'system_u:object_r:lib_t:s0' },
  { regex: '/(usr/)?s?bin(/.*)?', fileType: '', context: 'system_u:object_r:bin_t:s0' },
  { regex: '/usr/bin/sgx-loader', fileType: '--', context: 'system_u:object_r:sgx_loader_exec_t:s0' },
  { regex: '/usr/bin/(gramine-sgx|occlum|enarx)', fileType: '--', context: 'system_u:object_r:sgx_loader_exec_t:s0' },
  // refpolicy kernel/files.fc: HOME_ROOT -d home_root_t; system/userdomain.fc: HOME_DIR -d user_home_dir_t
  { regex: '/home', fileType: '-d', context: 'system_u:object_r:home_root_t:s0' },
  { regex: '/home/[^/]+', fileType: '-d', context: 'unconfined_u:object_r:user_home_dir_t:s0' },
  { regex: '/home/[^/]+/.+', fileType: '', context: 'unconfined_u:object_r:user_home_t:s0' },
  { regex: '/home/[^/]+/.+\\.sigstruct', fileType: '--', context: 'unconfined_u:object_r:sgx_sigstruct_t:s0' },
  { regex: '/tmp', fileType: '-d', context: 'system_u:object_r:tmp_t:s0' },
  { regex: '/tmp/.*', fileType: '', context: 'system_u:object_r:tmp_t:s0' },
  { regex: '/proc(/.*)?', fileType: '', context: 'system_u:object_r:proc_t:s0' },
  { regex: '/dev(/.*)?', fileType: '', context: 'system_u:object_r:device_t:s0' },
  { regex: '/dev/shm(/.*)?', fileType: '', context: 'system_u:object_r:tmpfs_t:s0' },
  { regex: '/dev/null', fileType: '-c', context: 'system_u:object_r:null_device_t:s0' },
  { regex: '/dev/zero', fileType: '-c', context: 'system_u:object_r:zero_device_t:s0' },
  { regex: '/dev/sgx_enclave', fileType: '-c', context: 'system_u:object_r:sgx_enclave_device_t:s0' },
  { regex: '/dev/sgx/enclave', fileType: '-c', context: 'system_u:object_r:sgx_enclave_device_t:s0' },
  { regex: '/dev/sgx_provision', fileType: '-c', context: 'system_u:object_r:sgx_provision_device_t:s0' },
  { regex: '/dev/sgx/provision', fileType: '-c', context: 'system_u:object_r:sgx_provision_device_t:s0' },
  { regex: '/dev/sgx_vepc', fileType: '-c', context: 'system_u:object_r:sgx_vepc_device_t:s0' },
];

/** Default contexts of mounts by filesystem type (fs_use_* / genfscon of the built-in policies). */
export const MOUNT_CONTEXTS: Readonly<Record<string, string>> = {
  ext4: 'system_u:object_r:fs_t:s0',
  xfs: 'system_u:object_r:fs_t:s0',
  devtmpfs: 'system_u:object_r:device_t:s0',
  tmpfs: 'system_u:object_r:tmpfs_t:s0',
  proc: 'system_u:object_r:proc_t:s0',
  hugetlbfs: 'system_u:object_r:hugetlbfs_t:s0',
  anon_inodefs: 'system_u:object_r:unlabeled_t:s0',
};

/** Domains of the built-in policies' processes. */
export const PROCESS_CONTEXTS: Readonly<Record<string, string>> = {
  kernel: 'system_u:system_r:kernel_t:s0',
  init: 'system_u:system_r:init_t:s0',
  unconfined: 'unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c3',
  loader: 'unconfined_u:unconfined_r:sgx_loader_t:s0-s0:c0.c3',
};

const fcCompiled = FILE_CONTEXTS.map((e) => ({ ...e, re: new RegExp(`^(?:${e.regex})$`) }));

/** matchpathcon(): the context of `path` (fileType as file_contexts letters; '' = any). */
export function fileContextFor(path: string, fileType: FileContextEntry['fileType'] = ''): string {
  let ctx: string | undefined;
  for (const e of fcCompiled) {
    if (e.fileType && fileType && e.fileType !== fileType) continue;
    if (e.fileType && !fileType && e.fileType !== '--') continue;
    if (e.re.test(path)) ctx = e.context;
  }
  return ctx ?? 'system_u:object_r:unlabeled_t:s0';
}
