/**
 * A small client of the Veil service for scripts and `veil job …`: bearer-authenticated JSON requests, the
 * service's refusals turned back into Veil's errors (so the CLI's exit codes mean the same as for a local run),
 * and a reader of a job's server-sent events.
 */
import {
  BudgetExceededError,
  ConfigError,
  ConsentError,
  InvalidParameterError,
  ProtocolError,
} from '../core/index.js';

/** The service's answer to a refused request, as a Veil error. */
function refusal(status: number, code: string, message: string, what: string): Error {
  if (code === 'budget_exceeded') return new BudgetExceededError(message);
  if (code === 'consent_refused') return new ConsentError(message, { reason: code });
  if (status === 401 || status === 403)
    return new ConfigError(
      [
        {
          path: '--api-key',
          value: '(hidden)',
          allowed: `a credential the service accepts for ${what} (${code}: ${message})`,
        },
      ],
      'service',
    );
  if (status >= 400 && status < 500)
    return new ConfigError([{ path: what, value: code, allowed: message }], 'service request');
  return new ProtocolError(`the service answered ${status} ${code}: ${message}`, {
    stage: what,
    expected: 'a 2xx answer',
  });
}

export interface ServiceClient {
  readonly url: string;
  /** A JSON request; resolves with the parsed body of a 2xx. @throws the refusal as a Veil error */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** The job's events as they come (server-sent events) until it ends; resolves with the final state. */
  follow(jobId: string, onEvent: (kind: string, data: Record<string, unknown>) => void): Promise<string>;
}

/**
 * A client of the service at `url` with `apiKey`.
 * @throws {InvalidParameterError} for a URL that is not http(s) or an empty key
 */
export function serviceClient(url: string, apiKey: string): ServiceClient {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new InvalidParameterError({
      fn: 'serviceClient',
      param: 'url',
      value: url,
      allowed: 'the service URL, e.g. http://127.0.0.1:8080',
    });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new InvalidParameterError({
      fn: 'serviceClient',
      param: 'url',
      value: url,
      allowed: 'an http(s) URL',
    });
  if (typeof apiKey !== 'string' || apiKey.length === 0)
    throw new InvalidParameterError({
      fn: 'serviceClient',
      param: 'apiKey',
      value: '(empty)',
      allowed: 'an API key (veil_…) or an OIDC token',
    });
  const root = base.toString().replace(/\/$/, '');
  const headers = { authorization: `Bearer ${apiKey}` };
  const send = async (method: string, path: string, body?: unknown, accept = 'application/json') => {
    try {
      return await fetch(`${root}${path}`, {
        method,
        headers: {
          ...headers,
          accept,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ConfigError(
        [
          {
            path: '--server',
            value: root,
            allowed: `a reachable Veil service (${(err as Error).cause ?? (err as Error).message})`,
          },
        ],
        'service',
      );
    }
  };
  return {
    url: root,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await send(method, path, body);
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        throw new ProtocolError(`the service answered ${res.status} with a body that is not JSON`, {
          stage: `${method} ${path}`,
          expected: 'a JSON body',
        });
      }
      if (!res.ok) {
        const e = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
        throw refusal(
          res.status,
          e?.code ?? 'unknown',
          e?.message ?? text.slice(0, 200),
          `${method} ${path}`,
        );
      }
      return parsed as T;
    },
    async follow(jobId, onEvent) {
      const res = await send(
        'GET',
        `/v1/jobs/${encodeURIComponent(jobId)}/events`,
        undefined,
        'text/event-stream',
      );
      if (!res.ok || !res.body) throw refusal(res.status, 'events', await res.text(), 'GET events');
      let buffer = '';
      let state = 'unknown';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const kind = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          const parsed = data ? (JSON.parse(data) as Record<string, unknown>) : {};
          if (kind === 'end') state = String(parsed['state']);
          else onEvent(kind, parsed);
          cut = buffer.indexOf('\n\n');
        }
      }
      return state;
    },
  };
}
