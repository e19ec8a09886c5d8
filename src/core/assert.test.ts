import { describe, expect, it } from 'vitest';
import {
  assertBounds,
  assertFinite,
  assertFiniteArray,
  assertInteger,
  assertOneOf,
  assertOpenUnit,
  assertPositive,
  assertRate,
  invariant,
} from './assert.js';

describe('boundary assertions', () => {
  it('assertPositive refuses 0, negatives, NaN, Infinity and non-numbers', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1', null]) {
      expect(() => assertPositive('f', 'sigma', bad)).toThrow(/^f: sigma must be a finite number > 0, got /);
    }
    expect(() => assertPositive('f', 'sigma', 1e-300)).not.toThrow();
  });

  it('assertOpenUnit refuses the ends of (0, 1)', () => {
    expect(() => assertOpenUnit('f', 'delta', 0)).toThrow('f: delta must be a number in (0, 1), got 0');
    expect(() => assertOpenUnit('f', 'delta', 1)).toThrow(/delta/);
    expect(() => assertOpenUnit('f', 'delta', 1e-12)).not.toThrow();
  });

  it('assertRate accepts 1 but not 0', () => {
    expect(() => assertRate('f', 'q', 1)).not.toThrow();
    expect(() => assertRate('f', 'q', 0)).toThrow('f: q must be a number in (0, 1], got 0');
  });

  it('assertInteger states the range', () => {
    expect(() => assertInteger('f', 'steps', 0, 1)).toThrow('f: steps must be an integer >= 1, got 0');
    expect(() => assertInteger('f', 'bits', 31, 0, 30)).toThrow(
      'f: bits must be an integer in [0, 30], got 31',
    );
    expect(() => assertInteger('f', 'n', 1.5)).toThrow('f: n must be an integer, got 1.5');
  });

  it('assertBounds needs lower < upper', () => {
    expect(() => assertBounds('f', 3, 3)).toThrow('f: upper must be a finite number > lower (3), got 3');
    expect(() => assertFinite('f', 'x', Number.NaN)).toThrow(/finite/);
  });

  it('assertOneOf lists the choices', () => {
    expect(() => assertOneOf('f', 'kind', 'x', ['a', 'b'])).toThrow(
      "f: kind must be one of 'a', 'b', got \"x\"",
    );
  });

  it('assertFiniteArray names the bad element', () => {
    expect(() => assertFiniteArray('f', 'values', [1, Number.NaN])).toThrow(
      'f: values[1] must be a finite number, got NaN',
    );
    expect(() => assertFiniteArray('f', 'values', [])).toThrow(/non-empty/);
  });

  it('invariant throws VEIL_INTERNAL with a lazily built message', () => {
    let built = 0;
    invariant(true, () => `${++built}`);
    expect(built).toBe(0);
    expect(() => invariant(false, () => 'broken')).toThrow('broken');
  });
});
