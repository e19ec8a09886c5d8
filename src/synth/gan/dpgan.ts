/**
 * A DP GAN for tabular data in the style of DP-CTGAN: CTGAN's conditional generator (Xu et al. 2019,
 * arXiv:1907.00503) with its discriminator trained by DP-SGD (Abadi et al. 2016, arXiv:1607.00133) on the
 * engine's layers. Every attribute is categorical (numeric columns arrive binned into declared bins), so a row
 * is its one-hot blocks and CTGAN's mode-specific normalisation has nothing to normalise.
 *
 * One run, fixed by the plan before any record is read (plan.ts):
 * 1. the d 1-way marginals, each with the Gaussian mechanism (`measureMarginal`, sigma from the plan): the
 *    conditions' distribution and the noisy count n^ (the mean of the marginals' sums);
 * 2. `steps` rounds of: one discriminator step (a Poisson sample of the records at rate q; the real rows'
 *    gradients clipped to C and noised with N(0, (z C)^2), discriminator.ts) then `generatorSteps` generator
 *    steps (no record read).
 * The events recorded are the plan's: d Gaussian measurements and the DP-SGD schedule.
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import {
  assertInteger,
  assertPositive,
  gaussianNoiseStream,
  InvalidParameterError,
  type Rng,
} from '../../core/index.js';
import { poissonSample } from '../../dp/index.js';
import { createOptimizer } from '../../ml/index.js';
import type { SynthData } from '../data.js';
import { marginalCounts } from '../marginals.js';
import { measureMarginal } from '../measure.js';
import { type Blocks, blockSoftmax, blocksOf, hardBlocks } from './block-softmax.js';
import { type Conditions, generatorInput, probabilitiesFromCounts, sampleConditions } from './condition.js';
import { discriminatorGradient } from './discriminator.js';
import { generatorGradient } from './generator.js';
import { beginPass, Mlp } from './mlp.js';
import { GanModel } from './model.js';
import { type DpGanPlan, dpSgdSchedule } from './plan.js';

/** The options of the networks and their training (none of them changes the privacy plan). */
export interface DpGanTrainingOptions {
  /** Dimension of the generator's Gaussian noise input. */
  readonly noiseDim?: number;
  /** Hidden widths of the generator (ReLU). */
  readonly generatorHidden?: readonly number[];
  /** Hidden widths of the discriminator (tanh: bounded activations suit clipping, Papernot et al. 2021). */
  readonly discriminatorHidden?: readonly number[];
  /** Adam learning rates. */
  readonly generatorLearningRate?: number;
  readonly discriminatorLearningRate?: number;
  /** Gumbel-softmax temperature of the generated blocks during training. */
  readonly temperature?: number;
  /** Straight-through Gumbel-softmax: the discriminator sees one-hot generated rows (default true). */
  readonly straightThrough?: boolean;
  /** Start the generator's output bias at the noisy 1-way marginals' log probabilities (default true). */
  readonly initialiseFromMarginals?: boolean;
  /** Weight lambda of the generator's KL penalty towards the noisy 1-way marginals (generator.ts); 0: none. */
  readonly marginalPenalty?: number;
  /** Generator steps after each discriminator step. */
  readonly generatorSteps?: number;
  /** Called after each discriminator step (1-based), for progress. */
  readonly onStep?: (step: number, steps: number) => void;
}

/** The defaults of the training options (docs/synthetic-data.md says how they were chosen). */
export const DPGAN_TRAINING_DEFAULTS = Object.freeze({
  noiseDim: 32,
  generatorHidden: Object.freeze([128, 128]) as readonly number[],
  discriminatorHidden: Object.freeze([128]) as readonly number[],
  generatorLearningRate: 2e-4,
  discriminatorLearningRate: 5e-4,
  temperature: 0.2,
  straightThrough: true,
  initialiseFromMarginals: true,
  marginalPenalty: 1,
  generatorSteps: 1,
});

/** What a DP GAN fit returns. */
export interface DpGanResult {
  readonly model: GanModel;
  /** The events spent: d 1-way measurements, then the DP-SGD schedule (the plan's events). */
  readonly events: readonly PrivacyEvent[];
  /** The noisy record count the gradients are scaled by (a release: post-processing of the marginals). */
  readonly noisyCount: number;
}

/**
 * Fits a DP GAN of `data` under `plan` (from `planDpGan` for this domain's number of attributes).
 * @param rng the randomness of every private draw (the CSPRNG for private output; a seeded one is not private)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a plan made for another number of attributes or a
 *   bad option
 */
