import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { expectInvalidParameter } from '../testing/errors.js';
import { planIntegerNoise, type ReleaseNoise, scaleBudget, validateNoise } from './noise.js';

describe('release noise', () => {
  it('maps epsilon to a discrete Laplace of scale K / epsilon', () => {
    const plan = planIntegerNoise('f', { kind: 'laplace', epsilon: 0.25 }, 3, 1);
    expect(plan.event).toEqual({ kind: 'discrete-laplace', scale: 12, l1Sensitivity: 3 });
    expect(Number.isSafeInteger(plan.sample(seededRng(1)))).toBe(true);
  });

  it('maps rho to a discrete Gaussian with K^2 / (2 sigma^2) <= rho', () => {
    const plan = planIntegerNoise('f', { kind: 'gaussian', rho: 0.5 }, 1, 4);
    expect(plan.event.kind).toBe('discrete-gaussian');
    const event = plan.event as { sigma: number; l2Sensitivity: number; dimension: number };
    expect(event.sigma).toBeGreaterThanOrEqual(1);
    expect(event.sigma).toBeLessThan(1 + 1e-14);
    expect(1 / (2 * event.sigma * event.sigma)).toBeLessThanOrEqual(0.5);
    expect(event.dimension).toBe(4);
  });

  it('splits budgets without exceeding the whole', () => {
    const half = scaleBudget({ kind: 'laplace', epsilon: 1 }, 0.5) as { epsilon: number };
    expect(2 * half.epsilon).toBeLessThanOrEqual(1);
    expect(half.epsilon).toBeCloseTo(0.5, 12);
    const third = scaleBudget({ kind: 'gaussian', rho: 0.3 }, 1 / 3) as { rho: number };
    expect(third.rho).toBeLessThanOrEqual(0.1);
  });

  it('refuses unknown kinds and non-positive budgets', () => {
    expectInvalidParameter(
      () => validateNoise('f', { kind: 'uniform' } as unknown as ReleaseNoise),
      'f',
      'noise.kind',
    );
    expectInvalidParameter(() => validateNoise('f', { kind: 'laplace', epsilon: 0 }), 'f', 'noise.epsilon');
    expectInvalidParameter(() => validateNoise('f', { kind: 'gaussian', rho: -1 }), 'f', 'noise.rho');
    expectInvalidParameter(() => validateNoise('f', null as unknown as ReleaseNoise), 'f', 'noise');
    expectInvalidParameter(
      () => planIntegerNoise('f', { kind: 'laplace', epsilon: 1e-20 }, 1, 1),
      'f',
      'noise.epsilon',
    );
  });
});
