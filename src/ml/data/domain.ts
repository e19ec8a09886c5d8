/**
 * Domain files: the public description of a table's columns, declared before the data is read, so that the
 * encoding (one-hot widths, numeric scaling bounds) reveals nothing about the private rows.
 *
 * A domain is a JSON object from column name to entry (columns are matched by name, in any order):
 * - `N` (a positive integer; the private-pgm / hd-datasets format): a categorical column whose cells are the
 *   integer codes `0 .. N-1`;
 * - `{ "type": "categorical", "size": N }`: the same, spelled out;
 * - `{ "type": "categorical", "values": ["a", "b", ...] }`: string categories, encoded in the declared order;
 * - `{ "type": "numeric", "min": a, "max": b }`: a numeric column with public bounds `a < b`; cells are
 *   clipped to `[a, b]` and scaled linearly (to `[0, 1]` by default).
 * An object entry may carry a `"description"` string, which is ignored.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue, InvalidParameterError } from '../../core/index.js';

/** One entry of a domain file, as written in JSON. */
export type DomainEntry =
  | number
  | { readonly type: 'categorical'; readonly size: number; readonly description?: string }
  | { readonly type: 'categorical'; readonly values: readonly string[]; readonly description?: string }
  | { readonly type: 'numeric'; readonly min: number; readonly max: number; readonly description?: string };

/** A domain as written in JSON: column name → entry. */
export type DomainSpec = Readonly<Record<string, DomainEntry>>;

/** The categories of a categorical column: integer codes `0 .. size-1`, or named values in a fixed order. */
export type CategorySpec =
  | { readonly kind: 'codes'; readonly size: number }
  | { readonly kind: 'values'; readonly values: readonly string[] };

/** A validated, normalised domain entry. */
export type ColumnDomain =
  | { readonly type: 'categorical'; readonly categories: CategorySpec }
  | { readonly type: 'numeric'; readonly min: number; readonly max: number };

/** A validated domain: column name → normalised entry. */
export type Domain = ReadonlyMap<string, ColumnDomain>;

const OBJECT_KEYS: Readonly<Record<string, readonly string[]>> = {
  categorical: ['type', 'size', 'values', 'description'],
  numeric: ['type', 'min', 'max', 'description'],
};

/**
 * Validates a domain object (parsed JSON or a literal) and normalises its entries. Every bad entry is
 * reported at once, each with its path (`domain.age`, `domain.age.max`).
 * @param value the parsed JSON
 * @param context what the error message calls the source, e.g. the file path
 * @throws {ConfigError} VEIL_CONFIG_INVALID listing every bad entry
 * @example parseDomain({ age: { type: 'numeric', min: 17, max: 90 }, sex: 2 }).get('sex');
 */
export function parseDomain(value: unknown, context = 'domain'): Domain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(
      [{ path: 'domain', value, allowed: 'a JSON object of column name → entry' }],
      context,
    );
  }
  const issues: ConfigIssue[] = [];
  const out = new Map<string, ColumnDomain>();
  for (const [column, entry] of Object.entries(value)) {
    const parsed = parseEntry(`domain.${column}`, entry, issues);
    if (parsed !== undefined) out.set(column, Object.freeze(parsed));
  }
  if (issues.length > 0) throw new ConfigError(issues, context);
  return out;
}

/**
 * Reads and validates a domain JSON file.
 * @param path the file
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when the file cannot be read
 * @throws {ConfigError} VEIL_CONFIG_INVALID when it is not valid JSON or has a bad entry
 * @example const domain = loadDomainFile('../shared/datasets/adult/adult-domain.json');
 */
export function loadDomainFile(path: string): Domain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidParameterError({
      fn: 'loadDomainFile',
      param: 'path',
      value: path,
      allowed: `a readable domain JSON file (${errorCode(error)})`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      [{ path: 'domain', value: path, allowed: `a valid JSON file (${reason})` }],
      `domain file ${path}`,
    );
  }
  return parseDomain(json, `domain file ${path}`);
}

/** A human-readable description of a domain entry, for error messages. */
export function describeCategories(categories: CategorySpec): string {
  return categories.kind === 'codes'
    ? `an integer code in [0, ${categories.size - 1}]`
    : `one of the declared values (${categories.values.length}: ${preview(categories.values)})`;
}

