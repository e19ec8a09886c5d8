/**
 * `veil train`: centralised (DP) training of a model on a CSV or Fashion-MNIST. The flags (and an optional
 * `--config` file in the same shape as the job's spec) become the training job's spec; the job runs in
 * src/jobs; this file renders its progress on stderr and its summary.
 */
import type { ConfigIssue } from '../../core/index.js';
import { ConfigError } from '../../core/index.js';
import {
  ledgerAt,
  ledgerUrl,
  NOT_COVERED_BY_EPSILON,
  parseSpec,
  readSpecFile,
  resolveTrainSpecPaths,
  runTrainJob,
  TrainSpecSchema,
} from '../../jobs/index.js';
import { parseNumber } from '../flags.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import { progressPrinter } from '../progress.js';
import { type FlagBinding, mergeSpec, setPath, specFromFlags } from '../spec-flags.js';

/** Raw flags of `veil train` (strings from commander). */
export interface TrainFlags {
  readonly config?: string;
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
  readonly publicSize?: string;
  readonly lr?: string;
  readonly momentum?: string;
  readonly optimizer?: string;
  readonly accountant?: string;
  readonly maxPhysicalBatch?: string;
  readonly out?: string;
  readonly overwrite?: boolean;
  readonly budgetAccount?: string;
  readonly dataName?: string;
  readonly purpose?: string;
  readonly db?: string;
  readonly synthetic?: string;
  readonly syntheticEpochs?: string;
  readonly syntheticEpsilon?: string;
  readonly syntheticDelta?: string;
}

/** Each flag and the spec field it sets (jobs/train/spec.ts). */
function bindings(f: TrainFlags): FlagBinding[] {
  const n = (flag: string, path: string, raw: unknown): FlagBinding => ({ flag, path, raw, kind: 'number' });
  const t = (flag: string, path: string, raw: unknown): FlagBinding => ({ flag, path, raw, kind: 'text' });
  return [
    t('--data', 'data.path', f.data),
    t('--label', 'data.label', f.label),
    t('--domain', 'data.domain', f.domain),
    { flag: '--test-data', path: 'data.test.path', raw: f.testData, kind: 'text', renameOnly: true },
    {
      flag: '--test-fraction',
      path: 'data.test.fraction',
      raw: f.testFraction,
      kind: 'number',
      renameOnly: true,
    },
    { flag: '--test-from-row', path: 'data.test.row', raw: f.testFromRow, kind: 'number', renameOnly: true },
    { flag: '--dataset', path: 'data.dir', raw: f.dataset, kind: 'text', renameOnly: true },
    t('--model', 'model', f.model),
    n('--epsilon', 'privacy.epsilon', f.epsilon),
    n('--delta', 'privacy.delta', f.delta),
    n('--noise-multiplier', 'privacy.noiseMultiplier', f.noiseMultiplier),
    { flag: '--non-private', path: 'privacy.mode', raw: f.nonPrivate, kind: 'boolean', value: 'non-private' },
    n('--max-grad-norm', 'privacy.maxGradNorm', f.maxGradNorm),
    t('--clipping', 'privacy.clipping', f.clipping),
    n('--public-size', 'privacy.publicSize', f.publicSize),
    t('--accountant', 'privacy.accountant', f.accountant),
    n('--epochs', 'epochs', f.epochs),
    n('--batch-size', 'batchSize', f.batchSize),
    n('--lr', 'optimizer.lr', f.lr),
    n('--momentum', 'optimizer.momentum', f.momentum),
    t('--optimizer', 'optimizer.kind', f.optimizer),
    n('--max-physical-batch', 'maxPhysicalBatch', f.maxPhysicalBatch),
    t('--out', 'out.dir', f.out),
    { flag: '--overwrite', path: 'out.overwrite', raw: f.overwrite, kind: 'boolean' },
    t('--budget-account', 'ledger.account', f.budgetAccount),
    t('--data-name', 'ledger.dataset', f.dataName),
    t('--purpose', 'ledger.purpose', f.purpose),
    t('--synthetic', 'synthetic.path', f.synthetic),
    n('--synthetic-epochs', 'synthetic.epochs', f.syntheticEpochs),
    n('--synthetic-epsilon', 'synthetic.privacy.epsilon', f.syntheticEpsilon),
    n('--synthetic-delta', 'synthetic.privacy.delta', f.syntheticDelta),
  ];
}

