/**
 * RDP accountant vs Google's dp_accounting 0.6.0 (google/differential-privacy, python/dp_accounting; file
 * commits in __vectors__/dp-accounting-rdp.json `source`), run from source on the development machine.
 *
 * Three claims:
 * 1. With dp_accounting's orders and its absolute-value fractional series, Veil reproduces dp_accounting to
 *    1e-6 relative: the same mathematics, independently written. (Veil pads the fractional series by a bound
 *    on its truncated tail, which dp_accounting drops; that is the only difference, ~1e-8 in epsilon.)
 * 2. With Veil's defaults (signed series + extra orders), the epsilon is never looser than dp_accounting's
 *    (at most 1e-3 above) and at most a few percent below (both are sound upper bounds; ours is tighter).
 * 3. Per-order RDP values agree: absolute series equal, signed series never above.
 */
import { describe, expect, it } from 'vitest';
import vectors from './__vectors__/dp-accounting-rdp.json' with { type: 'json' };
import { rdpToEpsilon } from './analysis/rdp-conversion.js';
import { rdpGaussian, rdpPoissonSubsampledGaussian } from './analysis/rdp-subsampled-gaussian.js';
import { dpSgdEvent } from './events.js';
import { DP_ACCOUNTING_DEFAULT_ORDERS, RdpAccountant } from './rdp-accountant.js';

const num = (x: number | string) => (typeof x === 'string' ? Number(x.replace('inf', 'Infinity')) : x);

describe('RDP vs dp_accounting', () => {
  it('uses the same default orders as dp_accounting', () => {
    expect(DP_ACCOUNTING_DEFAULT_ORDERS).toEqual(vectors.default_orders);
  });

  it('reproduces dp_accounting on the whole grid with its orders and series (350 points)', () => {
    // Where dp_accounting's fractional series did not converge it drops the order (100 of the 350 points);
    // Veil integrates A_alpha instead, so it can only be tighter there.
    let worst = 0;
    for (const g of vectors.grid) {
      const acc = new RdpAccountant({ orders: DP_ACCOUNTING_DEFAULT_ORDERS, fractionalSeries: 'absolute' });
      acc.compose(dpSgdEvent({ sampleRate: g.q, noiseMultiplier: g.sigma, steps: g.steps }));
      const { epsilon, order } = acc.epsilonAndOrder({ delta: g.delta });
      expect(epsilon, JSON.stringify(g)).toBeLessThanOrEqual(g.epsilon * (1 + 1e-6));
      if (g.nonconverged_orders > 0) continue;
      const rel = Math.abs(epsilon - g.epsilon) / g.epsilon;
      worst = Math.max(worst, rel);
      expect(rel, JSON.stringify(g)).toBeLessThan(1e-6);
      expect(epsilon, JSON.stringify(g)).toBeGreaterThanOrEqual(g.epsilon * (1 - 1e-9));
      expect(order).toBe(g.optimal_order);
    }
    expect(worst).toBeLessThan(1e-6);
    expect(vectors.grid.filter((g) => g.nonconverged_orders === 0).length).toBe(250);
  });

  it('with the signed series on dp_accounting orders: never looser, and within 0.2% wherever epsilon <= 10', () => {
    let worstSmall = 0;
    let worstAll = 0;
    for (const g of vectors.grid) {
      const acc = new RdpAccountant({ orders: DP_ACCOUNTING_DEFAULT_ORDERS, fractionalSeries: 'exact' });
      acc.compose(dpSgdEvent({ sampleRate: g.q, noiseMultiplier: g.sigma, steps: g.steps }));
      const epsilon = acc.epsilon({ delta: g.delta });
      expect(epsilon, JSON.stringify(g)).toBeLessThanOrEqual(g.epsilon * (1 + 1e-6));
      const below = 1 - epsilon / g.epsilon;
      worstAll = Math.max(worstAll, below);
      if (g.epsilon <= 10) worstSmall = Math.max(worstSmall, below);
    }
    // Measured: 0.16% at most for epsilon <= 10. At epsilons in the hundreds (q >= 0.05, many steps) the
    // optimum sits at small fractional orders, where the absolute-value bound is loosest and dp_accounting
    // drops the orders whose series does not converge (Veil integrates them): up to ~66% lower there. Both
    // the signed series and the integration are checked against independent numerical integration in
    // analysis/rdp-subsampled-gaussian.test.ts.
    expect(worstSmall).toBeLessThan(0.002);
    expect(worstAll).toBeLessThan(0.7);
  });

  it('with Veil defaults (signed series + more orders): never above dp_accounting + 1e-3', () => {
    let maxAbove = Number.NEGATIVE_INFINITY;
    for (const g of vectors.grid) {
      const acc = new RdpAccountant();
      acc.compose(dpSgdEvent({ sampleRate: g.q, noiseMultiplier: g.sigma, steps: g.steps }));
      maxAbove = Math.max(maxAbove, acc.epsilon({ delta: g.delta }) - g.epsilon);
    }
    // Extra integer orders (e.g. 160, 224, 320) are exact finite sums; where dp_accounting's grid jumps from 63
    // to 128 to 256 they give up to ~48% smaller epsilons at large noise (q = 0.01, sigma = 5, one step:
    // 0.0234 vs 0.0449). Order 224 there is checked against numerical integration in the analysis tests.
    expect(maxAbove).toBeLessThanOrEqual(1e-3);
  });

  it('matches dp_accounting per order for single steps (absolute series), signed series never above', () => {
    for (const r of vectors.raw_rdp_single_step) {
      for (const [orderText, expected] of Object.entries(r.rdp_at_orders)) {
        const order = Number(orderText);
        const ref = num(expected as number | string);
        const absolute = rdpPoissonSubsampledGaussian(r.q, r.sigma, order, 'absolute');
        const exact = rdpPoissonSubsampledGaussian(r.q, r.sigma, order, 'exact');
        if (!Number.isFinite(ref)) {
          // dp_accounting gives up (series did not converge); Veil integrates A_alpha numerically: a finite
          // bound below the unsampled Gaussian's
          expect(absolute).toBeGreaterThan(0);
          expect(absolute).toBeLessThanOrEqual(rdpGaussian(r.sigma, order));
          continue;
        }
        // equal up to Veil's pad for the truncated tail (at most ~1e-9 per step, visible only where the RDP
        // itself is ~1e-10 and irrelevant to any epsilon)
        expect(Math.abs(absolute - ref), `q=${r.q} sigma=${r.sigma} order=${order}`).toBeLessThan(
          1e-6 * ref + 5e-9,
        );
        expect(absolute).toBeGreaterThanOrEqual(ref * (1 - 1e-9));
        expect(exact).toBeLessThanOrEqual(absolute);
      }
    }
  });

  it('converts RDP to (epsilon, delta) exactly as dp_accounting', () => {
    for (const ex of vectors.compute_epsilon_examples) {
      const { epsilon } = rdpToEpsilon([ex.order], [ex.rdp], ex.delta);
      const ref = num(ex.epsilon);
      if (Number.isFinite(ref)) expect(epsilon).toBeCloseTo(ref, 12);
      else expect(epsilon).toBe(Number.POSITIVE_INFINITY);
    }
  });
});
