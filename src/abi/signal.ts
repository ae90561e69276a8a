// Signals and si_code values the mm produces (include/uapi/asm-generic/signal.h, siginfo.h),
// and the x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h enum x86_pf_error_code).

export const SIGBUS = 7;
export const SIGSEGV = 11;

export type SignalName = 'SIGSEGV' | 'SIGBUS';

export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const SEGV_BNDERR = 3;
export const SEGV_PKUERR = 4;

export const BUS_ADRALN = 1;
export const BUS_ADRERR = 2;
export const BUS_OBJERR = 3;

export const X86_PF_PROT = 1 << 0;
export const X86_PF_WRITE = 1 << 1;
export const X86_PF_USER = 1 << 2;
export const X86_PF_RSVD = 1 << 3;
export const X86_PF_INSTR = 1 << 4;
export const X86_PF_PK = 1 << 5;
export const X86_PF_SHSTK = 1 << 6;
export const X86_PF_SGX = 1 << 15;

export function siCodeName(signal: SignalName, code: number): string {
  if (signal === 'SIGSEGV') return ['?', 'SEGV_MAPERR', 'SEGV_ACCERR', 'SEGV_BNDERR', 'SEGV_PKUERR'][code] ?? String(code);
  return ['?', 'BUS_ADRALN', 'BUS_ADRERR', 'BUS_OBJERR'][code] ?? String(code);
}
