/**
 * The client's one error: a refusal of the service (`{"error": {"code", "message"}}`, its HTTP status and the
 * request id the service answered with), or a request that got no answer (status 0: `timeout`,
 * `network_error`), or an answer that is not what the API sends (`bad_response`).
 */

/** Codes the client itself gives, for requests without a service's answer. */
export const CLIENT_ERROR_CODES = Object.freeze(['timeout', 'network_error', 'bad_response'] as const);

export interface VeilApiErrorInit {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly method: string;
  readonly path: string;
  readonly requestId?: string | null;
  readonly cause?: unknown;
}

/**
 * A refused or failed request. `code` is the service's stable code (`budget_exceeded`, `forbidden`,
 * `not_found`, …, docs/server.md "Error codes"); `status` its HTTP status, 0 when no answer came.
 */
export class VeilApiError extends Error {
  override readonly name = 'VeilApiError';
  readonly status: number;
  readonly code: string;
  /** The service's `x-request-id` for this request (quote it to an operator), when it answered. */
  readonly requestId: string | null;
  readonly method: string;
  readonly path: string;

  constructor(init: VeilApiErrorInit) {
    super(
      `${init.method} ${init.path}: ${init.status === 0 ? '' : `${init.status} `}${init.code}: ${init.message}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.method = init.method;
    this.path = init.path;
  }
}

/** Whether `err` is a {@link VeilApiError}, optionally with `code`. */
export function isVeilApiError(err: unknown, code?: string): err is VeilApiError {
  return err instanceof VeilApiError && (code === undefined || err.code === code);
}
