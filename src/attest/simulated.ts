/**
 * A simulated enclave, for development and tests where no Nitro hardware is at hand (issue 15's clean room run on
 * a laptop or in CI). It writes attestation documents in exactly the AWS Nitro format that
 * {@link verifyNitroAttestation} parses — a COSE_Sign1 [protected { 1: -35 }, {}, payload, ES384 signature] whose
 * payload is the NSM's map (module_id, digest "SHA384", timestamp, pcrs, certificate, cabundle, public_key,
 * user_data, nonce) — signed by a fresh P-384 enclave key whose certificate chains to a development root.
 *
 * Nothing it makes can pass for a real enclave: module ids start with "simulated-", every certificate subject
 * says SIMULATED, and the verifier (verify.ts) refuses such a document unless its root was explicitly allowed,
 * and then reports it as platform 'simulated', never 'nitro'. Its PCRs are whatever the caller measured
 * (measure.ts): they prove nothing about the code that runs, only that the caller wrote them.
 *
 * Certificates are made with @peculiar/x509 over node:crypto's WebCrypto (as transport's development CA does);
 * the COSE signature is node:crypto's, synchronous, in IEEE P1363 form as COSE requires.
 */
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'cborg';
import {
  ConfigError,
  createFileAtomic,
  csprng,
  ensureDirectory,
  InvalidParameterError,
} from '../core/index.js';
import { loadX509 } from './x509.js';

/** A development root: the self-signed CA of simulated enclaves. Its key is a secret only by convention. */
export interface DevRoot {
  readonly certificatePem: string;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
}

/** A simulated enclave: a module id, a signing key certified by a development root, and fixed PCRs. */
export interface SimulatedEnclave {
  /** Starts with "simulated-". */
  readonly moduleId: string;
  /** The development root's certificate (PEM): what a verifier must be given to accept this enclave's documents. */
  readonly rootPem: string;
  /**
   * An attestation document (raw COSE_Sign1 CBOR) carrying the enclave's PCRs and, if given, the public key,
   * user data and nonce (each at most 1024 bytes, as the NSM allows), timestamped now.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a field that is not bytes or longer than 1024
   */
  attest(input?: { nonce?: Uint8Array; publicKey?: Uint8Array; userData?: Uint8Array }): Uint8Array;
}

/** The word every certificate subject of a simulated enclave carries. */
export const SIMULATED_MARK = 'SIMULATED';
/** The prefix of every simulated enclave's module id. */
export const SIMULATED_MODULE_PREFIX = 'simulated-';

const CURVE: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-384' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-384' };
const DEFAULT_ROOT_NAME = 'Veil SIMULATED enclave root (development only)';
const DAY_MS = 86_400_000;
/** Certificates start a few minutes in the past, so a verifier whose clock is slightly behind accepts them. */
const BACKDATE_MS = 5 * 60_000;
/** The NSM's limit on public_key, user_data and nonce. */
const MAX_FIELD = 1024;
const ROOT_FILES = { cert: 'dev-root.pem', key: 'dev-root.key' } as const;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A random positive 16-byte certificate serial (hex) from Veil's CSPRNG. */
function randomSerial(): string {
  const b = new Uint8Array(16);
  csprng().fillBytes(b);
  b[0] = b[0]! & 0x7f || 0x01;
  return hex(b);
}

function invalid(fn: string, param: string, value: unknown, allowed: string): never {
  throw new InvalidParameterError({ fn, param, value, allowed });
}

