// The canonical form of an explorer state, hashed to a 64-bit fingerprint (hash.ts). Two states
// with the same canonical form behave the same for every future action of the alphabet and agree
// on every invariant, so only one of them is explored. What is in it, and what is left out and
// why (docs/explorer.md "Canonical state"):
//   - per task, its fd table (fd -> canonical open file) and, inside the places the alphabet
//     touches (slots and ELRANGE), its VMAs (bounds, vm_flags, pgoff, canonical file, canonical
//     anon_vma, vm_ops, canonical vm_private_data, pkey), private pages (contents digest,
//     provenance: origin and writers), and inside ELRANGE the PTE bits;
//   - the open files (canonical inode, f_mode, f_flags, f_pos, canonical private data), and the
//     page cache of their regular and shmem inodes;
//   - every enclave reachable from a file or a VMA: state flags (not SGX_ENCL_IOCTL, which no
//     action leaves set), ELRANGE, attributes, mm_list, the design's `extra`, and each page's
//     max protections, type, design extra, EPCM entry (R/W/X, type, PENDING, MODIFIED, PR,
//     BLOCKED), contents digest (the TCS's CSSA included) and ghost source;
// and not: object, file, inode and anon_vma *numbers* (renamed in order of first appearance),
// EPC page numbers and the allocator's lists (the EPC is large enough that reclaim never runs in
// an explored state), the accessed bits (they only steer the reclaimer), the running MRENCLAVE
// (INIT signs whatever was measured, so it never decides an outcome), the AVC's cache and
// statistics (they never change a decision), the provenance's "ever writable" intervals (no
// decision reads them), PTE bits of ordinary pages (they only change fault error codes), the
// trace, and the scratch memory the adapters
// marshal ioctl arguments into (the brk heap; nothing reads it but the ioctl that wrote it).
import type { Kernel } from '../../kernel/kernel.js';
import type { Page } from '../../mm/page.js';
import type { Vma } from '../../mm/vma.js';
import { SgxEncl, SGX_ENCL_IOCTL } from '../../drivers/sgx/common/encl.js';
import { platformOf } from '../../drivers/sgx/common/epc.js';
import { PAGE_SIZE } from '../../abi/page.js';
import { Hasher, bytesDigest } from './hash.js';
import { pageKey, type Ghost } from './invariants.js';
import type { World } from './world.js';

// vm_ops / f_op names as numbers: a hash of the name (the same in every thread; a first-seen
// counter would differ between workers and break the merge).
const OPS_IDS = new Map<string, number>();
function opsId(name: string | undefined): number {
  if (name === undefined) return 0;
  let id = OPS_IDS.get(name);
  if (id === undefined) {
    id = new Hasher().str(name).digest()[0];
    OPS_IDS.set(name, id);
  }
  return id;
}

/** Digest of a design-owned immutable value (EnclPage.extra, SgxEncl.extra), cached per object. */
const valueDigests = new WeakMap<object, [number, number]>();
function hashValue(h: Hasher, v: unknown): void {
  switch (typeof v) {
    case 'undefined':
      h.word(0x11);
      return;
    case 'boolean':
      h.word(v ? 0x12 : 0x13);
      return;
    case 'number':
      h.word(0x14).num(Number.isFinite(v) ? v : 0);
      return;
    case 'bigint':
      h.word(0x15).str(v.toString(16));
      return;
    case 'string':
      h.word(0x16).str(v);
      return;
    case 'object': {
      if (v === null) {
        h.word(0x17);
        return;
      }
      let d = valueDigests.get(v);
      if (!d) {
        const sub = new Hasher();
        if (v instanceof Uint8Array) {
          const b = bytesDigest(v);
          sub.word(b[0]).word(b[1]);
        } else if (Array.isArray(v)) {
          sub.word(v.length);
          for (const x of v) hashValue(sub, x);
        } else {
          const keys = Object.keys(v).sort();
          for (const key of keys) {
            sub.str(key);
            hashValue(sub, (v as Record<string, unknown>)[key]);
          }
        }
        d = sub.digest();
        valueDigests.set(v, d);
      }
      h.word(0x18).word(d[0]).word(d[1]);
      return;
    }
    default:
      h.word(0x19);
  }
}

const inodeDigests = new WeakMap<object, [number, number]>();

/** Reusable renaming tables (one canonicaliser per thread). */
export class Canonicalizer {
  private readonly h = new Hasher();
  private readonly files = new Map<number, number>();
  private readonly fileOrder: number[] = [];
  private readonly inodes = new Map<number, number>();
  private readonly encls = new Map<number, number>();
  private readonly enclOrder: number[] = [];
  private readonly anonVmas = new Map<number, number>();
  /** States hashed (statistics). */
  count = 0;

  constructor(private readonly w: World) {}

  private fileId(id: number): number {
    let c = this.files.get(id);
    if (c === undefined) {
      c = this.files.size + 1;
      this.files.set(id, c);
      this.fileOrder.push(id);
    }
    return c;
  }

  private inodeId(id: number): number {
    if (id < this.w.inodeBase) return id;
    let c = this.inodes.get(id);
    if (c === undefined) {
      c = -(this.inodes.size + 1);
      this.inodes.set(id, c);
    }
    return c;
  }

  private enclId(id: number): number {
    let c = this.encls.get(id);
    if (c === undefined) {
      c = this.encls.size + 1;
      this.encls.set(id, c);
      this.enclOrder.push(id);
    }
    return c;
  }

  /** A private value: an enclave object id is renamed; other numbers stay; anything else is hashed as a value. */
  private privateData(k: Kernel, h: Hasher, v: unknown): void {
    if (typeof v === 'number' && k.objects.get(v) instanceof SgxEncl) {
      h.word(0x21).word(this.enclId(v));
      return;
    }
    hashValue(h, v);
  }

