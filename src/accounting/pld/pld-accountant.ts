/**
 * The privacy-loss-distribution (PLD) accountant: Veil's counterpart of Google dp_accounting's PLDAccountant
 * (google/differential-privacy, python/dp_accounting/dp_accounting/pld/), with pessimistic connect-the-dots
 * discretisation (Doroshenko et al. 2022, arXiv:2207.04380), FFT composition (Koskela, Jälkö & Honkela 2020,
 * arXiv:1906.03049) and add/remove adjacency (the worse of the two directions).
 *
 * Composition is lazy: `compose` validates the event, builds (and caches) the PLD of each new unit mechanism
 * and checks that the composition will fit in memory, but only counts runs. The first `epsilon` or `delta`
 * self-composes each unit by one FFT exponentiation, convolves the units, and caches the result until the next
 * `compose`; self-compositions are cached per unit too. Units are composed in a fixed (sorted) order, so the
 * result does not depend on the order of `compose` calls.
 */
import {
  assertInteger,
  assertNonNegative,
  assertOpenUnit,
  InvalidParameterError,
  UnsupportedError,
} from '../../core/index.js';
import type { ComposeOptions, PrivacyAccountant } from '../accountant.js';
import { gaussianDelta, gaussianEpsilon } from '../analysis/gaussian-dp.js';
import { type PrivacyEvent, validateEvent } from '../events.js';
import { additiveNoiseGridSize, gaussianNoise } from './additive-noise.js';
import { chernoffProfile, selfComposeWindow } from './compose.js';
import {
  composePlds,
  identityPld,
  type PldProfiles,
  type PrivacyLossDistribution,
  pldDelta,
  pldEpsilon,
  selfComposePld,
} from './pld.js';
import { type PldOptions, type ResolvedPldOptions, resolvePldOptions } from './pld-options.js';
import { eventTerms, gaussianUnit, type UnitMechanism } from './pld-terms.js';
import { assertGridSize } from './pmf.js';

/** Above this grid size a composition of only Gaussian events is answered by the exact formula instead. */
const ANALYTIC_GAUSSIAN_POINTS = 2 ** 20;

interface UnitGroup {
  readonly unit: UnitMechanism;
  readonly count: number;
}

interface BuiltUnit {
  readonly pld: PrivacyLossDistribution;
  readonly profiles: PldProfiles;
}

interface AccountantState {
  readonly nonPrivate: boolean;
  /** sum of count * (l2Sensitivity / sigma)^2 over 'gaussian' events. */
  readonly muSquared: number;
  readonly groups: ReadonlyMap<string, UnitGroup>;
}

/**
 * A stateful PLD accountant under add/remove adjacency. Supports 'gaussian', 'laplace', 'poisson-sampled'
 * (of a 'gaussian' or 'laplace' event), 'discrete-laplace', 'discrete-gaussian' (dimension 1), 'pure-dp',
 * 'approx-dp', 'self-composed', 'composed', 'no-op' and 'non-private' events; 'zcdp' and
 * 'distributed-discrete-gaussian' events (known only by a zCDP bound) are refused (use the RDP or zCDP accountant). Answers are upper bounds: the discretisation and every truncation are
 * pessimistic. A composition of Gaussian events only, whose grid would exceed 2^20 points, is answered by the
 * exact analytic Gaussian formulas instead (tighter, and instant).
 * @example
 * const acc = new PldAccountant();
 * acc.compose(dpSgdEvent({ sampleRate: 256 / 60000, noiseMultiplier: 1.1, steps: 14063 }));
 * acc.epsilon({ delta: 1e-5 }); // about 2.38 (RDP gives about 2.6)
 */
export class PldAccountant implements PrivacyAccountant {
  readonly kind = 'pld' as const;
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<PldOptions>>;
  private readonly resolved: ResolvedPldOptions;
  private state: AccountantState = { nonPrivate: false, muSquared: 0, groups: new Map() };
  private readonly composed: PrivacyEvent[] = [];
  private readonly built = new Map<string, BuiltUnit>();
  private readonly selfComposed = new Map<
    string,
    { readonly count: number; readonly pld: PrivacyLossDistribution }
  >();
  private gaussianPart: { readonly muSquared: number; readonly pld: PrivacyLossDistribution } | null = null;
  private result: PrivacyLossDistribution | null = null;

