// __vdso_sgx_enter_enclave() (arch/x86/entry/vdso/vsgx.S) and the kernel side of enclave page
// faults: an enclave program runs on the hardware model's ENCLU with the task's page tables (its
// VMAs and PTEs) as the address space, and every #PF goes through the kernel's fault path
// (arch/x86/mm/fault.c do_user_addr_fault(): access_error(), then handle_mm_fault() ->
// vm_ops->fault, i.e. the design's sgx_vma_fault()). A fault the driver fixes (a PTE inserted
// after ELDU or EAUG) is retried transparently (the vDSO's AEP is ENCLU itself: ERESUME);
// anything else is reported in struct sgx_enclave_run through the vDSO's exception fixup
// (fixup_vdso_exception(): SIGSEGV and SIGBUS alike), so the selftest asserts (0x7 / 0x8005 /
// 0x8007 / 0x4 / 0x6) come out of the hardware and the driver, not out of a table.
import type { Kernel } from '../../../kernel/kernel.js';
import { userAccess } from '../../../mm/memory.js';
import { vmaIsAccessible } from '../../../mm/vma.js';
import { VM_EXEC, VM_WRITE } from '../../../abi/vm_flags.js';
import { EINVAL } from '../../../abi/errno.js';
import { EncluLeaf, PF_P, PF_SGX, PF_W } from '../../../arch/x86/sgx/arch.js';
import type { AddressSpace, FaultHandler, SgxEnclaveRun, Translation } from '../../../arch/x86/sgx/enclu.js';
import type { EnclaveProgram } from '../../../arch/x86/sgx/program.js';
import { X86_TRAP_UD } from '../../../arch/x86/sgx/cpu.js';
import { enclOf, note, platformMut, runKsgxd } from './epc.js';
import { markYoung } from './fault.js';
import { sgxPlatformId } from './install.js';
import { enclIdOfVma, isSgxVma, ptePresent } from './vma.js';

export interface VdsoEnterRequest {
  /** EENTER or ERESUME (the vDSO refuses other leaves with -EINVAL). */
  readonly leaf: EncluLeaf | 'EENTER' | 'ERESUME';
  /** Linear address of the TCS. */
  readonly tcs: number;
  /** What the enclave code does (EENTER). */
  readonly program?: EnclaveProgram;
  /** Logical processor to run on (default 0). */
  readonly lp?: number;
  /**
   * struct sgx_enclave_run.user_handler: called after the enclave exits (EEXIT or exception);
   * returns 0 / negative (the vDSO returns it) or EENTER/ERESUME to re-enter with that leaf.
   */
  readonly userHandler?: (run: SgxEnclaveRun) => number;
}

/** The vDSO's return value plus struct sgx_enclave_run (function, exception_vector, exception_error_code, exception_addr). */
export interface VdsoEnterResult extends SgxEnclaveRun {
  /** What __vdso_sgx_enter_enclave() returns: 0 when ENCLU was attempted, -EINVAL for a bad leaf, or the handler's value. */
  readonly ret: number;
}

/** The task's page tables as the CPU walks them (4 KiB granularity). */
export function taskAddressSpace(k: Kernel, pid: number): AddressSpace {
  return {
    translate(linaddr: bigint): Translation {
      if (linaddr < 0n || linaddr >= 1n << 47n) return { present: false };
      const addr = Number(linaddr);
      const v = k.mm(pid).vmas.at(addr);
      // A PROT_NONE VMA's PTEs are not present for the CPU (_PAGE_PROTNONE).
      if (!v || !vmaIsAccessible(v)) return { present: false };
      const writable = (v.flags & VM_WRITE) !== 0;
      const executable = (v.flags & VM_EXEC) !== 0;
      if (isSgxVma(v)) {
        if (!ptePresent(k, pid, addr)) return { present: false };
        const id = enclIdOfVma(v);
        const p = id === null ? undefined : enclOf(k, id).page(addr);
        if (id === null || !p || p.epc === null) throw new Error(`invariant: a present enclave PTE at 0x${addr.toString(16)} maps no resident EPC page`);
        markYoung(k, id, addr);
        return { present: true, writable, executable, epcPage: p.epc };
      }
      // Ordinary memory: demand paging of an access the VMA allows is transparent to the enclave
      // (the kernel would fault the page in and the access would retry).
      return { present: true, writable, executable, epcPage: null };
    },
    readRam(linaddr: bigint, length: number): Uint8Array {
      const r = userAccess(k, pid, Number(linaddr), length, 'read', null, true);
      if (!r.ok) throw new Error(`invariant: a translated RAM read at 0x${linaddr.toString(16)} faulted`);
      return r.data!;
    },
    writeRam(linaddr: bigint, data: Uint8Array): void {
      const r = userAccess(k, pid, Number(linaddr), data.length, 'write', data, true);
      if (!r.ok) throw new Error(`invariant: a translated RAM write at 0x${linaddr.toString(16)} faulted`);
    },
  };
}

