/**
 * Bearer-token authentication against an OpenID provider: {@link createOidcVerifier} reads the issuer's
 * discovery document (`/.well-known/openid-configuration`) once, then verifies compact JWS access tokens against
 * the issuer's JSON Web Key Set (jose's remote key set: cached, refetched on an unknown `kid` no more often than
 * its cooldown allows) and checks `iss`, `aud`, `exp`, `nbf`, `iat`, `sub` and the signing algorithm against an
 * allow-list of asymmetric algorithms (never `none`, never HMAC: an HMAC key would be the issuer's public key).
 *
 * A refused token becomes transport's {@link HttpError} 401 with a stable code, `token_expired` or
 * `invalid_token`, and a message naming the check that failed; no message ever carries the token or its claims.
 * When the issuer's keys cannot be fetched the answer is 503 `issuer_unavailable`: the client's token may be fine.
 * The verifier reaches only the issuer's own URLs: its discovery document and the `jwks_uri` that document names.
 */
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { z } from 'zod';
import { ConfigError, checkSchema, InvalidParameterError } from '../../core/index.js';
import { HttpError } from '../../transport/index.js';

/** The JWS algorithms a verifier may be told to accept: asymmetric signatures only. */
export const OIDC_ALGORITHMS = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const);
/** The algorithms accepted when the configuration names none. */
export const DEFAULT_OIDC_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'PS256', 'ES256', 'EdDSA']);
/** The clock skew allowed when the configuration names none, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
/** The largest clock skew a configuration may allow, in seconds. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;

/** How long the discovery document and the key set may take to arrive. */
const FETCH_TIMEOUT_MS = 5_000;
/** After a key-set fetch, how long an unknown `kid` waits before it may trigger another (jose's cooldown). */
const JWKS_COOLDOWN_MS = 30_000;
/** How long a fetched key set is used before it is fetched again. */
const JWKS_MAX_AGE_MS = 10 * 60_000;
/** Bearer tokens longer than this are refused unread. */
const MAX_TOKEN_CHARS = 16_384;
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Where an OpenID provider's tokens come from and who they must be for. */
export interface OidcConfig {
  /** The issuer URL exactly as in its tokens' `iss` (https://…; http:// only for loopback hosts 127.0.0.1/localhost/[::1], for tests). */
  readonly issuer: string;
  /** The audience the tokens must carry (`aud`), e.g. the API's URL or resource indicator. */
  readonly audience: string;
  /** Allowed clock skew in seconds for exp/nbf/iat (default 30, an integer in [0, 300]). */
  readonly clockToleranceSeconds?: number;
  /** Allowed JWS algorithms (default ['RS256','PS256','ES256','EdDSA']; never 'none', never HS*). */
  readonly algorithms?: readonly string[];
}

/** Who a verified token speaks for. */
export interface OidcIdentity {
  /** The token's issuer (the configured one). */
  readonly issuer: string;
  /** The token's `sub`: the user, or for `client_credentials` the client. */
  readonly subject: string;
  /** When the token expires (its `exp`). */
  readonly expiresAt: Date;
}

/** Verifies the bearer tokens of one issuer. */
export interface OidcVerifier {
  readonly issuer: string;
  /**
   * Verifies a compact JWS bearer token: signature against the issuer's JWKS (discovered from
   * /.well-known/openid-configuration, cached, refetched on an unknown kid with jose's cooldown), iss, aud, exp,
   * nbf, clock skew, alg allow-list.
   * @throws {HttpError} 401 `token_expired` when `exp` passed more than the clock tolerance ago; 401
   *   `invalid_token` for anything else wrong with the token; 503 `issuer_unavailable` when the issuer's keys
   *   cannot be fetched
   */
  verify(token: string): Promise<OidcIdentity>;
}

/** Options of {@link createOidcVerifier}, for tests and unusual networks. */
export interface OidcVerifierOptions {
  /** The fetch used for the discovery document and the key set (default the global fetch). */
  readonly fetch?: typeof fetch;
  /** The current time, for exp/nbf/iat (default the system clock). */
  readonly now?: () => Date;
}

/** Whether `text` is an https URL, or an http URL on a loopback host; `query` allows a query string. */
function isAllowedUrl(text: string, query: boolean): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  if (url.username !== '' || url.password !== '' || url.hash !== '' || (!query && url.search !== ''))
    return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

