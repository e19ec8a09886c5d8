/**
 * One verifier for every attestation Veil accepts: genuine AWS Nitro documents, and a simulated enclave's
 * (simulated.ts) when, and only when, its development root was explicitly allowed. Both go through the same
 * checks ({@link verifyNitroAttestation}: signature, chain, validity, root, PCRs, nonce); what differs is the
 * trusted root and the platform reported.
 *
 * The rule that keeps a simulation from passing for an enclave: a document whose root is an allowed simulated
 * root is verified against those roots alone and reported as 'simulated'; any other document that looks
 * simulated (module id "simulated-…", or a root or enclave certificate whose subject says SIMULATED) is refused
 * with check 'root' — even when its root was passed in `roots` — so it never comes out as 'nitro'.
 */
import { X509Certificate } from 'node:crypto';
import { decode } from 'cborg';
import { IntegrityError, InvalidParameterError } from '../core/index.js';
import { type NitroAttestation, type NitroVerifyOptions, verifyNitroAttestation } from './nitro.js';
import { AWS_NITRO_ROOT_PEM } from './nitro-root.js';
import { SIMULATED_MARK, SIMULATED_MODULE_PREFIX } from './simulated.js';

/** What a verified document says; `platform` is 'simulated' for a document of an allowed development root. */
export interface Attestation extends Omit<NitroAttestation, 'platform'> {
  readonly platform: 'nitro' | 'simulated';
}

/** Options of {@link verifyAttestation}. */
export interface AttestationVerifyOptions extends NitroVerifyOptions {
  /** Development roots (PEM) whose simulated enclaves are accepted, and reported as 'simulated'. */
  readonly allowSimulatedRoots?: readonly string[];
}

/** What the verifier looks at before verifying: the module id and the chain's certificates, when readable. */
interface Peek {
  readonly moduleId: unknown;
  readonly root: X509Certificate | null;
  readonly leaf: X509Certificate | null;
}

function peek(document: Uint8Array): Peek | null {
  try {
    const cose = decode(document, { useMaps: true }) as unknown;
    if (!Array.isArray(cose) || !(cose[2] instanceof Uint8Array)) return null;
    const payload = decode(cose[2], { useMaps: true }) as unknown;
    if (!(payload instanceof Map)) return null;
    const cert = (v: unknown) => {
      try {
        return v instanceof Uint8Array ? new X509Certificate(v) : null;
      } catch {
        return null;
      }
    };
    const bundle = payload.get('cabundle') as unknown;
    return {
      moduleId: payload.get('module_id'),
      root: Array.isArray(bundle) ? cert(bundle[0]) : null,
      leaf: cert(payload.get('certificate')),
    };
  } catch {
    return null;
  }
}

function parseRoots(param: string, pems: readonly string[]): X509Certificate[] {
  return pems.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch {
      throw new InvalidParameterError({
        fn: 'verifyAttestation',
        param: `${param}[${i}]`,
        value: typeof pem === 'string' ? `${pem.slice(0, 40)}…` : pem,
        allowed: 'a PEM certificate',
      });
    }
  });
}

/**
 * Verifies an attestation document (raw CBOR; see {@link readAttestationDocument} for files): a Nitro document
 * against `roots` (default AWS's), or a simulated enclave's against `allowSimulatedRoots`.
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED with `details.check` naming the failed check; 'root' for a
 *   simulated document whose root was not passed in `allowSimulatedRoots`
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a root that is not a PEM certificate, or AWS's Nitro
 *   root given as a simulated root
 * @example
 * const a = verifyAttestation(doc, { allowSimulatedRoots: [enclave.rootPem], expectPcrs: { 0: pcr0 }, nonce });
 * a.platform; // 'simulated'
 */
export function verifyAttestation(document: Uint8Array, options: AttestationVerifyOptions = {}): Attestation {
  const { allowSimulatedRoots = [], ...nitroOptions } = options;
  const simulatedRoots = parseRoots('allowSimulatedRoots', allowSimulatedRoots);
  const aws = new X509Certificate(AWS_NITRO_ROOT_PEM);
  if (simulatedRoots.some((r) => r.raw.equals(aws.raw)))
    throw new InvalidParameterError({
      fn: 'verifyAttestation',
      param: 'allowSimulatedRoots',
      value: 'the AWS Nitro root',
      allowed: 'development roots only (AWS Nitro documents are verified through `roots`)',
    });
  const seen = peek(document);
  const root = seen?.root ?? null;
  if (root && simulatedRoots.some((r) => r.raw.equals(root.raw))) {
    const a = verifyNitroAttestation(document, { ...nitroOptions, roots: allowSimulatedRoots });
    return { ...a, platform: 'simulated' };
  }
  const looksSimulated =
    seen !== null &&
    ((typeof seen.moduleId === 'string' && seen.moduleId.startsWith(SIMULATED_MODULE_PREFIX)) ||
      (root?.subject.includes(SIMULATED_MARK) ?? false) ||
      (seen.leaf?.subject.includes(SIMULATED_MARK) ?? false));
  if (looksSimulated) {
    const fingerprint = root ? ` (root SHA-256 ${root.fingerprint256.replace(/:/g, '').toLowerCase()})` : '';
    throw new IntegrityError(
      `attestation root check failed: a simulated enclave's document${fingerprint} is refused unless its root is ` +
        'explicitly allowed (--allow-simulated ROOT, allowSimulatedRoots); it is never accepted as Nitro',
      { check: 'root', simulated: true },
    );
  }
  return verifyNitroAttestation(document, nitroOptions);
}

/** A COSE_Sign1 array (0x84: an array of 4, as the NSM writes it), its COSE tag 18 (0xd2) removed; else null. */
function untagged(b: Uint8Array): Uint8Array | null {
  if (b[0] === 0x84) return b;
  if (b[0] === 0xd2 && b[1] === 0x84) return b.subarray(1);
  return null;
}

/**
 * An attestation document as raw CBOR, from a file's bytes: raw CBOR (a COSE_Sign1 array) is returned as is,
 * without its COSE tag 18 if it has one; text is read as base64 (standard or URL alphabet, whitespace ignored).
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED, check 'format', for bytes that are neither
 * @example const doc = readAttestationDocument(readFileSync('attestation.b64'));
 */
export function readAttestationDocument(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array))
    throw new IntegrityError('attestation format check failed: expected bytes', { check: 'format' });
  const cbor = untagged(bytes);
  if (cbor) return cbor;
  const text = Buffer.from(bytes).toString('latin1').replace(/\s+/g, '');
  if (text.length > 0 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) && text.length % 4 !== 1) {
    const decoded = untagged(
      new Uint8Array(Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64')),
    );
    if (decoded) return decoded;
  }
  throw new IntegrityError(
    'attestation format check failed: neither a CBOR COSE_Sign1 document nor base64 of one',
    { check: 'format' },
  );
}
