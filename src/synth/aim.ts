/**
 * AIM (McKenna, Mullins, Sheldon & Miklau, "AIM: An Adaptive and Iterative Mechanism for Differentially Private
 * Synthetic Data", VLDB 2022, arXiv:2201.12677): measure every 1-way marginal, then, round after round, pick with
 * the exponential mechanism the candidate marginal the current model gets most wrong (weighted by its relevance
 * to the workload, net of the noise it would be measured with), measure it, and refit the graphical model
 * (Private-PGM, warm-started). When a new measurement barely moves the model, the noise is halved (annealing).
 *
 * Budget (rho-zCDP, as the reference implementation, private-pgm `mechanisms/aim.py`): with T = `maxRounds`
 * (default 16 d), sigma = sqrt(T / (2 · 0.9 rho)) and epsilon = sqrt(8 · 0.1 rho / T); the d 1-way marginals are
 * measured with that sigma (0.9 rho d / T in all; capped at rho / 2 when T < 1.8 d); each round spends
 * 1 / (2 sigma^2) + epsilon^2 / 8; when the budget left is below two rounds' worth, the round is the last and
 * spends all of it (0.9 on the measurement, 0.1 on the selection). Neighbouring relation: add/remove one record.
 */
import { type PrivacyEvent, ZcdpAccountant } from '../accounting/index.js';
import {
  assertInteger,
  assertPositive,
  InvalidParameterError,
  NumericError,
  type Rng,
} from '../core/index.js';
import type { SynthData } from './data.js';
import { cellCount } from './domain.js';
import { marginalCounts } from './marginals.js';
import { measureMarginal, selectExponential, sigmaForRho } from './measure.js';
import { estimate, type MarginalModel, type Measurement, modelCells } from './model/index.js';

/** Options of {@link aim}. */
export interface AimOptions {
  /**
   * The workload: attribute sets whose marginals the model should answer well. Default: every 3-way marginal
   * (every 2-way one when d = 2) whose table has at most `maxMarginalCells` cells (as the reference's driver).
   */
  readonly workload?: readonly (readonly string[])[];
  /** Default workload only: keep a uniform sample of this many of its marginals (drawn with `rng`; public). */
  readonly maxWorkload?: number;
  /** Default workload only: leave out marginals of more cells than this (default 10,000, the reference's). */
  readonly maxMarginalCells?: number;
  /**
   * T, the number of rounds the budget is planned for (default 16 d, the reference's). AIM runs at most T
   * rounds, fewer when annealing makes rounds dearer.
   */
  readonly maxRounds?: number;
  /** Model-size cap in cells over all cliques (default 10,485,760: the reference's 80 MB of float64). */
  readonly maxModelCells?: number;
  /** Mirror-descent iterations of each round's warm-started refit (default 100). */
  readonly iterations?: number;
  /** Iterations of the final fit (default 1000). */
  readonly finalIterations?: number;
}

/** One round of {@link aim}. */
export interface AimRound {
  /** The chosen marginal. */
  readonly attrs: readonly string[];
  readonly sigma: number;
  readonly epsilon: number;
  /** Whether the refit moved so little that sigma was halved (and epsilon doubled) after this round. */
  readonly annealed: boolean;
}

/** The result of {@link aim}. */
export interface AimResult {
  /** The model fitted to every measurement; sample synthetic records from it. */
  readonly model: MarginalModel;
  /** Every measurement: the d 1-way marginals, then one per round. */
  readonly measurements: readonly Measurement[];
  /** Every privacy event spent, in order; their zCDP composition is rho, never above (a few ulps below at most). */
  readonly events: readonly PrivacyEvent[];
  /** The rounds, in order. */
  readonly rounds: readonly AimRound[];
  /** The workload used (after defaults and sampling). */
  readonly workload: readonly (readonly string[])[];
}

/** Default model-size cap: 80 MiB of float64 cells (the reference's `max_model_size = 80`). */
export const AIM_MAX_MODEL_CELLS = (80 * 2 ** 20) / 8;

const DEFAULT_ROUND_ITERATIONS = 100;
const DEFAULT_FINAL_ITERATIONS = 1000;
const DEFAULT_MAX_MARGINAL_CELLS = 10_000;
const BIAS = Math.sqrt(2 / Math.PI);

/**
 * AIM: a rho-zCDP synthetic-data model of the data, tuned to a workload of marginals (see the module comment).
 * @param data encoded records (from `encodeTable`) over at least 2 attributes
 * @param rho the zCDP budget, finite > 0 (from (epsilon, delta) with `rhoFor`)
 * @param rng the randomness of every measurement and selection (the CSPRNG for private output)
 * @param options see {@link AimOptions}
 * @returns the model, the measurements, the privacy events and the rounds
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad rho, fewer than 2 attributes, an empty
 *   workload or one with unknown, repeated or no attributes, or a bad option
 * @throws {NumericError} VEIL_NUMERIC_FAILURE if rho cannot be split within rounding (not expected)
 * @example const { model, events } = aim(data, rhoFor(1, 1e-9), csprng());
 */
