/**
 * Products of one party's plaintext feature matrix with secret-shared vectors, the two multiplications of
 * vertical logistic regression: X·w (scores) and Xᵀ·r (gradients), for a batch of rows. The owner of X knows
 * it in the clear; the weights or residuals are additive shares over Z_2^64. The owner's own share times X is
 * local; the other party's share times X is a Gilboa product by additive correlated OT (../ot/gilboa.ts), in
 * which the owner chooses with the bits of its features and learns nothing of the share, and the other party
 * learns nothing of X. A one-hot slot costs one OT, a quantised number FEATURE bits (9).
 *
 * Features are small integers: value = x · 2^shift / 2^fraction (see {@link FeatureLayout}); results are at
 * scale 2^(fracBits + fraction), to be truncated by `fraction` bits by the caller.
 */
import type { RingShares, Role } from '../arith/index.js';
import { type OtPair, plaintextTimesSharedReceive, plaintextTimesSharedSend } from '../ot/gilboa.js';

/** The public shape of a party's features: what the other party must know to take part in the products. */
export interface FeatureLayout {
  /** Features per row. */
  readonly width: number;
  /** CSV columns behind the features (a one-hot group or a number each): a row's squared norm is at most this. */
  readonly columns: number;
  /** OT choice bits per feature (1 for a one-hot slot). */
  readonly bits: Uint8Array;
  /** Each feature's value is x · 2^shift / 2^fraction. */
  readonly shifts: Uint8Array;
}

/** A party's own features: row-major, `rows` × `layout.width` small integers. */
export interface FeatureMatrix extends FeatureLayout {
  readonly values: Uint16Array;
  readonly rows: number;
}

/** Feature indices grouped by their bit width (each group is one batch of OTs). */
function groups(layout: FeatureLayout): { bits: number; features: number[] }[] {
  const by = new Map<number, number[]>();
  for (let j = 0; j < layout.width; j++) {
    const b = layout.bits[j]!;
    if (!by.has(b)) by.set(b, []);
    by.get(b)!.push(j);
  }
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([bits, features]) => ({ bits, features }));
}

const shifted = (v: bigint, shift: number) => (shift === 0 ? v : BigInt.asUintN(64, v << BigInt(shift)));

/**
 * Shares of X[rows] · w (one per row), at scale 2^(fracBits + fraction). Both parties call it: `owner` names
 * whose features X is; the owner passes its matrix, the other party passes the owner's layout.
 * @param w this party's shares of the weights of the owner's features (layout.width entries)
 */
export async function timesWeights(
  pair: OtPair,
  owner: Role,
  x: FeatureMatrix | FeatureLayout,
  rows: Uint32Array,
  w: RingShares,
): Promise<RingShares> {
  const m = rows.length;
  const out = new BigUint64Array(m);
  const mine = pair.role === owner;
  const matrix = x as FeatureMatrix;
  if (mine)
    for (let i = 0; i < m; i++) {
      let acc = 0n;
      const base = rows[i]! * x.width;
      for (let j = 0; j < x.width; j++) {
        const v = matrix.values[base + j]!;
        if (v !== 0) acc += BigInt(v) * shifted(w[j]!, x.shifts[j]!);
      }
      out[i] = BigInt.asUintN(64, acc);
    }
  for (const g of groups(x)) {
    const d = g.features.length;
    const entries = new BigUint64Array(m * d);
    if (mine)
      for (let i = 0; i < m; i++) {
        const base = rows[i]! * x.width;
        for (let k = 0; k < d; k++) entries[i * d + k] = BigInt(matrix.values[base + g.features[k]!]!);
      }
    else
      for (let i = 0; i < m; i++)
        for (let k = 0; k < d; k++)
          entries[i * d + k] = shifted(w[g.features[k]!]!, x.shifts[g.features[k]!]!);
    const products = mine
      ? await plaintextTimesSharedReceive(pair, entries, g.bits)
      : await plaintextTimesSharedSend(pair, entries, g.bits);
    for (let i = 0; i < m; i++) {
      let acc = out[i]!;
      for (let k = 0; k < d; k++) {
        acc += products[i * d + k]!; // the sender's entries carried 2^shift
      }
      out[i] = BigInt.asUintN(64, acc);
    }
  }
  return out;
}

/**
 * Shares of X[rows]ᵀ · r (one per feature), at scale 2^(fracBits + fraction).
 * @param r this party's shares of one value per row
 */
export async function transposeTimes(
  pair: OtPair,
  owner: Role,
  x: FeatureMatrix | FeatureLayout,
  rows: Uint32Array,
  r: RingShares,
): Promise<RingShares> {
  const m = rows.length;
  const out = new BigUint64Array(x.width);
  const mine = pair.role === owner;
  const matrix = x as FeatureMatrix;
  if (mine)
    for (let i = 0; i < m; i++) {
      const base = rows[i]! * x.width;
      const ri = r[i]!;
      for (let j = 0; j < x.width; j++) {
        const v = matrix.values[base + j]!;
        if (v !== 0) out[j] = BigInt.asUintN(64, out[j]! + BigInt(v) * shifted(ri, x.shifts[j]!));
      }
    }
  for (const g of groups(x)) {
    const d = g.features.length;
    const entries = new BigUint64Array(m * d);
    if (mine)
      for (let i = 0; i < m; i++) {
        const base = rows[i]! * x.width;
        for (let k = 0; k < d; k++) entries[i * d + k] = BigInt(matrix.values[base + g.features[k]!]!);
      }
    else
      for (let i = 0; i < m; i++)
        for (let k = 0; k < d; k++) entries[i * d + k] = shifted(r[i]!, x.shifts[g.features[k]!]!);
    const products = mine
      ? await plaintextTimesSharedReceive(pair, entries, g.bits)
      : await plaintextTimesSharedSend(pair, entries, g.bits);
    for (let k = 0; k < d; k++) {
      const j = g.features[k]!;
      let acc = out[j]!;
      for (let i = 0; i < m; i++) {
        acc += products[i * d + k]!; // the sender's entries carried 2^shift
      }
      out[j] = BigInt.asUintN(64, acc);
    }
  }
  return out;
}
