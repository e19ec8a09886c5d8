/**
 * Key agreement (X25519) and signatures (Ed25519) on raw 32-byte public keys, through node:crypto (10-30x
 * faster here than pure-JS curves). Private keys stay node:crypto KeyObjects; public keys travel as bytes.
 */
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  sign as edSign,
  verify as edVerify,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { InvalidParameterError } from '../core/index.js';

/** A key pair: the private key as a KeyObject, the public key as its 32 raw bytes. */
export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: Uint8Array;
}

type Curve = 'X25519' | 'Ed25519';

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

function rawPublic(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
}

function checkLength(fn: string, param: string, bytes: Uint8Array, length: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new InvalidParameterError({
      fn,
      param,
      value: bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes,
      allowed: `${length} bytes`,
    });
  }
}

function publicKeyObject(fn: string, curve: Curve, raw: Uint8Array): KeyObject {
  checkLength(fn, 'publicKey', raw, 32);
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: curve, x: b64url(raw) }, format: 'jwk' });
  } catch {
    throw new InvalidParameterError({
      fn,
      param: 'publicKey',
      value: '32 bytes',
      allowed: `an ${curve} public key`,
    });
  }
}

function fromSeed(fn: string, curve: Curve, seed: Uint8Array): KeyPair {
  checkLength(fn, 'privateKey', seed, 32);
  // A raw private key is imported as PKCS#8 DER (fixed prefix + the 32 bytes); node derives the public half.
  const der = Buffer.concat([Buffer.from(curve === 'X25519' ? X25519_PKCS8 : ED25519_PKCS8, 'hex'), seed]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: rawPublic(createPublicKey(privateKey)) };
}

/** PKCS#8 DER prefixes for a 32-byte private key (RFC 8410 §7). */
const X25519_PKCS8 = '302e020100300506032b656e04220420';
const ED25519_PKCS8 = '302e020100300506032b657004220420';

/** A fresh X25519 key pair (node:crypto's CSPRNG). */
export function generateAgreementKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: rawPublic(publicKey) };
}

/** An X25519 key pair from a 32-byte private key (RFC 7748 test vectors, keys restored from storage). */
export function agreementKeyPairFromPrivate(privateKey: Uint8Array): KeyPair {
  return fromSeed('agreementKeyPairFromPrivate', 'X25519', privateKey);
}

/**
 * The X25519 shared secret with a peer's raw public key (32 bytes). Feed it to {@link hkdf}, never use it as a
 * key directly.
 * @throws {InvalidParameterError} for a malformed public key, or one that yields the all-zero secret (a
 *   small-order point: RFC 7748 §6.1 says to check)
 */
export function agree(privateKey: KeyObject, peerPublicKey: Uint8Array): Uint8Array {
  const fn = 'agree';
  const publicKey = publicKeyObject(fn, 'X25519', peerPublicKey);
  let secret: Uint8Array;
  try {
    secret = new Uint8Array(diffieHellman({ privateKey, publicKey }));
  } catch {
    // OpenSSL itself refuses an all-zero result
    secret = new Uint8Array(32);
  }
  if (secret.every((b) => b === 0)) {
    throw new InvalidParameterError({
      fn,
      param: 'peerPublicKey',
      value: 'a small-order point',
      allowed: 'a public key that gives a non-zero shared secret',
    });
  }
  return secret;
}

/** The field prime of Curve25519, 2^255 - 19. */
const CURVE25519_P = 2n ** 255n - 19n;

/**
 * The u-coordinates (mod p) of every point of order dividing 8 on Curve25519 and its quadratic twist: 0, 1,
 * p - 1 and the two order-8 points (Bernstein's list, https://cr.yp.to/ecdh.html#validate; RFC 7748 §6.1 and
 * §7 on the all-zero output). X25519 multiplies by a clamped scalar (a multiple of 8), so these, and only these,
 * give the all-zero shared secret whatever the private key.
 */
const SMALL_ORDER_U: ReadonlySet<bigint> = new Set([
  0n,
  1n,
  CURVE25519_P - 1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
]);

/**
 * Whether `publicKey` is an X25519 public key a peer can agree with: 32 bytes that do not encode a small-order
 * point. Decoded as RFC 7748 §5 does (little-endian, the top bit masked, reduced mod p), so every encoding of a
 * small-order point is caught, non-canonical ones (u >= p) included; equivalently, {@link agree} would refuse
 * the key (all-zero secret) with any private key. Never throws.
 */
export function isValidX25519PublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  let u = 0n;
  for (let i = 31; i >= 0; i--) u = (u << 8n) | BigInt(i === 31 ? publicKey[i]! & 0x7f : publicKey[i]!);
  return !SMALL_ORDER_U.has(u % CURVE25519_P);
}

/** A fresh Ed25519 signing key pair. */
export function generateSigningKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey: rawPublic(publicKey) };
}

/** An Ed25519 key pair from a 32-byte seed (RFC 8032 test vectors, keys restored from storage). */
export function signingKeyPairFromSeed(seed: Uint8Array): KeyPair {
  return fromSeed('signingKeyPairFromSeed', 'Ed25519', seed);
}

/** Ed25519 signature (64 bytes) of `message`. */
export function sign(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(edSign(null, message, privateKey));
}

/** Whether `signature` is a valid Ed25519 signature of `message` under the raw public key. Never throws for a bad signature. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  return edVerify(null, message, publicKeyObject('verify', 'Ed25519', publicKey), signature);
}
