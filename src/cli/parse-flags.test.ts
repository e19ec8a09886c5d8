/**
 * Flags onto a spec with every problem at once: listed in the order of the flags, under the flag and the text
 * typed, a flag's own wording where given, and a field the command could not fill (an unreadable file) reported
 * once, by the command.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/index.js';
import { numberFlag, parseFlags, readJsonFlag, textFlag } from './parse-flags.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-parse-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Schema = z
  .object({
    rate: z.number({ error: 'a number' }).gt(0, { error: 'a number > 0' }),
    mode: z.enum(['a', 'b'], { error: 'one of a, b' }).default('a'),
    items: z.array(z.number(), { error: 'a list of numbers' }),
  })
  .strict();

const thrown = (body: () => unknown): ConfigError => {
  try {
    body();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no ConfigError');
};

describe('parseFlags', () => {
  it('parses numbers strictly and returns the spec with its defaults', () => {
    const { spec } = parseFlags(Schema, [numberFlag('--rate', 'rate', '256/60000')], {
      values: { items: [1] },
    });
    expect(spec).toEqual({ rate: 256 / 60000, mode: 'a', items: [1] });
  });

  it("lists every problem in the flags' order, with the text typed and a flag's own wording", () => {
    const fields = [
      { ...textFlag('--mode', 'mode', 'c'), allowed: 'a or b' },
      numberFlag('--rate', 'rate', 'abc'),
      textFlag('--items', 'items', 'items.json'),
    ];
    const own: ConfigIssue[] = [{ path: '--mode', value: 'c', allowed: 'not with --rate' }];
    const e = thrown(() => parseFlags(Schema, fields, { issues: own, values: { items: 'x' } }));
    expect(e.message).toBe(
      'invalid command-line flags: --mode: must be not with --rate, got "c"; --mode: must be a or b, got "c"; ' +
        '--rate: must be a number, got "abc"; --items: must be a list of numbers, got "items.json"',
    );
  });

  it('reports a file the command could not read once, not also as a missing field', () => {
    const issues: ConfigIssue[] = [];
    const items = readJsonFlag('--items', join(dir, 'missing.json'), 'a readable JSON file', issues);
    const e = thrown(() =>
      parseFlags(
        Schema,
        [
          numberFlag('--rate', 'rate', '1'),
          { ...textFlag('--items', 'items', 'missing.json'), renameOnly: true },
        ],
        {
          values: { items },
          issues,
        },
      ),
    );
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({
      path: '--items',
      allowed: expect.stringMatching(/^a readable JSON file \(/),
    });
  });

  it('reads a JSON file, or says a required one is missing', () => {
    const file = join(dir, 'items.json');
    writeFileSync(file, '[1, 2]');
    const issues: ConfigIssue[] = [];
    expect(readJsonFlag('--items', file, 'a readable JSON file', issues)).toEqual([1, 2]);
    expect(readJsonFlag('--items', undefined, 'a readable JSON file', issues, 'a JSON file of numbers')).toBe(
      undefined,
    );
    expect(issues).toEqual([{ path: '--items', value: undefined, allowed: 'a JSON file of numbers' }]);
  });

  it("renames a job's problem with a flag's field, and leaves others (the ledger's) as they are", () => {
    const { renamed } = parseFlags(Schema, [numberFlag('--rate', 'rate', '2')], { values: { items: [] } });
    const ours = renamed(new ConfigError([{ path: 'rate', value: 2, allowed: 'below the limit' }], 'job'));
    expect((ours as Error).message).toBe(
      'invalid command-line flags: --rate: must be below the limit, got "2"',
    );
    const theirs = new ConfigError(
      [{ path: 'account', value: 'x', allowed: 'an existing account' }],
      'ledger',
    );
    expect(renamed(theirs)).toBe(theirs);
  });
});
