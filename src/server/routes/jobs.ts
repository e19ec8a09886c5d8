/**
 * Jobs: submission (the spec resolved for the organisation, its charge planned by the job itself and reserved on
 * the ledger with the job's row), listing, cancellation, events (JSON or server-sent events) and the trained
 * model with its fingerprint.
 */
import { createReadStream, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpError } from '../../transport/index.js';
import { callerOf, orgDir, type ServiceContext } from '../app/context.js';
import { randomId } from '../auth/keys.js';
import { JOB_KINDS, jobKind } from '../jobs/kinds.js';
import { planInThread } from '../jobs/plan.js';
import { JOB_STATES } from '../store/jobs.js';

const Id = z.object({ id: z.string().regex(/^j_[0-9a-f]{20}$/, 'a job id (j_ and 20 hex digits)') });

export function jobRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['jobs'];
  r.post(
    '/v1/jobs',
    {
      config: { access: 'jobs.submit' },
      schema: {
        tags,
        summary:
          'Submit a job: its budget is reserved now, it runs on a worker, progress streams from /events',
        body: z
          .object({
            kind: z.enum(Object.keys(JOB_KINDS) as [string, ...string[]]),
            spec: z.record(z.string(), z.unknown()),
            priority: z.number().int().min(-100).max(100).default(0),
            maxAttempts: z.number().int().min(1).max(10).default(3),
            timeoutSeconds: z
              .number()
              .int()
              .min(1)
              .max(7 * 24 * 3600)
              .default(3600),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const c = callerOf(req);
      const kind = jobKind(req.body.kind);
      const resultDir = join(orgDir(ctx, c.org), 'results', randomId('r_', 12));
      const spec = kind.resolve(req.body.spec, {
        org: c.org,
        orgDir: orgDir(ctx, c.org),
        resultDir,
        coordinatorPorts: ctx.coordinatorPorts,
      });
      const charge = await planInThread(kind, spec, ctx, c, ctx.planThreads);
      const job = await ctx.jobs.submit(c, {
        kind: kind.name,
        spec,
        priority: req.body.priority,
        maxAttempts: req.body.maxAttempts,
        timeoutSeconds: req.body.timeoutSeconds,
        charge,
      });
      try {
        await ctx.dispatch(job);
      } catch {
        // the job and its reservation are committed: a worker's sweep takes a job whose message was not sent
      }
      return reply.code(202).send(job);
    },
  );
  r.get(
    '/v1/jobs',
    {
      config: { access: 'jobs.read' },
      schema: {
        tags,
        summary: "The organisation's jobs, newest first",
        querystring: z
          .object({
            state: z.enum(JOB_STATES).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
          })
          .strict(),
      },
    },
    async (req) => ({ jobs: await ctx.jobs.list(callerOf(req).org, req.query) }),
  );
  r.get('/v1/jobs/:id', { config: { access: 'jobs.read' }, schema: { tags, params: Id } }, async (req) =>
    ctx.jobs.get(callerOf(req).org, req.params.id),
  );
  r.post(
    '/v1/jobs/:id/cancel',
    {
      config: { access: 'jobs.cancel' },
      schema: {
        tags,
        params: Id,
        summary: 'Cancel: a queued job at once (budget refunded), a running one at its next check',
      },
    },
    async (req) => ctx.jobs.cancel(callerOf(req), req.params.id),
  );
  r.get(
    '/v1/jobs/:id/events',
    {
      config: { access: 'jobs.read' },
      schema: {
        tags,
        summary:
          "The job's progress events: JSON, or server-sent events (Accept: text/event-stream) until the job ends",
        params: Id,
        querystring: z.object({ after: z.coerce.number().int().min(0).default(0) }).strict(),
      },
    },
    async (req, reply) => {
      const org = callerOf(req).org;
      const id = req.params.id;
      if (!String(req.headers.accept ?? '').includes('text/event-stream'))
        return { events: await ctx.jobs.events(org, id, req.query.after) };
      await ctx.jobs.get(org, id); // 404 before the stream starts
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      let after = Number(req.headers['last-event-id'] ?? req.query.after) || 0;
      let open = true;
      req.raw.on('close', () => {
        open = false;
      });
      while (open) {
        const events = await ctx.jobs.events(org, id, after);
        for (const e of events) {
          res.write(
            `id: ${e.seq}\nevent: ${e.event.kind}\ndata: ${JSON.stringify({ at: e.at, ...e.event })}\n\n`,
          );
          after = e.seq;
        }
        const job = await ctx.jobs.get(org, id);
        if (events.length === 0 && ['succeeded', 'failed', 'cancelled'].includes(job.state)) {
          res.write(`event: end\ndata: ${JSON.stringify({ state: job.state, error: job.error })}\n\n`);
          break;
        }
        if (events.length === 0) await new Promise((r2) => setTimeout(r2, 250));
      }
      res.end();
      return reply;
    },
  );
  r.get(
    '/v1/jobs/:id/files/:name',
    {
      config: { access: 'jobs.read' },
      schema: {
        tags,
        summary: 'A file the job wrote (its model), with its SHA-256 in the veil-fingerprint header',
        params: Id.extend({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/) }),
      },
    },
    async (req, reply) => {
      const job = await ctx.jobs.get(callerOf(req).org, req.params.id);
      const files = (job.result as { files?: { name: string; fingerprint: string }[] } | null)?.files ?? [];
      const file = files.find((f) => f.name === req.params.name);
      const row = await ctx.jobs.forRun(job.id);
      // the job's outputs: a training job's `out.dir`, a synthesis job's `out` file's directory
      const out = row ? (JSON.parse(row.spec) as { out?: string | { dir?: string } }).out : undefined;
      const dir = typeof out === 'string' ? dirname(out) : out?.dir;
      if (job.state !== 'succeeded' || !file || typeof dir !== 'string' || !existsSync(join(dir, file.name)))
        throw new HttpError(404, 'not_found', 'the job wrote no such file');
      reply.header('veil-fingerprint', file.fingerprint);
      return reply.type('application/octet-stream').send(createReadStream(join(dir, file.name)));
    },
  );
}
