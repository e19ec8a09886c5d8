/**
 * Bit-matrix transpose, the kernel of the IKNP extension: the 128 × m matrix whose rows are PRG outputs
 * becomes m rows of 128 bits, one per OT. Bits are little-endian: bit c of a row is bit (c mod 32) of 32-bit
 * word ⌊c / 32⌋ (on a little-endian machine, bit c mod 8 of byte ⌊c / 8⌋).
 *
 * Works on 32 × 32 blocks, each transposed in registers by five rounds of masked swaps (Warren, Hacker's
 * Delight, 2nd ed. 2012, §7-3), so every word is read and written once: about 30–40 ms for 128 × 2^20 bits
 * here. A kernel: it validates nothing; its oracle is a bit-by-bit loop (transpose.test.ts).
 */

/**
 * Transposes a `rows` × `cols` bit matrix (row-major, `cols / 32` words per row) into `out`, a `cols` × `rows`
 * bit matrix (`rows / 32` words per row). Both dimensions must be multiples of 32 (unchecked).
 * @param input - rows × cols / 32 words
 * @param rows - number of rows, a multiple of 32
 * @param cols - number of columns, a multiple of 32
 * @param out - cols × rows / 32 words, overwritten
 */
export function transposeBits(input: Uint32Array, rows: number, cols: number, out: Uint32Array): void {
  const inWords = cols >>> 5;
  const outWords = rows >>> 5;
  // column blocks outermost: each output row (all `outWords` words of it) is written in one pass, and the
  // input words read per pass (one per row) share cache lines with the next 15 passes
  for (let cb = 0; cb < inWords; cb++)
    for (let rb = 0; rb < outWords; rb++)
      transposeBlock(input, rb * 32 * inWords + cb, inWords, out, cb * 32 * outWords + rb, outWords);
}

/**
 * Transposes one 32 × 32 block: reads word `inAt + r·inStride` for r < 32, writes word `outAt + c·outStride`
 * for c < 32. Unrolled into 32 locals (Hacker's Delight transpose32, five rounds of masked swaps, bits
 * little-endian): the JIT keeps them in registers, about 1.5× faster than a scratch array.
 */
