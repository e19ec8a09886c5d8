/**
 * MST's domain compression (McKenna, Miklau & Sheldon 2021, §4; private-pgm `mechanisms/mst.py`,
 * `compress_domain`): after the 1-way marginals are measured, the values of an attribute whose noisy count is
 * below 3 sigma are merged into one value. The rest of the mechanism (selection, 2-way measurements, the fit)
 * runs over the smaller domain, where a 2-way table has far fewer cells to drown in noise; sampling spreads a
 * merged value uniformly over the values it holds.
 *
 * Privacy: the compression is a function of the released 1-way measurements only (post-processing), and later
 * measurements of the compressed data are measurements of the data under a public map: their sensitivity is
 * unchanged (one record moves one count of any table by one).
 *
 * The merged cell's measurement is the sum of the k noisy counts it holds, with noise std sigma sqrt(k)
 * (`Measurement.scale`), which is private-pgm's reweighting (query and answer divided by sqrt(k)).
 */
import { z } from 'zod';
import { ConfigError, checkSchema, type Rng } from '../core/index.js';
import type { SynthData } from './data.js';
import { cellCount, type SynthDomain, synthDomain } from './domain.js';
import type { MarginalModel, Measurement } from './model/index.js';

/** One attribute's compression: the original codes kept (in order), the rest merged into one last code. */
export interface AttributeCompression {
  readonly attr: string;
  /** The original number of codes. */
  readonly size: number;
  /** Original codes kept, increasing; new code i is kept[i]. */
  readonly kept: readonly number[];
  /** Original codes merged into the new code kept.length (empty: none merged, the attribute is unchanged). */
  readonly merged: readonly number[];
}

/** A compression of a whole domain. */
export interface DomainCompression {
  readonly original: SynthDomain;
  readonly compressed: SynthDomain;
  readonly attributes: readonly AttributeCompression[];
}

/**
 * The compression the 1-way measurements give: a value is kept when its noisy count is at least
 * `threshold` sigma (3 in the reference). An attribute with at most one value below it is left as it is.
 * @param oneWay one 1-way measurement per attribute of `domain`, in any order
 */
export function compressionFor(
  domain: SynthDomain,
  oneWay: readonly Measurement[],
  threshold = 3,
): DomainCompression {
  const attributes = domain.attrs.map((attr): AttributeCompression => {
    const size = domain.sizes.get(attr)!;
    const m = oneWay.find((x) => x.attrs.length === 1 && x.attrs[0] === attr);
    const all = Array.from({ length: size }, (_, i) => i);
    if (!m) return { attr, size, kept: all, merged: [] };
    const kept = all.filter((i) => m.values[i]! >= threshold * m.sigma * (m.scale?.[i] ?? 1));
    const merged = all.filter((i) => !(m.values[i]! >= threshold * m.sigma * (m.scale?.[i] ?? 1)));
    return merged.length <= 1 ? { attr, size, kept: all, merged: [] } : { attr, size, kept, merged };
  });
  return fromAttributes(domain, attributes);
}

function fromAttributes(
  original: SynthDomain,
  attributes: readonly AttributeCompression[],
): DomainCompression {
  const compressed = synthDomain(
    attributes.map((a) => [a.attr, a.kept.length + (a.merged.length > 0 ? 1 : 0)] as const),
  );
  return { original, compressed, attributes };
}

/** Original code → compressed code, per attribute. */
function codeMaps(c: DomainCompression): Int32Array[] {
  return c.attributes.map((a) => {
    const map = new Int32Array(a.size);
    a.kept.forEach((code, i) => {
      map[code] = i;
    });
    for (const code of a.merged) map[code] = a.kept.length;
    return map;
  });
}

/** The records over the compressed domain. */
export function compressData(
  data: Pick<SynthData, 'domain' | 'columns'>,
  c: DomainCompression,
): Pick<SynthData, 'domain' | 'columns'> {
  const maps = codeMaps(c);
  return {
    domain: c.compressed,
    columns: data.columns.map((col, i) =>
      c.attributes[i]!.merged.length === 0 ? col : col.map((x) => maps[i]![x]!),
    ),
  };
}

/** A 1-way measurement re-expressed over the compressed attribute (the merged cell: the sum, std sigma sqrt(k)). */
export function compressMeasurement(m: Measurement, c: DomainCompression): Measurement {
  const a = c.attributes.find((x) => x.attr === m.attrs[0])!;
  if (m.attrs.length !== 1 || a.merged.length === 0) return m;
  const values = new Float64Array(a.kept.length + 1);
  const scale = new Float64Array(a.kept.length + 1);
  a.kept.forEach((code, i) => {
    values[i] = m.values[code]!;
    scale[i] = m.scale?.[code] ?? 1;
  });
  let variance = 0;
  for (const code of a.merged) {
    values[a.kept.length]! += m.values[code]!;
    variance += (m.scale?.[code] ?? 1) ** 2;
  }
  scale[a.kept.length] = Math.sqrt(variance);
  return { attrs: m.attrs, values, sigma: m.sigma, scale };
}

/** The `format` tag of a saved compressed model. */
export const COMPRESSED_MODEL_FORMAT = 'veil.synth.compressed-model';

