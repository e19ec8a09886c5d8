import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVeil } from '../testing.js';

describe('veil dataset register', () => {
  it('warns when the retention date is already past: every use would be refused (issue 13)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'veil-dataset-'));
    const file = join(dir, 'd.csv');
    writeFileSync(file, 'x\n1\n');
    const db = `sqlite:${join(dir, 'l.db')}`;
    const past = await runVeil(
      '--json',
      'dataset',
      'register',
      'old',
      '--file',
      file,
      '--purpose',
      'p',
      '--retain-until',
      '2001-01-01',
      '--db',
      db,
    );
    expect(past.code, past.stderr).toBe(0);
    expect((past.json() as { warnings: string[] }).warnings).toEqual([
      'the retention date 2001-01-01T00:00:00.000Z is in the past: every use of old will be refused until its owner registers new terms',
    ]);
    const text = await runVeil(
      'dataset',
      'register',
      'old2',
      '--file',
      file,
      '--purpose',
      'p',
      '--retain-until',
      '2001-01-01',
      '--db',
      db,
    );
    expect(text.stdout).toMatch(/^warning: the retention date .* is in the past/m);
    const future = await runVeil(
      '--json',
      'dataset',
      'register',
      'new',
      '--file',
      file,
      '--purpose',
      'p',
      '--retain-until',
      '2999-01-01',
      '--db',
      db,
    );
    expect(future.json()['warnings']).toBeUndefined();
  });
});
