/**
 * A sealed box for one recipient: RFC 9180 HPKE in base mode with the suite of its Appendix A.1,
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM, on @hpke/core (WebCrypto underneath). A sender who
 * knows only the recipient's 32-byte public key seals a message; only the holder of the private key opens it.
 * The sealed form is `enc (32 bytes) || ciphertext` (single-shot, sequence number 0). `info` binds the box to
 * its purpose (e.g. `veil/cleanroom/v1/upload`) and `aad` to its context; both must match to open it.
 */
import {
  Aes128Gcm,
  CipherSuite,
  type CipherSuiteSealResponse,
  DhkemX25519HkdfSha256,
  HkdfSha256,
  type RecipientContextParams,
} from '@hpke/core';
import { IntegrityError, InvalidParameterError } from '../core/index.js';

/** Bytes of an X25519 key, raw, and of the encapsulated key `enc` that starts every sealed box. */
const KEY_BYTES = 32;
/** Bytes of the AES-128-GCM tag at the end of every ciphertext. */
const TAG_BYTES = 16;

/** An HPKE recipient's key pair, both halves raw X25519 bytes (RFC 7748). Keep `privateKey` secret. */
export interface HpkeKeyPair {
  /** 32 raw bytes: what senders seal to. */
  readonly publicKey: Uint8Array;
  /** 32 raw bytes: what opens the boxes. */
  readonly privateKey: Uint8Array;
}

/** Options shared by {@link hpkeSeal} and {@link hpkeOpen}. */
export interface HpkeOptions {
  /** Application context bound into the key schedule (RFC 9180 §5.1): say what the box is for. */
  readonly info: Uint8Array;
  /** Associated data authenticated, not encrypted (default empty). */
  readonly aad?: Uint8Array;
}

let suiteInstance: CipherSuite | undefined;

/** The one suite, made on first use (no import-time side effects). */
function suite(): CipherSuite {
  suiteInstance ??= new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes128Gcm(),
  });
  return suiteInstance;
}

function assertBytes(
  fn: string,
  param: string,
  value: unknown,
  length?: number,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    throw new InvalidParameterError({
      fn,
      param,
      value: value instanceof Uint8Array ? `${value.length} bytes` : value,
      allowed: length !== undefined ? `a Uint8Array of ${length} bytes` : 'a Uint8Array',
    });
  }
}

function assertOptions(fn: string, options: HpkeOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidParameterError({ fn, param: 'options', value: options, allowed: '{ info, aad? }' });
  }
  assertBytes(fn, 'options.info', options.info);
  if (options.aad !== undefined) assertBytes(fn, 'options.aad', options.aad);
}

/** A copy that owns its own ArrayBuffer (WebCrypto rejects SharedArrayBuffer views and reads whole buffers). */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/**
 * Generates a fresh HPKE recipient key pair (X25519, from the platform CSPRNG).
 * @returns the raw public and private keys, 32 bytes each
 * @throws {Error} only if the platform's WebCrypto lacks X25519 (Node 20+ has it)
 * @example
 * const recipient = await generateHpkeKeyPair();
 * publish(recipient.publicKey); // keep recipient.privateKey secret
 */
export async function generateHpkeKeyPair(): Promise<HpkeKeyPair> {
  const s = suite();
  const pair = await s.kem.generateKeyPair();
  const publicKey = new Uint8Array(await s.kem.serializePublicKey(pair.publicKey));
  const privateKey = new Uint8Array(await s.kem.serializePrivateKey(pair.privateKey));
  return Object.freeze({ publicKey, privateKey });
}

/**
 * Seals `plaintext` to the holder of `recipientPublicKey` (RFC 9180 §6.1, single-shot base mode).
 * @param recipientPublicKey the recipient's raw X25519 public key, 32 bytes
 * @param plaintext any length (50 MB seals in about a second)
 * @param options `info` (required) and `aad` (optional): the opener must give the same
 * @returns `enc (32 bytes) || ciphertext (plaintext length + 16-byte tag)`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when the public key is not 32 bytes or is a
 *   small-order point (encapsulation fails), or when a byte argument is not a Uint8Array
 * @example
 * const info = new TextEncoder().encode('veil/cleanroom/v1/upload');
 * const sealed = await hpkeSeal(recipient.publicKey, data, { info });
 */
