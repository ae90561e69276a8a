// The README's command transcripts are what the commands print now: every ```text block whose
// first line is `$ sgxsim …` is a transcript (`$ ` lines are commands, the lines after each its
// standard output), and each command is run in-process and compared line for line. This keeps the
// seed output ("Running a scenario"), the design comparison ("Comparing designs") and the derived
// policies ("Minimal policy") from drifting. Regenerate a block with `npm run build` and
// `node dist/src/cli/sgxsim.js <the command>`.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run.harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const README = readFileSync(resolve(root, 'README.md'), 'utf8');

interface Transcript {
  /** The `## ` section the block is in. */
  readonly section: string;
  /** 1-based line of the command in README.md. */
  readonly line: number;
  readonly argv: readonly string[];
  readonly expected: string;
}

/** Every command of every transcript block, with its expected stdout. */
function transcripts(text: string): Transcript[] {
  const lines = text.split('\n');
  const out: Transcript[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('## ')) section = lines[i].slice(3);
    if (lines[i] !== '```text' || !lines[i + 1]?.startsWith('$ sgxsim ')) continue;
    let j = i + 1;
    let cur: { line: number; argv: string[]; body: string[] } | null = null;
    for (; j < lines.length && lines[j] !== '```'; j++) {
      if (lines[j].startsWith('$ sgxsim ')) {
        if (cur) out.push({ section, line: cur.line, argv: cur.argv, expected: cur.body.join('\n') + '\n' });
        cur = { line: j + 1, argv: lines[j].slice('$ sgxsim '.length).trim().split(/\s+/), body: [] };
      } else cur!.body.push(lines[j]);
    }
    if (cur) out.push({ section, line: cur.line, argv: cur.argv, expected: cur.body.join('\n') + '\n' });
    i = j;
  }
  return out;
}

const all = transcripts(README);

describe('README transcripts', () => {
  it('the seed output, the design comparison and the derived policies are transcripts', () => {
    const sections = new Set(all.map((t) => t.section));
    for (const s of ['Running a scenario', 'Comparing designs', 'Minimal policy']) expect(sections).toContain(s);
    expect(all.some((t) => t.section === 'Running a scenario' && t.argv.join(' ') === 'run')).toBe(true);
    expect(all.some((t) => t.section === 'Comparing designs' && t.argv.join(' ') === 'compare examples/reference-enclave.yaml')).toBe(true);
  });

  it('runs from the repository root (the transcripts use relative paths)', () => {
    expect(resolve(process.cwd())).toBe(root);
  });

  for (const t of all) {
    it(`README.md:${t.line} (${t.section}): sgxsim ${t.argv.join(' ')}`, async () => {
      const r = await runCli(...t.argv);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(t.expected);
    });
  }
});
