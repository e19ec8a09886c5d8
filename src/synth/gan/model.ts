/**
 * The fitted DP GAN as a sampleable model: the generator's architecture and weights and the conditional
 * distribution (the DP 1-way marginals as probabilities), with its JSON form (`--save`) and the loader that
 * validates it. Everything in it is a private release or post-processing of one, so sampling costs no privacy.
 */
import { z } from 'zod';
import { assertInteger, ConfigError, checkSchema, type Rng, seededRng } from '../../core/index.js';
import { type SynthDomain, synthDomain } from '../domain.js';
import { type Blocks, blocksOf, sampleBlocks } from './block-softmax.js';
import { generatorInput, sampleConditions } from './condition.js';
import { beginPass, Mlp, type MlpSpec } from './mlp.js';

/** The `format` tag of a saved DP GAN. */
export const DPGAN_MODEL_FORMAT = 'veil.synth.dp-gan';

/** Rows generated per forward pass when sampling. */
const SAMPLE_CHUNK = 2048;

/** A fitted DP GAN's generator, ready to sample rows. */
export class GanModel {
  readonly domain: SynthDomain;
  readonly blocks: Blocks;
  readonly generator: Mlp;
  readonly noiseDim: number;
  /** Per attribute, the probabilities conditions are drawn from (the noisy 1-way marginal, normalised). */
  readonly conditional: readonly Float64Array[];

  constructor(domain: SynthDomain, generator: Mlp, noiseDim: number, conditional: readonly Float64Array[]) {
    this.domain = domain;
    this.blocks = blocksOf(domain.attrs.map((a) => domain.sizes.get(a)!));
    this.generator = generator;
    this.noiseDim = noiseDim;
    this.conditional = conditional;
  }

  /**
   * `rows` records: each row's condition (an attribute chosen uniformly, a value from its noisy marginal) and
   * noise go through the generator, every attribute's value is drawn from the generator's softmax, and the
   * conditioned attribute keeps the condition's value (what the condition means; CTGAN leaves it to the
   * generator's training to agree).
   * @returns one Int32Array of codes per attribute (domain order), each of length rows
   */
  sample(rows: number, rng: Rng): Int32Array[] {
    assertInteger('GanModel.sample', 'rows', rows, 0);
    const out = this.domain.attrs.map(() => new Int32Array(rows));
    const width = this.blocks.width;
    for (let from = 0; from < rows; from += SAMPLE_CHUNK) {
      const n = Math.min(SAMPLE_CHUNK, rows - from);
      beginPass();
      const conditions = sampleConditions(this.conditional, this.blocks, n, rng);
      const logits = this.generator.forward(generatorInput(conditions, this.noiseDim, width, rng), n).y;
      const codes = sampleBlocks(logits, this.blocks, rng);
      for (let b = 0; b < n; b++) codes[conditions.attrs[b]!]![b] = conditions.codes[b]!;
      codes.forEach((c, k) => {
        out[k]!.set(c, from);
      });
    }
    return out;
  }

  /** A JSON-able form, restored by {@link ganModelFromJson}; weights as little-endian float32 in base64. */
  toJson(): unknown {
    const spec = this.generator.spec;
    return {
      format: DPGAN_MODEL_FORMAT,
      version: 1,
      domain: this.domain.attrs.map((a) => [a, this.domain.sizes.get(a)!]),
      noiseDim: this.noiseDim,
      generator: {
        hidden: [...spec.hidden],
        activation: spec.activation,
        weights: this.generator.params.map((p) => float32ToBase64(p.value)),
      },
      conditional: this.conditional.map((p) => Array.from(p)),
    };
  }
}

function float32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    view.setFloat32(i * 4, v, true);
  });
  return Buffer.from(bytes).toString('base64');
}

function base64ToFloat32(text: string): Float32Array | null {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0 || bytes.toString('base64') !== text) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out.every(Number.isFinite) ? out : null;
}

const GanJsonSchema = z
  .object({
    format: z.literal(DPGAN_MODEL_FORMAT),
    version: z.literal(1),
    domain: z.array(z.tuple([z.string().min(1), z.number().int().min(1)])).min(1),
    noiseDim: z.number().int().min(1).max(4096),
    generator: z
      .object({
        hidden: z.array(z.number().int().min(1).max(65536)).max(16),
        activation: z.enum(['relu', 'tanh']),
        weights: z.array(z.string()),
      })
      .strict(),
    conditional: z.array(z.array(z.number().finite().min(0))),
  })
  .strict();

/**
 * Restores a model saved with {@link GanModel.toJson}.
 * @throws {ConfigError} VEIL_CONFIG_INVALID: a wrong shape, a bad domain, weights of the wrong count or length or
 *   not finite float32, conditional probabilities that do not match the domain or do not sum to 1
 */
export function ganModelFromJson(json: unknown): GanModel {
  const context = 'saved DP GAN';
  const parsed = checkSchema(GanJsonSchema, json);
  if (!('data' in parsed)) throw new ConfigError(parsed.issues, context);
  const data = parsed.data;
  const fail = (path: string, value: unknown, allowed: string): never => {
    throw new ConfigError([{ path, value, allowed }], context);
  };
  let domain: SynthDomain;
  try {
    domain = synthDomain(data.domain);
  } catch (e) {
    return fail('domain', data.domain, e instanceof Error ? e.message : 'a valid domain');
  }
  const sizes = domain.attrs.map((a) => domain.sizes.get(a)!);
  if (data.conditional.length !== sizes.length)
    fail('conditional', data.conditional.length, `one table per attribute (${sizes.length})`);
  const conditional = data.conditional.map((p, k) => {
    if (p.length !== sizes[k]) fail(`conditional.${k}`, p.length, `${sizes[k]} probabilities`);
    const total = p.reduce((a, b) => a + b, 0);
    if (!(Math.abs(total - 1) < 1e-9)) fail(`conditional.${k}`, total, 'probabilities summing to 1');
    return Float64Array.from(p);
  });
  const width = blocksOf(sizes).width;
  const spec: MlpSpec = {
    inputs: data.noiseDim + width,
    hidden: data.generator.hidden,
    outputs: width,
    activation: data.generator.activation,
  };
  // The initial weights are overwritten below; the seeded generator only fills them (no privacy role).
  const generator = new Mlp(spec, seededRng(0));
  if (data.generator.weights.length !== generator.params.length)
    fail('generator.weights', data.generator.weights.length, `${generator.params.length} arrays`);
  generator.params.forEach((p, i) => {
    const values = base64ToFloat32(data.generator.weights[i]!);
    if (values === null || values.length !== p.value.length)
      fail(`generator.weights.${i}`, values?.length, `${p.value.length} finite float32 values in base64`);
    p.value.set(values!);
  });
  return new GanModel(domain, generator, data.noiseDim, conditional);
}
