/**
 * How a round attempt opens under secure aggregation, and how a closed round becomes the next state: the new
 * global model, the central privacy events charged, each node's participation, and the round's record. The
 * round machine (rounds.ts) decides when; these functions say what.
 */
import { bytesFromWords } from '../protocol/index.js';
import type { Strategy } from '../strategies/index.js';
import type { Clock } from './clock.js';
import type { CoordinatorOptions } from './options.js';
import type { TrainingPhase } from './phase.js';
import type { RoundRecord } from './records.js';
import { SecureRound } from './secure-round.js';
import type { FederationState } from './state.js';

/** What the outcome functions read and change. */
export interface OutcomeContext {
  readonly o: CoordinatorOptions;
  readonly state: FederationState;
  readonly clock: Clock;
}

/** Whether round `round` is followed by a federated evaluation (every k-th round and the last). */
export function evaluatesAfter(o: CoordinatorOptions, round: number): boolean {
  const every = o.evaluateEvery ?? 1;
  return round === o.rounds || (every > 0 && round % every === 0);
}

/**
 * The secure aggregation of a round attempt over the selected nodes' registered keys, in a fresh session.
 * @throws {ProtocolError} when this selection cannot be aggregated securely (the attempt is drawn again)
 * @throws {InvalidParameterError} when no selection can (the federation fails)
 */
export function openSecureRound(
  ctx: OutcomeContext,
  round: number,
  attempt: number,
  selected: ReadonlySet<string>,
): SecureRound {
  const nonce = new Uint32Array(4);
  const rng = ctx.o.rng(`round/${round}/attempt/${attempt}/session`);
  for (let i = 0; i < 4; i++) nonce[i] = rng.uniformInt(2 ** 32);
  const nonceHex = Buffer.from(bytesFromWords(nonce)).toString('hex');
  const { participants, bindings } = ctx.state.nodes.secureRoster(selected);
  return new SecureRound({
    round,
    session: `veil/${ctx.o.configSha256.slice(0, 16)}/round/${round}/attempt/${attempt}/${nonceHex}`,
    spec: ctx.o.secureAggregation!,
    participants,
    bindings,
    dimension: ctx.state.global.length,
  });
}

/** Applies a plain round's aggregation to the state and returns the round's record. */
export function commitPlainRound(
  ctx: OutcomeContext,
  p: TrainingPhase,
  ids: readonly string[],
  outcome: ReturnType<Strategy['aggregate']>,
  evaluate: boolean,
): RoundRecord {
  const { o, state, clock } = ctx;
  const { global, result } = outcome;
  const answered = new Set([...p.updates.keys(), ...p.rejected.map((r) => r.nodeId)]);
  const losses = ids.map((id) => p.updates.get(id)!.loss).filter(Number.isFinite);
  for (const id of result.used) {
    const n = state.nodes.get(id);
    if (n) n.roundsParticipated++;
  }
  for (const r of result.rejected) {
    const n = state.nodes.get(r.nodeId);
    if (n) n.updatesRejected++;
  }
  state.global = global;
  state.roundsCompleted = p.round;
  state.centralEvents.push(...result.events);
  return {
    round: p.round,
    attempts: p.attempt,
    selected: [...p.selected].sort(),
    used: result.used,
    rejected: [...p.rejected, ...result.rejected],
    dropped: [...p.selected].filter((id) => !answered.has(id)).sort(),
    meanTrainLoss: mean(losses),
    downloadBytesPerNode: p.taskBytes,
    uploadBytes: Object.fromEntries(ids.map((id) => [id, p.updates.get(id)!.bytes])),
    updateNorm: l2Norm(result.delta),
    events: result.events,
    evaluation: null,
    serverEvaluation: evaluate && o.serverEvaluate ? o.serverEvaluate(state.global) : null,
    seconds: (clock.now() - p.startedMs) / 1000,
  };
}

/** Applies a secure round's unmasked mean (the strategy's server step) to the state; returns its record. */
export function commitSecureRound(
  ctx: OutcomeContext,
  p: TrainingPhase,
  r: ReturnType<SecureRound['result']>,
  evaluate: boolean,
): RoundRecord {
  const { o, state, clock } = ctx;
  state.global = o.strategy.applyDelta(state.global, r.mean, p.round);
  state.roundsCompleted = p.round;
  state.centralEvents.push(...r.events);
  for (const id of r.survivors) {
    const n = state.nodes.get(id);
    if (n) n.roundsParticipated++;
  }
  const losses = r.survivors
    .map((id) => p.secure!.metaOf(id)?.trainLoss ?? Number.NaN)
    .filter(Number.isFinite);
  const downloads = [...r.downloadBytes.values()];
  const alive = new Set(r.survivors);
  return {
    round: p.round,
    attempts: p.attempt,
    selected: [...p.selected].sort(),
    used: r.survivors,
    rejected: [...p.rejected],
    dropped: [...p.selected].filter((id) => !alive.has(id)).sort(),
    meanTrainLoss: mean(losses),
    downloadBytesPerNode: p.taskBytes + (downloads.length ? Math.round(mean(downloads)!) : 0),
    uploadBytes: Object.fromEntries([...r.uploadBytes].sort(([a], [b]) => (a < b ? -1 : 1))),
    updateNorm: l2Norm(r.mean),
    events: r.events,
    evaluation: null,
    serverEvaluation: evaluate && o.serverEvaluate ? o.serverEvaluate(state.global) : null,
    seconds: (clock.now() - p.startedMs) / 1000,
    secureAggregation: r.record,
  };
}

/** The mean of a list, or null when it is empty. */
function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

function l2Norm(v: Float32Array): number {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  return Math.sqrt(norm);
}
