// The steps every loader flow shares, whichever design it runs on: the bookkeeping of a run (the
// enclave fd, ELRANGE's base, the LoadResult with each segment's address and the TCS pages), the
// SECS for the manifest at the chosen base, mapping the image (and anonymous memory for heap-like
// segments) as the sources of the ADDs, and the ADD of a segment re-issued after a signal. Each
// flow keeps its own order of system calls and its own messages (the loader's perror() text), which
// the steps take as parameters.
import { EINTR, ERESTARTSYS, errnoName, isErr } from '../../../abi/errno.js';
import { O_RDONLY } from '../../../abi/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { secsBytes } from '../../../arch/x86/sgx/encls.js';
import type { ManifestSegment } from '../../../enclave/manifest.js';
import type { UserProcess } from '../../../userspace/process.js';
import type { DesignAdapter, LoaderKind, SgxDesign } from '../design.js';
import { isHeapLike, type EnclaveImage } from './image.js';
import type { LoadResult } from './types.js';

/** The PROT_* a loader maps a segment with: TCS RW (the driver's TCS maximum), else its SECINFO R/W/X. */
export function segmentProt(s: ManifestSegment): number {
  if (s.type === 'TCS') return PROT_READ | PROT_WRITE;
  return Number(s.perms & 7n);
}

/** A return value as a loader prints it: the errno's name, else the number. */
export function retText(ret: number): string {
  return isErr(ret) ? errnoName(ret) : String(ret);
}

/** A failing step: what the loader was doing and the kernel's return value. */
export interface StepFailure {
  readonly what: string;
  readonly ret: number;
}

/** One run of a loader flow: the enclave fd and ELRANGE's base as the flow sets them, and its result. */
export class LoaderRun {
  fd = -1;
  base = 0;
  readonly size: number;
  constructor(
    readonly kind: LoaderKind,
    readonly design: SgxDesign,
    readonly img: EnclaveImage,
    /** The protection each segment ends up mapped with (default segmentProt()). */
    private readonly protOf: (s: ManifestSegment) => number = segmentProt,
  ) {
    this.size = Number(img.manifest.size);
  }

  /** The LoadResult: each segment at base + offset with its protection, and the TCS pages. */
  result(ok: boolean, error?: string): LoadResult {
    const segments = this.img.manifest.segments.map((s) => ({
      name: s.name,
      offset: Number(s.offset),
      addr: this.base + Number(s.offset),
      size: Number(s.size),
      prot: this.protOf(s),
      type: s.type,
      measured: s.measured,
    }));
    const tcs: number[] = [];
    for (const s of segments) if (s.type === 'TCS') for (let o = 0; o < s.size; o += PAGE_SIZE) tcs.push(s.addr + o);
    return { loader: this.kind, design: this.design.key, ok, error, fd: this.fd, base: this.base, size: this.size, tcs, segments };
  }

  /** A failed result: `what: <errno or value>` (or as `describe` prints the value). */
  fail(what: string, ret: number, describe: (ret: number) => string = retText): LoadResult {
    return this.result(false, `${what}: ${describe(ret)}`);
  }

  /** The SECS for the manifest with SECS.BASE = the run's base. */
  secs(): Uint8Array {
    const m = this.img.manifest;
    return secsBytes({ size: m.size, base: BigInt(this.base), ssaFrameSize: m.ssaFrameSize, miscselect: m.miscselect, attributes: m.attributes, xfrm: m.xfrm });
  }
}

/** How a loader maps the sources of its ADDs. */
export interface SourcePlan {
  /**
   * 'whole': the image mapped once, MAP_PRIVATE with `prot`, each file-backed segment at its
   * offset in it; 'segments': each file-backed segment mapped on its own at its file offset,
   * MAP_PRIVATE with `prot(s)`.
   */
  readonly map: { readonly kind: 'whole'; readonly prot: number } | { readonly kind: 'segments'; readonly prot: (s: ManifestSegment) => number };
  /**
   * When heap-like segments get their anonymous RW memory: 'after' the image fd is closed, in
   * segment order (load.c, D0, D2, D3), or 'interleaved' with the file mappings while it is open
   * (D1, D6).
   */
  readonly heaps: 'after' | 'interleaved';
  /** 'whole' only: copy every file-backed segment into anonymous RW memory the process writes (a loader that builds its enclave in memory). */
  readonly copy?: boolean;
  /** The loader's messages for a failing open(), mmap() of the image or of a segment, heap or copy buffer. */
  readonly say: {
    readonly open: string;
    readonly map: (s: ManifestSegment | null) => string;
    readonly heap: (s: ManifestSegment) => string;
    readonly copy?: (s: ManifestSegment) => string;
  };
}

