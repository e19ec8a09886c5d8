/**
 * Marginal counts of encoded records: the number of records in each cell of the table over a list of
 * attributes, in the layout of `domain.ts` (row-major over the list, first attribute slowest).
 */
import { InvalidParameterError } from '../core/index.js';
import type { SynthData } from './data.js';
import { cellCount, sizeOf } from './domain.js';

/**
 * Counts the records in each cell of the marginal over `attrs`: one pass over the rows, the cell index built
 * with Int32 arithmetic (Horner's rule over the attributes' codes).
 * @param data encoded records (codes in range, as `encodeTable` guarantees)
 * @param attrs distinct attributes of `data.domain`; `[]` gives the one-cell table holding the record count
 * @returns counts (Float64Array of `cellCount(domain, attrs)` cells)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an unknown or repeated attribute, or a table of
 *   more than 2^31 - 1 cells
 * @example marginalCounts(data, ['sex', 'race']); // counts[x_sex * size_race + x_race]
 */
export function marginalCounts(
  data: Pick<SynthData, 'domain' | 'columns'>,
  attrs: readonly string[],
): Float64Array {
  const fn = 'marginalCounts';
  const { domain } = data;
  if (new Set(attrs).size !== attrs.length) {
    throw new InvalidParameterError({ fn, param: 'attrs', value: attrs, allowed: 'distinct attributes' });
  }
  const cells = cellCount(domain, attrs);
  if (cells > 0x7fffffff) {
    throw new InvalidParameterError({ fn, param: 'attrs', value: attrs, allowed: 'a table of < 2^31 cells' });
  }
  const counts = new Float64Array(cells);
  const n = data.columns[0]?.length ?? 0;
  if (attrs.length === 0) {
    counts[0] = n;
    return counts;
  }
  const columns = attrs.map((a) => data.columns[domain.attrs.indexOf(a)]!);
  const sizes = Int32Array.from(attrs, (a) => sizeOf(domain, a));
  if (attrs.length === 1) {
    const c0 = columns[0]!;
    for (let r = 0; r < n; r++) counts[c0[r]!]!++;
    return counts;
  }
  if (attrs.length === 2) {
    const c0 = columns[0]!;
    const c1 = columns[1]!;
    const s1 = sizes[1]!;
    for (let r = 0; r < n; r++) counts[(c0[r]! * s1 + c1[r]!) | 0]!++;
    return counts;
  }
  const index = new Int32Array(n);
  for (let k = 0; k < attrs.length; k++) {
    const column = columns[k]!;
    const size = sizes[k]!;
    for (let r = 0; r < n; r++) index[r] = (index[r]! * size + column[r]!) | 0;
  }
  for (let r = 0; r < n; r++) counts[index[r]!]!++;
  return counts;
}
