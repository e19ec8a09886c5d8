/**
 * One party's bookkeeping of Beaver triples: takes batches from its {@link TripleSource}, checks their lengths,
 * refuses a batch seen before (each triple is used once: reusing one would open two values masked by the same
 * mask, whose difference is then public), counts what was consumed, and wipes batches after use.
 */
import { InvalidParameterError } from '../../core/index.js';
import type { BitTriples, ElementwiseTriples, MatrixTriples, TripleSource } from './triples.js';

type Batch = ElementwiseTriples | MatrixTriples | BitTriples;

/** Triples consumed so far by one party. */
export interface TripleCounts {
  /** Elementwise triples (one per Beaver multiplication). */
  readonly elementwiseTriples: number;
  /** Matrix triples (one per matrix product). */
  readonly matrixTriples: number;
  /** 64-bit words of boolean AND triples (64 AND gates each). */
  readonly bitTripleWords: number;
}

/** A party's view of its triple source: fresh, checked batches, each used once. @internal */
export class TripleUse {
  private readonly used = new WeakSet<BigUint64Array>();
  private readonly counted = { elementwiseTriples: 0, matrixTriples: 0, bitTripleWords: 0 };

  constructor(private readonly source: TripleSource | undefined) {}

  /** What was consumed so far. */
  counts(): TripleCounts {
    return { ...this.counted };
  }

  /** Shares of `n` fresh elementwise triples. */
  async elementwise(fn: string, n: number): Promise<ElementwiseTriples> {
    const t = this.check(fn, await this.require(fn).elementwise(n), [n, n, n]);
    this.counted.elementwiseTriples += n;
    return t;
  }

  /** Shares of one fresh matrix triple for a (rows x inner) * (inner x cols) product. */
  async matrix(fn: string, rows: number, inner: number, cols: number): Promise<MatrixTriples> {
    const source = this.require(fn);
    if (source.matrix === undefined) {
      throw new InvalidParameterError({
        fn,
        param: 'triples',
        value: source.kind,
        allowed: 'a source with matrix triples',
      });
    }
    const t = this.check(fn, await source.matrix(rows, inner, cols), [
      rows * inner,
      inner * cols,
      rows * cols,
    ]);
    this.counted.matrixTriples++;
    return t;
  }

  /** Shares of 64 * `words` fresh AND triples. */
  async bits(fn: string, words: number): Promise<BitTriples> {
    const source = this.require(fn);
    if (source.bits === undefined) {
      throw new InvalidParameterError({
        fn,
        param: 'triples',
        value: source.kind,
        allowed: 'a source with bit (AND) triples',
      });
    }
    const t = this.check(fn, await source.bits(words), [words, words, words]);
    this.counted.bitTripleWords += words;
    return t;
  }

  private require(fn: string): TripleSource {
    if (this.source === undefined) {
      throw new InvalidParameterError({
        fn,
        param: 'triples',
        value: undefined,
        allowed:
          'a TripleSource in ArithParty options (dealerTriples() or an OT-based source): this protocol needs Beaver triples',
      });
    }
    return this.source;
  }

  /** Checks a batch's lengths and that it was never used; marks it used. */
  private check<T extends Batch>(fn: string, t: T, lengths: readonly number[]): T {
    const parts = [t?.a, t?.b, t?.c];
    for (let i = 0; i < 3; i++) {
      const p = parts[i];
      if (!(p instanceof BigUint64Array) || p.length !== lengths[i]) {
        throw new InvalidParameterError({
          fn,
          param: 'triples',
          value: `a batch whose ${'abc'[i]} has length ${p instanceof BigUint64Array ? p.length : typeof p}`,
          allowed: `lengths ${lengths.join(', ')}`,
        });
      }
      if (this.used.has(p)) {
        throw new InvalidParameterError({
          fn,
          param: 'triples',
          value: 'a batch used before',
          allowed: 'fresh triples (each used once)',
        });
      }
    }
    for (const p of parts) this.used.add(p!);
    return t;
  }
}

/** Zeroes a used batch of triples (they must never serve again). */
export function wipe(t: Batch): void {
  t.a.fill(0n);
  t.b.fill(0n);
  t.c.fill(0n);
}
