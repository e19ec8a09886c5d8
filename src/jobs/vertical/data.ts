/**
 * One party's data for vertical training: its CSV (an identifier column, its feature columns, and the label if
 * it is the label holder), encoded into small non-negative integers that the secure products take bit by bit.
 *
 * Encoding, per feature column, declared by a domain file when one is given, otherwise inferred from the
 * party's rows (and then reported, because inferred bounds and categories are statistics of the data):
 * - categorical with at most {@link ONE_HOT_MAX} categories: one-hot, each slot 0 or 1 (one OT per slot);
 * - anything else: a number scaled to [0, 1] by its bounds (a code column by 0 .. size-1) and quantised to
 *   {@link FEATURE_FRACTION_BITS} fractional bits (so 0 .. 256: 9 OTs per value).
 * Each party's row vector has L2 norm at most sqrt(its number of columns) (one per column), which bounds a
 * row's gradient for differential privacy without clipping inside the secure computation.
 */
import { ConfigError, type ConfigIssue, InvalidParameterError } from '../../core/index.js';
import { type ColumnDomain, type Domain, loadDomainFile, readCsvTable } from '../../ml/index.js';

/** Categorical columns with at most this many categories are one-hot encoded; larger ones become numbers. */
export const ONE_HOT_MAX = 16;
/** Fractional bits of a numeric feature: values 0 .. 2^8 stand for 0 .. 1. */
export const FEATURE_FRACTION_BITS = 8;

/** `NAME=FILE:COLUMNS` of `--party`. */
export interface PartySpec {
  readonly name: string;
  readonly file: string;
  readonly columns: readonly string[];
}

/** How one CSV column became features. */
export interface ColumnEncoding {
  readonly column: string;
  readonly kind: 'one-hot' | 'numeric';
  /** Features this column takes (categories for one-hot, 1 for numeric). */
  readonly width: number;
  readonly provenance: 'declared' | 'inferred-from-data';
}

/** A party's encoded rows. */
export interface PartyData {
  readonly name: string;
  readonly file: string;
  /** Identifiers in file order (row i of the CSV's data rows). */
  readonly ids: readonly string[];
  /** Features, row-major n × width, integers (see {@link bits} and {@link shifts}). */
  readonly features: Uint16Array;
  readonly width: number;
  /** Bits each feature needs (1 for one-hot slots, 9 for numbers). */
  readonly bits: Uint8Array;
  /** Each feature's value is features · 2^shift / 2^8 (8 for one-hot slots, 0 for numbers). */
  readonly shifts: Uint8Array;
  /** CSV feature columns (a row's squared feature norm is at most this). */
  readonly columns: number;
  readonly encodings: readonly ColumnEncoding[];
  /** The label (0/1) per row, for the label holder; the positive class is `positiveClass`. */
  readonly labels?: Uint8Array;
  readonly positiveClass?: string;
  readonly warnings: readonly string[];
}

const PARTY = 'NAME=FILE:COLUMNS, e.g. bank=bank.csv:age,income (columns separated by commas)';

/**
 * Parses `--party NAME=FILE:COLUMNS` (the file is everything between the first `=` and the last `:`).
 * @throws {ConfigError} VEIL_CONFIG_INVALID at `flag` for another shape
 */
export function parsePartyFlag(value: string, flag = '--party'): PartySpec {
  const eq = value.indexOf('=');
  const colon = value.lastIndexOf(':');
  const bad = () => new ConfigError([{ path: flag, value, allowed: PARTY }], 'command-line flags');
  if (eq < 1 || colon < eq + 2) throw bad();
  const name = value.slice(0, eq).trim();
  const columns = value
    .slice(colon + 1)
    .split(',')
    .map((c) => c.trim());
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) || columns.some((c) => c === '')) throw bad();
  return { name, file: value.slice(eq + 1, colon), columns };
}

/**
 * Reads and encodes a party's CSV.
 * @param key the identifier column (kept as text; normalised by PSI, not here)
 * @param label the label column: this party holds the label when its CSV has the column (binary: two classes)
 * @param domain a domain file's entries for declared encodings
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming the party: an unreadable or malformed CSV, a column it lacks,
 *   a key or label among the features, a label with other than two classes, a cell that does not fit its
 *   declared domain
 */
