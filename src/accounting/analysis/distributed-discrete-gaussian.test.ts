import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError, UnsupportedError } from '../../core/index.js';
import { distributedDiscreteGaussianEvent, PrivacyEventSchema, validateEvent } from '../events.js';
import { PldAccountant } from '../pld/pld-accountant.js';
import { RdpAccountant } from '../rdp-accountant.js';
import { ZcdpAccountant } from '../zcdp-accountant.js';
import {
  distributedDiscreteGaussianEpsilon,
  distributedDiscreteGaussianRho,
  distributedDiscreteGaussianTau,
} from './distributed-discrete-gaussian.js';

/** KLS21 Thm. 1 at exactly n parties, the obvious way (no minimum over fewer parties). */
function epsilonAtParties(sigma: number, n: number, l2Sensitivity: number, dimension: number): number {
  let tau = 0;
  for (let k = 1; k <= n - 1; k++) tau += Math.exp((-2 * Math.PI ** 2 * sigma ** 2 * k) / (k + 1));
  return l2Sensitivity / (Math.sqrt(n) * sigma) + 10 * tau * Math.sqrt(dimension);
}

describe('distributed discrete Gaussian zCDP (KLS21 Thm. 1)', () => {
  it('one party is exactly the single discrete Gaussian: rho = Delta^2 / (2 sigma^2), tau = 0', () => {
    for (const [sigma, l2Sensitivity, dimension] of [
      [0.5, 1, 1],
      [3.7, 2, 100],
      [1000, 1100, 1e6],
    ] as const) {
      expect(distributedDiscreteGaussianTau({ sigma, parties: 1 })).toBe(0);
      const rho = distributedDiscreteGaussianRho({ sigma, parties: 1, l2Sensitivity, dimension });
      expect(rho).toBeCloseTo(l2Sensitivity ** 2 / (2 * sigma ** 2), 14);
    }
  });

  it('tau is negligible for sigma >= 2: rho = Delta^2 / (2 n sigma^2) to 1e-9 even at dimension 1e6', () => {
    // Each term is at most exp(-pi^2 sigma^2) = exp(-4 pi^2) ~ 7e-18 at sigma = 2.
    expect(distributedDiscreteGaussianTau({ sigma: 2, parties: 1000 })).toBeLessThan(1e-13);
    expect(distributedDiscreteGaussianTau({ sigma: 2, parties: 1000 })).toBeGreaterThan(0);
    for (const parties of [2, 10, 1000]) {
      const rho = distributedDiscreteGaussianRho({ sigma: 2, parties, l2Sensitivity: 3, dimension: 1e6 });
      const naive = 9 / (2 * parties * 4);
      expect(Math.abs(rho / naive - 1)).toBeLessThan(1e-9);
    }
  });

  it('tau matters at sigma = 0.5 with many parties and a large dimension: epsilon far above the naive formula', () => {
    const options = { sigma: 0.5, parties: 1000, l2Sensitivity: 1, dimension: 1e5 };
    const naive = 1 / (Math.sqrt(1000) * 0.5); // 0.063: what the continuous Gaussian would give
    const atThousand = epsilonAtParties(0.5, 1000, 1, 1e5);
    expect(distributedDiscreteGaussianTau(options)).toBeGreaterThan(50);
    expect(atThousand).toBeGreaterThan(1e4);
    // The post-processing minimum falls back on one party's noise: epsilon = Delta / sigma = 2.
    expect(distributedDiscreteGaussianEpsilon(options)).toBeCloseTo(2, 14);
    expect(distributedDiscreteGaussianEpsilon(options)).toBeGreaterThan(30 * naive);
  });

  it('uses an intermediate number of parties when that is best', () => {
    // sigma = 0.5, d = 1, Delta = 10: eps(1) = 20, eps(2) = 14.14 + 0.85, ... the minimum is inside.
    const options = { sigma: 0.5, parties: 400, l2Sensitivity: 10, dimension: 1 };
    let brute = Number.POSITIVE_INFINITY;
    let argmin = 0;
    for (let m = 1; m <= 400; m++) {
      const e = epsilonAtParties(0.5, m, 10, 1);
      if (e < brute) [brute, argmin] = [e, m];
    }
    expect(argmin).toBeGreaterThan(1);
    expect(argmin).toBeLessThan(400);
    expect(distributedDiscreteGaussianEpsilon(options)).toBeCloseTo(brute, 12);
  });

  it('bounds tau from above past 2^20 parties and stays consistent', () => {
    const parties = 3_000_000;
    const rho = distributedDiscreteGaussianRho({ sigma: 3, parties, l2Sensitivity: 5, dimension: 1000 });
    expect(Math.abs(rho / (25 / (2 * parties * 9)) - 1)).toBeLessThan(1e-9);
    // tau is about 10 (n - 1) exp(-2 pi^2 sigma^2 k / (k + 1)) and is bounded from above, never below.
    const tau = distributedDiscreteGaussianTau({ sigma: 0.5, parties });
    expect(tau).toBeGreaterThanOrEqual(10 * (parties - 1) * Math.exp(-2 * Math.PI ** 2 * 0.25));
    expect(tau).toBeLessThan(10 * (parties - 1) * Math.exp(-(Math.PI ** 2) * 0.25) + 1e-6);
  });

  it('refuses sigma < 0.5 and other bad parameters, naming the allowed range', () => {
    const ok = { sigma: 1, parties: 2, l2Sensitivity: 1, dimension: 3 };
    expect(() => distributedDiscreteGaussianRho({ ...ok, sigma: 0.49 })).toThrow(
      'distributedDiscreteGaussianEpsilon: sigma must be a finite number >= 0.5',
    );
    expect(() => distributedDiscreteGaussianRho({ ...ok, sigma: Number.NaN })).toThrow(InvalidParameterError);
    expect(() => distributedDiscreteGaussianRho({ ...ok, parties: 0 })).toThrow(
      /parties must be an integer >= 1/,
    );
    expect(() => distributedDiscreteGaussianRho({ ...ok, parties: 2.5 })).toThrow(/parties/);
    expect(() => distributedDiscreteGaussianRho({ ...ok, dimension: 0 })).toThrow(/dimension/);
    expect(() => distributedDiscreteGaussianRho({ ...ok, l2Sensitivity: 0 })).toThrow(/l2Sensitivity/);
    expect(() => distributedDiscreteGaussianTau({ sigma: 0.25, parties: 3 })).toThrow(/sigma/);
  });

  describe('properties', () => {
    const sigma = fc.double({ min: 0.5, max: 50, noNaN: true });
    const parties = fc.integer({ min: 1, max: 300 });
    const l2Sensitivity = fc.double({ min: 0.01, max: 1000, noNaN: true });
    const dimension = fc.integer({ min: 1, max: 1_000_000 });

    test.prop([sigma, sigma, parties, l2Sensitivity, dimension], { numRuns: 200 })(
      'rho decreases in sigma',
      (s1, s2, n, l2, d) => {
        fc.pre(s1 !== s2);
        const [lo, hi] = s1 < s2 ? [s1, s2] : [s2, s1];
        const at = (s: number) =>
          distributedDiscreteGaussianRho({ sigma: s, parties: n, l2Sensitivity: l2, dimension: d });
        expect(at(hi)).toBeLessThanOrEqual(at(lo));
        if (hi > lo * 1.01) expect(at(hi)).toBeLessThan(at(lo));
      },
    );

    test.prop([sigma, parties, parties, l2Sensitivity, dimension], { numRuns: 200 })(
      'rho never increases with more parties (and decreases strictly once tau is negligible)',
      (s, n1, n2, l2, d) => {
        fc.pre(n1 !== n2);
        const [few, many] = n1 < n2 ? [n1, n2] : [n2, n1];
        const at = (n: number) =>
          distributedDiscreteGaussianRho({ sigma: s, parties: n, l2Sensitivity: l2, dimension: d });
        expect(at(many)).toBeLessThanOrEqual(at(few));
        if (s >= 2) expect(at(many)).toBeLessThan(at(few));
      },
    );

    test.prop([sigma, parties, l2Sensitivity, fc.integer({ min: 1, max: 1000 })], { numRuns: 100 })(
      'equals the minimum over m <= parties of the theorem at m parties (brute force)',
      (s, n, l2, d) => {
        let brute = Number.POSITIVE_INFINITY;
        for (let m = 1; m <= n; m++) brute = Math.min(brute, epsilonAtParties(s, m, l2, d));
        const epsilon = distributedDiscreteGaussianEpsilon({
          sigma: s,
          parties: n,
          l2Sensitivity: l2,
          dimension: d,
        });
        expect(epsilon).toBeGreaterThanOrEqual(brute * (1 - 1e-12));
        expect(epsilon).toBeLessThanOrEqual(brute * (1 + 1e-12));
        expect(epsilon).toBeGreaterThanOrEqual(l2 / (Math.sqrt(n) * s) - 1e-15); // never below the naive formula
      },
    );
  });
});

