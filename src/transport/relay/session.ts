/**
 * One client's session on the relay's server side: the server's channel end, the client → server sequence
 * number and last batch (what a retry may repeat), the server → client outbox kept until the client's poll
 * acknowledges it, and the poll waiting for it.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { type ReceiveMessagesResponse, ReceiveMessagesResponseSchema } from '../gen/veil/v1/relay_pb.js';
import type { PeerIdentity, TrafficCounter } from '../service.js';
import {
  batchLength,
  DEFAULT_RELAY_TIMEOUT_MS,
  type RelayChannel,
  RelayEnd,
  type RelayedMessage,
} from './end.js';
import { batchWireBytes, stringWireBytes } from './wire.js';

/** The server's end of a relayed channel: `peer` is the client certificate's common name. */
export interface RelayHostChannel extends RelayChannel {
  /** The client, as its verified certificate says. */
  readonly identity: PeerIdentity;
  /** The protocol the session was opened for. */
  readonly protocol: string;
  /**
   * Protobuf bytes of the session's calls as on the wire (responses sent, requests received), beside `stats()`'s
   * payload and framing bytes; gRPC's 5-byte message prefix and HTTP/2 framing are not counted.
   */
  wireBytes(): TrafficCounter;
}

type Reply = MessageInitShape<typeof ReceiveMessagesResponseSchema>;

interface Poll {
  readonly resolve: (response: ReceiveMessagesResponse) => void;
  readonly timer: NodeJS.Timeout;
}

/** One client's session: the end the server's protocol holds, and both directions' sequence numbers. */
export class Session {
  /** Sequence number of the next client → server message. */
  nextIn = 0;
  /** The messages of the last accepted SendMessages, by sequence number: what a retry may repeat. */
  lastBatch = new Map<number, RelayedMessage>();
  /** Server → client messages not yet acknowledged; the first one's sequence number is `outStart`. */
  outbox: RelayedMessage[] = [];
  outStart = 0;
  poll: Poll | undefined;
  lastSeen = Date.now();
  /** Why the server's end closed, once it did. */
  serverClosed: string | undefined;
  /** Protobuf bytes of this session's calls: requests received, responses sent. */
  readonly traffic: TrafficCounter = { sent: 0, received: 0 };
  readonly end: HostEnd;

  constructor(
    readonly id: string,
    readonly protocol: string,
    readonly identity: PeerIdentity,
    /** Largest payload of one message in this session (the lower of the server's and the client's limits). */
    readonly maxMessageBytes: number,
  ) {
    this.end = new HostEnd(this);
  }

  /** Answers the pending poll soon (after the current synchronous sends, so that they go in one batch). */
  wake(): void {
    if (!this.poll) return;
    queueMicrotask(() => {
      const poll = this.poll;
      if (!poll || (this.outbox.length === 0 && this.serverClosed === undefined)) return;
      this.endPoll(this.take());
    });
  }

  /** Ends the pending poll, if any, with `response`. */
  endPoll(response: Reply): void {
    const poll = this.poll;
    if (!poll) return;
    this.poll = undefined;
    this.lastSeen = Date.now();
    clearTimeout(poll.timer);
    poll.resolve(this.reply(response));
  }

  /** A ReceiveMessages answer, counted. */
  reply(init: Reply): ReceiveMessagesResponse {
    const response = create(ReceiveMessagesResponseSchema, init);
    this.traffic.sent += batchWireBytes(
      response.messages,
      (response.closed ? 2 : 0) + stringWireBytes(response.reason),
    );
    return response;
  }

  /** The next batch of the outbox (see batchLength); `closed` with the last message after the server's close. */
  take(): Reply {
    const messages = this.outbox.slice(0, batchLength(this.outbox, this.maxMessageBytes));
    // The session stays until the client ends it or goes quiet, so that a SendMessages racing with this answer
    // learns of the close too, rather than of a session that no longer exists.
    const last = messages.length === this.outbox.length && this.serverClosed !== undefined;
    return last ? { messages, closed: true, reason: this.serverClosed ?? '' } : { messages };
  }
}

/** The server's channel end of one session. */
export class HostEnd extends RelayEnd implements RelayHostChannel {
  readonly identity: PeerIdentity;
  readonly protocol: string;

  constructor(private readonly session: Session) {
    super(session.identity.id, session.maxMessageBytes, DEFAULT_RELAY_TIMEOUT_MS);
    this.identity = session.identity;
    this.protocol = session.protocol;
  }

  wireBytes(): TrafficCounter {
    return { ...this.session.traffic };
  }

  /** How long each `recv` waits (accept's timeoutMs). */
  setTimeoutMs(ms: number): void {
    this.timeoutMs = ms;
  }

  protected transmit(message: RelayedMessage): void {
    this.session.outbox.push(message);
    this.session.wake();
  }

  protected closed(reason: string): void {
    this.session.serverClosed = reason;
    this.session.wake();
  }
}
