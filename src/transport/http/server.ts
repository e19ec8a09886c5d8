/**
 * The HTTP plumbing every Veil HTTP service shares (the clean room's service, later the API): a Fastify 5
 * instance without Fastify's logger, one access-log line per response carrying only what is safe to keep
 * (method, route pattern, status, milliseconds, error code: never bodies, query strings or headers), a parser
 * for `application/octet-stream` bodies (a Buffer, within the body limit), every error answered as
 * `{ "error": { "code", "message" } }` through errors.ts, and {@link listen} to serve it. Routes are added by the
 * caller; transport knows nothing of what they do.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { assertInteger, InvalidParameterError } from '../../core/index.js';
import { checkLabel } from '../handler-check.js';
import { errorReply } from './errors.js';

/** The bytes of each request's body as received, for the bodies this module parses (JSON, octet-stream). */
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/**
 * The body of `request` exactly as received, when it was parsed by a server of {@link createHttpServer}
 * (`application/json` or `application/octet-stream`); undefined for a request without a body or of another type.
 * Internal to http/ (signature-hook.ts); not on the module face.
 * @throws {never} nothing
 * @example
 * const bytes = rawBodyOf(request); // the exact bytes a signature covers
 */
export function rawBodyOf(request: FastifyRequest): Buffer | undefined {
  return rawBodies.get(request);
}

/** The default body limit: 1 MiB. */
export const DEFAULT_HTTP_BODY_LIMIT = 1024 * 1024;

/** One access-log line: nothing from the request but its method and the route's pattern. */
export interface HttpLogLine {
  /** The label given to {@link createHttpServer}. */
  readonly server: string;
  readonly method: string;
  /** The route pattern (e.g. `/jobs/:id`), `(unmatched)` when no route matched; never the raw URL. */
  readonly route: string;
  readonly status: number;
  /** Milliseconds from the request's arrival to the end of the response. */
  readonly ms: number;
  /** The stable error code sent, for an error response. */
  readonly code?: string;
  /** The request's id, when the server gives ids ({@link HttpServerOptions.requestId}). */
  readonly requestId?: string;
}

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  /** Names the service in log lines, e.g. `cleanroom`. */
  readonly label: string;
  /** The largest request body accepted, in bytes (default 1 MiB); larger gets 413 `body_too_large`. */
  readonly bodyLimit?: number;
  /** Receives one line per response; a throwing callback never affects the response. */
  readonly log?: (line: Record<string, unknown>) => void;
  /**
   * Gives each request its id (logged as `requestId`, e.g. to answer in an `x-request-id` header); default:
   * Fastify's counter.
   */
  readonly requestId?: (headers: Readonly<Record<string, string | string[] | undefined>>) => string;
}

/**
 * Creates a Fastify instance with Veil's plumbing: safe access logging, an `application/octet-stream` parser
 * (the body as a Buffer), JSON error replies with stable codes, and 404 `not_found` for unknown routes. Add
 * routes to it, then {@link listen} (or `app.inject` in tests).
 * @param options `label` (required), `bodyLimit` in bytes (default 1 MiB, an integer in [1, 2^31 - 1]), `log`
 * @returns the Fastify instance, not yet listening
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an empty label, a bad bodyLimit or a log that is
 *   not a function
 * @example
 * const app = createHttpServer({ label: 'cleanroom', bodyLimit: 64 * 1024 * 1024, log: (l) => console.log(l) });
 * app.post('/uploads', async (request) => ({ bytes: (request.body as Buffer).length }));
 * const server = await listen(app, { host: '127.0.0.1', port: 0 });
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const fn = 'createHttpServer';
  if (typeof options !== 'object' || options === null) {
    throw new InvalidParameterError({
      fn,
      param: 'options',
      value: options,
      allowed: '{ label, bodyLimit?, log? }',
    });
  }
  const label = checkLabel(fn, options.label);
  const bodyLimit = options.bodyLimit ?? DEFAULT_HTTP_BODY_LIMIT;
  assertInteger(fn, 'bodyLimit', bodyLimit, 1, 2 ** 31 - 1);
  const log = options.log;
  if (log !== undefined && typeof log !== 'function') {
    throw new InvalidParameterError({ fn, param: 'log', value: log, allowed: 'a function' });
  }

  const requestId = options.requestId;
  if (requestId !== undefined && typeof requestId !== 'function') {
    throw new InvalidParameterError({ fn, param: 'requestId', value: requestId, allowed: 'a function' });
  }
  const app =
    requestId === undefined
      ? Fastify({ logger: false, bodyLimit })
      : Fastify({
          logger: false,
          bodyLimit,
          genReqId: (req: { headers: IncomingHttpHeaders }) => requestId(req.headers),
        });
  /** The code sent with each error response, for its log line. */
  const sentCodes = new WeakMap<FastifyRequest, string>();

  // Both parsers keep the bytes as received: a signed request's signature covers them (signed-requests.ts).
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit },
    (request, body, done) => {
      rawBodies.set(request, body as Buffer);
      done(null, body);
    },
  );
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    rawBodies.set(request, body as Buffer);
    // Fastify's own JSON parser (secure-json-parse, prototype poisoning refused) reads a Buffer as well.
    parseJson(request, body as unknown as string, done);
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorReply(error);
    sentCodes.set(request, body.error.code);
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    sentCodes.set(request, 'not_found');
    return reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send({ error: { code: 'not_found', message: 'no such route' } });
  });

  if (log !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      const code = sentCodes.get(request);
      const line: HttpLogLine = {
        server: label,
        method: request.method,
        route: request.routeOptions.url ?? '(unmatched)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 1000) / 1000,
        ...(code === undefined ? {} : { code }),
        ...(requestId === undefined ? {} : { requestId: String(request.id) }),
      };
      try {
        log({ ...line });
      } catch {
        // A failing log sink must not turn a served response into an error.
      }
    });
  }
  return app;
}

/** A server started by {@link listen}. */
export interface HttpListening {
  /** `http://host:port` (the chosen port when 0 was asked; `localhost` for a wildcard host, brackets for IPv6). */
  readonly url: string;
  /** Stops accepting connections and waits for in-flight requests to finish. */
  close(): Promise<void>;
}

/**
 * Starts `app` listening on `host:port` (plain HTTP: put TLS in front, or serve on loopback only).
 * @param app a Fastify instance, e.g. from {@link createHttpServer}
 * @param address `host` (e.g. `127.0.0.1`, `0.0.0.0`, `::`) and `port` (0 picks a free one)
 * @returns the base URL and a `close` function
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an empty host or a port outside [0, 65535]
 * @throws {Error} what Node reports when the address cannot be bound (e.g. EADDRINUSE)
 * @example
 * const server = await listen(app, { host: '127.0.0.1', port: 0 });
 * await fetch(`${server.url}/health`);
 * await server.close();
 */
export async function listen(
  app: FastifyInstance,
  address: { readonly host: string; readonly port: number },
): Promise<HttpListening> {
  const fn = 'listen';
  if (typeof address?.host !== 'string' || address.host.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'host',
      value: address?.host,
      allowed: 'a host name or IP address',
    });
  }
  assertInteger(fn, 'port', address.port, 0, 65535);
  await app.listen({ host: address.host, port: address.port });
  const bound = app.server.address() as AddressInfo;
  const wildcard = address.host === '0.0.0.0' || address.host === '::';
  const host = wildcard ? 'localhost' : bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const url = `http://${host}:${bound.port}`;
  let closing: Promise<void> | undefined;
  return Object.freeze({
    url,
    close: () => {
      closing ??= app.close();
      return closing;
    },
  });
}
