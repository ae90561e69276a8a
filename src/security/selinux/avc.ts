// The access vector cache (security/selinux/avc.c, Linux 6.1) over a compiled Policy.
//   avc_has_perm() = avc_has_perm_noaudit() + avc_audit()
//   - lookup (ssid, tsid, tclass) in the cache; on a miss security_compute_av() fills it;
//   - denied = requested & ~allowed; avc_denied(): -EACCES when enforcing and the source type is
//     not permissive, else the denied bits are granted in the cache entry (AVC_CALLBACK_GRANT), so
//     a permissive denial is logged once until the cache is flushed (avc_ss_reset on policy load,
//     boolean change and `setenforce 1`);
//   - avc_audit_required(): denied & auditdeny (dontaudit), or requested & auditallow ("granted").
// Audit records follow avc_audit_pre_callback/avc_audit_post_callback and common_lsm_audit
// (security/lsm_audit.c) to the byte.
import type { Policy } from './policy.js';
import { SidTable } from './sidtab.js';
import { kernelClassmap, type KernelClassmap } from './classmap.js';

export const EACCES = -13;

/** Audit data the hooks fill from kernel objects (struct common_audit_data). */
export type AuditData =
  | { type: 'NONE'; pid: number; comm: string }
  | { type: 'FILE'; pid: number; comm: string; path: string; dev: string; ino: number }
  | { type: 'INODE' | 'DENTRY'; pid: number; comm: string; name?: string; dev: string; ino: number }
  | { type: 'IOCTL_OP'; pid: number; comm: string; path: string; dev: string; ino: number; cmd: number }
  | { type: 'ANONINODE'; pid: number; comm: string; anonclass: string }
  | { type: 'CAP'; pid: number; comm: string; cap: number };

/** One AVC decision. `line` is the kernel's audit text; `audited` says whether the kernel
 *  would emit it (dontaudit and ordinary grants are not audited). */
export interface AvcEvent {
  kind: 'avc';
  denied: boolean;
  granted: boolean;
  /** the permissions the record lists (audited subset), or the requested ones when not audited */
  perms: string[];
  requested: string[];
  scontext: string;
  tcontext: string;
  tclass: string;
  /** a denial let through by permissive mode (record says permissive=1) */
  permissive: boolean;
  audited: boolean;
  result: 0 | -13;
  ioctlcmd?: number;
  line: string;
}

export interface AvcStats {
  lookups: number;
  hits: number;
  misses: number;
  allocations: number;
  reclaims: number;
  frees: number;
}

export interface AvcOptions {
  enforcing: boolean;
  /** boolean overrides of the policy defaults */
  booleans?: Readonly<Record<string, boolean>>;
  /** receives every decision */
  sink?: (e: AvcEvent) => void;
  /** the kernel's classes and permissions (default: Linux 6.1 plus the SGX design permissions) */
  classmap?: KernelClassmap;
  /** share an existing SID table (the kernel's) */
  sids?: SidTable;
}

interface AvcClass {
  id: number;
  name: string;
  /** policy class value, or 0 when the policy lacks the class */
  policyClass: number;
  perms: string[];
  permIndex: Map<string, number>;
  /** bits of kernel permissions the policy does not define */
  unknownMask: number;
  policyMask: number;
}

const AVD_PERMISSIVE = 1;

/** audit_log_untrustedstring(): quoted, or hex (upper case) when it holds '"', spaces or
 *  control/non-ASCII bytes (audit_string_contains_control). */
export function untrustedString(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bad = false;
  for (const b of bytes) {
    if (b === 0x22 || b < 0x21 || b > 0x7e) {
      bad = true;
      break;
    }
  }
  if (!bad) return `"${s}"`;
  let h = '';
  for (const b of bytes) h += b.toString(16).toUpperCase().padStart(2, '0');
  return h;
}

