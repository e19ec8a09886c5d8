/**
 * The data side of synthetic data: a table of CSV cells checked against a public domain and turned into integer
 * codes per attribute (the input of marginal counting and of every measurement), and codes turned back into
 * cells. Every check runs before any privacy is spent; errors name the row and column and never echo more than
 * the one offending cell. Numeric columns are discrete through their declared bins (never bins from the data):
 * a cell is clipped to the declared [min, max] and binned; decoding draws a number inside the sampled bin.
 */
import { ConfigError, type ConfigIssue, csprng, type Rng, UnsupportedError } from '../core/index.js';
import {
  type CategorySpec,
  type ColumnDomain,
  type Domain,
  type NumericDomain,
  parseDecimal,
} from '../ml/index.js';
import { binOf, drawInBin, formatInBin } from './bins.js';
import { type AttributeCoding, codingSize, type SynthDomain, synthDomain } from './domain.js';

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
  /**
   * How each attribute's codes map to cells (for decoding back to cells), in `domain.attrs` order: declared
   * codes, named values, or a numeric column's bins.
   */
  readonly categories: readonly AttributeCoding[];
}

/** What {@link encodeTable} returns: the encoded records and how many cells were clipped. */
export interface EncodedTable extends SynthData {
  /**
   * Per attribute (in `domain.attrs` order), how many cells were outside the declared [min, max] and clipped to
   * it (0 for categorical attributes). A count of the private data: show it to the data holder, do not release it.
   */
  readonly clipped: readonly number[];
}

/** At most this many bad cells are listed in one error; the message gives the total. */
const MAX_LISTED = 10;

/**
 * Encodes a table of cells over a domain from `veil/ml`: each categorical column's cells become codes (named
 * values → their index in the declared order; integer codes checked against the declared size); each numeric
 * column's cells are parsed as finite decimal numbers, clipped to the declared [min, max] (counted in `clipped`)
 * and replaced by their bin (right-open bins, the last closed at max). Attributes follow the domain's order;
 * extra CSV columns are refused, like missing ones, so nothing is silently dropped.
 * @param domain the public domain; every numeric column must declare bins (`bins` or `edges`)
 * @param table the cells
 * @returns codes per attribute, the synth domain (sizes from the declared categories and bins) and clip counts
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for a numeric column without declared bins (the message shows how
 *   to declare them; bins are never taken from the data)
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a column missing from the CSV or from the domain, an empty
 *   table, or cells outside the domain (each as `rows[r].column` with the 0-based data-row index; for a numeric
 *   column, a cell that is not a finite decimal number, the empty cell included)
 * @example const { domain, columns } = encodeTable(parseDomain({ sex: 2 }), { header: ['sex'], rows: [['1']] });
 */
