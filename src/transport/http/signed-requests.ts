/**
 * Signed HTTP requests between organisations: each request carries its party's name, a timestamp, a fresh
 * nonce and a signature (Ed25519, or RSA-PSS with SHA-256 for RSA keys) over a fixed canonical string that
 * binds the method, the path with its query, the timestamp, the nonce and the SHA-256 of the body:
 *
 * ```
 * veil-signed-request-v1\n${METHOD}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${sha256hex(body)}
 * ```
 *
 * The server checks it with a {@link RequestVerifier} that knows each party's public key, refuses timestamps
 * outside its window and nonces it has already accepted within that window (replays). A nonce is remembered only
 * after its signature checked, so nobody without a party's key can use up that party's nonces. The party's name
 * is not in the signed string: each party has its own key, and the key that verifies names the party.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  type VerifyKeyObjectInput,
  verify,
} from 'node:crypto';
import { assertInteger, csprng, InvalidParameterError, type Rng } from '../../core/index.js';
import { HttpError } from './errors.js';

/** The first line of every signed string: a new format gets a new version, never a changed v1. */
const CANONICAL_VERSION = 'veil-signed-request-v1';

/** The four headers of a signed request (lower case, as Node presents them). */
export const SIGNED_REQUEST_HEADERS = Object.freeze({
  party: 'x-veil-party',
  timestamp: 'x-veil-timestamp',
  nonce: 'x-veil-nonce',
  signature: 'x-veil-signature',
} as const);

/** Default window either side of the verifier's clock in which a timestamp is accepted: 5 minutes. */
export const DEFAULT_MAX_SKEW_MS = 300_000;
/** Default bound on the nonces remembered at once. */
export const DEFAULT_MAX_NONCES = 100_000;

const NONCE_BYTES = 16;
const NONCE_PATTERN = /^[0-9a-f]{32}$/;
const TIMESTAMP_PATTERN = /^[0-9]{1,16}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;
/** Longest signature accepted, in base64 characters (an RSA-8192 signature is 1,368). */
const MAX_SIGNATURE_CHARS = 2048;
/** A party name: printable ASCII without spaces (it travels as a header value). */
const PARTY_PATTERN = /^[\x21-\x7e]{1,256}$/;
const METHOD_PATTERN = /^[A-Z]{1,16}$/;
const MIN_RSA_BITS = 2048;

let defaultRng: Rng | undefined;

/** The CSPRNG nonces are drawn from by default, made on first use (no import-time side effects). */
function sharedRng(): Rng {
  defaultRng ??= csprng();
  return defaultRng;
}

/** The canonical string a request's signature covers. */
function canonicalMessage(
  method: string,
  path: string,
  timestamp: string,
  nonce: string,
  body: Uint8Array,
): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return Buffer.from(`${CANONICAL_VERSION}\n${method}\n${path}\n${timestamp}\n${nonce}\n${bodyHash}`, 'utf8');
}

/** How a key of each supported type signs and verifies, or why it is refused. */
function signatureScheme(
  fn: string,
  param: string,
  key: KeyObject,
): { algorithm: string | null; padding?: number; saltLength?: number } {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return { algorithm: null };
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new InvalidParameterError({
        fn,
        param,
        value: `an RSA key of ${bits} bits`,
        allowed: `an Ed25519 key or an RSA key of at least ${MIN_RSA_BITS} bits`,
      });
    }
    return {
      algorithm: 'sha256',
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    };
  }
  throw new InvalidParameterError({
    fn,
    param,
    value: `a key of type ${type ?? 'unknown'}`,
    allowed: `an Ed25519 key or an RSA key of at least ${MIN_RSA_BITS} bits`,
  });
}

function checkMethod(fn: string, method: unknown): string {
  const upper = typeof method === 'string' ? method.toUpperCase() : method;
  if (typeof upper !== 'string' || !METHOD_PATTERN.test(upper)) {
    throw new InvalidParameterError({
      fn,
      param: 'method',
      value: method,
      allowed: 'an HTTP method such as GET',
    });
  }
  return upper;
}

function checkPath(fn: string, path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[\s]/.test(path)) {
    throw new InvalidParameterError({
      fn,
      param: 'path',
      value: path,
      allowed: 'the request target as sent: a path starting with / (and its query), without whitespace',
    });
  }
  return path;
}