/** The kernel's AVC audit text (without the auditd `type=AVC msg=audit(...)` wrapper). */
export function formatAvcLine(denied: boolean, perms: readonly string[], a: AuditData, scontext: string, tcontext: string, tclass: string, permissive: boolean): string {
  // avc_audit_pre_callback: "avc:  %s " + avc_dump_av " {" " perm"... " }" + " for "
  let l = `avc:  ${denied ? 'denied' : 'granted'}  {`;
  for (const p of perms) l += ` ${p}`;
  l += ' } for ';
  // common_lsm_audit / dump_common_audit_data: " pid=%d comm=" untrusted(comm)
  l += ` pid=${a.pid} comm=${untrustedString(a.comm.slice(0, 15))}`;
  switch (a.type) {
    case 'NONE':
      break;
    case 'FILE':
      l += ` path=${untrustedString(a.path)} dev=${untrustedString(a.dev)} ino=${a.ino}`;
      break;
    case 'INODE':
    case 'DENTRY':
      if (a.name !== undefined) l += ` name=${untrustedString(a.name)}`;
      l += ` dev=${untrustedString(a.dev)} ino=${a.ino}`;
      break;
    case 'IOCTL_OP':
      l += ` path=${untrustedString(a.path)} dev=${untrustedString(a.dev)} ino=${a.ino} ioctlcmd=0x${(a.cmd & 0xffff).toString(16)}`;
      break;
    case 'ANONINODE':
      l += ` anonclass=${a.anonclass}`;
      break;
    case 'CAP':
      l += ` capability=${a.cap} `;
      l = l.trimEnd();
      break;
  }
  // avc_audit_post_callback
  l += ` scontext=${scontext} tcontext=${tcontext} tclass=${tclass}`;
  if (denied) l += ` permissive=${permissive ? 1 : 0}`;
  return l;
}

export class Avc {
  readonly policy: Policy;
  readonly sids: SidTable;
  private enforcing: boolean;
  private boolValues: boolean[];
  private condState: Uint8Array;
  private classes: AvcClass[];
  private classIdx: Map<string, number>;
  private cache = new Map<number, (Uint32Array | undefined)[]>();
  /** permissive grants (AVC_CALLBACK_GRANT), kept across clones until a flush */
  private grants: Map<number, number>;
  private xgrants: Set<string>;
  private grantsShared = false;
  private permissiveOverride: Map<number, boolean>;
  private xpCache = new Map<string, XpDecision>();
  /** The decision caches are shared with a clone (copy-on-write: a fork keeps the warm AVC, as a snapshot of the machine does). */
  private cacheShared = false;
  private readonly tmp = new Uint32Array(3);
  sink: ((e: AvcEvent) => void) | undefined;
  private nLookups = 0;
  private nHits = 0;
  private nMisses = 0;
  private nAllocations = 0;
  private nFrees = 0;

  /** AVC cache statistics (/sys/fs/selinux/avc/cache_stats). */
  get stats(): AvcStats {
    return { lookups: this.nLookups, hits: this.nHits, misses: this.nMisses, allocations: this.nAllocations, reclaims: 0, frees: this.nFrees };
  }

  constructor(policy: Policy, opts: AvcOptions, from?: Avc) {
    this.policy = policy;
    if (from) {
      this.sids = from.sids.clone();
      this.enforcing = from.enforcing;
      this.boolValues = from.boolValues.slice();
      this.condState = from.condState.slice();
      this.classes = from.classes;
      this.classIdx = from.classIdx;
      this.grants = from.grants;
      this.xgrants = from.xgrants;
      this.grantsShared = true;
      from.grantsShared = true;
      this.permissiveOverride = new Map(from.permissiveOverride);
      this.sink = from.sink;
      this.cache = from.cache;
      this.xpCache = from.xpCache;
      this.cacheShared = true;
      from.cacheShared = true;
      return;
    }
    this.sids = opts.sids ?? new SidTable(policy);
    this.enforcing = opts.enforcing;
    this.boolValues = policy.defaultBoolValues(opts.booleans);
    this.condState = policy.evaluateConds(this.boolValues);
    this.grants = new Map();
    this.xgrants = new Set();
    this.permissiveOverride = new Map();
    this.sink = opts.sink;
    // class table: the policy's classes (same ids), then kernel classes the policy lacks
    const cm = opts.classmap ?? kernelClassmap({ sgxDesignPerms: true, memfdClass: true });
    this.classes = [];
    this.classIdx = new Map();
    for (const c of policy.classes) {
      const perms = [...c.perms];
      let unknownMask = 0;
      for (const kp of cm.get(c.name) ?? []) {
        if (!c.permIndex.has(kp)) {
          if (perms.length >= 32) throw new Error(`class ${c.name}: kernel permission ${kp} does not fit in 32 bits`);
          unknownMask |= 1 << perms.length;
          perms.push(kp);
        }
      }
      this.addClass(c.name, c.value, perms, unknownMask >>> 0, c.fullMask);
    }
    for (const [name, perms] of cm) {
      if (this.classIdx.has(name)) continue;
      this.addClass(name, 0, [...perms], perms.length >= 32 ? 0xffffffff : (1 << perms.length) - 1, 0);
    }
  }