function transposeBlock(
  input: Uint32Array,
  inAt: number,
  inStride: number,
  out: Uint32Array,
  outAt: number,
  outStride: number,
): void {
  let a0 = input[inAt + 0 * inStride]! | 0;
  let a1 = input[inAt + 1 * inStride]! | 0;
  let a2 = input[inAt + 2 * inStride]! | 0;
  let a3 = input[inAt + 3 * inStride]! | 0;
  let a4 = input[inAt + 4 * inStride]! | 0;
  let a5 = input[inAt + 5 * inStride]! | 0;
  let a6 = input[inAt + 6 * inStride]! | 0;
  let a7 = input[inAt + 7 * inStride]! | 0;
  let a8 = input[inAt + 8 * inStride]! | 0;
  let a9 = input[inAt + 9 * inStride]! | 0;
  let a10 = input[inAt + 10 * inStride]! | 0;
  let a11 = input[inAt + 11 * inStride]! | 0;
  let a12 = input[inAt + 12 * inStride]! | 0;
  let a13 = input[inAt + 13 * inStride]! | 0;
  let a14 = input[inAt + 14 * inStride]! | 0;
  let a15 = input[inAt + 15 * inStride]! | 0;
  let a16 = input[inAt + 16 * inStride]! | 0;
  let a17 = input[inAt + 17 * inStride]! | 0;
  let a18 = input[inAt + 18 * inStride]! | 0;
  let a19 = input[inAt + 19 * inStride]! | 0;
  let a20 = input[inAt + 20 * inStride]! | 0;
  let a21 = input[inAt + 21 * inStride]! | 0;
  let a22 = input[inAt + 22 * inStride]! | 0;
  let a23 = input[inAt + 23 * inStride]! | 0;
  let a24 = input[inAt + 24 * inStride]! | 0;
  let a25 = input[inAt + 25 * inStride]! | 0;
  let a26 = input[inAt + 26 * inStride]! | 0;
  let a27 = input[inAt + 27 * inStride]! | 0;
  let a28 = input[inAt + 28 * inStride]! | 0;
  let a29 = input[inAt + 29 * inStride]! | 0;
  let a30 = input[inAt + 30 * inStride]! | 0;
  let a31 = input[inAt + 31 * inStride]! | 0;
  let t = 0;
  // round 16: swap the upper 16-bit halves of rows k with the lower halves of rows k + 16
  t = ((a0 >>> 16) ^ a16) & 0x0000ffff;
  a0 ^= t << 16;
  a16 ^= t;
  t = ((a1 >>> 16) ^ a17) & 0x0000ffff;
  a1 ^= t << 16;
  a17 ^= t;
  t = ((a2 >>> 16) ^ a18) & 0x0000ffff;
  a2 ^= t << 16;
  a18 ^= t;
  t = ((a3 >>> 16) ^ a19) & 0x0000ffff;
  a3 ^= t << 16;
  a19 ^= t;
  t = ((a4 >>> 16) ^ a20) & 0x0000ffff;
  a4 ^= t << 16;
  a20 ^= t;
  t = ((a5 >>> 16) ^ a21) & 0x0000ffff;
  a5 ^= t << 16;
  a21 ^= t;
  t = ((a6 >>> 16) ^ a22) & 0x0000ffff;
  a6 ^= t << 16;
  a22 ^= t;
  t = ((a7 >>> 16) ^ a23) & 0x0000ffff;
  a7 ^= t << 16;
  a23 ^= t;
  t = ((a8 >>> 16) ^ a24) & 0x0000ffff;
  a8 ^= t << 16;
  a24 ^= t;
  t = ((a9 >>> 16) ^ a25) & 0x0000ffff;
  a9 ^= t << 16;
  a25 ^= t;
  t = ((a10 >>> 16) ^ a26) & 0x0000ffff;
  a10 ^= t << 16;
  a26 ^= t;
  t = ((a11 >>> 16) ^ a27) & 0x0000ffff;
  a11 ^= t << 16;
  a27 ^= t;
  t = ((a12 >>> 16) ^ a28) & 0x0000ffff;
  a12 ^= t << 16;
  a28 ^= t;
  t = ((a13 >>> 16) ^ a29) & 0x0000ffff;
  a13 ^= t << 16;
  a29 ^= t;
  t = ((a14 >>> 16) ^ a30) & 0x0000ffff;
  a14 ^= t << 16;
  a30 ^= t;
  t = ((a15 >>> 16) ^ a31) & 0x0000ffff;
  a15 ^= t << 16;
  a31 ^= t;
  // round 8: swap the upper 8-bit halves of rows k with the lower halves of rows k + 8
  t = ((a0 >>> 8) ^ a8) & 0x00ff00ff;
  a0 ^= t << 8;
  a8 ^= t;
  t = ((a1 >>> 8) ^ a9) & 0x00ff00ff;
  a1 ^= t << 8;
  a9 ^= t;
  t = ((a2 >>> 8) ^ a10) & 0x00ff00ff;
  a2 ^= t << 8;
  a10 ^= t;
  t = ((a3 >>> 8) ^ a11) & 0x00ff00ff;
  a3 ^= t << 8;
  a11 ^= t;
  t = ((a4 >>> 8) ^ a12) & 0x00ff00ff;
  a4 ^= t << 8;
  a12 ^= t;
  t = ((a5 >>> 8) ^ a13) & 0x00ff00ff;
  a5 ^= t << 8;
  a13 ^= t;
  t = ((a6 >>> 8) ^ a14) & 0x00ff00ff;
  a6 ^= t << 8;
  a14 ^= t;
  t = ((a7 >>> 8) ^ a15) & 0x00ff00ff;
  a7 ^= t << 8;
  a15 ^= t;
  t = ((a16 >>> 8) ^ a24) & 0x00ff00ff;
  a16 ^= t << 8;
  a24 ^= t;
  t = ((a17 >>> 8) ^ a25) & 0x00ff00ff;
  a17 ^= t << 8;
  a25 ^= t;
  t = ((a18 >>> 8) ^ a26) & 0x00ff00ff;
  a18 ^= t << 8;
  a26 ^= t;
  t = ((a19 >>> 8) ^ a27) & 0x00ff00ff;
  a19 ^= t << 8;
  a27 ^= t;
  t = ((a20 >>> 8) ^ a28) & 0x00ff00ff;
  a20 ^= t << 8;
  a28 ^= t;
  t = ((a21 >>> 8) ^ a29) & 0x00ff00ff;
  a21 ^= t << 8;
  a29 ^= t;
  t = ((a22 >>> 8) ^ a30) & 0x00ff00ff;
  a22 ^= t << 8;
  a30 ^= t;
  t = ((a23 >>> 8) ^ a31) & 0x00ff00ff;
  a23 ^= t << 8;
  a31 ^= t;
  // round 4: swap the upper 4-bit halves of rows k with the lower halves of rows k + 4
  t = ((a0 >>> 4) ^ a4) & 0x0f0f0f0f;
  a0 ^= t << 4;
  a4 ^= t;
  t = ((a1 >>> 4) ^ a5) & 0x0f0f0f0f;
  a1 ^= t << 4;
  a5 ^= t;
  t = ((a2 >>> 4) ^ a6) & 0x0f0f0f0f;
  a2 ^= t << 4;
  a6 ^= t;
  t = ((a3 >>> 4) ^ a7) & 0x0f0f0f0f;
  a3 ^= t << 4;
  a7 ^= t;
  t = ((a8 >>> 4) ^ a12) & 0x0f0f0f0f;
  a8 ^= t << 4;
  a12 ^= t;
  t = ((a9 >>> 4) ^ a13) & 0x0f0f0f0f;
  a9 ^= t << 4;
  a13 ^= t;
  t = ((a10 >>> 4) ^ a14) & 0x0f0f0f0f;
  a10 ^= t << 4;
  a14 ^= t;
  t = ((a11 >>> 4) ^ a15) & 0x0f0f0f0f;
  a11 ^= t << 4;
  a15 ^= t;
  t = ((a16 >>> 4) ^ a20) & 0x0f0f0f0f;
  a16 ^= t << 4;
  a20 ^= t;
  t = ((a17 >>> 4) ^ a21) & 0x0f0f0f0f;
  a17 ^= t << 4;
  a21 ^= t;
  t = ((a18 >>> 4) ^ a22) & 0x0f0f0f0f;
  a18 ^= t << 4;
  a22 ^= t;
  t = ((a19 >>> 4) ^ a23) & 0x0f0f0f0f;
  a19 ^= t << 4;
  a23 ^= t;
  t = ((a24 >>> 4) ^ a28) & 0x0f0f0f0f;
  a24 ^= t << 4;
  a28 ^= t;
  t = ((a25 >>> 4) ^ a29) & 0x0f0f0f0f;
  a25 ^= t << 4;
  a29 ^= t;
  t = ((a26 >>> 4) ^ a30) & 0x0f0f0f0f;
  a26 ^= t << 4;
  a30 ^= t;
  t = ((a27 >>> 4) ^ a31) & 0x0f0f0f0f;
  a27 ^= t << 4;
  a31 ^= t;
  // round 2: swap the upper 2-bit halves of rows k with the lower halves of rows k + 2
  t = ((a0 >>> 2) ^ a2) & 0x33333333;
  a0 ^= t << 2;
  a2 ^= t;
  t = ((a1 >>> 2) ^ a3) & 0x33333333;
  a1 ^= t << 2;
  a3 ^= t;
  t = ((a4 >>> 2) ^ a6) & 0x33333333;
  a4 ^= t << 2;
  a6 ^= t;
  t = ((a5 >>> 2) ^ a7) & 0x33333333;
  a5 ^= t << 2;
  a7 ^= t;
  t = ((a8 >>> 2) ^ a10) & 0x33333333;
  a8 ^= t << 2;
  a10 ^= t;
  t = ((a9 >>> 2) ^ a11) & 0x33333333;
  a9 ^= t << 2;
  a11 ^= t;
  t = ((a12 >>> 2) ^ a14) & 0x33333333;
  a12 ^= t << 2;
  a14 ^= t;
  t = ((a13 >>> 2) ^ a15) & 0x33333333;
  a13 ^= t << 2;
  a15 ^= t;
  t = ((a16 >>> 2) ^ a18) & 0x33333333;
  a16 ^= t << 2;
  a18 ^= t;
  t = ((a17 >>> 2) ^ a19) & 0x33333333;
  a17 ^= t << 2;
  a19 ^= t;
  t = ((a20 >>> 2) ^ a22) & 0x33333333;
  a20 ^= t << 2;
  a22 ^= t;
  t = ((a21 >>> 2) ^ a23) & 0x33333333;
  a21 ^= t << 2;
  a23 ^= t;
  t = ((a24 >>> 2) ^ a26) & 0x33333333;
  a24 ^= t << 2;
  a26 ^= t;
  t = ((a25 >>> 2) ^ a27) & 0x33333333;
  a25 ^= t << 2;
  a27 ^= t;
  t = ((a28 >>> 2) ^ a30) & 0x33333333;
  a28 ^= t << 2;
  a30 ^= t;
  t = ((a29 >>> 2) ^ a31) & 0x33333333;
  a29 ^= t << 2;
  a31 ^= t;
  // round 1: swap the upper 1-bit halves of rows k with the lower halves of rows k + 1
  t = ((a0 >>> 1) ^ a1) & 0x55555555;
  a0 ^= t << 1;
  a1 ^= t;
  t = ((a2 >>> 1) ^ a3) & 0x55555555;
  a2 ^= t << 1;
  a3 ^= t;
  t = ((a4 >>> 1) ^ a5) & 0x55555555;
  a4 ^= t << 1;
  a5 ^= t;
  t = ((a6 >>> 1) ^ a7) & 0x55555555;
  a6 ^= t << 1;
  a7 ^= t;
  t = ((a8 >>> 1) ^ a9) & 0x55555555;
  a8 ^= t << 1;
  a9 ^= t;
  t = ((a10 >>> 1) ^ a11) & 0x55555555;
  a10 ^= t << 1;
  a11 ^= t;
  t = ((a12 >>> 1) ^ a13) & 0x55555555;
  a12 ^= t << 1;
  a13 ^= t;
  t = ((a14 >>> 1) ^ a15) & 0x55555555;
  a14 ^= t << 1;
  a15 ^= t;
  t = ((a16 >>> 1) ^ a17) & 0x55555555;
  a16 ^= t << 1;
  a17 ^= t;
  t = ((a18 >>> 1) ^ a19) & 0x55555555;
  a18 ^= t << 1;
  a19 ^= t;
  t = ((a20 >>> 1) ^ a21) & 0x55555555;
  a20 ^= t << 1;
  a21 ^= t;
  t = ((a22 >>> 1) ^ a23) & 0x55555555;
  a22 ^= t << 1;
  a23 ^= t;
  t = ((a24 >>> 1) ^ a25) & 0x55555555;
  a24 ^= t << 1;
  a25 ^= t;
  t = ((a26 >>> 1) ^ a27) & 0x55555555;
  a26 ^= t << 1;
  a27 ^= t;
  t = ((a28 >>> 1) ^ a29) & 0x55555555;
  a28 ^= t << 1;
  a29 ^= t;
  t = ((a30 >>> 1) ^ a31) & 0x55555555;
  a30 ^= t << 1;
  a31 ^= t;
  out[outAt + 0 * outStride] = a0;
  out[outAt + 1 * outStride] = a1;
  out[outAt + 2 * outStride] = a2;
  out[outAt + 3 * outStride] = a3;
  out[outAt + 4 * outStride] = a4;
  out[outAt + 5 * outStride] = a5;
  out[outAt + 6 * outStride] = a6;
  out[outAt + 7 * outStride] = a7;
  out[outAt + 8 * outStride] = a8;
  out[outAt + 9 * outStride] = a9;
  out[outAt + 10 * outStride] = a10;
  out[outAt + 11 * outStride] = a11;
  out[outAt + 12 * outStride] = a12;
  out[outAt + 13 * outStride] = a13;
  out[outAt + 14 * outStride] = a14;
  out[outAt + 15 * outStride] = a15;
  out[outAt + 16 * outStride] = a16;
  out[outAt + 17 * outStride] = a17;
  out[outAt + 18 * outStride] = a18;
  out[outAt + 19 * outStride] = a19;
  out[outAt + 20 * outStride] = a20;
  out[outAt + 21 * outStride] = a21;
  out[outAt + 22 * outStride] = a22;
  out[outAt + 23 * outStride] = a23;
  out[outAt + 24 * outStride] = a24;
  out[outAt + 25 * outStride] = a25;
  out[outAt + 26 * outStride] = a26;
  out[outAt + 27 * outStride] = a27;
  out[outAt + 28 * outStride] = a28;
  out[outAt + 29 * outStride] = a29;
  out[outAt + 30 * outStride] = a30;
  out[outAt + 31 * outStride] = a31;
}
