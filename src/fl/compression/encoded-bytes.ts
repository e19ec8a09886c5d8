/**
 * Sizes of encoded updates on the wire: the exact byte length of the protobuf `Update` message
 * (proto/veil/v1/fl.proto) that carries one, so the caller can report bytes per update without encoding it.
 * Proto3 rules: a scalar field at its default (0, empty bytes) is omitted; a set oneof member is always
 * written; every field number here is below 16, so each tag is one byte.
 */
import { InvalidParameterError } from '../../core/index.js';
import type { QuantizedVector } from './quantize.js';
import type { SparseVector } from './top-k.js';

/** An update in one of the three wire encodings of `Update`. */
export type EncodedUpdate =
  | { readonly kind: 'dense'; readonly delta: Float32Array }
  | ({ readonly kind: 'quantized' } & QuantizedVector)
  | ({ readonly kind: 'sparse' } & SparseVector);

/** Bytes of an unsigned varint. */
function varintBytes(value: number): number {
  let n = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** A length-delimited field (bytes or sub-message) of `size` bytes; omitted when empty unless `always`. */
function delimited(size: number, always = false): number {
  return size === 0 && !always ? 0 : 1 + varintBytes(size) + size;
}

/**
 * The exact size in bytes of the protobuf `Update` message that carries `update`.
 * For a quantised update of n coordinates at b bits this is ceil(n b / 8) plus a header of at most 35 bytes.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an unknown kind
 * @example
 * encodedBytes({ kind: 'quantized', ...quantize(delta, { bits: 8 }, rng) }); // ~ delta.length + 20
 */
export function encodedBytes(update: EncodedUpdate): number {
  let body: number;
  let length: number;
  switch (update?.kind) {
    case 'dense':
      length = update.delta.length;
      body = delimited(update.delta.length * 4); // DenseUpdate.float32_le
      break;
    case 'quantized':
      length = update.length;
      body =
        2 + // bits: 2, 4 or 8, never the default 0
        (update.lower !== 0 ? 5 : 0) + // lower: fixed32
        (update.upper !== 0 ? 5 : 0) + // upper: fixed32
        delimited(update.levels.length);
      break;
    case 'sparse':
      length = update.length;
      body = delimited(update.indices.length * 4) + delimited(update.values.length * 4);
      break;
    default:
      throw new InvalidParameterError({
        fn: 'encodedBytes',
        param: 'update.kind',
        value: (update as { kind?: unknown } | undefined)?.kind,
        allowed: "'dense', 'quantized' or 'sparse'",
      });
  }
  // Update.length (uint64, field 1) + the oneof member (fields 2-4), written even when empty.
  return (length !== 0 ? 1 + varintBytes(length) : 0) + delimited(body, true);
}