/**
 * The kernel's #PF handler for faults raised while running enclave code: do_user_addr_fault()
 * -> access_error() (X86_PF_SGX is always an access error; writes need VM_WRITE; present read /
 * fetch faults are errors; the VMA must be accessible) -> handle_mm_fault() -> the design's
 * sgx_vma_fault(). 'retry' when the fault was fixed (or the EPC was momentarily exhausted and
 * ksgxd ran), 'deliver' when user space gets the exception.
 */
export function enclaveFaultHandler(k: Kernel, pid: number): FaultHandler {
  return (f) => {
    const addr = Number(f.address);
    const v = k.mm(pid).vmas.at(addr);
    if (!v) return 'deliver';
    if (f.errorCode & PF_SGX) return 'deliver';
    if (f.errorCode & PF_W) {
      if (!(v.flags & VM_WRITE)) return 'deliver';
    } else if (f.errorCode & PF_P) {
      return 'deliver';
    } else if (!vmaIsAccessible(v)) {
      return 'deliver';
    }
    if (!isSgxVma(v)) return 'retry';
    const r = v.ops.sgxFault(k, pid, v, addr - (addr % 4096));
    if (r !== 'nopage') return 'deliver';
    if (!ptePresent(k, pid, addr)) {
      const id = enclIdOfVma(v);
      if (id !== null) runKsgxd(k, enclOf(k, id).platform);
    }
    return 'retry';
  };
}

function leafOf(l: VdsoEnterRequest['leaf']): number {
  if (l === 'EENTER') return EncluLeaf.EENTER;
  if (l === 'ERESUME') return EncluLeaf.ERESUME;
  return l;
}

/**
 * One call of __vdso_sgx_enter_enclave(leaf, tcs, run) by task `pid`. The SGX platform is the one
 * the TCS's enclave VMA belongs to (else the installed driver's).
 */
export function vdsoSgxEnterEnclave(k: Kernel, pid: number, req: VdsoEnterRequest): VdsoEnterResult {
  let leaf = leafOf(req.leaf);
  const empty = { function: leaf as EncluLeaf, exceptionVector: 0, exceptionErrorCode: 0, exceptionAddr: 0n, results: [], reason: '' };
  if (leaf !== EncluLeaf.EENTER && leaf !== EncluLeaf.ERESUME) return { ...empty, ret: -EINVAL };
  const v = k.mm(pid).vmas.at(req.tcs);
  let platId: number | null = null;
  if (isSgxVma(v) && enclIdOfVma(v) !== null) platId = enclOf(k, enclIdOfVma(v)!).platform;
  platId ??= sgxPlatformId(k);
  if (platId === null) {
    // No SGX: ENCLU is #UD (the vDSO's fixup reports it like any exception).
    return { ...empty, exceptionVector: X86_TRAP_UD, reason: 'ENCLU without SGX', ret: 0 };
  }
  const mm = taskAddressSpace(k, pid);
  const onFault = enclaveFaultHandler(k, pid);
  for (let rounds = 0; ; rounds++) {
    if (rounds > 1000) throw new Error('invariant: the vDSO user handler keeps re-entering');
    const run = platformMut(k, platId).hw.run({ leaf: leaf as EncluLeaf.EENTER | EncluLeaf.ERESUME, tcs: BigInt(req.tcs), program: req.program, mm, onFault, lp: req.lp });
    runKsgxd(k, platId);
    if (k.trace.enabled) {
      note(k, pid, `vdso: ${EncluLeaf[leaf]} tcs=0x${req.tcs.toString(16)} -> ${EncluLeaf[run.function]}`, {
        vector: run.exceptionVector,
        error_code: `0x${run.exceptionErrorCode.toString(16)}`,
        addr: `0x${run.exceptionAddr.toString(16)}`,
      });
    }
    if (!req.userHandler) return { ...run, ret: 0 };
    const h = req.userHandler(run);
    if (h <= 0) return { ...run, ret: h };
    if (h !== EncluLeaf.EENTER && h !== EncluLeaf.ERESUME) return { ...run, ret: -EINVAL };
    leaf = h;
  }
}
