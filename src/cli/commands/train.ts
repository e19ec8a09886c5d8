/**
 * `veil train`: centralised (DP) training of a model on a CSV or Fashion-MNIST, with a progress display on
 * stderr, a JSON summary, and the model exported (TF.js LayersModel + Veil metadata) to --out.
 *
 * Everything is validated before training starts and nothing is written to --out unless training succeeds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccountantKind } from '../../accounting/index.js';
import { ConfigError, csprng, type Rng, seededRng } from '../../core/index.js';
import { fingerprintFile, Ledger } from '../../ledger/index.js';
import {
  type Dataset,
  encodeCsv,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_DIR,
  loadCsvDataset,
  loadFashionMnist,
  type ModelSpec,
  parseModelSpec,
  SequentialModel,
  saveModel,
  splitAt,
  trainTestSplit,
} from '../../ml/index.js';
import { type ClippingSpec, plannedEvents, type TrainResult, trainModel } from '../../train/index.js';
import { FlagParser } from '../flags.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import { ledgerUrl } from './budget.js';

/** Fashion-MNIST's published training-set size: public, so it is the default public size of its runs. */
const FASHION_MNIST_TRAIN_SIZE = 60_000;

/** Raw flags of `veil train` (strings from commander). */
export interface TrainFlags {
  readonly data?: string;
  readonly label?: string;
  readonly domain?: string;
  readonly testData?: string;
  readonly testFraction?: string;
  readonly testFromRow?: string;
  readonly dataset?: string;
  readonly model?: string;
  readonly epsilon?: string;
  readonly delta?: string;
  readonly noiseMultiplier?: string;
  readonly nonPrivate?: boolean;
  readonly maxGradNorm?: string;
  readonly clipping?: string;
  readonly epochs?: string;
  readonly batchSize?: string;
  /** Private runs: the record count treated as public (q and the steps derive from it). */
  readonly publicSize?: string;
  readonly lr?: string;
  readonly momentum?: string;
  readonly optimizer?: string;
  readonly accountant?: string;
  readonly maxPhysicalBatch?: string;
  readonly out?: string;
  readonly overwrite?: boolean;
  /** A ledger account to spend the run's planned privacy events on before training (refused = no training). */
  readonly budgetAccount?: string;
  /** The registered dataset --data is: its consent terms are checked before the file is read. */
  readonly dataName?: string;
  readonly purpose?: string;
  readonly db?: string;
}

interface LoadedData {
  readonly train: Dataset;
  readonly test: Dataset;
  readonly classNames: readonly string[];
  readonly source: string;
  readonly warnings: readonly string[];
  readonly preprocessing: Record<string, unknown> | null;
}

function loadData(p: FlagParser, flags: TrainFlags, seed: number | undefined): LoadedData {
  if (flags.dataset !== undefined) {
    const [name, dir] = flags.dataset.split(/:(.*)/s) as [string, string | undefined];
    if (name !== 'fashion-mnist') p.problem('--dataset', flags.dataset, 'fashion-mnist or fashion-mnist:DIR');
    p.done();
    const { train, test } = loadFashionMnist({ dir: dir || FASHION_MNIST_DIR });
    return {
      train,
      test,
      classNames: FASHION_MNIST_CLASS_NAMES,
      source: `fashion-mnist (${dir || FASHION_MNIST_DIR})`,
      warnings: [],
      preprocessing: null,
    };
  }
  const testFraction = p.optionalNumber('test-fraction', flags.testFraction, { kind: 'open-unit' });
  const testFromRow = p.optionalNumber('test-from-row', flags.testFromRow, { kind: 'integer', min: 1 });
  const splits = [flags.testData, testFraction, testFromRow].filter((v) => v !== undefined).length;
  if (splits > 1)
    p.problem(
      '--test-data/--test-fraction/--test-from-row',
      'several',
      'at most one way to choose the test set',
    );
  p.done();
  const loaded = loadCsvDataset({
    path: flags.data!,
    label: flags.label!,
    ...(flags.domain ? { domain: flags.domain } : {}),
  });
  const classNames = [...loaded.encoder.label.classes];
  let train: Dataset;
  let test: Dataset;
  if (flags.testData !== undefined) {
    train = loaded.dataset;
    test = encodeCsv({ encoder: loaded.encoder, path: flags.testData }).dataset;
  } else if (testFromRow !== undefined) {
    ({ train, test } = splitAt(loaded.dataset, testFromRow));
  } else {
    ({ train, test } = trainTestSplit(loaded.dataset, {
      testFraction: testFraction ?? 0.2,
      rng: seededRng(seed ?? 0),
      stratify: true,
    }));
  }
  return {
    train,
    test,
    classNames,
    source: flags.data!,
    warnings: loaded.warnings,
    preprocessing: JSON.parse(JSON.stringify(loaded.encoder)) as Record<string, unknown>,
  };
}

