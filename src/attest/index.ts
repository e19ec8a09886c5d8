/**
 * @module veil/attest
 *
 * Enclave attestation (issue 15): verification of AWS Nitro Enclaves attestation documents — the COSE_Sign1
 * signature (ES384), the certificate chain to the pinned AWS Nitro root, validity at the document's time, expected
 * PCR values and the verifier's nonce — each failure naming its check; a simulated enclave that writes documents
 * in the same format, chained to a development root (its module ids and certificates all say SIMULATED), for
 * development and tests without Nitro hardware; one verifier, {@link verifyAttestation}, that accepts a simulated
 * document only when its root is explicitly allowed and then reports it as 'simulated', never 'nitro'; and SHA-384
 * measurements of bytes and file trees, the PCR values a simulated enclave reports. `veil attest verify` and
 * `veil attest dev-root` are its command-line face; the clean room (docs/cleanroom.md) runs on it.
 *
 * @example
 * const a = verifyNitroAttestation(document, { expectPcrs: { 0: expectedPcr0 }, nonce });
 * a.moduleId; a.pcrs[0]; a.publicKey;
 * const enclave = await createSimulatedEnclave({ root: await createDevRoot(), pcrs: { 0: pcr0Bytes } });
 * verifyAttestation(enclave.attest({ nonce }), { allowSimulatedRoots: [enclave.rootPem], nonce }).platform; // 'simulated'
 */

export { measureFiles, sha384Hex } from './measure.js';
export {
  type AttestationCheck,
  type NitroAttestation,
  type NitroVerifyOptions,
  verifyNitroAttestation,
} from './nitro.js';
export { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from './nitro-root.js';
export {
  createDevRoot,
  createSimulatedEnclave,
  type DevRoot,
  loadOrCreateDevRoot,
  SIMULATED_MARK,
  SIMULATED_MODULE_PREFIX,
  type SimulatedEnclave,
} from './simulated.js';
export {
  type Attestation,
  type AttestationVerifyOptions,
  readAttestationDocument,
  verifyAttestation,
} from './verify.js';