function parseEntry(path: string, entry: unknown, issues: ConfigIssue[]): ColumnDomain | undefined {
  if (typeof entry === 'number') {
    if (!Number.isSafeInteger(entry) || entry < 1) {
      issues.push({ path, value: entry, allowed: 'a number of codes: an integer >= 1' });
      return undefined;
    }
    return { type: 'categorical', categories: { kind: 'codes', size: entry } };
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    issues.push({ path, value: entry, allowed: ENTRY_FORMS });
    return undefined;
  }
  const record = entry as Record<string, unknown>;
  const type = record['type'];
  if (type !== 'categorical' && type !== 'numeric') {
    issues.push({ path: `${path}.type`, value: type, allowed: "'categorical' or 'numeric'" });
    return undefined;
  }
  const before = issues.length;
  for (const key of Object.keys(record)) {
    if (!OBJECT_KEYS[type]!.includes(key)) {
      issues.push({
        path: `${path}.${key}`,
        value: record[key],
        allowed: `absent (a ${type} entry has no ${key})`,
      });
    }
  }
  if (record['description'] !== undefined && typeof record['description'] !== 'string') {
    issues.push({ path: `${path}.description`, value: record['description'], allowed: 'a string' });
  }
  const result =
    type === 'numeric' ? parseNumeric(path, record, issues) : parseCategorical(path, record, issues);
  return issues.length === before ? result : undefined;
}

function parseNumeric(path: string, record: Record<string, unknown>, issues: ConfigIssue[]): ColumnDomain {
  const { min, max } = record;
  if (typeof min !== 'number' || !Number.isFinite(min)) {
    issues.push({ path: `${path}.min`, value: min, allowed: 'a finite number' });
  }
  if (typeof max !== 'number' || !Number.isFinite(max)) {
    issues.push({ path: `${path}.max`, value: max, allowed: 'a finite number' });
  } else if (typeof min === 'number' && Number.isFinite(min) && !(max > min)) {
    issues.push({ path: `${path}.max`, value: max, allowed: `a finite number > min (${min})` });
  }
  return { type: 'numeric', min: min as number, max: max as number };
}

function parseCategorical(
  path: string,
  record: Record<string, unknown>,
  issues: ConfigIssue[],
): ColumnDomain {
  const { size, values } = record;
  if ((size === undefined) === (values === undefined)) {
    issues.push({
      path,
      value: record,
      allowed: 'exactly one of "size" or "values" for a categorical entry',
    });
    return { type: 'categorical', categories: { kind: 'codes', size: 1 } };
  }
  if (size !== undefined) {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
      issues.push({ path: `${path}.size`, value: size, allowed: 'an integer >= 1' });
    }
    return { type: 'categorical', categories: { kind: 'codes', size: size as number } };
  }
  if (!Array.isArray(values) || values.length === 0) {
    issues.push({ path: `${path}.values`, value: values, allowed: 'a non-empty array of distinct strings' });
    return { type: 'categorical', categories: { kind: 'values', values: [] } };
  }
  const seen = new Set<string>();
  values.forEach((v: unknown, i) => {
    if (typeof v !== 'string') {
      issues.push({ path: `${path}.values[${i}]`, value: v, allowed: 'a string' });
    } else if (seen.has(v.trim())) {
      issues.push({
        path: `${path}.values[${i}]`,
        value: v,
        allowed: 'a value not declared before (distinct)',
      });
    } else {
      seen.add(v.trim());
    }
  });
  // Cells are trimmed when a CSV is read, so declared values are compared trimmed too.
  const trimmed = Object.freeze(values.map((v: unknown) => String(v).trim()));
  return { type: 'categorical', categories: { kind: 'values', values: trimmed } };
}

const ENTRY_FORMS =
  'a number of codes N, {"type":"categorical","size":N}, {"type":"categorical","values":[...]} or ' +
  '{"type":"numeric","min":a,"max":b}';

function preview(values: readonly string[]): string {
  const shown = values.slice(0, 8).map((v) => JSON.stringify(v));
  return values.length > 8 ? `${shown.join(', ')}, ...` : shown.join(', ');
}

/** The `code` of a node:fs error (`ENOENT`, `EISDIR`, ...), or its message. */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) return String(error.code);
  return error instanceof Error ? error.message : String(error);
}