/** The parts of the spec that several flags make together: what to train and test on. */
function dataFlags(f: TrainFlags, spec: Record<string, unknown>, fromFile: boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (f.data === undefined && f.dataset === undefined) {
    if (!fromFile)
      issues.push({
        path: '--data/--dataset',
        value: undefined,
        allowed: 'exactly one of --data FILE.csv (with --label) or --dataset fashion-mnist[:DIR]',
      });
  } else if (f.data !== undefined && f.dataset !== undefined) {
    issues.push({
      path: '--data/--dataset',
      value: f.data,
      allowed: 'exactly one of --data FILE.csv (with --label) or --dataset fashion-mnist[:DIR]',
    });
  } else if (f.dataset !== undefined) {
    const [name, dir] = f.dataset.split(/:(.*)/s) as [string, string | undefined];
    if (name !== 'fashion-mnist')
      issues.push({ path: '--dataset', value: f.dataset, allowed: 'fashion-mnist or fashion-mnist:DIR' });
    setPath(spec, 'data', { kind: 'fashion-mnist', ...(dir ? { dir } : {}) });
  } else setPath(spec, 'data.kind', 'csv');
  const tests = [
    f.testData === undefined ? null : { kind: 'file', path: f.testData },
    f.testFraction === undefined ? null : { kind: 'fraction', fraction: numberOrText(f.testFraction) },
    f.testFromRow === undefined ? null : { kind: 'from-row', row: numberOrText(f.testFromRow) },
  ].filter((x) => x !== null);
  if (tests.length > 1)
    issues.push({
      path: '--test-data/--test-fraction/--test-from-row',
      value: 'several',
      allowed: 'at most one way to choose the test set',
    });
  else if (tests.length === 1) setPath(spec, 'data.test', tests[0]);
  return issues;
}

function numberOrText(raw: string): number | string {
  const x = parseNumber(raw);
  return Number.isNaN(x) ? raw : x;
}

/** Runs `veil train`: flags (and --config) → spec → the training job → summary and text. */
export async function train(flags: TrainFlags, global: GlobalOptions, io: Io): Promise<CommandResult> {
  const fromFile =
    flags.config === undefined ? undefined : resolveTrainSpecPaths(readSpecFile(flags.config), flags.config);
  const context =
    flags.config === undefined ? 'command-line flags' : `${flags.config} and command-line flags`;
  const { spec: raw, renamed } = specFromFlags(bindings(flags), { fromFile: fromFile !== undefined });
  const issues = dataFlags(flags, raw, fromFile !== undefined);
  if (issues.length > 0) throw new ConfigError(issues, 'command-line flags');
  const input = fromFile === undefined ? raw : mergeSpec(fromFile, raw);
  let spec: ReturnType<typeof parseSpec<typeof TrainSpecSchema>>;
  try {
    spec = parseSpec(TrainSpecSchema, input, context);
  } catch (err) {
    throw renamed(err, context);
  }
  const progress = progressPrinter(io);
  try {
    const { summary } = await runTrainJob(spec, {
      ledger: ledgerAt(ledgerUrl(flags.db), { name: '--db' }),
      principal: process.env['USER'] || 'cli',
      ...(global.seed === undefined ? {} : { seed: global.seed }),
      progress,
    });
    return { summary, text: renderText(summary) };
  } catch (err) {
    throw renamed(err, context);
  }
}

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
      `not covered by epsilon (computed without noise; keep them to yourself or treat them as non-private): ${NOT_COVERED_BY_EPSILON.join(', ')}`,
    );
  const synthetic = s['synthetic'] as {
    rows: number;
    epochs: number;
    testAccuracyAfterPretraining: number | null;
    provenance: { source: string; auditEntry?: number; epsilon?: number; delta?: number };
  } | null;
  if (synthetic) {
    const from =
      synthetic.provenance.source === 'ledger'
        ? `the veil synth job of audit entry ${synthetic.provenance.auditEntry}`
        : `declared: epsilon ${synthetic.provenance.epsilon}, delta ${synthetic.provenance.delta}`;
    const pre = synthetic.testAccuracyAfterPretraining;
    lines.push(
      `pre-trained on ${synthetic.rows} synthetic rows for ${synthetic.epochs} epochs${pre === null ? '' : ` (test accuracy ${(100 * pre).toFixed(2)}% before the real data)`}; their privacy: ${from}`,
    );
    const total = s['epsilonTotal'] as { epsilon: number; delta: number; how: string } | null;
    if (total)
      lines.push(
        `privacy of synthetic data and training together: epsilon ${total.epsilon.toFixed(3)} at delta ${total.delta} (${total.how})`,
      );
  }
  const stopped = s['stoppedEarly'] as { reason: string } | null;
  if (stopped) lines.push(`stopped early: ${stopped.reason}`);
  const out = s['out'] as { dir: string } | null;
  if (out)
    lines.push(`model written to ${out.dir} (model.json + weights.bin, loadable by tf.loadLayersModel)`);
  const ledger = s['ledger'] as {
    spend: { id: number; account: string } | null;
    lineage: { auditEntry: number } | null;
  } | null;
  if (ledger?.spend)
    lines.push(
      `ledger: spend ${ledger.spend.id} on ${ledger.spend.account}; lineage in audit entry ${ledger.lineage?.auditEntry}`,
    );
  return lines;
}
