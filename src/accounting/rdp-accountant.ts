/**
 * The Rényi DP accountant (Mironov 2017): keeps the RDP curve of everything composed so far on a grid of
 * orders, adds curves on composition (RDP composes additively at each order), and converts to (epsilon, delta)
 * with the tight conversion of Canonne, Kamath & Steinke 2020 (see analysis/rdp-conversion.ts).
 * Adjacency: add/remove one record (as Opacus and dp_accounting).
 */
import {
  assertInteger,
  assertNonNegative,
  assertOpenUnit,
  InvalidParameterError,
  UnsupportedError,
} from '../core/index.js';
import type { ComposeOptions, PrivacyAccountant } from './accountant.js';
import { distributedDiscreteGaussianRho } from './analysis/distributed-discrete-gaussian.js';
import {
  type DeltaAtOrder,
  type EpsilonAtOrder,
  rdpToDelta,
  rdpToEpsilon,
} from './analysis/rdp-conversion.js';
import { rdpLaplace, rdpPureDp } from './analysis/rdp-pure.js';
import { type FractionalSeries, rdpPoissonSubsampledGaussian } from './analysis/rdp-subsampled-gaussian.js';
import { type PrivacyEvent, validateEvent } from './events.js';

/**
 * Google dp_accounting's default orders (1.1 .. 10.9 by 0.1, 11 .. 63, 128, 256, 512, 1024), which Veil's
 * default includes, plus extra orders that can only make the certified epsilon smaller (tighter) and never
 * larger: near 1 for very small epsilons, between 64 and 1024, and up to 4096 for very large budgets.
 */
export const DP_ACCOUNTING_DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 53 }, (_, x) => 11 + x),
  128,
  256,
  512,
  1024,
]);

/** Veil's default RDP orders: dp_accounting's plus extra ones (sorted, distinct). */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze(
  [
    ...new Set([
      1.02,
      1.04,
      1.06,
      1.08,
      ...DP_ACCOUNTING_DEFAULT_ORDERS,
      64,
      72,
      80,
      88,
      96,
      112,
      160,
      192,
      224,
      320,
      384,
      448,
      640,
      768,
      896,
      1536,
      2048,
      4096,
    ]),
  ].sort((a, b) => a - b),
);

/** Options of {@link RdpAccountant}. */
export interface RdpAccountantOptions {
  /** RDP orders (each > 1, finite); default {@link DEFAULT_RDP_ORDERS}. */
  readonly orders?: readonly number[];
  /** Fractional-order series of the subsampled Gaussian: `'exact'` (default, signed) or `'absolute'`. */
  readonly fractionalSeries?: FractionalSeries;
}

interface Increment {
  readonly rdp: Float64Array;
  /** log(1 - delta) accumulated from approx-DP events (0 when none). */
  readonly log1mDelta: number;
  /** Basic composition of events known by (epsilon, delta): sum of epsilons, Infinity if any other event. */
  readonly pure: { readonly epsilon: number; readonly delta: number };
}

const NOT_PURE = Object.freeze({ epsilon: Number.POSITIVE_INFINITY, delta: 0 });

/**
 * Unit increments (one application of an event) shared by every accountant in the process, keyed by orders,
 * fractional series and the event's JSON. A Poisson-subsampled Gaussian's curve costs milliseconds; a ledger
 * composes the same DP-SGD step event for thousands of spends, in a fresh accountant per query. Bounded, oldest
 * first out. An increment of `times` applications is exactly `times` × the unit (every field is linear in it).
 */
const UNIT_INCREMENTS = new Map<string, Increment>();
const UNIT_INCREMENTS_LIMIT = 4096;
const FREE = Object.freeze({ epsilon: 0, delta: 0 });

/**
 * A stateful RDP accountant.
 * @example
 * const acc = new RdpAccountant();
 * acc.compose(dpSgdEvent({ sampleRate: 256 / 60000, noiseMultiplier: 1.1, steps: 14063 }));
 * acc.epsilonAndOrder({ delta: 1e-5 }); // { epsilon: ~2.6, order: ~15 }
 */
export class RdpAccountant implements PrivacyAccountant {
  readonly kind = 'rdp' as const;
  readonly orders: readonly number[];
  readonly fractionalSeries: FractionalSeries;
  private readonly rdp: Float64Array;
  private log1mExtraDelta = 0;
  /** Basic composition alongside: for pure-DP events alone, sum(epsilon) can beat the RDP conversion. */
  private pureEpsilon = 0;
  private pureDelta = 0;
  private readonly composed: PrivacyEvent[] = [];
  /** Increments of single events already seen (a trainer composes the same step event thousands of times). */
  private readonly memo = new Map<string, Increment>();

