/**
 * A simulation paid in advance (the service's simulate jobs): one self-composed charge of every planned round's
 * central-DP event, refused for what cannot be known before the run, and a budget that lets the coordinator
 * charge exactly the rounds paid for, never more, never another event.
 */
import { describe, expect, it } from 'vitest';
import { epsilonSpent } from '../../fl/index.js';
import { ledgerAt } from '../context.js';
import { prepaidPlan } from './prepaid.js';
import { runSimulationJob } from './simulate.js';
import { parseSimulateJobSpec, simulationPlanFrom } from './simulate-spec.js';

const planOf = (raw: Record<string, unknown>) => simulationPlanFrom(parseSimulateJobSpec(raw).options);

/** The fields a plan is refused under. */
function refused(raw: Record<string, unknown>): string[] {
  try {
    prepaidPlan(planOf(raw), { account: 'a' });
  } catch (err) {
    return ((err as { issues?: { path: string }[] }).issues ?? []).map((i) => i.path);
  }
  return [];
}

describe('prepaidPlan', () => {
  it('charges every planned round of central DP as one self-composed event on the one account', () => {
    const p = prepaidPlan(planOf({ rounds: 4, centralNoise: 2, sampleRate: 0.5, nodes: 10 }), {
      account: 'org/sim',
      purpose: 'research',
    });
    expect(p.rounds).toBe(4);
    expect(p.request).toEqual({
      account: 'org/sim',
      purpose: 'research',
      events: [
        {
          kind: 'self-composed',
          count: 4,
          event: {
            kind: 'poisson-sampled',
            sampleRate: 0.5,
            event: { kind: 'gaussian', sigma: 2, l2Sensitivity: 1 },
          },
        },
      ],
    });
  });

  it('refuses what one charge on one account cannot cover, and what would spend nothing', () => {
    expect(refused({ centralNoise: 1, localEpsilon: 1 })).toEqual(['localEpsilon']);
    expect(refused({ nodes: 3, secureAggregation: 'secagg', distributedNoise: 1 })).toEqual([
      'distributedNoise',
      'centralNoise',
    ]);
    expect(refused({})).toEqual(['centralNoise']);
    expect(refused({ centralNoise: 1 })).toEqual([]);
  });

  it('lets the coordinator charge the rounds paid for, never more and never another event', async () => {
    const p = prepaidPlan(planOf({ rounds: 2, centralNoise: 3 }), { account: 'a' });
    const round = (p.request.events[0] as { event: Parameters<typeof epsilonSpent>[0][number] }).event;
    const budget = p.budget();
    expect(await budget.charge([round], 'round 1')).toBeCloseTo(epsilonSpent([round], 1e-5, 'rdp'), 12);
    await expect(
      budget.charge([{ kind: 'gaussian', sigma: 1, l2Sensitivity: 1 }], 'round 2'),
    ).rejects.toThrow(/not the one paid for/);
    expect(await budget.charge([round], 'round 2')).toBeCloseTo(budget.epsilon, 9);
    await expect(budget.charge([round], 'round 3')).rejects.toMatchObject({ code: 'VEIL_BUDGET_EXCEEDED' });
    expect(await budget.events()).toHaveLength(2);
  });

  it('a prepaid run pays once through the job’s pay, before the federation, and nothing else', async () => {
    const paid: unknown[] = [];
    const { summary } = await runSimulationJob(planOf({ nodes: 3, rounds: 2, centralNoise: 4 }), {
      ledger: ledgerAt('sqlite::memory:'),
      principal: 'test',
      seed: 1,
      progress: () => {},
      log: () => {},
      charge: { account: 'a' },
      pay: async (_ledger, request) => {
        paid.push(request);
        return { id: 7, account: request.account, purpose: request.purpose, epsilonAfter: {}, createdAt: '' };
      },
    });
    expect(paid).toHaveLength(1);
    expect(summary['ledger']).toEqual({ account: 'a', spend: 7, rounds: 2 });
    const central = summary['central'] as { rounds: number; epsilonRdp: number };
    expect(central.rounds).toBe(2);
    expect(central.epsilonRdp).toBeCloseTo(
      epsilonSpent((paid[0] as { events: Parameters<typeof epsilonSpent>[0] }).events, 1e-5, 'rdp'),
      9,
    );
  }, 60_000);
});
