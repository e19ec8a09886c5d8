/**
 * MST (McKenna, Miklau & Sheldon 2021, "Winning the NIST Contest: A scalable and general approach to
 * differentially private synthetic data", Journal of Privacy and Confidentiality, arXiv:2108.04978): measure
 * every 1-way marginal, choose the 2-way marginals of a maximum spanning tree over the attributes with the
 * exponential mechanism, measure those, and fit a graphical model (Private-PGM) to all the measurements.
 *
 * Budget (rho-zCDP, as in the reference implementation, private-pgm `mechanisms/mst.py`): a third for the d
 * 1-way marginals (rho / (3 d) each), a third for the d - 1 selection steps (epsilon = sqrt(8 rho / (3 (d - 1)))
 * each, i.e. rho / (3 (d - 1)) each by bounded range), a third for the d - 1 chosen 2-way marginals
 * (rho / (3 (d - 1)) each). Neighbouring relation: add/remove one record.
 *
 * Domain compression (the reference's `compress_domain`, `compress.ts`): after round 1, the values of an attribute
 * whose noisy count is below 3 sigma are merged into one; selection, the 2-way measurements and the fit run over
 * the compressed domain, and the returned model spreads a merged value uniformly over its values. It is
 * post-processing of round 1, so the privacy analysis is unchanged. On by default with the default estimator.
 */
import { type PrivacyEvent, ZcdpAccountant } from '../accounting/index.js';
import { assertPositive, InvalidParameterError, NumericError, type Rng } from '../core/index.js';
import {
  CompressedModel,
  compressData,
  compressionFor,
  compressMeasurement,
  type DomainCompression,
} from './compress.js';
import type { SynthData } from './data.js';
import type { SynthDomain } from './domain.js';
import { marginalCounts } from './marginals.js';
import { measureMarginal, selectExponential, sigmaForRho } from './measure.js';
import { estimate, type MarginalModel, type Measurement } from './model/index.js';

/** What MST needs of a fitted model (a subset of `MarginalModel` in `synth/model`). */
export interface FittedModel {
  readonly total: number;
  /** The model's marginal over `attrs`, as probabilities in the layout of domain.ts. */
  marginal(attrs: readonly string[]): Float64Array;
}

/** Fits a model to noisy measurements (`estimate` in `synth/model`). */
export type Estimator<M extends FittedModel> = (
  domain: SynthDomain,
  measurements: readonly Measurement[],
  options?: { readonly iterations?: number; readonly warmStart?: M },
) => M;

/** Options of {@link mst}. */
export interface MstOptions<M extends FittedModel> {
  /** The inference step; default `estimate` from `synth/model` (Private-PGM). */
  readonly estimate?: Estimator<M>;
  /** Iterations of the fit on the 1-way marginals that scores the edges (default: the estimator's; reference: 1000). */
  readonly selectionIterations?: number;
  /** Iterations of the final fit (default: the estimator's; reference: 5000). */
  readonly iterations?: number;
  /**
   * Merge values whose noisy 1-way count is below 3 sigma (default: true with the default estimator; only the
   * default estimator's models can be compressed).
   */
  readonly compress?: boolean;
}

/** The result of {@link mst}. */
export interface MstResult<M extends FittedModel> {
  /** The model fitted to every measurement; sample synthetic records from it. */
  readonly model: M;
  /** The chosen tree's edges, as attribute pairs in domain order. */
  readonly edges: readonly (readonly [string, string])[];
  /**
   * Every measurement: the d 1-way marginals, then the d - 1 chosen 2-way marginals; over the compressed domain
   * when `compression` is not null.
   */
  readonly measurements: readonly Measurement[];
  /** The domain compression applied after round 1 (null: none). */
  readonly compression: DomainCompression | null;
  /** Every privacy event spent, in order; their zCDP composition is rho, never above (a few ulps below at most). */
  readonly events: readonly PrivacyEvent[];
}

