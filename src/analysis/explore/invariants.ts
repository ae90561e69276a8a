// The explorer's invariants (issue #7; exact definitions in docs/explorer.md "Invariants") and the
// ghost state they need: where the bytes of every enclave page came from. Linux keeps no such
// record; the model's provenance (k.provenance(), docs/kernel.md) says it for ordinary pages, and
// the explorer (or the runner's monitor, monitor.ts) records it for an enclave page when the page
// is added, from the provenance of its source page at that moment.
//
//   I1 (execmem)       an executable mapping never holds bytes that the task wrote, unless the
//                      policy grants the domain execmem (anonymous memory) or execmod (a written
//                      private file mapping). Enclave code is executable when the VMA has VM_EXEC
//                      and the EPCM entry has X.
//   I2 (file execute)  every page executable inside an enclave came from a file on which the
//                      domain holds `execute`, or else the design's stated alternative permission
//                      (designs.ts) is granted.
//   I3 (W+X)           an enclave page is never writable and executable at once without the
//                      permission the design names for that.
import type { Kernel } from '../../kernel/kernel.js';
import type { Vma } from '../../mm/vma.js';
import { VM_EXEC, VM_WRITE } from '../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../abi/page.js';
import { SgxEncl } from '../../drivers/sgx/common/encl.js';
import { isSgxVma, enclIdOfVma } from '../../drivers/sgx/common/vma.js';
import { platformOf } from '../../drivers/sgx/common/epc.js';
import type { PolicyOracle } from './policy.js';
import { designRules, grantText, type DesignRules, type Grant, type SourceClass } from './designs.js';

export const INVARIANTS = ['I1', 'I2', 'I3'] as const;
export type InvariantId = (typeof INVARIANTS)[number];
/** Bit of an invariant in a violation mask. */
export const INV_BIT: Readonly<Record<InvariantId, number>> = { I1: 1, I2: 2, I3: 4 };
export const ALL_INVARIANTS = 7;

export const INVARIANT_TITLES: Readonly<Record<InvariantId, string>> = {
  I1: 'execmem: no executable mapping holds bytes the task wrote without execmem/execmod',
  I2: 'file execute: enclave code comes from a file the domain may execute, or the design\'s alternative permission is granted',
  I3: 'W+X: no enclave page is writable and executable at once without the permission the design names',
};

/** Where an enclave page's bytes came from (recorded when it was added). */
export interface SourceRecord {
  readonly cls: SourceClass;
  /** A task changed the bytes after their origin (provenance writers). */
  readonly written: boolean;
  /** The file the bytes are from ('file' / 'modified'): a model inode id, and its path. */
  readonly inode: number | null;
  readonly path: string | null;
  /** For 'modified': the page was a COWed private file page (else a written shared file page). */
  readonly cow: boolean;
  /** The source address and the task that added the page (-1 for EAUG). */
  readonly srcAddr: number;
  readonly pid: number;
}

export const EAUG_SOURCE: SourceRecord = Object.freeze({ cls: 'eaug', written: false, inode: null, path: null, cow: false, srcAddr: -1, pid: -1 });

/** Ghost state: enclave page key (`enclId:pageAddr`) -> its source. Immutable (replace to change). */
export type Ghost = ReadonlyMap<string, SourceRecord>;
export const EMPTY_GHOST: Ghost = new Map();

export function pageKey(enclId: number, addr: number): string {
  return `${enclId}:${addr}`;
}

/** The enclave objects of a kernel, by id. */
export function enclaveIds(k: Kernel): number[] {
  const out: number[] = [];
  for (const id of k.objects.keys()) if (k.objects.get(id) instanceof SgxEncl) out.push(id);
  return out;
}

/** Every enclave page (enclave id, linear address) that exists now, as keys. */
export function enclavePageKeys(k: Kernel): Set<string> {
  const s = new Set<string>();
  for (const id of enclaveIds(k)) {
    const e = k.object<SgxEncl>(id);
    e.pages.forEachPair((pfn) => {
      s.add(pageKey(id, pfn * PAGE_SIZE));
    });
  }
  return s;
}

