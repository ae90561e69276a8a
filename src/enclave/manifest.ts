// The YAML enclave manifest (docs/manifest-format.md): what an enclave image is made of: the
// SECS fields, the signing inputs and the segments, with where each page's contents come from.
//
// Parsing is pure: the caller passes the text (and a name for messages); file contents are read
// later through a ContentReader (content.ts), so the core never touches a filesystem. Errors are
// reported as `file:line:col: message` from the YAML node ranges.
import { LineCounter, isMap, isPair, isScalar, parseDocument, visit, type Document, type Node } from 'yaml';
import { z } from 'zod';
import {
  PAGE_SIZE,
  SGX_ATTR_ASYNC_EXIT_NOTIFY,
  SGX_ATTR_CET,
  SGX_ATTR_DEBUG,
  SGX_ATTR_EINITTOKENKEY,
  SGX_ATTR_INIT,
  SGX_ATTR_KSS,
  SGX_ATTR_MODE64BIT,
  SGX_ATTR_PROVISIONKEY,
  SGX_ATTR_RESERVED_MASK,
  SGX_SECINFO_R,
  SGX_SECINFO_TCS,
  SGX_SECINFO_REG,
  SGX_SECINFO_W,
  SGX_SECINFO_X,
} from '../arch/x86/sgx/arch.js';
import { fromHex } from '../arch/x86/sgx/bytes.js';
import type { Pattern } from './pattern.js';

export const MANIFEST_VERSION = 1;

/** A place in the manifest text (1-based line and column). */
export interface SourceLoc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface ManifestDiagnostic {
  readonly loc: SourceLoc;
  readonly message: string;
}

export function formatDiagnostic(d: ManifestDiagnostic): string {
  return `${d.loc.file}:${d.loc.line}:${d.loc.col}: ${d.message}`;
}

/** The manifest is invalid. `message` is the first diagnostic as one line; all are in `diagnostics`. */
export class ManifestError extends Error {
  constructor(readonly diagnostics: readonly ManifestDiagnostic[]) {
    super(diagnostics.length ? formatDiagnostic(diagnostics[0]) : 'invalid manifest');
    this.name = 'ManifestError';
  }
}

/** TCS fields a manifest may set (struct sgx_tcs, arch.ts TCS_OFF). Everything else in the page is 0. */
export interface TcsFields {
  readonly flags: bigint; // TCS.FLAGS (EADD forces DBGOPTIN, bit 0, to 0)
  readonly ossa: bigint;
  readonly nssa: number;
  readonly oentry: bigint;
  readonly ofsbase: bigint;
  readonly ogsbase: bigint;
  readonly fslimit: number;
  readonly gslimit: number;
}

export type SegmentContents =
  | { readonly kind: 'zero' }
  /** Bytes of `path` (relative to the manifest's directory) from `offset` (page aligned). */
  | { readonly kind: 'file'; readonly path: string; readonly offset: bigint }
  | { readonly kind: 'pattern'; readonly pattern: Pattern }
  | { readonly kind: 'tcs'; readonly tcs: TcsFields };

export type SegmentType = 'TCS' | 'REG';

export interface ManifestSegment {
  readonly name: string;
  /** Position in the manifest's list (segments are kept sorted by offset). */
  readonly index: number;
  /** Offset from the enclave base (page aligned). */
  readonly offset: bigint;
  /** Bytes (a whole number of pages). */
  readonly size: bigint;
  readonly type: SegmentType;
  /** SECINFO.FLAGS R/W/X bits. */
  readonly perms: bigint;
  /** SECINFO.FLAGS as the loader passes it to EADD: perms | page type << 8. */
  readonly secinfoFlags: bigint;
  /** Whether each page is EEXTENDed (all 16 chunks) after EADD. */
  readonly measured: boolean;
  readonly contents: SegmentContents;
  readonly loc: SourceLoc;
}

