/**
 * `veil psi`: private set intersection of two CSVs on an identifier column (ECDH-PSI, src/mpc/psi). In one
 * process (`--left`, `--right`) both parties run here; `veil psi serve` / `veil psi join` run one party each,
 * over gRPC with mutual TLS. In intersection mode each party may write its aligned rows (its own rows of the
 * intersection, in the order both parties share) for a joint computation; in cardinality mode only the count
 * is learnt and there is nothing to write.
 */
import { existsSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, ensureDirectory, InvalidParameterError } from '../../core/index.js';
import { readCsvTable } from '../../ml/index.js';
import { type Channel, memoryChannelPair, NORMALISE_RULES, type PsiResult, psi } from '../../mpc/index.js';
import { text } from '../fields.js';

const CONTEXT = 'psi';

/** `veil psi --left FILE --right FILE --key COLUMN`. */
export const PsiRunSpecSchema = z
  .object({
    left: text('a CSV file'),
    right: text('a CSV file'),
    key: text('the identifier column'),
    cardinalityOnly: z.boolean().default(false),
    /** A directory for left-aligned.csv and right-aligned.csv (intersection mode). */
    out: z.string().optional(),
    force: z.boolean().default(false),
    normalise: z.enum(NORMALISE_RULES, { error: `one of ${NORMALISE_RULES.join(', ')}` }).default('trim'),
  })
  .strict();
/** The parsed spec of `veil psi`. */
export type PsiRunSpec = z.output<typeof PsiRunSpecSchema>;

/** What `veil psi` prints. */
export interface PsiRunResult {
  readonly intersection: number;
  readonly leftSize: number;
  readonly rightSize: number;
  /** Bytes between the parties, both directions. */
  readonly bytes: number;
  readonly ms: number;
  readonly mode: 'intersection' | 'cardinality';
  readonly normalise: string;
  /** The files written, when `out` was given. */
  readonly files?: { readonly left: string; readonly right: string };
}

/** One party's table: header, rows and the identifiers of its key column. */
export interface PsiTable {
  readonly file: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly ids: readonly string[];
}

/**
 * Reads a party's CSV and its key column.
 * @throws {ConfigError} VEIL_CONFIG_INVALID at `field`: unreadable, malformed, or without the key column
 */
export function readPsiTable(file: string, key: string, field: string): PsiTable {
  let table: ReturnType<typeof readCsvTable>;
  try {
    table = readCsvTable({ path: file }, 'psi');
  } catch (err) {
    if (err instanceof InvalidParameterError)
      throw new ConfigError([{ path: field, value: file, allowed: String(err.details.allowed) }], CONTEXT);
    if (err instanceof ConfigError)
      throw new ConfigError(
        [
          {
            path: field,
            value: file,
            allowed: `a CSV file with a header row (${err.issues.map((i) => `${i.path}: ${i.allowed}`).join('; ')})`,
          },
        ],
        CONTEXT,
      );
    throw err;
  }
  const at = table.header.indexOf(key);
  if (at < 0)
    throw new ConfigError(
      [{ path: 'key', value: key, allowed: `a column of ${basename(file)}: ${table.header.join(', ')}` }],
      CONTEXT,
    );
  return { file, header: table.header, rows: table.rows, ids: table.rows.map((r) => r[at]!) };
}

/**
 * Checks that `dir` can take the aligned files (nothing is overwritten without `force`).
 * @throws {ConfigError} VEIL_CONFIG_INVALID at `out`
 */
