/**
 * OIDC sign-in to the service against a real provider process (oidc-provider): a token for the service's
 * audience signs in as the principal registered with that issuer and subject, with that principal's role; a
 * token for another audience, an unregistered subject or a disabled principal is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from './testing/oidc-provider.js';
import { startTestService, type TestService } from './testing/service.js';

const AUDIENCE = 'https://veil.test/api';
let provider: TestOidcProvider;
let t: TestService;

beforeAll(async () => {
  provider = await startOidcProvider({ clientId: 'reporting-bot' });
  t = await startTestService({ oidc: { issuer: provider.issuer, audience: AUDIENCE } });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await provider?.close();
});

describe('OIDC bearer tokens (real provider)', () => {
  it('signs in as the registered principal with its role, and only within it', async () => {
    const token = await provider.accessToken(AUDIENCE);
    const before = await t.call(token, 'GET', '/v1/me');
    expect([before.status, before.body.error.code]).toEqual([401, 'unknown_principal']);
    const p = await t.call(t.adminKey, 'POST', '/v1/principals', {
      name: 'bot',
      role: 'auditor',
      oidc: { issuer: provider.issuer, subject: provider.clientId },
    });
    expect(p.status).toBe(201);
    const me = await t.call(token, 'GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ org: 'acme', name: 'bot', role: 'auditor', via: 'oidc' });
    const write = await t.call(token, 'POST', '/v1/accounts', { account: 'acme', epsilon: 1, delta: 1e-5 });
    expect([write.status, write.body.error.code]).toEqual([403, 'forbidden']);
    expect((await t.call(token, 'GET', '/v1/audit/verify')).status).toBe(200);

    const other = await provider.accessToken('https://elsewhere.test');
    const refused = await t.call(other, 'GET', '/v1/me');
    expect([refused.status, refused.body.error.code]).toEqual([401, 'invalid_token']);

    const tampered = `${token.slice(0, -4)}AAAA`;
    expect((await t.call(tampered, 'GET', '/v1/me')).status).toBe(401);

    expect((await t.call(t.adminKey, 'POST', `/v1/principals/${p.body.id}/disable`)).status).toBe(200);
    const disabled = await t.call(token, 'GET', '/v1/me');
    expect([disabled.status, disabled.body.error.code]).toEqual([401, 'principal_disabled']);
  }, 60_000);

  it('a second principal cannot claim the same OIDC identity', async () => {
    const r = await t.call(t.adminKey, 'POST', '/v1/principals', {
      name: 'bot2',
      role: 'admin',
      oidc: { issuer: provider.issuer, subject: provider.clientId },
    });
    expect([r.status, r.body.error.code]).toEqual([409, 'oidc_subject_taken']);
  });
});