/**
 * MST: rho-zCDP synthetic-data model of the data (see the module comment for the budget split).
 * @param data encoded records (from `encodeTable`) over at least 2 attributes
 * @param rho the zCDP budget, finite > 0 (from (epsilon, delta) with `rhoFor`)
 * @param rng the randomness of every measurement and selection (the CSPRNG for private output)
 * @param options the estimator (default: Private-PGM's `estimate` of `synth/model`) and its iteration counts
 * @returns the model, the chosen edges, the measurements and the privacy events
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad rho or a domain of fewer than 2 attributes
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if rho cannot be split within rounding (not expected)
 * @example const { model, events } = mst(data, rhoFor(1, 1e-9), csprng());
 */
export function mst<M extends FittedModel = MarginalModel>(
  data: Pick<SynthData, 'domain' | 'columns'>,
  rho: number,
  rng: Rng,
  options: MstOptions<M> = {},
): MstResult<M> {
  const fn = 'mst';
  assertPositive(fn, 'rho', rho);
  const { attrs } = data.domain;
  const d = attrs.length;
  if (d < 2) {
    throw new InvalidParameterError({ fn, param: 'data.domain', value: d, allowed: 'at least 2 attributes' });
  }
  // Without an estimator M is MarginalModel (the type parameter's default), which `estimate` returns.
  const estimator = options.estimate ?? (estimate as unknown as Estimator<M>);
  const compress = options.compress ?? options.estimate === undefined;
  if (compress && options.estimate !== undefined)
    throw new InvalidParameterError({
      fn,
      param: 'options.compress',
      value: true,
      allowed: 'false with a custom estimator (only the default estimator models can be compressed)',
    });
  const events: PrivacyEvent[] = [];
  const measurements: Measurement[] = [];
  const { third, sigmaOne, sigmaTwo } = planBudget(rho, d);

  // Round 1: every 1-way marginal, rho / (3 d) each.
  for (const a of attrs) {
    const { measurement, event } = measureMarginal(marginalCounts(data, [a]), [a], sigmaOne, rng);
    measurements.push(measurement);
    events.push(event);
  }

  // Compression (post-processing of round 1): the rest runs over the compressed domain.
  const compression = compress ? compressionFor(data.domain, measurements) : null;
  const used = compression?.attributes.some((a) => a.merged.length > 0) ? compression : null;
  const work = used ? compressData(data, used) : data;
  if (used)
    measurements.splice(0, measurements.length, ...measurements.map((m) => compressMeasurement(m, used)));

  // Round 2: a maximum spanning tree over the L1 errors of the 1-way model, edge by edge with the EM.
  const oneWay = estimator(work.domain, measurements, iterationsOption(options.selectionIterations));
  const { edges, events: selectionEvents } = selectTree(work, oneWay, third, rng);
  events.push(...selectionEvents);

  // Round 3: the chosen 2-way marginals, rho / (3 (d - 1)) each.
  for (const [a, b] of edges) {
    const { measurement, event } = measureMarginal(marginalCounts(work, [a, b]), [a, b], sigmaTwo, rng);
    measurements.push(measurement);
    events.push(event);
  }
  const fitted = estimator(work.domain, measurements, {
    ...iterationsOption(options.iterations),
    warmStart: oneWay,
  });
  // with compression the estimator is the default one, whose models are MarginalModels (M is MarginalModel)
  const model = used
    ? (new CompressedModel(fitted as unknown as MarginalModel, used) as unknown as M)
    : fitted;
  return { model, edges, measurements, events, compression: used };
}

/**
 * Kruskal's algorithm with a private choice at each step: among the pairs joining two components, the
 * exponential mechanism (sensitivity 1: the L1 distance between a pair's true counts and a fixed model's
 * counts moves by at most 1 when one record is added or removed) picks one edge, d - 1 times, spending
 * `rho` in total (epsilon = sqrt(8 rho / (d - 1)) per step, as the reference).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad rho or fewer than 2 attributes
 */
