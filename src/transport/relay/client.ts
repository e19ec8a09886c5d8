/**
 * The client side of the relay: {@link openRelayChannel} opens a session on a server hosting `RelayService` and
 * returns the client's channel end. Two loops run behind it: one sends queued messages in numbered batches (one
 * call in flight, so a burst of sends travels together), one long-polls for the server's messages. A call that
 * fails in a way that may pass (server unreachable, deadline) is retried with the same sequence numbers, which
 * the server deduplicates, until `timeoutMs` has gone by; then the channel fails.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { assertInteger, csprng, InvalidParameterError, ProtocolError, type Rng } from '../../core/index.js';
import {
  EndSessionRequestSchema,
  EndSessionResponseSchema,
  OpenSessionRequestSchema,
  OpenSessionResponseSchema,
  ReceiveMessagesRequestSchema,
  RelayService,
  SendMessagesRequestSchema,
  SendMessagesResponseSchema,
} from '../gen/veil/v1/relay_pb.js';
import { createServiceClient, type GrpcServiceClient } from '../grpc/client.js';
import { RpcError } from '../grpc/errors.js';
import type { ClientTlsOptions } from '../grpc/material.js';
import type { TrafficCounter } from '../service.js';
import {
  BATCH_OVERHEAD_BYTES,
  batchLength,
  DEFAULT_RELAY_MAX_MESSAGE_BYTES,
  DEFAULT_RELAY_TIMEOUT_MS,
  MAX_TAG_BYTES,
  type RelayChannel,
  RelayEnd,
  type RelayedMessage,
} from './end.js';
import {
  batchWireBytes,
  checkProtocol,
  RELAY_PROTOCOL_VERSION,
  stringWireBytes,
  varintWireBytes,
} from './wire.js';

/** Options of {@link openRelayChannel}. */
export interface RelayClientOptions {
  /** The server, `https://host:port` (the host must be a SAN of the server's certificate). */
  readonly url: string;
  /** This party's certificate and key, and the CA(s) the server's certificate must chain to. */
  readonly tls: ClientTlsOptions;
  /** The protocol to run, e.g. `psi.ecdh`: the server's `accept` asks for it. */
  readonly protocol: string;
  /**
   * How long opening the session, each `recv`, and the retries of a failing call may take, in ms
   * (default 60 000).
   */
  readonly timeoutMs?: number;
  /** The name the server's certificate must match, when it differs from the URL's host. */
  readonly serverName?: string;
  /** How errors name the server (default: the URL's host name, which its certificate was checked against). */
  readonly peer?: string;
  /**
   * Largest payload of one message, in bytes, either way (default 8 MiB); the session's limit is the lower of
   * this and the server's.
   */
  readonly maxMessageBytes?: number;
  /** How long each poll asks the server to wait for a message, in ms (default 10 000; the server may cap it). */
  readonly pollWaitMs?: number;
  /**
   * How long a failing call (the server unreachable, a deadline) is retried before the channel fails, in ms
   * (default the lower of timeoutMs and 30 000): a dead server is detected this soon even when a protocol
   * waits minutes for the peer's next message.
   */
  readonly retryMs?: number;
  /** Draws the session id (default: the CSPRNG). */
  readonly rng?: Rng;
}

/** The client's end of a relayed channel. */
export interface RelayClientChannel extends RelayChannel {
  /** The session id (32 hex digits). */
  readonly session: string;
  /** The payload limit in force: the lower of this client's and the server's. */
  readonly maxMessageBytes: number;
  /** Protobuf bytes of the calls this end made, as on the wire (requests sent, responses received). */
  wireBytes(): TrafficCounter;
  /**
   * Resolves once this end is done: after `close`, when its queued messages and the close reached the server
   * (or could not); after the peer's close or a failure, at once. Its connection is then closed.
   */
  finished(): Promise<void>;
}

const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;

class ClientEnd extends RelayEnd implements RelayClientChannel {
  /** Messages sent and not yet acknowledged; the first one's sequence number is `outStart`. */
  private readonly queue: RelayedMessage[] = [];
  private outStart = 0;
  private nextIn = 0;
  private pumping: Promise<void> | undefined;
  private pumpActive = false;
  private polling = true;
  private done: Promise<void> | undefined;
  private finish!: () => void;
  private readonly finishedPromise = new Promise<void>((resolve) => {
    this.finish = resolve;
  });

  constructor(
    peer: string,
    override readonly maxMessageBytes: number,
    timeoutMs: number,
    readonly session: string,
    private readonly rpc: GrpcServiceClient<typeof RelayService>,
    private readonly traffic: TrafficCounter,
    private readonly pollWaitMs: number,
    private readonly retryMs: number,
  ) {
    super(peer, maxMessageBytes, timeoutMs);
    void this.poll();
  }

