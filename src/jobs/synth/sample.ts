/**
 * Saved synthetic-data models and their sampling: the file `veil synth --save` writes (the fitted model with
 * what decoding needs: the CSV's header and the domain's value names) and `veil synth sample`, which draws rows
 * from it again. Sampling a saved model is post-processing of a private release: it costs no privacy and never
 * touches the ledger.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, type Rng } from '../../core/index.js';
import { type DomainEntry, parseDomain } from '../../ml/index.js';
import {
  type AttributeCoding,
  codingSize,
  decodeColumns,
  type SynthModel,
  synthModelFromJson,
} from '../../synth/index.js';
import { checkCancelled, type JobContext, jobRng } from '../context.js';
import { openUnit, positive, text } from '../fields.js';
import { checkOutFile } from '../ledger/out-file.js';
import type { SynthSampleSpec } from './spec.js';

/** The `format` tag of a file written by `veil synth --save`. */
export const SYNTH_MODEL_FILE_FORMAT = 'veil.synth.model-file';

/** A saved synthetic-data model as written to JSON. */
export interface SynthModelFile {
  readonly format: typeof SYNTH_MODEL_FILE_FORMAT;
  readonly version: 1;
  readonly method: string;
  readonly epsilon: number;
  readonly delta: number;
  /** The zCDP budget of the zCDP methods (mst, aim). */
  readonly rho?: number;
  /** The accounting of the other methods (dpgan: accountant, noise multiplier, sampling rate, steps, …). */
  readonly privacy?: Readonly<Record<string, number | string>>;
  /** The domain of the model's attributes, in the model's order, as a domain file writes it. */
  readonly domain: Readonly<Record<string, DomainEntry>>;
  /** The input CSV's header (the order synthetic CSVs are written in). */
  readonly header: readonly string[];
  /** `model.toJson()`. */
  readonly model: unknown;
}

const ModelFileSchema = z
  .object({
    format: z.literal(SYNTH_MODEL_FILE_FORMAT, { error: `"${SYNTH_MODEL_FILE_FORMAT}"` }),
    version: z.literal(1, { error: '1' }),
    method: text('the method that fitted the model'),
    epsilon: positive(),
    delta: openUnit(),
    rho: positive().optional(),
    privacy: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
    domain: z.record(z.string(), z.unknown(), { error: 'a domain object (column name → entry)' }),
    header: z.array(text('a column name'), { error: 'the CSV header (column names)' }).min(1),
    model: z.unknown(),
  })
  .strict();

/** A loaded model file: the model, and how to decode its samples into the input's CSV layout. */
export interface LoadedSynthModel {
  readonly file: SynthModelFile;
  readonly model: SynthModel;
  readonly categories: readonly AttributeCoding[];
}

/**
 * The domain entries of a model's attributes, as a domain file writes them: codes as a size, named values as
 * `{ type: "categorical", values }`, a numeric column's bins as `{ type: "numeric", edges, integer? }` (its bounds
 * are the first and last edge; equal-width bins are written as their edges, which JSON keeps exactly).
 */
export function domainJson(
  attrs: readonly string[],
  categories: readonly AttributeCoding[],
): Record<string, DomainEntry> {
  const out: Record<string, DomainEntry> = {};
  attrs.forEach((a, j) => {
    const c = categories[j]!;
    if (c.kind === 'codes') out[a] = c.size;
    else if (c.kind === 'values') out[a] = { type: 'categorical', values: [...c.values] };
    else out[a] = { type: 'numeric', edges: [...c.edges], ...(c.integer ? { integer: true } : {}) };
  });
  return out;
}

/**
 * Validates a parsed model file: its fields, its domain, the model, and that the three agree (the same
 * attributes with the same sizes; the header a permutation of them).
 * @throws {ConfigError} at `model` (the file), naming the bad field
 */
