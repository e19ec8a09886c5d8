/**
 * No spend without a result (issue 13, item 1): every check that can fail runs before the ledger is charged, and
 * a job that fails after the charge leaves a `job.failed` lineage entry saying what was spent and why nothing
 * came out.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { Ledger } from '../../ledger/index.js';
import { type JobContext, ledgerAt } from '../context.js';
import { parseSpec } from '../spec.js';
import { runTrainJob } from './run.js';
import { TrainSpecSchema } from './spec.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-train-job-'));
const csv = join(dir, 'toy.csv');
writeFileSync(
  csv,
  `x,label\n${Array.from({ length: 300 }, (_, i) => `${(i % 13) / 13},${i % 3 ? 'a' : 'b'}`).join('\n')}\n`,
);

async function setUp(name: string): Promise<{ url: string; ctx: JobContext }> {
  const url = `sqlite:${join(dir, `${name}.db`)}`;
  const ledger = await Ledger.open(url);
  await ledger.createAccount({ path: 'team', epsilon: 10, delta: 1e-5 });
  await ledger.close();
  return { url, ctx: { ledger: ledgerAt(url), principal: 'test', progress: () => {} } };
}

const spec = (out: string) =>
  parseSpec(
    TrainSpecSchema,
    {
      data: { kind: 'csv', path: csv, label: 'label' },
      privacy: { epsilon: 1, publicSize: 240 },
      epochs: 1,
      batchSize: 40,
      out: { dir: out },
      ledger: { account: 'team', purpose: 'tests' },
    },
    'training spec',
  );

async function ledgerState(url: string): Promise<{ spends: number; actions: string[] }> {
  const ledger = await Ledger.open(url);
  try {
    const spends = (await ledger.spends('team')).length;
    const actions = (await ledger.auditEntries()).map((e) => `${e.action}/${e.outcome}`);
    return { spends, actions };
  } finally {
    await ledger.close();
  }
}

describe('the training job spends only when it can deliver', () => {
  it('refuses an --out that is a file before charging or training', async () => {
    const { url, ctx } = await setUp('file');
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const err = await runTrainJob(spec(file), ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/out\.dir: must be a directory \(it is a file\)/);
    expect((await ledgerState(url)).spends).toBe(0);
  });

  it.runIf(process.platform === 'linux')(
    'refuses an --out under /proc at once, before charging (it used to spin a CPU after training)',
    async () => {
      const { url, ctx } = await setUp('proc');
      const err = await runTrainJob(spec('/proc/veil-no-such/model'), ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/out\.dir: must be a directory Veil can write/);
      expect((await ledgerState(url)).spends).toBe(0);
    },
    10_000,
  );

  it('records what was spent and why nothing came out when the job fails after the charge', async () => {
    const { url, ctx } = await setUp('abort');
    const controller = new AbortController();
    const out = join(dir, 'aborted-model');
    const err = await runTrainJob(spec(out), {
      ...ctx,
      signal: controller.signal,
      // cancelled at the first training step: after the spend, before any model exists
      progress: (e) => {
        if (e.kind === 'train-step') controller.abort(new Error('cancelled by the operator'));
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('cancelled by the operator');
    expect(existsSync(join(out, 'model.json'))).toBe(false);
    const state = await ledgerState(url);
    expect(state.spends).toBe(1);
    expect(state.actions).toEqual(['account.create/created', 'budget.spend/granted', 'job.failed/failed']);
    const ledger = await Ledger.open(url);
    try {
      const failed = (await ledger.auditEntries()).find((e) => e.action === 'job.failed')!;
      const spendId = (await ledger.spends('team'))[0]!.id;
      expect(failed.detail).toMatchObject({ spendIds: [spendId], reason: 'cancelled by the operator' });
      expect((await ledger.verifyAudit()).ok).toBe(true);
    } finally {
      await ledger.close();
    }
  });
});
