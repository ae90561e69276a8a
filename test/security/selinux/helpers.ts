// Small policies for the SELinux tests.
import { parsePolicy } from '../../../src/security/selinux/parser.js';
import { compilePolicy, type CompileOptions } from '../../../src/security/selinux/compile.js';
import { formatError } from '../../../src/security/selinux/ast.js';
import type { Policy } from '../../../src/security/selinux/policy.js';

/** Classes and permissions as in Linux 6.1 classmap.h (the subset a loader meets). */
export const TEST_HEADER = `
class file
class dir
class fd
class chr_file
class process
class memprotect
class anon_inode
class process2
sid kernel
common file { ioctl read write create getattr setattr lock relabelfrom relabelto append map unlink link rename execute quotaon mounton audit_access open execmod watch watch_mount watch_sb watch_with_perm watch_reads }
class file inherits file { execute_no_trans entrypoint }
class dir inherits file { add_name remove_name reparent search rmdir }
class fd { use }
class chr_file inherits file
class process { fork transition sigchld sigkill sigstop signull signal ptrace getsched setsched getsession getpgid setpgid getcap setcap share getattr setexec setfscreate noatsecure siginh setrlimit rlimitinh dyntransition setcurrent execmem execstack execheap setkeycreate setsockcreate getrlimit }
class memprotect { mmap_zero }
class anon_inode inherits file
class process2 { nnp_transition nosuid_transition }
sensitivity s0;
dominance { s0 }
category c0;
level s0:c0;
mlsconstrain file { relabelto } ( h1 dom h2 );
`;

export const TEST_FOOTER = `
role r;
role r types { loader_t };
user u roles { r } level s0 range s0 - s0:c0;
sid kernel u:r:loader_t:s0
`;

export function compileText(body: string, opts: CompileOptions = {}, header = TEST_HEADER, footer = TEST_FOOTER): Policy {
  const src = header + body + footer;
  const r = parsePolicy(src, 'test.conf');
  if (r.errors.length) throw new Error(r.errors.map(formatError).join('\n'));
  return compilePolicy(r.ast, opts);
}

export const LOADER = 'u:r:loader_t:s0';
export const obj = (t: string): string => `u:object_r:${t}:s0`;
