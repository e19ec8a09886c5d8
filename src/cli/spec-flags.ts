/**
 * Command-line flags onto a job's spec: each flag names the spec field it sets, numeric flags are read strictly
 * (`1e-5`, `.5`, `256/60000`; any other text is passed on as text, for the spec to refuse), and the spec's
 * problems come back under the flag the user typed, with the text they typed.
 */
import { ConfigError } from '../core/index.js';
import { renameIssues } from '../jobs/index.js';
import { parseNumber } from './flags.js';

/** One flag bound to a spec field (`privacy.epsilon`). */
export interface FlagBinding {
  readonly flag: string;
  readonly path: string;
  /** The flag's value as commander gave it (undefined: not given). */
  readonly raw: unknown;
  readonly kind: 'number' | 'text' | 'boolean';
  /** The spec value a boolean flag sets when given (default true). */
  readonly value?: unknown;
  /** Only report problems at `path` under this flag; the caller sets the field itself. */
  readonly renameOnly?: boolean;
}

/** Sets `value` at the dotted `path` of `target`, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys[keys.length - 1]!] = value;
}

/** Merges `over` onto `base` (objects recursively, anything else replaced); neither is modified. */
export function mergeSpec(base: unknown, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> =
    typeof base === 'object' && base !== null && !Array.isArray(base)
      ? { ...(base as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null
        ? mergeSpec(b, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/**
 * The spec fields the given flags set, and a way to report spec problems under those flags. With `fromFile`
 * (the spec also came from a config file), only problems in fields a flag set are renamed: the others name the
 * file's field.
 */
export function specFromFlags(
  bindings: readonly FlagBinding[],
  options: { readonly fromFile?: boolean } = {},
): {
  readonly spec: Record<string, unknown>;
  readonly renamed: (error: unknown, context?: string) => unknown;
} {
  const spec: Record<string, unknown> = {};
  for (const b of bindings) {
    if (b.raw === undefined || b.raw === false || b.renameOnly) continue;
    let value: unknown = b.raw;
    if (b.kind === 'number' && typeof b.raw === 'string') {
      const x = parseNumber(b.raw);
      value = Number.isNaN(x) ? b.raw : x;
    } else if (b.kind === 'boolean') value = b.value ?? true;
    setPath(spec, b.path, value);
  }
  const byPath = new Map<string, FlagBinding>();
  for (const b of bindings) {
    if (options.fromFile && (b.raw === undefined || b.raw === false)) continue;
    if (!byPath.has(b.path) || b.raw !== undefined) byPath.set(b.path, b);
  }
  return {
    spec,
    renamed(error, context = 'command-line flags') {
      // an error about none of the flags' fields (a CSV row, a domain entry) keeps its own context
      if (!(error instanceof ConfigError) || !error.issues.some((i) => byPath.has(i.path))) return error;
      return renameIssues(
        error,
        (path) => {
          const b = byPath.get(path);
          if (!b) return undefined;
          return { path: b.flag, value: b.raw };
        },
        context,
      );
    },
  };
}
