/**
 * The federation's configuration as data (YAML or JSON, validated with zod; ARCHITECTURE decision 7): the
 * model, rounds, quorum, selection, local training, strategy, robust aggregation and central DP. The same
 * section drives `veil coordinator` and `veil simulate`, so a simulated federation is the deployed one.
 * A bad value is refused with its path, the value and what is allowed; nothing is half-applied.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, DeltaSchema, NoiseMultiplierSchema } from '../../core/index.js';
import { type ModelSpec, parseModelSpec } from '../../ml/index.js';
import { MIN_NEIGHBOURHOOD } from '../../secagg/index.js';
import type { AggregatorSpec } from '../aggregators/index.js';
import type {
  CoordinatorOptions,
  FederationModel,
  LocalTrainingSpec,
  SecureAggregationSpec,
} from '../coordinator/index.js';
import { expectedSelectionSize, type SelectionSpec } from '../selection/index.js';
import {
  fedAdagrad,
  fedAdam,
  fedAvg,
  fedProx,
  fedYogi,
  type ServerDpClipping,
  type Strategy,
  withServerDp,
} from '../strategies/index.js';

const positive = z.number().finite().gt(0, { message: 'must be a finite number > 0' });
const positiveInt = z.number().int().gte(1, { message: 'must be an integer >= 1' });
const rate = z.number().gt(0, { message: 'must be in (0, 1]' }).lte(1, { message: 'must be in (0, 1]' });

const AggregatorSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mean'), weighting: z.enum(['examples', 'uniform']).optional() }).strict(),
  z
    .object({
      kind: z.literal('norm-bound'),
      maxNorm: positive,
      weighting: z.enum(['examples', 'uniform']).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('median') }).strict(),
  z.object({ kind: z.literal('trimmed-mean'), beta: z.number().gt(0).lt(0.5) }).strict(),
  z
    .object({ kind: z.literal('krum'), byzantine: z.number().int().gte(0), selected: positiveInt.optional() })
    .strict(),
  z
    .object({
      kind: z.literal('geometric-median'),
      smoothing: positive.optional(),
      maxIterations: positiveInt.optional(),
      tolerance: positive.optional(),
      weighting: z.enum(['examples', 'uniform']).optional(),
    })
    .strict(),
]);

const StrategySchema = z
  .object({
    kind: z.enum(['fedavg', 'fedprox', 'fedadam', 'fedyogi', 'fedadagrad']).default('fedavg'),
    /** FedProx's mu. */
    mu: z.number().gte(0).optional(),
    serverLearningRate: positive.optional(),
    beta1: z.number().gte(0).lt(1).optional(),
    beta2: z.number().gte(0).lt(1).optional(),
    tau: positive.optional(),
    aggregator: AggregatorSchema.default({ kind: 'mean' }),
    maxUpdateNorm: positive.optional(),
  })
  .strict();

const CentralDpSchema = z
  .object({
    noiseMultiplier: NoiseMultiplierSchema,
    clipping: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('fixed'), clipNorm: positive }).strict(),
      z
        .object({
          kind: z.literal('adaptive'),
          initialClipNorm: positive,
          targetQuantile: z.number().gt(0).lt(1).optional(),
          learningRate: positive.optional(),
          countNoise: positive.optional(),
        })
        .strict(),
    ]),
    /** Delta at which the central epsilon is reported. */
    delta: DeltaSchema.default(1e-5),
  })
  .strict();

const SelectionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fraction'), fraction: rate, min: positiveInt.optional() }).strict(),
  z.object({ kind: z.literal('poisson'), rate }).strict(),
  z.object({ kind: z.literal('weighted'), count: positiveInt }).strict(),
]);

const CompressionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z
    .object({ kind: z.literal('quantization'), bits: z.union([z.literal(2), z.literal(4), z.literal(8)]) })
    .strict(),
  z.object({ kind: z.literal('top-k'), fraction: rate }).strict(),
]);

const TrainSchema = z
  .object({
    localEpochs: positiveInt.default(1),
    batchSize: positiveInt.default(32),
    learningRate: positive.default(0.1),
    momentum: z.number().gte(0).lt(1).default(0),
    compression: CompressionSchema.default({ kind: 'none' }),
    localLayers: z.array(z.number().int().gte(0)).default([]),
  })
  .strict();

