/**
 * AWS Nitro Enclaves attestation documents (aws/aws-nitro-enclaves-nsm-api, "attestation document" spec): a
 * COSE_Sign1 (RFC 9052) array [protected, unprotected, payload, signature], protected header { 1: -35 } (ES384),
 * whose payload is a CBOR map: module_id, digest ("SHA384"), timestamp (ms since the epoch), pcrs (index → 32, 48
 * or 64 bytes), certificate (the enclave's DER certificate), cabundle (DER certificates from the root down),
 * and optional public_key, user_data and nonce.
 *
 * Verification, every check named when it fails: the COSE structure; ES384 over the Sig_structure
 * ["Signature1", protected, h'', payload] with the leaf certificate's key (node:crypto, IEEE P1363 signatures);
 * the chain cabundle[0] → … → certificate, each certificate signed by the one before and valid at the
 * document's time (or `at`); cabundle[0] equal to a pinned root (default: AWS's, nitro-root.ts); the PCRs against
 * the expected values; the nonce. Parsed with cborg (pure JavaScript), no COSE library: the format is one fixed
 * structure.
 */
import { createHash, timingSafeEqual, verify, X509Certificate } from 'node:crypto';
import { decode, encode } from 'cborg';
import { IntegrityError } from '../core/index.js';
import { AWS_NITRO_ROOT_PEM } from './nitro-root.js';

/** A check of {@link verifyNitroAttestation}: what the error's `details.check` names. */
export type AttestationCheck =
  | 'format'
  | 'algorithm'
  | 'signature'
  | 'chain'
  | 'validity'
  | 'root'
  | 'pcr'
  | 'nonce';

/** What a verified document says. */
export interface NitroAttestation {
  readonly platform: 'nitro';
  readonly moduleId: string;
  /** When the enclave produced the document. */
  readonly timestamp: Date;
  /** PCR index → hex. */
  readonly pcrs: Readonly<Record<number, string>>;
  /** The enclave's public key (hex), if it put one in (an empty field is null). */
  readonly publicKey: string | null;
  readonly userData: string | null;
  readonly nonce: string | null;
  /** SHA-256 of the leaf certificate (hex). */
  readonly certificateSha256: string;
}

/** Options of {@link verifyNitroAttestation}. */
export interface NitroVerifyOptions {
  /** Trusted roots (PEM); default the AWS Nitro root. */
  readonly roots?: readonly string[];
  /** Check certificate validity at this time instead of the document's timestamp (fixtures whose chain expired). */
  readonly at?: Date;
  /** PCR index → expected hex value: each must match. */
  readonly expectPcrs?: Readonly<Record<number, string>>;
  /** The nonce the verifier sent (the document must carry exactly it). */
  readonly nonce?: Uint8Array;
}

function fail(check: AttestationCheck, message: string): never {
  throw new IntegrityError(`attestation ${check} check failed: ${message}`, { check });
}

const bytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const hex = (v: Uint8Array) => Buffer.from(v).toString('hex');

/**
 * Verifies a Nitro attestation document (raw CBOR bytes).
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED with `details.check` naming the failed check
 * @example const a = verifyNitroAttestation(bytes, { expectPcrs: { 0: pcr0 }, nonce });
 */
