/**
 * Alerts sent to an organisation's webhook (a budget crossing a threshold, a failed job), signed the way Stripe
 * signs its events: the `veil-signature` header holds `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
 * under a secret shared with the receiver. The receiver recomputes the HMAC over the exact bytes it received,
 * compares in constant time and refuses old timestamps, so a captured request cannot be replayed later.
 *
 * The sender retries what may succeed later (5xx, 408, 429, network errors, timeouts) with exponential backoff
 * and jitter, re-signing each attempt with a fresh timestamp; every attempt carries the same `veil-webhook-id`
 * (also the body's `id`) so that a receiver can drop a duplicate. Redirects are not followed (a webhook URL that
 * redirects elsewhere is a misconfiguration, or an attempt to make the service call an address it should not).
 * Nothing here logs; neither the secret nor the URL (which may itself carry a token) appears in errors.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  assertInteger,
  assertNonNegative,
  csprng,
  InvalidParameterError,
  type Rng,
} from '../../core/index.js';

/** Where an organisation's alerts go: an http(s) URL and the secret the receiver verifies signatures with. */
export interface WebhookTarget {
  readonly url: string;
  /** At least 32 bytes (HMAC-SHA256's block of security; shorter secrets are refused). */
  readonly secret: Uint8Array;
}

/** One alert; sent as the JSON body `{ id, kind, org, at, data }`. */
export interface Alert {
  readonly kind: 'budget.threshold' | 'job.failed';
  readonly org: string;
  /** When it happened, ISO 8601. */
  readonly at: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'veil-signature';
/** The header carrying the delivery's id (the same on every attempt; also the body's `id`). */
export const WEBHOOK_ID_HEADER = 'veil-webhook-id';
/** The shortest secret accepted, in bytes. */
export const MIN_WEBHOOK_SECRET_BYTES = 32;
/** How old (or how far in the future) a signature's timestamp may be by default, in seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const ALERT_KINDS: readonly Alert['kind'][] = ['budget.threshold', 'job.failed'];
/** A header longer than this is refused unread (a real one is about 80 characters). */
const MAX_HEADER_LENGTH = 2048;
/** Backoff never waits longer than this between attempts, in milliseconds. */
const MAX_DELAY_MS = 60_000;

function checkSecret(fn: string, secret: unknown): asserts secret is Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length < MIN_WEBHOOK_SECRET_BYTES) {
    throw new InvalidParameterError({
      fn,
      param: 'secret',
      // the length only: never the secret's bytes
      value: secret instanceof Uint8Array ? `${secret.length} bytes` : secret,
      allowed: `a Uint8Array of at least ${MIN_WEBHOOK_SECRET_BYTES} bytes`,
    });
  }
}

function hmacHex(body: string, secret: Uint8Array, t: number): string {
  return createHmac('sha256', secret).update(`${t}.`, 'utf8').update(body, 'utf8').digest('hex');
}

/**
 * The signature header's value for `body` at time `nowSeconds`.
 * @param body the exact body sent (the receiver verifies these characters, UTF-8 encoded)
 * @param secret the target's secret, at least 32 bytes
 * @param nowSeconds Unix time in whole seconds
 * @returns `t=<nowSeconds>,v1=<64 hex digits>`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a body that is not a string, a secret shorter than
 *   32 bytes or a time that is not a non-negative integer
 * @example
 * request.headers[SIGNATURE_HEADER] = signWebhook(body, secret, Math.floor(Date.now() / 1000));
 */
export function signWebhook(body: string, secret: Uint8Array, nowSeconds: number): string {
  const fn = 'signWebhook';
  if (typeof body !== 'string') {
    throw new InvalidParameterError({ fn, param: 'body', value: body, allowed: 'a string' });
  }
  checkSecret(fn, secret);
  assertInteger(fn, 'nowSeconds', nowSeconds, 0);
  return `t=${nowSeconds},v1=${hmacHex(body, secret, nowSeconds)}`;
}

