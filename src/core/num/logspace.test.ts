import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { log1mExp, logAdd, logSub, logSumExp } from './logspace.js';

const finite = fc.double({ min: -700, max: 700, noNaN: true });

describe('log-space arithmetic', () => {
  test.prop([finite, finite])('logAdd is commutative and matches log(e^a + e^b)', (a, b) => {
    expect(logAdd(a, b)).toBe(logAdd(b, a));
    const direct = Math.log(Math.exp(a - 700) + Math.exp(b - 700)) + 700;
    if (Number.isFinite(direct)) expect(logAdd(a, b)).toBeCloseTo(direct, 9);
  });

  test.prop([finite, fc.double({ min: 1e-6, max: 50, noNaN: true })])('logSub inverts logAdd', (a, d) => {
    const b = a - d;
    expect(logSub(logAdd(a, b), b)).toBeCloseTo(a, 8);
  });

  it('treats -Infinity as zero', () => {
    expect(logAdd(Number.NEGATIVE_INFINITY, 3)).toBe(3);
    expect(logSub(3, Number.NEGATIVE_INFINITY)).toBe(3);
    expect(logSub(2, 2)).toBe(Number.NEGATIVE_INFINITY);
    expect(logSumExp([])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('refuses a negative difference', () => {
    expect(() => logSub(1, 2)).toThrow(RangeError);
  });

  it('log1mExp is accurate near 0 and far below', () => {
    expect(log1mExp(-1e-20)).toBeCloseTo(Math.log(1e-20), 10);
    expect(log1mExp(-50)).toBeCloseTo(-Math.exp(-50), 30);
    expect(log1mExp(0)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('logSumExp does not overflow', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
  });
});