function readModelSpec(
  p: FlagParser,
  text: string | undefined,
  fallback: string,
  classes: number,
): ModelSpec {
  const raw = text ?? fallback;
  const source = raw.trim().startsWith('{') || !raw.endsWith('.json') ? raw : readSpecFile(p, raw);
  return parseModelSpec(source, classes);
}

function readSpecFile(p: FlagParser, path: string): string {
  if (!existsSync(path)) {
    p.problem('--model', path, 'logreg, mlp:<units>,..., cnn:papernot, or an existing JSON model file');
    p.done();
  }
  return readFileSync(path, 'utf8');
}

/** Runs `veil train`. */
export async function train(flags: TrainFlags, global: GlobalOptions, io: Io): Promise<CommandResult> {
  const p = new FlagParser();
  // --- what to train on
  if ((flags.data === undefined) === (flags.dataset === undefined)) {
    p.problem(
      '--data/--dataset',
      flags.data ?? flags.dataset,
      'exactly one of --data FILE.csv (with --label) or --dataset fashion-mnist[:DIR]',
    );
  }
  if (flags.data !== undefined && flags.label === undefined)
    p.problem('--label', undefined, 'the label column of the CSV');
  // --- privacy
  const nonPrivate = flags.nonPrivate === true;
  const epsilon = p.optionalNumber('epsilon', flags.epsilon, { kind: 'positive' });
  const noiseMultiplier = p.optionalNumber('noise-multiplier', flags.noiseMultiplier, { kind: 'positive' });
  const delta = p.optionalNumber('delta', flags.delta, { kind: 'open-unit' }, 1e-5);
  if (nonPrivate && (epsilon !== undefined || noiseMultiplier !== undefined)) {
    p.problem('--non-private', true, 'used without --epsilon or --noise-multiplier');
  }
  if (!nonPrivate && epsilon === undefined && noiseMultiplier === undefined) {
    p.problem('--epsilon', undefined, 'a target epsilon > 0 (or --noise-multiplier, or --non-private)');
  }
  const maxGradNorm = p.optionalNumber('max-grad-norm', flags.maxGradNorm, { kind: 'positive' }, 1);
  const clippingKind = p.choice(
    'clipping',
    flags.clipping,
    ['flat', 'per-layer', 'adaptive'] as const,
    'flat',
  );
  const accountant: 'rdp' | 'pld' = p.choice('accountant', flags.accountant, ['rdp', 'pld'] as const, 'rdp');
  // --- optimisation
  const epochs = p.optionalNumber('epochs', flags.epochs, { kind: 'integer', min: 1, max: 100_000 }, 5);
  const batchSize = p.optionalNumber('batch-size', flags.batchSize, { kind: 'integer', min: 1 }, 256);
  // The sampling rate and the step count of a private run derive from a public size, never from the data's
  // actual count: that keeps the count itself protected (docs/privacy.md, "Neighbouring relations").
  const publicSize =
    p.optionalNumber('public-size', flags.publicSize, { kind: 'integer', min: 1 }) ??
    (flags.dataset !== undefined && !nonPrivate ? FASHION_MNIST_TRAIN_SIZE : undefined);
  if (!nonPrivate && publicSize === undefined && flags.data !== undefined) {
    p.problem(
      '--public-size',
      undefined,
      'for a private run, the training record count Veil may treat as public (an integer >= --batch-size; e.g. a round figure you would publish anyway): the sampling rate and steps derive from it, and the actual count is never printed',
    );
  }
  if (publicSize !== undefined && publicSize < batchSize)
    p.problem('--public-size', publicSize, `an integer >= --batch-size (${batchSize})`);
  const optimizerKind = p.choice('optimizer', flags.optimizer, ['sgd', 'adam'] as const, 'sgd');
  const lr = p.optionalNumber('lr', flags.lr, { kind: 'positive' }, optimizerKind === 'adam' ? 0.001 : 0.1);
  const momentum = p.optionalNumber(
    'momentum',
    flags.momentum,
    { kind: 'non-negative' },
    optimizerKind === 'sgd' ? 0.9 : 0,
  );
  if (momentum >= 1) p.problem('--momentum', flags.momentum, 'a number in [0, 1)');
  const maxPhysicalBatch = p.optionalNumber(
    'max-physical-batch',
    flags.maxPhysicalBatch,
    { kind: 'integer', min: 1 },
    512,
  );
  if (flags.out !== undefined && existsSync(join(flags.out, 'model.json')) && flags.overwrite !== true) {
    p.problem('--out', flags.out, 'a directory without a model (or add --overwrite)');
  }
  const usesLedger = flags.budgetAccount !== undefined || flags.dataName !== undefined;
  if (usesLedger && !flags.purpose) {
    p.problem(
      '--purpose',
      flags.purpose,
      'why the data is used (checked against its consent terms, recorded)',
    );
  }
  if (flags.dataName !== undefined && flags.data === undefined) {
    p.problem('--data-name', flags.dataName, 'with --data FILE (the registered file)');
  }
  if (flags.budgetAccount !== undefined && nonPrivate) {
    p.problem(
      '--budget-account',
      flags.budgetAccount,
      'a private run (a non-private run cannot be accounted)',
    );
  }
  p.done();

  // Consent first: the file is not read (not even fingerprinted) unless its terms allow the purpose.
  const ledger = usesLedger ? await Ledger.open(ledgerUrl(flags.db)) : null;
  try {
    if (ledger && flags.dataName !== undefined) {
      await ledger.authorize(flags.dataName, flags.purpose!, {
        fingerprint: () => fingerprintFile(flags.data!),
      });
    }
    const data = loadData(p, flags, global.seed);
    const numClasses = data.train.numClasses;
    const spec = readModelSpec(p, flags.model, flags.dataset ? 'cnn:papernot' : 'logreg', numClasses);
    if (nonPrivate && batchSize > data.train.numExamples) {
      throw new ConfigError(
        [
          {
            path: '--batch-size',
            value: batchSize,
            allowed: `at most the ${data.train.numExamples} training examples`,
          },
        ],
        'command-line flags',
      );
    }
    const rng: Rng = global.seed === undefined ? csprng() : seededRng(global.seed);
    const model = new SequentialModel(
      spec,
      data.train.featureShape,
      numClasses,
      global.seed === undefined ? csprng() : seededRng(global.seed + 1),
    );
    const clipping: ClippingSpec =
      clippingKind === 'adaptive'
        ? { kind: 'adaptive', initialMaxGradNorm: maxGradNorm }
        : { kind: clippingKind, maxGradNorm };
    const privacy: TrainPrivacy = nonPrivate
      ? { kind: 'non-private' }
      : {
          kind: 'dp',
          delta,
          ...(noiseMultiplier === undefined ? {} : { noiseMultiplier }),
          ...(epsilon === undefined ? {} : { targetEpsilon: epsilon }),
        };
    // The budget is spent before the first step, on the most the run can spend (every planned step): a refusal
    // means no training. A run that stops early keeps the whole spend (refunds are only for events that never ran).
    let spend: { id: number; account: string; epsilonAfter: Readonly<Record<string, number>> } | null = null;
    if (ledger && flags.budgetAccount !== undefined) {
      const planned = plannedEvents({
        train: data.train,
        batchSize,
        ...(publicSize === undefined ? {} : { publicSize }),
        epochs,
        privacy,
        accountant,
        ...(nonPrivate ? {} : { clipping }),
      });
      const receipt = await ledger.spend(flags.budgetAccount, planned.events, {
        purpose: flags.purpose!,
        ...(flags.dataName !== undefined ? { dataset: flags.dataName } : {}),
      });
      spend = { id: receipt.id, account: receipt.account, epsilonAfter: receipt.epsilonAfter };
      io.stderr(`ledger: spend ${receipt.id} granted on ${receipt.account} for "${receipt.purpose}"\n`);
    }
    const progress = progressPrinter(io);
    for (const w of data.warnings) io.stderr(`warning: ${w}\n`);
    if (!nonPrivate && publicSize !== undefined) {
      // Only on the operator's own terminal (who holds the data); nothing here reaches the model or the summary.
      const ratio = publicSize / data.train.numExamples;
      if (ratio > 4 || ratio < 0.25)
        io.stderr(
          `warning: --public-size ${publicSize} is ${ratio > 1 ? 'more than 4 times' : 'less than a quarter of'} the training rows: batches average ${batchSize} x rows / ${publicSize}, not ${batchSize}, and the run takes ${epochs} x ${Math.max(1, Math.round(publicSize / batchSize))} steps (privacy is unaffected; utility and time are)\n`,
        );
    }
    if (!nonPrivate)
      io.stderr(
        'note: the loss and accuracy shown while training are computed without noise: they are not covered by epsilon\n',
      );

    const result = trainModel({
      model,
      train: data.train,
      test: data.test,
      epochs,
      batchSize,
      ...(publicSize === undefined ? {} : { publicSize }),
      optimizer:
        optimizerKind === 'sgd'
          ? { kind: 'sgd', learningRate: lr, momentum }
          : { kind: 'adam', learningRate: lr },
      privacy,
      ...(nonPrivate ? {} : { clipping }),
      accountant,
      maxPhysicalBatch,
      rng,
      onProgress: progress.step,
      onEpoch: progress.epoch,
    });
    progress.done();

    const epsilonSpent = result.epsilon
      ? accountant === 'pld'
        ? result.epsilon.pld
        : result.epsilon.rdp
      : null;
    const privacySummary = {
      private: result.private,
      epsilonSpent,
      delta: result.delta,
      accountant,
      epsilon: result.epsilon,
      noiseMultiplier: result.noiseMultiplier,
      sampleRate: result.sampleRate,
      steps: result.stepsRun,
      events: result.events,
    };
    let saved: { dir: string; files: string[] } | null = null;
    if (flags.out !== undefined) {
      const files = saveModel(model, flags.out, {
        overwrite: flags.overwrite === true,
        ...(data.classNames.length === numClasses ? { classNames: data.classNames } : {}),
        ...(data.preprocessing ? { preprocessing: data.preprocessing } : {}),
        privacy: JSON.parse(JSON.stringify(privacySummary)) as Record<string, unknown>,
      });
      saved = { dir: flags.out, files: [files.modelJsonPath, files.weightsPath] };
    }
    let lineage: { auditEntry: number } | null = null;
    if (ledger) {
      const modelHash = saved
        ? `sha256:${createHash('sha256').update(readFileSync(saved.files[1]!)).digest('hex')}`
        : undefined;
      const entry = await ledger.recordJob({
        job: `veil train ${new Date().toISOString()}`,
        ...(flags.budgetAccount !== undefined ? { account: flags.budgetAccount } : {}),
        datasets: flags.dataName !== undefined ? [flags.dataName] : [],
        purpose: flags.purpose!,
        ...(modelHash ? { modelHash } : {}),
        spendIds: spend ? [spend.id] : [],
        detail: { testAccuracy: result.finalTestAccuracy, steps: result.stepsRun },
      });
      lineage = { auditEntry: entry.seq };
    }
    const summary0 = buildSummary(result, {
      spec,
      model,
      data,
      epochs,
      batchSize,
      accountant,
      epsilonSpent,
      global,
      saved,
      maxGradNorm,
      clippingKind,
      publicSize,
    });
    const summary = ledger
      ? { ...summary0, ledger: { spend, lineage, dataset: flags.dataName ?? null } }
      : summary0;
    const text = renderText(summary0);
    if (spend)
      text.push(
        `ledger: spend ${spend.id} on ${spend.account}; lineage in audit entry ${lineage?.auditEntry}`,
      );
    return { summary, text };
  } finally {
    await ledger?.close();
  }
}

