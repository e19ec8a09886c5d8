/**
 * The federated coordinator as a transport-agnostic state machine (ARCHITECTURE decision 4): it implements
 * {@link CoordinatorHandler}, so the gRPC/TLS server and the in-memory simulation drive the same code.
 *
 * It is composed of parts with one job each: the node registry (registry.ts: who may register, who is active),
 * the round machine (rounds.ts: selection, deadlines, retries, aggregation in node-id order so a seeded run is
 * reproducible, evaluation, finishing), what a closed round changes (round-outcome.ts: the new model, the
 * central events, the round's record), the secure aggregation of a round (secure-round.ts), long-poll delivery
 * (mailbox.ts: GetTask) and the federation's durable state (state.ts: the model, the history, the central
 * privacy events, checkpoints and the summary). This class checks each request and hands it to them.
 *
 * Identity is the transport's {@link PeerIdentity} (the certificate subject), never a message field. Every
 * request is checked (registered, right phase, right round, selected, first answer, sizes and values) before it
 * changes anything; a bad update is refused with its reason and recorded in the round's history. Text that
 * comes from a node (a Leave reason, or a refusal that quotes a field of its message) passes through
 * {@link printable} here, where it enters, so every event, log line and summary holds one bounded line.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { printable } from '../../core/index.js';
import {
  type CoordinatorHandler,
  type GetTaskRequest,
  type GetTaskResponse,
  type LeaveRequest,
  type LeaveResponse,
  LeaveResponseSchema,
  type PeerIdentity,
  type RegisterRequest,
  type RegisterResponse,
  RegisterResponseSchema,
  type SubmitEvaluationRequest,
  type SubmitEvaluationResponse,
  SubmitEvaluationResponseSchema,
  type SubmitSecAggRequest,
  type SubmitSecAggResponse,
  SubmitSecAggResponseSchema,
  type SubmitUpdateRequest,
  SubmitUpdateRequestSchema,
  type SubmitUpdateResponse,
  SubmitUpdateResponseSchema,
} from '../../transport/index.js';
import { decodeDelta } from '../protocol/index.js';
import { type ClientUpdate, validateUpdate } from '../validation/index.js';
import { type Clock, systemClock } from './clock.js';
import { TaskMailbox } from './mailbox.js';
import { type CoordinatorOptions, checkOptions, DEFAULT_LONG_POLL_MS } from './options.js';
import { hasAnswered, type Phase } from './phase.js';
import type { CoordinatorEvent, CoordinatorSummary, NodeRecord } from './records.js';
import { NodeRegistry } from './registry.js';
import { Rounds } from './rounds.js';
import { FederationState } from './state.js';

/** The longest refusal reason recorded or answered: ours are shorter; quoted node text is cut to fit. */
const MAX_REASON_LENGTH = 500;

/** The coordinator. Create it, hand it to a transport, await {@link Coordinator.finished}. */
export class Coordinator implements CoordinatorHandler {
  private readonly o: CoordinatorOptions;
  private readonly clock: Clock;
  private readonly nodes: NodeRegistry;
  private readonly state: FederationState;
  private readonly rounds: Rounds;
  private readonly mailbox: TaskMailbox;
  /** Resolves when the federation finished or failed. */
  readonly finished: Promise<CoordinatorSummary>;

  constructor(options: CoordinatorOptions) {
    checkOptions(options);
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.nodes = new NodeRegistry(options, this.clock);
    this.state = new FederationState(options, this.nodes, this.clock);
    let settle!: (s: CoordinatorSummary) => void;
    this.finished = new Promise((resolve) => {
      settle = resolve;
    });
    this.rounds = new Rounds({
      o: options,
      state: this.state,
      clock: this.clock,
      emit: (event) => this.emit(event),
      wakeAll: () => this.mailbox.wakeAll(),
      settle,
    });
    this.mailbox = new TaskMailbox(
      this.rounds,
      this.nodes,
      this.clock,
      options.maxLongPollMs ?? DEFAULT_LONG_POLL_MS,
    );
    if (options.resume) {
      this.state.restore();
      this.emit({ kind: 'resumed', roundsCompleted: this.state.roundsCompleted });
    }
    if (this.state.roundsCompleted >= options.rounds) this.rounds.finish();
  }

  /** The current global model (a copy). */
  globalModel(): Float32Array {
    return Float32Array.from(this.state.global);
  }

  /** Where the federation stands. */
  status(): { phase: Phase['kind']; round: number; registered: number } {
    const p = this.rounds.phase;
    return {
      phase: p.kind,
      round: p.kind === 'training' || p.kind === 'evaluating' ? p.round : this.state.roundsCompleted,
      registered: this.nodes.size,
    };
  }

