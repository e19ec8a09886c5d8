/**
 * Veil's one store for JSON state files (a coordinator's checkpoint, a CA's registers, the audit log's witness
 * head and signing key): JSON that round-trips typed arrays and bigints, parsed with an optional zod schema at
 * the read edge, written atomically and durably through atomic-file.ts. Callers keep their own errors: a read
 * reports what went wrong as a {@link JsonFileProblem} to the caller's `onError`, with a ConfigError by default.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { type AtomicWriteOptions, createFileAtomic, writeFileAtomic } from './atomic-file.js';

/**
 * JSON with typed arrays and bigints that survive the trip: `{"$f32": base64}`, `{"$f64": base64}`,
 * `{"$bigint": "123"}`. Plain JSON values come out exactly as `JSON.stringify` writes them.
 * @param space indentation, as for `JSON.stringify` (none by default)
 */
export function toJsonText(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (v instanceof Float32Array)
        return { $f32: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
      if (v instanceof Float64Array)
        return { $f64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
      if (typeof v === 'bigint') return { $bigint: v.toString() };
      return v;
    },
    space,
  );
}

/**
 * Inverse of {@link toJsonText}.
 * @throws {SyntaxError} for text that is not JSON (or a `$bigint` that is not an integer)
 */
export function fromJsonText(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o.$f32 === 'string') {
        const b = Buffer.from(o.$f32, 'base64');
        return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      }
      if (keys.length === 1 && typeof o.$f64 === 'string') {
        const b = Buffer.from(o.$f64, 'base64');
        return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      }
      if (keys.length === 1 && typeof o.$bigint === 'string') return BigInt(o.$bigint);
    }
    return v;
  });
}

/**
 * Why a JSON file could not be read: `unreadable` (an I/O error other than a missing file), `unparseable` (not
 * JSON) or `invalid` (the schema refused it). `message` is the underlying error's, or the first schema issue's.
 */
export type JsonFileProblem =
  | { readonly kind: 'unreadable' | 'unparseable'; readonly message: string; readonly cause: unknown }
  | { readonly kind: 'invalid'; readonly message: string; readonly issues: readonly z.core.$ZodIssue[] };

/** Options of {@link readJsonFile}. */
export interface ReadJsonFileOptions<T> {
  /** What the file should hold: the `allowed` of the default ConfigError, e.g. 'the JSON the Veil CA wrote'. */
  readonly what: string;
  /** The shape to parse the file into; without one the parsed JSON is returned as is. */
  readonly schema?: z.ZodType<T>;
  /**
   * The caller's error for a file that cannot be read, parsed or validated. By default an I/O error is thrown
   * as it is, and a file that is not JSON or that the schema refuses is a ConfigError naming the path (with
   * `#field.path` for a schema issue).
   */
  readonly onError?: (problem: JsonFileProblem) => Error;
}

/**
 * Reads and parses the JSON file at `path` ({@link fromJsonText}), then checks it against `schema` if given.
 * @returns the parsed value, or null when there is no file at `path`
 * @throws {ConfigError} VEIL_CONFIG_INVALID when the file is not JSON or not of the schema's shape (or what
 *   `onError` returns); the file system's error when it cannot be read
 */
export function readJsonFile<T = unknown>(path: string, options: ReadJsonFileOptions<T>): T | null {
  const fail = (problem: JsonFileProblem): never => {
    if (options.onError) throw options.onError(problem);
    if (problem.kind !== 'invalid') {
      if (problem.kind === 'unreadable') throw problem.cause;
      throw new ConfigError([{ path, value: 'unparseable JSON', allowed: options.what }]);
    }
    const issue = problem.issues[0]!;
    throw new ConfigError([
      { path: `${path}#${issue.path.join('.')}`, value: 'an unexpected value', allowed: issue.message },
    ]);
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return fail({ kind: 'unreadable', message: (err as Error).message, cause: err });
  }
  let raw: unknown;
  try {
    raw = fromJsonText(text);
  } catch (err) {
    return fail({ kind: 'unparseable', message: (err as Error).message, cause: err });
  }
  if (!options.schema) return raw as T;
  const parsed = options.schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    return fail({ kind: 'invalid', message: issues[0]?.message ?? 'invalid', issues });
  }
  return parsed.data;
}

/** Options of {@link writeJsonFileAtomic} and {@link createJsonFile}. */
export interface WriteJsonFileOptions extends AtomicWriteOptions {
  /** Indent by two spaces, for files people read (default: compact). */
  readonly pretty?: boolean;
}

const jsonFileText = (value: unknown, options: WriteJsonFileOptions): string =>
  `${toJsonText(value, options.pretty ? 2 : undefined)}\n`;

/**
 * Writes `value` as JSON ({@link toJsonText}, one trailing newline) to `path`, replacing any file there
 * atomically and durably (see {@link writeFileAtomic}); mode 0o600 unless `options.mode` says otherwise.
 * @throws the file system's error (the old file, if any, is left as it was)
 */
export function writeJsonFileAtomic(path: string, value: unknown, options: WriteJsonFileOptions = {}): void {
  writeFileAtomic(path, jsonFileText(value, options), options);
}

/**
 * Creates `path` holding `value` as JSON unless a file is already there (see {@link createFileAtomic}): of
 * processes racing to create it, exactly one wins and the others read the winner's.
 * @returns true when this call created the file, false when one was already there
 */
export function createJsonFile(path: string, value: unknown, options: WriteJsonFileOptions = {}): boolean {
  return createFileAtomic(path, jsonFileText(value, options), options);
}
