/**
 * Federated rounds under secure aggregation (SecAgg / SecAgg+), through the same coordinator and node code as
 * a deployment, over the in-memory transport.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, seededRng } from '../../core/index.js';
import { parseFederation } from '../config/index.js';
import type { CoordinatorEvent } from '../coordinator/index.js';
import { loadFederatedData, parseSimulationData } from './data.js';
import { simulate } from './simulate.js';

const hospitals = (n: number) =>
  loadFederatedData(parseSimulationData({ kind: 'hospitals' }), n, seededRng(1));
const train = { localEpochs: 1, batchSize: 32, learningRate: 0.5 };

describe('secure aggregation in federated rounds', () => {
  it('gives the same model as the plain uniform mean (up to fixed-point precision), never an individual update', async () => {
    const data = hospitals(4);
    const plain = await simulate({
      federation: parseFederation({
        rounds: 2,
        minNodes: 4,
        train,
        strategy: { aggregator: { kind: 'mean', weighting: 'uniform' } },
      }),
      data,
      seed: 5,
    });
    const events: CoordinatorEvent[] = [];
    const secure = await simulate({
      federation: parseFederation({
        rounds: 2,
        minNodes: 4,
        train,
        secureAggregation: 'secagg',
        // a clip far above the updates' norms: nothing is clipped, so the two runs see the same deltas
        secagg: { clipNorm: 100 },
      }),
      data,
      seed: 5,
      onCoordinatorEvent: (e) => events.push(e),
    });
    expect(secure.coordinator.status).toBe('finished');
    expect(secure.coordinator.secureAggregation).toBe('secagg');
    const bits = secure.coordinator.history[0]!.secureAggregation!.fractionalBits;
    // 4 nodes x clip 100 fit in 2^31 with 22 fractional bits
    expect(bits).toBe(22);
    const tolerance = 2 * 4 * 2 ** -bits + 1e-6;
    const maxDiff = Math.max(
      ...plain.coordinator.global.map((v, i) => Math.abs(v - secure.coordinator.global[i]!)),
    );
    expect(maxDiff).toBeLessThan(tolerance);
    expect(maxDiff).toBeGreaterThan(0); // the secure path really went through the fixed-point encoding
    for (const h of secure.coordinator.history) {
      expect(h.secureAggregation).toMatchObject({
        protocol: 'secagg',
        threshold: 3,
        degree: 3,
        survivors: 4,
      });
      expect(h.used).toEqual(h.selected);
    }
    // no plain update ever reached the coordinator: every node's traffic went through SubmitSecAgg
    expect(events.filter((e) => e.kind === 'update-rejected')).toEqual([]);
    expect(secure.nodes.every((n) => n.updatesAccepted === 2)).toBe(true);
  });

  it('SecAgg+ with nodes dropping at every stage: the survivors are aggregated and the drops reported per round', async () => {
    const r = await simulate({
      federation: parseFederation({
        rounds: 3,
        minNodes: 3,
        train,
        secureAggregation: 'secagg+',
        // with majority thresholds, 60 nodes at 20% dropout need the complete graph; at 15% k = 44, t = 23
        secagg: { clipNorm: 1, stageTimeoutMs: 300, expectedDropout: 0.15 },
      }),
      data: hospitals(60),
      seed: 3,
      dropout: 0.15,
    });
    expect(r.coordinator.status).toBe('finished');
    const dropped = { 'share-keys': 0, 'masked-input': 0, consistency: 0, unmask: 0 };
    for (const h of r.coordinator.history) {
      const sa = h.secureAggregation!;
      expect(sa.protocol).toBe('secagg+');
      expect(sa.degree).toBeLessThan(59); // a sparse graph, not the complete one
      for (const k of Object.keys(dropped) as (keyof typeof dropped)[]) dropped[k] += sa.dropped[k].length;
      // nodes dropped after sending their masked input are still in the sum; the others are not
      const gone = sa.dropped['share-keys'].length + sa.dropped['masked-input'].length;
      expect(sa.survivors).toBe(60 - gone);
      expect(h.used).toHaveLength(sa.survivors);
    }
    expect(Object.values(dropped).every((d) => d > 0)).toBe(true);
    expect(r.testAccuracy).toBeGreaterThan(0.75);
  });

  it('a round whose survivors fall below the threshold is aborted, unmasks nothing, and is drawn again', async () => {
    const events: CoordinatorEvent[] = [];
    const r = await simulate({
      federation: parseFederation({
        rounds: 2,
        minNodes: 3,
        maxRoundAttempts: 10,
        train,
        secureAggregation: 'secagg',
        // threshold = every node: any drop aborts the attempt
        secagg: { clipNorm: 1, thresholdFraction: 1, stageTimeoutMs: 200 },
      }),
      data: hospitals(4),
      seed: 2,
      dropout: 0.2,
      onCoordinatorEvent: (e) => events.push(e),
    });
    const retried = events.filter((e) => e.kind === 'round-retried');
    expect(retried.length).toBeGreaterThan(0);
    for (const e of retried) {
      expect(e.kind === 'round-retried' && e.reason).toMatch(
        /fewer than the threshold 4; the round is aborted and nothing is unmasked/,
      );
    }
    expect(r.coordinator.status).toBe('finished');
    for (const h of r.coordinator.history) expect(h.secureAggregation!.survivors).toBe(4);
  });

  it('distributed DP: each node adds discrete Gaussian noise and the accountant records the release', async () => {
    const r = await simulate({
      federation: parseFederation({
        rounds: 2,
        minNodes: 3,
        train,
        secureAggregation: 'secagg',
        secagg: { clipNorm: 1, distributedDp: { noiseMultiplier: 1 } },
      }),
      data: hospitals(3),
      seed: 4,
    });
    const central = r.coordinator.central!;
    expect(central.events).toHaveLength(2);
    const event = central.events[0]!;
    expect(event.kind).toBe('distributed-discrete-gaussian');
    if (event.kind !== 'distributed-discrete-gaussian') return;
    const sa = r.coordinator.history[0]!.secureAggregation!;
    expect(event.parties).toBe(3);
    expect(event.sigma).toBe(sa.noiseSigma);
    // per node sigma: noiseMultiplier x clip x 2^f / sqrt(threshold), so t nodes carry the target noise
    expect(sa.noiseSigma).toBeCloseTo((1 * 2 ** sa.fractionalBits) / Math.sqrt(sa.threshold), 3);
    expect(central.epsilonRdp).toBeGreaterThan(0);
    expect(Number.isFinite(central.epsilonRdp)).toBe(true);
    expect(central.epsilonPld).toBeNull(); // the bound is zCDP only
  });

  it('colluding nodes: their noise is left out of the calibration and of the accounting', async () => {
    const r = await simulate({
      federation: parseFederation({
        rounds: 1,
        minNodes: 3,
        train,
        secureAggregation: 'secagg',
        secagg: { clipNorm: 1, distributedDp: { noiseMultiplier: 1, colluders: 1 } },
      }),
      data: hospitals(3),
      seed: 4,
    });
    const sa = r.coordinator.history[0]!.secureAggregation!;
    const event = r.coordinator.central!.events[0]!;
    expect(event).toMatchObject({ kind: 'distributed-discrete-gaussian', parties: 2 });
    expect(sa.noiseSigma).toBeCloseTo(2 ** sa.fractionalBits / Math.sqrt(sa.threshold - 1), 3);
  });

  it('fails with a clear error when the noise cannot be set up, rather than crashing', async () => {
    const r = await simulate({
      federation: parseFederation({
        rounds: 1,
        minNodes: 3,
        train,
        secureAggregation: 'secagg',
        secagg: { clipNorm: 1, distributedDp: { noiseMultiplier: 1e-9 } },
      }),
      data: hospitals(3),
      seed: 4,
    });
    expect(r.coordinator.status).toBe('failed');
    expect(r.coordinator.failure).toMatch(/secure aggregation cannot be set up: .*sigma/);
  });

  it('refuses configurations that would need individual updates', () => {
    const bad = [
      { secureAggregation: 'secagg', strategy: { aggregator: { kind: 'median' } } },
      { secureAggregation: 'secagg+', train: { compression: { kind: 'quantization', bits: 8 } } },
      {
        secureAggregation: 'secagg',
        population: 10,
        centralDp: { noiseMultiplier: 1, clipping: { kind: 'fixed', clipNorm: 1 } },
      },
      { secureAggregation: 'secagg', minNodes: 1 },
      { secagg: { distributedDp: { noiseMultiplier: 1 } } },
      { secureAggregation: 'secagg', secagg: { thresholdFraction: 0.4 } },
    ];
    for (const raw of bad) expect(() => parseFederation(raw), JSON.stringify(raw)).toThrow(ConfigError);
    expect(() => parseFederation({ secureAggregation: 'homomorphic' })).toThrow(/secureAggregation/);
  });
});