function checkBody(fn: string, body: unknown): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  if (!(body instanceof Uint8Array)) {
    throw new InvalidParameterError({ fn, param: 'body', value: body, allowed: 'a Uint8Array or undefined' });
  }
  return body;
}

/** Input of {@link signRequest}. */
export interface SignRequestInput {
  /** The HTTP method (any case; signed upper case). */
  readonly method: string;
  /** The request target exactly as it will be sent: path and query, percent-encoded, e.g. `/jobs?limit=5`. */
  readonly path: string;
  /** The body bytes exactly as sent; absent or empty for none. */
  readonly body?: Uint8Array | undefined;
  /** The signing party's name, as the verifier knows it. */
  readonly party: string;
  /** The party's private key: a KeyObject or PEM text (Ed25519, or RSA of at least 2048 bits). */
  readonly privateKey: KeyObject | string;
  /** Milliseconds since the epoch to sign (default `Date.now()`). */
  readonly timestamp?: number;
  /** Draws the nonce (default: the CSPRNG). */
  readonly rng?: Rng;
}

/**
 * Signs one HTTP request: returns the four `x-veil-*` headers to send with it. Send the path and body exactly as
 * signed (a client that re-encodes the URL or the body breaks the signature).
 * @param input method, path (with query), body, party, private key; optional timestamp and rng
 * @returns the headers `x-veil-party`, `x-veil-timestamp` (ms), `x-veil-nonce` (32 hex characters) and
 *   `x-veil-signature` (base64)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad method, path, body, party name or timestamp,
 *   a key that does not parse, or a key that is neither Ed25519 nor RSA of at least 2048 bits
 * @example
 * const body = new TextEncoder().encode(JSON.stringify({ rows: 10 }));
 * const headers = signRequest({ method: 'POST', path: '/jobs', body, party: 'hospital-1', privateKey: pem });
 * await fetch(`${url}/jobs`, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } });
 */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const fn = 'signRequest';
  if (typeof input !== 'object' || input === null) {
    throw new InvalidParameterError({
      fn,
      param: 'input',
      value: input,
      allowed: '{ method, path, party, privateKey }',
    });
  }
  const method = checkMethod(fn, input.method);
  const path = checkPath(fn, input.path);
  const body = checkBody(fn, input.body);
  if (typeof input.party !== 'string' || !PARTY_PATTERN.test(input.party)) {
    throw new InvalidParameterError({
      fn,
      param: 'party',
      value: input.party,
      allowed: 'a name of 1 to 256 printable ASCII characters without spaces',
    });
  }
  const timestamp = input.timestamp ?? Date.now();
  assertInteger(fn, 'timestamp', timestamp, 0, Number.MAX_SAFE_INTEGER);
  let key: KeyObject;
  try {
    key = typeof input.privateKey === 'string' ? createPrivateKey(input.privateKey) : input.privateKey;
  } catch {
    throw new InvalidParameterError({
      fn,
      param: 'privateKey',
      value: 'PEM text',
      allowed: 'a PEM private key',
    });
  }
  if (typeof key !== 'object' || key === null || key.type !== 'private') {
    throw new InvalidParameterError({
      fn,
      param: 'privateKey',
      value: key,
      allowed: 'a private KeyObject or PEM private key',
    });
  }
  const scheme = signatureScheme(fn, 'privateKey', key);
  const nonceBytes = new Uint8Array(NONCE_BYTES);
  (input.rng ?? sharedRng()).fillBytes(nonceBytes);
  const nonce = Buffer.from(nonceBytes).toString('hex');
  const message = canonicalMessage(method, path, String(timestamp), nonce, body);
  const signature = sign(scheme.algorithm, message, {
    key,
    padding: scheme.padding,
    saltLength: scheme.saltLength,
  });
  return {
    [SIGNED_REQUEST_HEADERS.party]: input.party,
    [SIGNED_REQUEST_HEADERS.timestamp]: String(timestamp),
    [SIGNED_REQUEST_HEADERS.nonce]: nonce,
    [SIGNED_REQUEST_HEADERS.signature]: signature.toString('base64'),
  };
}