export async function hpkeSeal(
  recipientPublicKey: Uint8Array,
  plaintext: Uint8Array,
  options: HpkeOptions,
): Promise<Uint8Array> {
  const fn = 'hpkeSeal';
  assertBytes(fn, 'recipientPublicKey', recipientPublicKey, KEY_BYTES);
  assertBytes(fn, 'plaintext', plaintext);
  assertOptions(fn, options);
  const s = suite();
  let publicKey: Awaited<ReturnType<CipherSuite['kem']['deserializePublicKey']>>;
  try {
    publicKey = await s.kem.deserializePublicKey(own(recipientPublicKey));
  } catch {
    throw invalidPublicKey(fn);
  }
  let response: CipherSuiteSealResponse;
  try {
    response = await s.seal(
      { recipientPublicKey: publicKey, info: own(options.info) },
      own(plaintext),
      options.aad === undefined ? undefined : own(options.aad),
    );
  } catch {
    // The only input-dependent failure of encapsulation: a small-order point gives the all-zero DH output.
    throw invalidPublicKey(fn);
  }
  const out = new Uint8Array(response.enc.byteLength + response.ct.byteLength);
  out.set(new Uint8Array(response.enc), 0);
  out.set(new Uint8Array(response.ct), response.enc.byteLength);
  return out;
}

function invalidPublicKey(fn: string): InvalidParameterError {
  return new InvalidParameterError({
    fn,
    param: 'recipientPublicKey',
    value: `${KEY_BYTES} bytes`,
    allowed: 'an X25519 public key that is not a small-order point',
  });
}

/**
 * Opens a box made by {@link hpkeSeal} (RFC 9180 §6.1, single-shot base mode).
 * @param keyPair the recipient's key pair (both halves: the public key enters the KEM context)
 * @param sealed `enc (32 bytes) || ciphertext`
 * @param options the same `info` and `aad` the sender used
 * @returns the plaintext
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the box does not open: wrong key, info or aad, a modified
 *   or truncated box; the message names no plaintext
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when a key is not 32 bytes or an argument is not a
 *   Uint8Array
 * @example
 * const data = await hpkeOpen(recipient, sealed, { info });
 */
export async function hpkeOpen(
  keyPair: HpkeKeyPair,
  sealed: Uint8Array,
  options: HpkeOptions,
): Promise<Uint8Array> {
  const fn = 'hpkeOpen';
  if (typeof keyPair !== 'object' || keyPair === null) {
    throw new InvalidParameterError({
      fn,
      param: 'keyPair',
      value: keyPair,
      allowed: '{ publicKey, privateKey }',
    });
  }
  assertBytes(fn, 'keyPair.publicKey', keyPair.publicKey, KEY_BYTES);
  assertBytes(fn, 'keyPair.privateKey', keyPair.privateKey, KEY_BYTES);
  assertBytes(fn, 'sealed', sealed);
  assertOptions(fn, options);
  if (sealed.length < KEY_BYTES + TAG_BYTES) {
    throw new IntegrityError(`${fn}: sealed box shorter than its encapsulated key and tag`, {
      check: 'hpke-open',
      bytes: sealed.length,
    });
  }
  const s = suite();
  try {
    const recipientKey: RecipientContextParams['recipientKey'] = {
      publicKey: await s.kem.deserializePublicKey(own(keyPair.publicKey)),
      privateKey: await s.kem.deserializePrivateKey(own(keyPair.privateKey)),
    };
    const params: RecipientContextParams = {
      recipientKey,
      enc: own(sealed.subarray(0, KEY_BYTES)),
      info: own(options.info),
    };
    const plaintext = await s.open(
      params,
      own(sealed.subarray(KEY_BYTES)),
      options.aad === undefined ? undefined : own(options.aad),
    );
    return new Uint8Array(plaintext);
  } catch {
    throw new IntegrityError(
      `${fn}: the sealed box did not open: wrong key, info or associated data, or a modified box`,
      { check: 'hpke-open' },
    );
  }
}
