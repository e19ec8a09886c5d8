/**
 * The federated coordinator service as TypeScript interfaces, independent of how it is carried: the gRPC/TLS
 * server and client (grpc/) and the in-memory transport (memory/) both implement them, so the coordinator and
 * node code is the same in a simulation and in a deployment (ARCHITECTURE decision 4).
 */
import type {
  GetTaskRequest,
  GetTaskResponse,
  LeaveRequest,
  LeaveResponse,
  RegisterRequest,
  RegisterResponse,
  SubmitEvaluationRequest,
  SubmitEvaluationResponse,
  SubmitSecAggRequest,
  SubmitSecAggResponse,
  SubmitUpdateRequest,
  SubmitUpdateResponse,
} from './gen/veil/v1/fl_pb.js';

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

/** What the coordinator implements: each call gets the authenticated caller. */
export interface CoordinatorHandler {
  register(request: RegisterRequest, peer: PeerIdentity): Promise<RegisterResponse>;
  getTask(request: GetTaskRequest, peer: PeerIdentity): Promise<GetTaskResponse>;
  submitUpdate(request: SubmitUpdateRequest, peer: PeerIdentity): Promise<SubmitUpdateResponse>;
  submitEvaluation(request: SubmitEvaluationRequest, peer: PeerIdentity): Promise<SubmitEvaluationResponse>;
  leave(request: LeaveRequest, peer: PeerIdentity): Promise<LeaveResponse>;
  submitSecAgg(request: SubmitSecAggRequest, peer: PeerIdentity): Promise<SubmitSecAggResponse>;
}

/** What a node calls. */
export interface CoordinatorClient {
  register(request: RegisterRequest): Promise<RegisterResponse>;
  getTask(request: GetTaskRequest): Promise<GetTaskResponse>;
  submitUpdate(request: SubmitUpdateRequest): Promise<SubmitUpdateResponse>;
  submitEvaluation(request: SubmitEvaluationRequest): Promise<SubmitEvaluationResponse>;
  leave(request: LeaveRequest): Promise<LeaveResponse>;
  submitSecAgg(request: SubmitSecAggRequest): Promise<SubmitSecAggResponse>;
}

/** Bytes a client sent and received (protobuf encoding, as on the wire). */
export interface TrafficCounter {
  sent: number;
  received: number;
}
