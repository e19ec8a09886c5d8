/**
 * The discrete Gaussian mechanism for integer-valued queries (Canonne, Kamath & Steinke 2020, "The Discrete
 * Gaussian for Differential Privacy", NeurIPS, arXiv:2004.00010).
 *
 * Adding N_Z(0, sigma^2) noise to a one-dimensional integer query of sensitivity D is (D^2 / (2 sigma^2))-zCDP,
 * exactly as for the continuous Gaussian (CKS20, Prop. 5: for an integer shift mu the Rényi divergence of
 * order a is at most a mu^2 / (2 sigma^2)). For d coordinates with independent noise the Rényi divergences
 * add, so an integer vector query with L2 sensitivity D is (D^2 / (2 sigma^2))-zCDP. The event also records
 * `dimension`, which CKS20's multivariate (epsilon, delta) analysis uses; the accountants in
 * `veil/accounting` turn the event into a guarantee, this module only records it. The noise is sampled
 * exactly, so the guarantee holds for the integers actually released: no floating-point caveat.
 */
import type { DiscreteGaussianEvent } from '../../accounting/index.js';
import { assertInteger, assertPositive, InvalidParameterError, type Rng } from '../../core/index.js';
import { discreteGaussianEvent } from '../_events.js';
import { assertOptions, resolveRng, toIntegerVector } from '../_input.js';
import type { Mechanism, NumericInput } from '../mechanism.js';
import {
  DiscreteGaussianKernel,
  MAX_DISCRETE_SIGMA,
  MIN_DISCRETE_SIGMA,
} from '../samplers/discrete-gaussian.js';

/** Options of {@link discreteGaussianMechanism}. */
export interface DiscreteGaussianOptions {
  /** Max L2 distance between neighbouring integer answers, finite > 0. */
  readonly l2Sensitivity: number;
  /** The scale sigma of N_Z(0, sigma^2), in [2^-40, 2^40]. */
  readonly sigma: number;
  /** Number of coordinates released per call (default 1); `release` checks it. */
  readonly dimension?: number;
}

/** A discrete Gaussian mechanism over integer vectors of a fixed dimension. */
export interface DiscreteGaussianMechanism extends Mechanism<NumericInput, Float64Array> {
  readonly name: 'discrete-gaussian';
  readonly event: DiscreteGaussianEvent;
  readonly sigma: number;
  readonly l2Sensitivity: number;
  readonly dimension: number;
}

/**
 * The discrete Gaussian mechanism: adds exact N_Z(0, sigma^2) noise to every coordinate of an integer vector
 * of length `dimension`. Records a `discrete-gaussian` event `{ sigma, l2Sensitivity, dimension }`.
 *
 * Output released with a seeded rng is not private.
 * @param options.l2Sensitivity max L2 distance between neighbouring integer answers, finite > 0
 * @param options.sigma noise scale in [2^-40, 2^40]
 * @param options.dimension vector length, an integer >= 1 (default 1)
 * @returns a frozen mechanism; `release` takes safe integers and returns integers in a Float64Array
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad sensitivity, sigma or dimension; at
 *   release, for values that are not safe integers or a length other than `dimension`
 * @example
 * const mech = discreteGaussianMechanism({ l2Sensitivity: 1, sigma: 3.7, dimension: 3 });
 * mech.release([10, 0, 4]);
 */
export function discreteGaussianMechanism(options: DiscreteGaussianOptions): DiscreteGaussianMechanism {
  const fn = 'discreteGaussianMechanism';
  assertOptions(fn, options);
  const { l2Sensitivity, sigma } = options;
  const dimension = options.dimension ?? 1;
  assertPositive(fn, 'l2Sensitivity', l2Sensitivity);
  assertPositive(fn, 'sigma', sigma);
  if (sigma < MIN_DISCRETE_SIGMA || sigma > MAX_DISCRETE_SIGMA) {
    throw new InvalidParameterError({
      fn,
      param: 'sigma',
      value: sigma,
      allowed: 'a number in [2^-40, 2^40]',
    });
  }
  assertInteger(fn, 'dimension', dimension, 1);
  const kernel = new DiscreteGaussianKernel(sigma);
  const event = discreteGaussianEvent(fn, sigma, l2Sensitivity, dimension);
  return Object.freeze({
    name: 'discrete-gaussian',
    event,
    sigma,
    l2Sensitivity,
    dimension,
    release(input: NumericInput, rng?: Rng): Float64Array {
      const values = toIntegerVector(fn, 'values', input);
      if (values.length !== dimension) {
        throw new InvalidParameterError({
          fn,
          param: 'values.length',
          value: values.length,
          allowed: `the declared dimension ${dimension}`,
        });
      }
      const r = resolveRng(fn, rng);
      for (let i = 0; i < values.length; i++) values[i] += kernel.sample(r);
      return values;
    },
  });
}
