/**
 * The inner join of the parties' uploads on the id column, inside the room: the rows whose id every party
 * uploaded, with every party's columns side by side (party order of runtime.yaml). The ids themselves are
 * dropped: nothing downstream (the synthetic model, the statistics) sees them.
 */
import { type SynthData, synthDomain } from '../synth/index.js';
import type { Upload } from './uploads.js';

/** The joined records: encoded columns of every party, and numeric values for joint sums. */
export interface JoinedTable {
  readonly rows: number;
  readonly data: SynthData;
  /** Column names in `data.domain.attrs` order (the synthetic CSV's header). */
  readonly header: readonly string[];
  readonly numeric: ReadonlyMap<string, Float64Array>;
}

/**
 * Joins uploads (one per party, column names distinct across parties) on their ids.
 * @example const joined = innerJoin([retailer, bank]);
 */
export function innerJoin(uploads: readonly Upload[]): JoinedTable {
  const [first, ...rest] = uploads;
  if (!first) throw new Error('innerJoin: no uploads');
  // row index of each id, per party after the first
  const indexes = rest.map((u) => {
    const m = new Map<string, number>();
    u.ids.forEach((id, r) => m.set(id, r));
    return m;
  });
  const picks: number[][] = uploads.map(() => []);
  for (let r = 0; r < first.ids.length; r++) {
    const id = first.ids[r]!;
    const at = indexes.map((m) => m.get(id));
    if (at.some((i) => i === undefined)) continue;
    picks[0]!.push(r);
    at.forEach((i, p) => picks[p + 1]!.push(i!));
  }
  const n = picks[0]!.length;
  const attrs: [string, number][] = [];
  const columns: Int32Array[] = [];
  const categories: SynthData['categories'][number][] = [];
  const numeric = new Map<string, Float64Array>();
  uploads.forEach((u, p) => {
    const rowsOf = picks[p]!;
    u.data.domain.attrs.forEach((name, j) => {
      attrs.push([name, u.data.domain.sizes.get(name)!]);
      const src = u.data.columns[j]!;
      const col = new Int32Array(n);
      for (let r = 0; r < n; r++) col[r] = src[rowsOf[r]!]!;
      columns.push(col);
      categories.push(u.data.categories[j]!);
    });
    for (const [name, values] of u.numeric) {
      const col = new Float64Array(n);
      for (let r = 0; r < n; r++) col[r] = values[rowsOf[r]!]!;
      numeric.set(name, col);
    }
  });
  return {
    rows: n,
    data: { domain: synthDomain(attrs), columns, categories },
    header: attrs.map(([name]) => name),
    numeric,
  };
}
