// C struct layouts for ioctl arguments, and their marshalling into / out of user memory.
//
// A StructLayout describes a uAPI struct exactly as the C compiler lays it out on x86-64: field
// offsets, sizes, the total size (with tail padding), and which u64 fields hold user pointers and
// what they point to (another struct, or a buffer of some bytes). Designs describe their ioctl
// arguments with it (src/drivers/sgx/*), the userspace facade (process.ts) marshals struct
// literals through it, and the scenario runner uses the same description to accept literals like
//   {src: text, offset: 0x1000, length: 0x2000, secinfo: {flags: REG|R|X}, flags: SGX_PAGE_MEASURE}
// and to decode results such as `count`.
//
// encodeStruct()/decodeStruct() are pure (bytes in, bytes out); marshalStruct() allocates in a
// process's memory through a StructAllocator (the facade's malloc).

export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64';
export type FieldType = ScalarType | 'bytes';

/** What a pointer field points to. */
export type PointerTarget =
  /** Another struct (a nested literal is marshalled into fresh memory and its address stored). */
  | { readonly kind: 'struct'; readonly layout: StructLayout }
  /**
   * A buffer: `size` bytes, or the number of bytes named by another field of the same struct
   * (e.g. ADD_PAGES' `src` points to `length` bytes of page data). A Uint8Array literal is copied
   * into fresh memory; a number is taken as an address.
   */
  | { readonly kind: 'buffer'; readonly size: number | { readonly field: string }; readonly what: string };

export interface StructField {
  readonly name: string;
  readonly offset: number;
  readonly type: FieldType;
  /** Bytes (1/2/4/8 for scalars; the array length for 'bytes'). */
  readonly size: number;
  /** Direction as the kernel uses it: 'in' (read by the kernel), 'out' (written back), 'inout'. */
  readonly dir: 'in' | 'out' | 'inout';
  /** Set when the u64 holds a user pointer. */
  readonly pointer?: PointerTarget;
  /** Reserved/padding bytes the kernel requires to be zero (or ignores). */
  readonly reserved?: boolean;
  readonly doc?: string;
}

export interface StructLayout {
  /** C name, e.g. "struct sgx_enclave_add_pages". */
  readonly name: string;
  /** sizeof(struct ...), including tail padding. */
  readonly size: number;
  /** Declared __packed. */
  readonly packed: boolean;
  /** __aligned(n), if declared (e.g. SECINFO's 64). */
  readonly align?: number;
  readonly fields: readonly StructField[];
}

const SCALAR_SIZE: Record<ScalarType, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** A field description for defineStruct(): the offset is computed with C's natural alignment (or packed). */
export interface FieldDecl {
  readonly name: string;
  readonly type: FieldType;
  /** For 'bytes': the array length. */
  readonly length?: number;
  readonly dir?: 'in' | 'out' | 'inout';
  readonly pointer?: PointerTarget;
  readonly reserved?: boolean;
  readonly doc?: string;
}

/**
 * Lay out a struct as gcc does on x86-64: each scalar aligned to its size (unless `packed`),
 * byte arrays at any offset, the total rounded up to the largest alignment. Throws on a
 * malformed declaration (an internal error).
 */
export function defineStruct(name: string, decls: readonly FieldDecl[], opts: { packed?: boolean; align?: number } = {}): StructLayout {
  const packed = opts.packed ?? false;
  let off = 0;
  let maxAlign = 1;
  const fields: StructField[] = [];
  const seen = new Set<string>();
  for (const d of decls) {
    if (seen.has(d.name)) throw new Error(`${name}: field ${d.name} declared twice`);
    seen.add(d.name);
    let size: number;
    let align: number;
    if (d.type === 'bytes') {
      if (!d.length || d.length < 1) throw new Error(`${name}.${d.name}: a bytes field needs a length`);
      size = d.length;
      align = 1;
    } else {
      size = SCALAR_SIZE[d.type];
      align = packed ? 1 : size;
    }
    if (d.pointer && d.type !== 'u64') throw new Error(`${name}.${d.name}: pointers are u64 fields`);
    off = Math.ceil(off / align) * align;
    fields.push(Object.freeze({ name: d.name, offset: off, type: d.type, size, dir: d.dir ?? 'in', pointer: d.pointer, reserved: d.reserved, doc: d.doc }));
    off += size;
    maxAlign = Math.max(maxAlign, align);
  }
  if (opts.align) maxAlign = Math.max(maxAlign, opts.align);
  const total = Math.ceil(off / maxAlign) * maxAlign;
  return Object.freeze({ name, size: total, packed, align: opts.align, fields: Object.freeze(fields) });
}

