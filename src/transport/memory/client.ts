/**
 * The in-memory transport for simulations: a client of any service that calls its handler in the same process,
 * as a given peer ({@link createInMemoryServiceClient}; {@link createInMemoryClient} for the coordinator). By
 * default each request and response goes through its protobuf encoding and back, so a simulation exercises the
 * real wire format (a message that would not survive the wire fails here too) and the traffic counter measures
 * exactly what gRPC would carry as message bytes. Failures are {@link RpcError}s mapped as the gRPC server maps
 * them, so protocol code handles one error shape in simulation and deployment.
 */
import {
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import { assertInteger, InvalidParameterError } from '../../core/index.js';
import { FederatedCoordinatorService } from '../gen/veil/v1/fl_pb.js';
import { classifyHandlerError, RpcError, statusOfCode } from '../grpc/errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../grpc/material.js';
import { assertServiceHandler, checkLabel, defaultLabel } from '../handler-check.js';
import type {
  CoordinatorClient,
  CoordinatorHandler,
  PeerIdentity,
  ServiceClient,
  ServiceHandler,
  TrafficCounter,
} from '../service.js';

/** Options of {@link createInMemoryClient}. */
export interface InMemoryClientOptions {
  /** When given, each successful call adds the protobuf-encoded sizes of its request and response to it. */
  readonly traffic?: TrafficCounter;
  /**
   * Encode and decode every message as the wire would (default true). With false, the handler receives the
   * caller's objects themselves (faster; traffic is still counted by encoding, when a counter is given).
   */
  readonly roundTrip?: boolean;
  /** Largest encoded message, in bytes, as the gRPC server would enforce it (default 64 MiB). */
  readonly maxMessageBytes?: number;
}

/** Options of {@link createInMemoryServiceClient}: those of the coordinator's, and a label. */
export interface InMemoryServiceClientOptions extends InMemoryClientOptions {
  /** How errors name the server side (default: the proto name, e.g. `Health service`). */
  readonly label?: string;
}

/**
 * A client of `service` whose calls go straight to `handler` as `peer`, optionally through the protobuf wire
 * format: one function per method of the descriptor, as {@link createServiceClient} gives over gRPC (call
 * options such as `timeoutMs` are accepted and ignored: there is no deadline in memory).
 *
 * @param service the generated descriptor, e.g. `FederatedCoordinatorService`
 * @param handler one async function per method of the descriptor: `(request, peer) => response`
 * @param peer who the simulated caller is (what a certificate would say under TLS)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad service, handler, peer, maxMessageBytes or label
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for a service with a streaming method
 * @example
 * const client = createInMemoryServiceClient(PsiService, psi, { id: 'hospital-1', fingerprint: 'sim-1' });
 * const reply = await client.intersect(request);
 */
export function createInMemoryServiceClient<S extends DescService>(
  service: S,
  handler: ServiceHandler<S>,
  peer: PeerIdentity,
  options: InMemoryServiceClientOptions = {},
): ServiceClient<S> {
  return inMemory('createInMemoryServiceClient', service, handler, peer, options);
}

/**
 * A coordinator client whose calls go straight to `handler` as `peer`: {@link createInMemoryServiceClient} of
 * `FederatedCoordinatorService`.
 *
 * @param handler the coordinator
 * @param peer who the simulated node is (what a certificate would say under TLS)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad handler, peer or maxMessageBytes
 * @example
 * const traffic = { sent: 0, received: 0 };
 * const client = createInMemoryClient(coordinator, { id: 'hospital-1', fingerprint: 'sim-1' }, { traffic });
 */
export function createInMemoryClient(
  handler: CoordinatorHandler,
  peer: PeerIdentity,
  options: InMemoryClientOptions = {},
): CoordinatorClient {
  return inMemory(
    'createInMemoryClient',
    FederatedCoordinatorService,
    handler,
    peer,
    { ...options, label: 'coordinator' },
    'a CoordinatorHandler',
  );
}

/** A message of any type, as the type-erased calls below see it. */
type AnyMessage = MessageShape<DescMethod['input']>;

function inMemory<S extends DescService>(
  fn: string,
  service: S,
  handler: unknown,
  peer: PeerIdentity,
  options: InMemoryServiceClientOptions,
  kind?: string,
): ServiceClient<S> {
  assertServiceHandler(fn, service, handler, kind);
  if (typeof peer !== 'object' || peer === null || typeof peer.id !== 'string' || peer.id === '') {
    throw new InvalidParameterError({ fn, param: 'peer.id', value: peer?.id, allowed: 'a non-empty string' });
  }
  if (typeof peer.fingerprint !== 'string') {
    throw new InvalidParameterError({
      fn,
      param: 'peer.fingerprint',
      value: peer.fingerprint,
      allowed: 'a string',
    });
  }
  const roundTrip = options.roundTrip ?? true;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  assertInteger(fn, 'maxMessageBytes', maxMessageBytes, 1, 2 ** 32 - 1);
  const label = checkLabel(fn, options.label ?? defaultLabel(service));
  const traffic = options.traffic;
  const frozenPeer: PeerIdentity = Object.freeze({ ...peer });
  const simulated = `in-memory:${peer.id}`;
  const methods = handler as Record<string, (request: AnyMessage, peer: PeerIdentity) => Promise<AnyMessage>>;

  /** Encodes (for size and round trip), refusing what the gRPC server would refuse. */
  function wire(rpc: string, schema: DescMethod['input'], message: AnyMessage) {
    const bytes = roundTrip || traffic !== undefined ? toBinary(schema, message) : undefined;
    if (bytes !== undefined && bytes.length > maxMessageBytes) {
      throw new RpcError({
        rpc,
        server: label,
        peer: simulated,
        status: 'resource_exhausted',
        reason: `message size ${bytes.length} is larger than the limit of ${maxMessageBytes} bytes`,
      });
    }
    return { bytes, message: roundTrip && bytes !== undefined ? fromBinary(schema, bytes) : message };
  }

  async function call(method: DescMethod, request: AnyMessage): Promise<AnyMessage> {
    const rpc = method.localName;
    const sent = wire(rpc, method.input, request);
    let response: AnyMessage;
    try {
      response = await methods[rpc]!.call(handler, sent.message, frozenPeer);
    } catch (error) {
      const failure = classifyHandlerError(error, label);
      throw new RpcError({
        rpc,
        server: label,
        peer: simulated,
        status: statusOfCode(failure.code),
        reason: failure.message,
        ...(failure.veilCode !== undefined ? { remoteCode: failure.veilCode } : {}),
        // In-process, the original error may travel along for debugging: nothing leaves the process.
        cause: error,
      });
    }
    const received = wire(rpc, method.output, response);
    if (traffic !== undefined) {
      traffic.sent += sent.bytes!.length;
      traffic.received += received.bytes!.length;
    }
    return received.message;
  }

  const client: Record<string, (request: AnyMessage) => Promise<AnyMessage>> = {};
  for (const method of service.methods) client[method.localName] = (request) => call(method, request);
  return client as ServiceClient<S>;
}
