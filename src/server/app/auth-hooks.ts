/**
 * Authentication and authorisation for every route. Each route declares its access (a permission or `public`)
 * in `config.access`; a route without one is refused at registration. `onRequest` authenticates: an API key
 * (`veil_…`) or an OIDC JWT, both as `Authorization: Bearer …`; `preHandler` checks the route's permission
 * against the caller's role and the key's scopes. Refusals are 401/403 with stable codes; refusals of a known
 * principal (a forbidden call, a revoked or expired key) are security events in the audit log.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../../transport/index.js';
import { parseApiKey } from '../auth/keys.js';
import { type Permission, roleHolds } from '../auth/permissions.js';
import type { Caller } from '../store/identity.js';
import { type Access, callerOf, type ServiceContext, setCaller } from './context.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (auth-hooks.ts). */
    access?: Access;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,16384})$/;

async function authenticate(ctx: ServiceContext, request: FastifyRequest): Promise<Caller> {
  const header = request.headers.authorization;
  if (header === undefined)
    throw new HttpError(401, 'unauthenticated', 'send Authorization: Bearer <API key or OIDC token>');
  const m = BEARER.exec(header);
  if (!m) throw new HttpError(401, 'invalid_token', 'the Authorization header is not "Bearer <token>"');
  const token = m[1] as string;
  if (token.startsWith('veil_')) {
    try {
      return await ctx.identity.callerForKey(token);
    } catch (err) {
      // a known key refused (revoked, expired, disabled, wrong secret) is a security event; unknown ids are not
      // (they would let anyone fill the log), they are counted by the access log's 401s
      const parsed = parseApiKey(token);
      if (err instanceof HttpError && parsed && err.code !== 'invalid_api_key') {
        await ctx.ledger
          .recordEvent({
            action: 'server.auth',
            outcome: 'refused',
            subject: `key ${parsed.id}`,
            detail: { code: err.code },
          })
          .catch(() => {});
      }
      throw err;
    }
  }
  if (token.split('.').length === 3) {
    if (!ctx.oidc)
      throw new HttpError(
        401,
        'invalid_token',
        'this service accepts API keys only (no OIDC issuer is configured)',
      );
    const identity = await ctx.oidc.verify(token);
    return ctx.identity.callerForOidc(identity.issuer, identity.subject);
  }
  throw new HttpError(401, 'invalid_token', 'the bearer token is neither a Veil API key nor a JWT');
}

/** Whether `caller` may use `permission`: its role holds it and, for a scoped key, the scopes include it. */
export function allowed(caller: Caller, permission: Permission): boolean {
  return roleHolds(caller.role, permission) && (caller.scopes === null || caller.scopes.includes(permission));
}

/** Installs the hooks on `app` (before any route is added). */
export function installAuth(app: FastifyInstance, ctx: ServiceContext): void {
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    const url = route.url;
    if (url.startsWith('/docs')) return; // the reference page's assets: public, read-only
    if (access === undefined)
      throw new Error(`route ${route.method} ${url} declares no access (config.access)`);
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      ctx.routes.push({ method, url, access });
    }
  });
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access;
    if (access === undefined || access === 'public') return;
    setCaller(request, await authenticate(ctx, request));
  });
  app.addHook('preHandler', async (request) => {
    const access = request.routeOptions.config?.access;
    if (access === undefined || access === 'public') return;
    const caller = callerOf(request);
    if (!allowed(caller, access)) {
      await ctx.ledger
        .as(caller.actor)
        .recordEvent({
          action: 'server.forbidden',
          outcome: 'refused',
          account: caller.org,
          subject: `${request.method} ${request.routeOptions.url}`,
          detail: { role: caller.role, permission: access, scoped: caller.scopes !== null },
        })
        .catch(() => {});
      throw new HttpError(
        403,
        'forbidden',
        `a ${caller.role}${caller.scopes ? ' key limited to its scopes' : ''} may not ${access}`,
      );
    }
  });
}
