// D6's LSM side: Cedric Xing's "ema" LSM module (Enclave Memory Areas) and the SELinux hooks of his
// v3 (2019-07-07: 3/4 "X86/sgx: Introduce EMA as a new LSM module",
// 41e1a1a2f66226d88d45675434eb34dde5d0f50d.1562542383.git.cedric.xing@intel.com; 4/4 SELinux,
// 3a9efc8d3c27490dbcfe802ce3facddd62f47872.1562542383.git.cedric.xing@intel.com). designs-spec §7.
//
// The ema module keeps, per enclave file, a map of EMAs (one per security_enclave_load() range);
// SELinux attaches two bits to each: `sourced` (EADDed from a source page) and `modified` (loaded
// writable, loaded from a COWed private file mapping, or ever mapped writable), and remembers the
// source (its file, or anonymous memory). SELinux also keeps the SIGSTRUCT's file in the enclave
// file's security blob (fsec->encl_ss), pinned, once security_enclave_init() approved it (launch
// control: file:execute on it).
//
// Model: the enclave file is the enclave object (one per open of /dev/sgx/enclave), so the blob and
// the EMA map live with the v20 driver's per-enclave state (V20EnclState.rfc, in SgxEncl.extra) as
// an immutable value (EmaState; the EMA map is a copy-on-write BTree keyed by page number). Files the LSM pins (get_file()) hold a reference that
// is dropped when the enclave is released. The module only tracks when SELinux is the LSM.
import type { Kernel } from '../../../kernel/kernel.js';
import type { Vma } from '../../../mm/vma.js';
import { BTree } from '../../../kernel/btree.js';
import { EACCES, EEXIST, EPERM } from '../../../abi/errno.js';
import { PROT_EXEC, PROT_WRITE } from '../../../abi/mman.js';
import { VM_EXEC } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { enclOf } from '../common/epc.js';
import { setV20State, v20State } from '../v20/driver.js';
import { selectHooks, type DesignAvc } from '../common/lsm.js';

/** Where an EMA's pages came from. */
export type EmaSource = { readonly kind: 'file'; readonly fileId: number } | { readonly kind: 'anon' } | { readonly kind: 'none' };

/** One Enclave Memory Area with SELinux's bits (v3 4/4). */
export interface Ema {
  readonly start: number;
  readonly end: number;
  /** EADDed from a source page (false: EAUG). */
  readonly sourced: boolean;
  /** Loaded writable, loaded from a COWed private file mapping, or mapped writable since. */
  readonly modified: boolean;
  readonly source: EmaSource;
}

/** The LSM's state for one enclave file (immutable; replaced on change). */
export interface EmaState {
  /** EMAs by first page number (addr / 4096). */
  readonly emas: BTree<number, Ema>;
  /** fsec->encl_ss: the pinned SIGSTRUCT file (an open file id), or null. */
  readonly sigstructFile: number | null;
}

export function emaStateOf(k: Kernel, enclId: number): EmaState | null {
  const x = v20State(enclOf(k, enclId)).rfc as EmaState | undefined;
  return x ?? null;
}

function setState(k: Kernel, enclId: number, s: EmaState): void {
  setV20State(k, enclId, { rfc: Object.freeze(s) });
}

function emptyState(): EmaState {
  return { emas: new BTree(), sigstructFile: null };
}

/** The EMAs overlapping [start, end), ascending. */
export function emasIn(s: EmaState, start: number, end: number): Ema[] {
  if (end <= start) return [];
  const lo = Math.floor(start / PAGE_SIZE);
  const hi = Math.floor((end - 1) / PAGE_SIZE);
  // An EMA starting before `start` may still cover it: EMAs are loaded page by page (v20 ADD_PAGE), so a key lookup suffices.
  return s.emas.getRange(lo, hi, true).map(([, e]) => e);
}

// ------------------------------------------------------------------ the hooks

