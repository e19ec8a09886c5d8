/**
 * Revocation for the development CA: a register of revoked serials (`revoked.json`) and the X.509 v2 CRL
 * generated from it (`crl.pem`, signed by the CA with @peculiar/x509's X509CrlGenerator, with authority key
 * identifier and CRL number). The coordinator server loads the CRL into OpenSSL (handshake refusal) and also
 * checks the serials itself on every call (see grpc/server.ts).
 */
import type * as X509 from '@peculiar/x509';
import { assertInteger, assertOneOf, ConfigError, InvalidParameterError } from '../../core/index.js';
import {
  caPaths,
  daysFrom,
  EC_SIGNING,
  loadCa,
  REVOCATION_REASONS,
  type RevocationReason,
  readIssued,
  readRevoked,
  webCrypto,
  writeAtomic,
  writeJson,
} from './ca-store.js';
import { assertCertificateName, normalizeSerial, parseSerial } from './names.js';
import { loadX509 } from './x509.js';

const CRL_NUMBER_OID = '2.5.29.20';
/** Default validity of a generated CRL: 365 days. After its nextUpdate, OpenSSL refuses every client. */
const DEFAULT_CRL_DAYS = 365;

/** Options of {@link writeCrl}. */
export interface WriteCrlOptions {
  /** Directory of a CA made by initCa. */
  readonly caDir: string;
  /**
   * Days until the CRL's nextUpdate, 1..3650 (default 365). A server given an expired CRL refuses every client
   * (OpenSSL: "CRL has expired"), so regenerate it before then (`writeCrl` again).
   */
  readonly validDays?: number;
}

/**
 * (Re)writes `crl.pem` from the CA's revocation register, signed by the CA, with the next CRL number.
 * @returns the path of the CRL
 * @throws {ConfigError} VEIL_CONFIG_INVALID when `caDir` holds no CA or its register is corrupt
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad validDays
 */
export async function writeCrl(options: WriteCrlOptions): Promise<string> {
  const fn = 'writeCrl';
  const { caDir, validDays = DEFAULT_CRL_DAYS } = options;
  assertInteger(fn, 'validDays', validDays, 1, 3650);
  const ca = await loadCa(fn, caDir);
  const x509 = await loadX509();
  const revoked = await readRevoked(caDir);
  const crlNumber = revoked.crlNumber + 1;
  const now = new Date();
  const caKeyId = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: ca.cert.subjectName,
      thisUpdate: now,
      nextUpdate: daysFrom(now, validDays),
      signingKey: ca.signingKey,
      signingAlgorithm: EC_SIGNING,
      extensions: [
        caKeyId !== undefined
          ? new x509.AuthorityKeyIdentifierExtension(caKeyId, false)
          : await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, webCrypto),
        new x509.Extension(CRL_NUMBER_OID, false, derInteger(crlNumber)),
      ],
      entries: revoked.entries.map((e) => ({
        serialNumber: e.serial.length % 2 === 1 ? `0${e.serial}` : e.serial,
        revocationDate: new Date(e.revokedAt),
        // A reason is always given: @peculiar/x509 2.2 writes an empty (invalid) entry-extension SEQUENCE
        // for an entry without one, which OpenSSL refuses to load.
        reason: x509.X509CrlReason[e.reason],
      })),
    },
    webCrypto,
  );
  const paths = caPaths(caDir);
  // OpenSSL reads only the 'X509 CRL' PEM label; @peculiar/x509's toString('pem') writes 'CRL'.
  await writeAtomic(paths.crl, `${x509.PemConverter.encode(crl.rawData, 'X509 CRL')}\n`);
  await writeJson(paths.revoked, { ...revoked, crlNumber });
  return paths.crl;
}

/** Options of {@link revokeCertificate}: name the certificate by `name` (all of its certificates) or `serial`. */
export type RevokeCertificateOptions = {
  /** Directory of a CA made by initCa. */
  readonly caDir: string;
  /** Days until the regenerated CRL's nextUpdate (default 365). */
  readonly crlValidDays?: number;
  /** The CRL reason code (default 'privilegeWithdrawn': the node is no longer part of the federation). */
  readonly reason?: RevocationReason;
} & ({ readonly name: string; readonly serial?: never } | { readonly serial: string; readonly name?: never });

