/**
 * A development certificate authority for Veil federations: a self-signed ECDSA P-256 CA in a directory,
 * leaf certificates for the coordinator and the nodes, and a register of what it issued.
 *
 * FOR DEVELOPMENT AND TESTS ONLY. The CA key sits unencrypted on disk (mode 0600) and nothing guards the
 * directory beyond file permissions. Production deployments bring their own PKI: any CA works whose
 * coordinator certificate has EKU serverAuth and SANs for the coordinator's host names, and whose node
 * certificates have EKU clientAuth only (no serverAuth: peers refuse to bind a secure-aggregation key to a
 * certificate that could be the coordinator's, see key-binding.ts) and the node's name as subject CN.
 */
import type { webcrypto } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type * as X509 from '@peculiar/x509';
import {
  assertInteger,
  assertOneOf,
  ConfigError,
  ensureDirectory,
  InvalidParameterError,
} from '../../core/index.js';
import {
  caPaths,
  daysFrom,
  EC_SIGNING,
  fingerprintOf,
  generateKeyPair,
  loadCa,
  privateKeyPem,
  randomSerial,
  readIssued,
  readRevoked,
  serialOf,
  webCrypto,
  writeJson,
  writeNew,
} from './ca-store.js';
import { writeCrl } from './crl.js';
import { assertCertificateName, type HostName, parseHosts } from './names.js';
import { loadX509, type X509Module } from './x509.js';

/** What a leaf certificate is for: the coordinator (TLS server, also client) or a node (TLS client). */
export type CertificateRole = 'coordinator' | 'node';
const ROLES: readonly CertificateRole[] = ['coordinator', 'node'];
/** Hosts a coordinator certificate names when `hosts` is not given: the loopback names. */
export const DEFAULT_COORDINATOR_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];
/** Clock-skew allowance: certificates are valid from 5 minutes before they are issued. */
const BACKDATE_MS = 5 * 60_000;

/** Options of {@link initCa}. */
export interface InitCaOptions {
  /** Directory to create the CA in (created with mode 0700 if missing). */
  readonly dir: string;
  /** The CA's common name, e.g. `veil-dev-ca` (a safe file name: letters, digits, '.', '_', '-'). */
  readonly name: string;
  /** Validity of the CA certificate in days, 1..36500 (default 3650). */
  readonly validDays?: number;
}

/** A certificate authority as {@link initCa} created it. */
export interface CaInfo {
  readonly name: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly crlPath: string;
  /** Serial number, canonical lower-case hex. */
  readonly serial: string;
  /** SHA-256 of the DER certificate, lower-case hex. */
  readonly fingerprint: string;
  readonly notAfter: Date;
}

/**
 * Creates a development CA: a self-signed ECDSA P-256 certificate (`ca.crt`, CA:true, pathlen 0, key usages
 * keyCertSign + cRLSign), its private key (`ca.key`, PKCS#8 PEM, mode 0600) and an empty signed CRL
 * (`crl.pem`). For development and tests only: production deployments bring their own PKI.
 *
 * @returns where the files are and the CA certificate's serial and fingerprint
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad name or validDays
 * @throws {ConfigError} VEIL_CONFIG_INVALID when `dir` already holds a CA (it is never overwritten)
 * @example
 * await initCa({ dir: 'certs/ca', name: 'veil-dev-ca' });
 */
export async function initCa(options: InitCaOptions): Promise<CaInfo> {
  const fn = 'initCa';
  const { dir, name, validDays = 3650 } = options;
  assertDirectory(fn, 'dir', dir);
  assertCertificateName(fn, 'name', name);
  assertInteger(fn, 'validDays', validDays, 1, 36500);
  const paths = caPaths(dir);
  // the parents first, step by step: Node's recursive mkdir never returns under a pseudo file system (/proc/x/y)
  ensureDirectory(dirname(resolve(dir)));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const path of [paths.cert, paths.key]) {
    if (await exists(path)) {
      throw new ConfigError(
        [
          {
            path: `${fn}.dir`,
            value: dir,
            allowed: `a directory without a CA (${path} exists; never overwritten)`,
          },
        ],
        `${fn} options`,
      );
    }
  }
  const x509 = await loadX509();
  const keys = await generateKeyPair();
  const now = new Date();
  const subject: X509.JsonName = [{ CN: [name] }];
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: subject,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: daysFrom(now, validDays),
      keys,
      signingAlgorithm: EC_SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webCrypto),
      ],
    },
    webCrypto,
  );
  // The key first, exclusively: if two initCa race on one directory, one of them fails here.
  await writeNew(paths.key, await privateKeyPem(keys.privateKey), 0o600);
  await writeNew(paths.cert, `${cert.toString('pem')}\n`, 0o644);
  await writeCrl({ caDir: dir });
  return {
    name,
    certPath: paths.cert,
    keyPath: paths.key,
    crlPath: paths.crl,
    serial: serialOf(cert),
    fingerprint: fingerprintOf(cert),
    notAfter: cert.notAfter,
  };
}

