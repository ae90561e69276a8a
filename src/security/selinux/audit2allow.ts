// audit2allow: allow rules that would grant the denials in kernel AVC records, grouped by
// source type as sepolgen prints them (python/sepolgen/src/sepolgen/output.py sort_filter:
// rules sorted by source, target, class; a `#============= TYPE ==============` comment per
// source type; an empty comment line between groups). AVC parsing follows
// sepolgen/audit.py AVCMessage: `{ perms }`, scontext=, tcontext=, tclass= are required.
// Accepted inputs: bare kernel lines, dmesg lines (`[ 1.23] audit: type=1400 audit(...): avc: ...`),
// and ausearch / audit.log lines (`type=AVC msg=audit(...): avc: ...`).

export interface ParsedAvc {
  denied: boolean;
  perms: string[];
  scontext: string;
  tcontext: string;
  tclass: string;
  stype: string;
  ttype: string;
  comm?: string;
  name?: string;
  path?: string;
  ioctlcmd?: number;
  permissive?: boolean;
  /** 1-based input line */
  lineNo: number;
}

export interface Audit2AllowResult {
  text: string;
  records: ParsedAvc[];
  /** lines that mention avc: but could not be parsed */
  skipped: { lineNo: number; reason: string }[];
}

function ctxType(ctx: string): string | null {
  const parts = ctx.split(':');
  return parts.length >= 3 && parts[2] ? parts[2] : null;
}

function field(line: string, key: string): string | undefined {
  const re = new RegExp(`(?:^|\\s)${key}=("[^"]*"|\\S+)`);
  const m = re.exec(line);
  if (!m) return undefined;
  const v = m[1];
  return v.startsWith('"') ? v.slice(1, -1) : v;
}

/** Parse one AVC record line; null when the line holds no AVC record. */
export function parseAvcLine(line: string, lineNo = 1): ParsedAvc | { error: string } | null {
  const i = line.indexOf('avc:');
  if (i < 0) return null;
  const rest = line.slice(i + 4);
  const m = /^\s+(denied|granted)\s+\{([^}]*)\}/.exec(rest);
  if (!m) return { error: 'no "denied { ... }" or "granted { ... }" after avc:' };
  const perms = m[2].trim().split(/\s+/).filter(Boolean);
  if (!perms.length) return { error: 'empty permission list' };
  const scontext = field(rest, 'scontext');
  const tcontext = field(rest, 'tcontext');
  const tclass = field(rest, 'tclass');
  if (!scontext || !tcontext || !tclass) return { error: 'missing scontext=, tcontext= or tclass=' };
  const stype = ctxType(scontext);
  const ttype = ctxType(tcontext);
  if (!stype || !ttype) return { error: `invalid context in scontext=${scontext} tcontext=${tcontext}` };
  const r: ParsedAvc = { denied: m[1] === 'denied', perms, scontext, tcontext, tclass, stype, ttype, lineNo };
  const comm = field(rest, 'comm');
  if (comm !== undefined) r.comm = comm;
  const name = field(rest, 'name');
  if (name !== undefined) r.name = name;
  const path = field(rest, 'path');
  if (path !== undefined) r.path = path;
  const ioc = field(rest, 'ioctlcmd');
  if (ioc !== undefined) r.ioctlcmd = parseInt(ioc, 16);
  const perm = field(rest, 'permissive');
  if (perm !== undefined) r.permissive = perm === '1';
  return r;
}

/** Parse every line; denials become allow rules. */
export function audit2allowDetailed(lines: readonly string[]): Audit2AllowResult {
  const records: ParsedAvc[] = [];
  const skipped: { lineNo: number; reason: string }[] = [];
  lines.forEach((l, idx) => {
    const r = parseAvcLine(l, idx + 1);
    if (r === null) return;
    if ('error' in r) skipped.push({ lineNo: idx + 1, reason: r.error });
    else records.push(r);
  });
  // AccessVectorSet: merge permissions per (source, target, class); target "self" when equal
  const rules = new Map<string, { src: string; tgt: string; cls: string; perms: Set<string> }>();
  for (const r of records) {
    if (!r.denied) continue;
    const tgt = r.stype === r.ttype ? 'self' : r.ttype;
    const k = `${r.stype}\u0000${tgt}\u0000${r.tclass}`;
    let e = rules.get(k);
    if (!e) {
      e = { src: r.stype, tgt, cls: r.tclass, perms: new Set() };
      rules.set(k, e);
    }
    for (const p of r.perms) e.perms.add(p);
  }
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...rules.values()].sort((a, b) => cmp(a.src, b.src) || cmp(a.tgt, b.tgt) || cmp(a.cls, b.cls) || a.perms.size - b.perms.size);
  // ModuleWriter: the module node and the empty require comment print as empty lines
  const out: string[] = ['', ''];
  let cur: string | null = null;
  for (const r of sorted) {
    if (cur !== r.src) {
      if (cur !== null) out.push('');
      cur = r.src;
      out.push(`#============= ${cur} ==============`);
    }
    const perms = [...r.perms].sort();
    out.push(`allow ${r.src} ${r.tgt}:${r.cls} ${perms.length === 1 ? perms[0] : `{ ${perms.join(' ')} }`};`);
  }
  return { text: sorted.length ? out.join('\n') + '\n' : '', records, skipped };
}

/** The allow rules that would grant the denials in `lines`, formatted like audit2allow. */
export function audit2allow(lines: readonly string[]): string {
  return audit2allowDetailed(lines).text;
}
