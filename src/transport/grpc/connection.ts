/**
 * The client's HTTP/2 connection, watched closely enough to explain a refused certificate.
 *
 * A missing client certificate gets a TLS alert ("certificate required"), which Node reports. But a certificate
 * that is present and fails verification (untrusted CA, revoked, expired, no EKU clientAuth) is checked by
 * Node's TLS server after the handshake and, with `rejectUnauthorized`, the socket is simply destroyed: no
 * alert names the reason. Under TLS 1.3 the client has finished its side of the handshake and sent its request
 * by then, so the call fails as a cancelled stream. What tells the cases apart: a server that accepted the
 * connection always sends its HTTP/2 SETTINGS first; a connection that closed without them was refused at the
 * TLS layer. Messages name the server by the client's label (`coordinator`, `Health service`, …).
 */
import type { ClientHttp2Session, ClientHttp2Stream, SecureClientSessionOptions } from 'node:http2';
import { Http2SessionManager } from '@connectrpc/connect-node';
import { RpcError } from './errors.js';

/** A watched connection; see the file comment. */
export interface ObservedConnection {
  /** What createGrpcTransport takes as `sessionManager`. */
  readonly sessionManager: Pick<Http2SessionManager, 'authority' | 'request' | 'notifyResponseByteRead'>;
  /** Records that a call was answered (so the server accepted the connection). */
  answered(): void;
  /** The same error, or a clearer one when the connection was refused after the TLS handshake. */
  explain(error: RpcError): Promise<RpcError>;
  /** Ends the connection. */
  abort(): void;
}

/** Failures that may hide a refused handshake. */
const AMBIGUOUS = new Set(['canceled', 'unavailable', 'aborted', 'internal', 'unknown']);

/** Wraps ConnectRPC's Http2SessionManager to learn whether the server ever spoke HTTP/2 to us. */
export function observedConnection(
  baseUrl: string,
  nodeOptions: SecureClientSessionOptions,
  server = 'coordinator',
): ObservedConnection {
  const manager = new Http2SessionManager(baseUrl, {}, nodeOptions);
  const greeted = new WeakSet<ClientHttp2Session>();
  const watched = new WeakSet<ClientHttp2Session>();
  let last: ClientHttp2Session | undefined;

  const sessionManager = {
    authority: manager.authority,
    async request(...args: Parameters<Http2SessionManager['request']>): Promise<ClientHttp2Stream> {
      const stream = await manager.request(...args);
      const session = stream.session as ClientHttp2Session | undefined;
      if (session !== undefined) {
        last = session;
        if (!watched.has(session)) {
          watched.add(session);
          session.once('remoteSettings', () => greeted.add(session));
        }
      }
      return stream;
    },
    notifyResponseByteRead: (stream: ClientHttp2Stream) => manager.notifyResponseByteRead(stream),
  };

  return {
    sessionManager,
    answered() {
      if (last !== undefined) greeted.add(last);
    },
    async explain(error) {
      if (error.remoteCode !== undefined || !AMBIGUOUS.has(error.status)) return error;
      const tls = tlsFailure(error.cause, server);
      if (tls !== undefined) {
        return new RpcError({
          rpc: error.rpc,
          server,
          peer: baseUrl,
          status: 'unauthenticated',
          reason: tls,
          cause: error.cause,
        });
      }
      if (last === undefined) return error;
      const session = last;
      // The stream closes a moment before its session; let the session's close land first.
      await new Promise((resolve) => setImmediate(resolve));
      if (!(session.closed || session.destroyed) || greeted.has(session)) return error;
      return new RpcError({
        rpc: error.rpc,
        server,
        peer: baseUrl,
        status: 'unauthenticated',
        reason: `the ${server} closed the connection right after the TLS handshake, before any HTTP/2 exchange: it refused this node's certificate (not issued by a CA it trusts, revoked, expired, missing, or without EKU clientAuth)`,
        cause: error.cause,
      });
    },
    abort() {
      manager.abort();
    },
  };
}

/** Codes Node gives when it cannot verify the server's certificate (chain, dates, host name). */
const SERVER_CERT_CODE =
  /^(?:ERR_TLS_CERT_ALTNAME_INVALID|INVALID_PURPOSE|[A-Z_]*CERT[A-Z_]*|UNABLE_TO_[A-Z_]+)$/;

/** A sentence for a TLS failure somewhere in the cause chain, or undefined when there is none. */
function tlsFailure(error: unknown, server: string): string | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') continue;
    if (code.startsWith('ERR_SSL_') && code.includes('ALERT')) {
      return `the ${server} refused the TLS handshake (${cause.message.replace(/^.*SSL routines:[^:]*:/, '')}): check this node's certificate`;
    }
    if (SERVER_CERT_CODE.test(code))
      return `the ${server}'s certificate was not accepted (${code}: ${cause.message})`;
  }
  return undefined;
}
