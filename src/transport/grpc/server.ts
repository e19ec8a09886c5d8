/**
 * The gRPC server: ConnectRPC's Node adapter on `http2.createSecureServer`, TLS 1.3 only, client certificates
 * required and verified against the configured CA(s) and CRL. It hosts any number of services (descriptor +
 * handler, see registry.ts); each call reaches its handler with the {@link PeerIdentity} read from the verified
 * TLS connection. The coordinator's server is this server hosting one service.
 */
import { createSecureServer, type ServerHttp2Session } from 'node:http2';
import { isIP } from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { DescMessage, DescService, MessageShape } from '@bufbuild/protobuf';
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextKey,
  createContextValues,
  type HandlerContext,
  type ServiceImpl,
} from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { assertInteger, InvalidParameterError } from '../../core/index.js';
import { FederatedCoordinatorService } from '../gen/veil/v1/fl_pb.js';
import { assertServiceHandler, checkLabel } from '../handler-check.js';
import { bindService, type HostedService } from '../registry.js';
import type { CoordinatorHandler, PeerIdentity } from '../service.js';
import { checkRequestDecoding, DECODE_FAILURE_KEY } from './decode-check.js';
import { classifyHandlerError, toConnectError } from './errors.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  loadRevocations,
  loadServerTls,
  type RevocationOptions,
  type ServerTlsOptions,
} from './material.js';
import { checkTlsPeer, type PeerCheck } from './peer.js';

/** Where a handler failed, as {@link ServerOptions.onInternalError} is told. */
export interface InternalErrorContext {
  /** The service's full name, e.g. `veil.v1.FederatedCoordinatorService`. */
  readonly service: string;
  /** The method's local name, e.g. `getTask`. */
  readonly rpc: string;
  readonly peer: PeerIdentity;
}

/** What every server takes besides its services. */
interface ListenOptions {
  /** Address to listen on, e.g. `127.0.0.1`, `0.0.0.0` (all IPv4), `::` (all). */
  readonly host: string;
  /** TCP port, 0..65535; 0 picks a free port (read it back from `port`). */
  readonly port: number;
  /** The server's certificate and key, the CA(s) that client certificates must chain to, revocations. */
  readonly tls: ServerTlsOptions;
  /**
   * Largest message accepted or sent, in bytes (default 64 MiB). Larger requests are refused with
   * RESOURCE_EXHAUSTED before they are buffered, so a peer cannot exhaust the server's memory.
   */
  readonly maxMessageBytes?: number;
  /** How long close() lets in-flight calls finish before cutting connections, in ms (default 2000). */
  readonly shutdownGraceMs?: number;
}

/** Options of {@link startServer}. */
export interface ServerOptions extends ListenOptions {
  /** The services to host, each made by `hostService(descriptor, handler)`; at least one, no name twice. */
  readonly services: readonly HostedService[];
  /**
   * Called with errors that are Veil's, not the peer's (answered as INTERNAL without details). Default: one
   * line on stderr.
   */
  readonly onInternalError?: (error: unknown, context: InternalErrorContext) => void;
}

/** Options of {@link startCoordinatorServer}. */
export interface CoordinatorServerOptions extends ListenOptions {
  /** The coordinator: its methods receive each request and the authenticated peer. */
  readonly handler: CoordinatorHandler;
  /** Other services served beside the coordinator's on the same port (e.g. the synthetic samples service). */
  readonly services?: readonly HostedService[];
  /**
   * Called with errors that are Veil's, not the peer's (answered as INTERNAL without details). Default: one
   * line on stderr.
   */
  readonly onInternalError?: (error: unknown, context: { rpc: string; peer: PeerIdentity }) => void;
}

/** A running server. */
export interface RpcServer {
  /** The port it listens on (the chosen one when `port` was 0). */
  readonly port: number;
  /** `https://host:port`, with `localhost` for a wildcard host: what clients pass as `url`. */
  readonly url: string;
  /**
   * Replaces the revocations (CRL and serial list; a field left out means none) for new handshakes and for
   * every later call on open connections, e.g. after revokeCertificate rewrote the CRL. Nothing changes when
   * the new material is refused. Returns the ids of connected peers that are now revoked, so the services
   * can stop counting on them (their connections stay open so that their next call gets a clear
   * PERMISSION_DENIED naming the revocation, rather than a torn connection).
   * @throws {ConfigError} VEIL_CONFIG_INVALID when the CRL cannot be read, is not signed by a trusted CA or is expired
   */
  updateRevocations(revocations: RevocationOptions): Promise<readonly string[]>;
  /** Stops accepting connections, ends in-flight calls (UNAVAILABLE), closes every connection. */
  close(): Promise<void>;
}

