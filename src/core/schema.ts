/**
 * Shared zod schemas for privacy parameters at I/O edges (config files, CLI flags, HTTP bodies). Each refuses
 * out-of-range values with a message that names what is allowed.
 */
import { z } from 'zod';

/** epsilon: a finite number > 0. */
export const EpsilonSchema = z.number().finite().gt(0, { message: 'must be a finite number > 0' });
/** delta: a number in (0, 1). */
export const DeltaSchema = z
  .number()
  .gt(0, { message: 'must be in (0, 1)' })
  .lt(1, { message: 'must be in (0, 1)' });
/** A sampling rate in (0, 1]. */
export const SampleRateSchema = z
  .number()
  .gt(0, { message: 'must be in (0, 1]' })
  .lte(1, { message: 'must be in (0, 1]' });
/** A probability in [0, 1]. */
export const ProbabilitySchema = z.number().gte(0).lte(1);
/** A noise multiplier (std / sensitivity): a finite number > 0. */
export const NoiseMultiplierSchema = z.number().finite().gt(0, { message: 'must be a finite number > 0' });
/** A count of steps: an integer >= 1. */
export const StepsSchema = z.number().int().gte(1, { message: 'must be an integer >= 1' });
