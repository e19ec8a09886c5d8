import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { distributedDiscreteGaussianRho, ZcdpAccountant } from '../accounting/index.js';
import { addMod32, InvalidParameterError, seededRng } from '../core/index.js';
import {
  accountingEvent,
  addDiscreteGaussianNoise,
  decodeSum,
  distributedNoisePlan,
  encodeClipped,
  type FixedPointPlan,
  integerL2Sensitivity,
  planFixedPoint,
} from './fixed-point.js';

/** The clipped update, computed the obvious way (the oracle). */
function clipReference(update: readonly number[], clip: number): number[] {
  const norm = Math.hypot(...update);
  return norm > clip ? update.map((x) => (x * clip) / norm) : [...update];
}

/** encode every update, sum mod 2^32, decode. */
function secureSum(
  updates: readonly (readonly number[])[],
  plan: FixedPointPlan,
  seed: number,
): Float64Array {
  const rng = seededRng(seed);
  const sum = new Uint32Array(plan.dimension);
  for (const u of updates) addMod32(sum, encodeClipped(u, plan, rng), sum);
  return decodeSum(sum, plan);
}

describe('planFixedPoint', () => {
  it('picks the largest fractionalBits whose worst-case sum stays below 2^31', () => {
    const plan = planFixedPoint({ nodes: 100, clip: 1, dimension: 10 });
    expect(plan.fractionalBits).toBe(24); // 100 (2^24 + 1) < 2^31 <= 100 (2^25 + 1)
    expect(plan.scale).toBe(2 ** 24);
    expect(plan.integerClip).toBe(2 ** 24);
    expect(plan.sumBound).toBe(100 * (2 ** 24 + 1));
    expect(plan.headroomBits).toBe(0);
    expect(Object.isFrozen(plan)).toBe(true);
    // one node, tiny clip: capped at 30 bits, with headroom to spare
    const small = planFixedPoint({ nodes: 1, clip: 0.01, dimension: 1 });
    expect(small.fractionalBits).toBe(30);
    expect(small.headroomBits).toBe(7); // 0.01 * 2^30 + 1 ~ 2^23.4
  });

  it('leaves tailSigmas * noiseStd of room for the noise', () => {
    const plan = planFixedPoint({ nodes: 10, clip: 1, dimension: 10, noiseStd: 2 });
    const f = plan.fractionalBits;
    expect(plan.sumBound).toBe(10 * (2 ** f + 1) + 8 * 2 * 2 ** f);
    expect(plan.sumBound).toBeLessThan(2 ** 31);
    expect(10 * (2 ** (f + 1) + 1) + 16 * 2 ** (f + 1)).toBeGreaterThanOrEqual(2 ** 31);
  });

  it('refuses plans that cannot fit or would be uselessly coarse, with the numbers', () => {
    expect(() => planFixedPoint({ nodes: 1000, clip: 1e7, dimension: 1 })).toThrow(
      /^planFixedPoint: clip must be small enough that the sum fits in Z_2\^32: even with 0 fractional bits .* = 10000001000 >= 2\^31, got 10000000$/,
    );
    expect(() => planFixedPoint({ nodes: 1000, clip: 2e5, dimension: 1 })).toThrow(
      /at least 4 fractional bits \(only 3 fit for 1000 nodes.*use a smaller clip or fewer nodes \(clip < 134217 gives 4 bits\)/,
    );
    expect(planFixedPoint({ nodes: 1000, clip: 134217, dimension: 1 }).fractionalBits).toBe(4);
    expect(() => planFixedPoint({ nodes: 1, clip: 1, dimension: 1, noiseStd: 1e9 })).toThrow(
      /noise alone|fits in Z_2/,
    );
    expect(() => planFixedPoint({ nodes: 0, clip: 1, dimension: 1 })).toThrow(
      /nodes must be an integer >= 1/,
    );
    expect(() => planFixedPoint({ nodes: 1, clip: 0, dimension: 1 })).toThrow(
      /clip must be a finite number > 0/,
    );
    expect(() => planFixedPoint({ nodes: 1, clip: 1, dimension: 1.5 })).toThrow(/dimension/);
    expect(() => planFixedPoint({ nodes: 1, clip: 1, dimension: 1, noiseStd: -1 })).toThrow(/noiseStd/);
    expect(() => planFixedPoint({ nodes: 1, clip: 1, dimension: 1, tailSigmas: 0 })).toThrow(/tailSigmas/);
  });
});

describe('encodeClipped / decodeSum', () => {
  it('clips large updates to the L2 norm and leaves small ones alone', () => {
    const plan = planFixedPoint({ nodes: 4, clip: 1, dimension: 2 });
    const step = 2 ** -plan.fractionalBits;
    const big = decodeSum(encodeClipped([3, -4], plan, seededRng(1)), plan);
    expect(Math.abs(big[0]! - 0.6)).toBeLessThan(step);
    expect(Math.abs(big[1]! + 0.8)).toBeLessThan(step);
    const huge = decodeSum(encodeClipped([1e200, 1e200], plan, seededRng(2)), plan); // no overflow in the norm
    expect(Math.abs(huge[0]! - Math.SQRT1_2)).toBeLessThan(step);
    const small = decodeSum(encodeClipped([0.3, -0.1], plan, seededRng(3)), plan);
    expect(Math.abs(small[0]! - 0.3)).toBeLessThan(step);
    expect(Math.abs(small[1]! + 0.1)).toBeLessThan(step);
  });

  it('refuses a wrong length or a non-finite value', () => {
    const plan = planFixedPoint({ nodes: 4, clip: 1, dimension: 2 });
    expect(() => encodeClipped([1], plan, seededRng(1))).toThrow(
      /update must be an array of length plan.dimension = 2/,
    );
    expect(() => encodeClipped([1, Number.NaN], plan, seededRng(1))).toThrow(
      /update\[1\] must be a finite number/,
    );
    expect(() => decodeSum(new Uint32Array(3), plan)).toThrow(InvalidParameterError);
  });

  it('stochastic rounding is unbiased (fixed seed; 6 sampling sds)', () => {
    const plan = planFixedPoint({ nodes: 1, clip: 2 ** 23, dimension: 100_000 });
    expect(plan.fractionalBits).toBe(7); // 0.3 * 128 = 38.4: rounds to 38 or 39
    const x = 0.3;
    const decoded = decodeSum(encodeClipped(new Float64Array(100_000).fill(x), plan, seededRng(11)), plan);
    let mean = 0;
    let up = 0;
    for (const v of decoded) {
      mean += v / decoded.length;
      if (v > x) up++;
    }
    const sdOne = Math.sqrt(0.4 * 0.6) / 128; // sd of one rounded coordinate
    expect(Math.abs(mean - x)).toBeLessThan((6 * sdOne) / Math.sqrt(decoded.length));
    expect(Math.abs(up / decoded.length - 0.4)).toBeLessThan(6 * Math.sqrt(0.24 / decoded.length));
  });

  it('the integer vector never exceeds integerL2Sensitivity, nor integerClip + 1 per coordinate', () => {
    const plan = planFixedPoint({ nodes: 2, clip: 1.5, dimension: 1000 });
    const rng = seededRng(5);
    for (let t = 0; t < 20; t++) {
      const update = Array.from({ length: 1000 }, () => rng.normal() * 10);
      const q = encodeClipped(update, plan, rng);
      let sumSq = 0;
      for (const w of q) {
        const v = w | 0;
        expect(Math.abs(v)).toBeLessThanOrEqual(plan.integerClip + 1);
        sumSq += v * v;
      }
      expect(Math.sqrt(sumSq)).toBeLessThanOrEqual(integerL2Sensitivity(plan));
    }
    expect(integerL2Sensitivity(plan)).toBeCloseTo(plan.integerClip + Math.sqrt(1000), 3);
  });

  describe('properties', () => {
    const shape = fc.record({
      nodes: fc.integer({ min: 1, max: 40 }),
      dimension: fc.integer({ min: 1, max: 12 }),
      clip: fc.double({ min: 1e-3, max: 1e4, noNaN: true }),
      seed: fc.integer({ min: 0, max: 2 ** 31 }),
    });

    test.prop(
      [shape, fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 12, maxLength: 12 })],
      {
        numRuns: 150,
      },
    )('encode, sum over n nodes, decode = the float sum of the clipped updates within n 2^-f', (s, pool) => {
      const plan = planFixedPoint(s);
      const updates = Array.from({ length: s.nodes }, (_, j) =>
        Array.from({ length: s.dimension }, (_, i) => pool[(i + j) % pool.length]! * (j % 2 ? -1 : 1)),
      );
      const got = secureSum(updates, plan, s.seed);
      const tolerance = s.nodes * 2 ** -plan.fractionalBits + 1e-12 * s.nodes * s.clip; // + float round-off
      const clipped = updates.map((u) => clipReference(u, s.clip));
      for (let i = 0; i < s.dimension; i++) {
        let expected = 0;
        for (const u of clipped) expected += u[i]!;
        expect(Math.abs(got[i]! - expected)).toBeLessThanOrEqual(tolerance);
      }
    });

    test.prop([shape, fc.integer({ min: 0, max: 11 }), fc.boolean()], { numRuns: 150 })(
      'never wraps at the planned bound: all nodes put the whole clip on one coordinate with the same sign',
      (s, at, negative) => {
        const plan = planFixedPoint(s);
        const coordinate = at % s.dimension;
        const sign = negative ? -1 : 1;
        const updates = Array.from({ length: s.nodes }, () =>
          Array.from({ length: s.dimension }, (_, i) => (i === coordinate ? sign * s.clip * 1e3 : 0)),
        );
        const got = secureSum(updates, plan, s.seed);
        const expected = sign * s.nodes * s.clip;
        expect(Math.abs(got[coordinate]! - expected)).toBeLessThanOrEqual(
          s.nodes * 2 ** -plan.fractionalBits,
        );
        // and the plan is tight: one more fractional bit could overflow this very input
        if (plan.fractionalBits < 30)
          expect(s.nodes * (s.clip * 2 ** (plan.fractionalBits + 1) + 1)).toBeGreaterThanOrEqual(2 ** 31);
      },
    );
  });
});