/**
 * The source class of the page at `addr` of task `pid` as an EADD reads it now (from
 * k.provenance(): where the bytes live and where they came from).
 */
export function classifySource(k: Kernel, pid: number, addr: number): SourceRecord {
  const page = addr - (addr % PAGE_SIZE);
  const p = k.provenance(pid, page);
  const base = { srcAddr: page, pid };
  if (!p) return { cls: 'anon', written: false, inode: null, path: null, cow: false, ...base };
  const written = p.writers.length > 0;
  if (p.backing.kind === 'file') {
    // file_map_prot_check(): an IS_PRIVATE inode (shared anonymous memory) is anonymous memory.
    if (k.lsmInode(p.backing.inode).isPrivate) return { cls: 'anon', written, inode: null, path: null, cow: false, ...base };
    return { cls: written ? 'modified' : 'file', written, inode: p.backing.inode, path: p.backing.path, cow: false, ...base };
  }
  if (p.backing.kind === 'anon' && p.origin.kind === 'file') {
    // A private file mapping: a COWed copy (written) or, without writers, the file's bytes.
    return { cls: written ? 'modified' : 'file', written, inode: p.origin.inode, path: p.origin.path, cow: written, ...base };
  }
  return { cls: 'anon', written, inode: null, path: null, cow: false, ...base };
}

/**
 * Update the ghost after an operation: pages that are gone are forgotten; pages that are new and
 * were added from a source (`add`: the task and the first source page; the k-th new page in
 * address order came from src + k pages) get its class, any other new page is an EAUG page.
 */
export function updateGhost(ghost: Ghost, k: Kernel, before: ReadonlySet<string>, add: { pid: number; src: number } | null): Ghost {
  const now = enclavePageKeys(k);
  let changed = false;
  for (const key of ghost.keys()) if (!now.has(key)) changed = true;
  const fresh: { id: number; addr: number }[] = [];
  for (const key of now) {
    if (before.has(key) && ghost.has(key)) continue;
    if (before.has(key)) continue; // existed before this operation without a record: leave it (EAUG'd earlier)
    const [id, addr] = key.split(':').map(Number);
    fresh.push({ id, addr });
  }
  if (!changed && fresh.length === 0) return ghost;
  const g = new Map<string, SourceRecord>();
  for (const [key, v] of ghost) if (now.has(key)) g.set(key, v);
  fresh.sort((a, b) => a.id - b.id || a.addr - b.addr);
  fresh.forEach((f, i) => {
    g.set(pageKey(f.id, f.addr), add ? classifySource(k, add.pid, add.src + i * PAGE_SIZE) : EAUG_SOURCE);
  });
  return g;
}

/** The source of an enclave page (EAUG when nothing was recorded). */
export function sourceOf(ghost: Ghost, enclId: number, addr: number): SourceRecord {
  return ghost.get(pageKey(enclId, addr)) ?? EAUG_SOURCE;
}

// ------------------------------------------------------------------ checking

export interface CheckTask {
  readonly pid: number;
  readonly name: string;
}

export interface InvariantContext {
  readonly oracle: PolicyOracle;
  readonly rules: DesignRules;
  readonly tasks: readonly CheckTask[];
  /** Only these address ranges are looked at ([start, end) pairs); null: the whole address space. */
  readonly ranges: readonly (readonly [number, number])[] | null;
}

export function invariantContext(oracle: PolicyOracle, designId: string, tasks: readonly CheckTask[], ranges: readonly (readonly [number, number])[] | null = null): InvariantContext {
  return { oracle, rules: designRules(designId), tasks, ranges };
}

export interface Violation {
  readonly invariant: InvariantId;
  readonly task: string;
  readonly pid: number;
  /** The page. */
  readonly addr: number;
  /** Whether it is an enclave page. */
  readonly enclave: boolean;
  readonly source: SourceRecord | null;
  /** One line: what holds and which permission is missing. */
  readonly why: string;
}

interface EnclPageView {
  readonly enclId: number;
  readonly x: boolean;
  readonly w: boolean;
}

