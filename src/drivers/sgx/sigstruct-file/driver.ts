// D2 `sigstruct-file`: Andy Lutomirski's proposal of 2019-05-15 (designs-spec §3):
//   - 11:27 PDT, CALCETrXf8mSK45h7sTK5Wf+pXLVn=Bjsc_RLpgO-h-qdzBRo5Q@mail.gmail.com ("SGX vs LSM"):
//     "The SGX inode could track, for each page, a 'safe-to-execute' bit. When you first open
//     /dev/sgx/enclave, you get a blank enclave and all pages are safe-to-execute. When you do the
//     ioctl to load context ..., the kernel will check whether the *source* VMA is executable and,
//     if not, mark the page of the enclave being loaded as unsafe. Once the enclave is initialized,
//     the driver will clear the safe-to-execute bit for any page that is successfully mapped
//     writably." Policy: "you can map an enclave page RX if the page is safe-to-execute, you can
//     map any page you want for write if there are no executable mappings, and you can only map a
//     page for write and execute simultaneously if you can EXECMOD permission." And: "To initialize
//     an enclave, a program will pass an fd to [the .sigstruct] file, and a new LSM hook can be
//     called to allow or disallow the operation ... policy could require the .sigstruct file to be
//     labeled with a type like sgx_sigstruct_t".
//   - 16:13 PDT, CALCETrX2ovRx3Rre+1_xC-q6CiybyLjQ-gmB4FZF_qCZ-Qd+4A@mail.gmail.com (the loader
//     sketch): "mmap(enclave_fd RWX section ...) This should fail unless EXECMOD is available, I
//     think"; "if the .enclave file isn't mapped PROT_EXEC, then mmapping the RX section will also
//     require EXECMEM or EXECMOD".
// The rules below apply those sentences to every mapping of the enclave (sgx_mmap() and
// vm_ops->may_mprotect); the OPEN CHOICES they need are marked and listed in docs/designs.md §D2.
import type { Kernel } from '../../../kernel/kernel.js';
import { PROT_EXEC, PROT_WRITE } from '../../../abi/mman.js';
import { VM_EXEC, VM_WRITE } from '../../../abi/vm_flags.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { enclOf } from '../common/epc.js';
import { selectHooks, type DesignAvc } from '../common/lsm.js';
import { lsmPageState, type LsmCoreSpec } from './core.js';
import { D2_ENCLAVE_ADD_PAGES, D2_ENCLAVE_INIT, D2_IOC_ENCLAVE_ADD_PAGES, D2_IOC_ENCLAVE_CREATE, D2_IOC_ENCLAVE_INIT, D2_IOC_ENCLAVE_SET_ATTRIBUTE } from './uapi.js';

/** InstallOptions.driver of D2. */
export interface D2Options {
  /** Refuse sources without VM_MAYEXEC (-EACCES), mainline's "Deny noexec." (not in Andy's mails; default off). */
  readonly sourceMayExec: boolean;
  /**
   * The permission security_enclave_init() checks on the SIGSTRUCT file (OPEN CHOICE: Andy names
   * none): 'execute' (default; the permission Cedric Xing's v3 SELinux patch checks on the SIGSTRUCT
   * file for the same purpose, 3a9efc8d3c27490dbcfe802ce3facddd62f47872.1562542383.git.cedric.xing@intel.com)
   * or 'read' (the built-in policies' reading of the idea: sgx_sigstruct_t is read-only to loaders).
   */
  readonly initPerm: 'execute' | 'read';
}

export const D2_DEFAULT_OPTIONS: D2Options = Object.freeze({ sourceMayExec: false, initPerm: 'execute' });

