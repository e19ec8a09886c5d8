import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { gaussianEvent, PldAccountant, poissonSampledEvent } from '../../accounting/index.js';
import { csprng, seededRng } from '../../core/index.js';
import { distance, expectInvalidParameter, update } from '../validation/_testing.js';
import type { ClientUpdate } from '../validation/validate-update.js';
import { fedAdam } from './adaptive.js';
import { fedAvg } from './fedavg.js';
import { type ServerDpOptions, withServerDp } from './with-server-dp.js';

const fixed = (over: Partial<ServerDpOptions> = {}): ServerDpOptions => ({
  noiseMultiplier: 1.5,
  clipping: { kind: 'fixed', clipNorm: 2 },
  expectedNodesPerRound: 10,
  sampling: { kind: 'poisson', rate: 0.1 },
  ...over,
});

function moments(v: Float32Array): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (const x of v) {
    s += x;
    s2 += x * x;
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(s2 / v.length - mean * mean) };
}

describe('withServerDp', () => {
  it('adds N(0, (z S / m)^2) noise per coordinate to the mean, even in an empty round', () => {
    const d = 40_000;
    const strategy = withServerDp(fedAvg(), fixed());
    const { global, result } = strategy.aggregate(new Float32Array(d), [], 1, seededRng(3));
    const { mean, std } = moments(result.delta);
    const sigma = (1.5 * 2) / 10; // z S / m = 0.3
    // std error of the sample std is sigma / sqrt(2 d) = 0.35%: 5 standard errors is 1.8%
    expect(Math.abs(std / sigma - 1)).toBeLessThan(0.018);
    expect(Math.abs(mean)).toBeLessThan((5 * sigma) / Math.sqrt(d));
    expect(global).toEqual(result.delta); // FedAvg from zeros: the new global is the noised mean
  });

  test.prop([
    fc.array(fc.array(fc.float({ min: -50, max: 50, noNaN: true }), { minLength: 4, maxLength: 4 }), {
      minLength: 1,
      maxLength: 6,
    }),
    fc.integer({ min: 0, max: 5 }),
    fc.integer({ min: 1, max: 1000 }),
  ])('one node moves the noised sum by at most S (same noise on both sides)', (rows, drop, seed) => {
    const updates = rows.map((d, k) => update(`n${k}`, d, 1 + 1000 * k));
    const without = updates.filter((_, k) => k !== drop % updates.length);
    const m = 10;
    const a = withServerDp(fedAvg(), fixed()).aggregate(new Float32Array(4), updates, 1, seededRng(seed));
    const b = withServerDp(fedAvg(), fixed()).aggregate(new Float32Array(4), without, 1, seededRng(seed));
    expect(distance(a.result.delta, b.result.delta) * m).toBeLessThanOrEqual(2 * (1 + 1e-5));
  });

  it('clips each delta to S and weights every node 1, whatever numExamples says', () => {
    const tiny = fixed({ noiseMultiplier: 1e-9, expectedNodesPerRound: 2 });
    const updates = [update('big', [300, 400], 1_000_000), update('small', [0.6, 0.8], 1)];
    const { result } = withServerDp(fedAvg(), tiny).aggregate(new Float32Array(2), updates, 1, seededRng(1));
    // big is clipped to [1.2, 1.6] (norm 2); (1.2 + 0.6) / 2 = 0.9, (1.6 + 0.8) / 2 = 1.2
    expect(result.delta[0]).toBeCloseTo(0.9, 5);
    expect(result.delta[1]).toBeCloseTo(1.2, 5);
    expect(result.used).toEqual(['big', 'small']);
  });

  it('records a Poisson-subsampled Gaussian with sensitivity 1 in units of S, or an unamplified one', () => {
    const poisson = withServerDp(fedAvg(), fixed());
    const { result } = poisson.aggregate(new Float32Array(1), [], 1, seededRng(1));
    expect(result.events).toEqual([poissonSampledEvent(0.1, gaussianEvent({ sigma: 1.5 }))]);
    expect(result.private).toBe(false); // seeded
    const plain = withServerDp(fedAvg(), fixed({ sampling: { kind: 'every-node' } }));
    const run = plain.aggregate(new Float32Array(1), [], 1, csprng());
    expect(run.result.events).toEqual([{ kind: 'gaussian', sigma: 1.5, l2Sensitivity: 1 }]);
    expect(run.result.private).toBe(true);
  });

  it("records sensitivity 2S under a fixed-size selection (a removed node's slot goes to another)", () => {
    // Review finding: k of N nodes without replacement recorded S; removing one node lets another in, so the
    // clipped sum moves by up to 2S. z = 1, 20 rounds, delta 1e-5: PLD epsilon 28.37 with S, 77.33 with 2S.
    const k = withServerDp(fedAvg(), fixed({ sampling: { kind: 'fixed-size' } }));
    expect(k.roundEvent).toEqual({ kind: 'gaussian', sigma: 1.5, l2Sensitivity: 2 });
    const acc = (event: typeof k.roundEvent) => new PldAccountant().compose(event, { times: 20 });
    const z1 = fixed({ noiseMultiplier: 1 });
    const once = withServerDp(fedAvg(), { ...z1, sampling: { kind: 'every-node' } }).roundEvent;
    const swap = withServerDp(fedAvg(), { ...z1, sampling: { kind: 'fixed-size' } }).roundEvent;
    expect(acc(once).epsilon({ delta: 1e-5 })).toBeCloseTo(28.37, 1);
    expect(acc(swap).epsilon({ delta: 1e-5 })).toBeCloseTo(77.33, 1);
  });

  it('refuses invalid updates but still adds the noise', () => {
    const strategy = withServerDp(fedAvg(), fixed({ noiseMultiplier: 1e-9 }));
    const { result } = strategy.aggregate(
      new Float32Array(2),
      [update('nan', [Number.NaN, 1]), update('ok', [1, 0])],
      1,
      seededRng(1),
    );
    expect(result.used).toEqual(['ok']);
    expect(result.rejected).toEqual([{ nodeId: 'nan', reason: 'non-finite value NaN at index 0' }]);
    expect(result.delta[0]).toBeCloseTo(0.1, 6);
  });

  it("passes the noised mean to the inner strategy's server step (FedAdam on top)", () => {
    const updates = [update('a', [1, -1]), update('b', [0.5, 0.5])];
    const dp = withServerDp(fedAdam(), fixed());
    const { global, result } = dp.aggregate(new Float32Array(2), updates, 1, seededRng(9));
    const reference = fedAdam().applyDelta(new Float32Array(2), result.delta, 1);
    expect(global).toEqual(reference);
    expect(dp.name).toBe('fedadam+server-dp');
  });

  it('gives the same round from a secure sum of node-clipped deltas', () => {
    const updates = [update('a', [3, 4]), update('b', [0.3, 0.4]), update('c', [-6, 8])];
    const opts = fixed({ clipping: { kind: 'adaptive', initialClipNorm: 2 }, expectedNodesPerRound: 40 });
    const direct = withServerDp(fedAdam(), opts);
    const secure = withServerDp(fedAdam(), opts);
    // each node clips its own delta to S = 2 and adds b_i = [||delta|| <= S]
    const sum = new Float32Array([1.2 + 0.3 - 1.2, 1.6 + 0.4 + 1.6]);
    const a = direct.aggregate(new Float32Array(2), updates, 1, seededRng(5));
    const b = secure.aggregateClippedSum(
      new Float32Array(2),
      { sum, nodeIds: ['a', 'b', 'c'], unclippedCount: 1 },
      1,
      seededRng(5),
    );
    for (let i = 0; i < 2; i++) expect(b.global[i]).toBeCloseTo(a.global[i]!, 5);
    expect(b.result.events).toEqual(a.result.events);
    expect(b.result.used).toEqual(['a', 'b', 'c']);
    expect(secure.clipNorm).toBeCloseTo(direct.clipNorm, 12);
    const where = 'fedadam+server-dp.aggregateClippedSum';
    const g = new Float32Array(2);
    expectInvalidParameter(
      () => secure.aggregateClippedSum(g, { sum, nodeIds: ['a'] }, 2, seededRng(1)),
      where,
      'input.unclippedCount',
    );
    expectInvalidParameter(
      () => secure.aggregateClippedSum(g, { sum: new Float32Array(3), nodeIds: [] }, 2, seededRng(1)),
      where,
      'input.sum',
    );
    expectInvalidParameter(
      () => secure.aggregateClippedSum(g, { sum, nodeIds: ['a', 'a'], unclippedCount: 0 }, 2, seededRng(1)),
      where,
      'input.nodeIds',
    );
  });

  describe('adaptive clipping (Andrew et al. 2021)', () => {
    const adaptive = (over: Partial<ServerDpOptions> = {}) =>
      fixed({
        clipping: { kind: 'adaptive', initialClipNorm: 0.1, targetQuantile: 0.5, learningRate: 0.2 },
        ...over,
      });

    it('raises the delta noise so that the two releases are one Gaussian of multiplier z', () => {
      const s = withServerDp(fedAvg(), adaptive({ expectedNodesPerRound: 40 }));
      const sigmaB = 40 / 20;
      expect(s.deltaNoiseMultiplier).toBeCloseTo((1.5 ** -2 - (2 * sigmaB) ** -2) ** -0.5, 12);
      expect(s.roundEvent).toEqual(poissonSampledEvent(0.1, gaussianEvent({ sigma: 1.5 })));
      expectInvalidParameter(
        () =>
          withServerDp(
            fedAvg(),
            adaptive({ clipping: { kind: 'adaptive', initialClipNorm: 1, countNoise: 0.75 } }),
          ),
        'withServerDp',
        'clipping.countNoise',
      );
      // the default count noise, 10 / 20 = 0.5, is too small for z = 1.5 with 10 nodes a round
      expectInvalidParameter(() => withServerDp(fedAvg(), adaptive()), 'withServerDp', 'clipping.countNoise');
    });

    it('moves the bound towards the target quantile of the update norms', () => {
      const s = withServerDp(fedAvg(), adaptive({ noiseMultiplier: 0.5, expectedNodesPerRound: 20 }));
      const rng = seededRng(4);
      const norms = Array.from({ length: 20 }, (_, k) => 1 + k / 19); // median 1.5
      const updates: ClientUpdate[] = norms.map((n, k) => update(`n${k}`, [n, 0]));
      for (let round = 1; round <= 80; round++) s.aggregate(new Float32Array(2), updates, round, rng);
      expect(s.clipNorm).toBeGreaterThan(1.2);
      expect(s.clipNorm).toBeLessThan(1.8);
      const saved = JSON.parse(JSON.stringify(s.state()));
      const copy = withServerDp(fedAvg(), adaptive({ noiseMultiplier: 0.5, expectedNodesPerRound: 20 }));
      copy.restore(saved);
      expect(copy.clipNorm).toBe(s.clipNorm);
    });
  });

  it('refuses impossible or unsafe configurations', () => {
    expectInvalidParameter(
      () => withServerDp(fedAvg(), fixed({ noiseMultiplier: 0 })),
      'withServerDp',
      'noiseMultiplier',
    );
    expectInvalidParameter(
      () => withServerDp(fedAvg(), fixed({ expectedNodesPerRound: 0 })),
      'withServerDp',
      'expectedNodesPerRound',
    );
    expectInvalidParameter(
      () => withServerDp(fedAvg(), fixed({ clipping: { kind: 'fixed', clipNorm: -1 } })),
      'withServerDp',
      'clipping.clipNorm',
    );
    expectInvalidParameter(
      () => withServerDp(fedAvg(), fixed({ sampling: { kind: 'poisson', rate: 0 } })),
      'withServerDp',
      'sampling.rate',
    );
    expectInvalidParameter(
      () =>
        withServerDp(fedAvg(), fixed({ sampling: { kind: 'fixed' } as unknown as { kind: 'every-node' } })),
      'withServerDp',
      'sampling.kind',
    );
    expectInvalidParameter(
      () => withServerDp(fedAvg({ aggregator: { kind: 'median' } }), fixed()),
      'withServerDp',
      'inner.aggregator.kind',
    );
    const s = withServerDp(fedAvg(), fixed());
    expectInvalidParameter(
      () =>
        s.restore({ strategy: s.name, version: 1, clipNorm: 3, inner: { strategy: 'fedavg', version: 1 } }),
      'fedavg+server-dp.restore',
      'state.clipNorm',
    );
  });
});
