/**
 * A two-party session of additive secret sharing over Z_2^64 with fixed-point values: each party holds one
 * {@link ArithParty} over its end of a channel, and both call the same methods in the same order.
 *
 * Security (semi-honest, two parties): each party's view is its own inputs, its shares (uniformly random
 * alone), and openings of values masked by fresh triple shares (x - a, y - b), which are uniformly random and
 * independent of the inputs as long as the triples are correct, secret and used once. Only {@link reveal}
 * discloses anything, and only what the caller asks for. With triples from a trusted dealer, the dealer sees
 * no input but could break privacy by colluding with either party; with OT-based triples no third party is
 * trusted. Not secure against a party that deviates from the protocol (no MACs).
 *
 * Precision: see fixed-point.ts (1/2 ulp per encoding, at most 1 ulp per truncation, a truncation failing
 * with probability at most (|x| + 1) / 2^64 for an untruncated value of |x| ring units).
 */
import { assertFiniteArray, csprng, InvalidParameterError, type Rng } from '../../core/index.js';
import type { Channel } from '../channel.js';
import { checkCount, checkPair, checkShares, encodePublic } from './checks.js';
import { checkFracBits, decodeFixed, encodeFixed, truncateShares } from './fixed-point.js';
import {
  type RingShares,
  type Role,
  randomRing,
  ringAdd,
  ringFromBytes,
  ringMul,
  ringSub,
  ringToBytes,
} from './ring.js';
import { type TripleCounts, TripleUse, wipe } from './triple-use.js';
import type { BitTriples, TripleSource } from './triples.js';
import { wasmBeaver, wasmMatmul } from './wasm/runtime.js';

/** Options of {@link ArithParty}. */
export interface ArithPartyOptions {
  /** This party's end of the channel to the other party. */
  readonly ch: Channel;
  /** 0 or 1; party 0 adds public constants and the e*f term of Beaver products. */
  readonly role: Role;
  /** This party's triple source (multiplications, comparisons and matrix products refuse to run without). */
  readonly triples?: TripleSource;
  /** Fractional bits f, an integer in [0, 30] (default 16). Both parties must use the same. */
  readonly fracBits?: number;
  /** Randomness for input sharing (default the CSPRNG). */
  readonly rng?: Rng;
}

/** Matrix shapes of {@link ArithParty.matmul}: X is rows x inner, Y is inner x cols (row-major). */
export interface MatmulShape {
  readonly rows: number;
  readonly inner: number;
  readonly cols: number;
}

/** Triples and openings one party has used so far. */
export interface ArithStats extends TripleCounts {
  /** Openings (one message each way). */
  readonly openings: number;
}

/** Who learns a revealed value: one party, or both. */
export type RevealTo = Role | 'both';

/**
 * One party of a semi-honest two-party secret-sharing session (see the module comment for what each party
 * learns). All operations are batched over vectors; await each call before the next.
 * @example
 * const [a, b] = memoryChannelPair();
 * const [t0, t1] = dealerTriples();
 * const alice = new ArithParty({ ch: a, role: 0, triples: t0 });
 * const bob = new ArithParty({ ch: b, role: 1, triples: t1 });
 * const [x0, x1] = await Promise.all([alice.share(Float64Array.of(1.5)), bob.input(0, 1)]);
 * const [y0, y1] = await Promise.all([alice.input(1, 1), bob.share(Float64Array.of(2))]);
 * const [z0, z1] = await Promise.all([alice.mul(x0, y0), bob.mul(x1, y1)]);
 * await Promise.all([alice.reveal(z0), bob.reveal(z1)]); // [Float64Array [3], Float64Array [3]]
 */
export class ArithParty {
  /** This party's role, 0 or 1. */
  readonly role: Role;
  /** Fractional bits of the fixed-point encoding. */
  readonly fracBits: number;
  /** How triples are made, or undefined without a source. */
  readonly triplesKind: TripleSource['kind'] | undefined;
  private readonly ch: Channel;
  private readonly triples: TripleUse;
  private readonly rng: Rng;
  private openings = 0;

