// `sgxsim audit2allow [FILE]`: allow rules that would grant the AVC denials in FILE (or stdin),
// grouped by source type like audit2allow. Reads dmesg, ausearch and /var/log/audit/audit.log lines.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { audit2allowDetailed } from '../../security/selinux/audit2allow.js';
import { UsageError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('audit2allow')
    .description(
      'Print the allow rules that would grant the AVC denials in FILE (default: standard input), grouped by source type ' +
        'like audit2allow (`#============= loader_t ==============`). Accepts kernel lines from dmesg, ausearch or ' +
        '/var/log/audit/audit.log; "granted" records are ignored.',
    )
    .argument('[file]', 'file of AVC records (default: stdin; "-" also means stdin)')
    .option('--json', 'print the parsed records and rules as JSON')
    .action((file: string | undefined, opts: { json?: boolean }) => {
      let text: string;
      const name = file && file !== '-' ? file : '<stdin>';
      try {
        text = readFileSync(file && file !== '-' ? file : 0, 'utf8');
      } catch (e) {
        throw new UsageError(`${name}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const r = audit2allowDetailed(text.split(/\r?\n/));
      if (opts.json) {
        process.stdout.write(JSON.stringify({ file: name, rules: r.text.split('\n').filter((l) => l.startsWith('allow ')), records: r.records, skipped: r.skipped }, null, 2) + '\n');
        return;
      }
      for (const s of r.skipped) process.stderr.write(`${name}:${s.lineNo}:1: skipped AVC record: ${s.reason}\n`);
      process.stdout.write(r.text);
    });
}
