/** Health, readiness, Prometheus metrics and the API description. */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { callerOf, type ServiceContext } from '../app/context.js';
import type { ServiceMetrics } from '../ops/metrics.js';

export function opsRoutes(
  app: FastifyInstance,
  ctx: ServiceContext,
  metrics: ServiceMetrics,
  ready: () => boolean,
): void {
  app.get(
    '/healthz',
    { config: { access: 'public' }, schema: { tags: ['operations'], summary: 'The process is up' } },
    async () => ({ ok: true }),
  );
  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'The service can serve: database reachable, not shutting down',
      },
    },
    async (_req, reply) => {
      if (!ready()) return reply.code(503).send({ ok: false, reason: 'shutting down' });
      try {
        await sql`select 1`.execute(ctx.ledger.database.db);
      } catch {
        return reply.code(503).send({ ok: false, reason: 'database unreachable' });
      }
      return { ok: true };
    },
  );
  app.get(
    '/metrics',
    {
      config: { access: 'metrics.read' },
      schema: {
        tags: ['operations'],
        summary: "Prometheus metrics (jobs and budgets of the caller's organisation only)",
      },
    },
    async (req, reply) => reply.type(metrics.contentType).send(await metrics.render(callerOf(req).org)),
  );
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}
