/**
 * Vertical logistic regression by secure two-party computation (semi-honest). Party 0 holds the label and
 * its feature columns, party 1 its own columns, for the same rows in the same (PSI-aligned) order. The
 * weights, bias and every intermediate value are additive shares over Z_2^64 with 16 fractional bits; neither
 * party sees the other's features, the labels (party 1), the scores or the gradients. What is public: the
 * number of rows, the batch schedule, the features' layout (widths and bit sizes) and the hyper-parameters.
 *
 * Each step, for a batch B: z = X_A·w_A + X_B·w_B + b (./products.ts: Gilboa products of a party's plaintext
 * features with shared weights), then the residual r = s(z) − y with
 * - `taylor`: s(z) = 1/2 + z/4, the first-order Taylor expansion of the logistic function (Hardy et al. 2017,
 *   "Private federated learning on vertically partitioned data via entity resolution and additively
 *   homomorphic encryption", arXiv:1711.10677; FATE's hetero-LR): no comparison, linear in the shares;
 * - `hard-sigmoid`: s(z) = clip(z/4 + 1/2, 0, 1), two secure comparisons per row, so |r| <= 1 — what
 *   differential privacy needs;
 * then g = X_Bᵀ r per party and the bias gradient Σ r, and w ← w − (lr/|B|)(g + noise) − lr·l2·w.
 *
 * With `dp`, every step uses all training rows (full-batch gradient descent) and each party adds Gaussian noise
 * N(0, (σC)²) to each coordinate of the gradient sum (C = sqrt(columns + 1) bounds a row's gradient norm: at
 * most 1 per CSV column, one-hot or scaled to [0, 1], plus the bias, times |r| <= 1). Each party knows its own
 * noise, so what protects a row from the other party is the other's noise alone, of standard deviation σC;
 * and the other party knows which rows each step used. So no amplification by subsampling is claimed: the
 * accountant charges `steps` Gaussian releases of sensitivity C and noise σC (a DP-SGD schedule with sampling
 * rate 1), which holds against the other party and a fortiori against anyone who sees only the model.
 */
import { InvalidParameterError, ProtocolError, type Rng } from '../../core/index.js';
import { type ArithParty, encodeFixed, type RingShares, type Role, sigmoid } from '../arith/index.js';
import type { Channel } from '../channel.js';
import type { OtPair } from '../ot/gilboa.js';
import { type FeatureLayout, type FeatureMatrix, timesWeights, transposeTimes } from './products.js';

/** Hyper-parameters of {@link trainVerticalLr}; both parties must pass the same. */
export interface VerticalLrOptions {
  readonly epochs: number;
  /** Rows per batch (fixed-size shuffled batches; ignored under `dp`, which uses every row each step). */
  readonly batchSize: number;
  readonly learningRate: number;
  /** L2 penalty (default 0). */
  readonly l2?: number;
  readonly activation: 'taylor' | 'hard-sigmoid';
  /** Differentially private training (requires `hard-sigmoid`): `steps` full-batch steps with Gaussian noise. */
  readonly dp?: { readonly noiseMultiplier: number; readonly steps: number };
  /** Fractional bits of the features (FeatureLayout's fraction), default 8. */
  readonly featureFraction?: number;
  /** Seed of the public batch schedule (the same on both sides; it decides nothing secret). */
  readonly scheduleSeed: string;
  /** Called after every step. */
  readonly onStep?: (step: number, steps: number) => void;
}

/** One party's shares of the trained model. */
export interface VerticalModelShares {
  /** Shares of party 0's feature weights. */
  readonly w0: RingShares;
  /** Shares of party 1's feature weights. */
  readonly w1: RingShares;
  readonly bias: RingShares;
}

