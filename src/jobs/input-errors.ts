/**
 * A library function refuses a bad argument in its own terms (`loadCsvDataset: label must be …`, an
 * InvalidParameterError naming the function and its parameter). When that argument came straight from a job's
 * spec, the user wrote a spec field (or a flag, or a config key), so the job reports the problem there, as a
 * ConfigError: the function's name never reaches the user. Only refusals the job maps are converted; anything
 * else is rethrown as it is.
 */
import {
  ConfigError,
  type ConfigIssue,
  describeValue,
  type InvalidParameterDetails,
  InvalidParameterError,
  NumericError,
} from '../core/index.js';

/** A library function's parameter that holds the spec field at `path`. */
export interface ParamField {
  readonly fn: string;
  readonly param: string;
  readonly path: string;
}

/**
 * `error` under the spec field its argument came from, or `error` itself when no field matches.
 * @param fields which function's parameter is which spec field
 * @param context what the ConfigError calls the input (`training spec`)
 */
export function asFieldError(error: unknown, fields: readonly ParamField[], context: string): unknown {
  if (!(error instanceof InvalidParameterError)) return error;
  const d = error.details as unknown as InvalidParameterDetails;
  const field = fields.find((f) => f.fn === d.fn && f.param === d.param);
  return field ? new ConfigError([{ path: field.path, value: d.value, allowed: d.allowed }], context) : error;
}

/** Runs `body`, reporting the refusals of `fields` under their spec fields ({@link asFieldError}). */
export function underFields<T>(fields: readonly ParamField[], context: string, body: () => T): T {
  try {
    return body();
  } catch (err) {
    throw asFieldError(err, fields, context);
  }
}

/**
 * A ConfigError whose paths a library prefixed with its own function name (`createCoordinatorClient.tls.cert`)
 * with that prefix removed, so the path is the config key the user wrote (`tls.cert`); anything else unchanged.
 */
export function withoutPrefix(error: unknown, fn: string, context: string): unknown {
  if (!(error instanceof ConfigError) || !error.issues.some((i) => i.path.startsWith(`${fn}.`))) return error;
  const issues: ConfigIssue[] = error.issues.map((i) =>
    i.path.startsWith(`${fn}.`) ? { ...i, path: i.path.slice(fn.length + 1) } : i,
  );
  return new ConfigError(issues, context);
}

/**
 * A model that cannot be built over the data's examples (a convolution over rows of a CSV) is a problem with the
 * model the user chose: reported at `path` (`model`, `federation.model`), with the examples' shape when known.
 * Only a layer's refusal of its input shape is converted when `shape` is not known (the caller cannot tell a
 * model problem from another one then).
 * @param error what building (or running) the model threw
 * @param shape the shape of one example, where the caller knows it
 * @param model the model as the user wrote it
 */
export function modelFitError(
  error: unknown,
  shape: readonly number[] | undefined,
  path: string,
  model: unknown,
  context: string,
): unknown {
  if (!(error instanceof InvalidParameterError)) return error;
  const d = error.details as unknown as InvalidParameterDetails;
  if (shape === undefined && d.param !== 'inputShape') return error;
  const need =
    d.param === 'inputShape'
      ? `a layer needs ${d.allowed}, not ${describeShape(d.value)}`
      : `its ${d.param} must be ${d.allowed}, got ${describeValue(d.value)}`;
  const fits = shape === undefined ? 'the data' : `examples of shape [${shape.join(', ')}]`;
  return new ConfigError(
    [
      {
        path,
        value: typeof model === 'string' ? model : 'a model spec',
        allowed: `a model that fits ${fits} (${need}; e.g. logreg or mlp:64 for rows of features, cnn:papernot for images)`,
      },
    ],
    context,
  );
}

function describeShape(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(', ')}]` : describeValue(value);
}

/**
 * No noise multiplier meets the target epsilon (the calibration's NumericError, which carries `targetEpsilon`):
 * the target the user chose is out of reach with their schedule, reported at `path`.
 */
export function unreachableTargetError(error: unknown, path: string, context: string): unknown {
  if (!(error instanceof NumericError) || error.details['targetEpsilon'] === undefined) return error;
  return new ConfigError(
    [
      {
        path,
        value: error.details['targetEpsilon'],
        allowed:
          'an epsilon that some noise multiplier up to 1e4 reaches with this schedule (raise it, or take fewer steps or a lower sampling rate)',
      },
    ],
    context,
  );
}
