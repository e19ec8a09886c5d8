/**
 * @module veil/attest
 *
 * Enclave attestation (issue 15, first step): verification of AWS Nitro Enclaves attestation documents — the
 * COSE_Sign1 signature (ES384), the certificate chain to the pinned AWS Nitro root, validity at the document's
 * time, expected PCR values and the verifier's nonce — each failure naming its check. Not there yet: the
 * simulated enclave, `veil attest verify`, the clean room that uses them (docs/cleanroom.md when it lands).
 *
 * @example
 * const a = verifyNitroAttestation(document, { expectPcrs: { 0: expectedPcr0 }, nonce });
 * a.moduleId; a.pcrs[0]; a.publicKey;
 */

export {
  type AttestationCheck,
  type NitroAttestation,
  type NitroVerifyOptions,
  verifyNitroAttestation,
} from './nitro.js';
export { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from './nitro-root.js';
