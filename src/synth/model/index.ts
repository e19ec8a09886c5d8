/**
 * @module veil/synth/model
 *
 * The graphical-model core of DP synthetic data (Private-PGM style; McKenna, Sheldon & Miklau, ICML 2019):
 * from noisy marginals (`Measurement`s), {@link estimate} builds a junction tree over the measured attribute
 * sets and fits a Markov random field whose marginals best match the measurements (weighted L2, entropic mirror
 * descent); the fitted {@link MarginalModel} answers marginals over any attributes, samples synthetic rows, and
 * saves to JSON ({@link modelFromJson} restores it). Measurement itself (noise, privacy accounting) and the
 * selection of marginals (MST, AIM) are not here.
 *
 * @example
 * import { seededRng } from 'veil/core';
 * const model = estimate(domain, [{ attrs: ['age', 'sex'], values: noisyCounts, sigma: 12 }]);
 * model.marginal(['sex']);                 // Float64Array of probabilities
 * model.sample(1000, seededRng(1));        // one Int32Array of codes per attribute
 */
export {
  DEFAULT_ITERATIONS,
  type EstimateOptions,
  estimate,
  estimateTotal,
  measurementLoss,
} from './estimate.js';
export { Factor } from './factor.js';
export { hasRunningIntersection, type JunctionTree, junctionTree, modelCells } from './junction-tree.js';
export {
  GraphicalModel,
  type MarginalModel,
  type Measurement,
  MODEL_FORMAT,
  modelFromJson,
} from './model.js';