export function parseModelFile(json: unknown, path: string): LoadedSynthModel {
  const context = `model file ${path}`;
  const fail = (field: string, value: unknown, allowed: string): never => {
    throw new ConfigError([{ path: field, value, allowed }], context);
  };
  const parsed = ModelFileSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return fail(i.path.join('.') || 'file', undefined, i.message);
  }
  const f = parsed.data;
  const domain = parseDomain(f.domain, context);
  const model = synthModelFromJson(f.model);
  const attrs = model.domain.attrs;
  const categories = attrs.map((a): AttributeCoding => {
    const column = domain.get(a);
    if (column === undefined)
      return fail(`domain.${a}`, undefined, 'an entry for each of the model attributes');
    if (column.type === 'numeric' && column.edges === undefined)
      return fail(`domain.${a}`, undefined, 'a categorical entry, or a numeric entry with bins');
    const c: AttributeCoding =
      column.type === 'categorical'
        ? column.categories
        : { kind: 'bins', edges: column.edges!, integer: column.integer === true };
    const size = codingSize(c);
    if (size !== model.domain.sizes.get(a))
      fail(`domain.${a}`, size, `${model.domain.sizes.get(a)} values, as the model has`);
    return c;
  });
  if (domain.size !== attrs.length)
    fail('domain', [...domain.keys()], `the model's attributes (${attrs.join(', ')})`);
  if (f.header.length !== attrs.length || !attrs.every((a) => f.header.includes(a)))
    fail('header', f.header, `the model's attributes in any order (${attrs.join(', ')})`);
  return { file: f as SynthModelFile, model, categories };
}

/** Reads and validates a model file. @throws {ConfigError} at `model` when it cannot be read or parsed */
export function loadModelFile(path: string): LoadedSynthModel {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      [{ path: 'model', value: path, allowed: `a readable JSON model file (${(err as Error).message})` }],
      'synth sample spec',
    );
  }
  return parseModelFile(json, path);
}

/** `rows` synthetic records from `model`, as CSV text with `header`'s column order and the domain's encoding. */
export function sampleCsv(
  loaded: Pick<LoadedSynthModel, 'model' | 'categories'> & { readonly header: readonly string[] },
  rows: number,
  rng: Rng,
): string {
  const { model, categories, header } = loaded;
  // numeric columns: a value drawn inside each sampled bin with the same rng (post-processing)
  const decoded = decodeColumns({ domain: model.domain, categories }, model.sample(rows, rng), rng);
  const order = header.map((h) => decoded.header.indexOf(h));
  const lines = [header.map(csvCell).join(',')];
  for (const row of decoded.rows) lines.push(order.map((j) => csvCell(row[j]!)).join(','));
  return `${lines.join('\n')}\n`;
}

/** A CSV cell, quoted when it holds a comma, a quote, a line break or edge spaces (the reader trims cells). */
function csvCell(cell: string): string {
  return /[",\r\n]|^\s|\s$/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/**
 * Writes `text` to `path` whole or not at all (a temporary file beside it, renamed over it), creating missing
 * directories. A file-system refusal (disk full, permission) is reported at `field`.
 * @throws {ConfigError} at `field`
 */
export function writeWhole(path: string, text: string, field: string, context: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.veil-tmp-${process.pid}`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as { code?: unknown }).code;
    if (!(err instanceof Error) || typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) throw err;
    throw new ConfigError(
      [{ path: field, value: path, allowed: `a file Veil can write (${err.message})` }],
      context,
    );
  }
}

/** The outcome of `veil synth sample`. */
export interface SynthSampleResult {
  readonly summary: {
    readonly method: string;
    readonly epsilon: number;
    readonly delta: number;
    readonly rows: number;
    readonly out: string;
    readonly model: string;
    readonly seconds: number;
  };
}

/**
 * Samples rows from a saved model (no privacy cost: the model is already a private release; no ledger access).
 * @throws {ConfigError} at `out` (exists without force, not writable) or `model` (unreadable, invalid)
 */
export function runSynthSampleJob(
  spec: SynthSampleSpec,
  ctx: Pick<JobContext, 'seed' | 'progress' | 'signal'>,
): SynthSampleResult {
  const started = performance.now();
  const context = 'synth sample spec';
  checkOutFile(spec.out, spec.force, context);
  ctx.progress({ kind: 'progress', stage: 'reading', done: 0, total: 2, message: `reading ${spec.model}` });
  const loaded = loadModelFile(spec.model);
  checkCancelled(ctx);
  ctx.progress({
    kind: 'progress',
    stage: 'sampling',
    done: 1,
    total: 2,
    message: `sampling ${spec.rows} rows`,
  });
  const csv = sampleCsv({ ...loaded, header: loaded.file.header }, spec.rows, jobRng(ctx, 0));
  writeWhole(spec.out, csv, 'out', context);
  ctx.progress({ kind: 'progress', stage: 'writing', done: 2, total: 2, message: `wrote ${spec.out}` });
  return {
    summary: {
      method: loaded.file.method,
      epsilon: loaded.file.epsilon,
      delta: loaded.file.delta,
      rows: spec.rows,
      out: spec.out,
      model: spec.model,
      seconds: Math.round(performance.now() - started) / 1000,
    },
  };
}
