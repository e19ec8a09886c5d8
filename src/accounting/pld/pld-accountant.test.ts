import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { logBinomial } from '../../core/index.js';
import { gaussianEpsilon } from '../analysis/gaussian-dp.js';
import {
  composedEvent,
  dpSgdEvent,
  gaussianEvent,
  laplaceEvent,
  type PrivacyEvent,
  poissonSampledEvent,
  selfComposedEvent,
} from '../events.js';
import { pldEpsilon } from './pld.js';
import { PldAccountant, pldForEvent } from './pld-accountant.js';

const sgd = (sampleRate: number, noiseMultiplier: number, steps: number) =>
  dpSgdEvent({ sampleRate, noiseMultiplier, steps });
const coarse = { valueDiscretizationInterval: 1e-3 };

describe('PldAccountant', () => {
  it('gives the TensorFlow Privacy MNIST schedule 2.3818 at delta 1e-5 (dp_accounting: 2.381779)', () => {
    const acc = new PldAccountant().compose(sgd(256 / 60000, 1.1, 14063));
    expect(acc.epsilon({ delta: 1e-5 })).toBeCloseTo(2.381779, 5);
    expect(acc.epsilon({ delta: 1e-6 })).toBeCloseTo(2.696861, 5);
  });

  it('bounds the exact Gaussian epsilon (Balle & Wang) from above, within the discretisation', () => {
    for (const sigma of [0.5, 1, 2, 5]) {
      for (const delta of [1e-5, 1e-8]) {
        const exact = gaussianEpsilon(sigma, delta);
        const pld = pldEpsilon(pldForEvent(gaussianEvent({ sigma })), delta);
        expect(pld).toBeGreaterThanOrEqual(exact);
        expect(pld - exact).toBeLessThan(1e-4);
        expect(
          new PldAccountant().compose(gaussianEvent({ sigma })).epsilon({ delta }),
        ).toBeGreaterThanOrEqual(exact);
      }
    }
  });

  it('answers a long composition of Gaussians exactly (analytic formula) instead of a huge grid', () => {
    const acc = new PldAccountant().compose(gaussianEvent({ sigma: 1.1 }), { times: 1000 });
    expect(acc.epsilon({ delta: 1e-5 })).toBeCloseTo(gaussianEpsilon(1.1 / Math.sqrt(1000), 1e-5), 9);
    // A Poisson-sampled Gaussian at rate 1 is the plain Gaussian.
    const rateOne = new PldAccountant().compose(sgd(1, 1.1, 1000));
    expect(rateOne.epsilon({ delta: 1e-5 })).toBe(acc.epsilon({ delta: 1e-5 }));
  });

  it('gives a Laplace release of scale b exactly epsilon = 1/b (delta(1/b) = 0) and bounds its exact curve', () => {
    for (const b of [0.5, 1, 4]) {
      const acc = new PldAccountant().compose(laplaceEvent({ scale: b }));
      expect(acc.delta({ epsilon: 1 / b })).toBe(0);
      expect(acc.epsilon({ delta: 1e-12 })).toBeCloseTo(1 / b, 9);
      expect(acc.epsilon({ delta: 1e-12 })).toBeLessThanOrEqual(1 / b);
      // Exact: delta(eps) = 1 - e^{(eps - 1/b)/2}, so eps(delta) = 1/b + 2 ln(1 - delta).
      const exact = 1 / b + 2 * Math.log(1 - 0.01);
      expect(acc.epsilon({ delta: 0.01 })).toBeGreaterThanOrEqual(exact);
      expect(acc.epsilon({ delta: 0.01 }) - exact).toBeLessThan(1e-4);
    }
  });

  it('composes pure-DP events exactly as the binomial PLD of randomized response (optimal composition)', () => {
    const epsilon0 = 0.25;
    const k = 20;
    const acc = new PldAccountant().compose({ kind: 'pure-dp', epsilon: epsilon0 }, { times: k });
    // L = epsilon0 (2B - k), B ~ Binomial(k, e^eps0 / (1 + e^eps0)) (Kairouz, Oh & Viswanath 2015).
    const p = Math.exp(epsilon0) / (1 + Math.exp(epsilon0));
    for (const epsilon of [0.5, 1, 2]) {
      let exact = 0;
      for (let i = 0; i <= k; i++) {
        const loss = epsilon0 * (2 * i - k);
        if (loss > epsilon)
          exact +=
            Math.exp(logBinomial(k, i) + i * Math.log(p) + (k - i) * Math.log1p(-p)) *
            -Math.expm1(epsilon - loss);
      }
      expect(acc.delta({ epsilon })).toBeCloseTo(exact, 12);
    }
  });

  it('carries the delta of approx-DP events as infinite-loss mass', () => {
    const acc = new PldAccountant().compose({ kind: 'approx-dp', epsilon: 0.5, delta: 1e-6 }, { times: 10 });
    const spent = 1 - (1 - 1e-6) ** 10;
    expect(acc.epsilon({ delta: spent * 0.99 })).toBe(Number.POSITIVE_INFINITY);
    expect(acc.delta({ epsilon: 5 })).toBeCloseTo(spent, 15);
    expect(acc.epsilon({ delta: 2e-5 })).toBeLessThanOrEqual(5);
  });

  it('makes delta(epsilon) and epsilon(delta) consistent inverses', () => {
    const acc = new PldAccountant()
      .compose(sgd(0.01, 1, 200))
      .compose(laplaceEvent({ scale: 20 }), { times: 5 });
    const interval = acc.options.valueDiscretizationInterval;
    for (const epsilon of [0.3, 1, 2, 3]) {
      const delta = acc.delta({ epsilon });
      expect(acc.epsilon({ delta })).toBeLessThanOrEqual(epsilon + interval);
    }
    for (const delta of [1e-3, 1e-5, 1e-7]) {
      const epsilon = acc.epsilon({ delta });
      expect(acc.delta({ epsilon })).toBeLessThanOrEqual(delta);
    }
  });

  it('composes different events to the same result in either order', () => {
    const x = sgd(0.02, 1.2, 50);
    const y = laplaceEvent({ scale: 5 });
    const z: PrivacyEvent = { kind: 'discrete-gaussian', sigma: 4, l2Sensitivity: 1, dimension: 1 };
    const a = new PldAccountant(coarse).compose(x).compose(y).compose(z);
    const b = new PldAccountant(coarse).compose(z).compose(y).compose(x);
    const c = new PldAccountant(coarse).compose(composedEvent([y, z, x]));
    for (const delta of [1e-5, 1e-7]) {
      expect(a.epsilon({ delta })).toBe(b.epsilon({ delta }));
      expect(a.epsilon({ delta })).toBe(c.epsilon({ delta }));
    }
  });

  it('counts times = k like k separate compositions, and records events as given', () => {
    const e = poissonSampledEvent(0.01, gaussianEvent({ sigma: 1 }));
    const a = new PldAccountant(coarse).compose(e, { times: 3 });
    const b = new PldAccountant(coarse).compose(e).compose(e).compose(e);
    expect(a.epsilon({ delta: 1e-5 })).toBe(b.epsilon({ delta: 1e-5 }));
    expect(a.events).toEqual([selfComposedEvent(e, 3)]);
    expect(b.events).toHaveLength(3);
  });

  it('leaves everything unchanged on no-op events and times = 0', () => {
    const acc = new PldAccountant(coarse).compose(sgd(0.05, 1, 10));
    const before = acc.epsilon({ delta: 1e-6 });
    acc.compose({ kind: 'no-op' }).compose(laplaceEvent({ scale: 0.1 }), { times: 0 });
    expect(acc.epsilon({ delta: 1e-6 })).toBe(before);
    expect(new PldAccountant().epsilon({ delta: 1e-9 })).toBe(0);
    expect(new PldAccountant().delta({ epsilon: 0 })).toBe(0);
  });

  it('reports Infinity (and delta 1) after a non-private event', () => {
    const acc = new PldAccountant()
      .compose(sgd(0.01, 1, 10))
      .compose({ kind: 'non-private', reason: 'debug dump' });
    expect(acc.epsilon({ delta: 0.999 })).toBe(Number.POSITIVE_INFINITY);
    expect(acc.delta({ epsilon: 100 })).toBe(1);
    expect(acc.privacyLossDistribution().remove.infinityMass).toBe(1);
  });

  it('supports the exact 1-D discrete Laplace and discrete Gaussian PLDs', () => {
    const dl = new PldAccountant().compose({ kind: 'discrete-laplace', scale: 2, l1Sensitivity: 1 });
    expect(dl.delta({ epsilon: 0.5 })).toBeLessThan(1e-12);
    expect(dl.epsilon({ delta: 1e-9 })).toBeCloseTo(0.5, 6);
    const dg = new PldAccountant().compose({
      kind: 'discrete-gaussian',
      sigma: 50,
      l2Sensitivity: 1,
      dimension: 1,
    });
    // At sigma = 50 the discrete Gaussian is indistinguishable from the continuous one.
    expect(dg.epsilon({ delta: 1e-5 })).toBeCloseTo(gaussianEpsilon(50, 1e-5), 3);
  });

  it('refuses unsupported events with VEIL_UNSUPPORTED and changes nothing', () => {
    const acc = new PldAccountant().compose(sgd(0.01, 1, 10));
    const before = acc.epsilon({ delta: 1e-5 });
    const cases: [PrivacyEvent, RegExp][] = [
      [{ kind: 'zcdp', rho: 0.1 }, /RDP or zCDP accountant/],
      [{ kind: 'discrete-gaussian', sigma: 2, l2Sensitivity: 1, dimension: 3 }, /RDP accountant/],
      [poissonSampledEvent(0.1, { kind: 'pure-dp', epsilon: 1 }), /'gaussian' or 'laplace'/],
      [composedEvent([laplaceEvent({ scale: 1 }), { kind: 'zcdp', rho: 1 }]), /zCDP/],
    ];
    for (const [event, message] of cases) {
      expect(acc.supports(event)).toBe(false);
      expect(() => acc.compose(event)).toThrow(expect.objectContaining({ code: 'VEIL_UNSUPPORTED' }));
      expect(() => acc.compose(event)).toThrow(message);
    }
    // Too wide for the grid: refused before anything is applied.
    expect(() => acc.compose(sgd(0.5, 0.5, 20000))).toThrow(/valueDiscretizationInterval/);
    expect(acc.events).toHaveLength(1);
    expect(acc.epsilon({ delta: 1e-5 })).toBe(before);
    expect(acc.supports(poissonSampledEvent(0.1, laplaceEvent({ scale: 1 })))).toBe(true);
  });

  it('refuses bad options and arguments with VEIL_INVALID_PARAMETER', () => {
    const invalid = expect.objectContaining({ code: 'VEIL_INVALID_PARAMETER' });
    expect(() => new PldAccountant({ valueDiscretizationInterval: 0 })).toThrow(invalid);
    expect(() => new PldAccountant({ valueDiscretizationInterval: Number.NaN })).toThrow(invalid);
    expect(() => new PldAccountant({ valueDiscretizationInterval: 2 })).toThrow(
      /valueDiscretizationInterval must be/,
    );
    expect(() => new PldAccountant({ logMassTruncationBound: 0 })).toThrow(/logMassTruncationBound/);
    expect(() => new PldAccountant({ tailMassTruncation: -1 })).toThrow(/tailMassTruncation/);
    const acc = new PldAccountant();
    expect(() => acc.compose({ kind: 'gaussian', sigma: -1, l2Sensitivity: 1 })).toThrow(
      /event.sigma must be/,
    );
    expect(() => acc.compose(gaussianEvent({ sigma: 1 }), { times: 1.5 })).toThrow(
      /times must be an integer >= 0/,
    );
    expect(() => acc.epsilon({ delta: 0 })).toThrow(invalid);
    expect(() => acc.epsilon({ delta: 1 })).toThrow(/delta must be a number in \(0, 1\)/);
    expect(() => acc.delta({ epsilon: -1 })).toThrow(invalid);
    expect(acc.events).toHaveLength(0);
    expect(acc.options).toEqual({
      valueDiscretizationInterval: 1e-4,
      logMassTruncationBound: -50,
      tailMassTruncation: 1e-15,
    });
  });

  it('caches the composition: a second query reuses it', () => {
    const acc = new PldAccountant().compose(sgd(0.01, 1, 1000));
    const first = acc.privacyLossDistribution();
    acc.epsilon({ delta: 1e-5 });
    expect(acc.privacyLossDistribution()).toBe(first);
    acc.compose(sgd(0.01, 1, 1));
    expect(acc.privacyLossDistribution()).not.toBe(first);
  });
});

