/**
 * `veil privacy calibrate`: the least noise that meets a target (epsilon, delta), for a DP-SGD schedule or a
 * plain Gaussian or Laplace release. The flags become the job's spec (src/jobs/privacy); this file renders it.
 */
import { PrivacyCalibrateSpecSchema, runPrivacyCalibrate } from '../../jobs/index.js';
import type { CommandResult } from '../output.js';
import { type FlagField, numberFlag as n, parseFlags, textFlag as t } from '../parse-flags.js';
import { fmt, fmtDown, mechanismField } from './privacy.js';

/** Raw flags of `veil privacy calibrate`. */
export interface CalibrateFlags {
  readonly targetEpsilon?: string;
  readonly delta?: string;
  readonly samplingRate?: string;
  readonly steps?: string;
  readonly accountant?: string;
  readonly mechanism?: string;
  readonly sensitivity?: string;
  readonly calibration?: string;
  readonly tolerance?: string;
}

/** The flags of the release whose noise is calibrated (a Laplace release has no delta). */
function releaseFields(f: CalibrateFlags): FlagField[] {
  if (f.mechanism === undefined)
    return [
      n('--delta', 'release.delta', f.delta),
      n('--sampling-rate', 'release.sampleRate', f.samplingRate),
      n('--steps', 'release.steps', f.steps),
      t('--accountant', 'release.accountant', f.accountant),
      n('--tolerance', 'release.tolerance', f.tolerance),
    ];
  if (f.mechanism === 'laplace')
    return [mechanismField(f.mechanism), n('--sensitivity', 'release.l1Sensitivity', f.sensitivity)];
  return [
    mechanismField(f.mechanism),
    n('--sensitivity', 'release.l2Sensitivity', f.sensitivity),
    n('--delta', 'release.delta', f.delta),
    t('--calibration', 'release.calibration', f.calibration),
  ];
}

/** `veil privacy calibrate`: the noise for a target (epsilon, delta). */
export function privacyCalibrate(flags: CalibrateFlags): CommandResult {
  const { spec, renamed } = parseFlags(
    PrivacyCalibrateSpecSchema,
    [n('--target-epsilon', 'targetEpsilon', flags.targetEpsilon), ...releaseFields(flags)],
    { values: { 'release.kind': flags.mechanism ?? 'dp-sgd' } },
  );
  const { targetEpsilon: epsilon } = spec;
  let r: ReturnType<typeof runPrivacyCalibrate>;
  try {
    r = runPrivacyCalibrate(spec);
  } catch (err) {
    throw renamed(err);
  }
  switch (r.kind) {
    case 'laplace': {
      const { scale, l1Sensitivity: sensitivity } = r;
      return {
        summary: { mechanism: 'laplace', scale, epsilon, delta: 0, sensitivity },
        text: [
          `Laplace scale b = ${fmt(scale)} gives epsilon = ${epsilon} (pure DP, sensitivity ${sensitivity})`,
        ],
      };
    }
    case 'gaussian': {
      const { sigma, noiseMultiplier, delta, calibration, l2Sensitivity: sensitivity } = r;
      return {
        summary: { mechanism: 'gaussian', sigma, noiseMultiplier, epsilon, delta, calibration, sensitivity },
        text: [`Gaussian sigma = ${fmt(sigma)} gives (${epsilon}, ${delta})-DP (${calibration} calibration)`],
      };
    }
    case 'dp-sgd': {
      const { noiseMultiplier, delta, sampleRate: samplingRate, steps, accountant, tolerance } = r;
      return {
        summary: {
          noiseMultiplier,
          epsilon: r.epsilon,
          targetEpsilon: epsilon,
          delta,
          samplingRate,
          steps,
          accountant,
          tolerance,
        },
        text: [
          `noise multiplier = ${fmt(noiseMultiplier)} gives epsilon = ${fmtDown(r.epsilon)} <= ${epsilon} at delta = ${delta}`,
          `  (${accountant.toUpperCase()} accountant, sampling rate ${samplingRate}, ${steps} steps; precision ${tolerance})`,
        ],
      };
    }
  }
}
