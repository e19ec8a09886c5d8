/**
 * A federation in one process: the real {@link Coordinator} and one real {@link FederatedNode} per part, talking
 * through the in-memory transport (every message through its protobuf encoding, so the wire format and the
 * byte counts are those of a deployment). Only the sockets are missing.
 *
 * Randomness: with a seed, every purpose (selection, aggregation noise, each node's sampling and noise) gets its
 * own seeded stream, so runs are reproducible and resumable bit for bit, and the result is marked not private;
 * without one, everything comes from the CSPRNG.
 */
import { csprng, InvalidParameterError, type Rng, seededRng } from '../../core/index.js';
import { SequentialModel } from '../../ml/index.js';
import { evaluateModel } from '../../train/index.js';
import { type CoordinatorClient, createInMemoryClient, type TrafficCounter } from '../../transport/index.js';
import type { PrivacyBudget } from '../budget.js';
import {
  configHash,
  coordinatorOptionsFrom,
  type FederationConfig,
  federationModel,
} from '../config/index.js';
import {
  type CheckpointStore,
  Coordinator,
  type CoordinatorEvent,
  type CoordinatorSummary,
} from '../coordinator/index.js';
import {
  FederatedNode,
  type LocalPrivacySpec,
  type NodeEvent,
  type NodeSummary,
  type PersonalizationSpec,
} from '../node/index.js';
import { flattenParams, loadParams } from '../protocol/index.js';
import type { FederatedData } from './data.js';

/** Faulty or malicious nodes, for robustness experiments. */
export interface ByzantineSpec {
  /** Share of the nodes that misbehave, in [0, 1). */
  readonly fraction: number;
  /** sign-flip: -scale * delta; random: Gaussian with scale x the honest delta's RMS per coordinate; nan: NaN. */
  readonly attack: 'sign-flip' | 'random' | 'nan';
  /** Default 10. */
  readonly scale?: number;
}

/**
 * Every simulated node's local privacy. Each node's public size (see {@link LocalPrivacySpec}) is its
 * partition's training count: a simulation's partitions are fixed by its configuration, so their sizes are
 * public by construction (a real node declares its own).
 */
export type SimulationLocalPrivacy =
  | { readonly kind: 'non-private' }
  | Omit<Extract<LocalPrivacySpec, { kind: 'dp' }>, 'publicSize'>;

/** Options of {@link simulate}. */
export interface SimulationOptions {
  readonly federation: FederationConfig;
  readonly data: FederatedData;
  readonly localPrivacy?: SimulationLocalPrivacy;
  /** Whether nodes send loss and evaluation metrics (default: only without local DP; see NodeOptions). */
  readonly releaseMetrics?: boolean;
  /** Every node's personalisation (default none). */
  readonly personalization?: PersonalizationSpec;
  readonly byzantine?: ByzantineSpec;
  /** Seed: reproducible, and not private. Absent: the CSPRNG. */
  readonly seed?: number;
  /** Encode every message (default true; false is faster for very large runs, byte counts still exact). */
  readonly roundTrip?: boolean;
  readonly checkpoint?: CheckpointStore;
  readonly resume?: boolean;
  /** Each node's local-DP budget (default: in memory); the jobs layer passes ledger accounts. */
  readonly nodeBudget?: (node: string) => PrivacyBudget;
  /** The budget the coordinator charges central or distributed DP to (default: none, only reported). */
  readonly centralBudget?: PrivacyBudget;
  readonly onCoordinatorEvent?: (event: CoordinatorEvent) => void;
  readonly onNodeEvent?: (node: string, event: NodeEvent) => void;
  /**
   * A node sends its round's update (under secure aggregation: its key advertisement, sent once it trained), as
   * the call leaves it: a progress display's count of the nodes that trained in a round. The nodes' own `trained`
   * events come only once the coordinator answered, which in one process is after every node has trained.
   */
  readonly onUpdateSent?: (node: string, round: number) => void;
  /** Stop the coordinator after this round's checkpoint (tests of resume). */
  readonly stopAfterRound?: number;
  /**
   * Under secure aggregation: the probability that a selected node drops out of a round at a uniformly chosen
   * stage after its key advertisement (share-keys, masked-input, consistency or unmask). Default 0.
   */
  readonly dropout?: number;
}