  /** Whether every node still in the federation has fetched the final model (after the last round). */
  allNodesHaveFinalModel(): boolean {
    return this.mailbox.allHaveFinalModel();
  }

  /** Stops: pending long polls are answered, timers cancelled, the run is marked failed if not finished. */
  stop(reason = 'coordinator stopped'): void {
    const kind = this.rounds.phase.kind;
    if (kind === 'done' || kind === 'failed') return;
    this.rounds.fail(reason);
  }

  /** The summary so far. */
  summary(status: 'finished' | 'failed' = 'finished', failure: string | null = null): CoordinatorSummary {
    return this.state.summary(status, failure);
  }

  // ---- the handler ------------------------------------------------------------------------------------------

  async register(request: RegisterRequest, peer: PeerIdentity): Promise<RegisterResponse> {
    const found = this.nodes.admissionProblem(request, peer);
    if (found) {
      // It may quote the request (a model hash, a key binding's names).
      const problem = printable(found, MAX_REASON_LENGTH);
      this.emit({ kind: 'refused', node: peer.id, reason: problem });
      return create(RegisterResponseSchema, { accepted: false, reason: problem });
    }
    const node = this.nodes.admit(request, peer);
    this.emit({ kind: 'registered', node: peer.id, numExamples: node.numExamples });
    if (this.rounds.phase.kind === 'waiting') this.rounds.maybeStartRound();
    return create(RegisterResponseSchema, {
      accepted: true,
      modelSpecJson: this.o.model.specJson,
      inputShape: [...this.o.model.inputShape],
      numClasses: this.o.model.numClasses,
      rounds: this.o.rounds,
      aggregateDp: 'roundEvent' in this.o.strategy || this.o.secureAggregation?.distributedDp !== undefined,
    });
  }

  async getTask(request: GetTaskRequest, peer: PeerIdentity): Promise<GetTaskResponse> {
    return this.mailbox.poll(this.nodes.require(peer, 'GetTask'), request.waitMs);
  }

  async submitUpdate(request: SubmitUpdateRequest, peer: PeerIdentity): Promise<SubmitUpdateResponse> {
    const node = this.nodes.require(peer, 'SubmitUpdate');
    this.nodes.touch(node);
    const p = this.rounds.phase;
    const answer = (accepted: boolean, reason = '') =>
      create(SubmitUpdateResponseSchema, { accepted, reason });
    if (p.kind !== 'training' || request.round !== p.round) {
      return answer(
        false,
        `round ${request.round} is not open for updates${p.kind === 'training' ? ` (round ${p.round} is)` : ''}`,
      );
    }
    if (node.left)
      return answer(false, `node "${node.id}" has left the federation (register again to rejoin)`);
    if (!p.selected.has(node.id))
      return answer(false, `node "${node.id}" was not selected for round ${p.round}`);
    if (p.secure) {
      return answer(
        false,
        `round ${p.round} uses secure aggregation (${p.secure.setup().protocol}): send the update with SubmitSecAgg`,
      );
    }
    if (hasAnswered(p, node.id))
      return answer(false, `node "${node.id}" already sent its update for round ${p.round}`);
    if (this.clock.now() > p.deadline) return answer(false, `round ${p.round}'s deadline has passed`);
    const reject = (found: string) => {
      const reason = printable(found, MAX_REASON_LENGTH);
      node.updatesRejected++;
      p.rejected.push({ nodeId: node.id, reason });
      this.emit({ kind: 'update-rejected', round: p.round, node: node.id, reason });
      this.rounds.maybeCloseRound();
      return answer(false, reason);
    };
    const length = this.state.global.length;
    let delta: Float32Array;
    try {
      delta = decodeDelta(request.update, length);
    } catch (err) {
      return reject((err as Error).message);
    }
    const claimed = Number(request.numExamples);
    const update: ClientUpdate = {
      nodeId: node.id,
      delta,
      // Weights are self-reported; never more than the node registered.
      numExamples:
        Number.isSafeInteger(claimed) && claimed >= 1 ? Math.min(claimed, node.numExamples) : claimed,
    };
    const verdict = validateUpdate(update, { length, maxNorm: this.o.strategy.maxUpdateNorm });
    if (!verdict.ok) return reject(verdict.reason);
    this.nodes.noteLocalPrivacy(node, request.localEpsilon, request.localDelta);
    p.updates.set(node.id, {
      update,
      loss: Number.isFinite(request.trainLoss) ? request.trainLoss : Number.NaN,
      bytes: toBinary(SubmitUpdateRequestSchema, request).length,
    });
    this.rounds.maybeCloseRound();
    return answer(true);
  }

