/**
 * `veil privacy epsilon | calibrate | max-steps`: privacy arithmetic from the command line.
 */
import {
  ACCOUNTANT_KINDS,
  type AccountantKind,
  CALIBRATION_ACCOUNTANTS,
  calibrateGaussianSigma,
  calibrateNoiseMultiplier,
  createAccountant,
  dpSgdEvent,
  gaussianEvent,
  laplaceEvent,
  maxSteps,
  type PrivacyEvent,
  RdpAccountant,
  selfComposedEvent,
} from '../../accounting/index.js';
import { FlagParser } from '../flags.js';
import type { CommandResult } from '../output.js';

/** Raw flags of `veil privacy epsilon` (strings from commander). */
export interface EpsilonFlags {
  readonly accountant?: string;
  readonly samplingRate?: string;
  readonly noiseMultiplier?: string;
  readonly steps?: string;
  readonly delta?: string;
  readonly mechanism?: string;
  readonly sigma?: string;
  readonly scale?: string;
  readonly sensitivity?: string;
}

const MECHANISMS = ['gaussian', 'laplace'] as const;

/** Parses the event described by the flags: a DP-SGD schedule or a plain (repeated) release. */
function eventFromFlags(
  p: FlagParser,
  flags: EpsilonFlags,
): { event: PrivacyEvent; describe: Record<string, unknown> } {
  if (flags.mechanism !== undefined) {
    const steps = p.optionalNumber('steps', flags.steps, { kind: 'integer', min: 1 }, 1);
    const mechanism = p.choice('mechanism', flags.mechanism, MECHANISMS, 'gaussian');
    const sensitivity = p.optionalNumber('sensitivity', flags.sensitivity, { kind: 'positive' }, 1);
    if (flags.samplingRate !== undefined || flags.noiseMultiplier !== undefined) {
      p.problem(
        '--mechanism',
        flags.mechanism,
        'used without --sampling-rate/--noise-multiplier (a plain release)',
      );
    }
    if (mechanism === 'gaussian') {
      const sigma = p.number('sigma', flags.sigma, { kind: 'positive' });
      p.done();
      const event = selfComposedEvent(gaussianEvent({ sigma, l2Sensitivity: sensitivity }), steps);
      return { event, describe: { mechanism, sigma, sensitivity, steps } };
    }
    const scale = p.number('scale', flags.scale, { kind: 'positive' });
    p.done();
    const event = selfComposedEvent(laplaceEvent({ scale, l1Sensitivity: sensitivity }), steps);
    return { event, describe: { mechanism, scale, sensitivity, steps } };
  }
  const sampleRate = p.number('sampling-rate', flags.samplingRate, { kind: 'rate' });
  const noiseMultiplier = p.number('noise-multiplier', flags.noiseMultiplier, { kind: 'positive' });
  const steps = p.number('steps', flags.steps, { kind: 'integer', min: 1 });
  p.done();
  return {
    event: dpSgdEvent({ sampleRate, noiseMultiplier, steps }),
    describe: { mechanism: 'poisson-subsampled-gaussian', samplingRate: sampleRate, noiseMultiplier, steps },
  };
}

