/**
 * The DP GAN of `veil/synth` (DP-CTGAN style, docs/synthetic-data.md "DP GAN"): its privacy plan, the fit, and
 * the fitted generator as a sampleable model. Re-exported by `src/synth/index.ts`.
 */
export { type Blocks, blockSoftmax, blockSoftmaxBackward, blocksOf, sampleBlocks } from './block-softmax.js';
export {
  addGaussianNoise,
  CLIP_MARGIN,
  type ClippedSum,
  clippedRealSum,
  type DiscriminatorStepInput,
  discriminatorGradient,
} from './discriminator.js';
export { DPGAN_TRAINING_DEFAULTS, type DpGanResult, type DpGanTrainingOptions, dpGan } from './dpgan.js';
export { beginPass, Mlp, type MlpPass, type MlpSpec } from './mlp.js';
export { DPGAN_MODEL_FORMAT, GanModel, ganModelFromJson } from './model.js';
export {
  DPGAN_PRIVACY_DEFAULTS,
  type DpGanPlan,
  type DpGanPrivacyOptions,
  dpSgdSchedule,
  epsilonOf,
  GAN_ACCOUNTANTS,
  marginalEvent,
  planDpGan,
} from './plan.js';
