/**
 * Reading a CSV file or string into a {@link Table} (csv-parse): a header row, then rows that all have one cell
 * per header column. Cells are trimmed; blank lines are skipped; a byte-order mark is ignored.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ConfigError, InvalidParameterError } from '../../core/index.js';
import { errorCode } from './domain.js';
import { IssueList, type Table } from './table.js';

/** Where a CSV comes from: a file path, or the text itself. Exactly one of the two. */
export type CsvSource =
  | { readonly path: string; readonly text?: undefined }
  | { readonly text: string; readonly path?: undefined };

/**
 * Reads and parses a CSV, checking its shape: not empty, a header of distinct non-empty names, at least one
 * data row, every row as long as the header.
 * @param source `{ path }` or `{ text }`
 * @param fn the public function's name, for parameter errors
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a source that is not exactly one of path/text, or an
 *   unreadable file
 * @throws {ConfigError} VEIL_CONFIG_INVALID for malformed CSV, an empty or header-only file, a bad header, or
 *   ragged rows (each with its 0-based data-row index, header excluded)
 */
export function readCsvTable(source: CsvSource, fn: string): Table {
  const hasPath = typeof source.path === 'string';
  const hasText = typeof source.text === 'string';
  if (hasPath === hasText) {
    throw new InvalidParameterError({
      fn,
      param: 'path/text',
      value: hasPath ? 'both' : 'neither',
      allowed: 'exactly one of path (a CSV file) or text (CSV content)',
    });
  }
  let text: string;
  let name: string;
  if (hasPath) {
    name = `CSV file ${source.path}`;
    try {
      text = readFileSync(source.path as string, 'utf8');
    } catch (error) {
      throw new InvalidParameterError({
        fn,
        param: 'path',
        value: source.path,
        allowed: `a readable CSV file (${errorCode(error)})`,
      });
    }
  } else {
    name = 'CSV text';
    text = source.text as string;
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([{ path: 'csv', value: reason, allowed: 'well-formed CSV' }], name);
  }
  if (records.length === 0) {
    throw new ConfigError(
      [{ path: 'csv', value: '', allowed: 'a header row and at least one data row (the file is empty)' }],
      name,
    );
  }
  const header = records[0]!;
  const issues = new IssueList();
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') issues.add({ path: `header[${i}]`, value: h, allowed: 'a non-empty column name' });
    else if (seen.has(h))
      issues.add({ path: `header[${i}]`, value: h, allowed: 'a column name not used before' });
    seen.add(h);
  });
  issues.throwIfAny(name);
  if (records.length === 1) {
    throw new ConfigError(
      [
        {
          path: 'csv',
          value: `${header.length} columns, 0 rows`,
          allowed: 'at least one data row after the header',
        },
      ],
      name,
    );
  }
  const rows = records.slice(1);
  rows.forEach((row, r) => {
    if (row.length !== header.length) {
      issues.add({
        path: `rows[${r}]`,
        value: `${row.length} cells`,
        allowed: `${header.length} cells, one per header column (ragged row)`,
      });
    }
  });
  issues.throwIfAny(name);
  return { header, rows, source: name };
}