export function checkOut(dir: string, names: readonly string[], force: boolean, field = 'out'): void {
  try {
    ensureDirectory(dir);
  } catch (err) {
    throw new ConfigError(
      [{ path: field, value: dir, allowed: `a writable directory (${(err as Error).message})` }],
      CONTEXT,
    );
  }
  if (!statSync(dir).isDirectory())
    throw new ConfigError([{ path: field, value: dir, allowed: 'a directory' }], CONTEXT);
  const probe = join(dir, `.veil-psi-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    throw new ConfigError(
      [{ path: field, value: dir, allowed: `a writable directory (${(err as NodeJS.ErrnoException).code})` }],
      CONTEXT,
    );
  }
  for (const n of names)
    if (!force && existsSync(join(dir, n)))
      throw new ConfigError(
        [{ path: field, value: dir, allowed: `a directory without ${n} (or --force to replace it)` }],
        CONTEXT,
      );
}

/** Writes a party's aligned rows (header first) atomically: a temporary file renamed into place. */
export function writeAligned(path: string, table: PsiTable, rows: readonly number[]): void {
  const quote = (c: string) => (/[",\n\r]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c);
  const lines = [table.header, ...rows.map((r) => table.rows[r]!)].map((r) => r.map(quote).join(','));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${lines.join('\n')}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Duplicate identifiers are the caller's data problem: named under `field`, not as a bad argument. */
export function psiInputError(err: unknown, field: string): unknown {
  if (err instanceof InvalidParameterError)
    return new ConfigError(
      [{ path: field, value: undefined, allowed: String(err.details.allowed) }],
      CONTEXT,
    );
  return err;
}

/** Both parties in this process over the in-memory channel. */
export async function runPsiJob(spec: PsiRunSpec): Promise<PsiRunResult> {
  const left = readPsiTable(spec.left, spec.key, 'left');
  const right = readPsiTable(spec.right, spec.key, 'right');
  const mode = spec.cardinalityOnly ? 'cardinality' : 'intersection';
  if (spec.out !== undefined && mode === 'cardinality')
    throw new ConfigError(
      [{ path: 'out', value: spec.out, allowed: 'absent with cardinality-only (no rows are learnt)' }],
      CONTEXT,
    );
  const names = ['left-aligned.csv', 'right-aligned.csv'];
  if (spec.out !== undefined) checkOut(spec.out, names, spec.force);
  const [a, b]: [Channel, Channel] = memoryChannelPair({ peers: ['right', 'left'] });
  const t0 = performance.now();
  let results: [PsiResult, PsiResult];
  try {
    results = await Promise.all([
      psi(a, { role: 'left', ids: left.ids, mode, normalise: spec.normalise }).catch((e) => {
        a.close('left failed');
        throw psiInputError(e, 'left');
      }),
      psi(b, { role: 'right', ids: right.ids, mode, normalise: spec.normalise }).catch((e) => {
        b.close('right failed');
        throw psiInputError(e, 'right');
      }),
    ]);
  } finally {
    a.close('done');
  }
  const ms = performance.now() - t0;
  const [l, r] = results;
  let files: PsiRunResult['files'];
  if (spec.out !== undefined && l.mode === 'intersection' && r.mode === 'intersection') {
    files = { left: join(spec.out, names[0]!), right: join(spec.out, names[1]!) };
    writeAligned(files.left, left, l.rows);
    writeAligned(files.right, right, r.rows);
  }
  return {
    intersection: l.intersection,
    leftSize: l.size,
    rightSize: r.size,
    bytes: l.bytes.sent + l.bytes.received,
    ms: Math.round(ms),
    mode,
    normalise: l.normalise,
    ...(files ? { files } : {}),
  };
}

/** `veil psi serve` / `veil psi join`: one party with its own CSV. */
export const PsiPartySpecSchema = z
  .object({
    data: text('a CSV file'),
    key: text('the identifier column'),
    cardinalityOnly: z.boolean().default(false),
    /** A file for this party's aligned rows (intersection mode). */
    out: z.string().optional(),
    force: z.boolean().default(false),
    normalise: z.enum(NORMALISE_RULES, { error: `one of ${NORMALISE_RULES.join(', ')}` }).default('trim'),
    listen: z.string().optional(),
    connect: z.string().optional(),
    cert: text('a PEM certificate file'),
    tlsKey: text('a PEM private key file'),
    ca: text('the PEM CA certificate the peer chains to'),
    timeoutMs: z.number().int().positive().default(600_000),
  })
  .strict();
/** The parsed spec of one PSI party. */
export type PsiPartySpec = z.output<typeof PsiPartySpecSchema>;

/** What one PSI party prints. */
export interface PsiPartyResult {
  readonly intersection: number;
  readonly size: number;
  readonly peerSize: number;
  readonly bytes: number;
  readonly ms: number;
  readonly mode: 'intersection' | 'cardinality';
  readonly normalise: string;
  readonly file?: string;
}

const PSI_PROTOCOL = 'veil.psi.v1';

/**
 * One party of a two-process PSI: `listen` serves (role left), `connect` joins (role right).
 * @param listening called with the URL and port once the server listens
 */
export async function runPsiPartyJob(
  spec: PsiPartySpec,
  listening?: (url: string, port: number) => void,
): Promise<PsiPartyResult> {
  const table = readPsiTable(spec.data, spec.key, 'data');
  const mode = spec.cardinalityOnly ? 'cardinality' : 'intersection';
  if (spec.out !== undefined && mode === 'cardinality')
    throw new ConfigError(
      [{ path: 'out', value: spec.out, allowed: 'absent with cardinality-only (no rows are learnt)' }],
      CONTEXT,
    );
  if (spec.out !== undefined) {
    const dir = dirname(spec.out);
    checkOut(dir, [basename(spec.out)], spec.force);
  }
  if ((spec.listen === undefined) === (spec.connect === undefined))
    throw new ConfigError(
      [
        {
          path: 'listen',
          value: spec.listen,
          allowed: 'exactly one of --listen (serve) and --connect (join)',
        },
      ],
      CONTEXT,
    );
  const { joinOnce, parseListen, serveOnce } = await import('./two-party.js');
  const tls = { cert: spec.cert, key: spec.tlsKey, ca: spec.ca };
  const t0 = performance.now();
  const body = (role: 'left' | 'right') => (ch: Channel) =>
    psi(ch, { role, ids: table.ids, mode, normalise: spec.normalise }).catch((e) => {
      ch.close('input refused');
      throw psiInputError(e, 'data');
    });
  let r: PsiResult;
  if (spec.listen !== undefined)
    r = await serveOnce(
      {
        listen: parseListen(spec.listen),
        tls,
        protocol: PSI_PROTOCOL,
        timeoutMs: spec.timeoutMs,
        ...(listening ? { listening } : {}),
      },
      body('left'),
    );
  else {
    if (!/^https:\/\/[^/]+$/.test(spec.connect!))
      throw new ConfigError(
        [{ path: 'connect', value: spec.connect, allowed: "the serving party's URL, https://HOST:PORT" }],
        CONTEXT,
      );
    r = await joinOnce(
      { url: spec.connect!, tls, protocol: PSI_PROTOCOL, timeoutMs: spec.timeoutMs },
      body('right'),
    );
  }
  if (spec.out !== undefined && r.mode === 'intersection') writeAligned(spec.out, table, r.rows);
  return {
    intersection: r.intersection,
    size: r.size,
    peerSize: r.peerSize,
    bytes: r.bytes.sent + r.bytes.received,
    ms: Math.round(performance.now() - t0),
    mode,
    normalise: r.normalise,
    ...(spec.out !== undefined && r.mode === 'intersection' ? { file: spec.out } : {}),
  };
}
