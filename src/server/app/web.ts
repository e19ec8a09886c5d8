/**
 * The dashboard (web/, a Vite app) served by the service at `/`: its built files are read once at start from the
 * bundle directory (default `web/dist` of the package, built by `npm run build:web`) and answered from memory by
 * exact name, each with its gzip form when the browser takes it. Written here rather than with @fastify/static:
 * the bundle is a handful of files known at start, so no path from a URL ever reaches the filesystem, and the
 * routes carry the service's own route config (`access: 'public'`, `face: 'web'`), which the authorisation hooks
 * need on every route.
 *
 * Also `GET /ui-config.json`: what the sign-in page needs to know (the OIDC issuer, the dashboard's client id and
 * the API's audience), and `GET /oidc-callback`, the page the issuer sends the browser back to.
 *
 * Every page answer carries a strict Content-Security-Policy: scripts from the service only, connections to the
 * service and the OIDC issuer only, no framing by other sites.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What the sign-in page is told about OIDC. */
export interface WebOidc {
  readonly issuer: string;
  /** The dashboard's public client at the issuer (authorization code with PKCE). */
  readonly clientId: string;
  /** The API's audience, asked for as the resource indicator (RFC 8707). */
  readonly audience: string;
}

export interface WebOptions {
  /** The built bundle (default: web/dist of the package). */
  readonly dir?: string;
  readonly oidc?: WebOidc | null;
}

/** web/dist of the package: two levels above src/server/app or dist/server/app. */
export const DEFAULT_WEB_DIR = resolve(import.meta.dirname, '../../../web/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface WebFile {
  readonly body: Buffer;
  readonly gzip: Buffer | null;
  readonly type: string;
  readonly etag: string;
  /** Vite's hashed assets never change under their name. */
  readonly immutable: boolean;
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Veil</title>
<body style="font-family:sans-serif;max-width:40rem;margin:3rem auto">
<h1>The dashboard is not built</h1>
<p>The API is up (see <a href="/docs">/docs</a>). To serve the dashboard here, build it once and restart:</p>
<pre>npm run build:web</pre></body></html>`;

function load(dir: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  if (!existsSync(join(dir, 'index.html'))) return files;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const type = TYPES[extname(name)];
      if (!type) continue; // source maps and the like are not served
      const body = readFileSync(path);
      const url = `/${relative(dir, path).split(sep).join('/')}`;
      files.set(url, {
        body,
        gzip: body.length > 1024 && !type.startsWith('image/png') ? gzipSync(body, { level: 9 }) : null,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        immutable: url.startsWith('/assets/'),
      });
    }
  };
  walk(dir);
  return files;
}

function csp(oidc: WebOidc | null | undefined): string {
  const connect = ["'self'", ...(oidc ? [new URL(oidc.issuer).origin] : [])].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    // charts and the report view set style attributes; no script can be injected through a style
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src ${connect}`,
    "frame-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    `form-action 'self'${oidc ? ` ${new URL(oidc.issuer).origin}` : ''}`,
  ].join('; ');
}

/** Adds the dashboard's routes to `app`. Returns how many files it serves (0: not built). */
export function webRoutes(app: FastifyInstance, options: WebOptions = {}): number {
  const files = load(options.dir ?? DEFAULT_WEB_DIR);
  const policy = csp(options.oidc);
  const route = { config: { access: 'public', face: 'web' }, schema: { hide: true } } as const;

  const send = (req: FastifyRequest, reply: FastifyReply, file: WebFile | undefined) => {
    reply.header('content-security-policy', policy);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (!file) return reply.code(200).type('text/html; charset=utf-8').send(NOT_BUILT);
    reply.header('etag', file.etag);
    reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.header('vary', 'accept-encoding');
    if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
    reply.type(file.type);
    const accepts = String(req.headers['accept-encoding'] ?? '');
    if (file.gzip && /\bgzip\b/.test(accepts))
      return reply.header('content-encoding', 'gzip').send(file.gzip);
    return reply.send(file.body);
  };

  const index = () => files.get('/index.html');
  app.get('/', route, (req, reply) => send(req, reply, index()));
  app.get('/oidc-callback', route, (req, reply) => send(req, reply, index()));
  app.get('/ui-config.json', route, async (_req, reply) => {
    reply.header('cache-control', 'no-cache');
    return { oidc: options.oidc ?? null };
  });
  app.get('/assets/*', route, (req, reply) => {
    const file = files.get(req.url.split('?')[0] ?? '');
    if (!file) return reply.code(404).send({ error: { code: 'not_found', message: 'no such file' } });
    return send(req, reply, file);
  });
  for (const [url, file] of files)
    if (!url.startsWith('/assets/') && url !== '/index.html')
      app.get(url, route, (req, reply) => send(req, reply, file));
  return files.size;
}
