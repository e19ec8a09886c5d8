/**
 * Composition of discretised PLDs. The PLD of a composition is the convolution of the PLDs (the losses of
 * independent runs add; Sommer, Meiser & Mohammadi 2019, "Privacy Loss Classes", PoPETs 2019(2)), and the
 * mass at +infinity survives unless both runs are finite: inf = 1 - (1 - inf_a)(1 - inf_b).
 *
 * Self-composition n times raises the discrete Fourier transform to the n-th power once (Koskela, Jälkö &
 * Honkela 2020, arXiv:1906.03049). The output window comes from Chernoff bounds on the n-fold sum
 * (dp_accounting's `compute_self_convolve_bounds`; its supplementary "Privacy Loss Distributions" note,
 * eq. (5)): P(S_n - n c >= a) <= exp(n K(lambda) - lambda a), K the centred cumulant generating function.
 * At most `tailMass / 2` lies beyond each end of the window. The cyclic FFT folds that mass into the window
 * (extra non-negative mass, which can only raise delta), and `tailMass` is also added to the mass at
 * +infinity, which covers the right tail: the result stays pessimistic.
 */
import { convolveNonNegative, fftInPlace, nextPowerOfTwo } from './fft.js';
import { type PldPmf, trimZeros, truncateTails } from './pmf.js';

/**
 * Chernoff data of one PMF: mean and variance of the finite mass (in index units) and a memo of the centred
 * log-MGF, K(lambda) = ln sum_i p_i e^{lambda (i - mean)}, on the ladder lambda = +-2^{j/2}.
 */
export interface ChernoffProfile {
  /** Mean index of the finite mass, relative to `lowerIndex`. */
  readonly mean: number;
  /** Variance of the finite mass, in index units squared (0 for a single atom). */
  readonly variance: number;
  /** Number of grid points of the PMF. */
  readonly size: number;
  /** The masses the log-MGF is taken of. */
  readonly probs: Float64Array;
  /** Memo of K at the rungs lambda = 2^{j/2} (key j) of the upper-tail ladder. */
  readonly memoUpper: Map<number, number>;
  /** Memo of K at the rungs lambda = -2^{j/2} (key j) of the lower-tail ladder. */
  readonly memoLower: Map<number, number>;
}

/** The Chernoff profile of a PMF (mean and variance now; log-MGF values on demand). */
export function chernoffProfile(pmf: PldPmf): ChernoffProfile {
  const p = pmf.probs;
  let total = 0;
  let first = 0;
  for (let i = 0; i < p.length; i++) {
    total += p[i]!;
    first += i * p[i]!;
  }
  const mean = total > 0 ? first / total : 0;
  let variance = 0;
  for (let i = 0; i < p.length; i++) variance += (i - mean) * (i - mean) * p[i]!;
  variance = total > 0 ? variance / total : 0;
  return { mean, variance, size: p.length, probs: p, memoUpper: new Map(), memoLower: new Map() };
}

function logMgf(profile: ChernoffProfile, rung: number, sign: 1 | -1): number {
  const memo = sign > 0 ? profile.memoUpper : profile.memoLower;
  let value = memo.get(rung);
  if (value === undefined) {
    const lambda = sign * 2 ** (rung / 2);
    const p = profile.probs;
    let lo = 0;
    let hi = p.length - 1;
    while (lo < hi && !(p[lo]! > 0)) lo++;
    while (hi > lo && !(p[hi]! > 0)) hi--;
    const max = Math.max(lambda * (lo - profile.mean), lambda * (hi - profile.mean));
    let sum = 0;
    for (let i = lo; i <= hi; i++) {
      const v = p[i]!;
      if (v > 0) sum += v * Math.exp(lambda * (i - profile.mean) - max);
    }
    value = max + Math.log(sum);
    memo.set(rung, value);
  }
  return value;
}

/**
 * The smallest Chernoff bound a with P(S_n - n mean >= a) <= tailMass / 2 (sign 1; sign -1 for the lower
 * tail) over the ladder of orders. The bound (n K(lambda) + ln(2/tailMass)) / lambda is quasi-convex in lambda
 * (its derivative's numerator lambda g' - g, g convex, is increasing), so a walk from the Gaussian optimum
 * sqrt(2 ln(2/tailMass) / (n var)) down the ladder finds the best rung; rungs are a factor sqrt(2) apart,
 * which costs at most ~1.5% of window width.
 */
