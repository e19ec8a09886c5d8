/**
 * Private-PGM estimation (McKenna, Sheldon & Miklau, "Graphical-model based estimation and inference for
 * differential privacy", ICML 2019, arXiv:1901.09136, §3–4): the model whose clique marginals μ_C = total · p_C
 * minimise the weighted L2 loss
 *
 *     L(p) = ½ Σ_r ‖total · M_r p_{C(r)} − y_r‖² / σ_r²    (cell by cell: σ_r times the cell's `scale`)
 *
 * over the marginal polytope, where M_r sums the clique table of the clique C(r) holding measurement r onto
 * r's attributes. Solved by entropic mirror descent in the exponential-family parameterisation (the paper's
 * Algorithm 1): the log potentials θ move against the loss gradient with respect to the clique marginals,
 * θ ← θ − α ∇_p L(p), and belief propagation maps θ back to marginals p. The step α starts at 1/L with L the
 * loss's smoothness constant in the clique marginals, L = total² · max_C Σ_{r in C} 1/σ_r², doubles after each
 * accepted step, and is halved until the Armijo condition L(p) − L(p') ≥ ½ ⟨∇L(p), p − p'⟩ holds, so the loss
 * never increases. Everything is deterministic given the inputs (no randomness, fixed tie-breaking).
 */
import { assertInteger, assertPositive, InvalidParameterError } from '../../core/index.js';
import { cellCount, type SynthDomain } from '../domain.js';
import { gatherInto, projectionIndex, tableSize } from './factor.js';
import { BeliefPropagation, type Beliefs } from './inference.js';
import { contains, type JunctionTree, junctionTree } from './junction-tree.js';
import { checkAttrs, GraphicalModel, type MarginalModel, type Measurement } from './model.js';

/** Options of {@link estimate}. */
export interface EstimateOptions {
  /**
   * Mirror-descent iterations (default 1000, Private-PGM's default for MST: enough for the loss to settle on
   * domains of a few dozen attributes; each iteration costs one to a few belief propagations).
   */
  readonly iterations?: number;
  /** The known or estimated record count; default: the inverse-variance weighted mean of each measurement's sum. */
  readonly total?: number;
  /** Start from this model (AIM refits after each new measurement); its domain must be the same. */
  readonly warmStart?: MarginalModel;
  /** Refuse a junction tree whose largest clique table has more cells than this. */
  readonly maxCells?: number;
}

/** Default mirror-descent iterations. */
export const DEFAULT_ITERATIONS = 1000;

/** Backtracking halvings tried per iteration before the descent is taken as converged. */
const MAX_HALVINGS = 40;

/** Probabilities below this are clamped when a warm start goes through log marginals. */
const LOG_FLOOR = Math.log(1e-300);

/** One measurement bound to the clique that holds it. */
interface Bound {
  readonly clique: number;
  readonly map: Int32Array; // clique cells → measurement cells
  readonly values: Float64Array;
  readonly weights: Float64Array; // per cell, 1 / (sigma scale)^2
  readonly maxWeight: number;
}

/**
 * Fits a graphical model to noisy marginals (Private-PGM).
 * @param domain the attributes and their sizes
 * @param measurements noisy counts over attribute subsets, each with its noise std `sigma`
 * @param options see {@link EstimateOptions}
 * @returns the fitted model; its junction tree covers every measured attribute set and every attribute
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER: a measurement over unknown or repeated attributes,
 *   of the wrong length, with a non-finite value or a sigma that is not > 0; no measurement and no `total`;
 *   bad options; a warm start over another domain; a junction-tree clique over `maxCells` (the message names
 *   the cliques)
 * @example const model = estimate(domain, [{ attrs: ['a', 'b'], values, sigma: 10 }], { iterations: 500 });
 */
export function estimate(
  domain: SynthDomain,
  measurements: readonly Measurement[],
  options: EstimateOptions = {},
): MarginalModel {
  const fn = 'estimate';
  measurements.forEach((m, i) => checkMeasurement(fn, `measurements[${i}]`, domain, m));
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  assertInteger(fn, 'iterations', iterations, 0);
  if (options.maxCells !== undefined) assertInteger(fn, 'maxCells', options.maxCells, 1);
  if (options.total !== undefined) assertPositive(fn, 'total', options.total);
  const total = options.total ?? estimateTotal(measurements);
  const tree = junctionTree(
    domain,
    measurements.map((m) => m.attrs),
    options.maxCells,
  );
  const bp = new BeliefPropagation(domain, tree);
  const bound = bindMeasurements(domain, tree, measurements);
  const start =
    options.warmStart === undefined
      ? tree.cliques.map((c) => new Float64Array(cellCount(domain, c)))
      : warmPotentials(domain, tree, options.warmStart);
  const { theta, beliefs } = mirrorDescent(bp, bound, total, start, iterations);
  return new GraphicalModel(domain, tree, theta, total, beliefs);
}