export function selectTree(
  data: Pick<SynthData, 'domain' | 'columns'>,
  model: FittedModel,
  rho: number,
  rng: Rng,
): { readonly edges: [string, string][]; readonly events: PrivacyEvent[] } {
  assertPositive('selectTree', 'rho', rho);
  const { attrs } = data.domain;
  const d = attrs.length;
  if (d < 2) {
    throw new InvalidParameterError({
      fn: 'selectTree',
      param: 'data.domain',
      value: d,
      allowed: 'at least 2 attributes',
    });
  }
  const pairs: [number, number][] = [];
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) pairs.push([i, j]);
  const scores = pairs.map(([i, j]) => l1Error(data, model, [attrs[i]!, attrs[j]!]));
  const parent = Int32Array.from({ length: d }, (_, i) => i);
  const find = (x: number): number => {
    let root = x;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[x] !== root) {
      const next = parent[x]!;
      parent[x] = root;
      x = next;
    }
    return root;
  };
  const epsilon = selectionEpsilon(rho / (d - 1));
  const edges: [string, string][] = [];
  const events: PrivacyEvent[] = [];
  for (let step = 0; step < d - 1; step++) {
    const candidates: number[] = [];
    for (let k = 0; k < pairs.length; k++) {
      const [i, j] = pairs[k]!;
      if (find(i) !== find(j)) candidates.push(k);
    }
    const { index, event } = selectExponential(
      candidates.map((k) => scores[k]!),
      { epsilon, sensitivity: 1 },
      rng,
    );
    const [i, j] = pairs[candidates[index]!]!;
    parent[find(i)] = find(j);
    edges.push([attrs[i]!, attrs[j]!]);
    events.push(event);
  }
  return { edges, events };
}

/**
 * The budget split of {@link mst}, shrunk by a few ulps when needed so that the zCDP accountant composes the
 * events MST will record, in their order, to at most rho (fail closed); the shares do not depend on the data.
 */
function planBudget(rho: number, d: number): { third: number; sigmaOne: number; sigmaTwo: number } {
  let third = rho / 3;
  for (let attempt = 0; attempt < 64; attempt++) {
    const sigmaOne = sigmaForRho(third / d);
    const sigmaTwo = sigmaForRho(third / (d - 1));
    const epsilon = selectionEpsilon(third / (d - 1));
    const events: PrivacyEvent[] = [
      ...Array.from({ length: d }, () => ({ kind: 'gaussian' as const, sigma: sigmaOne, l2Sensitivity: 1 })),
      ...Array.from({ length: d - 1 }, () => ({ kind: 'zcdp' as const, rho: (epsilon * epsilon) / 8 })),
      ...Array.from({ length: d - 1 }, () => ({
        kind: 'gaussian' as const,
        sigma: sigmaTwo,
        l2Sensitivity: 1,
      })),
    ];
    if (new ZcdpAccountant().compose({ kind: 'composed', events }).rho <= rho)
      return { third, sigmaOne, sigmaTwo };
    third *= 1 - 2 ** -50;
  }
  throw new NumericError('mst: could not split rho within floating-point rounding', { rho, attributes: d });
}

/** sqrt(8 rho): the epsilon whose bounded-range guarantee is rho-zCDP, nudged down until epsilon^2 / 8 <= rho. */
function selectionEpsilon(rho: number): number {
  let epsilon = Math.sqrt(8 * rho);
  while ((epsilon * epsilon) / 8 > rho) epsilon *= 1 - 2 ** -52;
  return epsilon;
}

/** || true counts - model marginal x model total ||_1 over `attrs`. */
function l1Error(data: Pick<SynthData, 'domain' | 'columns'>, model: FittedModel, attrs: string[]): number {
  const counts = marginalCounts(data, attrs);
  const probabilities = model.marginal(attrs);
  let sum = 0;
  for (let c = 0; c < counts.length; c++) sum += Math.abs(counts[c]! - probabilities[c]! * model.total);
  return sum;
}

function iterationsOption(iterations: number | undefined): { readonly iterations?: number } {
  return iterations === undefined ? {} : { iterations };
}