  /**
   * @param options - channel, role, triple source, fracBits and rng (see {@link ArithPartyOptions})
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a role other than 0 or 1, a bad fracBits, a
   *   missing channel, or a triple source made for the other role
   */
  constructor(options: ArithPartyOptions) {
    const fn = 'ArithParty';
    if (options.role !== 0 && options.role !== 1) {
      throw new InvalidParameterError({ fn, param: 'role', value: options.role, allowed: '0 or 1' });
    }
    if (options.ch === undefined || typeof options.ch.send !== 'function') {
      throw new InvalidParameterError({ fn, param: 'ch', value: options.ch, allowed: 'a Channel' });
    }
    if (options.triples !== undefined && options.triples.role !== options.role) {
      throw new InvalidParameterError({
        fn,
        param: 'triples',
        value: `a source for party ${options.triples.role}`,
        allowed: `a source for party ${options.role}`,
      });
    }
    this.role = options.role;
    this.fracBits = checkFracBits(fn, options.fracBits);
    this.ch = options.ch;
    this.triples = new TripleUse(options.triples);
    this.triplesKind = options.triples?.kind;
    this.rng = options.rng ?? csprng();
  }

  /** Triples and openings used so far. */
  stats(): ArithStats {
    return { ...this.triples.counts(), openings: this.openings };
  }

  /**
   * Secret-shares this party's private vector: sends the other party a uniformly random share and keeps
   * x - share. The other party calls {@link input} with this party's role.
   * @param values - finite reals with |x| < 2^(31 - fracBits)
   * @returns this party's shares
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a NaN, infinite or too large value
   */
  async share(values: Float64Array | readonly number[]): Promise<RingShares> {
    assertFiniteArray('ArithParty.share', 'values', values);
    const x = encodeFixed(values, { fracBits: this.fracBits });
    const theirs = randomRing(x.length, this.rng);
    this.ch.send('arith.input', ringToBytes(theirs));
    return ringSub(x, theirs);
  }

  /**
   * Receives this party's shares of the other party's private vector (the other calls {@link share}).
   * @param from - the role of the party that inputs (the other party)
   * @param n - the vector's length
   * @returns this party's shares (uniformly random)
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when `from` is this party or `n` is not an integer >= 0
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag or length
   */
  async input(from: Role, n: number): Promise<RingShares> {
    if (from !== 1 - this.role) {
      throw new InvalidParameterError({
        fn: 'ArithParty.input',
        param: 'from',
        value: from,
        allowed: `${1 - this.role} (the other party; use share() for this party's own input)`,
      });
    }
    checkCount('ArithParty.input', 'n', n);
    const bytes = await this.ch.recv('arith.input');
    return ringFromBytes(bytes, [n], { peer: this.ch.peer, stage: 'arith.input' })[0]!;
  }

  /**
   * Opens shares to one party or both: the receiver learns the value, the other learns nothing.
   * @param x - this party's shares
   * @param to - who learns it: 0, 1 or `'both'` (default)
   * @returns the decoded values for a receiving party, undefined for a party that only sends
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag or length
   */
  async reveal(x: RingShares, to?: 'both'): Promise<Float64Array>;
  async reveal(x: RingShares, to: RevealTo): Promise<Float64Array | undefined>;
  async reveal(x: RingShares, to: RevealTo = 'both'): Promise<Float64Array | undefined> {
    checkShares('ArithParty.reveal', 'x', x);
    if (to !== 0 && to !== 1 && to !== 'both') {
      throw new InvalidParameterError({
        fn: 'ArithParty.reveal',
        param: 'to',
        value: to,
        allowed: "0, 1 or 'both'",
      });
    }
    if (to !== this.role) this.ch.send('arith.reveal', ringToBytes(x));
    if (to !== 'both' && to !== this.role) return undefined;
    const bytes = await this.ch.recv('arith.reveal');
    const [theirs] = ringFromBytes(bytes, [x.length], { peer: this.ch.peer, stage: 'arith.reveal' });
    return decodeFixed(ringAdd(x, theirs!), { fracBits: this.fracBits });
  }

