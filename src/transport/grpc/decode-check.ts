/**
 * Malformed protobuf is the caller's mistake: INVALID_ARGUMENT, not INTERNAL. ConnectRPC decodes a request
 * before any interceptor or implementation runs and reports a decode failure as INTERNAL ("parse binary: …"),
 * which tells a peer the server is broken and makes operators hunt for a bug that is not theirs.
 *
 * {@link checkRequestDecoding} wraps each method's handler: it reads the (single, uncompressed, binary)
 * envelope of a unary request, decodes it once with the method's input schema, and when that fails hands the
 * handler an empty message instead and marks the call in its context values; the server's implementation
 * then answers INVALID_ARGUMENT naming the method. Requests it cannot judge (compressed, JSON, several or
 * incomplete envelopes, over the size limit) pass through unchanged, and ConnectRPC answers them as before.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { createContextKey, createContextValues } from '@connectrpc/connect';
import type { UniversalHandler, UniversalServerRequest } from '@connectrpc/connect/protocol';

/** Why the request body is not a valid message of the method's input type; undefined when it is (or unknown). */
export const DECODE_FAILURE_KEY = createContextKey<string | undefined>(undefined, {
  description: 'veil request decode failure',
});

const ENVELOPE_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0x01;
/** gRPC and gRPC-web with the protobuf codec (no suffix is protobuf); a JSON body's errors are already right. */
const BINARY_CONTENT_TYPE = /^application\/grpc(?:-web)?(?:\+proto)?(?:;|$)/i;
/** One envelope holding an empty message: decodes to the input type's defaults. */
const EMPTY_ENVELOPE = new Uint8Array(ENVELOPE_HEADER_BYTES);

/**
 * Wraps a ConnectRPC unary handler so that a request body that does not decode reaches the implementation as
 * an empty message with {@link DECODE_FAILURE_KEY} set. `maxMessageBytes` bounds what is buffered.
 */
export function checkRequestDecoding(handler: UniversalHandler, maxMessageBytes: number): UniversalHandler {
  const checked = async (request: UniversalServerRequest) => {
    const body = request.body;
    const type = request.header.get('content-type') ?? '';
    if (!isByteStream(body) || !BINARY_CONTENT_TYPE.test(type)) return handler(request);
    const { chunks, rest, bytes } = await buffer(body, maxMessageBytes + ENVELOPE_HEADER_BYTES);
    const failure = rest === undefined ? decodeFailure(handler, concat(chunks, bytes)) : undefined;
    if (failure === undefined) return handler({ ...request, body: replay(chunks, rest) });
    const contextValues = request.contextValues ?? createContextValues();
    contextValues.set(DECODE_FAILURE_KEY, failure);
    return handler({ ...request, body: replay([EMPTY_ENVELOPE], undefined), contextValues });
  };
  return Object.assign(checked, {
    protocolNames: handler.protocolNames,
    service: handler.service,
    method: handler.method,
    requestPath: handler.requestPath,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
  });
}

/** Why `body` (the whole request) is not one valid message of the method's input, or undefined. */
function decodeFailure(handler: UniversalHandler, body: Uint8Array): string | undefined {
  if (body.length < ENVELOPE_HEADER_BYTES) return undefined;
  const flags = body[0] as number;
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
  if (flags !== 0 && (flags & COMPRESSED_FLAG) !== 0) return undefined;
  if (flags !== 0 || body.length !== ENVELOPE_HEADER_BYTES + length) return undefined;
  try {
    fromBinary(handler.method.input, body.subarray(ENVELOPE_HEADER_BYTES));
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function isByteStream(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}

/**
 * Reads chunks until the stream ends (rest undefined) or more than `limit` bytes were read. A stream that fails
 * (the peer reset it) leaves a rest that fails the same way, so ConnectRPC meets the error where it would have.
 */
async function buffer(
  body: AsyncIterable<Uint8Array>,
  limit: number,
): Promise<{ chunks: Uint8Array[]; rest: AsyncIterator<Uint8Array> | undefined; bytes: number }> {
  const iterator = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await iterator.next();
    } catch (error) {
      return { chunks, rest: failing(error), bytes };
    }
    if (next.done === true) return { chunks, rest: undefined, bytes };
    chunks.push(next.value);
    bytes += next.value.length;
    if (bytes > limit) return { chunks, rest: iterator, bytes };
  }
}

function failing(error: unknown): AsyncIterator<Uint8Array> {
  return { next: () => Promise.reject(error) };
}

function concat(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** The buffered chunks again, then whatever was left unread. */
async function* replay(
  chunks: readonly Uint8Array[],
  rest: AsyncIterator<Uint8Array> | undefined,
): AsyncIterable<Uint8Array> {
  yield* chunks;
  if (rest === undefined) return;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}
