/**
 * @module veil/crypto
 *
 * Key agreement (X25519), signatures (Ed25519), AEAD (AES-256-GCM), a mask PRG (AES-256-CTR), HKDF-SHA-256 and
 * constant-time comparison, all on node:crypto, plus Shamir t-of-n secret sharing over GF(2^31-1) and an HPKE
 * sealed box (RFC 9180 base mode, X25519 / HKDF-SHA256 / AES-128-GCM, on @hpke/core), and secrets sealed at rest
 * under a key-encryption key with rotation (kek.ts). Building blocks of secure aggregation (veil/secagg), the
 * ledger's signed tree heads and sealed audit key, the clean room's sealed uploads and the service's secrets.
 *
 * @example
 * import { generateAgreementKeyPair, agree, shareSecret, reconstructSecret } from 'veil/crypto';
 * const shares = shareSecret(secret, 3, 5, rng); // any 3 of the 5 shares rebuild `secret`
 */
export {
  generateHpkeKeyPair,
  type HpkeKeyPair,
  type HpkeOptions,
  hpkeOpen,
  hpkeSeal,
} from './hpke.js';
export {
  generateKek,
  KEK_BYTES,
  KEK_ENV,
  KEK_FILE_ENV,
  type Keyring,
  type KeyringKey,
  keyringFrom,
  loadKeyring,
  openSecret,
  rewrapSecret,
  sealSecret,
} from './kek.js';
export {
  agree,
  agreementKeyPairFromPrivate,
  generateAgreementKeyPair,
  generateSigningKeyPair,
  isValidX25519PublicKey,
  type KeyPair,
  sign,
  signingKeyPairFromSeed,
  verify,
} from './keys.js';
export { reconstructSecret, SHAMIR_PRIME, type Share, shareSecret } from './shamir.js';
export { constantTimeEqual, hkdf, open, prgWords, seal } from './symmetric.js';