  private page(k: Kernel, h: Hasher, p: Page): void {
    if (p.data) {
      const d = bytesDigest(p.data);
      h.word(d[0]).word(d[1]);
    } else h.word(0);
    const o = p.origin;
    if (o.kind === 'file') h.word(1).word(this.inodeId(o.inode)).num(o.offset);
    else h.word(o.kind === 'zero' ? 2 : 3);
    h.word(p.writers.length);
    for (const x of p.writers) h.word(x);
  }

  private vma(k: Kernel, h: Hasher, v: Vma): void {
    h.num(v.start).num(v.end).word(v.flags).num(v.pgoff);
    h.word(v.file === null ? 0 : this.fileId(v.file));
    if (v.anonVma === null) h.word(0);
    else {
      let c = this.anonVmas.get(v.anonVma);
      if (c === undefined) {
        c = this.anonVmas.size + 1;
        this.anonVmas.set(v.anonVma, c);
      }
      h.word(c);
    }
    h.word(opsId(v.ops?.name));
    this.privateData(k, h, v.privateData);
    h.word(v.pkey);
  }

  /** The 64-bit fingerprint of (k, ghost). */
  fingerprint(k: Kernel, ghost: Ghost): [number, number] {
    this.count++;
    const w = this.w;
    const h = this.h.reset();
    this.files.clear();
    this.fileOrder.length = 0;
    this.inodes.clear();
    this.encls.clear();
    this.enclOrder.length = 0;
    this.anonVmas.clear();

    for (const t of w.tasks) {
      h.word(0x7a5c);
      const task = k.task(t.pid);
      const fds = task.fds;
      for (let fd = 0; fd < fds.length; fd++) {
        const e = fds[fd];
        if (!e) continue;
        h.word(fd).word(this.fileId(e.file)).bool(e.cloexec);
      }
      h.word(-1);
      const mm = k.mm(t.pid);
      for (const [s, e] of w.ranges) {
        const vmas = mm.vmas.range(s, e);
        h.word(vmas.length);
        for (const v of vmas) this.vma(k, h, v);
        const sp = s / PAGE_SIZE;
        const ep = e / PAGE_SIZE - 1;
        if (mm.anon.size) {
          mm.anon.forRange(sp, ep, true, (vpn, p) => {
            h.num(vpn);
            this.page(k, h, p);
          });
        }
        h.word(-2);
        // PTE bits only matter inside ELRANGE (they decide whether the CPU faults into the
        // driver); for ordinary pages they only change fault error codes, which no action reads.
        if (mm.ptes.size && s === w.elrange.base) {
          mm.ptes.forRange(sp, ep, true, (vpn, bits) => {
            h.num(vpn).word(bits);
          });
        }
        h.word(-3);
      }
      h.word(-5);
    }

    // Open files, in order of first appearance (fds, then VMAs).
    for (let i = 0; i < this.fileOrder.length; i++) {
      const f = k.files.get(this.fileOrder[i]);
      if (!f) {
        h.word(-6);
        continue;
      }
      h.word(this.inodeId(f.inode)).word(f.fmode).word(f.flags).num(f.pos).word(opsId(f.fops.name));
      this.privateData(k, h, f.privateData);
      const ino = k.inodes.get(f.inode);
      if (ino && ino.pages) {
        if (ino.id < w.inodeBase) {
          // Inode records are immutable values: the page cache digest of a start-state inode is cached per record.
          let d = inodeDigests.get(ino);
          if (!d) {
            const sub = new Hasher();
            sub.num(ino.size).word(ino.pages.size);
            ino.pages.forEachPair((idx, p) => {
              sub.num(idx);
              this.page(k, sub, p);
            });
            d = sub.digest();
            inodeDigests.set(ino, d);
          }
          h.word(d[0]).word(d[1]);
        } else {
          h.num(ino.size).word(ino.pages.size);
          ino.pages.forEachPair((idx, p) => {
            h.num(idx);
            this.page(k, h, p);
          });
        }
      }
    }
    h.word(-7);

    // Enclaves, in order of first appearance.
    for (let i = 0; i < this.enclOrder.length; i++) {
      const id = this.enclOrder[i];
      const e = k.object<SgxEncl>(id);
      const hw = platformOf(k, e.platform).hw;
      h.word(e.flags & ~SGX_ENCL_IOCTL).num(e.base).num(e.size);
      hashValue(h, e.attributes);
      hashValue(h, e.attributesMask);
      h.word(e.mmList.length);
      for (const p of e.mmList) h.word(p);
      hashValue(h, e.extra);
      h.word(e.secs.epc === null ? 0 : 1);
      e.pages.forEachPair((pfn, p) => {
        h.num(pfn).word(p.maxProt).word(p.type).bool(p.beingReclaimed).bool(p.backing !== null);
        hashValue(h, p.extra);
        if (p.epc !== null) {
          const en = hw.epcm(p.epc);
          if (en) {
            h.word((en.r ? 1 : 0) | (en.w ? 2 : 0) | (en.x ? 4 : 0) | (en.pending ? 8 : 0) | (en.modified ? 16 : 0) | (en.pr ? 32 : 0) | (en.blocked ? 64 : 0)).word(en.pt);
          } else h.word(-8);
          const d = bytesDigest(hw.pageContentsView(p.epc));
          h.word(d[0]).word(d[1]);
        } else h.word(-9);
        const g = ghost.get(pageKey(id, pfn * PAGE_SIZE));
        if (g) h.word(g.cls.length).word(g.cls.charCodeAt(0)).bool(g.written).bool(g.cow).word(g.inode === null ? 0 : this.inodeId(g.inode));
        else h.word(-10);
      });
      h.word(-11);
    }
    return h.digest();
  }
}
