/**
 * The coordinator's round machine: waiting for nodes → round r: select nodes and hand each the global model and
 * the local-training configuration, collect updates until every selected node has answered or the deadline
 * passes (stragglers dropped when the quorum holds; otherwise the round is re-drawn, up to `maxRoundAttempts`)
 * → aggregate (in the clear, or stage by stage under secure aggregation) → checkpoint → optionally an
 * evaluation round → … → finished. The model of a round is handed out only after its checkpoint is written, so
 * a privacy event is never released without being recorded.
 *
 * The machine changes phases and arms their timers; the coordinator's handlers fill the open phase's answers and
 * ask it to close the phase when they may have completed it.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { PrivacyEvent } from '../../accounting/index.js';
import { BudgetExceededError, InvalidParameterError, ProtocolError } from '../../core/index.js';
import { GetTaskResponseSchema, type TrainConfig } from '../../transport/index.js';
import { encodeParameters } from '../protocol/index.js';
import { selectNodes } from '../selection/index.js';
import type { Strategy } from '../strategies/index.js';
import type { RoundView } from './mailbox.js';
import { trainConfigMessage } from './options.js';
import type { Phase, TrainingPhase } from './phase.js';
import type { CoordinatorEvent, CoordinatorSummary, EvaluationRecord, RoundRecord } from './records.js';
import {
  commitPlainRound,
  commitSecureRound,
  evaluatesAfter,
  type OutcomeContext,
  openSecureRound,
} from './round-outcome.js';
import type { SecureRound } from './secure-round.js';

/** What the round machine works with besides its phase. */
export interface RoundContext extends OutcomeContext {
  readonly emit: (event: CoordinatorEvent) => void;
  /** Answers every held long poll (the phase changed). */
  readonly wakeAll: () => void;
  /** Called once, when the federation finishes or fails. */
  readonly settle: (summary: CoordinatorSummary) => void;
}

/** The phases of a federation and the moves between them. */
export class Rounds implements RoundView {
  private current: Phase = { kind: 'waiting' };
  /** Attempt number of the next draw of the current round (a failed quorum counts, waiting does not reset it). */
  private nextAttempt = 1;
  private readonly trainConfig: TrainConfig;
  /** Whether a round was ever drawn (before that, waiting for registrations has no deadline). */
  private started = false;
  /** Cancels the deadline of a wait for nodes, when one is armed. */
  private cancelWait: (() => void) | null = null;

  constructor(private readonly ctx: RoundContext) {
    this.trainConfig = trainConfigMessage(ctx.o.train, ctx.o.strategy.proximalMu);
  }

  get phase(): Phase {
    return this.current;
  }

  /** Available nodes a round needs to start: startAfterNodes before the first round, minNodes after. */
  nodesNeeded(): number {
    const { o, state } = this.ctx;
    return state.roundsCompleted === 0 && state.history.length === 0
      ? (o.startAfterNodes ?? o.minNodes)
      : o.minNodes;
  }

  maybeStartRound(): void {
    if (this.current.kind !== 'waiting') return;
    const needed = this.nodesNeeded();
    if (this.ctx.state.nodes.activeCount() < needed) {
      this.armWaitDeadline();
      return;
    }
    this.startRound(this.ctx.state.roundsCompleted + 1, this.nextAttempt);
  }

  /**
   * Once the federation has started, a wait for nodes has a deadline (`waitForNodesMs`, default `roundTimeoutMs`):
   * when it passes with still too few nodes available (they left, e.g. out of local budget, or went silent), the
   * federation ends early with its last model, which the last round's checkpoint already holds.
   */
  private armWaitDeadline(): void {
    if (!this.started || this.cancelWait) return;
    const { o, clock } = this.ctx;
    const ms = o.waitForNodesMs ?? o.roundTimeoutMs;
    this.cancelWait = clock.setTimer(ms, () => {
      this.cancelWait = null;
      if (this.current.kind !== 'waiting') return;
      const { state } = this.ctx;
      const available = state.nodes.activeCount();
      const needed = this.nodesNeeded();
      if (available >= needed) {
        this.maybeStartRound();
        return;
      }
      const left = state.nodes.sorted().filter((n) => n.left).length;
      this.finish(
        `ended early after ${state.roundsCompleted} of ${o.rounds} rounds: round ${state.roundsCompleted + 1} needs ` +
          `${needed} available nodes, ${available} ${available === 1 ? 'is' : 'are'} available` +
          (left > 0 ? ` (${left} left the federation)` : '') +
          ` and none joined within ${ms} ms`,
      );
    });
  }

  private stopWaiting(): void {
    this.cancelWait?.();
    this.cancelWait = null;
  }

