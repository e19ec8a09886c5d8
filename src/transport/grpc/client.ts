/**
 * A node's client of the coordinator: ConnectRPC's gRPC transport over one HTTP/2 connection, TLS 1.3 only,
 * presenting the node's certificate and trusting only the configured CA(s); the coordinator's certificate must
 * name the host being dialled (Node's default server-identity check).
 */
import type { SecureClientSessionOptions } from 'node:http2';
import { type DescMessage, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { assertInteger, InvalidParameterError } from '../../core/index.js';
import {
  FederatedCoordinatorService,
  GetTaskRequestSchema,
  GetTaskResponseSchema,
  LeaveRequestSchema,
  LeaveResponseSchema,
  RegisterRequestSchema,
  RegisterResponseSchema,
  SubmitEvaluationRequestSchema,
  SubmitEvaluationResponseSchema,
  SubmitSecAggRequestSchema,
  SubmitSecAggResponseSchema,
  SubmitUpdateRequestSchema,
  SubmitUpdateResponseSchema,
} from '../gen/veil/v1/fl_pb.js';
import type { CoordinatorClient, TrafficCounter } from '../service.js';
import { observedConnection } from './connection.js';
import { fromConnectError, RpcError, type RpcName } from './errors.js';
import { type ClientTlsOptions, DEFAULT_MAX_MESSAGE_BYTES, loadClientTls } from './material.js';

/** Options of {@link createCoordinatorClient}. */
export interface CoordinatorClientOptions {
  /** The coordinator, `https://host:port` (the host must be a SAN of the coordinator's certificate). */
  readonly url: string;
  /** The node's certificate and key, and the CA(s) the coordinator's certificate must chain to. */
  readonly tls: ClientTlsOptions;
  /**
   * Deadline of each call in ms (default 30 000). A getTask call gets its request's `waitMs` on top, so a long
   * poll is not cut short.
   */
  readonly timeoutMs?: number;
  /**
   * The name the coordinator's certificate must match, when it differs from the URL's host (e.g. dialling an
   * IP address whose certificate names only a DNS name). Also sent as SNI.
   */
  readonly serverName?: string;
  /** Largest message sent or accepted, in bytes (default 64 MiB). */
  readonly maxMessageBytes?: number;
  /** When given, each successful call adds the protobuf-encoded sizes of its request and response to it. */
  readonly traffic?: TrafficCounter;
}

/** A {@link CoordinatorClient} over gRPC, with its connection to close. */
export interface GrpcCoordinatorClient extends CoordinatorClient {
  /** Closes the HTTP/2 connection; in-flight calls fail, and so does every call after close. */
  close(): Promise<void>;
}

/**
 * Connects a node to the coordinator over gRPC with mutual TLS 1.3 (ARCHITECTURE decision 6). The connection
 * opens lazily on the first call and is kept alive (HTTP/2 pings) for later ones. Every failure — refused
 * handshake (untrusted, revoked, wrong host name), unreachable coordinator, deadline, refused message — is
 * thrown as an {@link RpcError} (`status`, `retryable`, `remoteCode`).
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
  const fn = 'createCoordinatorClient';
  const url = parseUrl(fn, options.url);
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
  const connection = observedConnection(baseUrl, nodeOptions);
  const rpc = createClient(
    FederatedCoordinatorService,
    createGrpcTransport({
      baseUrl,
      sessionManager: connection.sessionManager,
      readMaxBytes: maxMessageBytes,
      writeMaxBytes: maxMessageBytes,
      defaultTimeoutMs: timeoutMs,
    }),
  );
  let closed = false;
  const traffic = options.traffic;

  async function call<I extends DescMessage, O extends DescMessage>(
    name: RpcName,
    schemas: { readonly input: I; readonly output: O },
    request: MessageShape<I>,
    invoke: (timeout: number) => Promise<MessageShape<O>>,
    extraMs = 0,
  ): Promise<MessageShape<O>> {
    if (closed) {
      throw new RpcError({ rpc: name, status: 'canceled', reason: 'the client was closed', peer: baseUrl });
    }
    try {
      const response = await invoke(timeoutMs + extraMs);
      connection.answered();
      if (traffic !== undefined) {
        traffic.sent += toBinary(schemas.input, request).length;
        traffic.received += toBinary(schemas.output, response).length;
      }
      return response;
    } catch (error) {
      const explained = await connection.explain(fromConnectError(error, name, baseUrl));
      // This client never cancels a call itself (close() is checked above), so CANCEL here is the peer's
      // connection closing without a GOAWAY: a killed or crashed coordinator. That is worth retrying.
      if (explained.status === 'canceled' && !closed && explained.remoteCode === undefined) {
        throw new RpcError({
          rpc: name,
          peer: baseUrl,
          status: 'unavailable',
          reason: `the connection to the coordinator was lost (${explained.reason})`,
          cause: error,
        });
      }
      throw explained;
    }
  }

  return {
    register: (request) =>
      call('register', { input: RegisterRequestSchema, output: RegisterResponseSchema }, request, (t) =>
        rpc.register(request, { timeoutMs: t }),
      ),
    getTask: (request) =>
      call(
        'getTask',
        { input: GetTaskRequestSchema, output: GetTaskResponseSchema },
        request,
        (t) => rpc.getTask(request, { timeoutMs: t }),
        request.waitMs,
      ),
    submitUpdate: (request) =>
      call(
        'submitUpdate',
        { input: SubmitUpdateRequestSchema, output: SubmitUpdateResponseSchema },
        request,
        (t) => rpc.submitUpdate(request, { timeoutMs: t }),
      ),
    submitEvaluation: (request) =>
      call(
        'submitEvaluation',
        { input: SubmitEvaluationRequestSchema, output: SubmitEvaluationResponseSchema },
        request,
        (t) => rpc.submitEvaluation(request, { timeoutMs: t }),
      ),
    leave: (request) =>
      call('leave', { input: LeaveRequestSchema, output: LeaveResponseSchema }, request, (t) =>
        rpc.leave(request, { timeoutMs: t }),
      ),
    submitSecAgg: (request) =>
      call(
        'submitSecAgg',
        { input: SubmitSecAggRequestSchema, output: SubmitSecAggResponseSchema },
        request,
        (t) => rpc.submitSecAgg(request, { timeoutMs: t }),
      ),
    async close() {
      closed = true;
      connection.abort();
    },
  };
}

function parseUrl(fn: string, value: unknown): URL {
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
      allowed: 'https://host:port of the coordinator (no path)',
    });
  }
  return url;
}
