import { describe, expect, it } from 'vitest';
import { csprng, seededRng } from '../core/index.js';
import * as dp from './index.js';

describe('veil/dp public face', () => {
  it('exports the mechanisms, releases and samplers, and nothing internal', () => {
    expect(Object.keys(dp).sort()).toEqual(
      [
        'boundedSumSensitivity',
        'centredSumSensitivity',
        'discreteGaussianMechanism',
        'discreteGaussianSampler',
        'discreteLaplaceMechanism',
        'discreteLaplaceSampler',
        'exponentialMechanism',
        'gaussianMechanism',
        'granularLaplaceMechanism',
        'laplaceMechanism',
        'poissonSample',
        'privateBoundedMean',
        'privateBoundedSum',
        'privateCount',
        'privateHistogram',
        'privateQuantile',
        'quantileUtilitySensitivity',
        'randomizedResponse',
        'reportNoisyMax',
        'sparseVector',
      ].sort(),
    );
  });

  it('every release marks seeded output not private and CSPRNG output private', () => {
    const noise = { kind: 'laplace', epsilon: 1 } as const;
    const releases = [
      () => dp.privateCount({ noise }),
      () => dp.privateBoundedSum({ lower: 0, upper: 1, noise }),
      () => dp.privateBoundedMean({ lower: 0, upper: 1, noise }),
      () => dp.privateHistogram({ binning: { kind: 'uniform', lower: 0, upper: 1, bins: 3 }, noise }),
      () => dp.privateQuantile({ lower: 0, upper: 1, quantile: 0.5, epsilon: 1 }),
    ];
    for (const make of releases) {
      const mech = make();
      const seeded = mech.release([0.1, 0.7], seededRng(1));
      expect(seeded.private).toBe(false);
      expect(seeded.event).toEqual({ kind: 'non-private', reason: expect.any(String) });
      const real = mech.release([0.1, 0.7], csprng());
      expect(real.private).toBe(true);
      expect(real.event).toBe(mech.event);
    }
  });

  it('every mechanism object is frozen and states its event before running', () => {
    const mechanisms = [
      dp.laplaceMechanism({ l1Sensitivity: 1, epsilon: 1 }),
      dp.gaussianMechanism({ l2Sensitivity: 1, sigma: 1 }),
      dp.discreteLaplaceMechanism({ l1Sensitivity: 1, epsilon: 1 }),
      dp.discreteGaussianMechanism({ l2Sensitivity: 1, sigma: 1 }),
      dp.granularLaplaceMechanism({ l1Sensitivity: 1, epsilon: 1 }),
      dp.exponentialMechanism({ epsilon: 1, utilitySensitivity: 1 }),
      dp.reportNoisyMax({ epsilon: 1, utilitySensitivity: 1 }),
      dp.sparseVector({ epsilon: 1, sensitivity: 1, threshold: 0 }),
      dp.randomizedResponse({ epsilon: 1 }),
    ];
    for (const mech of mechanisms) {
      expect(Object.isFrozen(mech)).toBe(true);
      expect(Object.isFrozen(mech.event)).toBe(true);
      expect(typeof mech.event.kind).toBe('string');
    }
  });
});