/** The hooks D6 adds, and the SELinux part of selinux_file_mprotect() for enclave files. */
export interface D6Hooks {
  /** int security_enclave_load(struct file *encl, size_t start, size_t end, size_t flags, struct vm_area_struct *src); src null = EAUG. */
  enclaveLoad(k: Kernel, pid: number, enclId: number, start: number, end: number, prot: number, src: Vma | null): number;
  /** int security_enclave_init(struct file *encl, const struct sgx_sigstruct *sigstruct, struct vm_area_struct *sigstruct_vma). */
  enclaveInit(k: Kernel, pid: number, enclId: number, sigstructVma: Vma | null): number;
  /** selinux_file_mprotect() -> enclave_mprotect(vma, prot) (after the stock checks). */
  enclaveMprotect(k: Kernel, pid: number, enclId: number, vma: Pick<Vma, 'start' | 'end' | 'flags'>, prot: number): number;
  /** The enclave file is freed: drop what the LSM pinned. */
  release(k: Kernel, enclId: number): void;
}

export const D6_NO_LSM: D6Hooks = { enclaveLoad: () => 0, enclaveInit: () => 0, enclaveMprotect: () => 0, release: () => {} };

export interface D6LsmOptions {
  /**
   * As posted, enclave_mprotect() tests `(prot && PROT_WRITE) && (prot & PROT_EXEC)` (a logical AND,
   * true for any non-zero prot): every X request needs process:execmem. true = as posted (the
   * default, designs-spec §7), false = the intended W+X test.
   */
  readonly cedricV3Bug: boolean;
}

