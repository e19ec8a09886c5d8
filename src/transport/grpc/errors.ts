/**
 * How failures cross the wire, for every hosted service. On the server, a handler's Veil error becomes a gRPC status:
 * a {@link ProtocolError} (the peer's message was malformed or out of stage) or an {@link IntegrityError} (a
 * hash or signature in it did not check) keeps its message; anything else becomes INTERNAL with a generic
 * message, so no internals leak to a peer. On the client, every failed call (refused handshake, unreachable
 * server, deadline, refused message) becomes an {@link RpcError}, whichever transport carried it.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { ERROR_CODES, type ErrorCode, IntegrityError, ProtocolError } from '../../core/index.js';

/** gRPC status names (lower-case, as in the gRPC specification's code names). */
export type RpcStatus =
  | 'canceled'
  | 'unknown'
  | 'invalid_argument'
  | 'deadline_exceeded'
  | 'not_found'
  | 'already_exists'
  | 'permission_denied'
  | 'resource_exhausted'
  | 'failed_precondition'
  | 'aborted'
  | 'out_of_range'
  | 'unimplemented'
  | 'internal'
  | 'unavailable'
  | 'data_loss'
  | 'unauthenticated';

const STATUS_OF_CODE: Readonly<Record<Code, RpcStatus>> = {
  [Code.Canceled]: 'canceled',
  [Code.Unknown]: 'unknown',
  [Code.InvalidArgument]: 'invalid_argument',
  [Code.DeadlineExceeded]: 'deadline_exceeded',
  [Code.NotFound]: 'not_found',
  [Code.AlreadyExists]: 'already_exists',
  [Code.PermissionDenied]: 'permission_denied',
  [Code.ResourceExhausted]: 'resource_exhausted',
  [Code.FailedPrecondition]: 'failed_precondition',
  [Code.Aborted]: 'aborted',
  [Code.OutOfRange]: 'out_of_range',
  [Code.Unimplemented]: 'unimplemented',
  [Code.Internal]: 'internal',
  [Code.Unavailable]: 'unavailable',
  [Code.DataLoss]: 'data_loss',
  [Code.Unauthenticated]: 'unauthenticated',
};

/** The gRPC status name of a ConnectRPC code. */
export function statusOfCode(code: Code): RpcStatus {
  return STATUS_OF_CODE[code] ?? 'unknown';
}

/** Statuses after which the same call may succeed later (the server was unreachable, busy or slow). */
const RETRYABLE: ReadonlySet<RpcStatus> = new Set(['unavailable', 'deadline_exceeded', 'aborted']);

/** Response trailer carrying the Veil error code of a refused message. */
export const VEIL_CODE_TRAILER = 'veil-error-code';

/** Fields of a new {@link RpcError}. */
export interface RpcErrorInit {
  /** The method's local name, e.g. `getTask` (for the coordinator, an `RpcName`). */
  readonly rpc: string;
  /**
   * How the message names the server side: `coordinator` (the default, the federation's service) or a hosted
   * service's label, e.g. `Health service`.
   */
  readonly server?: string;
  readonly status: RpcStatus;
  /** What went wrong, as the server or the transport said it. */
  readonly reason: string;
  /** The server's URL, or the simulated peer. */
  readonly peer: string;
  /** The Veil error code the server refused the message with, when it said. */
  readonly remoteCode?: ErrorCode;
  readonly cause?: unknown;
}

/**
 * A call to the coordinator (or another hosted service) failed. Code `VEIL_PROTOCOL_VIOLATION` (a peer failure,
 * CLI exit code 5); a subclass of {@link ProtocolError}. `rpc` is the method's local name; `status` is the gRPC
 * status; `retryable` says whether trying again later can help (unavailable, deadline exceeded, aborted);
 * `remoteCode` is the Veil code the server refused the message with (e.g. `VEIL_PROTOCOL_VIOLATION` for an
 * out-of-stage update).
 */
export class RpcError extends ProtocolError {
  readonly rpc: string;
  /** How the message names the server side (`coordinator`, or a hosted service's label). */
  readonly server: string;
  readonly status: RpcStatus;
  readonly retryable: boolean;
  readonly remoteCode: ErrorCode | undefined;
  /** What went wrong, without the rpc and status prefix of the message. */
  readonly reason: string;

  constructor(init: RpcErrorInit) {
    const server = init.server ?? 'coordinator';
    super(`${server} ${init.rpc} failed (${init.status}): ${init.reason}`, {
      peer: init.peer,
      stage: init.rpc,
    });
    this.rpc = init.rpc;
    this.server = server;
    this.status = init.status;
    this.retryable = RETRYABLE.has(init.status);
    this.remoteCode = init.remoteCode;
    this.reason = init.reason;
    if (init.cause !== undefined) this.cause = init.cause;
  }
}

/** What a handler error becomes on the wire. */
export interface WireFailure {
  readonly code: Code;
  /** Safe to show the peer. */
  readonly message: string;
  readonly veilCode?: ErrorCode;
  /** True when the error is ours, not the peer's: the server should log it. */
  readonly internal: boolean;
}

/**
 * Classifies an error a handler threw: ProtocolError with a `stage` (out of stage) → FAILED_PRECONDITION; other
 * ProtocolError or IntegrityError (malformed, bad hash) → INVALID_ARGUMENT, message kept; anything else →
 * INTERNAL, message replaced by "internal error in the <server>".
 */
export function classifyHandlerError(error: unknown, server = 'coordinator'): WireFailure {
  if (error instanceof ProtocolError) {
    const outOfStage = typeof error.details['stage'] === 'string';
    return {
      code: outOfStage ? Code.FailedPrecondition : Code.InvalidArgument,
      message: error.message,
      veilCode: error.code,
      internal: false,
    };
  }
  if (error instanceof IntegrityError) {
    return { code: Code.InvalidArgument, message: error.message, veilCode: error.code, internal: false };
  }
  return { code: Code.Internal, message: `internal error in the ${server}`, internal: true };
}

/** A handler error as the ConnectError the gRPC server answers with. */
export function toConnectError(failure: WireFailure): ConnectError {
  const metadata = failure.veilCode !== undefined ? { [VEIL_CODE_TRAILER]: failure.veilCode } : undefined;
  return new ConnectError(failure.message, failure.code, metadata);
}

/** Any failure of a gRPC call as an {@link RpcError}; `server` names the server side in the message. */
export function fromConnectError(error: unknown, rpc: string, peer: string, server?: string): RpcError {
  if (error instanceof RpcError) return error;
  const connectError = ConnectError.from(error);
  const remote = connectError.metadata.get(VEIL_CODE_TRAILER);
  return new RpcError({
    rpc,
    peer,
    ...(server !== undefined ? { server } : {}),
    status: statusOfCode(connectError.code),
    reason: describeCause(connectError),
    ...(remote !== null && remote in ERROR_CODES ? { remoteCode: remote as ErrorCode } : {}),
    cause: error,
  });
}

/** The most telling message: Connect's raw message, plus the TLS/socket cause when it wraps one. */
function describeCause(error: ConnectError): string {
  const cause = error.cause;
  if (
    cause instanceof Error &&
    cause.message !== error.rawMessage &&
    !error.rawMessage.includes(cause.message)
  ) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${error.rawMessage} (${code !== undefined ? `${code}: ` : ''}${cause.message})`;
  }
  return error.rawMessage;
}
