// `sgxsim explore` end to end, in-process: exit codes (1 violated, 0 holds, 2 bad input), --json,
// --out files that `sgxsim run` replays, the --all-designs table.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { register as explore } from '../../src/cli/commands/explore.js';
import { register as run } from '../../src/cli/commands/run.js';
import { cliRunner } from '../cli/harness.js';
import { ROOT } from './explore.helpers.js';

const cli = cliRunner([explore, run]);

const START = join(ROOT, 'scenarios/explore.yaml');

describe('sgxsim explore', () => {
  it('exits 1 with a violation, writes replayable counterexamples with --out, and prints JSON', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sgxsim-explore-'));
    const r = await cli('explore', START, '--design', 'D7', '--depth', '5', '--invariant', 'I2', '--out', out, '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { design: string; depth: number; invariants: { invariant: string; verdict: string; length?: number; file?: string }[] };
    expect(j.design).toBe('D7');
    expect(j.invariants).toMatchObject([{ invariant: 'I2', verdict: 'violated', length: 5 }]);
    expect(readdirSync(out)).toEqual(['D7-I2.yaml']);
    const replay = await cli('run', join(out, 'D7-I2.yaml'), '-q');
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(readFileSync(join(out, 'D7-I2.yaml'), 'utf8')).toContain('expect invariant("I2").violated == 1');
  });

  it('exits 0 when the invariants hold to the depth, and 2 for bad input', async () => {
    const ok = await cli('explore', START, '--depth', '2');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/I1 {2}holds to depth 2/);
    expect((await cli('explore', START, '--depth', 'x')).code).toBe(2);
    expect((await cli('explore', START, '--invariant', 'I4')).code).toBe(2);
    expect((await cli('explore', join(ROOT, 'no-such.yaml'))).code).toBe(2);
    expect((await cli('explore', '--design', 'D7', '--all-designs')).code).toBe(2);
  });

  it('--all-designs prints the design x invariant table', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sgxsim-explore-all-'));
    const r = await cli('explore', START, '--all-designs', '--depth', '1', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| design +\| I1 +\| I2 +\| I3 +\|/);
    expect(r.stdout).toMatch(/\| D7 +\| holds to depth 1 +\|/);
    expect(r.stdout).toMatch(/\| D1 +\|/);
  });
});
