/**
 * `veil attest verify|dev-root`: checks an enclave's attestation document before anything is sent to it
 * (docs/cleanroom.md), and keeps the development root of simulated enclaves. A genuine AWS Nitro document is
 * checked against AWS's pinned root (or --root); a simulated enclave's only against a root given with
 * --allow-simulated, and then reported as platform "simulated". Any failed check exits 6 (VEIL_INTEGRITY_FAILED)
 * naming the check; a bad flag or an unreadable file exits 2 naming the flag.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Attestation,
  loadOrCreateDevRoot,
  readAttestationDocument,
  verifyAttestation,
} from '../../attest/index.js';
import {
  ConfigError,
  type ConfigIssue,
  IntegrityError,
  type InvalidParameterDetails,
  InvalidParameterError,
} from '../../core/index.js';
import type { CommandResult } from '../output.js';

const CONTEXT = 'command-line flags';
const SIMULATED_NOTE =
  'SIMULATED enclave: a development root vouches for it, no hardware does; never send it real data';

/** A file's bytes, or an issue naming the flag (ENOENT, EISDIR, …). */
function readFlagFile(flag: string, path: string, allowed: string, issues: ConfigIssue[]): Buffer | null {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    issues.push({ path: flag, value: path, allowed: `${allowed} (${code})` });
    return null;
  }
}

/** PEM certificate files: their text, or an issue naming the flag. */
function readPems(flag: string, paths: readonly string[] | undefined, issues: ConfigIssue[]): string[] {
  const pems: string[] = [];
  for (const path of paths ?? []) {
    const bytes = readFlagFile(flag, path, 'a readable PEM certificate file', issues);
    if (bytes === null) continue;
    const pem = bytes.toString('utf8');
    try {
      new X509Certificate(pem);
      pems.push(pem);
    } catch {
      issues.push({
        path: flag,
        value: path,
        allowed: 'a PEM certificate file (-----BEGIN CERTIFICATE-----)',
      });
    }
  }
  return pems;
}

/** `--expect-pcr N=HEX`, repeatable: index → lower-case hex. */
function parseExpectPcrs(
  values: readonly string[] | undefined,
  issues: ConfigIssue[],
): Record<number, string> {
  const pcrs: Record<number, string> = {};
  for (const value of values ?? []) {
    const m = /^(\d{1,2})=([0-9a-fA-F]+)$/.exec(value.trim());
    const index = m ? Number(m[1]) : Number.NaN;
    const hex = m?.[2]?.toLowerCase() ?? '';
    if (!m || index > 31 || ![64, 96, 128].includes(hex.length)) {
      issues.push({
        path: '--expect-pcr',
        value,
        allowed: 'N=HEX with N in [0, 31] and HEX of 32, 48 or 64 bytes (e.g. 0=<96 hex digits>)',
      });
      continue;
    }
    if (pcrs[index] !== undefined && pcrs[index] !== hex) {
      issues.push({
        path: '--expect-pcr',
        value,
        allowed: `one expected value per PCR (PCR${index} given twice)`,
      });
      continue;
    }
    pcrs[index] = hex;
  }
  return pcrs;
}

function parseAt(value: string | undefined, issues: ConfigIssue[]): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (
    !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim()) ||
    Number.isNaN(at.getTime())
  ) {
    issues.push({ path: '--at', value, allowed: 'an ISO 8601 time, e.g. 2022-07-26T18:39:12Z' });
    return undefined;
  }
  return at;
}

