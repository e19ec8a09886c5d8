/**
 * Services as TypeScript types, independent of how they are carried: for any protobuf service descriptor
 * (`GenService` of protoc-gen-es), the handler a server implements and the client a peer calls, both derived
 * from the descriptor's methods. The gRPC/TLS transport (grpc/) and the in-memory transport (memory/) carry
 * any of them, so protocol code is the same in a simulation and in a deployment (ARCHITECTURE decision 4).
 * The federated coordinator's service is one such service ({@link CoordinatorHandler}, {@link CoordinatorClient}).
 */
import type { DescMethodUnary, DescService, MessageShape } from '@bufbuild/protobuf';
import type { FederatedCoordinatorService } from './gen/veil/v1/fl_pb.js';

/**
 * Who is calling, as established by the transport (the verified client certificate under TLS, the simulated
 * node under the in-memory transport) — never by a field of a message.
 */
export interface PeerIdentity {
  /** The certificate subject's common name (the node's name in the federation). */
  readonly id: string;
  /** SHA-256 fingerprint of the peer certificate (hex), or a synthetic one in simulation. */
  readonly fingerprint: string;
  /** Certificate serial number (hex), when there is a certificate. */
  readonly serial?: string;
}

/** Bytes a client sent and received (protobuf encoding, as on the wire). */
export interface TrafficCounter {
  sent: number;
  received: number;
}

/** The methods of a service, by their local (lower camel case) names, e.g. `'getTask'` for `GetTask`. */
export type MethodName<S extends DescService> = keyof S['method'] & string;

/** Options of one client call. */
export interface CallOptions {
  /** Deadline of this call in ms, in place of the client's default (gRPC only; in memory there is none). */
  readonly timeoutMs?: number;
}

/**
 * What a server implements for service `S`: one function per method of the descriptor, which receives the
 * decoded request and the authenticated caller. Only unary methods are carried (a streaming method is `never`,
 * and refused when the service is hosted).
 */
export type ServiceHandler<S extends DescService> = {
  [K in MethodName<S>]: S['method'][K] extends DescMethodUnary<infer I, infer O>
    ? (request: MessageShape<I>, peer: PeerIdentity) => Promise<MessageShape<O>>
    : never;
};

/** What a peer calls for service `S`: one function per method of the descriptor. */
export type ServiceClient<S extends DescService> = {
  [K in MethodName<S>]: S['method'][K] extends DescMethodUnary<infer I, infer O>
    ? (request: MessageShape<I>, options?: CallOptions) => Promise<MessageShape<O>>
    : never;
};

/** The calls of the coordinator service (`register`, `getTask`, …), from its descriptor. */
export type RpcName = MethodName<typeof FederatedCoordinatorService>;

/** What the coordinator implements: each call gets the authenticated caller. */
export type CoordinatorHandler = ServiceHandler<typeof FederatedCoordinatorService>;

/** What a node calls. */
export type CoordinatorClient = ServiceClient<typeof FederatedCoordinatorService>;
