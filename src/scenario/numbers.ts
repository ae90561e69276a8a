// Integer literals shared by step strings and `setup` (docs/scenario-format.md "Numbers"). C
// spellings plus a few conveniences:
//   decimal 4096 · hex 0x1000 · octal 0755 (C) or 0o755 · binary 0b101 · size 4K / 2M / 1G / 1T
//   (binary multiples, decimal mantissa; 4KiB is accepted too) · `_` between digits (0x7fff_f000).
// Values are unsigned 64-bit, as a register holds them; larger literals are an error.

export type Radix = 2 | 8 | 10 | 16;
export type SizeSuffix = 'K' | 'M' | 'G' | 'T';

export const U64_MAX = (1n << 64n) - 1n;

export const SIZE_MULTIPLIER: Readonly<Record<SizeSuffix, bigint>> = { K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n };

export interface IntLiteral {
  readonly value: bigint;
  readonly radix: Radix;
  readonly suffix?: SizeSuffix;
}

export type IntParse = { ok: true; lit: IntLiteral } | { ok: false; message: string };

const DIGITS: Record<Radix, RegExp> = { 2: /^[01]$/, 8: /^[0-7]$/, 10: /^[0-9]$/, 16: /^[0-9a-fA-F]$/ };
const RADIX_NAME: Record<Radix, string> = { 2: 'binary', 8: 'octal', 10: 'decimal', 16: 'hex' };

/** Parse one whole literal (no sign, no surrounding space). */
export function parseIntLiteral(text: string): IntParse {
  const shown = text;
  const bad = (why: string): IntParse => ({ ok: false, message: `bad number '${shown}': ${why}` });
  if (text.length === 0 || !/^[0-9]/.test(text)) return bad('a number starts with a digit');
  let radix: Radix = 10;
  let body = text;
  let suffix: SizeSuffix | undefined;
  if (/^0[xX]/.test(text)) {
    radix = 16;
    body = text.slice(2);
  } else if (/^0[oO]/.test(text)) {
    radix = 8;
    body = text.slice(2);
  } else if (/^0[bB]/.test(text)) {
    radix = 2;
    body = text.slice(2);
  } else {
    if (/[KMGT]iB$/.test(text)) text = text.slice(0, -2);
    const last = text[text.length - 1];
    if (/[KMGTkmgt]/.test(last)) {
      suffix = last.toUpperCase() as SizeSuffix;
      body = text.slice(0, -1);
      if (body.length > 1 && body[0] === '0') return bad('a size (4K, 2M, …) has a decimal number without leading zeros');
    } else if (text.length > 1 && text[0] === '0') {
      radix = 8;
      body = text.slice(1);
    }
  }
  if (body.length === 0) return bad(`no digits after the ${RADIX_NAME[radix]} prefix`);
  if (body.startsWith('_') || body.endsWith('_') || body.includes('__')) return bad("'_' may only separate digits");
  const digits = body.replace(/_/g, '');
  for (const ch of digits) {
    if (!DIGITS[radix].test(ch)) {
      if (radix === 10 && /[a-zA-Z]/.test(ch)) return bad(`unexpected '${ch}' (sizes use K, M, G or T at the end; hex numbers start with 0x)`);
      return bad(`'${ch}' is not a ${RADIX_NAME[radix]} digit`);
    }
  }
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : '';
  let value = BigInt(prefix + digits);
  if (suffix) value *= SIZE_MULTIPLIER[suffix];
  if (value > U64_MAX) return bad('larger than 64 bits (0xffffffffffffffff)');
  return { ok: true, lit: suffix ? { value, radix, suffix } : { value, radix } };
}

/** Canonical text of a literal (inverse of parseIntLiteral for the stored radix/suffix). */
export function formatIntLiteral(lit: IntLiteral): string {
  const { value, radix, suffix } = lit;
  if (suffix !== undefined) {
    const m = SIZE_MULTIPLIER[suffix];
    if (value % m === 0n) return `${value / m}${suffix}`;
  }
  switch (radix) {
    case 16:
      return '0x' + value.toString(16);
    case 8:
      return '0' + value.toString(8);
    case 2:
      return '0b' + value.toString(2);
    default:
      return value.toString(10);
  }
}

/** The literal form a value is best shown in: hex from 0x10000 upwards (addresses), decimal below. */
export function naturalLiteral(value: bigint): IntLiteral {
  return { value, radix: value >= 0x10000n ? 16 : 10 };
}
