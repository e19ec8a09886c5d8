/**
 * What the routes share: the ledger (acting as each caller through `Ledger.as`), the identity and job stores,
 * where organisations' files live, the queue to tell of a submission, and the registry of routes with their
 * permissions (the role matrix test reads it).
 */

import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { type LedgerAccess, sharedLedger } from '../../jobs/index.js';
import type { Ledger } from '../../ledger/index.js';
import { HttpError } from '../../transport/index.js';
import type { OidcVerifier } from '../auth/oidc.js';
import type { Permission } from '../auth/permissions.js';
import type { ThreadPool } from '../jobs/pool.js';
import type { DispatchedJob } from '../jobs/queue.js';
import type { Caller, Identity } from '../store/identity.js';
import type { JobStore } from '../store/jobs.js';

/** Who may call a route: a permission, or `public` (health, the API description). */
export type Access = Permission | 'public';

/** One route as registered: the matrix test calls each. */
export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly access: Access;
}

export interface ServiceContext {
  readonly ledger: Ledger;
  readonly ledgerUrl: string;
  /** The audit signing key file the ledger was opened with, for the job threads' own ledger handles. */
  readonly auditKeyFile?: string;
  readonly identity: Identity;
  readonly jobs: JobStore;
  /** Organisations' files: `<dataDir>/<org>/` (uploaded datasets), `<dataDir>/<org>/results/<job>/`. */
  readonly dataDir: string;
  readonly oidc: OidcVerifier | null;
  /**
   * The ports coordinator jobs may listen on (`veil serve --coordinator-ports`, inclusive), or null: coordinator
   * jobs are not enabled (a job that listens opens a port on the service's machine: the operator decides which).
   */
  readonly coordinatorPorts: readonly [number, number] | null;
  /** Warm threads that plan submissions off the API's event loop (jobs/plan.ts planInThread). */
  readonly planThreads: ThreadPool;
  /**
   * Tells the queue a job was submitted: wakes the in-process runner (SQLite), or sends the job's message to the
   * workers' queue (PostgreSQL, jobs/queue.ts). A failed send loses nothing: the workers' sweep finds the job.
   */
  readonly dispatch: (job: DispatchedJob) => Promise<void>;
  readonly routes: RouteEntry[];
}

const callers = new WeakMap<FastifyRequest, Caller>();

/** Binds the authenticated caller to its request (auth hook). */
export function setCaller(request: FastifyRequest, caller: Caller): void {
  callers.set(request, caller);
}

/** The request's authenticated caller. @throws {HttpError} 401 when the route skipped authentication */
export function callerOf(request: FastifyRequest): Caller {
  const c = callers.get(request);
  if (!c) throw new HttpError(401, 'unauthenticated', 'this request carries no credentials');
  return c;
}

/** The ledger as the jobs layer takes it, acting as `caller`. */
export function ledgerFor(ctx: ServiceContext, caller: Caller): LedgerAccess {
  return sharedLedger(ctx.ledger.as(caller.actor), ctx.ledgerUrl);
}

/** The organisation's data directory. */
export function orgDir(ctx: ServiceContext, org: string): string {
  return join(ctx.dataDir, org);
}
