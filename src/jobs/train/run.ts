/**
 * The training job: consent → data → model → plan (calibrated once) → spend → train → export → lineage.
 *
 * Everything that can be checked before the spend is checked before it; the spend is the run's whole plan (every
 * step it may take), so a refusal means no training. The trainer receives the plan the ledger granted, so the
 * epsilon charged is exactly the epsilon of the run.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../../core/index.js';
import { fingerprintFile, type Ledger } from '../../ledger/index.js';
import { SequentialModel, saveModel } from '../../ml/index.js';
import {
  type ClippingSpec,
  type PrivacySpec,
  planTraining,
  type TrainingPlan,
  trainModel,
} from '../../train/index.js';
import { checkCancelled, defaultCharge, type JobContext, jobRng } from '../context.js';
import { modelFitError, unreachableTargetError } from '../input-errors.js';
import { loadTrainingData, readModelSpec } from './data.js';
import type { TrainSpec } from './spec.js';
import { trainSummary } from './summary.js';
import { composedPrivacy, loadSynthetic, type SyntheticInput, syntheticSummary } from './synthetic.js';

/** What the ledger recorded for a job (null parts: not used). */
export interface TrainLedgerRecord {
  readonly spend: {
    readonly id: number;
    readonly account: string;
    readonly epsilonAfter: Readonly<Record<string, number>>;
  } | null;
  readonly lineage: { readonly auditEntry: number } | null;
  readonly dataset: string | null;
}

/** The outcome of a training job. */
export interface TrainJobResult {
  /** The JSON summary (`veil train --json` prints it). */
  readonly summary: Record<string, unknown>;
  /** Present when the job used the ledger (a budget account or a registered dataset). */
  readonly ledger: TrainLedgerRecord | null;
}

/**
 * Runs a training job.
 * @throws {ConfigError} VEIL_CONFIG_INVALID for data, model or output problems (before any spend)
 * @throws {ConsentError} VEIL_CONSENT_REFUSED when the dataset's terms do not allow the purpose (nothing read)
 * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED when the account cannot pay for the plan (nothing trained)
 */
export async function runTrainJob(spec: TrainSpec, ctx: JobContext): Promise<TrainJobResult> {
  const l = spec.ledger;
  const usesLedger = l !== undefined && (l.account !== undefined || l.dataset !== undefined);
  if (spec.out) checkOutput(spec.out);
  return usesLedger ? ctx.ledger.use((ledger) => run(spec, ctx, ledger)) : run(spec, ctx, null);
}

