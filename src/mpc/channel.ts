/**
 * The two-party channel every protocol of `mpc` runs over. A protocol is an async function of one party that
 * sends and receives tagged messages through a {@link Channel}; it knows nothing of sockets (ARCHITECTURE.md
 * decision 4). {@link memoryChannelPair} joins two parties in one process (tests, simulation, `veil gc run`
 * without `--processes`); the jobs layer binds the same interface to gRPC over mutual TLS.
 *
 * Each message carries the name of the protocol step that produced it. {@link Channel.recv} names the step it
 * expects, and a message from another step (a peer that deviates from the message order) is a
 * {@link ProtocolError} before any of its bytes are used.
 */
import { InvalidParameterError, ProtocolError } from '../core/index.js';

/** Bytes and messages that went through one end of a channel. */
export interface ChannelStats {
  /** Payload plus framing bytes sent (framing: the tag and a 4-byte length). */
  readonly bytesSent: number;
  /** Payload plus framing bytes received. */
  readonly bytesReceived: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
}

/** One end of a two-party, ordered, reliable message channel. */
export interface Channel {
  /** How errors name the other party, e.g. `garbler` or `bank`. */
  readonly peer: string;
  /** Sends one message; `tag` names the protocol step (e.g. `ot.base.A`). Never blocks on the peer. */
  send(tag: string, payload: Uint8Array): void;
  /**
   * Receives the next message, which must carry `tag`.
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag, a closed channel, or a
   *   timeout
   */
  recv(tag: string): Promise<Uint8Array>;
  /** Closes this end: the peer's pending and later `recv` calls fail with a ProtocolError naming `reason`. */
  close(reason?: string): void;
  /** What went through this end so far. */
  stats(): ChannelStats;
}

/** Options of {@link memoryChannelPair}. */
export interface MemoryChannelOptions {
  /** How each end names its peer in errors (default `['party 1', 'party 0']`: end 0's peer is party 1). */
  readonly peers?: readonly [string, string];
  /** Fail a `recv` that waits longer than this (default: wait for ever). */
  readonly timeoutMs?: number;
}

interface Message {
  readonly tag: string;
  readonly payload: Uint8Array;
}

const framing = (tag: string) => Buffer.byteLength(tag) + 4;

class MemoryEnd implements Channel {
  private readonly inbox: Message[] = [];
  private waiter: ((m: Message | Error) => void) | undefined;
  private closedWith: string | undefined;
  private counters = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 };
  other!: MemoryEnd;

  constructor(
    readonly peer: string,
    private readonly timeoutMs: number | undefined,
  ) {}

  send(tag: string, payload: Uint8Array): void {
    if (this.closedWith !== undefined)
      throw new ProtocolError(`channel to ${this.peer} is closed: ${this.closedWith}`, {
        peer: this.peer,
        stage: tag,
      });
    if (!(payload instanceof Uint8Array))
      throw new InvalidParameterError({
        fn: 'Channel.send',
        param: 'payload',
        value: payload,
        allowed: 'a Uint8Array',
      });
    this.counters.bytesSent += payload.byteLength + framing(tag);
    this.counters.messagesSent += 1;
    // a copy: the sender may reuse its buffer, as it could with a socket
    this.other.deliver({ tag, payload: new Uint8Array(payload) }); // a real copy, also of a Buffer (whose slice() is a view)
  }

  deliver(message: Message): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(message);
    } else this.inbox.push(message);
  }

  async recv(tag: string): Promise<Uint8Array> {
    const message = this.inbox.shift() ?? (await this.wait(tag));
    if (message.tag !== tag)
      throw new ProtocolError(`${this.peer} sent a ${message.tag} message where ${tag} was expected`, {
        peer: this.peer,
        stage: tag,
        expected: tag,
      });
    this.counters.bytesReceived += message.payload.byteLength + framing(tag);
    this.counters.messagesReceived += 1;
    return message.payload;
  }

  private wait(tag: string): Promise<Message> {
    if (this.closedWith !== undefined)
      return Promise.reject(
        new ProtocolError(`channel to ${this.peer} is closed: ${this.closedWith}`, {
          peer: this.peer,
          stage: tag,
        }),
      );
    if (this.waiter)
      return Promise.reject(
        new InvalidParameterError({
          fn: 'Channel.recv',
          param: 'tag',
          value: tag,
          allowed: 'a recv after the previous one settled (one at a time)',
        }),
      );
    return new Promise<Message>((resolve, reject) => {
      const timer =
        this.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.waiter = undefined;
              reject(
                new ProtocolError(`${this.peer} sent no ${tag} message within ${this.timeoutMs} ms`, {
                  peer: this.peer,
                  stage: tag,
                }),
              );
            }, this.timeoutMs);
      this.waiter = (m) => {
        if (timer) clearTimeout(timer);
        if (m instanceof Error) reject(m);
        else resolve(m);
      };
    });
  }

  close(reason = 'closed'): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    this.other.peerClosed(reason);
  }

  peerClosed(reason: string): void {
    if (this.closedWith === undefined) this.closedWith = `${this.peer} closed it (${reason})`;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(new ProtocolError(`channel to ${this.peer} is closed: ${this.closedWith}`, { peer: this.peer }));
  }

  stats(): ChannelStats {
    return { ...this.counters };
  }
}

/**
 * Two connected ends of an in-memory channel: what end 0 sends, end 1 receives, in order.
 * @example
 * const [a, b] = memoryChannelPair({ peers: ['evaluator', 'garbler'] });
 * const [garbled, evaluated] = await Promise.all([garble(a, ...), evaluate(b, ...)]);
 */
export function memoryChannelPair(options: MemoryChannelOptions = {}): [Channel, Channel] {
  const [p0, p1] = options.peers ?? ['party 1', 'party 0'];
  const a = new MemoryEnd(p0, options.timeoutMs);
  const b = new MemoryEnd(p1, options.timeoutMs);
  a.other = b;
  b.other = a;
  return [a, b];
}
