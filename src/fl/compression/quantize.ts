/**
 * Unbiased stochastic quantisation of an update to 8, 4 or 2 bits per coordinate (QSGD-style with one
 * per-vector range; Alistarh, Grubic, Li, Tomioka & Vojnovic 2017, "QSGD", arXiv:1610.02132; Suresh, Yu,
 * Kumar & McMahan 2017, "Distributed mean estimation with limited communication", arXiv:1611.00429, Sec. 2).
 *
 * With L = 2^bits - 1 levels above `lower` and step s = (upper - lower) / L, a coordinate x with
 * t = (x - lower) / s is sent as floor(t) + 1 with probability t - floor(t), else floor(t), so
 * E[lower + level s] = x: the server's mean stays unbiased and only its variance grows (by at most s^2 / 4 per
 * coordinate). The wire form is the proto message QuantizedUpdate {bits, lower, upper, levels}: levels packed
 * little-endian, least significant bits first, ceil(length bits / 8) bytes.
 */
import { InvalidParameterError, type Rng } from '../../core/index.js';

/** Bits per coordinate. */
export type QuantizationBits = 2 | 4 | 8;

/** A quantised vector: value = lower + level (upper - lower) / (2^bits - 1), levels packed little-endian. */
export interface QuantizedVector {
  readonly bits: QuantizationBits;
  /** Smallest coordinate (a float32 value; never -0). */
  readonly lower: number;
  /** Largest coordinate (a float32 value). */
  readonly upper: number;
  /** ceil(length bits / 8) bytes of packed levels. */
  readonly levels: Uint8Array;
  /** Number of coordinates. */
  readonly length: number;
}

/** Options of {@link quantize}. */
export interface QuantizeOptions {
  readonly bits: QuantizationBits;
}

function checkBits(fn: string, bits: unknown): asserts bits is QuantizationBits {
  if (bits !== 2 && bits !== 4 && bits !== 8) {
    throw new InvalidParameterError({ fn, param: 'bits', value: bits, allowed: '2, 4 or 8' });
  }
}

/** Bytes of `length` levels packed at `bits` per level: ceil(length bits / 8). */
export function packedLength(length: number, bits: QuantizationBits): number {
  return Math.ceil((length * bits) / 8);
}

/**
 * Packs levels (each < 2^bits) little-endian, least significant bits first: level i sits in byte
 * floor(i bits / 8) at bit (i bits) mod 8 (8 is a multiple of bits, so no level straddles two bytes).
 */
export function packLevels(levels: ArrayLike<number>, bits: QuantizationBits): Uint8Array {
  checkBits('packLevels', bits);
  const out = new Uint8Array(packedLength(levels.length, bits));
  const perByte = 8 / bits;
  for (let i = 0; i < levels.length; i++) {
    out[(i / perByte) | 0]! |= levels[i]! << ((i % perByte) * bits);
  }
  return out;
}

/** Unpacks {@link packLevels}. @throws {InvalidParameterError} when `packed` has the wrong size */
export function unpackLevels(packed: Uint8Array, bits: QuantizationBits, length: number): Uint8Array {
  const fn = 'unpackLevels';
  checkBits(fn, bits);
  if (!(packed instanceof Uint8Array) || packed.length !== packedLength(length, bits)) {
    throw new InvalidParameterError({
      fn,
      param: 'packed',
      value: packed,
      allowed: `a Uint8Array of ceil(${length} * ${bits} / 8) = ${packedLength(length, bits)} bytes`,
    });
  }
  const out = new Uint8Array(length);
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  for (let i = 0; i < length; i++) out[i] = (packed[(i / perByte) | 0]! >>> ((i % perByte) * bits)) & mask;
  return out;
}

/**
 * Quantises a vector with unbiased stochastic rounding (one exact `rng.bernoulli` per coordinate that is not
 * on a level). A constant vector is sent exactly (all levels 0).
 *
 * @param delta - finite coordinates, length >= 1
 * @param options - `bits`: 8, 4 or 2
 * @param rng - randomness of the rounding (any Rng: the rounding protects no privacy)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad bits, an empty vector or a non-finite
 *   coordinate (named by index)
 * @example
 * const q = quantize(delta, { bits: 8 }, rng);   // q.levels.length === delta.length
 * const back = dequantize(q);                    // E[back] = delta
 */
export function quantize(delta: Float32Array, options: QuantizeOptions, rng: Rng): QuantizedVector {
  const fn = 'quantize';
  const bits = options?.bits;
  checkBits(fn, bits);
  if (!(delta instanceof Float32Array) || delta.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'delta',
      value: delta,
      allowed: 'a non-empty Float32Array',
    });
  }
  let lower = Number.POSITIVE_INFINITY;
  let upper = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < delta.length; i++) {
    const x = delta[i]!;
    if (!Number.isFinite(x)) {
      throw new InvalidParameterError({ fn, param: `delta[${i}]`, value: x, allowed: 'a finite number' });
    }
    if (x < lower) lower = x;
    if (x > upper) upper = x;
  }
  lower += 0; // -0 -> 0: proto3 omits a zero float, and decoders must not see a signed zero
  upper += 0;
  const top = (1 << bits) - 1;
  const levels = new Uint8Array(delta.length);
  if (upper > lower) {
    const step = (upper - lower) / top;
    for (let i = 0; i < delta.length; i++) {
      const t = (delta[i]! - lower) / step;
      let level = Math.floor(t);
      if (level >= top) level = top;
      else {
        const p = t - level; // in [0, 1): P(round up) = p gives E[level] = t (unbiased)
        if (p > 0 && rng.bernoulli(p)) level++;
      }
      levels[i] = level;
    }
  }
  return { bits, lower, upper, levels: packLevels(levels, bits), length: delta.length };
}

/**
 * Decodes a quantised vector: lower + level (upper - lower) / (2^bits - 1), rounded to float32.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad bits, a non-finite or reversed range, or a
 *   levels buffer of the wrong size
 */
export function dequantize(q: QuantizedVector): Float32Array {
  const fn = 'dequantize';
  checkBits(fn, q?.bits);
  if (!Number.isFinite(q.lower) || !Number.isFinite(q.upper) || q.upper < q.lower) {
    throw new InvalidParameterError({
      fn,
      param: 'upper',
      value: q.upper,
      allowed: `a finite number >= lower (${q.lower})`,
    });
  }
  if (!Number.isSafeInteger(q.length) || q.length < 1) {
    throw new InvalidParameterError({ fn, param: 'length', value: q.length, allowed: 'an integer >= 1' });
  }
  const levels = unpackLevels(q.levels, q.bits, q.length);
  const top = (1 << q.bits) - 1;
  const step = (q.upper - q.lower) / top;
  const out = new Float32Array(q.length);
  // The top level is `upper` exactly (lower + top * step may round one ulp past it).
  for (let i = 0; i < out.length; i++) out[i] = levels[i] === top ? q.upper : q.lower + levels[i]! * step;
  return out;
}
