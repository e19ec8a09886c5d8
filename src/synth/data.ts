/**
 * The data side of synthetic data: a table of CSV cells checked against a public domain and turned into integer
 * codes per attribute (the input of marginal counting and of every measurement), and codes turned back into
 * cells. Every check runs before any privacy is spent; errors name the row and column and never echo more than
 * the one offending cell.
 */
import { ConfigError, type ConfigIssue, UnsupportedError } from '../core/index.js';
import type { CategorySpec, Domain } from '../ml/index.js';
import { type SynthDomain, synthDomain } from './domain.js';

/** A table of trimmed cells: a header and rows as long as it (the shape `readCsvTable` in `veil/ml` reads). */
export interface CellTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** What error messages call the table, e.g. `CSV file adult.csv`; default `table`. */
  readonly source?: string;
}

/** Encoded records: one Int32Array of codes per attribute, in `domain.attrs` order, all of the same length. */
export interface SynthData {
  readonly domain: SynthDomain;
  readonly columns: readonly Int32Array[];
  /** The categories of each attribute (for decoding back to cells), in `domain.attrs` order. */
  readonly categories: readonly CategorySpec[];
}

/** At most this many bad cells are listed in one error; the message gives the total. */
const MAX_LISTED = 10;

/**
 * Encodes a table of cells over a domain from `veil/ml`: each categorical column's cells become codes (named
 * values → their index in the declared order; integer codes checked against the declared size). Attributes
 * follow the domain's order; extra CSV columns are refused, like missing ones, so nothing is silently dropped.
 * @param domain the public domain; every column must be categorical
 * @param table the cells
 * @returns codes per attribute and the synth domain (sizes from the declared categories)
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for a numeric column (numeric columns need declared bins, which are
 *   not supported yet)
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a column missing from the CSV or from the domain, an empty
 *   table, or cells outside the domain (each as `rows[r].column` with the 0-based data-row index)
 * @example const { domain, columns } = encodeTable(parseDomain({ sex: 2 }), { header: ['sex'], rows: [['1']] });
 */
export function encodeTable(domain: Domain, table: CellTable): SynthData {
  const source = table.source ?? 'table';
  for (const [name, column] of domain) {
    if (column.type === 'numeric') {
      throw new UnsupportedError(
        `encodeTable: column ${JSON.stringify(name)} is numeric; synthetic data needs discrete columns, and ` +
          'numeric columns need declared bins, which are not supported yet (declare it categorical with codes)',
        { column: name },
      );
    }
  }
  const issues: ConfigIssue[] = [];
  const position = new Map(table.header.map((name, i) => [name, i]));
  for (const name of domain.keys()) {
    if (!position.has(name))
      issues.push({ path: `header.${name}`, value: undefined, allowed: 'a column declared in the domain' });
  }
  for (const name of table.header) {
    if (!domain.has(name))
      issues.push({ path: `domain.${name}`, value: undefined, allowed: 'an entry for every CSV column' });
  }
  if (domain.size === 0) issues.push({ path: 'domain', value: undefined, allowed: 'at least one column' });
  if (table.rows.length === 0) issues.push({ path: 'rows', value: undefined, allowed: 'at least one row' });
  if (issues.length > 0) throw new ConfigError(issues, source);

  const names = [...domain.keys()];
  const categories = names.map((name) => {
    const column = domain.get(name)!;
    return (column as { readonly categories: CategorySpec }).categories;
  });
  const n = table.rows.length;
  let bad = 0;
  const columns = names.map((name, j) => {
    const at = position.get(name)!;
    const lookup = codeLookup(categories[j]!);
    const codes = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const cell = table.rows[r]![at];
      const code = cell === undefined ? -1 : lookup(cell);
      if (code < 0) {
        bad++;
        if (issues.length < MAX_LISTED)
          issues.push({ path: `rows[${r}].${name}`, value: cell, allowed: describe(categories[j]!) });
      }
      codes[r] = code;
    }
    return codes;
  });
  if (bad > 0) {
    const more = bad > issues.length ? ` (first ${issues.length} of ${bad} cells outside the domain)` : '';
    throw new ConfigError(issues, `${source}${more}`);
  }
  const sizes = categories.map((c) => (c.kind === 'codes' ? c.size : c.values.length));
  return { domain: synthDomain(names.map((name, j) => [name, sizes[j]!] as const)), columns, categories };
}

/**
 * Codes back to cells, with the input's header (the domain's order) and encoding: named values for `values`
 * columns, decimal codes for `codes` columns. The inverse of {@link encodeTable}.
 * @param data the categories and domain of an encoded table
 * @param columns codes per attribute in `data.domain.attrs` order (e.g. sampled synthetic records)
 * @returns the header and rows of cells
 * @throws {ConfigError} VEIL_CONFIG_INVALID when the columns do not match the domain or a code is out of range
 */
export function decodeColumns(
  data: Pick<SynthData, 'domain' | 'categories'>,
  columns: readonly Int32Array[],
): { readonly header: readonly string[]; readonly rows: string[][] } {
  const { attrs } = data.domain;
  if (columns.length !== attrs.length || data.categories.length !== attrs.length) {
    throw new ConfigError(
      [
        {
          path: 'columns',
          value: `${columns.length} columns`,
          allowed: `${attrs.length}, one per attribute`,
        },
      ],
      'decodeColumns',
    );
  }
  const n = columns[0]!.length;
  const rows: string[][] = Array.from({ length: n }, () => new Array<string>(attrs.length));
  for (let j = 0; j < attrs.length; j++) {
    const codes = columns[j]!;
    const spec = data.categories[j]!;
    const size = spec.kind === 'codes' ? spec.size : spec.values.length;
    if (codes.length !== n) {
      throw new ConfigError(
        [{ path: `columns[${j}]`, value: `${codes.length} rows`, allowed: `${n} rows, like column 0` }],
        'decodeColumns',
      );
    }
    for (let r = 0; r < n; r++) {
      const code = codes[r]!;
      if (!(code >= 0 && code < size)) {
        throw new ConfigError(
          [{ path: `columns[${j}][${r}]`, value: code, allowed: `a code in [0, ${size - 1}]` }],
          'decodeColumns',
        );
      }
      rows[r]![j] = spec.kind === 'codes' ? String(code) : spec.values[code]!;
    }
  }
  return { header: [...attrs], rows };
}

/** Cell → code, or -1 when the cell is not a declared category. */
function codeLookup(spec: CategorySpec): (cell: string) => number {
  if (spec.kind === 'codes') {
    const { size } = spec;
    return (cell) => {
      if (!/^\d{1,9}$/.test(cell)) return -1;
      const code = Number(cell);
      return code < size ? code : -1;
    };
  }
  const index = new Map(spec.values.map((v, i) => [v, i]));
  return (cell) => index.get(cell) ?? -1;
}

function describe(spec: CategorySpec): string {
  return spec.kind === 'codes'
    ? `an integer code in [0, ${spec.size - 1}]`
    : `one of the ${spec.values.length} declared values`;
}
