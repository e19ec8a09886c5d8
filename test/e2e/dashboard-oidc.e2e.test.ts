/**
 * The dashboard's OIDC sign-in in a real browser, against a real OpenID provider: oidc-provider in its own process
 * (src/server/testing/oidc-provider-process.ts) with a public client for the dashboard (authorization code with
 * PKCE S256, redirect URI the service's /oidc-callback, CORS for the service's origin) and its development sign-in
 * pages (any login and password; the login is the account id and so the token's `sub`), and `veil serve` as its
 * own process with `--oidc-issuer`, `--oidc-audience` and `--oidc-client-id`. Debian's Chromium, driven by
 * playwright-core:
 * - "Sign in with 127.0.0.1:PORT", the provider's login and consent pages, back at /oidc-callback: the dashboard
 *   shows the principal registered for that issuer and subject, with its role's navigation, and holds a JWT access
 *   token for the service's audience (asked for as a resource indicator, RFC 8707);
 * - an answer whose `state` is not the one the tab sent is refused with "Sign-in failed", before any token request,
 *   and leaves no session;
 * - once the principal is disabled, the token the page holds is refused, and a reload lands on the sign-in page.
 * The service's port is chosen first (a throwaway listener on port 0), since the provider must know the redirect
 * URI when it starts and the service the issuer when it starts.
 *
 * Needs VEIL_CHROMIUM (.ci/setup-chromium.sh); skips without it, fails under VEIL_REQUIRE_SERVICES=1.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from '../../src/server/testing/oidc-provider.js';

const ROOT = resolve(import.meta.dirname, '../..');
const VEIL = join(ROOT, 'bin/veil');
const executablePath = process.env['VEIL_CHROMIUM'] || undefined;
const required = process.env['VEIL_REQUIRE_SERVICES'] === '1';
const SKIP = 'VEIL_CHROMIUM is unset: source .ci/setup-chromium.sh to install Chromium and run this test';
const AUDIENCE = 'https://veil.test/api';
const CLIENT_ID = 'dashboard';
/** The login typed on the provider's page: the account id, so the token's `sub`. */
const LOGIN = 'olivia@acme.test';
const CREDENTIAL = 'veil.credential';

// biome-ignore lint/suspicious/noExplicitAny: JSON from the wire, read loosely
type Json = any;

