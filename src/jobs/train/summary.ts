/** The JSON summary of a training job (`veil train --json`), the same for every face. */
import type { TrainResult } from '../../train/index.js';
import type { LoadedData } from './data.js';
import type { TrainSpec } from './spec.js';

/**
 * What a training job shows that is computed on the data without noise, so outside the run's epsilon: the loss
 * (progress line and per-epoch metrics), the test accuracy (the test set gets no DP), and timings.
 */
export const NOT_COVERED_BY_EPSILON = [
  'training loss (progress and metrics[].trainLoss)',
  'test accuracy (testAccuracy, metrics[].testAccuracy)',
  'timings (examplesPerSecond, trainSeconds, metrics[].seconds)',
] as const;

/** The summary of a finished run. */
export function trainSummary(
  r: TrainResult,
  c: {
    readonly modelName: string;
    readonly parameters: number;
    readonly data: LoadedData;
    readonly spec: TrainSpec;
    readonly epsilonSpent: number | null;
    readonly seed: number | undefined;
    readonly saved: { dir: string; files: string[] } | null;
  },
): Record<string, unknown> {
  const dp = r.noiseMultiplier !== null;
  const p = c.spec.privacy;
  return {
    testAccuracy: r.finalTestAccuracy,
    epsilonSpent: c.epsilonSpent,
    delta: r.delta,
    noiseMultiplier: r.noiseMultiplier,
    epochs: r.epochs.length,
    examplesPerSecond: Math.round(r.examplesPerSecond),
    accountant: p.accountant,
    epsilon: r.epsilon,
    private: r.private,
    ...(dp
      ? {
          neighbouring:
            'add/remove one training record (the actual count is protected: q and steps derive from publicSize)',
          notCoveredByEpsilon: NOT_COVERED_BY_EPSILON,
        }
      : {}),
    ...(c.seed === undefined ? {} : { seed: c.seed, note: 'seeded run: reproducible and NOT private' }),
    model: c.modelName,
    parameters: c.parameters,
    data: {
      source: c.data.source,
      // A private run never prints the actual training count (q and the steps derive from the public size).
      ...(dp ? { publicSize: p.publicSize } : { trainExamples: c.data.train.numExamples }),
      testExamples: c.data.test.numExamples,
      features: c.data.train.featureShape,
      classes: c.data.train.numClasses,
      warnings: c.data.warnings,
    },
    batchSize: c.spec.batchSize,
    sampleRate: r.sampleRate,
    steps: r.stepsRun,
    clipping: dp ? { kind: p.clipping, maxGradNorm: p.maxGradNorm } : null,
    stoppedEarly: r.stoppedEarly,
    trainSeconds: Math.round(r.trainSeconds * 10) / 10,
    metrics: r.epochs,
    events: r.events,
    out: c.saved,
  };
}
