/**
 * The demo's privacy spends, charged before the training they pay for (as `veil train` charges its plan): each
 * hospital's whole DP-SGD plan — every round its node will train, at the noise multiplier its node calibrates for
 * that plan — is spent from the hospital's ledger account before the federation starts. In process, each node then
 * trains from a prepaid budget that grants exactly those events, in order, and refuses anything else; over
 * processes, each node charges its own ledger before each round's update leaves it, and what it spent is checked
 * against the plan afterwards. Either way the demo's ledger holds at least what the training released, never less.
 */
import { calibrateNoiseMultiplier, dpSgdEvent, type PrivacyEvent } from '../../accounting/index.js';
import { BudgetExceededError, IntegrityError } from '../../core/index.js';
import { epsilonSpent, type FederatedData, type PrivacyBudget } from '../../fl/index.js';
import type { DemoSettings } from './federation.js';

/** What one hospital's node will spend: one DP-SGD event per round. */
export interface HospitalPlan {
  readonly organisation: string;
  readonly events: readonly PrivacyEvent[];
}

/**
 * Each hospital's DP-SGD plan as its node plans it (fl/node: training.ts and privacy.ts): its public size is its
 * training count, its batch min(batchSize, size), an epoch round(size / batch) steps at sampling rate batch / size,
 * and the noise multiplier calibrated so that every planned round together spends exactly the budget. A node that
 * planned otherwise is refused by {@link prepaidBudget} (in process) or {@link checkWithinPlan} (processes).
 */
export function planHospitals(data: FederatedData, s: DemoSettings): HospitalPlan[] {
  return data.nodes.map((node) => {
    const size = node.train.numExamples;
    const sampleRate = Math.min(s.batchSize, size) / size;
    const steps = s.localEpochs * Math.max(1, Math.round(1 / sampleRate));
    const { noiseMultiplier } = calibrateNoiseMultiplier({
      targetEpsilon: s.localEpsilon,
      delta: s.delta,
      sampleRate,
      steps: steps * s.rounds,
      accountant: 'rdp',
    });
    const event = dpSgdEvent({ sampleRate, noiseMultiplier, steps });
    return { organisation: node.name, events: Array.from({ length: s.rounds }, () => event) };
  });
}

const same = (a: PrivacyEvent, b: PrivacyEvent | undefined) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A node's budget that grants the plan its ledger account was charged for: the plan's events, in order, and
 * nothing else (a round it did not plan, or one more round, is refused as over budget: the node leaves).
 */
export function prepaidBudget(plan: HospitalPlan, s: DemoSettings): PrivacyBudget {
  let used = 0;
  return {
    epsilon: s.localEpsilon,
    delta: s.delta,
    accountant: 'rdp',
    events: async () => plan.events.slice(0, used),
    async charge(events, label) {
      if (!events.every((e, i) => same(e, plan.events[used + i]))) {
        throw new BudgetExceededError(
          `${plan.organisation}: ${label} is not in the plan its ledger account was charged for before training ` +
            `(${used} of ${plan.events.length} planned rounds spent)`,
          { account: plan.organisation, requested: events.length, remaining: plan.events.length - used },
        );
      }
      used += events.length;
      return epsilonSpent(plan.events.slice(0, used), s.delta, 'rdp');
    },
  };
}

/**
 * Checks that what a node spent (read back from its own ledger) is within its charged plan: the plan's first
 * events, in order.
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED naming the hospital when it spent anything else
 */
export function checkWithinPlan(plan: HospitalPlan, spent: readonly PrivacyEvent[]): void {
  if (spent.length <= plan.events.length && spent.every((e, i) => same(e, plan.events[i]))) return;
  throw new IntegrityError(
    `${plan.organisation}: its node spent ${spent.length} privacy event(s) that are not the ${plan.events.length} ` +
      'rounds its ledger account was charged for before training',
  );
}
