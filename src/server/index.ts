/**
 * @module veil/server
 *
 * The Veil service: one HTTP API (Fastify, zod schemas, OpenAPI 3.1 at `/openapi.json`, reference page at
 * `/docs`) in front of the jobs layer — organisations, principals and API keys, budgets, datasets and consent,
 * DP training jobs queued and run on workers with their budget reserved at submission, the audit log and the
 * privacy calculators. Every route is authenticated (API keys or OIDC JWTs) and authorised by role within the
 * caller's organisation; every change is in the audit log.
 *
 * @example
 * import { adminInit, serve } from 'veil/server';
 * const { apiKey } = await adminInit('sqlite:./veil-data/veil.db', 'acme', 'operator');
 * const s = await serve({ db: 'sqlite:./veil-data/veil.db', host: '127.0.0.1', port: 8080 });
 * await fetch(`${s.url}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } });
 */

export { allowed } from './app/auth-hooks.js';
export type { RouteEntry, ServiceContext } from './app/context.js';
export {
  defaultDataDir,
  leaseSecondsFromEnvironment,
  openStores,
  openVeilService,
  type ServiceOptions,
  type VeilService,
} from './app/service.js';
export { type OidcConfig, parseOidcConfig } from './auth/oidc.js';
export {
  isPermission,
  isRole,
  PERMISSION_NAMES,
  PERMISSIONS,
  type Permission,
  permissionsOf,
  ROLES,
  type Role,
  roleHolds,
} from './auth/permissions.js';
export { type ServiceClient, serviceClient } from './client.js';
export { JOB_KINDS } from './jobs/kinds.js';
export { type DispatchedJob, JOB_QUEUE, type QueueWorker } from './jobs/queue.js';
export { type AdminInit, adminInit, type ServeOptions, type Serving, serve } from './serve.js';
export type { Caller } from './store/identity.js';
export { JOB_STATES, type JobState, type JobView } from './store/jobs.js';
export { runWorker, type WorkerOptions } from './worker.js';