describe('properties', () => {
  const epsilonOf = (q: number, sigma: number, steps: number) =>
    new PldAccountant(coarse).compose(sgd(q, sigma, steps)).epsilon({ delta: 1e-5 });

  test.prop(
    [
      fc.double({ min: 0.01, max: 0.2, noNaN: true }),
      fc.double({ min: 0.8, max: 3, noNaN: true }),
      fc.integer({ min: 1, max: 40 }),
    ],
    {
      numRuns: 6,
    },
  )('epsilon grows with the number of steps', (q, sigma, steps) => {
    expect(epsilonOf(q, sigma, steps + 10)).toBeGreaterThanOrEqual(epsilonOf(q, sigma, steps) - 1e-9);
  });

  test.prop([fc.double({ min: 0.01, max: 0.3, noNaN: true }), fc.double({ min: 0.8, max: 3, noNaN: true })], {
    numRuns: 6,
  })('epsilon grows with the sampling rate', (q, sigma) => {
    expect(epsilonOf(q * 1.5, sigma, 20)).toBeGreaterThanOrEqual(epsilonOf(q, sigma, 20));
  });

  test.prop([fc.double({ min: 0.01, max: 0.3, noNaN: true }), fc.double({ min: 0.6, max: 3, noNaN: true })], {
    numRuns: 6,
  })('epsilon falls as the noise multiplier grows', (q, sigma) => {
    expect(epsilonOf(q, sigma * 1.3, 20)).toBeLessThanOrEqual(epsilonOf(q, sigma, 20));
  });
});
