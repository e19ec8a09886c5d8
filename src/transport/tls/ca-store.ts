/**
 * The development CA's directory: where its files live, its two JSON registers (certificates issued, serials
 * revoked) parsed with zod at the read edge, and the shared X.509 helpers (key import/export, serials,
 * fingerprints). All X.509 work goes through @peculiar/x509 with node:crypto's WebCrypto passed explicitly to
 * each call, so no global provider is set.
 */
import { createHash, webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { z } from 'zod';
import {
  ConfigError,
  createFileAtomic,
  csprng,
  readJsonFile,
  writeFileAtomic,
  writeJsonFileAtomic,
} from '../../core/index.js';
import { normalizeSerial } from './names.js';
import { loadX509 } from './x509.js';

/** The WebCrypto implementation every X.509 call uses (node:crypto's). */
export const webCrypto: webcrypto.Crypto = webcrypto;
/** ECDSA P-256 key generation and import parameters. */
export const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
/** Signature algorithm of every certificate and CRL the CA signs: ECDSA with SHA-256. */
export const EC_SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** Paths of the files inside a CA directory. */
export function caPaths(caDir: string) {
  return {
    cert: join(caDir, 'ca.crt'),
    key: join(caDir, 'ca.key'),
    crl: join(caDir, 'crl.pem'),
    issued: join(caDir, 'issued.json'),
    revoked: join(caDir, 'revoked.json'),
  } as const;
}

const RoleSchema = z.enum(['coordinator', 'node']);

const IssuedEntrySchema = z.object({
  name: z.string(),
  role: RoleSchema,
  serial: z.string().regex(/^[0-9a-f]+$/),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  hosts: z.array(z.string()),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
});
const IssuedFileSchema = z.object({ version: z.literal(1), certificates: z.array(IssuedEntrySchema) });

/** CRL reason codes a revocation may give (RFC 5280 §5.3.1; 'unspecified' is left out, as the RFC advises). */
export const REVOCATION_REASONS = [
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const;

const RevokedEntrySchema = z.object({
  serial: z.string().regex(/^[0-9a-f]+$/),
  name: z.string().optional(),
  revokedAt: z.iso.datetime(),
  reason: z.enum(REVOCATION_REASONS),
});
const RevokedFileSchema = z.object({
  version: z.literal(1),
  crlNumber: z.number().int().nonnegative(),
  entries: z.array(RevokedEntrySchema),
});

/** One certificate in the CA's register of issued certificates. */
export type IssuedEntry = z.infer<typeof IssuedEntrySchema>;
/** The CA's register of issued certificates (`issued.json`). */
export type IssuedFile = z.infer<typeof IssuedFileSchema>;
/** Why a certificate was revoked (a CRL reason code). */
export type RevocationReason = (typeof REVOCATION_REASONS)[number];
/** The CA's revocation register (`revoked.json`), from which `crl.pem` is generated. */
export type RevokedFile = z.infer<typeof RevokedFileSchema>;

/** What a corrupt register is refused with: the CA wrote it, so nothing else is expected there. */
const REGISTER = 'the JSON the Veil CA wrote';

/** Reads `issued.json` (an empty register when it does not exist yet). @throws {ConfigError} when corrupt */
export async function readIssued(caDir: string): Promise<IssuedFile> {
  const issued = readJsonFile(caPaths(caDir).issued, { what: REGISTER, schema: IssuedFileSchema });
  return issued ?? { version: 1, certificates: [] };
}

/** Reads `revoked.json` (an empty register when it does not exist yet). @throws {ConfigError} when corrupt */
export async function readRevoked(caDir: string): Promise<RevokedFile> {
  const revoked = readJsonFile(caPaths(caDir).revoked, { what: REGISTER, schema: RevokedFileSchema });
  return revoked ?? { version: 1, crlNumber: 0, entries: [] };
}

/** Writes a file atomically and durably (core's store: temporary file, fsync, rename) with exactly `mode`. */
export async function writeAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  writeFileAtomic(path, data, { mode });
}

/** Writes a register as pretty JSON, atomically and durably (mode 0o644: registers hold no secret). */
export async function writeJson(path: string, value: IssuedFile | RevokedFile): Promise<void> {
  writeJsonFileAtomic(path, value, { pretty: true, mode: 0o644 });
}

/**
 * Writes a new file that must not exist yet, atomically and durably with exactly `mode` (core's
 * `createFileAtomic`: a crash never leaves half a key, and of two racing writers one fails).
 * @throws an Error with code EEXIST when the file exists (it is left untouched)
 */
export async function writeNew(path: string, data: string, mode: number): Promise<void> {
  if (!createFileAtomic(path, data, { mode })) {
    throw Object.assign(new Error(`EEXIST: file already exists, open '${path}'`), { code: 'EEXIST', path });
  }
}

/** A loaded CA: its certificate and its signing key. */
export interface LoadedCa {
  readonly cert: X509.X509Certificate;
  readonly certPem: string;
  readonly signingKey: webcrypto.CryptoKey;
}

/**
 * Loads the CA certificate and key from `caDir`.
 * @throws {ConfigError} VEIL_CONFIG_INVALID when the directory holds no CA (run initCa first)
 */
export async function loadCa(fn: string, caDir: string): Promise<LoadedCa> {
  const paths = caPaths(caDir);
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(paths.cert, 'utf8'), readFile(paths.key, 'utf8')]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(
      [
        {
          path: `${fn}.caDir`,
          value: caDir,
          allowed: `a CA directory holding ca.crt and ca.key (${code})`,
        },
      ],
      `${fn} options`,
    );
  }
  const x509 = await loadX509();
  const cert = new x509.X509Certificate(certPem);
  const der = x509.PemConverter.decodeFirst(keyPem);
  const signingKey = await webCrypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
  return { cert, certPem, signingKey };
}

/** Generates an extractable ECDSA P-256 key pair. */
export function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webCrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
}

/** Exports a private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webCrypto.subtle.exportKey('pkcs8', key);
  const x509 = await loadX509();
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/**
 * A random positive certificate serial: 16 bytes (128 bits, of which 127 random) from Veil's CSPRNG, first
 * byte in 1..127 so the DER integer is positive and exactly 16 octets (RFC 5280 §4.1.2.2: at most 20).
 */
export function randomSerial(): string {
  const bytes = new Uint8Array(16);
  csprng().fillBytes(bytes);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return Buffer.from(bytes).toString('hex');
}

/** SHA-256 of a certificate's DER encoding, lower-case hex (what the server reports as the peer fingerprint). */
export function fingerprintOf(cert: X509.X509Certificate): string {
  return createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex');
}

/** A certificate's serial in canonical form (see normalizeSerial). */
export function serialOf(cert: X509.X509Certificate): string {
  return normalizeSerial(cert.serialNumber) ?? cert.serialNumber;
}

/** `now + days`, in whole milliseconds. */
export function daysFrom(now: Date, days: number): Date {
  return new Date(now.getTime() + days * 86_400_000);
}
