/**
 * The quick-start options of a simulated federation (`veil simulate`'s flags): one zod schema with their ranges,
 * defaults and the rules between them, and the pure mapping of valid options onto the plan a simulation runs
 * (the `federation` section `veil coordinator` reads, the data, the nodes' privacy). A `--config` file sets the
 * same plan in full ({@link simulationPlanFromFile}).
 */
import { z } from 'zod';
import { ConfigError, checkSchema } from '../../core/index.js';
import {
  type ByzantineSpec,
  type PersonalizationSpec,
  parseFederation,
  parseSimulationData,
  type SimulationLocalPrivacy,
} from '../../fl/index.js';
import { accountPath, text } from '../fields.js';
import type { parseSimulateFile } from './config.js';
import type { SimulationPlan } from './simulate.js';

const POSITIVE = 'a finite number > 0';
const NON_NEGATIVE = 'a finite number >= 0';
const positive = () => z.number({ error: POSITIVE }).gt(0, { error: POSITIVE });
const nonNegative = () => z.number({ error: NON_NEGATIVE }).gte(0, { error: NON_NEGATIVE });
// one refinement (continuable, unlike zod's `.int()`): a fractional count does not hide the rules between fields
const integer = (min: number, max?: number) => {
  const allowed = max === undefined ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
  const ok = (x: number) => Number.isSafeInteger(x) && x >= min && (max === undefined || x <= max);
  return z.number({ error: allowed }).refine(ok, { error: allowed });
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `one of ${values.join(', ')}` });
/**
 * The rules between fields run whenever the fields they read have the right type (out of range is fine), so
 * that every problem is listed at once; zod alone skips them after any field fails.
 */
const crossFieldWhen = (reads: readonly string[]) => ({
  when: (payload: z.core.ParsePayload) =>
    payload.issues.every((i) => i.continue === true || !reads.includes(String(i.path?.[0]))),
});
const RATE = 'a number in (0, 1]';

/** The options of a simulation given as flags, before defaults. Field order is the order problems are listed in. */
export const SimulateOptionsSchema = z
  .object({
    nodes: integer(1, 1_000_000).default(3),
    rounds: integer(1, 100_000).default(10),
    /** Share of nodes per round (Poisson selection with central noise, a fixed fraction otherwise). */
    sampleRate: z.number({ error: RATE }).gt(0, { error: RATE }).lte(1, { error: RATE }).default(1),
    data: oneOf(['hospitals', 'synthetic', 'fashion-mnist'] as const).default('hospitals'),
    /** Dirichlet(alpha) label skew across nodes (synthetic, fashion-mnist); absent: IID. */
    alpha: positive().optional(),
    /** A model spec (checked when the federation is parsed); default logreg, mlp:128 for fashion-mnist. */
    model: z.string({ error: 'logreg, mlp:<units>,..., cnn:papernot, or a JSON model file' }).optional(),
    strategy: oneOf(['fedavg', 'fedprox', 'fedadam', 'fedyogi', 'fedadagrad'] as const).default('fedavg'),
    aggregator: oneOf([
      'mean',
      'median',
      'trimmed-mean',
      'krum',
      'geometric-median',
      'norm-bound',
    ] as const).default('mean'),
    localEpochs: integer(1).default(1),
    batchSize: integer(1).default(32),
    /** Local learning rate; default 0.5, 0.05 for fashion-mnist. */
    lr: positive().optional(),
    compression: oneOf(['none', 'q8', 'q4', 'q2', 'topk'] as const).default('none'),
    /** Local DP: each node runs DP-SGD within this epsilon (delta 1e-5, clip norm 1). */
    localEpsilon: positive().optional(),
    /** Central DP-FedAvg: the noise multiplier on the clipped sum of updates. */
    centralNoise: positive().optional(),
    /** Central DP's clipping norm of each update (also norm-bound's bound). */
    centralClip: positive().default(1),
    /** Share of nodes sending bad updates. */
    byzantine: nonNegative().lt(1, { error: 'a fraction in [0, 1)' }).optional(),
    secureAggregation: oneOf(['none', 'secagg', 'secagg+'] as const).default('none'),
    /** L2 clip of each update under secure aggregation; default 1 (absent tells it was not asked for). */
    secaggClip: positive().optional(),
    distributedNoise: positive().optional(),
    /** Under secure aggregation: each selected node drops out of a random stage with this probability. */
    dropout: nonNegative().lt(0.5, { error: 'a probability in [0, 0.5)' }).optional(),
    attack: oneOf(['sign-flip', 'random', 'nan'] as const).default('sign-flip'),
    personalization: oneOf(['none', 'fine-tune', 'ditto'] as const).default('none'),
    fineTuneEpochs: integer(1, 1000).default(1),
    dittoLambda: nonNegative().default(0.1),
  })
  .strict()
  .superRefine(
    (s, ctx) => {
      const issue = (path: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: [path], message, input: undefined });
      if (s.alpha !== undefined && s.data === 'hospitals')
        issue(
          'alpha',
          'used only with --data synthetic or fashion-mnist (the hospitals are non-IID by construction)',
        );
      const secaggOnly = [s.secaggClip, s.distributedNoise, s.dropout].some((x) => x !== undefined);
      if (s.secureAggregation === 'none' && secaggOnly)
        issue('secureAggregation', 'secagg or secagg+ with --secagg-clip, --distributed-noise or --dropout');
      // A secure round needs a neighbourhood of at least 3 (the secret-sharing majority rule): with fewer nodes
      // every round would wait for nodes that do not exist, and the run would fail only after its deadlines.
      if (s.secureAggregation !== 'none' && s.nodes < 3)
        issue('nodes', 'at least 3 with secure aggregation (no secure round can be formed with fewer)');
    },
    crossFieldWhen([
      'alpha',
      'data',
      'secureAggregation',
      'secaggClip',
      'distributedNoise',
      'dropout',
      'nodes',
    ]),
  )
  .transform((s) => ({
    ...s,
    // an empty --model picks the default, as it always has
    model: s.model || (s.data === 'fashion-mnist' ? 'mlp:128' : 'logreg'),
    lr: s.lr ?? (s.data === 'fashion-mnist' ? 0.05 : 0.5),
    secaggClip: s.secaggClip ?? 1,
  }));