export function aim(
  data: Pick<SynthData, 'domain' | 'columns'>,
  rho: number,
  rng: Rng,
  options: AimOptions = {},
): AimResult {
  const fn = 'aim';
  assertPositive(fn, 'rho', rho);
  const { domain } = data;
  const d = domain.attrs.length;
  if (d < 2) {
    throw new InvalidParameterError({ fn, param: 'data.domain', value: d, allowed: 'at least 2 attributes' });
  }
  const maxRounds = options.maxRounds ?? 16 * d;
  assertInteger(fn, 'maxRounds', maxRounds, 1);
  const maxModelCells = options.maxModelCells ?? AIM_MAX_MODEL_CELLS;
  assertPositive(fn, 'maxModelCells', maxModelCells);
  const iterations = options.iterations ?? DEFAULT_ROUND_ITERATIONS;
  assertInteger(fn, 'iterations', iterations, 0);
  const finalIterations = options.finalIterations ?? DEFAULT_FINAL_ITERATIONS;
  assertInteger(fn, 'finalIterations', finalIterations, 0);
  const workload = resolveWorkload(data, options, rng);
  const candidates = compileWorkload(workload);
  const answers = new Map(candidates.map((c) => [c.key, marginalCounts(data, c.attrs)]));

  const events: PrivacyEvent[] = [];
  const measurements: Measurement[] = [];
  let sigma = sigmaForRho((0.9 * rho) / maxRounds);
  let epsilon = selectionEpsilon((0.1 * rho) / maxRounds);
  const sigmaOne = sigmaForRho(Math.min((0.9 * rho) / maxRounds, rho / (2 * d)));
  for (const a of domain.attrs) {
    const { measurement, event } = measureMarginal(marginalCounts(data, [a]), [a], sigmaOne, rng);
    measurements.push(measurement);
    events.push(event);
  }
  let model = estimate(domain, measurements, { iterations });
  const rounds: AimRound[] = [];
  let last = false;
  while (!last) {
    const used = composedRho(events);
    const remaining = rho - used;
    if (remaining < 2 * (1 / (2 * sigma * sigma) + (epsilon * epsilon) / 8)) {
      ({ sigma, epsilon } = lastRound(events, rho, remaining));
      last = true;
    }
    const usedAfter = used + 1 / (2 * sigma * sigma) + (epsilon * epsilon) / 8;
    // The reference's growing cap: the model may use a share of maxModelCells equal to the budget's share spent.
    const sizeLimit = (maxModelCells * Math.min(usedAfter, rho)) / rho;
    const allowed = filterCandidates(candidates, model, sizeLimit);
    const scores = allowed.map((c) => {
      const n = c.cells;
      return c.weight * (l1(answers.get(c.key)!, model.marginal(c.attrs), model.total) - BIAS * sigma * n);
    });
    const sensitivity = Math.max(...allowed.map((c) => c.weight));
    const { index, event: selection } = selectExponential(scores, { epsilon, sensitivity }, rng);
    events.push(selection);
    const chosen = allowed[index]!;
    const { measurement, event } = measureMarginal(answers.get(chosen.key)!, chosen.attrs, sigma, rng);
    measurements.push(measurement);
    events.push(event);
    const before = scaled(model.marginal(chosen.attrs), model.total);
    model = estimate(domain, measurements, { iterations, warmStart: model });
    const after = scaled(model.marginal(chosen.attrs), model.total);
    const annealed = !last && l1(before, after, 1) <= BIAS * sigma * chosen.cells;
    rounds.push({ attrs: chosen.attrs, sigma, epsilon, annealed });
    if (annealed) {
      sigma /= 2;
      epsilon *= 2;
    }
  }
  model = estimate(domain, measurements, { iterations: finalIterations, warmStart: model });
  return { model, measurements, events, rounds, workload };
}

interface Candidate {
  readonly attrs: readonly string[];
  readonly key: string;
  readonly weight: number;
  readonly cells: number;
}

