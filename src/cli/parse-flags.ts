/**
 * A command's flags parsed into its job's spec, with every problem reported at once: the spec's problems under
 * the flag the user typed (with the text they typed), and the command's own (a file it could not read, flags
 * that exclude each other), listed in the order of the command's flags.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/index.js';
import { parseSpec } from '../jobs/index.js';
import { type FlagBinding, setPath, specFromFlags } from './spec-flags.js';

/** A flag bound to a spec field, with what it accepts in the user's terms where the spec's wording does not fit. */
export interface FlagField extends FlagBinding {
  readonly allowed?: string;
}

export interface ParseFlagsOptions {
  /** Spec values the command made from its flags (a file's content), by dotted spec path (undefined: none). */
  readonly values?: Readonly<Record<string, unknown>>;
  /** The command's own problems with its flags. A field missing because of one is not reported again. */
  readonly issues?: readonly ConfigIssue[];
}

/** A flag whose text is read as a number (1e-5, .5, 256/60000) for the spec field at `path`. */
export const numberFlag = (flag: string, path: string, raw: unknown): FlagField => ({
  flag,
  path,
  raw,
  kind: 'number',
});

/** A flag whose text (or repeated texts) is the spec field at `path`. */
export const textFlag = (flag: string, path: string, raw: unknown): FlagField => ({
  flag,
  path,
  raw,
  kind: 'text',
});

const CONTEXT = 'command-line flags';

/**
 * Parses the flags into `schema`'s spec.
 * @returns the spec, and `renamed`, which puts a job's ConfigError about a flag's field under that flag
 * @throws {ConfigError} VEIL_CONFIG_INVALID listing every problem, in the order of `fields`
 */
export function parseFlags<T extends z.ZodType>(
  schema: T,
  fields: readonly FlagField[],
  options: ParseFlagsOptions = {},
): { readonly spec: z.output<T>; readonly renamed: (error: unknown) => unknown } {
  const { spec: raw } = specFromFlags(fields);
  for (const [path, value] of Object.entries(options.values ?? {}))
    if (value !== undefined) setPath(raw, path, value);
  const byPath = new Map<string, FlagField>();
  for (const f of fields) if (!byPath.has(f.path) || f.raw !== undefined) byPath.set(f.path, f);
  const toFlag = (i: ConfigIssue): ConfigIssue => {
    const f = byPath.get(i.path);
    return f ? { path: f.flag, value: f.raw, allowed: f.allowed ?? i.allowed } : i;
  };

  const own = options.issues ?? [];
  const withOwn = new Set(own.map((i) => i.path));
  let issues: ConfigIssue[] = [...own];
  let spec: z.output<T> | undefined;
  try {
    spec = parseSpec(schema, raw, CONTEXT);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const missingForOwn = (i: ConfigIssue) =>
      i.value === undefined && withOwn.has(byPath.get(i.path)?.flag ?? '');
    issues = [...issues, ...err.issues.filter((i) => !missingForOwn(i)).map(toFlag)];
  }
  if (spec === undefined || issues.length > 0) {
    const order = (i: ConfigIssue) => {
      const at = fields.findIndex((f) => f.flag === i.path);
      return at < 0 ? fields.length : at;
    };
    throw new ConfigError(
      issues.sort((a, b) => order(a) - order(b)),
      CONTEXT,
    );
  }
  return {
    spec,
    renamed(error) {
      if (!(error instanceof ConfigError) || !error.issues.some((i) => byPath.has(i.path))) return error;
      return new ConfigError(error.issues.map(toFlag), CONTEXT);
    },
  };
}

/**
 * The content of the JSON file a flag names, for the spec; or undefined, with the problem in `issues`: the file
 * cannot be read or parsed (`what` says what it should be), or, with `required`, the flag is missing. The flag's
 * field takes `renameOnly` and the content comes in {@link ParseFlagsOptions.values}, so the spec's problems with
 * the content are reported under the flag, and a field left empty by a problem here is not reported twice.
 */
export function readJsonFlag(
  flag: string,
  file: string | undefined,
  what: string,
  issues: ConfigIssue[],
  required?: string,
): unknown {
  if (file === undefined) {
    if (required !== undefined) issues.push({ path: flag, value: undefined, allowed: required });
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    issues.push({ path: flag, value: file, allowed: `${what} (${(err as Error).message})` });
    return undefined;
  }
}