/**
 * The loss Private-PGM minimises, ½ Σ_r ‖total · M_r(model) − y_r‖² / σ_r², for a model and measurements.
 * @throws {InvalidParameterError} a measurement that does not fit the model's domain
 */
export function measurementLoss(model: MarginalModel, measurements: readonly Measurement[]): number {
  let loss = 0;
  measurements.forEach((m, i) => {
    checkMeasurement('measurementLoss', `measurements[${i}]`, model.domain, m);
    const p = model.marginal(m.attrs);
    for (let j = 0; j < p.length; j++) {
      const r = model.total * p[j]! - m.values[j]!;
      const sd = m.sigma * (m.scale?.[j] ?? 1);
      loss += (0.5 * r * r) / (sd * sd);
    }
  });
  return loss;
}

function checkMeasurement(fn: string, param: string, domain: SynthDomain, m: Measurement): void {
  checkAttrs(fn, `${param}.attrs`, domain, m.attrs);
  const cells = cellCount(domain, m.attrs);
  if (!(m.values instanceof Float64Array) || m.values.length !== cells) {
    throw new InvalidParameterError({
      fn,
      param: `${param}.values`,
      value: m.values,
      allowed: `a Float64Array of ${cells} counts (the table over ${m.attrs.join(', ')})`,
    });
  }
  for (let j = 0; j < cells; j++) {
    if (!Number.isFinite(m.values[j])) {
      throw new InvalidParameterError({
        fn,
        param: `${param}.values[${j}]`,
        value: m.values[j],
        allowed: 'a finite number',
      });
    }
  }
  assertPositive(fn, `${param}.sigma`, m.sigma);
  if (m.scale === undefined) return;
  if (!(m.scale instanceof Float64Array) || m.scale.length !== cells)
    throw new InvalidParameterError({
      fn,
      param: `${param}.scale`,
      value: m.scale,
      allowed: `a Float64Array of ${cells} noise scales, or none`,
    });
  for (let j = 0; j < cells; j++) assertPositive(fn, `${param}.scale[${j}]`, m.scale[j]!);
}

/**
 * The record count implied by the measurements: each table's sum estimates it with noise variance
 * σ² · cells, so their inverse-variance weighted mean, at least 1 (as Private-PGM does).
 * @throws {InvalidParameterError} when there is no measurement
 */
export function estimateTotal(measurements: readonly Measurement[]): number {
  if (measurements.length === 0) {
    throw new InvalidParameterError({
      fn: 'estimate',
      param: 'options.total',
      value: undefined,
      allowed: 'a number > 0 when there is no measurement to estimate it from',
    });
  }
  let weighted = 0;
  let weights = 0;
  for (const m of measurements) {
    let sum = 0;
    let variance = 0;
    for (let j = 0; j < m.values.length; j++) {
      sum += m.values[j]!;
      variance += (m.scale?.[j] ?? 1) ** 2;
    }
    const w = 1 / (m.sigma * m.sigma * variance);
    weighted += w * sum;
    weights += w;
  }
  return Math.max(1, weighted / weights);
}

function bindMeasurements(
  domain: SynthDomain,
  tree: JunctionTree,
  measurements: readonly Measurement[],
): Bound[] {
  return measurements.map((m) => {
    let clique = -1;
    tree.cliques.forEach((c, i) => {
      if (
        contains(c, m.attrs) &&
        (clique < 0 || cellCount(domain, c) < cellCount(domain, tree.cliques[clique]!))
      ) {
        clique = i;
      }
    });
    const c = tree.cliques[clique]!;
    const sizes = c.map((a) => domain.sizes.get(a)!);
    const weights = new Float64Array(m.values.length);
    let maxWeight = 0;
    for (let k = 0; k < weights.length; k++) {
      const sd = m.sigma * (m.scale?.[k] ?? 1);
      weights[k] = 1 / (sd * sd);
      maxWeight = Math.max(maxWeight, weights[k]!);
    }
    return { clique, map: projectionIndex(c, sizes, m.attrs), values: m.values, weights, maxWeight };
  });
}

/** Loss and its gradient with respect to each clique's probability table. */
function lossAndGradient(
  probabilities: readonly Float64Array[],
  bound: readonly Bound[],
  total: number,
): { loss: number; gradient: Float64Array[] } {
  const gradient = probabilities.map((p) => new Float64Array(p.length));
  let loss = 0;
  for (const b of bound) {
    const p = probabilities[b.clique]!;
    const residual = new Float64Array(b.values.length);
    for (let j = 0; j < b.map.length; j++) residual[b.map[j]!]! += p[j]!;
    for (let k = 0; k < residual.length; k++) {
      const w = b.weights[k]!;
      const r = total * residual[k]! - b.values[k]!;
      loss += 0.5 * w * r * r;
      residual[k] = total * w * r;
    }
    const g = gradient[b.clique]!;
    for (let j = 0; j < b.map.length; j++) g[j]! += residual[b.map[j]!]!;
  }
  return { loss, gradient };
}