describe("the 'distributed-discrete-gaussian' event", () => {
  const event = distributedDiscreteGaussianEvent({
    sigma: 40,
    parties: 10,
    l2Sensitivity: 1100,
    dimension: 1000,
  });

  it('is frozen data that round-trips through JSON and the schema', () => {
    expect(event).toEqual({
      kind: 'distributed-discrete-gaussian',
      sigma: 40,
      parties: 10,
      l2Sensitivity: 1100,
      dimension: 1000,
    });
    expect(Object.isFrozen(event)).toBe(true);
    expect(PrivacyEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('the constructor and the schema refuse bad parameters', () => {
    const ok = { sigma: 1, parties: 2, l2Sensitivity: 1, dimension: 3 };
    expect(() => distributedDiscreteGaussianEvent({ ...ok, sigma: 0.3 })).toThrow(
      /^distributedDiscreteGaussianEvent: sigma must be a finite number >= 0.5 .*, got 0.3$/,
    );
    expect(() => distributedDiscreteGaussianEvent({ ...ok, parties: 0 })).toThrow(/parties/);
    expect(() => distributedDiscreteGaussianEvent({ ...ok, dimension: 1.5 })).toThrow(/dimension/);
    expect(() => distributedDiscreteGaussianEvent({ ...ok, l2Sensitivity: -1 })).toThrow(/l2Sensitivity/);
    const kind = 'distributed-discrete-gaussian' as const;
    expect(() => validateEvent({ kind, ...ok, sigma: 0.3 })).toThrow(
      /event\.sigma must be a finite number >= 0\.5/,
    );
    expect(() => validateEvent({ kind, ...ok, parties: 1.5 })).toThrow(/event\.parties/);
    expect(() => validateEvent({ kind, ...ok, dimension: 0 })).toThrow(/event\.dimension/);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
    expect(() => validateEvent({ kind, ...ok, extra: 1 } as any)).toThrow(InvalidParameterError);
  });

  it('the zCDP and RDP accountants give the epsilon of the equivalent zcdp event', () => {
    const rho = distributedDiscreteGaussianRho(event);
    expect(rho).toBeCloseTo(1100 ** 2 / (2 * 10 * 40 ** 2), 12);
    for (const delta of [1e-5, 1e-9]) {
      const zcdp = new ZcdpAccountant().compose(event, { times: 3 });
      const reference = new ZcdpAccountant().compose({ kind: 'zcdp', rho }, { times: 3 });
      expect(zcdp.rho).toBe(reference.rho);
      expect(zcdp.epsilon({ delta })).toBe(reference.epsilon({ delta }));
      const rdp = new RdpAccountant().compose(event, { times: 3 });
      const rdpReference = new RdpAccountant().compose({ kind: 'zcdp', rho }, { times: 3 });
      expect(rdp.epsilon({ delta })).toBe(rdpReference.epsilon({ delta }));
      expect(rdp.delta({ epsilon: 5 })).toBe(rdpReference.delta({ epsilon: 5 }));
    }
  });

  it('the PLD accountant refuses it like a zcdp event, naming the RDP and zCDP accountants', () => {
    const pld = new PldAccountant();
    expect(pld.supports(event)).toBe(false);
    expect(() => pld.compose(event)).toThrow(UnsupportedError);
    expect(() => pld.compose(event)).toThrow(/use the RDP or zCDP accountant/);
    expect(pld.events).toHaveLength(0);
  });
});
