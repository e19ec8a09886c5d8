/**
 * The synth job below the CLI: a failure after the charge is recorded as `job.failed` with the spend (and the
 * spend stays); MST on the first 2,000 rows of UCI Adult (5 columns) through the job, when the data is there.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZcdpAccountant } from '../../accounting/index.js';
import { ConfigError } from '../../core/index.js';
import { Ledger } from '../../ledger/index.js';
import { epsilonOf, planDpGan } from '../../synth/index.js';
import { type JobContext, ledgerAt } from '../context.js';
import { parseSpec } from '../spec.js';
import { runSynthJob } from './run.js';
import { loadModelFile, runSynthSampleJob } from './sample.js';
import { SynthSampleSpecSchema, SynthSpecSchema } from './spec.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-synth-job-'));
const csv = join(dir, 'toy.csv');
const domain = join(dir, 'toy.json');
writeFileSync(
  csv,
  `a,b,c\n${Array.from({ length: 300 }, (_, i) => `${i % 3},${i % 2 ? 'x' : 'y'},${(i * 7) % 4}`).join('\n')}\n`,
);
writeFileSync(domain, JSON.stringify({ a: 3, b: { type: 'categorical', values: ['x', 'y'] }, c: 4 }));

async function setUp(name: string): Promise<{ url: string; ctx: JobContext }> {
  const url = `sqlite:${join(dir, `${name}.db`)}`;
  const ledger = await Ledger.open(url);
  await ledger.createAccount({ path: 'team', epsilon: 10, delta: 1e-5 });
  await ledger.close();
  return { url, ctx: { ledger: ledgerAt(url), principal: 'test', progress: () => {}, seed: 5 } };
}

const spec = (out: string, more: Record<string, unknown> = {}) =>
  parseSpec(
    SynthSpecSchema,
    { data: csv, domain, method: 'mst', epsilon: 1, delta: 1e-6, rows: 100, out, ...more },
    'synth spec',
  );

describe('runSynthJob', () => {
  it('records job.failed with the spend when writing fails after the charge', async () => {
    const { url, ctx } = await setUp('failed');
    const out = join(dir, 'failed.csv');
    // the output turns into a directory between the checks and the write (as a full disk would fail the write)
    const progress: JobContext['progress'] = (e) => {
      if (e.kind === 'progress' && e.stage === 'sampling') mkdirSync(out);
    };
    const run = runSynthJob(spec(out, { ledger: { account: 'team', purpose: 'synthetic data' } }), {
      ...ctx,
      progress,
    });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(/out: must be a file Veil can write/);
    const ledger = await Ledger.open(url);
    try {
      const spends = await ledger.spends('team');
      expect(spends).toHaveLength(1);
      const failed = (await ledger.auditEntries({ account: 'team' })).filter(
        (e) => e.action === 'job.failed',
      );
      expect(failed).toHaveLength(1);
      expect(failed[0]!.detail).toMatchObject({ spendIds: [spends[0]!.id], stage: 'write' });
    } finally {
      await ledger.close();
    }
  });

  it('returns the method events, composing to at most rho, and a model file that samples the same rows', async () => {
    const out = join(dir, 'job.csv');
    const save = join(dir, 'job-model.json');
    const ctx: JobContext = { ...(await setUp('events')).ctx };
    const { summary, events, ledger } = await runSynthJob(spec(out, { save }), ctx);
    expect(ledger).toBeNull();
    expect(new ZcdpAccountant().compose({ kind: 'composed', events }).rho).toBeLessThanOrEqual(
      summary['rho'] as number,
    );
    expect(events).toHaveLength(3 + 2 + 2); // d 1-way, d - 1 selections, d - 1 2-way (d = 3)
    const loaded = loadModelFile(save);
    expect(loaded.file.header).toEqual(['a', 'b', 'c']);
    expect(loaded.file.domain).toEqual({ a: 3, b: { type: 'categorical', values: ['x', 'y'] }, c: 4 });
    const again = join(dir, 'again.csv');
    runSynthSampleJob(parseSpec(SynthSampleSpecSchema, { model: save, rows: 20, out: again }, 'x'), {
      seed: 1,
      progress: () => {},
    });
    const lines = readFileSync(again, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('a,b,c');
    expect(lines).toHaveLength(21);
  });

  it('dpgan: charges the planned events before the fit, writes the CSV and a model file synth sample reads', async () => {
    const { url, ctx } = await setUp('dpgan');
    const out = join(dir, 'dpgan.csv');
    const save = join(dir, 'dpgan-model.json');
    const { summary, events } = await runSynthJob(
      spec(out, { method: 'dpgan', save, ledger: { account: 'team', purpose: 'synthetic data' } }),
      ctx,
    );
    const plan = planDpGan(1, 1e-6, 3);
    expect(summary).not.toHaveProperty('rho');
    expect(summary).toMatchObject({
      method: 'dpgan',
      accountant: 'rdp',
      noiseMultiplier: plan.noiseMultiplier,
      sampleRate: plan.sampleRate,
      steps: plan.steps,
      marginalSigma: plan.marginalSigma,
    });
    expect(events).toEqual(plan.events);
    const ledger = await Ledger.open(url);
    try {
      const spends = await ledger.spends('team');
      expect(spends).toHaveLength(1);
      expect(spends[0]!.events).toEqual(plan.events);
      expect(epsilonOf(spends[0]!.events, 1e-6, 'rdp')).toBeLessThanOrEqual(1);
    } finally {
      await ledger.close();
    }
    const [head, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(head).toBe('a,b,c');
    expect(rows).toHaveLength(100);
    for (const row of rows) expect(row).toMatch(/^[0-2],[xy],[0-3]$/);
    const loaded = loadModelFile(save);
    expect(loaded.file).toMatchObject({ method: 'dpgan', privacy: { accountant: 'rdp', steps: plan.steps } });
    expect(loaded.file.rho).toBeUndefined();
    const again = join(dir, 'dpgan-again.csv');
    runSynthSampleJob(parseSpec(SynthSampleSpecSchema, { model: save, rows: 20, out: again }, 'x'), {
      seed: 1,
      progress: () => {},
    });
    expect(readFileSync(again, 'utf8').trimEnd().split('\n')).toHaveLength(21);
  });

  it('dpgan: refuses an epsilon its schedule cannot meet, before any charge', async () => {
    const { url, ctx } = await setUp('dpgan-refused');
    const out = join(dir, 'dpgan-refused.csv');
    const run = runSynthJob(
      spec(out, { method: 'dpgan', epsilon: 1e-7, ledger: { account: 'team', purpose: 'synthetic data' } }),
      ctx,
    );
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(/epsilon/);
    expect(existsSync(out)).toBe(false);
    const ledger = await Ledger.open(url);
    try {
      expect(await ledger.spends('team')).toEqual([]);
    } finally {
      await ledger.close();
    }
  });

  const ADULT = join(import.meta.dirname, '../../../../shared/datasets/adult');
  it.runIf(existsSync(join(ADULT, 'adult.csv')))(
    'fits MST on the first 2,000 rows of Adult (5 columns) and writes in-domain rows',
    async () => {
      const columns = ['workclass', 'education-num', 'marital-status', 'sex', 'income>50K'];
      const [head, ...rows] = readFileSync(join(ADULT, 'adult.csv'), 'utf8').split('\n');
      const at = columns.map((c) => head!.split(',').indexOf(c));
      const subset = join(dir, 'adult-2000.csv');
      writeFileSync(
        subset,
        `${columns.join(',')}\n${rows
          .slice(0, 2000)
          .map((r) => at.map((j) => r.split(',')[j]).join(','))
          .join('\n')}\n`,
      );
      const full = JSON.parse(readFileSync(join(ADULT, 'adult-domain.json'), 'utf8')) as Record<
        string,
        number
      >;
      const adultDomain = join(dir, 'adult-domain-5.json');
      writeFileSync(adultDomain, JSON.stringify(Object.fromEntries(columns.map((c) => [c, full[c]]))));
      const out = join(dir, 'adult-synthetic.csv');
      const { ctx } = await setUp('adult');
      await runSynthJob(
        parseSpec(
          SynthSpecSchema,
          { data: subset, domain: adultDomain, method: 'mst', epsilon: 1, delta: 1e-9, rows: 500, out },
          'synth spec',
        ),
        ctx,
      );
      const [outHead, ...outRows] = readFileSync(out, 'utf8').trimEnd().split('\n');
      expect(outHead).toBe(columns.join(','));
      expect(outRows).toHaveLength(500);
      for (const row of outRows)
        row.split(',').forEach((cell, j) => {
          expect(Number(cell)).toBeLessThan(full[columns[j]!]!);
        });
    },
  );
});