/** SIGSTRUCT inputs for `sgxsim sign --manifest` (command-line flags override them). Null = tool default. */
export interface SigningOptions {
  readonly vendor: number | null;
  readonly date: number | null; // BCD 0xYYYYMMDD
  readonly swdefined: number | null;
  readonly miscmask: number | null;
  readonly attributesMask: bigint | null;
  readonly xfrmMask: bigint | null;
}

export interface EnclaveManifest {
  /** The name the manifest was parsed under (for messages and resolving relative paths). */
  readonly file: string;
  /** SECS.SIZE (ELRANGE size). */
  readonly size: bigint;
  /** SECS.BASEADDR, or null if the loader chooses. */
  readonly base: bigint | null;
  readonly ssaFrameSize: number;
  readonly attributes: bigint;
  readonly xfrm: bigint;
  readonly miscselect: number;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly signing: SigningOptions;
  /** Sorted by offset, non-overlapping, inside [0, size). */
  readonly segments: readonly ManifestSegment[];
}

export interface ParsedManifest {
  readonly manifest: EnclaveManifest;
  /** Things real hardware or the Linux driver would reject (the image is still laid out and measured). */
  readonly warnings: readonly ManifestDiagnostic[];
}

export const ATTRIBUTE_NAMES: Record<string, bigint> = {
  INIT: SGX_ATTR_INIT,
  DEBUG: SGX_ATTR_DEBUG,
  MODE64BIT: SGX_ATTR_MODE64BIT,
  PROVISIONKEY: SGX_ATTR_PROVISIONKEY,
  EINITTOKENKEY: SGX_ATTR_EINITTOKENKEY,
  CET: SGX_ATTR_CET,
  KSS: SGX_ATTR_KSS,
  AEXNOTIFY: SGX_ATTR_ASYNC_EXIT_NOTIFY,
};

// ---------------------------------------------------------------------------------------------
// Scalars

const SUFFIX: Record<string, bigint> = { K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n };

/**
 * An unsigned integer from YAML: an integer, or a string holding decimal or 0x-hex digits
 * (underscores allowed) with an optional binary size suffix K, M, G, T (also KiB, MiB, GiB, TiB).
 * Returns null if the syntax is wrong.
 */
export function parseUintLiteral(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v >= 0n ? v : null;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : null;
  if (typeof v !== 'string') return null;
  const m = /^\s*(0x[0-9a-fA-F_]+|[0-9][0-9_]*)\s*(?:([KMGT])(?:iB)?)?\s*$/.exec(v);
  if (!m) return null;
  const digits = m[1].replace(/_/g, '');
  if (digits === '0x' || digits.endsWith('x')) return null;
  let n = BigInt(digits);
  if (m[2]) n *= SUFFIX[m[2]];
  return n;
}

