import { describe, expect, it } from 'vitest';
import { zcdpToDelta, zcdpToEpsilon } from './analysis/zcdp.js';
import { gaussianEvent, laplaceEvent, poissonSampledEvent } from './events.js';
import { ZcdpAccountant } from './zcdp-accountant.js';

describe('zCDP', () => {
  it('conversion beats Bun & Steinke rho + 2 sqrt(rho log(1/delta)) and matches a brute-force minimum', () => {
    for (const rho of [0.01, 0.1, 1, 5]) {
      for (const delta of [1e-5, 1e-8]) {
        const e = zcdpToEpsilon(rho, delta);
        expect(e).toBeLessThanOrEqual(rho + 2 * Math.sqrt(rho * Math.log(1 / delta)));
        let brute = Number.POSITIVE_INFINITY;
        for (let a = 1.001; a < 2000; a *= 1.0005) {
          brute = Math.min(brute, a * rho + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1));
        }
        expect(e).toBeLessThanOrEqual(brute + 1e-9);
        expect(e).toBeGreaterThan(brute - 1e-5);
      }
    }
  });

  it('delta and epsilon are inverse', () => {
    const e = zcdpToEpsilon(0.3, 1e-6);
    expect(zcdpToDelta(0.3, e)).toBeLessThanOrEqual(1e-6 * (1 + 1e-6));
    expect(zcdpToDelta(0.3, e)).toBeGreaterThan(0.9e-6);
  });

  it('sums rho: a Gaussian gives 1/(2 sigma^2), pure eps gives eps^2/2', () => {
    const acc = new ZcdpAccountant()
      .compose(gaussianEvent({ sigma: 2 }), { times: 4 })
      .compose(laplaceEvent({ scale: 2 }));
    expect(acc.rho).toBeCloseTo(4 / 8 + 0.125, 14);
    expect(acc.epsilon({ delta: 1e-5 })).toBeCloseTo(zcdpToEpsilon(0.625, 1e-5), 14);
  });

  it('refuses subsampled and approx-DP events, changing nothing', () => {
    const acc = new ZcdpAccountant().compose({ kind: 'zcdp', rho: 0.1 });
    expect(() => acc.compose(poissonSampledEvent(0.1, gaussianEvent({ sigma: 1 })))).toThrow(
      /subsampling amplification/,
    );
    expect(() => acc.compose({ kind: 'approx-dp', epsilon: 1, delta: 1e-6 })).toThrow(/approx-dp/);
    expect(acc.rho).toBe(0.1);
    expect(acc.supports({ kind: 'approx-dp', epsilon: 1, delta: 1e-6 })).toBe(false);
  });
});
