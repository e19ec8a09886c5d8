/**
 * What both ends of a relayed channel share: the {@link RelayChannel} shape (structurally the two-party channel
 * of the protocols, which transport may not import), the inbox a `recv` waits on, the byte accounting, and how
 * a closed or failed end answers. How messages travel is each end's own (host.ts, client.ts).
 */
import { InvalidParameterError, ProtocolError } from '../../core/index.js';

/** Default largest payload of one message: 8 MiB (the protocols send chunks of at most 1 MiB). */
export const DEFAULT_RELAY_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Default time `accept`, `openRelayChannel` and each `recv` wait, in ms. */
export const DEFAULT_RELAY_TIMEOUT_MS = 60_000;
/** Longest tag, in UTF-8 bytes. */
export const MAX_TAG_BYTES = 256;
/** Bytes a batch of messages may carry on the wire beyond its payloads (tags, sequence numbers, framing). */
export const BATCH_OVERHEAD_BYTES = 1024 * 1024;

/** Bytes and messages that went through one end of a channel. */
export interface RelayChannelStats {
  /** Payload plus framing bytes sent (framing: the UTF-8 tag and a 4-byte length, as in memory). */
  readonly bytesSent: number;
  /** Payload plus framing bytes received. */
  readonly bytesReceived: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
}

/**
 * One end of a two-party, ordered, reliable message channel carried by the relay: the same shape as the
 * protocols' channel (`peer`, `send`, `recv`, `close`, `stats`), so either end can be given to a protocol.
 */
export interface RelayChannel {
  /** How errors name the other party: the client certificate's CN on the server, the server's name on the client. */
  readonly peer: string;
  /**
   * Sends one message; `tag` names the protocol step. Never blocks: messages are queued and delivered in order
   * in the background; a failed delivery makes the next `send` or `recv` throw.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a payload that is not a Uint8Array or is larger
   *   than the channel's maxMessageBytes, or an empty or over-long tag
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION when the channel is closed or failed
   */
  send(tag: string, payload: Uint8Array): void;
  /**
   * Receives the next message, which must carry `tag`.
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag, a closed or failed channel,
   *   or a timeout (naming `tag`)
   */
  recv(tag: string): Promise<Uint8Array>;
  /** Closes this end: the peer's pending and later `recv` calls fail with a ProtocolError naming `reason`. */
  close(reason?: string): void;
  /** What went through this end so far. */
  stats(): RelayChannelStats;
}

/** One message as the ends keep it. */
export interface RelayedMessage {
  readonly tag: string;
  readonly payload: Uint8Array;
}

/** Most messages in one batch (one SendMessages request or ReceiveMessages answer). */
export const MAX_BATCH_MESSAGES = 1024;

/**
 * How many messages from the start of `queue` go in the next batch: at least one, at most
 * {@link MAX_BATCH_MESSAGES}, and no more than `maxBytes` of payload and tags, so that a batch stays within
 * maxMessageBytes + {@link BATCH_OVERHEAD_BYTES} on the wire.
 */
export function batchLength(queue: readonly RelayedMessage[], maxBytes: number): number {
  let bytes = 0;
  let count = 0;
  for (const m of queue) {
    const size = m.payload.byteLength + m.tag.length * 3;
    if (count > 0 && (bytes + size > maxBytes || count >= MAX_BATCH_MESSAGES)) break;
    bytes += size;
    count += 1;
  }
  return count;
}

/**
 * A plain Uint8Array with its own ArrayBuffer holding a copy of `bytes`, as the in-memory channel delivers: unlike
 * `bytes.slice()`, a copy for a Node Buffer too.
 */
const ownCopy = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

/** Payload plus framing bytes of a message, as the in-memory channel counts them. */
export const framedBytes = (tag: string, payload: Uint8Array): number =>
  payload.byteLength + Buffer.byteLength(tag) + 4;

/** Checks a tag: a non-empty string of at most {@link MAX_TAG_BYTES} UTF-8 bytes. */
export function checkTag(fn: string, tag: unknown): asserts tag is string {
  if (typeof tag !== 'string' || tag.length === 0 || Buffer.byteLength(tag) > MAX_TAG_BYTES) {
    throw new InvalidParameterError({
      fn,
      param: 'tag',
      value: tag,
      allowed: `a non-empty string of at most ${MAX_TAG_BYTES} UTF-8 bytes`,
    });
  }
}

/**
 * The part of an end that does not depend on the direction: `send` checks and counts, then hands the message to
 * {@link transmit}; arriving messages are {@link deliver}ed to the inbox; {@link peerClosed} and {@link fail}
 * end it. A peer's close lets `recv` read what arrived before it; a failure does not.
 */
