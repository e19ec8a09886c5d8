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
 *   A numeric entry may also declare bins, which synthetic data needs (`veil train` ignores them):
 *   `"bins": K` (K equal-width bins over `[min, max]`, an integer in `[1, 100000]`) or `"edges": [e0, ..., eK]`
 *   (strictly increasing finite numbers; `min` and `max` may then be left out, and must equal `e0` and `eK` when
 *   given). Bins are right-open, `[e_i, e_{i+1})`, the last one closed at `max`. `"integer": true` says the
 *   column holds whole numbers (synthetic values are then whole numbers; every bin must hold one).
 * An object entry may carry a `"description"` string, which is ignored.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue, InvalidParameterError } from '../../core/index.js';

/** One entry of a domain file, as written in JSON. */
export type DomainEntry =
  | number
  | { readonly type: 'categorical'; readonly size: number; readonly description?: string }
  | { readonly type: 'categorical'; readonly values: readonly string[]; readonly description?: string }
  | {
      readonly type: 'numeric';
      /** Required unless `edges` is given (then it is the first edge). */
      readonly min?: number;
      /** Required unless `edges` is given (then it is the last edge). */
      readonly max?: number;
      /** Equal-width bins over `[min, max]`: an integer in `[1, MAX_BINS]`. At most one of `bins`, `edges`. */
      readonly bins?: number;
      /** Bin edges `e0 < e1 < ... < eK`. */
      readonly edges?: readonly number[];
      /** The column holds whole numbers. */
      readonly integer?: boolean;
      readonly description?: string;
    };

/** A domain as written in JSON: column name → entry. */
export type DomainSpec = Readonly<Record<string, DomainEntry>>;

/** The categories of a categorical column: integer codes `0 .. size-1`, or named values in a fixed order. */
export type CategorySpec =
  | { readonly kind: 'codes'; readonly size: number }
  | { readonly kind: 'values'; readonly values: readonly string[] };

/** A validated, normalised domain entry. */
export type ColumnDomain =
  | { readonly type: 'categorical'; readonly categories: CategorySpec }
  | NumericDomain;

/**
 * A validated numeric entry: public bounds, and, when declared, its bins as edges `min = e0 < ... < eK = max`
 * (right-open bins, the last closed at `max`; `"bins": K` is normalised to its K + 1 equal-width edges).
 * `integer` is present (true) only when declared so.
 */
export interface NumericDomain {
  readonly type: 'numeric';
  readonly min: number;
  readonly max: number;
  readonly edges?: readonly number[];
  readonly integer?: true;
}

/** The largest number of bins a numeric entry may declare. */
export const MAX_BINS = 100_000;

/** A validated domain: column name → normalised entry. */
export type Domain = ReadonlyMap<string, ColumnDomain>;

const OBJECT_KEYS: Readonly<Record<string, readonly string[]>> = {
  categorical: ['type', 'size', 'values', 'description'],
  numeric: ['type', 'min', 'max', 'bins', 'edges', 'integer', 'description'],
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
  const { min, max, bins, edges, integer } = record;
  if (bins !== undefined && edges !== undefined) {
    issues.push({
      path,
      value: { bins, edges: Array.isArray(edges) ? `${edges.length} edges` : edges },
      allowed: 'at most one of "bins" (equal-width bins over [min, max]) or "edges"',
    });
  }
  const declaredEdges = edges === undefined ? undefined : parseEdges(`${path}.edges`, edges, issues);
  const bound = (key: 'min' | 'max', value: unknown, edge: number | undefined): number | undefined => {
    const which = key === 'min' ? 'first' : 'last';
    // With "edges", a bound may be left out; a bad "edges" list has been reported already.
    if (value === undefined && edges !== undefined) return edge;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const allowed =
        edges === undefined ? 'a finite number' : `a finite number, or absent (the ${which} edge)`;
      issues.push({ path: `${path}.${key}`, value, allowed });
      return undefined;
    }
    if (edge !== undefined && value !== edge) {
      issues.push({ path: `${path}.${key}`, value, allowed: `the ${which} edge (${edge}), or absent` });
      return undefined;
    }
    return value;
  };
  const lo = bound('min', min, declaredEdges?.[0]);
  const hi = bound('max', max, declaredEdges?.at(-1));
  const bounded = lo !== undefined && hi !== undefined && hi > lo;
  if (lo !== undefined && hi !== undefined && !bounded)
    issues.push({ path: `${path}.max`, value: max, allowed: `a finite number > min (${lo})` });

  let binEdges = declaredEdges;
  if (bins !== undefined) {
    if (typeof bins !== 'number' || !Number.isSafeInteger(bins) || bins < 1 || bins > MAX_BINS) {
      issues.push({
        path: `${path}.bins`,
        value: bins,
        allowed: `an integer in [1, ${MAX_BINS}] (the number of equal-width bins over [min, max])`,
      });
    } else if (bounded) {
      binEdges = equalWidthEdges(lo, hi, bins);
      if (binEdges === undefined)
        issues.push({
          path: `${path}.bins`,
          value: bins,
          allowed: `fewer bins: ${bins} equal-width bins over [${lo}, ${hi}] are narrower than floating-point resolution`,
        });
    }
  }
  if (integer !== undefined && typeof integer !== 'boolean')
    issues.push({ path: `${path}.integer`, value: integer, allowed: 'true or false' });
  if (integer === true && binEdges !== undefined) {
    const empty = binWithoutWholeNumber(binEdges);
    if (empty >= 0) {
      const last = empty === binEdges.length - 2;
      const bin = `${empty}, [${binEdges[empty]}, ${binEdges[empty + 1]}${last ? ']' : ')'}`;
      issues.push({
        path: `${path}.${bins !== undefined ? 'bins' : 'edges'}`,
        value: bins ?? `${binEdges.length} edges`,
        allowed: `bins that each hold a whole number, as "integer": true asks (bin ${bin} holds none)`,
      });
    }
  }
  return {
    type: 'numeric',
    min: lo as number,
    max: hi as number,
    ...(binEdges !== undefined ? { edges: Object.freeze(binEdges) } : {}),
    ...(integer === true ? { integer: true } : {}),
  };
}

