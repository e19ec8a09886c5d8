/**
 * An account's spends over HTTP come a page at a time: `limit` spends after `after`, oldest first, with `next`
 * (the `after` of the next page) while more remain; bad paging parameters are a 400 naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Body, startTestService, type TestService } from './testing/service.js';

let t: TestService;

beforeAll(async () => {
  t = await startTestService();
  await t.service.runner?.stop(0);
  await t.call(t.adminKey, 'POST', '/v1/accounts', { account: 'acme', epsilon: 10, delta: 1e-5 });
  await t.call(t.adminKey, 'POST', '/v1/accounts', { account: 'acme/a', epsilon: 5, delta: 1e-5 });
  for (let i = 0; i < 7; i++) {
    const r = await t.call(t.adminKey, 'POST', '/v1/spends', {
      account: 'acme/a',
      release: { kind: 'epsilon-delta', epsilon: 0.01 },
      purpose: `p${i}`,
    });
    expect(r.status).toBe(201);
  }
});
afterAll(async () => t?.close());

describe('GET /v1/accounts/* pages', () => {
  it('walks every spend once, in order, by following next', async () => {
    const seen: string[] = [];
    let after: number | null = null;
    let pages = 0;
    do {
      const r = await t.call(
        t.adminKey,
        'GET',
        `/v1/accounts/acme?limit=3${after === null ? '' : `&after=${after}`}`,
      );
      expect(r.status).toBe(200);
      expect(r.body.spends.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.spends.map((s: Body) => s.purpose));
      expect(r.body.status.spends).toBe(7); // the status is the whole account's, whatever the page
      after = r.body.next;
      pages++;
    } while (after !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });

  it('gives every spend and no next without paging parameters', async () => {
    const r = await t.call(t.adminKey, 'GET', '/v1/accounts/acme/a');
    expect(r.body.spends).toHaveLength(7);
    expect(r.body.next).toBeNull();
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['after=-1', 'after'],
    ['after=x', 'after'],
    ['page=2', 'page'],
  ])('refuses %s with a 400 naming the field', async (query, field) => {
    const r = await t.call(t.adminKey, 'GET', `/v1/accounts/acme?${query}`);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain(field);
  });
});

describe('GET /v1/accounts?status=true: the accounts nearest the root with their status, in one request', () => {
  it('gives the root first, then by depth and path, at most limit, with the total', async () => {
    for (const account of ['acme/b', 'acme/a/deep'])
      await t.call(t.adminKey, 'POST', '/v1/accounts', { account, epsilon: 1, delta: 1e-5 });
    const r = await t.call(t.adminKey, 'GET', '/v1/accounts?status=true&limit=3');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(4);
    expect(r.body.statuses.map((s: Body) => s.account.path)).toEqual(['acme', 'acme/a', 'acme/b']);
    const a = r.body.statuses[1];
    expect(a.spends).toBe(7);
    expect(a.epsilonSpent).toBeGreaterThan(0);
    expect(a.epsilonSpent).toBeCloseTo(
      (await t.call(t.adminKey, 'GET', '/v1/accounts/acme/a?limit=1')).body.status.epsilonSpent,
      12,
    );
    // without status, the list as before
    expect((await t.call(t.adminKey, 'GET', '/v1/accounts')).body.accounts).toHaveLength(4);
  });

  it('refuses a limit out of range, naming it', async () => {
    for (const q of ['status=true&limit=0', 'status=true&limit=101', 'status=yes', 'limit=5'])
      expect((await t.call(t.adminKey, 'GET', `/v1/accounts?${q}`)).status, q).toBe(400);
  });
});