  private addClass(name: string, policyClass: number, perms: string[], unknownMask: number, policyMask: number): void {
    const id = policyClass || this.classes.length + 1;
    while (this.classes.length < id - 1) this.classes.push(undefined as unknown as AvcClass);
    const permIndex = new Map<string, number>();
    perms.forEach((p, i) => permIndex.set(p, i));
    this.classes[id - 1] = { id, name, policyClass, perms, permIndex, unknownMask, policyMask };
    this.classIdx.set(name, id);
  }

  /** An independent copy (shares only immutable data: the policy, and copy-on-write tables). */
  clone(): Avc {
    return new Avc(this.policy, { enforcing: this.enforcing }, this);
  }

  // ------------------------------------------------------------------ names
  classId(name: string): number {
    const id = this.classIdx.get(name);
    if (id === undefined) throw new Error(`internal: class ${name} is neither in the policy nor in the kernel classmap`);
    return id;
  }

  className(id: number): string {
    return this.cls(id).name;
  }

  private cls(id: number): AvcClass {
    const c = this.classes[id - 1];
    if (!c) throw new Error(`internal: unknown class id ${id}`);
    return c;
  }

  permMask(tclass: string | number, perms: readonly string[]): number {
    const c = this.cls(typeof tclass === 'string' ? this.classId(tclass) : tclass);
    let m = 0;
    for (const p of perms) {
      const b = c.permIndex.get(p);
      if (b === undefined) throw new Error(`internal: permission ${p} is not known for class ${c.name}`);
      m |= 1 << b;
    }
    return m >>> 0;
  }

  permNames(tclass: string | number, mask: number): string[] {
    const c = this.cls(typeof tclass === 'string' ? this.classId(tclass) : tclass);
    const out: string[] = [];
    for (let b = 0; b < c.perms.length; b++) if (mask & (1 << b)) out.push(c.perms[b]);
    return out;
  }

  /** Whether the policy defines a permission (a kernel permission it lacks is "unknown"). */
  isKnownPerm(tclass: string, perm: string): boolean {
    const c = this.cls(this.classId(tclass));
    const b = c.permIndex.get(perm);
    return b !== undefined && !(c.unknownMask & (1 << b));
  }

  // ------------------------------------------------------------------ state
  get isEnforcing(): boolean {
    return this.enforcing;
  }

  /** sel_write_enforce(): switching to enforcing resets the AVC (avc_ss_reset). */
  setEnforcing(b: boolean): void {
    if (b === this.enforcing) return;
    this.enforcing = b;
    if (b) this.flush();
  }

  /** security_set_bools(): new conditional state, then avc_ss_reset. */
  setBoolean(name: string, v: boolean): void {
    const i = this.policy.boolIndex.get(name);
    if (i === undefined) throw new Error(`unknown boolean ${name}`);
    this.boolValues[i] = v;
    this.condState = this.policy.evaluateConds(this.boolValues);
    this.flush();
  }

  getBoolean(name: string): boolean {
    const i = this.policy.boolIndex.get(name);
    if (i === undefined) throw new Error(`unknown boolean ${name}`);
    return this.boolValues[i];
  }

  /** `semanage permissive -a/-d TYPE`: a policy reload, so the AVC is reset. */
  setPermissiveDomain(type: string, permissive: boolean): void {
    const t = this.policy.typeId(type);
    if (!t) throw new Error(`unknown type ${type}`);
    this.permissiveOverride.set(t, permissive);
    this.flush();
  }

  /** avc_ss_reset(): drop every cache entry (and the permissive grants they carried). */
  flush(): void {
    this.nFrees += this.countEntries();
    this.cache = new Map();
    this.grants = new Map();
    this.xgrants = new Set();
    this.grantsShared = false;
    this.xpCache = new Map();
    this.cacheShared = false;
  }

  private countEntries(): number {
    let n = 0;
    for (const row of this.cache.values()) for (const e of row) if (e) n++;
    return n;
  }