type TrainPrivacy = Parameters<typeof trainModel>[0]['privacy'];

function buildSummary(
  r: TrainResult,
  c: {
    spec: ModelSpec;
    model: SequentialModel;
    data: LoadedData;
    epochs: number;
    batchSize: number;
    accountant: AccountantKind;
    epsilonSpent: number | null;
    global: GlobalOptions;
    saved: { dir: string; files: string[] } | null;
    maxGradNorm: number;
    clippingKind: string;
    publicSize: number | undefined;
  },
): Record<string, unknown> {
  const dp = r.noiseMultiplier !== null;
  return {
    testAccuracy: r.finalTestAccuracy,
    epsilonSpent: c.epsilonSpent,
    delta: r.delta,
    noiseMultiplier: r.noiseMultiplier,
    epochs: r.epochs.length,
    examplesPerSecond: Math.round(r.examplesPerSecond),
    accountant: c.accountant,
    epsilon: r.epsilon,
    private: r.private,
    ...(dp
      ? {
          neighbouring:
            'add/remove one training record (the actual count is protected: q and steps derive from publicSize)',
          notCoveredByEpsilon: NOT_COVERED,
        }
      : {}),
    ...(c.global.seed === undefined
      ? {}
      : { seed: c.global.seed, note: 'seeded run: reproducible and NOT private' }),
    model: c.spec.name,
    parameters: c.model.parameterCount,
    data: {
      source: c.data.source,
      // A private run never prints the actual training count (q and the steps derive from the public size).
      ...(dp ? { publicSize: c.publicSize } : { trainExamples: c.data.train.numExamples }),
      testExamples: c.data.test.numExamples,
      features: c.data.train.featureShape,
      classes: c.data.train.numClasses,
      warnings: c.data.warnings,
    },
    batchSize: c.batchSize,
    sampleRate: r.sampleRate,
    steps: r.stepsRun,
    clipping: r.noiseMultiplier === null ? null : { kind: c.clippingKind, maxGradNorm: c.maxGradNorm },
    stoppedEarly: r.stoppedEarly,
    trainSeconds: Math.round(r.trainSeconds * 10) / 10,
    metrics: r.epochs,
    events: r.events,
    out: c.saved,
  };
}

