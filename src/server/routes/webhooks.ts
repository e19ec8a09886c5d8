/** Webhooks for alerts (ops/alerts.ts): register (the HMAC secret returned once), list, disable. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../app/context.js';
import { ALERT_KINDS, type Alerts } from '../ops/alerts.js';

export function webhookRoutes(app: FastifyInstance, alerts: Alerts): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['alerts'];
  r.post(
    '/v1/webhooks',
    {
      config: { access: 'alerts.manage' },
      schema: {
        tags,
        summary:
          'Register a webhook for alerts, signed with an HMAC header (veil-signature); the secret is returned once',
        body: z
          .object({
            url: z.string().min(1).max(2000),
            kinds: z
              .array(z.enum(ALERT_KINDS))
              .min(1)
              .default([...ALERT_KINDS]),
            threshold: z.number().gt(0).lte(1).default(0.8),
          })
          .strict(),
      },
    },
    async (req, reply) => reply.code(201).send(await alerts.create(callerOf(req), req.body)),
  );
  r.get(
    '/v1/webhooks',
    {
      config: { access: 'alerts.manage' },
      schema: { tags, summary: "The organisation's webhooks (never their secrets)" },
    },
    async (req) => ({
      webhooks: await alerts.list(callerOf(req).org),
    }),
  );
  r.post(
    '/v1/webhooks/:id/disable',
    {
      config: { access: 'alerts.manage' },
      schema: { tags, params: z.object({ id: z.string().regex(/^w_[0-9a-f]{20}$/) }) },
    },
    async (req) => alerts.disable(callerOf(req), req.params.id),
  );
}