function uint(bits: number, what: string) {
  const max = (1n << BigInt(bits)) - 1n;
  return z.unknown().transform((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what}: required field missing` });
      return z.NEVER;
    }
    const n = parseUintLiteral(v);
    if (n === null) {
      ctx.addIssue({ code: 'custom', message: `${what}: expected an unsigned integer (decimal, 0x hex, or with a K/M/G/T suffix), got ${show(v)}` });
      return z.NEVER;
    }
    if (n > max) {
      ctx.addIssue({ code: 'custom', message: `${what}: ${v} does not fit in ${bits} bits` });
      return z.NEVER;
    }
    return n;
  });
}
const u64 = (what: string) => uint(64, what);
const uNum = (bits: number, what: string) => uint(bits, what).transform((n) => Number(n));

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'a list' : 'a mapping';
}

const attributesSchema = z.unknown().transform((v, ctx) => {
  if (Array.isArray(v)) {
    let a = 0n;
    for (const name of v) {
      const bit = typeof name === 'string' ? ATTRIBUTE_NAMES[name.toUpperCase()] : undefined;
      if (bit === undefined) {
        ctx.addIssue({ code: 'custom', message: `attributes: unknown attribute ${show(name)} (known: ${Object.keys(ATTRIBUTE_NAMES).join(', ')})` });
        return z.NEVER;
      }
      a |= bit;
    }
    return a;
  }
  const n = parseUintLiteral(v);
  if (n === null || n > 0xffff_ffff_ffff_ffffn) {
    ctx.addIssue({ code: 'custom', message: `attributes: expected a 64-bit number or a list of names like [MODE64BIT, DEBUG], got ${show(v)}` });
    return z.NEVER;
  }
  return n;
});

const permsSchema = z.unknown().transform((v, ctx) => {
  if (typeof v !== 'string' || !/^(-|[rwxRWX]{0,3})$/.test(v) || new Set(v.toUpperCase()).size !== v.length) {
    ctx.addIssue({ code: 'custom', message: `perms: expected letters from R, W, X (e.g. "RX", "RW"), or "-" for none, got ${show(v)}` });
    return z.NEVER;
  }
  const s = v.toUpperCase();
  return (s.includes('R') ? SGX_SECINFO_R : 0n) | (s.includes('W') ? SGX_SECINFO_W : 0n) | (s.includes('X') ? SGX_SECINFO_X : 0n);
});

/** BCD date 0xYYYYMMDD from YYYYMMDD digits (as Fortanix sgxs-sign: 8 digits, read as hex). */
export function parseBcdDate(v: unknown): number | null {
  const s = typeof v === 'bigint' || typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !/^[0-9]{8}$/.test(s)) return null;
  return parseInt(s, 16);
}

const dateSchema = z.unknown().transform((v, ctx) => {
  const d = parseBcdDate(v);
  if (d === null) {
    ctx.addIssue({ code: 'custom', message: `date: expected YYYYMMDD (8 digits), got ${show(v)}` });
    return z.NEVER;
  }
  return d;
});

const tcsSchema = z.strictObject({
  flags: u64('tcs.flags').optional(),
  ossa: u64('tcs.ossa'),
  nssa: uNum(32, 'tcs.nssa'),
  oentry: u64('tcs.oentry'),
  ofsbase: u64('tcs.ofsbase').optional(),
  ogsbase: u64('tcs.ogsbase').optional(),
  fslimit: uNum(32, 'tcs.fslimit').optional(),
  gslimit: uNum(32, 'tcs.gslimit').optional(),
});

/**
 * Pick the schema by which key the mapping has (so errors come from the branch the user meant,
 * not "none of the alternatives matched"), forwarding the branch's issues with their paths.
 */
function byKey<T>(what: string, branches: Record<string, z.ZodType<T>>, extra?: (v: unknown) => T | undefined) {
  const keys = Object.keys(branches);
  return z.unknown().transform((v, ctx): T => {
    const e = extra?.(v);
    if (e !== undefined) return e;
    const key = v && typeof v === 'object' && !Array.isArray(v) ? keys.find((k) => k in v) : undefined;
    if (key === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what}: expected ${keys.map((k) => `{${k}: …}`).join(', ')}${extra ? ' or "zero"' : ''}, got ${show(v)}` });
      return z.NEVER;
    }
    const r = branches[key].safeParse(v);
    if (!r.success) {
      for (const issue of r.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
      return z.NEVER;
    }
    return r.data;
  });
}

type RawPattern = { fill: number } | { repeat: Uint8Array } | { random: number };
const patternSchema = byKey<RawPattern>('pattern', {
  fill: z.strictObject({ fill: uNum(8, 'pattern.fill') }),
  repeat: z.strictObject({
    repeat: z.string({ error: 'pattern.repeat: expected a string of hex bytes' }).transform((s, ctx) => {
      const hex = s.replace(/\s+/g, '').replace(/^0x/i, '');
      if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
        ctx.addIssue({ code: 'custom', message: `pattern.repeat: expected hex bytes like "90c3", got ${JSON.stringify(s)}` });
        return z.NEVER;
      }
      return fromHex(hex);
    }),
  }),
  random: z.strictObject({ random: uNum(32, 'pattern.random') }),
});