function progressPrinter(io: Io): {
  step: (p: {
    epoch: number;
    epochs: number;
    step: number;
    stepsPerEpoch: number;
    loss: number;
    epsilon: number | null;
  }) => void;
  epoch: (m: {
    epoch: number;
    trainLoss: number;
    testAccuracy: number | null;
    epsilon: number | null;
    seconds: number;
  }) => void;
  done: () => void;
} {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    step(p) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 200 && p.step !== p.stepsPerEpoch) return;
      last = now;
      const width = 24;
      const filled = Math.round((p.step / p.stepsPerEpoch) * width);
      io.stderr(
        `\repoch ${p.epoch}/${p.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] loss ${p.loss.toFixed(4)}${p.epsilon === null ? '' : ` eps ${p.epsilon.toFixed(3)}`}   `,
      );
    },
    epoch(m) {
      const acc = m.testAccuracy === null ? '' : ` test accuracy ${(100 * m.testAccuracy).toFixed(2)}%`;
      const eps = m.epsilon === null ? '' : ` epsilon ${m.epsilon.toFixed(3)}`;
      io.stderr(
        `${tty ? '\r' : ''}epoch ${m.epoch}: loss ${m.trainLoss.toFixed(4)}${acc}${eps} (${m.seconds.toFixed(1)} s)${' '.repeat(20)}\n`,
      );
    },
    done() {},
  };
}

