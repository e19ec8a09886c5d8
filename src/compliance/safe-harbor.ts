/**
 * A heuristic check of a CSV file against HIPAA's Safe Harbor list (45 CFR §164.514(b)(2)(i)): which columns look
 * like any of the 18 identifier kinds, by their name and by the shape of their values in the scanned rows. The
 * result holds counts and masked shapes ('ddd-dd-dddd'), never a cell value, so it can go into a report as is.
 * It cannot establish de-identification: see docs/compliance.md for what it misses.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { assertInteger, InvalidParameterError } from '../core/index.js';
import {
  isAgeColumn,
  kindFromColumnName,
  maskedShape,
  SAFE_HARBOR_KINDS,
  type SafeHarborKind,
  VALUE_RULES,
} from './identifiers.js';

/** What to check: a CSV file, or CSV text. */
export type SafeHarborInput = { readonly path: string } | { readonly text: string; readonly source?: string };

export interface SafeHarborOptions {
  /** Data rows scanned from the top of the file (default 100,000; the rest is not read). */
  readonly maxRows?: number;
  /**
   * Per-column decoders applied to each cell before the value checks, for coded files: e.g. UCI Adult stores
   * age − 16, so `{ age: (c) => String(Number(c) + 16) }` lets the age check see real ages.
   */
  readonly decode?: Readonly<Record<string, (cell: string) => string>>;
}

/** One column that looks like one identifier kind. */
export interface SafeHarborFinding {
  readonly kind: SafeHarborKind;
  /** The rule's letter, (A)-(R). */
  readonly letter: string;
  readonly column: string;
  readonly basis: 'column name' | 'values' | 'column name and values';
  /** 'high': a specific name or value pattern; 'possible': a weak signal a person should look at. */
  readonly confidence: 'high' | 'possible';
  /** Why, in words (names the pattern, never a value). */
  readonly reason: string;
  /** Scanned rows whose cell matched the value pattern (0 for a name-only finding). */
  readonly matchingRows: number;
  /** Scanned rows with a non-empty cell in this column. */
  readonly nonEmptyRows: number;
  /** The most common masked shape of the matching cells ('ddd-dd-dddd'), or null. */
  readonly shape: string | null;
}

/** Where one kind stands over the whole file. */
export interface SafeHarborKindSummary {
  readonly kind: SafeHarborKind;
  readonly letter: string;
  readonly title: string;
  readonly status: 'flagged' | 'possible' | 'not found';
  readonly columns: readonly string[];
}

/** The check's result: JSON-able, with no cell values in it. */
export interface SafeHarborResult {
  readonly version: 1;
  /** The file's base name, or the source label given with text. */
  readonly source: string;
  readonly columns: readonly string[];
  readonly rowsScanned: number;
  /** True when the file has more rows than were scanned. */
  readonly truncated: boolean;
  /** True when at least one finding has high confidence. */
  readonly flagged: boolean;
  readonly findings: readonly SafeHarborFinding[];
  /** All 18 kinds, in the rule's order. */
  readonly kinds: readonly SafeHarborKindSummary[];
  /** Facts that are not findings (e.g. an age column with no age over 89). */
  readonly notes: readonly string[];
  /** What this check cannot see. */
  readonly limits: readonly string[];
}

const FN = 'safeHarborCheck';
const EMPTY = new Set(['', 'na', 'n/a', 'null', 'none', 'nan', '?', '-']);
const SHORT_INTEGER = /^-?\d{1,4}$/;
const MEASUREMENT = /^-?(\d{1,5}|\d*\.\d+)$/;
const LETTER = new Map<SafeHarborKind, string>(SAFE_HARBOR_KINDS.map((k) => [k.kind, k.letter]));

/** The limits stated with every result. */
export const SAFE_HARBOR_LIMITS: readonly string[] = [
  'Heuristics over column names and whole-cell value patterns: identifiers inside free text, in coded or ' +
    'encrypted columns, or in formats the patterns do not know are missed; a column can also only look like one.',
  'Biometric identifiers (P) and full-face photographs (Q) are found only by column name or image file names, ' +
    'not by content.',
  'Only the scanned rows are checked; a rare value (one age of 90 in a million rows) past them is missed.',
  'Safe Harbor also requires that the covered entity has no actual knowledge that the remaining information ' +
    'could identify an individual (§164.514(b)(2)(ii)); no check of a file can establish that.',
  'Combinations of ordinary columns (quasi-identifiers) can still identify people; Safe Harbor does not ' +
    'cover that risk, Expert Determination does.',
];

