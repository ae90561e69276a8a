// x86-64 page and address-space geometry (arch/x86/include/asm/page_types.h, page_64_types.h,
// processor.h) for 4-level paging.

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const PAGE_MASK = -PAGE_SIZE; // as in C: ~(PAGE_SIZE-1), used with JS numbers via pageDown()
/** TASK_SIZE_MAX = (1 << 47) - PAGE_SIZE (the "guard hole" page below the canonical boundary). */
export const TASK_SIZE = 2 ** 47 - PAGE_SIZE;
/** DEFAULT_MAP_WINDOW = (1 << 47) - PAGE_SIZE with 4-level paging. */
export const DEFAULT_MAP_WINDOW = TASK_SIZE;
/** stack_guard_gap default: 256 pages (mm/mmap.c). */
export const STACK_GUARD_GAP = 256 << PAGE_SHIFT;

export function pageDown(addr: number): number {
  return addr - (addr % PAGE_SIZE);
}
/** PAGE_ALIGN(): round up to the next page boundary (no 64-bit wrap: callers check overflow). */
export function pageUp(addr: number): number {
  const r = addr % PAGE_SIZE;
  return r === 0 ? addr : addr + (PAGE_SIZE - r);
}
export function offsetInPage(addr: number): number {
  return addr % PAGE_SIZE;
}