/**
 * What `veil train` shows that is computed on the data without noise, so outside the run's epsilon: the loss
 * (progress line and per-epoch metrics), the test accuracy (the test set gets no DP), and timings.
 */
const NOT_COVERED = [
  'training loss (progress and metrics[].trainLoss)',
  'test accuracy (testAccuracy, metrics[].testAccuracy)',
  'timings (examplesPerSecond, trainSeconds, metrics[].seconds)',
] as const;

function renderText(s: Record<string, unknown>): string[] {
  const eps = s['epsilon'] as { rdp: number; pld: number } | null;
  const lines = [
    `trained ${s['model']} (${s['parameters']} parameters) for ${s['epochs']} epochs, ${s['steps']} steps: test accuracy ${(100 * (s['testAccuracy'] as number)).toFixed(2)}%`,
    eps
      ? `privacy: epsilon ${eps.rdp.toFixed(3)} (RDP) / ${eps.pld.toFixed(3)} (PLD) at delta ${s['delta']}, noise multiplier ${(s['noiseMultiplier'] as number).toFixed(4)}${s['private'] ? '' : ' — NOT private (seeded or zero noise)'}`
      : 'privacy: none (--non-private)',
    `speed: ${s['examplesPerSecond']} examples/s`,
  ];
  if (eps)
    lines.push(
      `not covered by epsilon (computed without noise; keep them to yourself or treat them as non-private): ${NOT_COVERED.join(', ')}`,
    );
  const stopped = s['stoppedEarly'] as { reason: string } | null;
  if (stopped) lines.push(`stopped early: ${stopped.reason}`);
  const out = s['out'] as { dir: string } | null;
  if (out)
    lines.push(`model written to ${out.dir} (model.json + weights.bin, loadable by tf.loadLayersModel)`);
  return lines;
}
