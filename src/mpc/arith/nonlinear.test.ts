import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { reciprocal, reciprocalIterations, SIGMOID_MAX_ERROR, sigmoid } from './nonlinear.js';
import { reconstruct, testSession } from './testing.js';

const encoded = (v: number) => Math.round(v * 2 ** 16) / 2 ** 16;
const logistic = (x: number) => 1 / (1 + Math.exp(-x));
const grid = (lo: number, hi: number, n: number) =>
  Float64Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

async function evaluate(
  values: Float64Array,
  f: typeof sigmoid | typeof reciprocal,
  arg?: object,
): Promise<Float64Array> {
  const s = testSession({ seed: 21 });
  const [x0, x1] = await Promise.all([s.p0.share(values), s.p1.input(0, values.length)]);
  const call = (p: typeof s.p0, x: BigUint64Array) =>
    (f as (p: typeof s.p0, x: BigUint64Array, o?: object) => Promise<BigUint64Array>)(p, x, arg);
  const [y0, y1] = await Promise.all([call(s.p0, x0), call(s.p1, x1)]);
  return reconstruct(y0, y1);
}

function maxError(values: Float64Array, got: Float64Array, exact: (x: number) => number): number {
  let worst = 0;
  values.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(got[i]! - exact(v)));
  });
  return worst;
}

describe('sigmoid', () => {
  it('hard sigmoid is within 2 ulp of clip(x/4 + 1/2, 0, 1) and within the stated bound of the logistic', async () => {
    const xs = grid(-30, 30, 6001); // step 0.01: hits x = +-2
    const got = await evaluate(xs, sigmoid);
    const hard = (x: number) => Math.min(1, Math.max(0, x / 4 + 0.5));
    expect(maxError(xs, got, hard)).toBeLessThanOrEqual(2 * 2 ** -16);
    expect(maxError(xs, got, logistic)).toBeLessThanOrEqual(SIGMOID_MAX_ERROR.hard);
    expect(maxError(xs, got, logistic)).toBeGreaterThan(0.119); // the bound is tight, at x = +-2
  });

  it('the degree-5 polynomial is within the stated bound on [-5, 5]', async () => {
    const xs = grid(-5, 5, 4001);
    const got = await evaluate(xs, sigmoid, { kind: 'polynomial' });
    expect(maxError(xs, got, logistic)).toBeLessThanOrEqual(SIGMOID_MAX_ERROR.polynomial);
  });

  it('refuses an unknown approximation', async () => {
    const s = testSession();
    await expect(sigmoid(s.p0, new BigUint64Array(1), { kind: 'tanh' } as never)).rejects.toThrow(
      /approximation must be/,
    );
  });
});

describe('reciprocal', () => {
  it('is within 4 ulp of 1/x on [1, 100] (the default range)', async () => {
    const xs = grid(1, 100, 1001);
    const got = await evaluate(xs, reciprocal);
    expect(maxError(xs, got, (x) => 1 / x)).toBeLessThanOrEqual(4 * 2 ** -16);
  });

  it('is within (2 + 2/x) ulp of 1/x for the encoded x on a stated range [0.05, 2]', async () => {
    const xs = grid(0.05, 2, 501).map(encoded);
    const got = await evaluate(xs, reciprocal, { lower: 0.05, upper: 2 });
    xs.forEach((x, i) => expect(Math.abs(got[i]! - 1 / x)).toBeLessThanOrEqual((2 + 2 / x) * 2 ** -16));
  });

  it('runs 11 iterations for [1, 100] at f = 16', () => {
    expect(reciprocalIterations(1, 100, 16)).toBe(11);
  });

  it('refuses a bad range', async () => {
    const s = testSession();
    const x = new BigUint64Array(1);
    await expect(reciprocal(s.p0, x, { lower: 0 })).rejects.toThrow(/options.lower must be/);
    await expect(reciprocal(s.p0, x, { lower: 2, upper: 1 })).rejects.toThrow(/options.upper must be/);
    await expect(reciprocal(s.p0, x, { upper: 1e9 })).rejects.toThrow(/options.upper must be/);
  });
});

describe('properties', () => {
  test.prop([fc.array(fc.double({ min: 1, max: 100, noNaN: true }), { minLength: 1, maxLength: 10 })])(
    'reciprocal error <= 4 ulp on random inputs in [1, 100]',
    async (values) => {
      const xs = Float64Array.from(values);
      expect(maxError(xs, await evaluate(xs, reciprocal), (x) => 1 / x)).toBeLessThanOrEqual(4 * 2 ** -16);
    },
  );
});
