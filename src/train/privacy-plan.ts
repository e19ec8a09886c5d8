/**
 * The privacy plan of a run, fixed before the first step: the noise multiplier the accountant is told (given,
 * or calibrated to the target epsilon over the planned steps), the step limit a budget imposes, the gradient's
 * own noise multiplier (larger with adaptive clipping) and the event each step records.
 */
import {
  calibrateNoiseMultiplier,
  gaussianEvent,
  maxSteps,
  type PrivacyEvent,
  poissonSampledEvent,
} from '../accounting/index.js';
import { adaptiveGradientNoise, type ClippingSpec, countNoiseOf } from './clipping.js';

/** The plan of a private run. */
export interface PrivacyPlan {
  /** Noise multiplier the accountant is told. */
  readonly noiseMultiplier: number;
  /** Noise multiplier applied to the clipped gradient sum. */
  readonly gradientNoiseMultiplier: number;
  /** Steps the budget allows (the planned steps when there is no budget cap). */
  readonly stepLimit: number;
  /** The event of one step. */
  readonly stepEvent: PrivacyEvent;
}

/** Options of {@link planPrivacy}. */
export interface PlanOptions {
  readonly delta: number;
  readonly noiseMultiplier?: number;
  readonly targetEpsilon?: number;
  readonly sampleRate: number;
  readonly stepsPlanned: number;
  readonly expectedBatch: number;
  readonly clipping: ClippingSpec;
  readonly accountant: 'rdp' | 'pld';
}

/** Plans a private run. @throws {NumericError} when no noise multiplier reaches the target */
export function planPrivacy(o: PlanOptions): PrivacyPlan {
  const z =
    o.noiseMultiplier ??
    calibrateNoiseMultiplier({
      targetEpsilon: o.targetEpsilon!,
      delta: o.delta,
      sampleRate: o.sampleRate,
      steps: o.stepsPlanned,
      accountant: o.accountant,
    }).noiseMultiplier;
  let stepLimit = o.stepsPlanned;
  if (o.noiseMultiplier !== undefined && o.targetEpsilon !== undefined && z > 0) {
    const allowed = maxSteps({
      targetEpsilon: o.targetEpsilon,
      delta: o.delta,
      sampleRate: o.sampleRate,
      noiseMultiplier: z,
      accountant: o.accountant,
      limit: o.stepsPlanned,
    }).steps;
    stepLimit = Math.min(o.stepsPlanned, allowed);
  }
  const spec = o.clipping;
  const gradientNoiseMultiplier =
    spec.kind === 'adaptive' && z > 0 ? adaptiveGradientNoise(z, countNoiseOf(spec, o.expectedBatch)) : z;
  const stepEvent: PrivacyEvent =
    z > 0
      ? poissonSampledEvent(Math.min(1, o.sampleRate), gaussianEvent({ sigma: z }))
      : { kind: 'non-private', reason: 'noise multiplier 0' };
  return { noiseMultiplier: z, gradientNoiseMultiplier, stepLimit, stepEvent };
}
