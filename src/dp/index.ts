/**
 * @module veil/dp
 *
 * Differential-privacy mechanisms, each a validated, frozen object that states its privacy event before it
 * runs and takes its randomness as an argument (`rng`, default `csprng()` from `veil/core`):
 *
 * - noise on numeric queries: Laplace and Gaussian over doubles (classical and analytic calibration,
 *   Balle & Wang 2018), a floating-point-safe granular Laplace, and the discrete Laplace and discrete Gaussian
 *   for integer queries with exact samplers (Canonne, Kamath & Steinke 2020);
 * - selection: the exponential mechanism, report-noisy-max, the sparse vector technique (AboveThreshold);
 * - local DP: randomized response (binary and k-ary) with an unbiased frequency estimator;
 * - releases over data sets with clamping to declared bounds: count, bounded sum, bounded mean, histogram,
 *   quantile; they return `{ value, event, private }`;
 * - Poisson subsampling (`poissonSample`), the sampling the `poisson-sampled` event assumes (DP-SGD's batches in
 *   `veil/train`, the DP GAN's real rows in `veil/synth`).
 *
 * Neighbouring relation of the releases: add/remove one record. Output produced with a seeded rng is never
 * private (releases mark it `private: false` with a `non-private` event). Accountants that compose the events
 * live in `veil/accounting`; this module never re-exports them. See docs/mechanisms.md.
 *
 * @example
 * import { discreteGaussianMechanism, gaussianMechanism, privateCount } from 'veil/dp';
 * const mech = gaussianMechanism({ l2Sensitivity: 1, epsilon: 1, delta: 1e-5 });
 * mech.release([0.5, 1.5]);   // Float64Array, float noise (see the floating-point caveats)
 * mech.event;                 // { kind: 'gaussian', sigma: 3.73…, l2Sensitivity: 1 }
 * const count = privateCount({ noise: { kind: 'laplace', epsilon: 0.5 } }).release(records);
 * count.value; count.private; // exact discrete Laplace noise; true with the default CSPRNG
 */
export type { Mechanism, MechanismName, NumericInput, Release } from './mechanism.js';
export {
  type DiscreteGaussianMechanism,
  type DiscreteGaussianOptions,
  discreteGaussianMechanism,
} from './mechanisms/discrete-gaussian.js';
export {
  type DiscreteLaplaceMechanism,
  type DiscreteLaplaceOptions,
  discreteLaplaceMechanism,
} from './mechanisms/discrete-laplace.js';
export {
  type ExponentialMechanism,
  type ExponentialOptions,
  exponentialMechanism,
  type UtilityMonotonicity,
} from './mechanisms/exponential.js';
export {
  type GaussianCalibration,
  type GaussianMechanism,
  type GaussianOptions,
  gaussianMechanism,
} from './mechanisms/gaussian.js';
export {
  type GranularLaplaceMechanism,
  type GranularLaplaceOptions,
  granularLaplaceMechanism,
} from './mechanisms/granular-laplace.js';
export { type LaplaceMechanism, type LaplaceOptions, laplaceMechanism } from './mechanisms/laplace.js';
export {
  type RandomizedResponseMechanism,
  type RandomizedResponseOptions,
  randomizedResponse,
} from './mechanisms/randomized-response.js';
export {
  type NoisyMaxNoise,
  type ReportNoisyMaxMechanism,
  type ReportNoisyMaxOptions,
  reportNoisyMax,
} from './mechanisms/report-noisy-max.js';
export {
  type SparseVectorMechanism,
  type SparseVectorOptions,
  type SparseVectorSession,
  sparseVector,
} from './mechanisms/sparse-vector.js';
export {
  centredSumSensitivity,
  type PrivateBoundedMean,
  type PrivateBoundedMeanOptions,
  privateBoundedMean,
} from './releases/bounded-mean.js';
export {
  boundedSumSensitivity,
  type PrivateBoundedSum,
  type PrivateBoundedSumOptions,
  privateBoundedSum,
} from './releases/bounded-sum.js';
export { type PrivateCount, type PrivateCountOptions, privateCount } from './releases/count.js';
export {
  type Binning,
  type PrivateHistogram,
  type PrivateHistogramOptions,
  privateHistogram,
} from './releases/histogram.js';
export type { ReleaseNoise } from './releases/noise.js';
export {
  type PrivateQuantile,
  type PrivateQuantileOptions,
  privateQuantile,
  quantileUtilitySensitivity,
} from './releases/quantile.js';
export { discreteGaussianSampler } from './samplers/discrete-gaussian.js';
export { discreteLaplaceSampler, type IntegerNoiseSampler } from './samplers/discrete-laplace.js';
export { poissonSample } from './subsample.js';
