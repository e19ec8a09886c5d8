/**
 * What a node is given: its data, its local privacy, its personalisation and the rest of {@link NodeOptions},
 * with the check that refuses inconsistent options when the node is made (`checkNodeOptions`).
 */
import { InvalidParameterError, type Rng } from '../../core/index.js';
import type { Dataset } from '../../ml/index.js';
import type { CoordinatorClient, TrafficCounter } from '../../transport/index.js';
import type { PrivacyBudget } from '../budget.js';
import type { NodeEvent } from './records.js';

/** A node's local privacy. */
export type LocalPrivacySpec =
  | { readonly kind: 'non-private' }
  | {
      readonly kind: 'dp';
      /** The node's whole budget, over every round it takes part in. */
      readonly epsilon: number;
      readonly delta: number;
      /** Fixed noise multiplier; absent: calibrated so `plannedRounds` rounds spend the budget. */
      readonly noiseMultiplier?: number;
      /** Rounds the calibration plans for (default: all the federation's rounds). */
      readonly plannedRounds?: number;
      /** Per-example clipping norm (default 1). */
      readonly maxGradNorm?: number;
      readonly accountant?: 'rdp' | 'pld';
      /**
       * The node's record count treated as public, N (an integer >= 1). DP-SGD's sampling rate and steps derive
       * from it, and it is the count the node sends the coordinator (FedAvg's weight), so the actual count
       * stays protected by the add/remove-one-record guarantee (docs/privacy.md, "Neighbouring relations").
       */
      readonly publicSize: number;
    };

/**
 * A node's own personalisation, beyond the federation's shared model (its organisation's choice; the
 * coordinator neither knows nor needs to). Both train on the node's private data, so under local DP they are
 * charged to the node's budget and planned for when the noise is calibrated.
 * - `fine-tune`: after the last round, `epochs` more epochs of local training from the final global model.
 * - `ditto` (Li et al., ICML 2021): every round the node also trains a personal model v on its data with the
 *   proximal term lambda/2 ||v - w||^2 toward that round's global model w (the term reads only the public
 *   global model, so it costs nothing beyond the gradient steps).
 * FedPer-style local layers are the federation's `train.localLayers` and work with either.
 */
export type PersonalizationSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'fine-tune'; readonly epochs: number; readonly learningRate?: number }
  | {
      readonly kind: 'ditto';
      readonly lambda: number;
      readonly epochs?: number;
      readonly learningRate?: number;
    };