/** Options of {@link issueCertificate}. */
export interface IssueCertificateOptions {
  /** Directory of a CA made by {@link initCa}. */
  readonly caDir: string;
  /** Subject common name: the node's id in the federation, or the coordinator's name. Also the file name. */
  readonly name: string;
  /** `'coordinator'`: EKU serverAuth + clientAuth and host SANs; `'node'`: EKU clientAuth. */
  readonly role: CertificateRole;
  /**
   * Subject alternative names (DNS names or IP addresses) the TLS client checks the coordinator against.
   * Default for a coordinator: `localhost`, `127.0.0.1`, `::1`; a node certificate has none unless given.
   */
  readonly hosts?: readonly string[];
  /** Directory to write `<name>.crt`, `<name>.key` (mode 0600) and a copy of `ca.crt` into. */
  readonly outDir: string;
  /** Validity in days, 1..3650 (default 365); must end before the CA certificate does. */
  readonly validDays?: number;
}

/** A certificate {@link issueCertificate} wrote. */
export interface IssuedCertificate {
  readonly name: string;
  readonly role: CertificateRole;
  readonly serial: string;
  readonly fingerprint: string;
  readonly hosts: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly certPath: string;
  readonly keyPath: string;
  readonly caCertPath: string;
}

/**
 * Issues a leaf certificate signed by the development CA: ECDSA P-256, CN = `name`, a random 128-bit serial,
 * key usage digitalSignature, EKU clientAuth (node) or serverAuth + clientAuth (coordinator), and SANs from
 * `hosts`. Writes `<name>.crt`, `<name>.key` (mode 0600) and `ca.crt` into `outDir` and records the
 * certificate in the CA's register (`issued.json`). Run one CA command at a time per CA directory.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad name, role, host or validDays
 * @throws {ConfigError} VEIL_CONFIG_INVALID when `caDir` holds no CA, or `<name>.crt`/`<name>.key` exist
 * @example
 * await issueCertificate({ caDir: 'certs/ca', name: 'coordinator', role: 'coordinator',
 *   hosts: ['localhost', '127.0.0.1', 'fl.example.org'], outDir: 'certs/coordinator' });
 * await issueCertificate({ caDir: 'certs/ca', name: 'hospital-1', role: 'node', outDir: 'certs/hospital-1' });
 */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const fn = 'issueCertificate';
  const { caDir, name, role, outDir, validDays = 365 } = options;
  assertDirectory(fn, 'caDir', caDir);
  assertDirectory(fn, 'outDir', outDir);
  assertCertificateName(fn, 'name', name);
  assertOneOf(fn, 'role', role, ROLES);
  assertInteger(fn, 'validDays', validDays, 1, 3650);
  const hosts =
    options.hosts !== undefined
      ? parseHosts(fn, 'hosts', options.hosts)
      : role === 'coordinator'
        ? parseHosts(fn, 'hosts', DEFAULT_COORDINATOR_HOSTS)
        : [];

  const ca = await loadCa(fn, caDir);
  const now = new Date();
  const notAfter = daysFrom(now, validDays);
  if (notAfter > ca.cert.notAfter) {
    throw new InvalidParameterError({
      fn,
      param: 'validDays',
      value: validDays,
      allowed: `at most the CA's remaining validity (until ${ca.cert.notAfter.toISOString()})`,
    });
  }
  const certPath = join(outDir, `${name}.crt`);
  const keyPath = join(outDir, `${name}.key`);
  for (const path of [certPath, keyPath]) {
    if (await exists(path)) {
      throw new ConfigError(
        [{ path: `${fn}.outDir`, value: outDir, allowed: `a directory without ${path} (never overwritten)` }],
        `${fn} options`,
      );
    }
  }
  const caCertPath = join(outDir, 'ca.crt');
  const copyCa =
    resolve(caCertPath) !== resolve(caPaths(caDir).cert) && (await needsCaCopy(caCertPath, ca.certPem));

  const x509 = await loadX509();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: [{ CN: [name] }],
      issuer: ca.cert.subjectName,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter,
      publicKey: keys.publicKey,
      signingKey: ca.signingKey,
      signingAlgorithm: EC_SIGNING,
      extensions: await leafExtensions(x509, role, hosts, keys.publicKey, ca.cert),
    },
    webCrypto,
  );

  ensureDirectory(dirname(resolve(outDir)));
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  await writeNew(keyPath, await privateKeyPem(keys.privateKey), 0o600);
  await writeNew(certPath, `${cert.toString('pem')}\n`, 0o644);
  if (copyCa) await writeNew(caCertPath, ca.certPem, 0o644);

  const issued = await readIssued(caDir);
  const entry = {
    name,
    role,
    serial: serialOf(cert),
    fingerprint: fingerprintOf(cert),
    hosts: hosts.map((h) => h.value),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
  };
  await writeJson(caPaths(caDir).issued, { ...issued, certificates: [...issued.certificates, entry] });
  return { ...entry, notBefore: cert.notBefore, notAfter: cert.notAfter, certPath, keyPath, caCertPath };
}

