/**
 * One party's upload, once decrypted inside the room: its CSV parsed and checked against the party's declared
 * columns, encoded over their domain, its ids checked (present, distinct). Every refusal names places (a
 * column, a row number) and never a cell or an id: error messages leave the room, records must not.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../core/index.js';
import { type ColumnDomain, readCsvTable } from '../ml/index.js';
import { encodeTable, type SynthData } from '../synth/index.js';
import { HttpError } from '../transport/index.js';
import type { PartyConfig } from './types.js';

/** A validated upload, held in the room's memory only. */
export interface Upload {
  readonly party: string;
  readonly rows: number;
  /** SHA-256 of the decrypted bytes (hex): the party compares it with its own file's. */
  readonly fingerprint: string;
  /** The id of each row. */
  readonly ids: readonly string[];
  /** The party's columns, encoded (codes per column, in the declared order). */
  readonly data: SynthData;
  /** Numeric columns' values clipped to their declared bounds (for joint sums), by column name. */
  readonly numeric: ReadonlyMap<string, Float64Array>;
  readonly receivedAt: Date;
}

const MAX_PLACES = 5;

function refuse(message: string): never {
  throw new HttpError(400, 'schema_mismatch', message);
}

/** The places (paths) of a ConfigError, without its values: `rows[3].age, header.salary`. */
function places(err: ConfigError): string {
  const paths = err.issues.slice(0, MAX_PLACES).map((i) => `${i.path} (${i.allowed})`);
  const more = err.issues.length > MAX_PLACES ? ` and ${err.issues.length - MAX_PLACES} more` : '';
  return `${paths.join('; ')}${more}`;
}

/**
 * Parses and checks a party's decrypted upload: a CSV whose header is exactly the id column and the party's
 * declared columns (any order), every cell inside its column's domain, every id non-empty and distinct.
 * @throws {HttpError} 400 schema_mismatch naming the column or row (never a value)
 * @example const upload = parseUpload(party, 'id', plaintext);
 */
export function parseUpload(party: PartyConfig, idColumn: string, plaintext: Uint8Array): Upload {
  const fingerprint = createHash('sha256').update(plaintext).digest('hex');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    return refuse('the upload is not UTF-8 text (a CSV with a header row is expected)');
  }
  let table: ReturnType<typeof readCsvTable>;
  try {
    table = readCsvTable({ text }, 'upload');
  } catch (err) {
    // csv-parse's messages may quote the offending text: only the paths leave
    if (err instanceof ConfigError) return refuse(`the upload is not a well-formed CSV: ${places(err)}`);
    return refuse('the upload is not a well-formed CSV');
  }
  const expected = [idColumn, ...party.columns.keys()];
  const missing = expected.filter((c) => !table.header.includes(c));
  const extra = table.header.filter((c) => !expected.includes(c));
  if (missing.length > 0 || extra.length > 0)
    return refuse(
      `the header must be exactly ${expected.join(', ')} (any order)` +
        `${missing.length ? `; missing ${missing.join(', ')}` : ''}` +
        `${extra.length ? `; not declared for ${party.name}: ${extra.length} column(s)` : ''}`,
    );
  const idAt = table.header.indexOf(idColumn);
  const ids = new Array<string>(table.rows.length);
  const seen = new Set<string>();
  const duplicates: number[] = [];
  for (let r = 0; r < table.rows.length; r++) {
    const id = table.rows[r]![idAt]!;
    if (id.length === 0) return refuse(`rows[${r}].${idColumn} is empty (every row needs an id)`);
    if (seen.has(id)) duplicates.push(r);
    seen.add(id);
    ids[r] = id;
  }
  if (duplicates.length > 0)
    throw new HttpError(
      400,
      'duplicate_ids',
      `${duplicates.length} row(s) repeat an id already used by an earlier row (first at rows ` +
        `${duplicates.slice(0, MAX_PLACES).join(', ')}); ids must be distinct for the join`,
    );
  const cells = {
    header: table.header.filter((_, j) => j !== idAt),
    rows: table.rows.map((row) => row.filter((_, j) => j !== idAt)),
    source: 'upload',
  };
  let data: SynthData;
  try {
    data = encodeTable(party.columns, cells);
  } catch (err) {
    if (err instanceof ConfigError) return refuse(`cells outside the declared columns: ${places(err)}`);
    return refuse('the upload does not match the declared columns');
  }
  const numeric = new Map<string, Float64Array>();
  for (const [name, column] of party.columns) {
    if (column.type !== 'numeric') continue;
    const j = cells.header.indexOf(name);
    numeric.set(name, numericValues(cells.rows, j, column));
  }
  return {
    party: party.name,
    rows: ids.length,
    fingerprint,
    ids,
    data: { domain: data.domain, columns: data.columns, categories: data.categories },
    numeric,
    receivedAt: new Date(),
  };
}

function numericValues(
  rows: readonly (readonly string[])[],
  j: number,
  column: Extract<ColumnDomain, { type: 'numeric' }>,
): Float64Array {
  const out = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const v = Number(rows[r]![j]);
    out[r] = Math.min(column.max, Math.max(column.min, v)); // encodeTable has checked it is a number
  }
  return out;
}