async function run(spec: TrainSpec, ctx: JobContext, ledger: Ledger | null): Promise<TrainJobResult> {
  const p = spec.privacy;
  const dp = p.mode === 'dp';
  const purpose = spec.ledger?.purpose ?? '';
  const dataset = spec.ledger?.dataset;
  // Consent first: the file is not read (not even fingerprinted) unless its terms allow the purpose.
  if (ledger && dataset !== undefined && spec.data.kind === 'csv') {
    const path = spec.data.path;
    await ledger.authorize(dataset, purpose, { fingerprint: () => fingerprintFile(path) });
  }
  checkCancelled(ctx);
  const data = loadTrainingData(spec.data, ctx.seed);
  const numClasses = data.train.numClasses;
  const modelSpec = readModelSpec(spec.model, numClasses);
  if (!dp && spec.batchSize > data.train.numExamples) {
    throw new ConfigError(
      [
        {
          path: 'batchSize',
          value: spec.batchSize,
          allowed: `at most the ${data.train.numExamples} training examples`,
        },
      ],
      'training spec',
    );
  }
  const rng = jobRng(ctx, 0);
  let model: SequentialModel;
  try {
    model = new SequentialModel(modelSpec, data.train.featureShape, numClasses, jobRng(ctx, 1));
  } catch (err) {
    throw modelFitError(err, data.train.featureShape, 'model', spec.model, 'training spec');
  }
  const clipping: ClippingSpec =
    p.clipping === 'adaptive'
      ? { kind: 'adaptive', initialMaxGradNorm: p.maxGradNorm }
      : { kind: p.clipping, maxGradNorm: p.maxGradNorm };
  const privacy: PrivacySpec = dp
    ? {
        kind: 'dp',
        delta: p.delta,
        ...(p.noiseMultiplier === undefined ? {} : { noiseMultiplier: p.noiseMultiplier }),
        ...(p.epsilon === undefined ? {} : { targetEpsilon: p.epsilon }),
      }
    : { kind: 'non-private' };
  const publicSize = dp ? p.publicSize : undefined;
  const shape = {
    train: data.train,
    batchSize: spec.batchSize,
    ...(publicSize === undefined ? {} : { publicSize }),
    epochs: spec.epochs,
    privacy,
    accountant: p.accountant,
    ...(dp ? { clipping } : {}),
  };
  // The one calibration of the job: the ledger is charged for this plan and the trainer runs it.
  let plan: TrainingPlan;
  try {
    plan = planTraining(shape);
  } catch (err) {
    throw unreachableTargetError(err, 'privacy.epsilon', 'training spec');
  }
  // The synthetic rows of a hybrid run, and whose privacy loss they carry: checked before the spend too.
  const synthetic = await loadSynthetic(spec, data, ledger);
  checkCancelled(ctx);

  // The budget is spent before the first step, on the most the run can spend (every planned step): a refusal
  // means no training. A run that stops early keeps the whole spend (refunds are only for events that never ran).
  let spend: TrainLedgerRecord['spend'] = null;
  const account = spec.ledger?.account;
  if (ledger && account !== undefined) {
    const receipt = await (ctx.pay ?? defaultCharge)(ledger, {
      account,
      events: plan.events,
      purpose,
      ...(dataset !== undefined ? { dataset } : {}),
    });
    spend = { id: receipt.id, account: receipt.account, epsilonAfter: receipt.epsilonAfter };
    ctx.progress({
      kind: 'ledger',
      message: `spend ${receipt.id} granted on ${receipt.account} for "${receipt.purpose}"`,
    });
  }
  for (const w of data.warnings) ctx.progress({ kind: 'warning', message: w });
  const synthSpend = synthetic?.provenance.source === 'ledger' ? synthetic.provenance.spend : null;
  if (synthSpend && account !== undefined && synthSpend.account !== account)
    ctx.progress({
      kind: 'warning',
      message: `the synthetic data was charged to ${synthSpend.account} (spend ${synthSpend.id}), this training to ${account}: the ledger composes the two only in an account above both`,
    });
  if (publicSize !== undefined) {
    // Only on the operator's own terminal (who holds the data); nothing here reaches the model or the summary.
    const ratio = publicSize / data.train.numExamples;
    if (ratio > 4 || ratio < 0.25)
      ctx.progress({
        kind: 'warning',
        message: `--public-size ${publicSize} is ${ratio > 1 ? 'more than 4 times' : 'less than a quarter of'} the training rows: batches average ${spec.batchSize} x rows / ${publicSize}, not ${spec.batchSize}, and the run takes ${spec.epochs} x ${Math.max(1, Math.round(publicSize / spec.batchSize))} steps (privacy is unaffected; utility and time are)`,
      });
  }
  if (dp)
    ctx.progress({
      kind: 'note',
      message:
        'the loss and accuracy shown while training are computed without noise: they are not covered by epsilon',
    });

  try {
    return await trainAndSave(spec, ctx, {
      ledger,
      plan,
      shape,
      model,
      data,
      rng,
      spend,
      modelSpec,
      synthetic,
    });
  } catch (err) {
    // Charged, and nothing came out: the log says what was spent and why (the spend stays: the noise was drawn).
    if (ledger && spend) {
      const reason = err instanceof Error ? err.message : String(err);
      await ledger.recordJob({
        job: `veil train ${new Date().toISOString()}`,
        account: spend.account,
        datasets: dataset !== undefined ? [dataset] : [],
        purpose,
        spendIds: [spend.id],
        failure: { stage: 'train or save', reason },
      });
    }
    throw err;
  }
}

