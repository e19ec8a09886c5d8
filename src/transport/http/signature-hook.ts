/**
 * The Fastify side of signed requests: a hook that checks every request of a route (or scope) with a
 * {@link RequestVerifier} before validation and the handler run, and {@link signedParty} to read, in the handler,
 * which party signed. The bytes checked are the body as received, kept by the parsers of createHttpServer.
 */
import type { FastifyRequest } from 'fastify';
import { InternalError, InvalidParameterError } from '../../core/index.js';
import { HttpError } from './errors.js';
import { rawBodyOf } from './server.js';
import { RequestVerifier } from './signed-requests.js';

/** The party each verified request was signed by. */
const verifiedParties = new WeakMap<FastifyRequest, string>();

/**
 * A Fastify hook that refuses any request not signed by a known party; register it as `preValidation` (so an
 * unsigned request learns nothing about the route's schema) or `preHandler`, on a route or a scope. It verifies
 * `request.method`, `request.url` (path and query as sent), the headers and the body bytes as received (JSON and
 * octet-stream bodies of a {@link createHttpServer} server; none for a request without a body); read the party
 * with {@link signedParty}.
 * @param verifier the server's one verifier (it holds the replay cache)
 * @returns the hook
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when `verifier` is not a RequestVerifier; the hook itself
 *   throws {@link HttpError} as {@link RequestVerifier.verify} does, and 415 `unsupported_media_type` for a body
 *   whose bytes were not kept (a content type other than JSON or octet-stream)
 * @example
 * app.post('/jobs', { preValidation: requireSignature(verifier) }, async (request) => {
 *   return { submittedBy: signedParty(request) };
 * });
 */
export function requireSignature(verifier: RequestVerifier): (request: FastifyRequest) => Promise<void> {
  if (!(verifier instanceof RequestVerifier)) {
    throw new InvalidParameterError({
      fn: 'requireSignature',
      param: 'verifier',
      value: verifier,
      allowed: 'a RequestVerifier',
    });
  }
  return async (request) => {
    let body: Uint8Array | undefined = rawBodyOf(request);
    if (body === undefined && request.body !== undefined && request.body !== null) {
      if (request.body instanceof Uint8Array) body = request.body;
      else {
        throw new HttpError(
          415,
          'unsupported_media_type',
          'a signed request body must be application/json or application/octet-stream',
        );
      }
    }
    const party = verifier.verify({
      method: request.method,
      path: request.url,
      headers: request.headers,
      body,
    });
    verifiedParties.set(request, party);
  };
}

/**
 * The party that signed `request`, as checked by {@link requireSignature}'s hook.
 * @param request a request of a route guarded by {@link requireSignature}
 * @returns the party's name
 * @throws {InternalError} VEIL_INTERNAL when the route is not guarded (a bug in the server's wiring)
 * @example
 * const party = signedParty(request); // 'hospital-1'
 */
export function signedParty(request: FastifyRequest): string {
  const party = verifiedParties.get(request);
  if (party === undefined) {
    throw new InternalError('signedParty: this route does not verify signatures (add requireSignature)', {
      route: request.routeOptions.url,
    });
  }
  return party;
}
