// Turning an enclave manifest (src/enclave) into what a loader finds on disk: an image file in the
// simulated filesystem holding every file-backed page's source bytes at file offset = enclave
// offset (an ELF's PT_LOAD contents, flattened), and a SIGSTRUCT for the manifest, measured in
// software (src/enclave/measure.ts) and signed with the loaders' fixed test key. The measuring
// and signing is the build step (sgx_sign / gramine-sgx-sign), not a syscall.
//
// "Heap-like" segments (not measured, zero contents: the reference enclave's heap, the selftest's
// heap) are not in the file: every loader takes them from anonymous memory.
import type { Kernel } from '../../../kernel/kernel.js';
import type { Crypto } from '../../../platform/crypto.js';
import { PAGE_SIZE } from '../../../abi/page.js';
import { SGX_ATTR_DEBUG } from '../../../arch/x86/sgx/arch.js';
import { newSigstruct, signSigstruct, type SigstructBody } from '../../../arch/x86/sgx/sigstruct.js';
import { sgxKeyProblem } from '../../../arch/x86/sgx/keys.js';
import { type ContentReader } from '../../../enclave/content.js';
import { layoutPages, readPage } from '../../../enclave/layout.js';
import type { EnclaveManifest, ManifestSegment } from '../../../enclave/manifest.js';
import { measureManifest } from '../../../enclave/measure.js';
import { fileContextFor } from '../../../security/selinux/builtin.js';
import { TEST_SIGNING_KEY_PEM } from './test-key.js';

const U64 = (1n << 64n) - 1n;

/**
 * Where the loaders find a packaged enclave unless told otherwise: with the libraries, where a
 * package installs a (signed enclave) shared object. The built-in file contexts label it lib_t
 * (`/(usr/)?lib(64)?(/.*)?`), which the confined loader domain may read, map and execute; /usr is
 * usr_t, searchable by every domain. Model choice (the name is ours): docs/policies.md "Where the
 * enclave lives".
 */
export const DEFAULT_IMAGE_DIR = '/usr/lib/sgxsim';
/**
 * The user's home directory (user_home_t under the built-in file contexts), where the built-in
 * policies never let sgx_loader_t execute: the case `--image-dir` shows.
 */
export const HOME_IMAGE_DIR = '/home/user/enclave';
/** DATE the loaders' SIGSTRUCTs carry unless the manifest sets one (deterministic, unlike sgxs-sign's "today"). */
export const DEFAULT_SIGSTRUCT_DATE = 0x20240101;

/** A segment loaders take from anonymous memory instead of the image file. */
export function isHeapLike(s: ManifestSegment): boolean {
  return !s.measured && s.contents.kind === 'zero';
}

/** What a loader needs to load one enclave. */
export interface EnclaveImage {
  readonly manifest: EnclaveManifest;
  /** The image file in the simulated filesystem (file offset = enclave offset). */
  readonly imagePath: string;
  /** Bytes of the image file (end of the last file-backed segment). */
  readonly imageSize: number;
  /** The 1808-byte SIGSTRUCT. */
  readonly sigstruct: Uint8Array;
  /** The SIGSTRUCT written next to the image (Gramine reads it from there). */
  readonly sigstructPath: string;
  readonly mrenclave: Uint8Array;
}

export interface PrepareOptions {
  /** Directory for the files (created with mkdir -p); default DEFAULT_IMAGE_DIR (/usr/lib/sgxsim). */
  readonly dir?: string;
  /** Base name of the files; default: the manifest file's name without its extension. */
  readonly name?: string;
  /** PEM of the signing key (RSA-3072, e = 3); default the loaders' test key. */
  readonly keyPem?: string;
  /** Label the files (security.selinux) from the built-in file contexts (default true). */
  readonly label?: boolean;
}

