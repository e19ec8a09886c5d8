import { rationalFromNumber } from '../../core/index.js';

/**
 * The exact value of a scale b in [2^-40, 2^40] as t / s with t < 2^53 an integer and s a power of two
 * (or 1), both exact doubles: the parameters of CKS20 Algorithm 2 (internal).
 */
export function rationalScale(scale: number): { readonly t: number; readonly s: number } {
  const r = rationalFromNumber(scale);
  return { t: Number(r.num), s: Number(r.den) };
}
