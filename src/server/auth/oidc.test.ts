/**
 * OIDC bearer-token verification against real OpenID providers: two `oidc-provider` processes on 127.0.0.1 (two
 * issuers, two signing keys), tokens obtained by a real `client_credentials` POST with a resource indicator, and
 * forgeries built from those tokens (another key under the same kid, alg none, HS256, a changed payload).
 */
import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, InvalidParameterError } from '../../core/index.js';
import { HttpError } from '../../transport/index.js';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.js';
import { createOidcVerifier, type OidcVerifier, parseOidcConfig } from './oidc.js';

const AUDIENCE = 'https://api.veil.test';
let op: TestOidcProvider;
let other: TestOidcProvider;
let verifier: OidcVerifier;

beforeAll(async () => {
  [op, other] = await Promise.all([startOidcProvider(), startOidcProvider({ clientId: 'other-client' })]);
  verifier = await createOidcVerifier({ issuer: op.issuer, audience: AUDIENCE });
}, 30_000);

afterAll(async () => {
  await Promise.all([op?.close(), other?.close()]);
});

/** Expects `verify(token)` to be refused with `status`/`code`, a message matching `why`, and no token in it. */
async function expectRefused(
  token: string,
  why: RegExp,
  { code = 'invalid_token', by = verifier }: { code?: string; by?: OidcVerifier } = {},
): Promise<void> {
  const error = await by.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  expect(error).toMatchObject({ status: 401, code });
  const { message } = error as HttpError;
  expect(message).toMatch(why);
  for (const part of token.split('.').filter((p) => p.length > 8)) expect(message).not.toContain(part);
}

/** The token's claims re-signed by a fresh RSA key under `kid`. */
async function resign(payload: JWTPayload, kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' }).sign(privateKey);
}

describe('createOidcVerifier: tokens of a real OpenID provider', () => {
  it('accepts a valid access token: issuer, subject and expiry', async () => {
    const token = await op.accessToken(AUDIENCE);
    const identity = await verifier.verify(token);
    const { exp, iat } = decodeJwt(token);
    expect(identity).toEqual({ issuer: op.issuer, subject: op.clientId, expiresAt: new Date(exp! * 1000) });
    expect(exp! - iat!).toBe(op.ttlSeconds);
    expect(verifier.issuer).toBe(op.issuer);
  });

  it('refuses a token for another audience', async () => {
    await expectRefused(await op.accessToken('https://elsewhere.veil.test'), /another audience \(aud\)/);
  });

  it('refuses an expired token as token_expired, and accepts it within the clock tolerance', async () => {
    const token = await op.accessToken(AUDIENCE);
    const exp = decodeJwt(token).exp! * 1000;
    const at = (ms: number) =>
      createOidcVerifier({ issuer: op.issuer, audience: AUDIENCE }, { now: () => new Date(ms) });
    await expectRefused(token, /expired/, { code: 'token_expired', by: await at(exp + 31_000) });
    await expect((await at(exp + 29_000)).verify(token)).resolves.toMatchObject({ subject: op.clientId });
    const strict = await createOidcVerifier(
      { issuer: op.issuer, audience: AUDIENCE, clockToleranceSeconds: 0 },
      { now: () => new Date(exp + 1_000) },
    );
    await expectRefused(token, /expired/, { code: 'token_expired', by: strict });
  });

  it('refuses a token issued in the future (iat beyond the clock tolerance)', async () => {
    const token = await op.accessToken(AUDIENCE);
    const iat = decodeJwt(token).iat! * 1000;
    const early = await createOidcVerifier(
      { issuer: op.issuer, audience: AUDIENCE },
      { now: () => new Date(iat - 60_000) },
    );
    await expectRefused(token, /issued in the future/, { by: early });
  });

  it('refuses a token re-signed by another key under the same kid, and one under an unknown kid', async () => {
    const token = await op.accessToken(AUDIENCE);
    const { kid } = decodeProtectedHeader(token);
    await expectRefused(await resign(decodeJwt(token), kid!), /signature does not verify/);
    await expectRefused(await resign(decodeJwt(token), 'unknown-kid'), /no signing key of the issuer/);
  });

  it("refuses alg none, an HS256 token under the issuer's kid, and algorithms outside the allow-list", async () => {
    const token = await op.accessToken(AUDIENCE);
    const payload = decodeJwt(token);
    const { kid } = decodeProtectedHeader(token);
    await expectRefused(new UnsecuredJWT(payload).encode(), /algorithm \(alg\) is not allowed/);
    const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!');
    const hs256 = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: kid! }).sign(secret);
    await expectRefused(hs256, /algorithm \(alg\) is not allowed/);
    const onlyEs256 = await createOidcVerifier({
      issuer: op.issuer,
      audience: AUDIENCE,
      algorithms: ['ES256'],
    });
    await expectRefused(token, /algorithm \(alg\) is not allowed/, { by: onlyEs256 });
  });

  it("refuses a token of another issuer (a second provider process), and that issuer's verifier refuses ours", async () => {
    const foreign = await other.accessToken(AUDIENCE);
    expect(decodeJwt(foreign).iss).toBe(other.issuer);
    await expectRefused(foreign, /no signing key of the issuer|another issuer/);
    const theirs = await createOidcVerifier({ issuer: other.issuer, audience: AUDIENCE });
    await expect(theirs.verify(foreign)).resolves.toMatchObject({
      issuer: other.issuer,
      subject: 'other-client',
    });
    await expectRefused(await op.accessToken(AUDIENCE), /no signing key of the issuer|another issuer/, {
      by: theirs,
    });
  });

  it('refuses a tampered payload and malformed tokens', async () => {
    const [header, payload, signature] = (await op.accessToken(AUDIENCE)).split('.') as [
      string,
      string,
      string,
    ];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as JWTPayload;
    const tampered = base64url.encode(JSON.stringify({ ...claims, sub: 'admin' }));
    await expectRefused(`${header}.${tampered}.${signature}`, /signature does not verify/);
    for (const bad of [
      '',
      'not-a-jwt',
      `${header}.${payload}`,
      `${header}.!!!.${signature}`,
      'a'.repeat(20_000),
    ]) {
      await expectRefused(bad, /refused/);
    }
  });

  it('answers 503 issuer_unavailable when the key set cannot be refetched (not the token at fault)', async () => {
    let jwksDown = false;
    const flaky: typeof fetch = (input, init) => {
      if (jwksDown && String(input).endsWith('/jwks')) return Promise.reject(new TypeError('fetch failed'));
      return fetch(input, init);
    };
    const v = await createOidcVerifier({ issuer: op.issuer, audience: AUDIENCE }, { fetch: flaky });
    const token = await op.accessToken(AUDIENCE);
    jwksDown = true;
    await expect(v.verify(token)).resolves.toMatchObject({ subject: op.clientId }); // cached keys
    const realNow = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(realNow + 11 * 60_000); // past the cache's max age
    try {
      await expect(v.verify(token)).rejects.toMatchObject({ status: 503, code: 'issuer_unavailable' });
    } finally {
      clock.mockRestore();
    }
  });
});

