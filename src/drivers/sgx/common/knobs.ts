// Knobs that put the model in states a real kernel reaches only through concurrency, so the
// shared suite can test the driver's answers to them:
//   - a signal arriving while a task is inside an SGX ioctl (signal_pending() -> -ERESTARTSYS
//     before the first page, partial `count` after some pages, EPC allocation interrupted);
//   - another thread of the process inside an ioctl on the same enclave (SGX_ENCL_IOCTL -> -EBUSY);
//   - the reclaimer holding a page (SGX_ENCL_PAGE_BEING_RECLAIMED -> -EBUSY/-EAGAIN).
import type { Kernel } from '../../../kernel/kernel.js';
import { SGX_ENCL_IOCTL } from './encl.js';
import { enclMut, enclOf, platformMut } from './epc.js';
import type { SgxEncl } from './encl.js';

/** The enclave object id behind pid's fd (file->private_data), or null. */
export function enclIdOfFd(k: Kernel, pid: number, fd: number): number | null {
  const f = k.fdFile(pid, fd);
  if (!f || typeof f.privateData !== 'number') return null;
  const o = k.objects.get(f.privateData);
  return o && (o as unknown as Partial<SgxEncl>).mmList !== undefined ? f.privateData : null;
}

function requireEncl(k: Kernel, pid: number, fd: number): number {
  const id = enclIdOfFd(k, pid, fd);
  if (id === null) throw new Error(`pid ${pid} fd ${fd} is not an SGX enclave file`);
  return id;
}

/**
 * Make a signal arrive for `pid` at its (after + 1)-th signal_pending() check from now (0: the
 * next check sees it). Once seen it stays pending until that syscall returns and the driver
 * delivers it on the way out to user mode.
 */
export function setSignalPending(k: Kernel, pid: number, platformId: number, after = 0): void {
  platformMut(k, platformId).signals.set(pid, { after });
}

/** Pretend another thread is inside an ioctl on the enclave behind pid's fd (SGX_ENCL_IOCTL set) or has left it. */
export function setConcurrentIoctl(k: Kernel, pid: number, fd: number, busy: boolean): void {
  const e = enclMut(k, requireEncl(k, pid, fd));
  e.flags = busy ? e.flags | SGX_ENCL_IOCTL : e.flags & ~SGX_ENCL_IOCTL;
}

/**
 * Pretend the reclaimer took the page at addr off the active list and marked it
 * SGX_ENCL_PAGE_BEING_RECLAIMED (sgx_reclaim_pages() between its age and write passes).
 * Returns false if the page is not resident or not on the active list.
 */
export function holdForReclaim(k: Kernel, pid: number, fd: number, addr: number): boolean {
  const id = requireEncl(k, pid, fd);
  const p = enclOf(k, id).page(addr);
  if (!p || p.epc === null) return false;
  if (!platformMut(k, enclOf(k, id).platform).isolate(p.epc)) return false;
  enclMut(k, id).updatePage(addr, { beingReclaimed: true });
  return true;
}

/** Undo holdForReclaim(): the reclaimer "skipped" the page (back on the active list). */
export function releaseReclaimHold(k: Kernel, pid: number, fd: number, addr: number): void {
  const id = requireEncl(k, pid, fd);
  const p = enclOf(k, id).page(addr);
  if (!p || p.epc === null) return;
  enclMut(k, id).updatePage(addr, { beingReclaimed: false });
  const plat = platformMut(k, enclOf(k, id).platform);
  if (plat.isIsolated(p.epc)) plat.putBack(p.epc);
}
