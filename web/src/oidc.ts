/**
 * Sign-in with OpenID Connect: the authorization-code flow with PKCE (RFC 7636, S256) for a public client, the
 * API's audience asked for as a resource indicator (RFC 8707) so that the access token is one the service
 * accepts. The verifier, state and nonce come from the browser's CSPRNG (crypto.getRandomValues) and live in this
 * tab's sessionStorage until the issuer sends the browser back to /oidc-callback.
 */
export interface UiOidc {
  readonly issuer: string;
  readonly clientId: string;
  readonly audience: string;
}

const PENDING = 'veil.oidc.pending';

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

interface Discovery {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the issuer's discovery document answered ${res.status}`);
  const d = (await res.json()) as Partial<Discovery>;
  if (typeof d.authorization_endpoint !== 'string' || typeof d.token_endpoint !== 'string')
    throw new Error("the issuer's discovery document names no authorization or token endpoint");
  return d as Discovery;
}

function redirectUri(): string {
  return `${window.location.origin}/oidc-callback`;
}

/** Sends the browser to the issuer's sign-in page. */
export async function startOidc(config: UiOidc): Promise<void> {
  const { authorization_endpoint } = await discover(config.issuer);
  const verifier = random(48);
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  const state = random(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid',
    state,
    nonce: random(16),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: config.audience,
  }).toString();
  window.location.assign(url.toString());
}

/**
 * On /oidc-callback: checks the state, trades the code (with the verifier) for an access token.
 * @throws Error naming what the issuer refused or what did not match
 */
export async function finishOidc(config: UiOidc, search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const pending = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (params.get('error'))
    throw new Error(
      `the issuer refused the sign-in: ${params.get('error_description') ?? params.get('error')}`,
    );
  if (!pending) throw new Error('no sign-in was started in this tab: start again');
  const { verifier, state } = JSON.parse(pending) as { verifier: string; state: string };
  if (params.get('state') !== state) throw new Error('the sign-in answer does not match the request (state)');
  const code = params.get('code');
  if (!code) throw new Error('the issuer sent no authorization code');
  const { token_endpoint } = await discover(config.issuer);
  const res = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri(),
      client_id: config.clientId,
      code_verifier: verifier,
      resource: config.audience,
    }),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string };
  if (!res.ok || typeof body.access_token !== 'string')
    throw new Error(`the issuer did not give a token: ${body.error ?? res.status}`);
  return body.access_token;
}