function resolveWorkload(
  data: Pick<SynthData, 'domain'>,
  options: AimOptions,
  rng: Rng,
): (readonly string[])[] {
  const fn = 'aim';
  const { domain } = data;
  if (options.workload !== undefined) {
    if (options.maxWorkload !== undefined || options.maxMarginalCells !== undefined) {
      throw new InvalidParameterError({
        fn,
        param: 'options.workload',
        value: 'given with maxWorkload or maxMarginalCells',
        allowed: 'a workload, or the default one shaped by maxWorkload / maxMarginalCells, not both',
      });
    }
    if (options.workload.length === 0) {
      throw new InvalidParameterError({
        fn,
        param: 'options.workload',
        value: [],
        allowed: 'at least one marginal (a non-empty list of attributes)',
      });
    }
    return options.workload.map((w, i) => {
      const ok = w.length > 0 && new Set(w).size === w.length && w.every((a) => domain.sizes.has(a));
      if (!ok) {
        throw new InvalidParameterError({
          fn,
          param: `options.workload[${i}]`,
          value: w,
          allowed: `a non-empty list of distinct attributes of the domain (${domain.attrs.join(', ')})`,
        });
      }
      return domain.attrs.filter((a) => w.includes(a));
    });
  }
  const maxCells = options.maxMarginalCells ?? DEFAULT_MAX_MARGINAL_CELLS;
  assertPositive(fn, 'maxMarginalCells', maxCells);
  const attrs = domain.attrs;
  const degree = Math.min(3, attrs.length);
  const all: string[][] = [];
  const pick = (start: number, chosen: string[]): void => {
    if (chosen.length === degree) {
      if (cellCount(domain, chosen) <= maxCells) all.push([...chosen]);
      return;
    }
    for (let i = start; i < attrs.length; i++) pick(i + 1, [...chosen, attrs[i]!]);
  };
  pick(0, []);
  if (all.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'options.maxMarginalCells',
      value: maxCells,
      allowed: `a cap that leaves at least one ${degree}-way marginal in the default workload`,
    });
  }
  if (options.maxWorkload === undefined) return all;
  assertInteger(fn, 'maxWorkload', options.maxWorkload, 1);
  const k = Math.min(options.maxWorkload, all.length);
  for (let i = 0; i < k; i++) {
    const j = i + rng.uniformInt(all.length - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k).sort((x, y) => (key(x) < key(y) ? -1 : 1));
}

/**
 * The downward closure of the workload (every non-empty subset of a workload marginal), each with the paper's
 * weight w_r = Σ_{s in W} |r ∩ s|, in a fixed order (by size, then by the workload's first appearance).
 */
function compileWorkload(workload: readonly (readonly string[])[]): Candidate[] {
  const out = new Map<string, string[]>();
  for (const w of workload) {
    for (let mask = 1; mask < 1 << w.length; mask++) {
      const subset = w.filter((_, i) => mask & (1 << i));
      const k = key(subset);
      if (!out.has(k)) out.set(k, subset);
    }
  }
  return [...out.values()]
    .sort((x, y) => x.length - y.length)
    .map((attrs) => ({
      attrs,
      key: key(attrs),
      weight: workload.reduce((s, w) => s + attrs.filter((a) => w.includes(a)).length, 0),
      cells: 0,
    }));
}

/** Candidates already inside a model clique (free), or whose addition keeps the model within `limit` cells. */
function filterCandidates(
  candidates: readonly Candidate[],
  model: MarginalModel,
  limit: number,
): Candidate[] {
  const cliques = model.cliques;
  return candidates
    .filter((c) => {
      if (cliques.some((q) => c.attrs.every((a) => q.includes(a)))) return true;
      return modelCells(model.domain, [...cliques, c.attrs]).total <= limit;
    })
    .map((c) => ({ ...c, cells: cellCount(model.domain, c.attrs) }));
}

/** The zCDP total of `events` as the accountant sums it. */
function composedRho(events: readonly PrivacyEvent[]): number {
  return new ZcdpAccountant().compose({ kind: 'composed', events: [...events] }).rho;
}

/**
 * The last round's sigma and epsilon: 0.9 and 0.1 of the budget left, shrunk by a few ulps when needed so that
 * the accountant composes every event, these two included, to at most rho (fail closed).
 */
function lastRound(
  events: readonly PrivacyEvent[],
  rho: number,
  remaining: number,
): { sigma: number; epsilon: number } {
  let share = remaining;
  for (let attempt = 0; attempt < 64 && share > 0; attempt++) {
    const sigma = sigmaForRho(0.9 * share);
    const epsilon = selectionEpsilon(0.1 * share);
    const all: PrivacyEvent[] = [
      ...events,
      { kind: 'zcdp', rho: (epsilon * epsilon) / 8 },
      { kind: 'gaussian', sigma, l2Sensitivity: 1 },
    ];
    if (composedRho(all) <= rho) return { sigma, epsilon };
    share *= 1 - 2 ** -50;
  }
  throw new NumericError('aim: could not spend the rest of rho within floating-point rounding', {
    rho,
    remaining,
  });
}

/** sqrt(8 rho): the epsilon whose bounded-range guarantee is rho-zCDP, nudged down until epsilon^2 / 8 <= rho. */
function selectionEpsilon(rho: number): number {
  let epsilon = Math.sqrt(8 * rho);
  while ((epsilon * epsilon) / 8 > rho) epsilon *= 1 - 2 ** -52;
  return epsilon;
}

/** || x - scale · p ||_1. */
function l1(x: Float64Array, p: Float64Array, scale: number): number {
  let sum = 0;
  for (let c = 0; c < x.length; c++) sum += Math.abs(x[c]! - scale * p[c]!);
  return sum;
}

function scaled(p: Float64Array, total: number): Float64Array {
  return p.map((v) => v * total);
}

function key(attrs: readonly string[]): string {
  return JSON.stringify(attrs);
}
