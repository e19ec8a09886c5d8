/**
 * Exact rationals for the exact samplers (Canonne, Kamath & Steinke 2020 work over the rationals). Every finite
 * double is a dyadic rational m * 2^e, so {@link rationalFromNumber} converts a user's float without rounding.
 */
import { InvalidParameterError } from '../errors.js';

/** A non-negative rational num/den with den > 0, in lowest terms. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/** Builds num/den in lowest terms. @throws {InvalidParameterError} if den <= 0 or num < 0. */
export function rational(num: bigint, den: bigint): Rational {
  if (den <= 0n)
    throw new InvalidParameterError({ fn: 'rational', param: 'den', value: den, allowed: 'a bigint > 0' });
  if (num < 0n)
    throw new InvalidParameterError({ fn: 'rational', param: 'num', value: num, allowed: 'a bigint >= 0' });
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/**
 * The exact value of a finite, non-negative double as a rational (no rounding: a double is m * 2^e).
 * @throws {InvalidParameterError} for negative, NaN or infinite input.
 */
export function rationalFromNumber(x: number): Rational {
  if (!Number.isFinite(x) || x < 0) {
    throw new InvalidParameterError({
      fn: 'rationalFromNumber',
      param: 'x',
      value: x,
      allowed: 'a finite number >= 0',
    });
  }
  if (x === 0) return { num: 0n, den: 1n };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biasedExp = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biasedExp === 0) {
    exp = -1074; // subnormal
  } else {
    mantissa |= 1n << 52n;
    exp = biasedExp - 1075;
  }
  return exp >= 0 ? rational(mantissa << BigInt(exp), 1n) : rational(mantissa, 1n << BigInt(-exp));
}

/** floor(r) as a bigint. */
export function rationalFloor(r: Rational): bigint {
  return r.num / r.den;
}

/** r - floor(r). */
export function rationalFrac(r: Rational): Rational {
  return { num: r.num % r.den, den: r.den };
}

/** r as the nearest double (for display only; never feed this back into a sampler). */
export function rationalToNumber(r: Rational): number {
  return Number(r.num) / Number(r.den);
}

/** a * b. */
export function rationalMul(a: Rational, b: Rational): Rational {
  return rational(a.num * b.num, a.den * b.den);
}

/** a / b for b > 0. */
export function rationalDiv(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den, a.den * b.num);
}
