/** Examples for training or evaluation: row-major features, one class index per example. */
export interface TrainingData {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly numExamples: number;
  readonly featureShape: readonly number[];
}
