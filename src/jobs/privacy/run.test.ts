/**
 * The privacy arithmetic jobs: specs fill the defaults of a plain release, refuse an unknown kind at
 * `release.kind`, and the jobs give the published numbers (Abadi et al.'s MNIST schedule, Laplace's b = Δ/ε).
 */
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../core/index.js';
import { parseSpec } from '../spec.js';
import { runPrivacyCalibrate, runPrivacyEpsilon, runPrivacyMaxSteps } from './run.js';
import { PrivacyCalibrateSpecSchema, PrivacyEpsilonSpecSchema, PrivacyMaxStepsSpecSchema } from './spec.js';

const MNIST = { kind: 'dp-sgd', sampleRate: 256 / 60000, noiseMultiplier: 1.1, steps: 14063 } as const;

describe('privacy jobs', () => {
  it('fills a plain release: one step, sensitivity 1, the RDP accountant', () => {
    const spec = parseSpec(
      PrivacyEpsilonSpecSchema,
      { delta: 1e-5, release: { kind: 'laplace', scale: 2 } },
      'test',
    );
    expect(spec).toEqual({
      accountant: 'rdp',
      delta: 1e-5,
      release: { kind: 'laplace', steps: 1, l1Sensitivity: 1, scale: 2 },
    });
    // one Laplace release: pure DP by basic composition, no RDP order gave it
    expect(runPrivacyEpsilon(spec)).toEqual({ epsilon: 0.5, order: null });
  });

  it('refuses an unknown kind of release at release.kind, and a Gaussian release without sigma', () => {
    const issues = (raw: unknown) => {
      try {
        parseSpec(PrivacyEpsilonSpecSchema, raw, 'test');
        return [];
      } catch (err) {
        return (err as ConfigError).issues.map((i) => `${i.path}: ${i.allowed}`);
      }
    };
    expect(issues({ delta: 1e-5, release: { kind: 'uniform' } })).toEqual([
      'release.kind: one of dp-sgd, gaussian, laplace',
    ]);
    expect(issues({ delta: 0, release: { kind: 'gaussian' } })).toEqual([
      'delta: a number in (0, 1)',
      'release.sigma: a finite number > 0',
    ]);
  });

  it("gives the MNIST schedule's epsilon with its RDP order, and PLD's tighter one", () => {
    const rdp = runPrivacyEpsilon(
      parseSpec(PrivacyEpsilonSpecSchema, { delta: 1e-5, release: MNIST }, 'test'),
    );
    expect(rdp.epsilon).toBeCloseTo(2.5967, 3);
    expect(rdp.order).toBeTypeOf('number');
    const pld = runPrivacyEpsilon(
      parseSpec(PrivacyEpsilonSpecSchema, { accountant: 'pld', delta: 1e-5, release: MNIST }, 'test'),
    );
    expect(pld).toMatchObject({ order: null });
    expect(pld.epsilon).toBeCloseTo(2.3818, 3);
  });

  it('calibrates noise for a target and finds the steps that fit it', () => {
    const calibrate = (release: unknown) =>
      runPrivacyCalibrate(parseSpec(PrivacyCalibrateSpecSchema, { targetEpsilon: 0.5, release }, 'test'));
    expect(calibrate({ kind: 'laplace', l1Sensitivity: 2 })).toEqual({
      kind: 'laplace',
      l1Sensitivity: 2,
      scale: 4,
    });
    const gaussian = calibrate({ kind: 'gaussian', delta: 1e-5, l2Sensitivity: 2 });
    expect(gaussian).toMatchObject({ kind: 'gaussian', calibration: 'analytic' });
    if (gaussian.kind === 'gaussian') expect(gaussian.noiseMultiplier).toBeCloseTo(gaussian.sigma / 2, 12);
    const { steps, epsilon } = runPrivacyMaxSteps(
      parseSpec(
        PrivacyMaxStepsSpecSchema,
        { targetEpsilon: 3, delta: 1e-5, sampleRate: MNIST.sampleRate, noiseMultiplier: 1.1 },
        'test',
      ),
    );
    expect(steps).toBeGreaterThan(14063);
    expect(epsilon).toBeLessThanOrEqual(3);
  });
});