/** A simulation's options as written (flags, body). */
export type SimulateOptionsInput = z.input<typeof SimulateOptionsSchema>;
/** Valid simulation options with their defaults filled. */
export type SimulateOptions = z.output<typeof SimulateOptionsSchema>;

/**
 * The simulation valid options describe: `minNodes` max(1, ⌊q × nodes / 2⌋), `population` the node count,
 * FedProx's mu 0.01, the adaptive strategies' server learning rate 0.05, trimmed mean's β 0.2, Krum's f from
 * the Byzantine share (default 0.1), evaluation every round up to 20 rounds (20 evaluations otherwise).
 * @throws {ConfigError} VEIL_CONFIG_INVALID when the federation these options make is refused (e.g. a robust
 *   aggregator with central DP or secure aggregation)
 */
export function simulationPlanFrom(o: SimulateOptions): SimulationPlan {
  const { nodes, rounds, sampleRate: rate } = o;
  const minNodes = Math.max(1, Math.min(nodes, Math.floor(rate * nodes * 0.5)));
  const secure = o.secureAggregation !== 'none';
  const federation = parseFederation({
    model: o.model,
    rounds,
    minNodes,
    population: nodes,
    selection:
      o.centralNoise !== undefined ? { kind: 'poisson', rate } : { kind: 'fraction', fraction: rate },
    train: {
      localEpochs: o.localEpochs,
      batchSize: o.batchSize,
      learningRate: o.lr,
      compression:
        o.compression === 'none'
          ? { kind: 'none' }
          : o.compression === 'topk'
            ? { kind: 'top-k', fraction: 0.1 }
            : { kind: 'quantization', bits: Number(o.compression.slice(1)) },
    },
    strategy: {
      kind: o.strategy,
      ...(o.strategy === 'fedprox' ? { mu: 0.01 } : {}),
      ...(['fedadam', 'fedyogi', 'fedadagrad'].includes(o.strategy) ? { serverLearningRate: 0.05 } : {}),
      aggregator:
        o.aggregator === 'trimmed-mean'
          ? { kind: o.aggregator, beta: 0.2 }
          : o.aggregator === 'krum'
            ? { kind: o.aggregator, byzantine: Math.max(0, Math.floor((o.byzantine ?? 0.1) * rate * nodes)) }
            : o.aggregator === 'norm-bound'
              ? { kind: o.aggregator, maxNorm: o.centralClip }
              : { kind: o.aggregator },
    },
    evaluateEvery: rounds <= 20 ? 1 : Math.ceil(rounds / 20),
    evaluateFraction: nodes > 100 ? 0.01 : 1,
    ...(o.centralNoise !== undefined
      ? {
          centralDp: {
            noiseMultiplier: o.centralNoise,
            clipping: { kind: 'fixed', clipNorm: o.centralClip },
          },
        }
      : {}),
    secureAggregation: o.secureAggregation,
    ...(secure
      ? {
          minNodes: Math.max(3, minNodes),
          secagg: {
            clipNorm: o.secaggClip,
            // simulated nodes answer at once: a dropped one is noticed after 1 s, not a minute
            stageTimeoutMs: 1_000,
            ...(o.dropout !== undefined ? { expectedDropout: Math.max(0.1, o.dropout) } : {}),
            ...(o.distributedNoise !== undefined
              ? { distributedDp: { noiseMultiplier: o.distributedNoise } }
              : {}),
          },
        }
      : {}),
  });
  const partition = o.alpha !== undefined ? { kind: 'dirichlet', alpha: o.alpha } : { kind: 'iid' };
  return {
    federation,
    data: parseSimulationData(o.data === 'hospitals' ? { kind: 'hospitals' } : { kind: o.data, partition }),
    nodes,
    localPrivacy:
      o.localEpsilon !== undefined
        ? { kind: 'dp', epsilon: o.localEpsilon, delta: 1e-5, maxGradNorm: 1 }
        : { kind: 'non-private' },
    byzantine: o.byzantine ? { fraction: o.byzantine, attack: o.attack } : undefined,
    ...(o.dropout ? { dropout: o.dropout } : {}),
    personalization:
      o.personalization === 'fine-tune'
        ? { kind: 'fine-tune', epochs: o.fineTuneEpochs }
        : o.personalization === 'ditto'
          ? { kind: 'ditto', lambda: o.dittoLambda }
          : { kind: 'none' },
    origin: 'flags',
  };
}