  private isPermissiveType(stype: number): boolean {
    const o = this.permissiveOverride.get(stype);
    if (o !== undefined) return o;
    return this.policy.permissive[stype - 1] === 1;
  }

  // ------------------------------------------------------------------ decisions
  /** avc_lookup / avc_compute_av: [allowed, auditallow, auditdeny, flags] in AVC bits. */
  private entry(ssid: number, tsid: number, cid: number): Uint32Array {
    this.nLookups++;
    const row = this.cache.get(ssid * 65536 + tsid);
    if (row !== undefined) {
      const e = row[cid];
      if (e !== undefined) {
        this.nHits++;
        return e;
      }
    }
    return this.miss(ssid, tsid, cid, row);
  }

  private miss(ssid: number, tsid: number, cid: number, row: (Uint32Array | undefined)[] | undefined): Uint32Array {
    const rk = ssid * 65536 + tsid;
    if (this.cacheShared) {
      this.ownCaches();
      row = this.cache.get(rk);
    }
    if (row === undefined) {
      row = [];
      this.cache.set(rk, row);
    }
    this.nMisses++;
    this.nAllocations++;
    const e = this.compute(ssid, tsid, cid);
    const g = this.grants.get(rk * 256 + cid);
    if (g !== undefined) e[0] |= g;
    row[cid] = e;
    return e;
  }

  /** security_compute_av() + map_decision() (ss/services.c) for AVC class `cid`. */
  private compute(ssid: number, tsid: number, cid: number): Uint32Array {
    const sc = this.sids.context(ssid);
    const tc = this.sids.context(tsid);
    const c = this.cls(cid);
    const e = new Uint32Array(4);
    e[3] = this.isPermissiveType(sc.typeId) ? AVD_PERMISSIVE : 0;
    const allowUnknown = this.policy.handleUnknown === 'allow';
    if (!c.policyClass) {
      // unknown class: allowed = all if allow_unknown (security_compute_av "goto allow")
      e[0] = allowUnknown ? 0xffffffff : 0;
      e[1] = 0;
      e[2] = 0xffffffff;
      return e;
    }
    this.policy.computeAv(sc.typeId, tc.typeId, c.policyClass, this.condState, this.tmp);
    const pm = c.policyMask;
    e[0] = ((this.tmp[0] & pm) | (allowUnknown ? c.unknownMask : 0)) >>> 0;
    e[1] = (this.tmp[1] & pm) >>> 0;
    // map_decision: unknown permissions are audited when denied, and so are bits past num_perms
    e[2] = ((this.tmp[2] & pm) | (allowUnknown ? 0 : c.unknownMask) | ~(pm | c.unknownMask)) >>> 0;
    return e;
  }

  /** The decision without auditing or caching side effects visible to callers. */
  computeDecision(ssid: number, tsid: number, tclass: string | number): { allowed: string[]; auditallow: string[]; dontaudit: string[]; permissive: boolean } {
    const cid = typeof tclass === 'string' ? this.classId(tclass) : tclass;
    const e = this.entry(ssid, tsid, cid);
    const c = this.cls(cid);
    const all = c.perms.length >= 32 ? 0xffffffff : (1 << c.perms.length) - 1;
    return { allowed: this.permNames(cid, e[0]), auditallow: this.permNames(cid, e[1]), dontaudit: this.permNames(cid, ~e[2] & all), permissive: (e[3] & AVD_PERMISSIVE) !== 0 };
  }

  /** avc_has_perm(): 0 or -EACCES, with the audit record sent to the sink. */
  hasPerm(ssid: number, tsid: number, tclass: string | number, perms: readonly string[] | number, audit: AuditData): 0 | -13 {
    const cid = typeof tclass === 'number' ? tclass : this.classId(tclass);
    const requested = typeof perms === 'number' ? perms >>> 0 : this.permMask(cid, perms);
    if (requested === 0) throw new Error('internal: avc_has_perm with no permissions');
    this.nLookups++;
    const row = this.cache.get(ssid * 65536 + tsid);
    let e: Uint32Array | undefined;
    if (row !== undefined && (e = row[cid]) !== undefined) this.nHits++;
    else e = this.miss(ssid, tsid, cid, row);
    const allowed = e[0];
    let rc: 0 | -13 = 0;
    if ((requested & ~allowed) !== 0) rc = this.denied(ssid, tsid, cid, requested, e);
    if (this.sink !== undefined) this.emit(ssid, tsid, cid, requested, allowed, e[1], e[2], rc, audit, undefined);
    return rc;
  }

