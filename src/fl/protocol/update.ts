/**
 * Model updates on the wire (new local parameters minus the round's global ones) in the three encodings of
 * `Update`: dense float32, stochastically quantised levels, or sparse (top-k) indices and values. Decoding
 * checks every size against the model before allocating, so a hostile length cannot make the coordinator
 * allocate gigabytes; values are checked finite by the update validation that follows.
 */
import { create } from '@bufbuild/protobuf';
import { ProtocolError } from '../../core/index.js';
import { type Update, UpdateSchema } from '../../transport/index.js';
import { type EncodedUpdate, packedLength } from '../compression/index.js';
import { bytesToFloat32, float32ToBytes } from './parameters.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function uint32ToBytes(v: Uint32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setUint32(i * 4, v[i]!, true);
  return out;
}

function bytesToUint32(bytes: Uint8Array): Uint32Array {
  const n = bytes.length >>> 2;
  if (LITTLE_ENDIAN) return new Uint32Array(new Uint8Array(bytes).buffer, 0, n);
  const out = new Uint32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

/** The protobuf message of an encoded update. */
export function toUpdateMessage(u: EncodedUpdate): Update {
  switch (u.kind) {
    case 'dense':
      return create(UpdateSchema, {
        length: BigInt(u.delta.length),
        encoding: { case: 'dense', value: { float32Le: float32ToBytes(u.delta) } },
      });
    case 'quantized':
      return create(UpdateSchema, {
        length: BigInt(u.length),
        encoding: {
          case: 'quantized',
          value: { bits: u.bits, lower: u.lower, upper: u.upper, levels: u.levels },
        },
      });
    case 'sparse':
      return create(UpdateSchema, {
        length: BigInt(u.length),
        encoding: {
          case: 'sparse',
          value: { indicesLe: uint32ToBytes(u.indices), valuesF32Le: float32ToBytes(u.values) },
        },
      });
  }
}

/**
 * Reads an update message into its encoded form, checking every size against `expectedLength`.
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION naming what is wrong
 */
export function fromUpdateMessage(msg: Update | undefined, expectedLength: number): EncodedUpdate {
  if (!msg) throw new ProtocolError('update missing', { expected: 'an Update message' });
  if (msg.length !== BigInt(expectedLength)) {
    throw new ProtocolError(`update has ${msg.length} parameters, the model has ${expectedLength}`, {
      expected: `${expectedLength} parameters`,
    });
  }
  const enc = msg.encoding;
  switch (enc.case) {
    case 'dense': {
      if (enc.value.float32Le.length !== expectedLength * 4) {
        throw new ProtocolError(
          `dense update has ${enc.value.float32Le.length} bytes, expected ${expectedLength * 4}`,
        );
      }
      return { kind: 'dense', delta: bytesToFloat32(enc.value.float32Le) };
    }
    case 'quantized': {
      const { bits, lower, upper, levels } = enc.value;
      if (bits !== 2 && bits !== 4 && bits !== 8) {
        throw new ProtocolError(`quantized update with ${bits} bits`, { expected: '2, 4 or 8 bits' });
      }
      if (!Number.isFinite(lower) || !Number.isFinite(upper) || upper < lower) {
        throw new ProtocolError(`quantized update range [${lower}, ${upper}] is not a finite interval`);
      }
      if (levels.length !== packedLength(expectedLength, bits)) {
        throw new ProtocolError(
          `quantized update has ${levels.length} bytes of levels, expected ${packedLength(expectedLength, bits)}`,
        );
      }
      return { kind: 'quantized', bits, lower, upper, levels, length: expectedLength };
    }
    case 'sparse': {
      const { indicesLe, valuesF32Le } = enc.value;
      if (
        indicesLe.length % 4 !== 0 ||
        indicesLe.length !== valuesF32Le.length ||
        indicesLe.length / 4 > expectedLength
      ) {
        throw new ProtocolError(
          `sparse update has ${indicesLe.length} bytes of indices and ${valuesF32Le.length} bytes of values`,
          { expected: `equal sizes, a multiple of 4, at most ${expectedLength * 4}` },
        );
      }
      const indices = bytesToUint32(indicesLe);
      for (let i = 0; i < indices.length; i++) {
        if (indices[i]! >= expectedLength || (i > 0 && indices[i]! <= indices[i - 1]!)) {
          throw new ProtocolError(
            `sparse update index ${indices[i]} at position ${i} is out of range or out of order`,
            {
              expected: `strictly increasing indices below ${expectedLength}`,
            },
          );
        }
      }
      return { kind: 'sparse', indices, values: bytesToFloat32(valuesF32Le), length: expectedLength };
    }
    default:
      throw new ProtocolError('update has no encoding', { expected: 'dense, quantized or sparse' });
  }
}