/** A running coordinator server. */
export type CoordinatorServer = RpcServer;

const PEER_KEY = createContextKey<PeerCheck>(
  { ok: false, status: 'unauthenticated', reason: 'no TLS connection' },
  { description: 'veil peer identity' },
);

/**
 * Starts a gRPC server over mutual TLS 1.3 (ARCHITECTURE decision 6) hosting every given service: each
 * method of each descriptor is answered at `/<typeName>/<Method>`, as any gRPC peer expects.
 *
 * Identity: for each request, the peer certificate of the verified TLS socket (never a header or a message
 * field) gives the {@link PeerIdentity}: CN, SHA-256 fingerprint of the DER certificate, serial. Revocation:
 * a CRL given in `tls.crl` is loaded into OpenSSL (revoked certificates fail the handshake) and its serials,
 * with `tls.revokedSerials`, are also checked on every connection and every call (PERMISSION_DENIED), so
 * {@link RpcServer.updateRevocations} takes effect on open connections too. No handler is ever called for an
 * unauthenticated or revoked peer.
 *
 * Errors: a request that does not decode as the method's input message → INVALID_ARGUMENT naming the method
 * (decode-check.ts); a handler's ProtocolError → FAILED_PRECONDITION (with a `stage`) or INVALID_ARGUMENT,
 * IntegrityError → INVALID_ARGUMENT, message kept; anything else → INTERNAL, "internal error in the <label>".
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad port, host, maxMessageBytes, service list
 *   (empty, a service twice) or handler
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for a service with a streaming method
 * @throws {ConfigError} VEIL_CONFIG_INVALID for unreadable or mismatched TLS material, or an expired CRL
 * @example
 * const server = await startServer({ host: '0.0.0.0', port: 7443,
 *   tls: { cert: { path: 'certs/server.crt' }, key: { path: 'certs/server.key' }, ca: { path: 'certs/ca.crt' } },
 *   services: [hostService(FederatedCoordinatorService, coordinator, { label: 'coordinator' }), hostService(PsiService, psi)] });
 */
export async function startServer(options: ServerOptions): Promise<RpcServer> {
  return serve('startServer', options);
}

/**
 * Starts the coordinator's gRPC server: {@link startServer} hosting `FederatedCoordinatorService` alone, with
 * the coordinator as its handler (errors say "coordinator", e.g. "internal error in the coordinator").
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad port, host, maxMessageBytes or handler
 * @throws {ConfigError} VEIL_CONFIG_INVALID for unreadable or mismatched TLS material, or an expired CRL
 * @example
 * const server = await startCoordinatorServer({ handler: coordinator, host: '0.0.0.0', port: 7443,
 *   tls: { cert: { path: 'certs/coordinator.crt' }, key: { path: 'certs/coordinator.key' },
 *          ca: { path: 'certs/ca.crt' }, crl: { path: 'certs/crl.pem' } } });
 */
export async function startCoordinatorServer(options: CoordinatorServerOptions): Promise<CoordinatorServer> {
  const fn = 'startCoordinatorServer';
  const { handler, onInternalError, services, ...listen } = options;
  const report = onInternalError ?? logCoordinatorError;
  return serve(fn, {
    ...listen,
    services: [
      bindService(fn, FederatedCoordinatorService, handler, 'coordinator', 'a CoordinatorHandler'),
      ...(services ?? []),
    ],
    onInternalError: (error, context) => report(error, { rpc: context.rpc, peer: context.peer }),
  });
}