/** Bytes one node moved in one round. */
export interface NodeRoundBytes {
  readonly node: string;
  readonly round: number;
  readonly sent: number;
  readonly received: number;
}

/** What a simulation did. */
export interface SimulationResult {
  readonly coordinator: CoordinatorSummary;
  readonly nodes: readonly NodeSummary[];
  readonly byzantineNodes: readonly string[];
  readonly bytes: readonly NodeRoundBytes[];
  /** Accuracy of the final global model on the held-out global test set. */
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly parameters: number;
  readonly private: boolean;
  readonly seconds: number;
}

/** Per-purpose randomness: seeded streams, or the CSPRNG. */
export function rngFactory(seed: number | undefined, scope: string): (purpose: string) => Rng {
  if (seed === undefined) {
    const rng = csprng();
    return () => rng;
  }
  return (purpose) => seededRng(`${seed}/${scope}/${purpose}`);
}

function tamperWith(spec: ByzantineSpec): (delta: Float32Array, round: number, rng: Rng) => Float32Array {
  const scale = spec.scale ?? 10;
  return (delta, _round, rng) => {
    const out = new Float32Array(delta.length);
    if (spec.attack === 'nan') return out.fill(Number.NaN);
    if (spec.attack === 'sign-flip') {
      for (let i = 0; i < delta.length; i++) out[i] = -scale * delta[i]!;
      return out;
    }
    let ss = 0;
    for (let i = 0; i < delta.length; i++) ss += delta[i]! * delta[i]!;
    const std = scale * Math.sqrt(ss / delta.length);
    rng.fillNormal(out);
    for (let i = 0; i < out.length; i++) out[i]! *= std;
    return out;
  };
}

/** A node's client that reports each update as it is sent (see {@link SimulationOptions.onUpdateSent}). */
function observed(
  client: CoordinatorClient,
  node: string,
  onSent: SimulationOptions['onUpdateSent'],
): CoordinatorClient {
  if (!onSent) return client;
  return {
    ...client,
    submitUpdate(request, ...rest) {
      onSent(node, request.round ?? 0);
      return client.submitUpdate(request, ...rest);
    },
    submitSecAgg(request, ...rest) {
      if (request.message?.case === 'advertise') onSent(node, request.round ?? 0);
      return client.submitSecAgg(request, ...rest);
    },
  };
}

const DROP_STAGES = ['share-keys', 'masked-input', 'consistency', 'unmask'] as const;

/** A node's simulated dropouts: per aggregation (round attempt), the stage it stops at, or null. */
function dropoutOf(
  p: number,
  seed: number | undefined,
  node: string,
): (session: string) => (typeof DROP_STAGES)[number] | null {
  const drawn = new Map<string, (typeof DROP_STAGES)[number] | null>();
  return (session) => {
    if (!drawn.has(session)) {
      const rng = seed === undefined ? csprng() : seededRng(`${seed}/dropout/${node}/${session}`);
      drawn.set(session, rng.uniform() < p ? DROP_STAGES[rng.uniformInt(DROP_STAGES.length)]! : null);
    }
    return drawn.get(session)!;
  };
}

/**
 * Runs a simulated federation to the end.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad byzantine spec
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a federation the data cannot serve
 */