function readRows(fn: string, input: SafeHarborInput, maxRows: number): { source: string; rows: string[][] } {
  let text: string;
  let source: string;
  if ('path' in input) {
    if (typeof input.path !== 'string' || input.path === '') {
      throw new InvalidParameterError({ fn, param: 'path', value: input.path, allowed: 'a CSV file path' });
    }
    try {
      text = readFileSync(input.path, 'utf8');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new InvalidParameterError({
        fn,
        param: 'path',
        value: input.path,
        allowed: `a readable CSV file (${typeof code === 'string' ? code : 'unreadable'})`,
      });
    }
    source = basename(input.path);
  } else {
    if (typeof input.text !== 'string') {
      throw new InvalidParameterError({ fn, param: 'text', value: typeof input.text, allowed: 'CSV text' });
    }
    text = input.text;
    source = input.source ?? 'CSV text';
  }
  try {
    const rows = parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      to: maxRows + 2,
    }) as string[][];
    return { source, rows };
  } catch (error) {
    // csv-parse's message quotes the offending line; keep only its code so no cell leaks into an error.
    const code = (error as { code?: unknown }).code;
    throw new InvalidParameterError({
      fn,
      param: 'csv',
      value: `unparseable (${typeof code === 'string' ? code : 'parse error'})`,
      allowed: 'RFC 4180 CSV with a header row',
    });
  }
}

interface ColumnScan {
  nonEmpty: number;
  distinct: Set<string>;
  /** Cells that read as a measurement: a decimal, or an integer of up to 5 digits. */
  measurements: number;
  ruleCounts: Map<number, { count: number; shapes: Map<string, number> }>;
  agesOver89: number;
  ageNumeric: number;
}

function scanColumn(cells: readonly string[], age: boolean): ColumnScan {
  const scan: ColumnScan = {
    nonEmpty: 0,
    distinct: new Set(),
    measurements: 0,
    ruleCounts: new Map(),
    agesOver89: 0,
    ageNumeric: 0,
  };
  for (const cell of cells) {
    if (EMPTY.has(cell.toLowerCase())) continue;
    scan.nonEmpty++;
    scan.distinct.add(cell);
    if (MEASUREMENT.test(cell)) scan.measurements++;
    if (age && /^\d+(\.\d+)?$/.test(cell)) {
      scan.ageNumeric++;
      if (Number(cell) > 89) scan.agesOver89++;
    }
    if (SHORT_INTEGER.test(cell)) continue; // no value rule matches a plain integer of 1-4 digits
    VALUE_RULES.forEach((rule, i) => {
      if (!rule.test(cell)) return;
      const entry = scan.ruleCounts.get(i) ?? { count: 0, shapes: new Map<string, number>() };
      entry.count++;
      const shape = maskedShape(cell);
      entry.shapes.set(shape, (entry.shapes.get(shape) ?? 0) + 1);
      scan.ruleCounts.set(i, entry);
    });
  }
  return scan;
}

function topShape(shapes: ReadonlyMap<string, number>): string | null {
  let best: string | null = null;
  let bestCount = 0;
  for (const [shape, count] of shapes) if (count > bestCount) [best, bestCount] = [shape, count];
  return best;
}

function percent(part: number, whole: number): string {
  return `${whole === 0 ? 0 : Math.round((100 * part) / whole)}%`;
}

/** The value findings of one scanned column, at most one per kind (the rule with the most matches). */
function valueFindings(column: string, scan: ColumnScan): SafeHarborFinding[] {
  const byKind = new Map<SafeHarborKind, SafeHarborFinding>();
  for (const [i, { count, shapes }] of scan.ruleCounts) {
    const rule = VALUE_RULES[i]!;
    const share = count / scan.nonEmpty;
    // A weak pattern (bare five digits) or one that random numbers meet by chance (Luhn: 1 in 10) counts only
    // when most of the column has it; a specific pattern is worth a look even in a few cells.
    const chancy = !rule.strong || rule.what.startsWith('payment card');
    let confidence: SafeHarborFinding['confidence'] | null;
    if (!rule.strong) confidence = share >= 0.9 ? 'possible' : null;
    else if (share >= 0.5) confidence = 'high';
    else confidence = chancy ? null : 'possible';
    if (confidence === null) continue;
    const previous = byKind.get(rule.kind);
    if (previous && previous.matchingRows >= count) continue;
    byKind.set(rule.kind, {
      kind: rule.kind,
      letter: LETTER.get(rule.kind)!,
      column,
      basis: 'values',
      confidence,
      reason: `${count} of ${scan.nonEmpty} non-empty cells (${percent(count, scan.nonEmpty)}) look like ${rule.what}`,
      matchingRows: count,
      nonEmptyRows: scan.nonEmpty,
      shape: topShape(shapes),
    });
  }
  if (scan.agesOver89 > 0) {
    byKind.set('dates', {
      kind: 'dates',
      letter: 'C',
      column,
      basis: 'values',
      confidence: 'high',
      reason:
        `${scan.agesOver89} of ${scan.nonEmpty} non-empty cells hold an age over 89; Safe Harbor allows ages ` +
        "over 89 only as a single '90 or older' category",
      matchingRows: scan.agesOver89,
      nonEmptyRows: scan.nonEmpty,
      shape: 'dd',
    });
  }
  return [...byKind.values()];
}

/**
 * A column unique per row may identify a person (or be a harmless row number). Columns of measurements (decimals,
 * integers up to 5 digits) are left out: in a small sample they are distinct by chance.
 */