  wireBytes(): TrafficCounter {
    return { ...this.traffic };
  }

  finished(): Promise<void> {
    return this.finishedPromise;
  }

  protected transmit(message: RelayedMessage): void {
    this.queue.push(message);
    if (!this.pumpActive) {
      this.pumpActive = true;
      this.pumping = this.pump();
    }
  }

  protected closed(reason: string): void {
    this.shutdown(reason);
  }

  override peerClosed(reason: string): void {
    super.peerClosed(reason);
    this.queue.length = 0;
    // tells the server its close arrived, so that it can forget the session at once
    this.shutdown(`${this.peer} closed it`);
  }

  override fail(cause: string, error?: unknown): void {
    super.fail(cause, error);
    this.queue.length = 0;
    this.shutdown(undefined);
  }

  /**
   * Stops polling; once the queue is sent (or dropped), ends the session with `reason` (none after a failure)
   * and closes the connection. Once only.
   */
  private shutdown(reason: string | undefined): void {
    this.polling = false;
    this.done ??= (async () => {
      await this.pumping;
      if (reason !== undefined && this.failure === undefined) {
        const request = create(EndSessionRequestSchema, { session: this.session, reason });
        const ended = await retry(() => this.rpc.endSession(request), this.retryMs).catch(() => undefined);
        if (ended) {
          this.traffic.sent += toBinary(EndSessionRequestSchema, request).length;
          this.traffic.received += toBinary(EndSessionResponseSchema, ended).length;
        }
      }
      await this.rpc.close();
      this.finish();
    })();
  }

  /** Sends the queue in batches of up to maxMessageBytes of payload, one call at a time. */
  private async pump(): Promise<void> {
    try {
      await Promise.resolve(); // let the caller's synchronous sends join this batch
      await this.sendQueue();
    } finally {
      // here, not in a .finally() callback: a send between the two would find a pump that has already stopped
      this.pumpActive = false;
    }
  }

  private async sendQueue(): Promise<void> {
    while (this.queue.length > 0 && this.failure === undefined) {
      const count = batchLength(this.queue, this.maxMessageBytes);
      const batch = this.queue.slice(0, count);
      const seq = this.outStart;
      let reply: Awaited<ReturnType<GrpcServiceClient<typeof RelayService>['sendMessages']>>;
      try {
        const request = create(SendMessagesRequestSchema, {
          session: this.session,
          seq: BigInt(seq),
          messages: batch,
        });
        reply = await this.retrying(() => this.rpc.sendMessages(request));
        this.traffic.sent += batchWireBytes(batch, stringWireBytes(this.session) + varintWireBytes(seq));
        this.traffic.received += toBinary(SendMessagesResponseSchema, reply).length;
      } catch (error) {
        this.fail(`could not deliver message ${seq} (tag ${batch[0]!.tag}): ${reason(error)}`, error);
        return;
      }
      if (reply.closed) {
        this.peerClosed(reply.reason || 'closed');
        return;
      }
      if (Number(reply.nextSeq) !== seq + count) {
        this.fail(`the server acknowledged up to ${reply.nextSeq} after messages ${seq}..${seq + count - 1}`);
        return;
      }
      this.queue.splice(0, count);
      this.outStart = seq + count;
    }
  }

  /** Long-polls for the server's messages until the channel closes or fails. */
  private async poll(): Promise<void> {
    while (this.polling) {
      let reply: Awaited<ReturnType<GrpcServiceClient<typeof RelayService>['receiveMessages']>>;
      try {
        const request = create(ReceiveMessagesRequestSchema, {
          session: this.session,
          seq: BigInt(this.nextIn),
          waitMs: this.pollWaitMs,
        });
        reply = await this.retrying(() =>
          this.rpc.receiveMessages(request, { timeoutMs: this.pollWaitMs + this.timeoutMs }),
        );
        this.traffic.sent += toBinary(ReceiveMessagesRequestSchema, request).length;
        this.traffic.received += batchWireBytes(
          reply.messages,
          (reply.closed ? 2 : 0) + stringWireBytes(reply.reason),
        );
      } catch (error) {
        if (this.polling) this.fail(`could not receive message ${this.nextIn}: ${reason(error)}`, error);
        return;
      }
      if (!this.polling) return;
      for (const m of reply.messages) {
        if (
          m.payload.byteLength > this.maxMessageBytes ||
          m.tag === '' ||
          Buffer.byteLength(m.tag) > MAX_TAG_BYTES
        ) {
          this.fail(`message ${this.nextIn} (${m.payload.byteLength} bytes) is over the channel's limits`);
          return;
        }
        this.nextIn += 1;
        this.deliver({ tag: m.tag, payload: m.payload });
      }
      if (reply.closed) {
        this.peerClosed(reply.reason || 'closed');
        return;
      }
    }
  }

