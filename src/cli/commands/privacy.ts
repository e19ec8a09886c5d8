/**
 * `veil privacy epsilon | max-steps` (and `calibrate`, in privacy-calibrate.ts): privacy arithmetic from the
 * command line. The flags become the job's spec (src/jobs/privacy); these files render the result.
 */
import type { ConfigIssue } from '../../core/index.js';
import {
  type PrivacyEpsilonSpec,
  PrivacyEpsilonSpecSchema,
  PrivacyMaxStepsSpecSchema,
  runPrivacyEpsilon,
  runPrivacyMaxSteps,
} from '../../jobs/index.js';
import type { CommandResult } from '../output.js';
import { type FlagField, numberFlag as n, parseFlags, textFlag as t } from '../parse-flags.js';

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

/** `--mechanism` picks a plain release's spec (`release.kind`); without it, the spec is a DP-SGD schedule's. */
export const mechanismField = (mechanism: string | undefined): FlagField => ({
  ...t('--mechanism', 'release.kind', mechanism),
  allowed: 'one of gaussian, laplace',
});

/** The flags of a release whose loss is computed: a DP-SGD schedule, or a plain release repeated `--steps` times. */
function releaseFields(f: EpsilonFlags): FlagField[] {
  if (f.mechanism === undefined)
    return [
      n('--sampling-rate', 'release.sampleRate', f.samplingRate),
      n('--noise-multiplier', 'release.noiseMultiplier', f.noiseMultiplier),
      n('--steps', 'release.steps', f.steps),
    ];
  const laplace = f.mechanism === 'laplace';
  return [
    n('--steps', 'release.steps', f.steps),
    mechanismField(f.mechanism),
    n('--sensitivity', laplace ? 'release.l1Sensitivity' : 'release.l2Sensitivity', f.sensitivity),
    laplace ? n('--scale', 'release.scale', f.scale) : n('--sigma', 'release.sigma', f.sigma),
  ];
}

/** The inputs an epsilon was computed for, as `veil privacy epsilon` prints them. */
function describeRelease(r: PrivacyEpsilonSpec['release']): Record<string, unknown> {
  switch (r.kind) {
    case 'dp-sgd': {
      const { sampleRate: samplingRate, noiseMultiplier, steps } = r;
      return { mechanism: 'poisson-subsampled-gaussian', samplingRate, noiseMultiplier, steps };
    }
    case 'gaussian':
      return { mechanism: 'gaussian', sigma: r.sigma, sensitivity: r.l2Sensitivity, steps: r.steps };
    case 'laplace':
      return { mechanism: 'laplace', scale: r.scale, sensitivity: r.l1Sensitivity, steps: r.steps };
  }
}

/** `veil privacy epsilon`. @throws {ConfigError} for bad flags (exit 2). */
export function privacyEpsilon(flags: EpsilonFlags): CommandResult {
  const issues: ConfigIssue[] = [];
  if (
    flags.mechanism !== undefined &&
    (flags.samplingRate !== undefined || flags.noiseMultiplier !== undefined)
  )
    issues.push({
      path: '--mechanism',
      value: flags.mechanism,
      allowed: 'used without --sampling-rate/--noise-multiplier (a plain release)',
    });
  const { spec } = parseFlags(
    PrivacyEpsilonSpecSchema,
    [
      t('--accountant', 'accountant', flags.accountant),
      n('--delta', 'delta', flags.delta),
      ...releaseFields(flags),
    ],
    { values: { 'release.kind': flags.mechanism ?? 'dp-sgd' }, issues },
  );
  const { epsilon, order } = runPrivacyEpsilon(spec);
  const { accountant, delta } = spec;
  const describe = describeRelease(spec.release);
  const inputs = Object.entries(describe).map(([k, v]) => `${k}=${v}`);
  const at = `${accountant.toUpperCase()} accountant${order === null ? '' : `, optimal order ${order}`}`;
  return {
    summary: { epsilon, accountant, ...describe, delta, ...(order === null ? {} : { order }) },
    text: [`epsilon = ${fmt(epsilon)} at delta = ${delta} (${at})`, `  ${inputs.join(' ')}`],
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
  const { spec } = parseFlags(PrivacyMaxStepsSpecSchema, [
    n('--target-epsilon', 'targetEpsilon', flags.targetEpsilon),
    n('--delta', 'delta', flags.delta),
    n('--sampling-rate', 'sampleRate', flags.samplingRate),
    n('--noise-multiplier', 'noiseMultiplier', flags.noiseMultiplier),
    t('--accountant', 'accountant', flags.accountant),
  ]);
  const { steps, epsilon, capped } = runPrivacyMaxSteps(spec);
  const { targetEpsilon, delta, sampleRate, noiseMultiplier, accountant } = spec;
  return {
    summary: {
      steps,
      epsilon,
      targetEpsilon,
      delta,
      samplingRate: sampleRate,
      noiseMultiplier,
      accountant,
      ...(capped ? { capped: true, note: `the search stops at ${steps} steps: more may fit` } : {}),
    },
    text: [
      capped
        ? `at least ${steps} steps (epsilon = ${fmt(epsilon)} <= ${targetEpsilon} at delta = ${delta}, ${accountant.toUpperCase()}): the search stops there, more may fit`
        : `at most ${steps} steps (epsilon = ${fmt(epsilon)} <= ${targetEpsilon} at delta = ${delta}, ${accountant.toUpperCase()})`,
    ],
  };
}

/** Six significant digits, truncated (so a value just below a target never prints as the target). */
export function fmtDown(x: number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  const scale = 10 ** (5 - Math.floor(Math.log10(Math.abs(x))));
  return String(Math.floor(x * scale) / scale);
}

/** Six significant digits. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Number(x.toPrecision(6)).toString();
}
