/**
 * Where a federation stands: waiting for nodes, training a round (in the clear or under secure aggregation),
 * evaluating a round's model, done or failed. The round machine (rounds.ts) moves between phases; the mailbox
 * (mailbox.ts) answers long polls from the phase; the coordinator's handlers fill the open phase's answers.
 */
import type { GetTaskResponse } from '../../transport/index.js';
import type { ClientUpdate, Rejection } from '../validation/index.js';
import type { SecureRound } from './secure-round.js';

/** The coordinator's phase. */
export type Phase =
  | { readonly kind: 'waiting' }
  | {
      readonly kind: 'training';
      readonly round: number;
      readonly attempt: number;
      readonly selected: ReadonlySet<string>;
      readonly task: GetTaskResponse;
      readonly taskBytes: number;
      readonly deadline: number;
      readonly startedMs: number;
      readonly updates: Map<string, { update: ClientUpdate; loss: number; bytes: number }>;
      readonly rejected: Rejection[];
      cancelTimer: () => void;
      /** The round's secure aggregation, when the federation uses it. */
      readonly secure: SecureRound | null;
    }
  | {
      readonly kind: 'evaluating';
      readonly round: number;
      readonly asked: Set<string>;
      readonly task: GetTaskResponse;
      readonly results: Map<string, { examples: number; accuracy: number; loss: number }>;
      cancelTimer: () => void;
    }
  /** A round aggregated, its privacy events being charged to the budget before it is kept or released. */
  | { readonly kind: 'charging'; readonly round: number }
  | { readonly kind: 'done'; readonly task: GetTaskResponse }
  | { readonly kind: 'failed'; readonly reason: string };

/** A round being trained. */
export type TrainingPhase = Extract<Phase, { kind: 'training' }>;

/** Whether a node has answered the round: its update was taken or refused. A node answers a round once. */
export function hasAnswered(p: TrainingPhase, id: string): boolean {
  if (p.secure) return p.secure.currentStage !== 'advertise' || p.secure.hasAnswered(id);
  return p.updates.has(id) || p.rejected.some((r) => r.nodeId === id);
}
