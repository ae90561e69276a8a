// C struct layout (gcc x86-64 rules) and marshalling. Expected offsets/sizes are those of the C
// declarations they model (arch/x86/include/uapi/asm/sgx.h; the RFC structs of designs-spec §0.1).
import { describe, expect, it } from 'vitest';
import { decodeStruct, defineStruct, describeStruct, encodeStruct, marshalStruct, StructError, type StructAllocator } from '../../src/userspace/struct.js';

class FakeMem implements StructAllocator {
  next = 0x1000;
  bytes = new Map<number, number>();
  alloc(size: number, align: number): number {
    const a = Math.ceil(this.next / align) * align;
    this.next = a + size;
    return a;
  }
  store(addr: number, b: Uint8Array): void {
    b.forEach((v, i) => this.bytes.set(addr + i, v));
  }
  read(addr: number, n: number): Uint8Array {
    return Uint8Array.from({ length: n }, (_, i) => this.bytes.get(addr + i) ?? 0);
  }
}

describe('defineStruct (gcc x86-64 layout)', () => {
  it('aligns scalars to their size and pads the tail (RFC v4 sgx_enclave_add_page: 32 bytes)', () => {
    const s = defineStruct('v4', [
      { name: 'addr', type: 'u64' },
      { name: 'src', type: 'u64' },
      { name: 'secinfo', type: 'u64' },
      { name: 'mrmask', type: 'u16' },
      { name: 'prot', type: 'u8' },
      { name: 'pad', type: 'u8' },
    ]);
    expect(s.fields.map((f) => f.offset)).toEqual([0, 8, 16, 24, 26, 27]);
    expect(s.size).toBe(32);
  });
  it('__packed removes padding (RFC v2 sgx_enclave_add_page: 30 bytes; v20 add_page: 26)', () => {
    const v2 = defineStruct('v2', [
      { name: 'addr', type: 'u64' },
      { name: 'src', type: 'u64' },
      { name: 'secinfo', type: 'u64' },
      { name: 'flags', type: 'u32' },
      { name: 'mrmask', type: 'u16' },
    ], { packed: true });
    expect(v2.size).toBe(30);
    const v20 = defineStruct('v20', [
      { name: 'addr', type: 'u64' },
      { name: 'src', type: 'u64' },
      { name: 'secinfo', type: 'u64' },
      { name: 'mrmask', type: 'u16' },
    ], { packed: true });
    expect(v20.size).toBe(26);
  });
  it('a u16 after a u8 is aligned to 2; __aligned(64) rounds the size up', () => {
    const s = defineStruct('x', [{ name: 'a', type: 'u8' }, { name: 'b', type: 'u16' }, { name: 'c', type: 'u32' }]);
    expect(s.fields.map((f) => f.offset)).toEqual([0, 2, 4]);
    expect(defineStruct('y', [{ name: 'a', type: 'u64' }], { align: 64 }).size).toBe(64);
  });
  it('rejects malformed declarations', () => {
    expect(() => defineStruct('z', [{ name: 'a', type: 'u8' }, { name: 'a', type: 'u8' }])).toThrow(/twice/);
    expect(() => defineStruct('z', [{ name: 'a', type: 'u32', pointer: { kind: 'buffer', size: 1, what: 'x' } }])).toThrow(/pointers are u64/);
  });
});

describe('encode/decode/marshal', () => {
  const inner = defineStruct('struct inner', [{ name: 'flags', type: 'u64' }, { name: 'reserved', type: 'bytes', length: 56 }], { packed: true, align: 64 });
  const outer = defineStruct('struct outer', [
    { name: 'src', type: 'u64', pointer: { kind: 'buffer', size: { field: 'length' }, what: 'data' } },
    { name: 'length', type: 'u64' },
    { name: 'secinfo', type: 'u64', pointer: { kind: 'struct', layout: inner } },
    { name: 'small', type: 'u16' },
  ]);
  it('little-endian scalars, bigint and number inputs', () => {
    const b = encodeStruct(outer, { src: 0x1122334455667788n, length: 4096, small: 0xbeef });
    expect(b.length).toBe(32);
    expect(Array.from(b.subarray(0, 8))).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    const d = decodeStruct(outer, b);
    expect(d.src).toBe(0x1122334455667788n);
    expect(d.length).toBe(4096n);
    expect(d.small).toBe(0xbeefn);
  });
  it('nested literals are marshalled first, bytes copied to page-aligned memory', () => {
    const mem = new FakeMem();
    const data = new Uint8Array([1, 2, 3]);
    const a = marshalStruct(mem, outer, { src: data, length: 3, secinfo: { flags: 0x205n } });
    const d = decodeStruct(outer, mem.read(a, outer.size));
    expect(Number(d.src) % 4096).toBe(0);
    expect(Array.from(mem.read(Number(d.src), 3))).toEqual([1, 2, 3]);
    expect(Number(d.secinfo) % 64).toBe(0);
    expect(decodeStruct(inner, mem.read(Number(d.secinfo), 64)).flags).toBe(0x205n);
  });
  it('user errors are StructError with the field named', () => {
    expect(() => encodeStruct(outer, { nope: 1 })).toThrow(StructError);
    expect(() => encodeStruct(outer, { small: 0x10000 })).toThrow(/small: 65536 does not fit in u16/);
    expect(() => marshalStruct(new FakeMem(), outer, { secinfo: new Uint8Array(3) })).toThrow(/is 64 bytes, got 3/);
  });
  it('describeStruct prints offsets and pointer targets', () => {
    expect(describeStruct(outer)).toContain('+0x10 u64 secinfo -> struct inner (in)');
  });
});