function chernoffDistance(profile: ChernoffProfile, count: number, tailMass: number, sign: 1 | -1): number {
  const logTerm = Math.log(2 / tailMass);
  const bound = (rung: number): number => {
    const b = (count * logMgf(profile, rung, sign) + logTerm) / 2 ** (rung / 2);
    return Number.isFinite(b) ? b : Number.POSITIVE_INFINITY;
  };
  let rung = Math.round(2 * Math.log2(Math.sqrt((2 * logTerm) / (count * profile.variance))));
  rung = Math.max(-200, Math.min(60, rung));
  let best = bound(rung);
  for (const step of [1, -1]) {
    while (rung + step >= -200 && rung + step <= 60) {
      const next = bound(rung + step);
      if (!(next < best)) break;
      best = next;
      rung += step;
    }
  }
  return best;
}

/** The output window [lo, hi] (indices relative to n * lowerIndex) of an n-fold self-composition. */
export interface SelfComposeWindow {
  readonly lo: number;
  readonly hi: number;
  /** True when the window cuts off some of the full range [0, n (size - 1)]. */
  readonly truncated: boolean;
}

/**
 * The window holding all but `tailMass / 2` of the n-fold sum on each side (Chernoff, see the file header),
 * clipped to the full range [0, n (size - 1)].
 */
export function selfComposeWindow(
  profile: ChernoffProfile,
  count: number,
  tailMass: number,
): SelfComposeWindow {
  const full = count * (profile.size - 1);
  if (!(profile.variance > 0)) {
    // A single atom (zero variance): the sum is exactly count * mean.
    const at = Math.round(count * profile.mean);
    return { lo: at, hi: at, truncated: false };
  }
  if (tailMass <= 0) return { lo: 0, hi: full, truncated: false };
  const centre = count * profile.mean;
  const hi = Math.min(full, Math.ceil(centre + chernoffDistance(profile, count, tailMass, 1)));
  const lo = Math.max(0, Math.floor(centre - chernoffDistance(profile, count, tailMass, -1)));
  return { lo, hi, truncated: lo > 0 || hi < full };
}

/** How one PMF enters a (possibly shared) FFT: its window and the shift that centres it. */
interface Channel {
  readonly pmf: PldPmf;
  readonly window: SelfComposeWindow;
  readonly shift: number;
  readonly infinityMass: number;
}

function channel(pmf: PldPmf, count: number, tailMass: number, profile: ChernoffProfile): Channel | PldPmf {
  const window = selfComposeWindow(profile, count, tailMass);
  // 1 - (1 - inf)^n: some run has infinite loss. Truncated windows add tailMass (see the file header).
  const infinityMass = Math.min(
    1,
    -Math.expm1(count * Math.log1p(-pmf.infinityMass)) + (window.truncated ? tailMass : 0),
  );
  if (!(profile.variance > 0)) {
    // All finite mass on one grid point: the composition is that point with mass p^count.
    const mass = pmf.probs.reduce((s, v) => s + v, 0);
    const lowerIndex = count * pmf.lowerIndex + window.lo;
    return { interval: pmf.interval, lowerIndex, probs: Float64Array.of(mass ** count), infinityMass };
  }
  return { pmf, window, shift: Math.round(profile.mean), infinityMass };
}

const scratch = new Float64Array(2);

/**
 * scratch = (re + i im)^count in polar form: |z|^count e^{i count arg z}. |z| <= 1 (z is the transform of a
 * sub-probability vector), and for most frequencies |z|^count underflows: those skip the trigonometry.
 */
function complexPower(re: number, im: number, count: number): void {
  const logModulus = count * 0.5 * Math.log(re * re + im * im);
  if (!(logModulus > -745)) {
    scratch[0] = 0;
    scratch[1] = 0;
    return;
  }
  const modulus = Math.exp(logModulus);
  const phase = count * Math.atan2(im, re);
  scratch[0] = modulus * Math.cos(phase);
  scratch[1] = modulus * Math.sin(phase);
}

function place(target: Float64Array, c: Channel): void {
  const size = target.length;
  const p = c.pmf.probs;
  for (let i = 0; i < p.length; i++) target[(((i - c.shift) % size) + size) & (size - 1)]! += p[i]!;
}

