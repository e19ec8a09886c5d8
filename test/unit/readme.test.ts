/**
 * The README and docs/privacy.md are a newcomer's path: every `./bin/veil ...` command in them must run and
 * exit 0, and an output quoted on the next line as `# → ...` must be what the command prints. Commands run
 * in-process (the same code as bin/veil); the tour's `head`/`tail` lines that prepare files run in the shell.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVeil } from '../../src/cli/testing.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The tour's file preparation (`head …`, `(head …; tail …) > …`): run by the shell, as a newcomer would. */
const SHELL_PREP = /^\(?(head|tail) /;

function commandsIn(file: string): Array<{ line: string; next: string }> {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  return lines
    .map((line, i) => ({ line: line.replace(/\s+#.*$/, '').trim(), next: lines[i + 1]?.trim() ?? '' }))
    .filter((l) => l.line.startsWith('./bin/veil ') || SHELL_PREP.test(l.line));
}

const commands = [...commandsIn('README.md'), ...commandsIn('docs/privacy.md')];

describe('commands in README.md and docs/privacy.md', () => {
  // the tour's ledger commands use the default database: a fresh one per run, so the tour can run again
  // and what they write under veil-data/ goes there too, not into the checkout
  const saved = process.env.VEIL_DB;
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'veil-readme-'));
    mkdirSync(join(scratch, 'veil-data'));
    process.env.VEIL_DB = `sqlite:${join(scratch, 'veil.db')}`;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.VEIL_DB;
    else process.env.VEIL_DB = saved;
  });

  it('has a tour', () => {
    expect(commands.length).toBeGreaterThanOrEqual(5);
  });

  it.each(commands.map((c) => [c.line, c.next] as const))(
    '%s',
    async (line, next) => {
      if (SHELL_PREP.test(line)) {
        // veil-data/ is the scratch directory here, as for the veil commands below
        execFileSync('sh', ['-c', line.replace(/veil-data\//g, `${scratch}/veil-data/`)], { cwd: ROOT });
        return;
      }
      // shell words: whitespace-separated, single or double quotes group (as a newcomer's shell would)
      const args = [...line.replace(/^\.\/bin\/veil /, '').matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map(
        (m) => m[1] ?? m[2] ?? m[3]!,
      );
      const run = await runVeil(...args.map((a) => (a.startsWith('veil-data/') ? join(scratch, a) : a)));
      expect(run.code, run.stderr).toBe(0);
      // a quoted output line ("# → epsilon = 2.59666 ...") must appear verbatim in the output
      if (next.startsWith('# → ')) expect(run.stdout).toContain(next.slice('# → '.length));
    },
    120_000,
  ); // the clean-room demo starts a room and its parties' commands as processes
});
