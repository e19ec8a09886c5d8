/**
 * Fitting an {@link Encoder} to a table: each column's encoding comes from the caller's `numericBounds`, from
 * the domain, or (reported as `inferred-from-data`, with a warning) from the rows themselves.
 */
import { ConfigError, type ConfigIssue } from '../../core/index.js';
import type { CategorySpec, ColumnDomain, Domain } from './domain.js';
import { buildEncoder, type ColumnPlan, type ColumnProvenance, type Encoder } from './encoder.js';
import { isNonFiniteNumberCell, type NumericBounds, type NumericScaling, parseDecimal } from './encoding.js';
import { IssueList, type Table } from './table.js';

/** Who declared a column's encoding. */
export type DeclaredBy = 'domain' | 'numericBounds';

/** How one column was encoded and where its encoding came from. */
export interface CsvColumnReport {
  readonly name: string;
  readonly role: 'feature' | 'label';
  readonly type: 'categorical' | 'numeric';
  readonly provenance: ColumnProvenance;
  /** Set for declared columns: the domain, or the caller's `numericBounds`. */
  readonly declaredBy?: DeclaredBy;
  /** Number of features (one-hot slots) or classes for the label. */
  readonly width: number;
}

/** What {@link fitEncoder} needs. */
export interface FitOptions {
  readonly label: string;
  readonly features: readonly string[];
  readonly domain: Domain;
  readonly numericBounds: ReadonlyMap<string, NumericBounds>;
  readonly numericScaling: NumericScaling;
  readonly requireDeclaredBounds: boolean;
  readonly skipLabelValues: readonly string[];
}

/** The fitted encoder with its per-column report and the warnings to show the data holder. */
export interface FitResult {
  readonly encoder: Encoder;
  readonly columns: readonly CsvColumnReport[];
  readonly warnings: readonly string[];
}

/**
 * Decides every column's encoding. With `requireDeclaredBounds`, a column without a declaration is refused
 * before any cell is read.
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a numeric label entry, a label with fewer than 2 classes, an
 *   undeclared column under `requireDeclaredBounds`, or a numeric-looking column with empty/NaN/infinite cells
 */
export function fitEncoder(table: Table, options: FitOptions): FitResult {
  const { label, domain, numericBounds } = options;
  const undeclared = [label, ...options.features].filter((c) => !domain.has(c) && !numericBounds.has(c));
  if (options.requireDeclaredBounds && undeclared.length > 0) {
    throw new ConfigError(
      undeclared.map((c) => ({
        path: `domain.${c}`,
        value: undefined,
        allowed: 'a declared entry: requireDeclaredBounds refuses encodings computed from the data',
      })),
      `domain for ${table.source}`,
    );
  }
  const position = new Map(table.header.map((h, i) => [h, i]));
  const labelAt = position.get(label)!;
  const skip = new Set(options.skipLabelValues);
  const kept = table.rows.filter((row) => !skip.has(row[labelAt]!));
  const warnings: string[] = [];
  const reports: CsvColumnReport[] = [];

  const labelDomain = domain.get(label);
  if (labelDomain?.type === 'numeric') {
    throw new ConfigError(
      [
        {
          path: `domain.${label}`,
          value: labelDomain,
          allowed: 'a categorical entry (the label is a class)',
        },
      ],
      `domain for ${table.source}`,
    );
  }
  if (labelDomain === undefined) {
    const empty = table.rows.findIndex((row) => row[labelAt] === '' && !skip.has(''));
    if (empty >= 0) {
      throw new ConfigError(
        [
          {
            path: `rows[${empty}].${label}`,
            value: '',
            allowed: "a label (pass skipLabelValues: [''] to drop unlabelled rows)",
          },
        ],
        table.source,
      );
    }
  }
  const labelCategories = labelDomain?.categories ?? {
    kind: 'values',
    values: sortedDistinct(kept, labelAt),
  };
  const labelProvenance: ColumnProvenance = labelDomain === undefined ? 'inferred-from-data' : 'declared';

  const issues = new IssueList();
  const plans: ColumnPlan[] = [];
  for (const name of options.features) {
    const bounds = numericBounds.get(name);
    const declared: ColumnDomain | undefined =
      bounds === undefined ? domain.get(name) : { type: 'numeric', min: bounds.min, max: bounds.max };
    const plan =
      declared === undefined
        ? inferColumn(name, kept, position.get(name)!, options.numericScaling, issues)
        : declaredPlan(name, declared, options.numericScaling);
    plans.push(plan);
    reports.push({
      name,
      role: 'feature',
      type: plan.type,
      provenance: plan.provenance,
      ...(declared === undefined ? {} : { declaredBy: bounds === undefined ? 'domain' : 'numericBounds' }),
      width: plan.type === 'numeric' ? 1 : categoryCount(plan.categories),
    });
    if (declared === undefined) warnings.push(inferredWarning(plan));
  }
  issues.throwIfAny(table.source);

  const encoder = buildEncoder(
    {
      name: label,
      categories: labelCategories,
      skipValues: options.skipLabelValues,
      provenance: labelProvenance,
    },
    plans,
  );
  const classes = encoder.label.classes;
  if (classes.length < 2) {
    const issue: ConfigIssue =
      labelDomain === undefined
        ? {
            path: `columns.${label}`,
            value: classes.join(', '),
            allowed: 'a label column with at least 2 classes',
          }
        : {
            path: `domain.${label}`,
            value: classes.length,
            allowed: 'at least 2 classes after skipLabelValues',
          };
    throw new ConfigError([issue], labelDomain === undefined ? table.source : `domain for ${table.source}`);
  }
  reports.unshift({
    name: label,
    role: 'label',
    type: 'categorical',
    provenance: labelProvenance,
    ...(labelDomain === undefined ? {} : { declaredBy: 'domain' as const }),
    width: classes.length,
  });
  if (labelDomain === undefined) {
    warnings.unshift(
      `label "${label}": its ${classes.length} classes (${preview(classes)}) were read from the data; the set of ` +
        'labels present is a statistic of the private rows (usually harmless for a binary label). Declare it in ' +
        `the domain, e.g. "${label}": {"type": "categorical", "values": [...]}.`,
    );
  }
  return {
    encoder,
    columns: Object.freeze(reports.map((r) => Object.freeze(r))),
    warnings: Object.freeze(warnings),
  };
}

