/**
 * Bad input and abuse, as a table: each request gets a clear 4xx with a stable code, the security events among
 * them are in the audit log, and nothing else changes (the audit log grows only by those events).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Body, startTestService, type TestService } from './testing/service.js';

let t: TestService;
let analyst: string;
let analystId: string;

beforeAll(async () => {
  t = await startTestService({ rateLimit: 1_000_000 });
  analyst = await t.keyFor(t.adminKey, 'analyst', 'ann');
  analystId = (await t.call(analyst, 'GET', '/v1/me')).body.principalId;
  await t.call(t.adminKey, 'POST', '/v1/accounts', { account: 'acme', epsilon: 5, delta: 1e-5 });
}, 60_000);
afterAll(async () => t?.close());

async function raw(method: string, url: string, headers: Record<string, string>, payload?: string | Buffer) {
  const res = await t.service.app.inject({
    method: method as 'POST',
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
  return { status: res.statusCode, body: JSON.parse(res.body) as Body };
}

const size = async () => (await t.service.context.ledger.auditHead())?.size ?? 0;

describe('bad input and abuse', () => {
  it('answers each with a stable 4xx and changes nothing', async () => {
    const admin = { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' };
    const cases: [string, () => Promise<{ status: number; body: Body }>, number, string][] = [
      ['malformed JSON', () => raw('POST', '/v1/accounts', admin, '{"account": "acme/x",'), 400, 'bad_json'],
      [
        'wrong type',
        () =>
          raw(
            'POST',
            '/v1/accounts',
            admin,
            JSON.stringify({ account: 'acme/x', epsilon: 'ten', delta: 1e-5 }),
          ),
        400,
        'bad_request',
      ],
      [
        'unknown field',
        () =>
          raw(
            'POST',
            '/v1/accounts',
            admin,
            JSON.stringify({ account: 'acme/x', epsilon: 1, delta: 1e-5, owner: 'me' }),
          ),
        400,
        'bad_request',
      ],
      [
        'negative epsilon',
        () =>
          raw('POST', '/v1/accounts', admin, JSON.stringify({ account: 'acme/x', epsilon: -1, delta: 1e-5 })),
        400,
        'bad_request',
      ],
      [
        'delta >= 1',
        () => raw('POST', '/v1/accounts', admin, JSON.stringify({ account: 'acme/x', epsilon: 1, delta: 1 })),
        400,
        'bad_request',
      ],
      [
        'oversized body',
        () =>
          raw(
            'POST',
            '/v1/accounts',
            admin,
            JSON.stringify({ account: 'acme/x', pad: 'x'.repeat(2 * 1024 * 1024) }),
          ),
        413,
        'body_too_large',
      ],
      [
        'prototype pollution',
        () =>
          raw(
            'POST',
            '/v1/accounts',
            admin,
            '{"account":"acme/x","epsilon":1,"delta":1e-5,"__proto__":{"admin":true}}',
          ),
        400,
        'bad_json',
      ],
      [
        'path traversal in a dataset name',
        () =>
          raw(
            'PUT',
            '/v1/datasets/..%2F..%2Fetc/data',
            { ...admin, 'content-type': 'application/octet-stream' },
            Buffer.from('a,b\n1,2\n'),
          ),
        400,
        'bad_request',
      ],
      [
        'path traversal in a training file',
        () =>
          raw(
            'POST',
            '/v1/jobs',
            { ...admin },
            JSON.stringify({
              kind: 'train',
              spec: {
                data: { kind: 'csv', path: '../../../etc/passwd', label: 'x' },
                privacy: { epsilon: 1, publicSize: 300 },
                ledger: { account: 'acme', purpose: 'p' },
              },
            }),
          ),
        400,
        'invalid_path',
      ],
      [
        'forged API key',
        () => raw('GET', '/v1/me', { authorization: `Bearer ${t.adminKey.slice(0, -5)}AAAAA` }),
        401,
        'invalid_api_key',
      ],
      [
        'unknown API key',
        () =>
          raw('GET', '/v1/me', {
            authorization: 'Bearer veil_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          }),
        401,
        'invalid_api_key',
      ],
      [
        'forged JWT',
        () => raw('GET', '/v1/me', { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' }),
        401,
        'invalid_token',
      ],
      [
        'not a bearer header',
        () => raw('GET', '/v1/me', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }),
        401,
        'invalid_token',
      ],
      [
        'role escalation: analyst creates an admin',
        () =>
          raw(
            'POST',
            '/v1/principals',
            { authorization: `Bearer ${analyst}`, 'content-type': 'application/json' },
            JSON.stringify({ name: 'evil', role: 'admin' }),
          ),
        403,
        'forbidden',
      ],
      [
        'role escalation: analyst mints itself a key',
        () =>
          raw(
            'POST',
            '/v1/keys',
            { authorization: `Bearer ${analyst}`, 'content-type': 'application/json' },
            JSON.stringify({ principalId: analystId }),
          ),
        403,
        'forbidden',
      ],
      [
        'scope beyond the role',
        () =>
          raw('POST', '/v1/keys', admin, JSON.stringify({ principalId: analystId, scopes: ['keys.manage'] })),
        403,
        'scope_not_allowed',
      ],
      [
        'foreign account',
        () =>
          raw('POST', '/v1/accounts', admin, JSON.stringify({ account: 'beta/x', epsilon: 1, delta: 1e-5 })),
        403,
        'foreign_account',
      ],
      ['unknown job id', () => raw('GET', '/v1/jobs/j_00000000000000000000', admin), 404, 'not_found'],
      ['malformed job id', () => raw('GET', '/v1/jobs/..%2Fx', admin), 400, 'bad_request'],
    ];
    const securityEvents = new Set([
      'forged API key',
      'scope beyond the role',
      'foreign account',
      'role escalation: analyst creates an admin',
      'role escalation: analyst mints itself a key',
      'path traversal in a training file',
    ]);
    const rows: string[] = [];
    const principalsBefore = (await t.call(t.adminKey, 'GET', '/v1/principals')).body.principals.length;
    const keysBefore = (await t.call(t.adminKey, 'GET', '/v1/keys')).body.keys.length;
    for (const [name, send, status, code] of cases) {
      const before = await size();
      const r = await send();
      if (r.status !== status || r.body?.error?.code !== code)
        rows.push(`${name}: ${r.status} ${JSON.stringify(r.body)}`);
      const added = (await t.call(t.adminKey, 'GET', `/v1/audit/entries?from=${before}`)).body
        .entries as Body[];
      const expected = securityEvents.has(name) ? 1 : 0;
      // the admin's forged key is a known id: that refusal is recorded at service level (not under acme's root)
      const all = (await size()) - before;
      if (all !== expected)
        rows.push(`${name}: ${all} audit entries (${added.map((e) => e.action).join(', ')})`);
    }
    expect(rows).toEqual([]);
    expect((await t.call(t.adminKey, 'GET', '/v1/principals')).body.principals.length).toBe(principalsBefore);
    expect((await t.call(t.adminKey, 'GET', '/v1/keys')).body.keys.length).toBe(keysBefore);
    expect((await t.call(t.adminKey, 'GET', '/v1/accounts')).body.accounts.map((a: Body) => a.path)).toEqual([
      'acme',
    ]);
    expect((await t.call(t.adminKey, 'GET', '/v1/audit/verify')).body.ok).toBe(true);
  }, 60_000);

  it('refuses expired and revoked keys with their own codes, and audits both', async () => {
    const k = await t.call(t.adminKey, 'POST', '/v1/keys', {
      principalId: analystId,
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    });
    expect(k.status).toBe(201);
    expect((await t.call(k.body.apiKey, 'GET', '/v1/me')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    const expired = await t.call(k.body.apiKey, 'GET', '/v1/me');
    expect([expired.status, expired.body.error.code]).toEqual([401, 'key_expired']);
    const k2 = await t.call(t.adminKey, 'POST', '/v1/keys', { principalId: analystId });
    expect(
      (await t.call(t.adminKey, 'POST', `/v1/keys/${k2.body.key.id}/revoke`)).body.revokedAt,
    ).not.toBeNull();
    const revoked = await t.call(k2.body.apiKey, 'GET', '/v1/me');
    expect([revoked.status, revoked.body.error.code]).toEqual([401, 'key_revoked']);
    const entries = (await t.call(t.adminKey, 'GET', '/v1/audit/entries?limit=1000')).body.entries as Body[];
    expect(entries.filter((e) => e.action === 'server.key-revoked')).toHaveLength(1);
    const all = await t.service.context.ledger.auditEntries({ limit: 10_000 });
    const refusals = all.filter((e) => e.action === 'server.auth').map((e) => e.detail['code']);
    expect(refusals).toEqual(expect.arrayContaining(['key_expired', 'key_revoked']));
  }, 30_000);

  it('limits the request rate per credential: 429 rate_limited', async () => {
    const limited = await startTestService({ rateLimit: 5 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await limited.call(limited.adminKey, 'GET', '/v1/me')).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      const r = await limited.call(limited.adminKey, 'GET', '/v1/me');
      expect([r.status, r.body.error.code]).toEqual([429, 'rate_limited']);
    } finally {
      await limited.close();
    }
  }, 30_000);
});