function uniquenessFinding(column: string, scan: ColumnScan): SafeHarborFinding | null {
  const unique = scan.nonEmpty >= 20 && scan.distinct.size >= 0.95 * scan.nonEmpty;
  if (!unique || scan.measurements >= 0.5 * scan.nonEmpty) return null;
  return {
    kind: 'other-unique',
    letter: 'R',
    column,
    basis: 'values',
    confidence: 'possible',
    reason:
      `${scan.distinct.size} of ${scan.nonEmpty} non-empty cells are distinct: a value unique per row may ` +
      'identify a person (or be a harmless row number)',
    matchingRows: scan.distinct.size,
    nonEmptyRows: scan.nonEmpty,
    shape: null,
  };
}

function nameFinding(column: string, scan: ColumnScan): SafeHarborFinding | null {
  const hit = kindFromColumnName(column);
  if (hit === null) return null;
  const yearOnly =
    hit.kind === 'dates' &&
    /(^|[^a-z])(year|yr)s?([^a-z]|$)/i.test(column.replace(/([a-z])([A-Z])/g, '$1 $2'));
  const uniqueId = scan.nonEmpty > 0 && scan.distinct.size >= 0.95 * scan.nonEmpty;
  const possible = yearOnly || (hit.kind === 'other-unique' && !uniqueId);
  return {
    kind: hit.kind,
    letter: LETTER.get(hit.kind)!,
    column,
    basis: 'column name',
    confidence: possible ? 'possible' : 'high',
    reason: yearOnly
      ? `the column name contains '${hit.phrase}' with a year: a year alone is allowed unless it indicates an age over 89`
      : `the column name contains '${hit.phrase}'`,
    matchingRows: 0,
    nonEmptyRows: scan.nonEmpty,
    shape: null,
  };
}

function merge(name: SafeHarborFinding | null, values: readonly SafeHarborFinding[]): SafeHarborFinding[] {
  if (name === null) return [...values];
  const same = values.find((v) => v.kind === name.kind);
  const others = values.filter((v) => v !== same);
  if (!same) return [name, ...others];
  return [
    {
      ...same,
      basis: 'column name and values',
      confidence: name.confidence === 'high' || same.confidence === 'high' ? 'high' : 'possible',
      reason: `${name.reason}; ${same.reason}`,
    },
    ...others,
  ];
}

/**
 * Checks a CSV file (header row first) for columns that look like Safe Harbor identifiers.
 *
 * @param input `{ path }` of a CSV file or `{ text, source? }`.
 * @param options `maxRows` scanned (default 100,000), per-column `decode` for coded files.
 * @returns per-column findings with counts and masked shapes, a summary of all 18 kinds, notes and limits.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER on a bad input or unparseable CSV.
 * @example
 * const result = safeHarborCheck({ path: 'adult.csv' }, { decode: { age: (c) => String(Number(c) + 16) } });
 * result.findings.filter((f) => f.confidence === 'high'); // [{ kind: 'dates', column: 'age', … }]
 */
export function safeHarborCheck(input: SafeHarborInput, options: SafeHarborOptions = {}): SafeHarborResult {
  const maxRows = options.maxRows ?? 100_000;
  assertInteger(FN, 'maxRows', maxRows, 1, 100_000_000);
  const { source, rows } = readRows(FN, input, maxRows);
  if (rows.length === 0) {
    throw new InvalidParameterError({ fn: FN, param: 'csv', value: 'empty', allowed: 'a header row' });
  }
  const columns = rows[0]!.map((c) => String(c));
  const data = rows.slice(1, maxRows + 1);
  const truncated = rows.length > maxRows + 1;
  const findings: SafeHarborFinding[] = [];
  const notes: string[] = [];
  columns.forEach((column, j) => {
    const decode = options.decode?.[column];
    const cells = data.map((row) => {
      const cell = row[j] ?? '';
      return decode ? decode(cell) : cell;
    });
    const age = isAgeColumn(column);
    const scan = scanColumn(cells, age);
    const found = merge(nameFinding(column, scan), valueFindings(column, scan));
    if (found.length === 0) {
      const unique = uniquenessFinding(column, scan);
      if (unique) found.push(unique);
    }
    findings.push(...found);
    if (age && scan.agesOver89 === 0) {
      notes.push(
        `column '${column}': no age over 89 in ${scan.ageNumeric} numeric cells of ${data.length} scanned rows` +
          (decode
            ? ' (decoded)'
            : '; if its cells are codes rather than years, pass a decoder and check again'),
      );
    }
  });
  const kinds = SAFE_HARBOR_KINDS.map(({ kind, letter, title }): SafeHarborKindSummary => {
    const hits = findings.filter((f) => f.kind === kind);
    const status = hits.some((f) => f.confidence === 'high')
      ? 'flagged'
      : hits.length > 0
        ? 'possible'
        : 'not found';
    return { kind, letter, title, status, columns: [...new Set(hits.map((f) => f.column))] };
  });
  return {
    version: 1,
    source,
    columns,
    rowsScanned: data.length,
    truncated,
    flagged: findings.some((f) => f.confidence === 'high'),
    findings,
    kinds,
    notes,
    limits: SAFE_HARBOR_LIMITS,
  };
}