  /** Closes the round (or the secure aggregation's stage) when every node it waits for has answered. */
  maybeCloseRound(): void {
    const p = this.current;
    if (p.kind !== 'training') return;
    const nodes = this.ctx.state.nodes;
    if (p.secure) {
      const secure = p.secure;
      const pending = secure.eligible().filter((id) => !secure.hasAnswered(id) && !nodes.get(id)?.left);
      if (pending.length === 0) this.advanceSecure(p);
      return;
    }
    const answered = new Set([...p.updates.keys(), ...p.rejected.map((r) => r.nodeId)]);
    for (const id of p.selected) if (nodes.get(id)?.left) answered.add(id);
    if (answered.size >= p.selected.size) this.closeRound(false);
  }

  /** Closes the evaluation when every node asked has answered, and whenever its deadline passes. */
  maybeCloseEvaluation(): void {
    const p = this.current;
    if (p.kind === 'evaluating' && p.results.size >= p.asked.size) this.closeEvaluation();
  }

  /** Finishes the federation: every poll gets the final model (`reason`: why it finished before its rounds). */
  finish(reason: string | null = null): void {
    this.stopWaiting();
    const { state } = this.ctx;
    const task = create(GetTaskResponseSchema, {
      task: {
        case: 'finished',
        value: { rounds: state.roundsCompleted, global: encodeParameters(state.global) },
      },
    });
    this.current = { kind: 'done', task };
    this.ctx.emit({ kind: 'finished', rounds: state.roundsCompleted, ...(reason ? { reason } : {}) });
    this.ctx.wakeAll();
    this.ctx.settle(state.summary('finished', reason));
  }

  fail(reason: string): void {
    this.stopWaiting();
    const p = this.current;
    if (p.kind === 'training' || p.kind === 'evaluating') p.cancelTimer();
    this.current = { kind: 'failed', reason };
    this.ctx.emit({ kind: 'failed', reason });
    this.ctx.wakeAll();
    this.ctx.settle(this.ctx.state.summary('failed', reason));
  }

  private startRound(round: number, attempt: number): void {
    this.stopWaiting();
    this.started = true;
    const { o, state, clock } = this.ctx;
    const selected = new Set(
      selectNodes(
        state.nodes.candidates(),
        o.selection,
        round,
        o.rng(`round/${round}/attempt/${attempt}/select`),
      ),
    );
    const deadline = clock.now() + o.roundTimeoutMs;
    let secure: SecureRound | null = null;
    if (o.secureAggregation) {
      try {
        secure = openSecureRound(this.ctx, round, attempt, selected);
      } catch (err) {
        if (err instanceof InvalidParameterError) {
          // parameters no round can satisfy (noise below the sampler's range, a clip that cannot fit 2^31...)
          this.fail(`round ${round}: secure aggregation cannot be set up: ${err.message}`);
          return;
        }
        if (!(err instanceof ProtocolError)) throw err;
        this.current = { kind: 'waiting' };
        this.retry(round, attempt, selected.size, err.message);
        return;
      }
    }
    const task = create(GetTaskResponseSchema, {
      task: {
        case: 'train',
        value: {
          round,
          global: encodeParameters(state.global),
          config: this.trainConfig,
          deadlineUnixMs: BigInt(deadline),
          ...(secure ? { secagg: secure.setup() } : {}),
        },
      },
    });
    this.current = {
      kind: 'training',
      round,
      attempt,
      selected,
      task,
      taskBytes: toBinary(GetTaskResponseSchema, task).length,
      deadline,
      startedMs: clock.now(),
      updates: new Map(),
      rejected: [],
      cancelTimer: clock.setTimer(o.roundTimeoutMs + 1, () => this.onDeadline(round, attempt)),
      secure,
    };
    this.ctx.emit({ kind: 'round-started', round, attempt, selected: selected.size });
    this.ctx.wakeAll();
    this.maybeCloseRound();
  }

  private onDeadline(round: number, attempt: number): void {
    const p = this.current;
    if (p.kind !== 'training' || p.round !== round || p.attempt !== attempt) return;
    if (p.secure) {
      if (p.secure.currentStage === 'advertise') this.advanceSecure(p);
      return;
    }
    this.closeRound(true);
  }

  /** A round attempt that cannot count: retried with a new draw, or the run fails after maxRoundAttempts. */
  private retry(round: number, attempt: number, received: number, why: string): void {
    this.ctx.emit({ kind: 'round-retried', round, attempt, received, reason: why });
    if (attempt >= (this.ctx.o.maxRoundAttempts ?? 3)) {
      this.fail(`round ${round}: ${why} (after ${attempt} attempts)`);
      return;
    }
    this.current = { kind: 'waiting' };
    this.nextAttempt = attempt + 1;
    if (this.ctx.state.nodes.activeCount() >= this.ctx.o.minNodes) this.startRound(round, this.nextAttempt);
    else this.armWaitDeadline();
  }

