/**
 * `veil demo --dir` at a path that cannot hold a run (issue 13: a file there exited 70, "internal error"): a
 * usage error, exit 2, naming --dir and what it must be, before anything is created.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVeil } from '../../src/cli/testing.js';

describe('veil demo --dir', () => {
  const base = mkdtempSync(join(tmpdir(), 'veil-demo-dir-'));
  const file = join(base, 'report.txt');
  writeFileSync(file, 'a file, not a directory');

  it.each([
    [file, 'it is a file'],
    [join(file, 'runs'), `${file} is a file`],
  ])('refuses %s with exit 2, naming --dir', async (dir, why) => {
    const run = await runVeil('demo', '--dir', dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `veil: error: invalid command-line flags: --dir: must be a directory Veil can create or write in (${why}), got "${dir}"\n`,
    );
    expect(readdirSync(base)).toEqual(['report.txt']);
  });
});