type RawContents = 'zero' | { file: string; offset?: bigint } | { pattern: RawPattern };
const contentsSchema = byKey<RawContents>(
  'contents',
  {
    file: z.strictObject({
      file: z.string({ error: 'contents.file: expected a path' }).min(1, 'contents.file: empty path'),
      offset: u64('contents.offset').optional(),
    }),
    pattern: z.strictObject({ pattern: patternSchema }),
  },
  (v) => (v === 'zero' ? 'zero' : undefined),
);

const segmentSchema = z.strictObject({
  name: z.string().min(1).optional(),
  offset: u64('offset'),
  size: u64('size').optional(),
  type: z.enum(['TCS', 'REG', 'tcs', 'reg'], { error: 'type: expected TCS or REG' }).optional(),
  perms: permsSchema.optional(),
  measure: z.boolean({ error: 'measure: expected true or false' }).optional(),
  contents: contentsSchema.optional(),
  tcs: tcsSchema.optional(),
});

const manifestSchema = z.strictObject({
  version: z.unknown().superRefine((v, ctx) => {
    if (v === undefined) ctx.addIssue({ code: 'custom', message: `version: required field missing (this sgxsim reads version ${MANIFEST_VERSION})` });
    else if (parseUintLiteral(v) !== BigInt(MANIFEST_VERSION)) ctx.addIssue({ code: 'custom', message: `version: this sgxsim reads manifest version ${MANIFEST_VERSION}` });
  }),
  enclave: z.strictObject({
    size: u64('enclave.size'),
    base: u64('enclave.base').optional(),
    ssa_frame_size: uNum(32, 'enclave.ssa_frame_size').optional(),
    attributes: attributesSchema.optional(),
    xfrm: u64('enclave.xfrm').optional(),
    miscselect: uNum(32, 'enclave.miscselect').optional(),
    isvprodid: uNum(16, 'enclave.isvprodid').optional(),
    isvsvn: uNum(16, 'enclave.isvsvn').optional(),
  }),
  signing: z
    .strictObject({
      vendor: z.unknown().transform((v, ctx) => {
        const n = parseUintLiteral(v);
        if (n !== 0n && n !== 0x8086n) {
          ctx.addIssue({ code: 'custom', message: `signing.vendor: expected 0 or 0x8086, got ${show(v)}` });
          return z.NEVER;
        }
        return Number(n);
      }).optional(),
      date: dateSchema.optional(),
      swdefined: uNum(32, 'signing.swdefined').optional(),
      miscmask: uNum(32, 'signing.miscmask').optional(),
      attributes_mask: u64('signing.attributes_mask').optional(),
      xfrm_mask: u64('signing.xfrm_mask').optional(),
    })
    .optional(),
  segments: z.array(segmentSchema).min(1, 'segments: an enclave needs at least one segment'),
});

// ---------------------------------------------------------------------------------------------
// Locations

class Locator {
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  at(offset: number): SourceLoc {
    const p = this.lines.linePos(offset);
    return { file: this.file, line: p.line, col: p.col };
  }

  /** The node at `path`, or the nearest existing ancestor; for a missing key, its parent map. */
  node(path: readonly PropertyKey[]): Node | null {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
      if (node && typeof node === 'object' && 'range' in node && node.range) return node;
    }
    return null;
  }

  /** Location of the value at `path` (or of the key `key` inside it). */
  of(path: readonly PropertyKey[], key?: string): SourceLoc {
    const node = this.node(path);
    if (key !== undefined && node && isMap(node)) {
      for (const item of node.items) {
        if (isPair(item) && isScalar(item.key) && item.key.value === key && item.key.range) return this.at(item.key.range[0]);
      }
    }
    return node?.range ? this.at(node.range[0]) : { file: this.file, line: 1, col: 1 };
  }
}

// ---------------------------------------------------------------------------------------------
// Parse + validate

/**
 * Parse and validate a manifest. `file` names it in messages (and is what relative content
 * paths are resolved against, by the caller). Throws ManifestError listing every problem.
 */
