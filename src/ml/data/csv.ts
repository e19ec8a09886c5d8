/**
 * Tabular datasets from CSV with a schema: {@link loadCsvDataset} fits an {@link Encoder} (from a domain, from
 * caller-given bounds, or, reported as a privacy leak, from the data) and encodes the rows; {@link encodeCsv}
 * and {@link encodeCsvFeatures} apply a saved encoder to new rows.
 */
import { assertOneOf, ConfigError, InvalidParameterError } from '../../core/index.js';
import { type CsvSource, readCsvTable } from './csv-table.js';
import { createDataset, type Dataset } from './dataset.js';
import { type Domain, type DomainSpec, loadDomainFile, parseDomain } from './domain.js';
import { type Encoder, encoderFeatureNames } from './encoder.js';
import { checkBounds, NUMERIC_SCALINGS, type NumericBounds, type NumericScaling } from './encoding.js';
import { type CsvColumnReport, fitEncoder } from './fit.js';
import { encodeTable, type Table } from './table.js';

/** Options of {@link loadCsvDataset}. */
export type CsvDatasetOptions = CsvSource & {
  /** The label column (categorical). */
  readonly label: string;
  /** A domain (object, or the path of a domain JSON file) declaring columns' encodings; matched by name. */
  readonly domain?: DomainSpec | string;
  /** The feature columns, in this order. Default: every column except the label, in file order. */
  readonly features?: readonly string[];
  /**
   * Numeric bounds per column given by the caller, e.g. estimated with a DP mechanism; they count as declared
   * and take precedence over the domain (a code column can be read as a number this way).
   */
  readonly numericBounds?: Readonly<Record<string, NumericBounds>>;
  /**
   * Scaling of numeric columns after clipping to their bounds: `'unit'` ([0, 1], default), `'symmetric'`
   * ([-1, 1]) or `'none'` (the clipped value as it is).
   */
  readonly numericScaling?: NumericScaling;
  /** Refuse to infer any encoding (bounds, categories, classes) from the data. Default false. */
  readonly requireDeclaredBounds?: boolean;
  /** Label cells that mean "unlabelled": those rows are dropped (e.g. `['2']` for Titanic). Default none. */
  readonly skipLabelValues?: readonly string[];
};

/** What {@link loadCsvDataset} returns. */
export interface CsvDataset {
  readonly dataset: Dataset;
  /** The fitted schema: save it with `JSON.stringify`, reapply it with {@link encodeCsv}. */
  readonly encoder: Encoder;
  /** Label first, then the features: type, width and provenance (`declared` / `inferred-from-data`). */
  readonly columns: readonly CsvColumnReport[];
  /** True when any encoding was computed from the data (then `warnings` says which, and why it matters). */
  readonly dataDependent: boolean;
  /** One line per inferred column, for the caller to print: inferred encodings are non-private statistics. */
  readonly warnings: readonly string[];
  /** Rows dropped because their label was in `skipLabelValues`. */
  readonly skippedRows: number;
}

/**
 * Loads a labelled tabular dataset from CSV. Categorical columns are one-hot encoded over their declared
 * categories; numeric columns are clipped to their bounds and scaled. Every problem in the file is reported
 * (ConfigError) before anything is returned.
 *
 * Privacy: encodings declared in the domain or `numericBounds` reveal nothing about the rows. An undeclared
 * column is inferred (numeric if every cell is a finite number, bounds = the data's min/max; categorical
 * otherwise, categories = the distinct values): that makes the encoder a statistic of the private data, so
 * such columns are marked `inferred-from-data` with a warning, and `requireDeclaredBounds` refuses them.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad options, an unreadable file, a label or feature
 *   column that is not in the header (the message lists the columns)
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a bad domain (`domain.age`), malformed, empty, header-only or
 *   ragged CSV, a cell that does not fit its column (`rows[12].age`), a label with fewer than 2 classes
 * @example
 * const { dataset, encoder, warnings } = loadCsvDataset({
 *   path: 'adult.csv', label: 'income>50K', domain: 'adult-domain.json' });
 * warnings.forEach((w) => console.warn(w));
 */