  /**
   * Closes the secure aggregation's current stage (everyone answered, or its deadline passed) and opens the
   * next, or finishes the round when the unmasking closed. Below the threshold the attempt is retried: nothing
   * was unmasked.
   */
  private advanceSecure(p: TrainingPhase): void {
    const secure = p.secure!;
    p.cancelTimer();
    let done: boolean;
    try {
      done = secure.close();
    } catch (err) {
      // Below the threshold (ProtocolError), or anything else: this runs from a node's call or from a stage
      // timer, where an error would leave the round open with no timer left; the attempt fails and is redrawn.
      this.retry(p.round, p.attempt, 0, errorMessage(err));
      return;
    }
    if (done) {
      this.closeSecureRound(p);
      return;
    }
    const timeout = this.ctx.o.secureAggregation?.stageTimeoutMs ?? 60_000;
    secure.deadline = this.ctx.clock.now() + timeout;
    const stage = secure.currentStage;
    p.cancelTimer = this.ctx.clock.setTimer(timeout + 1, () => {
      if (this.current === p && secure.currentStage === stage) this.advanceSecure(p);
    });
    this.ctx.wakeAll();
    this.maybeCloseRound();
  }

  private closeSecureRound(p: TrainingPhase): void {
    const secure = p.secure!;
    const survivors = secure.survivors().length;
    const quorum = this.ctx.o.selection.kind === 'poisson' ? 2 : this.ctx.o.minNodes;
    if (survivors < quorum) {
      // Decided before the sum is unmasked: a round below the quorum releases nothing, so it costs nothing.
      this.retry(
        p.round,
        p.attempt,
        survivors,
        `${survivors} survivors, the quorum is ${quorum} (nothing unmasked)`,
      );
      return;
    }
    const evaluate = evaluatesAfter(this.ctx.o, p.round);
    // The release's events are charged before the sum is unmasked.
    this.chargeThenFinish(
      p.round,
      secure.releaseEvents(),
      () => {
        let r: ReturnType<SecureRound['result']>;
        try {
          r = secure.result();
        } catch (err) {
          // Every share was checked on receipt, so this should not happen; if it does, nothing was released and
          // the attempt is redrawn instead of leaving the federation stuck (the stage timer is already cancelled).
          this.retry(p.round, p.attempt, 0, `the unmasking failed: ${errorMessage(err)}`);
          return null;
        }
        return commitSecureRound(this.ctx, p, r, evaluate);
      },
      evaluate,
    );
  }

  private closeRound(deadlinePassed: boolean): void {
    const p = this.current;
    if (p.kind !== 'training') return;
    const { o, state } = this.ctx;
    p.cancelTimer();
    const quorum = o.selection.kind === 'poisson' ? 0 : o.minNodes;
    if (p.updates.size < quorum) {
      this.ctx.emit({ kind: 'round-retried', round: p.round, attempt: p.attempt, received: p.updates.size });
      if (p.attempt >= (o.maxRoundAttempts ?? 3)) {
        this.fail(
          `round ${p.round}: ${p.updates.size} usable updates after ${p.attempt} attempts, the quorum is ${quorum}` +
            (deadlinePassed ? ' (deadline passed)' : ''),
        );
        return;
      }
      this.current = { kind: 'waiting' };
      this.nextAttempt = p.attempt + 1;
      if (state.nodes.activeCount() >= o.minNodes) this.startRound(p.round, this.nextAttempt);
      else this.armWaitDeadline();
      return;
    }
    const evaluate = evaluatesAfter(o, p.round);
    const ids = [...p.updates.keys()].sort();
    const updates = ids.map((id) => p.updates.get(id)!.update);
    let outcome: ReturnType<Strategy['aggregate']>;
    try {
      outcome = o.strategy.aggregate(state.global, updates, p.round, o.rng(`round/${p.round}/aggregate`));
    } catch (err) {
      // Possibly inside the deadline timer: an error must end this attempt, never the coordinator's progress.
      this.retry(p.round, p.attempt, p.updates.size, `the aggregation failed: ${errorMessage(err)}`);
      return;
    }
    this.chargeThenFinish(
      p.round,
      outcome.result.events,
      () => commitPlainRound(this.ctx, p, ids, outcome, evaluate),
      evaluate,
    );
  }

