// LSM hooks that a design adds (security_enclave_load(), security_enclave_init(),
// security_enclave_map(), ...) and their SELinux side. A design declares its hook interface as a
// TypeScript interface, gives a no-op implementation (what the kernel does with no LSM, or with an
// LSM that does not implement the hook) and a SELinux implementation written against DesignAvc,
// and picks between them with selectHooks(k, ...) at each call site.
//
// DesignAvc runs avc_has_perm() through the kernel's SelinuxLsm (SelinuxLsm.checkPerm(), the entry
// for hooks modelled outside hooks.c), so a design hook's decisions are cached, audited (exact AVC
// line), permissive-once and traced exactly like the stock hooks' (trace kind 'avc', with `hook`
// the design hook's name and `check` the SELinux function that asked). Non-zero results are also
// recorded as kind 'lsm', as security/hooks.ts does.
import type { Kernel } from '../../../kernel/kernel.js';
import type { LsmCred, LsmFile } from '../../../security/lsm.js';
import { SelinuxLsm } from '../../../security/selinux/hooks.js';
import { isValidContext } from '../../../security/selinux/label.js';
import type { AuditData } from '../../../security/selinux/avc.js';
import { contextText } from '../../../security/selinux/label.js';
import { errnoName } from '../../../abi/errno.js';

/** What a design hook's SELinux check targets. */
export type AvcTarget =
  /** The task itself (process / process2 permissions). */
  | { readonly kind: 'self' }
  /** The inode of an open file (file_has_perm() without fd:use; IS_PRIVATE inodes are skipped: 0). */
  | { readonly kind: 'file'; readonly fileId: number }
  /** An explicit context (e.g. a SIGSTRUCT file's label kept by the design). */
  | { readonly kind: 'context'; readonly context: string };

export interface DesignAvc {
  /**
   * avc_has_perm(current's SID, target SID, tclass, perms) with audit data for the target
   * (FILE for a file, NONE otherwise): 0 or -EACCES. `hook` names the design's hook (e.g.
   * 'enclave_load'), `check` the SELinux function modelled (e.g. 'selinux_enclave_load').
   */
  check(k: Kernel, pid: number, hook: string, check: string, target: AvcTarget, tclass: string, perms: readonly string[]): number;
  /** avc_has_perm_noaudit(): the decision only, neither audited nor traced (a probe). */
  probe(k: Kernel, pid: number, target: AvcTarget, tclass: string, perms: readonly string[]): number;
}

function unlabeledOf(lsm: SelinuxLsm): string {
  const is = lsm.policy.initialSids.find((x) => x.name === 'unlabeled');
  if (!is?.context) throw new Error(`${lsm.policy.name}: no context for the initial SID 'unlabeled'`);
  return contextText(is.context);
}

function taskContext(lsm: SelinuxLsm, cred: LsmCred): string {
  return isValidContext(lsm.policy, cred.context) ? cred.context : unlabeledOf(lsm);
}

function targetContext(k: Kernel, lsm: SelinuxLsm, cred: LsmCred, t: AvcTarget): { ctx: string; file: LsmFile | null } | null {
  switch (t.kind) {
    case 'self':
      return { ctx: taskContext(lsm, cred), file: null };
    case 'file': {
      const file = k.lsmFile(t.fileId);
      if (file.inode.isPrivate) return null; // inode_has_perm(): IS_PRIVATE -> 0
      return { ctx: lsm.inodeContext(k, file.inode, file.cred), file };
    }
    case 'context':
      return { ctx: isValidContext(lsm.policy, t.context) ? t.context : unlabeledOf(lsm), file: null };
  }
}

class SelinuxDesignAvc implements DesignAvc {
  constructor(private readonly lsm: SelinuxLsm) {}

  /**
   * SelinuxLsm.checkPerm() (avc_has_perm() as hooks.c's helpers run it: the same AVC, trace
   * record and audit line, srawcon=/trawcon= included) on the target's context, with FILE audit
   * data for a file; a denial is also recorded as kind 'lsm'.
   */
  check(k: Kernel, pid: number, hook: string, check: string, target: AvcTarget, tclass: string, perms: readonly string[]): number {
    const cred = k.cred(pid);
    let tcontext: string | null = null;
    let audit: AuditData | undefined;
    if (target.kind === 'file') {
      const file = k.lsmFile(target.fileId);
      if (file.inode.isPrivate) return 0; // inode_has_perm(): IS_PRIVATE -> 0
      tcontext = this.lsm.inodeContext(k, file.inode, file.cred);
      if (k.trace.enabled) audit = { type: 'FILE', pid: cred.pid, comm: cred.comm, path: file.path, dev: file.inode.dev, ino: file.inode.ino };
    } else if (target.kind === 'context') {
      tcontext = target.context;
    }
    const rc = this.lsm.checkPerm(k, cred, hook, check, tcontext, tclass, perms, audit);
    if (rc && k.trace.enabled) k.trace.emit({ kind: 'lsm', pid, hook, ret: rc, detail: { tclass, perms: [...perms], errno: errnoName(rc) } });
    return rc;
  }

  probe(k: Kernel, pid: number, target: AvcTarget, tclass: string, perms: readonly string[]): number {
    const lsm = this.lsm;
    const cred = k.cred(pid);
    const tc = targetContext(k, lsm, cred, target);
    if (tc === null) return 0;
    const avc = lsm.avc;
    return avc.hasPermNoAudit(avc.sids.sid(taskContext(lsm, cred)), avc.sids.sid(tc.ctx), tclass, perms);
  }
}

/** The kernel's SELinux as a design hook sees it, or null when SELinux is not the LSM. */
export function designAvc(k: Kernel): DesignAvc | null {
  return k.lsm instanceof SelinuxLsm ? new SelinuxDesignAvc(k.lsm) : null;
}

/** Pick a design's hook implementation for this kernel: SELinux's when SELinux is the LSM, else the no-op one. */
export function selectHooks<H>(k: Kernel, impls: { readonly none: H; readonly selinux: (avc: DesignAvc) => H }): H {
  const avc = designAvc(k);
  return avc ? impls.selinux(avc) : impls.none;
}
