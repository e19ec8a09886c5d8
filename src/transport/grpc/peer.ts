/**
 * The caller's identity, taken from the TLS connection the request arrived on and never from anything the
 * caller sent: OpenSSL has verified the client certificate's chain (and the CRL, when one is configured)
 * during the handshake; here its subject CN becomes the peer id, the SHA-256 of its DER encoding the
 * fingerprint, and its serial is checked against the revoked serials.
 */
import { createHash } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { PeerIdentity } from '../service.js';
import { normalizeSerial } from '../tls/names.js';

/** The outcome of authenticating one connection or request. */
export type PeerCheck =
  | { readonly ok: true; readonly peer: PeerIdentity }
  | { readonly ok: false; readonly status: 'unauthenticated' | 'permission_denied'; readonly reason: string };

/**
 * The identity in a verified peer certificate, or why there is none. A certificate without exactly one
 * subject CN is refused: the CN is the peer's name in the federation.
 */
export function identityFromCertificate(cert: PeerCertificate | undefined): PeerCheck {
  if (cert === undefined || cert.raw === undefined || Object.keys(cert).length === 0) {
    return { ok: false, status: 'unauthenticated', reason: 'no client certificate' };
  }
  const cn: unknown = cert.subject?.CN;
  if (typeof cn !== 'string' || cn.length === 0) {
    return {
      ok: false,
      status: 'unauthenticated',
      reason: 'the client certificate must have exactly one subject common name',
    };
  }
  const serial = normalizeSerial(cert.serialNumber ?? '');
  if (serial === undefined) {
    return { ok: false, status: 'unauthenticated', reason: 'the client certificate has no serial number' };
  }
  const fingerprint = createHash('sha256').update(cert.raw).digest('hex');
  return { ok: true, peer: Object.freeze({ id: cn, fingerprint, serial }) };
}

/**
 * Authenticates the peer of a TLS socket: it must have passed certificate verification (`authorized`), carry
 * a certificate with one CN, and not be revoked.
 */
export function checkTlsPeer(socket: TLSSocket, revoked: ReadonlySet<string>): PeerCheck {
  if (!socket.authorized) {
    const reason = socket.authorizationError;
    return {
      ok: false,
      status: 'unauthenticated',
      reason: `client certificate not verified${reason ? ` (${String(reason)})` : ''}`,
    };
  }
  const check = identityFromCertificate(socket.getPeerCertificate());
  if (check.ok && revoked.has(check.peer.serial!)) {
    return { ok: false, status: 'permission_denied', reason: 'the client certificate has been revoked' };
  }
  return check;
}
