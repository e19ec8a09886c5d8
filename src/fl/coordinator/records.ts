/**
 * What a coordinator records and reports: its nodes, each round (with its secure aggregation), evaluations,
 * the events it emits as it goes and the summary of the federation.
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import type { Rejection } from '../validation/index.js';

/** A registered node as the coordinator knows it. */
export interface NodeRecord {
  readonly id: string;
  fingerprint: string;
  numExamples: number;
  lastSeenUnixMs: number;
  roundsParticipated: number;
  updatesRejected: number;
  /** The node's own report of its cumulative local epsilon (informational: the node enforces its budget). */
  localEpsilon: number;
  localDelta: number;
  left: boolean;
  /** The node's Ed25519 key for secure aggregation, hex ('' when it registered none). */
  signingKey?: string;
  /** Its binding to the node's certificate: the certificate (DER) and the signature, base64 ('' for none). */
  signingKeyCertificate?: string;
  signingKeySignature?: string;
}

/** One round, as recorded. */
export interface RoundRecord {
  readonly round: number;
  readonly attempts: number;
  readonly selected: readonly string[];
  readonly used: readonly string[];
  readonly rejected: readonly Rejection[];
  /** Selected nodes that did not answer before the deadline. */
  readonly dropped: readonly string[];
  readonly meanTrainLoss: number | null;
  /** Bytes of the task each selected node downloaded (protobuf encoding). */
  readonly downloadBytesPerNode: number;
  /** Bytes of each received update request, by node. */
  readonly uploadBytes: Readonly<Record<string, number>>;
  readonly updateNorm: number;
  readonly events: readonly PrivacyEvent[];
  evaluation: EvaluationRecord | null;
  readonly serverEvaluation: { readonly accuracy: number; readonly loss: number } | null;
  readonly seconds: number;
  /** How the round was securely aggregated (absent without secure aggregation). */
  readonly secureAggregation?: SecureRoundRecord;
}

/** A federated evaluation: example-weighted means over the nodes that answered. */
export interface EvaluationRecord {
  readonly nodes: number;
  readonly examples: number;
  readonly accuracy: number;
  readonly loss: number;
}

/** What the coordinator reports as it goes. */
export type CoordinatorEvent =
  | { readonly kind: 'registered'; readonly node: string; readonly numExamples: number }
  | { readonly kind: 'refused'; readonly node: string; readonly reason: string }
  | { readonly kind: 'left'; readonly node: string; readonly reason: string }
  | {
      readonly kind: 'round-started';
      readonly round: number;
      readonly attempt: number;
      readonly selected: number;
    }
  | {
      readonly kind: 'update-rejected';
      readonly round: number;
      readonly node: string;
      readonly reason: string;
    }
  | {
      readonly kind: 'round-retried';
      readonly round: number;
      readonly attempt: number;
      readonly received: number;
      /** Why the attempt did not count (a failed secure aggregation says which stage fell below the threshold). */
      readonly reason?: string;
    }
  | { readonly kind: 'round-finished'; readonly record: RoundRecord }
  | { readonly kind: 'evaluated'; readonly round: number; readonly evaluation: EvaluationRecord }
  | { readonly kind: 'checkpoint'; readonly round: number }
  | { readonly kind: 'resumed'; readonly roundsCompleted: number }
  | {
      readonly kind: 'finished';
      readonly rounds: number;
      /** Why it finished before its rounds, if it did. */
      readonly reason?: string;
    }
  | { readonly kind: 'failed'; readonly reason: string };

/** The outcome of a federation. */
export interface CoordinatorSummary {
  readonly status: 'finished' | 'failed';
  readonly failure: string | null;
  readonly roundsCompleted: number;
  readonly rounds: number;
  readonly strategy: string;
  /** How rounds were aggregated: in the clear ('none') or with SecAgg / SecAgg+. */
  readonly secureAggregation: 'none' | 'secagg' | 'secagg+';
  readonly global: Float32Array;
  readonly history: readonly RoundRecord[];
  readonly finalEvaluation: EvaluationRecord | null;
  readonly finalServerEvaluation: { readonly accuracy: number; readonly loss: number } | null;
  /** Central DP spent (server-side noise), or null when the strategy adds none. */
  readonly central: {
    readonly events: readonly PrivacyEvent[];
    readonly delta: number;
    readonly epsilonRdp: number;
    /** Null when an event has no PLD analysis (the distributed discrete Gaussian has a zCDP bound only). */
    readonly epsilonPld: number | null;
  } | null;
  readonly nodes: readonly NodeRecord[];
  readonly resumedFrom: number | null;
}

/** The stages of a secure aggregation, in the order they run. */
export type SecureStage = 'advertise' | 'share-keys' | 'masked-input' | 'consistency' | 'unmask';

/** What a secure round reports in the round record. */
export interface SecureRoundRecord {
  readonly protocol: 'secagg' | 'secagg+';
  readonly threshold: number;
  /** Neighbours per node (n - 1 under SecAgg's complete graph). */
  readonly degree: number;
  readonly fractionalBits: number;
  readonly survivors: number;
  /** Nodes dropped at each stage. */
  readonly dropped: Readonly<Record<SecureStage, readonly string[]>>;
  /** Per-node discrete Gaussian sigma in integer units (0 without distributed DP). */
  readonly noiseSigma: number;
}
