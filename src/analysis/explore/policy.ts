// "Does the policy grant X?" for the invariants: a policy query for the domain, with the
// scenario's booleans applied (the AVC's security_compute_av() on a private copy of the LSM, so
// no audit record, no trace event and no AVC statistics of the explored machine change). A
// permissive domain or permissive mode does not count as a grant: the question is what the
// policy allows, not what an enforcing kernel would let through. docs/explorer.md "Invariants".
import type { Kernel } from '../../kernel/kernel.js';
import { SelinuxLsm } from '../../security/selinux/hooks.js';

export class PolicyOracle {
  private readonly lsm: SelinuxLsm | null;
  private readonly memo = new Map<string, boolean>();

  /** `k`: a kernel whose LSM is the policy to ask (its LSM is cloned; the kernel is not changed). */
  constructor(k: Kernel) {
    this.lsm = k.lsm instanceof SelinuxLsm ? k.lsm.clone() : null;
  }

  /** Whether the policy has any rules at all (no SELinux: every question is "granted"). */
  get hasPolicy(): boolean {
    return this.lsm !== null;
  }

  /** allow scontext tcontext:tclass perm (with booleans), as security_compute_av() decides it. */
  allows(scontext: string, tcontext: string, tclass: string, perm: string): boolean {
    if (!this.lsm) return true;
    const key = `${scontext}\u0000${tcontext}\u0000${tclass}\u0000${perm}`;
    const m = this.memo.get(key);
    if (m !== undefined) return m;
    const avc = this.lsm.avc;
    let ok = false;
    if (avc.isKnownPerm(tclass, perm)) {
      const d = avc.computeDecision(avc.sids.sid(scontext), avc.sids.sid(tcontext), tclass);
      ok = d.allowed.includes(perm);
    }
    this.memo.set(key, ok);
    return ok;
  }

  /** A permission of the domain on itself (process execmem, process2 sgx_execanon, ...). */
  self(context: string, tclass: string, perm: string): boolean {
    return this.allows(context, context, tclass, perm);
  }

  /** The security context SELinux gives an inode (its label, or the filesystem's). */
  inodeContext(k: Kernel, inodeId: number): string {
    if (!this.lsm) return '';
    return this.lsm.inodeContext(k, k.lsmInode(inodeId));
  }

  /** A permission of the domain on an inode (file execute, file execmod, chr_file execute, ...), in the inode's class. */
  inode(k: Kernel, context: string, inodeId: number, perm: string): boolean {
    if (!this.lsm) return true;
    const i = k.lsmInode(inodeId);
    return this.allows(context, this.lsm.inodeContext(k, i), i.inodeClass, perm);
  }
}