const ISSUER_ALLOWED =
  'an https:// URL (http:// only on 127.0.0.1, localhost or [::1]) without credentials, query or fragment';

const OidcConfigSchema = z.strictObject({
  issuer: z.string().refine((s) => isAllowedUrl(s, false), { message: ISSUER_ALLOWED }),
  audience: z.string().min(1),
  clockToleranceSeconds: z
    .number()
    .int({ message: `an integer in [0, ${MAX_CLOCK_TOLERANCE_SECONDS}]` })
    .min(0, { message: `an integer in [0, ${MAX_CLOCK_TOLERANCE_SECONDS}]` })
    .max(MAX_CLOCK_TOLERANCE_SECONDS, { message: `an integer in [0, ${MAX_CLOCK_TOLERANCE_SECONDS}]` })
    .optional(),
  algorithms: z.array(z.enum(OIDC_ALGORITHMS)).min(1).optional(),
});

/**
 * Validates an OIDC configuration read from a file, flags or a body.
 * @param raw the configuration as read
 * @returns the configuration, with only the fields that were given
 * @throws {ConfigError} VEIL_CONFIG_INVALID listing every problem: its field (`issuer`, `audience`,
 *   `clockToleranceSeconds`, `algorithms.0`, an unknown key), the value and what is allowed
 * @example
 * parseOidcConfig({ issuer: 'https://login.example', audience: 'https://api.example' });
 */
export function parseOidcConfig(raw: unknown): OidcConfig {
  const r = checkSchema(OidcConfigSchema, raw ?? {});
  if (!('data' in r)) throw new ConfigError(r.issues, 'OIDC configuration');
  const { issuer, audience, clockToleranceSeconds, algorithms } = r.data;
  return {
    issuer,
    audience,
    ...(clockToleranceSeconds === undefined ? {} : { clockToleranceSeconds }),
    ...(algorithms === undefined ? {} : { algorithms: Object.freeze([...algorithms]) }),
  };
}

function discoveryProblem(issuer: string, allowed: string): ConfigError {
  return new ConfigError([{ path: 'issuer', value: issuer, allowed }], 'OIDC configuration');
}

/** A fetch failure in words: its message and, where Node gives one, its cause's code (`ECONNREFUSED`). */
function failureText(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${message}: ${code}` : message;
}

/** Fetches the discovery document and returns its `jwks_uri`, after checking its `issuer`. */
async function discoverJwksUri(issuer: string, fetchImpl: typeof fetch): Promise<URL> {
  const where = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let document: unknown;
  try {
    const response = await fetchImpl(where, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) {
      throw discoveryProblem(
        issuer,
        `an OpenID issuer whose ${where} answers (it answered HTTP ${response.status})`,
      );
    }
    document = await response.json();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason = error instanceof SyntaxError ? 'it is not JSON' : failureText(error);
    throw discoveryProblem(issuer, `an OpenID issuer whose ${where} can be fetched (${reason})`);
  }
  const { issuer: named, jwks_uri: jwksUri } = (document ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
  if (named !== issuer) {
    throw discoveryProblem(
      issuer,
      `the issuer named by its own discovery document, exactly (${where} names ${JSON.stringify(named)})`,
    );
  }
  const secure = issuer.startsWith('https:');
  if (
    typeof jwksUri !== 'string' ||
    !isAllowedUrl(jwksUri, true) ||
    (secure && !jwksUri.startsWith('https:'))
  ) {
    throw discoveryProblem(
      issuer,
      `an issuer whose discovery document names a jwks_uri that is an https:// URL (http:// only for a loopback issuer; it names ${JSON.stringify(jwksUri)})`,
    );
  }
  return new URL(jwksUri);
}

/** Marks a key set that could not be fetched, as opposed to a token that does not match it. */
class KeySetUnavailable extends Error {}

const ISSUER_UNAVAILABLE = () =>
  new HttpError(503, 'issuer_unavailable', "the token issuer's signing keys could not be fetched");
const invalid = (why: string) => new HttpError(401, 'invalid_token', `the bearer token was refused: ${why}`);
const KNOWN_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'sub', 'exp', 'nbf', 'iat']);