/**
 * A model fitted over a compressed domain, seen over the original one: a merged value's probability is spread
 * uniformly over the values it holds (in marginals and in samples).
 */
export class CompressedModel implements MarginalModel {
  readonly domain: SynthDomain;
  readonly inner: MarginalModel;
  readonly compression: DomainCompression;
  private readonly maps: Int32Array[];

  constructor(inner: MarginalModel, compression: DomainCompression) {
    this.inner = inner;
    this.compression = compression;
    this.domain = compression.original;
    this.maps = codeMaps(compression);
  }

  get cliques(): readonly (readonly string[])[] {
    return this.inner.cliques;
  }

  get total(): number {
    return this.inner.total;
  }

  marginal(attrs: readonly string[]): Float64Array {
    const inner = this.inner.marginal(attrs);
    const index = attrs.map((a) => this.domain.attrs.indexOf(a));
    const sizes = index.map((i) => this.compression.attributes[i]!.size);
    const innerSizes = index.map((i) => this.compression.compressed.sizes.get(this.domain.attrs[i]!)!);
    const out = new Float64Array(cellCount(this.domain, attrs));
    const codes = new Int32Array(attrs.length);
    for (let cell = 0; cell < out.length; cell++) {
      let rest = cell;
      for (let k = attrs.length - 1; k >= 0; k--) {
        codes[k] = rest % sizes[k]!;
        rest = Math.floor(rest / sizes[k]!);
      }
      let at = 0;
      let share = 1;
      for (let k = 0; k < attrs.length; k++) {
        const a = this.compression.attributes[index[k]!]!;
        const code = this.maps[index[k]!]![codes[k]!]!;
        at = at * innerSizes[k]! + code;
        if (a.merged.length > 0 && code === a.kept.length) share /= a.merged.length;
      }
      out[cell] = inner[at]! * share;
    }
    return out;
  }

  sample(rows: number, rng: Rng): Int32Array[] {
    const columns = this.inner.sample(rows, rng);
    return columns.map((col, i) => {
      const a = this.compression.attributes[i]!;
      if (a.merged.length === 0) return col;
      const out = new Int32Array(col.length);
      for (let r = 0; r < col.length; r++) {
        const code = col[r]!;
        out[r] =
          code < a.kept.length ? a.kept[code]! : a.merged[Math.floor(rng.uniform() * a.merged.length)]!;
      }
      return out;
    });
  }

  toJson(): unknown {
    return {
      format: COMPRESSED_MODEL_FORMAT,
      version: 1,
      attributes: this.compression.attributes.map((a) => ({ attr: a.attr, size: a.size, kept: a.kept })),
      model: this.inner.toJson(),
    };
  }
}

const CompressedJsonSchema = z
  .object({
    format: z.literal(COMPRESSED_MODEL_FORMAT),
    version: z.literal(1),
    attributes: z
      .array(
        z
          .object({
            attr: z.string().min(1),
            size: z.number().int().gte(1),
            kept: z.array(z.number().int().gte(0)),
          })
          .strict(),
      )
      .min(1),
    model: z.unknown(),
  })
  .strict();

/**
 * Restores a {@link CompressedModel} saved with `toJson()`, its inner model with `loadInner`.
 * @throws {ConfigError} VEIL_CONFIG_INVALID for a malformed file or an inner model over another domain
 */
export function compressedModelFromJson(
  json: unknown,
  loadInner: (json: unknown) => MarginalModel,
): CompressedModel {
  const context = 'saved compressed synthetic-data model';
  const parsed = checkSchema(CompressedJsonSchema, json);
  if (!('data' in parsed)) throw new ConfigError(parsed.issues, context);
  const fail = (path: string, value: unknown, allowed: string): never => {
    throw new ConfigError([{ path, value, allowed }], context);
  };
  const attributes = parsed.data.attributes.map((a, i): AttributeCompression => {
    a.kept.forEach((code, k) => {
      if (code >= a.size || (k > 0 && code <= a.kept[k - 1]!))
        fail(`attributes.${i}.kept`, a.kept, `increasing codes in [0, ${a.size - 1}]`);
    });
    const kept = new Set(a.kept);
    const merged = Array.from({ length: a.size }, (_, c) => c).filter((c) => !kept.has(c));
    return { attr: a.attr, size: a.size, kept: a.kept, merged };
  });
  let original: SynthDomain;
  try {
    original = synthDomain(attributes.map((a) => [a.attr, a.size] as const));
  } catch (e) {
    return fail(
      'attributes',
      parsed.data.attributes.length,
      e instanceof Error ? e.message : 'a valid domain',
    );
  }
  const compression = fromAttributes(original, attributes);
  const inner = loadInner(parsed.data.model);
  const same =
    inner.domain.attrs.length === original.attrs.length &&
    inner.domain.attrs.every(
      (a, i) => a === original.attrs[i] && inner.domain.sizes.get(a) === compression.compressed.sizes.get(a),
    );
  if (!same) fail('model.domain', inner.domain.attrs, 'the compressed domain of `attributes`');
  return new CompressedModel(inner, compression);
}
