/**
 * @module veil/synth
 *
 * Differentially private synthetic data (issue 14, in progress; docs/synthetic-data.md says what is there): a
 * table encoded over a declared discrete domain, its marginal counts, private measurements (the Gaussian mechanism
 * under zCDP, the exponential mechanism as bounded-range zCDP), a Private-PGM graphical model fitted to noisy
 * marginals by mirror descent over a junction tree and sampled from, and MST (McKenna et al. 2021) and AIM
 * (McKenna et al. 2022) on top.
 *
 * @example
 * const data = encodeTable(domain, { header, rows });
 * const { model, events } = mst(data, rhoFor(1, 1e-9), csprng());
 * const columns = model.sample(1000, csprng());
 */
export { AIM_MAX_MODEL_CELLS, type AimOptions, type AimResult, type AimRound, aim } from './aim.js';
export {
  type AttributeCompression,
  COMPRESSED_MODEL_FORMAT,
  CompressedModel,
  compressData,
  compressedModelFromJson,
  compressionFor,
  compressMeasurement,
  type DomainCompression,
} from './compress.js';
export { type CellTable, decodeColumns, type EncodedTable, encodeTable, type SynthData } from './data.js';
export {
  type AttributeCoding,
  cellCount,
  codingSize,
  type SynthDomain,
  sizeOf,
  synthDomain,
} from './domain.js';
export {
  type ClassifierScores,
  type ClassScores,
  type CopyRate,
  classScores,
  closestRecords,
  type DcrResult,
  dpAucBound,
  dpTprBound,
  type EvaluateOptions,
  type EvaluationHtmlOptions,
  evaluateSynthetic,
  exactCopyRate,
  logisticRegressionScores,
  type MarginalErrors,
  type MembershipResult,
  marginalErrors,
  marginalTotalVariation,
  membershipInference,
  rocAuc,
  rocCurve,
  type SynthEvaluation,
  synthEvaluationPage,
  synthEvaluationSection,
  totalVariation,
  tprAtFpr,
  type UtilityPoint,
  utilityPlot,
} from './evaluate/index.js';
export {
  DPGAN_MODEL_FORMAT,
  DPGAN_PRIVACY_DEFAULTS,
  DPGAN_TRAINING_DEFAULTS,
  type DpGanPlan,
  type DpGanPrivacyOptions,
  type DpGanResult,
  type DpGanTrainingOptions,
  dpGan,
  epsilonOf,
  GAN_ACCOUNTANTS,
  GanModel,
  ganModelFromJson,
  planDpGan,
} from './gan/index.js';
export { marginalCounts } from './marginals.js';
export { measureMarginal, rhoFor, selectExponential, sigmaForRho } from './measure.js';
export {
  DEFAULT_ITERATIONS,
  type EstimateOptions,
  estimate,
  estimateTotal,
  GraphicalModel,
  junctionTree,
  type MarginalModel,
  type Measurement,
  measurementLoss,
  modelCells,
  modelFromJson,
} from './model/index.js';
export { type Estimator, type FittedModel, type MstOptions, type MstResult, mst, selectTree } from './mst.js';
export { type SynthModel, synthModelFromJson } from './synth-model.js';
