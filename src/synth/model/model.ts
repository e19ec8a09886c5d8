/**
 * The fitted graphical model: a junction tree, one log potential per clique, the estimated record count, and
 * the calibrated beliefs computed from them; with its JSON form (`--save`) and the loader that validates it.
 */
import { z } from 'zod';
import {
  assertInteger,
  ConfigError,
  checkSchema,
  InvalidParameterError,
  type Rng,
} from '../../core/index.js';
import { cellCount, type SynthDomain, synthDomain } from '../domain.js';
import { BeliefPropagation, type Beliefs, marginalOf } from './inference.js';
import { hasRunningIntersection, type JunctionTree, treeFromCliques } from './junction-tree.js';
import { sampleRows } from './sample.js';

/** A noisy marginal: counts over `attrs` (row-major layout of that list) measured with Gaussian noise of std `sigma`. */
export interface Measurement {
  readonly attrs: readonly string[];
  readonly values: Float64Array;
  readonly sigma: number;
  /**
   * Per cell, the noise std in units of `sigma` (default 1 everywhere): a cell that sums k measured cells (MST's
   * domain compression) has std sigma sqrt(k).
   */
  readonly scale?: Float64Array;
}

/** A fitted model. */
export interface MarginalModel {
  readonly domain: SynthDomain;
  /** The cliques of its junction tree. */
  readonly cliques: readonly (readonly string[])[];
  /** The estimated number of records. */
  readonly total: number;
  /** Its marginal over `attrs` (any subset of the domain's attributes, in the order given) as probabilities summing to 1. */
  marginal(attrs: readonly string[]): Float64Array;
  /** `rows` records drawn from it: one Int32Array of codes per attribute (domain.attrs order), each of length rows. */
  sample(rows: number, rng: Rng): Int32Array[];
  /** A JSON-able form (for `--save`), restored by `modelFromJson`. */
  toJson(): unknown;
}

/** The `format` tag of a saved model. */
export const MODEL_FORMAT = 'veil.synth.graphical-model';

/** A Markov random field on a junction tree, with log potentials per clique (see {@link MarginalModel}). */
export class GraphicalModel implements MarginalModel {
  readonly domain: SynthDomain;
  readonly tree: JunctionTree;
  readonly total: number;
  /** One log-potential table per clique, in the clique's layout (attributes in domain order). */
  readonly potentials: readonly Float64Array[];
  /** Each clique's marginal as normalised log probabilities. */
  readonly beliefs: Beliefs;

  /**
   * @param beliefs the calibrated beliefs when the caller already has them (estimate does); else computed
   */
  constructor(
    domain: SynthDomain,
    tree: JunctionTree,
    potentials: readonly Float64Array[],
    total: number,
    beliefs?: Beliefs,
  ) {
    this.domain = domain;
    this.tree = tree;
    this.potentials = potentials;
    this.total = total;
    this.beliefs = beliefs ?? new BeliefPropagation(domain, tree).run(potentials);
  }

  get cliques(): readonly (readonly string[])[] {
    return this.tree.cliques;
  }

  /** @throws {InvalidParameterError} an unknown or repeated attribute */
  marginal(attrs: readonly string[]): Float64Array {
    checkAttrs('GraphicalModel.marginal', 'attrs', this.domain, attrs);
    return marginalOf(this.domain, this.tree, this.beliefs, attrs);
  }

  /** @throws {InvalidParameterError} `rows` not an integer >= 0 */
  sample(rows: number, rng: Rng): Int32Array[] {
    assertInteger('GraphicalModel.sample', 'rows', rows, 0);
    return sampleRows(this.domain, this.tree, this.beliefs, rows, rng);
  }

  toJson(): unknown {
    return {
      format: MODEL_FORMAT,
      version: 1,
      domain: this.domain.attrs.map((a) => [a, this.domain.sizes.get(a)!]),
      total: this.total,
      cliques: this.tree.cliques.map((c) => [...c]),
      potentials: this.potentials.map((p) => Array.from(p)),
    };
  }
}

/** Checks that `attrs` are distinct attributes of `domain`. @throws {InvalidParameterError} */
export function checkAttrs(fn: string, param: string, domain: SynthDomain, attrs: readonly string[]): void {
  const seen = new Set<string>();
  for (const a of attrs) {
    if (!domain.sizes.has(a) || seen.has(a)) {
      throw new InvalidParameterError({
        fn,
        param,
        value: a,
        allowed: `distinct attributes of the domain (${domain.attrs.join(', ')})`,
      });
    }
    seen.add(a);
  }
}

const ModelJsonSchema = z
  .object({
    format: z.literal(MODEL_FORMAT),
    version: z.literal(1),
    domain: z.array(z.tuple([z.string().min(1), z.number().int().min(1)])).min(1),
    total: z.number().positive(),
    cliques: z.array(z.array(z.string()).min(1)).min(1),
    potentials: z.array(z.array(z.number())),
  })
  .strict();

/**
 * Restores a model saved with {@link MarginalModel.toJson}.
 * @throws {ConfigError} VEIL_CONFIG_INVALID: a wrong shape, an unknown or repeated attribute, a potential table
 *   of the wrong length, cliques that miss an attribute or do not form a junction tree
 */
export function modelFromJson(json: unknown): MarginalModel {
  const parsed = checkSchema(ModelJsonSchema, json);
  if (!('data' in parsed)) throw new ConfigError(parsed.issues, 'saved graphical model');
  const data = parsed.data;
  const fail = (path: string, value: unknown, allowed: string): never => {
    throw new ConfigError([{ path, value, allowed }], 'saved graphical model');
  };
  let domain: SynthDomain;
  try {
    domain = synthDomain(data.domain);
  } catch (e) {
    return fail('domain', data.domain, e instanceof Error ? e.message : 'a valid domain');
  }
  const rank = new Map(domain.attrs.map((a, i) => [a, i]));
  data.cliques.forEach((c, i) => {
    c.forEach((a, k) => {
      if (!rank.has(a)) fail(`cliques.${i}.${k}`, a, 'an attribute of the domain');
      if (k > 0 && rank.get(a)! <= rank.get(c[k - 1]!)!)
        fail(`cliques.${i}`, c, 'attributes in domain order');
    });
  });
  const covered = new Set(data.cliques.flat());
  for (const a of domain.attrs) if (!covered.has(a)) fail('cliques', a, 'cliques covering every attribute');
  if (data.potentials.length !== data.cliques.length) {
    fail('potentials', data.potentials.length, `one table per clique (${data.cliques.length})`);
  }
  const potentials = data.potentials.map((p, i) => {
    const cells = cellCount(domain, data.cliques[i]!);
    if (p.length !== cells) fail(`potentials.${i}`, p.length, `${cells} values`);
    return Float64Array.from(p);
  });
  const tree = treeFromCliques(data.cliques);
  if (!hasRunningIntersection(tree)) fail('cliques', data.cliques.length, 'the cliques of a junction tree');
  return new GraphicalModel(domain, tree, potentials, data.total);
}
