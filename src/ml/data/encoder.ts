/**
 * The fitted schema of a tabular dataset: which CSV columns become which features (one-hot slots or a scaled
 * number), and which column is the label with which classes. An {@link Encoder} is plain JSON data:
 * `JSON.stringify(encoder)` saves it, {@link parseEncoder} reads it back, and `encodeCsv` applies it to new rows
 * (a test set, rows to predict), so training, evaluation and model export share one preprocessing.
 */
import { ConfigError, type ConfigIssue } from '../../core/index.js';
import type { CategorySpec } from './domain.js';
import { NUMERIC_SCALINGS, type NumericScaling } from './encoding.js';

/** Where a column's encoding came from: declared before reading the data, or computed from the data. */
export type ColumnProvenance = 'declared' | 'inferred-from-data';

/** A categorical feature column: one-hot slots `offset .. offset + width - 1`. */
export interface CategoricalColumnEncoding {
  readonly name: string;
  readonly type: 'categorical';
  readonly categories: CategorySpec;
  readonly offset: number;
  /** The number of categories. */
  readonly width: number;
  readonly provenance: ColumnProvenance;
}

/** A numeric feature column: the value clipped to `[min, max]` and scaled (or kept, `'none'`), in slot `offset`. */
export interface NumericColumnEncoding {
  readonly name: string;
  readonly type: 'numeric';
  readonly min: number;
  readonly max: number;
  readonly scaling: NumericScaling;
  readonly offset: number;
  readonly width: 1;
  readonly provenance: ColumnProvenance;
}

/** One feature column of an {@link Encoder}. */
export type ColumnEncoding = CategoricalColumnEncoding | NumericColumnEncoding;

/** The label column: its categories, the cells that mean "unlabelled" (rows dropped), and the classes. */
export interface LabelEncoding {
  readonly name: string;
  readonly categories: CategorySpec;
  /** Cells (after trimming) whose rows are dropped as unlabelled, e.g. Titanic's `"2"` (unknown). */
  readonly skipValues: readonly string[];
  /** Class names in class-index order: the categories (as cell text) without the skipped ones. */
  readonly classes: readonly string[];
  readonly provenance: ColumnProvenance;
}

/** The fitted schema of a tabular dataset, saved as JSON. */
export interface Encoder {
  readonly format: 'veil-tabular-encoder';
  readonly version: 1;
  readonly label: LabelEncoding;
  /** Feature columns in feature order. */
  readonly columns: readonly ColumnEncoding[];
  /** Total number of features: the sum of the column widths. */
  readonly width: number;
}

/** A column before offsets are assigned. */
export type ColumnPlan =
  | {
      readonly name: string;
      readonly type: 'categorical';
      readonly categories: CategorySpec;
      readonly provenance: ColumnProvenance;
    }
  | {
      readonly name: string;
      readonly type: 'numeric';
      readonly min: number;
      readonly max: number;
      readonly scaling: NumericScaling;
      readonly provenance: ColumnProvenance;
    };

/** The category names of a spec, as cell text, in code order. */
export function categoryNames(categories: CategorySpec): string[] {
  return categories.kind === 'values'
    ? [...categories.values]
    : Array.from({ length: categories.size }, (_, c) => String(c));
}

/** Assembles a frozen encoder: assigns one-hot offsets in column order and derives the label's classes. */
export function buildEncoder(
  label: {
    name: string;
    categories: CategorySpec;
    skipValues: readonly string[];
    provenance: ColumnProvenance;
  },
  plans: readonly ColumnPlan[],
): Encoder {
  let offset = 0;
  const columns = plans.map((p): ColumnEncoding => {
    const width = p.type === 'numeric' ? 1 : categoryNames(p.categories).length;
    const column: ColumnEncoding =
      p.type === 'numeric' ? { ...p, offset, width: 1 } : { ...p, offset, width };
    offset += width;
    return Object.freeze(column);
  });
  const skip = new Set(label.skipValues);
  const classes = categoryNames(label.categories).filter((c) => !skip.has(c));
  return Object.freeze({
    format: 'veil-tabular-encoder',
    version: 1,
    label: Object.freeze({
      ...label,
      skipValues: Object.freeze([...label.skipValues]),
      classes: Object.freeze(classes),
    }),
    columns: Object.freeze(columns),
    width: offset,
  });
}

