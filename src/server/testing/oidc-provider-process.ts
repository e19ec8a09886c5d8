/**
 * A real OpenID provider (npm `oidc-provider`) in its own process, for the OIDC tests of src/server/auth and the
 * dashboard's sign-in. Usage:
 *   node --import tsx src/server/testing/oidc-provider-process.ts <client-id> <client-secret> <ttl-seconds>
 *     [<public-client-id> <redirect-uri>]
 * It listens on 127.0.0.1, port 0, and serves one confidential client with the `client_credentials` grant; any
 * resource indicator (`resource=…`, an absolute URL) is accepted and gets a JWT access token (RFC 9068) whose
 * `aud` is that resource, signed RS256 by a key generated at start. Prints one JSON line `{"issuer": "http://…"}`
 * once listening; exits on SIGTERM or when its parent goes away (stdin closes).
 *
 * With the two optional arguments it also serves a public client (no secret, `token_endpoint_auth_method`
 * `none`) for the authorization-code flow with PKCE (S256, required) to that one redirect URI, whose origin may
 * call the token endpoint from a browser (CORS), and enables oidc-provider's development sign-in pages
 * (`devInteractions`: any login and password sign in, the login becomes the account id and so the tokens' `sub`;
 * then a consent page, "Continue").
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';

/** The part of oidc-provider's API used here (it ships no types). */
interface ProviderModule {
  readonly Provider: new (
    issuer: string,
    configuration: Record<string, unknown>,
  ) => {
    callback(): RequestListener;
  };
}

const [clientId, clientSecret, ttlText, publicClientId, redirectUri] = process.argv.slice(2);
const ttlSeconds = Number(ttlText);
if (
  clientId === undefined ||
  clientSecret === undefined ||
  !Number.isInteger(ttlSeconds) ||
  ttlSeconds < 1 ||
  (publicClientId !== undefined && (redirectUri === undefined || !URL.canParse(redirectUri)))
) {
  process.stderr.write(
    'usage: oidc-provider-process.ts <client-id> <client-secret> <ttl-seconds> [<public-client-id> <redirect-uri>]\n',
  );
  process.exit(2);
}
const publicClient =
  publicClientId !== undefined && redirectUri !== undefined
    ? { clientId: publicClientId, redirectUri, origin: new URL(redirectUri).origin }
    : null;

// A non-literal specifier: TypeScript does not look for the (absent) type declarations of oidc-provider.
const moduleName: string = 'oidc-provider';
const { Provider } = (await import(moduleName)) as ProviderModule;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: `test-${process.pid}`, alg: 'RS256', use: 'sig' };

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    ...(publicClient
      ? [
          {
            client_id: publicClient.clientId,
            grant_types: ['authorization_code'],
            response_types: ['code'],
            redirect_uris: [publicClient.redirectUri],
            token_endpoint_auth_method: 'none',
          },
        ]
      : []),
  ],
  jwks: { keys: [signingKey] },
  scopes: ['api'],
  // the account id is the login typed on the development sign-in page, and the tokens' `sub`
  findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  pkce: { required: () => true },
  // only the public client's browser origin may call the token endpoint (or userinfo) from a page
  clientBasedCORS: (_ctx: unknown, origin: string, client: { clientId: string }) =>
    publicClient !== null && client.clientId === publicClient.clientId && origin === publicClient.origin,
  features: {
    devInteractions: { enabled: publicClient !== null },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx: unknown, resourceIndicator: string) => ({
        scope: 'api',
        audience: resourceIndicator,
        accessTokenTTL: ttlSeconds,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
server.on('request', provider.callback());

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
const stop = () => process.exit(0);
process.once('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