  /** @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an empty order list or an order <= 1. */
  constructor(options: RdpAccountantOptions = {}) {
    const orders = options.orders ?? DEFAULT_RDP_ORDERS;
    if (!Array.isArray(orders) || orders.length === 0) {
      throw new InvalidParameterError({
        fn: 'RdpAccountant',
        param: 'orders',
        value: orders,
        allowed: 'a non-empty array',
      });
    }
    orders.forEach((a, i) => {
      if (typeof a !== 'number' || !(a > 1) || !Number.isFinite(a)) {
        throw new InvalidParameterError({
          fn: 'RdpAccountant',
          param: `orders[${i}]`,
          value: a,
          allowed: 'a finite number > 1',
        });
      }
    });
    const series = options.fractionalSeries ?? 'exact';
    if (series !== 'exact' && series !== 'absolute') {
      throw new InvalidParameterError({
        fn: 'RdpAccountant',
        param: 'fractionalSeries',
        value: series,
        allowed: "'exact' or 'absolute'",
      });
    }
    this.orders = Object.freeze([...orders]);
    this.fractionalSeries = series;
    this.rdp = new Float64Array(orders.length);
    this.cachePrefix = `${series}|${orders.join(',')}|`;
  }

  private readonly cachePrefix: string;

  get events(): readonly PrivacyEvent[] {
    return this.composed;
  }

  supports(event: PrivacyEvent): boolean {
    try {
      // memoised: the ledger probes every event before composing it, and a subsampled curve costs milliseconds
      this.memoisedIncrement(validateEvent(event, 'RdpAccountant.supports'), 1);
      return true;
    } catch (e) {
      if (e instanceof UnsupportedError || e instanceof InvalidParameterError) return false;
      throw e;
    }
  }

  compose(event: PrivacyEvent, options: ComposeOptions = {}): this {
    const times = options.times ?? 1;
    assertInteger('RdpAccountant.compose', 'times', times, 0);
    const checked = validateEvent(event, 'RdpAccountant.compose');
    const inc = this.memoisedIncrement(checked, times); // may throw: nothing is changed before this line
    for (let i = 0; i < this.rdp.length; i++) this.rdp[i]! += inc.rdp[i]!;
    this.log1mExtraDelta += inc.log1mDelta;
    this.pureEpsilon += inc.pure.epsilon;
    this.pureDelta += inc.pure.delta;
    this.composed.push(times === 1 ? checked : { kind: 'self-composed', event: checked, count: times });
    return this;
  }

  /** The RDP curve so far: orders and values (a copy). */
  curve(): { readonly orders: readonly number[]; readonly rdp: readonly number[] } {
    return { orders: this.orders, rdp: Array.from(this.rdp) };
  }

  /** The delta already spent by approx-DP events, which any (epsilon, delta) answer must include. */
  get extraDelta(): number {
    return -Math.expm1(this.log1mExtraDelta);
  }

  epsilon(options: { readonly delta: number }): number {
    return this.epsilonAndOrder(options).epsilon;
  }

  /**
   * The smallest certified epsilon at `delta` and the RDP order achieving it.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for delta outside (0, 1).
   */
  epsilonAndOrder(options: { readonly delta: number }): EpsilonAtOrder {
    assertOpenUnit('RdpAccountant.epsilon', 'delta', options.delta);
    const extra = this.extraDelta;
    // Basic composition wins for a few pure-DP events (e.g. one Laplace release: exactly its epsilon).
    const basic = this.pureDelta <= options.delta ? this.pureEpsilon : Number.POSITIVE_INFINITY;
    if (extra >= options.delta) return { epsilon: basic, order: Number.NaN };
    // 1 - delta = (1 - delta_rdp)(1 - extra): the part of delta left for the RDP conversion.
    const rdpDelta = extra === 0 ? options.delta : 1 - (1 - options.delta) / (1 - extra);
    const fromRdp = rdpToEpsilon(this.orders, this.rdp, rdpDelta);
    return basic < fromRdp.epsilon ? { epsilon: basic, order: Number.NaN } : fromRdp;
  }

  delta(options: { readonly epsilon: number }): number {
    return this.deltaAndOrder(options).delta;
  }

  /** The smallest certified delta at `epsilon` and the order achieving it. */
  deltaAndOrder(options: { readonly epsilon: number }): DeltaAtOrder {
    assertNonNegative('RdpAccountant.delta', 'epsilon', options.epsilon);
    const { delta, order } = rdpToDelta(this.orders, this.rdp, options.epsilon);
    const extra = this.extraDelta;
    const fromRdp = Math.min(1, 1 - (1 - delta) * (1 - extra));
    if (options.epsilon >= this.pureEpsilon && this.pureDelta < fromRdp) {
      return { delta: this.pureDelta, order: Number.NaN };
    }
    return { delta: fromRdp, order };
  }

