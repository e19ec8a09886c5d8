/**
 * Applying an {@link Encoder} to parsed CSV rows: every cell is checked against its column's declared
 * categories or numeric type, and every problem (up to {@link MAX_LISTED_ISSUES}) is reported with its row,
 * column and value before anything is returned.
 */
import { ConfigError, type ConfigIssue } from '../../core/index.js';
import { type CategorySpec, describeCategories } from './domain.js';
import type { Encoder } from './encoder.js';
import { isNonFiniteNumberCell, parseDecimal, scaleValue } from './encoding.js';

/** A parsed CSV: trimmed header names and rows of trimmed cells, each row as long as the header. */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** What error messages call the table, e.g. `CSV /data/adult.csv`. */
  readonly source: string;
}

/** The encoded rows of a table. */
export interface EncodedTable {
  readonly features: Float32Array;
  /** Class indices; absent when encoding features only. */
  readonly labels?: Int32Array;
  readonly numExamples: number;
  /** Rows dropped because their label was one of `encoder.label.skipValues`. */
  readonly skippedRows: number;
}

/** At most this many problems are listed in one error; the message gives the total. */
export const MAX_LISTED_ISSUES = 10;

/** Collects problems, listing the first few and counting the rest. */
export class IssueList {
  readonly listed: ConfigIssue[] = [];
  total = 0;
  add(issue: ConfigIssue): void {
    this.total++;
    if (this.listed.length < MAX_LISTED_ISSUES) this.listed.push(issue);
  }
  /** Throws a ConfigError when any problem was added. */
  throwIfAny(source: string): void {
    if (this.total === 0) return;
    const more =
      this.total > this.listed.length ? ` (first ${this.listed.length} of ${this.total} problems)` : '';
    throw new ConfigError(this.listed, `${source}${more}`);
  }
}

/** A function from a trimmed cell to its category index, or -1 when the cell is not a declared category. */
export function categoryLookup(categories: CategorySpec): (cell: string) => number {
  if (categories.kind === 'codes') {
    const { size } = categories;
    return (cell) => {
      if (!/^\d+$/.test(cell)) return -1;
      const code = Number(cell);
      return code < size ? code : -1;
    };
  }
  const index = new Map(categories.values.map((v, i) => [v, i]));
  return (cell) => index.get(cell) ?? -1;
}

/**
 * Encodes the rows of `table` with `encoder`. With `withLabels`, rows whose label is a skip value are dropped
 * and the others get class indices; without, the label column is not needed and every row is kept.
 * @throws {ConfigError} VEIL_CONFIG_INVALID when a column is missing or a cell does not fit its column
 */
export function encodeTable(
  encoder: Encoder,
  table: Table,
  options: { readonly withLabels: boolean },
): EncodedTable {
  const issues = new IssueList();
  const position = new Map(table.header.map((name, i) => [name, i]));
  const needed = [...encoder.columns.map((c) => c.name), ...(options.withLabels ? [encoder.label.name] : [])];
  for (const name of needed) {
    if (!position.has(name)) {
      issues.add({
        path: `header.${name}`,
        value: undefined,
        allowed: `a column named ${JSON.stringify(name)}`,
      });
    }
  }
  issues.throwIfAny(table.source);

  const keep = new Uint8Array(table.rows.length).fill(1);
  let labels: Int32Array | undefined;
  let numExamples = table.rows.length;
  if (options.withLabels) {
    const result = encodeLabels(encoder, table, position.get(encoder.label.name)!, keep, issues);
    labels = result;
    numExamples = result.length;
  }

  const width = encoder.width;
  const features = new Float32Array(numExamples * width);
  for (const column of encoder.columns) {
    const at = position.get(column.name)!;
    const lookup = column.type === 'categorical' ? categoryLookup(column.categories) : undefined;
    for (let r = 0, k = 0; r < table.rows.length; r++) {
      if (keep[r] === 0) continue;
      const cell = table.rows[r]![at]!;
      const base = k++ * width + column.offset;
      if (column.type === 'numeric') {
        const x = parseDecimal(cell);
        if (Number.isNaN(x))
          issues.add({ path: `rows[${r}].${column.name}`, value: cell, allowed: numericAllowed(cell) });
        else features[base] = scaleValue(x, column.min, column.max, column.scaling);
      } else {
        const c = lookup!(cell);
        if (c < 0) {
          issues.add({
            path: `rows[${r}].${column.name}`,
            value: cell,
            allowed: `${describeCategories(column.categories)} (${column.provenance === 'declared' ? 'declared in the domain' : 'categories fitted on the training data'})`,
          });
        } else {
          features[base + c] = 1;
        }
      }
    }
  }
  issues.throwIfAny(table.source);
  return {
    features,
    ...(labels === undefined ? {} : { labels }),
    numExamples,
    skippedRows: table.rows.length - numExamples,
  };
}

function encodeLabels(
  encoder: Encoder,
  table: Table,
  at: number,
  keep: Uint8Array,
  issues: IssueList,
): Int32Array {
  const { label } = encoder;
  const skip = new Set(label.skipValues);
  const lookup = categoryLookup(label.categories);
  // Category index → class index (-1 for a skipped category).
  const classOf = new Map<number, number>();
  const classIndex = new Map(label.classes.map((c, i) => [c, i]));
  const out: number[] = [];
  for (let r = 0; r < table.rows.length; r++) {
    const cell = table.rows[r]![at]!;
    if (skip.has(cell)) {
      keep[r] = 0;
      continue;
    }
    const c = lookup(cell);
    if (c < 0) {
      keep[r] = 0;
      issues.add({
        path: `rows[${r}].${label.name}`,
        value: cell,
        allowed: `a class label: ${describeCategories(label.categories)}`,
      });
      continue;
    }
    let y = classOf.get(c);
    if (y === undefined) {
      const name = label.categories.kind === 'codes' ? String(c) : label.categories.values[c]!;
      y = classIndex.get(name) ?? -1;
      classOf.set(c, y);
    }
    if (y < 0) keep[r] = 0;
    else out.push(y);
  }
  return Int32Array.from(out);
}

function numericAllowed(cell: string): string {
  if (cell === '') return 'a finite number (the cell is empty: numeric columns have no missing values)';
  if (isNonFiniteNumberCell(cell)) return 'a finite number (NaN and infinities are refused)';
  return 'a finite decimal number (the column is numeric)';
}
