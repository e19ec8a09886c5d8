/**
 * From a node's model delta to the wire and back: the node encodes with the compression the coordinator asked
 * for (none, unbiased stochastic quantisation, or top-k with error feedback kept across rounds), the coordinator
 * decodes any of the three encodings into a dense delta of the model's length.
 */
import { ProtocolError, type Rng } from '../../core/index.js';
import type { Compression, Update } from '../../transport/index.js';
import {
  densify,
  dequantize,
  type EncodedUpdate,
  type QuantizationBits,
  quantize,
  TopKCompressor,
} from '../compression/index.js';
import { fromUpdateMessage } from './update.js';

/** What a node keeps between rounds for compression (the top-k residual). */
export interface DeltaEncoderState {
  topK: TopKCompressor | null;
}

/** A fresh encoder state. */
export function newDeltaEncoderState(): DeltaEncoderState {
  return { topK: null };
}

/**
 * Encodes a delta as `compression` asks.
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a compression the coordinator should not have asked for
 */
export function encodeDelta(
  delta: Float32Array,
  compression: Compression | undefined,
  state: DeltaEncoderState,
  rng: Rng,
): EncodedUpdate {
  const kind = compression?.kind;
  switch (kind?.case) {
    case undefined:
    case 'none':
      return { kind: 'dense', delta };
    case 'quantization': {
      const bits = kind.value.bits;
      if (bits !== 2 && bits !== 4 && bits !== 8) {
        throw new ProtocolError(`quantization to ${bits} bits was asked`, { expected: '2, 4 or 8 bits' });
      }
      return { kind: 'quantized', ...quantize(delta, { bits: bits as QuantizationBits }, rng) };
    }
    case 'topK': {
      const fraction = kind.value.fraction;
      if (!(fraction > 0 && fraction <= 1)) {
        throw new ProtocolError(`top-k with fraction ${fraction} was asked`, {
          expected: 'a fraction in (0, 1]',
        });
      }
      if (!state.topK || state.topK.length !== delta.length) state.topK = new TopKCompressor(delta.length);
      return { kind: 'sparse', ...state.topK.compress(delta, fraction) };
    }
    default:
      throw new ProtocolError('unknown compression', { expected: 'none, quantization or top-k' });
  }
}

/**
 * Decodes an update message into a dense delta of `length` values (values are checked finite by the update
 * validation that follows).
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION naming what is wrong
 */
export function decodeDelta(msg: Update | undefined, length: number): Float32Array {
  const u = fromUpdateMessage(msg, length);
  switch (u.kind) {
    case 'dense':
      return u.delta;
    case 'quantized':
      return dequantize(u);
    case 'sparse':
      return densify(u);
  }
}