function declaredPlan(name: string, declared: ColumnDomain, scaling: NumericScaling): ColumnPlan {
  return declared.type === 'numeric'
    ? { name, type: 'numeric', min: declared.min, max: declared.max, scaling, provenance: 'declared' }
    : { name, type: 'categorical', categories: declared.categories, provenance: 'declared' };
}

/**
 * Infers an undeclared column: numeric when every cell is a finite decimal number (bounds = the data's min and
 * max), categorical otherwise (categories = the sorted distinct cells). A column whose cells are numbers apart
 * from empty, NaN or infinite cells is refused rather than silently made categorical.
 */
function inferColumn(
  name: string,
  rows: readonly (readonly string[])[],
  at: number,
  scaling: NumericScaling,
  issues: IssueList,
): ColumnPlan {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let numbers = 0;
  const bad: number[] = [];
  for (let r = 0; r < rows.length; r++) {
    const cell = rows[r]![at]!;
    const x = parseDecimal(cell);
    if (Number.isNaN(x)) {
      if (cell === '' || isNonFiniteNumberCell(cell)) bad.push(r);
      else
        return {
          name,
          type: 'categorical',
          categories: inferredCategories(rows, at),
          provenance: 'inferred-from-data',
        };
    } else {
      numbers++;
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  // A column of nothing but NaN/Infinity (and blanks) is a broken numeric column, not a categorical one.
  const nonFinite = bad.some((r) => isNonFiniteNumberCell(rows[r]![at]!));
  if (numbers === 0 && !nonFinite) {
    return {
      name,
      type: 'categorical',
      categories: inferredCategories(rows, at),
      provenance: 'inferred-from-data',
    };
  }
  for (const r of bad) {
    issues.add({
      path: `rows[${r}].${name}`,
      value: rows[r]![at],
      allowed: 'a finite number: the column is numeric; empty, NaN and infinite cells are refused',
    });
  }
  if (numbers === 0)
    return { name, type: 'numeric', min: 0, max: 1, scaling, provenance: 'inferred-from-data' };
  return { name, type: 'numeric', min, max, scaling, provenance: 'inferred-from-data' };
}

function inferredCategories(rows: readonly (readonly string[])[], at: number): CategorySpec {
  return { kind: 'values', values: sortedDistinct(rows, at) };
}

/** Distinct cells of a column, in numeric order when all are numbers, else in code-unit order. */
function sortedDistinct(rows: readonly (readonly string[])[], at: number): string[] {
  const values = [...new Set(rows.map((row) => row[at]!))];
  if (values.every((v) => !Number.isNaN(parseDecimal(v)))) {
    return values.sort((a, b) => parseDecimal(a) - parseDecimal(b));
  }
  return values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function categoryCount(categories: CategorySpec): number {
  return categories.kind === 'codes' ? categories.size : categories.values.length;
}

function inferredWarning(plan: ColumnPlan): string {
  if (plan.type === 'numeric') {
    return (
      `column "${plan.name}": numeric bounds [${plan.min}, ${plan.max}] were computed from the data. Bounds ` +
      'taken from private rows are a non-private statistic (they reveal the extreme values) and are saved in the ' +
      'encoder; declare them in the domain ({"type": "numeric", "min": ..., "max": ...}) or estimate them with a ' +
      'DP mechanism and pass them as numericBounds.'
    );
  }
  return (
    `column "${plan.name}": its ${categoryCount(plan.categories)} categories were read from the data; the set of ` +
    'values present is a statistic of the private rows and is saved in the encoder. Declare them in the domain ' +
    '({"type": "categorical", "values": [...]}).'
  );
}

function preview(values: readonly string[]): string {
  const shown = values.slice(0, 5).map((v) => JSON.stringify(v));
  return values.length > 5 ? `${shown.join(', ')}, ...` : shown.join(', ');
}