  /**
   * @param options grid step, noise truncation and tail truncation (see {@link PldOptions}).
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an option out of range.
   */
  constructor(options: PldOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidParameterError({
        fn: 'PldAccountant',
        param: 'options',
        value: options,
        allowed: 'an object',
      });
    }
    this.resolved = resolvePldOptions(options, 'PldAccountant');
    this.options = Object.freeze({
      valueDiscretizationInterval: this.resolved.interval,
      logMassTruncationBound: this.resolved.logMassTruncation,
      tailMassTruncation: this.resolved.tailMass,
    });
  }

  /** The events composed so far, as given (`times > 1` kept as one self-composed event). */
  get events(): readonly PrivacyEvent[] {
    return this.composed;
  }

  /** True if `event` is valid and of a kind this accountant composes (size limits are checked by compose). */
  supports(event: PrivacyEvent): boolean {
    try {
      eventTerms(validateEvent(event, 'PldAccountant.supports'), 1);
      return true;
    } catch (e) {
      if (e instanceof UnsupportedError || e instanceof InvalidParameterError) return false;
      throw e;
    }
  }

  /**
   * Composes `event`, `times` times (default 1). Validates the event, builds the PLD of any new unit mechanism
   * and checks the composition fits, all before changing anything.
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a malformed event or times
   * @throws {UnsupportedError} VEIL_UNSUPPORTED for zcdp and distributed-discrete-gaussian events, Poisson sampling of other than a Gaussian or
   *   Laplace event, discrete Gaussians of dimension > 1, or a composition too wide for the grid
   * @throws {NumericError} VEIL_NUMERIC_FAILURE if a PLD cannot be built soundly
   */
  compose(event: PrivacyEvent, options: ComposeOptions = {}): this {
    const fn = 'PldAccountant.compose';
    const times = options.times ?? 1;
    assertInteger(fn, 'times', times, 0);
    const checked = validateEvent(event, fn);
    const terms = eventTerms(checked, times);
    let { nonPrivate, muSquared } = this.state;
    const groups = new Map(this.state.groups);
    const newlyBuilt = new Map<string, BuiltUnit>();
    for (const term of terms) {
      if (term.kind === 'non-private') nonPrivate = true;
      else if (term.kind === 'gaussian') muSquared += term.muSquared;
      else {
        const key = term.unit.key;
        if (!this.built.has(key) && !newlyBuilt.has(key)) newlyBuilt.set(key, this.buildUnit(term.unit));
        groups.set(key, { unit: term.unit, count: (groups.get(key)?.count ?? 0) + term.count });
      }
    }
    const next: AccountantState = { nonPrivate, muSquared, groups };
    this.checkSize(next, newlyBuilt); // may throw: nothing has changed yet
    for (const [key, unit] of newlyBuilt) this.built.set(key, unit);
    if (terms.length > 0) {
      this.state = next;
      this.result = null;
    }
    this.composed.push(
      times === 1 ? checked : Object.freeze({ kind: 'self-composed', event: checked, count: times }),
    );
    return this;
  }

  /**
   * The smallest epsilon with delta(epsilon) <= `delta` on the discretised PLD (an upper bound of the true
   * epsilon); Infinity after a non-private event or when the mass at infinite loss exceeds `delta`.
   * @param options.delta in (0, 1)
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for delta outside (0, 1).
   * @throws {NumericError} VEIL_NUMERIC_FAILURE if the computation produced NaN.
   */
  epsilon(options: { readonly delta: number }): number {
    assertOpenUnit('PldAccountant.epsilon', 'delta', options.delta);
    if (this.state.nonPrivate) return Number.POSITIVE_INFINITY;
    if (this.isAnalyticGaussian()) return gaussianEpsilon(1 / Math.sqrt(this.state.muSquared), options.delta);
    return pldEpsilon(this.privacyLossDistribution(), options.delta);
  }

  /**
   * The hockey-stick divergence delta(epsilon) of the discretised PLD (an upper bound of the true delta); 1
   * after a non-private event.
   * @param options.epsilon a finite number >= 0
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for epsilon not a finite number >= 0.
   * @throws {NumericError} VEIL_NUMERIC_FAILURE if the computation produced NaN.
   */
  delta(options: { readonly epsilon: number }): number {
    assertNonNegative('PldAccountant.delta', 'epsilon', options.epsilon);
    if (this.state.nonPrivate) return 1;
    if (this.isAnalyticGaussian()) return gaussianDelta(1 / Math.sqrt(this.state.muSquared), options.epsilon);
    return pldDelta(this.privacyLossDistribution(), options.epsilon);
  }

  /**
   * The composed PLD (cached until the next compose). After a non-private event: all mass at infinite loss.
   * @throws {UnsupportedError} VEIL_UNSUPPORTED when only Gaussian events were composed and their PLD is wider
   *   than MAX_PLD_POINTS (epsilon and delta then come from the exact Gaussian formula instead).
   */
  privacyLossDistribution(): PrivacyLossDistribution {
    const interval = this.resolved.interval;
    if (this.state.nonPrivate) {
      return { remove: { interval, lowerIndex: 0, probs: Float64Array.of(0), infinityMass: 1 }, add: null };
    }
    if (this.result !== null) return this.result;
    const parts: PrivacyLossDistribution[] = [];
    const keys = [...this.state.groups.keys()].sort();
    for (const key of keys) parts.push(this.selfComposedUnit(key, this.state.groups.get(key)!.count));
    if (this.state.muSquared > 0) parts.push(this.gaussianPld());
    let result = parts[0] ?? identityPld(interval);
    for (let i = 1; i < parts.length; i++) result = composePlds(result, parts[i]!, this.resolved.tailMass);
    this.result = result;
    return result;
  }

  private buildUnit(unit: UnitMechanism): BuiltUnit {
    const pld = unit.build(this.resolved);
    const profiles = {
      remove: chernoffProfile(pld.remove),
      add: pld.add === null ? null : chernoffProfile(pld.add),
    };
    return { pld, profiles };
  }

  private selfComposedUnit(key: string, count: number): PrivacyLossDistribution {
    const cached = this.selfComposed.get(key);
    if (cached !== undefined && cached.count === count) return cached.pld;
    const unit = this.built.get(key)!;
    const pld = selfComposePld(unit.pld, count, this.resolved.tailMass, unit.profiles);
    this.selfComposed.set(key, { count, pld });
    return pld;
  }

  private gaussianPld(): PrivacyLossDistribution {
    const muSquared = this.state.muSquared;
    if (this.gaussianPart?.muSquared !== muSquared) {
      this.gaussianPart = { muSquared, pld: gaussianUnit(muSquared).build(this.resolved) };
    }
    return this.gaussianPart.pld;
  }

  /**
   * Only Gaussian events whose PLD would need more than 2^20 grid points (mu above about 5.3 at the default
   * interval): answer from the exact Gaussian formulas (Balle & Wang 2018, Thm 8), which are tighter than any
   * discretisation and cost nothing.
   */
  private isAnalyticGaussian(): boolean {
    const { groups, muSquared } = this.state;
    return groups.size === 0 && muSquared > 0 && this.gaussianGridSize(muSquared) > ANALYTIC_GAUSSIAN_POINTS;
  }

  private gaussianGridSize(muSquared: number): number {
    const noise = gaussianNoise(1 / Math.sqrt(muSquared), this.resolved.logMassTruncation);
    return additiveNoiseGridSize(noise, 1, 'remove', this.resolved.interval);
  }

  /**
   * Checks that the composed PLD will fit: the Chernoff windows of the self-compositions and the grid of the
   * Gaussian part add up (per direction) to at most MAX_PLD_POINTS.
   */
  private checkSize(next: AccountantState, newlyBuilt: ReadonlyMap<string, BuiltUnit>): void {
    const tailMass = this.resolved.tailMass;
    let remove = 1;
    let add = 1;
    for (const [key, group] of next.groups) {
      const unit = newlyBuilt.get(key) ?? this.built.get(key)!;
      const width = (profile: PldProfiles['remove'], size: number): number => {
        if (group.count === 1) return size;
        const w = selfComposeWindow(profile, group.count, tailMass);
        return w.hi - w.lo + 1;
      };
      const r = width(unit.profiles.remove, unit.pld.remove.probs.length);
      remove += r;
      add += unit.pld.add === null ? r : width(unit.profiles.add!, unit.pld.add.probs.length);
    }
    if (next.muSquared > 0) {
      const g = this.gaussianGridSize(next.muSquared);
      if (next.groups.size === 0) return; // too wide or not, a lone Gaussian is always answerable
      remove += g;
      add += g;
    }
    assertGridSize(Math.max(remove, add), this.resolved.interval, 'the composed privacy-loss distribution');
  }
}

/**
 * The (composed, discretised) PLD of one event: `new PldAccountant(options).compose(event)`'s distribution.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a malformed event or option
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for events the PLD accountant does not support
 * @example pldEpsilon(pldForEvent(gaussianEvent({ sigma: 1 })), 1e-5) // 4.37718 (exact: 4.37718)
 */
export function pldForEvent(event: PrivacyEvent, options: PldOptions = {}): PrivacyLossDistribution {
  return new PldAccountant(options).compose(event).privacyLossDistribution();
}
