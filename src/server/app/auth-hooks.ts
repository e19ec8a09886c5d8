/**
 * Authentication and authorisation for every route. Each route declares its access (a permission or `public`)
 * in `config.access`; a route without one is refused at registration. `onRequest` authenticates: an API key
 * (`veil_…`) or an OIDC JWT, both as `Authorization: Bearer …`; `preValidation` checks the route's permission
 * against the caller's role and the key's scopes. Refusals are 401/403 with stable codes; refusals of a known
 * principal (a forbidden call, a revoked or expired key) are security events in the audit log.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../../transport/index.js';
import { parseApiKey } from '../auth/keys.js';
import { article, type Permission, roleHolds } from '../auth/permissions.js';
import { type Caller, WrongSecret } from '../store/identity.js';
import { type Access, callerOf, type ServiceContext, setCaller } from './context.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (auth-hooks.ts). */
    access?: Access;
    /** `web`: a file of the dashboard (app/web.ts), not an API route. */
    face?: 'web';
  }
}

const guesses = new Map<string, number>();

/** Whether a wrong-secret refusal of key `id` was audited in the last minute (and notes this one if not). */
function recentlyAudited(id: string, guess: boolean): boolean {
  if (!guess) return false;
  const now = Date.now();
  const last = guesses.get(id);
  if (last !== undefined && now - last < 60_000) return true;
  if (guesses.size > 10_000) guesses.clear();
  guesses.set(id, now);
  return false;
}

/** Refusals that are security events when a caller with the permission attempts them (a probe, not a typo). */
const SECURITY_CODES = new Set(['invalid_path', 'foreign_account', 'scope_not_allowed']);

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
      // A known key refused (revoked, expired, disabled, a wrong secret: a guess at a real key) is a security
      // event, filed under the key's organisation; an unknown id is not (anyone could fill the log with them).
      // Guesses are recorded at most once a minute per key: the log stays readable under a brute-force attempt.
      const parsed = parseApiKey(token);
      const guess = err instanceof WrongSecret;
      if (
        err instanceof HttpError &&
        parsed &&
        (guess || err.code !== 'invalid_api_key') &&
        !recentlyAudited(parsed.id, guess)
      ) {
        await ctx.ledger
          .recordEvent({
            action: 'server.auth',
            outcome: 'refused',
            subject: `key ${parsed.id}`,
            ...(guess ? { account: err.org } : {}),
            detail: { code: guess ? 'wrong_secret' : err.code },
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

function safeCaller(request: FastifyRequest): Caller | null {
  try {
    return callerOf(request);
  } catch {
    return null;
  }
}

/** Installs the hooks on `app` (before any route is added). */
export function installAuth(app: FastifyInstance, ctx: ServiceContext): void {
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    const url = route.url;
    if (url.startsWith('/docs')) return; // the reference page's assets: public, read-only
    if (route.config?.face === 'web') return; // the dashboard's files (app/web.ts): public, no API of their own
    if (access === undefined)
      throw new Error(`route ${route.method} ${url} declares no access (config.access)`);
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      ctx.routes.push({ method, url, access });
    }
  });
  app.addHook('onError', async (request, _reply, error) => {
    if (!(error instanceof HttpError) || !SECURITY_CODES.has(error.code)) return;
    const caller = request.routeOptions.config?.access === 'public' ? null : safeCaller(request);
    if (!caller) return;
    await ctx.ledger
      .as(caller.actor)
      .recordEvent({
        action: 'server.refused',
        outcome: 'refused',
        account: caller.org,
        subject: `${request.method} ${request.routeOptions.url}`,
        detail: { code: error.code, message: error.message.slice(0, 300) },
      })
      .catch(() => {});
  });
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access;
    if (access === undefined || access === 'public') return;
    setCaller(request, await authenticate(ctx, request));
  });
  // before validation: a caller without the permission learns nothing from how its body would be judged
  app.addHook('preValidation', async (request) => {
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
        `${article(caller.role)} ${caller.role}${caller.scopes ? ' key limited to its scopes' : ''} may not ${access}`,
      );
    }
  });
}