/** EPCM view of the enclave page behind an enclave VMA at addr (null: no resident, valid, non-pending page). */
function epcmAt(k: Kernel, v: Vma, addr: number): EnclPageView | null {
  const id = enclIdOfVma(v);
  if (id === null || !k.objects.has(id)) return null;
  const e = k.object<SgxEncl>(id);
  const p = e.page(addr);
  if (!p || p.epc === null) return null;
  const entry = platformOf(k, e.platform).hw.epcm(p.epc);
  if (!entry || entry.pending) return null;
  return { enclId: id, x: entry.x, w: entry.w };
}

function grantHeld(ctx: InvariantContext, k: Kernel, context: string, g: Grant, src: SourceRecord, enclFileInode: number | null): boolean {
  switch (g.kind) {
    case 'self':
      return ctx.oracle.self(context, g.tclass, g.perm);
    case 'source-file':
      return src.inode !== null && ctx.oracle.inode(k, context, src.inode, g.perm);
    case 'enclave-file':
      return enclFileInode !== null && ctx.oracle.inode(k, context, enclFileInode, g.perm);
  }
}

function anyGrant(ctx: InvariantContext, k: Kernel, context: string, gs: readonly Grant[], src: SourceRecord, enclFileInode: number | null): boolean {
  for (const g of gs) if (grantHeld(ctx, k, context, g, src, enclFileInode)) return true;
  return false;
}

/** The inode of the file behind an enclave VMA (the device node, or D1's anon inode). */
function vmaFileInode(k: Kernel, v: Vma): number | null {
  return v.file === null ? null : k.file(v.file).inode;
}

function pagesOf(v: Vma, ranges: InvariantContext['ranges']): number[] {
  const out: number[] = [];
  if (!ranges) {
    for (let a = v.start; a < v.end; a += PAGE_SIZE) out.push(a);
    return out;
  }
  for (const [s, e] of ranges) {
    const lo = Math.max(s, v.start);
    const hi = Math.min(e, v.end);
    for (let a = lo; a < hi; a += PAGE_SIZE) out.push(a);
  }
  return out;
}

/** I1's grant for written bytes of a given kind: execmem (anonymous), execmod on the file or execmem (COWed private file page), execute on the file (a written shared file page). */
function i1Granted(ctx: InvariantContext, k: Kernel, context: string, s: SourceRecord): { ok: boolean; need: string } {
  if (s.cls === 'anon' || s.inode === null) return { ok: ctx.oracle.self(context, 'process', 'execmem'), need: 'process execmem' };
  if (s.cow) {
    const ok = ctx.oracle.inode(k, context, s.inode, 'execmod') || ctx.oracle.self(context, 'process', 'execmem');
    return { ok, need: `execmod on ${s.path ?? 'the file'} (or execmem)` };
  }
  return { ok: ctx.oracle.inode(k, context, s.inode, 'execute'), need: `execute on ${s.path ?? 'the file'}` };
}

/**
 * Check the invariants in `mask` (INV_BIT bits) on a state. Returns the violated bits; with
 * `details`, also one Violation per violated invariant (the first found, in task, address order).
 */
