/**
 * A real OpenID provider (npm `oidc-provider`) in its own process, for the OIDC tests of src/server/auth. Usage:
 *   node --import tsx src/server/testing/oidc-provider-process.ts <client-id> <client-secret> <ttl-seconds>
 * It listens on 127.0.0.1, port 0, and serves one confidential client with the `client_credentials` grant; any
 * resource indicator (`resource=…`, an absolute URL) is accepted and gets a JWT access token (RFC 9068) whose
 * `aud` is that resource, signed RS256 by a key generated at start. Prints one JSON line `{"issuer": "http://…"}`
 * once listening; exits on SIGTERM or when its parent goes away (stdin closes).
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

const [clientId, clientSecret, ttlText] = process.argv.slice(2);
const ttlSeconds = Number(ttlText);
if (clientId === undefined || clientSecret === undefined || !Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
  process.stderr.write('usage: oidc-provider-process.ts <client-id> <client-secret> <ttl-seconds>\n');
  process.exit(2);
}

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
  ],
  jwks: { keys: [signingKey] },
  scopes: ['api'],
  features: {
    devInteractions: { enabled: false },
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
