/**
 * Alerts by webhook, delivered to a real HTTP receiver: a budget crossing its threshold and a failed job each
 * arrive once, signed with the webhook's secret (veil-signature), the secret shown only at registration.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from './ops/webhooks.js';
import { type Body, startTestService, type TestService } from './testing/service.js';

let t: TestService;
let receiver: Server;
let url: string;
const received: { body: string; signature: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['veil-signature']) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  t = await startTestService({ alertIntervalMs: 100 });
}, 60_000);
afterAll(async () => {
  await t?.close();
  receiver?.close();
});

async function waitFor(pred: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('timed out waiting for an alert');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('alerts by webhook', () => {
  it('sends a signed budget.threshold alert once, and a job.failed alert for a failed job', async () => {
    const steward = await t.keyFor(t.adminKey, 'data-steward');
    const w = await t.call(steward, 'POST', '/v1/webhooks', { url, threshold: 0.5 });
    expect(w.status).toBe(201);
    const secret = Buffer.from(w.body.secret, 'base64');
    expect(secret.length).toBe(32);
    expect(JSON.stringify((await t.call(steward, 'GET', '/v1/webhooks')).body)).not.toContain(w.body.secret);

    await t.call(steward, 'POST', '/v1/accounts', { account: 'acme', epsilon: 20, delta: 1e-5 });
    const spend = (epsilon: number) =>
      t.call(steward, 'POST', '/v1/spends', {
        account: 'acme',
        release: { kind: 'epsilon-delta', epsilon },
        purpose: 'cohort statistics',
      });
    expect((await spend(5)).status).toBe(201); // 25%: no alert
    await new Promise((r) => setTimeout(r, 400));
    expect(received).toHaveLength(0);
    expect((await spend(6)).status).toBe(201); // 55%: crosses 50%
    await waitFor(() => received.length === 1);
    const alert = JSON.parse(received[0]!.body) as Body;
    expect(alert).toMatchObject({
      kind: 'budget.threshold',
      org: 'acme',
      data: { account: 'acme', threshold: 0.5 },
    });
    expect(verifyWebhook(received[0]!.body, received[0]!.signature, secret)).toBe(true);
    expect(verifyWebhook(received[0]!.body, received[0]!.signature, Buffer.alloc(32, 1))).toBe(false);
    await spend(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(received).toHaveLength(1); // once per account, not per spend

    // a job that fails: it runs past its one-second timeout
    const analyst = await t.keyFor(t.adminKey, 'analyst');
    const rows = Array.from({ length: 300 }, (_, i) => `${(i % 13) / 13},${i % 3 ? 'a' : 'b'}`).join('\n');
    await t.call(steward, 'PUT', '/v1/datasets/toy/data', Buffer.from(`x,label\n${rows}\n`));
    const sub = await t.call(analyst, 'POST', '/v1/jobs', {
      kind: 'train',
      timeoutSeconds: 1,
      spec: {
        data: { kind: 'csv', path: 'toy.csv', label: 'label' },
        privacy: { noiseMultiplier: 50, publicSize: 300 },
        epochs: 2000,
        batchSize: 10,
        ledger: { account: 'acme', purpose: 'research' },
      },
    });
    expect(sub.status).toBe(202);
    await waitFor(() => received.some((r) => r.body.includes('"job.failed"')), 30_000);
    const failed = JSON.parse(received.find((r) => r.body.includes('"job.failed"'))!.body) as Body;
    expect(failed.data).toMatchObject({ jobId: sub.body.id, error: { code: 'timeout' } });
  }, 60_000);
});
