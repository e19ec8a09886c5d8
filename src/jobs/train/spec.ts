/**
 * The spec of a training job: one zod schema that `veil train`'s flags, a `--config` file and (later) an HTTP
 * body all parse into. Ranges and the rules between fields are checked here, once; defaults are filled here, so
 * the job sees a complete spec.
 */
import { z } from 'zod';
import { resolvePath } from '../federation/config.js';
import { accountPath } from '../fields.js';

/** Fashion-MNIST's published training-set size: public, so it is the default public size of its runs. */
export const FASHION_MNIST_TRAIN_SIZE = 60_000;

const POSITIVE = 'a finite number > 0';
const OPEN_UNIT = 'a number in (0, 1)';
const positive = (allowed = POSITIVE) => z.number({ error: allowed }).gt(0, { error: allowed });
const openUnit = () => z.number({ error: OPEN_UNIT }).gt(0, { error: OPEN_UNIT }).lt(1, { error: OPEN_UNIT });
const integer = (min: number, max?: number) => {
  const allowed = max === undefined ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
  const base = z.number({ error: allowed }).int({ error: allowed }).gte(min, { error: allowed });
  return max === undefined ? base : base.lte(max, { error: allowed });
};
const text = (allowed: string) => z.string({ error: allowed }).min(1, { error: allowed });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `one of ${values.join(', ')}` });

const CsvDataSchema = z
  .object({
    kind: z.literal('csv'),
    path: text('a CSV file'),
    label: text('the label column of the CSV'),
    /** A domain file (JSON) declaring each column's type and range. */
    domain: text('a domain JSON file').optional(),
    /** The test set: another file, a stratified fraction (default 0.2), or every row from a 1-based row on. */
    test: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('file'), path: text('a CSV test file') }).strict(),
        z.object({ kind: z.literal('fraction'), fraction: openUnit() }).strict(),
        z.object({ kind: z.literal('from-row'), row: integer(1) }).strict(),
      ])
      .optional(),
  })
  .strict();

const FashionMnistSchema = z
  .object({
    kind: z.literal('fashion-mnist'),
    dir: text('a directory with the Fashion-MNIST files').optional(),
  })
  .strict();

const PrivacySchema = z
  .object({
    mode: oneOf(['dp', 'non-private'] as const).default('dp'),
    /** Target epsilon: the noise is calibrated to it (with a noise multiplier too, it is a budget cap). */
    epsilon: positive().optional(),
    noiseMultiplier: positive().optional(),
    delta: openUnit().default(1e-5),
    /** The record count treated as public: q = batchSize / publicSize, steps from it (docs/privacy.md). */
    publicSize: integer(1).optional(),
    accountant: oneOf(['rdp', 'pld'] as const).default('rdp'),
    clipping: oneOf(['flat', 'per-layer', 'adaptive'] as const).default('flat'),
    maxGradNorm: positive().default(1),
  })
  .strict();

const OptimizerSchema = z
  .object({
    kind: oneOf(['sgd', 'adam'] as const).default('sgd'),
    /** Default 0.1 for SGD, 0.001 for Adam. */
    lr: positive().optional(),
    /** SGD momentum in [0, 1), default 0.9 (0 for Adam). */
    momentum: z
      .number({ error: 'a number in [0, 1)' })
      .gte(0, { error: 'a number in [0, 1)' })
      .lt(1, { error: 'a number in [0, 1)' })
      .optional(),
  })
  .strict();

const LedgerSchema = z
  .object({
    /** The account the planned privacy spend is charged to before training (refused = no training). */
    account: accountPath().optional(),
    /** The registered dataset `data.path` is: its consent terms are checked before the file is read. */
    dataset: text('a registered dataset name').optional(),
    purpose: text('why the data is used (checked against its consent terms, recorded)').optional(),
  })
  .strict();

/**
 * Hybrid training (docs/training.md, "Pre-training on synthetic data"): the model is first trained without noise
 * on a differentially private synthetic CSV (post-processing of that release, so no new privacy cost), then on
 * the real data as the spec says. The synthetic data's own privacy loss composes with the training's: it is
 * read from the ledger (the `veil synth` job whose output has the file's hash) or, when the ledger holds no
 * record of the file, declared here.
 */
const SyntheticSchema = z
  .object({
    /** A CSV written by `veil synth`, with the training data's columns. */
    path: text('a synthetic CSV file (written by veil synth) with the training columns'),
    /** Non-private epochs over the synthetic rows before the real data. */
    epochs: integer(1, 10_000).default(5),
    /** The synthetic data's (epsilon, delta), declared: only used when the ledger has no record of the file. */
    privacy: z.object({ epsilon: positive(), delta: openUnit() }).strict().optional(),
  })
  .strict();