export function verifyNitroAttestation(
  document: Uint8Array,
  options: NitroVerifyOptions = {},
): NitroAttestation {
  let cose: unknown;
  try {
    cose = decode(document, { useMaps: true });
  } catch {
    return fail('format', 'not CBOR');
  }
  if (!Array.isArray(cose) || cose.length !== 4) return fail('format', 'not a COSE_Sign1 array of 4');
  const [protectedHeader, , payload, signature] = cose as unknown[];
  if (!bytes(protectedHeader) || !bytes(payload) || !bytes(signature))
    return fail('format', 'COSE_Sign1 fields of the wrong type');
  // maps as Maps: the header and the PCRs have integer keys
  let header: unknown;
  let payloadMap: unknown;
  try {
    header = decode(protectedHeader, { useMaps: true });
    payloadMap = decode(payload, { useMaps: true });
  } catch {
    return fail('format', 'a header or payload that is not CBOR');
  }
  const alg = header instanceof Map ? header.get(1) : undefined;
  if (alg !== -35) return fail('algorithm', `ES384 (COSE alg -35) expected, got ${String(alg)}`);
  if (!(payloadMap instanceof Map)) return fail('format', 'a payload that is not a map');
  const doc = Object.fromEntries([...payloadMap].filter(([k]) => typeof k === 'string')) as Record<
    string,
    unknown
  >;
  const { module_id, digest, timestamp, pcrs, certificate, cabundle } = doc;
  if (typeof module_id !== 'string' || module_id.length === 0) return fail('format', 'module_id');
  if (digest !== 'SHA384') return fail('format', `digest SHA384 expected, got ${String(digest)}`);
  const ms = typeof timestamp === 'bigint' ? Number(timestamp) : timestamp;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return fail('format', 'timestamp');
  if (!bytes(certificate)) return fail('format', 'certificate');
  if (!Array.isArray(cabundle) || cabundle.length === 0 || !cabundle.every(bytes))
    return fail('format', 'cabundle');
  if (!(pcrs instanceof Map)) return fail('format', 'pcrs');
  const pcrMap = pcrs;
  const pcrValues: Record<number, string> = {};
  for (const [k, v] of pcrMap) {
    const index = Number(k);
    if (!Number.isInteger(index) || index < 0 || index > 31 || !bytes(v) || ![32, 48, 64].includes(v.length))
      return fail('format', `pcr ${String(k)}`);
    pcrValues[index] = hex(v);
  }

  // the signature, with the leaf certificate's key
  let leaf: X509Certificate;
  let chain: X509Certificate[];
  try {
    leaf = new X509Certificate(certificate);
    chain = (cabundle as Uint8Array[]).map((c) => new X509Certificate(c));
  } catch {
    return fail('format', 'a certificate that is not DER X.509');
  }
  const toBeSigned = encode(['Signature1', protectedHeader, new Uint8Array(0), payload]);
  let signed = false;
  try {
    signed = verify('sha384', toBeSigned, { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    signed = false;
  }
  if (!signed) return fail('signature', 'the COSE signature does not verify with the enclave certificate');

  // the chain from cabundle[0] to the leaf, each valid at the time
  const at = options.at ?? new Date(ms);
  const all = [...chain, leaf];
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    const issuer = i === 0 ? c : all[i - 1]!;
    if (!c.verify(issuer.publicKey))
      return fail(
        'chain',
        `certificate ${i} (${c.subject.replace(/\n/g, ', ')}) is not signed by its issuer`,
      );
    if (at < new Date(c.validFrom) || at > new Date(c.validTo))
      return fail(
        'validity',
        `certificate ${i} is valid ${c.validFrom} to ${c.validTo}, not at ${at.toISOString()}`,
      );
  }
  const roots = (options.roots ?? [AWS_NITRO_ROOT_PEM]).map((pem) => new X509Certificate(pem));
  if (!roots.some((r) => r.raw.equals(chain[0]!.raw)))
    return fail('root', `the chain's root (SHA-256 ${sha256(chain[0]!.raw)}) is not a trusted root`);

  for (const [k, want] of Object.entries(options.expectPcrs ?? {})) {
    const got = pcrValues[Number(k)];
    if (got === undefined || got !== want.toLowerCase())
      return fail('pcr', `PCR${k} is ${got ?? 'absent'}, expected ${want.toLowerCase()}`);
  }
  const nonce = bytes(doc['nonce']) ? (doc['nonce'] as Uint8Array) : null;
  if (options.nonce !== undefined) {
    const sent = Buffer.from(options.nonce);
    if (!nonce || nonce.length !== sent.length || !timingSafeEqual(Buffer.from(nonce), sent))
      return fail('nonce', 'the document does not carry the nonce sent');
  }
  return {
    platform: 'nitro',
    moduleId: module_id,
    timestamp: new Date(ms),
    pcrs: pcrValues,
    publicKey: optionalHex(doc['public_key']),
    userData: optionalHex(doc['user_data']),
    nonce: nonce ? hex(nonce) : null,
    certificateSha256: sha256(leaf.raw),
  };
}

/** Hex of an optional byte field; absent or empty (as the NSM writes "none") is null. */
function optionalHex(v: unknown): string | null {
  return bytes(v) && v.length > 0 ? hex(v) : null;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