/** InstallOptions.driver for D2: every key optional; an unknown key or value is a one-line error. */
export function d2Options(given: Readonly<Record<string, unknown>> | undefined): D2Options {
  if (!given) return D2_DEFAULT_OPTIONS;
  const out: { sourceMayExec: boolean; initPerm: D2Options['initPerm'] } = { ...D2_DEFAULT_OPTIONS };
  for (const [key, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (key === 'sourceMayExec') {
      if (typeof v !== 'boolean') throw new Error('driver option sourceMayExec: expected true or false');
      out.sourceMayExec = v;
    } else if (key === 'initPerm') {
      if (v !== 'execute' && v !== 'read') throw new Error(`driver option initPerm: '${String(v)}' is not one of execute, read`);
      out.initPerm = v;
    } else {
      throw new Error(`unknown driver option '${key}' (D2 options: sourceMayExec, initPerm)`);
    }
  }
  return Object.freeze(out);
}

// ------------------------------------------------------------------ the LSM hooks

/** D2's LSM hooks (OPEN CHOICE signatures: Andy describes what the LSM decides, not the C interface). */
export interface D2Hooks {
  /** int security_enclave_init(struct file *sigstruct_file): may this SIGSTRUCT launch an enclave? */
  enclaveInit(k: Kernel, pid: number, sigstructFile: number): number;
  /**
   * int security_enclave_execmod(struct file *source): a mapping would make enclave pages
   * executable that are not safe to execute, or writable and executable at once; `source` is the
   * file the pages were loaded from, or null (anonymous memory, a private inode, no page yet).
   */
  enclaveExecmod(k: Kernel, pid: number, source: number | null): number;
}

/** No LSM (or one without the hooks): everything allowed. */
export const D2_NO_LSM: D2Hooks = { enclaveInit: () => 0, enclaveExecmod: () => 0 };

/** The SELinux side (OPEN CHOICE: the checks Andy's sentences name, in SELinux's terms). */
export function d2Selinux(avc: DesignAvc, initPerm: D2Options['initPerm']): D2Hooks {
  const fileClass = (k: Kernel, fileId: number): string => k.lsmInode(k.file(fileId).inode).inodeClass;
  return {
    // "policy could require the .sigstruct file to be labeled with a type like sgx_sigstruct_t":
    // file_has_perm(cred, sigstruct_file, FILE__EXECUTE) (or FILE__READ with initPerm 'read').
    enclaveInit: (k, pid, f) => avc.check(k, pid, 'enclave_init', 'selinux_enclave_init', { kind: 'file', fileId: f }, fileClass(k, f), [initPerm]),
    // EXECMOD on the file the page came from (file_has_perm(cred, source, FILE__EXECMOD)); pages
    // without a file (anonymous, private inode, holes): EXECMEM (avc_has_perm(sid, sid, PROCESS__EXECMEM)),
    // as file_map_prot_check() asks for anonymous executable memory.
    enclaveExecmod: (k, pid, f) =>
      f !== null
        ? avc.check(k, pid, 'enclave_map', 'selinux_enclave_execmod', { kind: 'file', fileId: f }, fileClass(k, f), ['execmod'])
        : avc.check(k, pid, 'enclave_map', 'selinux_enclave_execmod', { kind: 'self' }, 'process', ['execmem']),
  };
}

function hooks(k: Kernel, o: D2Options): D2Hooks {
  return selectHooks(k, { none: D2_NO_LSM, selinux: (avc) => d2Selinux(avc, o.initPerm) });
}

// ------------------------------------------------------------------ the mapping rule

/**
 * Andy's policy on a mapping of [start, end) with `prot`, page by page; each distinct source
 * (file, or none) that needs it is asked once, in page order:
 *   - W and X together: "you can only map a page for write and execute simultaneously if you [have]
 *     EXECMOD" — every page; a range with no page yet counts as no file (OPEN CHOICE: EXECMEM);
 *   - X: a page that is not safe to execute (its source VMA was not executable, or it has been
 *     writable since INIT) — "mmapping the RX section will also require EXECMEM or EXECMOD" — and a
 *     page another live mapping maps writable (W and X at once, through two mappings);
 *   - W: a page another live mapping maps executable ("you can map any page you want for write if
 *     there are no executable mappings"; OPEN CHOICE: otherwise EXECMOD, as W+X).
 * Pages added later under an existing mapping are not re-checked (Andy checks at map time).
 */
export function d2MapCheck(k: Kernel, pid: number, enclId: number, start: number, end: number, prot: number, other: (flag: number) => ReadonlySet<number>, h: D2Hooks): number {
  const x = (prot & PROT_EXEC) !== 0;
  const w = (prot & PROT_WRITE) !== 0;
  if (!x && !w) return 0;
  const pages = enclOf(k, enclId).pagesIn(start, end);
  const targets: Array<number | null> = [];
  const need = (t: number | null): void => {
    if (!targets.includes(t)) targets.push(t);
  };
  if (x && w) {
    for (const p of pages) need(lsmPageState(p).srcFile);
    if (pages.length < (end - start) / PAGE_SIZE) need(null);
  } else if (x) {
    const writable = other(VM_WRITE);
    for (const p of pages) {
      const s = lsmPageState(p);
      const safe = s.srcExec && !s.everW;
      if (!safe || writable.has(p.addr)) need(s.srcFile);
    }
  } else {
    const executable = other(VM_EXEC);
    for (const p of pages) if (executable.has(p.addr)) need(lsmPageState(p).srcFile);
  }
  for (const t of targets) {
    const rc = h.enclaveExecmod(k, pid, t);
    if (rc) return rc;
  }
  return 0;
}

/** D2 on the shared driver core. */
export function d2DriverSpec(designKey: string, o: D2Options): LsmCoreSpec {
  return {
    designKey,
    add: { cmd: D2_IOC_ENCLAVE_ADD_PAGES, layout: D2_ENCLAVE_ADD_PAGES, count: false },
    init: { cmd: D2_IOC_ENCLAVE_INIT, layout: D2_ENCLAVE_INIT, source: 'fd' },
    create: D2_IOC_ENCLAVE_CREATE,
    provision: D2_IOC_ENCLAVE_SET_ATTRIBUTE,
    sourceMayExec: o.sourceMayExec,
    eaug: false,
    // No hook at load: the driver only records whether the source VMA is executable (core.ts).
    load: () => ({ rc: 0, intent: false }),
    // "Here's where LSMs get to check that the sigstruct is acceptable."
    initHook: (k, pid, f) => (f === null ? 0 : hooks(k, o).enclaveInit(k, pid, f)),
    mapCheck: (k, pid, enclId, start, end, prot, other) => d2MapCheck(k, pid, enclId, start, end, prot, other, hooks(k, o)),
  };
}
