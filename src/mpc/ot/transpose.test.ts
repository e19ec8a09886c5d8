import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { transposeBits } from './transpose.js';

/** The obvious bit-by-bit transpose, the oracle. */
function naiveTranspose(input: Uint32Array, rows: number, cols: number): Uint32Array {
  const out = new Uint32Array((cols * rows) / 32);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const bit = (input[r * (cols / 32) + (c >>> 5)]! >>> (c & 31)) & 1;
      out[c * (rows / 32) + (r >>> 5)]! |= bit << (r & 31);
    }
  return out;
}

const matrix = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 }))
  .chain(([rb, cb]) =>
    fc.tuple(
      fc.constant(32 * rb),
      fc.constant(32 * cb),
      fc.uint32Array({ minLength: rb * cb * 32, maxLength: rb * cb * 32 }),
    ),
  );

describe('transposeBits', () => {
  it('moves bit (r, c) to (c, r) for a 128 × 64 matrix with one bit set', () => {
    const input = new Uint32Array((128 * 64) / 32);
    input[77 * 2 + 1] = 1 << 9; // row 77, column 41
    const out = new Uint32Array(input.length);
    transposeBits(input, 128, 64, out);
    expect([...out.keys()].filter((k) => out[k] !== 0)).toEqual([41 * 4 + 2]);
    expect(out[41 * 4 + 2]).toBe(1 << (77 - 64));
  });

  describe('properties', () => {
    test.prop([matrix])('agrees with the bit-by-bit transpose', ([rows, cols, input]) => {
      const out = new Uint32Array(input.length);
      transposeBits(input, rows, cols, out);
      expect(out).toEqual(naiveTranspose(input, rows, cols));
    });

    test.prop([matrix])('is an involution', ([rows, cols, input]) => {
      const once = new Uint32Array(input.length);
      const twice = new Uint32Array(input.length);
      transposeBits(input, rows, cols, once);
      transposeBits(once, cols, rows, twice);
      expect(twice).toEqual(input);
    });
  });
});