/** The SIGSTRUCT body for a manifest, with sgxs-sign's defaults for what the manifest leaves open (docs/manifest-format.md). */
export function manifestSigstructBody(m: EnclaveManifest, mrenclave: Uint8Array): SigstructBody {
  const sg = m.signing;
  return {
    vendor: sg.vendor ?? 0,
    date: sg.date ?? DEFAULT_SIGSTRUCT_DATE,
    swdefined: sg.swdefined ?? 0,
    miscselect: m.miscselect,
    miscmask: sg.miscmask ?? 0xffff_ffff,
    attributes: m.attributes,
    attributesMask: sg.attributesMask ?? (~SGX_ATTR_DEBUG & U64),
    xfrm: m.xfrm,
    xfrmMask: sg.xfrmMask ?? (~3n & U64),
    enclaveHash: mrenclave,
    isvProdId: m.isvProdId,
    isvSvn: m.isvSvn,
  };
}

/** Measure a manifest and sign it; returns the SIGSTRUCT and MRENCLAVE. */
export function signManifest(m: EnclaveManifest, reader: ContentReader, crypto: Crypto, keyPem = TEST_SIGNING_KEY_PEM): { sigstruct: Uint8Array; mrenclave: Uint8Array } {
  const { mrenclave } = measureManifest(m, reader, crypto);
  const key = crypto.importPrivateKeyPem(keyPem);
  const problem = sgxKeyProblem(key);
  if (problem) throw new Error(`signing key: ${problem}`);
  return { sigstruct: signSigstruct(newSigstruct(manifestSigstructBody(m, mrenclave)), key, crypto), mrenclave };
}

function baseName(file: string): string {
  const b = file.slice(file.lastIndexOf('/') + 1);
  const dot = b.lastIndexOf('.');
  return dot > 0 ? b.slice(0, dot) : b;
}

function mkdirs(k: Kernel, dir: string, label: boolean): void {
  const parts = dir.split('/').filter(Boolean);
  let cur = '';
  for (const p of parts) {
    cur += '/' + p;
    if (k.fs.lookup(cur) === null) k.fs.mkdir(cur, label ? { label: fileContextFor(cur, '-d') } : {});
  }
}

/**
 * Write the image file and the SIGSTRUCT file into the kernel's filesystem (a setup step, not
 * syscalls) and return what the loaders need. `reader` supplies the manifest's content files.
 */
export function prepareEnclaveImage(k: Kernel, m: EnclaveManifest, reader: ContentReader, crypto: Crypto, opts: PrepareOptions = {}): EnclaveImage {
  const given = opts.dir ?? DEFAULT_IMAGE_DIR;
  if (!given.startsWith('/')) throw new Error(`enclave image directory must be an absolute path (got '${given}')`);
  const dir = given.replace(/\/+$/, ''); // '/' -> '': the files go to /NAME.img
  const name = opts.name ?? baseName(m.file);
  const label = opts.label ?? true;
  const { sigstruct, mrenclave } = signManifest(m, reader, crypto, opts.keyPem);
  let end = 0;
  for (const s of m.segments) if (!isHeapLike(s)) end = Math.max(end, Number(s.offset + s.size));
  const data = new Uint8Array(end);
  const page = new Uint8Array(PAGE_SIZE);
  for (const p of layoutPages(m, (path) => reader.size(path))) {
    if (isHeapLike(p.segment)) continue;
    readPage(p, reader, page);
    data.set(page, Number(p.offset));
  }
  mkdirs(k, dir, label);
  const imagePath = `${dir}/${name}.img`;
  const sigstructPath = `${dir}/${name}.sig`;
  k.fs.createFile(imagePath, { data, label: label ? fileContextFor(imagePath, '--') : undefined });
  k.fs.createFile(sigstructPath, { data: sigstruct, label: label ? fileContextFor(sigstructPath, '--') : undefined });
  return { manifest: m, imagePath, imageSize: end, sigstruct, sigstructPath, mrenclave };
}
