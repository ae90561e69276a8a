// Shared setup for the SELinux hook tests: a small policy written for the tests (the classes and
// permissions of Linux 6.1's classmap.h that the hooks use, the types of the model's boot
// namespace), booted through bootWithSelinux(), and helpers to read the AVC decisions the
// syscalls made from the kernel trace.
import { parsePolicy } from '../../../src/security/selinux/parser.js';
import { compilePolicy } from '../../../src/security/selinux/compile.js';
import { formatError } from '../../../src/security/selinux/ast.js';
import type { Policy } from '../../../src/security/selinux/policy.js';
import { fsLabelRulesFromAst, type FsLabelRules } from '../../../src/security/selinux/label.js';
import { bootWithSelinux, type SelinuxBootOptions } from '../../../src/security/selinux/boot.js';
import { avcEvents, type AvcTraceEvent } from '../../../src/security/selinux/hooks.js';
import type { Kernel } from '../../../src/kernel/kernel.js';

const COMMON_FILE = 'ioctl read write create getattr setattr lock relabelfrom relabelto append map unlink link rename execute quotaon mounton audit_access open execmod watch watch_mount watch_sb watch_with_perm watch_reads';

export const HEADER = `
class process
class capability
class filesystem
class file
class dir
class fd
class lnk_file
class chr_file
class memprotect
class anon_inode
sid kernel
sid file
sid unlabeled
common file { ${COMMON_FILE} }
class process { fork transition sigchld sigkill sigstop signull signal ptrace getsched setsched getsession getpgid setpgid getcap setcap share getattr setexec setfscreate noatsecure siginh setrlimit rlimitinh dyntransition setcurrent execmem execstack execheap setkeycreate setsockcreate getrlimit }
class capability { chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write audit_control setfcap }
class filesystem { mount remount unmount getattr relabelfrom relabelto associate quotamod quotaget watch }
class file inherits file { execute_no_trans entrypoint }
class dir inherits file { add_name remove_name reparent search rmdir }
class fd { use }
class lnk_file inherits file
class chr_file inherits file
class memprotect { mmap_zero }
class anon_inode inherits file
sensitivity s0;
dominance { s0 }
category c0;
category c1;
level s0:c0.c1;
`;

/** Types of the model's boot namespace (src/fs/super.ts) and of the tests. */
export const TYPES = `
attribute domain;
attribute file_type;
type kernel_t, domain;
type init_t, domain;
type loader_t, domain;
type other_t, domain;
type root_t, file_type;
type usr_t, file_type;
type etc_t, file_type;
type home_root_t, file_type;
type tmp_t, file_type;
type tmpfs_t, file_type;
type device_t, file_type;
type null_device_t, file_type;
type zero_device_t, file_type;
type anon_inodefs_t, file_type;
type file_t, file_type;
type fs_t, file_type;
type unlabeled_t, file_type;
type lib_t, file_type;
type data_t, file_type;
type secret_t, file_type;
type ltmp_t, file_type;
type magic_t, file_type;
type sgxdev_t, file_type;
type anon_t, file_type;
type mnt_t, file_type;
`;

export const FOOTER = `
role r;
role system_r;
role r types { loader_t other_t };
role system_r types { kernel_t init_t };
user u roles { r } level s0 range s0 - s0:c0.c1;
user system_u roles { system_r } level s0 range s0 - s0:c0.c1;
sid kernel system_u:system_r:kernel_t:s0
sid file system_u:object_r:file_t:s0
sid unlabeled system_u:object_r:unlabeled_t:s0
fs_use_xattr ext4 system_u:object_r:fs_t:s0;
fs_use_trans tmpfs system_u:object_r:tmpfs_t:s0;
fs_use_trans devtmpfs system_u:object_r:device_t:s0;
genfscon anon_inodefs / system_u:object_r:anon_inodefs_t:s0
`;

/** Rules every test policy has: the path walks the tests make. */
export const BASE_RULES = `
policycap open_perms;
allow domain { root_t usr_t etc_t tmp_t device_t home_root_t }:dir search;
allow domain self:fd use;
`;

export const LOADER = 'u:r:loader_t:s0';
export const LOADER_RANGE = 'u:r:loader_t:s0-s0:c0.c1';
export const OTHER = 'u:r:other_t:s0';
export const obj = (t: string): string => `u:object_r:${t}:s0`;
export const sys = (t: string): string => `system_u:object_r:${t}:s0`;

export interface TestPolicy {
  policy: Policy;
  fsRules: FsLabelRules;
}

const cache = new Map<string, TestPolicy>();

/** Compile HEADER + TYPES + body + FOOTER (cached by text). */
export function testPolicy(body: string, opts: { base?: boolean; name?: string } = {}): TestPolicy {
  const src = HEADER + TYPES + (opts.base === false ? '' : BASE_RULES) + body + FOOTER;
  const got = cache.get(src);
  if (got) return got;
  const r = parsePolicy(src, 'hooks-test.conf');
  if (r.errors.length) throw new Error(r.errors.map(formatError).join('\n'));
  const policy = compilePolicy(r.ast, { name: opts.name ?? 'hooks-test.conf' });
  const tp = { policy, fsRules: fsLabelRulesFromAst(r.ast) };
  cache.set(src, tp);
  return tp;
}

/** Boot with a test policy (enforcing unless told otherwise). */
export function boot(body: string, opts: Omit<SelinuxBootOptions, 'policy'> & { base?: boolean } = {}): Kernel {
  const { base, ...rest } = opts;
  const tp = testPolicy(body, { base });
  return bootWithSelinux({ policy: tp.policy, fsRules: tp.fsRules, ...rest });
}

/** A compact view of an AVC decision: "hook check tclass {perms} -> granted|denied". */
export function brief(e: AvcTraceEvent): string {
  return `${e.hook}:${e.tclass}{${e.requested.join(' ')}}=${e.ret === 0 ? (e.decision === 'denied' ? 'permissive' : 'ok') : 'EACCES'}`;
}

/** The AVC decisions made since trace sequence `from`, in the brief form. */
export function decisions(k: Kernel, from = 0, hook?: string): string[] {
  return avcEvents(k, from).filter((e) => hook === undefined || e.hook === hook).map(brief);
}

/** Run `fn` and return what it returned with the AVC events it caused. */
export function traced<T>(k: Kernel, fn: () => T): { ret: T; events: (AvcTraceEvent & { seq: number })[]; brief: string[]; lines: string[] } {
  const from = k.trace.length;
  const ret = fn();
  const events = avcEvents(k, from);
  return { ret, events, brief: events.map(brief), lines: events.filter((e) => e.line !== null).map((e) => e.line!) };
}