describe('distributed discrete Gaussian noise', () => {
  it('the summed noise of n parties has variance n sigma^2 and mean 0 (fixed seed, 6 sampling sds)', () => {
    const parties = 5;
    const sigma = 30;
    const d = 20_000;
    const rng = seededRng(99);
    const sum = new Uint32Array(d);
    for (let p = 0; p < parties; p++)
      addMod32(sum, addDiscreteGaussianNoise(new Uint32Array(d), sigma, rng), sum);
    let mean = 0;
    let sq = 0;
    for (const w of sum) {
      const v = w | 0; // wraps negatives back
      mean += v / d;
      sq += (v * v) / d;
    }
    const variance = parties * sigma * sigma;
    expect(Math.abs(mean)).toBeLessThan(6 * Math.sqrt(variance / d));
    // sd of the sample second moment of a (near-)Gaussian: variance * sqrt(2 / d)
    expect(Math.abs(sq - variance)).toBeLessThan(6 * variance * Math.sqrt(2 / d));
  });

  it('adds in place mod 2^32 and refuses sigma below 0.5', () => {
    const v = Uint32Array.of(0, 4294967295, 7);
    expect(addDiscreteGaussianNoise(v, 1000, seededRng(1))).toBe(v);
    expect(() => addDiscreteGaussianNoise(new Uint32Array(2), 0.4, seededRng(1))).toThrow(
      /addDiscreteGaussianNoise: sigmaInteger must be a number in \[0.5, 2\^40\]/,
    );
  });

  it('distributedNoisePlan splits targetStd among minParties; accountingEvent records the actual parties', () => {
    const nodes = 20;
    const targetStd = 0.8;
    const minParties = 10;
    const plan = planFixedPoint({
      nodes,
      clip: 1,
      dimension: 1000,
      noiseStd: targetStd * Math.sqrt(nodes / minParties),
    });
    const noise = distributedNoisePlan({ targetStd, minParties, plan });
    expect(noise.sigmaInteger).toBeCloseTo((targetStd * plan.scale) / Math.sqrt(minParties), 6);
    expect(noise.perPartyStd).toBeCloseTo(targetStd / Math.sqrt(minParties), 14);
    const event = accountingEvent({ noise, parties: 14 });
    expect(event).toEqual({
      kind: 'distributed-discrete-gaussian',
      sigma: noise.sigmaInteger,
      parties: 14,
      l2Sensitivity: integerL2Sensitivity(plan),
      dimension: 1000,
    });
    // With minParties survivors, rho is about that of a Gaussian of std targetStd on sensitivity clip (+ rounding).
    const rho = distributedDiscreteGaussianRho({ ...event, parties: minParties });
    const continuous = 1 / (2 * targetStd ** 2);
    expect(rho).toBeGreaterThan(continuous);
    expect(rho).toBeLessThan(continuous * 1.001);
    expect(Number.isFinite(new ZcdpAccountant().compose(event).epsilon({ delta: 1e-6 }))).toBe(true);
  });

  it('end to end: the decoded noisy sum is the float sum plus noise of std about targetStd', () => {
    const nodes = 8;
    const plan = planFixedPoint({ nodes, clip: 1, dimension: 5000, noiseStd: 0.5 });
    const noise = distributedNoisePlan({ targetStd: 0.5, minParties: nodes, plan });
    const rng = seededRng(7);
    const updates = Array.from({ length: nodes }, () =>
      Array.from({ length: 5000 }, () => rng.normal() * 0.01),
    );
    const sum = new Uint32Array(5000);
    for (const u of updates) {
      const encoded = addDiscreteGaussianNoise(encodeClipped(u, plan, rng), noise.sigmaInteger, rng);
      addMod32(sum, encoded, sum);
    }
    const decoded = decodeSum(sum, plan);
    const clipped = updates.map((u) => clipReference(u, 1));
    let sq = 0;
    for (let i = 0; i < 5000; i++) {
      let exact = 0;
      for (const u of clipped) exact += u[i]!;
      sq += (decoded[i]! - exact) ** 2 / 5000;
    }
    expect(Math.abs(Math.sqrt(sq) - 0.5)).toBeLessThan(6 * 0.5 * Math.sqrt(1 / (2 * 5000)));
  });

  it('distributedNoisePlan refuses a sigma below 0.5, bad minParties, or noise the plan has no room for', () => {
    const plan = planFixedPoint({ nodes: 10, clip: 1, dimension: 10 });
    expect(() => distributedNoisePlan({ targetStd: 1e-9, minParties: 10, plan })).toThrow(
      /targetStd \* 2\^fractionalBits \/ sqrt\(minParties\) must be a number in \[0.5/,
    );
    expect(() => distributedNoisePlan({ targetStd: 1, minParties: 11, plan })).toThrow(
      /minParties must be an integer in \[1, 10\]/,
    );
    expect(() => distributedNoisePlan({ targetStd: 1, minParties: 5, plan })).toThrow(
      /room for the noise.*planFixedPoint\(\{ \.\.\., noiseStd: 1\.414/,
    );
    const noise = distributedNoisePlan({
      targetStd: 1,
      minParties: 5,
      plan: planFixedPoint({ nodes: 10, clip: 1, dimension: 10, noiseStd: Math.sqrt(2) }),
    });
    expect(() => accountingEvent({ noise, parties: 0 })).toThrow(/parties must be an integer >= 1/);
  });
});