/** Options of {@link RequestVerifier}. */
export interface RequestVerifierOptions {
  /** Each party's name and public key (a KeyObject or PEM text): Ed25519, or RSA of at least 2048 bits. */
  readonly parties: ReadonlyMap<string, KeyObject | string>;
  /** How far a timestamp may be from `now()`, either way, in ms (default 300,000: 5 minutes). */
  readonly maxSkewMs?: number;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
  /**
   * The most nonces remembered at once (default 100,000). When that many accepted requests are still inside
   * the window, further ones are refused with 429 `too_many_requests` rather than forgetting a nonce early (which
   * would let its request be replayed).
   */
  readonly maxNonces?: number;
}

/** What {@link RequestVerifier.verify} checks. */
export interface VerifyRequestInput {
  readonly method: string;
  /** The request target as received: path and query (Fastify's `request.url`). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body bytes as received; absent for none. */
  readonly body?: Uint8Array | undefined;
}

interface PartyKey {
  readonly key: KeyObject;
  readonly scheme: { algorithm: string | null; padding?: number; saltLength?: number };
}

function header(headers: VerifyRequestInput['headers'], name: string, pattern: RegExp): string {
  const value = headers[name];
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new HttpError(401, 'missing_signature', `missing or malformed ${name} header`);
  }
  return value;
}

/**
 * Checks signed requests (see the module comment for the format) against a fixed set of parties' public keys.
 * Holds the replay cache: use one verifier per server, for its whole life.
 *
 * @example
 * const verifier = new RequestVerifier({ parties: new Map([['hospital-1', hospitalPublicPem]]) });
 * const party = verifier.verify({ method: 'POST', path: '/jobs', headers, body }); // 'hospital-1'
 */
export class RequestVerifier {
  readonly #parties: ReadonlyMap<string, PartyKey>;
  readonly #maxSkewMs: number;
  readonly #now: () => number;
  readonly #maxNonces: number;
  /** `party\nnonce` → the time after which its request is stale anyway (timestamp + window). In insertion order. */
  readonly #nonces = new Map<string, number>();