/** `veil privacy epsilon`. @throws {ConfigError} for bad flags (exit 2). */
export function privacyEpsilon(flags: EpsilonFlags): CommandResult {
  const p = new FlagParser();
  const accountant: AccountantKind = p.choice('accountant', flags.accountant, ACCOUNTANT_KINDS, 'rdp');
  const delta = p.number('delta', flags.delta, { kind: 'open-unit' });
  const { event, describe } = eventFromFlags(p, flags);
  p.done();
  const acc = createAccountant(accountant);
  acc.compose(event);
  const summary: Record<string, unknown> = { ...describe, delta, accountant };
  if (acc instanceof RdpAccountant) {
    const { epsilon, order } = acc.epsilonAndOrder({ delta });
    summary['epsilon'] = epsilon;
    // NaN order: basic composition of pure-DP events beat every order (e.g. one Laplace release)
    if (!Number.isNaN(order)) summary['order'] = order;
  } else {
    summary['epsilon'] = acc.epsilon({ delta });
  }
  const text = [
    `epsilon = ${fmt(summary['epsilon'] as number)} at delta = ${delta} (${accountant.toUpperCase()} accountant${
      summary['order'] !== undefined ? `, optimal order ${summary['order']}` : ''
    })`,
    `  ${Object.entries(describe)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  ];
  return { summary: { epsilon: summary['epsilon'], accountant, ...summary }, text };
}

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

/** `veil privacy calibrate`: the noise for a target (epsilon, delta). */
export function privacyCalibrate(flags: CalibrateFlags): CommandResult {
  const p = new FlagParser();
  const targetEpsilon = p.number('target-epsilon', flags.targetEpsilon, { kind: 'positive' });
  if (flags.mechanism !== undefined) {
    const mechanism = p.choice('mechanism', flags.mechanism, MECHANISMS, 'gaussian');
    const sensitivity = p.optionalNumber('sensitivity', flags.sensitivity, { kind: 'positive' }, 1);
    if (mechanism === 'laplace') {
      p.done();
      const scale = sensitivity / targetEpsilon; // Laplace: epsilon = sensitivity / scale (Dwork et al. 2006)
      return {
        summary: { mechanism, scale, epsilon: targetEpsilon, delta: 0, sensitivity },
        text: [
          `Laplace scale b = ${fmt(scale)} gives epsilon = ${targetEpsilon} (pure DP, sensitivity ${sensitivity})`,
        ],
      };
    }
    const delta = p.number('delta', flags.delta, { kind: 'open-unit' });
    const calibration = p.choice(
      'calibration',
      flags.calibration,
      ['analytic', 'classical'] as const,
      'analytic',
    );
    p.done();
    const sigma = calibrateGaussianSigma({
      epsilon: targetEpsilon,
      delta,
      l2Sensitivity: sensitivity,
      calibration,
    });
    return {
      summary: {
        mechanism,
        sigma,
        noiseMultiplier: sigma / sensitivity,
        epsilon: targetEpsilon,
        delta,
        calibration,
        sensitivity,
      },
      text: [
        `Gaussian sigma = ${fmt(sigma)} gives (${targetEpsilon}, ${delta})-DP (${calibration} calibration)`,
      ],
    };
  }
  const delta = p.number('delta', flags.delta, { kind: 'open-unit' });
  const sampleRate = p.number('sampling-rate', flags.samplingRate, { kind: 'rate' });
  const steps = p.number('steps', flags.steps, { kind: 'integer', min: 1 });
  const accountant = p.choice('accountant', flags.accountant, CALIBRATION_ACCOUNTANTS, 'rdp');
  const tolerance = p.optionalNumber('tolerance', flags.tolerance, { kind: 'positive' }, 1e-4);
  p.done();
  const result = calibrateNoiseMultiplier({ targetEpsilon, delta, sampleRate, steps, accountant, tolerance });
  return {
    summary: {
      noiseMultiplier: result.noiseMultiplier,
      epsilon: result.epsilon,
      targetEpsilon,
      delta,
      samplingRate: sampleRate,
      steps,
      accountant,
      tolerance,
    },
    text: [
      `noise multiplier = ${fmt(result.noiseMultiplier)} gives epsilon = ${fmtDown(result.epsilon)} <= ${targetEpsilon} at delta = ${delta}`,
      `  (${accountant.toUpperCase()} accountant, sampling rate ${sampleRate}, ${steps} steps; precision ${tolerance})`,
    ],
  };
}

/** Raw flags of `veil privacy max-steps`. */
export interface MaxStepsFlags {
  readonly targetEpsilon?: string;
  readonly delta?: string;
  readonly samplingRate?: string;
  readonly noiseMultiplier?: string;
  readonly accountant?: string;
}

/** `veil privacy max-steps`: the most DP-SGD steps a budget allows. */
export function privacyMaxSteps(flags: MaxStepsFlags): CommandResult {
  const p = new FlagParser();
  const targetEpsilon = p.number('target-epsilon', flags.targetEpsilon, { kind: 'positive' });
  const delta = p.number('delta', flags.delta, { kind: 'open-unit' });
  const sampleRate = p.number('sampling-rate', flags.samplingRate, { kind: 'rate' });
  const noiseMultiplier = p.number('noise-multiplier', flags.noiseMultiplier, { kind: 'positive' });
  const accountant = p.choice('accountant', flags.accountant, CALIBRATION_ACCOUNTANTS, 'rdp');
  p.done();
  const { steps, epsilon } = maxSteps({ targetEpsilon, delta, sampleRate, noiseMultiplier, accountant });
  return {
    summary: { steps, epsilon, targetEpsilon, delta, samplingRate: sampleRate, noiseMultiplier, accountant },
    text: [
      `at most ${steps} steps (epsilon = ${fmt(epsilon)} <= ${targetEpsilon} at delta = ${delta}, ${accountant.toUpperCase()})`,
    ],
  };
}

/** Six significant digits, truncated (so a value just below a target never prints as the target). */
function fmtDown(x: number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  const scale = 10 ** (5 - Math.floor(Math.log10(Math.abs(x))));
  return String(Math.floor(x * scale) / scale);
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Number(x.toPrecision(6)).toString();
}
