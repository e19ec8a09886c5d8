/**
 * The role × route matrix, generated from the service's own route registry and permission table: every route is
 * called as each role of the organisation, as another organisation's administrator, and without credentials.
 * A role holding the route's permission gets a 2xx; one that does not gets 403 `forbidden`, with nothing changed
 * but one `server.forbidden` entry in the audit log; the other organisation never sees or touches this one's
 * objects (404 or 403, and no id of this organisation in any body). A route without a fixture here fails the test,
 * so a new route cannot skip the matrix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from './app/context.js';
import { ROLES, type Role, roleHolds } from './auth/permissions.js';
import { type Body, startTestService, type TestService } from './testing/service.js';

const CSV = Buffer.from(
  `x,label\n${Array.from({ length: 200 }, (_, i) => `${(i % 13) / 13},${i % 3 ? 'a' : 'b'}`).join('\n')}\n`,
);

let t: TestService;
const keys = {} as Record<Role, string>;
let beta: string;
let unique = 0;
/** Ids of this organisation's objects: the other organisation must never see one. */
const acmeIds = new Set<string>();

const trainBody = () => ({
  kind: 'train',
  spec: {
    data: { kind: 'csv', path: 'toy.csv', label: 'label' },
    privacy: { epsilon: 0.2, publicSize: 200 },
    epochs: 1,
    batchSize: 40,
    ledger: { account: 'acme/x', purpose: 'research' },
  },
});

interface Call {
  readonly url: string;
  readonly body?: unknown;
}

/** A fresh object of acme created by its administrator (so destructive calls act on their own target). */
async function fresh(kind: 'principal' | 'key' | 'job' | 'dataset' | 'webhook'): Promise<string> {
  const n = ++unique;
  if (kind === 'webhook') {
    const r = await t.call(keys.admin, 'POST', '/v1/webhooks', { url: `https://alerts.example/${n}` });
    acmeIds.add(r.body.webhook.id);
    return r.body.webhook.id;
  }
  if (kind === 'principal') {
    const r = await t.call(keys.admin, 'POST', '/v1/principals', { name: `target-${n}`, role: 'analyst' });
    acmeIds.add(r.body.id);
    return r.body.id;
  }
  if (kind === 'key') {
    const p = await fresh('principal');
    const r = await t.call(keys.admin, 'POST', '/v1/keys', { principalId: p });
    acmeIds.add(r.body.key.id);
    return r.body.key.id;
  }
  if (kind === 'dataset') {
    await t.call(keys.admin, 'PUT', `/v1/datasets/ds${n}/data`, CSV);
    return `ds${n}`;
  }
  const r = await t.call(keys.admin, 'POST', '/v1/jobs', trainBody());
  if (r.status !== 202) throw new Error(`job fixture: ${r.status} ${JSON.stringify(r.body)}`);
  acmeIds.add(r.body.id);
  return r.body.id;
}