/** The simulation a parsed `veil simulate --config` file describes (its `federation` section in full). */
export function simulationPlanFromFile(file: ReturnType<typeof parseSimulateFile>): SimulationPlan {
  return {
    federation: parseFederation({ population: file.nodes, ...(file.federation as object | undefined) }),
    data: file.data,
    nodes: file.nodes,
    localPrivacy: file.localPrivacy as SimulationLocalPrivacy,
    byzantine: file.byzantine as ByzantineSpec | undefined,
    personalization: file.personalization as PersonalizationSpec,
    ...(file.budget ? { budget: file.budget } : {}),
    origin: 'file',
  };
}

/**
 * Where a simulation run as a queued job (the HTTP service) charges its aggregate's central DP, paid in advance
 * (prepaid.ts). `account` is optional here so that a missing one is refused by the caller with its own words.
 */
export const SimulateLedgerSchema = z
  .object({
    account: accountPath().optional(),
    purpose: text('why the simulation is run (recorded with the spend)').optional(),
  })
  .strict();

/** A simulation job's spec: the simulation options (as `veil simulate`'s flags name them) and `ledger`. */
export interface SimulateJobSpec {
  readonly options: SimulateOptions;
  readonly ledger: z.output<typeof SimulateLedgerSchema> | undefined;
}

/**
 * Parses a simulation job's spec: `ledger` ({@link SimulateLedgerSchema}) beside the options of
 * {@link SimulateOptionsSchema}, every problem of both listed at once under its field.
 * @throws {ConfigError} VEIL_CONFIG_INVALID
 */
export function parseSimulateJobSpec(raw: unknown, context = 'simulation spec'): SimulateJobSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError([{ path: '(top level)', value: raw, allowed: 'an object' }], context);
  const { ledger: rawLedger, ...rest } = raw as Record<string, unknown>;
  const options = checkSchema(SimulateOptionsSchema, rest);
  const ledger =
    rawLedger === undefined
      ? { data: undefined, issues: [] }
      : checkSchema(SimulateLedgerSchema, rawLedger, { prefix: 'ledger' });
  const issues = [...options.issues, ...ledger.issues];
  if (!('data' in options) || !('data' in ledger) || issues.length > 0)
    throw new ConfigError(issues, context);
  return { options: options.data, ledger: ledger.data };
}