export function checkInvariants(ctx: InvariantContext, k: Kernel, ghost: Ghost, mask: number, details?: Violation[]): number {
  let found = 0;
  const report = (v: Violation): void => {
    if (found & INV_BIT[v.invariant]) return;
    found |= INV_BIT[v.invariant];
    details?.push(v);
  };
  // I3 needs, per enclave page, whether any task maps it writable and whether any maps it executable.
  const wx = mask & INV_BIT.I3 ? new Map<string, { w: boolean; xTasks: CheckTask[]; view: EnclPageView; addr: number }>() : null;
  for (const t of ctx.tasks) {
    if (!k.hasTask(t.pid)) continue;
    const context = k.task(t.pid).context;
    const mm = k.mm(t.pid);
    const vmas = ctx.ranges ? ctx.ranges.flatMap(([s, e]) => mm.vmas.range(s, e)) : mm.vmas.all();
    for (const v of vmas) {
      const sgx = isSgxVma(v);
      if (!sgx && !(v.flags & VM_EXEC)) continue;
      if (sgx) {
        if (!(v.flags & (VM_EXEC | VM_WRITE))) continue;
        for (const addr of pagesOf(v, ctx.ranges)) {
          const view = epcmAt(k, v, addr);
          if (!view) continue;
          if (wx && view.w && view.x) {
            const key = pageKey(view.enclId, addr);
            let r = wx.get(key);
            if (!r) wx.set(key, (r = { w: false, xTasks: [], view, addr }));
            if (v.flags & VM_WRITE) r.w = true;
            if (v.flags & VM_EXEC && !r.xTasks.includes(t)) r.xTasks.push(t);
          }
          if (!(v.flags & VM_EXEC) || !view.x) continue;
          const src = sourceOf(ghost, view.enclId, addr);
          if (mask & INV_BIT.I1 && !(found & INV_BIT.I1) && src.written) {
            const g = i1Granted(ctx, k, context, src);
            if (!g.ok) report({ invariant: 'I1', task: t.name, pid: t.pid, addr, enclave: true, source: src, why: `enclave page 0x${addr.toString(16)} is executable (VMA and EPCM) and holds bytes task ${src.pid} wrote (${sourceText(src)}); the policy grants ${t.name} no ${g.need}` });
          }
          if (mask & INV_BIT.I2 && !(found & INV_BIT.I2)) {
            const fileOk = src.cls === 'file' && src.inode !== null && ctx.oracle.inode(k, context, src.inode, 'execute');
            if (!fileOk) {
              const alts = ctx.rules.i2[src.cls];
              if (!anyGrant(ctx, k, context, alts, src, vmaFileInode(k, v))) {
                const altText = alts.length ? `, nor ${alts.map(grantText).join(' / ')}` : ' (the design states no alternative permission)';
                report({ invariant: 'I2', task: t.name, pid: t.pid, addr, enclave: true, source: src, why: `enclave page 0x${addr.toString(16)} is executable (VMA and EPCM) and came from ${sourceText(src)}; ${t.name} holds no execute on a source file${altText}` });
              }
            }
          }
        }
        continue;
      }
      // Ordinary memory: only bytes a task wrote matter (I1).
      if (!(mask & INV_BIT.I1) || found & INV_BIT.I1) continue;
      for (const addr of pagesOf(v, ctx.ranges)) {
        const p = k.provenance(t.pid, addr);
        if (!p || p.writers.length === 0) continue;
        const src = classifySource(k, t.pid, addr);
        const g = i1Granted(ctx, k, context, src);
        if (!g.ok) {
          report({ invariant: 'I1', task: t.name, pid: t.pid, addr, enclave: false, source: src, why: `page 0x${addr.toString(16)} is mapped executable and holds bytes task ${p.writers.join(',')} wrote (${sourceText(src)}); the policy grants ${t.name} no ${g.need}` });
          break;
        }
      }
    }
  }
  if (wx) {
    for (const r of wx.values()) {
      if (!r.w || r.xTasks.length === 0) continue;
      for (const t of r.xTasks) {
        const context = k.task(t.pid).context;
        if (anyGrant(ctx, k, context, ctx.rules.i3, sourceOf(ghost, r.view.enclId, r.addr), null)) continue;
        const need = ctx.rules.i3.length ? `no ${ctx.rules.i3.map(grantText).join(' / ')}` : 'and the design names no permission for it';
        report({ invariant: 'I3', task: t.name, pid: t.pid, addr: r.addr, enclave: true, source: sourceOf(ghost, r.view.enclId, r.addr), why: `enclave page 0x${r.addr.toString(16)} is writable and executable at once (EPCM RWX, mapped writable and executable); ${t.name} holds ${need}` });
        break;
      }
    }
  }
  return found;
}

export function sourceText(s: SourceRecord): string {
  switch (s.cls) {
    case 'file':
      return `the file ${s.path ?? '?'} (unmodified)`;
    case 'modified':
      return `${s.cow ? 'a COWed private mapping of' : 'written pages of'} ${s.path ?? '?'}`;
    case 'anon':
      return s.written ? 'anonymous memory the task wrote' : 'anonymous memory';
    case 'eaug':
      return 'EAUG (no source)';
  }
}
