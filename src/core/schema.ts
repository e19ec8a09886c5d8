/**
 * Shared zod schemas for privacy parameters at I/O edges (config files, CLI flags, HTTP bodies), and the one way
 * to turn a schema's problems into {@link ConfigIssue}s worded as what is allowed (`a number <= 65535`), never
 * in zod's own words (`Too big: expected number to be <=65535`): zod's wording names its types and checks, not
 * what the user may write.
 */
import { z } from 'zod';
import type { ConfigIssue } from './errors.js';

/** epsilon: a finite number > 0. */
export const EpsilonSchema = z.number().finite().gt(0, { message: 'a finite number > 0' });
/** delta: a number in (0, 1). */
export const DeltaSchema = z
  .number()
  .gt(0, { message: 'a number in (0, 1)' })
  .lt(1, { message: 'a number in (0, 1)' });
/** A sampling rate in (0, 1]. */
export const SampleRateSchema = z
  .number()
  .gt(0, { message: 'a number in (0, 1]' })
  .lte(1, { message: 'a number in (0, 1]' });
/** A probability in [0, 1]. */
export const ProbabilitySchema = z.number().gte(0).lte(1);
/** A noise multiplier (std / sensitivity): a finite number > 0. */
export const NoiseMultiplierSchema = z.number().finite().gt(0, { message: 'a finite number > 0' });
/** A count of steps: an integer >= 1. */
export const StepsSchema = z.number().int().gte(1, { message: 'an integer >= 1' });

const TYPES: Readonly<Record<string, string>> = {
  number: 'a number',
  int: 'an integer',
  bigint: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping of keys to values',
  record: 'a mapping of keys to values',
  map: 'a mapping of keys to values',
  array: 'a list',
  tuple: 'a list',
  set: 'a list of distinct values',
  date: 'a date',
  null: 'null',
  undefined: 'absent',
  never: 'absent',
};

const SIZES: Readonly<Record<string, string>> = {
  string: 'characters',
  array: 'items',
  set: 'items',
  file: 'bytes',
};

/**
 * What a schema allows, in Veil's words, for each kind of problem zod finds; schemas that state their own
 * message (`z.number({ error: 'a finite number > 0' })`) keep it. Pass it as the `error` of a parse.
 */
export const allowedMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      const finite = issue.expected === 'number' && typeof issue.input === 'number';
      return finite ? 'a finite number' : (TYPES[issue.expected] ?? `a ${issue.expected}`);
    }
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const bound = big ? issue.maximum : issue.minimum;
      const unit = SIZES[issue.origin];
      if (unit === undefined) {
        const kind = issue.origin === 'date' ? 'a date' : 'a number';
        return `${kind} ${big ? '<' : '>'}${issue.inclusive ? '=' : ''} ${String(bound)}`;
      }
      if (!big && Number(bound) === 1 && unit !== 'bytes')
        return issue.origin === 'string' ? 'a non-empty string' : 'a non-empty list';
      return `${big ? 'at most' : 'at least'} ${String(bound)} ${unit}`;
    }
    case 'invalid_format':
      if (issue.format === 'url') return 'a URL such as https://host:7443';
      if (issue.format === 'regex' && issue.pattern) return `a string matching ${issue.pattern}`;
      return `a valid ${issue.format}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? JSON.stringify(issue.values[0])
        : `one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue && Array.isArray(issue.options))
        return `one of ${(issue.options as unknown[]).map((v) => String(v)).join(', ')}`;
      const branches = [...new Set(issue.errors.map((e) => e[0]?.message).filter((m) => m !== undefined))];
      return branches.length > 0 ? branches.join(', or ') : 'one of the allowed forms';
    }
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return 'absent (not a known field)';
    case 'invalid_key':
      return 'a mapping with valid keys';
    case 'invalid_element':
      return 'a collection of valid entries';
    default:
      return undefined;
  }
};

/** The value at `path` inside `raw` (undefined where it is missing). */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const key of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[key];
  return v;
}

/** Where the problems of {@link checkSchema} are reported. */
export interface IssuePaths {
  /** Put before every path (`federation` for a config file's federation section); default none. */
  readonly prefix?: string;
  /** The path of a problem with the whole value (it is not an object at all); default `(top level)`. */
  readonly root?: string;
}

/**
 * Parses `raw` with `schema`, reporting every problem at once as a {@link ConfigIssue}: its dotted path (each
 * unknown key at its own path), the value found there, and what is allowed there in Veil's words
 * ({@link allowedMessage}).
 */
export function checkSchema<T extends z.ZodType>(
  schema: T,
  raw: unknown,
  where: IssuePaths = {},
):
  | { readonly data: z.output<T>; readonly issues: readonly [] }
  | { readonly issues: readonly ConfigIssue[] } {
  const r = schema.safeParse(raw, { error: allowedMessage });
  if (r.success) return { data: r.data, issues: [] };
  const name = (path: readonly PropertyKey[]) => {
    const dotted = [where.prefix, ...path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    return dotted === '' ? (where.root ?? '(top level)') : dotted;
  };
  const issues: ConfigIssue[] = r.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({
          path: name([...i.path, key]),
          value: valueAt(raw, [...i.path, key]),
          allowed: 'absent (not a known field)',
        }))
      : // a schema's own message may start with "must be" (the issue adds it): said once
        [{ path: name(i.path), value: valueAt(raw, i.path), allowed: i.message.replace(/^must be /, '') }],
  );
  return { issues };
}
