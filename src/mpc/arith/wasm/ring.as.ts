// Arithmetic in the ring Z_2^64 for the secret-sharing protocols of src/mpc/arith, written in AssemblyScript
// (compiled by scripts/build-kernels.mjs into ring.wasm.gen.ts; CI checks the two are in sync). WebAssembly's
// i64 add, sub and mul wrap around, which is exactly arithmetic mod 2^64: one instruction where a JavaScript
// BigInt costs an allocation. All pointers are byte offsets into this module's own memory; arrays are u64.
// No validation: the TypeScript wrappers in runtime.ts check lengths and shapes.

// out[i] = a[i] + b[i] mod 2^64
export function add(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<i64>(out + o, load<i64>(a + o) + load<i64>(b + o));
  }
}

// out[i] = a[i] - b[i] mod 2^64
export function sub(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<i64>(out + o, load<i64>(a + o) - load<i64>(b + o));
  }
}

// out[i] = a[i] * b[i] mod 2^64
export function mul(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<i64>(out + o, load<i64>(a + o) * load<i64>(b + o));
  }
}

// out[i] = a[i] * s mod 2^64
export function mulScalar(a: usize, s: i64, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<i64>(out + o, load<i64>(a + o) * s);
  }
}

// out[i] = a[i] + s mod 2^64
export function addScalar(a: usize, s: i64, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<i64>(out + o, load<i64>(a + o) + s);
  }
}

// A party's share of x*y from a Beaver triple (a, b, c): e = x - a and f = y - b are public (opened), and
// z_i = c_i + e*b_i + f*a_i, plus e*f for party 0 only (lead = 1).
export function beaver(c: usize, e: usize, f: usize, a: usize, b: usize, out: usize, n: i32, lead: i32): void {
  const both: i64 = lead != 0 ? 1 : 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    const ei = load<i64>(e + o);
    const fi = load<i64>(f + o);
    store<i64>(
      out + o,
      load<i64>(c + o) + ei * load<i64>(b + o) + fi * load<i64>(a + o) + both * ei * fi,
    );
  }
}

// SecureML's local truncation of a share by `bits` (Mohassel & Zhang 2017, Thm. 1): party 0 keeps
// floor(x0 / 2^bits), party 1 keeps -floor(-x1 / 2^bits), both as unsigned 64-bit shifts.
export function truncate(x: usize, out: usize, n: i32, bits: i32, lead: i32): void {
  const s = <u64>bits;
  if (lead != 0) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 3;
      store<u64>(out + o, load<u64>(x + o) >> s);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 3;
      store<u64>(out + o, 0 - ((0 - load<u64>(x + o)) >> s));
    }
  }
}

// Block sizes of matmul: a BLOCK_K x BLOCK_J panel of B (128 x 256 x 8 bytes = 256 KiB) stays in L2 while every
// row of A passes over it; a row segment of C (2 KiB) stays in L1 across the BLOCK_K updates.
const BLOCK_K: i32 = 128;
const BLOCK_J: i32 = 256;

// C (n x m) = A (n x k) * B (k x m) mod 2^64, row-major, C overwritten. i-k-j order inside (k, j) blocks; four
// rows of A at a time share each load of B (about 1.3x faster than one or two rows here). i64x2 SIMD multiplies
// are emulated on x86 and measured slower than scalar i64.mul, so the loop is scalar.
export function matmul(a: usize, b: usize, c: usize, n: i32, k: i32, m: i32): void {
  memory.fill(c, 0, (<usize>n * <usize>m) << 3);
  const aStride = <usize>k << 3;
  const cStride = <usize>m << 3;
  for (let j0 = 0; j0 < m; j0 += BLOCK_J) {
    const j1 = min(j0 + BLOCK_J, m);
    for (let k0 = 0; k0 < k; k0 += BLOCK_K) {
      const k1 = min(k0 + BLOCK_K, k);
      let i = 0;
      for (; i + 3 < n; i += 4) {
        const aRow = a + <usize>i * aStride;
        const cRow = c + <usize>i * cStride;
        for (let r = k0; r < k1; r++) {
          const ro = <usize>r << 3;
          const s0 = load<i64>(aRow + ro);
          const s1 = load<i64>(aRow + aStride + ro);
          const s2 = load<i64>(aRow + 2 * aStride + ro);
          const s3 = load<i64>(aRow + 3 * aStride + ro);
          const bRow = b + <usize>r * cStride;
          for (let j = j0; j < j1; j++) {
            const o = <usize>j << 3;
            const bv = load<i64>(bRow + o);
            const p = cRow + o;
            store<i64>(p, load<i64>(p) + s0 * bv);
            store<i64>(p + cStride, load<i64>(p + cStride) + s1 * bv);
            store<i64>(p + 2 * cStride, load<i64>(p + 2 * cStride) + s2 * bv);
            store<i64>(p + 3 * cStride, load<i64>(p + 3 * cStride) + s3 * bv);
          }
        }
      }
      for (; i < n; i++) {
        const aRow = a + <usize>i * aStride;
        const cRow = c + <usize>i * cStride;
        for (let r = k0; r < k1; r++) {
          const s = load<i64>(aRow + (<usize>r << 3));
          const bRow = b + <usize>r * cStride;
          for (let j = j0; j < j1; j++) {
            const o = <usize>j << 3;
            store<i64>(cRow + o, load<i64>(cRow + o) + s * load<i64>(bRow + o));
          }
        }
      }
    }
  }
}