export function dpGan(
  data: SynthData,
  plan: DpGanPlan,
  rng: Rng,
  options: DpGanTrainingOptions = {},
): DpGanResult {
  const fn = 'dpGan';
  const o = { ...DPGAN_TRAINING_DEFAULTS, ...options };
  const attrs = data.domain.attrs;
  if (plan.attributes !== attrs.length) {
    throw new InvalidParameterError({
      fn,
      param: 'plan.attributes',
      value: plan.attributes,
      allowed: `the data's number of attributes (${attrs.length})`,
    });
  }
  assertInteger(fn, 'noiseDim', o.noiseDim, 1);
  assertInteger(fn, 'generatorSteps', o.generatorSteps, 1);
  assertPositive(fn, 'temperature', o.temperature);
  assertPositive(fn, 'generatorLearningRate', o.generatorLearningRate);
  assertPositive(fn, 'discriminatorLearningRate', o.discriminatorLearningRate);
  for (const h of [...o.generatorHidden, ...o.discriminatorHidden]) assertInteger(fn, 'hidden', h, 1);

  // 1. The 1-way marginals (the only reads of the data outside the discriminator's real term).
  const events: PrivacyEvent[] = [];
  const conditional = attrs.map((a) => {
    const { measurement, event } = measureMarginal(marginalCounts(data, [a]), [a], plan.marginalSigma, rng);
    events.push(event);
    return measurement.values;
  });
  const noisyCount = Math.max(
    1,
    conditional.reduce((s, v) => s + v.reduce((x, y) => x + y, 0), 0) / conditional.length,
  );
  const probabilities = conditional.map(probabilitiesFromCounts);

  // 2. The networks and the DP-SGD rounds.
  const blocks = blocksOf(attrs.map((a) => data.domain.sizes.get(a)!));
  const width = blocks.width;
  const generator = new Mlp(
    { inputs: o.noiseDim + width, hidden: o.generatorHidden, outputs: width, activation: 'relu' },
    rng,
  );
  // The output bias starts at the noisy 1-way marginals' log probabilities (post-processing of a release): the
  // untrained generator is then the independent model of the marginals, and training only has to add the
  // dependencies between attributes.
  if (o.initialiseFromMarginals) {
    const outputBias = generator.params[generator.params.length - 1]!.value;
    probabilities.forEach((p, k) => {
      p.forEach((v, j) => {
        outputBias[blocks.offsets[k]! + j] = Math.log(Math.max(v, 1e-6));
      });
    });
  }
  const discriminator = new Mlp(
    { inputs: 2 * width, hidden: o.discriminatorHidden, outputs: 1, activation: 'tanh' },
    rng,
  );
  const adam = (learningRate: number) =>
    createOptimizer({ kind: 'adam', learningRate, beta1: 0.5, beta2: 0.9 });
  const gOptimizer = adam(o.generatorLearningRate);
  const dOptimizer = adam(o.discriminatorLearningRate);
  const expectedBatch = plan.sampleRate * noisyCount;
  const fakeBatch = Math.max(1, Math.round(expectedBatch));
  const n = data.columns[0]!.length;
  const noise = gaussianNoiseStream(rng, discriminator.parameterCount);
  const generate = (batch: number) => {
    const conditions = sampleConditions(probabilities, blocks, batch, rng);
    const pass = generator.forward(generatorInput(conditions, o.noiseDim, width, rng), batch);
    const rows = blockSoftmax(pass.y, blocks, o.temperature, rng);
    // Straight-through: the discriminator sees one-hot rows like the real ones (so it cannot tell generated rows
    // by their softness and push the generator to ever sharper logits); gradients flow through the soft rows.
    const shown = o.straightThrough ? hardBlocks(rows, blocks) : rows;
    return { conditions, pass, rows, x: withConditions(shown, conditions, width) };
  };
  try {
    for (let step = 1; step <= plan.steps; step++) {
      beginPass();
      const picked = poissonSample(n, plan.sampleRate, rng);
      const fake = generate(fakeBatch);
      const grads = discriminatorGradient({
        discriminator,
        real: realRows(data, blocks, picked, rng),
        realBatch: picked.length,
        fake: fake.x,
        fakeBatch,
        maxGradNorm: plan.maxGradNorm,
        noiseMultiplier: plan.noiseMultiplier,
        expectedBatch,
        noise,
      });
      dOptimizer.step(discriminator.params, grads);
      for (let g = 0; g < o.generatorSteps; g++) {
        beginPass();
        const f = generate(fakeBatch);
        gOptimizer.step(
          generator.params,
          generatorGradient(generator, discriminator, f, blocks, {
            temperature: o.temperature,
            probabilities,
            marginalPenalty: o.marginalPenalty,
          }),
        );
      }
      o.onStep?.(step, plan.steps);
    }
  } finally {
    noise.close();
  }
  events.push(dpSgdSchedule(plan.sampleRate, plan.noiseMultiplier, plan.steps));
  return {
    model: new GanModel(data.domain, generator, o.noiseDim, probabilities),
    events,
    noisyCount,
  };
}

/** Discriminator inputs [batch, 2 width]: each row's blocks, then its condition vector. */
function withConditions(rows: Float32Array, conditions: Conditions, width: number): Float32Array {
  const batch = conditions.attrs.length;
  const x = new Float32Array(batch * 2 * width);
  for (let b = 0; b < batch; b++) {
    x.set(rows.subarray(b * width, (b + 1) * width), 2 * b * width);
    x.set(conditions.vectors.subarray(b * width, (b + 1) * width), (2 * b + 1) * width);
  }
  return x;
}

/**
 * The real rows `picked` as discriminator inputs: one-hot blocks, then the condition of a uniformly chosen
 * attribute at the row's own value (a function of that row and of randomness independent of the data).
 */
function realRows(data: SynthData, blocks: Blocks, picked: Int32Array, rng: Rng): Float32Array {
  const { offsets, width } = blocks;
  const d = data.columns.length;
  const x = new Float32Array(picked.length * 2 * width);
  picked.forEach((r, b) => {
    const base = 2 * b * width;
    for (let k = 0; k < d; k++) x[base + offsets[k]! + data.columns[k]![r]!] = 1;
    const a = rng.uniformInt(d);
    x[base + width + offsets[a]! + data.columns[a]![r]!] = 1;
  });
  return x;
}