async function leafExtensions(
  x509: X509Module,
  role: CertificateRole,
  hosts: readonly HostName[],
  publicKey: webcrypto.CryptoKey,
  caCert: X509.X509Certificate,
): Promise<X509.Extension[]> {
  const usages =
    role === 'coordinator'
      ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
      : [x509.ExtendedKeyUsage.clientAuth];
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.SubjectKeyIdentifierExtension.create(publicKey, false, webCrypto),
    caKeyId !== undefined
      ? new x509.AuthorityKeyIdentifierExtension(caKeyId, false)
      : await x509.AuthorityKeyIdentifierExtension.create(caCert, false, webCrypto),
  ];
  if (hosts.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) => ({ type: h.kind, value: h.value })),
        false,
      ),
    );
  }
  return extensions;
}

/** Options of {@link listCertificates}. */
export interface ListCertificatesOptions {
  /** Directory of a CA made by {@link initCa}. */
  readonly caDir: string;
  /** The time to judge expiry at (default now). */
  readonly now?: Date;
}

/** One issued certificate and its status, as {@link listCertificates} reports it. */
export interface CertificateStatus {
  readonly name: string;
  readonly role: CertificateRole;
  readonly serial: string;
  readonly fingerprint: string;
  readonly hosts: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly revoked: boolean;
  /** When it was revoked, if it was. */
  readonly revokedAt?: Date;
  readonly expired: boolean;
}

/**
 * Lists the certificates the development CA issued, oldest first, with whether each is revoked or expired.
 * @throws {ConfigError} VEIL_CONFIG_INVALID when `caDir` holds no CA or its registers are corrupt
 */
export async function listCertificates(
  options: ListCertificatesOptions,
): Promise<readonly CertificateStatus[]> {
  const fn = 'listCertificates';
  assertDirectory(fn, 'caDir', options.caDir);
  await loadCa(fn, options.caDir);
  const now = options.now ?? new Date();
  const [issued, revoked] = await Promise.all([readIssued(options.caDir), readRevoked(options.caDir)]);
  const revokedAt = new Map(revoked.entries.map((e) => [e.serial, new Date(e.revokedAt)]));
  return issued.certificates.map((c) => {
    const at = revokedAt.get(c.serial);
    const notAfter = new Date(c.notAfter);
    return {
      name: c.name,
      role: c.role,
      serial: c.serial,
      fingerprint: c.fingerprint,
      hosts: c.hosts,
      notBefore: new Date(c.notBefore),
      notAfter,
      revoked: at !== undefined,
      ...(at !== undefined ? { revokedAt: at } : {}),
      expired: notAfter <= now,
    };
  });
}

function assertDirectory(fn: string, param: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw new InvalidParameterError({ fn, param, value, allowed: 'a directory path (non-empty string)' });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `outDir/ca.crt` must be written: false when it already holds this CA's certificate.
 * @throws {ConfigError} when it holds another CA's certificate (a node directory trusts exactly one CA)
 */
async function needsCaCopy(path: string, pem: string): Promise<boolean> {
  let existing: string;
  try {
    existing = await readFile(path, 'utf8');
  } catch {
    return true;
  }
  if (existing.trim() === pem.trim()) return false;
  throw new ConfigError([
    { path: 'issueCertificate.outDir', value: path, allowed: 'no ca.crt, or the ca.crt of this CA' },
  ]);
}
