/** Boundary checks shared by the gRPC server and client and the in-memory transport, for any service. */
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { InvalidParameterError, UnsupportedError } from '../core/index.js';
import type { ServiceHandler } from './service.js';

/**
 * The methods of `service`, from its descriptor, refusing a service that is not a descriptor or that has a
 * streaming method (the transports carry unary calls only).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when `service` is not a service descriptor
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for a streaming method
 */
export function unaryMethods(fn: string, service: DescService): readonly DescMethod[] {
  if (
    typeof service !== 'object' ||
    service === null ||
    service.kind !== 'service' ||
    !Array.isArray(service.methods)
  ) {
    throw new InvalidParameterError({
      fn,
      param: 'service',
      value: service,
      allowed: 'a service descriptor (GenService of protoc-gen-es)',
    });
  }
  for (const method of service.methods) {
    if (method.methodKind !== 'unary') {
      throw new UnsupportedError(
        `${fn}: ${service.typeName}.${method.name} is ${method.methodKind.replace('_', '-')}; only unary methods are carried`,
        { fn, service: service.typeName, method: method.name, methodKind: method.methodKind },
      );
    }
  }
  return service.methods;
}

/**
 * Asserts that `handler` has a function for every method of `service` (by local name, e.g. `getTask`).
 * `kind` names the expected type in the error (default: "a handler of <service type name>").
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER
 */
export function assertServiceHandler<S extends DescService>(
  fn: string,
  service: S,
  handler: unknown,
  kind = `a handler of ${service.typeName}`,
): asserts handler is ServiceHandler<S> {
  const methods = unaryMethods(fn, service).map((m) => m.localName);
  const ok =
    typeof handler === 'object' &&
    handler !== null &&
    methods.every((m) => typeof (handler as Record<string, unknown>)[m] === 'function');
  if (!ok) {
    throw new InvalidParameterError({
      fn,
      param: 'handler',
      value: handler,
      allowed: `${kind} (an object with ${methods.join(', ')})`,
    });
  }
}

/**
 * How messages name the server side of `service` when the caller gives no label: its proto name without a
 * trailing "Service", then " service" (`Health` → "Health service").
 */
export function defaultLabel(service: DescService): string {
  return `${service.name.replace(/Service$/, '') || service.name} service`;
}

/**
 * Checks a label (how messages name a server side).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an empty or non-string label
 */
export function checkLabel(fn: string, label: unknown): string {
  if (typeof label !== 'string' || label.trim() === '') {
    throw new InvalidParameterError({ fn, param: 'label', value: label, allowed: 'a non-empty string' });
  }
  return label;
}