  /**
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an empty party map, a bad party name, a key that
   *   does not parse, is private, or is neither Ed25519 nor RSA of at least 2048 bits; or a bad maxSkewMs,
   *   maxNonces or now
   */
  constructor(options: RequestVerifierOptions) {
    const fn = 'RequestVerifier';
    if (typeof options !== 'object' || options === null || !(options.parties instanceof Map)) {
      throw new InvalidParameterError({
        fn,
        param: 'options.parties',
        value: options?.parties,
        allowed: 'a Map from party name to public key',
      });
    }
    if (options.parties.size === 0) {
      throw new InvalidParameterError({
        fn,
        param: 'options.parties',
        value: 'an empty Map',
        allowed: 'at least one party',
      });
    }
    const parties = new Map<string, PartyKey>();
    for (const [name, input] of options.parties) {
      const param = `parties[${JSON.stringify(name)}]`;
      if (typeof name !== 'string' || !PARTY_PATTERN.test(name)) {
        throw new InvalidParameterError({
          fn,
          param: 'party name',
          value: name,
          allowed: 'a name of 1 to 256 printable ASCII characters without spaces',
        });
      }
      const key = publicKeyOf(fn, param, input);
      parties.set(name, { key, scheme: signatureScheme(fn, param, key) });
    }
    const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    assertInteger(fn, 'maxSkewMs', maxSkewMs, 1, 7 * 24 * 3600 * 1000);
    const maxNonces = options.maxNonces ?? DEFAULT_MAX_NONCES;
    assertInteger(fn, 'maxNonces', maxNonces, 1, 100_000_000);
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') {
      throw new InvalidParameterError({ fn, param: 'now', value: now, allowed: 'a function returning ms' });
    }
    this.#parties = parties;
    this.#maxSkewMs = maxSkewMs;
    this.#maxNonces = maxNonces;
    this.#now = now;
  }

  /**
   * Checks one request; returns the party that signed it, and remembers its nonce.
   * @param input the method, the path with query as received, the headers and the body bytes as received
   * @returns the name of the party whose key verified the signature
   * @throws {HttpError} 401 `missing_signature` (a header missing or malformed), 401 `unknown_party`, 401
   *   `stale_request` (timestamp outside the window), 401 `bad_signature`, 409 `replayed_request` (its nonce
   *   was accepted before), 429 `too_many_requests` (the nonce cache is full of requests still in the window)
   * @example
   * const party = verifier.verify({ method: request.method, path: request.url, headers: request.headers, body });
   */
  verify(input: VerifyRequestInput): string {
    const headers = input.headers ?? {};
    const partyName = header(headers, SIGNED_REQUEST_HEADERS.party, PARTY_PATTERN);
    const timestampText = header(headers, SIGNED_REQUEST_HEADERS.timestamp, TIMESTAMP_PATTERN);
    const nonce = header(headers, SIGNED_REQUEST_HEADERS.nonce, NONCE_PATTERN);
    const signatureText = header(headers, SIGNED_REQUEST_HEADERS.signature, BASE64_PATTERN);
    if (signatureText.length > MAX_SIGNATURE_CHARS) {
      throw new HttpError(401, 'missing_signature', `malformed ${SIGNED_REQUEST_HEADERS.signature} header`);
    }
    const party = this.#parties.get(partyName);
    if (party === undefined) throw new HttpError(401, 'unknown_party', 'the signing party is not known here');

    const now = this.#now();
    const timestamp = Number(timestampText);
    if (Math.abs(now - timestamp) > this.#maxSkewMs) {
      throw new HttpError(401, 'stale_request', 'the request timestamp is outside the accepted window');
    }

    let method: string;
    let path: string;
    let body: Uint8Array;
    try {
      method = checkMethod('RequestVerifier.verify', input.method);
      path = checkPath('RequestVerifier.verify', input.path);
      body = checkBody('RequestVerifier.verify', input.body);
    } catch {
      throw new HttpError(401, 'bad_signature', 'the signature does not match the request');
    }
    const message = canonicalMessage(method, path, timestampText, nonce, body);
    const keyInput: VerifyKeyObjectInput = {
      key: party.key,
      padding: party.scheme.padding,
      saltLength: party.scheme.saltLength,
    };
    let valid: boolean;
    try {
      valid = verify(party.scheme.algorithm, message, keyInput, Buffer.from(signatureText, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) throw new HttpError(401, 'bad_signature', 'the signature does not match the request');

    // Only now, with the signature checked, is the nonce remembered.
    this.#forgetExpired(now, false);
    const entry = `${partyName}\n${nonce}`;
    if (this.#nonces.has(entry))
      throw new HttpError(409, 'replayed_request', 'this request was already accepted');
    if (this.#nonces.size >= this.#maxNonces) {
      this.#forgetExpired(now, true);
      if (this.#nonces.size >= this.#maxNonces) {
        throw new HttpError(
          429,
          'too_many_requests',
          'too many signed requests within the window; retry later',
        );
      }
    }
    this.#nonces.set(entry, timestamp + this.#maxSkewMs);
    return partyName;
  }

  /**
   * Drops the nonces whose requests are stale anyway (a replay would be refused as stale). Entries sit in
   * insertion order, near enough expiry order: the cheap pass stops at the first live entry; the full pass, run
   * only when the cache is full, looks at every entry.
   */
  #forgetExpired(now: number, full: boolean): void {
    for (const [entry, expires] of this.#nonces) {
      if (expires < now) this.#nonces.delete(entry);
      else if (!full) return;
    }
  }
}

function publicKeyOf(fn: string, param: string, input: KeyObject | string): KeyObject {
  if (typeof input === 'string') {
    if (input.includes('PRIVATE KEY')) {
      throw new InvalidParameterError({ fn, param, value: 'a PEM private key', allowed: 'a PEM public key' });
    }
    try {
      return createPublicKey(input);
    } catch {
      throw new InvalidParameterError({ fn, param, value: 'PEM text', allowed: 'a PEM public key' });
    }
  }
  if (typeof input !== 'object' || input === null || (input as KeyObject).type !== 'public') {
    throw new InvalidParameterError({
      fn,
      param,
      value: input,
      allowed: 'a public KeyObject or PEM public key',
    });
  }
  return input;
}
