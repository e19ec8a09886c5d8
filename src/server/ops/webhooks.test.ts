import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../core/index.js';
import {
  type Alert,
  createWebhookSender,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhook,
  WEBHOOK_ID_HEADER,
} from './webhooks.js';

const SECRET = new Uint8Array(32).map((_, i) => i * 11 + 3);
const OTHER_SECRET = new Uint8Array(32).map((_, i) => i * 13 + 5);

const ALERT: Alert = {
  kind: 'budget.threshold',
  org: 'acme',
  at: '2026-12-07T14:00:00.000Z',
  data: { account: 'acme/research', epsilonUsed: 8.1, epsilonLimit: 10, threshold: 0.8 },
};

/** One request as the receiver saw it. */
interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly method: string;
}

/** A real HTTP receiver on 127.0.0.1: `answer` decides each response (`'hang'` never answers). */
async function receiver(answer: (n: number, request: Received) => number | 'hang') {
  const received: Received[] = [];
  const server: Server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = {
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        method: req.method ?? '',
      };
      received.push(request);
      const status = answer(received.length, request);
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'text/plain' }).end('answer body');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { url: `http://127.0.0.1:${port}/hooks/veil?token=abc`, received };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('signWebhook / verifyWebhook', () => {
  const body = JSON.stringify(ALERT);
  const now = 1_765_000_000;

  it('verifies its own signature', () => {
    const header = signWebhook(body, SECRET, now);
    expect(header).toMatch(/^t=1765000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(body, header, SECRET, { nowSeconds: now + 10 })).toBe(true);
  });

  it('refuses a tampered body, a wrong secret and a tampered timestamp', () => {
    const header = signWebhook(body, SECRET, now);
    expect(verifyWebhook(body.replace('8.1', '1.8'), header, SECRET, { nowSeconds: now })).toBe(false);
    expect(verifyWebhook(body, header, OTHER_SECRET, { nowSeconds: now })).toBe(false);
    const shifted = header.replace(`t=${now}`, `t=${now + 1}`);
    expect(verifyWebhook(body, shifted, SECRET, { nowSeconds: now })).toBe(false);
  });

  it('refuses a timestamp older than the tolerance, or as far in the future', () => {
    const header = signWebhook(body, SECRET, now);
    expect(verifyWebhook(body, header, SECRET, { nowSeconds: now + 300 })).toBe(true);
    expect(verifyWebhook(body, header, SECRET, { nowSeconds: now + 301 })).toBe(false);
    expect(verifyWebhook(body, header, SECRET, { nowSeconds: now - 301 })).toBe(false);
    expect(verifyWebhook(body, header, SECRET, { nowSeconds: now + 1000, toleranceSeconds: 1000 })).toBe(
      true,
    );
    // the real clock: a signature from an hour ago is stale
    const old = signWebhook(body, SECRET, Math.floor(Date.now() / 1000) - 3600);
    expect(verifyWebhook(body, old, SECRET)).toBe(false);
  });

  it('accepts any one matching v1 of several, and ignores unknown schemes', () => {
    const good = signWebhook(body, SECRET, now).split(',')[1]!;
    const bad = signWebhook(body, OTHER_SECRET, now).split(',')[1]!;
    expect(verifyWebhook(body, `t=${now},${bad},${good},v2=zzz`, SECRET, { nowSeconds: now })).toBe(true);
    expect(verifyWebhook(body, `t=${now},${bad}`, SECRET, { nowSeconds: now })).toBe(false);
  });

  it('answers false for malformed headers', () => {
    const v1 = signWebhook(body, SECRET, now).split(',')[1]!;
    for (const header of [
      '',
      'garbage',
      v1,
      `t=${now}`,
      `t=${now},v1=abc`,
      `t=${now},v1=${'G'.repeat(64)}`,
      `t=-5,${v1}`,
      `t=${now},t=${now},${v1}`,
      `t=${now},${v1},${'x'.repeat(3000)}`,
    ]) {
      expect(verifyWebhook(body, header, SECRET, { nowSeconds: now }), header.slice(0, 40)).toBe(false);
    }
  });

  it('refuses a secret shorter than 32 bytes without echoing it', () => {
    expect(() => signWebhook(body, new Uint8Array(16), now)).toThrow(
      /secret must be a Uint8Array of at least 32 bytes, got "16 bytes"/,
    );
    expect(() => verifyWebhook(body, 't=1,v1=00', new Uint8Array(31))).toThrow(InvalidParameterError);
    expect(() => signWebhook(body, SECRET, 1.5)).toThrow(/nowSeconds/);
    expect(() => verifyWebhook(body, 't=1', SECRET, { toleranceSeconds: -1 })).toThrow(/toleranceSeconds/);
  });
});

