/**
 * The Veil service, assembled: the ledger opened once (the service's tables migrated beside it), the API-key
 * pepper unsealed, the stores, the HTTP app (Fastify with zod schemas, OpenAPI 3.1 and its reference page, rate
 * limits, request ids, metrics, authentication and roles on every route) and, on the embedded SQLite ledger, the
 * in-process job runner.
 */
import { dirname, join, resolve } from 'node:path';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { ConfigError } from '../../core/index.js';
import { Ledger } from '../../ledger/index.js';
import { createHttpServer, HttpError } from '../../transport/index.js';
import { newPepper, randomId } from '../auth/keys.js';
import { createOidcVerifier, type OidcConfig } from '../auth/oidc.js';
import { threadPool } from '../jobs/pool.js';
import { type JobDispatcher, openDispatcher } from '../jobs/queue.js';
import { type JobRunner, startRunner } from '../jobs/runner.js';
import { Alerts } from '../ops/alerts.js';
import { createServiceMetrics } from '../ops/metrics.js';
import { identityRoutes } from '../routes/identity.js';
import { jobRoutes } from '../routes/jobs.js';
import { ledgerRoutes } from '../routes/ledger.js';
import { opsRoutes } from '../routes/ops.js';
import { privacyRoutes } from '../routes/privacy.js';
import { reportRoutes } from '../routes/reports.js';
import { webhookRoutes } from '../routes/webhooks.js';
import { Identity } from '../store/identity.js';
import { JobStore } from '../store/jobs.js';
import { migrateService } from '../store/migrations.js';
import type { ServiceSchema } from '../store/schema.js';
import { boxFromEnvironment, resealSecrets, type SecretBox, serviceSecret } from '../store/secrets.js';
import { installAuth } from './auth-hooks.js';
import type { ServiceContext } from './context.js';
import { type WebOptions, webRoutes } from './web.js';

export interface ServiceOptions {
  /** The ledger's URL (`sqlite:PATH` or `postgres://…`). */
  readonly db: string;
  /** Organisations' files (datasets, job outputs); default `files/` beside a SQLite ledger, else `./veil-data/files`. */
  readonly dataDir?: string;
  readonly oidc?: OidcConfig;
  /** Run queued jobs in this process (default: true on SQLite, false on PostgreSQL where `veil worker`s run them). */
  readonly runJobs?: boolean;
  /** Jobs run at once by the in-process runner (default 2). */
  /** Ports coordinator jobs may listen on, inclusive (default: none, coordinator jobs refused). */
  readonly coordinatorPorts?: readonly [number, number];
  readonly slots?: number;
  /** Requests per minute per credential (or address, unauthenticated) before 429 (default 1200). */
  readonly rateLimit?: number;
  /** Access log sink (one JSON object per response; never bodies, tokens or records). */
  readonly log?: (line: Record<string, unknown>) => void;
  /** Seals service secrets (default: the environment's KEK, else none). */
  readonly box?: SecretBox;
  /** The audit signing key file (tests; default the ledger's). */
  readonly auditKeyFile?: string;
  /**
   * Job lease length in seconds (default `VEIL_JOB_LEASE_SECONDS`, else 30): how soon a job of a killed process is
   * taken over. A test and operations knob: shorter leases mean more renewals.
   */
  readonly leaseSeconds?: number;
  /** How often alerts are looked for and sent, ms (default 2000). */
  readonly alertIntervalMs?: number;
  /**
   * The dashboard at `/` (default: the built bundle in web/dist, or a page saying how to build it); `false`: none.
   * Its sign-in page offers OIDC when `oidcClientId` is set too.
   */
  readonly web?: Omit<WebOptions, 'oidc'> | false;
  /** The dashboard's public OIDC client at `oidc.issuer` (authorization code with PKCE). */
  readonly oidcClientId?: string;
}

/** The lease length from `VEIL_JOB_LEASE_SECONDS` (whole seconds, 1 to 3600), or undefined. @throws {ConfigError} */
export function leaseSecondsFromEnvironment(): number | undefined {
  const text = process.env[`VEIL_JOB_LEASE_SECONDS`];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 3600)
    throw new ConfigError(
      [{ path: `VEIL_JOB_LEASE_SECONDS`, value: text, allowed: 'whole seconds in [1, 3600]' }],
      'environment',
    );
  return n;
}

