/**
 * Veil's error classes and the registry of stable error codes (STYLE.md §5).
 *
 * Every error Veil throws on purpose is a {@link VeilError} with a stable `code` string
 * (`VEIL_<AREA>_<WHAT>`). Codes are listed here and documented in `docs/errors.md`; a test fails when a code
 * is missing from the docs. A code is never reused for another meaning after it is removed.
 */

/** Every error code Veil can throw, with a one-line meaning (mirrored in docs/errors.md). */
export const ERROR_CODES = {
  VEIL_INVALID_PARAMETER: 'a public function received an argument outside its allowed range or type',
  VEIL_CONFIG_INVALID: 'a configuration file, CLI flag set or request body failed validation',
  VEIL_PROTOCOL_VIOLATION: "a peer's message was malformed or arrived out of stage",
  VEIL_BUDGET_EXCEEDED: 'a privacy spend would exceed the remaining budget; nothing was spent',
  VEIL_UNSUPPORTED: 'the requested combination is not supported; the message says what to use instead',
  VEIL_INTEGRITY_FAILED: 'an audit chain, MAC or signature check failed',
  VEIL_CONSENT_REFUSED:
    'a use of a dataset that its consent terms do not allow (purpose, retention) was refused; nothing was read or spent',
  VEIL_NUMERIC_FAILURE:
    'a numeric computation that protects privacy did not converge or produced NaN/overflow',
  VEIL_INTERNAL: 'an invariant inside Veil was broken (a bug): please report it',
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The HTTP statuses Veil's error codes map to. */
export type HttpStatus = 400 | 403 | 409 | 422 | 500;

/**
 * The HTTP status an HTTP face answers each error code with (mirrored in the `http` column of docs/errors.md,
 * which says why each). 4xx: the caller can fix the request; 5xx: it cannot, an operator must act.
 */
export const ERROR_HTTP_STATUS: Readonly<Record<ErrorCode, HttpStatus>> = Object.freeze({
  VEIL_INVALID_PARAMETER: 400,
  VEIL_CONFIG_INVALID: 400,
  VEIL_PROTOCOL_VIOLATION: 400,
  VEIL_BUDGET_EXCEEDED: 409,
  VEIL_UNSUPPORTED: 422,
  VEIL_INTEGRITY_FAILED: 500,
  VEIL_CONSENT_REFUSED: 403,
  VEIL_NUMERIC_FAILURE: 422,
  VEIL_INTERNAL: 500,
});

/** Base class of every error Veil throws on purpose. `details` never holds raw records, keys or secrets. */
export class VeilError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...details });
  }

  /** A JSON-safe view: `{ code, message, details }`. */
  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: jsonSafe(this.details) };
  }
}

/** Details of an {@link InvalidParameterError}: which function, which parameter, what value, what is allowed. */
export interface InvalidParameterDetails {
  readonly fn: string;
  readonly param: string;
  readonly value: unknown;
  readonly allowed: string;
}

/**
 * A public function got a bad argument. Message shape: `fn: param must be ALLOWED, got VALUE`.
 */
export class InvalidParameterError extends VeilError {
  constructor(details: InvalidParameterDetails) {
    super(
      'VEIL_INVALID_PARAMETER',
      `${details.fn}: ${details.param} must be ${details.allowed}, got ${describeValue(details.value)}`,
      { ...details },
    );
  }
}

/** One problem found while validating configuration or flags. */
export interface ConfigIssue {
  readonly path: string;
  readonly value: unknown;
  readonly allowed: string;
}

/** Configuration (file, flags, HTTP body) failed validation; nothing was applied. */
export class ConfigError extends VeilError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], context = 'configuration') {
    const lines = issues.map((i) =>
      i.value === undefined
        ? `${i.path}: is required (${i.allowed})`
        : `${i.path}: must be ${i.allowed}, got ${describeValue(i.value)}`,
    );
    super('VEIL_CONFIG_INVALID', `invalid ${context}: ${lines.join('; ')}`, { issues });
    this.issues = issues;
  }
}

/** A peer's message was malformed or out of stage. */
export class ProtocolError extends VeilError {
  constructor(message: string, details: { peer?: string; stage?: string; expected?: string } = {}) {
    super('VEIL_PROTOCOL_VIOLATION', message, details);
  }
}

/** A spend would exceed the budget; nothing was spent. */
export class BudgetExceededError extends VeilError {
  constructor(message: string, details: { account?: string; requested?: unknown; remaining?: unknown } = {}) {
    super('VEIL_BUDGET_EXCEEDED', message, details);
  }
}

/** The requested feature or combination is not supported; the message says what to use instead. */
export class UnsupportedError extends VeilError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VEIL_UNSUPPORTED', message, details);
  }
}

/** An integrity check (hash chain, MAC, signature) failed. */
export class IntegrityError extends VeilError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VEIL_INTEGRITY_FAILED', message, details);
  }
}

/** A dataset's consent terms do not allow this use (purpose not allowed, retention expired); refused before any read. */
export class ConsentError extends VeilError {
  constructor(message: string, details: { dataset?: string; purpose?: string; reason?: string } = {}) {
    super('VEIL_CONSENT_REFUSED', message, details);
  }
}

/**
 * A privacy-bearing numeric computation failed (NaN, overflow, no convergence). Veil throws rather than
 * return a possibly optimistic number (fail closed).
 */
export class NumericError extends VeilError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VEIL_NUMERIC_FAILURE', message, details);
  }
}

/** An internal invariant failed: a bug in Veil. */
export class InternalError extends VeilError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VEIL_INTERNAL', message, details);
  }
}

/** Short, safe rendering of a value for an error message (never dumps large arrays). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

function jsonSafe(details: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (typeof v === 'bigint') out[k] = v.toString();
    else if (typeof v === 'number' && !Number.isFinite(v)) out[k] = String(v);
    else if (ArrayBuffer.isView(v)) out[k] = describeValue(v);
    else out[k] = v;
  }
  return out;
}