  /**
   * Charges a round's privacy events to the budget (when there is one and they are private), then commits the
   * round and finishes it. Nothing of the round is kept or released before the charge is granted; a refusal
   * finishes the federation with the last released model.
   */
  private chargeThenFinish(
    round: number,
    events: readonly PrivacyEvent[],
    commit: () => RoundRecord | null,
    evaluate: boolean,
  ): void {
    const budget = this.ctx.o.budget;
    const charged = events.filter((e) => e.kind !== 'non-private' && e.kind !== 'no-op');
    const commitAndFinish = () => {
      const record = commit();
      if (record) this.finishRound(record, evaluate);
    };
    if (!budget || charged.length === 0) {
      commitAndFinish();
      return;
    }
    const charging: Phase = { kind: 'charging', round };
    this.current = charging;
    this.ctx.wakeAll();
    // A budget that never answers (a ledger server that hangs) must not hang the federation: after the round's
    // deadline the run fails, the round discarded. A charge that lands later stays charged (never overspent).
    const ms = this.ctx.o.roundTimeoutMs;
    const cancel = this.ctx.clock.setTimer(ms, () => {
      if (this.current === charging)
        this.fail(
          `round ${round}: the privacy budget did not answer the charge within ${ms} ms (the round was discarded)`,
        );
    });
    budget.charge(charged, `round ${round}`).then(
      () => {
        cancel();
        if (this.current === charging) commitAndFinish();
      },
      (err: unknown) => {
        cancel();
        if (this.current !== charging) return;
        if (err instanceof BudgetExceededError)
          this.finish(
            `central privacy budget exhausted at round ${round} (the round was discarded): ${err.message}`,
          );
        else this.fail(`round ${round}: its privacy events could not be charged: ${errorMessage(err)}`);
      },
    );
  }

  /** Records a completed round, checkpoints it (before the model is released), then evaluates or goes on. */
  private finishRound(record: RoundRecord, evaluate: boolean): void {
    this.ctx.state.history.push(record);
    this.nextAttempt = 1;
    if (!this.saveCheckpoint()) return;
    this.ctx.emit({ kind: 'round-finished', record });
    if (this.current.kind === 'failed') return; // stopped by a listener
    if (evaluate) this.startEvaluation(record.round);
    else this.next();
  }

  private next(): void {
    if (this.ctx.state.roundsCompleted >= this.ctx.o.rounds) {
      this.finish();
      return;
    }
    this.current = { kind: 'waiting' };
    this.maybeStartRound();
    if (this.current.kind === 'waiting') this.ctx.wakeAll();
  }

  private startEvaluation(round: number): void {
    const { o, state, clock } = this.ctx;
    const fraction = o.evaluateFraction ?? 1;
    const candidates = state.nodes.candidates();
    const asked =
      fraction >= 1
        ? new Set(candidates.filter((c) => c.available).map((c) => c.nodeId))
        : new Set(
            selectNodes(candidates, { kind: 'fraction', fraction }, round, o.rng(`round/${round}/evaluate`)),
          );
    if (asked.size === 0) {
      this.next();
      return;
    }
    const task = create(GetTaskResponseSchema, {
      task: { case: 'evaluate', value: { round, global: encodeParameters(state.global) } },
    });
    this.current = {
      kind: 'evaluating',
      round,
      asked,
      task,
      results: new Map(),
      cancelTimer: clock.setTimer(o.evaluationTimeoutMs ?? o.roundTimeoutMs, () => {
        const q = this.current;
        if (q.kind === 'evaluating' && q.round === round) this.closeEvaluation();
      }),
    };
    this.ctx.wakeAll();
  }

  private closeEvaluation(): void {
    const p = this.current;
    if (p.kind !== 'evaluating') return;
    p.cancelTimer();
    const results = [...p.results.values()];
    const examples = results.reduce((s, r) => s + r.examples, 0);
    if (examples > 0) {
      const evaluation: EvaluationRecord = {
        nodes: results.length,
        examples,
        accuracy: results.reduce((s, r) => s + r.accuracy * r.examples, 0) / examples,
        loss: results.reduce((s, r) => s + r.loss * r.examples, 0) / examples,
      };
      const record = this.ctx.state.history.find((h) => h.round === p.round);
      if (record) record.evaluation = evaluation;
      this.ctx.emit({ kind: 'evaluated', round: p.round, evaluation });
      // the evaluation joins the round's checkpoint (it releases no model, only metrics)
      if (!this.saveCheckpoint()) return;
    }
    this.next();
  }

  /** Writes the checkpoint; on failure the federation fails (the round's model is never released). */
  private saveCheckpoint(): boolean {
    const { o, state } = this.ctx;
    if (!o.checkpoint) return true;
    const checkpoint = state.checkpoint();
    try {
      o.checkpoint.save(checkpoint);
    } catch (err) {
      this.fail(
        `the checkpoint of round ${state.roundsCompleted} could not be written: ${(err as Error).message}`,
      );
      return false;
    }
    this.ctx.emit({ kind: 'checkpoint', round: state.roundsCompleted });
    return true;
  }
}

/** An error's message for a round-retried reason. */
function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
