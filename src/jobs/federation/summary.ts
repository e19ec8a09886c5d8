/**
 * Summaries and progress lines shared by `veil coordinator` and `veil simulate`: rounds, accuracy, privacy
 * (central and per node) and bytes on the wire per node per round.
 */
import type { CoordinatorEvent, CoordinatorSummary, NodeRoundBytes } from '../../fl/index.js';

/** A progress line for a coordinator event (stderr), or null for events not worth a line. */
export function coordinatorLine(e: CoordinatorEvent, rounds: number): string | null {
  switch (e.kind) {
    case 'registered':
      return `node ${e.node} registered (${e.numExamples} examples)`;
    case 'refused':
      return `node ${e.node} refused: ${e.reason}`;
    case 'left':
      return `node ${e.node} left: ${e.reason}`;
    case 'round-started':
      return `round ${e.round}/${rounds}: ${e.selected} nodes selected${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'update-rejected':
      return `round ${e.round}: update of ${e.node} refused: ${e.reason}`;
    case 'round-retried':
      return e.reason
        ? `round ${e.round}: attempt ${e.attempt} did not count (${e.reason}), drawing again`
        : `round ${e.round}: only ${e.received} usable updates (attempt ${e.attempt}), drawing again`;
    case 'round-finished': {
      const r = e.record;
      const ev = r.serverEvaluation
        ? `, test accuracy ${(r.serverEvaluation.accuracy * 100).toFixed(2)}%`
        : '';
      const sa = r.secureAggregation;
      const how = sa
        ? `${sa.protocol}: sum of ${sa.survivors} updates (threshold ${sa.threshold}, ${sa.degree} neighbours)`
        : `${r.used.length} updates used, ${r.rejected.length} refused`;
      return `round ${r.round}/${rounds} done: ${how}, ${r.dropped.length} dropped${ev} (${r.seconds.toFixed(2)} s)`;
    }
    case 'evaluated':
      return `round ${e.round}: federated evaluation on ${e.evaluation.nodes} nodes: accuracy ${(e.evaluation.accuracy * 100).toFixed(2)}% (unnoised, released by the nodes: not covered by any epsilon)`;
    case 'resumed':
      return `resumed from the checkpoint after round ${e.roundsCompleted}`;
    case 'failed':
      return `federation failed: ${e.reason}`;
    case 'finished':
      return `federation finished after ${e.rounds} rounds${e.reason ? ` (${e.reason})` : ''}`;
    case 'checkpoint':
      return null;
  }
}

/** Bytes per round: mean and max over the nodes that trained in it. */
export function bytesPerRound(bytes: readonly NodeRoundBytes[]): {
  round: number;
  nodes: number;
  sentMean: number;
  sentMax: number;
  receivedMean: number;
  receivedMax: number;
}[] {
  const byRound = new Map<number, NodeRoundBytes[]>();
  for (const b of bytes) byRound.set(b.round, [...(byRound.get(b.round) ?? []), b]);
  return [...byRound.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([round, list]) => ({
      round,
      nodes: list.length,
      sentMean: Math.round(list.reduce((s, b) => s + b.sent, 0) / list.length),
      sentMax: Math.max(...list.map((b) => b.sent)),
      receivedMean: Math.round(list.reduce((s, b) => s + b.received, 0) / list.length),
      receivedMax: Math.max(...list.map((b) => b.received)),
    }));
}

/** The JSON-able part of a coordinator summary. */
export function coordinatorJson(s: CoordinatorSummary, maxNodes = 1000): Record<string, unknown> {
  return {
    status: s.status,
    failure: s.failure,
    rounds: s.rounds,
    roundsCompleted: s.roundsCompleted,
    resumedFrom: s.resumedFrom,
    strategy: s.strategy,
    secureAggregation: s.secureAggregation,
    finalEvaluation: s.finalEvaluation,
    finalServerEvaluation: s.finalServerEvaluation,
    central: s.central
      ? {
          delta: s.central.delta,
          epsilonRdp: s.central.epsilonRdp,
          epsilonPld: s.central.epsilonPld,
          rounds: s.central.events.length,
          event: s.central.events[0],
          neighbouring: neighbouringOf(s.secureAggregation),
        }
      : null,
    history: s.history.map((h) => ({
      round: h.round,
      attempts: h.attempts,
      selected: h.selected.length,
      used: h.used.length,
      rejected: h.rejected,
      dropped: h.dropped,
      meanTrainLoss: h.meanTrainLoss,
      downloadBytesPerNode: h.downloadBytesPerNode,
      uploadBytesMean: meanOf(Object.values(h.uploadBytes)),
      updateNorm: h.updateNorm,
      ...(h.secureAggregation
        ? {
            secureAggregation: {
              protocol: h.secureAggregation.protocol,
              threshold: h.secureAggregation.threshold,
              degree: h.secureAggregation.degree,
              fractionalBits: h.secureAggregation.fractionalBits,
              survivors: h.secureAggregation.survivors,
              droppedByStage: Object.fromEntries(
                Object.entries(h.secureAggregation.dropped).map(([k, v]) => [k, v.length]),
              ),
              noiseSigma: h.secureAggregation.noiseSigma,
            },
          }
        : {}),
      evaluation: h.evaluation,
      serverEvaluation: h.serverEvaluation,
      seconds: h.seconds,
    })),
    nodes: s.nodes.slice(0, maxNodes).map((n) => ({
      id: n.id,
      roundsParticipated: n.roundsParticipated,
      updatesRejected: n.updatesRejected,
      localEpsilon: n.localEpsilon,
      localDelta: n.localDelta,
      left: n.left,
    })),
    ...(s.nodes.length > maxNodes ? { nodesOmitted: s.nodes.length - maxNodes } : {}),
  };
}

function meanOf(v: readonly number[]): number | null {
  return v.length ? Math.round(v.reduce((a, b) => a + b, 0) / v.length) : null;
}

/**
 * The relation a federation's aggregate epsilon holds for (docs/privacy.md, "Neighbouring relations"): central
 * DP-FedAvg's is add/remove one node; distributed DP's only zero-out of one node's update with participation
 * public, so the two epsilons are not comparable.
 */
export function neighbouringOf(secureAggregation: 'none' | 'secagg' | 'secagg+'): string {
  return secureAggregation === 'none'
    ? 'add/remove one node'
    : "zero-out of one node's update per round, participation public";
}