/** How to call each route: built per call, so each call has its own target. */
const FIXTURES: Record<string, () => Promise<Call>> = {
  'GET /healthz': async () => ({ url: '/healthz' }),
  'GET /readyz': async () => ({ url: '/readyz' }),
  'GET /openapi.json': async () => ({ url: '/openapi.json' }),
  'GET /metrics': async () => ({ url: '/metrics' }),
  'GET /v1/me': async () => ({ url: '/v1/me' }),
  'GET /v1/org': async () => ({ url: '/v1/org' }),
  'GET /v1/principals': async () => ({ url: '/v1/principals' }),
  'POST /v1/principals': async () => ({
    url: '/v1/principals',
    body: { name: `p-${++unique}`, role: 'auditor' },
  }),
  'GET /v1/principals/:id': async () => ({ url: `/v1/principals/${await fresh('principal')}` }),
  'POST /v1/principals/:id/disable': async () => ({
    url: `/v1/principals/${await fresh('principal')}/disable`,
  }),
  'GET /v1/keys': async () => ({ url: '/v1/keys' }),
  'POST /v1/keys': async () => ({ url: '/v1/keys', body: { principalId: await fresh('principal') } }),
  'POST /v1/keys/:id/revoke': async () => ({ url: `/v1/keys/${await fresh('key')}/revoke` }),
  'GET /v1/accounts': async () => ({ url: '/v1/accounts' }),
  'POST /v1/accounts': async () => ({
    url: '/v1/accounts',
    body: { account: `acme/m${++unique}`, epsilon: 1, delta: 1e-6 },
  }),
  'GET /v1/accounts/*': async () => ({ url: '/v1/accounts/acme/x' }),
  'POST /v1/spends': async () => ({
    url: '/v1/spends',
    body: { account: 'acme/x', release: { kind: 'epsilon-delta', epsilon: 0.01 }, purpose: 'matrix' },
  }),
  'POST /v1/forecast': async () => ({ url: '/v1/forecast', body: { account: 'acme/x' } }),
  'POST /v1/allocate': async () => ({
    url: '/v1/allocate',
    body: { account: 'acme/x', jobs: [{ kind: 'epsilon-delta', name: 'a', weight: 1 }] },
  }),
  'GET /v1/datasets': async () => ({ url: '/v1/datasets' }),
  'PUT /v1/datasets/:name/data': async () => ({ url: `/v1/datasets/up${++unique}/data`, body: CSV }),
  'POST /v1/datasets': async () => ({
    url: '/v1/datasets',
    body: { name: await fresh('dataset'), purposes: ['research'] },
  }),
  'GET /v1/audit/entries': async () => ({ url: '/v1/audit/entries?limit=5' }),
  'GET /v1/audit/entries/:seq': async () => ({ url: '/v1/audit/entries/0' }),
  'GET /v1/audit/verify': async () => ({ url: '/v1/audit/verify' }),
  'GET /v1/audit/export': async () => ({ url: '/v1/audit/export' }),
  'GET /v1/reports/:regulation': async () => ({ url: '/v1/reports/gdpr' }),
  'POST /v1/privacy/epsilon': async () => ({
    url: '/v1/privacy/epsilon',
    body: { release: { kind: 'gaussian', sigma: 2 }, delta: 1e-5 },
  }),
  'POST /v1/privacy/calibrate': async () => ({
    url: '/v1/privacy/calibrate',
    body: { targetEpsilon: 1, release: { kind: 'gaussian', delta: 1e-5 } },
  }),
  'POST /v1/privacy/max-steps': async () => ({
    url: '/v1/privacy/max-steps',
    body: { targetEpsilon: 3, delta: 1e-5, sampleRate: 0.01, noiseMultiplier: 1.1 },
  }),
  'POST /v1/jobs': async () => ({ url: '/v1/jobs', body: trainBody() }),
  'GET /v1/webhooks': async () => ({ url: '/v1/webhooks' }),
  'POST /v1/webhooks': async () => ({ url: '/v1/webhooks', body: { url: 'https://alerts.example/hook' } }),
  'POST /v1/webhooks/:id/disable': async () => ({ url: `/v1/webhooks/${await fresh('webhook')}/disable` }),
  'GET /v1/jobs': async () => ({ url: '/v1/jobs' }),
  'GET /v1/jobs/:id': async () => ({ url: `/v1/jobs/${await fresh('job')}` }),
  'POST /v1/jobs/:id/cancel': async () => ({ url: `/v1/jobs/${await fresh('job')}/cancel` }),
  'GET /v1/jobs/:id/events': async () => ({ url: `/v1/jobs/${await fresh('job')}/events` }),
  'GET /v1/jobs/:id/files/:name': async () => ({ url: `/v1/jobs/${await fresh('job')}/files/model.json` }),
};

/** Routes whose success needs more than a permission (a finished job's file): allowed means "not 401/403". */
const ALLOWED_NOT_2XX = new Set(['GET /v1/jobs/:id/files/:name']);

async function auditSize(): Promise<number> {
  return (await t.service.context.ledger.auditHead())?.size ?? 0;
}