/** At most this many bad edges of one entry are listed. */
const MAX_EDGE_ISSUES = 10;

/** The declared edges, or undefined (with issues) unless they are 2 .. MAX_BINS + 1 increasing finite numbers. */
function parseEdges(path: string, edges: unknown, issues: ConfigIssue[]): number[] | undefined {
  if (!Array.isArray(edges) || edges.length < 2 || edges.length > MAX_BINS + 1) {
    issues.push({
      path,
      value: Array.isArray(edges) ? `${edges.length} edges` : edges,
      allowed: `an array of 2 to ${MAX_BINS + 1} bin edges (strictly increasing finite numbers)`,
    });
    return undefined;
  }
  let bad = 0;
  edges.forEach((edge: unknown, i) => {
    const previous: unknown = edges[i - 1];
    let allowed: string | undefined;
    if (typeof edge !== 'number' || !Number.isFinite(edge)) allowed = 'a finite number';
    else if (typeof previous === 'number' && Number.isFinite(previous) && !(edge > previous))
      allowed = `a number > the previous edge (${previous}): edges strictly increase`;
    if (allowed === undefined) return;
    if (bad++ < MAX_EDGE_ISSUES) issues.push({ path: `${path}[${i}]`, value: edge, allowed });
  });
  return bad === 0 ? (edges as number[]) : undefined;
}

/**
 * The K + 1 edges of K equal-width bins over [lo, hi] (the last one exactly hi), or undefined when rounding makes
 * two of them equal (bins narrower than the doubles between lo and hi).
 */
function equalWidthEdges(lo: number, hi: number, bins: number): number[] | undefined {
  const width = hi - lo;
  const edges = new Array<number>(bins + 1);
  for (let i = 0; i <= bins; i++) {
    const t = i / bins;
    // lo + width·t, or a convex combination when hi − lo overflows (bounds near ±1.8e308)
    edges[i] = Number.isFinite(width) ? lo + width * t : lo * (1 - t) + hi * t;
  }
  edges[bins] = hi;
  for (let i = 1; i <= bins; i++) if (!(edges[i]! > edges[i - 1]!)) return undefined;
  return edges;
}

/** The first bin (right-open, the last closed) that holds no whole number, or -1. */
function binWithoutWholeNumber(edges: readonly number[]): number {
  const k = edges.length - 1;
  for (let i = 0; i < k; i++) {
    const first = Math.ceil(edges[i]!);
    if (!(first < edges[i + 1]! || (i === k - 1 && first <= edges[k]!))) return i;
  }
  return -1;
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
  '{"type":"numeric","min":a,"max":b} (optionally with "bins":K or "edges":[...], and "integer":true)';

function preview(values: readonly string[]): string {
  const shown = values.slice(0, 8).map((v) => JSON.stringify(v));
  return values.length > 8 ? `${shown.join(', ')}, ...` : shown.join(', ');
}

/** The `code` of a node:fs error (`ENOENT`, `EISDIR`, ...), or its message. */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) return String(error.code);
  return error instanceof Error ? error.message : String(error);
}