export function loadCsvDataset(options: CsvDatasetOptions): CsvDataset {
  const fn = 'loadCsvDataset';
  if (typeof options.label !== 'string' || options.label === '') {
    fail(fn, 'label', options.label, 'the name of the label column');
  }
  const scaling = options.numericScaling ?? 'unit';
  assertOneOf(fn, 'numericScaling', scaling, NUMERIC_SCALINGS);
  const skipLabelValues = options.skipLabelValues ?? [];
  if (!Array.isArray(skipLabelValues) || !skipLabelValues.every((v) => typeof v === 'string')) {
    fail(fn, 'skipLabelValues', skipLabelValues, 'an array of strings');
  }
  const domain = readDomain(options.domain);
  const table = readCsvTable(options, fn);
  const available = `one of the CSV columns (${table.header.join(', ')})`;
  const inHeader = new Set(table.header);
  if (!inHeader.has(options.label)) fail(fn, 'label', options.label, available);
  const features = options.features ?? table.header.filter((h) => h !== options.label);
  checkFeatures(fn, features, options.label, inHeader, available);
  const numericBounds = new Map<string, NumericBounds>();
  for (const [column, bounds] of Object.entries(options.numericBounds ?? {})) {
    if (!inHeader.has(column) || column === options.label) {
      fail(fn, `numericBounds.${column}`, bounds, `bounds of a feature column: ${available}, not the label`);
    }
    checkBounds(fn, `numericBounds.${column}`, bounds);
    numericBounds.set(column, Object.freeze({ min: bounds.min, max: bounds.max }));
  }
  checkDomainColumns(domain, table);

  const fitted = fitEncoder(table, {
    label: options.label,
    features,
    domain,
    numericBounds,
    numericScaling: scaling,
    requireDeclaredBounds: options.requireDeclaredBounds === true,
    skipLabelValues: skipLabelValues.map((v) => v.trim()),
  });
  const { dataset, skippedRows } = toDataset(fitted.encoder, table);
  return Object.freeze({
    dataset,
    encoder: fitted.encoder,
    columns: fitted.columns,
    dataDependent: fitted.columns.some((c) => c.provenance === 'inferred-from-data'),
    warnings: fitted.warnings,
    skippedRows,
  });
}

/**
 * Encodes a labelled CSV (a test set) with a fitted encoder: same columns, categories, bounds and classes.
 * Rows whose label is one of the encoder's skip values are dropped; numeric cells outside the bounds are
 * clipped; a category or class the encoder does not know is refused.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an unreadable file or a bad source
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a missing column or a cell that does not fit its column
 * @example const test = encodeCsv({ encoder, path: 'test.csv' }).dataset;
 */
export function encodeCsv(options: CsvSource & { readonly encoder: Encoder }): {
  readonly dataset: Dataset;
  readonly skippedRows: number;
} {
  return toDataset(options.encoder, readCsvTable(options, 'encodeCsv'));
}

/**
 * Encodes the feature columns of a CSV (rows to predict) with a fitted encoder; the label column is not needed
 * and is ignored when present. Returns row-major features, `encoder.width` per row.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an unreadable file or a bad source
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a missing column or a cell that does not fit its column
 */
export function encodeCsvFeatures(options: CsvSource & { readonly encoder: Encoder }): {
  readonly features: Float32Array;
  readonly numExamples: number;
} {
  const encoded = encodeTable(options.encoder, readCsvTable(options, 'encodeCsvFeatures'), {
    withLabels: false,
  });
  return { features: encoded.features, numExamples: encoded.numExamples };
}

function toDataset(encoder: Encoder, table: Table): { dataset: Dataset; skippedRows: number } {
  const encoded = encodeTable(encoder, table, { withLabels: true });
  const dataset = createDataset({
    features: encoded.features,
    labels: encoded.labels!,
    featureShape: [encoder.width],
    numClasses: encoder.label.classes.length,
    featureNames: encoderFeatureNames(encoder),
    classNames: encoder.label.classes,
  });
  return { dataset, skippedRows: encoded.skippedRows };
}

function readDomain(domain: DomainSpec | string | undefined): Domain {
  if (domain === undefined) return new Map();
  return typeof domain === 'string' ? loadDomainFile(domain) : parseDomain(domain);
}

function checkFeatures(
  fn: string,
  features: readonly string[],
  label: string,
  inHeader: ReadonlySet<string>,
  available: string,
): void {
  if (!Array.isArray(features) || features.length === 0) {
    fail(fn, 'features', features, 'a non-empty array of column names');
  }
  const seen = new Set<string>();
  features.forEach((f, i) => {
    if (typeof f !== 'string' || !inHeader.has(f)) fail(fn, `features[${i}]`, f, available);
    if (f === label) fail(fn, `features[${i}]`, f, 'a column other than the label');
    if (seen.has(f)) fail(fn, `features[${i}]`, f, 'a column not listed before');
    seen.add(f);
  });
}

/** A domain entry for a column the CSV does not have is a mismatch between the two files. */
function checkDomainColumns(domain: Domain, table: Table): void {
  const missing = [...domain.keys()].filter((c) => !table.header.includes(c));
  if (missing.length === 0) return;
  const columns = `a column of the CSV (${table.header.join(', ')})`;
  throw new ConfigError(
    missing.map((c) => ({ path: `domain.${c}`, value: c, allowed: columns })),
    `domain for ${table.source}`,
  );
}

function fail(fn: string, param: string, value: unknown, allowed: string): never {
  throw new InvalidParameterError({ fn, param, value, allowed });
}
