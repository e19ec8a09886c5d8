/**
 * What every job kind of the service shares: the kind's shape, and the service's rules for what a request names
 * (files inside the organisation's data directory, accounts under the organisation, datasets by their scoped name)
 * and for what a result shows (no server paths).
 */
import { basename, isAbsolute, join, normalize } from 'node:path';
import type { JobContext, JobEvent } from '../../jobs/index.js';
import { HttpError } from '../../transport/index.js';

/** What the service knows when it resolves a spec. */
export interface ResolveContext {
  readonly org: string;
  /** The organisation's data directory (uploaded datasets live here). */
  readonly orgDir: string;
  /** Where this job's outputs go. */
  readonly resultDir: string;
  /** The ports coordinator jobs may listen on (inclusive), or null when the operator enabled none. */
  readonly coordinatorPorts?: readonly [number, number] | null;
}

export interface JobKind {
  readonly name: string;
  /** The request's spec (already shape-checked by the route) → the spec the job runs, JSON-safe. */
  resolve(raw: unknown, r: ResolveContext): unknown;
  /** Runs the job (in a worker thread) and returns its JSON result. */
  run(spec: unknown, ctx: JobContext): Promise<unknown>;
}

/**
 * A file name the caller gives: relative, inside the organisation's directory, no `..`, no hidden parts.
 * @throws {HttpError} 400 invalid_path
 */
export function insideOrgDir(orgDir: string, name: unknown, field: string): string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 200 ||
    isAbsolute(name) ||
    name.includes('\0')
  )
    throw new HttpError(
      400,
      'invalid_path',
      `${field}: a file name relative to the organisation's data directory`,
    );
  const parts = normalize(name).split(/[\\/]/);
  if (parts.some((p) => p === '..' || p.startsWith('.')))
    throw new HttpError(
      400,
      'invalid_path',
      `${field}: no '..' or hidden parts: files are read only inside the organisation's data directory`,
    );
  return join(orgDir, ...parts);
}

/** An account of the organisation: its root or below. @throws {HttpError} 403 foreign_account */
export function orgAccount(org: string, account: string, field: string): string {
  if (account !== org && !account.startsWith(`${org}/`))
    throw new HttpError(
      403,
      'foreign_account',
      `${field}: the organisation's accounts are ${org} and ${org}/…`,
    );
  return account;
}

/** The ledger's name of an organisation's dataset: `org.name` (dataset names have no '/'). */
export function scopedDataset(org: string, name: string): string {
  return `${org}.${name}`;
}

export type Raw = Record<string, unknown>;
export const obj = (v: unknown): Raw | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined;

/** Text of a job without the service's paths in it: each known path named by its file name. */
export function pathHider(paths: readonly string[]): (text: string) => string {
  const known = paths.filter((p) => p !== '').sort((a, b) => b.length - a.length);
  return (text) => known.reduce((t, p) => t.split(p).join(basename(p)), text);
}

/**
 * `ctx` whose events and failures are told with `hide` applied: a job's messages name its files by the paths the
 * service gave it (everyone with `jobs.read` reads the events, the caller the error).
 */
export function hidingPaths(ctx: JobContext, hide: (text: string) => string): JobContext {
  return {
    ...ctx,
    progress: (event) =>
      ctx.progress('message' in event ? ({ ...event, message: hide(event.message) } as JobEvent) : event),
  };
}

/** The service's paths stay in the service: a summary's absolute paths become file names. */
export function withoutPaths(value: unknown): unknown {
  if (typeof value === 'string') return isAbsolute(value) ? basename(value) : value;
  if (Array.isArray(value)) return value.map(withoutPaths);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutPaths(v)]));
  return value;
}