const SecAggSchema = z
  .object({
    /** L2 norm every node clips its delta to before the fixed-point encoding. */
    clipNorm: positive.default(1),
    /** SecAgg: the Shamir threshold as a fraction of the round's selected nodes. */
    thresholdFraction: z
      .number()
      .gt(0.5, { message: 'must be in (0.5, 1]' })
      .lte(1)
      .default(2 / 3),
    /** SecAgg+: the dropout rate the neighbour graph and threshold are chosen for. */
    expectedDropout: z.number().gte(0).lt(0.5, { message: 'must be in [0, 0.5)' }).default(0.1),
    /** SecAgg+: the fraction of corrupt nodes the threshold must withstand. */
    corruptFraction: z.number().gte(0).lt(0.5, { message: 'must be in [0, 0.5)' }).default(0.05),
    /** Time each stage after the key advertisement gets, in ms. */
    stageTimeoutMs: positiveInt.default(60_000),
    /**
     * Distributed DP: each node adds discrete Gaussian noise so that the sum carries std at least noiseMultiplier
     * × clipNorm once threshold − colluders honest nodes' noise is in it (more survivors: more noise).
     */
    distributedDp: z
      .object({
        noiseMultiplier: NoiseMultiplierSchema,
        delta: DeltaSchema.default(1e-5),
        /** Nodes whose noise the adversary may know (colluding with it): left out of calibration and accounting. */
        colluders: z.number().int().gte(0).default(0),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The `federation` section. */
export const FederationSchema = z
  .object({
    /** A model shorthand (logreg, mlp:64,32, cnn:papernot) or a JSON model spec object. */
    model: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).default('logreg'),
    rounds: positiveInt.default(10),
    /** Updates a round needs (and registrations before the first round, unless startAfterNodes). */
    minNodes: positiveInt.default(2),
    startAfterNodes: positiveInt.optional(),
    /** Nodes expected in the federation: the denominator of central DP's mean (with the selection). */
    population: positiveInt.optional(),
    selection: SelectionSchema.default({ kind: 'fraction', fraction: 1 }),
    roundTimeoutMs: positiveInt.default(10 * 60_000),
    maxRoundAttempts: positiveInt.default(3),
    /** Once started, how long to wait with too few nodes before ending early (default roundTimeoutMs). */
    waitForNodesMs: positiveInt.optional(),
    evaluateEvery: z.number().int().gte(0).default(1),
    evaluateFraction: rate.default(1),
    train: TrainSchema.default({
      localEpochs: 1,
      batchSize: 32,
      learningRate: 0.1,
      momentum: 0,
      compression: { kind: 'none' },
      localLayers: [],
    }),
    strategy: StrategySchema.default({ kind: 'fedavg', aggregator: { kind: 'mean' } }),
    centralDp: CentralDpSchema.optional(),
    /** Secure aggregation of every round: the coordinator learns only the sum of the nodes' clipped updates. */
    secureAggregation: z.enum(['none', 'secagg', 'secagg+']).default('none'),
    /** Parameters of secure aggregation (used when secureAggregation is not none). */
    secagg: SecAggSchema.default({
      clipNorm: 1,
      thresholdFraction: 2 / 3,
      expectedDropout: 0.1,
      corruptFraction: 0.05,
      stageTimeoutMs: 60_000,
    }),
  })
  .strict();

/** A parsed `federation` section. */
export type FederationConfig = z.infer<typeof FederationSchema>;

/** The issues of a failed zod parse as Veil config issues, paths prefixed. */
export function configIssues(error: z.ZodError, raw: unknown, prefix: string): ConfigError['issues'] {
  return error.issues.map((i) => {
    let v: unknown = raw;
    for (const key of i.path) v = (v as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
    return { path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'), value: v, allowed: i.message };
  });
}

/**
 * Parses and cross-checks a `federation` section.
 * @throws {ConfigError} VEIL_CONFIG_INVALID listing every problem with its path
 */
export function parseFederation(raw: unknown, prefix = 'federation'): FederationConfig {
  const parsed = FederationSchema.safeParse(raw ?? {});
  if (!parsed.success)
    throw new ConfigError(configIssues(parsed.error, raw, prefix), 'federation configuration');
  const c = parsed.data;
  const issues: { path: string; value: unknown; allowed: string }[] = [];
  if (c.strategy.kind === 'fedprox' && c.strategy.mu === undefined) {
    issues.push({
      path: `${prefix}.strategy.mu`,
      value: undefined,
      allowed: "FedProx's proximal coefficient mu >= 0",
    });
  }
  if (c.strategy.kind !== 'fedprox' && c.strategy.mu !== undefined) {
    issues.push({ path: `${prefix}.strategy.mu`, value: c.strategy.mu, allowed: 'only with kind: fedprox' });
  }
  if (c.centralDp) {
    if (c.strategy.aggregator.kind !== 'mean') {
      issues.push({
        path: `${prefix}.strategy.aggregator`,
        value: c.strategy.aggregator.kind,
        allowed: 'mean with centralDp (robust aggregators change the sensitivity the noise is calibrated to)',
      });
    }
    if (c.population === undefined) {
      issues.push({
        path: `${prefix}.population`,
        value: undefined,
        allowed:
          'the number of nodes in the federation, needed for central DP (the fixed denominator of the mean)',
      });
    }
  }
  if (c.secureAggregation !== 'none') {
    const why = `${c.secureAggregation} (the coordinator only learns the sum of the updates)`;
    if (c.centralDp) {
      issues.push({
        path: `${prefix}.centralDp`,
        value: 'set',
        allowed: `absent with secureAggregation ${why}; use secagg.distributedDp for DP noise`,
      });
    }
    if (c.strategy.aggregator.kind !== 'mean') {
      issues.push({
        path: `${prefix}.strategy.aggregator`,
        value: c.strategy.aggregator.kind,
        allowed: `mean with secureAggregation ${why}`,
      });
    }
    if (c.train.compression.kind !== 'none') {
      issues.push({
        path: `${prefix}.train.compression`,
        value: c.train.compression.kind,
        allowed: `none with secureAggregation ${why}: updates are encoded in fixed point`,
      });
    }
    if (c.minNodes < MIN_NEIGHBOURHOOD) {
      issues.push({
        path: `${prefix}.minNodes`,
        value: c.minNodes,
        allowed: `at least ${MIN_NEIGHBOURHOOD} with secure aggregation (nodes refuse smaller rosters: with two, the sum reveals each update to the other)`,
      });
    }
  } else if (c.secagg.distributedDp) {
    issues.push({
      path: `${prefix}.secagg.distributedDp`,
      value: 'set',
      allowed: 'only with secureAggregation secagg or secagg+',
    });
  }
  if (c.startAfterNodes !== undefined && c.startAfterNodes < c.minNodes) {
    issues.push({
      path: `${prefix}.startAfterNodes`,
      value: c.startAfterNodes,
      allowed: `at least minNodes (${c.minNodes})`,
    });
  }
  if (issues.length) throw new ConfigError(issues, 'federation configuration');
  return c;
}

/** The model of a federation: its spec JSON, hash, input shape and classes. */
export function federationModel(
  config: FederationConfig,
  inputShape: readonly number[],
  numClasses: number,
): {
  readonly model: FederationModel;
  readonly spec: ModelSpec;
} {
  const text = typeof config.model === 'string' ? config.model : JSON.stringify(config.model);
  const spec = parseModelSpec(text, numClasses);
  const specJson = JSON.stringify(spec);
  return {
    spec,
    model: {
      specJson,
      specSha256: createHash('sha256').update(specJson).digest('hex'),
      inputShape: [...inputShape],
      numClasses,
    },
  };
}

/** The strategy a configuration describes (with central DP around it when asked). */
export function buildStrategy(config: FederationConfig): Strategy {
  const s = config.strategy;
  const common = {
    aggregator: s.aggregator as AggregatorSpec,
    ...(s.maxUpdateNorm !== undefined ? { maxUpdateNorm: s.maxUpdateNorm } : {}),
  };
  const opt = {
    ...common,
    ...(s.serverLearningRate !== undefined ? { serverLearningRate: s.serverLearningRate } : {}),
    ...(s.beta1 !== undefined ? { beta1: s.beta1 } : {}),
    ...(s.beta2 !== undefined ? { beta2: s.beta2 } : {}),
    ...(s.tau !== undefined ? { tau: s.tau } : {}),
  };
  const avg = {
    ...common,
    ...(s.serverLearningRate !== undefined ? { serverLearningRate: s.serverLearningRate } : {}),
  };
  let strategy: Strategy;
  switch (s.kind) {
    case 'fedavg':
      strategy = fedAvg(avg);
      break;
    case 'fedprox':
      strategy = fedProx({ ...avg, mu: s.mu ?? 0 });
      break;
    case 'fedadam':
      strategy = fedAdam(opt);
      break;
    case 'fedyogi':
      strategy = fedYogi(opt);
      break;
    case 'fedadagrad':
      strategy = fedAdagrad(opt);
      break;
  }
  const dp = config.centralDp;
  if (!dp) return strategy;
  const selection = config.selection as SelectionSpec;
  return withServerDp(strategy, {
    noiseMultiplier: dp.noiseMultiplier,
    clipping: dp.clipping as ServerDpClipping,
    expectedNodesPerRound: expectedSelectionSize(selection, config.population!),
    sampling:
      selection.kind === 'poisson'
        ? { kind: 'poisson', rate: selection.rate }
        : selection.kind === 'fraction' && selection.fraction === 1
          ? { kind: 'every-node' }
          : { kind: 'fixed-size' },
  });
}

/** The secure aggregation a configuration describes, or undefined for none. */
export function secureAggregationSpec(config: FederationConfig): SecureAggregationSpec | undefined {
  if (config.secureAggregation === 'none') return undefined;
  const s = config.secagg;
  return {
    protocol: config.secureAggregation,
    clipNorm: s.clipNorm,
    thresholdFraction: s.thresholdFraction,
    expectedDropout: s.expectedDropout,
    corruptFraction: s.corruptFraction,
    stageTimeoutMs: s.stageTimeoutMs,
    ...(s.distributedDp
      ? {
          distributedDp: {
            noiseMultiplier: s.distributedDp.noiseMultiplier,
            colluders: s.distributedDp.colluders,
          },
        }
      : {}),
  };
}

/** The delta at which the federation's central epsilon is reported (central or distributed DP). */
export function centralDelta(config: FederationConfig): number {
  return config.centralDp?.delta ?? config.secagg.distributedDp?.delta ?? 1e-5;
}

/** The local training the coordinator sends. */
export function localTraining(config: FederationConfig): LocalTrainingSpec {
  return config.train as LocalTrainingSpec;
}

/** The {@link CoordinatorOptions} a `federation` section decides (see {@link coordinatorOptionsFrom}). */
export type FederationOptionKey =
  | 'rounds'
  | 'minNodes'
  | 'selection'
  | 'train'
  | 'strategy'
  | 'roundTimeoutMs'
  | 'maxRoundAttempts'
  | 'waitForNodesMs'
  | 'evaluateEvery'
  | 'evaluateFraction'
  | 'centralDelta'
  | 'secureAggregation';

/**
 * The coordinator's options for a federation: what the `federation` section decides (rounds, quorum, selection,
 * local training, the strategy with central DP around it, timeouts, evaluation, the delta the aggregate's
 * epsilon is reported at, secure aggregation), completed by `rest`, what the caller decides (the model and its
 * initial parameters, configuration hash, checkpoint, budget, randomness, events, …). `rest.startAfterNodes` is
 * the default for a section that sets none. Every coordinator is built through this one function, so the
 * simulated federation and the deployed one read a configuration the same way.
 * @example
 * const coordinator = new Coordinator(coordinatorOptionsFrom(federation, { model, initialGlobal, configSha256, rng }));
 */
export function coordinatorOptionsFrom(
  config: FederationConfig,
  rest: Omit<CoordinatorOptions, FederationOptionKey>,
): CoordinatorOptions {
  const secureAggregation = secureAggregationSpec(config);
  const startAfterNodes = config.startAfterNodes ?? rest.startAfterNodes;
  return {
    ...rest,
    rounds: config.rounds,
    minNodes: config.minNodes,
    ...(startAfterNodes !== undefined ? { startAfterNodes } : {}),
    selection: config.selection as SelectionSpec,
    train: localTraining(config),
    strategy: buildStrategy(config),
    roundTimeoutMs: config.roundTimeoutMs,
    maxRoundAttempts: config.maxRoundAttempts,
    ...(config.waitForNodesMs !== undefined ? { waitForNodesMs: config.waitForNodesMs } : {}),
    evaluateEvery: config.evaluateEvery,
    evaluateFraction: config.evaluateFraction,
    centralDelta: centralDelta(config),
    ...(secureAggregation ? { secureAggregation } : {}),
  };
}

/** SHA-256 of a configuration's canonical JSON (keys sorted), stored in checkpoints. */
export function configHash(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}