export function fieldOf(layout: StructLayout, name: string): StructField | undefined {
  return layout.fields.find((f) => f.name === name);
}

/** A value for one field of a struct literal. */
export type FieldValue = number | bigint | Uint8Array | StructLiteral;
export type StructLiteral = { readonly [field: string]: FieldValue | undefined };

/** Why a literal does not fit a layout (user input error: one line). */
export class StructError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StructError';
  }
}

function toBigint(v: number | bigint, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new StructError(`${where}: ${v} is not an integer`);
  return BigInt(v);
}

function putScalar(dv: DataView, f: StructField, v: bigint, where: string): void {
  const bits = BigInt(f.size * 8);
  const u = BigInt.asUintN(Number(bits), v);
  if (v < -(1n << (bits - 1n)) || v >= 1n << bits) throw new StructError(`${where}: ${v} does not fit in ${f.type}`);
  switch (f.type) {
    case 'u8':
      dv.setUint8(f.offset, Number(u));
      return;
    case 'u16':
      dv.setUint16(f.offset, Number(u), true);
      return;
    case 'u32':
      dv.setUint32(f.offset, Number(u), true);
      return;
    case 'u64':
      dv.setBigUint64(f.offset, u, true);
      return;
    default:
      throw new Error(`internal: putScalar on ${f.type}`);
  }
}

function getScalar(dv: DataView, f: StructField): bigint {
  switch (f.type) {
    case 'u8':
      return BigInt(dv.getUint8(f.offset));
    case 'u16':
      return BigInt(dv.getUint16(f.offset, true));
    case 'u32':
      return BigInt(dv.getUint32(f.offset, true));
    case 'u64':
      return dv.getBigUint64(f.offset, true);
    default:
      throw new Error(`internal: getScalar on ${f.type}`);
  }
}

/**
 * Encode a literal whose pointer fields already hold addresses (numbers/bigints) into the
 * struct's bytes. Unknown field names and nested literals are errors here (use marshalStruct).
 */
export function encodeStruct(layout: StructLayout, lit: StructLiteral): Uint8Array {
  const out = new Uint8Array(layout.size);
  const dv = new DataView(out.buffer);
  for (const key of Object.keys(lit)) {
    if (!fieldOf(layout, key)) {
      throw new StructError(`${layout.name} has no field '${key}' (fields: ${layout.fields.map((f) => f.name).join(', ')})`);
    }
  }
  for (const f of layout.fields) {
    const v = lit[f.name];
    if (v === undefined) continue;
    const where = `${layout.name}.${f.name}`;
    if (f.type === 'bytes') {
      if (!(v instanceof Uint8Array)) throw new StructError(`${where}: expected ${f.size} bytes`);
      if (v.length > f.size) throw new StructError(`${where}: ${v.length} bytes do not fit in ${f.size}`);
      out.set(v, f.offset);
      continue;
    }
    if (typeof v !== 'number' && typeof v !== 'bigint') throw new StructError(`${where}: expected a number${f.pointer ? ' (an address)' : ''}`);
    putScalar(dv, f, toBigint(v, where), where);
  }
  return out;
}