function extract(source: Float64Array, c: Channel, count: number): PldPmf {
  const size = source.length;
  const width = c.window.hi - c.window.lo + 1;
  const probs = new Float64Array(width);
  const offset = c.window.lo - count * c.shift;
  for (let j = 0; j < width; j++) {
    const v = source[(((offset + j) % size) + size) & (size - 1)]!;
    probs[j] = Math.max(v, 0); // FFT round-off leaves ~1e-17 negatives where the mass is 0
  }
  const lowerIndex = count * c.pmf.lowerIndex + c.window.lo;
  return trimZeros({ interval: c.pmf.interval, lowerIndex, probs, infinityMass: c.infinityMass });
}

/**
 * The n-fold self-compositions (n >= 1) of one or two PMFs by FFT exponentiation: transform once, raise each
 * frequency to the n-th power (polar form), transform back. Two PMFs share one complex FFT (the first as the
 * real part, the second as the imaginary part; their spectra are separated by conjugate symmetry, powered, and
 * recombined, and the inverse transform returns the two results as its real and imaginary parts). Each PMF is
 * first centred on its mean index (negative offsets wrap around), so the spectrum's phase is small where its
 * modulus is large, which keeps the powered phase accurate. Round-off negatives are clamped to 0.
 */
export function selfComposePmfs(
  pmfs: readonly PldPmf[],
  count: number,
  tailMass: number,
  profiles: readonly ChernoffProfile[] = pmfs.map(chernoffProfile),
): PldPmf[] {
  if (count === 1) return [...pmfs];
  const planned = pmfs.map((pmf, i) => channel(pmf, count, tailMass, profiles[i]!));
  const channels = planned.filter((c): c is Channel => 'window' in c);
  if (channels.length === 0) return planned as PldPmf[];
  const size = nextPowerOfTwo(Math.max(...channels.map((c) => c.window.hi - c.window.lo + 1)));
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  place(re, channels[0]!);
  if (channels.length > 1) place(im, channels[1]!);
  fftInPlace(re, im);
  if (channels.length === 1) {
    for (let k = 0; k < size; k++) {
      complexPower(re[k]!, im[k]!, count);
      re[k] = scratch[0]!;
      im[k] = scratch[1]!;
    }
  } else {
    for (let k = 0; k <= size >>> 1; k++) {
      const m = (size - k) & (size - 1);
      const zr = re[k]!;
      const zi = im[k]!;
      const wr = re[m]!;
      const wi = im[m]!;
      complexPower((zr + wr) / 2, (zi - wi) / 2, count); // A_k = (Z_k + conj Z_{N-k}) / 2
      const ar = scratch[0]!;
      const ai = scratch[1]!;
      complexPower((zi + wi) / 2, (wr - zr) / 2, count); // B_k = (Z_k - conj Z_{N-k}) / (2i)
      const br = scratch[0]!;
      const bi = scratch[1]!;
      // C = A^n + i B^n at k, and conj(A^n) + i conj(B^n) at N - k (both results are real sequences).
      re[k] = ar - bi;
      im[k] = ai + br;
      re[m] = ar + bi;
      im[m] = br - ai;
    }
  }
  fftInPlace(re, im, true);
  const results = [extract(re, channels[0]!, count)];
  if (channels.length > 1) results.push(extract(im, channels[1]!, count));
  let next = 0;
  return planned.map((c) => ('window' in c ? results[next++]! : c));
}

/** The n-fold self-composition of one PMF (see {@link selfComposePmfs}). */
export function selfComposePmf(
  pmf: PldPmf,
  count: number,
  tailMass: number,
  profile: ChernoffProfile = chernoffProfile(pmf),
): PldPmf {
  return selfComposePmfs([pmf], count, tailMass, [profile])[0]!;
}

/**
 * The composition of two PMFs on the same grid: convolution of the finite parts, infinity masses combined,
 * then at most `tailMass / 2` cut from each end pessimistically (see {@link truncateTails}).
 */
export function composePmfs(a: PldPmf, b: PldPmf, tailMass: number): PldPmf {
  const probs = convolveNonNegative(a.probs, b.probs);
  const infinityMass = a.infinityMass + b.infinityMass - a.infinityMass * b.infinityMass;
  return truncateTails(
    {
      interval: a.interval,
      lowerIndex: a.lowerIndex + b.lowerIndex,
      probs,
      infinityMass: Math.min(1, infinityMass),
    },
    tailMass,
  );
}
