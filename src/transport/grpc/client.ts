/**
 * gRPC clients: ConnectRPC's gRPC transport over one HTTP/2 connection, TLS 1.3 only, presenting the caller's
 * certificate and trusting only the configured CA(s); the server's certificate must name the host being
 * dialled (Node's default server-identity check). {@link createServiceClient} makes one for any service
 * descriptor; {@link createCoordinatorClient} is the node's client of the coordinator.
 */
import type { SecureClientSessionOptions } from 'node:http2';
import { type DescMethod, type DescService, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { assertInteger, InvalidParameterError } from '../../core/index.js';
import { FederatedCoordinatorService } from '../gen/veil/v1/fl_pb.js';
import { checkLabel, defaultLabel, unaryMethods } from '../handler-check.js';
import type { CallOptions, CoordinatorClient, ServiceClient, TrafficCounter } from '../service.js';
import { observedConnection } from './connection.js';
import { fromConnectError, RpcError } from './errors.js';
import { type ClientTlsOptions, DEFAULT_MAX_MESSAGE_BYTES, loadClientTls } from './material.js';

/** Options of {@link createCoordinatorClient}. */
export interface CoordinatorClientOptions {
  /** The server, `https://host:port` (the host must be a SAN of the server's certificate). */
  readonly url: string;
  /** The caller's certificate and key, and the CA(s) the server's certificate must chain to. */
  readonly tls: ClientTlsOptions;
  /**
   * Deadline of each call in ms (default 30 000). The coordinator client gives a getTask call its request's
   * `waitMs` on top, so a long poll is not cut short.
   */
  readonly timeoutMs?: number;
  /**
   * The name the server's certificate must match, when it differs from the URL's host (e.g. dialling an
   * IP address whose certificate names only a DNS name). Also sent as SNI.
   */
  readonly serverName?: string;
  /** Largest message sent or accepted, in bytes (default 64 MiB). */
  readonly maxMessageBytes?: number;
  /** When given, each successful call adds the protobuf-encoded sizes of its request and response to it. */
  readonly traffic?: TrafficCounter;
}

/** Options of {@link createServiceClient}: those of the coordinator's client, and a label. */
export interface ServiceClientOptions extends CoordinatorClientOptions {
  /** How errors name the server side (default: the proto name, e.g. `Health service`). */
  readonly label?: string;
}

/** A {@link ServiceClient} over gRPC, with its connection to close. */
export type GrpcServiceClient<S extends DescService> = ServiceClient<S> & {
  /** Closes the HTTP/2 connection; in-flight calls fail, and so does every call after close. */
  close(): Promise<void>;
};

/** A {@link CoordinatorClient} over gRPC, with its connection to close. */
export type GrpcCoordinatorClient = GrpcServiceClient<typeof FederatedCoordinatorService>;

/**
 * Connects to a service over gRPC with mutual TLS 1.3 (ARCHITECTURE decision 6): one function per method of
 * the descriptor, each taking the request and optional {@link CallOptions}. The connection opens lazily on the
 * first call and is kept alive (HTTP/2 pings) for later ones. Every failure — refused handshake (untrusted,
 * revoked, wrong host name), unreachable server, deadline, refused message — is thrown as an {@link RpcError}
 * (`rpc`, `status`, `retryable`, `remoteCode`).
 *
 * @param service the generated descriptor, e.g. `FederatedCoordinatorService`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad service, url, timeoutMs, serverName,
 *   maxMessageBytes or label
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for a service with a streaming method
 * @throws {ConfigError} VEIL_CONFIG_INVALID for unreadable or mismatched TLS material
 * @example
 * const psi = await createServiceClient(PsiService, { url: 'https://psi.example.org:7443',
 *   tls: { cert: { path: 'certs/hospital-1.crt' }, key: { path: 'certs/hospital-1.key' }, ca: { path: 'certs/ca.crt' } } });
 * const reply = await psi.intersect(request, { timeoutMs: 60_000 });
 * await psi.close();
 */
export function createServiceClient<S extends DescService>(
  service: S,
  options: ServiceClientOptions,
): Promise<GrpcServiceClient<S>> {
  return connect('createServiceClient', service, options);
}

/**
 * Connects a node to the coordinator: {@link createServiceClient} of `FederatedCoordinatorService`, whose
 * getTask deadline is extended by the request's `waitMs` (a long poll).
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad url, timeoutMs, serverName or maxMessageBytes
 * @throws {ConfigError} VEIL_CONFIG_INVALID for unreadable or mismatched TLS material
 * @example
 * const client = await createCoordinatorClient({ url: 'https://fl.example.org:7443',
 *   tls: { cert: { path: 'certs/hospital-1.crt' }, key: { path: 'certs/hospital-1.key' }, ca: { path: 'certs/ca.crt' } } });
 * const reply = await client.register(create(RegisterRequestSchema, { protocolVersion: 1, numExamples: 1000n }));
 * await client.close();
 */
export async function createCoordinatorClient(
  options: CoordinatorClientOptions,
): Promise<GrpcCoordinatorClient> {
  const client = await connect('createCoordinatorClient', FederatedCoordinatorService, {
    ...options,
    label: 'coordinator',
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { getTask } = client;
  return {
    ...client,
    getTask: (request, call) =>
      getTask(request, { timeoutMs: Math.min((call?.timeoutMs ?? timeoutMs) + request.waitMs, 2 ** 31 - 1) }),
  };
}

/** A message of any type, as the type-erased calls below see it. */
type AnyMessage = MessageShape<DescMethod['input']>;

async function connect<S extends DescService>(
  fn: string,
  service: S,
  options: ServiceClientOptions,
): Promise<GrpcServiceClient<S>> {
  const methods = unaryMethods(fn, service);
  if (methods.some((m) => m.localName === 'close')) {
    throw new InvalidParameterError({
      fn,
      param: 'service',
      value: service.typeName,
      allowed: 'a service without a method named Close (the client has close())',
    });
  }
  const label = checkLabel(fn, options.label ?? defaultLabel(service));
  const url = parseUrl(fn, options.url, label);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  assertInteger(fn, 'timeoutMs', timeoutMs, 1, 2 ** 31 - 1);
  assertInteger(fn, 'maxMessageBytes', maxMessageBytes, 1, 2 ** 32 - 1);
  if (
    options.serverName !== undefined &&
    (typeof options.serverName !== 'string' || options.serverName === '')
  ) {
    throw new InvalidParameterError({
      fn,
      param: 'serverName',
      value: options.serverName,
      allowed: 'a host name',
    });
  }
  const secureContext = await loadClientTls(fn, options.tls);
  const nodeOptions: SecureClientSessionOptions = {
    ...secureContext,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: true,
    ...(options.serverName !== undefined ? { servername: options.serverName } : {}),
  };
  const baseUrl = url.origin;
  // Our own session manager (instead of the transport's) so that close() can end the connection and a
  // refused handshake can be told apart from other failures.
  const connection = observedConnection(baseUrl, nodeOptions, label);
  const rpc = createClient(
    service,
    createGrpcTransport({
      baseUrl,
      sessionManager: connection.sessionManager,
      readMaxBytes: maxMessageBytes,
      writeMaxBytes: maxMessageBytes,
      defaultTimeoutMs: timeoutMs,
    }),
  ) as unknown as Record<string, (request: AnyMessage, options: CallOptions) => Promise<AnyMessage>>;
  let closed = false;
  const traffic = options.traffic;

  async function call(method: DescMethod, request: AnyMessage, options?: CallOptions): Promise<AnyMessage> {
    const name = method.localName;
    if (closed) {
      throw new RpcError({
        rpc: name,
        server: label,
        status: 'canceled',
        reason: 'the client was closed',
        peer: baseUrl,
      });
    }
    const deadline = options?.timeoutMs ?? timeoutMs;
    assertInteger(name, 'timeoutMs', deadline, 1, 2 ** 31 - 1);
    try {
      const response = await rpc[name]!(request, { timeoutMs: deadline });
      connection.answered();
      if (traffic !== undefined) {
        traffic.sent += toBinary(method.input, request).length;
        traffic.received += toBinary(method.output, response).length;
      }
      return response;
    } catch (error) {
      const explained = await connection.explain(fromConnectError(error, name, baseUrl, label));
      // This client never cancels a call itself (close() is checked above), so CANCEL here is the peer's
      // connection closing without a GOAWAY: a killed or crashed server. That is worth retrying.
      if (explained.status === 'canceled' && !closed && explained.remoteCode === undefined) {
        throw new RpcError({
          rpc: name,
          server: label,
          peer: baseUrl,
          status: 'unavailable',
          reason: `the connection to the ${label} was lost (${explained.reason})`,
          cause: error,
        });
      }
      throw explained;
    }
  }

  const client: Record<string, unknown> = {
    async close() {
      closed = true;
      connection.abort();
    },
  };
  for (const method of methods) {
    client[method.localName] = (request: AnyMessage, options?: CallOptions) => call(method, request, options);
  }
  return client as GrpcServiceClient<S>;
}

function parseUrl(fn: string, value: unknown, label: string): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:' || url.hostname === '' || url.pathname.length > 1) {
    throw new InvalidParameterError({
      fn,
      param: 'url',
      value,
      allowed: `https://host:port of the ${label} (no path)`,
    });
  }
  return url;
}
