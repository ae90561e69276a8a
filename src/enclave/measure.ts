// MRENCLAVE of a manifest's image, streamed page by page (never materialising the enclave):
// ECREATE(ssa_frame_size, size), then per page in load order EADD and, for measured pages,
// EEXTEND of all 16 chunks of the bytes as EADD stored them (TCS fixup applied).
import type { Crypto } from '../platform/crypto.js';
import { Mrenclave, type MrenclaveObservers } from '../arch/x86/sgx/measure.js';
import type { ContentReader } from './content.js';
import { PAGE_SIZE } from '../arch/x86/sgx/arch.js';
import { checkFiles, segmentPageFiller } from './layout.js';
import type { EnclaveManifest } from './manifest.js';

export interface ManifestMeasurement {
  readonly mrenclave: Uint8Array;
  readonly pages: number;
  readonly measuredPages: number;
  /** SHA-256 blocks absorbed (the SDM's update counter). */
  readonly updateCount: number;
}

/**
 * Measure the image. Throws an Error whose message lists file problems (one per line) if a
 * file-backed segment's file is missing or too short.
 */
export function measureManifest(
  m: EnclaveManifest,
  reader: ContentReader,
  crypto: Crypto,
  observers?: MrenclaveObservers,
): ManifestMeasurement {
  const problems = checkFiles(m, reader);
  if (problems.length) throw new Error(problems.join('\n'));
  const mr = new Mrenclave(crypto, observers);
  mr.ecreate(m.ssaFrameSize, m.size);
  let pages = 0;
  let measuredPages = 0;
  // Segments are sorted by offset, so this is the load order; each segment is one run of pages.
  for (const seg of m.segments) {
    const count = Number(seg.size / BigInt(PAGE_SIZE));
    pages += count;
    if (seg.measured) {
      measuredPages += count;
      const fileSize = seg.contents.kind === 'file' ? reader.size(seg.contents.path) : 0;
      mr.addPages(seg.offset, count, seg.secinfoFlags, segmentPageFiller(seg, reader, fileSize));
    } else {
      mr.addPages(seg.offset, count, seg.secinfoFlags);
    }
  }
  return { mrenclave: mr.finalize(), pages, measuredPages, updateCount: mr.updateCount };
}