describe('createOidcVerifier: discovery', () => {
  it('is a ConfigError naming the issuer when its discovery document cannot be fetched', async () => {
    const issuer = 'http://127.0.0.1:1';
    const error = await createOidcVerifier({ issuer, audience: AUDIENCE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(issuer);
    expect((error as ConfigError).issues[0]).toMatchObject({ path: 'issuer', value: issuer });
    const notFound: typeof fetch = async () => new Response('nope', { status: 404 });
    await expect(
      createOidcVerifier({ issuer: op.issuer, audience: AUDIENCE }, { fetch: notFound }),
    ).rejects.toThrow(/HTTP 404/);
  });

  it('is a ConfigError when the discovery document names another issuer', async () => {
    const error = await createOidcVerifier({ issuer: `${op.issuer}/`, audience: AUDIENCE }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`names "${op.issuer}"`);
  });

  it('is a ConfigError when the discovery document names a jwks_uri over plain http off loopback', async () => {
    const issuer = 'https://login.veil.test';
    const document: typeof fetch = async () =>
      Response.json({ issuer, jwks_uri: 'http://keys.veil.test/jwks' });
    await expect(createOidcVerifier({ issuer, audience: AUDIENCE }, { fetch: document })).rejects.toThrow(
      /jwks_uri that is an https:\/\/ URL/,
    );
  });

  it('validates the config and options before any request', async () => {
    const spy = vi.fn<typeof fetch>();
    await expect(
      createOidcVerifier({ issuer: 'http://login.example', audience: AUDIENCE }, { fetch: spy }),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(
      createOidcVerifier({ issuer: op.issuer, audience: AUDIENCE }, { now: 5 as unknown as () => Date }),
    ).rejects.toBeInstanceOf(InvalidParameterError);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('parseOidcConfig', () => {
  const issues = (raw: unknown) => {
    try {
      parseOidcConfig(raw);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues.map(({ path, allowed }) => ({ path, allowed }));
    }
    throw new Error('expected a ConfigError');
  };

  it('accepts https issuers, loopback http issuers and the optional fields', () => {
    for (const issuer of [
      'https://login.example',
      'https://login.example/tenant/',
      'http://127.0.0.1:8080',
    ]) {
      expect(parseOidcConfig({ issuer, audience: AUDIENCE })).toEqual({ issuer, audience: AUDIENCE });
    }
    for (const issuer of ['http://localhost:3000', 'http://[::1]:3000']) {
      expect(parseOidcConfig({ issuer, audience: 'api' }).issuer).toBe(issuer);
    }
    expect(
      parseOidcConfig({
        issuer: 'https://a.example',
        audience: 'api',
        clockToleranceSeconds: 0,
        algorithms: ['ES256'],
      }),
    ).toEqual({
      issuer: 'https://a.example',
      audience: 'api',
      clockToleranceSeconds: 0,
      algorithms: ['ES256'],
    });
  });

  it('names each bad field and what is allowed', () => {
    expect(issues({ issuer: 'http://login.example', audience: 'api' })).toEqual([
      { path: 'issuer', allowed: expect.stringContaining('https:// URL (http:// only on 127.0.0.1') },
    ]);
    expect(issues({ issuer: 'https://a.example', audience: 'api', clockToleranceSeconds: 1000 })).toEqual([
      { path: 'clockToleranceSeconds', allowed: 'an integer in [0, 300]' },
    ]);
    expect(issues({ issuer: 'https://a.example', audience: '' })).toEqual([
      { path: 'audience', allowed: 'a non-empty string' },
    ]);
    expect(issues({ issuer: 'https://a.example', audience: 'api', algorithms: ['none', 'HS256'] })).toEqual([
      { path: 'algorithms.0', allowed: expect.stringContaining('one of RS256') },
      { path: 'algorithms.1', allowed: expect.stringContaining('one of RS256') },
    ]);
    expect(issues({ issuer: 'https://a.example?x=1', audience: 'api', extra: 1 }).map((i) => i.path)).toEqual(
      ['issuer', 'extra'],
    );
    expect(issues(undefined).map((i) => i.path)).toEqual(['issuer', 'audience']);
  });
});
