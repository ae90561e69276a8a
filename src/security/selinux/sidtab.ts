// Security identifiers: interning of context strings `user:role:type[:range]` (the kernel's
// sidtab, security/selinux/ss/sidtab.c). A SID is a small positive integer; 0 is invalid.
// The table is cheap to clone: records are immutable and the arrays are copied on first write
// after a clone (copy-on-write).
import type { Policy } from './policy.js';

export interface SecurityContext {
  readonly user: string;
  readonly role: string;
  readonly type: string;
  readonly range?: string;
  /** type value in the policy (1-based) */
  readonly typeId: number;
  readonly text: string;
}

export class ContextError extends Error {}

/** Parse `user:role:type[:range]` (range may contain ':' and '-', e.g. s0-s0:c0.c1023). */
export function parseContext(text: string): { user: string; role: string; type: string; range?: string } {
  const parts = text.split(':');
  if (parts.length < 3 || parts.slice(0, 3).some((x) => x === '' || /\s/.test(x))) {
    throw new ContextError(`invalid security context '${text}' (expected user:role:type[:level])`);
  }
  const [user, role, type] = parts;
  const range = parts.length > 3 ? parts.slice(3).join(':') : undefined;
  if (range !== undefined && range === '') throw new ContextError(`invalid security context '${text}' (empty level)`);
  return { user, role, type, range };
}

export class SidTable {
  private ctxs: SecurityContext[];
  private index: Map<string, number>;
  private shared: boolean;

  constructor(readonly policy: Policy, from?: SidTable) {
    if (from) {
      this.ctxs = from.ctxs;
      this.index = from.index;
      this.shared = true;
      from.shared = true;
    } else {
      this.ctxs = [];
      this.index = new Map();
      this.shared = false;
    }
  }

  clone(): SidTable {
    return new SidTable(this.policy, this);
  }

  /** SID for a context string (security_context_to_sid). Throws ContextError when the type is
   *  not in the policy (the kernel returns -EINVAL). */
  sid(text: string): number {
    const got = this.index.get(text);
    if (got !== undefined) return got;
    const c = parseContext(text);
    const typeId = this.policy.typeId(c.type);
    if (!typeId || this.policy.typeIsAttr[typeId - 1]) throw new ContextError(`invalid security context '${text}': ${c.type} is not a type of the policy`);
    if (this.shared) {
      this.ctxs = this.ctxs.slice();
      this.index = new Map(this.index);
      this.shared = false;
    }
    const rec: SecurityContext = Object.freeze({ ...c, typeId, text });
    this.ctxs.push(rec);
    const sid = this.ctxs.length;
    this.index.set(text, sid);
    return sid;
  }

  /** SID of `user:role:type[:range]` built from parts. */
  sidOf(user: string, role: string, type: string, range?: string): number {
    return this.sid(range === undefined ? `${user}:${role}:${type}` : `${user}:${role}:${type}:${range}`);
  }

  context(sid: number): SecurityContext {
    const c = this.ctxs[sid - 1];
    if (!c) throw new Error(`internal: unknown SID ${sid}`);
    return c;
  }

  /** The same context with another type (e.g. a type_transition result). */
  withType(sid: number, typeId: number): number {
    const c = this.context(sid);
    return this.sidOf(c.user, c.role, this.policy.typeNames[typeId - 1], c.range);
  }

  get size(): number {
    return this.ctxs.length;
  }
}