/**
 * Checks a signature header against the body received, in constant time (`crypto.timingSafeEqual`). Refuses a
 * malformed header and a timestamp more than `toleranceSeconds` away from now, in either direction (a
 * timestamp in the future would otherwise stretch the replay window). Several `v1=` entries are allowed (any
 * one matching suffices), as when a sender signs with an old and a new secret during rotation.
 * @param body the body exactly as received
 * @param header the `veil-signature` header's value
 * @param secret the shared secret, at least 32 bytes
 * @param options `toleranceSeconds` (default 300, >= 0); `nowSeconds` (default the clock), for tests
 * @returns true when a signature matches and the timestamp is fresh; false otherwise (never throws for a bad
 *   header: it comes from the network)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a secret shorter than 32 bytes or a negative or
 *   non-finite tolerance or time
 * @example
 * if (!verifyWebhook(rawBody, req.headers['veil-signature'] ?? '', secret)) return reply.code(400).send();
 */
export function verifyWebhook(
  body: string,
  header: string,
  secret: Uint8Array,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  const fn = 'verifyWebhook';
  checkSecret(fn, secret);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  assertNonNegative(fn, 'toleranceSeconds', tolerance);
  const now = options.nowSeconds ?? Date.now() / 1000;
  assertNonNegative(fn, 'nowSeconds', now);
  if (typeof body !== 'string' || typeof header !== 'string' || header.length > MAX_HEADER_LENGTH)
    return false;

  let t: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0) return false;
    if (key === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return false;
      t = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return false;
      candidates.push(Buffer.from(value, 'hex'));
    }
    // other schemes (a future v2) are ignored, as Stripe's receivers do
  }
  if (t === undefined || candidates.length === 0 || Math.abs(now - t) > tolerance) return false;

  const expected = Buffer.from(hmacHex(body, secret, t), 'hex');
  let match = false;
  // every candidate is compared (no early exit), each in constant time; lengths are public (32 bytes)
  for (const candidate of candidates) match = timingSafeEqual(candidate, expected) || match;
  return match;
}

/** Sends alerts; see {@link createWebhookSender}. */
export interface WebhookSender {
  /**
   * Delivers one alert, retrying what may succeed later; resolves with the outcome, never rejecting for a
   * failed delivery.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER (a rejected promise) for a URL that is not http(s)
   *   or carries credentials, a short secret, an unknown alert kind or data that is not JSON-serialisable
   */
  send(target: WebhookTarget, alert: Alert): Promise<WebhookDelivery>;
}

/** The outcome of {@link WebhookSender.send}. */
export interface WebhookDelivery {
  /** True when the receiver answered 2xx. */
  readonly ok: boolean;
  /** How many requests were made (1 to maxAttempts). */
  readonly attempts: number;
  /** The last attempt's HTTP status, when that attempt got a response. */
  readonly status?: number;
  /** Why the last attempt failed (`HTTP 503`, `timed out after 5000 ms`, `network error (ECONNREFUSED)`). */
  readonly error?: string;
}

/** Options of {@link createWebhookSender}. */
export interface WebhookSenderOptions {
  /** Requests per alert at most, an integer in [1, 20] (default 4). */
  maxAttempts?: number;
  /** Per-attempt timeout in milliseconds, an integer in [1, 120000] (default 10000). */
  timeoutMs?: number;
  /** Backoff before the second attempt in milliseconds, doubling each time, an integer in [0, 60000] (default 500). */
  baseDelayMs?: number;
  /** The fetch to use (default Node's global fetch). */
  fetch?: typeof fetch;
}

/** Statuses after which another attempt may succeed. */
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

let sharedRng: Rng | undefined;

/** Core's CSPRNG, made on first use (no import-time side effects). */
function rng(): Rng {
  sharedRng ??= csprng();
  return sharedRng;
}

/** The wait before attempt `attempt + 1`: half the doubled delay fixed, half uniform ("equal jitter"). */
function backoffMs(baseDelayMs: number, attempt: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + (ceiling / 2) * rng().uniform();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Why a fetch failed, without the URL (which may carry a token). */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.name : 'unknown';
  return `network error (${code})`;
}