export function parseManifest(text: string, file: string): ParsedManifest {
  const lines = new LineCounter();
  const doc = parseDocument(text, { intAsBigInt: true, lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'error', merge: true });
  const loc = new Locator(file, doc, lines);
  if (doc.errors.length) {
    throw new ManifestError(doc.errors.map((e) => ({ loc: loc.at(e.pos[0]), message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '') })));
  }
  // Aliases: an unresolved one makes toJS() throw, so find it first; a billion-laughs document
  // exceeds maxAliasCount and is reported as an error too.
  let badAlias: ManifestDiagnostic | undefined; // (or a complex key)
  visit(doc, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) {
        const k = pair.key as Node;
        badAlias = { loc: k.range ? loc.at(k.range[0]) : { file, line: 1, col: 1 }, message: 'mapping keys must be plain names, not lists or mappings' };
        return visit.BREAK;
      }
      return undefined;
    },
    Alias(_, node) {
      if (node.resolve(doc) === undefined) {
        badAlias = { loc: node.range ? loc.at(node.range[0]) : { file, line: 1, col: 1 }, message: `unresolved alias *${node.source}` };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (badAlias) throw new ManifestError([badAlias]);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw new ManifestError([{ loc: { file, line: 1, col: 1 }, message: (e as Error).message }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ManifestError([{ loc: { file, line: 1, col: 1 }, message: 'a manifest is a YAML mapping with version, enclave and segments' }]);
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const diags: ManifestDiagnostic[] = [];
    for (const issue of r.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) diags.push({ loc: loc.of(issue.path, k), message: `${pathName([...issue.path, k])}: unknown field` });
        continue;
      }
      const missing = issue.code === 'invalid_type' && issue.input === undefined;
      const where = missing ? loc.of(issue.path.slice(0, -1)) : loc.of(issue.path);
      const msg = missing ? `${pathName(issue.path)}: required field missing` : issue.code === 'custom' || /^[a-z_.]+:/.test(issue.message) ? issue.message : `${pathName(issue.path)}: ${issue.message}`;
      diags.push({ loc: where, message: msg });
    }
    diags.sort((a, b) => a.loc.line - b.loc.line || a.loc.col - b.loc.col);
    throw new ManifestError(diags);
  }
  return build(r.data, file, loc);
}

function pathName(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : (s ? '.' : '') + String(p);
  return s || '(top)';
}

type RawManifest = z.infer<typeof manifestSchema>;

function isPow2(n: bigint): boolean {
  return n > 0n && (n & (n - 1n)) === 0n;
}

