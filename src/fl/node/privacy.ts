/**
 * A node's local privacy, in one place. Its DP-SGD budget lives here — this is the only code that makes a
 * {@link PrivacyBudget} or charges one (`NodePrivacy.charge`, reached through `chargeRelease` before a round's
 * update first leaves the node and `chargeFineTune` before the personal model's fine-tuning) — next to the noise
 * multiplier, fixed at the first training task (given, kept from persisted spends after a restart, or calibrated
 * so that taking part in every planned round spends exactly the budget), the DP-SGD options of local training,
 * the record count the node discloses, and whether unnoised metrics may leave the node.
 *
 * When a spend is owed: a round's DP-SGD event is owed once, when the round's noised update first leaves the node,
 * in the clear or masked (a masked update can be unmasked without this node's help, so it counts as released). A
 * round drawn again with the same global model gets the very same noised update (the node keeps it), which is
 * post-processing of what was already paid for: no second charge. An update that never left owes nothing. So the
 * node is charged at most once per round, and planning for the federation's rounds leaves room for any number of
 * retries. Each charge is persisted before the update goes out, so a crash or restart can never forget a spend.
 */
import { calibrateNoiseMultiplier, dpSgdEvent, type PrivacyEvent } from '../../accounting/index.js';
import { InvalidParameterError } from '../../core/index.js';
import type { trainModel } from '../../train/index.js';
import { epsilonSpent, memoryBudget, type PrivacyBudget } from '../budget.js';
import type { LocalPrivacySpec, NodeOptions } from './options.js';
import type { NodeSummary } from './records.js';

/** Local differential privacy of one node. */
export class NodePrivacy {
  private budget: PrivacyBudget | null = null;
  /** The events charged so far (read back when the budget opens) and their epsilon. */
  private charged: PrivacyEvent[] = [];
  private spent = 0;
  /** The DP-SGD noise multiplier (0 until the first training task fixes it, and without local DP). */
  private noiseMultiplier = 0;
  /** The federation's rounds, which the calibration plans for unless `plannedRounds` says otherwise. */
  private rounds = 0;
  /** The federation noises its aggregate (declared at registration, or seen in a noised round). */
  aggregateDp = false;
  /** Rounds planned but not yet charged: their DP-SGD event. */
  private readonly planned = new Map<number, PrivacyEvent>();
  /** Rounds whose update has left the node (charged once, never again in this process). */
  private readonly released = new Set<number>();

  constructor(private readonly o: NodeOptions) {}

  /** The local-DP spec, or null for a non-private node. */
  get dp(): Extract<LocalPrivacySpec, { kind: 'dp' }> | null {
    return this.o.privacy.kind === 'dp' ? this.o.privacy : null;
  }

  /** Whether a noise multiplier has been fixed (the node trained at least once under local DP). */
  get calibrated(): boolean {
    return this.noiseMultiplier > 0;
  }

  /**
   * Opens the budget (reading back earlier spends) when the node joins a federation of `rounds` rounds.
   * @throws {InvalidParameterError} when the given budget's limits are not the node's privacy spec's
   */
  async open(rounds: number): Promise<void> {
    this.rounds = rounds;
    const p = this.dp;
    if (!p) return;
    const accountant = p.accountant ?? 'rdp';
    const budget = this.o.budget ?? memoryBudget(p.epsilon, p.delta, accountant);
    if (budget.epsilon !== p.epsilon || budget.delta !== p.delta || budget.accountant !== accountant) {
      throw new InvalidParameterError({
        fn: 'FederatedNode',
        param: 'budget',
        value: { epsilon: budget.epsilon, delta: budget.delta, accountant: budget.accountant },
        allowed: `a budget with the privacy spec's limits (epsilon ${p.epsilon}, delta ${p.delta}, ${accountant})`,
      });
    }
    this.budget = budget;
    this.charged = [...(await budget.events())];
    this.spent = epsilonSpent(this.charged, p.delta, accountant);
  }

  /**
   * Plans round `round`'s DP-SGD (`steps` steps at sampling rate `sampleRate`) before it trains, fixing the noise
   * multiplier on the first call (planning `stepsAtEnd` more steps after the last round), and checks that the
   * budget can pay for it, so a node that cannot afford a round leaves before training it. A round that fits
   * is charged by {@link chargeRelease}, before its update leaves; one that does not is put to the budget now, so
   * that the refusal is the budget's own (a ledger audits it). Returns the cumulative epsilon once the round is
   * charged, or null without local DP.
   * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED when the round would exceed the budget
   */
  async planRound(
    round: number,
    sampleRate: number,
    steps: number,
    stepsAtEnd: number,
  ): Promise<number | null> {
    const p = this.dp;
    if (!p) return null;
    if (this.released.has(round)) return this.spent;
    const noiseMultiplier = this.noiseFor(sampleRate, steps, stepsAtEnd);
    const event = dpSgdEvent({ sampleRate, noiseMultiplier, steps });
    const after = epsilonSpent([...this.charged, event], p.delta, p.accountant ?? 'rdp');
    if (!(after <= p.epsilon)) {
      // The budget itself gives the refusal (a ledger records it in its audit log). Should it grant the round
      // after all (it composes the account's history, which may differ from this node's view), the round is paid
      // for now, and its release is not charged again.
      const spent = await this.charge(event, `round ${round}`);
      this.released.add(round);
      return spent;
    }
    this.planned.set(round, event);
    return after;
  }

