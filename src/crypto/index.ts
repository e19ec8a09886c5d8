/**
 * crypto: key agreement, signatures, AEAD, PRG, HKDF, constant-time comparison (node:crypto first) and Shamir
 * secret sharing. Building blocks of secure aggregation (secagg) and the ledger's signed tree heads.
 */
export {
  agree,
  agreementKeyPairFromPrivate,
  generateAgreementKeyPair,
  generateSigningKeyPair,
  type KeyPair,
  sign,
  signingKeyPairFromSeed,
  verify,
} from './keys.js';
export { reconstructSecret, SHAMIR_PRIME, type Share, shareSecret } from './shamir.js';
export { constantTimeEqual, hkdf, open, prgWords, seal } from './symmetric.js';
