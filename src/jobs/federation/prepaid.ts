/**
 * A federation (simulated, or a coordinator job) paid in advance: the HTTP service's way, where a job's charge
 * is one spend on one account, reserved at submission. The aggregate's central-DP event of every planned round
 * is charged at once, as one self-composed event, through the job's `pay` before the federation starts; the
 * coordinator then charges each round against what was paid, and a round the payment does not cover is refused
 * (never charged elsewhere).
 *
 * Only what can be known exactly before the run is served: central DP-FedAvg (each round's event is fixed by the
 * noise multiplier and the selection). Each node's local DP charges the node's own account (many accounts, spent
 * as far as each node gets), and distributed DP's event depends on how many nodes survive each round: neither
 * can be paid in advance exactly, so both are refused here.
 */
import { type PrivacyEvent, selfComposedEvent } from '../../accounting/index.js';
import { BudgetExceededError, ConfigError, type ConfigIssue, InternalError } from '../../core/index.js';
import {
  buildStrategy,
  centralDelta,
  epsilonSpent,
  type FederationConfig,
  type PrivacyBudget,
  type ServerDpStrategy,
  type SimulationLocalPrivacy,
} from '../../fl/index.js';
import type { ChargeRequest } from '../context.js';

/** What of a simulation's plan (simulate.ts's `SimulationPlan`) decides its charge. */
export interface PrepaidPlanInput {
  readonly federation: FederationConfig;
  readonly localPrivacy: SimulationLocalPrivacy;
  readonly budget?: unknown;
  readonly origin?: 'flags' | 'file';
  /** What is paid for, as refusals name it (default `simulation`; a coordinator job's is `federation`). */
  readonly subject?: string;
}

/** Where a prepaid federation charges its aggregate's budget. */
export interface PrepaidCharge {
  /** The one account the whole run's central DP is charged to. */
  readonly account: string;
  /** What the spend is for, as the audit log records it (default: the simulation's description). */
  readonly purpose?: string;
}

/** What a prepaid simulation pays, and the budget its coordinator charges each round against. */
export interface PrepaidPlan {
  readonly request: ChargeRequest;
  readonly rounds: number;
  /** A budget holding exactly the paid rounds' events; it must not be used before the request was paid. */
  budget(): PrivacyBudget;
}

/**
 * The charge of `plan` paid in advance to `charge.account`: its rounds' central-DP events as one spend.
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a plan whose charge cannot be known in advance (local DP,
 *   distributed DP), a plan without central DP (it would spend nothing), or a `budget` section (its own account)
 */
export function prepaidPlan(plan: PrepaidPlanInput, charge: PrepaidCharge): PrepaidPlan {
  const f = plan.federation;
  const flags = plan.origin !== 'file';
  const subject = plan.subject ?? 'simulation';
  const issues: ConfigIssue[] = [];
  const refuse = (flag: string, key: string, value: unknown, allowed: string) =>
    issues.push({ path: flags ? flag : key, value, allowed });
  if (plan.localPrivacy.kind === 'dp')
    refuse(
      'localEpsilon',
      'localPrivacy',
      plan.localPrivacy.kind,
      "absent when the charge is paid in advance: each node's local DP is charged to the node's own account as far as the node gets, which one reservation on one account cannot cover (use central DP)",
    );
  if (f.secureAggregation !== 'none' && f.secagg.distributedDp)
    refuse(
      'distributedNoise',
      'federation.secagg.distributedDp',
      'set',
      "absent when the charge is paid in advance: distributed DP's event depends on how many nodes survive each round, unknown before the run",
    );
  if (!f.centralDp)
    refuse(
      'centralNoise',
      'federation.centralDp',
      undefined,
      `central DP (a noise multiplier): a ${subject} paid in advance is differentially private and charges its aggregate`,
    );
  if (plan.budget)
    refuse(
      'budget',
      'budget',
      'set',
      'absent when the charge is paid in advance (the account is named with the payment)',
    );
  if (issues.length > 0) throw new ConfigError(issues, `${subject} paid in advance`);
  const strategy = buildStrategy(f) as Partial<ServerDpStrategy>;
  const roundEvent = strategy.roundEvent;
  if (!roundEvent) throw new InternalError('a federation with central DP built a strategy without its event');
  const rounds = f.rounds;
  const request: ChargeRequest = {
    account: charge.account,
    events: [selfComposedEvent(roundEvent, rounds)],
    purpose:
      charge.purpose ?? `simulated federation, aggregate: ${rounds} rounds of central DP (paid in advance)`,
  };
  const delta = centralDelta(f);
  return { request, rounds, budget: () => prepaidBudget(roundEvent, rounds, delta) };
}

/**
 * A budget of `rounds` copies of `roundEvent`, already paid: each charge takes its events from it; an event of
 * another kind than the one paid for is an error (the run stops), and one more than was paid is refused.
 */
function prepaidBudget(roundEvent: PrivacyEvent, rounds: number, delta: number): PrivacyBudget {
  const key = JSON.stringify(roundEvent);
  const charged: PrivacyEvent[] = [];
  return {
    epsilon: epsilonSpent([selfComposedEvent(roundEvent, rounds)], delta, 'rdp'),
    delta,
    accountant: 'rdp',
    events: async () => [...charged],
    async charge(events, label) {
      if (events.some((e) => JSON.stringify(e) !== key))
        throw new InternalError(
          `${label}: the round's privacy event is not the one paid for in advance (nothing charged)`,
        );
      if (charged.length + events.length > rounds)
        throw new BudgetExceededError(
          `${label}: the ${rounds} rounds paid for in advance are used up (nothing charged)`,
          { requested: charged.length + events.length, remaining: rounds - charged.length },
        );
      charged.push(...events);
      return epsilonSpent(charged, delta, 'rdp');
    },
  };
}
