/**
 * `veil simulate`: a federation of N in-process nodes running the same coordinator and node code as a
 * deployment, over the in-memory transport. Configured by a file (`--config`, the `federation` section is the
 * one `veil coordinator` reads) or by flags for the common cases.
 */
import { ConfigError, seededRng } from '../../core/index.js';
import {
  type ByzantineSpec,
  type FederationConfig,
  loadFederatedData,
  type PersonalizationSpec,
  parseFederation,
  parseSimulationData,
  type SimulationData,
  type SimulationLocalPrivacy,
  simulate,
} from '../../fl/index.js';
import {
  bytesPerRound,
  coordinatorLine,
  ledgerAt,
  ledgerUrl,
  neighbouringOf,
  parseSimulateFile,
  readSpecFile,
  runSimulationJob,
  type SimulationPlan,
} from '../../jobs/index.js';
import { EXIT } from '../exit-codes.js';
import { FlagParser } from '../flags.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

/** Raw flags of `veil simulate`. */
export interface SimulateFlags {
  readonly config?: string;
  readonly nodes?: string;
  readonly rounds?: string;
  readonly sampleRate?: string;
  readonly data?: string;
  readonly alpha?: string;
  readonly model?: string;
  readonly strategy?: string;
  readonly aggregator?: string;
  readonly localEpochs?: string;
  readonly batchSize?: string;
  readonly lr?: string;
  readonly compression?: string;
  readonly localEpsilon?: string;
  readonly centralNoise?: string;
  readonly centralClip?: string;
  readonly byzantine?: string;
  readonly secureAggregation?: string;
  readonly secaggClip?: string;
  readonly distributedNoise?: string;
  readonly dropout?: string;
  readonly attack?: string;
  readonly personalization?: string;
  readonly fineTuneEpochs?: string;
  readonly dittoLambda?: string;
  /** Charge every DP spend to this ledger (nodes' local DP; the aggregate's with the config's `budget`). */
  readonly db?: string;
}

type Plan = SimulationPlan;

