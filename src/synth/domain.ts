/**
 * The discrete domain synthetic data is generated over: an ordered list of attributes, each with a public number
 * of values (codes `0 .. size-1`). Marginal tables over a list of attributes are flat Float64Arrays in row-major
 * order of that list (the first attribute varies slowest): the cell of codes (x_a, x_b, x_c) over [a, b, c] is
 * `(x_a * size_b + x_b) * size_c + x_c`. Every module of `synth` uses this layout.
 */
import { InvalidParameterError } from '../core/index.js';
import type { CategorySpec } from '../ml/index.js';

/**
 * How an attribute's codes map to table cells: declared integer codes, named values (code = index in the
 * declared order), or the bins of a numeric column (code = bin index over `edges`, right-open bins, the last
 * closed; `integer`: the column holds whole numbers). The synth engine's view of a domain entry of `veil/ml`.
 */
export type AttributeCoding =
  | CategorySpec
  | { readonly kind: 'bins'; readonly edges: readonly number[]; readonly integer: boolean };

/** The number of codes of an attribute: its codes, values or bins. */
export function codingSize(coding: AttributeCoding): number {
  if (coding.kind === 'codes') return coding.size;
  return coding.kind === 'values' ? coding.values.length : coding.edges.length - 1;
}

/** Attributes in a fixed order, each with its number of values. */
export interface SynthDomain {
  readonly attrs: readonly string[];
  readonly sizes: ReadonlyMap<string, number>;
}

/**
 * A domain from attribute sizes, in the given order.
 * @throws {InvalidParameterError} an empty domain, a repeated attribute, or a size that is not an integer >= 1
 * @example const d = synthDomain([['sex', 2], ['race', 5]]);
 */
export function synthDomain(entries: readonly (readonly [string, number])[]): SynthDomain {
  const fn = 'synthDomain';
  if (entries.length === 0) {
    throw new InvalidParameterError({
      fn,
      param: 'entries',
      value: entries,
      allowed: 'at least one attribute',
    });
  }
  const sizes = new Map<string, number>();
  for (const [attr, size] of entries) {
    if (sizes.has(attr)) {
      throw new InvalidParameterError({ fn, param: 'entries', value: attr, allowed: 'each attribute once' });
    }
    if (!(Number.isSafeInteger(size) && size >= 1)) {
      throw new InvalidParameterError({
        fn,
        param: `sizes.${attr}`,
        value: size,
        allowed: 'an integer >= 1',
      });
    }
    sizes.set(attr, size);
  }
  return { attrs: entries.map(([a]) => a), sizes };
}

/** The number of cells of the marginal table over `attrs` (the product of their sizes). */
export function cellCount(domain: SynthDomain, attrs: readonly string[]): number {
  let n = 1;
  for (const a of attrs) n *= sizeOf(domain, a);
  return n;
}

/** The size of `attr`. @throws {InvalidParameterError} for an attribute the domain does not have */
export function sizeOf(domain: SynthDomain, attr: string): number {
  const size = domain.sizes.get(attr);
  if (size === undefined) {
    throw new InvalidParameterError({
      fn: 'synth',
      param: 'attribute',
      value: attr,
      allowed: `one of the domain's attributes (${domain.attrs.join(', ')})`,
    });
  }
  return size;
}