  /** Shares of x + y (local, exact). @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for unequal lengths */
  add(x: RingShares, y: RingShares): RingShares {
    checkPair('ArithParty.add', x, y);
    return ringAdd(x, y);
  }

  /** Shares of x - y (local, exact). @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for unequal lengths */
  sub(x: RingShares, y: RingShares): RingShares {
    checkPair('ArithParty.sub', x, y);
    return ringSub(x, y);
  }

  /**
   * Shares of x + c for a public c (local; party 0 adds it, 1/2 ulp for encoding c).
   * @param x - shares
   * @param c - one public real for all elements, or one per element
   * @returns shares of x + c
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad or too large c, or unequal lengths
   */
  addPublic(x: RingShares, c: number | Float64Array): RingShares {
    const fn = 'ArithParty.addPublic';
    checkShares(fn, 'x', x);
    const encoded = encodePublic(fn, c, x.length, this.fracBits);
    return this.role === 0 ? ringAdd(x, encoded) : x.slice();
  }

  /**
   * Shares of x * c for a public real c, truncated (local; at most 1 ulp plus c's encoding error times |x|).
   * @param x - shares
   * @param c - one public real for all elements, or one per element
   * @returns shares of x * c
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad or too large c, or unequal lengths
   */
  mulPublic(x: RingShares, c: number | Float64Array): RingShares {
    const fn = 'ArithParty.mulPublic';
    checkShares(fn, 'x', x);
    return truncateShares(ringMul(x, encodePublic(fn, c, x.length, this.fracBits)), this.fracBits, this.role);
  }

  /**
   * Shares of x * y, elementwise, by Beaver multiplication and one truncation: one opening of 2n ring elements
   * (16 bytes per element each way), n elementwise triples. Error at most 1 ulp (fixed-point.ts). Each party
   * sees only e = x - a and f = y - b, uniformly random while the triple is secret and fresh.
   * @param x - shares
   * @param y - shares of the same length
   * @returns shares of x * y
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER without a triple source or for unequal lengths
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag or length, or reused triples
   */
  async mul(x: RingShares, y: RingShares): Promise<RingShares> {
    checkPair('ArithParty.mul', x, y);
    return truncateShares(await this.mulRing('ArithParty.mul', x, y), this.fracBits, this.role);
  }

  /**
   * Shares of the ring product x * y without truncation (for a fixed-point x times an integer y, such as a bit).
   * @internal used by the comparison protocols; lengths are the caller's to check
   */
  async mulRing(fn: string, x: RingShares, y: RingShares): Promise<RingShares> {
    const t = await this.triples.elementwise(fn, x.length);
    const e = ringSub(x, t.a);
    const f = ringSub(y, t.b);
    const [e1, f1] = await this.open('arith.mul.open', [e, f]);
    const z = wasmBeaver(t.c, ringAdd(e, e1!), ringAdd(f, f1!), t.a, t.b, this.role === 0);
    wipe(t);
    return z;
  }