async function privateKeyPemOf(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

/** Whether `privateKey` is the key of `cert` (same SPKI). */
function keyMatches(cert: X509Certificate, privateKey: KeyObject): boolean {
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  return spki(createPublicKey(privateKey)).equals(spki(cert.publicKey));
}

/**
 * Creates a development root: a self-signed ECDSA P-384 CA (SHA-384 signatures) whose subject says SIMULATED.
 * For development and tests only; pass its certificate to the verifier's `allowSimulatedRoots`.
 * @param options.commonName the subject CN (must contain "SIMULATED"); default
 *   "Veil SIMULATED enclave root (development only)"
 * @param options.days validity in days, 1 to 36500 (default 3650)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a CN without "SIMULATED" or a bad `days`
 * @example const root = await createDevRoot(); root.certificatePem.startsWith('-----BEGIN CERTIFICATE-----');
 */
export async function createDevRoot(options: { commonName?: string; days?: number } = {}): Promise<DevRoot> {
  const fn = 'createDevRoot';
  const commonName = options.commonName ?? DEFAULT_ROOT_NAME;
  if (typeof commonName !== 'string' || !commonName.includes(SIMULATED_MARK) || commonName.length > 64)
    invalid(fn, 'commonName', commonName, `a name of at most 64 characters containing "${SIMULATED_MARK}"`);
  const days = options.days ?? 3650;
  if (!Number.isSafeInteger(days) || days < 1 || days > 36500)
    invalid(fn, 'days', days, 'an integer in [1, 36500]');
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(CURVE, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: [{ CN: [commonName] }],
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + days * DAY_MS),
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return {
    certificatePem: `${cert.toString('pem')}\n`,
    privateKeyPem: await privateKeyPemOf(keys.privateKey),
  };
}

/**
 * Loads the development root kept in `dir` (dev-root.pem, dev-root.key), or creates one there when neither file
 * exists: the key first, mode 0600, then the certificate, each written atomically and never over an existing
 * file (of two processes racing, one fails). A directory holding only one of the two files is refused rather
 * than repaired: a new key would silently invalidate every root pinned so far.
 * @returns the root, and whether this call created it
 * @throws {ConfigError} VEIL_CONFIG_INVALID (issue path `loadOrCreateDevRoot.dir`) for a half-present pair, files
 *   that are not a root and its key, a key file others may read, or a directory that cannot be written
 * @example const { root, created } = await loadOrCreateDevRoot('.veil/attest');
 */
export async function loadOrCreateDevRoot(dir: string): Promise<{ root: DevRoot; created: boolean }> {
  const fn = 'loadOrCreateDevRoot';
  const refuse = (allowed: string): never => {
    throw new ConfigError([{ path: `${fn}.dir`, value: dir, allowed }], `${fn} options`);
  };
  if (typeof dir !== 'string' || dir === '') return refuse('a directory path');
  const certPath = join(dir, ROOT_FILES.cert);
  const keyPath = join(dir, ROOT_FILES.key);
  if (existsSync(dir) && !statSync(dir).isDirectory()) return refuse('a directory (it is a file)');
  const hasCert = existsSync(certPath);
  const hasKey = existsSync(keyPath);
  if (hasCert !== hasKey) {
    const [present, missing] = hasCert ? [certPath, keyPath] : [keyPath, certPath];
    return refuse(
      `a directory holding both ${ROOT_FILES.cert} and ${ROOT_FILES.key}, or neither: it holds ${present} ` +
        `but not ${missing} (a half-present pair is refused: restore the missing file, or remove the other to make a new root)`,
    );
  }
  if (hasCert) {
    let root: DevRoot;
    try {
      root = { certificatePem: readFileSync(certPath, 'utf8'), privateKeyPem: readFileSync(keyPath, 'utf8') };
    } catch (error) {
      return refuse(`a directory whose root files can be read (${(error as Error).message})`);
    }
    if (process.platform !== 'win32' && (statSync(keyPath).mode & 0o077) !== 0)
      return refuse(`a directory whose ${ROOT_FILES.key} only its owner may read (chmod 600 ${keyPath})`);
    let matches = false;
    try {
      const cert = new X509Certificate(root.certificatePem);
      matches =
        cert.subject.includes(SIMULATED_MARK) && keyMatches(cert, createPrivateKey(root.privateKeyPem));
    } catch {
      matches = false;
    }
    if (!matches)
      return refuse(
        `a directory whose ${ROOT_FILES.cert} is a SIMULATED root certificate and ${ROOT_FILES.key} its private key`,
      );
    return { root, created: false };
  }
  const root = await createDevRoot();
  try {
    ensureDirectory(dir);
    if (!createFileAtomic(keyPath, root.privateKeyPem, { mode: 0o600 }))
      return refuse(`a directory where no other process is creating a root (${keyPath} appeared): retry`);
    if (!createFileAtomic(certPath, root.certificatePem, { mode: 0o644 }))
      return refuse(`a directory where no other process is creating a root (${certPath} appeared)`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    return refuse(`a directory Veil can write (${(error as Error).message})`);
  }
  return { root, created: true };
}

/**
 * Creates a simulated enclave: a fresh P-384 key whose certificate (subject "Veil SIMULATED enclave …", valid
 * `validDays` from a few minutes ago) is signed by `root`, a module id starting with "simulated-", and the PCRs
 * it reports in every document.
 * @param options.pcrs PCR index (0 to 31) → 48 bytes (SHA-384, e.g. from {@link measureFiles})
 * @param options.moduleId default "simulated-" and 16 random hex digits; must start with "simulated-"
 * @param options.validDays validity of the enclave certificate in days, 1 to 365 (default 1)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a root that is not a SIMULATED P-384 root with its
 *   key, a PCR that is not 48 bytes at an index in [0, 31], or a module id without the prefix
 * @example
 * const enclave = await createSimulatedEnclave({ root, pcrs: { 0: pcr0 } });
 * const doc = enclave.attest({ nonce, publicKey });
 */
export async function createSimulatedEnclave(options: {
  root: DevRoot;
  pcrs: Readonly<Record<number, Uint8Array>>;
  moduleId?: string;
  validDays?: number;
}): Promise<SimulatedEnclave> {
  const fn = 'createSimulatedEnclave';
  const { root } = options;
  const id = new Uint8Array(8);
  csprng().fillBytes(id);
  const moduleId = options.moduleId ?? `${SIMULATED_MODULE_PREFIX}${hex(id)}`;
  if (
    typeof moduleId !== 'string' ||
    !moduleId.startsWith(SIMULATED_MODULE_PREFIX) ||
    moduleId.length > 128 ||
    !/^[\x21-\x7e]+$/.test(moduleId)
  )
    invalid(fn, 'moduleId', moduleId, `printable ASCII starting with "${SIMULATED_MODULE_PREFIX}" (<= 128)`);
  const validDays = options.validDays ?? 1;
  if (!Number.isSafeInteger(validDays) || validDays < 1 || validDays > 365)
    invalid(fn, 'validDays', validDays, 'an integer in [1, 365]');
  const pcrs = new Map<number, Uint8Array>();
  for (const [k, v] of Object.entries(options.pcrs ?? {})) {
    const index = Number(k);
    if (!Number.isInteger(index) || index < 0 || index > 31) invalid(fn, 'pcrs', k, 'PCR indices in [0, 31]');
    if (!(v instanceof Uint8Array) || v.length !== 48)
      invalid(fn, `pcrs[${k}]`, v, '48 bytes (a SHA-384 digest)');
    pcrs.set(index, Uint8Array.from(v));
  }

  let rootCert: X509Certificate;
  let rootKey: KeyObject;
  try {
    rootCert = new X509Certificate(root.certificatePem);
    rootKey = createPrivateKey(root.privateKeyPem);
  } catch {
    return invalid(fn, 'root', '(a DevRoot)', 'a PEM certificate and PKCS#8 private key (createDevRoot)');
  }
  if (
    !rootCert.subject.includes(SIMULATED_MARK) ||
    rootKey.asymmetricKeyDetails?.namedCurve !== 'secp384r1' ||
    !keyMatches(rootCert, rootKey)
  )
    invalid(fn, 'root', rootCert.subject, `a ${SIMULATED_MARK} P-384 root with its own key (createDevRoot)`);

  const x509 = await loadX509();
  const issuer = new x509.X509Certificate(root.certificatePem);
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    rootKey.export({ type: 'pkcs8', format: 'der' }),
    CURVE,
    false,
    ['sign'],
  );
  const keys = await webcrypto.subtle.generateKey(CURVE, true, ['sign', 'verify']);
  const now = Date.now();
  const leaf = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: [{ CN: [`Veil ${SIMULATED_MARK} enclave ${moduleId}`.slice(0, 64)] }],
      issuer: issuer.subjectName,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + validDays * DAY_MS),
      publicKey: keys.publicKey,
      signingKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.AuthorityKeyIdentifierExtension.create(issuer, false, webcrypto),
      ],
    },
    webcrypto,
  );
  const leafKey = createPrivateKey(await privateKeyPemOf(keys.privateKey));
  const certificate = new Uint8Array(leaf.rawData);
  const cabundle = [new Uint8Array(rootCert.raw)];
  const protectedHeader = encode(new Map([[1, -35]]));
  const rootPem = root.certificatePem;

  const field = (name: string, v: Uint8Array | undefined): Uint8Array | null => {
    if (v === undefined) return null;
    if (!(v instanceof Uint8Array) || v.length > MAX_FIELD)
      invalid('SimulatedEnclave.attest', name, v, `bytes, at most ${MAX_FIELD}`);
    return Uint8Array.from(v);
  };

  return Object.freeze({
    moduleId,
    rootPem,
    attest(input: { nonce?: Uint8Array; publicKey?: Uint8Array; userData?: Uint8Array } = {}): Uint8Array {
      const payload = encode(
        new Map<string, unknown>([
          ['module_id', moduleId],
          ['digest', 'SHA384'],
          ['timestamp', Date.now()],
          ['pcrs', pcrs],
          ['certificate', certificate],
          ['cabundle', cabundle],
          ['public_key', field('publicKey', input.publicKey)],
          ['user_data', field('userData', input.userData)],
          ['nonce', field('nonce', input.nonce)],
        ]),
      );
      const toBeSigned = encode(['Signature1', protectedHeader, new Uint8Array(0), payload]);
      const signature = sign('sha384', toBeSigned, { key: leafKey, dsaEncoding: 'ieee-p1363' });
      return encode([protectedHeader, new Map(), payload, new Uint8Array(signature)]);
    },
  });
}