/** The input of a training job, before defaults. */
export const TrainSpecSchema = z
  .object({
    data: z.discriminatedUnion('kind', [CsvDataSchema, FashionMnistSchema], {
      error: 'a CSV ({ kind: csv, path, label }) or fashion-mnist ({ kind: fashion-mnist })',
    }),
    /** logreg, mlp:<units>,..., cnn:papernot, a JSON model document, or a JSON file. */
    model: text('logreg, mlp:<units>,..., cnn:papernot, or a JSON model').optional(),
    privacy: PrivacySchema.default({
      mode: 'dp',
      delta: 1e-5,
      accountant: 'rdp',
      clipping: 'flat',
      maxGradNorm: 1,
    }),
    epochs: integer(1, 100_000).default(5),
    batchSize: integer(1).default(256),
    optimizer: OptimizerSchema.default({ kind: 'sgd' }),
    /** Largest chunk run through the model at once (memory only; no effect on the result). */
    maxPhysicalBatch: integer(1).default(512),
    out: z
      .object({ dir: text('a directory for the model'), overwrite: z.boolean().default(false) })
      .strict()
      .optional(),
    ledger: LedgerSchema.optional(),
    synthetic: SyntheticSchema.optional(),
  })
  .strict()
  .transform((s) => {
    const dp = s.privacy.mode === 'dp';
    const publicSize =
      s.privacy.publicSize ?? (dp && s.data.kind === 'fashion-mnist' ? FASHION_MNIST_TRAIN_SIZE : undefined);
    const sgd = s.optimizer.kind === 'sgd';
    return {
      ...s,
      model: s.model ?? (s.data.kind === 'fashion-mnist' ? 'cnn:papernot' : 'logreg'),
      privacy: { ...s.privacy, ...(publicSize === undefined ? {} : { publicSize }) },
      optimizer: {
        kind: s.optimizer.kind,
        lr: s.optimizer.lr ?? (sgd ? 0.1 : 0.001),
        momentum: s.optimizer.momentum ?? (sgd ? 0.9 : 0),
      },
    };
  })
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message, input: undefined });
    const p = s.privacy;
    const dp = p.mode === 'dp';
    if (!dp && (p.epsilon !== undefined || p.noiseMultiplier !== undefined))
      issue(['privacy', 'mode'], 'used without an epsilon or a noise multiplier');
    if (dp && p.epsilon === undefined && p.noiseMultiplier === undefined)
      issue(['privacy', 'epsilon'], 'a target epsilon > 0 (or a noise multiplier, or a non-private run)');
    if (dp && p.publicSize === undefined)
      issue(
        ['privacy', 'publicSize'],
        'for a private run, the training record count Veil may treat as public (an integer >= the batch size; e.g. a round figure you would publish anyway): the sampling rate and steps derive from it, and the actual count is never printed',
      );
    if (dp && p.publicSize !== undefined && p.publicSize < s.batchSize)
      issue(['privacy', 'publicSize'], `an integer >= the batch size (${s.batchSize})`);
    if (s.optimizer.kind === 'adam' && s.optimizer.momentum !== 0)
      issue(['optimizer', 'momentum'], '0 or absent with adam (momentum is an SGD option)');
    const l = s.ledger;
    if (l && (l.account !== undefined || l.dataset !== undefined) && l.purpose === undefined)
      issue(['ledger', 'purpose'], 'why the data is used (checked against its consent terms, recorded)');
    if (l?.dataset !== undefined && s.data.kind !== 'csv')
      issue(['ledger', 'dataset'], 'used with a CSV file (the registered file)');
    if (l?.account !== undefined && !dp)
      issue(['ledger', 'account'], 'used with a private run (a non-private run cannot be accounted)');
    if (s.synthetic !== undefined && s.data.kind !== 'csv')
      issue(['synthetic', 'path'], 'used with CSV training data (the synthetic rows share its columns)');
  });

/** A training job's input as written (flags, file, body). */
export type TrainSpecInput = z.input<typeof TrainSpecSchema>;
/** A validated training spec with its defaults filled. */
export type TrainSpec = z.output<typeof TrainSpecSchema>;

/** A spec file's relative paths, resolved against the file's directory (as the federation's configs are). */
export function resolveTrainSpecPaths(raw: unknown, file: string): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const spec = structuredClone(raw) as Record<string, Record<string, unknown> | undefined>;
  const fix = (o: Record<string, unknown> | undefined, key: string) => {
    if (o && typeof o[key] === 'string' && o[key] !== '') o[key] = resolvePath(file, o[key] as string);
  };
  fix(spec['data'], 'path');
  fix(spec['data'], 'domain');
  fix(spec['data'], 'dir');
  fix(spec['data']?.['test'] as Record<string, unknown> | undefined, 'path');
  fix(spec['synthetic'], 'path');
  fix(spec['out'], 'dir');
  const model = (spec as Record<string, unknown>)['model'];
  if (typeof model === 'string' && model.endsWith('.json') && !model.trim().startsWith('{'))
    (spec as Record<string, unknown>)['model'] = resolvePath(file, model);
  return spec;
}
