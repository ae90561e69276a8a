// Boot the kernel model with SELinux on a policy:
//
//   const k = bootWithSelinux({ policy: 'builtin:default', enforcing: true, booleans: { sgx_loader_execmem: true },
//                               permissiveDomains: ['sgx_loader_t'] });
//   selinuxOf(k).setEnforcing(false);
//
// The boot namespace is labelled like an installed system: `restorecon -RF /` with the policy's
// file_contexts (the built-in table for builtin policies), and device nodes created later on
// devtmpfs get their file_contexts label as udev gives it (e.g. /dev/sgx_enclave ->
// sgx_enclave_device_t). Files created through syscalls are labelled by
// selinux_inode_init_security(); memfd and tmpfs inodes by the policy's fs_use_trans rule; secure
// anonymous inodes by selinux_inode_init_security_anon(). Docs: docs/selinux.md "Hooks".
import { Kernel } from '../../kernel/kernel.js';
import type { KernelConfig } from '../../kernel/config.js';
import { builtinPolicy, BUILTIN_POLICIES } from './builtin.js';
import type { Policy } from './policy.js';
import { SelinuxLsm, SelinuxError, type SelinuxOptions } from './hooks.js';
import { restorecon, builtinName, BUILTIN_FILE_CONTEXTS } from './label.js';

export interface SelinuxBootOptions extends Omit<KernelConfig, 'lsm'>, Omit<SelinuxOptions, 'policy'> {
  /** A compiled policy, or a built-in one by name: 'builtin:default', 'builtin:strict' (or 'default', 'strict'). */
  policy: Policy | string;
  /** Relabel the boot namespace from file_contexts (default: true when there is a table). */
  restorecon?: boolean;
}

/** The built-in policy a name designates ('builtin:default' or 'default'); throws SelinuxError for other names. */
export function resolvePolicy(policy: Policy | string): Policy {
  if (typeof policy !== 'string') return policy;
  const name = policy.startsWith('builtin:') ? policy.slice('builtin:'.length) : policy;
  if (!(BUILTIN_POLICIES as readonly string[]).includes(name)) {
    throw new SelinuxError(`unknown built-in policy '${policy}' (available: ${BUILTIN_POLICIES.map((n) => 'builtin:' + n).join(', ')})`);
  }
  return builtinPolicy(name);
}

/** Kernel.boot() with a SelinuxLsm as the LSM, the boot namespace labelled from file_contexts. */
export function bootWithSelinux(opts: SelinuxBootOptions): Kernel {
  const policy = resolvePolicy(opts.policy);
  const { policy: _p, restorecon: relabel, enforcing, booleans, permissiveDomains, fsRules, fileContexts, checkreqprot, defaultNoexec, classmap, ...kernelOpts } = opts;
  const lsm = new SelinuxLsm({ policy, enforcing, booleans, permissiveDomains, fsRules, fileContexts, checkreqprot, defaultNoexec, classmap });
  const k = Kernel.boot({ ...kernelOpts, lsm });
  const table = fileContexts !== undefined ? fileContexts : builtinName(policy) ? BUILTIN_FILE_CONTEXTS : null;
  if (table && relabel !== false) restorecon(k, '/', table);
  if (checkreqprot && !versionBefore64(k)) {
    // sel_write_checkreqprot() / checkreqprot_setup(), 6.4+: "no longer supported"
    k.trace.emit({ kind: 'note', message: 'SELinux: checkreqprot=1 is no longer supported (Linux 6.4+); ignored' });
  }
  return k;
}

function versionBefore64(k: Kernel): boolean {
  const v = k.config.version;
  return v.major < 6 || (v.major === 6 && v.minor < 4);
}

/** The kernel's SELinux (throws when the kernel was not booted with SELinux). */
export function selinuxOf(k: Kernel): SelinuxLsm {
  if (!(k.lsm instanceof SelinuxLsm)) throw new SelinuxError(`the kernel's LSM is '${k.lsm.name}', not SELinux (boot with bootWithSelinux())`);
  return k.lsm;
}
