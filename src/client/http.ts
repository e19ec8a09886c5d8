/**
 * One request to the service over the platform's `fetch`: a bearer credential, a timeout per attempt, the
 * service's refusals as {@link VeilApiError}, and retries with exponential backoff and jitter for requests that
 * are safe to repeat only (the caller says which: reads, uploads that replace with the same bytes, the pure
 * calculators). A request that spends or creates is sent once, whatever the answer.
 */
import { VeilApiError } from './errors.js';

/** How the client retries a request that is safe to repeat. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0: none). */
  readonly retries?: number;
  /** The first backoff, ms (default 250); doubled each retry. */
  readonly baseDelayMs?: number;
  /** The longest wait between attempts, ms (default 10,000); a `Retry-After` beyond it is not waited for. */
  readonly maxDelayMs?: number;
}

export interface TransportOptions {
  /** The service's URL, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  /** An API key (`veil_…`) or an OIDC access token. */
  readonly credential: string;
  /** Each attempt's limit until its answer is read, ms (default 30,000); a stream's or a file's until its headers. */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  /**
   * Uniform draws in [0, 1) that spread the retries of many clients (default: a generator seeded from the clock,
   * enough to de-synchronise clients; it protects nothing).
   */
  readonly random?: () => number;
  /** The `fetch` to use (default the global one). */
  readonly fetch?: typeof fetch;
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** A JSON body, or raw bytes (sent as application/octet-stream). */
  readonly body?: unknown;
  readonly accept?: string;
  /** Safe to send again after a 503, 429, 502, 504, a timeout or a network error. */
  readonly idempotent: boolean;
  readonly signal?: AbortSignal;
  /** Return once the headers are in (the body is the caller's to read; the timeout stops there). */
  readonly stream?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

/** A small xorshift generator seeded from the clock: jitter only. */
function clockJitter(): () => number {
  let s = (Date.now() ^ Math.floor(performance.now() * 1000)) >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Milliseconds of a `Retry-After` header (seconds or an HTTP date), or null. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface Transport {
  readonly baseUrl: string;
  /** Sends `method path`; resolves with the 2xx response (its body unread only for `stream`) and its text. */
  send(method: string, path: string, options: RequestOptions): Promise<{ response: Response; text: string }>;
}

/** The service's error from an answer that is not 2xx. */
function refusal(method: string, path: string, response: Response, text: string): VeilApiError {
  let code = `http_${response.status}`;
  let message = text.slice(0, 300) || response.statusText;
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof e?.code === 'string') code = e.code;
    if (typeof e?.message === 'string') message = e.message;
  } catch {
    // not the API's JSON (a proxy's page): the status stands for the code
  }
  return new VeilApiError({
    status: response.status,
    code,
    message,
    method,
    path,
    requestId: response.headers.get('x-request-id'),
  });
}

/** A transport to the service. @throws {TypeError} for a URL that is not http(s) or an empty credential */
export function createTransport(o: TransportOptions): Transport {
  let base: URL;
  try {
    base = new URL(o.baseUrl);
  } catch {
    throw new TypeError(`createClient: baseUrl must be an http(s) URL, got ${JSON.stringify(o.baseUrl)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new TypeError(`createClient: baseUrl must be an http(s) URL, got ${JSON.stringify(o.baseUrl)}`);
  if (typeof o.credential !== 'string' || o.credential === '')
    throw new TypeError('createClient: credential must be an API key (veil_…) or an OIDC token, got none');
  const root = base.toString().replace(/\/+$/, '');
  const timeoutMs = o.timeoutMs ?? 30_000;
  const retries = o.retry?.retries ?? 3;
  const baseDelay = o.retry?.baseDelayMs ?? 250;
  const maxDelay = o.retry?.maxDelayMs ?? 10_000;
  const random = o.random ?? clockJitter();
  const doFetch = o.fetch ?? ((input, init) => fetch(input, init));
  // "equal jitter": half the doubled delay fixed, half uniform
  const backoff = (attempt: number) => {
    const d = Math.min(maxDelay, baseDelay * 2 ** attempt);
    return d / 2 + random() * (d / 2);
  };

  /** One attempt: the response, with its text read unless streaming; the timeout covers both. */
  async function attempt(method: string, path: string, url: string, r: RequestOptions) {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort(r.signal?.reason);
    r.signal?.addEventListener('abort', onAbort, { once: true });
    // a stream's body stays tied to the caller's signal after the headers are in
    let keepSignal = false;
    const bytes = r.body instanceof Uint8Array;
    const headers: Record<string, string> = {
      authorization: `Bearer ${o.credential}`,
      accept: r.accept ?? 'application/json',
      ...(r.body === undefined
        ? {}
        : { 'content-type': bytes ? 'application/octet-stream' : 'application/json' }),
      ...r.headers,
    };
    try {
      const response = await doFetch(url, {
        method,
        headers,
        signal: controller.signal,
        ...(r.body === undefined ? {} : { body: bytes ? (r.body as Uint8Array) : JSON.stringify(r.body) }),
      });
      keepSignal = r.stream === true && response.ok;
      const text = keepSignal ? '' : await response.text();
      return { response, text };
    } catch (err) {
      if (r.signal?.aborted) throw r.signal.reason ?? err;
      throw new VeilApiError({
        status: 0,
        code: timedOut ? 'timeout' : 'network_error',
        message: timedOut
          ? `no answer within ${timeoutMs} ms`
          : `the service at ${root} cannot be reached (${String((err as Error).cause ?? (err as Error).message)})`,
        method,
        path,
        cause: err,
      });
    } finally {
      clearTimeout(timer);
      if (!keepSignal) r.signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    baseUrl: root,
    async send(method, path, r) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(r.query ?? {})) if (v !== undefined) params.set(k, String(v));
      const qs = params.toString();
      const url = `${root}${path}${qs === '' ? '' : `?${qs}`}`;
      for (let n = 0; ; n++) {
        const canRetry = r.idempotent && n < retries;
        let got: { response: Response; text: string };
        try {
          got = await attempt(method, path, url, r);
        } catch (err) {
          if (!(err instanceof VeilApiError) || !canRetry) throw err;
          await sleep(backoff(n), r.signal);
          continue;
        }
        if (got.response.ok) return got;
        if (canRetry && RETRY_STATUS.has(got.response.status)) {
          const asked = retryAfterMs(got.response.headers.get('retry-after'));
          if (asked === null || asked <= maxDelay) {
            await sleep(asked ?? backoff(n), r.signal);
            continue;
          }
        }
        throw refusal(method, path, got.response, got.text);
      }
    },
  };
}
