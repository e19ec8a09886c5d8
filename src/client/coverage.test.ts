/**
 * One client method per route: every route the service registers (its route registry, as the role matrix reads
 * it) is in ROUTES_COVERED with a method of the client, and the table names no route the service lacks. Left out
 * on purpose: the unauthenticated probes and the API description (`/healthz`, `/readyz`, `/openapi.json`,
 * `/docs`), which are for operators and tools.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../server/testing/service.js';
import { createClient, ROUTES_COVERED } from './index.js';

const OPERATOR_ONLY = new Set(['GET /healthz', 'GET /readyz', 'GET /openapi.json']);

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
}, 60_000);
afterAll(async () => t?.close());

describe('route coverage', () => {
  it('has a client method for every route the service registers, and for no other', () => {
    const registered = t.service.context.routes
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !OPERATOR_ONLY.has(r) && !r.includes(' /docs'));
    expect(registered.length).toBeGreaterThan(30);
    expect(registered.filter((r) => !(r in ROUTES_COVERED)).sort()).toEqual([]);
    expect(Object.keys(ROUTES_COVERED).filter((r) => !registered.includes(r))).toEqual([]);
  });

  it('names methods the client has', () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:1', credential: 'veil_x' });
    for (const [route, method] of Object.entries(ROUTES_COVERED))
      expect(typeof client[method], `${route} → ${method}`).toBe('function');
  });
});