export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const started = performance.now();
  const { federation, data, seed } = options;
  const byz = options.byzantine;
  if (byz && !(byz.fraction >= 0 && byz.fraction < 1)) {
    throw new InvalidParameterError({
      fn: 'simulate',
      param: 'byzantine.fraction',
      value: byz.fraction,
      allowed: 'a number in [0, 1)',
    });
  }
  const first = data.nodes[0]!;
  const { model, spec } = federationModel(federation, first.train.featureShape, first.train.numClasses);
  const initRng = rngFactory(seed, 'coordinator')('init');
  const reference = new SequentialModel(spec, model.inputShape, model.numClasses, initRng);
  const initialGlobal = flattenParams(reference.params);
  const coordinatorRng = rngFactory(seed, 'coordinator');
  const coordinator = new Coordinator(
    coordinatorOptionsFrom(federation, {
      model,
      initialGlobal,
      // a simulation knows its nodes: by default round 1 waits for all of them
      startAfterNodes: data.nodes.length,
      configSha256: configHash({ federation, seed: seed ?? null, nodes: data.nodes.length }),
      ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
      ...(options.centralBudget ? { budget: options.centralBudget } : {}),
      ...(options.resume ? { resume: true } : {}),
      rng: coordinatorRng,
      serverEvaluate: (global) => {
        loadParams(reference.params, global);
        return evaluateModel(reference, data.test);
      },
      onEvent: (e) => {
        options.onCoordinatorEvent?.(e);
        if (e.kind === 'checkpoint' && options.stopAfterRound === e.round)
          coordinator.stop(`stopped after round ${e.round}`);
      },
    }),
  );
  const nBad = byz ? Math.floor(byz.fraction * data.nodes.length) : 0;
  // The misbehaving nodes: a seeded choice, so clean and attacked runs differ only in the attack.
  const order = data.nodes.map((_, i) => i);
  const pick = seededRng(`${seed ?? 0}/byzantine`);
  for (let i = order.length - 1; i > 0; i--) {
    const j = pick.uniformInt(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const bad = new Set(order.slice(0, nBad).map((i) => data.nodes[i]!.name));
  const traffic = new Map<string, TrafficCounter>();
  const abort = new AbortController();
  const nodes = data.nodes.map((part) => {
    const counter: TrafficCounter = { sent: 0, received: 0 };
    traffic.set(part.name, counter);
    const client = observed(
      createInMemoryClient(
        coordinator,
        { id: part.name, fingerprint: `simulated:${part.name}` },
        { traffic: counter, roundTrip: options.roundTrip ?? true },
      ),
      part.name,
      options.onUpdateSent,
    );
    return new FederatedNode({
      client,
      name: part.name,
      train: part.train,
      test: part.test,
      privacy:
        options.localPrivacy?.kind === 'dp'
          ? { ...options.localPrivacy, publicSize: part.train.numExamples }
          : { kind: 'non-private' },
      ...(options.personalization ? { personalization: options.personalization } : {}),
      ...(options.releaseMetrics !== undefined ? { releaseMetrics: options.releaseMetrics } : {}),
      ...(options.nodeBudget ? { budget: options.nodeBudget(part.name) } : {}),
      rng: rngFactory(seed, `node/${part.name}`),
      traffic: counter,
      signal: abort.signal,
      pollWaitMs: 30_000,
      sleep: () => new Promise((resolve) => setImmediate(resolve)),
      ...(bad.has(part.name) && byz ? { tamper: tamperWith(byz) } : {}),
      ...(options.dropout ? { secaggDropout: dropoutOf(options.dropout, seed, part.name) } : {}),
      ...(options.onNodeEvent ? { onEvent: (e: NodeEvent) => options.onNodeEvent!(part.name, e) } : {}),
    });
  });
  const runs = nodes.map((n) => n.run());
  // When every node has stopped (left, or failed) and the coordinator still waits, nothing can happen any more.
  void Promise.allSettled(runs).then(() => coordinator.stop('every node left the federation'));
  const summary = await coordinator.finished;
  if (summary.status !== 'finished') abort.abort();
  const nodeSummaries = await Promise.all(runs);
  loadParams(reference.params, summary.global);
  const { accuracy, loss } = evaluateModel(reference, data.test);
  const bytes: NodeRoundBytes[] = nodeSummaries.flatMap((s) =>
    (s.traffic ?? []).map((t) => ({ node: s.name, round: t.round, sent: t.sent, received: t.received })),
  );
  return {
    coordinator: summary,
    nodes: nodeSummaries,
    byzantineNodes: [...bad].sort(),
    bytes,
    testAccuracy: accuracy,
    testLoss: loss,
    parameters: initialGlobal.length,
    private:
      seed === undefined &&
      (federation.centralDp !== undefined ||
        federation.secagg.distributedDp !== undefined ||
        options.localPrivacy?.kind === 'dp'),
    seconds: (performance.now() - started) / 1000,
  };
}
