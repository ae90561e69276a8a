// Offsets inside YAML scalars map back to the file for every scalar style (YAML 1.2 §7.3, §8.1).
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument, isScalar, type Scalar } from 'yaml';
import { scalarOffsets } from '../../src/scenario/scalar-map.js';

function scalars(src: string): Scalar[] {
  const doc = parseDocument(src, { lineCounter: new LineCounter() });
  const out: Scalar[] = [];
  const seq = doc.get('steps', true) as { items: unknown[] };
  for (const it of seq.items) if (isScalar(it)) out.push(it);
  return out;
}

/** Where `needle` (which occurs once in the value) starts in the file, by the map. */
function mapped(src: string, node: Scalar, needle: string): number {
  const value = String(node.value);
  const i = value.indexOf(needle);
  expect(i).toBeGreaterThanOrEqual(0);
  return scalarOffsets(src, node, value)[i];
}

describe('scalarOffsets', () => {
  const src = [
    'steps:',
    '  - open("/x", O_RDWR)',
    '  - "mmap(NULL,\\x41 \\',
    '     4096, BAD1)"',
    "  - 'a''b",
    "     BAD2'",
    '  - |',
    '    ioctl(fd,',
    '      BAD3)',
    '  - >-',
    '    folded',
    '     BAD4',
    '',
    '    x',
    '  - plain multi',
    '    line  BAD5',
    '  - "tab\\there BAD6"',
    '  - |2',
    '      indented BAD7',
    '',
  ].join('\n');
  const nodes = scalars(src);
  const at = (needle: string): number => src.indexOf(needle);

  it('plain', () => {
    expect(mapped(src, nodes[0], 'O_RDWR')).toBe(at('O_RDWR'));
    expect(mapped(src, nodes[5], 'BAD5')).toBe(at('BAD5'));
  });
  it('double-quoted with escapes and an escaped line break', () => {
    expect(String(nodes[1].value)).toBe('mmap(NULL,A 4096, BAD1)');
    expect(mapped(src, nodes[1], 'A')).toBe(at('\\x41'));
    expect(mapped(src, nodes[1], 'BAD1')).toBe(at('BAD1'));
    expect(mapped(src, nodes[6], 'BAD6')).toBe(at('BAD6'));
  });
  it("single-quoted with ''", () => {
    expect(mapped(src, nodes[2], 'BAD2')).toBe(at('BAD2'));
  });
  it('block literal and folded', () => {
    expect(mapped(src, nodes[3], 'BAD3')).toBe(at('BAD3'));
    expect(mapped(src, nodes[3], 'fd')).toBe(at('fd,'));
    expect(mapped(src, nodes[4], 'BAD4')).toBe(at('BAD4'));
    expect(mapped(src, nodes[4], 'x')).toBe(src.indexOf('    x') + 4);
  });
  it('block literal with an explicit indentation indicator keeps the extra spaces', () => {
    expect(String(nodes[7].value)).toBe('  indented BAD7\n');
    expect(mapped(src, nodes[7], 'indented')).toBe(at('indented'));
    expect(mapped(src, nodes[7], 'BAD7')).toBe(at('BAD7'));
  });
});