/** What each party brings to {@link trainVerticalLr}. */
export interface VerticalParty {
  readonly arith: ArithParty;
  readonly pair: OtPair;
  readonly ch: Channel;
  /** This party's features (aligned training rows). */
  readonly features: FeatureMatrix;
  /** The other party's layout (exchanged by {@link exchangeLayouts}). */
  readonly peer: FeatureLayout;
  /** Party 0 only: the labels (0/1) of the aligned training rows. */
  readonly labels?: Uint8Array;
  readonly rng: Rng;
}

const layoutBytes = (l: FeatureLayout, rows: number) =>
  Buffer.from(
    JSON.stringify({ width: l.width, columns: l.columns, bits: [...l.bits], shifts: [...l.shifts], rows }),
  );

/**
 * Exchanges the public layouts and row counts; refuses a peer with another number of rows.
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a malformed layout or another row count
 */
export async function exchangeLayouts(
  ch: Channel,
  mine: FeatureLayout,
  rows: number,
): Promise<FeatureLayout> {
  ch.send('vertical.layout', layoutBytes(mine, rows));
  const raw = await ch.recv('vertical.layout');
  let theirs: { width: number; columns: number; bits: number[]; shifts: number[]; rows: number };
  try {
    theirs = JSON.parse(Buffer.from(raw).toString());
  } catch {
    throw new ProtocolError(`${ch.peer} sent a layout that is not JSON`, {
      peer: ch.peer,
      stage: 'vertical.layout',
    });
  }
  const ok =
    Number.isSafeInteger(theirs?.width) &&
    theirs.width >= 0 &&
    theirs.width <= 100_000 &&
    Number.isSafeInteger(theirs.columns) &&
    theirs.columns >= 0 &&
    theirs.columns <= theirs.width &&
    Array.isArray(theirs.bits) &&
    theirs.bits.length === theirs.width &&
    theirs.bits.every((b) => Number.isInteger(b) && b >= 1 && b <= 16) &&
    Array.isArray(theirs.shifts) &&
    theirs.shifts.length === theirs.width &&
    theirs.shifts.every((b) => Number.isInteger(b) && b >= 0 && b <= 16);
  if (!ok)
    throw new ProtocolError(`${ch.peer} sent a malformed feature layout`, {
      peer: ch.peer,
      stage: 'vertical.layout',
    });
  if (theirs.rows !== rows)
    throw new ProtocolError(`${ch.peer} has ${theirs.rows} aligned rows, this party ${rows}`, {
      peer: ch.peer,
      stage: 'vertical.layout',
    });
  return {
    width: theirs.width,
    columns: theirs.columns,
    bits: Uint8Array.from(theirs.bits),
    shifts: Uint8Array.from(theirs.shifts),
  };
}

