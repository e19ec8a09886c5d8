/**
 * Beaver triples: the correlated randomness that lets two parties multiply secret-shared values with one
 * opening of uniformly masked values (Beaver 1991). A {@link TripleSource} gives one party its shares of fresh
 * triples; {@link dealerTriples} is an in-process trusted dealer. An OT-based source (Gilboa multiplication,
 * src/mpc/ot) implements the same interface with `kind: 'ot'` and needs no trusted third party.
 *
 * Both parties must ask their sources for the same kinds and sizes in the same order (the protocols in
 * party.ts do); each triple is consumed once (ArithParty refuses a batch it has seen before and wipes each
 * batch after use).
 */
import { csprng, InvalidParameterError, ProtocolError, type Rng } from '../../core/index.js';
import { type Role, randomRing, ringSub } from './ring.js';
import { wasmMatmul, wasmMul } from './wasm/runtime.js';

/** One party's shares of `n` multiplication triples over Z_2^64: c = a * b elementwise, mod 2^64. */
export interface ElementwiseTriples {
  readonly a: BigUint64Array;
  readonly b: BigUint64Array;
  readonly c: BigUint64Array;
}

/**
 * One party's shares of a matrix triple over Z_2^64: A (rows x inner), B (inner x cols) and C = A * B
 * (rows x cols), row-major.
 */
export interface MatrixTriples {
  readonly a: BigUint64Array;
  readonly b: BigUint64Array;
  readonly c: BigUint64Array;
}

/**
 * One party's XOR shares of boolean AND triples, 64 per word: c = a AND b bitwise, where a = a0 XOR a1, and so
 * on. `words` words hold 64 * words triples.
 */
export interface BitTriples {
  readonly a: BigUint64Array;
  readonly b: BigUint64Array;
  readonly c: BigUint64Array;
}

/** Where the triples come from, for job summaries ("triples from a trusted dealer"). */
export type TripleSourceKind = 'dealer' | 'ot';

/**
 * A source of one party's shares of fresh Beaver triples. Every call returns new triples, never returned
 * before; the two parties' sources must be asked the same sizes in the same order.
 *
 * To adapt an OT-based generator such as `beaverTriples(pair, n) -> { a, b, c }`: `elementwise(n)` returns its
 * result; `bits` and `matrix` are optional (without them lessThanZero/relu/sigmoid and matmul are refused).
 */
export interface TripleSource {
  /** `'dealer'`: a trusted third party made them; `'ot'`: the two parties made them by oblivious transfer. */
  readonly kind: TripleSourceKind;
  /** The party these shares belong to. */
  readonly role: Role;
  /** Shares of `n` elementwise triples. */
  elementwise(n: number): Promise<ElementwiseTriples>;
  /** Shares of one matrix triple for a (rows x inner) * (inner x cols) product. */
  matrix?(rows: number, inner: number, cols: number): Promise<MatrixTriples>;
  /** XOR shares of 64 * `words` boolean AND triples. */
  bits?(words: number): Promise<BitTriples>;
}

/** Options of {@link dealerTriples}. */
export interface DealerOptions {
  /** The dealer's randomness (default the CSPRNG; a seeded generator makes the triples NOT private). */
  readonly rng?: Rng;
}

type Triple = { readonly a: BigUint64Array; readonly b: BigUint64Array; readonly c: BigUint64Array };
interface Pending {
  readonly request: string;
  readonly shares: Triple;
}

const MAX_ELEMENTS = 2 ** 28;

function checkCount(fn: string, param: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_ELEMENTS) {
    throw new InvalidParameterError({ fn, param, value, allowed: `an integer in [0, 2^28]` });
  }
}

/** Splits a triple into two random additive (ring) shares. */
function splitAdditive(t: Triple, rng: Rng): [Triple, Triple] {
  const a0 = randomRing(t.a.length, rng);
  const b0 = randomRing(t.b.length, rng);
  const c0 = randomRing(t.c.length, rng);
  return [
    { a: a0, b: b0, c: c0 },
    { a: ringSub(t.a, a0), b: ringSub(t.b, b0), c: ringSub(t.c, c0) },
  ];
}

