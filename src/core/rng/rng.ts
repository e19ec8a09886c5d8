/**
 * The random-number interface every Veil mechanism takes as an argument (STYLE.md rule 5), and its one
 * implementation over a buffered byte source. Only the byte source differs between the CSPRNG
 * (node:crypto) and the seeded generator (an AES-256-CTR keystream from a seed, reproducible, NOT private).
 *
 * Why hand-written: the draws privacy depends on must be exact where the mathematics asks for it
 * (Bernoulli(p) for a double p, Bernoulli(exp(-gamma)) for a rational gamma, uniform integers without modulo
 * bias); general-purpose JS random libraries use Math.random or float shortcuts.
 */
import { assertInteger, assertProbability } from '../assert.js';
import { InvalidParameterError } from '../errors.js';
import { type Rational, rationalFloor, rationalFrac, rationalFromNumber } from '../num/rational.js';
import { ZIGGURAT } from './ziggurat.js';

/** Which generator produced a value; seeded output is never private. */
export type RngKind = 'csprng' | 'seeded';

/** A source of random draws. Mechanisms take one as an argument; the CSPRNG is the default. */
export interface Rng {
  /** `'csprng'` (node:crypto) or `'seeded'` (deterministic, for tests and reproducible runs). */
  readonly kind: RngKind;
  /** True only for the CSPRNG. Anything released with a seeded generator must be marked not private. */
  readonly isPrivate: boolean;
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Fills `out` with random bytes. */
  fillBytes(out: Uint8Array): void;
  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number;
  /** A uniform double in (0, 1): never 0, so its logarithm is finite. */
  uniformOpen(): number;
  /** A uniform integer in [0, n), exactly, for 1 <= n <= 2^53. */
  uniformInt(n: number): number;
  /** A uniform bigint in [0, n), exactly, for n >= 1. */
  uniformBigInt(n: bigint): bigint;
  /** A standard normal draw (polar method; floating point: for exact noise use the discrete Gaussian). */
  normal(): number;
  /**
   * Fills `out` with independent N(0, std^2) draws (ziggurat method; for bulk Gaussian noise such as DP-SGD's).
   * Floating point: for exact noise use the discrete Gaussian.
   */
  fillNormal(out: Float32Array | Float64Array, std?: number): void;
  /** A standard exponential draw (rate 1). */
  exponential(): number;
  /** Number of failures before the first success, success probability p in (0, 1] (floating point). */
  geometric(p: number): number;
  /** An exact Bernoulli(p) draw for a double p in [0, 1] (compares random bits with p's binary expansion). */
  bernoulli(p: number): boolean;
  /** An exact Bernoulli(num/den) draw for integers 0 <= num <= den, den >= 1. */
  bernoulliRational(num: bigint, den: bigint): boolean;
  /**
   * An exact Bernoulli(exp(-gamma)) draw for a rational gamma >= 0 (Canonne, Kamath & Steinke 2020, Alg. 1;
   * arXiv:2004.00010). A number argument is converted to its exact rational value first.
   */
  bernoulliExp(gamma: Rational | number): boolean;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const TWO_POW_53_BIG = 9007199254740992n;
const WORDS = 16384; // 64 KiB per refill: one syscall/cipher call per 16k words

/** An Rng over a byte source that refills a 64 KiB buffer; see {@link Rng}. */
export class BufferedRng implements Rng {
  readonly kind: RngKind;
  readonly isPrivate: boolean;
  private readonly bytes = new Uint8Array(WORDS * 4);
  private readonly words = new Uint32Array(this.bytes.buffer);
  private index = WORDS;
  private spareNormal: number | null = null;
  private readonly refill: (out: Uint8Array) => void;

  constructor(kind: RngKind, refill: (out: Uint8Array) => void) {
    this.kind = kind;
    this.isPrivate = kind === 'csprng';
    this.refill = refill;
  }

  nextUint32(): number {
    if (this.index >= WORDS) {
      this.refill(this.bytes);
      this.index = 0;
    }
    return this.words[this.index++]!;
  }

  fillBytes(out: Uint8Array): void {
    let i = 0;
    while (i + 4 <= out.length) {
      const w = this.nextUint32();
      out[i] = w & 0xff;
      out[i + 1] = (w >>> 8) & 0xff;
      out[i + 2] = (w >>> 16) & 0xff;
      out[i + 3] = w >>> 24;
      i += 4;
    }
    if (i < out.length) {
      let w = this.nextUint32();
      for (; i < out.length; i++) {
        out[i] = w & 0xff;
        w >>>= 8;
      }
    }
  }

  uniform(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / TWO_POW_53;
  }

  uniformOpen(): number {
    for (;;) {
      const u = this.uniform();
      if (u !== 0) return u;
    }
  }

  uniformInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_53) {
      throw new InvalidParameterError({
        fn: 'Rng.uniformInt',
        param: 'n',
        value: n,
        allowed: 'an integer in [1, 2^53]',
      });
    }
    if (n <= TWO_POW_32) {
      // Rejection sampling: accept x < limit, the largest multiple of n <= 2^32 (no modulo bias).
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % n);
    for (;;) {
      const x = (this.nextUint32() >>> 11) * TWO_POW_32 + this.nextUint32(); // 53 bits
      if (x < limit) return x % n;
    }
  }

  uniformBigInt(n: bigint): bigint {
    if (typeof n !== 'bigint' || n < 1n) {
      throw new InvalidParameterError({
        fn: 'Rng.uniformBigInt',
        param: 'n',
        value: n,
        allowed: 'a bigint >= 1',
      });
    }
    if (n <= TWO_POW_53_BIG) return BigInt(this.uniformInt(Number(n)));
    const bits = n.toString(2).length;
    const words = Math.ceil(bits / 32);
    const excess = BigInt(words * 32 - bits);
    for (;;) {
      let x = 0n;
      for (let i = 0; i < words; i++) x = (x << 32n) | BigInt(this.nextUint32());
      x >>= excess;
      if (x < n) return x;
    }
  }

  normal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * f;
        return u * f;
      }
    }
  }

  fillNormal(out: Float32Array | Float64Array, std = 1): void {
    const { kn, wn, fn, r } = ZIGGURAT;
    const words = this.words;
    let layers = 0;
    let layerBits = 0;
    for (let i = 0; i < out.length; i++) {
      // one 32-bit word gives four 7-bit layer indices; the value comes from its own signed 32-bit word. The
      // buffer is read directly (the hot path); nextUint32() handles refills and the rare slow path.
      if (layerBits === 0) {
        layers = this.index < WORDS ? words[this.index++]! : this.nextUint32();
        layerBits = 4;
      }
      let iz = layers & 127;
      layers >>>= 8;
      layerBits--;
      let hz = (this.index < WORDS ? words[this.index++]! : this.nextUint32()) | 0;
      if ((hz < 0 ? -hz : hz) < kn[iz]!) {
        out[i] = hz * wn[iz]! * std;
        continue;
      }
      let x: number;
      for (;;) {
        x = hz * wn[iz]!;
        if (iz === 0) {
          // the tail beyond r (Marsaglia 1964)
          let y: number;
          do {
            x = -Math.log(this.uniformOpen()) / r;
            y = -Math.log(this.uniformOpen());
          } while (y + y < x * x);
          x = hz > 0 ? r + x : -r - x;
          break;
        }
        if (fn[iz]! + this.uniform() * (fn[iz - 1]! - fn[iz]!) < Math.exp(-0.5 * x * x)) break;
        hz = this.nextUint32() | 0;
        iz = this.nextUint32() & 127;
        if (Math.abs(hz) < kn[iz]!) {
          x = hz * wn[iz]!;
          break;
        }
      }
      out[i] = x * std;
    }
  }

  exponential(): number {
    return -Math.log(this.uniformOpen());
  }

  geometric(p: number): number {
    if (typeof p !== 'number' || !(p > 0 && p <= 1)) {
      throw new InvalidParameterError({
        fn: 'Rng.geometric',
        param: 'p',
        value: p,
        allowed: 'a number in (0, 1]',
      });
    }
    if (p === 1) return 0;
    return Math.floor(Math.log(this.uniformOpen()) / Math.log1p(-p));
  }

  bernoulli(p: number): boolean {
    assertProbability('Rng.bernoulli', 'p', p);
    if (p === 0) return false;
    if (p === 1) return true;
    // Compare a uniform u in [0, 1), drawn lazily 32 bits at a time (most significant first), with p's binary
    // expansion: P(u < p) = p exactly. Scaling by 2^32 and taking the fractional part are exact in doubles.
    let rest = p;
    for (;;) {
      const scaled = rest * TWO_POW_32;
      const word = Math.floor(scaled);
      rest = scaled - word;
      const r = this.nextUint32();
      if (r < word) return true;
      if (r > word || rest === 0) return false;
    }
  }

  bernoulliRational(num: bigint, den: bigint): boolean {
    if (den < 1n || num < 0n || num > den) {
      throw new InvalidParameterError({
        fn: 'Rng.bernoulliRational',
        param: 'num/den',
        value: `${num}/${den}`,
        allowed: 'integers with 0 <= num <= den and den >= 1',
      });
    }
    if (num === 0n) return false;
    if (num === den) return true;
    if (den <= TWO_POW_53_BIG) return this.uniformInt(Number(den)) < Number(num);
    return this.uniformBigInt(den) < num;
  }

  bernoulliExp(gamma: Rational | number): boolean {
    const g = typeof gamma === 'number' ? rationalFromNumber(gamma) : gamma;
    if (g.num < 0n || g.den < 1n) {
      throw new InvalidParameterError({
        fn: 'Rng.bernoulliExp',
        param: 'gamma',
        value: gamma,
        allowed: 'a rational >= 0',
      });
    }
    // CKS20 Alg. 1: for gamma > 1, exp(-gamma) = exp(-1)^floor(gamma) * exp(-frac(gamma)).
    const whole = rationalFloor(g);
    for (let k = 0n; k < whole; k++) {
      if (!this.bernoulliExpUnit(1n, 1n)) return false;
    }
    const frac = rationalFrac(g);
    return this.bernoulliExpUnit(frac.num, frac.den);
  }

  /** Bernoulli(exp(-num/den)) for 0 <= num/den <= 1: K odd, K the first k with A_k = 0, A_k ~ Bern(gamma/k). */
  private bernoulliExpUnit(num: bigint, den: bigint): boolean {
    if (num === 0n) return true;
    let k = 1n;
    while (this.bernoulliRational(num, den * k)) k++;
    return k % 2n === 1n;
  }
}

/** Checks a seed for the seeded generator and returns its canonical string form. @internal */
export function normaliseSeed(seed: number | bigint | string): string {
  if (typeof seed === 'number') assertInteger('seededRng', 'seed', seed, 0);
  if (typeof seed === 'bigint' && seed < 0n) {
    throw new InvalidParameterError({
      fn: 'seededRng',
      param: 'seed',
      value: seed,
      allowed: 'a non-negative integer',
    });
  }
  if (typeof seed === 'string' && seed.length === 0) {
    throw new InvalidParameterError({
      fn: 'seededRng',
      param: 'seed',
      value: seed,
      allowed: 'a non-empty string',
    });
  }
  return typeof seed === 'string' ? `str:${seed}` : `int:${String(seed)}`;
}