/** Feature names in feature order: `name` for a numeric column, `name=category` for a one-hot slot. */
export function encoderFeatureNames(encoder: Encoder): string[] {
  return encoder.columns.flatMap((c) =>
    c.type === 'numeric' ? [c.name] : categoryNames(c.categories).map((v) => `${c.name}=${v}`),
  );
}

/**
 * Reads a saved encoder back (the object, or its JSON text) and checks it: the format tag, every column, the
 * offsets and the total width.
 * @param value `JSON.stringify(encoder)` or its parsed object
 * @throws {ConfigError} VEIL_CONFIG_INVALID listing every problem with its path (`encoder.columns[2].min`)
 * @example const encoder = parseEncoder(readFileSync('encoder.json', 'utf8'));
 */
export function parseEncoder(value: unknown): Encoder {
  const issues: ConfigIssue[] = [];
  let json = value;
  if (typeof value === 'string') {
    try {
      json = JSON.parse(value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError(
        [{ path: 'encoder', value: 'text', allowed: `valid JSON (${reason})` }],
        'encoder',
      );
    }
  }
  const root = asRecord(json, 'encoder', issues);
  if (root === undefined) throw new ConfigError(issues, 'encoder');
  if (root['format'] !== 'veil-tabular-encoder') {
    issues.push({ path: 'encoder.format', value: root['format'], allowed: "'veil-tabular-encoder'" });
  }
  if (root['version'] !== 1) issues.push({ path: 'encoder.version', value: root['version'], allowed: '1' });
  const label = parseLabel(root['label'], issues);
  const rawColumns = root['columns'];
  const plans: ColumnPlan[] = [];
  if (!Array.isArray(rawColumns)) {
    issues.push({ path: 'encoder.columns', value: rawColumns, allowed: 'an array of column encodings' });
  } else {
    rawColumns.forEach((c: unknown, i) => {
      const plan = parseColumn(c, `encoder.columns[${i}]`, issues);
      if (plan !== undefined) plans.push(plan);
    });
  }
  if (issues.length > 0 || label === undefined) throw new ConfigError(issues, 'encoder');
  const encoder = buildEncoder(label, plans);
  // Offsets and widths are derived; a saved file that disagrees was edited or corrupted.
  encoder.columns.forEach((c, i) => {
    const saved = (rawColumns as Record<string, unknown>[])[i]!;
    for (const key of ['offset', 'width'] as const) {
      if (saved[key] !== c[key]) {
        issues.push({ path: `encoder.columns[${i}].${key}`, value: saved[key], allowed: String(c[key]) });
      }
    }
  });
  if (root['width'] !== encoder.width) {
    issues.push({ path: 'encoder.width', value: root['width'], allowed: String(encoder.width) });
  }
  const classes = root['label'] as Record<string, unknown>;
  if (JSON.stringify(classes['classes']) !== JSON.stringify(encoder.label.classes)) {
    issues.push({
      path: 'encoder.label.classes',
      value: classes['classes'],
      allowed: JSON.stringify(encoder.label.classes),
    });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'encoder');
  return encoder;
}

function parseLabel(value: unknown, issues: ConfigIssue[]): Parameters<typeof buildEncoder>[0] | undefined {
  const record = asRecord(value, 'encoder.label', issues);
  if (record === undefined) return undefined;
  const before = issues.length;
  const name = record['name'];
  if (typeof name !== 'string' || name === '') {
    issues.push({ path: 'encoder.label.name', value: name, allowed: 'a non-empty string' });
  }
  const categories = parseCategories(record['categories'], 'encoder.label.categories', issues);
  const skip = record['skipValues'];
  if (!Array.isArray(skip) || !skip.every((s) => typeof s === 'string')) {
    issues.push({ path: 'encoder.label.skipValues', value: skip, allowed: 'an array of strings' });
  }
  const provenance = parseProvenance(record['provenance'], 'encoder.label.provenance', issues);
  if (issues.length > before || categories === undefined || provenance === undefined) return undefined;
  return { name: name as string, categories, skipValues: skip as string[], provenance };
}

function parseColumn(value: unknown, path: string, issues: ConfigIssue[]): ColumnPlan | undefined {
  const record = asRecord(value, path, issues);
  if (record === undefined) return undefined;
  const before = issues.length;
  const { name, type, min, max, scaling } = record;
  if (typeof name !== 'string' || name === '') {
    issues.push({ path: `${path}.name`, value: name, allowed: 'a non-empty string' });
  }
  const provenance = parseProvenance(record['provenance'], `${path}.provenance`, issues);
  if (type === 'categorical') {
    const categories = parseCategories(record['categories'], `${path}.categories`, issues);
    if (issues.length > before || categories === undefined || provenance === undefined) return undefined;
    return { name: name as string, type, categories, provenance };
  }
  if (type !== 'numeric') {
    issues.push({ path: `${path}.type`, value: type, allowed: "'categorical' or 'numeric'" });
    return undefined;
  }
  if (typeof min !== 'number' || !Number.isFinite(min)) {
    issues.push({ path: `${path}.min`, value: min, allowed: 'a finite number' });
  }
  if (typeof max !== 'number' || !Number.isFinite(max) || !(max >= (min as number))) {
    issues.push({ path: `${path}.max`, value: max, allowed: 'a finite number >= min' });
  }
  if (!(NUMERIC_SCALINGS as readonly unknown[]).includes(scaling)) {
    issues.push({
      path: `${path}.scaling`,
      value: scaling,
      allowed: NUMERIC_SCALINGS.map((v) => `'${v}'`).join(', '),
    });
  }
  if (issues.length > before || provenance === undefined) return undefined;
  return {
    name: name as string,
    type,
    min: min as number,
    max: max as number,
    scaling: scaling as NumericScaling,
    provenance,
  };
}

function parseCategories(value: unknown, path: string, issues: ConfigIssue[]): CategorySpec | undefined {
  const record = asRecord(value, path, issues);
  if (record === undefined) return undefined;
  if (record['kind'] === 'codes') {
    const size = record['size'];
    if (typeof size === 'number' && Number.isSafeInteger(size) && size >= 1) return { kind: 'codes', size };
    issues.push({ path: `${path}.size`, value: size, allowed: 'an integer >= 1' });
    return undefined;
  }
  if (record['kind'] === 'values') {
    const values = record['values'];
    if (
      Array.isArray(values) &&
      values.length > 0 &&
      values.every((v) => typeof v === 'string') &&
      new Set(values).size === values.length
    ) {
      return { kind: 'values', values: Object.freeze([...(values as string[])]) };
    }
    issues.push({ path: `${path}.values`, value: values, allowed: 'a non-empty array of distinct strings' });
    return undefined;
  }
  issues.push({ path: `${path}.kind`, value: record['kind'], allowed: "'codes' or 'values'" });
  return undefined;
}

function parseProvenance(value: unknown, path: string, issues: ConfigIssue[]): ColumnProvenance | undefined {
  if (value === 'declared' || value === 'inferred-from-data') return value;
  issues.push({ path, value, allowed: "'declared' or 'inferred-from-data'" });
  return undefined;
}

function asRecord(value: unknown, path: string, issues: ConfigIssue[]): Record<string, unknown> | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  issues.push({ path, value, allowed: 'an object' });
  return undefined;
}
