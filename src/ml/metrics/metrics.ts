/** Evaluation metrics. */

/** Fraction of predictions equal to the labels. */
export function accuracy(predictions: Int32Array, labels: Int32Array): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) hits++;
  return labels.length === 0 ? 0 : hits / labels.length;
}