function parseNonce(value: string | undefined, issues: ConfigIssue[]): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const hex = value.trim();
  if (!/^([0-9a-fA-F]{2}){1,1024}$/.test(hex)) {
    issues.push({ path: '--nonce', value, allowed: 'hex of 1 to 1024 bytes (an even number of hex digits)' });
    return undefined;
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function attestationSummary(a: Attestation): Record<string, unknown> {
  return {
    ok: true,
    platform: a.platform,
    moduleId: a.moduleId,
    timestamp: a.timestamp.toISOString(),
    pcrs: Object.fromEntries(Object.entries(a.pcrs).map(([k, v]) => [String(k), v])),
    publicKey: a.publicKey,
    userData: a.userData,
    nonce: a.nonce,
    certificateSha256: a.certificateSha256,
  };
}

/**
 * `veil attest verify --document FILE [--root PEM_FILE] [--at ISO-TIME] [--expect-pcr N=HEX ...]
 * [--allow-simulated ROOT_PEM_FILE] [--nonce HEX]`: verifies an attestation document (raw CBOR or base64), its
 * certificates valid now (or at --at).
 * @throws {ConfigError} VEIL_CONFIG_INVALID (exit 2) naming each bad flag or unreadable file
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED (exit 6) with `details.check` naming the failed check
 * @example await attestVerify({ document: 'doc.b64', expectPcr: ['0=ab…'], allowSimulated: ['dev-root.pem'] });
 */
export async function attestVerify(flags: {
  document?: string;
  root?: string[];
  at?: string;
  expectPcr?: string[];
  allowSimulated?: string[];
  nonce?: string;
}): Promise<CommandResult> {
  const issues: ConfigIssue[] = [];
  let bytes: Buffer | null = null;
  if (flags.document === undefined || flags.document === '')
    issues.push({
      path: '--document',
      value: undefined,
      allowed: 'an attestation document file (raw CBOR or base64)',
    });
  else
    bytes = readFlagFile(
      '--document',
      flags.document,
      'a readable attestation document file (raw CBOR or base64)',
      issues,
    );
  const roots = readPems('--root', flags.root, issues);
  const allowSimulatedRoots = readPems('--allow-simulated', flags.allowSimulated, issues);
  const at = parseAt(flags.at, issues);
  const expectPcrs = parseExpectPcrs(flags.expectPcr, issues);
  const nonce = parseNonce(flags.nonce, issues);
  if (issues.length > 0 || bytes === null) throw new ConfigError(issues, CONTEXT);

  // validity now unless --at says otherwise: a document whose chain has expired is not accepted today
  const when = at ?? new Date();
  const document = readAttestationDocument(bytes);
  let a: Attestation;
  try {
    a = verifyAttestation(document, {
      ...(roots.length > 0 ? { roots } : {}),
      allowSimulatedRoots,
      at: when,
      expectPcrs,
      ...(nonce ? { nonce } : {}),
    });
  } catch (error) {
    if (error instanceof IntegrityError && error.details['check'] === 'validity' && at === undefined)
      throw new IntegrityError(`${error.message} (--at TIME checks another time)`, { ...error.details });
    // the one refusal of a flag the checks above leave to the library: AWS's root given as a simulated root
    if (error instanceof InvalidParameterError) {
      const d = error.details as unknown as InvalidParameterDetails;
      if (d.param.startsWith('allowSimulatedRoots'))
        throw new ConfigError(
          [{ path: '--allow-simulated', value: flags.allowSimulated?.join(', '), allowed: d.allowed }],
          CONTEXT,
        );
    }
    throw error;
  }
  const checks = [
    'signature',
    'chain',
    `validity at ${when.toISOString()}`,
    a.platform === 'simulated' ? 'root (an allowed SIMULATED root)' : 'root',
    ...Object.keys(expectPcrs).map((k) => `PCR${k}`),
    ...(nonce ? ['nonce'] : []),
  ];
  const pcrLines = Object.entries(a.pcrs).map(([k, v]) => `  PCR${k.padEnd(9)}${v}`);
  return {
    summary: attestationSummary(a),
    text: [
      `attestation verified: platform ${a.platform}`,
      ...(a.platform === 'simulated' ? [`  ${SIMULATED_NOTE}`] : []),
      `  module      ${a.moduleId}`,
      `  timestamp   ${a.timestamp.toISOString()}`,
      ...pcrLines,
      `  public key  ${a.publicKey ?? 'none'}`,
      ...(a.nonce ? [`  nonce       ${a.nonce}`] : []),
      `  checked     ${checks.join(', ')}`,
    ],
  };
}

/**
 * `veil attest dev-root --dir DIR`: loads the development root of simulated enclaves kept in DIR, or creates it;
 * prints the certificate's path (for --allow-simulated) and its SHA-256.
 * @throws {ConfigError} VEIL_CONFIG_INVALID (exit 2) naming --dir: missing, a file, a half-present or bad pair
 * @example await attestDevRoot({ dir: '.veil/attest' });
 */
export async function attestDevRoot(flags: { dir?: string }): Promise<CommandResult> {
  if (flags.dir === undefined || flags.dir === '')
    throw new ConfigError(
      [
        {
          path: '--dir',
          value: undefined,
          allowed: 'the directory that keeps dev-root.pem and dev-root.key',
        },
      ],
      CONTEXT,
    );
  const dir = flags.dir;
  let loaded: Awaited<ReturnType<typeof loadOrCreateDevRoot>>;
  try {
    loaded = await loadOrCreateDevRoot(dir);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(
        error.issues.map((i) => ({ ...i, path: i.path === 'loadOrCreateDevRoot.dir' ? '--dir' : i.path })),
        CONTEXT,
      );
    throw error;
  }
  const certificatePath = join(dir, 'dev-root.pem');
  const keyPath = join(dir, 'dev-root.key');
  const der = new X509Certificate(loaded.root.certificatePem).raw;
  const sha256 = createHash('sha256').update(der).digest('hex');
  return {
    summary: { ok: true, created: loaded.created, certificatePath, keyPath, sha256 },
    text: [
      `${loaded.created ? 'created' : 'using'} the SIMULATED enclave development root in ${dir}`,
      `  certificate ${certificatePath} (verify with --allow-simulated ${certificatePath})`,
      `  key         ${keyPath} (mode 0600)`,
      `  SHA-256     ${sha256}`,
      '  for development and tests only: a simulated enclave proves nothing about the code it runs',
    ],
  };
}
