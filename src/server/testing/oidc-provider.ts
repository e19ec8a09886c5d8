/**
 * Test support: a real OpenID provider (npm `oidc-provider`) started in a child process on 127.0.0.1 (see
 * oidc-provider-process.ts), and access tokens from it obtained the way a client does: an HTTP POST of the
 * `client_credentials` grant with a resource indicator to its token endpoint. The tokens are JWTs whose `aud` is
 * the resource asked for and whose `sub` is the client id. Optionally also a public client for a browser's
 * authorization-code flow with PKCE, signed in through oidc-provider's development login page (any login and
 * password; the login is the `sub`), for the dashboard's end-to-end test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(import.meta.dirname, 'oidc-provider-process.ts');
const START_TIMEOUT_MS = 20_000;

/** A running test provider. */
export interface TestOidcProvider {
  /** Its issuer URL (`http://127.0.0.1:PORT`), exactly as in its tokens' `iss`. */
  readonly issuer: string;
  /** The client id, which is also the `sub` of every access token it gives. */
  readonly clientId: string;
  /** The lifetime of its access tokens in seconds. */
  readonly ttlSeconds: number;
  /**
   * A fresh access token (a compact JWS) for `audience`, from a real POST to the token endpoint.
   * @throws {Error} when the provider refuses or answers something other than a token
   */
  accessToken(audience: string): Promise<string>;
  /** Stops the child process (idempotent). */
  close(): Promise<void>;
}

/** Options of {@link startOidcProvider}. */
export interface StartOidcProviderOptions {
  /** The client id, and so the tokens' `sub` (default `veil-test-client`). */
  readonly clientId?: string;
  /** Access-token lifetime in seconds (default 300). */
  readonly ttlSeconds?: number;
  /**
   * A public client (no secret) for the authorization-code flow with PKCE to `redirectUri`, whose origin may call
   * the token endpoint from a browser; turns on the provider's development sign-in pages, where any login and
   * password sign in as the account named by the login.
   */
  readonly publicClient?: { readonly clientId: string; readonly redirectUri: string };
}

function waitForIssuer(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      reject(new Error(`oidc-provider process did not report its issuer within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const end = out.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      try {
        resolve((JSON.parse(out.slice(0, end)) as { issuer: string }).issuer);
      } catch (error) {
        reject(error);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc-provider process exited early (${String(code)})`));
    });
  });
}

/**
 * Starts a real OpenID provider in a child process and waits until it listens.
 * @param options the client id and token lifetime
 * @returns the running provider; call `close()` when done (an `afterAll`)
 * @throws {Error} when the process does not start or report its issuer within 20 s
 * @example
 * const op = await startOidcProvider();
 * const token = await op.accessToken('https://api.example');
 * await op.close();
 */
export async function startOidcProvider(options: StartOidcProviderOptions = {}): Promise<TestOidcProvider> {
  const clientId = options.clientId ?? 'veil-test-client';
  const clientSecret = 'test-only-client-secret';
  const ttlSeconds = options.ttlSeconds ?? 300;
  // stdin is a pipe the child watches: if this process dies without close(), the child exits too.
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      SCRIPT,
      clientId,
      clientSecret,
      String(ttlSeconds),
      ...(options.publicClient ? [options.publicClient.clientId, options.publicClient.redirectUri] : []),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  let issuer: string;
  try {
    issuer = await waitForIssuer(child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}; its stderr: ${stderr.trim()}`);
  }
  const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');

  return {
    issuer,
    clientId,
    ttlSeconds,
    async accessToken(audience) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: audience, scope: 'api' }),
      });
      const body = (await response.json()) as { access_token?: unknown; error?: unknown };
      if (!response.ok || typeof body.access_token !== 'string') {
        throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
      }
      return body.access_token;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
