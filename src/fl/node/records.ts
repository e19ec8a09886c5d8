/**
 * What a node reports: its events as it goes, the traffic of each round and the summary of what it did.
 */
import type { PrivacyEvent } from '../../accounting/index.js';

/** What a node reports as it goes. */
export type NodeEvent =
  | { readonly kind: 'registered'; readonly rounds: number; readonly parameters: number }
  | {
      readonly kind: 'trained';
      readonly round: number;
      readonly loss: number;
      readonly epsilon: number | null;
      readonly accepted: boolean;
      readonly reason: string;
      readonly uploadBytes: number;
      readonly downloadBytes: number;
    }
  | {
      readonly kind: 'evaluated';
      readonly round: number;
      readonly accuracy: number;
      readonly loss: number;
      /** Whether the metrics were sent (see `releaseMetrics`); they always stay in the node's own log. */
      readonly released: boolean;
      readonly accepted: boolean;
      /** Why the coordinator refused the result (empty when accepted). */
      readonly reason: string;
    }
  | { readonly kind: 'left'; readonly reason: string }
  | {
      readonly kind: 'personalized';
      readonly method: 'fine-tune' | 'ditto';
      readonly accuracy: number;
      readonly loss: number;
      readonly epsilon: number | null;
    }
  | { readonly kind: 'retrying'; readonly error: string; readonly attempt: number }
  | {
      /** A secure-aggregation stage answered (accepted or refused by the coordinator). */
      readonly kind: 'secagg-stage';
      readonly round: number;
      readonly stage: 'share-keys' | 'masked-input' | 'consistency' | 'unmask';
      readonly accepted: boolean;
      readonly reason: string;
    }
  | {
      /** The node refused a secure-aggregation request (e.g. both shares of one node) and left the round. */
      readonly kind: 'secagg-refused';
      readonly round: number;
      readonly reason: string;
    }
  | { readonly kind: 'finished'; readonly rounds: number };

/** Traffic of one round, as the node's client counted it. */
export interface RoundTraffic {
  readonly round: number;
  readonly sent: number;
  readonly received: number;
}

/** What a node did. */
export interface NodeSummary {
  readonly name: string;
  readonly status: 'finished' | 'left' | 'stopped';
  readonly reason: string;
  readonly roundsTrained: number;
  readonly updatesAccepted: number;
  readonly localPrivacy: {
    readonly epsilonSpent: number;
    readonly epsilonBudget: number;
    readonly delta: number;
    readonly noiseMultiplier: number;
    readonly events: readonly PrivacyEvent[];
  } | null;
  /** Last evaluation of a global model on the node's test data (with its personal layers, if any). */
  readonly lastEvaluation: {
    readonly round: number;
    readonly accuracy: number;
    readonly loss: number;
  } | null;
  /**
   * The node's personal model on its own test data, next to the final global model's (null without
   * personalisation, or when it could not run: `skipped` says why, e.g. the budget was spent).
   */
  readonly personalized: {
    readonly method: 'fine-tune' | 'ditto';
    readonly accuracy: number;
    readonly loss: number;
    readonly globalAccuracy: number;
    readonly globalLoss: number;
  } | null;
  readonly personalizationSkipped: string | null;
  /** The personal model's parameters (never sent anywhere). */
  readonly personalModel: Float32Array | null;
  /** The final global model the coordinator sent (null if the node left before the end). */
  readonly finalGlobal: Float32Array | null;
  readonly traffic: readonly RoundTraffic[];
}

/** A node's progress through the federation, kept up to date by the parts that answer the coordinator. */
export interface NodeProgress {
  /** The last round the node trained for (sent with each poll). */
  lastRound: number;
  roundsTrained: number;
  updatesAccepted: number;
  readonly traffic: RoundTraffic[];
}