  async submitSecAgg(request: SubmitSecAggRequest, peer: PeerIdentity): Promise<SubmitSecAggResponse> {
    const node = this.nodes.require(peer, 'SubmitSecAgg');
    this.nodes.touch(node);
    const p = this.rounds.phase;
    const answer = (accepted: boolean, reason = '') =>
      create(SubmitSecAggResponseSchema, { accepted, reason });
    if (p.kind !== 'training' || !p.secure || request.round !== p.round)
      return answer(false, `round ${request.round} has no secure aggregation open`);
    if (node.left)
      return answer(false, `node "${node.id}" has left the federation (register again to rejoin)`);
    if (!p.selected.has(node.id))
      return answer(false, `node "${node.id}" was not selected for round ${p.round}`);
    const secure = p.secure;
    if (secure.currentStage === 'advertise' && this.clock.now() > p.deadline)
      return answer(false, `round ${p.round}'s deadline has passed`);
    const found = secure.submit(node.id, request);
    if (found) {
      // It may quote the message (a session, a recipient's or a share's node name).
      const reason = printable(found, MAX_REASON_LENGTH);
      this.emit({ kind: 'update-rejected', round: p.round, node: node.id, reason });
      return answer(false, reason);
    }
    const meta = request.message.case === 'advertise' ? secure.metaOf(node.id) : undefined;
    if (meta) this.nodes.noteLocalPrivacy(node, meta.localEpsilon, meta.localDelta);
    this.rounds.maybeCloseRound();
    return answer(true);
  }

  async submitEvaluation(
    request: SubmitEvaluationRequest,
    peer: PeerIdentity,
  ): Promise<SubmitEvaluationResponse> {
    const node = this.nodes.require(peer, 'SubmitEvaluation');
    this.nodes.touch(node);
    const p = this.rounds.phase;
    const no = (reason: string) =>
      create(SubmitEvaluationResponseSchema, { accepted: false, reason: printable(reason) });
    if (p.kind !== 'evaluating') return no(`no evaluation is open (the federation is ${p.kind})`);
    if (request.round !== p.round)
      return no(`the open evaluation is of round ${p.round}, not round ${request.round}`);
    if (!p.asked.has(node.id)) return no(`${node.id} was not asked to evaluate round ${p.round}`);
    if (p.results.has(node.id)) return no(`${node.id} already answered the evaluation of round ${p.round}`);
    const examples = Number(request.numExamples);
    const { accuracy, loss } = request;
    if (examples === 0) {
      // The node declines to release metrics on its data (its choice under local DP): answered, no result.
      p.asked.delete(node.id);
      this.rounds.maybeCloseEvaluation();
      return create(SubmitEvaluationResponseSchema, { accepted: true });
    }
    if (!(examples >= 1 && Number.isSafeInteger(examples)))
      return no(`numExamples must be a whole number >= 1 (or 0 to decline), got ${request.numExamples}`);
    if (!(accuracy >= 0 && accuracy <= 1)) return no(`accuracy must be in [0, 1], got ${accuracy}`);
    if (!Number.isFinite(loss)) return no(`loss must be finite, got ${loss}`);
    p.results.set(node.id, { examples, accuracy, loss });
    this.rounds.maybeCloseEvaluation();
    return create(SubmitEvaluationResponseSchema, { accepted: true });
  }

  async leave(request: LeaveRequest, peer: PeerIdentity): Promise<LeaveResponse> {
    const node = this.nodes.require(peer, 'Leave');
    this.markLeft(node, printable(request.reason));
    return create(LeaveResponseSchema, {});
  }

  /**
   * Stops counting on a node the operator has excluded (e.g. its certificate was revoked): as if it had left.
   * Returns false for an unknown node.
   */
  expel(nodeId: string, reason: string): boolean {
    const node = this.nodes.get(nodeId);
    if (!node || node.left) return false;
    this.markLeft(node, reason);
    return true;
  }

  private markLeft(node: NodeRecord, reason: string): void {
    this.nodes.markLeft(node);
    // its held poll is answered now (nothing to do): an expelled node's next call meets its revocation
    this.mailbox.wake(node.id);
    this.emit({ kind: 'left', node: node.id, reason });
    this.rounds.maybeCloseRound();
    const p = this.rounds.phase;
    if (p.kind === 'evaluating' && p.asked.has(node.id) && !p.results.has(node.id)) {
      p.asked.delete(node.id);
      this.rounds.maybeCloseEvaluation();
    }
  }

  private emit(event: CoordinatorEvent): void {
    this.o.onEvent?.(event);
  }
}
