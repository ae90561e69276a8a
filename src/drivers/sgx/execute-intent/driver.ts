// D3 `execute-intent`: Andy Lutomirski, 2019-05-30 07:31 PDT
// (CALCETrWXB9fNNDH7gZxPTx05F78Og6K=ZtAr2aA++BDwY09Wbg@mail.gmail.com, read as quoted in full in his
// 09:14 reply CALCETrWsEXzUC33eJpGCpdMCBO4aYVviZLRD-CLMNaG5Jv-TCA@mail.gmail.com; designs-spec §4).
// "Sean convinced me that MAXPERM doesn't work the way I described it because, for SGX2, the enclave
// loader won't know at load time whether a given EAUG-ed page will ever be executed." Requirements:
//   (R1) a WX or RWX mapping of the enclave iff EXECMEM;
//   (R2) an X mapping of an enclave page that has ever been W needs EXECMOD;
//   (R3) an X mapping of an EADD'ed page needs EXECUTE on "the file backing the vma from which the
//        data is loaded" (EXECMOD optionally accepted too);
// "EXECUTE, EXECMOD, and EXECMEM could be substituted ... at the LSM's discretion".
// Static variant: EADD takes a userspace execute_intent flag and calls
//   int security_enclave_load(struct vm_area_struct *source, bool execute_intent);
// which fails if execute_intent and the caller has none of EXECUTE (on source->vm_file), EXECMOD,
// EXECMEM — "if there's a denial, it will be fatal". EAUG: execute_intent = false. mmap/mprotect:
// WX/RWX -> EXECMEM; RX/X of an execute_intent == false page -> EXECMOD.
// Dynamic variant: no flag; security_enclave_load(struct vm_area_struct *source, bool
// *execute_intent) with *execute_intent = true, which the LSM sets to false "if the process lacks
// EXECUTE on source->vm_file"; same mmap/mprotect rules.
// The mapping rules run in sgx_mmap() and vm_ops->may_mprotect (the .may_mprotect Andy assumes).
import type { Kernel } from '../../../kernel/kernel.js';
import type { Vma } from '../../../mm/vma.js';
import { PROT_EXEC, PROT_WRITE } from '../../../abi/mman.js';
import { enclOf } from '../common/epc.js';
import { selectHooks, type DesignAvc } from '../common/lsm.js';
import { checkableFile, lsmPageState, type LsmCoreSpec } from '../sigstruct-file/core.js';
import { SGX_ENCLAVE_ADD_PAGES, SGX_ENCLAVE_INIT, SGX_IOC_ENCLAVE_ADD_PAGES, SGX_IOC_ENCLAVE_CREATE, SGX_IOC_ENCLAVE_INIT, SGX_IOC_ENCLAVE_PROVISION } from '../mainline/uapi.js';
import { SGX_PAGE_EXEC_INTENT, type D3Variant } from './uapi.js';

/** InstallOptions.driver of D3. */
export interface D3Options {
  /** Refuse sources without VM_MAYEXEC (-EACCES) before the LSM hook: mainline's "Deny noexec.", which Sean's RFC series added in the same weeks (default on; designs-spec §4). */
  readonly sourceMayExec: boolean;
  /** EAUG on a fault at an ELRANGE address without a page of an initialized enclave (an SGX2 CPU): execute_intent false, ever written (designs-spec §4 "EAUG (SGX2 variant)"). */
  readonly sgx2: boolean;
}

export const D3_DEFAULT_OPTIONS: D3Options = Object.freeze({ sourceMayExec: true, sgx2: false });

