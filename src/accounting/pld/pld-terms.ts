/**
 * From privacy events to PLD terms: which unit mechanism each event is, and how many times it runs. Mirrors
 * dp_accounting's `PLDAccountant._maybe_compose`:
 * - 'gaussian' events, and Poisson-sampled Gaussians at sampling rate 1, become one Gaussian with
 *   mu^2 = sum count (l2Sensitivity / sigma)^2 (exact: the composition of Gaussians is a Gaussian;
 *   dp_accounting composes one Gaussian of std sigma / sqrt(count) per event, and self-composes the discretised
 *   PLD of a rate-1 Poisson-sampled Gaussian, which is a little looser);
 * - every other supported event is a unit PLD self-composed `count` times.
 */
import { UnsupportedError } from '../../core/index.js';
import type { PrivacyEvent } from '../events.js';
import {
  additiveNoisePmf,
  type Direction,
  gaussianNoise,
  laplaceNoise,
  type NoiseFamily,
} from './additive-noise.js';
import { approxDpPmf, discreteGaussianPmf, discreteLaplacePmf, integerSensitivity } from './discrete.js';
import type { PrivacyLossDistribution } from './pld.js';
import type { ResolvedPldOptions } from './pld-options.js';
import type { PldPmf } from './pmf.js';

/** A mechanism whose PLD is built once and self-composed: identified by `key` (equal keys, equal PLDs). */
export interface UnitMechanism {
  readonly key: string;
  build(options: ResolvedPldOptions): PrivacyLossDistribution;
}

/** One term of a composition. */
export type PldTerm =
  | { readonly kind: 'gaussian'; readonly muSquared: number }
  | { readonly kind: 'unit'; readonly unit: UnitMechanism; readonly count: number }
  | { readonly kind: 'non-private' };

function additiveUnit(key: string, noise: (o: ResolvedPldOptions) => NoiseFamily, q: number): UnitMechanism {
  return {
    key,
    build: (o) => {
      const family = noise(o);
      const pmf = (direction: Direction) => additiveNoisePmf(family, q, direction, o.interval);
      // At q = 1 both directions coincide (dp_accounting keeps one PMF then, too).
      return q === 1 ? { remove: pmf('remove'), add: null } : { remove: pmf('remove'), add: pmf('add') };
    },
  };
}

/** The Gaussian of mu = sqrt(muSquared) as a unit (what the accountant composes for all 'gaussian' events). */
export function gaussianUnit(muSquared: number): UnitMechanism {
  return additiveUnit(
    `gaussian:${muSquared}`,
    (o) => gaussianNoise(1 / Math.sqrt(muSquared), o.logMassTruncation),
    1,
  );
}

function poissonSampledTerm(
  event: Extract<PrivacyEvent, { kind: 'poisson-sampled' }>,
  count: number,
): PldTerm {
  const q = event.sampleRate;
  const inner = event.event;
  if (inner.kind === 'gaussian') {
    if (q === 1) return unitTerm(inner, count); // sampling everything: the plain Gaussian
    const sigma = inner.sigma / inner.l2Sensitivity;
    const unit = additiveUnit(
      `poisson-gaussian:${q}:${sigma}`,
      (o) => gaussianNoise(sigma, o.logMassTruncation),
      q,
    );
    return { kind: 'unit', unit, count };
  }
  if (inner.kind === 'laplace') {
    if (q === 1) return unitTerm(inner, count);
    const b = inner.scale / inner.l1Sensitivity;
    return { kind: 'unit', unit: additiveUnit(`poisson-laplace:${q}:${b}`, () => laplaceNoise(b), q), count };
  }
  throw new UnsupportedError(
    `PldAccountant: a Poisson-sampled '${inner.kind}' event is not supported (only a 'gaussian' or 'laplace' ` +
      "inner event); use the RDP accountant if it supports it, or compose an 'approx-dp' event with the " +
      'amplified (epsilon, delta) of the sampled mechanism',
    { event: 'poisson-sampled', inner: inner.kind },
  );
}