export function encodeTable(domain: Domain, table: CellTable): EncodedTable {
  const source = table.source ?? 'table';
  for (const [name, column] of domain) {
    if (column.type === 'numeric' && column.edges === undefined) {
      throw new UnsupportedError(
        `encodeTable: column ${JSON.stringify(name)} is numeric without bins; synthetic data is generated over ` +
          `discrete columns, so declare its bins in the domain (never taken from the data): ${binsExample(column)}`,
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
  const categories = names.map((name) => attributeCoding(domain.get(name)!));
  const clipped = names.map(() => 0);
  const n = table.rows.length;
  let bad = 0;
  const columns = names.map((name, j) => {
    const at = position.get(name)!;
    const column = domain.get(name)!;
    const lookup =
      column.type === 'numeric' ? binLookup(column, () => clipped[j]!++) : codeLookup(column.categories);
    const codes = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const cell = table.rows[r]![at];
      const code = cell === undefined ? -1 : lookup(cell);
      if (code < 0) {
        bad++;
        if (issues.length < MAX_LISTED)
          issues.push({ path: `rows[${r}].${name}`, value: cell, allowed: describe(column, cell) });
      }
      codes[r] = code;
    }
    return codes;
  });
  if (bad > 0) {
    const more = bad > issues.length ? ` (first ${issues.length} of ${bad} cells outside the domain)` : '';
    throw new ConfigError(issues, `${source}${more}`);
  }
  return {
    domain: synthDomain(names.map((name, j) => [name, codingSize(categories[j]!)] as const)),
    columns,
    categories,
    clipped,
  };
}

/**
 * Codes back to cells, with the input's header (the domain's order) and encoding: named values for `values`
 * columns, decimal codes for `codes` columns, and for a numeric column a number drawn uniformly inside the coded
 * bin with `rng` (a whole number when the column is declared `integer`), printed with 6 significant digits, more
 * only where needed to stay inside the bin. The inverse of {@link encodeTable}: encoding the cells again gives the
 * same codes. Drawing inside a bin is post-processing of the codes: it reads no record and costs no privacy.
 * @param data the codings and domain of an encoded table
 * @param columns codes per attribute in `data.domain.attrs` order (e.g. sampled synthetic records)
 * @param rng the randomness for numeric columns; default the CSPRNG (drawn from only when there are bins)
 * @returns the header and rows of cells
 * @throws {ConfigError} VEIL_CONFIG_INVALID when the columns do not match the domain or a code is out of range
 */
export function decodeColumns(
  data: Pick<SynthData, 'domain' | 'categories'>,
  columns: readonly Int32Array[],
  rng?: Rng,
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
  for (let j = 0; j < attrs.length; j++) {
    if (columns[j]!.length !== n) {
      throw new ConfigError(
        [{ path: `columns[${j}]`, value: `${columns[j]!.length} rows`, allowed: `${n} rows, like column 0` }],
        'decodeColumns',
      );
    }
  }
  const draws = rng ?? (data.categories.some((c) => c.kind === 'bins') ? csprng() : undefined);
  const rows: string[][] = Array.from({ length: n }, () => new Array<string>(attrs.length));
  for (let j = 0; j < attrs.length; j++) {
    const codes = columns[j]!;
    const coding = data.categories[j]!;
    const size = codingSize(coding);
    const cell = cellOf(coding, draws);
    for (let r = 0; r < n; r++) {
      const code = codes[r]!;
      if (!(code >= 0 && code < size)) {
        throw new ConfigError(
          [{ path: `columns[${j}][${r}]`, value: code, allowed: `a code in [0, ${size - 1}]` }],
          'decodeColumns',
        );
      }
      rows[r]![j] = cell(code);
    }
  }
  return { header: [...attrs], rows };
}

/** The synth engine's coding of a (validated) domain entry; a numeric entry must have edges. */
function attributeCoding(column: ColumnDomain): AttributeCoding {
  if (column.type === 'categorical') return column.categories;
  return { kind: 'bins', edges: column.edges!, integer: column.integer === true };
}

/** Code → cell text for one attribute (a code already checked to be in range). */
function cellOf(coding: AttributeCoding, rng: Rng | undefined): (code: number) => string {
  if (coding.kind === 'codes') return String;
  if (coding.kind === 'values') return (code) => coding.values[code]!;
  const { edges, integer } = coding;
  return (code) => formatInBin(edges, code, drawInBin(edges, integer, code, rng!));
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

/**
 * Cell → bin for a numeric column with edges, or -1 when the cell is not a finite decimal number. A number outside
 * [min, max] is clipped to it (data-independent: the bounds are public) and `onClip` is called.
 */
function binLookup(column: NumericDomain, onClip: () => void): (cell: string) => number {
  const edges = column.edges!;
  const { min, max } = column;
  return (cell) => {
    const x = parseDecimal(cell);
    if (Number.isNaN(x)) return -1;
    if (x < min || x > max) onClip();
    return binOf(edges, Math.min(Math.max(x, min), max));
  };
}

function describe(column: ColumnDomain, cell: string | undefined): string {
  if (column.type === 'numeric') {
    const what = `a finite decimal number (the column is numeric; numbers outside [${column.min}, ${column.max}] are clipped)`;
    return cell === '' || cell === undefined ? `${what}; the cell is empty` : what;
  }
  const spec = column.categories;
  return spec.kind === 'codes'
    ? `an integer code in [0, ${spec.size - 1}]`
    : `one of the ${spec.values.length} declared values`;
}

/** A domain entry with bins for a numeric column, to show in the refusal of one without. */
function binsExample(column: NumericDomain): string {
  const { min, max } = column;
  const entry = (rest: string) => `{"type":"numeric","min":${min},"max":${max},${rest}}`;
  const third = (k: number) => Number((min + ((max - min) * k) / 3).toPrecision(3));
  const edges = [min, third(1), third(2), max];
  const uneven = edges.every((e, i) => i === 0 || e > edges[i - 1]!)
    ? ` or ${entry(`"edges":[${edges.join(',')}]`)}`
    : '';
  return `${entry('"bins":10')} (10 equal-width bins)${uneven} (add "integer":true for whole numbers)`;
}