  private memoisedIncrement(event: PrivacyEvent, times: number): Increment {
    if (times === 0) return this.increment(event, 0);
    const json = JSON.stringify(event);
    let unit = this.memo.get(json);
    if (!unit) {
      const key = this.cachePrefix + json;
      unit = UNIT_INCREMENTS.get(key);
      if (!unit) {
        unit = this.increment(event, 1);
        if (UNIT_INCREMENTS.size >= UNIT_INCREMENTS_LIMIT) {
          UNIT_INCREMENTS.delete(UNIT_INCREMENTS.keys().next().value as string);
        }
        UNIT_INCREMENTS.set(key, unit);
      }
      if (this.memo.size < 64) this.memo.set(json, unit);
    }
    if (times === 1) return unit;
    // perOrder computes count * f(order); with count 1 the unit holds f(order) exactly, so this is bit-identical
    const rdp = new Float64Array(unit.rdp.length);
    for (let i = 0; i < rdp.length; i++) rdp[i] = times * unit.rdp[i]!;
    return {
      rdp,
      log1mDelta: times * unit.log1mDelta,
      pure: { epsilon: times * unit.pure.epsilon, delta: times * unit.pure.delta },
    };
  }

  private increment(event: PrivacyEvent, times: number): Increment {
    const n = this.orders.length;
    const out = new Float64Array(n);
    const perOrder = (f: (order: number) => number, count: number, pureEpsilon?: number): Increment => {
      for (let i = 0; i < n; i++) out[i] = count === 0 ? 0 : count * f(this.orders[i]!);
      const pure =
        count === 0
          ? FREE
          : pureEpsilon === undefined
            ? NOT_PURE
            : { epsilon: count * pureEpsilon, delta: 0 };
      return { rdp: out, log1mDelta: 0, pure };
    };
    switch (event.kind) {
      case 'no-op':
        return { rdp: out, log1mDelta: 0, pure: FREE };
      case 'non-private':
        return times === 0
          ? { rdp: out, log1mDelta: 0, pure: FREE }
          : { rdp: out.fill(Number.POSITIVE_INFINITY), log1mDelta: 0, pure: NOT_PURE };
      case 'gaussian': {
        const m = event.sigma / event.l2Sensitivity;
        return perOrder((a) => a / (2 * m * m), times);
      }
      case 'discrete-gaussian': {
        // rho-zCDP with rho = Delta_2^2 / (2 sigma^2) for any dimension: CKS20 Prop. 5 per coordinate, and
        // Rényi divergences of independent coordinates add.
        const rho = (event.l2Sensitivity * event.l2Sensitivity) / (2 * event.sigma * event.sigma);
        return perOrder((a) => rho * a, times);
      }
      case 'distributed-discrete-gaussian': {
        // rho-zCDP (KLS21 Thm. 1, arXiv:2102.06387), i.e. D_alpha <= rho * alpha at every order.
        const rho = distributedDiscreteGaussianRho(event);
        return perOrder((a) => rho * a, times);
      }
      case 'zcdp':
        return perOrder((a) => event.rho * a, times);
      case 'laplace': {
        const epsilon = event.l1Sensitivity / event.scale;
        return perOrder((a) => rdpLaplace(epsilon, a), times, epsilon);
      }
      case 'discrete-laplace': {
        const epsilon = event.l1Sensitivity / event.scale;
        return perOrder((a) => rdpPureDp(epsilon, a), times, epsilon);
      }
      case 'pure-dp':
        return perOrder((a) => rdpPureDp(event.epsilon, a), times, event.epsilon);
      case 'approx-dp': {
        // An (eps, delta) mechanism is, outside an event of probability delta, a post-processing of
        // randomized response (Kairouz, Oh & Viswanath 2015): RDP of RR plus delta set aside (as dp_accounting).
        const inc = perOrder((a) => rdpPureDp(event.epsilon, a), times, event.epsilon);
        const pure = times === 0 ? FREE : { epsilon: times * event.epsilon, delta: times * event.delta };
        return { rdp: inc.rdp, log1mDelta: times * Math.log1p(-event.delta), pure };
      }
      case 'poisson-sampled': {
        const inner = event.event;
        if (inner.kind !== 'gaussian') {
          throw new UnsupportedError(
            `RdpAccountant: Poisson sampling of a '${inner.kind}' event is not supported (only Gaussian); use the PLD accountant`,
            { event: event.kind, inner: inner.kind },
          );
        }
        const m = inner.sigma / inner.l2Sensitivity;
        const q = event.sampleRate;
        return perOrder((a) => rdpPoissonSubsampledGaussian(q, m, a, this.fractionalSeries), times);
      }
      case 'self-composed':
        return this.increment(event.event, times * event.count);
      case 'composed': {
        let log1mDelta = 0;
        let pureEpsilon = 0;
        let pureDelta = 0;
        for (const sub of event.events) {
          const inc = this.increment(sub, times);
          for (let i = 0; i < n; i++) out[i]! += inc.rdp[i]!;
          log1mDelta += inc.log1mDelta;
          pureEpsilon += inc.pure.epsilon;
          pureDelta += inc.pure.delta;
        }
        return { rdp: out, log1mDelta, pure: { epsilon: pureEpsilon, delta: pureDelta } };
      }
    }
  }
}
