/**
 * Ditto personalisation (Li, Hu, Beirami & Smith 2021, "Ditto: fair and robust federated learning through
 * personalization", ICML, arXiv:2012.04221): besides the federated model, each node trains a personal model
 * v_k on min F_k(v_k) + lambda/2 ||v_k - w*||^2 (their Eq. 2), pulled towards the global model w*. The trainer
 * adds the proximal gradient lambda (v - w) to its loss gradient; the same term with mu is FedProx's local
 * objective (Li et al. 2020, Eq. 2).
 */
import { assertNonNegative, InvalidParameterError } from '../../core/index.js';

function checkPair(fn: string, w: unknown, anchor: unknown, out?: unknown): void {
  if (!(w instanceof Float32Array) || w.length === 0) {
    throw new InvalidParameterError({ fn, param: 'w', value: w, allowed: 'a non-empty Float32Array' });
  }
  if (!(anchor instanceof Float32Array) || anchor.length !== w.length) {
    throw new InvalidParameterError({
      fn,
      param: 'anchor',
      value: anchor,
      allowed: `a Float32Array of w's length ${w.length}`,
    });
  }
  if (out !== undefined && !(out instanceof Float32Array && out.length === w.length)) {
    throw new InvalidParameterError({
      fn,
      param: 'out',
      value: out,
      allowed: `a Float32Array of length ${w.length}`,
    });
  }
}

/**
 * Adds the gradient of lambda/2 ||w - anchor||^2, that is lambda (w - anchor), into `out` (Ditto, Li et al.
 * 2021, Alg. 1, personal update; FedProx with lambda = mu). `out` normally holds the loss gradient already.
 *
 * @param w - the parameters being trained (the personal model)
 * @param anchor - the model they are pulled towards (the global model of the round)
 * @param lambda - >= 0; 0 leaves `out` unchanged
 * @param out - gradient accumulator of w's length, updated in place and returned
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for mismatched lengths or lambda < 0
 * @example
 * proximalGradient(personal, global, 0.1, grad); // grad += 0.1 (personal - global)
 */
export function proximalGradient(
  w: Float32Array,
  anchor: Float32Array,
  lambda: number,
  out: Float32Array,
): Float32Array {
  const fn = 'proximalGradient';
  checkPair(fn, w, anchor, out);
  assertNonNegative(fn, 'lambda', lambda);
  if (lambda === 0) return out;
  for (let i = 0; i < out.length; i++) out[i]! += lambda * (w[i]! - anchor[i]!);
  return out;
}

/**
 * The proximal penalty lambda/2 ||w - anchor||^2 (to report the full Ditto objective next to the loss).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for mismatched lengths or lambda < 0
 */
export function proximalPenalty(w: Float32Array, anchor: Float32Array, lambda: number): number {
  const fn = 'proximalPenalty';
  checkPair(fn, w, anchor);
  assertNonNegative(fn, 'lambda', lambda);
  let s = 0;
  for (let i = 0; i < w.length; i++) {
    const d = w[i]! - anchor[i]!;
    s += d * d;
  }
  return 0.5 * lambda * s;
}
