/**
 * The in-memory transport for simulations: a {@link CoordinatorClient} that calls a
 * {@link CoordinatorHandler} in the same process, as a given peer. By default each request and response goes
 * through its protobuf encoding and back, so a simulation exercises the real wire format (a message that
 * would not survive the wire fails here too) and the traffic counter measures exactly what gRPC would carry
 * as message bytes. Failures are {@link RpcError}s mapped as the gRPC server maps them, so node code handles
 * one error shape in simulation and deployment.
 */
import { type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { assertInteger, InvalidParameterError } from '../../core/index.js';
import {
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
import { classifyHandlerError, RpcError, type RpcName, statusOfCode } from '../grpc/errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../grpc/material.js';
import { assertCoordinatorHandler } from '../handler-check.js';
import type { CoordinatorClient, CoordinatorHandler, PeerIdentity, TrafficCounter } from '../service.js';

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

/**
 * A client whose calls go straight to `handler` as `peer`, optionally through the protobuf wire format.
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
  const fn = 'createInMemoryClient';
  assertCoordinatorHandler(fn, handler);
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
  const frozenPeer: PeerIdentity = Object.freeze({ ...peer });
  const simulated = `in-memory:${peer.id}`;

  /** Encodes (for size and round trip), refusing what the gRPC server would refuse. */
  function wire<T extends DescMessage>(rpc: RpcName, schema: T, message: MessageShape<T>) {
    const bytes = roundTrip || options.traffic !== undefined ? toBinary(schema, message) : undefined;
    if (bytes !== undefined && bytes.length > maxMessageBytes) {
      throw new RpcError({
        rpc,
        peer: simulated,
        status: 'resource_exhausted',
        reason: `message size ${bytes.length} is larger than the limit of ${maxMessageBytes} bytes`,
      });
    }
    return { bytes, message: roundTrip && bytes !== undefined ? fromBinary(schema, bytes) : message };
  }

  async function call<I extends DescMessage, O extends DescMessage>(
    rpc: RpcName,
    input: I,
    output: O,
    request: MessageShape<I>,
    invoke: (request: MessageShape<I>, peer: PeerIdentity) => Promise<MessageShape<O>>,
  ): Promise<MessageShape<O>> {
    const sent = wire(rpc, input, request);
    let response: MessageShape<O>;
    try {
      response = await invoke(sent.message, frozenPeer);
    } catch (error) {
      const failure = classifyHandlerError(error);
      throw new RpcError({
        rpc,
        peer: simulated,
        status: statusOfCode(failure.code),
        reason: failure.message,
        ...(failure.veilCode !== undefined ? { remoteCode: failure.veilCode } : {}),
        // In-process, the original error may travel along for debugging: nothing leaves the process.
        cause: error,
      });
    }
    const received = wire(rpc, output, response);
    if (options.traffic !== undefined) {
      options.traffic.sent += sent.bytes!.length;
      options.traffic.received += received.bytes!.length;
    }
    return received.message;
  }

  return {
    register: (r) =>
      call('register', RegisterRequestSchema, RegisterResponseSchema, r, (m, p) => handler.register(m, p)),
    getTask: (r) =>
      call('getTask', GetTaskRequestSchema, GetTaskResponseSchema, r, (m, p) => handler.getTask(m, p)),
    submitUpdate: (r) =>
      call('submitUpdate', SubmitUpdateRequestSchema, SubmitUpdateResponseSchema, r, (m, p) =>
        handler.submitUpdate(m, p),
      ),
    submitEvaluation: (r) =>
      call('submitEvaluation', SubmitEvaluationRequestSchema, SubmitEvaluationResponseSchema, r, (m, p) =>
        handler.submitEvaluation(m, p),
      ),
    leave: (r) => call('leave', LeaveRequestSchema, LeaveResponseSchema, r, (m, p) => handler.leave(m, p)),
    submitSecAgg: (r) =>
      call('submitSecAgg', SubmitSecAggRequestSchema, SubmitSecAggResponseSchema, r, (m, p) =>
        handler.submitSecAgg(m, p),
      ),
  };
}
