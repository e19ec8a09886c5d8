/**
 * encodeTable's refusals (src/synth/data.ts) reported under the spec fields the user gave: the CSV's field
 * (`data`, `real`, `synthetic`, `test`) or the domain's (`domain`). One issue per kind of problem: missing
 * columns, extra columns, the cells outside the domain (the first ten, with the count of the rest), a numeric
 * column without bins (the entry to write), so a table of a hundred bad cells reads as one clear message.
 */
import { ConfigError, type ConfigIssue, UnsupportedError } from '../../core/index.js';

/** Where a table's problems go. */
export interface EncodeErrorFields {
  /** The spec field of the CSV and its path. */
  readonly csv: { readonly field: string; readonly path: string };
  /** The domain file's path (field `domain`). */
  readonly domain: string;
  /** Whether a CSV column the domain lacks is the domain's fault (one CSV: `veil synth`) or the CSV's. */
  readonly extraColumnsAt: 'csv' | 'domain';
  /** What the ConfigError calls the input (`synth spec`). */
  readonly context: string;
}

/** The ConfigError for `err` thrown by encodeTable (anything else is returned as it is). */
export function encodeTableError(err: unknown, at: EncodeErrorFields): unknown {
  const { csv, domain, context } = at;
  if (err instanceof UnsupportedError) {
    // a numeric column without bins: encodeTable's message says how to declare them
    const advice = err.message.replace(/^encodeTable: /, '');
    return new ConfigError(
      [{ path: 'domain', value: domain, allowed: `numeric columns with declared bins: ${advice}` }],
      context,
    );
  }
  if (!(err instanceof ConfigError)) return err;
  const more = /\(first (\d+) of (\d+) cells outside the domain\)/.exec(err.message);
  const names = (prefix: string) =>
    err.issues
      .filter((i) => i.path.startsWith(prefix))
      .map((i) => JSON.stringify(i.path.slice(prefix.length)));
  const missing = names('header.');
  const extra = names('domain.');
  const issues: ConfigIssue[] = [];
  if (missing.length > 0)
    issues.push({
      path: csv.field,
      value: csv.path,
      allowed: `a CSV with a column for every domain entry (no column ${missing.join(', ')})`,
    });
  if (extra.length > 0)
    issues.push(
      at.extraColumnsAt === 'domain'
        ? {
            path: 'domain',
            value: domain,
            allowed: `a domain with an entry for every CSV column (none for ${extra.join(', ')})`,
          }
        : {
            path: csv.field,
            value: csv.path,
            allowed: `a CSV whose columns are all in the domain (the domain has no ${extra.join(', ')})`,
          },
    );
  const cells = err.issues.filter((i) => /^rows\[\d+\]\./.test(i.path));
  if (cells.length > 0) {
    const listed = cells
      .map((i) => `${i.path}: ${i.allowed}${i.value === undefined ? '' : `, got ${JSON.stringify(i.value)}`}`)
      .join('; ');
    const rest = more ? `; ${Number(more[2]) - Number(more[1])} more cells outside it` : '';
    issues.push({ path: csv.field, value: csv.path, allowed: `cells inside the domain (${listed}${rest})` });
  }
  for (const i of err.issues) {
    if (/^(header|domain)\.|^rows\[\d+\]\./.test(i.path)) continue;
    issues.push(
      i.path === 'domain'
        ? { path: 'domain', value: domain, allowed: i.allowed }
        : { path: csv.field, value: csv.path, allowed: i.allowed },
    );
  }
  return new ConfigError(issues, context);
}