  /**
   * Shares of the matrix product X * Y by one Beaver matrix triple: one opening of E = X - U and F = Y - V
   * (8 (rows*inner + inner*cols) bytes each way), then local products and one truncation (each output is at
   * most 1 ulp off the product of the encoded inputs). Each party sees only E and F, uniformly random while
   * the matrix triple (U, V, W = U V) is secret and fresh.
   * @param x - shares of X, rows x inner, row-major
   * @param y - shares of Y, inner x cols, row-major
   * @param shape - `{ rows, inner, cols }`
   * @returns shares of X * Y, rows x cols
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER without a matrix-capable triple source or for
   *   lengths that do not match the shape
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag or length, or reused triples
   */
  async matmul(x: RingShares, y: RingShares, shape: MatmulShape): Promise<RingShares> {
    const fn = 'ArithParty.matmul';
    const { rows, inner, cols } = shape ?? {};
    checkCount(fn, 'shape.rows', rows);
    checkCount(fn, 'shape.inner', inner);
    checkCount(fn, 'shape.cols', cols);
    checkShares(fn, 'x', x);
    checkShares(fn, 'y', y);
    if (x.length !== rows * inner) {
      throw new InvalidParameterError({
        fn,
        param: 'x',
        value: `length ${x.length}`,
        allowed: `rows * inner = ${rows * inner}`,
      });
    }
    if (y.length !== inner * cols) {
      throw new InvalidParameterError({
        fn,
        param: 'y',
        value: `length ${y.length}`,
        allowed: `inner * cols = ${inner * cols}`,
      });
    }
    const t = await this.triples.matrix(fn, rows, inner, cols);
    const e = ringSub(x, t.a);
    const f = ringSub(y, t.b);
    const [e1, f1] = await this.open('arith.matmul.open', [e, f]);
    const bigE = ringAdd(e, e1!);
    const bigF = ringAdd(f, f1!);
    // Z_i = C_i + E (V_i + [i = 0] F) + U_i F: two local products instead of three
    const v = this.role === 0 ? ringAdd(t.b, bigF) : t.b;
    const z = ringAdd(
      ringAdd(t.c, wasmMatmul(bigE, v, rows, inner, cols)),
      wasmMatmul(t.a, bigF, rows, inner, cols),
    );
    wipe(t);
    return truncateShares(z, this.fracBits, this.role);
  }

  /**
   * Shares of x / 2^bits by local truncation (no communication; at most 1 ulp off, failing with probability
   * at most (|x| + 1) / 2^64 for |x| in ring units).
   * @param x - shares
   * @param bits - the shift, an integer in [0, 62] (default fracBits)
   * @returns shares of x / 2^bits
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a bad `bits`
   */
  truncate(x: RingShares, bits: number = this.fracBits): RingShares {
    checkShares('ArithParty.truncate', 'x', x);
    if (!Number.isInteger(bits) || bits < 0 || bits > 62) {
      throw new InvalidParameterError({
        fn: 'ArithParty.truncate',
        param: 'bits',
        value: bits,
        allowed: 'an integer in [0, 62]',
      });
    }
    return truncateShares(x, bits, this.role);
  }

  /**
   * Shares of the sum of all elements (local, exact).
   * @param x - shares
   * @returns shares of one element
   */
  sum(x: RingShares): RingShares {
    checkShares('ArithParty.sum', 'x', x);
    let s = 0n;
    for (let i = 0; i < x.length; i++) s += x[i]!;
    return BigUint64Array.of(BigInt.asUintN(64, s));
  }

  /**
   * Shares of the inner product of x and y: n Beaver products summed before one truncation (at most 1 ulp).
   * @param x - shares
   * @param y - shares of the same length
   * @returns shares of one element
   * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER without a triple source or for unequal lengths
   * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION for a message with another tag or length
   */
  async dot(x: RingShares, y: RingShares): Promise<RingShares> {
    checkPair('ArithParty.dot', x, y);
    const products = await this.mulRing('ArithParty.dot', x, y);
    let s = 0n;
    for (let i = 0; i < products.length; i++) s += products[i]!;
    return truncateShares(BigUint64Array.of(BigInt.asUintN(64, s)), this.fracBits, this.role);
  }

  /**
   * Exchanges this party's parts for the peer's (one message each way): an opening, when the parts are masked.
   * @internal
   */
  async open(stage: string, parts: readonly BigUint64Array[]): Promise<BigUint64Array[]> {
    this.ch.send(stage, ringToBytes(...parts));
    const bytes = await this.ch.recv(stage);
    this.openings++;
    return ringFromBytes(
      bytes,
      parts.map((p) => p.length),
      { peer: this.ch.peer, stage },
    );
  }

  /** This party's shares of 64 * `words` fresh AND triples (each batch used once). @internal */
  takeBits(fn: string, words: number): Promise<BitTriples> {
    return this.triples.bits(fn, words);
  }
}