  /** avc_has_perm_noaudit(): the decision only. */
  hasPermNoAudit(ssid: number, tsid: number, tclass: string | number, perms: readonly string[] | number): 0 | -13 {
    const cid = typeof tclass === 'number' ? tclass : this.classId(tclass);
    const requested = typeof perms === 'number' ? perms : this.permMask(cid, perms);
    this.nLookups++;
    const row = this.cache.get(ssid * 65536 + tsid);
    let e: Uint32Array | undefined;
    if (row !== undefined && (e = row[cid]) !== undefined) this.nHits++;
    else e = this.miss(ssid, tsid, cid, row);
    if ((requested & ~e[0]) === 0) return 0;
    return this.denied(ssid, tsid, cid, requested >>> 0, e);
  }

  /** avc_denied(): EACCES when enforcing and not permissive; else grant in the cache entry. */
  private denied(ssid: number, tsid: number, cid: number, requested: number, e: Uint32Array): 0 | -13 {
    if (this.enforcing && !(e[3] & AVD_PERMISSIVE)) return EACCES;
    // avc_update_node(AVC_CALLBACK_GRANT): replace the node (entries are values: copy, then set)
    const rk = ssid * 65536 + tsid;
    const ne = Uint32Array.from(e);
    ne[0] = (ne[0] | requested) >>> 0;
    this.ownCaches();
    this.cache.get(rk)![cid] = ne;
    if (this.grantsShared) {
      this.grants = new Map(this.grants);
      this.xgrants = new Set(this.xgrants);
      this.grantsShared = false;
    }
    const gk = rk * 256 + cid;
    this.grants.set(gk, ((this.grants.get(gk) ?? 0) | requested) >>> 0);
    return 0;
  }

  private emit(ssid: number, tsid: number, cid: number, requested: number, allowed: number, auditallow: number, auditdeny: number, rc: 0 | -13, audit: AuditData, xp: { cmd: number; audited: number; denied: number } | undefined): void {
    let denied: number;
    let audited: number;
    if (xp) {
      denied = xp.denied;
      audited = xp.audited;
    } else {
      // avc_audit_required()
      denied = (requested & ~allowed) >>> 0;
      if (denied) audited = (denied & auditdeny) >>> 0;
      else if (rc) audited = denied = requested;
      else audited = (requested & auditallow) >>> 0;
    }
    const sc = this.sids.context(ssid).text;
    const tc = this.sids.context(tsid).text;
    const cname = this.cls(cid).name;
    const shown = audited ? audited : denied ? denied : requested;
    const perms = this.permNames(cid, shown);
    const isDenied = denied !== 0;
    const permissive = isDenied && rc === 0;
    this.sink!({
      kind: 'avc',
      denied: isDenied,
      granted: !isDenied,
      perms,
      requested: this.permNames(cid, requested),
      scontext: sc,
      tcontext: tc,
      tclass: cname,
      permissive,
      audited: audited !== 0,
      result: rc,
      ioctlcmd: xp?.cmd,
      line: formatAvcLine(isDenied, perms, audit, sc, tc, cname, permissive),
    });
  }

