/**
 * Checks for the names the development CA writes into certificates and onto disk: a certificate name is both a
 * file name (`<name>.crt`, `<name>.key`) and the subject's common name (the peer id a coordinator sees), so it
 * must be safe as both. Hosts become subject-alternative names of a coordinator certificate.
 */
import { isIP } from 'node:net';
import { InvalidParameterError } from '../../core/index.js';

/** Letters, digits, '.', '_' and '-', starting with a letter or digit, 1 to 64 characters (X.520 ub-common-name). */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Names the CA directory uses for its own files. */
const RESERVED_NAMES = new Set(['ca', 'crl', 'issued', 'revoked']);
const NAME_ALLOWED =
  "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, not ending with '.', " +
  "and not one of 'ca', 'crl', 'issued', 'revoked'";

/**
 * Asserts that `name` can be a certificate's common name and a file name.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER
 */
export function assertCertificateName(fn: string, param: string, name: unknown): asserts name is string {
  if (
    typeof name !== 'string' ||
    !NAME_PATTERN.test(name) ||
    name.endsWith('.') ||
    name.includes('..') ||
    RESERVED_NAMES.has(name.toLowerCase())
  ) {
    throw new InvalidParameterError({ fn, param, value: name, allowed: NAME_ALLOWED });
  }
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** True for a DNS host name (letters, digits and '-' in dot-separated labels, at most 253 characters). */
function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => DNS_LABEL.test(label));
}

/** A validated subject-alternative name: a DNS name or an IP address. */
export type HostName =
  | { readonly kind: 'dns'; readonly value: string }
  | { readonly kind: 'ip'; readonly value: string };

/**
 * Parses a list of host names (DNS names or IPv4/IPv6 addresses, no wildcards) for a certificate's SANs.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a non-array, an empty list or a bad entry
 */
export function parseHosts(fn: string, param: string, hosts: unknown): readonly HostName[] {
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new InvalidParameterError({ fn, param, value: hosts, allowed: 'a non-empty array of host names' });
  }
  return hosts.map((host: unknown, i): HostName => {
    if (typeof host === 'string' && isIP(host) !== 0) return { kind: 'ip', value: host };
    if (typeof host === 'string' && isDnsName(host)) return { kind: 'dns', value: host.toLowerCase() };
    throw new InvalidParameterError({
      fn,
      param: `${param}[${i}]`,
      value: host,
      allowed: 'a DNS name (e.g. coordinator.example.org, localhost) or an IP address (e.g. 127.0.0.1)',
    });
  });
}

/**
 * The canonical form of a certificate serial number: lower-case hex without leading zeros or separators, so
 * that Node's (`'0A1B…'`), @peculiar/x509's (`'0a1b…'`) and a user's (`'0a:1b:…'`) spellings compare equal.
 * Returns `undefined` when `serial` is not hex.
 */
export function normalizeSerial(serial: string): string | undefined {
  const hex = serial.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) return undefined;
  const trimmed = hex.replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}

/**
 * {@link normalizeSerial} for an argument of a public function.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when `serial` is not a hex string
 */
export function parseSerial(fn: string, param: string, serial: unknown): string {
  const normalized = typeof serial === 'string' ? normalizeSerial(serial) : undefined;
  if (normalized === undefined) {
    throw new InvalidParameterError({
      fn,
      param,
      value: serial,
      allowed: "a certificate serial number in hex (e.g. '3f2a…' or '3F:2A:…')",
    });
  }
  return normalized;
}