describe('createWebhookSender', () => {
  it('POSTs the alert as signed JSON that the receiver verifies', async () => {
    const { url, received } = await receiver(() => 204);
    const delivery = await createWebhookSender().send({ url, secret: SECRET }, ALERT);

    expect(delivery).toEqual({ ok: true, attempts: 1, status: 204 });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toMatch(/^application\/json/);
    const signature = request!.headers[SIGNATURE_HEADER];
    expect(typeof signature).toBe('string');
    expect(verifyWebhook(request!.body, signature as string, SECRET)).toBe(true);
    expect(verifyWebhook(request!.body, signature as string, OTHER_SECRET)).toBe(false);
    const sent = JSON.parse(request!.body) as Record<string, unknown>;
    expect(sent).toEqual({ id: request!.headers[WEBHOOK_ID_HEADER], ...ALERT });
    expect(sent['id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('retries a 503 and succeeds, with the same id and a fresh signature each time', async () => {
    const { url, received } = await receiver((n) => (n < 3 ? 503 : 200));
    const delivery = await createWebhookSender({ baseDelayMs: 5 }).send({ url, secret: SECRET }, ALERT);

    expect(delivery).toEqual({ ok: true, attempts: 3, status: 200 });
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers[WEBHOOK_ID_HEADER])).size).toBe(1);
    for (const r of received) {
      expect(verifyWebhook(r.body, r.headers[SIGNATURE_HEADER] as string, SECRET)).toBe(true);
    }
  });

  it('gives up after maxAttempts', async () => {
    const { url, received } = await receiver(() => 503);
    const delivery = await createWebhookSender({ maxAttempts: 3, baseDelayMs: 1 }).send(
      { url, secret: SECRET },
      ALERT,
    );
    expect(delivery).toEqual({ ok: false, attempts: 3, status: 503, error: 'HTTP 503' });
    expect(received).toHaveLength(3);
  });

  it('does not retry a 4xx the receiver will answer again, nor follow a redirect', async () => {
    const rejecting = await receiver(() => 400);
    const sender = createWebhookSender({ baseDelayMs: 1 });
    expect(await sender.send({ url: rejecting.url, secret: SECRET }, ALERT)).toEqual({
      ok: false,
      attempts: 1,
      status: 400,
      error: 'HTTP 400',
    });
    const redirecting = await receiver(() => 307);
    const delivery = await sender.send({ url: redirecting.url, secret: SECRET }, ALERT);
    expect(delivery).toMatchObject({ ok: false, attempts: 1, status: 307 });
  });

  it('times out each attempt and reports it', async () => {
    const { url, received } = await receiver(() => 'hang');
    const delivery = await createWebhookSender({ maxAttempts: 2, timeoutMs: 150, baseDelayMs: 1 }).send(
      { url, secret: SECRET },
      ALERT,
    );
    expect(delivery).toEqual({ ok: false, attempts: 2, error: 'timed out after 150 ms' });
    expect(received).toHaveLength(2);
  });

  it('reports a network error without the URL', async () => {
    const { url } = await receiver(() => 200);
    const closed = servers.pop()!;
    await new Promise((resolve) => closed.close(resolve));
    const delivery = await createWebhookSender({ maxAttempts: 2, baseDelayMs: 1 }).send(
      { url, secret: SECRET },
      ALERT,
    );
    expect(delivery.ok).toBe(false);
    expect(delivery.attempts).toBe(2);
    expect(delivery.error).toMatch(/^network error \(/);
    expect(delivery.error).not.toContain('token');
  });

  it('refuses non-http(s) URLs, credentials, short secrets and unknown kinds at send time', async () => {
    const sender = createWebhookSender();
    await expect(sender.send({ url: 'file:///etc/passwd', secret: SECRET }, ALERT)).rejects.toThrow(
      /target\.url must be an absolute http: or https: URL, got "a file: URL"/,
    );
    await expect(sender.send({ url: 'not a url', secret: SECRET }, ALERT)).rejects.toThrow(
      InvalidParameterError,
    );
    await expect(sender.send({ url: 'https://u:p@example.com/', secret: SECRET }, ALERT)).rejects.toThrow(
      /credentials/,
    );
    await expect(
      sender.send({ url: 'https://example.com/', secret: new Uint8Array(8) }, ALERT),
    ).rejects.toThrow(/secret/);
    await expect(
      sender.send({ url: 'https://example.com/', secret: SECRET }, { ...ALERT, kind: 'other' as never }),
    ).rejects.toThrow(/alert\.kind/);
    await expect(
      sender.send({ url: 'https://example.com/', secret: SECRET }, { ...ALERT, data: { n: 1n } }),
    ).rejects.toThrow(/JSON-serialisable/);
  });

  it('refuses options outside their ranges', () => {
    expect(() => createWebhookSender({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => createWebhookSender({ timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => createWebhookSender({ baseDelayMs: -1 })).toThrow(/baseDelayMs/);
    expect(() => createWebhookSender({ fetch: 'no' as never })).toThrow(/fetch/);
  });
});