function fromFlags(flags: SimulateFlags): Plan {
  const p = new FlagParser();
  const nodes = p.optionalNumber('nodes', flags.nodes, { kind: 'integer', min: 1, max: 1_000_000 }, 3);
  const rounds = p.optionalNumber('rounds', flags.rounds, { kind: 'integer', min: 1, max: 100_000 }, 10);
  const rate = p.optionalNumber('sample-rate', flags.sampleRate, { kind: 'rate' }, 1);
  const dataKind = p.choice(
    'data',
    flags.data,
    ['hospitals', 'synthetic', 'fashion-mnist'] as const,
    'hospitals',
  );
  const alpha = p.optionalNumber('alpha', flags.alpha, { kind: 'positive' });
  if (alpha !== undefined && dataKind === 'hospitals')
    p.problem(
      '--alpha',
      flags.alpha,
      'used only with --data synthetic or fashion-mnist (the hospitals are non-IID by construction)',
    );
  const strategy = p.choice(
    'strategy',
    flags.strategy,
    ['fedavg', 'fedprox', 'fedadam', 'fedyogi', 'fedadagrad'] as const,
    'fedavg',
  );
  const aggregator = p.choice(
    'aggregator',
    flags.aggregator,
    ['mean', 'median', 'trimmed-mean', 'krum', 'geometric-median', 'norm-bound'] as const,
    'mean',
  );
  const localEpochs = p.optionalNumber('local-epochs', flags.localEpochs, { kind: 'integer', min: 1 }, 1);
  const batchSize = p.optionalNumber('batch-size', flags.batchSize, { kind: 'integer', min: 1 }, 32);
  const lr = p.optionalNumber(
    'lr',
    flags.lr,
    { kind: 'positive' },
    dataKind === 'fashion-mnist' ? 0.05 : 0.5,
  );
  const compression = p.choice(
    'compression',
    flags.compression,
    ['none', 'q8', 'q4', 'q2', 'topk'] as const,
    'none',
  );
  const localEpsilon = p.optionalNumber('local-epsilon', flags.localEpsilon, { kind: 'positive' });
  const centralNoise = p.optionalNumber('central-noise', flags.centralNoise, { kind: 'positive' });
  const centralClip = p.optionalNumber('central-clip', flags.centralClip, { kind: 'positive' }, 1);
  const byzFraction = p.optionalNumber('byzantine', flags.byzantine, { kind: 'non-negative' });
  const secure = p.choice(
    'secure-aggregation',
    flags.secureAggregation,
    ['none', 'secagg', 'secagg+'] as const,
    'none',
  );
  const secaggClip = p.optionalNumber('secagg-clip', flags.secaggClip, { kind: 'positive' }, 1);
  const distributedNoise = p.optionalNumber('distributed-noise', flags.distributedNoise, {
    kind: 'positive',
  });
  const dropout = p.optionalNumber('dropout', flags.dropout, { kind: 'non-negative' });
  if (dropout !== undefined && !(dropout < 0.5))
    p.problem('--dropout', flags.dropout, 'a probability in [0, 0.5)');
  if (
    secure === 'none' &&
    (distributedNoise !== undefined || dropout !== undefined || flags.secaggClip !== undefined)
  )
    p.problem(
      '--secure-aggregation',
      flags.secureAggregation,
      'secagg or secagg+ with --secagg-clip, --distributed-noise or --dropout',
    );
  const attack = p.choice('attack', flags.attack, ['sign-flip', 'random', 'nan'] as const, 'sign-flip');
  const personalKind = p.choice(
    'personalization',
    flags.personalization,
    ['none', 'fine-tune', 'ditto'] as const,
    'none',
  );
  const fineTuneEpochs = p.optionalNumber(
    'fine-tune-epochs',
    flags.fineTuneEpochs,
    { kind: 'integer', min: 1, max: 1000 },
    1,
  );
  const dittoLambda = p.optionalNumber('ditto-lambda', flags.dittoLambda, { kind: 'non-negative' }, 0.1);
  if (byzFraction !== undefined && byzFraction >= 1)
    p.problem('--byzantine', flags.byzantine, 'a fraction in [0, 1)');
  p.done();
  const minNodes = Math.max(1, Math.min(nodes, Math.floor(rate * nodes * 0.5)));
  const partition = alpha !== undefined ? { kind: 'dirichlet', alpha } : { kind: 'iid' };
  const federation = parseFederation({
    model: dataKind === 'fashion-mnist' ? 'mlp:128' : 'logreg',
    ...(flags.model ? { model: flags.model } : {}),
    rounds,
    minNodes,
    population: nodes,
    selection: centralNoise !== undefined ? { kind: 'poisson', rate } : { kind: 'fraction', fraction: rate },
    train: {
      localEpochs,
      batchSize,
      learningRate: lr,
      compression:
        compression === 'none'
          ? { kind: 'none' }
          : compression === 'topk'
            ? { kind: 'top-k', fraction: 0.1 }
            : { kind: 'quantization', bits: Number(compression.slice(1)) },
    },
    strategy: {
      kind: strategy,
      ...(strategy === 'fedprox' ? { mu: 0.01 } : {}),
      ...(strategy.startsWith('fedad') || strategy === 'fedyogi' ? { serverLearningRate: 0.05 } : {}),
      aggregator:
        aggregator === 'trimmed-mean'
          ? { kind: aggregator, beta: 0.2 }
          : aggregator === 'krum'
            ? { kind: aggregator, byzantine: Math.max(0, Math.floor((byzFraction ?? 0.1) * rate * nodes)) }
            : aggregator === 'norm-bound'
              ? { kind: aggregator, maxNorm: centralClip }
              : { kind: aggregator },
    },
    evaluateEvery: rounds <= 20 ? 1 : Math.ceil(rounds / 20),
    evaluateFraction: nodes > 100 ? 0.01 : 1,
    ...(centralNoise !== undefined
      ? { centralDp: { noiseMultiplier: centralNoise, clipping: { kind: 'fixed', clipNorm: centralClip } } }
      : {}),
    secureAggregation: secure,
    ...(secure !== 'none'
      ? {
          minNodes: Math.max(3, minNodes),
          secagg: {
            clipNorm: secaggClip,
            // simulated nodes answer at once: a dropped one is noticed after 1 s, not a minute
            stageTimeoutMs: 1_000,
            ...(dropout !== undefined ? { expectedDropout: Math.max(0.1, dropout) } : {}),
            ...(distributedNoise !== undefined
              ? { distributedDp: { noiseMultiplier: distributedNoise } }
              : {}),
          },
        }
      : {}),
  });
  const data = parseSimulationData(
    dataKind === 'hospitals' ? { kind: 'hospitals' } : { kind: dataKind, partition },
  );
  return {
    federation,
    data,
    nodes,
    localPrivacy:
      localEpsilon !== undefined
        ? { kind: 'dp', epsilon: localEpsilon, delta: 1e-5, maxGradNorm: 1 }
        : { kind: 'non-private' },
    byzantine: byzFraction ? { fraction: byzFraction, attack } : undefined,
    ...(dropout ? { dropout } : {}),
    personalization:
      personalKind === 'fine-tune'
        ? { kind: 'fine-tune', epochs: fineTuneEpochs }
        : personalKind === 'ditto'
          ? { kind: 'ditto', lambda: dittoLambda }
          : { kind: 'none' },
  };
}