function xorWords(x: BigUint64Array, y: BigUint64Array): BigUint64Array {
  const out = new BigUint64Array(x.length);
  const o = new Uint32Array(out.buffer);
  const xs = new Uint32Array(x.buffer, x.byteOffset, x.length * 2);
  const ys = new Uint32Array(y.buffer, y.byteOffset, y.length * 2);
  for (let i = 0; i < o.length; i++) o[i] = xs[i]! ^ ys[i]!;
  return out;
}

function andWords(x: BigUint64Array, y: BigUint64Array): BigUint64Array {
  const out = new BigUint64Array(x.length);
  const o = new Uint32Array(out.buffer);
  const xs = new Uint32Array(x.buffer, x.byteOffset, x.length * 2);
  const ys = new Uint32Array(y.buffer, y.byteOffset, y.length * 2);
  for (let i = 0; i < o.length; i++) o[i] = xs[i]! & ys[i]!;
  return out;
}

/** Splits boolean triples into two random XOR shares. */
function splitXor(t: Triple, rng: Rng): [Triple, Triple] {
  const a0 = randomRing(t.a.length, rng);
  const b0 = randomRing(t.b.length, rng);
  const c0 = randomRing(t.c.length, rng);
  return [
    { a: a0, b: b0, c: c0 },
    { a: xorWords(t.a, a0), b: xorWords(t.b, b0), c: xorWords(t.c, c0) },
  ];
}

/**
 * An in-process trusted dealer: a pair of triple sources, one per party, that hand out shares of the same
 * random triples. Security: the dealer sees no input of either party (triples are independent of them), and
 * each party's shares alone are uniformly random; but the dealer knows every triple, so a dealer colluding
 * with either party breaks the other's privacy. Trust it as you would trust a third party. For tests,
 * simulations and deployments with a trusted preprocessing service; use an OT-based source otherwise.
 * @param options - `rng`, the dealer's randomness (default the CSPRNG)
 * @returns `[party 0's source, party 1's source]`, both with `kind: 'dealer'`
 * @throws {ProtocolError} VEIL_PROTOCOL_VIOLATION (from a source) when the two parties ask for different
 *   kinds or sizes of triples at the same step
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER (from a source) for a negative or non-integer size
 * @example
 * const [t0, t1] = dealerTriples();
 * const p0 = new ArithParty({ ch: a, role: 0, triples: t0 });
 * const p1 = new ArithParty({ ch: b, role: 1, triples: t1 });
 */
export function dealerTriples(options: DealerOptions = {}): readonly [TripleSource, TripleSource] {
  const rng = options.rng ?? csprng();
  const queues: [Pending[], Pending[]] = [[], []];

  function deal(role: Role, request: string, make: () => [Triple, Triple]): Triple {
    const mine = queues[role].shift();
    if (mine !== undefined) {
      if (mine.request !== request) {
        throw new ProtocolError(
          `dealerTriples: party ${role} asked for ${request} where party ${1 - role} asked for ${mine.request}`,
          { peer: `party ${1 - role}`, stage: 'triples', expected: mine.request },
        );
      }
      return mine.shares;
    }
    const shares = make();
    queues[1 - role]!.push({ request, shares: shares[1 - role]! });
    return shares[role];
  }

  const source = (role: Role): TripleSource => ({
    kind: 'dealer',
    role,
    elementwise: async (n) => {
      checkCount('TripleSource.elementwise', 'n', n);
      return deal(role, `elementwise(${n})`, () => {
        const a = randomRing(n, rng);
        const b = randomRing(n, rng);
        return splitAdditive({ a, b, c: wasmMul(a, b) }, rng);
      });
    },
    matrix: async (rows, inner, cols) => {
      checkCount('TripleSource.matrix', 'rows', rows);
      checkCount('TripleSource.matrix', 'inner', inner);
      checkCount('TripleSource.matrix', 'cols', cols);
      return deal(role, `matrix(${rows}, ${inner}, ${cols})`, () => {
        const a = randomRing(rows * inner, rng);
        const b = randomRing(inner * cols, rng);
        return splitAdditive({ a, b, c: wasmMatmul(a, b, rows, inner, cols) }, rng);
      });
    },
    bits: async (words) => {
      checkCount('TripleSource.bits', 'words', words);
      return deal(role, `bits(${words})`, () => {
        const a = randomRing(words, rng);
        const b = randomRing(words, rng);
        return splitXor({ a, b, c: andWords(a, b) }, rng);
      });
    },
  });
  return Object.freeze([source(0), source(1)] as const);
}
