/**
 * Long-poll delivery of tasks (GetTask): which task a node gets in the current phase, the wait answer with its
 * reason when there is none, and the hold of a poll until the phase changes (the round machine wakes every
 * held poll) or the hold runs out.
 */
import { create } from '@bufbuild/protobuf';
import { type GetTaskResponse, GetTaskResponseSchema } from '../../transport/index.js';
import type { Clock } from './clock.js';
import { hasAnswered, type Phase } from './phase.js';
import type { NodeRecord } from './records.js';
import type { NodeRegistry } from './registry.js';

/** What the mailbox needs of the round machine. */
export interface RoundView {
  readonly phase: Phase;
  /** Available nodes a round needs to start. */
  nodesNeeded(): number;
  /** Starts the next round if enough nodes are available (a poll makes its node available again). */
  maybeStartRound(): void;
}

/** The coordinator's side of GetTask. */
export class TaskMailbox {
  /** The held polls, by node: how to answer each now. */
  private readonly held = new Map<string, Set<() => void>>();
  private readonly finishedDelivered = new Set<string>();

  constructor(
    private readonly rounds: RoundView,
    private readonly nodes: NodeRegistry,
    private readonly clock: Clock,
    /** Largest hold of a poll, in ms. */
    private readonly maxHoldMs: number,
  ) {}

  /**
   * Answers a node's poll: its task now if it has one; otherwise, after holding the poll for up to `waitMs`
   * (at most the largest hold), its task then or a wait answer.
   */
  async poll(node: NodeRecord, waitMs: number): Promise<GetTaskResponse> {
    this.nodes.touch(node);
    const immediate = this.taskFor(node.id);
    if (immediate) return immediate;
    if (this.rounds.phase.kind === 'failed') return this.waitResponse(node.id);
    if (this.rounds.phase.kind === 'waiting') {
      this.rounds.maybeStartRound();
      // This poll may have started the round (it made its node available again): answer now, not after the hold.
      const started = this.taskFor(node.id);
      if (started) return started;
    }
    const hold = Math.min(waitMs, this.maxHoldMs);
    if (hold > 0) {
      await new Promise<void>((resolve) => {
        let cancel: () => void = () => {};
        const own = this.held.get(node.id) ?? new Set<() => void>();
        const wake = () => {
          own.delete(wake);
          if (own.size === 0 && this.held.get(node.id) === own) this.held.delete(node.id);
          cancel();
          resolve();
        };
        own.add(wake);
        this.held.set(node.id, own);
        cancel = this.clock.setTimer(hold, wake);
      });
      this.nodes.touch(node);
    }
    return this.taskFor(node.id) ?? this.waitResponse(node.id);
  }

  /**
   * The phase changed: answers the held polls of the nodes that now have something to do (every one when the
   * federation ends). The others keep waiting for their hold to run out: with 1% of 10,000 nodes selected per
   * round, waking all of them made every node poll again at once at each change of phase, for nothing.
   */
  wakeAll(): void {
    for (const [id, own] of [...this.held]) if (this.hasWork(id)) for (const wake of [...own]) wake();
  }

  /** Answers the held polls of node `id` now, whatever the phase (the node left or was expelled). */
  wake(id: string): void {
    for (const wake of [...(this.held.get(id) ?? [])]) wake();
  }

  /** Whether every node still in the federation has fetched the final model. */
  allHaveFinalModel(): boolean {
    return this.nodes.all().every((n) => n.left || this.finishedDelivered.has(n.id));
  }

  /** The task a node has in the current phase, or null. */
  private taskFor(id: string): GetTaskResponse | null {
    const p = this.rounds.phase;
    // a node that left (or was expelled: its certificate revoked) gets nothing more, the final model included
    if (this.nodes.get(id)?.left) return null;
    if (p.kind === 'done') {
      this.finishedDelivered.add(id);
      return p.task;
    }
    if (p.kind === 'training' && p.secure && p.secure.currentStage !== 'advertise') {
      const task = p.secure.taskFor(id);
      if (task) p.secure.countDownload(id, task);
      return task;
    }
    if (
      p.kind === 'training' &&
      p.selected.has(id) &&
      !hasAnswered(p, id) &&
      this.clock.now() <= p.deadline
    ) {
      return p.task;
    }
    if (p.kind === 'evaluating' && p.asked.has(id) && !p.results.has(id)) return p.task;
    return null;
  }

  /** Whether a held poll of node `id` should be answered now: {@link taskFor} would give a task, or it is over. */
  private hasWork(id: string): boolean {
    const p = this.rounds.phase;
    if (this.nodes.get(id)?.left) return false;
    if (p.kind === 'done' || p.kind === 'failed') return true;
    // a secure round's stages ask the selected nodes that have not answered: the node learns which from its task
    if (p.kind === 'training') return p.selected.has(id) && (p.secure !== null || !hasAnswered(p, id));
    if (p.kind === 'evaluating') return p.asked.has(id) && !p.results.has(id);
    return false;
  }

  /** A wait answer saying why there is nothing to do. */
  private waitResponse(id: string): GetTaskResponse {
    const p = this.rounds.phase;
    let reason: string;
    if (p.kind === 'waiting')
      reason = `waiting for nodes: ${this.nodes.activeCount()} of ${this.rounds.nodesNeeded()} registered`;
    else if (p.kind === 'training' && p.secure && p.selected.has(id))
      reason = `secure aggregation of round ${p.round}: ${p.secure.currentStage} stage`;
    else if (p.kind === 'training')
      reason = hasAnswered(p, id)
        ? `update received for round ${p.round}`
        : `not selected for round ${p.round}`;
    else if (p.kind === 'evaluating') reason = `evaluation of round ${p.round} in progress`;
    else if (p.kind === 'charging') reason = `round ${p.round}: charging its privacy events`;
    else if (p.kind === 'failed') reason = `the federation failed: ${p.reason}`;
    else if (p.kind === 'done')
      reason = 'the federation finished without this node (it left or was expelled)';
    else reason = '';
    return create(GetTaskResponseSchema, {
      task: { case: 'wait', value: { retryAfterMs: p.kind === 'failed' ? 60_000 : 200, reason } },
    });
  }
}