export interface VeilService {
  readonly app: FastifyInstance;
  readonly context: ServiceContext;
  readonly runner: JobRunner | null;
  /** Whether an administrator exists (serve refuses to start without one). */
  hasAdmin(): Promise<boolean>;
  /** Stops: no new requests are ready, running jobs get `graceMs` then are released, the ledger closes. */
  close(graceMs?: number): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Warm threads kept for planning submissions (from the first submission on). */
const PLAN_THREADS = 2;

/** Opens the ledger and the service's stores (migrating them), without the HTTP app. */
export async function openStores(db: string, options: { box?: SecretBox; auditKeyFile?: string } = {}) {
  const ledger = await Ledger.open(db, {
    actor: 'veil-service',
    ...(options.auditKeyFile === undefined ? {} : { auditKeyFile: options.auditKeyFile }),
  });
  try {
    const sdb = ledger.database.db as unknown as Kysely<ServiceSchema>;
    await migrateService(sdb as unknown as Kysely<unknown>, ledger.database.dialect);
    const box = options.box ?? boxFromEnvironment();
    await resealSecrets(sdb, box);
    const pepper = await serviceSecret(sdb, box, 'api-key-pepper', newPepper);
    return { ledger, sdb, box, identity: new Identity(sdb, ledger, pepper), jobs: new JobStore(sdb, ledger) };
  } catch (err) {
    await ledger.close();
    throw err;
  }
}

/** The default data directory for a ledger URL. */
export function defaultDataDir(db: string): string {
  if (db.startsWith('sqlite:') && db !== 'sqlite::memory:')
    return join(dirname(resolve(db.slice('sqlite:'.length))), 'files');
  return resolve('veil-data', 'files');
}

/**
 * Opens the service (not yet listening: see serve.ts).
 * @throws {ConfigError} for a ledger that cannot be opened, a sealed secret the KEK cannot open, an OIDC issuer
 *   that cannot be reached
 */
export async function openVeilService(o: ServiceOptions): Promise<VeilService> {
  const stores = await openStores(o.db, {
    ...(o.box ? { box: o.box } : {}),
    ...(o.auditKeyFile ? { auditKeyFile: o.auditKeyFile } : {}),
  });
  const { ledger, identity, jobs } = stores;
  let runner: JobRunner | null = null;
  let dispatcher: JobDispatcher | null = null;
  let ready = true;
  try {
    const oidc = o.oidc ? await createOidcVerifier(o.oidc) : null;
    const runJobs = o.runJobs ?? ledger.database.dialect === 'sqlite';
    const leaseSeconds = o.leaseSeconds ?? leaseSecondsFromEnvironment();
    // PostgreSQL: submissions go to pg-boss for `veil worker`s (jobs/queue.ts); SQLite: the runner claims them
    if (ledger.database.dialect === 'postgres') dispatcher = await openDispatcher(o.db);
    const ctx: ServiceContext = {
      ledger,
      ledgerUrl: o.db,
      ...(o.auditKeyFile ? { auditKeyFile: o.auditKeyFile } : {}),
      identity,
      jobs,
      dataDir: o.dataDir ?? defaultDataDir(o.db),
      oidc,
      coordinatorPorts: o.coordinatorPorts ?? null,
      planThreads: threadPool(PLAN_THREADS),
      dispatch: async (job) => {
        runner?.wake();
        await dispatcher?.send(job);
      },
      routes: [],
    };
    const metrics = createServiceMetrics({
      jobsByState: (org) => jobs.countsByState(org),
      budgetUsed: async (org) => {
        const accounts = (await ledger.accounts()).filter(
          (a) => org === undefined || a.path === org || a.path.startsWith(`${org}/`),
        );
        const out = [];
        for (const a of accounts.slice(0, 2000)) {
          const s = await ledger.status(a.path);
          out.push({ account: a.path, epsilonUsed: s.epsilonSpent, epsilonLimit: a.epsilonLimit });
        }
        return out;
      },
      auditLogSize: async () => (await ledger.auditHead())?.size ?? 0,
    });
    const app = createHttpServer({
      label: 'veil-service',
      ...(o.log ? { log: o.log } : {}),
      requestId: (headers) => {
        const given = headers['x-request-id'];
        return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomId('r_', 16);
      },
    });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    app.addHook('onResponse', async (request, reply) => {
      try {
        metrics.observeRequest(
          request.method,
          request.routeOptions.url ?? '(unmatched)',
          reply.statusCode,
          reply.elapsedTime / 1000,
        );
      } catch {
        // a metric never fails a response
      }
    });
    await app.register(rateLimit, {
      max: o.rateLimit ?? 1200,
      timeWindow: 60_000,
      // per API key (its id: a guesser varying the secret stays in one bucket), else per address
      keyGenerator: (req) => {
        const auth = req.headers.authorization;
        const key = typeof auth === 'string' ? /^Bearer veil_([0-9a-f]{16})_/.exec(auth) : null;
        return key ? `key:${key[1]}` : `ip:${req.ip}`;
      },
      errorResponseBuilder: (_req, c) =>
        new HttpError(429, 'rate_limited', `too many requests: at most ${c.max} per minute`),
    });
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Veil API',
          version: '1',
          description:
            'Privacy budgets, datasets with consent, DP training jobs, the audit log and the privacy calculators. Authenticate with `Authorization: Bearer <API key or OIDC token>`.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    installAuth(app, ctx);
    opsRoutes(app, ctx, metrics, () => ready);
    identityRoutes(app, ctx);
    ledgerRoutes(app, ctx);
    privacyRoutes(app);
    reportRoutes(app, ctx);
    jobRoutes(app, ctx);
    const alerts = new Alerts(stores.sdb, ledger, stores.box);
    webhookRoutes(app, alerts);
    if (o.web !== false)
      webRoutes(app, {
        ...(o.web ?? {}),
        oidc:
          o.oidc && o.oidcClientId
            ? { issuer: o.oidc.issuer, audience: o.oidc.audience, clientId: o.oidcClientId }
            : null,
      });
    await app.ready();
    const stopAlerts = alerts.start(o.alertIntervalMs ?? 2000);
    if (runJobs)
      runner = startRunner({
        store: jobs,
        ledgerUrl: o.db,
        auditKeyFile: o.auditKeyFile,
        ...(o.slots === undefined ? {} : { slots: o.slots }),
        ...(leaseSeconds === undefined ? {} : { leaseSeconds }),
      });
    let closing: Promise<void> | undefined;
    return {
      app,
      context: ctx,
      runner,
      hasAdmin: () => identity.hasAdmin(),
      close(graceMs = 10_000) {
        closing ??= (async () => {
          ready = false;
          await stopAlerts();
          await runner?.stop(graceMs);
          await dispatcher?.close();
          await app.close();
          await ctx.planThreads.close();
          await ledger.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await dispatcher?.close();
    await ledger.close();
    if (err instanceof ConfigError) throw err;
    throw err;
  }
}