export function loadParty(
  spec: PartySpec,
  key: string,
  label: string,
  domain: Domain | undefined,
): PartyData {
  const context = `party ${spec.name} (${spec.file})`;
  const table = readTable(spec, context);
  const at = new Map(table.header.map((h, i) => [h, i]));
  const issues: ConfigIssue[] = [];
  const need = (column: string, what: string) => {
    if (!at.has(column))
      issues.push({
        path: `${spec.name}.${what}`,
        value: column,
        allowed: `a column of ${spec.file}: ${table.header.join(', ')}`,
      });
  };
  need(key, 'key');
  const holdsLabel = at.has(label);
  for (const c of spec.columns) {
    need(c, 'columns');
    if (c === key || c === label)
      issues.push({
        path: `${spec.name}.columns`,
        value: c,
        allowed: 'feature columns, not the key or the label',
      });
  }
  if (new Set(spec.columns).size !== spec.columns.length)
    issues.push({ path: `${spec.name}.columns`, value: spec.columns.join(','), allowed: 'each column once' });
  if (issues.length > 0) throw new ConfigError(issues, context);

  const rows = table.rows;
  const n = rows.length;
  const plans = spec.columns.map((c) =>
    planColumn(
      c,
      rows.map((r) => r[at.get(c)!]!),
      domain?.get(c),
      context,
    ),
  );
  const width = plans.reduce((s, p) => s + p.width, 0);
  const features = new Uint16Array(n * width);
  const bits = new Uint8Array(width);
  const shifts = new Uint8Array(width);
  let offset = 0;
  for (const [k, plan] of plans.entries()) {
    const col = at.get(spec.columns[k]!)!;
    for (let j = 0; j < plan.width; j++) {
      bits[offset + j] = plan.kind === 'one-hot' ? 1 : FEATURE_FRACTION_BITS + 1;
      shifts[offset + j] = plan.kind === 'one-hot' ? FEATURE_FRACTION_BITS : 0;
    }
    for (let i = 0; i < n; i++) {
      const cell = rows[i]![col]!;
      if (plan.kind === 'one-hot') features[i * width + offset + plan.slot(cell, i)] = 1;
      else features[i * width + offset] = plan.value(cell, i);
    }
    offset += plan.width;
  }
  let labels: Uint8Array | undefined;
  let positiveClass: string | undefined;
  if (holdsLabel) {
    const cells = rows.map((r) => r[at.get(label)!]!);
    const classes = [...new Set(cells)].sort(compareCells);
    if (classes.length !== 2)
      throw new ConfigError(
        [
          {
            path: `${spec.name}.label`,
            value: label,
            allowed: `a column with exactly two classes (found ${classes.length}: ${classes.slice(0, 5).join(', ')})`,
          },
        ],
        context,
      );
    positiveClass = classes[1]!;
    labels = Uint8Array.from(cells, (c) => (c === positiveClass ? 1 : 0));
  }
  const warnings = plans
    .filter((p) => p.provenance === 'inferred-from-data')
    .map(
      (p) =>
        `${spec.name}: the encoding of column ${p.column} was inferred from the data (declare it in a domain file to keep it data-independent)`,
    );
  return {
    name: spec.name,
    file: spec.file,
    ids: rows.map((r) => r[at.get(key)!]!),
    features,
    width,
    bits,
    shifts,
    columns: plans.length,
    encodings: plans.map(({ column, kind, width: w, provenance }) => ({
      column,
      kind,
      width: w,
      provenance,
    })),
    ...(labels && positiveClass !== undefined ? { labels, positiveClass } : {}),
    warnings,
  };
}

/** Reads a domain file for `--domain`. */
export function readDomain(path: string | undefined): Domain | undefined {
  return path === undefined ? undefined : loadDomainFile(path);
}

function readTable(spec: PartySpec, context: string) {
  try {
    return readCsvTable({ path: spec.file }, 'loadParty');
  } catch (err) {
    const reason =
      err instanceof InvalidParameterError
        ? String(err.details.allowed)
        : err instanceof ConfigError
          ? err.issues.map((i) => `${i.path}: ${i.allowed}`).join('; ')
          : String(err);
    throw new ConfigError(
      [
        {
          path: `${spec.name}.file`,
          value: spec.file,
          allowed: `a CSV file with a header (${reason})`,
        },
      ],
      context,
    );
  }
}

interface ColumnPlan {
  readonly column: string;
  readonly kind: 'one-hot' | 'numeric';
  readonly width: number;
  readonly provenance: 'declared' | 'inferred-from-data';
  slot(cell: string, row: number): number;
  value(cell: string, row: number): number;
}

const compareCells = (a: string, b: string) => {
  const x = Number(a);
  const y = Number(b);
  return Number.isFinite(x) && Number.isFinite(y) && a !== '' && b !== ''
    ? x - y
    : a < b
      ? -1
      : a > b
        ? 1
        : 0;
};

function planColumn(
  column: string,
  cells: readonly string[],
  declared: ColumnDomain | undefined,
  context: string,
): ColumnPlan {
  const bad = (row: number, cell: string, allowed: string): never => {
    throw new ConfigError([{ path: `${column} (data row ${row + 1})`, value: cell, allowed }], context);
  };
  const numeric = (min: number, max: number, provenance: ColumnPlan['provenance']): ColumnPlan => ({
    column,
    kind: 'numeric',
    width: 1,
    provenance,
    slot: () => 0,
    value(cell, row) {
      const v = Number(cell);
      if (cell === '' || !Number.isFinite(v)) bad(row, cell, 'a number');
      const unit = max > min ? (Math.min(max, Math.max(min, v)) - min) / (max - min) : 0;
      return Math.round(unit * 2 ** FEATURE_FRACTION_BITS);
    },
  });
  const oneHot = (values: readonly string[], provenance: ColumnPlan['provenance']): ColumnPlan => {
    const index = new Map(values.map((v, i) => [v, i]));
    return {
      column,
      kind: 'one-hot',
      width: values.length,
      provenance,
      value: () => 0,
      slot: (cell, row) =>
        index.get(cell) ??
        bad(
          row,
          cell,
          `one of its categories (${values.slice(0, 8).join(', ')}${values.length > 8 ? ', …' : ''})`,
        ),
    };
  };
  if (declared?.type === 'numeric') return numeric(declared.min, declared.max, 'declared');
  if (declared?.type === 'categorical') {
    const c = declared.categories;
    const values = c.kind === 'values' ? c.values : Array.from({ length: c.size }, (_, i) => String(i));
    return values.length <= ONE_HOT_MAX
      ? oneHot(values, 'declared')
      : numeric(0, values.length - 1, 'declared');
  }
  const distinct = [...new Set(cells)].sort(compareCells);
  const allNumbers = cells.every((c) => c !== '' && Number.isFinite(Number(c)));
  if (distinct.length <= ONE_HOT_MAX || !allNumbers) {
    if (distinct.length > 1000)
      bad(
        0,
        cells[0] ?? '',
        `numbers, or at most 1000 categories (this column has ${distinct.length} distinct texts)`,
      );
    return oneHot(distinct, 'inferred-from-data');
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const c of cells) {
    const v = Number(c);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return numeric(min, max, 'inferred-from-data');
}
