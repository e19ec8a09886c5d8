/** What both sides of the relay agree on besides the proto: its version, session ids, protocol names. */

/** Version of the relay's message rules, sent in OpenSession. */
export const RELAY_PROTOCOL_VERSION = 1;

/** A session id: 128 random bits, as 32 lower-case hex digits. */
export const SESSION_ID = /^[0-9a-f]{32}$/;

/** Whether `protocol` can name a session's protocol: a non-empty string of at most 128 characters. */
export function checkProtocol(protocol: unknown): protocol is string {
  return typeof protocol === 'string' && protocol.length > 0 && protocol.length <= 128;
}

/** Bytes of a varint of `n` (a safe integer >= 0). */
function varintBytes(n: number): number {
  let bytes = 1;
  for (let rest = n; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes += 1;
  return bytes;
}

/** Bytes of a length-delimited field of `length` bytes (one-byte field key), 0 for an empty one (proto3). */
const delimited = (length: number): number => (length === 0 ? 0 : 1 + varintBytes(length) + length);

/** Bytes of a `RelayMessage` field of a batch, in its message (key, length, then tag and payload fields). */
const messageField = (m: { readonly tag: string; readonly payload: Uint8Array }): number => {
  const size = delimited(Buffer.byteLength(m.tag)) + delimited(m.payload.byteLength);
  return 1 + varintBytes(size) + size;
};

/**
 * Protobuf size of a message that carries a batch (SendMessagesRequest, ReceiveMessagesResponse), as on the wire:
 * the batch's fields plus `rest`, the size of its other fields. Computed rather than re-encoding megabytes.
 */
export function batchWireBytes(
  messages: readonly { readonly tag: string; readonly payload: Uint8Array }[],
  rest: number,
): number {
  let bytes = rest;
  for (const m of messages) bytes += messageField(m);
  return bytes;
}

/** Protobuf size of a string field (one-byte key), 0 when empty. */
export const stringWireBytes = (s: string): number => delimited(Buffer.byteLength(s));

/** Protobuf size of a varint field (one-byte key), 0 when 0. */
export const varintWireBytes = (n: number): number => (n === 0 ? 0 : 1 + varintBytes(n));
