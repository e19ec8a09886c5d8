/**
 * The evaluation of synthetic data against the real rows it imitates (issue 14, item 2): k-way marginal TV error,
 * train on synthetic / test on real, exact copies and distance to the closest record, a membership-inference check
 * with its DP bound, and the HTML section that shows them. None of it is differentially private: it reads the real
 * rows, so its numbers are for the data holder, not for release.
 */
export { escapeHtml } from './charts.js';
export {
  type ClassifierOptions,
  type ClassifierResult,
  type ClassifierScores,
  logisticRegressionScores,
} from './classifier.js';
export { type DcrResult, type EvaluateOptions, evaluateSynthetic, type SynthEvaluation } from './evaluate.js';
export {
  type EvaluationHtmlOptions,
  synthEvaluationPage,
  synthEvaluationSection,
  type UtilityPoint,
  utilityPlot,
} from './html.js';
export {
  binomial,
  type MarginalError,
  type MarginalErrorOptions,
  type MarginalErrors,
  marginalErrors,
  marginalTotalVariation,
  totalVariation,
  type WayError,
} from './marginal-error.js';
export {
  dpAucBound,
  dpTprBound,
  MEMBERSHIP_FPRS,
  type MembershipOptions,
  type MembershipResult,
  membershipInference,
  type TprAt,
} from './membership.js';
export {
  type ClosestRecords,
  type CopyRate,
  closestRecords,
  type DistanceSummary,
  exactCopyRate,
  rowKeys,
  sampleRows,
  summariseDistances,
} from './records.js';
export { type ClassScores, classScores, type RocPoint, rocAuc, rocCurve, tprAtFpr } from './scores.js';
