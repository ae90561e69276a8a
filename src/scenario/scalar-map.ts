// Map an offset inside a YAML scalar's *value* back to an offset in the file, for every scalar
// style (YAML 1.2 §7.3 flow scalars, §8.1 block scalars): plain and quoted scalars fold line
// breaks into spaces and drop indentation, double-quoted scalars decode escapes, single-quoted
// ones turn '' into ', block scalars strip their indentation. The source is cut into units (one
// per character, one per escape sequence) each with the character it contributes; the value
// is then aligned with the units greedily, a value space or line break matching any white-space
// unit (folding only ever removes or replaces white space). Used so that an error inside a step
// string points at the exact file line and column.
import type { Scalar } from 'yaml';

interface Unit {
  readonly ch: string;
  readonly off: number;
}

const DQ_ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ',
  '"': '"', '/': '/', '\\': '\\', N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029',
};

function doubleQuotedUnits(src: string, start: number, end: number): Unit[] {
  const units: Unit[] = [];
  let j = start + 1; // after the opening quote
  const stop = src[end - 1] === '"' ? end - 1 : end;
  while (j < stop) {
    const c = src[j];
    if (c !== '\\') {
      units.push({ ch: c, off: j });
      j++;
      continue;
    }
    const e = src[j + 1];
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen) {
      const cp = parseInt(src.slice(j + 2, j + 2 + hexLen), 16);
      const s = Number.isFinite(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      for (const u of s.split('')) units.push({ ch: u, off: j });
      j += 2 + hexLen;
    } else if (e === '\n' || e === '\r') {
      // escaped line break: contributes nothing
      j += e === '\r' && src[j + 2] === '\n' ? 3 : 2;
    } else if (e !== undefined && e in DQ_ESCAPES) {
      units.push({ ch: DQ_ESCAPES[e], off: j });
      j += 2;
    } else {
      units.push({ ch: c, off: j });
      j++;
    }
  }
  return units;
}

function singleQuotedUnits(src: string, start: number, end: number): Unit[] {
  const units: Unit[] = [];
  let j = start + 1;
  const stop = src[end - 1] === "'" ? end - 1 : end;
  while (j < stop) {
    if (src[j] === "'" && src[j + 1] === "'") {
      units.push({ ch: "'", off: j });
      j += 2;
    } else {
      units.push({ ch: src[j], off: j });
      j++;
    }
  }
  return units;
}

function blockUnits(src: string, start: number, end: number): Unit[] {
  // Skip the header line (| or > with indicators and an optional comment).
  let j = src.indexOf('\n', start);
  if (j < 0 || j >= end) return [];
  j++;
  // Content indentation: an explicit indentation indicator, else the first non-empty line's.
  const header = src.slice(start, src.indexOf('\n', start));
  const explicit = /^[|>][+-]?([1-9])|^[|>]([1-9])/.exec(header);
  let indent = -1;
  if (explicit) {
    // relative to the parent node's indentation, which is the header line's own indentation
    const lineStart = src.lastIndexOf('\n', start) + 1;
    let parentIndent = 0;
    while (src[lineStart + parentIndent] === ' ') parentIndent++;
    indent = parentIndent + Number(explicit[1] ?? explicit[2]);
  } else {
    for (let k = j; k < end; ) {
      let n = 0;
      while (src[k + n] === ' ') n++;
      const c = src[k + n];
      if (c !== '\n' && c !== '\r' && c !== undefined && k + n < end) {
        indent = n;
        break;
      }
      const nl = src.indexOf('\n', k);
      if (nl < 0) break;
      k = nl + 1;
    }
  }
  const units: Unit[] = [];
  let col = 0;
  for (; j < end; j++) {
    const c = src[j];
    if (c === '\n') {
      units.push({ ch: c, off: j });
      col = 0;
      continue;
    }
    if (col < indent && c === ' ') {
      col++;
      continue;
    }
    col = Math.max(col, indent) + 1;
    units.push({ ch: c, off: j });
  }
  return units;
}

const isWs = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/**
 * For each index i of `value` (and value.length), the file offset of the source character that
 * produced value[i]. `node.range` must come from parsing `src`.
 */
export function scalarOffsets(src: string, node: Scalar, value: string): Int32Array {
  const [start, end] = node.range ?? [0, 0];
  let units: Unit[];
  switch (node.type) {
    case 'QUOTE_DOUBLE':
      units = doubleQuotedUnits(src, start, end);
      break;
    case 'QUOTE_SINGLE':
      units = singleQuotedUnits(src, start, end);
      break;
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED':
      units = blockUnits(src, start, end);
      break;
    default: {
      units = [];
      for (let j = start; j < end; j++) units.push({ ch: src[j], off: j });
    }
  }
  const map = new Int32Array(value.length + 1);
  let u = 0;
  let last = units.length ? units[0].off : start;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    let k = u;
    while (k < units.length && units[k].ch !== c && !(isWs(c) && isWs(units[k].ch))) k++;
    if (k < units.length) {
      last = units[k].off;
      u = k + 1;
    }
    map[i] = last;
  }
  map[value.length] = value.length ? last + 1 : last;
  return map;
}
