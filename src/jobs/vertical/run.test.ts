/**
 * The vertical training job end to end in one process, on 600 rows of UCI Adult split by columns between a
 * bank (label and 7 columns) and a shop (6 columns), each missing some rows: PSI alignment, secure training,
 * the comparison with the same model in the clear, DP charged once to the ledger, and bad input refused before
 * anything is charged.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../ledger/index.js';
import { memoryChannelPair } from '../../mpc/index.js';
import { type JobContext, ledgerAt } from '../context.js';
import { parseSpec } from '../spec.js';
import { runVerticalParty } from './party.js';
import { runVerticalTrainJob } from './run.js';
import { VerticalTrainSpecSchema } from './spec.js';

const ADULT = join(import.meta.dirname, '../../../../shared/datasets/adult');
const dir = mkdtempSync(join(tmpdir(), 'veil-vertical-'));
const lines = readFileSync(join(ADULT, 'adult.csv'), 'utf8').trim().split('\n');
const header = lines[0]!.split(',');
const rows = lines.slice(1, 601).map((l) => l.split(','));
// the bank lacks every 10th row (60), the shop every 7th (85), 8 rows both: 600 - 60 - 85 + 8 = 463 in common
const bank = join(dir, 'bank.csv');
const shop = join(dir, 'shop.csv');
writeFileSync(
  bank,
  [
    ['id', ...header.slice(0, 7), header[13]].join(','),
    ...rows.flatMap((r, i) => (i % 10 === 9 ? [] : [[`p${i}`, ...r.slice(0, 7), r[13]].join(',')])),
  ].join('\n'),
);
writeFileSync(
  shop,
  [
    ['id', ...header.slice(7, 13)].join(','),
    ...rows.flatMap((r, i) => (i % 7 === 6 ? [] : [[` P${i} `, ...r.slice(7, 13)].join(',')])),
  ].join('\n'),
);
const domain = join(ADULT, 'adult-domain.json');

const spec = (over: Record<string, unknown> = {}) =>
  parseSpec(
    VerticalTrainSpecSchema,
    {
      parties: [
        { name: 'shop', file: shop, columns: header.slice(7, 13) },
        { name: 'bank', file: bank, columns: header.slice(0, 7) },
      ],
      key: 'id',
      label: 'income>50K',
      domain,
      normalise: 'trim-casefold',
      testFromRow: 400,
      epochs: 4,
      batchSize: 64,
      ...over,
    },
    'vertical spec',
  );

async function context(name: string): Promise<{ url: string; ctx: JobContext }> {
  const url = `sqlite:${join(dir, `${name}.db`)}`;
  const ledger = await Ledger.open(url);
  await ledger.createAccount({ path: 'team', epsilon: 5, delta: 1e-5 });
  await ledger.close();
  return { url, ctx: { ledger: ledgerAt(url), principal: 'test', progress: () => {} } };
}

describe('runVerticalTrainJob', () => {
  it('aligns by PSI (normalised ids), trains securely, and matches the same model trained in the clear', async () => {
    const { ctx } = await context('plain');
    const r = await runVerticalTrainJob(spec({ revealModel: true }), ctx);
    expect(r.intersection).toBe(600 - 60 - 85 + 8);
    expect(r.parties.map((p) => [p.name, p.rows, p.labels])).toEqual([
      ['bank', 540, true],
      ['shop', 515, false],
    ]);
    expect(r.trainRows + r.testRows).toBe(r.intersection);
    expect(r.testAccuracy).toBeGreaterThan(0.7);
    expect(Math.abs(r.testAccuracy! - r.plaintextAccuracy!)).toBeLessThanOrEqual(0.005);
    expect(r.epsilon).toBeNull();
    expect(r.triples).toBe('ot');
    expect(r.bytes).toBeGreaterThan(1e6);
    if (r.model === 'secret-shared') throw new Error('expected a revealed model');
    expect(Object.keys(r.model.weights)).toContain('bank.age');
    expect(Object.keys(r.model.weights)).toContain('shop.sex[1]');
  });

  it('with --epsilon: charges the ledger once with the calibrated Gaussian steps', async () => {
    const { url, ctx } = await context('dp');
    const r = await runVerticalTrainJob(
      spec({ epsilon: 2, epochs: 2, account: 'team', purpose: 'tests' }),
      ctx,
    );
    expect(r.activation).toBe('hard-sigmoid');
    expect(r.epsilon).toBeGreaterThan(1.9);
    expect(r.epsilon).toBeLessThanOrEqual(2);
    expect(r.model).toBe('secret-shared');
    const ledger = await Ledger.open(url);
    try {
      expect((await ledger.spends('team')).length).toBe(1);
    } finally {
      await ledger.close();
    }
  });

  it('refuses bad input before charging anything', async () => {
    const { url, ctx } = await context('bad');
    const dup = join(dir, 'dup.csv');
    writeFileSync(dup, `id,race\np1,0\np1,1\n`);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ label: 'race' }, /feature columns, not the key or the label/],
      [{ label: 'nope' }, /found in 0/],
      [
        {
          parties: [
            { name: 'bank', file: bank, columns: ['age'] },
            { name: 'shop', file: dup, columns: ['race'] },
          ],
        },
        /duplicate|twice|Duplicate/,
      ],
      [
        {
          parties: [
            { name: 'bank', file: bank, columns: ['agee'] },
            { name: 'shop', file: shop, columns: ['race'] },
          ],
        },
        /bank.columns: must be a column of .*bank.csv/,
      ],
      [
        {
          parties: [
            { name: 'bank', file: join(dir, 'missing.csv'), columns: ['age'] },
            { name: 'shop', file: shop, columns: ['race'] },
          ],
        },
        /bank.file/,
      ],
      [{ testFromRow: 0 }, /testFromRow/],
    ];
    for (const [over, message] of cases)
      await expect(runVerticalTrainJob(spec({ ...over, epsilon: 1, account: 'team' }), ctx)).rejects.toThrow(
        message,
      );
    const ledger = await Ledger.open(url);
    try {
      expect((await ledger.spends('team')).length).toBe(0);
    } finally {
      await ledger.close();
    }
  });
});

describe('runVerticalParty: the two organisations must agree', () => {
  it('refuses a peer whose training settings differ, naming both', async () => {
    const { ctx } = await context('settings');
    const [a, b] = memoryChannelPair({ peers: ['shop', 'bank'] });
    const base = spec();
    const { parties, ...shared } = base;
    const results = await Promise.allSettled([
      runVerticalParty({ ...shared, party: parties[1]! }, a, ctx),
      runVerticalParty({ ...shared, epochs: 9, party: parties[0]! }, b, ctx),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(
      /training settings differ.*"epochs":4.*"epochs":9/,
    );
  });
});