/** Options of {@link FederatedNode}. */
export interface NodeOptions {
  readonly client: CoordinatorClient;
  /** For logs only; the coordinator knows the node by its certificate. */
  readonly name: string;
  readonly train: Dataset;
  /** Local test data for evaluation tasks (default: the training data). */
  readonly test?: Dataset;
  readonly privacy: LocalPrivacySpec;
  /**
   * Whether to send the coordinator metrics computed on the node's data: the mean training loss with each
   * update and the federated evaluation's accuracy and loss. They are not noised, so they are outside every DP
   * guarantee (local, central or distributed); the default is to release them only when the federation claims
   * none: no local DP here and no noise on the aggregate. `true` releases them anyway (label them not private).
   */
  readonly releaseMetrics?: boolean;
  /** The node's personal model, if any (default none). */
  readonly personalization?: PersonalizationSpec;
  /**
   * The local-DP budget charged before each round trains, with the privacy spec's limits (default: in memory;
   * a real node's is a ledger account, provided by the jobs layer).
   */
  readonly budget?: PrivacyBudget;
  /** Randomness per purpose ("round/3/train", …): the CSPRNG, or seeded per purpose in simulations. */
  readonly rng: (purpose: string) => Rng;
  /** Long-poll hold asked of the coordinator (default 20 s). */
  readonly pollWaitMs?: number;
  /** Refuse a federation whose model spec hash differs (hex SHA-256). */
  readonly expectedModelSha256?: string;
  readonly maxPhysicalBatch?: number;
  /** The client's traffic counter, to report bytes per round. */
  readonly traffic?: TrafficCounter;
  /** How long to keep retrying when the coordinator cannot be reached (default 60 s). */
  readonly reconnectForMs?: number;
  /**
   * Rewrites the update before it is sent. For simulating faulty or malicious nodes in robustness tests and
   * simulations only (`veil simulate --byzantine`); a real node has none.
   */
  readonly tamper?: (delta: Float32Array, round: number, rng: Rng) => Float32Array;
  /**
   * Makes the node drop out of a round's secure aggregation at the stage returned (it stops answering). For
   * simulations of unreliable nodes only (`veil simulate --dropout`); a real node has none.
   */
  readonly secaggDropout?: (
    session: string,
  ) => 'share-keys' | 'masked-input' | 'consistency' | 'unmask' | null;
  /**
   * Refuse to send a plain update: the node takes part only in rounds that use secure aggregation with at least
   * this Shamir threshold (>= 2), and sits out any other round. Absent: the coordinator decides.
   */
  readonly requireSecureAggregation?: { readonly minThreshold?: number };
  /**
   * The node's certified identity (PEM): its secure-aggregation key is signed with the certificate's key at
   * registration, and every peer's key must carry a valid binding to a certificate of `caPem` under the peer's
   * name, or the node sits the round out — so the coordinator cannot substitute keys. Absent (simulations):
   * keys are taken as the coordinator relays them.
   */
  readonly identity?: {
    readonly certificatePem: string;
    readonly privateKeyPem: string;
    readonly caPem: string;
  };
  readonly onEvent?: (event: NodeEvent) => void;
  readonly signal?: AbortSignal;
  /** Sleeps between polls; injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Refuses options a node cannot run with (each problem as an InvalidParameterError naming the option).
 * @throws {InvalidParameterError}
 */
export function checkNodeOptions(options: NodeOptions): void {
  const p = options.privacy;
  if (p.kind === 'dp') {
    const fn = 'FederatedNode';
    if (!(p.epsilon > 0))
      throw new InvalidParameterError({
        fn,
        param: 'privacy.epsilon',
        value: p.epsilon,
        allowed: 'a number > 0',
      });
    if (!(p.delta > 0 && p.delta < 1))
      throw new InvalidParameterError({
        fn,
        param: 'privacy.delta',
        value: p.delta,
        allowed: 'a number in (0, 1)',
      });
    if (p.noiseMultiplier !== undefined && !(p.noiseMultiplier > 0)) {
      throw new InvalidParameterError({
        fn,
        param: 'privacy.noiseMultiplier',
        value: p.noiseMultiplier,
        allowed: 'a number > 0 for local DP',
      });
    }
    if (p.maxGradNorm !== undefined && !(p.maxGradNorm > 0)) {
      throw new InvalidParameterError({
        fn,
        param: 'privacy.maxGradNorm',
        value: p.maxGradNorm,
        allowed: 'a number > 0',
      });
    }
  }
  const z = options.personalization;
  if (z && z.kind !== 'none') {
    const fn = 'FederatedNode';
    const epochs = z.epochs;
    if (
      z.kind === 'fine-tune'
        ? !(Number.isInteger(epochs) && epochs! >= 1)
        : epochs !== undefined && !(Number.isInteger(epochs) && epochs >= 1)
    )
      throw new InvalidParameterError({
        fn,
        param: 'personalization.epochs',
        value: epochs,
        allowed: 'an integer >= 1',
      });
    if (z.learningRate !== undefined && !(z.learningRate > 0))
      throw new InvalidParameterError({
        fn,
        param: 'personalization.learningRate',
        value: z.learningRate,
        allowed: 'a number > 0',
      });
    if (z.kind === 'ditto' && !(z.lambda >= 0 && Number.isFinite(z.lambda)))
      throw new InvalidParameterError({
        fn,
        param: 'personalization.lambda',
        value: z.lambda,
        allowed: 'a finite number >= 0',
      });
  }
}