function build(m: RawManifest, file: string, loc: Locator): ParsedManifest {
  const errors: ManifestDiagnostic[] = [];
  const warnings: ManifestDiagnostic[] = [];
  const page = BigInt(PAGE_SIZE);
  const e = m.enclave;
  const attributes = e.attributes ?? SGX_ATTR_MODE64BIT;
  const xfrm = e.xfrm ?? 3n;

  // ECREATE's checks (SDM ECREATE pseudocode): the image can still be measured, so warnings.
  if (e.size < 0x2000n || !isPow2(e.size)) {
    warnings.push({ loc: loc.of(['enclave', 'size']), message: `enclave.size 0x${e.size.toString(16)}: ECREATE requires a power of two >= 0x2000 (#GP)` });
  }
  if (e.base !== undefined) {
    if (isPow2(e.size) && (e.base & (e.size - 1n)) !== 0n) {
      warnings.push({ loc: loc.of(['enclave', 'base']), message: `enclave.base 0x${e.base.toString(16)} is not aligned to the size: ECREATE would #GP` });
    }
    if ((attributes & SGX_ATTR_MODE64BIT) === 0n && e.base > 0xffff_ffffn) {
      warnings.push({ loc: loc.of(['enclave', 'base']), message: 'enclave.base above 4 GiB without MODE64BIT: ECREATE would #GP' });
    }
  }
  if ((xfrm & 3n) !== 3n) warnings.push({ loc: loc.of(['enclave', 'xfrm']), message: 'enclave.xfrm must have bits 0 and 1 (x87, SSE) set: ECREATE would #GP' });
  if ((attributes & SGX_ATTR_INIT) !== 0n) warnings.push({ loc: loc.of(['enclave', 'attributes']), message: 'attributes.INIT is set by EINIT, not by software: ECREATE would #GP' });
  if ((attributes & SGX_ATTR_RESERVED_MASK) !== 0n) {
    warnings.push({ loc: loc.of(['enclave', 'attributes']), message: `attributes 0x${attributes.toString(16)} sets reserved bits (0x${(attributes & SGX_ATTR_RESERVED_MASK).toString(16)}): ECREATE would #GP` });
  }
  const ssaFrameSize = e.ssa_frame_size ?? 1;
  if (ssaFrameSize === 0) warnings.push({ loc: loc.of(['enclave', 'ssa_frame_size']), message: 'enclave.ssa_frame_size 0 cannot hold the GPRs and XSAVE area: ECREATE would #GP' });

  const segs: ManifestSegment[] = [];
  const usedNames = new Set<string>();
  m.segments.forEach((s, i) => {
    const at = (k?: string) => (k ? loc.of(['segments', i, k]) : loc.of(['segments', i]));
    const type: SegmentType = s.type ? (s.type.toUpperCase() as SegmentType) : s.tcs ? 'TCS' : 'REG';
    const name = s.name ?? `segment${i}`;
    if (usedNames.has(name)) errors.push({ loc: at('name'), message: `segment name '${name}' is used twice` });
    usedNames.add(name);
    if (s.tcs && type !== 'TCS') errors.push({ loc: at('tcs'), message: 'tcs: fields only apply to a TCS segment (type: TCS)' });
    if (s.tcs && s.contents) errors.push({ loc: at('contents'), message: 'a segment takes either tcs: fields or contents:, not both' });
    const size = s.size ?? (type === 'TCS' ? page : undefined);
    if (size === undefined) {
      errors.push({ loc: at(), message: `segment '${name}': size is required` });
      return;
    }
    if (s.offset % page !== 0n) errors.push({ loc: at('offset'), message: `segment '${name}': offset 0x${s.offset.toString(16)} is not page aligned` });
    if (size === 0n || size % page !== 0n) errors.push({ loc: at('size'), message: `segment '${name}': size 0x${size.toString(16)} is not a positive multiple of 4096` });
    if (s.offset + size > e.size) {
      errors.push({ loc: at('offset'), message: `segment '${name}' [0x${s.offset.toString(16)}, 0x${(s.offset + size).toString(16)}) extends past the enclave size 0x${e.size.toString(16)}` });
    }
    if (s.tcs && size !== page) errors.push({ loc: at('size'), message: `segment '${name}': a TCS given by fields is one page (size 4096)` });
    const perms = s.perms ?? (type === 'TCS' ? 0n : undefined);
    if (perms === undefined) {
      errors.push({ loc: at(), message: `segment '${name}': perms is required for a REG segment (e.g. perms: RX)` });
      return;
    }
    // sgx_validate_secinfo(), arch/x86/kernel/cpu/sgx/ioctl.c; SDM EADD (TCS perms forced 0, W without R #GP).
    if (type === 'TCS' && perms !== 0n) {
      warnings.push({ loc: at('perms'), message: `segment '${name}': a TCS has no permissions (EADD forces them to 0; Linux rejects the SECINFO with EINVAL)` });
    }
    if (type === 'REG' && (perms & SGX_SECINFO_W) !== 0n && (perms & SGX_SECINFO_R) === 0n) {
      warnings.push({ loc: at('perms'), message: `segment '${name}': W without R: EADD would #GP (Linux: EINVAL)` });
    }
    let contents: SegmentContents;
    if (s.tcs) {
      const t = s.tcs;
      const tcs: TcsFields = {
        flags: t.flags ?? 0n,
        ossa: t.ossa,
        nssa: t.nssa,
        oentry: t.oentry,
        ofsbase: t.ofsbase ?? 0n,
        ogsbase: t.ogsbase ?? 0n,
        fslimit: t.fslimit ?? 0xfff,
        gslimit: t.gslimit ?? 0xfff,
      };
      // SDM EADD: without MODE64BIT, FSLIMIT/GSLIMIT low 12 bits must be all ones.
      if ((attributes & SGX_ATTR_MODE64BIT) === 0n && ((tcs.fslimit & 0xfff) !== 0xfff || (tcs.gslimit & 0xfff) !== 0xfff)) {
        warnings.push({ loc: at('tcs'), message: `segment '${name}': without MODE64BIT, fslimit/gslimit must end in 0xfff: EADD would #GP` });
      }
      if (tcs.ossa % page !== 0n) warnings.push({ loc: loc.of(['segments', i, 'tcs', 'ossa']), message: `segment '${name}': tcs.ossa is not page aligned (EENTER would #GP)` });
      contents = { kind: 'tcs', tcs };
    } else if (s.contents === undefined || s.contents === 'zero') {
      if (type === 'TCS') errors.push({ loc: at(), message: `segment '${name}': a TCS needs tcs: fields or contents from a file or pattern` });
      contents = { kind: 'zero' };
    } else if ('file' in s.contents) {
      const off = s.contents.offset ?? 0n;
      if (off % page !== 0n) errors.push({ loc: loc.of(['segments', i, 'contents', 'offset']), message: `segment '${name}': file offset 0x${off.toString(16)} is not page aligned (loaders mmap the file)` });
      contents = { kind: 'file', path: s.contents.file, offset: off };
    } else {
      const p = s.contents.pattern;
      const pattern: Pattern = 'fill' in p ? { kind: 'fill', value: p.fill } : 'repeat' in p ? { kind: 'repeat', bytes: p.repeat } : { kind: 'random', seed: p.random };
      contents = { kind: 'pattern', pattern };
    }
    const secinfoFlags = perms | (type === 'TCS' ? SGX_SECINFO_TCS : SGX_SECINFO_REG);
    segs.push({ name, index: i, offset: s.offset, size, type, perms, secinfoFlags, measured: s.measure ?? true, contents, loc: at() });
  });

  const sorted = [...segs].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : a.index - b.index));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (cur.offset < prev.offset + prev.size) {
      errors.push({ loc: cur.loc, message: `segment '${cur.name}' at 0x${cur.offset.toString(16)} overlaps segment '${prev.name}' [0x${prev.offset.toString(16)}, 0x${(prev.offset + prev.size).toString(16)})` });
    }
  }
  if (errors.length) {
    errors.sort((a, b) => a.loc.line - b.loc.line || a.loc.col - b.loc.col);
    throw new ManifestError(errors);
  }
  const sg = m.signing;
  return {
    manifest: {
      file,
      size: e.size,
      base: e.base ?? null,
      ssaFrameSize,
      attributes,
      xfrm,
      miscselect: e.miscselect ?? 0,
      isvProdId: e.isvprodid ?? 0,
      isvSvn: e.isvsvn ?? 0,
      signing: {
        vendor: sg?.vendor ?? null,
        date: sg?.date ?? null,
        swdefined: sg?.swdefined ?? null,
        miscmask: sg?.miscmask ?? null,
        attributesMask: sg?.attributes_mask ?? null,
        xfrmMask: sg?.xfrm_mask ?? null,
      },
      segments: sorted,
    },
    warnings,
  };
}

/**
 * Resolve a content path against the manifest's own path, as the CLI and loaders do: absolute
 * paths stay, relative ones are taken from the manifest's directory. Pure string handling ('/').
 */
export function resolveManifestPath(manifestPath: string, rel: string): string {
  if (rel.startsWith('/')) return rel;
  const slash = manifestPath.lastIndexOf('/');
  return slash < 0 ? rel : manifestPath.slice(0, slash + 1) + rel;
}