  // ------------------------------------------------------------------ extended permissions
  /** avc_has_extended_perms() for ioctl: `perm` is 'ioctl', driver = cmd >> 8, xperm = cmd & 0xff. */
  hasExtendedPerm(ssid: number, tsid: number, tclass: string | number, perm: 'ioctl', driver: number, xperm: number, audit: AuditData): 0 | -13 {
    const cid = typeof tclass === 'string' ? this.classId(tclass) : tclass;
    const requested = this.permMask(cid, [perm]);
    const e = this.entry(ssid, tsid, cid);
    let allowed = e[0];
    const xd = this.xpDecision(ssid, tsid, cid);
    let xpd: XpdFunc | null = null;
    const grantKey = `${ssid},${tsid},${cid},${driver},${xperm}`;
    if (xd.len) {
      if (!(xd.drivers[driver >>> 5] & (1 << (driver & 31)))) {
        allowed &= ~requested;
      } else {
        xpd = this.xpdFunc(ssid, tsid, cid, driver);
        if (!(xpd.allowed[xperm >>> 5] & (1 << (xperm & 31))) && !this.xgrants.has(grantKey)) allowed &= ~requested;
      }
    }
    allowed >>>= 0;
    const denied = (requested & ~allowed) >>> 0;
    let rc: 0 | -13 = 0;
    if (denied) {
      rc = this.denied(ssid, tsid, cid, requested, e);
      if (rc === 0) {
        if (this.grantsShared) {
          this.grants = new Map(this.grants);
          this.xgrants = new Set(this.xgrants);
          this.grantsShared = false;
        }
        this.xgrants.add(grantKey);
      }
    }
    if (this.sink) {
      // avc_xperms_audit_required()
      let audited: number;
      let d = denied;
      if (d) {
        audited = (d & e[2]) >>> 0;
        if (audited && xpd && xpd.dontaudit[xperm >>> 5] & (1 << (xperm & 31))) audited &= ~requested;
      } else if (rc) audited = d = requested;
      else {
        audited = (requested & e[1]) >>> 0;
        if (audited && xpd && !(xpd.auditallow[xperm >>> 5] & (1 << (xperm & 31)))) audited &= ~requested;
      }
      const cmd = ((driver & 0xff) << 8) | (xperm & 0xff);
      const a: AuditData = audit.type === 'IOCTL_OP' ? audit : audit;
      this.emit(ssid, tsid, cid, requested, allowed, e[1], e[2], rc, a, { cmd, audited: audited >>> 0, denied: d });
    }
    return rc;
  }

  private xpDecision(ssid: number, tsid: number, cid: number): XpDecision {
    const c = this.cls(cid);
    const key = `${ssid},${tsid},${cid}`;
    let d = this.xpCache.get(key);
    if (d) return d;
    d = { len: false, drivers: new Uint32Array(8) };
    if (c.policyClass) {
      const s = this.sids.context(ssid).typeId;
      const t = this.sids.context(tsid).typeId;
      for (const x of this.matchingXperms(s, t, c.policyClass)) {
        d.len = true;
        // services_compute_xperms_drivers()
        if (x.specified === 'driver') for (let i = 0; i < 8; i++) d.drivers[i] |= x.bits[i];
        else d.drivers[x.driver >>> 5] |= 1 << (x.driver & 31);
      }
    }
    this.ownCaches();
    this.xpCache.set(key, d);
    return d;
  }

  /** Copy the shared decision caches before changing them (entries are values; rows are copied). */
  private ownCaches(): void {
    if (!this.cacheShared) return;
    const m = new Map<number, (Uint32Array | undefined)[]>();
    for (const [k, row] of this.cache) m.set(k, row.slice());
    this.cache = m;
    this.xpCache = new Map(this.xpCache);
    this.cacheShared = false;
  }

  private *matchingXperms(s: number, t: number, cls: number): Generator<import('./policy.js').XpermEntry> {
    const sa = this.policy.typeAttrs[s - 1];
    const ta = this.policy.typeAttrs[t - 1];
    for (const x of this.policy.xperms) {
      if (x.cls !== cls) continue;
      if (x.cond >= 0 && (this.condState[x.cond >> 1] ? 0 : 1) !== (x.cond & 1)) continue;
      if (!sa.includes(x.src - 1) || !ta.includes(x.tgt - 1)) continue;
      yield x;
    }
  }

  /** security_compute_xperms_decision() for one driver. */
  private xpdFunc(ssid: number, tsid: number, cid: number, driver: number): XpdFunc {
    const c = this.cls(cid);
    const s = this.sids.context(ssid).typeId;
    const t = this.sids.context(tsid).typeId;
    const out: XpdFunc = { allowed: new Uint32Array(8), auditallow: new Uint32Array(8), dontaudit: new Uint32Array(8) };
    for (const x of this.matchingXperms(s, t, c.policyClass)) {
      const dst = x.kind === 0 ? out.allowed : x.kind === 1 ? out.auditallow : out.dontaudit;
      if (x.specified === 'driver') {
        if (x.bits[driver >>> 5] & (1 << (driver & 31))) dst.fill(0xffffffff);
      } else if (x.driver === driver) for (let i = 0; i < 8; i++) dst[i] |= x.bits[i];
    }
    return out;
  }
}

interface XpDecision {
  len: boolean;
  drivers: Uint32Array;
}
interface XpdFunc {
  allowed: Uint32Array;
  auditallow: Uint32Array;
  dontaudit: Uint32Array;
}