/** Trains on the granted plan, saves the model and records the lineage. */
async function trainAndSave(
  spec: TrainSpec,
  ctx: JobContext,
  c: {
    ledger: Ledger | null;
    plan: TrainingPlan;
    shape: Omit<Parameters<typeof trainModel>[0], 'model' | 'optimizer' | 'rng'>;
    model: SequentialModel;
    data: ReturnType<typeof loadTrainingData>;
    rng: ReturnType<typeof jobRng>;
    spend: TrainLedgerRecord['spend'];
    modelSpec: ReturnType<typeof readModelSpec>;
    synthetic: SyntheticInput | null;
  },
): Promise<TrainJobResult> {
  const { ledger, plan, shape, model, data, rng, spend, modelSpec, synthetic } = c;
  const p = spec.privacy;
  const numClasses = data.train.numClasses;
  const purpose = spec.ledger?.purpose ?? '';
  const dataset = spec.ledger?.dataset;
  const account = spec.ledger?.account;
  const o = spec.optimizer;
  const optimizer =
    o.kind === 'sgd'
      ? { kind: 'sgd' as const, learningRate: o.lr, momentum: o.momentum }
      : { kind: 'adam' as const, learningRate: o.lr };
  let pretrainAccuracy: number | null = null;
  if (synthetic && spec.synthetic) {
    // Post-processing of the synthetic release: no noise, no clipping, no new privacy cost.
    ctx.progress({
      kind: 'note',
      message: `pre-training on ${synthetic.dataset.numExamples} synthetic rows for ${spec.synthetic.epochs} epochs (no noise: they are already a private release)`,
    });
    const pre = trainModel({
      model,
      train: synthetic.dataset,
      test: data.test,
      epochs: spec.synthetic.epochs,
      batchSize: Math.min(spec.batchSize, synthetic.dataset.numExamples),
      optimizer,
      privacy: { kind: 'non-private' },
      maxPhysicalBatch: spec.maxPhysicalBatch,
      rng,
      onProgress: (s) => {
        ctx.signal?.throwIfAborted();
        ctx.progress({ kind: 'train-step', ...s });
      },
    });
    pretrainAccuracy = pre.finalTestAccuracy;
  }
  const result = trainModel({
    ...shape,
    model,
    test: data.test,
    optimizer,
    maxPhysicalBatch: spec.maxPhysicalBatch,
    rng,
    plan,
    onProgress: (s) => {
      ctx.signal?.throwIfAborted();
      ctx.progress({ kind: 'train-step', ...s });
    },
    onEpoch: (m) => ctx.progress({ kind: 'train-epoch', ...m }),
  });

  const epsilonSpent = result.epsilon
    ? p.accountant === 'pld'
      ? result.epsilon.pld
      : result.epsilon.rdp
    : null;
  let saved: { dir: string; files: string[] } | null = null;
  if (spec.out) {
    const privacySummary = {
      private: result.private,
      epsilonSpent,
      delta: result.delta,
      accountant: p.accountant,
      epsilon: result.epsilon,
      noiseMultiplier: result.noiseMultiplier,
      sampleRate: result.sampleRate,
      steps: result.stepsRun,
      events: result.events,
    };
    const files = saveModel(model, spec.out.dir, {
      overwrite: spec.out.overwrite,
      ...(data.classNames.length === numClasses ? { classNames: data.classNames } : {}),
      ...(data.preprocessing ? { preprocessing: data.preprocessing } : {}),
      privacy: JSON.parse(JSON.stringify(privacySummary)) as Record<string, unknown>,
    });
    saved = { dir: spec.out.dir, files: [files.modelJsonPath, files.weightsPath] };
  }
  let lineage: TrainLedgerRecord['lineage'] = null;
  if (ledger) {
    const modelHash = saved
      ? `sha256:${createHash('sha256').update(readFileSync(saved.files[1]!)).digest('hex')}`
      : undefined;
    const entry = await ledger.recordJob({
      job: `veil train ${new Date().toISOString()}`,
      ...(account !== undefined ? { account } : {}),
      datasets: dataset !== undefined ? [dataset] : [],
      purpose,
      ...(modelHash ? { modelHash } : {}),
      spendIds: spend ? [spend.id] : [],
      detail: {
        testAccuracy: result.finalTestAccuracy,
        steps: result.stepsRun,
        ...(synthetic ? { synthetic: syntheticLineage(synthetic) } : {}),
      },
    });
    lineage = { auditEntry: entry.seq };
  }
  const summary = trainSummary(result, {
    modelName: modelSpec.name,
    parameters: model.parameterCount,
    data,
    spec,
    epsilonSpent,
    seed: ctx.seed,
    saved,
  });
  const record = ledger ? { spend, lineage, dataset: dataset ?? null } : null;
  const hybrid =
    synthetic && spec.synthetic
      ? {
          synthetic: syntheticSummary(synthetic, spec.synthetic, pretrainAccuracy),
          epsilonTotal: composedPrivacy(
            synthetic.provenance,
            { events: result.events, epsilon: epsilonSpent, delta: p.delta },
            p.accountant,
          ),
        }
      : {};
  const full = { ...summary, ...hybrid };
  return { summary: record ? { ...full, ledger: record } : full, ledger: record };
}

/** What the lineage entry says of a hybrid run's synthetic rows: the file and the release it came from. */
function syntheticLineage(s: SyntheticInput): Record<string, unknown> {
  const p = s.provenance;
  return p.source === 'ledger'
    ? { hash: s.hash, source: 'ledger', auditEntry: p.auditEntry, spendId: p.spend?.id ?? null }
    : { hash: s.hash, source: 'declared', epsilon: p.epsilon, delta: p.delta };
}

/**
 * The output is checked before anything is charged or trained: not a file, no model there unless overwriting,
 * and a place Veil can create entries in (probed with an empty directory, removed at once; nothing else is written
 * until the model is saved). A target under a pseudo file system such as /proc fails here, at once.
 * @throws {ConfigError} naming `out.dir`
 */
function checkOutput(out: NonNullable<TrainSpec['out']>): void {
  const refuse = (allowed: string) => {
    throw new ConfigError([{ path: 'out.dir', value: out.dir, allowed }], 'training spec');
  };
  let at = resolve(out.dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  if (!statSync(at).isDirectory())
    refuse(`a directory (${at === resolve(out.dir) ? 'it is a file' : `${at} is a file`})`);
  if (at === resolve(out.dir) && existsSync(join(at, 'model.json')) && !out.overwrite)
    refuse('a directory without a model (or add --overwrite)');
  try {
    rmdirSync(mkdtempSync(join(at, '.veil-write-check-')));
  } catch (err) {
    refuse(`a directory Veil can write (${(err as Error).message})`);
  }
}
