/**
 * Security events for the audit log: what a module that is not a budget needs to record (a refused
 * registration, a revoked certificate, an attestation that failed, a clean-room upload), in the same signed,
 * hash-chained log as spends, without a spend. The ledger writes its own actions (`account.*`, `budget.*`,
 * `dataset.*`, `job.*`); an event may not use those prefixes, so nothing recorded here can pass for a spend or a
 * consent decision.
 */
import { InvalidParameterError } from '../../core/index.js';
import type { AuditRecord } from './format.js';

/** A security event to append (see {@link toAuditRecord} for what is allowed). */
export interface SecurityEvent {
  /** Dotted lower-case name, module first: 'fl.registration', 'transport.certificate-revoked'. */
  readonly action: string;
  /** What came of it: 'refused', 'allowed', 'expelled', 'failed', … */
  readonly outcome: string;
  /** Who asked (an authenticated name: a node's certificate name, an API key's owner). */
  readonly principal?: string;
  /** What it was about (a node, a dataset, a session id). */
  readonly subject?: string;
  readonly purpose?: string;
  /**
   * The budget account (or organisation root) the event concerns, so that the log's queries by account find it
   * (the HTTP service files each organisation's security events under its root).
   */
  readonly account?: string;
  /** Further facts: JSON values only, at most 16 KiB once serialised. Never secrets or raw records. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Actions the ledger itself writes: an event may not use them. */
export const RESERVED_AUDIT_PREFIXES = ['account.', 'budget.', 'dataset.', 'job.'] as const;

const ACTION = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const WORD = /^[a-z][a-z0-9-]{0,39}$/;
const MAX_DETAIL_BYTES = 16 * 1024;
const MAX_TEXT = 500;

function bad(param: string, value: unknown, allowed: string): never {
  throw new InvalidParameterError({ fn: 'recordEvent', param, value, allowed });
}

function text(param: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT)
    bad(param, value, `a non-empty string of at most ${MAX_TEXT} characters`);
  return value;
}

/** JSON round trip: refuses what JSON cannot hold (BigInt, functions, cycles, non-finite numbers). */
function jsonDetail(detail: unknown): Record<string, unknown> {
  if (detail === undefined) return {};
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
    bad('detail', detail, 'an object of JSON values');
  let json: string;
  try {
    json = JSON.stringify(detail, (_key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('non-finite number');
      if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol')
        throw new Error(typeof v);
      return v;
    });
  } catch (err) {
    return bad(
      'detail',
      `(${(err as Error).message})`,
      'an object of JSON values (no BigInt, function, cycle, NaN or Infinity)',
    );
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_DETAIL_BYTES) bad('detail', `${bytes} bytes`, `at most ${MAX_DETAIL_BYTES} bytes of JSON`);
  return JSON.parse(json) as Record<string, unknown>;
}

/**
 * Checks a security event and turns it into the record the log appends (principal and subject go into the
 * detail, beside the caller's facts).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER naming the field: a malformed or reserved action, an
 *   outcome that is not one lower-case word, over-long text, or a detail that is not small JSON
 */
export function toAuditRecord(event: SecurityEvent): Omit<AuditRecord, 'actor'> {
  if (typeof event !== 'object' || event === null) bad('event', event, 'an object');
  const { action, outcome } = event;
  if (typeof action !== 'string' || action.length > 100 || !ACTION.test(action))
    bad(
      'action',
      action,
      "a dotted lower-case name of at most 100 characters, module first (e.g. 'fl.registration')",
    );
  const reserved = RESERVED_AUDIT_PREFIXES.find((p) => action.startsWith(p));
  if (reserved)
    bad('action', action, `a name outside ${RESERVED_AUDIT_PREFIXES.join(', ')} (the ledger's own actions)`);
  if (typeof outcome !== 'string' || !WORD.test(outcome))
    bad('outcome', outcome, "one lower-case word of at most 40 characters (e.g. 'refused')");
  const principal = text('principal', event.principal);
  const subject = text('subject', event.subject);
  const purpose = text('purpose', event.purpose);
  const account = text('account', event.account);
  const detail = jsonDetail(event.detail);
  return {
    action,
    outcome,
    ...(account === undefined ? {} : { account }),
    purpose: purpose ?? null,
    detail: {
      ...detail,
      ...(principal === undefined ? {} : { principal }),
      ...(subject === undefined ? {} : { subject }),
    },
  };
}