/**
 * The terms of `event` run `times` times (flattening self-composed and composed events).
 * @throws {UnsupportedError} VEIL_UNSUPPORTED for zcdp and distributed-discrete-gaussian events, multi-dimensional discrete Gaussians and
 *   Poisson sampling of anything but a Gaussian or Laplace event; the message names what to use instead.
 */
export function eventTerms(event: PrivacyEvent, times: number): PldTerm[] {
  const out: PldTerm[] = [];
  collect(event, times, out);
  return out;
}

function collect(event: PrivacyEvent, count: number, out: PldTerm[]): void {
  switch (event.kind) {
    case 'no-op':
      return;
    case 'non-private':
      if (count > 0) out.push({ kind: 'non-private' });
      return;
    case 'self-composed':
      collect(event.event, count * event.count, out);
      return;
    case 'composed':
      for (const e of event.events) collect(e, count, out);
      return;
    case 'zcdp':
      throw new UnsupportedError(
        "PldAccountant: 'zcdp' events carry no privacy-loss distribution; use the RDP or zCDP accountant",
        { event: 'zcdp' },
      );
    case 'distributed-discrete-gaussian':
      // The sum of discrete Gaussians is not a discrete Gaussian; its privacy is known here only as zCDP.
      throw new UnsupportedError(
        "PldAccountant: 'distributed-discrete-gaussian' events have only a zCDP bound (KLS21 Thm. 1), no " +
          'privacy-loss distribution; use the RDP or zCDP accountant',
        { event: 'distributed-discrete-gaussian' },
      );
    case 'poisson-sampled': {
      const term = poissonSampledTerm(event, count);
      if (count > 0) out.push(term);
      return;
    }
    default: {
      const term = unitTerm(event, count); // built even for count 0, so unsupported events always throw
      if (count > 0) out.push(term);
    }
  }
}

/** A mechanism with the same PMF in both directions. */
function symmetric(key: string, pmf: (o: ResolvedPldOptions) => PldPmf): UnitMechanism {
  return { key, build: (o) => ({ remove: pmf(o), add: null }) };
}

function unitTerm(event: PrivacyEvent, count: number): PldTerm {
  switch (event.kind) {
    case 'gaussian': {
      const ratio = event.l2Sensitivity / event.sigma;
      return { kind: 'gaussian', muSquared: count * ratio * ratio };
    }
    case 'laplace': {
      const b = event.scale / event.l1Sensitivity;
      return { kind: 'unit', unit: additiveUnit(`laplace:${b}`, () => laplaceNoise(b), 1), count };
    }
    case 'discrete-laplace': {
      const { scale } = event;
      const k = integerSensitivity(event.l1Sensitivity);
      const unit = symmetric(`discrete-laplace:${scale}:${k}`, (o) =>
        discreteLaplacePmf(scale, k, o.interval),
      );
      return { kind: 'unit', unit, count };
    }
    case 'discrete-gaussian': {
      if (event.dimension !== 1) {
        throw new UnsupportedError(
          `PldAccountant: a discrete Gaussian of dimension ${event.dimension} has no one-dimensional PLD here; ` +
            'use the RDP accountant (it composes discrete Gaussians of any dimension through zCDP)',
          { event: 'discrete-gaussian', dimension: event.dimension },
        );
      }
      const { sigma } = event;
      const k = integerSensitivity(event.l2Sensitivity);
      const unit = symmetric(`discrete-gaussian:${sigma}:${k}`, (o) =>
        discreteGaussianPmf(sigma, k, o.interval, o.logMassTruncation),
      );
      return { kind: 'unit', unit, count };
    }
    case 'pure-dp':
    case 'approx-dp': {
      const { epsilon } = event;
      const delta = event.kind === 'approx-dp' ? event.delta : 0;
      const unit = symmetric(`approx-dp:${epsilon}:${delta}`, (o) => approxDpPmf(epsilon, delta, o.interval));
      return { kind: 'unit', unit, count };
    }
    default:
      // Every other kind is handled in collect(); unreachable for a validated event.
      throw new UnsupportedError(`PldAccountant: unsupported event kind '${event.kind}'`, {
        event: event.kind,
      });
  }
}