/** InstallOptions.driver for D3: every key optional, booleans; an unknown key is a one-line error. */
export function d3Options(given: Readonly<Record<string, unknown>> | undefined): D3Options {
  if (!given) return D3_DEFAULT_OPTIONS;
  const out: { sourceMayExec: boolean; sgx2: boolean } = { ...D3_DEFAULT_OPTIONS };
  for (const [key, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (key !== 'sourceMayExec' && key !== 'sgx2') throw new Error(`unknown driver option '${key}' (D3 options: sourceMayExec, sgx2)`);
    if (typeof v !== 'boolean') throw new Error(`driver option ${key}: expected true or false`);
    out[key] = v;
  }
  return Object.freeze(out);
}

// ------------------------------------------------------------------ the LSM hooks

/** D3's LSM hooks. */
export interface D3Hooks {
  /** Static: int security_enclave_load(struct vm_area_struct *source, bool execute_intent). */
  enclaveLoadStatic(k: Kernel, pid: number, source: Vma, intent: boolean): number;
  /** Dynamic: int security_enclave_load(struct vm_area_struct *source, bool *execute_intent); returns the intent the LSM leaves. */
  enclaveLoadDynamic(k: Kernel, pid: number, source: Vma): boolean;
  /** R1: a mapping that is writable and executable (OPEN CHOICE hook name: security_enclave_map_wx()). */
  enclaveMapWx(k: Kernel, pid: number): number;
  /** R2: an executable mapping of pages without execute intent or ever written, per source file (null: anonymous, private inode, EAUG). */
  enclaveExecmod(k: Kernel, pid: number, source: number | null): number;
}

/** No LSM: the static check passes, the dynamic intent stays true ("*execute_intent = true initially"), mappings pass. */
export const D3_NO_LSM: D3Hooks = {
  enclaveLoadStatic: () => 0,
  enclaveLoadDynamic: () => true,
  enclaveMapWx: () => 0,
  enclaveExecmod: () => 0,
};

/** The SELinux side. Audit (OPEN CHOICE, Smalley's worry about spurious denials): see each hook. */
export function d3Selinux(avc: DesignAvc): D3Hooks {
  const fileClass = (k: Kernel, fileId: number): string => k.lsmInode(k.file(fileId).inode).inodeClass;
  const execmem = (k: Kernel, pid: number, hook: string, check: string): number => avc.check(k, pid, hook, check, { kind: 'self' }, 'process', ['execmem']);
  /** A permission the hook falls back to: probed quietly, and checked (traced, auditallow) only when it would pass. */
  const fallback = (k: Kernel, pid: number, target: { kind: 'self' } | { kind: 'file'; fileId: number }, tclass: string, perm: string): boolean => {
    if (avc.probe(k, pid, target, tclass, [perm])) return false;
    avc.check(k, pid, 'enclave_load', 'selinux_enclave_load', target, tclass, [perm]);
    return true;
  };
  return {
    // "fails if execute_intent and the caller has none of EXECUTE (on source->vm_file), EXECMOD,
    // EXECMEM": EXECUTE is checked with an audit record (Andy: the static variant "gives clear audit
    // records for missing EXECUTE"); EXECMOD (on the file) and EXECMEM are probed and, if one would
    // pass, checked; a source without a file (anonymous memory, a private inode) has only EXECMEM.
    enclaveLoadStatic(k, pid, source, intent) {
      if (!intent) return 0;
      const f = checkableFile(k, source);
      if (f === null) return execmem(k, pid, 'enclave_load', 'selinux_enclave_load');
      const rc = avc.check(k, pid, 'enclave_load', 'selinux_enclave_load', { kind: 'file', fileId: f }, fileClass(k, f), ['execute']);
      if (!rc) return 0;
      if (fallback(k, pid, { kind: 'file', fileId: f }, fileClass(k, f), 'execmod')) return 0;
      if (fallback(k, pid, { kind: 'self' }, 'process', 'execmem')) return 0;
      return rc;
    },
    // "*execute_intent = true ... the LSM sets it to false if the process lacks EXECUTE on
    // source->vm_file": a quiet probe (no denial record: the dynamic variant "can only audit
    // EXECMOD/EXECMEM"); a grant is recorded as a check.
    enclaveLoadDynamic(k, pid, source) {
      const f = checkableFile(k, source);
      if (f === null) return false;
      return fallback(k, pid, { kind: 'file', fileId: f }, fileClass(k, f), 'execute');
    },
    enclaveMapWx: (k, pid) => execmem(k, pid, 'enclave_map', 'selinux_enclave_map'),
    // EXECMOD "target ... I leave that decision to you": file_has_perm(source, FILE__EXECMOD); no file: EXECMEM (OPEN CHOICE).
    enclaveExecmod: (k, pid, f) =>
      f !== null ? avc.check(k, pid, 'enclave_map', 'selinux_enclave_map', { kind: 'file', fileId: f }, fileClass(k, f), ['execmod']) : execmem(k, pid, 'enclave_map', 'selinux_enclave_map'),
  };
}

function hooks(k: Kernel): D3Hooks {
  return selectHooks(k, { none: D3_NO_LSM, selinux: d3Selinux });
}

// ------------------------------------------------------------------ the mapping rule

/**
 * R1 and R2 on a mapping of [start, end) with `prot`:
 *   - W and X: EXECMEM (R1: "iff EXECMEM" — nothing else is asked of such a mapping);
 *   - X: every page without execute intent or ever written needs EXECMOD (R2), each distinct source
 *     once, in page order; pages not added yet impose nothing (EAUG later: see docs, holes).
 */
export function d3MapCheck(k: Kernel, pid: number, enclId: number, start: number, end: number, prot: number, h: D3Hooks): number {
  if (!(prot & PROT_EXEC)) return 0;
  if (prot & PROT_WRITE) return h.enclaveMapWx(k, pid);
  const targets: Array<number | null> = [];
  for (const p of enclOf(k, enclId).pagesIn(start, end)) {
    const s = lsmPageState(p);
    if ((!s.intent || s.everW) && !targets.includes(s.srcFile)) targets.push(s.srcFile);
  }
  for (const t of targets) {
    const rc = h.enclaveExecmod(k, pid, t);
    if (rc) return rc;
  }
  return 0;
}

/** D3 (one variant) on the shared driver core. */
export function d3DriverSpec(designKey: string, variant: D3Variant, o: D3Options): LsmCoreSpec {
  return {
    designKey,
    add: { cmd: SGX_IOC_ENCLAVE_ADD_PAGES, layout: SGX_ENCLAVE_ADD_PAGES, count: true },
    init: { cmd: SGX_IOC_ENCLAVE_INIT, layout: SGX_ENCLAVE_INIT, source: 'pointer' },
    create: SGX_IOC_ENCLAVE_CREATE,
    provision: SGX_IOC_ENCLAVE_PROVISION,
    sourceMayExec: o.sourceMayExec,
    eaug: o.sgx2,
    load(k, pid, source, flags) {
      if (variant === 'static') {
        const intent = (flags & BigInt(SGX_PAGE_EXEC_INTENT)) !== 0n;
        return { rc: hooks(k).enclaveLoadStatic(k, pid, source, intent), intent };
      }
      return { rc: 0, intent: hooks(k).enclaveLoadDynamic(k, pid, source) };
    },
    mapCheck: (k, pid, enclId, start, end, prot) => d3MapCheck(k, pid, enclId, start, end, prot, hooks(k)),
  };
}
