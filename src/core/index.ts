/**
 * @module veil/core
 *
 * The base layer every other module may import: random-number generators (the CSPRNG by default, a seeded
 * generator for tests whose output is marked not private), exact rationals, numerical helpers (log-space
 * arithmetic, erfc/normal tails, log-gamma, monotone searches), fixed-point encoding into Z_2^32, GF(2^31 - 1) arithmetic, error types
 * with stable codes, boundary assertions, shared zod schemas, and the one store for JSON state files (read
 * through a schema, written atomically and durably: temporary file, fsync, rename). It imports nothing from Veil.
 *
 * @example
 * import { csprng, seededRng } from 'veil/core';
 * const rng = csprng();            // node:crypto, buffered
 * rng.normal(); rng.bernoulliExp(0.5);
 * seededRng(7).isPrivate;          // false: reproducible, never private
 */
export {
  assertBounds,
  assertFinite,
  assertFiniteArray,
  assertInteger,
  assertNonNegative,
  assertOneOf,
  assertOpenUnit,
  assertPositive,
  assertProbability,
  assertRate,
  invariant,
} from './assert.js';
export {
  BudgetExceededError,
  ConfigError,
  type ConfigIssue,
  ConsentError,
  describeValue,
  ERROR_CODES,
  ERROR_HTTP_STATUS,
  type ErrorCode,
  type HttpStatus,
  IntegrityError,
  InternalError,
  type InvalidParameterDetails,
  InvalidParameterError,
  NumericError,
  ProtocolError,
  UnsupportedError,
  VeilError,
} from './errors.js';
export {
  addMod32,
  decodeFixedPoint,
  encodeFixedPoint,
  type FixedPointOptions,
  type Rounding,
  subMod32,
} from './field/fixed-point.js';
export {
  addMod31,
  invMod31,
  MERSENNE_31,
  mulMod31,
  powMod31,
  subMod31,
} from './field/mersenne31.js';
export { escapeHtml } from './html.js';
export {
  type AtomicWriteOptions,
  createFileAtomic,
  syncDirectory,
  writeFileAtomic,
  writeFileDurably,
} from './io/atomic-file.js';
export { ensureDirectory } from './io/directory.js';
export {
  createJsonFile,
  fromJsonText,
  type JsonFileProblem,
  type ReadJsonFileOptions,
  readJsonFile,
  toJsonText,
  type WriteJsonFileOptions,
  writeJsonFileAtomic,
} from './io/json-file.js';
export { log1mExp, logAdd, logSub, logSumExp } from './num/logspace.js';
export {
  type Rational,
  rational,
  rationalDiv,
  rationalFloor,
  rationalFrac,
  rationalFromNumber,
  rationalMul,
  rationalToNumber,
} from './num/rational.js';
export { largestIntegerSatisfying, smallestBelowTarget, smallestSatisfying } from './num/roots.js';
export {
  erf,
  erfc,
  erfcx,
  logBinomial,
  logErfc,
  logGamma,
  normalCdf,
  normalLogCdf,
  normalLogSf,
  normalPdf,
  normalSf,
} from './num/special.js';
export { printable } from './printable.js';
export { csprng } from './rng/csprng.js';
export { type GaussianNoiseStream, gaussianNoiseStream } from './rng/noise-stream.js';
export type { Rng, RngKind } from './rng/rng.js';
export { seededRng } from './rng/seeded.js';
export {
  allowedMessage,
  checkSchema,
  DeltaSchema,
  EpsilonSchema,
  type IssuePaths,
  NoiseMultiplierSchema,
  ProbabilitySchema,
  SampleRateSchema,
  StepsSchema,
} from './schema.js';
