/**
 * The server side of the relay: a handler of `RelayService` (hosted with {@link hostService} beside any other
 * service) that keeps one session per client, and {@link RelayHost.accept}, which hands the next session of a
 * protocol to the caller as a channel end. Client → server messages arrive in numbered batches
 * (SendMessages); server → client messages wait in an outbox until the client's long poll (ReceiveMessages)
 * asks past them. A session is bound to the certificate that opened it; a client that stops calling for
 * `leaseMs` is taken for dead and its session fails.
 */
import { create, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { assertInteger, InvalidParameterError, ProtocolError } from '../../core/index.js';
import {
  EndSessionRequestSchema,
  EndSessionResponseSchema,
  OpenSessionRequestSchema,
  OpenSessionResponseSchema,
  ReceiveMessagesRequestSchema,
  type ReceiveMessagesResponse,
  type RelayService,
  type SendMessagesResponse,
  SendMessagesResponseSchema,
} from '../gen/veil/v1/relay_pb.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../grpc/material.js';
import type { PeerIdentity, ServiceHandler } from '../service.js';
import {
  BATCH_OVERHEAD_BYTES,
  DEFAULT_RELAY_MAX_MESSAGE_BYTES,
  DEFAULT_RELAY_TIMEOUT_MS,
  MAX_TAG_BYTES,
  type RelayedMessage,
} from './end.js';
import { type RelayHostChannel, Session } from './session.js';
import {
  batchWireBytes,
  checkProtocol,
  RELAY_PROTOCOL_VERSION,
  SESSION_ID,
  stringWireBytes,
  varintWireBytes,
} from './wire.js';

export type { RelayHostChannel } from './session.js';

/** Options of {@link createRelayHost}. */
export interface RelayHostOptions {
  /**
   * Largest payload of one message, in bytes (default 8 MiB, at most 63 MiB). The server hosting the relay must
   * accept messages of at least this plus 1 MiB (startServer's default, 64 MiB, does).
   */
  readonly maxMessageBytes?: number;
  /** Most sessions open at once, accepted or waiting for {@link RelayHost.accept} (default 64). */
  readonly maxSessions?: number;
  /** Which peers may open a session of which protocol (default: every peer the server's TLS admits). */
  readonly allow?: (peer: PeerIdentity, protocol: string) => boolean;
  /** Longest the server holds a client's long poll, in ms (default 10 000). */
  readonly maxWaitMs?: number;
  /**
   * A session whose client made no call for this long (no poll pending) is taken for dead: its end fails and
   * its slot is freed, in ms (default 30 000). A dead client is noticed within maxWaitMs + leaseMs.
   */
  readonly leaseMs?: number;
}

/** Options of {@link RelayHost.accept}. */
export interface RelayAcceptOptions {
  /** The protocol the client must have opened the session for, e.g. `psi.ecdh`. */
  readonly protocol: string;
  /** How long to wait for a client, and how long each `recv` of the end waits, in ms (default 60 000). */
  readonly timeoutMs?: number;
}

/** The server side of the relay; made by {@link createRelayHost}. */
export interface RelayHost {
  /** What `hostService(RelayService, relay.handler)` serves. */
  readonly handler: ServiceHandler<typeof RelayService>;
  /**
   * The next client session of `protocol` (the oldest one waiting, or the next one opened), as a channel end.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad protocol or timeoutMs
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION when no client opens one within timeoutMs, or the host closes
   */
  accept(options: RelayAcceptOptions): Promise<RelayHostChannel>;
  /** Sessions open now (accepted or waiting). */
  readonly sessions: number;
  /**
   * Closes every session's end with `reason`, fails pending accepts and refuses new sessions. Call it before
   * closing the server, so that clients polling in between learn why.
   */
  close(reason?: string): void;
}

interface Acceptor {
  readonly resolve: (session: Session) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

class Host implements RelayHost {
  readonly maxMessageBytes: number;
  private readonly maxSessions: number;
  private readonly maxWaitMs: number;
  private readonly leaseMs: number;
  private readonly allow: ((peer: PeerIdentity, protocol: string) => boolean) | undefined;
  private readonly open = new Map<string, Session>();
  /** Sessions opened and not yet accepted, oldest first. */
  private readonly unaccepted: Session[] = [];
  private readonly acceptors = new Map<string, Acceptor[]>();
  private sweeper: NodeJS.Timeout | undefined;
  private closedWith: string | undefined;
  readonly handler: ServiceHandler<typeof RelayService>;

  constructor(options: RelayHostOptions) {
    const fn = 'createRelayHost';
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_RELAY_MAX_MESSAGE_BYTES;
    this.maxSessions = options.maxSessions ?? 64;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    assertInteger(
      fn,
      'maxMessageBytes',
      this.maxMessageBytes,
      1,
      DEFAULT_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES,
    );
    assertInteger(fn, 'maxSessions', this.maxSessions, 1, 1_000_000);
    assertInteger(fn, 'maxWaitMs', this.maxWaitMs, 1, 600_000);
    assertInteger(fn, 'leaseMs', this.leaseMs, 1, 2 ** 31 - 1);
    if (options.allow !== undefined && typeof options.allow !== 'function') {
      throw new InvalidParameterError({
        fn,
        param: 'allow',
        value: options.allow,
        allowed: 'a function (peer, protocol) => boolean',
      });
    }
    this.allow = options.allow;
    this.handler = {
      openSession: async (request, peer) => {
        if (this.closedWith !== undefined) {
          throw new ConnectError(`the relay is closed: ${this.closedWith}`, Code.Unavailable);
        }
        if (request.protocolVersion !== RELAY_PROTOCOL_VERSION) {
          throw new ProtocolError(
            `relay protocol version ${request.protocolVersion} is not supported (this server speaks ${RELAY_PROTOCOL_VERSION})`,
            { peer: peer.id, expected: String(RELAY_PROTOCOL_VERSION) },
          );
        }
        if (!checkProtocol(request.protocol) || !SESSION_ID.test(request.session)) {
          throw new ProtocolError('OpenSession: protocol or session id malformed', { peer: peer.id });
        }
        const existing = this.open.get(request.session);
        if (existing) {
          // a retried OpenSession (its answer was lost)
          this.owned(existing, peer);
          if (existing.protocol !== request.protocol) {
            throw new ProtocolError(`relay session ${request.session} was opened for ${existing.protocol}`, {
              peer: peer.id,
              stage: 'OpenSession',
            });
          }
        } else {
          if (this.allow !== undefined && !this.allow(peer, request.protocol)) {
            throw new ConnectError(
              `${peer.id} may not open a ${request.protocol} session`,
              Code.PermissionDenied,
            );
          }
          if (this.open.size >= this.maxSessions) {
            throw new ConnectError(
              `the relay has ${this.maxSessions} sessions open, its limit; try again later`,
              Code.ResourceExhausted,
            );
          }
          const limit = Math.min(this.maxMessageBytes, request.maxMessageBytes || this.maxMessageBytes);
          this.add(new Session(request.session, request.protocol, peer, limit));
        }
        const opened = this.open.get(request.session)!;
        const response = create(OpenSessionResponseSchema, {
          maxMessageBytes: opened.maxMessageBytes,
          maxWaitMs: this.maxWaitMs,
        });
        opened.traffic.received += toBinary(OpenSessionRequestSchema, request).length;
        opened.traffic.sent += toBinary(OpenSessionResponseSchema, response).length;
        return response;
      },
      sendMessages: async (request, peer) => {
        const s = this.session(request.session, peer, 'SendMessages');
        s.lastSeen = Date.now();
        const seq = Number(request.seq);
        s.traffic.received += batchWireBytes(
          request.messages,
          stringWireBytes(request.session) + varintWireBytes(seq),
        );
        if (s.serverClosed !== undefined) {
          return sendReply(s, { nextSeq: BigInt(s.nextIn), closed: true, reason: s.serverClosed });
        }
        if (seq > s.nextIn) {
          this.violation(s, `message ${seq} arrived where ${s.nextIn} was expected (a gap)`);
        }
        const fresh: RelayedMessage[] = [];
        request.messages.forEach((m, i) => {
          const n = seq + i;
          if (m.payload.byteLength > s.maxMessageBytes || !validTag(m.tag)) {
            this.violation(
              s,
              `message ${n} (${m.payload.byteLength} bytes, tag ${m.tag.slice(0, 64)}) is over the limits`,
            );
          }
          if (n >= s.nextIn) {
            fresh.push({ tag: m.tag, payload: m.payload });
            return;
          }
          const prior = s.lastBatch.get(n);
          if (prior === undefined) this.violation(s, `message ${n} was sent again outside the retry window`);
          if (prior.tag !== m.tag || !sameBytes(prior.payload, m.payload)) {
            this.violation(s, `message ${n} was sent again with different content`);
          }
        });
        s.lastBatch = new Map(request.messages.map((m, i) => [seq + i, m]));
        s.nextIn += fresh.length;
        for (const m of fresh) s.end.deliver(m);
        return sendReply(s, { nextSeq: BigInt(s.nextIn) });
      },
      receiveMessages: async (request, peer) => {
        const s = this.session(request.session, peer, 'ReceiveMessages');
        s.lastSeen = Date.now();
        s.traffic.received += toBinary(ReceiveMessagesRequestSchema, request).length;
        const seq = Number(request.seq);
        if (seq < s.outStart || seq > s.outStart + s.outbox.length) {
          this.violation(
            s,
            `asked for message ${seq} where ${s.outStart}..${s.outStart + s.outbox.length} can be sent`,
          );
        }
        s.outbox.splice(0, seq - s.outStart);
        s.outStart = seq;
        s.endPoll({}); // a newer poll replaces an older one (e.g. a retry after a lost answer)
        if (s.outbox.length > 0 || s.serverClosed !== undefined) {
          return s.reply(s.take());
        }
        const waitMs = Math.min(request.waitMs, this.maxWaitMs);
        return new Promise<ReceiveMessagesResponse>((resolve) => {
          s.poll = { resolve, timer: setTimeout(() => s.endPoll({}), waitMs) };
        });
      },
      endSession: async (request, peer) => {
        const s = this.session(request.session, peer, 'EndSession');
        s.traffic.received += toBinary(EndSessionRequestSchema, request).length;
        s.end.peerClosed(request.reason || 'closed');
        s.endPoll({});
        this.remove(s);
        return create(EndSessionResponseSchema);
      },
    };
  }

  get sessions(): number {
    return this.open.size;
  }

  accept(options: RelayAcceptOptions): Promise<RelayHostChannel> {
    const fn = 'RelayHost.accept';
    const protocol = options?.protocol;
    if (!checkProtocol(protocol)) {
      throw new InvalidParameterError({
        fn,
        param: 'protocol',
        value: protocol,
        allowed: 'a non-empty string of at most 128 characters',
      });
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_RELAY_TIMEOUT_MS;
    assertInteger(fn, 'timeoutMs', timeoutMs, 1, 2 ** 31 - 1);
    const ready = (s: Session): RelayHostChannel => {
      s.end.setTimeoutMs(timeoutMs);
      return s.end;
    };
    if (this.closedWith !== undefined) {
      return Promise.reject(
        new ProtocolError(`the relay is closed: ${this.closedWith}`, { stage: protocol }),
      );
    }
    const i = this.unaccepted.findIndex((s) => s.protocol === protocol);
    if (i >= 0) return Promise.resolve(ready(this.unaccepted.splice(i, 1)[0]!));
    return new Promise<RelayHostChannel>((resolve, reject) => {
      const queue = this.acceptors.get(protocol) ?? [];
      this.acceptors.set(protocol, queue);
      const acceptor: Acceptor = {
        resolve: (s) => resolve(ready(s)),
        reject,
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(acceptor), 1);
          reject(
            new ProtocolError(`no client opened a ${protocol} session within ${timeoutMs} ms`, {
              stage: protocol,
            }),
          );
        }, timeoutMs),
      };
      queue.push(acceptor);
    });
  }

  close(reason = 'the relay closed'): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    for (const queue of this.acceptors.values()) {
      for (const a of queue.splice(0)) {
        clearTimeout(a.timer);
        a.reject(new ProtocolError(`the relay is closed: ${reason}`));
      }
    }
    for (const s of [...this.open.values()]) s.end.close(reason);
    this.unaccepted.length = 0;
  }

  private add(s: Session): void {
    this.open.set(s.id, s);
    const acceptor = this.acceptors.get(s.protocol)?.shift();
    if (acceptor) {
      clearTimeout(acceptor.timer);
      acceptor.resolve(s);
    } else this.unaccepted.push(s);
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(10, Math.min(1000, this.leaseMs / 4)));
    this.sweeper.unref();
  }

  private remove(s: Session): void {
    this.open.delete(s.id);
    const i = this.unaccepted.indexOf(s);
    if (i >= 0) this.unaccepted.splice(i, 1);
    if (this.open.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Fails and drops sessions whose client stopped calling. */
  private sweep(): void {
    const now = Date.now();
    for (const s of [...this.open.values()]) {
      if (s.poll || now - s.lastSeen <= this.leaseMs) continue;
      s.end.fail(`${s.identity.id} made no call for ${this.leaseMs} ms (its process or connection is gone)`);
      this.remove(s);
    }
  }

  /** The session `id`, which must belong to `peer`'s certificate. */
  private session(id: string, peer: PeerIdentity, rpc: string): Session {
    const s = this.open.get(id);
    if (s === undefined) {
      throw new ProtocolError(`no relay session ${id.slice(0, 32)} (never opened, ended, or expired)`, {
        peer: peer.id,
        stage: rpc,
      });
    }
    this.owned(s, peer);
    return s;
  }

  private owned(s: Session, peer: PeerIdentity): void {
    if (s.identity.fingerprint !== peer.fingerprint) {
      throw new ConnectError(
        `relay session ${s.id} belongs to another certificate than ${peer.id}'s`,
        Code.PermissionDenied,
      );
    }
  }

  /** The client broke the session's rules: its end fails, the session is dropped, the call is refused. */
  private violation(s: Session, message: string): never {
    s.end.fail(`${s.identity.id} broke the relay protocol: ${message}`);
    s.endPoll({});
    this.remove(s);
    throw new ProtocolError(`relay session ${s.id}: ${message}`, { peer: s.identity.id, stage: 'relay' });
  }
}

/** A SendMessages answer, counted. */
function sendReply(
  s: Session,
  init: MessageInitShape<typeof SendMessagesResponseSchema>,
): SendMessagesResponse {
  const response = create(SendMessagesResponseSchema, init);
  s.traffic.sent += toBinary(SendMessagesResponseSchema, response).length;
  return response;
}

/** Whether two byte arrays hold the same bytes (compared in place, without copies). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function validTag(tag: string): boolean {
  return tag.length > 0 && Buffer.byteLength(tag) <= MAX_TAG_BYTES;
}

/**
 * The server side of a relayed channel: a handler for `hostService(RelayService, relay.handler)` and
 * {@link RelayHost.accept}, which gives the server's end of the next client session of a protocol.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad maxMessageBytes, maxSessions, maxWaitMs,
 *   leaseMs or allow
 * @example
 * const relay = createRelayHost({ allow: (peer) => peer.id === 'bank' });
 * const server = await startServer({ host: '0.0.0.0', port: 7443, tls,
 *   services: [hostService(RelayService, relay.handler)] });
 * const channel = await relay.accept({ protocol: 'psi.ecdh', timeoutMs: 60_000 });
 * const result = await psiServer(channel, ...);
 * channel.close('done');
 */
export function createRelayHost(options: RelayHostOptions = {}): RelayHost {
  return new Host(options);
}
