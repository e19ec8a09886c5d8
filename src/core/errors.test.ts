import { describe, expect, it } from 'vitest';
import { ConfigError, describeValue, InvalidParameterError, NumericError, VeilError } from './errors.js';

describe('errors', () => {
  it('InvalidParameterError names the function, parameter, allowed range and value', () => {
    const e = new InvalidParameterError({
      fn: 'gaussianMechanism',
      param: 'sigma',
      value: -1,
      allowed: 'a finite number > 0',
    });
    expect(e.message).toBe('gaussianMechanism: sigma must be a finite number > 0, got -1');
    expect(e.code).toBe('VEIL_INVALID_PARAMETER');
    expect(e).toBeInstanceOf(VeilError);
    expect(e.name).toBe('InvalidParameterError');
    expect(Object.isFrozen(e.details)).toBe(true);
  });

  it('ConfigError lists every issue, marking missing ones as required', () => {
    const e = new ConfigError([
      { path: '--delta', value: '2', allowed: 'a number in (0, 1)' },
      { path: '--steps', value: undefined, allowed: 'an integer >= 1' },
    ]);
    expect(e.message).toBe(
      'invalid configuration: --delta: must be a number in (0, 1), got "2"; --steps: is required (an integer >= 1)',
    );
    expect(e.issues).toHaveLength(2);
  });

  it('toJSON renders non-finite numbers and bigints as strings', () => {
    const e = new NumericError('boom', { eps: Number.POSITIVE_INFINITY, big: 12n });
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      code: 'VEIL_NUMERIC_FAILURE',
      message: 'boom',
      details: { eps: 'Infinity', big: '12' },
    });
  });

  it('describeValue never dumps large arrays or long strings', () => {
    expect(describeValue(new Float64Array(1_000_000))).toBe('Float64Array(1000000)');
    expect(describeValue([1, 2, 3])).toBe('array(3)');
    expect(describeValue('x'.repeat(500)).length).toBeLessThan(90);
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue(5n)).toBe('5n');
  });
});