function mirrorDescent(
  bp: BeliefPropagation,
  bound: readonly Bound[],
  total: number,
  theta: Float64Array[],
  iterations: number,
): { theta: Float64Array[]; beliefs: Beliefs } {
  let beliefs = bp.run(theta);
  let probabilities = beliefs.map((b) => b.exp().values);
  let { loss, gradient } = lossAndGradient(probabilities, bound, total);
  const perClique = theta.map(() => 0);
  for (const b of bound) perClique[b.clique]! += b.maxWeight;
  const smoothness = total * total * Math.max(0, ...perClique);
  if (smoothness === 0) return { theta, beliefs };
  let alpha = 1 / smoothness;
  for (let t = 0; t < iterations; t++) {
    let accepted = false;
    for (let h = 0; h < MAX_HALVINGS && !accepted; h++) {
      let finite = true;
      const next = theta.map((th, i) => {
        const g = gradient[i]!;
        const out = new Float64Array(th.length);
        for (let j = 0; j < out.length; j++) {
          out[j] = th[j]! - alpha * g[j]!;
          if (!Number.isFinite(out[j])) finite = false;
        }
        return out;
      });
      if (!finite) {
        alpha /= 2; // a step so long that a potential overflows: shorter
        continue;
      }
      const nextBeliefs = bp.run(next);
      const nextProbabilities = nextBeliefs.map((b) => b.exp().values);
      const nextLoss = lossAndGradient(nextProbabilities, bound, total);
      let decrease = 0;
      gradient.forEach((g, i) => {
        const p = probabilities[i]!;
        const q = nextProbabilities[i]!;
        for (let j = 0; j < g.length; j++) decrease += g[j]! * (p[j]! - q[j]!);
      });
      if (loss - nextLoss.loss >= 0.5 * decrease && nextLoss.loss <= loss) {
        theta = next;
        beliefs = nextBeliefs;
        probabilities = nextProbabilities;
        loss = nextLoss.loss;
        gradient = nextLoss.gradient;
        accepted = true;
        alpha *= 2;
      } else {
        alpha /= 2;
      }
    }
    if (!accepted) break; // no step decreases the loss at floating-point precision: converged
  }
  return { theta, beliefs };
}

/**
 * Initial potentials from a previous model. When the previous model is a {@link GraphicalModel} whose every
 * clique lies inside one of the new cliques, its potentials are added into them: the same distribution.
 * Otherwise each new clique gets log μ_C − log μ_S from the previous model's marginals (S its separator), which
 * is the previous distribution when that distribution factorises over the new tree, and its tree projection
 * (an approximation; only the starting point of the descent) when it does not.
 */
function warmPotentials(domain: SynthDomain, tree: JunctionTree, previous: MarginalModel): Float64Array[] {
  const same =
    previous.domain.attrs.length === domain.attrs.length &&
    domain.attrs.every(
      (a, i) => previous.domain.attrs[i] === a && previous.domain.sizes.get(a) === domain.sizes.get(a),
    );
  if (!same) {
    throw new InvalidParameterError({
      fn: 'estimate',
      param: 'options.warmStart',
      value: previous.domain.attrs.join(', '),
      allowed: `a model over the same domain (${domain.attrs.join(', ')}, same sizes)`,
    });
  }
  const sizes = tree.cliques.map((c) => c.map((a) => domain.sizes.get(a)!));
  const theta = tree.cliques.map((c) => new Float64Array(cellCount(domain, c)));
  if (previous instanceof GraphicalModel) {
    const homes = previous.cliques.map((old) => {
      let home = -1;
      tree.cliques.forEach((c, i) => {
        if (contains(c, old) && (home < 0 || theta[i]!.length < theta[home]!.length)) home = i;
      });
      return home;
    });
    if (homes.every((h) => h >= 0)) {
      previous.cliques.forEach((old, k) => {
        const home = homes[k]!;
        const expanded = new Float64Array(theta[home]!.length);
        gatherInto(
          previous.potentials[k]!,
          projectionIndex(tree.cliques[home]!, sizes[home]!, old),
          expanded,
        );
        for (let j = 0; j < expanded.length; j++) theta[home]![j]! += expanded[j]!;
      });
      return theta;
    }
  }
  tree.cliques.forEach((c, i) => {
    const joint = previous.marginal(c);
    const separator = tree.separator[i]!;
    const sepTable = new Float64Array(tableSize(separator.map((a) => domain.sizes.get(a)!)));
    const map = projectionIndex(c, sizes[i]!, separator);
    for (let j = 0; j < joint.length; j++) sepTable[map[j]!]! += joint[j]!;
    const th = theta[i]!;
    for (let j = 0; j < th.length; j++) {
      th[j] = Math.max(Math.log(joint[j]!), LOG_FLOOR) - Math.max(Math.log(sepTable[map[j]!]!), LOG_FLOOR);
    }
  });
  return theta;
}