/** A deterministic public permutation from the schedule seed (xorshift; it protects nothing). */
function schedule(seed: string, epoch: number, n: number): Uint32Array {
  let s = 2166136261 ^ epoch;
  for (const c of seed) s = Math.imul(s ^ c.charCodeAt(0), 16777619);
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** The batches of training, as row indices: shuffled fixed-size batches, or every row each step under dp. */
export function batches(options: VerticalLrOptions, n: number): Uint32Array[] {
  const out: Uint32Array[] = [];
  if (options.dp) {
    const all = Uint32Array.from({ length: n }, (_, i) => i);
    for (let t = 0; t < options.dp.steps; t++) out.push(all);
    return out;
  }
  for (let e = 0; e < options.epochs; e++) {
    const order = schedule(options.scheduleSeed, e, n);
    for (let at = 0; at < n; at += options.batchSize)
      out.push(order.subarray(at, Math.min(n, at + options.batchSize)));
  }
  return out;
}

function checkOptions(o: VerticalLrOptions): void {
  const fn = 'trainVerticalLr';
  const positive = (param: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new InvalidParameterError({ fn, param, value: v, allowed: 'a finite number > 0' });
  };
  positive('epochs', o.epochs);
  positive('batchSize', o.batchSize);
  positive('learningRate', o.learningRate);
  if (o.dp) {
    if (o.activation !== 'hard-sigmoid')
      throw new InvalidParameterError({
        fn,
        param: 'activation',
        value: o.activation,
        allowed: "'hard-sigmoid' with dp (a bounded residual)",
      });
    positive('dp.noiseMultiplier', o.dp.noiseMultiplier);
    positive('dp.steps', o.dp.steps);
  }
}

/**
 * Shares of the scores z = X_0·w0 + X_1·w1 + b for `rows` (fracBits fractional bits).
 */
export async function scores(
  p: VerticalParty,
  model: VerticalModelShares,
  rows: Uint32Array,
  fraction = 8,
): Promise<RingShares> {
  const role = p.arith.role;
  const own = (r: Role) => (role === r ? p.features : p.peer);
  const z0 = await timesWeights(p.pair, 0, own(0), rows, model.w0);
  const z1 = await timesWeights(p.pair, 1, own(1), rows, model.w1);
  const z = p.arith.truncate(p.arith.add(z0, z1), fraction);
  const b = new BigUint64Array(rows.length).fill(model.bias[0]!);
  return p.arith.add(z, b);
}

/**
 * Trains the model; both parties call it with the same options.
 * @returns this party's shares of the model
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad options, or labels missing at party 0
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION when the other party deviates
 */
export async function trainVerticalLr(
  p: VerticalParty,
  options: VerticalLrOptions,
): Promise<VerticalModelShares> {
  checkOptions(options);
  const role = p.arith.role;
  const n = p.features.rows;
  if (role === 0 && (!p.labels || p.labels.length !== n))
    throw new InvalidParameterError({
      fn: 'trainVerticalLr',
      param: 'labels',
      value: p.labels?.length,
      allowed: `${n} labels at party 0`,
    });
  const fraction = options.featureFraction ?? 8;
  const own = (r: Role) => (role === r ? p.features : p.peer);
  let model: VerticalModelShares = {
    w0: new BigUint64Array(own(0).width),
    w1: new BigUint64Array(own(1).width),
    bias: new BigUint64Array(1),
  };
  const plan = batches(options, n);
  const columnsBound = Math.sqrt(p.features.columns + p.peer.columns + 1);
  for (const [step, rows] of plan.entries()) {
    if (rows.length === 0) continue;
    const z = await scores(p, model, rows, fraction);
    const s =
      options.activation === 'taylor'
        ? p.arith.addPublic(p.arith.truncate(z, 2), 0.5)
        : await sigmoid(p.arith, z, { kind: 'hard' });
    let r = s;
    if (role === 0)
      r = p.arith.add(
        s,
        encodeFixed(
          Float64Array.from(rows, (i) => -p.labels![i]!),
          { fracBits: p.arith.fracBits },
        ),
      );
    let g0 = p.arith.truncate(await transposeTimes(p.pair, 0, own(0), rows, r), fraction);
    let g1 = p.arith.truncate(await transposeTimes(p.pair, 1, own(1), rows, r), fraction);
    let gb = p.arith.sum(r);
    const expected = rows.length;
    if (options.dp) {
      const std = options.dp.noiseMultiplier * columnsBound;
      const noisy = (g: RingShares) => {
        const noise = new Float64Array(g.length);
        p.rng.fillNormal(noise, std);
        return p.arith.add(g, encodeFixed(noise, { fracBits: p.arith.fracBits }));
      };
      g0 = noisy(g0);
      g1 = noisy(g1);
      gb = noisy(gb);
    }
    const rate = options.learningRate / expected;
    const update = (w: RingShares, g: RingShares) => {
      let next = p.arith.sub(w, p.arith.mulPublic(g, rate));
      if (options.l2) next = p.arith.sub(next, p.arith.mulPublic(w, options.learningRate * options.l2));
      return next;
    };
    model = { w0: update(model.w0, g0), w1: update(model.w1, g1), bias: update(model.bias, gb) };
    options.onStep?.(step + 1, plan.length);
  }
  return model;
}
