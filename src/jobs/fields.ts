/**
 * zod fields the jobs' specs share. Each message is what is allowed, worded so that a ConfigError reads
 * `epsilon: must be a finite number > 0, got -1` (and the CLI `--epsilon: must be …`).
 */
import { z } from 'zod';

const POSITIVE = 'a finite number > 0';
const NON_NEGATIVE = 'a finite number >= 0';
const OPEN_UNIT = 'a number in (0, 1)';
const RATE = 'a number in (0, 1]';

/** A finite number > 0. */
export const positive = () => z.number({ error: POSITIVE }).gt(0, { error: POSITIVE });
/** A finite number >= 0. */
export const nonNegative = () => z.number({ error: NON_NEGATIVE }).gte(0, { error: NON_NEGATIVE });
/** A number in (0, 1): a delta. */
export const openUnit = () =>
  z.number({ error: OPEN_UNIT }).gt(0, { error: OPEN_UNIT }).lt(1, { error: OPEN_UNIT });
/** A number in (0, 1]: a sampling rate. */
export const rate = () => z.number({ error: RATE }).gt(0, { error: RATE }).lte(1, { error: RATE });

/** A safe integer >= min (and <= max). */
export const integer = (min: number, max?: number) => {
  const allowed = max === undefined ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
  const base = z.number({ error: allowed }).int({ error: allowed }).gte(min, { error: allowed });
  return max === undefined ? base : base.lte(max, { error: allowed });
};

/** Non-empty text; `allowed` says what it is. */
export const text = (allowed: string) => z.string({ error: allowed }).min(1, { error: allowed });

/** One of fixed words. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `one of ${values.join(', ')}` });

const ACCOUNT =
  "an account path like 'org/project/dataset': 1-8 '/'-separated segments of letters, digits, '.', '_', '-'";
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * A ledger account path (the ledger's own rule, checked here so a bad path is a config problem named by its
 * field, not the ledger's refusal of an argument).
 */
export const accountPath = () =>
  z
    .string({ error: ACCOUNT })
    .refine((p) => p.split('/').length <= 8 && p.split('/').every((s) => SEGMENT.test(s)), {
      error: ACCOUNT,
    });

const DATE = 'an ISO date such as 2027-12-31';
/** A date as the ledger reads it (Date.parse), e.g. 2027-12-31. */
export const isoDate = () =>
  z.string({ error: DATE }).refine((s) => s !== '' && !Number.isNaN(Date.parse(s)), { error: DATE });
