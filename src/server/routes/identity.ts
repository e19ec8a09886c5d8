/** Routes of the caller, its organisation, principals and API keys. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf, type ServiceContext } from '../app/context.js';
import { PERMISSION_NAMES, permissionsOf, ROLES } from '../auth/permissions.js';

const Id = z.object({ id: z.string().min(1).max(64) });

export function identityRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/me',
    { config: { access: 'org.read' }, schema: { tags: ['identity'], summary: 'Who the caller is' } },
    async (req) => {
      const c = callerOf(req);
      return {
        org: c.org,
        principalId: c.principalId,
        name: c.name,
        role: c.role,
        via: c.via,
        scopes: c.scopes,
        // what this credential may do: the role's permissions, narrowed to the key's scopes (the dashboard hides the rest)
        permissions: permissionsOf(c.role).filter((p) => c.scopes === null || c.scopes.includes(p)),
      };
    },
  );
  r.get(
    '/v1/org',
    { config: { access: 'org.read' }, schema: { tags: ['identity'], summary: "The caller's organisation" } },
    async (req) => ctx.identity.organisation(callerOf(req).org),
  );
  r.get(
    '/v1/principals',
    {
      config: { access: 'principals.read' },
      schema: { tags: ['identity'], summary: 'Principals of the organisation' },
    },
    async (req) => ({
      principals: await ctx.identity.principals(callerOf(req).org),
    }),
  );
  r.post(
    '/v1/principals',
    {
      config: { access: 'principals.manage' },
      schema: {
        tags: ['identity'],
        summary: 'Create a principal (a person or system) with a role',
        body: z
          .object({
            name: z.string().min(1).max(64),
            role: z.enum(ROLES),
            oidc: z
              .object({ issuer: z.string().url().max(500), subject: z.string().min(1).max(500) })
              .strict()
              .optional(),
          })
          .strict(),
      },
    },
    async (req, reply) => reply.code(201).send(await ctx.identity.createPrincipal(callerOf(req), req.body)),
  );
  r.get(
    '/v1/principals/:id',
    { config: { access: 'principals.read' }, schema: { tags: ['identity'], params: Id } },
    async (req) => ctx.identity.principal(callerOf(req).org, req.params.id),
  );
  r.post(
    '/v1/principals/:id/disable',
    { config: { access: 'principals.manage' }, schema: { tags: ['identity'], params: Id } },
    async (req) => ctx.identity.disablePrincipal(callerOf(req), req.params.id),
  );
  r.get(
    '/v1/keys',
    {
      config: { access: 'keys.manage' },
      schema: { tags: ['identity'], summary: 'API keys of the organisation (never the keys themselves)' },
    },
    async (req) => ({
      keys: await ctx.identity.keys(callerOf(req).org),
    }),
  );
  r.post(
    '/v1/keys',
    {
      config: { access: 'keys.manage' },
      schema: {
        tags: ['identity'],
        summary: 'Create an API key for a principal: returned once, only its hash is stored',
        body: z
          .object({
            principalId: z.string().min(1).max(64),
            label: z.string().min(1).max(200).default('api key'),
            scopes: z
              .array(z.enum(PERMISSION_NAMES as [string, ...string[]]))
              .max(64)
              .optional(),
            expiresAt: z.string().datetime({ offset: true }).optional(),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const { key, view } = await ctx.identity.createKey(callerOf(req), {
        principalId: req.body.principalId,
        label: req.body.label,
        scopes: req.body.scopes as never,
        expiresAt: req.body.expiresAt,
      });
      return reply.code(201).send({ apiKey: key, key: view });
    },
  );
  r.post(
    '/v1/keys/:id/revoke',
    { config: { access: 'keys.manage' }, schema: { tags: ['identity'], params: Id } },
    async (req) => ctx.identity.revokeKey(callerOf(req), req.params.id),
  );
}
