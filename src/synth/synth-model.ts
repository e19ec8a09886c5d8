/**
 * What every fitted synthetic-data model is to its users: a domain, rows sampled from it, and a JSON form
 * (`veil synth --save`), restored by {@link synthModelFromJson}, which dispatches on the JSON's `format` tag.
 * Sampling a fitted model is post-processing of its private release: it costs no privacy.
 */
import { ConfigError, type Rng } from '../core/index.js';
import { COMPRESSED_MODEL_FORMAT, compressedModelFromJson } from './compress.js';
import type { SynthDomain } from './domain.js';
import { DPGAN_MODEL_FORMAT, ganModelFromJson } from './gan/index.js';
import { MODEL_FORMAT, modelFromJson } from './model/index.js';

/** A fitted, sampleable synthetic-data model (the graphical model of MST/AIM, the DP GAN's generator). */
export interface SynthModel {
  readonly domain: SynthDomain;
  /** `rows` records: one Int32Array of codes per attribute (domain.attrs order), each of length rows. */
  sample(rows: number, rng: Rng): Int32Array[];
  /** A JSON-able form with a `format` tag, restored by {@link synthModelFromJson}. */
  toJson(): unknown;
}

/** The model formats {@link synthModelFromJson} reads, by their `format` tag. */
const LOADERS: Readonly<Record<string, (json: unknown) => SynthModel>> = {
  [MODEL_FORMAT]: modelFromJson,
  [COMPRESSED_MODEL_FORMAT]: (json) => compressedModelFromJson(json, modelFromJson),
  [DPGAN_MODEL_FORMAT]: ganModelFromJson,
};

/**
 * Restores a model saved with `toJson()`, by its `format` tag.
 * @throws {ConfigError} VEIL_CONFIG_INVALID at `format` for an unknown tag, else the format's own refusals
 */
export function synthModelFromJson(json: unknown): SynthModel {
  const format = (json as { format?: unknown } | null)?.format;
  const load = typeof format === 'string' && Object.hasOwn(LOADERS, format) ? LOADERS[format] : undefined;
  if (!load)
    throw new ConfigError(
      [{ path: 'format', value: format, allowed: `one of ${Object.keys(LOADERS).join(', ')}` }],
      'saved synthetic-data model',
    );
  return load(json);
}
