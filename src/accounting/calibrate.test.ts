import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { calibrateNoiseMultiplier, dpSgdEpsilon, maxSteps } from './calibrate.js';

describe('calibrateNoiseMultiplier', () => {
  it('returns the smallest noise meeting the target: one tolerance below it does not', () => {
    const options = { targetEpsilon: 3, delta: 1e-5, sampleRate: 256 / 60000, steps: 14063 } as const;
    const { noiseMultiplier, epsilon } = calibrateNoiseMultiplier(options);
    expect(epsilon).toBeLessThanOrEqual(3);
    expect(dpSgdEpsilon({ ...options, noiseMultiplier: noiseMultiplier - 1e-4 })).toBeGreaterThan(3);
    expect(noiseMultiplier).toBeGreaterThan(1);
    expect(noiseMultiplier).toBeLessThan(1.1); // 1.1 gives 2.6 < 3
  });

  test.prop(
    [
      fc.double({ min: 0.5, max: 8, noNaN: true }),
      fc.double({ min: 1e-3, max: 0.2, noNaN: true }),
      fc.integer({ min: 1, max: 5000 }),
    ],
    { numRuns: 12 },
  )('meets every target it returns, and is minimal to its tolerance', (targetEpsilon, sampleRate, steps) => {
    const { noiseMultiplier, epsilon } = calibrateNoiseMultiplier({
      targetEpsilon,
      delta: 1e-5,
      sampleRate,
      steps,
      tolerance: 1e-3,
    });
    expect(epsilon).toBeLessThanOrEqual(targetEpsilon);
    const below = noiseMultiplier - 1e-3;
    if (below > 0)
      expect(dpSgdEpsilon({ sampleRate, noiseMultiplier: below, steps, delta: 1e-5 })).toBeGreaterThan(
        targetEpsilon,
      );
  });

  it('with the PLD accountant: smaller noise than RDP, and minimal to its tolerance', () => {
    const options = {
      targetEpsilon: 2,
      delta: 1e-6,
      sampleRate: 0.02,
      steps: 2000,
      tolerance: 1e-3,
    } as const;
    const pld = calibrateNoiseMultiplier({ ...options, accountant: 'pld' });
    const rdp = calibrateNoiseMultiplier({ ...options, accountant: 'rdp' });
    expect(pld.epsilon).toBeLessThanOrEqual(2);
    expect(pld.noiseMultiplier).toBeLessThan(rdp.noiseMultiplier);
    expect(
      dpSgdEpsilon({ ...options, noiseMultiplier: pld.noiseMultiplier - 1e-3, accountant: 'pld' }),
    ).toBeGreaterThan(2);
  });

  it('refuses bad targets with the parameter named', () => {
    const ok = { targetEpsilon: 1, delta: 1e-5, sampleRate: 0.01, steps: 100 };
    expect(() => calibrateNoiseMultiplier({ ...ok, targetEpsilon: 0 })).toThrow(
      /targetEpsilon must be a finite number > 0/,
    );
    expect(() => calibrateNoiseMultiplier({ ...ok, delta: 1 })).toThrow(/delta must be a number in \(0, 1\)/);
    expect(() => calibrateNoiseMultiplier({ ...ok, sampleRate: 0 })).toThrow(
      /sampleRate must be a number in \(0, 1\]/,
    );
    expect(() => calibrateNoiseMultiplier({ ...ok, steps: 0 })).toThrow(/steps must be an integer >= 1/);
    expect(() => calibrateNoiseMultiplier({ ...ok, accountant: 'zcdp' as 'rdp' })).toThrow(
      /accountant must be one of/,
    );
  });

  it('throws rather than return a noise that misses an unreachable target', () => {
    expect(() =>
      calibrateNoiseMultiplier({ targetEpsilon: 1e-9, delta: 1e-5, sampleRate: 1, steps: 1000 }),
    ).toThrow(expect.objectContaining({ code: 'VEIL_NUMERIC_FAILURE' }));
  });
});

describe('maxSteps', () => {
  it('returns the largest T within budget: T + 1 exceeds it', () => {
    const base = { targetEpsilon: 3, delta: 1e-5, sampleRate: 256 / 60000, noiseMultiplier: 1.1 } as const;
    const { steps, epsilon } = maxSteps(base);
    expect(epsilon).toBeLessThanOrEqual(3);
    expect(dpSgdEpsilon({ ...base, steps })).toBeLessThanOrEqual(3);
    expect(dpSgdEpsilon({ ...base, steps: steps + 1 })).toBeGreaterThan(3);
    expect(steps).toBeGreaterThan(14063); // 14063 steps give 2.6
  });

  it('returns 0 when even one step is too many', () => {
    expect(maxSteps({ targetEpsilon: 0.01, delta: 1e-5, sampleRate: 1, noiseMultiplier: 0.5 }).steps).toBe(0);
  });
});
