/**
 * How an HTTP face answers errors: {@link HttpError} (a status and a stable lower_snake code a handler throws
 * on purpose), and the one table that turns anything thrown — an HttpError, Fastify's own errors, Veil's coded
 * errors, anything else — into a status and the JSON body `{ "error": { "code", "message" } }`. Only messages
 * known to be safe are sent: Veil's coded errors (which never carry records, keys or secrets) and fixed texts;
 * an unknown error's own message might carry data and is replaced by a generic one.
 */
import { ERROR_HTTP_STATUS, type ErrorCode, InvalidParameterError, VeilError } from '../../core/index.js';

/** A stable error code: lower_snake_case, e.g. `bad_signature`. */
const CODE_PATTERN = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/**
 * An error a route throws on purpose: the status and stable code the client gets, and a message safe to send.
 *
 * @example
 * throw new HttpError(404, 'unknown_job', 'no job with that id');
 */
export class HttpError extends Error {
  /** The HTTP status, 400–599. */
  readonly status: number;
  /** A stable lower_snake_case code clients match on (never reused for another meaning). */
  readonly code: string;

  /**
   * @param status an HTTP error status, an integer in [400, 599]
   * @param code a stable lower_snake_case code, e.g. `replayed_request`
   * @param message a message safe to send to the client (no data, keys or secrets)
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a status outside [400, 599] or a code that is not
   *   lower_snake_case
   */
  constructor(status: number, code: string, message: string) {
    super(message);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new InvalidParameterError({
        fn: 'HttpError',
        param: 'status',
        value: status,
        allowed: 'an integer HTTP error status in [400, 599]',
      });
    }
    if (typeof code !== 'string' || !CODE_PATTERN.test(code)) {
      throw new InvalidParameterError({
        fn: 'HttpError',
        param: 'code',
        value: code,
        allowed: 'a lower_snake_case string such as bad_request',
      });
    }
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

/** What an error becomes on the wire. */
export interface ErrorReply {
  readonly status: number;
  readonly body: { readonly error: { readonly code: string; readonly message: string } };
}

/** The message of every 500 whose real cause stays in the server. */
export const INTERNAL_ERROR_MESSAGE = 'internal error: the server could not complete the request';

/**
 * Veil's error codes on the wire. The status of each is core's `ERROR_HTTP_STATUS` (docs/errors.md, "HTTP
 * status"), so the HTTP faces and the docs cannot disagree; `send` says whether the error's own message goes to
 * the client (Veil's messages are built to be safe, but an internal invariant's message is for the operator).
 */
const VEIL_CODES: Readonly<Record<ErrorCode, { readonly code: string; readonly send: boolean }>> =
  Object.freeze({
    VEIL_INVALID_PARAMETER: { code: 'invalid_input', send: true },
    VEIL_CONFIG_INVALID: { code: 'invalid_input', send: true },
    VEIL_PROTOCOL_VIOLATION: { code: 'protocol_violation', send: true },
    VEIL_BUDGET_EXCEEDED: { code: 'budget_exceeded', send: true },
    VEIL_UNSUPPORTED: { code: 'unsupported', send: true },
    VEIL_INTEGRITY_FAILED: { code: 'integrity_failed', send: true },
    VEIL_CONSENT_REFUSED: { code: 'consent_refused', send: true },
    VEIL_NUMERIC_FAILURE: { code: 'numeric_failure', send: true },
    VEIL_INTERNAL: { code: 'internal', send: false },
  });

/** Fastify's own errors (their codes are `FST_ERR_*`), each with a fixed message that echoes nothing sent. */
const FASTIFY_CODES: Readonly<Record<string, { status: number; code: string; message: string }>> =
  Object.freeze({
    FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', message: 'request body is too large' },
    FST_ERR_CTP_INVALID_JSON_BODY: {
      status: 400,
      code: 'bad_json',
      message: 'request body is not valid JSON',
    },
    FST_ERR_CTP_EMPTY_JSON_BODY: {
      status: 400,
      code: 'bad_json',
      message: 'request body is empty but its content-type is application/json',
    },
    FST_ERR_CTP_INVALID_MEDIA_TYPE: {
      status: 415,
      code: 'unsupported_media_type',
      message: 'unsupported content-type',
    },
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
      status: 400,
      code: 'bad_request',
      message: 'request body size did not match content-length',
    },
  });

function reply(status: number, code: string, message: string): ErrorReply {
  return { status, body: { error: { code, message } } };
}

/**
 * The status and JSON body an error is answered with: {@link HttpError} as thrown; Fastify's body and media
 * type errors (413 `body_too_large`, 400 `bad_json`, 415 `unsupported_media_type`), schema validation (400
 * `bad_request`, with the validator's message: it names the field, not its value); Veil's coded errors by code
 * (e.g. `VEIL_BUDGET_EXCEEDED` → 409 `budget_exceeded`); anything else → 500 `internal` with a generic message.
 * @param error whatever was thrown
 * @returns the status and body; never throws
 * @throws {never} nothing: every input maps to a reply
 * @example
 * const { status, body } = errorReply(new BudgetExceededError('over budget'));
 * // status 409, body.error.code 'budget_exceeded'
 */
export function errorReply(error: unknown): ErrorReply {
  if (error instanceof HttpError) return reply(error.status, error.code, error.message);
  if (error instanceof VeilError) {
    const entry = VEIL_CODES[error.code];
    if (entry === undefined) return reply(500, 'internal', INTERNAL_ERROR_MESSAGE);
    return reply(
      ERROR_HTTP_STATUS[error.code],
      entry.code,
      entry.send ? error.message : INTERNAL_ERROR_MESSAGE,
    );
  }
  if (typeof error === 'object' && error !== null) {
    const { code, validation, message } = error as {
      code?: unknown;
      validation?: unknown;
      message?: unknown;
    };
    if (validation !== undefined && code === 'FST_ERR_VALIDATION') {
      return reply(400, 'bad_request', typeof message === 'string' ? message : 'request failed validation');
    }
    if (typeof code === 'string' && Object.hasOwn(FASTIFY_CODES, code)) {
      const entry = FASTIFY_CODES[code]!;
      return reply(entry.status, entry.code, entry.message);
    }
    if (typeof code === 'string' && code.startsWith('FST_ERR_')) {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return reply(status, 'bad_request', 'the request was refused');
      }
    }
  }
  return reply(500, 'internal', INTERNAL_ERROR_MESSAGE);
}
