/**
 * TLS material for the gRPC server and client, read and checked at the edge: PEM text or files (see
 * {@link PemInput}), the key must match the certificate (checked by building a secure context), a CRL must be
 * signed by one of the trusted CAs and still current, revoked serials must be hex.
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from '../../core/index.js';
import { webCrypto } from '../tls/ca-store.js';
import { parseCrls } from '../tls/crl.js';
import { normalizeSerial } from '../tls/names.js';
import { loadPem, type PemInput } from '../tls/pem.js';
import { loadX509 } from '../tls/x509.js';

/** Default bound on one message, in bytes: 64 MiB (a float32 model of 16 M parameters). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';

/** Revocations the coordinator server enforces. */
export interface RevocationOptions {
  /**
   * CRL(s) in PEM (`-----BEGIN X509 CRL-----`), e.g. the development CA's `crl.pem`. Loaded into OpenSSL, so
   * there must be a current CRL for every CA in `ca` (OpenSSL refuses a client whose issuer has none), and
   * checked again per call by serial. Each CRL must verify against a CA in `ca` and be current (nextUpdate in
   * the future): an expired CRL would make OpenSSL refuse every client.
   */
  readonly crl?: PemInput;
  /** Extra revoked certificate serials (hex, any case, ':' separators allowed), checked per connection and call. */
  readonly revokedSerials?: readonly string[];
}

/** TLS options of the coordinator server. Each PEM value is PEM text or `{ path }` of a PEM file. */
export interface ServerTlsOptions extends RevocationOptions {
  /** The coordinator's certificate (EKU serverAuth, SANs for the names nodes dial), optionally with its chain. */
  readonly cert: PemInput;
  /** The coordinator's private key. */
  readonly key: PemInput;
  /** The CA certificate(s) that node certificates must chain to. Only these are trusted: not the system store. */
  readonly ca: PemInput;
}

/** TLS options of a node's client. Each PEM value is PEM text or `{ path }` of a PEM file. */
export interface ClientTlsOptions {
  /** The node's certificate (EKU clientAuth, CN = the node's id). */
  readonly cert: PemInput;
  /** The node's private key. */
  readonly key: PemInput;
  /** The CA certificate(s) the coordinator's certificate must chain to. Only these are trusted. */
  readonly ca: PemInput;
}

/** Server material, loaded. */
export interface LoadedServerTls {
  readonly secureContext: SecureContextOptions;
  readonly caPem: string;
  readonly revoked: ReadonlySet<string>;
}

/**
 * Reads and checks the server's TLS material. The certificate must be usable by a TLS server: with an
 * extended key usage extension, it must list serverAuth (or any); a node's clientAuth-only certificate is
 * refused here, before listening, rather than by every node's handshake later.
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming the field that is wrong
 */
export async function loadServerTls(fn: string, tls: ServerTlsOptions): Promise<LoadedServerTls> {
  assertObject(fn, tls);
  const [cert, key, caPem] = await Promise.all([
    loadPem(`${fn}.tls.cert`, tls.cert, 'CERTIFICATE'),
    loadPem(`${fn}.tls.key`, tls.key, 'PRIVATE KEY'),
    loadPem(`${fn}.tls.ca`, tls.ca, 'CERTIFICATE'),
  ]);
  checkServerUsage(fn, tls.cert, cert);
  const revocations = await loadRevocations(fn, caPem, tls);
  const secureContext: SecureContextOptions = {
    cert,
    key,
    ca: caPem,
    ...(revocations.crl !== undefined ? { crl: revocations.crl } : {}),
  };
  checkSecureContext(fn, secureContext);
  return { secureContext, caPem, revoked: revocations.serials };
}

/**
 * Reads the revocations: the CRL (verified against `caPem`, current) and the serial list, as one set of
 * canonical serials. `now` is the time to judge the CRL's currency at.
 * @throws {ConfigError} VEIL_CONFIG_INVALID for an unreadable, unsigned or expired CRL or a non-hex serial
 */