function fromFile(path: string): Plan {
  const file = parseSimulateFile(readSpecFile(path), path);
  const raw = (file.federation ?? {}) as Record<string, unknown>;
  const federation = parseFederation({ population: file.nodes, ...raw });
  return {
    federation,
    data: file.data,
    nodes: file.nodes,
    localPrivacy: file.localPrivacy as SimulationLocalPrivacy,
    byzantine: file.byzantine as ByzantineSpec | undefined,
    personalization: file.personalization as PersonalizationSpec,
    ...(file.budget ? { budget: file.budget } : {}),
  };
}

/** Runs `veil simulate`. */
export async function simulateCommand(
  flags: SimulateFlags,
  global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  if (flags.config) {
    const others = Object.entries(flags)
      .filter(([k, v]) => k !== 'config' && k !== 'db' && v !== undefined)
      .map(([k, v]) => ({
        flag: `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
        value: v as unknown,
      }));
    if (others.length > 0) {
      throw new ConfigError(
        others.map(({ flag, value }) => ({
          path: flag,
          value,
          allowed: 'left out with --config FILE (set it in the file: flags and a config file do not mix)',
        })),
        'command-line flags',
      );
    }
  }
  const plan = flags.config ? fromFile(flags.config) : fromFlags(flags);
  const log = (line: string) => io.stderr(`veil simulate: ${line}\n`);
  const { summary, run: r } = await runSimulationJob(plan, {
    ledger: ledgerAt(ledgerUrl(flags.db)),
    charge: flags.db !== undefined,
    principal: process.env['USER'] || 'cli',
    ...(global.seed === undefined ? {} : { seed: global.seed }),
    progress: () => {},
    log,
    onCoordinatorEvent: (e) => {
      if (e.kind === 'registered' || e.kind === 'checkpoint') return;
      if (plan.nodes > 50 && (e.kind === 'round-started' || e.kind === 'evaluated')) return;
      const line = coordinatorLine(e, plan.federation.rounds);
      if (line) log(line);
    },
  });
  const c = r.coordinator;
  const nodeEps = r.nodes.map((n) => n.localPrivacy?.epsilonSpent ?? 0);
  const personalization = summary['personalization'] as {
    kind: string;
    meanAccuracy: number | null;
    meanGlobalAccuracy: number | null;
  } | null;
  const per = bytesPerRound(r.bytes);
  const meanUp = per.length ? Math.round(per.reduce((s, b) => s + b.sentMean, 0) / per.length) : 0;
  const meanDown = per.length ? Math.round(per.reduce((s, b) => s + b.receivedMean, 0) / per.length) : 0;
  return {
    summary,
    text: [
      `${c.status === 'finished' ? 'finished' : `stopped (${c.failure})`}: ${c.roundsCompleted}/${c.rounds} rounds with ${plan.nodes} nodes in ${r.seconds.toFixed(1)} s${c.status === 'finished' && c.failure ? ` (${c.failure})` : ''}`,
      `test accuracy of the global model: ${(r.testAccuracy * 100).toFixed(2)}%`,
      c.central
        ? `${c.secureAggregation === 'none' ? 'central' : 'distributed'} DP: epsilon ${c.central.epsilonRdp.toFixed(3)} (RDP)${c.central.epsilonPld === null ? '' : ` / ${c.central.epsilonPld.toFixed(3)} (PLD)`} at delta ${c.central.delta} (${neighbouringOf(c.secureAggregation)})`
        : 'central DP: none',
      plan.localPrivacy.kind === 'dp'
        ? `local DP: largest node epsilon ${Math.max(...nodeEps).toFixed(3)} of ${plan.localPrivacy.epsilon}`
        : 'local DP: none',
      ...(personalization?.meanAccuracy != null && personalization.meanGlobalAccuracy != null
        ? [
            `personal models (${personalization.kind}): mean accuracy ${(personalization.meanAccuracy * 100).toFixed(2)}% on the nodes' own test data, vs ${(personalization.meanGlobalAccuracy * 100).toFixed(2)}% for the global model`,
          ]
        : []),
      `bytes per node per round: ${meanUp} sent, ${meanDown} received (mean)`,
      ...(r.private ? [] : ['seeded or non-private run: NOT private']),
    ],
    ...(c.status === 'finished' ? {} : { exitCode: EXIT.protocol }),
  };
}