/** What a failure of jose's verification means for the client; unknown errors pass through (a bug: a 500). */
function refusal(error: unknown): unknown {
  if (error instanceof KeySetUnavailable) return ISSUER_UNAVAILABLE();
  if (error instanceof errors.JWTExpired) {
    return new HttpError(401, 'token_expired', 'the bearer token has expired (exp is past)');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = KNOWN_CLAIMS.has(error.claim) ? error.claim : 'a';
    if (error.reason === 'missing') return invalid(`it has no "${claim}" claim`);
    if (claim === 'iss') return invalid('it was issued by another issuer (iss)');
    if (claim === 'aud') return invalid('it is for another audience (aud)');
    if (claim === 'nbf') return invalid('it is not valid yet (nbf is in the future)');
    return invalid(`its "${claim}" claim is invalid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid('its signing algorithm (alg) is not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid('its signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey)
    return invalid('no signing key of the issuer matches it (kid)');
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return invalid('several signing keys of the issuer match it and it names none (kid)');
  }
  if (error instanceof errors.JOSENotSupported) return invalid('it uses an unsupported algorithm or key');
  if (error instanceof errors.JOSEError) return invalid('it is not a well-formed signed JWT');
  return error;
}

function checkOptions(options: OidcVerifierOptions): void {
  for (const name of ['fetch', 'now'] as const) {
    const value: unknown = options[name];
    if (value !== undefined && typeof value !== 'function') {
      throw new InvalidParameterError({
        fn: 'createOidcVerifier',
        param: `options.${name}`,
        value,
        allowed: 'a function or absent',
      });
    }
  }
}

/**
 * Validates the config (throws core's ConfigError / InvalidParameterError naming the field and what is allowed)
 * and fetches the discovery document (a ConfigError naming the issuer when it cannot be fetched or its `issuer`
 * differs), then the issuer's key set (a ConfigError naming the issuer when it cannot be fetched).
 * @param config the issuer, audience, clock tolerance and algorithms
 * @param options a fetch and a clock to use instead of the global ones
 * @returns a verifier of that issuer's tokens for that audience
 * @throws {ConfigError} VEIL_CONFIG_INVALID for an invalid config, or naming the issuer when its discovery
 *   document or key set cannot be fetched, or the document names another issuer or no usable `jwks_uri`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when `options.fetch` or `options.now` is not a function
 * @example
 * const verifier = await createOidcVerifier({ issuer: 'https://login.example', audience: 'https://api.example' });
 * const { subject } = await verifier.verify(bearerToken);
 */
export async function createOidcVerifier(
  config: OidcConfig,
  options: OidcVerifierOptions = {},
): Promise<OidcVerifier> {
  const { issuer, audience, clockToleranceSeconds, algorithms } = parseOidcConfig(config);
  checkOptions(options);
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const tolerance = clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const allowed = [...(algorithms ?? DEFAULT_OIDC_ALGORITHMS)];

  const jwksUri = await discoverJwksUri(issuer, fetchImpl);
  const remote = createRemoteJWKSet(jwksUri, {
    timeoutDuration: FETCH_TIMEOUT_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
    cacheMaxAge: JWKS_MAX_AGE_MS,
    ...(options.fetch === undefined ? {} : { [customFetch]: options.fetch }),
  });
  try {
    await remote.reload();
  } catch (error) {
    throw discoveryProblem(
      issuer,
      `an issuer whose key set ${jwksUri.href} can be fetched (${failureText(error)})`,
    );
  }
  const keys: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      const aboutToken =
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys ||
        error instanceof errors.JOSENotSupported;
      throw aboutToken ? error : new KeySetUnavailable('key set unavailable', { cause: error });
    }
  };

  async function verify(token: string): Promise<OidcIdentity> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) {
      throw invalid(`it is not a compact JWS of 1 to ${MAX_TOKEN_CHARS} characters`);
    }
    const at = now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        algorithms: allowed,
        clockTolerance: tolerance,
        currentDate: at,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      throw refusal(error);
    }
    const { sub, exp, iat } = payload;
    if (typeof sub !== 'string' || sub === '') throw invalid('its "sub" claim is not a non-empty string');
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('its "exp" claim is not a number');
    if (iat !== undefined && (typeof iat !== 'number' || iat > at.getTime() / 1000 + tolerance)) {
      throw invalid('it was issued in the future (iat)');
    }
    return Object.freeze({ issuer, subject: sub, expiresAt: new Date(exp * 1000) });
  }

  return Object.freeze({ issuer, verify });
}