/** Open the image, map the sources as `plan` says, close the image: the source address of every segment, or the failing step. */
export function mapSources(p: UserProcess, img: EnclaveImage, plan: SourcePlan): Map<string, number> | StepFailure {
  const m = img.manifest;
  const srcs = new Map<string, number>();
  const anon = (len: number): number => p.mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const heaps = (): StepFailure | null => {
    for (const s of m.segments) {
      if (!isHeapLike(s)) continue;
      const heap = anon(Number(s.size));
      if (isErr(heap)) return { what: plan.say.heap(s), ret: heap };
      srcs.set(s.name, heap);
    }
    return null;
  };
  const imgfd = p.open(img.imagePath, O_RDONLY);
  if (isErr(imgfd)) return { what: plan.say.open, ret: imgfd };
  if (plan.map.kind === 'whole') {
    const bin = p.mmap(0, img.imageSize, plan.map.prot, MAP_PRIVATE, imgfd, 0);
    if (isErr(bin)) return { what: plan.say.map(null), ret: bin };
    p.close(imgfd);
    for (const s of m.segments) {
      if (isHeapLike(s)) {
        const heap = anon(Number(s.size));
        if (isErr(heap)) return { what: plan.say.heap(s), ret: heap };
        srcs.set(s.name, heap);
      } else if (plan.copy) {
        const buf = anon(Number(s.size));
        if (isErr(buf)) return { what: (plan.say.copy ?? plan.say.heap)(s), ret: buf };
        p.store(buf, p.load(bin + Number(s.offset), Number(s.size)));
        srcs.set(s.name, buf);
      } else {
        srcs.set(s.name, bin + Number(s.offset));
      }
    }
    return srcs;
  }
  for (const s of m.segments) {
    const len = Number(s.size);
    if (isHeapLike(s)) {
      if (plan.heaps === 'after') continue;
      const heap = anon(len);
      if (isErr(heap)) return { what: plan.say.heap(s), ret: heap };
      srcs.set(s.name, heap);
      continue;
    }
    const src = p.mmap(0, len, plan.map.prot(s), MAP_PRIVATE, imgfd, Number(s.offset));
    if (isErr(src)) return { what: plan.say.map(s), ret: src };
    srcs.set(s.name, src);
  }
  p.close(imgfd);
  const h = plan.heaps === 'after' ? heaps() : null;
  return h ?? srcs;
}

/** After INIT: each segment mapped MAP_SHARED|MAP_FIXED from the enclave fd with its own protection (TCS: RW), as setup_test_encl() does. null, or the failing step. */
export function mapSegments(a: DesignAdapter, p: UserProcess, run: LoaderRun): StepFailure | null {
  for (const s of run.img.manifest.segments) {
    const v = a.map(p, run.fd, run.base + Number(s.offset), Number(s.size), segmentProt(s), MAP_SHARED | MAP_FIXED);
    if (isErr(v)) return { what: `mmap(${s.name})`, ret: v };
  }
  return null;
}

/** How a loader re-issues an ADD. */
export interface AddRetry {
  /** The ioctl's name in the loader's messages. */
  readonly name: string;
  /** The value reported when the calls make no progress (a guard: every call adds a page or fails). */
  readonly stall: number;
}

/**
 * ADD one segment from `src`, re-issued with what is left while a signal interrupts it (-EINTR /
 * -ERESTARTSYS), advanced by the bytes the design reports added (`count`). null, or the failing step.
 */
export function addSegment(a: DesignAdapter, p: UserProcess, fd: number, s: ManifestSegment, src: number, retry: AddRetry): StepFailure | null {
  let off = Number(s.offset);
  let from = src;
  let left = Number(s.size);
  for (let guard = 0; left > 0; guard++) {
    if (guard > left / PAGE_SIZE + 16) return { what: `${retry.name} made no progress (${s.name})`, ret: retry.stall };
    const r = a.addPages(p, fd, { offset: off, src: from, length: left, type: s.type, perms: Number(s.perms), measure: s.measured });
    if (r.ret < 0 && !isSignalled(r.ret)) return { what: `${retry.name} (${s.name})`, ret: r.ret };
    const done = r.count ?? 0;
    off += done;
    from += done;
    left -= done;
  }
  return null;
}

/** -EINTR or -ERESTARTSYS: a signal interrupted the call. */
function isSignalled(ret: number): boolean {
  return ret === -EINTR || ret === -ERESTARTSYS;
}
