/**
 * Model parameters on the wire: one flat float32 vector, little-endian, with its SHA-256 (checked on receipt,
 * so a corrupted or truncated transfer is refused rather than trained on).
 */
import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { IntegrityError, ProtocolError } from '../../core/index.js';
import type { Param } from '../../ml/index.js';
import { type ModelParameters, ModelParametersSchema } from '../../transport/index.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of a float32 vector, little-endian. */
export function float32ToBytes(v: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i]!, true);
  return out;
}

/** A float32 vector from little-endian bytes (a copy). */
export function bytesToFloat32(bytes: Uint8Array): Float32Array {
  const n = bytes.length >>> 2;
  if (LITTLE_ENDIAN) return new Float32Array(new Uint8Array(bytes).buffer, 0, n);
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Encodes a parameter vector with its hash. */
export function encodeParameters(v: Float32Array): ModelParameters {
  const bytes = float32ToBytes(v);
  return create(ModelParametersSchema, {
    float32Le: bytes,
    length: BigInt(v.length),
    sha256: createHash('sha256').update(bytes).digest(),
  });
}

/**
 * Decodes and checks a parameter vector: present, of the expected length, hash matching, all finite.
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a missing or wrongly sized vector or non-finite values
 * @throws {IntegrityError} VEIL_INTEGRITY_FAILED when the hash does not match
 */
export function decodeParameters(
  msg: ModelParameters | undefined,
  expectedLength: number,
  context: string,
): Float32Array {
  if (!msg)
    throw new ProtocolError(`${context}: model parameters missing`, {
      expected: `${expectedLength} parameters`,
    });
  if (msg.length !== BigInt(expectedLength) || msg.float32Le.length !== expectedLength * 4) {
    throw new ProtocolError(
      `${context}: ${msg.length} parameters (${msg.float32Le.length} bytes), expected ${expectedLength}`,
      {
        expected: `${expectedLength} parameters`,
      },
    );
  }
  const digest = createHash('sha256').update(msg.float32Le).digest();
  if (msg.sha256.length !== 32 || !digest.equals(Buffer.from(msg.sha256))) {
    throw new IntegrityError(`${context}: model parameters do not match their SHA-256`);
  }
  const v = bytesToFloat32(msg.float32Le);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!))
      throw new ProtocolError(`${context}: parameter ${i} is not finite`, { expected: 'finite values' });
  }
  return v;
}

/** All of a model's parameters as one flat vector (in parameter order). */
export function flattenParams(params: readonly Param[]): Float32Array {
  const out = new Float32Array(params.reduce((n, p) => n + p.value.length, 0));
  let offset = 0;
  for (const p of params) {
    out.set(p.value, offset);
    offset += p.value.length;
  }
  return out;
}

/** Copies a flat vector into a model's parameters (in place). */
export function loadParams(params: readonly Param[], v: Float32Array): void {
  let offset = 0;
  for (const p of params) {
    p.value.set(v.subarray(offset, offset + p.value.length));
    offset += p.value.length;
  }
}

/** Parameter sizes, in order (for masks and splits). */
export function paramSizes(params: readonly Param[]): number[] {
  return params.map((p) => p.value.length);
}