export async function loadRevocations(
  fn: string,
  caPem: string,
  options: RevocationOptions,
  now: Date = new Date(),
): Promise<{ readonly crl: string | undefined; readonly serials: ReadonlySet<string> }> {
  const serials = new Set<string>();
  (options.revokedSerials ?? []).forEach((serial, i) => {
    const normalized = typeof serial === 'string' ? normalizeSerial(serial) : undefined;
    if (normalized === undefined) {
      throw new ConfigError([
        { path: `${fn}.tls.revokedSerials[${i}]`, value: serial, allowed: 'a certificate serial in hex' },
      ]);
    }
    serials.add(normalized);
  });
  if (options.crl === undefined) return { crl: undefined, serials };
  const field = `${fn}.tls.crl`;
  const crl = await loadPem(field, options.crl, 'X509 CRL');
  const x509 = await loadX509();
  const cas = x509.PemConverter.decode(caPem).map((der) => new x509.X509Certificate(der));
  for (const parsed of await parseCrls(field, crl)) {
    let verified = false;
    for (const ca of cas) {
      if (ca.subject !== parsed.crl.issuer) continue;
      if (await parsed.crl.verify({ publicKey: ca }, webCrypto).catch(() => false)) verified = true;
    }
    if (!verified) {
      throw new ConfigError([
        { path: field, value: parsed.crl.issuer, allowed: 'a CRL signed by one of the CAs in tls.ca' },
      ]);
    }
    const nextUpdate = parsed.crl.nextUpdate;
    if (nextUpdate !== undefined && nextUpdate <= now) {
      throw new ConfigError([
        {
          path: field,
          value: `expired ${nextUpdate.toISOString()}`,
          allowed: 'a current CRL (regenerate it, e.g. with writeCrl)',
        },
      ]);
    }
    for (const serial of parsed.serials) serials.add(serial);
  }
  return { crl, serials };
}

/**
 * Reads and checks a client's TLS material.
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming the field that is wrong
 */
export async function loadClientTls(fn: string, tls: ClientTlsOptions): Promise<SecureContextOptions> {
  assertObject(fn, tls);
  const [cert, key, ca] = await Promise.all([
    loadPem(`${fn}.tls.cert`, tls.cert, 'CERTIFICATE'),
    loadPem(`${fn}.tls.key`, tls.key, 'PRIVATE KEY'),
    loadPem(`${fn}.tls.ca`, tls.ca, 'CERTIFICATE'),
  ]);
  const secureContext = { cert, key, ca };
  checkSecureContext(fn, secureContext);
  return secureContext;
}

/**
 * Refuses a server certificate whose extended key usage excludes serverAuth (a node's certificate, clientAuth
 * only). Without the extension any usage is allowed; a certificate that does not parse is left to OpenSSL.
 */
function checkServerUsage(fn: string, input: PemInput, certPem: string): void {
  let usages: readonly string[] | undefined;
  try {
    usages = new X509Certificate(certPem).keyUsage;
  } catch {
    return;
  }
  if (usages === undefined || usages.includes(SERVER_AUTH) || usages.includes(ANY_EKU)) return;
  throw new ConfigError(
    [
      {
        path: `${fn}.tls.cert`,
        value: typeof input === 'string' ? 'the given PEM certificate' : input.path,
        allowed: `a coordinator (server) certificate, with extended key usage serverAuth (this one allows only ${describeUsages(usages)}, as a node's certificate does); issue one with \`veil certs issue --role coordinator\``,
      },
    ],
    `${fn} TLS options`,
  );
}

function describeUsages(usages: readonly string[]): string {
  const names: Readonly<Record<string, string>> = {
    '1.3.6.1.5.5.7.3.2': 'clientAuth',
    '1.3.6.1.5.5.7.3.3': 'codeSigning',
    '1.3.6.1.5.5.7.3.4': 'emailProtection',
  };
  return usages.length === 0 ? 'nothing' : usages.map((oid) => names[oid] ?? oid).join(', ');
}

/** Lets OpenSSL parse everything once, so a key that does not match its certificate fails here, clearly. */
function checkSecureContext(fn: string, options: SecureContextOptions): void {
  try {
    createSecureContext(options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      [
        {
          path: `${fn}.tls`,
          value: 'the given PEM material',
          allowed: `a matching certificate and key (${reason})`,
        },
      ],
      `${fn} TLS options`,
    );
  }
}

function assertObject(fn: string, tls: unknown): void {
  if (typeof tls !== 'object' || tls === null) {
    throw new ConfigError([{ path: `${fn}.tls`, value: tls, allowed: 'an object { cert, key, ca }' }]);
  }
}
