/**
 * The whole evaluation of a synthetic table against the real one it imitates: marginal error, train on synthetic
 * / test on real, record closeness and a membership-inference check. Not differentially private (every part reads
 * the real rows): it is for the data holder, never for release.
 */
import { InvalidParameterError, type Rng } from '../../core/index.js';
import type { SynthData } from '../data.js';
import { type ClassifierResult, type ClassifierScores, logisticRegressionScores } from './classifier.js';
import { type MarginalErrors, marginalErrors } from './marginal-error.js';
import { type MembershipResult, membershipInference } from './membership.js';
import {
  type CopyRate,
  checkSameDomain,
  closestRecords,
  type DistanceSummary,
  exactCopyRate,
  rowCount,
  sampleRows,
  summariseDistances,
} from './records.js';

/** Options of {@link evaluateSynthetic} (defaults in brackets). */
export interface EvaluateOptions {
  /** Real held-out rows (not used to fit the generator): the classifier's test set and the non-members. */
  readonly test?: SynthData;
  /** The attribute the classifier predicts (needs `test`). */
  readonly label?: string;
  /** The generator's (epsilon, delta), when known: the membership check shows the DP bound. */
  readonly privacy?: { readonly epsilon: number; readonly delta: number };
  /** At most this many k-way marginals per k [1000]; more are sampled (seeded). */
  readonly maxMarginals?: number;
  /** Synthetic rows whose distance to the closest record is computed [2000] (a seeded sample). */
  readonly dcrSamples?: number;
  /** Members and non-members the membership check scores, each [2000]. */
  readonly membershipSamples?: number;
  /** Passes of the logistic regression over its training rows [at least 10; more on small tables]. */
  readonly epochs?: number;
}

/** Distances to the closest record, on a sample of synthetic rows. */
export interface DcrResult {
  /** Synthetic rows placed (a seeded sample of `syntheticRows`). */
  readonly sampled: number;
  readonly syntheticRows: number;
  /** Attributes compared (the largest possible distance). */
  readonly attributes: number;
  /** To the closest training row. */
  readonly toTrain: DistanceSummary;
  /**
   * With held-out rows: the same sample against them and against an equal-size seeded sample of the training rows
   * (`compareRows` each, so neither side is favoured by its size), and the shares of synthetic rows closer to
   * the training sample, closer to the held-out rows, or as close to both. Memorisation shows as closer-to-train
   * well above closer-to-holdout.
   */
  readonly holdout: {
    readonly compareRows: number;
    readonly toHoldout: DistanceSummary;
    readonly closerToTrain: number;
    readonly closerToHoldout: number;
    readonly tied: number;
  } | null;
}

/** What {@link evaluateSynthetic} returns (JSON-ready apart from NaN means, which JSON writers turn into strings). */
export interface SynthEvaluation {
  readonly attributes: readonly string[];
  readonly rows: { readonly real: number; readonly synthetic: number; readonly test: number | null };
  readonly marginals: MarginalErrors;
  /** Null without `label` and `test`. */
  readonly classifier:
    | (ClassifierResult & {
        /** Trained on the synthetic rows. */
        readonly synthetic: ClassifierScores;
        /** Trained on the real training rows: the baseline. */
        readonly real: ClassifierScores;
      })
    | null;
  readonly exactCopies: {
    /** Synthetic rows equal to some training row (all rows). */
    readonly synthetic: CopyRate;
    /** Held-out rows equal to some training row: what chance alone gives for real rows of this population. */
    readonly holdout: CopyRate | null;
  };
  readonly dcr: DcrResult;
  /** Null without `test`. */
  readonly membership: MembershipResult | null;
}

/**
 * Evaluates `synthetic` against `real` (the rows the generator was fitted on), and against `options.test`
 * (held-out real rows) when given. Deterministic given a seeded `rng`.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for tables over different domains, empty tables, a label
 *   without test rows or not in the domain, or options out of range
 * @example const result = evaluateSynthetic(train, synthetic, seededRng(1), { test, label: 'income>50K' });
 */