/** A port free on 127.0.0.1 now (a throwaway listener on port 0, closed before it is used). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/** The JSON payload of a compact JWS, unverified (the service verifies; this only reads what was issued). */
function claims(jwt: string): Json {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

if (executablePath === undefined) {
  describe('the dashboard’s OIDC sign-in in Chromium', () => {
    if (required)
      it('needs Chromium (VEIL_REQUIRE_SERVICES=1)', () => {
        throw new Error(SKIP);
      });
    else it.skip(`skipped: ${SKIP}`, () => {});
  });
} else {
  describe('the dashboard’s OIDC sign-in in Chromium', () => {
    const dir = mkdtempSync(join(tmpdir(), 'veil-dashboard-oidc-e2e-'));
    let provider: TestOidcProvider;
    let serve: ChildProcess;
    let url = '';
    let browser: Browser;
    let adminKey = '';
    let principalId = '';
    const cspErrors: string[] = [];

    const call = async (key: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const api = async (key: string, method: string, path: string, body?: unknown): Promise<Json> => {
      const r = await call(key, method, path, body);
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };

    /** A fresh browser context and page whose CSP reports and page errors are collected. */
    async function freshPage(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
      });
      page.on('pageerror', (e) => cspErrors.push(`page error: ${e.message}`));
      return page;
    }

    const issuerHost = () => new URL(provider.issuer).host;
    const heldCredential = (page: Page) =>
      page.evaluate(`sessionStorage.getItem(${JSON.stringify(CREDENTIAL)})`) as Promise<string | null>;

    beforeAll(async () => {
      execFileSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'ignore' });
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      provider = await startOidcProvider({
        publicClient: { clientId: CLIENT_ID, redirectUri: `${url}/oidc-callback` },
      });
      const db = `sqlite:${join(dir, 'veil.db')}`;
      adminKey = JSON.parse(
        execFileSync(process.execPath, [VEIL, '--json', 'admin', 'init', '--org', 'acme', '--db', db], {
          encoding: 'utf8',
        }),
      ).apiKey;
      serve = spawn(
        process.execPath,
        [
          VEIL,
          'serve',
          '--db',
          db,
          '--listen',
          `127.0.0.1:${port}`,
          '--oidc-issuer',
          provider.issuer,
          '--oidc-audience',
          AUDIENCE,
          '--oidc-client-id',
          CLIENT_ID,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let log = '';
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`veil serve did not start: ${log}`)), 60_000);
        serve.once('exit', (code) => {
          clearTimeout(timer);
          fail(new Error(`veil serve exited (${String(code)}): ${log}`));
        });
        serve.stderr?.on('data', (d: Buffer) => {
          log += d.toString();
          if (/listening on http:\/\/\S+ /.test(log)) {
            clearTimeout(timer);
            ok();
          }
        });
      });
      principalId = (
        await api(adminKey, 'POST', '/v1/principals', {
          name: 'olivia',
          role: 'analyst',
          oidc: { issuer: provider.issuer, subject: LOGIN },
        })
      ).id;
      browser = await chromium.launch({
        executablePath,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      serve?.kill('SIGKILL');
      await provider?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('tells the page about the issuer, and lets the page reach it under its CSP', async () => {
      const config = await (await fetch(`${url}/ui-config.json`)).json();
      expect(config).toEqual({ oidc: { issuer: provider.issuer, clientId: CLIENT_ID, audience: AUDIENCE } });
      const policy = (await fetch(`${url}/`)).headers.get('content-security-policy') ?? '';
      const origin = new URL(provider.issuer).origin;
      expect(policy).toMatch(new RegExp(`connect-src 'self' ${origin}(;|$)`));
      expect(policy).toMatch(new RegExp(`form-action 'self' ${origin}(;|$)`));
    });

    it('signs in through the provider and shows the principal, its role and its navigation', async () => {
      const page = await freshPage();
      await page.goto(`${url}/`);
      await page.getByRole('button', { name: `Sign in with ${issuerHost()}`, exact: true }).click();

      // the provider's development login page: any login and password
      await page.waitForURL((u) => u.origin === provider.issuer, { waitUntil: 'domcontentloaded' });
      expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
      await page.locator('input[name="login"]').fill(LOGIN);
      await page.locator('input[name="password"]').fill('any password');
      await page.locator('button[type="submit"]').click();
      // then its consent page, unless the provider skips it
      const consent = page.getByRole('button', { name: 'Continue' });
      await Promise.race([
        consent.waitFor({ timeout: 30_000 }).then(() => consent.click()),
        page.waitForURL((u) => u.origin === url, { timeout: 30_000, waitUntil: 'commit' }),
      ]);

      // back at the dashboard, signed in
      const nav = page.getByRole('navigation', { name: 'Pages' });
      await nav.waitFor({ timeout: 30_000 });
      expect(await nav.getByRole('link').allTextContents()).toEqual([
        'Overview',
        'Budgets',
        'Datasets',
        'Jobs',
        'Federation',
      ]);
      await expect(page.locator('header .who').textContent()).resolves.toBe('olivia · analyst · acme');
      expect(new URL(page.url()).pathname).toBe('/');
      expect(new URL(page.url()).hash).toBe('#/overview');
      expect(new URL(page.url()).search).toBe('');
      await page.getByRole('heading', { name: 'acme', level: 1 }).waitFor();

      // what the page holds: a JWT access token from the provider for the API's audience, for the login typed
      const token = await heldCredential(page);
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(claims(token!)).toMatchObject({ iss: provider.issuer, sub: LOGIN, aud: AUDIENCE });
      const me = await call(token!, 'GET', '/v1/me');
      expect([me.status, me.body]).toMatchObject([200, { name: 'olivia', role: 'analyst', via: 'oidc' }]);
      // the role authorises, not the token: the API refuses an analyst the audit log the navigation hides
      await expect(call(token!, 'GET', '/v1/audit/verify')).resolves.toMatchObject({ status: 403 });

      // a reload keeps the session (the token, in this tab's sessionStorage)
      await page.reload();
      await nav.waitFor();

      // disabled: the token is refused, and the page falls back to its sign-in form
      await api(adminKey, 'POST', `/v1/principals/${principalId}/disable`);
      const refused = await call(token!, 'GET', '/v1/me');
      expect([refused.status, refused.body.error.code]).toEqual([401, 'principal_disabled']);
      await page.reload();
      await page.getByLabel('API key', { exact: true }).waitFor();
      expect(await nav.count()).toBe(0);
      expect(await heldCredential(page)).toBeNull();
      await page.context().close();
    });

    it('refuses an answer whose state is not the one this tab sent, before any token request', async () => {
      const page = await freshPage();
      const tokenRequests: string[] = [];
      page.on('request', (r) => {
        if (r.url().startsWith(`${provider.issuer}/token`)) tokenRequests.push(r.url());
      });
      await page.goto(`${url}/`);
      await page.getByRole('button', { name: `Sign in with ${issuerHost()}`, exact: true }).click();
      await page.waitForURL((u) => u.origin === provider.issuer, { waitUntil: 'domcontentloaded' });
      // a forged answer arrives in the tab that has a sign-in pending (its verifier and state)
      await page.goto(`${url}/oidc-callback?code=x&state=wrong`);
      const alert = page.getByRole('alert');
      await alert.waitFor({ timeout: 30_000 });
      await expect(alert.textContent()).resolves.toMatch(
        /^Sign-in failed.*does not match the request \(state\)/,
      );
      expect(await alert.count()).toBe(1);
      expect(new URL(page.url()).pathname).toBe('/');
      expect(new URL(page.url()).search).toBe('');
      await page.getByLabel('API key', { exact: true }).waitFor();
      expect(await page.getByRole('navigation', { name: 'Pages' }).count()).toBe(0);
      expect(await heldCredential(page)).toBeNull();
      expect(tokenRequests).toEqual([]);
      // the pending sign-in is spent: the same answer again is refused too (no second try with the verifier)
      await page.goto(`${url}/oidc-callback?code=x&state=wrong`);
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(
        /^Sign-in failed.*no sign-in was started in this tab/,
      );
      expect(await heldCredential(page)).toBeNull();
      await page.context().close();
    });

    it('says so when the sign-in is cancelled at the provider', async () => {
      const page = await freshPage();
      await page.goto(`${url}/`);
      await page.getByRole('button', { name: `Sign in with ${issuerHost()}`, exact: true }).click();
      await page.waitForURL((u) => u.origin === provider.issuer, { waitUntil: 'domcontentloaded' });
      await page.getByRole('link', { name: '[ Cancel ]' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(
        /^Sign-in failed.*the issuer refused the sign-in: End-User aborted interaction/,
      );
      expect(new URL(page.url()).search).toBe('');
      expect(await page.getByRole('navigation', { name: 'Pages' }).count()).toBe(0);
      expect(await heldCredential(page)).toBeNull();
      await page.context().close();
    });

    it('no page broke its Content-Security-Policy', () => {
      expect(cspErrors).toEqual([]);
    });
  });
}