async function serve(fn: string, options: ServerOptions): Promise<RpcServer> {
  const { host, port } = options;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const shutdownGraceMs = options.shutdownGraceMs ?? 2000;
  const services = checkServices(fn, options.services);
  if (typeof host !== 'string' || host.length === 0) {
    throw new InvalidParameterError({ fn, param: 'host', value: host, allowed: 'a host name or IP address' });
  }
  assertInteger(fn, 'port', port, 0, 65535);
  assertInteger(fn, 'maxMessageBytes', maxMessageBytes, 1, 2 ** 32 - 1);
  assertInteger(fn, 'shutdownGraceMs', shutdownGraceMs, 0, 600_000);
  const onInternalError = options.onInternalError ?? logInternalError;

  const material = await loadServerTls(fn, options.tls);
  let revoked = material.revoked;
  const baseContext: SecureContextOptions = { ...material.secureContext };
  delete baseContext.crl;

  // In-flight calls, each with how to end it at shutdown. Not ConnectRPC's `shutdownSignal`: it links every call
  // to one AbortSignal, and adding a listener to a signal scans the ones it has, so with 10,000 held long polls
  // each call cost time proportional to the number of calls in flight (31% of a loaded coordinator's CPU).
  const inflight = new Set<(reason: ConnectError) => void>();
  let shuttingDown: ConnectError | null = null;
  const peerChecks = new WeakMap<object, CachedCheck>();
  /** The ConnectRPC implementation of one unary method: authenticate, call the handler, map its errors. */
  const unary =
    (hosted: HostedService, rpc: string) =>
    async (
      request: MessageShape<DescMessage>,
      context: HandlerContext,
    ): Promise<MessageShape<DescMessage>> => {
      const check = context.values.get(PEER_KEY);
      if (!check.ok) {
        throw new ConnectError(
          check.reason,
          check.status === 'permission_denied' ? Code.PermissionDenied : Code.Unauthenticated,
        );
      }
      const malformed = context.values.get(DECODE_FAILURE_KEY);
      if (malformed !== undefined) {
        throw new ConnectError(
          `${context.method.name}: the request is not a valid ${context.method.input.typeName} message (${malformed})`,
          Code.InvalidArgument,
        );
      }
      const handler = hosted.handler as Record<string, UnaryHandler>;
      try {
        if (shuttingDown) throw shuttingDown;
        return await untilAborted(handler[rpc]!(request, check.peer), context.signal, inflight);
      } catch (error) {
        if (error instanceof ConnectError) throw error;
        const failure = classifyHandlerError(error, hosted.label);
        if (failure.internal) {
          onInternalError(error, { service: hosted.service.typeName, rpc, peer: check.peer });
        }
        throw toConnectError(failure);
      }
    };
  const routes = (router: ConnectRouter) => {
    for (const hosted of services) {
      const implementation: Record<string, ReturnType<typeof unary>> = {};
      for (const method of hosted.service.methods) {
        implementation[method.localName] = unary(hosted, method.localName);
      }
      router.service(hosted.service, implementation as unknown as Partial<ServiceImpl<DescService>>);
    }
    // A body that does not decode is the caller's INVALID_ARGUMENT, not ConnectRPC's INTERNAL.
    router.handlers.forEach((handler, i) => {
      router.handlers[i] = checkRequestDecoding(handler, maxMessageBytes);
    });
  };
  const adapter = connectNodeAdapter({
    routes,
    grpc: true,
    grpcWeb: true,
    connect: false,
    readMaxBytes: maxMessageBytes,
    writeMaxBytes: maxMessageBytes,
    contextValues: (req) => createContextValues().set(PEER_KEY, authenticate(req, revoked, peerChecks)),
  });

  const server = createSecureServer(
    {
      ...material.secureContext,
      minVersion: 'TLSv1.3',
      requestCert: true,
      rejectUnauthorized: true,
      allowHTTP1: false,
    },
    adapter,
  );
  // Refuse a revoked (by serial list) or CN-less peer as soon as its handshake completes; the CRL, when
  // given, has already made OpenSSL refuse revoked certificates during the handshake.
  server.on('secureConnection', (socket: TLSSocket) => {
    if (!checkTlsPeer(socket, revoked).ok) socket.destroy();
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    // A peer resetting its connection must not crash the server (an unhandled 'error' would).
    session.on('error', () => {});
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;

  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    url: `https://${urlHost(host)}:${boundPort}`,
    async updateRevocations(update) {
      const next = await loadRevocations('updateRevocations', material.caPem, update);
      server.setSecureContext({
        ...baseContext,
        ...(next.crl !== undefined ? { crl: next.crl } : {}),
        minVersion: 'TLSv1.3',
      });
      const before = revoked;
      revoked = next.serials;
      const now: string[] = [];
      for (const session of sessions) {
        const socket = session.socket as TLSSocket | undefined;
        if (!socket) continue;
        const was = checkTlsPeer(socket, before);
        if (was.ok && !checkTlsPeer(socket, revoked).ok) now.push(was.peer.id);
      }
      return [...new Set(now)].sort();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        shuttingDown = new ConnectError('the server is shutting down', Code.Unavailable);
        for (const end of [...inflight]) end(shuttingDown);
        server.close(() => resolve());
        for (const session of sessions) session.close();
        const timer = setTimeout(() => {
          for (const session of sessions) session.destroy();
        }, shutdownGraceMs);
        timer.unref();
      });
      return closing;
    },
  };
}

