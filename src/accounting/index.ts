/**
 * @module veil/accounting
 *
 * Privacy events and the accountants that compose them: Rényi DP (RDP), privacy-loss distributions (PLD),
 * zero-concentrated DP (zCDP), basic and advanced composition, and noise calibration. Pure mathematics: this
 * module imports only `core` and never `dp`, `ml` or `train`.
 *
 * @example
 * import { RdpAccountant, dpSgdEvent } from 'veil/accounting';
 * const acc = new RdpAccountant().compose(dpSgdEvent({ sampleRate: 256 / 60000, noiseMultiplier: 1.1, steps: 14063 }));
 * acc.epsilon({ delta: 1e-5 }); // about 2.6
 */
export type { AccountantKind, ComposeOptions, PrivacyAccountant } from './accountant.js';
export {
  type AdvancedCompositionOptions,
  type ApproxDp,
  advancedComposition,
  basicComposition,
} from './analysis/composition.js';
export {
  type DistributedDiscreteGaussianParameters,
  distributedDiscreteGaussianEpsilon,
  distributedDiscreteGaussianRho,
  distributedDiscreteGaussianTau,
  MIN_DISTRIBUTED_DISCRETE_GAUSSIAN_SIGMA,
} from './analysis/distributed-discrete-gaussian.js';
export {
  calibrateGaussianSigma,
  type GaussianCalibrationOptions,
  gaussianDelta,
  gaussianEpsilon,
} from './analysis/gaussian-dp.js';
export {
  type DeltaAtOrder,
  type EpsilonAtOrder,
  rdpToDelta,
  rdpToEpsilon,
} from './analysis/rdp-conversion.js';
export { rdpLaplace, rdpPureDp } from './analysis/rdp-pure.js';
export {
  type FractionalSeries,
  rdpGaussian,
  rdpPoissonSubsampledGaussian,
} from './analysis/rdp-subsampled-gaussian.js';
export { zcdpToDelta, zcdpToEpsilon } from './analysis/zcdp.js';
export {
  CALIBRATION_ACCOUNTANTS,
  calibrateNoiseMultiplier,
  dpSgdEpsilon,
  type MaxStepsOptions,
  maxSteps,
  type NoiseCalibration,
  type NoiseCalibrationOptions,
} from './calibrate.js';
export { ACCOUNTANT_KINDS, createAccountant } from './create-accountant.js';
export {
  type ApproxDpEvent,
  type ComposedEvent,
  composedEvent,
  type DiscreteGaussianEvent,
  type DiscreteLaplaceEvent,
  type DistributedDiscreteGaussianEvent,
  distributedDiscreteGaussianEvent,
  dpSgdEvent,
  type GaussianEvent,
  gaussianEvent,
  type LaplaceEvent,
  laplaceEvent,
  type NonPrivateEvent,
  type NoOpEvent,
  type PoissonSampledEvent,
  type PrivacyEvent,
  type PrivacyEventKind,
  PrivacyEventSchema,
  type PureDpEvent,
  poissonSampledEvent,
  type SelfComposedEvent,
  selfComposedEvent,
  validateEvent,
  type ZcdpEvent,
} from './events.js';
export { type PrivacyLossDistribution, pldDelta, pldEpsilon } from './pld/pld.js';
export { PldAccountant, pldForEvent } from './pld/pld-accountant.js';
export type { PldOptions } from './pld/pld-options.js';
export { MAX_PLD_POINTS, type PldPmf } from './pld/pmf.js';
export {
  DEFAULT_RDP_ORDERS,
  DP_ACCOUNTING_DEFAULT_ORDERS,
  RdpAccountant,
  type RdpAccountantOptions,
} from './rdp-accountant.js';
export { ZcdpAccountant } from './zcdp-accountant.js';