/** What {@link revokeCertificate} did. */
export interface RevocationResult {
  /** Serials (canonical hex) now revoked for this request, including ones revoked before. */
  readonly serials: readonly string[];
  /** Path of the regenerated CRL. */
  readonly crlPath: string;
}

/**
 * Revokes certificates the development CA issued: by `name`, every certificate issued with that CN; by
 * `serial`, that one. Records the serials in `revoked.json` and regenerates the signed `crl.pem`. Revoking
 * again is harmless. Servers read the CRL when they start or when told to reload it.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when neither or both of name/serial are given, or
 *   when this CA issued no certificate with that name or serial
 * @throws {ConfigError} VEIL_CONFIG_INVALID when `caDir` holds no CA
 * @example
 * await revokeCertificate({ caDir: 'certs/ca', name: 'hospital-3' });
 */
export async function revokeCertificate(options: RevokeCertificateOptions): Promise<RevocationResult> {
  const fn = 'revokeCertificate';
  const { caDir } = options;
  const byName = options.name !== undefined;
  if (byName === (options.serial !== undefined)) {
    throw new InvalidParameterError({
      fn,
      param: 'name',
      value: options.name,
      allowed: 'given alone, or left out when serial is given (exactly one of name, serial)',
    });
  }
  const reason = options.reason ?? 'privilegeWithdrawn';
  assertOneOf(fn, 'reason', reason, REVOCATION_REASONS);
  await loadCa(fn, caDir);
  const issued = await readIssued(caDir);
  let targets: { serial: string; name: string }[];
  if (byName) {
    assertCertificateName(fn, 'name', options.name);
    targets = issued.certificates.filter((c) => c.name === options.name);
  } else {
    const serial = parseSerial(fn, 'serial', options.serial);
    targets = issued.certificates.filter((c) => c.serial === serial);
  }
  if (targets.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: byName ? 'name' : 'serial',
      value: byName ? options.name : options.serial,
      allowed: 'the name or serial of a certificate this CA issued (see listCertificates)',
    });
  }
  const revoked = await readRevoked(caDir);
  const known = new Set(revoked.entries.map((e) => e.serial));
  const revokedAt = new Date().toISOString();
  const added = targets
    .filter((t) => !known.has(t.serial))
    .map((t) => ({ serial: t.serial, name: t.name, revokedAt, reason }));
  await writeJson(caPaths(caDir).revoked, { ...revoked, entries: [...revoked.entries, ...added] });
  const crlPath = await writeCrl({
    caDir,
    ...(options.crlValidDays !== undefined ? { validDays: options.crlValidDays } : {}),
  });
  return { serials: targets.map((t) => t.serial), crlPath };
}

/** A parsed CRL: who issued it, until when it is current, and the serials it revokes (canonical hex). */
export interface ParsedCrl {
  readonly crl: X509.X509Crl;
  readonly serials: readonly string[];
}

/**
 * Parses every CRL in a PEM bundle.
 * @throws {ConfigError} VEIL_CONFIG_INVALID when `pem` holds no parseable CRL
 */
export async function parseCrls(field: string, pem: string): Promise<readonly ParsedCrl[]> {
  const x509 = await loadX509();
  let ders: ArrayBuffer[];
  try {
    ders = x509.PemConverter.decodeWithHeaders(pem)
      .filter((block) => block.type === 'X509 CRL' || block.type === 'CRL')
      .map((block) => block.rawData);
  } catch {
    ders = [];
  }
  if (ders.length === 0) {
    throw new ConfigError([
      { path: field, value: 'PEM without a CRL', allowed: 'one or more X509 CRL blocks' },
    ]);
  }
  return ders.map((der) => {
    let crl: X509.X509Crl;
    try {
      crl = new x509.X509Crl(der);
    } catch {
      throw new ConfigError([
        { path: field, value: 'an unparseable CRL', allowed: 'a DER X.509 v2 CRL in PEM' },
      ]);
    }
    const serials = crl.entries.map((e) => normalizeSerial(e.serialNumber) ?? e.serialNumber);
    return { crl, serials };
  });
}

/** DER encoding of a small non-negative INTEGER (for the CRL number extension). */
function derInteger(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Uint8Array.from([0x02, bytes.length, ...bytes]);
}