beforeAll(async () => {
  t = await startTestService();
  await t.service.runner?.stop(0); // jobs stay queued: the matrix is about who may call what
  keys.admin = t.adminKey;
  for (const role of ROLES)
    if (role !== 'admin') keys[role] = await t.keyFor(t.adminKey, role, `the-${role}`);
  expect(
    (await t.call(keys.admin, 'POST', '/v1/accounts', { account: 'acme', epsilon: 1000, delta: 1e-5 }))
      .status,
  ).toBe(201);
  expect(
    (await t.call(keys.admin, 'POST', '/v1/accounts', { account: 'acme/x', epsilon: 900, delta: 1e-5 }))
      .status,
  ).toBe(201);
  expect((await t.call(keys.admin, 'PUT', '/v1/datasets/toy/data', CSV)).status).toBe(201);
  await t.call(keys.admin, 'POST', '/v1/spends', {
    account: 'acme/x',
    release: { kind: 'epsilon-delta', epsilon: 0.01 },
    purpose: 'seed',
  });
  await t.call(keys.admin, 'POST', '/v1/spends', {
    account: 'acme/x',
    release: { kind: 'epsilon-delta', epsilon: 0.01 },
    purpose: 'seed',
  });
  const b = await t.service.context.identity.initOrganisation('beta', 'test-operator');
  beta = b.apiKey;
  for (const p of (await t.call(keys.admin, 'GET', '/v1/principals')).body.principals) acmeIds.add(p.id);
}, 60_000);
afterAll(async () => t?.close());

describe('the role × route matrix', () => {
  it('has a fixture for every registered route (a new route cannot skip the matrix)', () => {
    const registered = t.service.context.routes.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered.filter((r) => !(r in FIXTURES))).toEqual([]);
    expect(Object.keys(FIXTURES).filter((f) => !registered.includes(f))).toEqual([]);
  });

  it('allows exactly what the permission table allows, for every role on every route', async () => {
    const rows: string[] = [];
    for (const route of t.service.context.routes) {
      const name = `${route.method} ${route.url}`;
      for (const role of ROLES) {
        const call = await FIXTURES[name]!();
        const before = await auditSize();
        const r = await t.call(keys[role], route.method, call.url, call.body);
        const access = route.access as Access;
        const allowed = access === 'public' || roleHolds(role, access);
        const ok = allowed
          ? ALLOWED_NOT_2XX.has(name)
            ? r.status !== 401 && r.status !== 403
            : r.status >= 200 && r.status < 300
          : r.status === 403 && r.body?.error?.code === 'forbidden';
        if (!allowed) {
          // nothing changed but the refusal's own entry
          const entries = (await t.call(keys.admin, 'GET', `/v1/audit/entries?from=${before}&limit=10`)).body
            .entries;
          if (entries.length !== 1 || entries[0].action !== 'server.forbidden')
            rows.push(`${name} as ${role}: audit ${JSON.stringify(entries.map((e: Body) => e.action))}`);
        }
        if (!ok)
          rows.push(
            `${name} as ${role} (${allowed ? 'allow' : 'deny'}): ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`,
          );
      }
    }
    expect(rows).toEqual([]);
  }, 240_000);

  it("another organisation's administrator reaches none of this organisation's objects", async () => {
    const rows: string[] = [];
    for (const route of t.service.context.routes) {
      const name = `${route.method} ${route.url}`;
      const call = await FIXTURES[name]!();
      const r = await t.call(beta, route.method, call.url, call.body);
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      const leaked = [...acmeIds].filter((id) => text.includes(id));
      if (leaked.length > 0 || text.includes('"acme/') || text.includes('"acme"'))
        rows.push(`${name}: leaks ${leaked.join(',')} ${text.slice(0, 160)}`);
      const idRoute =
        /:id|:seq|\*/.test(route.url) ||
        (call.body !== undefined && JSON.stringify(call.body).includes('acme'));
      if (idRoute && r.status < 400 && route.access !== 'public')
        rows.push(`${name}: ${r.status} for another organisation's object`);
    }
    expect(rows).toEqual([]);
  }, 120_000);

  it('refuses every non-public route without credentials (401) and serves the public ones', async () => {
    for (const route of t.service.context.routes) {
      const call = await FIXTURES[`${route.method} ${route.url}`]!();
      const r = await t.call(null, route.method, call.url, call.body);
      if (route.access === 'public') expect(r.status, route.url).toBeLessThan(400);
      else expect([route.url, r.status, r.body.error.code]).toEqual([route.url, 401, 'unauthenticated']);
    }
  }, 60_000);
});