/** Decode the struct's bytes: scalars as bigint, byte arrays as copies. */
export function decodeStruct(layout: StructLayout, bytes: Uint8Array): Record<string, bigint | Uint8Array> {
  if (bytes.length < layout.size) throw new Error(`${layout.name}: need ${layout.size} bytes, got ${bytes.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, layout.size);
  const out: Record<string, bigint | Uint8Array> = {};
  for (const f of layout.fields) {
    out[f.name] = f.type === 'bytes' ? bytes.slice(f.offset, f.offset + f.size) : getScalar(dv, f);
  }
  return out;
}

/** Memory a marshaller may allocate and write in (the userspace facade implements it). */
export interface StructAllocator {
  /** Allocate `size` bytes aligned to `align`; returns the address. */
  alloc(size: number, align: number): number;
  /** Store bytes at addr (a user-mode store). */
  store(addr: number, bytes: Uint8Array): void;
}

/** Alignment C gives a struct: its largest scalar member (1 when packed). */
export function structAlign(layout: StructLayout): number {
  if (layout.packed) return layout.align ?? 1;
  let a = layout.align ?? 1;
  for (const f of layout.fields) if (f.type !== 'bytes') a = Math.max(a, f.size);
  return a;
}

/**
 * Marshal a literal into fresh memory: nested struct literals of pointer fields are marshalled
 * first (depth first) and their addresses stored; Uint8Array values of buffer pointers are copied
 * into fresh memory. Returns the struct's address. Throws StructError on a literal that does not
 * fit the layout.
 */
export function marshalStruct(mem: StructAllocator, layout: StructLayout, lit: StructLiteral, align = Math.max(8, structAlign(layout))): number {
  const flat: Record<string, number | bigint | Uint8Array> = {};
  for (const key of Object.keys(lit)) {
    const f = fieldOf(layout, key);
    if (!f) throw new StructError(`${layout.name} has no field '${key}' (fields: ${layout.fields.map((x) => x.name).join(', ')})`);
    const v = lit[key];
    if (v === undefined) continue;
    const where = `${layout.name}.${key}`;
    if (f.pointer && !(typeof v === 'number' || typeof v === 'bigint')) {
      if (f.pointer.kind === 'struct') {
        if (v instanceof Uint8Array) {
          if (v.length !== f.pointer.layout.size) throw new StructError(`${where}: ${f.pointer.layout.name} is ${f.pointer.layout.size} bytes, got ${v.length}`);
          const a = mem.alloc(v.length, Math.max(8, structAlign(f.pointer.layout)));
          mem.store(a, v);
          flat[key] = a;
        } else {
          flat[key] = marshalStruct(mem, f.pointer.layout, v);
        }
      } else {
        if (!(v instanceof Uint8Array)) throw new StructError(`${where}: expected an address or bytes (${f.pointer.what})`);
        const a = mem.alloc(Math.max(v.length, 1), 4096);
        mem.store(a, v);
        flat[key] = a;
      }
      continue;
    }
    if (!(typeof v === 'number' || typeof v === 'bigint' || v instanceof Uint8Array)) throw new StructError(`${where}: expected a number`);
    flat[key] = v;
  }
  const bytes = encodeStruct(layout, flat);
  const addr = mem.alloc(layout.size, align);
  mem.store(addr, bytes);
  return addr;
}

/** One line per field: "  +0x08 u64 offset (in)". For docs and `--help` texts. */
export function describeStruct(layout: StructLayout): string {
  const lines = [`${layout.name} { /* ${layout.size} bytes${layout.packed ? ', packed' : ''} */`];
  for (const f of layout.fields) {
    const t = f.type === 'bytes' ? `u8[${f.size}]` : f.type;
    const p = f.pointer ? ` -> ${f.pointer.kind === 'struct' ? f.pointer.layout.name : f.pointer.what}` : '';
    lines.push(`  +0x${f.offset.toString(16).padStart(2, '0')} ${t} ${f.name}${p} (${f.dir})`);
  }
  lines.push('}');
  return lines.join('\n');
}
