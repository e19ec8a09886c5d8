/**
 * The dashboard's files as the service serves them (app/web.ts): from memory by exact name, with a strict CSP,
 * ETags, gzip when asked, long caching for hashed assets only; nothing outside the bundle however the path is
 * spelled; a page saying how to build the dashboard when it is not built; the sign-in configuration; and the
 * files stay out of the API's route registry (the SDKs' coverage and the role matrix are about the API).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../testing/service.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-web-'));
const JS = `console.log(${JSON.stringify('x'.repeat(4000))});`;
let built: TestService;
let bare: TestService;

beforeAll(async () => {
  mkdirSync(join(dir, 'dist/assets'), { recursive: true });
  writeFileSync(join(dir, 'dist/index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(dir, 'dist/assets/index-abc123.js'), JS);
  writeFileSync(join(dir, 'dist/assets/index-abc123.js.map'), '{}');
  writeFileSync(join(dir, 'dist/favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'secret.txt'), 'not for the web');
  built = await startTestService({ web: { dir: join(dir, 'dist') } });
  bare = await startTestService({ web: { dir: join(dir, 'none') } });
}, 60_000);
afterAll(async () => {
  await built?.close();
  await bare?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (t: TestService, url: string, headers: Record<string, string> = {}) =>
  t.service.app.inject({ method: 'GET', url, headers });

describe('the dashboard files', () => {
  it('serves the page with a strict CSP, an ETag and no-cache, and answers 304 to a matching ETag', async () => {
    const page = await get(built, '/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<div id="app">');
    const csp = String(page.headers['content-security-policy']);
    for (const d of [
      "default-src 'self'",
      "script-src 'self'",
      "frame-ancestors 'none'",
      "connect-src 'self'",
    ])
      expect(csp).toContain(d);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
    const again = await get(built, '/', { 'if-none-match': String(page.headers['etag']) });
    expect(again.statusCode).toBe(304);
    expect((await get(built, '/oidc-callback')).body).toBe(page.body);
  });

  it('serves hashed assets for a year, gzipped when asked, and nothing else', async () => {
    const plain = await get(built, '/assets/index-abc123.js');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toMatch(/^text\/javascript/);
    expect(plain.headers['cache-control']).toContain('immutable');
    expect(plain.body).toBe(JS);
    const zipped = await get(built, '/assets/index-abc123.js', { 'accept-encoding': 'gzip, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(JS);
    expect((await get(built, '/favicon.svg')).statusCode).toBe(200);
    for (const url of [
      '/assets/index-abc123.js.map', // not a served type
      '/assets/../secret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/..%2fsecret.txt',
      '/secret.txt',
      '/assets/nope.js',
    ]) {
      const r = await get(built, url);
      expect(r.statusCode, url).toBe(404);
      expect(r.body, url).not.toContain('not for the web');
    }
  });

  it('says how to build the dashboard when it is not built, and the API is unaffected', async () => {
    const page = await get(bare, '/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('npm run build:web');
    expect((await get(bare, '/healthz')).statusCode).toBe(200);
  });

  it('tells the sign-in page whether OIDC is offered, and keeps its files out of the API route registry', async () => {
    expect(JSON.parse((await get(built, '/ui-config.json')).body)).toEqual({ oidc: null });
    const routes = built.service.context.routes.map((r) => r.url);
    for (const url of ['/', '/assets/*', '/ui-config.json', '/oidc-callback', '/favicon.svg'])
      expect(routes).not.toContain(url);
    expect(routes).toContain('/v1/me');
  });

  it("tells each caller its permissions: the role's, narrowed to a key's scopes", async () => {
    const me = await built.call(built.adminKey, 'GET', '/v1/me');
    expect(me.body.permissions).toContain('keys.manage');
    const analyst = await built.keyFor(built.adminKey, 'analyst');
    const a = await built.call(analyst, 'GET', '/v1/me');
    expect(a.body.permissions).toContain('jobs.submit');
    expect(a.body.permissions).not.toContain('audit.read');
    const principal = (
      await built.call(built.adminKey, 'POST', '/v1/principals', { name: 'n', role: 'analyst' })
    ).body;
    const scoped = await built.call(built.adminKey, 'POST', '/v1/keys', {
      principalId: principal.id,
      scopes: ['org.read', 'jobs.read'],
    });
    expect(scoped.status, JSON.stringify(scoped.body)).toBe(201);
    expect((await built.call(scoped.body.apiKey, 'GET', '/v1/me')).body.permissions).toEqual([
      'org.read',
      'jobs.read',
    ]);
  });
});
