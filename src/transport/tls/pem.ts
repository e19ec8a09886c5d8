/**
 * How TLS material is handed to the server and client: a PEM string in memory, or `{ path }` to read a PEM
 * file. The two are told apart by type, never by guessing from the content.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../core/index.js';

/**
 * A PEM-encoded certificate, key, CA bundle or CRL: either the PEM text itself (a string that contains
 * `-----BEGIN …-----`), or `{ path }` naming a PEM file to read.
 *
 * @example
 * const tls = { cert: { path: 'certs/hospital-1.crt' }, key: { path: 'certs/hospital-1.key' }, ca: caPemString };
 */
export type PemInput = string | { readonly path: string };

/**
 * Reads a {@link PemInput} into PEM text and checks that it holds a PEM block of the expected kind.
 * @param field where the value came from, for the error (e.g. `tls.cert`)
 * @param label the PEM label expected, e.g. `CERTIFICATE`, `PRIVATE KEY` (any `… PRIVATE KEY` matches), `X509 CRL`
 * @throws {ConfigError} VEIL_CONFIG_INVALID when the value is neither PEM text nor a readable PEM file
 */
export async function loadPem(field: string, input: unknown, label: string): Promise<string> {
  let text: string;
  let where: string;
  if (typeof input === 'string') {
    text = input;
    where = `PEM text (${text.length} characters)`;
  } else if (
    typeof input === 'object' &&
    input !== null &&
    typeof (input as { path?: unknown }).path === 'string'
  ) {
    const path = (input as { path: string }).path;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError([{ path: field, value: path, allowed: `a readable PEM file (${reason})` }]);
    }
    where = `the file ${path}`;
  } else {
    throw new ConfigError([
      { path: field, value: input, allowed: 'PEM text (a string) or { path } of a PEM file' },
    ]);
  }
  const pattern = label.endsWith('PRIVATE KEY')
    ? /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/
    : new RegExp(`-----BEGIN ${label}-----`);
  if (!pattern.test(text)) {
    const looksLikePath = typeof input === 'string' && !text.includes('-----BEGIN');
    throw new ConfigError([
      {
        path: field,
        // never echo the content: it may be a key
        value: where,
        allowed: looksLikePath
          ? `PEM containing a ${label} block (a string is PEM text, not a file name: pass { path } to read a file)`
          : `PEM containing a ${label} block`,
      },
    ]);
  }
  return text;
}