export abstract class RelayEnd implements RelayChannel {
  private readonly inbox: RelayedMessage[] = [];
  private waiter: ((m: RelayedMessage | Error) => void) | undefined;
  /** Why this end is closed (by itself or its peer); messages already in the inbox can still be read. */
  protected closedWith: string | undefined;
  /** Why this end failed (transport or peer misbehaviour); nothing more can be sent or received. */
  protected failure: ProtocolError | undefined;
  private readonly counters = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 };

  constructor(
    readonly peer: string,
    protected readonly maxMessageBytes: number,
    protected timeoutMs: number,
  ) {}

  /** Carries one message to the peer, in order (after the checks of `send`). */
  protected abstract transmit(message: RelayedMessage): void;
  /** Tells the peer this end is closed (after the state says so). */
  protected abstract closed(reason: string): void;

  send(tag: string, payload: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (this.closedWith !== undefined) throw this.closedError(tag);
    checkTag('RelayChannel.send', tag);
    if (!(payload instanceof Uint8Array)) {
      throw new InvalidParameterError({
        fn: 'RelayChannel.send',
        param: 'payload',
        value: payload,
        allowed: 'a Uint8Array',
      });
    }
    if (payload.byteLength > this.maxMessageBytes) {
      throw new InvalidParameterError({
        fn: 'RelayChannel.send',
        param: 'payload',
        value: `${payload.byteLength} bytes (tag ${tag})`,
        allowed: `at most ${this.maxMessageBytes} bytes (the channel's maxMessageBytes); split it into chunks`,
      });
    }
    this.counters.bytesSent += framedBytes(tag, payload);
    this.counters.messagesSent += 1;
    // a copy: the sender may reuse its buffer once send returns (not `payload.slice()`, a view for a Buffer)
    this.transmit({ tag, payload: ownCopy(payload) });
  }

  async recv(tag: string): Promise<Uint8Array> {
    if (this.failure) throw this.failure;
    const message = this.inbox.shift() ?? (await this.wait(tag));
    if (message.tag !== tag) {
      throw new ProtocolError(`${this.peer} sent a ${message.tag} message where ${tag} was expected`, {
        peer: this.peer,
        stage: tag,
        expected: tag,
      });
    }
    this.counters.bytesReceived += framedBytes(message.tag, message.payload);
    this.counters.messagesReceived += 1;
    return message.payload;
  }

  close(reason = 'closed'): void {
    if (this.closedWith !== undefined || this.failure) return;
    this.closedWith = reason;
    this.closed(reason);
    this.reject(this.closedError());
  }

  stats(): RelayChannelStats {
    return { ...this.counters };
  }

  /**
   * A message from the peer, in order. Its payload is handed out as a copy that owns its bytes: the decoded one
   * is a view into the call's frame, shared with the batch's other messages (and the host's retry window), and
   * on the client a Node Buffer, whose `slice` does not copy.
   */
  deliver(received: RelayedMessage): void {
    const message = { tag: received.tag, payload: ownCopy(received.payload) };
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(message);
    } else this.inbox.push(message);
  }

  /** The peer closed its end: `recv` reads what arrived, then fails naming `reason`. */
  peerClosed(reason: string): void {
    if (this.closedWith === undefined) this.closedWith = `${this.peer} closed it (${reason})`;
    this.reject(this.closedError());
  }

  /**
   * The channel broke (`cause`): every later `send` and `recv` throws a ProtocolError naming it. Ignored once the
   * end is closed (by either side): what breaks after a close (e.g. the calls it cancels) changes nothing.
   */
  fail(cause: string, error?: unknown): void {
    if (this.failure || this.closedWith !== undefined) return;
    this.failure = new ProtocolError(`channel to ${this.peer} failed: ${cause}`, { peer: this.peer });
    if (error !== undefined) this.failure.cause = error;
    this.inbox.length = 0;
    this.reject(this.failure);
  }

  /** Whether the end can still send (not closed, not failed). */
  get open(): boolean {
    return this.closedWith === undefined && this.failure === undefined;
  }

  private reject(error: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.(error);
  }

  private closedError(tag?: string): ProtocolError {
    return new ProtocolError(`channel to ${this.peer} is closed: ${this.closedWith}`, {
      peer: this.peer,
      ...(tag !== undefined ? { stage: tag } : {}),
    });
  }

  private wait(tag: string): Promise<RelayedMessage> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedError(tag));
    if (this.waiter) {
      return Promise.reject(
        new InvalidParameterError({
          fn: 'RelayChannel.recv',
          param: 'tag',
          value: tag,
          allowed: 'a recv after the previous one settled (one at a time)',
        }),
      );
    }
    return new Promise<RelayedMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(
          new ProtocolError(`${this.peer} sent no ${tag} message within ${this.timeoutMs} ms`, {
            peer: this.peer,
            stage: tag,
          }),
        );
      }, this.timeoutMs);
      this.waiter = (m) => {
        clearTimeout(timer);
        if (m instanceof Error) reject(m);
        else resolve(m);
      };
    });
  }
}
