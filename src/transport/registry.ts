/**
 * The service registry: a hosted service is a protobuf service descriptor (`GenService` generated from
 * proto/veil/v1/*.proto) bound to its handler. {@link startServer} serves any number of them on one mutual-TLS
 * gRPC server; the same descriptor gives a gRPC client ({@link createServiceClient}) and an in-memory client
 * ({@link createInMemoryServiceClient}). Method lists always come from the descriptor, never from a list kept
 * by hand, so a new proto service gets both transports by declaring it.
 */
import type { DescService } from '@bufbuild/protobuf';
import { assertServiceHandler, checkLabel, defaultLabel } from './handler-check.js';
import type { ServiceHandler } from './service.js';

/** A service descriptor bound to its handler, ready for {@link startServer}; made by {@link hostService}. */
export interface HostedService {
  /** The descriptor: its methods are what the server answers, at `/<typeName>/<Method>`. */
  readonly service: DescService;
  /** One function per method of the descriptor (by local name), each given the request and the peer. */
  readonly handler: object;
  /** How errors and logs name this service's server side, e.g. `coordinator` or `Health service`. */
  readonly label: string;
}

/** Options of {@link hostService}. */
export interface HostServiceOptions {
  /** How errors and logs name the server side (default: the proto name, e.g. `Health service`). */
  readonly label?: string;
}

/**
 * Binds a service descriptor to its handler, checking that the handler implements every method of the
 * descriptor; the result goes into `startServer({ services: [...] })`.
 *
 * @param service the generated descriptor, e.g. `FederatedCoordinatorService` from `gen/veil/v1/fl_pb.js`
 * @param handler one async function per method: `(request, peer) => response`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a value that is not a descriptor, a handler that
 *   lacks a method, or an empty label
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for a service with a streaming method
 * @example
 * const server = await startServer({ host: '0.0.0.0', port: 7443, tls,
 *   services: [hostService(FederatedCoordinatorService, coordinator, { label: 'coordinator' }),
 *              hostService(PsiService, psi)] });
 */
export function hostService<S extends DescService>(
  service: S,
  handler: ServiceHandler<S>,
  options: HostServiceOptions = {},
): HostedService {
  return bindService('hostService', service, handler, options.label);
}

/** {@link hostService} for a caller that names itself in errors, and names the expected handler type. */
export function bindService(
  fn: string,
  service: DescService,
  handler: unknown,
  label?: string,
  kind?: string,
): HostedService {
  assertServiceHandler(fn, service, handler, kind);
  return Object.freeze({ service, handler, label: checkLabel(fn, label ?? defaultLabel(service)) });
}
