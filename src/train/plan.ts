/**
 * The plan of a training run, fixed before its first step and computed once: the sampling rate and steps (from
 * the public size of a private run, the actual count of a non-private one), the privacy plan (the noise
 * multiplier calibrated to a target epsilon, the step limit a budget imposes) and the events a ledger must grant.
 */
import { type PrivacyEvent, selfComposedEvent } from '../accounting/index.js';
import { assertInteger, InvalidParameterError } from '../core/index.js';
import type { ClippingSpec } from './clipping.js';
import { type PrivacyPlan, planPrivacy } from './privacy-plan.js';
import type { TrainingData } from './training-data.js';

/** Privacy of a run. `noiseMultiplier` absent: calibrated to `targetEpsilon`; both: the target is a budget cap. */
export type PrivacySpec =
  | { readonly kind: 'non-private' }
  | {
      readonly kind: 'dp';
      readonly delta: number;
      readonly noiseMultiplier?: number;
      readonly targetEpsilon?: number;
    };

/** What a plan depends on: the options of {@link trainModel} that fix sampling and privacy. */
export interface PlanInput {
  readonly train: TrainingData;
  readonly batchSize: number;
  readonly epochs: number;
  readonly privacy: PrivacySpec;
  readonly accountant?: 'rdp' | 'pld';
  readonly clipping?: ClippingSpec;
  readonly publicSize?: number;
}

/** The batch size against the public size (private runs) or the actual count (non-private runs). */
export function checkSampling(
  fn: string,
  o: Pick<PlanInput, 'train' | 'batchSize' | 'privacy' | 'publicSize'>,
): void {
  if (o.privacy.kind === 'dp') {
    if (o.publicSize === undefined) {
      throw new InvalidParameterError({
        fn,
        param: 'publicSize',
        value: undefined,
        allowed:
          'for a private run, the record count treated as public (an integer >= batchSize): q and the steps derive from it, so the actual count stays protected',
      });
    }
    assertInteger(fn, 'publicSize', o.publicSize, o.batchSize);
  } else if (o.batchSize > o.train.numExamples) {
    throw new InvalidParameterError({
      fn,
      param: 'batchSize',
      value: o.batchSize,
      allowed: `at most the number of training examples (${o.train.numExamples})`,
    });
  }
}

/**
 * The sampling and privacy plan of a run, fixed before its first step: computed once (calibration included) by
 * {@link planTraining}, checked by a ledger ({@link TrainingPlan.events}), then handed to {@link trainModel}.
 */
export interface TrainingPlan {
  /** The options the plan was made for; trainModel refuses a plan made for other options. */
  readonly basis: {
    readonly batchSize: number;
    readonly epochs: number;
    /** The public size (private runs) or the actual count (non-private runs) q derives from. */
    readonly n: number;
    readonly privacy: PrivacySpec;
    readonly accountant: 'rdp' | 'pld';
    readonly clipping: ClippingSpec;
  };
  readonly sampleRate: number;
  readonly stepsPerEpoch: number;
  readonly stepsPlanned: number;
  readonly expectedBatch: number;
  /** The privacy plan (null for non-private runs). */
  readonly privacy: PrivacyPlan | null;
  /** Noise multiplier the accountant is told (null for non-private runs). */
  readonly noiseMultiplier: number | null;
  /**
   * The events the run records if it runs every step it may (the most it can spend): what a ledger must grant
   * before training starts.
   */
  readonly events: readonly PrivacyEvent[];
}

/**
 * Plans a run: sampling rate and steps from the public size (private) or the count (non-private), and for a
 * private run the noise multiplier (calibrated to the target epsilon when not given) and the step limit.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad sampling options
 * @throws {NumericError} VEIL_NUMERIC_FAILURE when no noise multiplier reaches the target epsilon
 */
export function planTraining(options: PlanInput): TrainingPlan {
  checkSampling('planTraining', options);
  const dp = options.privacy.kind === 'dp' ? options.privacy : null;
  const clipping: ClippingSpec =
    options.clipping ?? (dp ? { kind: 'flat', maxGradNorm: 1 } : { kind: 'none' });
  const accountant = options.accountant ?? 'rdp';
  // Private: everything derives from the public size N, never from the actual count (checkSampling).
  const n = dp ? options.publicSize! : options.train.numExamples;
  const q = options.batchSize / n;
  const stepsPerEpoch = dp ? Math.max(1, Math.round(1 / q)) : Math.ceil(n / options.batchSize);
  const stepsPlanned = stepsPerEpoch * options.epochs;
  const expectedBatch = q * n;
  const plan = dp
    ? planPrivacy({
        delta: dp.delta,
        ...(dp.noiseMultiplier === undefined ? {} : { noiseMultiplier: dp.noiseMultiplier }),
        ...(dp.targetEpsilon === undefined ? {} : { targetEpsilon: dp.targetEpsilon }),
        sampleRate: q,
        stepsPlanned,
        expectedBatch,
        clipping,
        accountant,
      })
    : null;
  return {
    basis: {
      batchSize: options.batchSize,
      epochs: options.epochs,
      n,
      privacy: options.privacy,
      accountant,
      clipping,
    },
    sampleRate: q,
    stepsPerEpoch,
    stepsPlanned,
    expectedBatch,
    privacy: plan,
    noiseMultiplier: plan ? plan.noiseMultiplier : null,
    events:
      plan && plan.stepLimit > 0
        ? [selfComposedEvent(plan.stepEvent, plan.stepLimit)]
        : [{ kind: 'non-private', reason: 'trained without differential privacy' }],
  };
}

/**
 * The privacy events a run with these options will record if it runs every planned step (the most it can
 * spend), and its noise multiplier. Prefer {@link planTraining} and pass its plan to {@link trainModel}, which
 * calibrates once; this is kept for callers that only need the events.
 */
export function plannedEvents(options: PlanInput): {
  readonly noiseMultiplier: number | null;
  readonly events: readonly PrivacyEvent[];
} {
  const plan = planTraining(options);
  return { noiseMultiplier: plan.noiseMultiplier, events: plan.events };
}