export function evaluateSynthetic(
  real: SynthData,
  synthetic: SynthData,
  rng: Rng,
  options: EvaluateOptions = {},
): SynthEvaluation {
  const fn = 'evaluateSynthetic';
  checkSameDomain(fn, real, synthetic);
  const { test, label } = options;
  if (test) checkSameDomain(fn, real, test);
  if (rowCount(real) === 0 || rowCount(synthetic) === 0 || (test && rowCount(test) === 0))
    throw new InvalidParameterError({ fn, param: 'real', value: 0, allowed: 'tables of at least one row' });
  if (label !== undefined && !test)
    throw new InvalidParameterError({ fn, param: 'label', value: label, allowed: 'only with test rows' });
  const dcrSamples = options.dcrSamples ?? 2000;
  if (!(Number.isSafeInteger(dcrSamples) && dcrSamples >= 1))
    throw new InvalidParameterError({
      fn,
      param: 'dcrSamples',
      value: dcrSamples,
      allowed: 'an integer >= 1',
    });

  const marginals = marginalErrors(real, synthetic, rng, {
    ...(options.maxMarginals !== undefined ? { maxMarginals: options.maxMarginals } : {}),
  });

  let classifier: SynthEvaluation['classifier'] = null;
  if (label !== undefined && test) {
    const settings = { label, ...(options.epochs !== undefined ? { epochs: options.epochs } : {}) };
    const onSynthetic = logisticRegressionScores(synthetic, test, rng, settings);
    const onReal = logisticRegressionScores(real, test, rng, settings);
    classifier = {
      label: onSynthetic.label,
      classes: onSynthetic.classes,
      averaging: onSynthetic.averaging,
      features: onSynthetic.features,
      testRows: onSynthetic.testRows,
      majorityAccuracy: onSynthetic.majorityAccuracy,
      synthetic: pickScores(onSynthetic),
      real: pickScores(onReal),
    };
  }

  const exactCopies = {
    synthetic: exactCopyRate(synthetic, real),
    holdout: test ? exactCopyRate(test, real) : null,
  };

  const d = real.domain.attrs.length;
  const placed = sampleRows(rowCount(synthetic), dcrSamples, rng);
  const toTrain = closestRecords(synthetic, real, { rows: placed });
  let holdout: DcrResult['holdout'] = null;
  if (test) {
    const compareRows = Math.min(rowCount(test), rowCount(real));
    const trainSample = sampleRows(rowCount(real), compareRows, rng);
    const holdoutSample = sampleRows(rowCount(test), compareRows, rng);
    const a = closestRecords(synthetic, real, { rows: placed, referenceRows: trainSample }).distance;
    const b = closestRecords(synthetic, test, { rows: placed, referenceRows: holdoutSample }).distance;
    let closerToTrain = 0;
    let closerToHoldout = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i]! < b[i]!) closerToTrain++;
      else if (b[i]! < a[i]!) closerToHoldout++;
    }
    const n = a.length;
    holdout = {
      compareRows,
      toHoldout: summariseDistances(b, d),
      closerToTrain: closerToTrain / n,
      closerToHoldout: closerToHoldout / n,
      tied: (n - closerToTrain - closerToHoldout) / n,
    };
  }
  const dcr: DcrResult = {
    sampled: placed.length,
    syntheticRows: rowCount(synthetic),
    attributes: d,
    toTrain: summariseDistances(toTrain.distance, d),
    holdout,
  };

  const membership = test
    ? membershipInference(real, test, synthetic, rng, {
        ...(options.membershipSamples !== undefined ? { samples: options.membershipSamples } : {}),
        ...(options.privacy ? { privacy: options.privacy } : {}),
      })
    : null;

  return {
    attributes: [...real.domain.attrs],
    rows: { real: rowCount(real), synthetic: rowCount(synthetic), test: test ? rowCount(test) : null },
    marginals,
    classifier,
    exactCopies,
    dcr,
    membership,
  };
}

function pickScores(s: ClassifierScores): ClassifierScores {
  const { accuracy, precision, recall, f1, auc, trainRows } = s;
  return { accuracy, precision, recall, f1, auc, trainRows };
}