  /**
   * Charges round `round`'s planned event before its update first leaves the node; a round already charged (drawn
   * again, the same update sent again) is not charged twice. Returns the cumulative epsilon, or null without
   * local DP.
   * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED when the budget refuses it (nothing charged)
   */
  async chargeRelease(round: number): Promise<number | null> {
    if (!this.dp || this.released.has(round)) return this.dp ? this.spent : null;
    const event = this.planned.get(round);
    if (!event) throw new Error(`round ${round} was not planned before its release (planRound)`);
    const spent = await this.charge(event, `round ${round}`);
    this.released.add(round);
    this.planned.delete(round);
    return spent;
  }

  /**
   * Charges the personal model's fine-tuning at the noise multiplier of the rounds (check {@link calibrated}
   * first). Returns the cumulative epsilon, or null without local DP.
   * @throws {BudgetExceededError} VEIL_BUDGET_EXCEEDED when it would exceed the budget (nothing charged)
   */
  async chargeFineTune(sampleRate: number, steps: number): Promise<number | null> {
    if (!this.dp) return null;
    return this.charge(
      dpSgdEvent({ sampleRate, noiseMultiplier: this.noiseMultiplier, steps }),
      'personal model fine-tuning',
    );
  }

  /**
   * The record count the node discloses (registration, updates, advertisements) and DP-SGD's sampling rate and
   * steps derive from: the declared public size under local DP — the actual count would be a release outside
   * epsilon — and the actual count otherwise.
   */
  recordCount(): number {
    return this.o.privacy.kind === 'dp' ? this.o.privacy.publicSize : this.o.train.numExamples;
  }

  /** The delta the node reports with its updates (0 without local DP). */
  reportedDelta(): number {
    return this.dp?.delta ?? 0;
  }

  /**
   * Unnoised metrics (training loss, evaluation accuracy and loss) are functions of the node's data outside every
   * epsilon: by default they go out only when nothing in the federation claims DP — no local DP here, no central
   * or distributed DP on the aggregate (as the coordinator declares it, or as a noised round shows it).
   */
  releasesMetrics(): boolean {
    return this.o.releaseMetrics ?? (this.o.privacy.kind !== 'dp' && !this.aggregateDp);
  }

  /** Local DP-SGD options shared by the shared model's and the personal model's training. */
  trainingOptions(): Pick<
    Parameters<typeof trainModel>[0],
    'privacy' | 'clipping' | 'maxPhysicalBatch' | 'publicSize'
  > {
    const dp = this.dp;
    return {
      ...(dp ? { publicSize: dp.publicSize } : {}),
      privacy: dp
        ? { kind: 'dp', delta: dp.delta, noiseMultiplier: this.noiseMultiplier }
        : { kind: 'non-private' },
      ...(dp ? { clipping: { kind: 'flat' as const, maxGradNorm: dp.maxGradNorm ?? 1 } } : {}),
      ...(this.o.maxPhysicalBatch ? { maxPhysicalBatch: this.o.maxPhysicalBatch } : {}),
    };
  }

  /** The local privacy part of the node's summary (null without local DP, or before registration). */
  summary(): NodeSummary['localPrivacy'] {
    const dp = this.dp;
    return dp && this.budget
      ? {
          epsilonSpent: this.spent,
          epsilonBudget: dp.epsilon,
          delta: dp.delta,
          noiseMultiplier: this.noiseMultiplier,
          events: [...this.charged],
        }
      : null;
  }

  /** Charges `event` (persisted by the budget before this returns); the one place the budget is charged. */
  private async charge(event: PrivacyEvent, label: string): Promise<number> {
    this.spent = await this.budget!.charge([event], label);
    this.charged.push(event);
    return this.spent;
  }

  /** Noise multiplier, fixed at the first training task (planning for the personal model's steps too). */
  private noiseFor(sampleRate: number, stepsPerRound: number, stepsAtEnd: number): number {
    const p = this.dp;
    if (!p) return 0;
    if (this.noiseMultiplier > 0) return this.noiseMultiplier;
    // A restarted node keeps the noise of its earlier rounds (read back from its persisted spends): calibrating
    // afresh for the whole plan would spend the remaining budget too fast.
    const earlier = p.noiseMultiplier === undefined ? noiseMultiplierOf(this.charged[0]) : undefined;
    this.noiseMultiplier =
      p.noiseMultiplier ??
      earlier ??
      calibrateNoiseMultiplier({
        targetEpsilon: p.epsilon,
        delta: p.delta,
        sampleRate,
        steps: stepsPerRound * (p.plannedRounds ?? this.rounds) + stepsAtEnd,
        accountant: p.accountant ?? 'rdp',
      }).noiseMultiplier;
    return this.noiseMultiplier;
  }
}

/**
 * The noise multiplier of a DP-SGD event (self-composed Poisson-sampled Gaussian), if it is one: the Gaussian's
 * standard deviation over its sensitivity (`dpSgdEvent` records sensitivity 1, so it is the sigma recorded).
 */
function noiseMultiplierOf(event: PrivacyEvent | undefined): number | undefined {
  if (event?.kind !== 'self-composed') return undefined;
  const sampled = event.event;
  if (sampled.kind !== 'poisson-sampled' || sampled.event.kind !== 'gaussian') return undefined;
  return sampled.event.sigma / sampled.event.l2Sensitivity;
}
