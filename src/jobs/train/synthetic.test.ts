/**
 * Hybrid training (issue 14, item 3): `veil train --synthetic FILE` pre-trains on a synthetic CSV, then trains on
 * the real data with DP-SGD; the synthetic data's own privacy loss (from the ledger's record of the `veil synth`
 * job that wrote the file, or declared) composes with the training's in the summary, and the lineage names it.
 * Every refusal comes before the training's spend.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAccountant } from '../../accounting/index.js';
import { ConfigError } from '../../core/index.js';
import { Ledger } from '../../ledger/index.js';
import { type JobContext, ledgerAt } from '../context.js';
import { parseSpec } from '../spec.js';
import { runSynthJob } from '../synth/run.js';
import { SynthSpecSchema } from '../synth/spec.js';
import { runTrainJob } from './run.js';
import { TrainSpecSchema } from './spec.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-hybrid-'));
const csv = join(dir, 'real.csv');
const domain = join(dir, 'domain.json');
// the label follows a and b; c is noise
writeFileSync(
  csv,
  `a,b,c,label\n${Array.from({ length: 600 }, (_, i) => `${i % 3},${(i >> 1) % 2},${(i * 7) % 4},${(i % 3) + ((i >> 1) % 2) >= 2 ? 1 : 0}`).join('\n')}\n`,
);
writeFileSync(domain, JSON.stringify({ a: 3, b: 2, c: 4, label: 2 }));

async function setUp(name: string): Promise<{ url: string; ctx: JobContext }> {
  const url = `sqlite:${join(dir, `${name}.db`)}`;
  const ledger = await Ledger.open(url);
  await ledger.createAccount({ path: 'team', epsilon: 20, delta: 1e-5 });
  await ledger.close();
  return { url, ctx: { ledger: ledgerAt(url), principal: 'test', progress: () => {} } };
}

const trainSpec = (synthetic: Record<string, unknown>, ledger = true) =>
  parseSpec(
    TrainSpecSchema,
    {
      data: { kind: 'csv', path: csv, label: 'label', domain },
      privacy: { epsilon: 1, publicSize: 600 },
      epochs: 2,
      batchSize: 60,
      synthetic,
      ...(ledger ? { ledger: { account: 'team', purpose: 'tests' } } : {}),
    },
    'training spec',
  );

async function synthesise(ctx: JobContext, out: string): Promise<number> {
  const spec = parseSpec(
    SynthSpecSchema,
    {
      data: csv,
      domain,
      method: 'mst',
      epsilon: 2,
      delta: 1e-6,
      rows: 400,
      out,
      ledger: { account: 'team', purpose: 'tests' },
    },
    'synth spec',
  );
  const { ledger } = await runSynthJob(spec, ctx);
  return ledger!.spend!.id;
}

async function spends(url: string): Promise<number> {
  const ledger = await Ledger.open(url);
  try {
    return (await ledger.spends('team')).length;
  } finally {
    await ledger.close();
  }
}

let refusals = 0;

describe('hybrid training (veil train --synthetic)', () => {
  it('finds the synthetic file in the ledger, pre-trains on it, and composes both losses', async () => {
    const { url, ctx } = await setUp('ledger');
    const synth = join(dir, 'synth.csv');
    const synthSpend = await synthesise(ctx, synth);
    const { summary } = await runTrainJob(trainSpec({ path: synth, epochs: 3 }), ctx);
    const s = summary['synthetic'] as {
      rows: number;
      epochs: number;
      testAccuracyAfterPretraining: number;
      provenance: { source: string; spend: { id: number; account: string }; events: unknown[] };
    };
    expect(s.rows).toBe(400);
    expect(s.epochs).toBe(3);
    expect(s.testAccuracyAfterPretraining).toBeGreaterThan(0);
    expect(s.provenance.source).toBe('ledger');
    expect(s.provenance.spend).toEqual({ id: synthSpend, account: 'team' });
    // the composition is the accountant's over both spends' events, above each part alone
    const ledger = await Ledger.open(url);
    try {
      const all = await ledger.spends('team');
      expect(all).toHaveLength(2);
      const acc = createAccountant('rdp');
      for (const e of all.flatMap((x) => x.events)) acc.compose(e);
      const total = summary['epsilonTotal'] as { epsilon: number; delta: number };
      expect(total.delta).toBe(1e-5);
      expect(total.epsilon).toBeCloseTo(acc.epsilon({ delta: 1e-5 }), 10);
      expect(total.epsilon).toBeGreaterThan(summary['epsilonSpent'] as number);
      // the lineage of the training names the synthetic release
      const lineage = (await ledger.auditEntries()).filter((e) => e.action === 'job.complete').at(-1)!;
      expect(lineage.detail['synthetic']).toMatchObject({ source: 'ledger', spendId: synthSpend });
    } finally {
      await ledger.close();
    }
  });

  it('composes a declared (epsilon, delta) by basic composition when the ledger has no record', async () => {
    const { ctx } = await setUp('declared');
    const synth = join(dir, 'declared.csv');
    writeFileSync(
      synth,
      `a,b,c,label\n${Array.from({ length: 50 }, (_, i) => `${i % 3},1,0,1`).join('\n')}\n`,
    );
    const { summary } = await runTrainJob(
      trainSpec({ path: synth, privacy: { epsilon: 0.5, delta: 1e-7 } }),
      ctx,
    );
    const total = summary['epsilonTotal'] as { epsilon: number; delta: number };
    expect(total.epsilon).toBeCloseTo(0.5 + (summary['epsilonSpent'] as number), 12);
    expect(total.delta).toBeCloseTo(1e-5 + 1e-7, 18);
    expect((summary['synthetic'] as { provenance: unknown }).provenance).toEqual({
      source: 'declared',
      epsilon: 0.5,
      delta: 1e-7,
    });
  });

  it.each([
    [
      'an unknown release',
      () => {
        writeFileSync(join(dir, 'unknown.csv'), 'a,b,c,label\n0,1,0,1\n');
        return { path: join(dir, 'unknown.csv') };
      },
      'synthetic.privacy',
    ],
    [
      'a missing file',
      () => ({ path: join(dir, 'nope.csv'), privacy: { epsilon: 1, delta: 1e-6 } }),
      'synthetic.path',
    ],
    [
      'a directory',
      () => {
        mkdirSync(join(dir, 'a-dir'), { recursive: true });
        return { path: join(dir, 'a-dir'), privacy: { epsilon: 1, delta: 1e-6 } };
      },
      'synthetic.path',
    ],
    [
      'other columns',
      () => {
        writeFileSync(join(dir, 'other.csv'), 'a,b,label\n0,1,1\n');
        return { path: join(dir, 'other.csv'), privacy: { epsilon: 1, delta: 1e-6 } };
      },
      'synthetic.path',
    ],
    [
      'a category outside the domain',
      () => {
        writeFileSync(join(dir, 'outside.csv'), 'a,b,c,label\n7,1,0,1\n');
        return { path: join(dir, 'outside.csv'), privacy: { epsilon: 1, delta: 1e-6 } };
      },
      'synthetic.path',
    ],
  ])('refuses %s before the training is charged', async (_, synthetic, path) => {
    refusals += 1;
    const { url, ctx } = await setUp(`refused-${refusals}`);
    const run = runTrainJob(trainSpec(synthetic()), ctx);
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(run).rejects.toMatchObject({ issues: [expect.objectContaining({ path })] });
    expect(await spends(url)).toBe(0);
  });

  it('refuses --synthetic with an image dataset and a declared privacy out of range', () => {
    expect(() =>
      parseSpec(
        TrainSpecSchema,
        {
          data: { kind: 'fashion-mnist' },
          synthetic: { path: csv, privacy: { epsilon: 1, delta: 1e-6 } },
        },
        'training spec',
      ),
    ).toThrow(/synthetic\.path/);
    for (const privacy of [
      { epsilon: 0, delta: 1e-6 },
      { epsilon: 1, delta: 1 },
      { epsilon: -1, delta: 1e-6 },
    ])
      expect(() => trainSpec({ path: csv, privacy }, false)).toThrow(/synthetic\.privacy\.(epsilon|delta)/);
  });
});