/** The SELinux side of v3 4/4. */
export function d6Selinux(avc: DesignAvc, o: D6LsmOptions): D6Hooks {
  const fileCheck = (k: Kernel, pid: number, hook: string, fileId: number, perm: string): number => {
    const cls = k.lsmInode(k.file(fileId).inode).inodeClass;
    return avc.check(k, pid, hook, `selinux_${hook}`, { kind: 'file', fileId }, cls, [perm]);
  };
  const self = (k: Kernel, pid: number, hook: string, cls: 'process' | 'process2', perm: string): number =>
    avc.check(k, pid, hook, `selinux_${hook}`, { kind: 'self' }, cls, [perm]);
  /** file:execmod on the SIGSTRUCT file (fsec->encl_ss); none yet -> -EPERM. */
  const sigstructExecmod = (k: Kernel, pid: number, hook: string, s: EmaState): number =>
    s.sigstructFile === null ? -EPERM : fileCheck(k, pid, hook, s.sigstructFile, 'execmod');
  const state = (k: Kernel, enclId: number): EmaState => emaStateOf(k, enclId) ?? emptyState();

  return {
    enclaveLoad(k, pid, enclId, start, end, prot, src) {
      const s = state(k, enclId);
      prot &= 7; // "prot = flags & (PROT_READ | PROT_WRITE | PROT_EXEC)"
      let modified = (prot & PROT_WRITE) !== 0;
      let source: EmaSource = { kind: 'none' };
      if (src) {
        const fileBacked = src.file !== null && !k.lsmInode(k.file(src.file).inode).isPrivate;
        source = fileBacked ? { kind: 'file', fileId: src.file! } : { kind: 'anon' };
        // A COWed private file mapping: its pages are not the file's.
        if (fileBacked && src.anonVma !== null) modified = true;
      }
      let rc = 0;
      if (prot & PROT_EXEC) {
        let execmem = (prot & PROT_WRITE) !== 0;
        if (!src) {
          // EAUG: code can only be written inside the enclave -> EXECMOD on the SIGSTRUCT file.
          rc = sigstructExecmod(k, pid, 'enclave_load', s);
        } else if (source.kind === 'anon') {
          // "on denial treat as W": fall back to EXECMEM.
          if (!execmem && self(k, pid, 'enclave_load', 'process2', 'enclave_execanon')) execmem = true;
        } else if (source.kind === 'file') {
          rc = fileCheck(k, pid, 'enclave_load', source.fileId, 'execute');
          if (!rc && src.anonVma !== null) rc = fileCheck(k, pid, 'enclave_load', source.fileId, 'execmod');
        }
        if (!rc && execmem) rc = self(k, pid, 'enclave_load', 'process', 'execmem');
      }
      // On error the EMA range is removed (here: never inserted) and the error returned.
      if (rc) return rc;
      if (source.kind === 'file') k.getFile(source.fileId); // the EMA keeps its source file
      const emas = s.emas.clone();
      for (let a = start; a < end; a += PAGE_SIZE) {
        const old = emas.get(a / PAGE_SIZE);
        if (old && old.source.kind === 'file') k.putFile(old.source.fileId);
        emas.set(a / PAGE_SIZE, Object.freeze({ start: a, end: a + PAGE_SIZE, sourced: src !== null, modified, source }));
      }
      setState(k, enclId, { ...s, emas });
      return 0;
    },

    enclaveInit(k, pid, enclId, vma) {
      const s = state(k, enclId);
      // The SIGSTRUCT must come from an unmodified file mapping.
      if (!vma || vma.file === null || vma.anonVma !== null) return -EACCES;
      // Launch control: FILE__EXECUTE on the SIGSTRUCT's file.
      const rc = fileCheck(k, pid, 'enclave_init', vma.file, 'execute');
      if (rc) return rc;
      if (s.sigstructFile !== null) return -EEXIST;
      k.getFile(vma.file); // pinned until the enclave file is freed
      setState(k, enclId, { ...s, sigstructFile: vma.file });
      return 0;
    },

    enclaveMprotect(k, pid, enclId, vma, prot) {
      const s = emaStateOf(k, enclId);
      const x = (prot & PROT_EXEC) !== 0;
      const w = (prot & PROT_WRITE) !== 0;
      // As posted: `(prot && PROT_WRITE) && (prot & PROT_EXEC)`.
      const wx = o.cedricV3Bug ? prot !== 0 && x : w && x;
      if (wx) {
        const rc = self(k, pid, 'file_mprotect', 'process', 'execmem');
        if (rc) return rc;
      }
      if (!s) return 0;
      const emas = emasIn(s, vma.start, vma.end);
      if (x && !(vma.flags & VM_EXEC)) {
        for (const e of emas) {
          let rc: number;
          if (!e.sourced) {
            rc = sigstructExecmod(k, pid, 'file_mprotect', s);
          } else if (e.source.kind === 'anon') {
            rc = self(k, pid, 'file_mprotect', 'process2', 'enclave_execanon');
            if (rc) rc = self(k, pid, 'file_mprotect', 'process', 'execmem');
            if (!rc && e.modified) rc = sigstructExecmod(k, pid, 'file_mprotect', s);
          } else {
            const f = (e.source as { fileId: number }).fileId;
            rc = fileCheck(k, pid, 'file_mprotect', f, 'execute');
            if (!rc && e.modified) rc = fileCheck(k, pid, 'file_mprotect', f, 'execmod');
          }
          if (rc) return rc;
        }
      }
      if (w && emas.some((e) => !e.modified)) {
        const next = s.emas.clone();
        for (const e of emas) if (!e.modified) next.set(e.start / PAGE_SIZE, Object.freeze({ ...e, modified: true }));
        setState(k, enclId, { ...s, emas: next });
      }
      return 0;
    },

    release(k, enclId) {
      const s = emaStateOf(k, enclId);
      if (!s) return;
      for (const e of s.emas.valuesArray()) if (e.source.kind === 'file') k.putFile(e.source.fileId);
      if (s.sigstructFile !== null) k.putFile(s.sigstructFile);
      setState(k, enclId, emptyState());
    },
  };
}

export function d6Hooks(k: Kernel, o: D6LsmOptions): D6Hooks {
  return selectHooks(k, { none: D6_NO_LSM, selinux: (avc) => d6Selinux(avc, o) });
}
