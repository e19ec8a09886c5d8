/**
 * A node's personal model (fine-tuning after the last round, Ditto during the rounds), run through the
 * simulation so that the node code is exercised as deployed: utility on label-skewed nodes, and that the extra
 * local steps are charged to the node's local-DP budget and planned for by the noise calibration.
 */
import { describe, expect, it } from 'vitest';
import { dpSgdEvent, RdpAccountant } from '../../accounting/index.js';
import { seededRng } from '../../core/index.js';
import { parseFederation } from '../config/index.js';
import { loadFederatedData, parseSimulationData, simulate } from '../simulation/index.js';
import type { PersonalizationSpec } from './options.js';

const federation = parseFederation({ rounds: 6, minNodes: 6, train: { learningRate: 0.5, batchSize: 32 } });
/** Six nodes with strong label skew (Dirichlet 0.1), about 160 training and 40 test examples each. */
const skewed = (alpha = 0.1) =>
  loadFederatedData(
    parseSimulationData({
      kind: 'synthetic',
      examplesPerNode: 200,
      partition: alpha > 0 ? { kind: 'dirichlet', alpha } : { kind: 'iid' },
    }),
    6,
    seededRng(4),
  );
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('personalisation at the node', () => {
  it.each([
    ['fine-tune', { kind: 'fine-tune', epochs: 2 }],
    ['ditto', { kind: 'ditto', lambda: 0.1 }],
  ] as const)(
    '%s: personal models beat the global model on label-skewed nodes',
    async (_, personalization) => {
      const r = await simulate({ federation, data: skewed(), seed: 4, personalization });
      const p = r.nodes.map((n) => n.personalized!);
      expect(p.every((x) => x !== null && x.method === personalization.kind)).toBe(true);
      expect(mean(p.map((x) => x.accuracy))).toBeGreaterThan(mean(p.map((x) => x.globalAccuracy)) + 0.03);
      // the personal model stays at the node: the coordinator's model is the plain federated one
      const plain = await simulate({ federation, data: skewed(), seed: 4 });
      expect(r.nodes[0]!.personalModel).not.toBeNull();
      expect(r.nodes[0]!.personalized!.globalAccuracy).toBe(plain.nodes[0]!.lastEvaluation!.accuracy);
    },
  );

  it("Ditto's personal steps are charged each round, and the noise is calibrated for them", async () => {
    const localPrivacy = { kind: 'dp', epsilon: 3, delta: 1e-5 } as const;
    const plain = await simulate({ federation, data: skewed(), seed: 1, localPrivacy });
    const ditto = await simulate({
      federation,
      data: skewed(),
      seed: 1,
      localPrivacy,
      personalization: { kind: 'ditto', lambda: 0.1 },
    });
    const a = plain.nodes[0]!.localPrivacy!;
    const b = ditto.nodes[0]!.localPrivacy!;
    expect(b.events).toHaveLength(6);
    expect(steps(b.events[0])).toBe(2 * steps(a.events[0]));
    expect(b.noiseMultiplier).toBeGreaterThan(a.noiseMultiplier);
    expect(b.epsilonSpent).toBeLessThanOrEqual(3);
    expect(b.epsilonSpent).toBeGreaterThan(2.5);
  });

  it('fine-tuning is one more charged event, or is skipped with the reason when the budget has no room', async () => {
    const sigma = 1.5;
    // what six rounds of one epoch cost at this noise (160 examples, batch 32: q = 0.2, 5 steps a round)
    const rounds = new RdpAccountant();
    for (let i = 0; i < 6; i++)
      rounds.compose(dpSgdEvent({ sampleRate: 0.2, noiseMultiplier: sigma, steps: 5 }));
    const roundsOnly = rounds.epsilon({ delta: 1e-5 });
    const run = (epsilon: number, personalization: PersonalizationSpec) =>
      simulate({
        federation,
        data: skewed(0), // IID: every node has 160 training examples
        seed: 2,
        localPrivacy: { kind: 'dp', epsilon, delta: 1e-5, noiseMultiplier: sigma },
        personalization,
      });
    const roomy = await run(roundsOnly * 3, { kind: 'fine-tune', epochs: 2 });
    const node = roomy.nodes[0]!;
    expect(node.localPrivacy!.events).toHaveLength(7);
    expect(steps(node.localPrivacy!.events[6])).toBe(10);
    expect(node.personalized).not.toBeNull();
    const tight = await run(roundsOnly * 1.01, { kind: 'fine-tune', epochs: 20 });
    const t = tight.nodes[0]!;
    expect(t.status).toBe('finished');
    expect(t.personalized).toBeNull();
    expect(t.personalModel).toBeNull();
    expect(t.personalizationSkipped).toMatch(/fine-tuning skipped/);
    expect(t.localPrivacy!.events).toHaveLength(6);
    expect(t.localPrivacy!.epsilonSpent).toBeCloseTo(roundsOnly, 6);
  });
});

/** Steps of a DP-SGD event (a self-composed Poisson-sampled Gaussian). */
function steps(e: unknown): number {
  return (e as { count: number }).count;
}