  /** `call`, again after a retryable failure (with backoff), until retryMs has passed since the first one. */
  private retrying<T>(call: () => Promise<T>): Promise<T> {
    return retry(call, this.retryMs, () => this.failure === undefined);
  }
}

async function retry<T>(
  call: () => Promise<T>,
  timeoutMs: number,
  active: () => boolean = () => true,
): Promise<T> {
  let first: number | undefined;
  let delay = RETRY_FIRST_MS;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      first ??= Date.now();
      if (!(error instanceof RpcError) || !error.retryable || !active()) throw error;
      if (Date.now() - first + delay > timeoutMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens a relayed channel to a server hosting `RelayService` (see {@link createRelayHost}) over gRPC with mutual
 * TLS 1.3: the session is bound to this party's certificate, and the server's `accept({ protocol })` gets the
 * other end. Resolves once the server has opened the session (not once it accepted it: messages sent before
 * wait there).
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad url, protocol, timeoutMs, serverName, peer,
 *   maxMessageBytes or pollWaitMs
 * @throws {ConfigError} VEIL_CONFIG_INVALID for unreadable or mismatched TLS material
 * @throws {RpcError} VEIL_PROTOCOL_VIOLATION when the server refuses the session (not allowed, too many
 *   sessions) or cannot be reached within timeoutMs
 * @example
 * const channel = await openRelayChannel({ url: 'https://bank.example.org:7443', protocol: 'psi.ecdh',
 *   tls: { cert: { path: 'certs/hospital-1.crt' }, key: { path: 'certs/hospital-1.key' }, ca: { path: 'certs/ca.crt' } } });
 * const result = await psiClient(channel, ...);
 * channel.close('done');
 * await channel.finished();
 */
export async function openRelayChannel(options: RelayClientOptions): Promise<RelayClientChannel> {
  const fn = 'openRelayChannel';
  const timeoutMs = options.timeoutMs ?? DEFAULT_RELAY_TIMEOUT_MS;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_RELAY_MAX_MESSAGE_BYTES;
  const pollWaitMs = options.pollWaitMs ?? 10_000;
  const retryMs = options.retryMs ?? Math.min(timeoutMs, 30_000);
  assertInteger(fn, 'timeoutMs', timeoutMs, 1, 2 ** 31 - 1);
  assertInteger(fn, 'retryMs', retryMs, 1, 2 ** 31 - 1);
  assertInteger(fn, 'maxMessageBytes', maxMessageBytes, 1, 2 ** 31 - 1 - BATCH_OVERHEAD_BYTES);
  assertInteger(fn, 'pollWaitMs', pollWaitMs, 1, 600_000);
  if (!checkProtocol(options.protocol)) {
    throw new InvalidParameterError({
      fn,
      param: 'protocol',
      value: options.protocol,
      allowed: 'a non-empty string of at most 128 characters',
    });
  }
  if (options.peer !== undefined && (typeof options.peer !== 'string' || options.peer === '')) {
    throw new InvalidParameterError({
      fn,
      param: 'peer',
      value: options.peer,
      allowed: 'a non-empty string',
    });
  }
  const traffic: TrafficCounter = { sent: 0, received: 0 };
  const rpc = await createServiceClient(RelayService, {
    url: options.url,
    tls: options.tls,
    timeoutMs,
    maxMessageBytes: maxMessageBytes + BATCH_OVERHEAD_BYTES,
    label: 'relay',
    ...(options.serverName !== undefined ? { serverName: options.serverName } : {}),
  });
  const peer = options.peer ?? options.serverName ?? new URL(options.url).hostname;
  const id = new Uint8Array(16);
  (options.rng ?? csprng()).fillBytes(id);
  const session = Buffer.from(id).toString('hex');
  try {
    const request = create(OpenSessionRequestSchema, {
      protocolVersion: RELAY_PROTOCOL_VERSION,
      protocol: options.protocol,
      session,
      maxMessageBytes,
    });
    const opened = await retry(() => rpc.openSession(request), timeoutMs);
    // counted here rather than by the transport's TrafficCounter, which re-encodes every message to measure it
    traffic.sent += toBinary(OpenSessionRequestSchema, request).length;
    traffic.received += toBinary(OpenSessionResponseSchema, opened).length;
    const limit = Math.min(maxMessageBytes, opened.maxMessageBytes || maxMessageBytes);
    const wait = Math.min(pollWaitMs, opened.maxWaitMs || pollWaitMs);
    return new ClientEnd(peer, limit, timeoutMs, session, rpc, traffic, wait, retryMs);
  } catch (error) {
    await rpc.close();
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(`could not open a relay session with ${peer}: ${reason(error)}`, { peer });
  }
}
