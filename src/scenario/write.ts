// Scenario → YAML text, the inverse of loadScenario (the explorer writes counterexamples this
// way and `sgxsim run` replays them). Setup is written minimally: only what differs from the
// defaults, except the design, which is always named. loadScenario(printScenario(s)) gives s
// back up to positions (test/scenario/write.test.ts).
import { Document, isNode, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { DEFAULT_SGX_CPU } from '../arch/x86/sgx/cpu.js';
import * as personality from '../abi/personality.js';
import type { Pattern } from '../enclave/pattern.js';
import type { Scenario } from './load.js';
import { printStep } from './print.js';
import { DEFAULT_KERNEL, DEFAULT_MOUNTS, DEFAULT_TASK, DEFAULT_TASK_CONTEXT, kernelVersionText, type FileSpec, type MountSpec, type Setup } from './setup.js';

export interface PrintOptions {
  /** Where the text will be written; relative content paths are re-expressed from there. */
  readonly file?: string;
}

const SIZE_UNITS: [bigint, string][] = [
  [1n << 40n, 'T'],
  [1n << 30n, 'G'],
  [1n << 20n, 'M'],
  [1n << 10n, 'K'],
];

/** 64M, 4K, or a plain number. */
function sizeNode(n: number | bigint): Scalar {
  const v = BigInt(n);
  for (const [m, u] of SIZE_UNITS) if (v !== 0n && v % m === 0n) return new Scalar(`${v / m}${u}`);
  return new Scalar(v);
}
function hexNode(v: number | bigint): Scalar {
  const s = new Scalar(BigInt(v));
  s.format = 'HEX';
  return s;
}
function octNode(v: number): Scalar {
  const s = new Scalar(BigInt(v));
  s.format = 'OCT';
  return s;
}
function seq(items: readonly unknown[]): YAMLSeq {
  const q = new YAMLSeq();
  for (const v of items) q.items.push(isNode(v) ? v : new Scalar(v));
  return q;
}
function flow(m: YAMLMap | YAMLSeq): YAMLMap | YAMLSeq {
  m.flow = true;
  return m;
}
function map(entries: [string, unknown][]): YAMLMap {
  const m = new YAMLMap();
  for (const [k, v] of entries) if (v !== undefined) m.add({ key: new Scalar(k), value: isNode(v) ? v : new Scalar(v) });
  return m;
}
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** `to` relative to directory `fromDir` (both relative, or both absolute); else `to` itself. */
function relativeTo(fromDir: string, to: string): string {
  if (fromDir.startsWith('/') !== to.startsWith('/')) return to;
  const a = fromDir.split('/').filter((s) => s && s !== '.');
  const b = to.split('/').filter((s) => s && s !== '.');
  if (a.includes('..')) return to;
  let i = 0;
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}

function patternNode(p: Pattern): YAMLMap {
  if (p.kind === 'fill') return flow(map([['fill', hexNode(p.value)]])) as YAMLMap;
  if (p.kind === 'random') return flow(map([['random', new Scalar(BigInt(p.seed))]])) as YAMLMap;
  return flow(map([['repeat', new Scalar(hex(p.bytes))]])) as YAMLMap;
}

function fileNode(f: FileSpec, s: Scenario, opts: PrintOptions): YAMLMap {
  const c = f.contents;
  let contents: unknown;
  let size: Scalar | undefined;
  switch (c.kind) {
    case 'zero':
      size = f.size ? sizeNode(f.size) : undefined;
      break;
    case 'file': {
      const same = opts.file === undefined || dirOf(opts.file) === dirOf(s.file);
      const rel = same ? c.given : relativeTo(dirOf(opts.file!), c.path);
      contents = flow(map([['file', new Scalar(rel)], ['offset', c.offset ? sizeNode(c.offset) : undefined]]));
      size = f.size !== undefined ? sizeNode(f.size) : undefined;
      break;
    }
    case 'bytes':
      contents = flow(map(c.form === 'hex' ? [['hex', new Scalar(hex(c.bytes))]] : [['text', new Scalar(new TextDecoder().decode(c.bytes))]]));
      break;
    case 'pattern':
      contents = flow(map([['pattern', patternNode(c.pattern)]]));
      size = f.size !== undefined ? sizeNode(f.size) : undefined;
      break;
  }
  return flow(map([['path', new Scalar(f.path)], ['label', f.label], ['mode', f.mode !== 0o644 ? octNode(f.mode) : undefined], ['size', size], ['contents', contents]])) as YAMLMap;
}

function sameMount(a: MountSpec, b: MountSpec): boolean {
  return a.path === b.path && a.fstype === b.fstype && a.context === b.context && (Object.keys(a.flags) as (keyof MountSpec['flags'])[]).every((k) => a.flags[k] === b.flags[k]);
}

const PERSONALITY_NAMES = Object.entries(personality).filter(([k, v]) => typeof v === 'number' && /^[A-Z]/.test(k) && !['PER_MASK', 'PERSONALITY_QUERY', 'PER_LINUX'].includes(k)) as [string, number][];

function personalityNode(p: number): unknown {
  if (p === 0) return undefined;
  const names: string[] = [];
  let rest = p;
  for (const [k, v] of PERSONALITY_NAMES) {
    if (v !== 0 && (rest & v) === v) {
      names.push(k);
      rest &= ~v;
    }
  }
  return rest === 0 ? flow(seq(names)) : hexNode(p);
}

function setupNode(setup: Setup, s: Scenario, opts: PrintOptions): YAMLMap {
  const entries: [string, unknown][] = [];
  const kv = kernelVersionText(setup.kernel);
  if (kv !== DEFAULT_KERNEL) entries.push(['kernel', new Scalar(kv)]);
  const d = setup.design;
  entries.push(['design', Object.keys(d.options).length ? flow(map([['id', d.id], ['options', flow(map(Object.entries(d.options).map(([k, v]) => [k, new Scalar(v)])))]])) : new Scalar(d.id)]);

  const p = setup.policy;
  const src = p.source.kind === 'builtin' ? `builtin:${p.source.name}` : opts.file === undefined || dirOf(opts.file) === dirOf(s.file) ? p.source.given : relativeTo(dirOf(opts.file), p.source.path);
  const plainPolicy = p.enforcing && Object.keys(p.booleans).length === 0 && p.permissiveDomains.length === 0;
  if (!(plainPolicy && src === 'builtin:default')) {
    entries.push([
      'policy',
      plainPolicy
        ? new Scalar(src)
        : map([
            ['source', src],
            ['mode', p.enforcing ? undefined : 'permissive'],
            ['booleans', Object.keys(p.booleans).length ? flow(map(Object.entries(p.booleans))) : undefined],
            ['permissive_domains', p.permissiveDomains.length ? flow(seq(p.permissiveDomains)) : undefined],
          ]),
    ]);
  }

  const c = setup.cpu;
  const D = DEFAULT_SGX_CPU;
  const cpu: [string, unknown][] = [];
  for (const k of ['sgx1', 'sgx2', 'flc', 'kss'] as const) if (c[k] !== D[k]) cpu.push([k, c[k]]);
  const secs = c.epcSections;
  const sameSections = secs.length === D.epcSections.length && secs.every((x, i) => x.base === D.epcSections[i].base && x.pages === D.epcSections[i].pages);
  if (!sameSections) {
    if (secs.length === 1 && secs[0].base === D.epcSections[0].base) cpu.push(['epc', sizeNode(secs[0].pages * 4096)]);
    else cpu.push(['epc_sections', seq(secs.map((x) => flow(map([['base', hexNode(x.base)], ['size', sizeNode(BigInt(x.pages) * 4096n)]]))))]);
  }
  if (c.xfrmSupported !== D.xfrmSupported) cpu.push(['xfrm', hexNode(c.xfrmSupported)]);
  if (c.xcr0 !== (c.xfrmSupported !== D.xfrmSupported ? c.xfrmSupported : D.xcr0)) cpu.push(['xcr0', hexNode(c.xcr0)]);
  if (c.miscselectSupported !== D.miscselectSupported) cpu.push(['miscselect', hexNode(c.miscselectSupported)]);
  if (cpu.length) entries.push(['cpu', flow(map(cpu))]);

  const mounts = setup.mounts.filter((m) => {
    const dflt = DEFAULT_MOUNTS.find((x) => x.path === m.path);
    return !dflt || !sameMount(dflt, m);
  });
  if (mounts.length) {
    entries.push([
      'mounts',
      seq(
        mounts.map((m) =>
          flow(
            map([
              ['path', m.path],
              ['fstype', m.fstype],
              ['flags', flow(seq((Object.keys(m.flags) as (keyof MountSpec['flags'])[]).filter((k) => m.flags[k])))],
              ['context', m.context],
            ]),
          ),
        ),
      ),
    ]);
  }
  if (setup.directories.length) {
    entries.push(['directories', seq(setup.directories.map((x) => flow(map([['path', x.path], ['label', x.label], ['mode', x.mode !== 0o755 ? octNode(x.mode) : undefined]]))))]);
  }
  if (setup.files.length) entries.push(['files', seq(setup.files.map((f) => fileNode(f, s, opts)))]);
  if (!setup.designDevices) {
    entries.push(['devices', seq(setup.devices.map((x) => flow(map([['path', x.path], ['device', x.device], ['label', x.label], ['mode', x.mode !== 0o666 ? octNode(x.mode) : undefined]]))))]);
  }
  const defaultTasks = setup.tasks.length === 1 && JSON.stringify({ ...setup.tasks[0], pos: undefined }) === JSON.stringify({ ...DEFAULT_TASK, pos: undefined });
  if (!defaultTasks) {
    entries.push([
      'tasks',
      seq(
        setup.tasks.map((t) =>
          flow(
            map([
              ['name', t.name],
              ['comm', t.comm !== t.name ? t.comm : undefined],
              ['context', t.context !== DEFAULT_TASK_CONTEXT ? t.context : undefined],
              ['personality', personalityNode(t.personality)],
              ['caps', t.caps.length ? flow(seq(t.caps)) : undefined],
            ]),
          ),
        ),
      ),
    ]);
  }
  return map(entries);
}

/** The scenario as YAML text. */
export function printScenario(s: Scenario, opts: PrintOptions = {}): string {
  const doc = new Document();
  const root = new YAMLMap();
  if (s.description !== undefined) root.add({ key: new Scalar('description'), value: new Scalar(s.description) });
  root.add({ key: new Scalar('setup'), value: setupNode(s.setup, s, opts) });
  root.add({ key: new Scalar('steps'), value: seq(s.steps.map((st) => new Scalar(printStep(st)))) });
  doc.contents = root;
  return doc.toString({ lineWidth: 0, minContentWidth: 0, flowCollectionPadding: true });
}