/** Checks the target and alert, returning the parsed URL and the body to send. */
function prepare(fn: string, target: WebhookTarget, alert: Alert, id: string): { url: URL; body: string } {
  let url: URL | undefined;
  try {
    url = new URL(target.url);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InvalidParameterError({
      fn,
      param: 'target.url',
      value: url === undefined ? 'an unparseable URL' : `a ${url.protocol} URL`,
      allowed: 'an absolute http: or https: URL',
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidParameterError({
      fn,
      param: 'target.url',
      value: 'a URL with credentials',
      allowed: 'a URL without user:password (the signature authenticates the sender)',
    });
  }
  checkSecret(fn, target.secret);
  if (!ALERT_KINDS.includes(alert.kind)) {
    throw new InvalidParameterError({
      fn,
      param: 'alert.kind',
      value: alert.kind,
      allowed: ALERT_KINDS.join(' or '),
    });
  }
  if (typeof alert.org !== 'string' || alert.org.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'alert.org',
      value: alert.org,
      allowed: 'a non-empty string',
    });
  }
  if (typeof alert.at !== 'string') {
    throw new InvalidParameterError({
      fn,
      param: 'alert.at',
      value: alert.at,
      allowed: 'an ISO 8601 string',
    });
  }
  let body: string;
  try {
    body = JSON.stringify({ id, kind: alert.kind, org: alert.org, at: alert.at, data: alert.data });
  } catch {
    throw new InvalidParameterError({
      fn,
      param: 'alert.data',
      value: alert.data,
      allowed: 'JSON-serialisable data (no bigint, no cycles)',
    });
  }
  return { url, body };
}

/**
 * A sender that POSTs each alert as JSON with the signature header. 2xx is success; 5xx, 408, 429, network
 * errors and timeouts are retried with exponential backoff (jitter from core's CSPRNG) up to `maxAttempts`;
 * any other status ends the delivery at once. Each attempt has its own timeout (`AbortSignal.timeout`) and its
 * own timestamp.
 * @param options maxAttempts (default 4), timeoutMs (default 10000), baseDelayMs (default 500), fetch
 * @returns the sender; `send` resolves with a {@link WebhookDelivery}
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an option outside its range or a fetch that is not
 *   a function
 * @example
 * const sender = createWebhookSender();
 * const delivery = await sender.send({ url, secret }, { kind: 'job.failed', org, at, data: { jobId } });
 * if (!delivery.ok) recordUndelivered(delivery.error);
 */
export function createWebhookSender(options: WebhookSenderOptions = {}): WebhookSender {
  const fn = 'createWebhookSender';
  const maxAttempts = options.maxAttempts ?? 4;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const baseDelayMs = options.baseDelayMs ?? 500;
  assertInteger(fn, 'maxAttempts', maxAttempts, 1, 20);
  assertInteger(fn, 'timeoutMs', timeoutMs, 1, 120_000);
  assertInteger(fn, 'baseDelayMs', baseDelayMs, 0, MAX_DELAY_MS);
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') {
    throw new InvalidParameterError({ fn, param: 'fetch', value: doFetch, allowed: 'a function' });
  }

  async function send(target: WebhookTarget, alert: Alert): Promise<WebhookDelivery> {
    const idBytes = new Uint8Array(16);
    rng().fillBytes(idBytes);
    const id = Buffer.from(idBytes).toString('hex');
    const { url, body } = prepare('WebhookSender.send', target, alert, id);

    let last: { status?: number; error: string } = { error: 'not attempted' };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(backoffMs(baseDelayMs, attempt - 1));
      const t = Math.floor(Date.now() / 1000);
      try {
        const response = await doFetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'user-agent': 'veil-webhooks/1',
            [SIGNATURE_HEADER]: signWebhook(body, target.secret, t),
            [WEBHOOK_ID_HEADER]: id,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        // The receiver's answer is not read: release the connection.
        await response.body?.cancel().catch(() => undefined);
        if (response.status >= 200 && response.status < 300) {
          return { ok: true, attempts: attempt, status: response.status };
        }
        last = { status: response.status, error: `HTTP ${response.status}` };
        if (!retryable(response.status)) return { ok: false, attempts: attempt, ...last };
      } catch (error) {
        last = { error: describeFailure(error, timeoutMs) };
      }
    }
    return { ok: false, attempts: maxAttempts, ...last };
  }

  return Object.freeze({ send });
}
