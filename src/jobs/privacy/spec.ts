/**
 * The specs of the privacy arithmetic (`veil privacy epsilon|calibrate|max-steps`): what is released, how its
 * loss is composed, and the target. One zod schema each, which CLI flags and (later) HTTP bodies parse into.
 */
import { z } from 'zod';
import { ACCOUNTANT_KINDS, CALIBRATION_ACCOUNTANTS } from '../../accounting/index.js';
import { integer, oneOf, openUnit, positive, rate } from '../fields.js';

const KINDS = 'one of dp-sgd, gaussian, laplace';

/** A DP-SGD schedule: Poisson-subsampled Gaussian steps; the noise multiplier is std / clipping norm. */
const DpSgdSchema = z
  .object({ kind: z.literal('dp-sgd'), sampleRate: rate(), noiseMultiplier: positive(), steps: integer(1) })
  .strict();

/** `veil privacy epsilon`: the epsilon of a DP-SGD schedule or of a plain release repeated `steps` times. */
export const PrivacyEpsilonSpecSchema = z
  .object({
    accountant: oneOf(ACCOUNTANT_KINDS).default('rdp'),
    delta: openUnit(),
    release: z.discriminatedUnion(
      'kind',
      [
        DpSgdSchema,
        z
          .object({
            kind: z.literal('gaussian'),
            steps: integer(1).default(1),
            l2Sensitivity: positive().default(1),
            sigma: positive(),
          })
          .strict(),
        z
          .object({
            kind: z.literal('laplace'),
            steps: integer(1).default(1),
            l1Sensitivity: positive().default(1),
            scale: positive(),
          })
          .strict(),
      ],
      { error: KINDS },
    ),
  })
  .strict();

/** `veil privacy calibrate`: the least noise that meets a target epsilon (at a delta, but for Laplace). */
export const PrivacyCalibrateSpecSchema = z
  .object({
    targetEpsilon: positive(),
    release: z.discriminatedUnion(
      'kind',
      [
        z
          .object({
            kind: z.literal('dp-sgd'),
            delta: openUnit(),
            sampleRate: rate(),
            steps: integer(1),
            accountant: oneOf(CALIBRATION_ACCOUNTANTS).default('rdp'),
            /** Precision of the noise multiplier found. */
            tolerance: positive().default(1e-4),
          })
          .strict(),
        z
          .object({
            kind: z.literal('gaussian'),
            l2Sensitivity: positive().default(1),
            delta: openUnit(),
            calibration: oneOf(['analytic', 'classical'] as const).default('analytic'),
          })
          .strict(),
        z.object({ kind: z.literal('laplace'), l1Sensitivity: positive().default(1) }).strict(),
      ],
      { error: KINDS },
    ),
  })
  .strict();

/** `veil privacy max-steps`: the most DP-SGD steps within a target (epsilon, delta). */
export const PrivacyMaxStepsSpecSchema = z
  .object({
    targetEpsilon: positive(),
    delta: openUnit(),
    sampleRate: rate(),
    noiseMultiplier: positive(),
    accountant: oneOf(CALIBRATION_ACCOUNTANTS).default('rdp'),
  })
  .strict();

export type PrivacyEpsilonSpec = z.output<typeof PrivacyEpsilonSpecSchema>;
export type PrivacyCalibrateSpec = z.output<typeof PrivacyCalibrateSpecSchema>;
export type PrivacyMaxStepsSpec = z.output<typeof PrivacyMaxStepsSpecSchema>;