/** A connection's peer check and the revocations it was made against (a new revocation set redoes it). */
interface CachedCheck {
  readonly revoked: ReadonlySet<string>;
  readonly check: PeerCheck;
}

/**
 * Reads the peer of a request from its TLS socket, once per connection and revocation set: parsing the client
 * certificate and hashing it on every call was 3% of a loaded coordinator's CPU. The certificate of a TLS
 * connection cannot change, and {@link RpcServer.updateRevocations} installs a new set, which misses the cache.
 * Never throws (a throw here would escape the adapter).
 */
function authenticate(
  req: { readonly socket: unknown; readonly stream?: { readonly session?: object | undefined } },
  revoked: ReadonlySet<string>,
  cache: WeakMap<object, CachedCheck>,
): PeerCheck {
  const session = req.stream?.session;
  const cached = session ? cache.get(session) : undefined;
  if (cached && cached.revoked === revoked) return cached.check;
  let check: PeerCheck;
  try {
    check = checkTlsPeer(req.socket as TLSSocket, revoked);
  } catch {
    check = { ok: false, status: 'unauthenticated', reason: 'could not read the client certificate' };
  }
  if (session) cache.set(session, { revoked, check });
  return check;
}

/**
 * Resolves with `work`, or rejects as soon as the call is cancelled or times out (its signal) or the server shuts
 * down (it calls the entry this adds to `inflight`).
 */
function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  inflight: Set<(reason: ConnectError) => void>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const end = (reason: unknown) => {
      cleanup();
      reject(reason instanceof ConnectError ? reason : new ConnectError('call aborted', Code.Aborted));
    };
    const onAbort = () => end(signal.reason);
    const cleanup = () => {
      signal.removeEventListener('abort', onAbort);
      inflight.delete(end);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    inflight.add(end);
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** A handler's method, its type erased (the service was checked against its descriptor when hosted). */
type UnaryHandler = (
  request: MessageShape<DescMessage>,
  peer: PeerIdentity,
) => Promise<MessageShape<DescMessage>>;

/**
 * Checks the hosted services again (a HostedService may be a literal rather than hostService's): each one a
 * descriptor of unary methods with a handler for each and a label, and no service twice.
 */
function checkServices(fn: string, services: unknown): readonly HostedService[] {
  if (!Array.isArray(services) || services.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'services',
      value: services,
      allowed: 'a non-empty array of hostService(descriptor, handler)',
    });
  }
  const names = new Set<string>();
  for (const hosted of services as HostedService[]) {
    assertServiceHandler(fn, hosted?.service, hosted?.handler);
    checkLabel(fn, hosted.label);
    if (names.has(hosted.service.typeName)) {
      throw new InvalidParameterError({
        fn,
        param: 'services',
        value: hosted.service.typeName,
        allowed: 'each service at most once',
      });
    }
    names.add(hosted.service.typeName);
  }
  return [...services];
}

function logInternalError(error: unknown, context: InternalErrorContext): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `veil server: ${context.service}/${context.rpc} from ${context.peer.id} failed: ${message}\n`,
  );
}

function logCoordinatorError(error: unknown, context: { rpc: string; peer: PeerIdentity }): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`veil coordinator: ${context.rpc} from ${context.peer.id} failed: ${message}\n`);
}
